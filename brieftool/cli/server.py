"""`brief server start|stop|status`: the command server (brieftool/server.py)."""

from __future__ import annotations

import typer

from .app import app

server_app = typer.Typer(
    name="server", no_args_is_help=True, rich_markup_mode=None,
    help="A background server that starts the read commands (search, list, show, ...) without "
         "the start-up cost.")
app.add_typer(server_app)


def _fail(e) -> None:
    from ..models import BriefError

    raise BriefError(str(e)) from None


def _commands(n: int) -> str:
    return f"{n} command{'' if n == 1 else 's'}"


def _served_list() -> str:
    from ..served import FEW_FILES, SERVED

    return ", ".join(sorted(SERVED)) + f" and add of up to {FEW_FILES} files"


@server_app.command("start")
def server_start(
    idle: float = typer.Option(30.0, "--idle", metavar="MINUTES", min=0.01,
                               help="Stop after this many minutes without a command."),
    as_json: bool = typer.Option(False, "--json", help="The server's status as JSON."),
):
    """Start the server in the background (nothing happens when it is running already).

    While it runs, every `brief` command that only reads the archive (search, list, show,
    similar, stats, tags, authors, orgs, trend, cite; show only when its output is not a
    terminal), check, and add of up to 8 files (named one by one: no folder, glob or
    standard input) is run by a child of the server, which has every module imported
    already: the command starts in a few milliseconds instead of a few hundred. It behaves
    exactly as without the server: the same output, exit status, environment and folder;
    Ctrl-C stops it.
    The server serves only this installation of brief and only this user; it stops after
    --idle minutes without a command, on 'brief server stop', and by itself when brief's code
    changes (the command it was asked to run then runs without it). BRIEF_SERVER=off makes a
    command run without the server; BRIEF_SERVER=auto makes a command that finds none start
    one in the background for the next commands (at most once a minute).
    """
    from .. import render, server

    try:
        st = server.start(idle * 60)
    except server.ServerError as e:
        _fail(e)
    if as_json:
        render.write_out(render.dumps(st) + "\n")
        return
    word = "was already running" if st.get("already") else "started"
    render.write_out(f"brief server {word} (pid {st['pid']}); it runs {_served_list()}; "
                     f"'brief server stop' stops it\n")


@server_app.command("stop")
def server_stop(as_json: bool = typer.Option(False, "--json", help="The server's last status as JSON (null: none ran).")):
    """Stop the server, after the commands it is running have finished."""
    from .. import render, server

    st = server.stop()
    if as_json:
        render.write_out(render.dumps(st) + "\n")
        return
    if st is None:
        render.write_out("no brief server was running\n")
    elif st.get("answered") is False:
        render.write_out(f"brief server (pid {st['pid']}) did not answer (an older brief's, or hung): stopped it\n")
    else:
        render.write_out(f"brief server (pid {st['pid']}) stopped after {_commands(st['served'])}\n")


@server_app.command("status")
def server_status(as_json: bool = typer.Option(False, "--json", help="The server's status as JSON (null: none runs).")):
    """Say whether the server runs, and how many commands it has run. Exit 1 when none runs."""
    from .. import render, server

    st = server.status()
    if as_json:
        render.write_out(render.dumps(st) + "\n")
    elif st is None:
        render.write_out("no brief server is running\n")
    else:
        render.write_out(f"brief server running (pid {st['pid']}, socket {render.safe(st['socket'])}): "
                         f"{_commands(st['served'])} run, "
                         f"{st['running']} running, stops after {st['idle_timeout'] / 60:g} minutes idle\n")
    if st is None:
        raise typer.Exit(1)
