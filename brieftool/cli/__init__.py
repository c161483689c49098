"""The `brief` command line, one module per command group.

``app.py`` holds the Typer app and the one error boundary (``BriefGroup``); ``options.py`` what
the commands share. Each command module registers its commands on ``app`` when imported here;
no command module imports another. Heavy library modules are imported inside the commands, so
``brief --help`` loads none of them. Started as `brief` (``brieftool/launch.py``), only the
module of the command named on the command line is imported (help, completion, an unknown
name: all of them); imported any other way, all of them.
"""

import importlib
import os

from .app import app, hoist_root_options

MODULES = ("embed", "add", "curate", "data", "query", "cite", "config", "help", "saved", "trend", "reread",
           "open", "salvage", "server")
# Which module registers each command (tests/test_speed.py checks this against the app).
COMMAND_MODULES = {
    "add": "add", "sync": "add",
    "tag": "curate", "edit": "curate", "tags": "curate", "authors": "curate", "orgs": "curate",
    "rename-tag": "curate", "rename-author": "curate", "stats": "curate", "remove": "curate",
    "export": "data", "import": "data", "check": "data", "reindex": "data",
    "search": "query", "list": "query", "show": "query", "similar": "query",
    "embed": "embed", "cite": "cite", "config": "config", "saved": "saved", "trend": "trend",
    "reread": "reread", "open": "open", "salvage": "salvage", "server": "server",
}


def modules_for(args: list[str] | None) -> tuple[str, ...]:
    """The command modules a command line needs: the one of the command it names, else all."""
    if args is None or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return MODULES
    args = hoist_root_options(list(args))
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("-h", "--help", "--version", "--install-completion", "--show-completion"):
            return MODULES
        i += 2 if args[i] in ("--index", "--lock-timeout") else 1
    module = COMMAND_MODULES.get(args[i]) if i < len(args) else None
    return (module,) if module else MODULES


def _wanted() -> tuple[str, ...]:
    from .. import launch

    return modules_for(launch.ARGS)


for _m in _wanted():
    importlib.import_module(f".{_m}", __name__)

__all__ = ["app"]
