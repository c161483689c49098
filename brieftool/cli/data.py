"""`brief export`, `import`, `check`, `reindex`: backups and recovery (thin wrappers over maintain.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import app
from .options import (AuthorOpt, OrgOpt, QueryOpt, SinceOpt, TagOpt, TypeOpt, UntilOpt, expand_saved, filters,
                      on_wait, settings)
from ..models import BriefError, UsageError


def _binary_stdout():
    sys.stdout.flush()
    return getattr(sys.stdout, "buffer", sys.stdout)


# -- export ----------------------------------------------------------------------------------------
@app.command()
def export(
    ctx: typer.Context,
    file: Optional[str] = typer.Argument(None, metavar="[FILE]",
                                         help="Write to FILE (replaced only once complete). Default: stdout."),
    fmt: str = typer.Option("jsonl", "--format", "-f", metavar="FORMAT",
                            help="jsonl: every field and the full text, one brief a line (for 'brief import'); "
                                 "csv: metadata only; bibtex, ris, csl-json: a bibliography; markdown: a "
                                 "reading packet."),
    query: Optional[str] = QueryOpt,
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    style: Optional[str] = typer.Option(
        None, "--style", metavar="STYLE",
        help="The citation style of the markdown packet: apa, chicago or mla (default: 'cite-style' "
             "in the config file when it is one of these, else apa)."),
):
    """Write the archive out: a complete backup as JSON Lines, metadata as CSV, or a reading list.

    Without --query or filters, the whole archive (a JSON Lines export then ends with the
    saved searches, so that 'brief import' restores them). With them, only the briefs that
    'brief list' would show, newest first. The markdown reading packet has one section per
    brief: title, citation, date, authors, tags and, with --query, the best passage. The
    export is one consistent snapshot, even while another brief process writes. A FILE is
    created readable by its owner only, like the archive.
    """
    from .. import render
    from ..maintain import EXPORT_FORMATS, export_records, export_to_path

    fmt = fmt.lower()
    fmt = {"csljson": "csl-json", "md": "markdown", "bib": "bibtex"}.get(fmt, fmt)
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown --format {fmt!r} for export (choose {', '.join(EXPORT_FORMATS)})")
    selecting = query is not None or any(x for x in (tag, author, since, until, type_, org))
    reading = fmt in ("bibtex", "ris", "csl-json", "markdown")
    query = expand_saved(ctx, query)
    flt = filters(tag, author, since, until, type_, org) if selecting else None
    from ..query import parse

    parsed = parse(query) if query and query.strip() else None
    # the whole archive is exported from any format (to get the data out); a selection needs the current one
    archive = settings(ctx).open(old_ok=not selecting)
    kw: dict = {}
    if selecting or reading:
        from ..search import list_briefs

        kw["briefs"] = [h.brief for h in list_briefs(archive, flt=flt, query=parsed, limit=None).hits]
    if fmt == "markdown":
        from .. import config
        from ..cite import check_style

        chosen = check_style(style) if style is not None else config.current().get("cite-style")
        if chosen not in ("apa", "chicago", "mla"):
            if style is not None:
                raise UsageError(f"--style {style} has no prose form for the packet (choose apa, chicago or mla)")
            chosen = "apa"
        kw["style"] = chosen
        about = []
        if query is not None:
            about.append(f'query "{query if query.strip() else "(every brief)"}"')
        for name, v in (("tag", ", ".join(tag or [])), ("author", author), ("since", since), ("until", until),
                        ("type", type_), ("org", org)):
            if v:
                about.append(f"{name} {v}")
        kw["about"] = " · ".join(about)
        if parsed is not None and kw["briefs"]:
            from ..search import search

            hits = search(archive, parsed, flt=flt, limit=None, snippets=True, suggest=False).hits
            kw["snippets"] = {h.brief.id: h.snippet for h in hits}
    elif style is not None:
        raise UsageError("--style is for --format markdown (use 'brief cite --style' for one style)")
    if file is None or file == "-":
        res = export_records(archive, _binary_stdout(), fmt, **kw)
    else:
        res = export_to_path(archive, Path(file), fmt, **kw)
        render.info(f"exported {res.count} brief{'s' if res.count != 1 else ''} to {file}")
    for e in res.errors:
        render.error(e + " (left out of the export)")
    if res.errors:
        raise typer.Exit(1)


# -- import ----------------------------------------------------------------------------------------
@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="A 'brief export' file (JSON Lines), or - for stdin."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Let records from FILE overwrite archived briefs with the same id or text."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line read: line, status, id, error."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, metavar="N",
                                   help="Commit every N changes (an interrupted import keeps every committed batch)."),
):
    """Read briefs from a 'brief export' file back into the archive.

    Ids, tags, dates, added times and texts are kept exactly. A brief whose id is already in
    the archive with different content (or whose text is there under another id) is skipped
    unless --replace. A malformed line is reported with its number; the others still go in.
    A file that is no export at all (none of its first 20 lines is a brief) is refused whole.
    """
    from .. import render
    from ..maintain import export_lines, import_records, read_lines
    from ..saved import import_saved, split_saved

    s = settings(ctx)
    if file == "-":
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        name = "stdin"
        close = False
    else:
        p = Path(file)
        if p.is_dir():
            raise BriefError(f"cannot import {file}: it is a folder")
        try:
            from ..fsafe import open_read

            stream = open_read(p)  # never blocks in open() (a named pipe without a writer, a device)
        except OSError as e:
            reason = "no such file" if isinstance(e, FileNotFoundError) else (e.strerror or str(e)).lower()
            raise BriefError(f"cannot import {file}: {reason}") from None
        name = file
        close = True
    try:
        try:
            lines = export_lines(read_lines(stream), name)  # a file that is no export: one line, nothing made
        except OSError as e:
            raise BriefError(f"cannot read {name}: {(e.strerror or str(e)).lower()}; nothing was imported") from None
        archive = s.open(create=True)
        try:
            saved_lines: list = []
            results = import_records(archive, split_saved(lines, saved_lines), replace=replace,
                                     lock_timeout=s.lock_timeout, on_wait=on_wait, batch_size=batch_size)
            saved_results = import_saved(archive, saved_lines, replace=replace)
        except OSError as e:
            raise BriefError(f"cannot read {name}: {(e.strerror or str(e)).lower()}; nothing was imported") from None
    finally:
        if close:
            stream.close()
    counts = {k: 0 for k in ("imported", "replaced", "unchanged", "skipped", "failed")}
    for r in results:
        counts[r.status] += 1
    saved_counts = {k: 0 for k in counts}
    for r in saved_results:
        saved_counts[r.status] += 1
    if as_json:
        render.write_out(render.dumps([r.to_json() for r in results] + [r.to_json() for r in saved_results]) + "\n")
    else:
        for r in results:
            if r.status == "failed":
                render.error(f"{name} line {r.line}: {r.error}")
            elif r.status == "skipped":
                render.warn(f"skipped {name} line {r.line} ({r.id}): {r.error}")
        for r in saved_results:
            if r.status == "failed":
                render.error(f"{name} line {r.line}: saved search {r.name}: {r.error}")
            elif r.status == "skipped":
                render.warn(f"skipped {name} line {r.line} (saved search @{r.name}): {r.error}")
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n or k == "imported")
        if saved_results:
            summary += "; saved searches: " + ", ".join(f"{n} {k}" for k, n in saved_counts.items() if n)
        render.write_out(summary + "\n")
    from ..semantic import vectorless_note

    note = vectorless_note(archive, counts["imported"] + counts["replaced"])
    if note:
        render.warn(note)
    if counts["failed"] or saved_counts["failed"]:
        raise typer.Exit(1)


# -- check -----------------------------------------------------------------------------------------
@app.command()
def check(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="The report as a JSON object."),
):
    """Verify the archive: it opens, every record is complete, texts match their hashes, ids are unique.

    Changes nothing. Exit status 1 when a problem is found; each is described with what to do.
    """
    from .. import render
    from ..maintain import check_archive

    rep = check_archive(settings(ctx).index)
    if as_json:
        render.write_out(render.dumps(rep.to_json()) + "\n")
    else:
        fmt = f"format {rep.format}" if rep.format is not None else "format unknown"
        render.write_out(f"archive {render.one_line(rep.path)}: {fmt}, {rep.briefs} "
                         f"brief{'s' if rep.briefs != 1 else ''}\n")
        for p in rep.problems:
            render.write_out(f"problem: {render.one_line(p)}\n")
        for n in rep.notes:
            render.write_out(f"note: {render.one_line(n)}\n")
        if rep.ok:
            render.write_out("ok: the index opens, every record is complete, hashes match, ids are unique\n")
    if not rep.ok:
        if not as_json:
            n = len(rep.problems)
            render.error(f"{n} problem{'s' if n != 1 else ''} found in archive {rep.path}")
        raise typer.Exit(1)


# -- reindex ---------------------------------------------------------------------------------------
@app.command()
def reindex(
    ctx: typer.Context,
    drop_bad: bool = typer.Option(False, "--drop-bad",
                                  help="Rebuild without records that cannot be read (they are listed)."),
    as_json: bool = typer.Option(False, "--json",
                                 help='JSON: {"briefs": N, "changed": [{"id", "status", "changes", "fields": '
                                      '{"id": {"old", "new"}}}], "duplicates_dropped": N, "dropped": [...]}.'),
):
    """Rebuild the search index from the stored records (after a damage report or an upgrade).

    The new index is built beside the old one and swapped in at the end in one step: if the
    rebuild is interrupted, the old index is still the archive.
    """
    from .. import render
    from ..maintain import reindex as do_reindex

    s = settings(ctx)
    archive = s.open(old_ok=True)  # rebuilding is how an older format is upgraded
    res = do_reindex(archive, drop_bad=drop_bad, lock_timeout=s.lock_timeout, on_wait=on_wait)
    for old, new in res.renamed:
        render.warn(f"two records had id {old}: the second now has id {new}")
    if res.duplicates:
        render.warn(f"dropped {res.duplicates} identical cop{'ies' if res.duplicates != 1 else 'y'} of records")
    for e in res.dropped:
        render.warn(f"dropped: {e}")
    if as_json:
        changed = [{"id": new, "status": "changed", "changes": [f"id: {old} -> {new}"],
                    "fields": {"id": {"old": old, "new": new}}} for old, new in res.renamed]
        render.write_out(render.dumps({"briefs": res.briefs, "changed": changed,
                                       "duplicates_dropped": res.duplicates, "dropped": list(res.dropped)}) + "\n")
        return
    render.write_out(f"reindexed {res.briefs} brief{'s' if res.briefs != 1 else ''}\n")
