"""`brief reread`: read the stored texts again with the current metadata reader.

A thin wrapper over ``brieftool/reread.py``; heavy modules are imported inside the command.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import filters, on_wait, settings

PREVIEW_ROWS = 20


def _show(v) -> str:
    if v is None or v == "" or v == []:
        return "(none)"
    if isinstance(v, list):
        return "; ".join(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _print(r, verb: str) -> None:
    from rich.text import Text

    from .. import render

    c = render.console()
    head = Text()
    head.append(f"{verb:<12}", style="yellow")
    head.append(f" {r.id:<7}  ", style="cyan")
    head.append(render.one_line(r.title), style="dim")
    c.print(head, soft_wrap=True)
    for name, (old, new) in r.changes.items():
        line = Text("    ")
        line.append(f"{name}: ")
        line.append(render.one_line(_show(old)), style="red")
        line.append(" -> ")
        line.append(render.one_line(_show(new)), style="green")
        src = r.sources.get(name)
        if src:
            line.append(f"  ({render.one_line(src)})", style="dim")
        c.print(line, soft_wrap=True)
    if r.kept:
        c.print(Text("    kept (set by hand): " + ", ".join(r.kept), style="dim"), soft_wrap=True)


@app.command()
def reread(
    ctx: typer.Context,
    ids: Optional[List[str]] = typer.Argument(None, metavar="[ID]...", help="Brief ids (a unique prefix is enough); none: every brief."),
    query: Optional[str] = typer.Option(
        None, "--query", metavar="QUERY", help="Re-read every brief matching QUERY (search syntax)."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", metavar="TAG", help="Only briefs with this tag (repeatable)."),
    author: Optional[str] = typer.Option(None, "--author", help="Only briefs by this author (any part of the name)."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Dated on or after DATE."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Dated on or before DATE."),
    type_: Optional[str] = typer.Option(None, "--type", help="Only briefs of this type."),
    org: Optional[str] = typer.Option(None, "--org", help="Only briefs from this organization."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would change (old -> new, per field); change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply the changes without asking."),
    as_json: bool = typer.Option(False, "--json", help='JSON: {"changed": [...], "unchanged": N, "applied": bool}.'),
):
    """Read the stored texts again with the current metadata reader and update their fields.

    Shows, per brief and field, what the reader now reads (old -> new) and applies all the
    changes in one transaction after you confirm (or with --yes). Fields set by hand (by an
    option of 'brief add', a metadata spreadsheet or 'brief edit') are never touched; a field
    the reader no longer finds keeps its value; tags are only ever added.
    """
    from .. import curate, render
    from .. import reread as rr
    from ..models import UsageError

    bulk = query is not None or any(x for x in (tag, author, since, until, type_, org))
    if bulk and ids:
        raise UsageError("give brief ids or --query/filters, not both")
    s = settings(ctx)
    archive = s.open()
    if ids:
        full, errors = curate.resolve_ids(archive, ids)
        if errors:
            for e in errors:
                render.error(e)
            raise typer.Exit(2)
        briefs = rr.select(archive, full)
    else:
        flt = filters(tag, author, since, until, type_, org) if bulk else None
        briefs = rr.select(archive, query=query if bulk else None, flt=flt)
    plan, n_read = rr.plan(archive, briefs)
    todo = [r for r in plan if r.changes]
    unchanged = n_read - len(todo)

    def out_json(applied: bool) -> None:
        render.write_out(render.dumps({"changed": [r.to_json() for r in todo], "unchanged": unchanged,
                                       "applied": applied, "dry_run": dry_run}) + "\n")

    if not todo:
        if as_json:
            out_json(False)
        else:
            render.info(f"Nothing to change: {n_read:,} brief{'s' if n_read != 1 else ''} read again, "
                        "every field as the reader reads it (or set by hand).")
        return
    if dry_run:
        if as_json:
            out_json(False)
            return
        for r in todo:
            _print(r, "would change")
        render.info(f"{len(todo):,} brief{'s' if len(todo) != 1 else ''} would change, {unchanged:,} unchanged "
                    "(dry run: nothing changed).")
        return
    if not yes and not ids:
        if not as_json:
            for r in todo[:PREVIEW_ROWS]:
                _print(r, "will change")
            if len(todo) > PREVIEW_ROWS:
                render.info(f"… and {len(todo) - PREVIEW_ROWS:,} more")
        try:
            ok = typer.confirm(f"Change {len(todo):,} brief{'s' if len(todo) != 1 else ''}?", default=False, err=True)
        except (typer.Abort, EOFError):  # no answer (stdin closed): not confirmed
            ok = None
        if not ok:
            render.info("Nothing changed." if ok is False else
                        "Nothing changed (not confirmed; pass --yes to change without asking).")
            raise typer.Exit(1)
    written = rr.apply(archive, todo, lock_timeout=s.lock_timeout, on_wait=on_wait)
    if as_json:
        out_json(True)
        return
    if yes or ids:
        for r in todo:
            _print(r, "changed")
    render.info(f"{written:,} brief{'s' if written != 1 else ''} changed, {unchanged:,} unchanged.")
