"""The `brief` command line: parses options, calls the library, hands results to render.

Kept thin and quick to start: Whoosh and the heavier modules are imported inside the
commands that need them. Every expected failure ends as one 'Error: ...' line on stderr
(exit 1 when some input failed, 2 for usage errors); a broken pipe or Ctrl-C ends quietly.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older typer on real click
    from click import exceptions as _cx

from . import __version__
from .models import BriefError, UsageError


class BriefGroup(TyperGroup):
    """Maps every expected failure to one line and a meaningful exit status."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from . import render

        code = 0
        try:
            rv = super().main(args=args, prog_name=prog_name or "brief", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except _cx.UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `brief`: the help, as asked
                sys.stderr.write(e.format_message() + "\n")
                code = 0
            else:
                cmd = e.ctx.command_path if e.ctx else "brief"
                render.error(f"{e.format_message()} (see '{cmd} --help')")
                code = 2
        except _cx.ClickException as e:
            render.error(e.format_message())
            code = e.exit_code
        except (typer.Abort, getattr(_cx, "Abort", typer.Abort), KeyboardInterrupt, EOFError):
            render.err_console().print("Interrupted.", style="dim")
            code = 130
        except BriefError as e:
            render.error(e.message)
            code = e.exit_code
        except BrokenPipeError:
            # The reader went away (brief list | head): end quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=BriefGroup,
    name="brief",
    help="Archive and search policy briefs kept as plain text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    index: Optional[Path] = None
    lock_timeout: float = 30.0

    def open(self, *, create: bool = False):
        from .archive import Archive

        return Archive.open(self.index, create=create)


def _version(value: bool):
    if value:
        typer.echo(f"brief {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    index: Optional[Path] = typer.Option(
        None, "--index", metavar="DIR", envvar="BRIEF_INDEX", show_envvar=True,
        help="Archive folder. Default: $BRIEF_INDEX, else ~/.local/share/brief/archive."),
    lock_timeout: float = typer.Option(
        30.0, "--lock-timeout", metavar="SECONDS", envvar="BRIEF_LOCK_TIMEOUT", show_envvar=True,
        help="How long a change waits for another brief process that is writing."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
):
    """Archive and search policy briefs kept as plain text."""
    ctx.obj = Settings(index=index, lock_timeout=lock_timeout)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj or Settings()


def _on_wait():
    from . import render

    render.info("waiting for the archive lock (another brief process is writing)…")


def _fmt(fmt: Optional[str], as_json: bool) -> str:
    from .render import FORMATS

    if as_json:
        if fmt not in (None, "json"):
            raise UsageError("--json and --format disagree; give one of them")
        return "json"
    fmt = (fmt or "table").lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r} (choose {', '.join(FORMATS)})")
    return fmt


# Options shared by the listing commands -------------------------------------------------------
TagOpt = typer.Option(None, "--tag", "-t", help="Only briefs with this tag (repeatable: all must match).")
AuthorOpt = typer.Option(None, "--author", "-a", help="Only briefs by this author (any part of the name).")
SinceOpt = typer.Option(None, "--since", metavar="DATE", help="Dated on or after DATE (2019 = from 1 Jan 2019).")
UntilOpt = typer.Option(None, "--until", metavar="DATE", help="Dated on or before DATE (2019 = to 31 Dec 2019).")
TypeOpt = typer.Option(None, "--type", help="Only briefs of this type (e.g. 'Policy Brief').")
OrgOpt = typer.Option(None, "--org", help="Only briefs from this organization (any part of its name).")
FormatOpt = typer.Option(None, "--format", "-f", metavar="FORMAT", help="table, json, jsonl, csv or ids.")
JsonOpt = typer.Option(False, "--json", help="Shorthand for --format json.")
ReverseOpt = typer.Option(False, "--reverse", "-r", help="Reverse the order.")


def _filters(tag, author, since, until, type_, org):
    from .query import filters

    return filters(tags=tag or (), author=author, since=since, until=until, type=type_, org=org)


