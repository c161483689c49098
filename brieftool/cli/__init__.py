"""The `brief` command line, one module per command group.

``app.py`` holds the Typer app and the one error boundary (``BriefGroup``); ``options.py`` what
the commands share. Each command module registers its commands on ``app`` when imported here;
no command module imports another. Heavy library modules are imported inside the commands, so
``brief --help`` loads none of them.
"""

from .app import app
from . import embed  # noqa: E402,F401  (brief embed: semantic search)
from . import add, curate, data, query  # noqa: E402,F401  (register the commands)
from . import cite, config, help, saved, trend  # noqa: E402,F401
from . import reread  # noqa: E402,F401
from . import open  # noqa: E402,F401
from . import salvage  # noqa: E402,F401

__all__ = ["app"]
