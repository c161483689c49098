"""`brief sync`, and the bulk-run machinery `brief add` shares with it: progress bar, per-file
lines, JSON streamed as batches are committed, the one-line summary, Ctrl-C.

Output of a run (add or sync):

* one line per input (added / updated / unchanged / skipped / failed) when there are at most
  ``FEW`` inputs or with ``--verbose``; for bigger runs only failures and updates, then the
  summary (``--verbose`` shows every line). ``--quiet``: failures and the summary only.
* a line is printed once the batch holding its change is committed, so it is always true.
* ``--json``: one JSON array on stdout (``path``, ``status``, ``id``, ``error`` per input),
  written as batches are committed; nothing else on stdout.
* on a terminal (stderr), a progress bar (files done, rate, time left) unless ``--quiet``;
  it is removed when the run ends.
* a one-line summary on stderr when there was more than one input (counts and time taken).
* Ctrl-C: the run stops after the file in hand, commits what it decided, prints what was
  kept and exits 130. A second Ctrl-C stops at once (the batch in hand is dropped).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import List, Optional

import typer

from .app import app
from .options import BatchSizeOpt, FollowLinksOpt, on_wait, settings
from ..models import BriefError, UsageError

FEW = 50  # up to this many inputs, every input gets its line
PAGES_SHOWN = 50  # a PDF with at least this many pages shows its reading progress on a terminal


class RunOutput:
    """Prints the results of a run as the CLI documents it."""

    def __init__(self, *, as_json: bool, quiet: bool, verbose: bool):
        self.as_json = as_json
        self.quiet = quiet
        self.verbose = verbose
        self.total = 0
        self._json_open = False
        self._progress = None
        self._task = None
        self._pages = None

    # progress -----------------------------------------------------------------------------
    def start(self, total: int) -> None:
        from .. import render

        self.total = total
        if self.quiet or total < 2 or not render.stderr_is_terminal():
            return
        err = render.err_console()
        if not err.is_terminal:
            return
        import time

        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # The bar counts files decided; the rate and the time left count files committed (the
        # writing lags the deciding by up to a batch), so they are not optimistic.
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
            console=err, transient=True, redirect_stdout=sys.stdout.isatty(), redirect_stderr=True,
        )
        self._task = self._progress.add_task("adding", total=total, rate="", left="")
        self._t0 = time.monotonic()
        self._done = 0
        self._progress.start()

    def advance(self, k: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, k)

    def _committed(self) -> None:
        import time

        self._done += 1
        elapsed = time.monotonic() - self._t0
        if self._progress is not None and elapsed > 0.5:
            rate = self._done / elapsed
            left = int((self.total - self._done) / rate) if rate else 0
            self._progress.update(self._task, rate=f"{rate:,.0f} files/s",
                                  left=f"~{left // 60}:{left % 60:02d} left" if self._done < self.total else "")

    def phase(self, name: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=name)

    def page(self, path: str, i: int, n: int) -> None:
        """A long PDF's pages: in the bar's description, or a bar of its own for a single file."""
        from .. import render

        if n < PAGES_SHOWN or self.quiet or self.as_json or not render.err_console().is_terminal:
            return
        name = render.one_line(os.path.basename(path))
        if self._progress is not None:
            if i == n:
                self._progress.update(self._task, description="adding")
            elif i % 10 == 1:
                self._progress.update(self._task, description=f"reading {name} page {i:,}/{n:,}")
            return
        if i == 1 or self._pages is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._pages = Progress(TextColumn(f"reading {name} pages"), BarColumn(), MofNCompleteColumn(),
                                   TimeElapsedColumn(), console=render.err_console(), transient=True)
            self._page_task = self._pages.add_task("pages", total=n)
            self._pages.start()
        self._pages.update(self._page_task, completed=i)
        if i == n:
            self._pages.stop()
            self._pages = None

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._pages is not None:
            self._pages.stop()
            self._pages = None

    # results ------------------------------------------------------------------------------
    @property
    def few(self) -> bool:
        return self.total <= FEW

    def result(self, r) -> None:
        from .. import render

        if self._progress is not None:
            self._committed()

        if self.as_json:
            self.json_row(r.to_json())
            return
        if r.status == "failed":
            render.error(r.error or r.path)
            return
        if self.quiet:
            return
        if self.verbose or self.few or r.status in ("updated", "would-update"):
            self.line(r)

    def line(self, r) -> None:
        from rich.text import Text

        from .. import render

        if r.status in ("added", "updated", "unchanged"):
            render.add_line(r)
            return
        style = {"skipped": "dim", "removed": "red", "would-remove": "red"}.get(r.status, "yellow")
        label = r.status.replace("-", " ")
        line = Text()
        line.append(f"{label:<12}" if label.startswith("would") else f"{label:<9}", style=style)
        line.append(f" {r.id or '-':<7}  ", style="cyan")
        line.append(render.one_line(r.path))
        if r.status == "skipped" and r.error:
            reason = r.error[len(r.path) + 2:] if r.error.startswith(r.path + ": ") else r.error
            line.append("  " + render.one_line(reason), style="dim")
        elif r.title:
            line.append("  " + render.one_line(r.title), style="dim")
        render.console().print(line, soft_wrap=True)
        for n in r.notes:
            render.warn(f"  {r.path}: {n}")

    def json_row(self, obj: dict) -> None:
        from .. import render

        # Indented as render.dumps would indent a whole array. Only structural line breaks are
        # real "\n" in JSON text (not textwrap.indent: it also splits at U+2028 and the like).
        row = "  " + render.dumps(obj).replace("\n", "\n  ")
        render.write_out(("[\n" if not self._json_open else ",\n") + row)
        self._json_open = True

    def close(self) -> None:
        """End the JSON array (also after an error: stdout stays valid JSON)."""
        from .. import render

        self.stop()
        if self.as_json:
            render.write_out("\n]\n" if self._json_open else "[]\n")
            self._json_open = False
            self.as_json = False

    def summary(self, summary, *, always: bool = False) -> None:
        from .. import render

        if summary.inputs > 1 or summary.interrupted or always or summary.empty:
            line = summary.line()
            if summary.metadata_unused:
                line += f"; {summary.metadata_unused:,} metadata row{'s' if summary.metadata_unused != 1 else ''} " \
                        "matched no file"
            (render.warn if summary.interrupted else render.info)(line)


class _CtrlC:
    """First Ctrl-C: ask the run to stop cleanly; the second: stop at once. Should the file
    in hand not let go within ``GRACE`` seconds (a pipe whose writer is silent, a hung network
    share), the run is stopped at once as by a second Ctrl-C, but never in the middle of a
    commit (that one is allowed to finish): Ctrl-C always ends a run within a second or two."""

    GRACE = 1.5

    def __init__(self):
        self.flag = threading.Event()
        self.committing = False
        self._done = threading.Event()
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.flag.is_set():
            raise KeyboardInterrupt
        self.flag.set()
        from .. import render

        render.warn("Stopping after the file in hand (Ctrl-C again to stop at once)…")
        threading.Thread(target=self._watchdog, daemon=True).start()

    def _watchdog(self) -> None:
        import time

        free_since = None
        while not self._done.wait(0.1):
            now = time.monotonic()
            if self.committing:
                free_since = None
                continue
            free_since = free_since or now
            if now - free_since >= self.GRACE:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # the second Ctrl-C
                return

    def phase(self, name: str) -> None:
        self.committing = name == "committing"

    def __exit__(self, *exc):
        self._done.set()
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


def metadata_table(metadata: Optional[str], key_column: Optional[str], column: Optional[List[str]]):
    if metadata is None:
        if key_column or column:
            raise UsageError("--key-column and --column need --metadata FILE")
        return None
    from ..metadata_csv import load

    return load(metadata, key_column=key_column, columns=column or ())


def check_inputs(paths: List[str]) -> None:
    if sum(1 for p in paths if p == "-") > 1:
        raise UsageError("'-' (standard input) can be given only once")


def run(archive, paths, opts, out: RunOutput):
    """Run an ingest with progress, lines and Ctrl-C handling; returns the Summary."""
    from ..ingest import ingest

    with _CtrlC() as ctrl_c:
        def phase(name: str) -> None:
            ctrl_c.phase(name)
            out.phase(name)

        try:
            summary = ingest(archive, paths, opts, on_result=out.result, on_total=out.start,
                             on_advance=out.advance, on_phase=phase, stop=ctrl_c.flag.is_set,
                             on_page=out.page)
        finally:
            out.stop()
    from .. import render
    from ..semantic import vectorless_note

    note = vectorless_note(archive, summary.added + summary.updated)
    if note:
        render.warn(note)
    return summary


# -- sync --------------------------------------------------------------------------------------
@app.command()
def sync(
    ctx: typer.Context,
    folders: List[str] = typer.Argument(..., metavar="DIR...", help="Folders to bring the archive in line with."),
    prune: bool = typer.Option(False, "--prune", help="Also remove briefs whose file under DIR is gone (asks first unless --yes)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before removing."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would be added, updated and removed; change nothing."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive", help="Walk sub-folders too."),
    include: Optional[List[str]] = typer.Option(None, "--include", metavar="GLOB", help="Only files matching GLOB (repeatable; e.g. '*.txt')."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", metavar="GLOB", help="Leave out files and folders matching GLOB (repeatable)."),
    hidden: bool = typer.Option(False, "--hidden", help="Include hidden files and folders (names starting with '.')."),
    follow_links: bool = FollowLinksOpt,
    metadata: Optional[str] = typer.Option(None, "--metadata", metavar="CSV", help="A spreadsheet of metadata, one row per file (see 'brief add --help')."),
    key_column: Optional[str] = typer.Option(None, "--key-column", metavar="HEADER", help="The --metadata column naming the file (path, name or stem)."),
    column: Optional[List[str]] = typer.Option(None, "--column", metavar="FIELD=HEADER", help="Map a --metadata column onto a field (repeatable)."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", help="Add a tag to every brief from DIR (repeatable)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-file lines: failures and the summary only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="A line for every file, however many."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array on stdout: path, status, id, error per file (and removal)."),
    batch_size: Optional[int] = BatchSizeOpt,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Processes reading files (default: one per core)."),
):
    """Bring the archive in line with folders: add new files, update changed ones.

    Unchanged files are recognised by size and modification time without being read.
    A renamed or moved file keeps its brief (id, tags and all: matched by its text).
    With --prune, briefs whose source file was under DIR and is gone are removed too,
    after listing them and asking (unless --yes). --dry-run changes nothing and reports
    would-add / would-update / would-remove.
    """
    from ..ingest import AddOptions, check_sync_folders

    check_sync_folders(folders)
    table = metadata_table(metadata, key_column, column)
    s = settings(ctx)
    if dry_run:
        try:
            archive = s.open()
        except BriefError:
            archive = None
    else:
        archive = s.open(create=True)
    opts = AddOptions(overrides={"tags": tag}, metadata=table, recursive=recursive, include=include or (),
                      exclude=exclude or (), hidden=hidden, follow_links=follow_links, batch_size=batch_size, jobs=jobs,
                      lock_timeout=s.lock_timeout, on_wait=on_wait, dry_run=dry_run)
    out = RunOutput(as_json=as_json, quiet=quiet, verbose=verbose)
    code = 0
    try:
        summary = run(archive, folders, opts, out)
        if summary.interrupted:
            out.close()
            out.summary(summary)
            raise typer.Exit(130)
        if prune and archive is not None:
            code = _prune(archive, folders, summary, out, yes=yes, dry_run=dry_run, s=s)
    finally:
        out.close()
    out.summary(summary, always=prune)
    if summary.failed:
        code = code or 1
    if code:
        raise typer.Exit(code)


def _prune(archive, folders, summary, out: RunOutput, *, yes: bool, dry_run: bool, s) -> int:
    from .. import render
    from ..ingest import AddResult, gone_from

    gone = gone_from(archive, folders)
    if not gone:
        return 0
    rows = [AddResult(src, "would-remove" if dry_run else "removed", bid, title=title) for bid, src, title in gone]
    if dry_run:
        for r in rows:
            summary.count(r)
            out.json_row(r.to_json()) if out.as_json else out.line(r)
        return 0
    if not yes:
        from rich.text import Text

        n = len(gone)
        render.err_console().print(Text(f"{n} brief{'s' if n != 1 else ''} whose file is gone:", style="bold"))
        for bid, src, title in gone[:200]:
            render.err_console().print(Text(f"  {bid}  {render.one_line(src)}  {render.one_line(title)}"),
                                       soft_wrap=True)
        if n > 200:
            render.err_console().print(Text(f"  … and {n - 200} more"))
        try:
            ok = typer.confirm("Remove them from the archive?", default=False, err=True)
        except (typer.Abort, EOFError):
            ok = False
        if not ok:
            render.info("Nothing removed.")
            return 1
    from ..curate import remove_briefs

    removed = {b.id for b in remove_briefs(archive, [g[0] for g in gone], lock_timeout=s.lock_timeout,
                                           on_wait=on_wait)}
    for r in rows:
        if r.id in removed:
            summary.count(r)
            if out.as_json:
                out.json_row(r.to_json())
            elif not out.quiet:
                out.line(r)
    return 0


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
    follow_links: bool = FollowLinksOpt,
    metadata: Optional[str] = typer.Option(None, "--metadata", metavar="CSV", help="A spreadsheet of metadata, one row per file (see below)."),
    key_column: Optional[str] = typer.Option(None, "--key-column", metavar="HEADER", help="The --metadata column naming the file (path, name or stem)."),
    column: Optional[List[str]] = typer.Option(None, "--column", metavar="FIELD=HEADER", help="Map a --metadata column onto a field (repeatable), e.g. author=president_full."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would be stored and where each field came from; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array on stdout: path, status, id, error per input."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-file lines: failures and the summary only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="A line for every input, however many."),
    batch_size: Optional[int] = BatchSizeOpt,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Processes reading files (default: one per core)."),
):
    """Add plain-text briefs to the archive: files, whole folders, globs, or standard input.

    Each input is added, updated, unchanged, skipped or failed. Fields not given as options
    are read from the text itself. Adding the same text again changes nothing; changed text
    from the same path updates that brief and keeps its id and tags. Folders are walked
    (hidden files skipped unless --hidden); files in them that are not text (PDFs, images),
    FIFOs, sockets, devices and symbolic links leading outside the folder (unless
    --follow-links) are skipped with the reason, empty files are skipped and counted in
    the summary, while a non-text file named explicitly fails. Unchanged
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
    from .. import render
    from ..ingest import add_paths

    s = settings(ctx)
    if date is not None:
        from ..query import parse_date_option  # (the query parser: imported only for --date)

        date = parse_date_option(date)
    overrides = {"title": title, "authors": author, "tags": tag, "type": type_, "organization": org, "date": date}
    check_inputs(paths)
    table = metadata_table(metadata, key_column, column)
    walk = {"recursive": recursive, "include": include or (), "exclude": exclude or (), "hidden": hidden,
            "follow_links": follow_links, "metadata": table}
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
    from ..ingest import AddOptions

    archive = s.open(create=True)
    opts = AddOptions(overrides=overrides, batch_size=batch_size, jobs=jobs, lock_timeout=s.lock_timeout,
                      on_wait=on_wait, **walk)
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