# -- add ---------------------------------------------------------------------------------------
@app.command()
def add(
    ctx: typer.Context,
    paths: List[str] = typer.Argument(..., metavar="PATH...", help="Text files to add."),
    title: Optional[str] = typer.Option(None, "--title", help="Set the title."),
    author: Optional[List[str]] = typer.Option(None, "--author", help="Set the authors (repeatable)."),
    date: Optional[str] = typer.Option(None, "--date", help="Set the date (anything like 2019-04-17 or 'April 17, 2019')."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", help="Add a tag (repeatable; kept with the tags read from the text)."),
    type_: Optional[str] = typer.Option(None, "--type", help="Set the type, e.g. 'Policy Brief'."),
    org: Optional[str] = typer.Option(None, "--org", help="Set the organization."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would be stored and where each field came from; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input: path, status, id, error."),
):
    """Add plain-text briefs to the archive (added / updated / unchanged / failed, one line each).

    Fields not given as options are read from the text itself. Adding the same text again
    changes nothing; changed text from the same path updates that brief and keeps its id and tags.
    """
    from . import render
    from .ingest import add_paths
    from .query import parse_date_option

    s = _settings(ctx)
    overrides = {"title": title, "authors": author, "tags": tag, "type": type_, "organization": org,
                 "date": parse_date_option(date) if date is not None else None}
    archive = None
    if dry_run:
        try:
            archive = s.open()
        except BriefError:
            archive = None  # nothing to compare with: still show what would be read
    else:
        archive = s.open(create=True)
    results = add_paths(archive, paths, overrides=overrides, dry_run=dry_run,
                        lock_timeout=s.lock_timeout, on_wait=_on_wait)
    if as_json:
        if dry_run:
            rows = []
            for r in results:
                d = r.to_json()
                if r.brief is not None:
                    d["fields"] = {k: v for k, v in r.brief.to_json().items() if k not in ("id", "added")}
                    d["sources"] = r.sources
                rows.append(d)
            render.write_out(render.dumps(rows) + "\n")
        else:
            render.write_out(render.dumps([r.to_json() for r in results]) + "\n")
    else:
        for r in results:
            if r.status == "failed":
                render.error(r.error or r.path)
            elif r.status == "dry-run":
                render.dry_run(r)
            else:
                render.add_line(r)
    failed = sum(r.status == "failed" for r in results)
    if failed:
        raise typer.Exit(1)


# -- search ------------------------------------------------------------------------------------
@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Words to find (all of them; a quoted phrase as a phrase)."),
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    sort: str = typer.Option("relevance", "--sort", "-s", help="relevance, date, title or added."),
    reverse: bool = ReverseOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=0, help="How many hits to show (0: all)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many hits first."),
    fmt: Optional[str] = FormatOpt,
    as_json: bool = JsonOpt,
):
    """Search the archive, best matches first, with highlighted snippets."""
    from . import render
    from .search import search as do_search

    fmt = _fmt(fmt, as_json)
    flt = _filters(tag, author, since, until, type_, org)
    archive = _settings(ctx).open()
    res = do_search(archive, query, flt=flt, sort=sort.lower(), reverse=reverse, limit=limit, offset=offset,
                    snippets=fmt in ("table", "json", "jsonl", "csv"))
    rows = [h.to_json() for h in res.hits]
    if res.fallback:
        render.info("No brief has all of these words; showing briefs with any of them.")

    def table():
        n = res.total
        head = f"{n} brief{'s' if n != 1 else ''} match"
        if res.hits and (offset or len(res.hits) < n):
            head += f" (showing {offset + 1}–{offset + len(res.hits)})"
        render.search_table(res.hits, header=head)

    render.emit_records(rows, fmt, table=table)


# -- list --------------------------------------------------------------------------------------
@app.command("list")
def list_cmd(
    ctx: typer.Context,
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    sort: str = typer.Option("date", "--sort", "-s", help="date (newest first), title or added."),
    reverse: bool = ReverseOpt,
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many (0: all)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many first."),
    fmt: Optional[str] = FormatOpt,
    as_json: bool = JsonOpt,
):
    """List briefs as a table, newest first."""
    from . import render
    from .search import list_briefs

    fmt = _fmt(fmt, as_json)
    if sort.lower() not in ("date", "title", "added"):
        raise UsageError(f"unknown --sort {sort!r} for list (choose date, title or added)")
    flt = _filters(tag, author, since, until, type_, org)
    archive = _settings(ctx).open()
    res = list_briefs(archive, flt=flt, sort=sort.lower(), reverse=reverse, limit=limit or None, offset=offset)

    def table():
        n = res.total
        head = f"{n} brief{'s' if n != 1 else ''}"
        if res.hits and (offset or len(res.hits) < n):
            head += f" (showing {offset + 1}–{offset + len(res.hits)})"
        render.list_table([h.brief for h in res.hits], header=head)

    render.emit_records([h.brief.to_json() for h in res.hits], fmt, table=table)


# -- show --------------------------------------------------------------------------------------
@app.command()
def show(
    ctx: typer.Context,
    ids: List[str] = typer.Argument(..., metavar="ID...", help="Brief ids (a unique prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="The record with its text as JSON (a list for several ids)."),
    pager: bool = typer.Option(True, "--pager/--no-pager", help="Page long briefs on a terminal."),
):
    """Show a brief's metadata and full text."""
    from . import render

    archive = _settings(ctx).open()
    briefs = archive.get_many(ids)
    if as_json:
        rows = [b.to_json(text=True) for b in briefs]
        render.write_out(render.dumps(rows[0] if len(rows) == 1 else rows) + "\n")
        return
    for b in briefs:
        render.show(b, pager=pager and len(briefs) == 1)


# -- remove ------------------------------------------------------------------------------------
@app.command()
def remove(
    ctx: typer.Context,
    ids: List[str] = typer.Argument(..., metavar="ID...", help="Brief ids (a unique prefix is enough)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
):
    """Remove briefs from the archive (asks first unless --yes)."""
    from . import render
    from .curate import remove_briefs

    s = _settings(ctx)
    archive = s.open()
    briefs = archive.get_many(ids)
    if not yes:
        render.list_table(briefs, header=f"About to remove {len(briefs)} brief{'s' if len(briefs) != 1 else ''}:")
        if not typer.confirm("Remove them?", default=False, err=True):
            render.info("Nothing removed.")
            raise typer.Exit(1)
    removed = remove_briefs(archive, [b.id for b in briefs], lock_timeout=s.lock_timeout, on_wait=_on_wait)
    for b in removed:
        render.write_out(f"removed  {b.id}  {render.one_line(b.title)}\n")


# Commands of other groups register themselves on `app` (kept in their own modules).
def _register() -> None:
    import importlib

    for name in ("cli_curate", "cli_sync", "cli_data", "cli_query"):
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{name}":
                raise


_register()
