"""The `brief` command (``python -m brieftool`` too): the app with only the command module the
command line names imported, so a command starts without building the other twenty-odd.

``brieftool.cli`` imported any other way (the library, tests) has every command, as before.
"""

from __future__ import annotations

import sys

ARGS: list[str] | None = None  # the command line of this process, when it was started as `brief`


def main() -> None:
    global ARGS
    ARGS = sys.argv[1:]
    from .served import try_served

    code = try_served(ARGS)  # a read command on a running `brief server`, if there is one
    if code is not None:
        sys.exit(code)
    from .cli import app

    app(prog_name="brief")
