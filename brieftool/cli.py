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
        except OSError as e:  # disk full, permission denied...: one line, never a traceback
            render.error(f"{e.filename}: {(e.strerror or str(e)).lower()}" if e.filename
                         else (e.strerror or str(e) or type(e).__name__).lower())
            code = 1
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
OffsetOpt = typer.Option(0, "--offset", min=0, help="Skip this many first.")
PageOpt = typer.Option(None, "--page", "-p", min=1, metavar="N",
                       help="Show page N of --limit briefs each (the same as --offset (N-1)*limit).")
FacetsOpt = typer.Option(False, "--facets",
                         help="After the briefs, counts of their tags, authors, organizations and years "
                              "(over all that match, not just the page shown). With --format json, jsonl "
                              "or csv, print only these counts.")
QueryOpt = typer.Option(None, "--query", "-q", metavar="QUERY",
                        help="Only briefs matching QUERY, in the syntax of 'brief search' "
                             "(e.g. 'tag:iran date:2019..2020 -draft').")


def _filters(tag, author, since, until, type_, org):
    from .query import filters

    return filters(tags=tag or (), author=author, since=since, until=until, type=type_, org=org)


# -- add ---------------------------------------------------------------------------------------
@app.command()
def add(
    ctx: typer.Context,
    paths: List[str] = typer.Argument(..., metavar="PATH...",
                                      help="Text files, folders (walked), glob patterns, or - for standard input."),
    title: Optional[str] = typer.Option(None, "--title", help="Set the title."),
    author: Optional[List[str]] = typer.Option(None, "--author", help="Set the authors (repeatable)."),
    date: Optional[str] = typer.Option(None, "--date", help="Set the date (anything like 2019-04-17 or 'April 17, 2019')."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", help="Add a tag (repeatable; kept with the tags read from the text)."),
    type_: Optional[str] = typer.Option(None, "--type", help="Set the type, e.g. 'Policy Brief'."),
    org: Optional[str] = typer.Option(None, "--org", help="Set the organization."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive", help="Walk sub-folders of a folder too."),
    include: Optional[List[str]] = typer.Option(None, "--include", metavar="GLOB", help="Only files matching GLOB (repeatable; e.g. '*.txt')."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", metavar="GLOB", help="Leave out files and folders matching GLOB (repeatable)."),
    hidden: bool = typer.Option(False, "--hidden", help="Include hidden files and folders (names starting with '.')."),
    metadata: Optional[str] = typer.Option(None, "--metadata", metavar="CSV", help="A spreadsheet of metadata, one row per file (see below)."),
    key_column: Optional[str] = typer.Option(None, "--key-column", metavar="HEADER", help="The --metadata column naming the file (path, name or stem)."),
    column: Optional[List[str]] = typer.Option(None, "--column", metavar="FIELD=HEADER", help="Map a --metadata column onto a field (repeatable), e.g. author=president_full."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would be stored and where each field came from; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array on stdout: path, status, id, error per input."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-file lines: failures and the summary only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="A line for every input, however many."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, metavar="N", help="Commit every N changes (an interrupted run keeps every committed batch)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Processes reading files (default: one per core)."),
):
    """Add plain-text briefs to the archive: files, whole folders, globs, or standard input.

    Each input is added, updated, unchanged, skipped or failed. Fields not given as options
    are read from the text itself. Adding the same text again changes nothing; changed text
    from the same path updates that brief and keeps its id and tags. Folders are walked
    (hidden files skipped unless --hidden); files in them that are not text (PDFs, images)
    are skipped with the reason, while a non-text file named explicitly fails. Unchanged
    files are recognised by size and modification time without being read. Commits are
    made in batches: an interrupted run keeps what was committed; run it again for the rest.

    \b
    --metadata CSV: one row per file. The key column (--key-column, else the
    first of path, file, filename, fileid, name, stem) holds a path, file name
    or file stem. Columns title, author(s), date, tags, type and
    organization/org/publisher map by themselves; --column FIELD=HEADER maps
    others. Spreadsheet values count as options (they win over the text);
    options on the command line win over the spreadsheet.
    """
    from . import render
    from .ingest import add_paths
    from .query import parse_date_option

    s = _settings(ctx)
    overrides = {"title": title, "authors": author, "tags": tag, "type": type_, "organization": org,
                 "date": parse_date_option(date) if date is not None else None}
    from .cli_sync import RunOutput, check_inputs, metadata_table, run

    check_inputs(paths)
    table = metadata_table(metadata, key_column, column)
    walk = {"recursive": recursive, "include": include or (), "exclude": exclude or (), "hidden": hidden,
            "metadata": table}
    if dry_run:
        try:
            archive = s.open()
        except BriefError:
            archive = None  # nothing to compare with: still show what would be read
        results = add_paths(archive, paths, overrides=overrides, dry_run=True, **walk)
        if as_json:
            rows = []
            for r in results:
                d = r.to_json()
                if r.brief is not None:
                    d["fields"] = {k: v for k, v in r.brief.to_json().items() if k not in ("id", "added")}
                    d["sources"] = r.sources
                rows.append(d)
            render.write_out(render.dumps(rows) + "\n")
        else:
            for r in results:
                if r.status == "failed":
                    render.error(r.error or r.path)
                elif r.status == "dry-run":
                    render.dry_run(r)
                else:
                    RunOutput(as_json=False, quiet=False, verbose=True).line(r)
        if any(r.status == "failed" for r in results):
            raise typer.Exit(1)
        return
    from .ingest import AddOptions

    archive = s.open(create=True)
    opts = AddOptions(overrides=overrides, batch_size=batch_size, jobs=jobs, lock_timeout=s.lock_timeout,
                      on_wait=_on_wait, **walk)
    out = RunOutput(as_json=as_json, quiet=quiet, verbose=verbose)
    try:
        summary = run(archive, paths, opts, out)
    finally:
        out.close()
    out.summary(summary)
    if summary.interrupted:
        raise typer.Exit(130)
    if summary.failed:
        raise typer.Exit(1)


# -- search ------------------------------------------------------------------------------------
@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., metavar="QUERY", help="What to find (syntax below)."),
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    sort: str = typer.Option("relevance", "--sort", "-s",
                             help="relevance, date (newest first), title or added."),
    reverse: bool = ReverseOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=0, help="How many hits to show (0: all)."),
    offset: int = OffsetOpt,
    page: Optional[int] = PageOpt,
    facets: bool = FacetsOpt,
    fmt: Optional[str] = FormatOpt,
    as_json: bool = JsonOpt,
):
    """Search the archive, best matches first, with highlighted snippets.

    Several words mean all of them; when no brief has them all, briefs with any of them are
    ranked instead. A question of four or more words lists the briefs with all of them first,
    then those with some. The options filter too (combined with AND).

    \b
    QUERY syntax (field names and values are case-insensitive):
      sanctions relief        words in the title or text (stemmed: sanction = sanctions)
      "maximum pressure"      a phrase
      tag:"north korea"  author:ha  title:kim  type:"policy brief"  org:fdd  body:word  id:tre8
      date:2019  date:2019-04  date:2019-04-17  date:2019..2020  date:2019-03..  date:..2019-06
      iran OR venezuela   sanctions AND relief   NOT draft   -draft   -tag:draft   (a OR b) c
      sanct*  (prefix)    sanctons~  (near spellings; ~2: up to two edits)
      brief search -- -draft sanctions      (-- before a query that starts with -)
    """
    from .cli_query import check_facets, emit_results
    from .query import parse
    from .search import page_window
    from .search import search as do_search

    fmt = _fmt(fmt, as_json)
    check_facets(fmt, facets)
    limit, offset = page_window(limit, offset, page)
    parsed = parse(query)  # a malformed query is a usage error, before the archive is opened
    flt = _filters(tag, author, since, until, type_, org)
    archive = _settings(ctx).open()
    res = do_search(archive, parsed, flt=flt, sort=sort, reverse=reverse, limit=limit, offset=offset,
                    snippets=fmt in ("table", "json", "jsonl", "csv"), facets=facets)
    emit_results(res, fmt, kind="search", offset=offset, facets=facets, query=query)


# -- list --------------------------------------------------------------------------------------
@app.command("list")
def list_cmd(
    ctx: typer.Context,
    query: Optional[str] = QueryOpt,
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    sort: str = typer.Option("date", "--sort", "-s", help="date (newest first), title or added."),
    reverse: bool = ReverseOpt,
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many (0: all)."),
    offset: int = OffsetOpt,
    page: Optional[int] = PageOpt,
    facets: bool = FacetsOpt,
    fmt: Optional[str] = FormatOpt,
    as_json: bool = JsonOpt,
):
    """List briefs as a table, newest first."""
    from .cli_query import check_facets, emit_results
    from .query import parse
    from .search import list_briefs, page_window

    fmt = _fmt(fmt, as_json)
    check_facets(fmt, facets)
    if sort.lower() not in ("date", "title", "added"):
        raise UsageError(f"unknown --sort {sort!r} for list (choose date, title or added)")
    limit, offset = page_window(limit, offset, page)
    parsed = parse(query) if query is not None else None
    flt = _filters(tag, author, since, until, type_, org)
    archive = _settings(ctx).open()
    res = list_briefs(archive, flt=flt, sort=sort.lower(), reverse=reverse, limit=limit, offset=offset,
                      query=parsed, facets=facets)
    emit_results(res, fmt, kind="list", offset=offset, facets=facets)


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
