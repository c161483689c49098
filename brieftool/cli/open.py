"""`brief open`: open a brief's original file (PDF, web page, Word document, text)."""

from __future__ import annotations

import sys

import typer

from .app import app
from .options import settings


@app.command("open")
def open_cmd(
    ctx: typer.Context,
    brief_id: str = typer.Argument(..., metavar="ID", help="Brief id (a unique prefix is enough)."),
    print_path: bool = typer.Option(False, "--print", help="Print the file's path instead of opening it."),
):
    """Open a brief's original file with the system's program for it.

    The program is $BRIEF_OPENER if set (the path is added as its last argument), else
    xdg-open (open on macOS). Says so in one line when the file is gone (moved or deleted
    since it was added) or the brief came from standard input.
    """
    from .. import opener, render

    o = opener.original(settings(ctx).open(), brief_id)
    if o.changed:
        render.warn(f"note: {o.path} has changed since brief {o.brief.id} was read from it")
    if print_path:
        render.write_out((render.safe(o.path) if sys.stdout.isatty() else o.path) + "\n")
        return
    opener.open_file(o.path)
