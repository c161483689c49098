"""Curation commands: tag, edit, tags/authors/orgs, rename-tag/rename-author, stats.

Thin wrappers over ``curate.py`` (and ``editmeta.py`` for $EDITOR editing). Registered on
``app`` when cli.py imports this module; heavy modules are imported inside the commands.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import complete_tag, expand_saved, filters, on_wait, settings
from ..models import BriefError, UsageError

PREVIEW_ROWS = 20
CHANGE_JSON_HELP = ('JSON: one object per brief: id, status (changed, unchanged, failed, would change), '
                    'changes, fields {FIELD: {"old", "new"}}, notes, error.')

# `brief tag` takes -TAG as an argument, so its options have no short forms (a short option
# would swallow the first letter of a tag such as -yesterday) and its help is --help only.
_TAG_CONTEXT = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["--help"]}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _change_line(c, verb: str | None = None) -> None:
    """One line per brief: status, id, what changed (or why nothing did), title."""
    from rich.text import Text

    from .. import render

    status = verb or c.status
    style = {"changed": "yellow", "would change": "yellow", "unchanged": "dim"}.get(status, "")
    line = Text()
    line.append(f"{status:<9}", style=style)
    line.append(f" {c.id:<7}  ", style="cyan")
    what = "  ".join(c.changes) if c.changes else "; ".join(c.notes)
    line.append(render.one_line(what))
    if c.title:
        line.append("  " + render.one_line(c.title), style="dim")
    render.console().print(line, soft_wrap=True)


def _report(changes, *, dry_run: bool = False, as_json: bool = False, extra: list | None = None
            ) -> tuple[int, int, int]:
    """Print the per-brief lines (with ``as_json``: one JSON array, ``extra`` rows after them);
    returns (changed, unchanged, failed)."""
    from .. import render

    n = {"changed": 0, "unchanged": 0, "failed": 0}
    if as_json:
        from ..curate import change_json

        for c in changes:
            n[c.status] += 1
        render.write_out(render.dumps([change_json(c, dry_run=dry_run) for c in changes] + list(extra or [])) + "\n")
        return n["changed"], n["unchanged"], n["failed"]
    for c in changes:
        n[c.status] += 1
        if c.status == "failed":
            render.error(c.error or c.id)
        else:
            _change_line(c, "would change" if dry_run and c.status == "changed" else None)
    return n["changed"], n["unchanged"], n["failed"]


def _summary(changed: int, unchanged: int, failed: int, *, dry_run: bool = False) -> None:
    from .. import render

    parts = [f"{_plural(changed, 'brief')} {'would change' if dry_run else 'changed'}"]
    if unchanged:
        parts.append(f"{unchanged:,} unchanged")
    if failed:
        parts.append(f"{failed:,} failed")
    render.info(", ".join(parts) + ".")


# -- tag -----------------------------------------------------------------------------------------
def split_tag_args(args: List[str]) -> tuple[list[str], list[str], list[str]]:
    """notmuch-style arguments -> (tags to add, tags to remove, ids): +TAG adds, -TAG removes."""
    add, remove, ids = [], [], []
    for a in args:
        if a.startswith("--"):
            raise UsageError(f"no such option: {a} (to remove a tag that starts with '-', use --remove)")
        if a.startswith("+"):
            add.append(a[1:])
        elif a.startswith("-"):
            remove.append(a[1:])
        else:
            ids.append(a)
    return add, remove, ids


@app.command("tag", context_settings=_TAG_CONTEXT)
def tag_cmd(
    ctx: typer.Context,
    args: Optional[List[str]] = typer.Argument(
        None, metavar="[+TAG] [-TAG] [ID]...",
        help="Brief ids (a unique prefix is enough); +TAG adds a tag, -TAG removes one."),
    add: Optional[List[str]] = typer.Option(None, "--add", metavar="TAG", help="Add this tag (repeatable)."),
    remove: Optional[List[str]] = typer.Option(None, "--remove", metavar="TAG", help="Remove this tag (repeatable)."),
    query: Optional[str] = typer.Option(
        None, "--query", metavar="QUERY", help="Change every brief matching QUERY (search syntax; '' for all)."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", metavar="TAG", help="Only briefs with this tag (repeatable).",
                                            autocompletion=complete_tag),
    author: Optional[str] = typer.Option(None, "--author", help="Only briefs by this author (any part of the name)."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Dated on or after DATE."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Dated on or before DATE."),
    type_: Optional[str] = typer.Option(None, "--type", help="Only briefs of this type."),
    org: Optional[str] = typer.Option(None, "--org", help="Only briefs from this organization."),
    yes: bool = typer.Option(False, "--yes", help="Change briefs chosen by query without asking."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
    as_json: bool = typer.Option(False, "--json", help=CHANGE_JSON_HELP),
):
    """Add and remove tags: brief tag +TAG -TAG ID..., or by query with --query/filters.

    Tags are matched case-insensitively; adding a tag a brief has, or removing one it does
    not have, changes nothing and says so. Briefs chosen by --query or the filters (the same
    as 'brief list') are counted and shown first, and changed after you confirm (or with
    --yes). A tag that itself starts with '+' or '-' is given with --add or --remove.
    """
    from .. import curate, render

    if args and args[0] == "-h" and len(args) == 1:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    plus, minus, id_args = split_tag_args(list(args or []))
    to_add, to_remove = curate.tag_ops(list(add or []) + plus, list(remove or []) + minus)
    if not to_add and not to_remove:
        raise UsageError("no tag to change: give +TAG / -TAG or --add / --remove")
    bulk = query is not None or any(x for x in (tag, author, since, until, type_, org))
    if bulk and id_args:
        raise UsageError("give brief ids or --query/filters, not both")
    if not bulk and not id_args:
        raise UsageError("no briefs given: name their ids, or choose them with --query or filters")
    s = settings(ctx)
    archive = s.open()
    failed_ids = 0
    id_errors: list[str] = []
    if bulk:
        flt = filters(tag, author, since, until, type_, org)
        matching = curate.select_briefs(archive, expand_saved(ctx, query), flt)
        plan = [(b, *curate.retag(b, to_add, to_remove)[:2]) for b in matching]
        todo = [(b, new) for b, new, changes in plan if changes]
        ops = " ".join([f"+{t}" for t in to_add] + [f"-{t}" for t in to_remove])
        if as_json and (not matching or not todo):
            render.write_out("[]\n")
        if not matching:
            render.info("No brief matches; nothing changed.")
            return
        if not todo:
            render.info(f"All {_plural(len(matching), 'matching brief')} already are that way ({ops}); nothing changed.")
            return
        rest = len(matching) - len(todo)
        head = f"{_plural(len(todo), 'brief')} to change ({ops})"
        if rest:
            head += f"; {rest:,} more match{'es' if rest == 1 else ''} and already {'is' if rest == 1 else 'are'} that way"
        if dry_run:
            changes = curate.modify(archive, [b.id for b, _ in todo], lambda b: curate.retag(b, to_add, to_remove),
                                    dry_run=True)
            render.info(head + ":")
            _summary(*_report(changes, dry_run=True, as_json=as_json), dry_run=True)
            return
        if not yes:
            shown = [new for _, new in todo[:PREVIEW_ROWS]]
            render.list_table(shown, header=head + (":" if len(todo) <= PREVIEW_ROWS else
                                                    f" (the first {PREVIEW_ROWS}, as they will be):"))
            if len(todo) > PREVIEW_ROWS:
                render.info(f"… and {len(todo) - PREVIEW_ROWS:,} more")
            try:
                ok = typer.confirm(f"Change {_plural(len(todo), 'brief')}?", default=False, err=True)
            except (typer.Abort, EOFError):  # no answer (stdin closed): not confirmed
                ok = None
            if not ok:
                render.info("Nothing changed." if ok is False else
                            "Nothing changed (not confirmed; pass --yes to change without asking).")
                raise typer.Exit(1)
        ids = [b.id for b, _ in todo]
    else:
        ids, errors = curate.resolve_ids(archive, id_args)
        for e in errors:
            render.error(e)
        failed_ids = len(errors)
        if not ids:
            raise typer.Exit(2)
        id_errors = errors
    changes = curate.tag_briefs(archive, ids, to_add, to_remove, dry_run=dry_run, lock_timeout=s.lock_timeout,
                                on_wait=on_wait)
    extra = [{"id": None, "status": "failed", "error": e} for e in id_errors]
    changed, unchanged, failed = _report(changes, dry_run=dry_run, as_json=as_json, extra=extra)
    _summary(changed, unchanged, failed + failed_ids, dry_run=dry_run)
    if failed or failed_ids:
        raise typer.Exit(1)


# -- edit ----------------------------------------------------------------------------------------
@app.command()
def edit(
    ctx: typer.Context,
    brief_id: str = typer.Argument(..., metavar="ID", help="The brief's id (a unique prefix is enough)."),
    title: Optional[str] = typer.Option(None, "--title", help="Set the title."),
    author: Optional[List[str]] = typer.Option(None, "--author", help="Set the authors (repeatable; replaces the list)."),
    add_author: Optional[List[str]] = typer.Option(None, "--add-author", help="Add an author (repeatable)."),
    date: Optional[str] = typer.Option(None, "--date", help="Set the date (2019-04-17, 'April 17, 2019', ...)."),
    type_: Optional[str] = typer.Option(None, "--type", help="Set the type, e.g. 'Policy Brief'."),
    org: Optional[str] = typer.Option(None, "--org", help="Set the organization (may end in '(ABBR)')."),
    source: Optional[str] = typer.Option(None, "--source", help="Set the source path."),
    clear: Optional[List[str]] = typer.Option(
        None, "--clear", metavar="FIELD",
        help="Empty a field: title, authors, date, tags, type, org or source (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would change; change nothing."),
    as_json: bool = typer.Option(False, "--json", help=CHANGE_JSON_HELP),
):
    """Edit a brief's metadata; without options, in $EDITOR as 'key: value' lines.

    The text and the id never change. Fields edited here are kept when the brief's text is
    later updated by 'brief add'. The editor is $VISUAL, else $EDITOR, else vi; saving the
    file unchanged, or emptying it, changes nothing.
    """
    from .. import curate, render

    s = settings(ctx)
    archive = s.open()
    bid = archive.resolve(brief_id)
    given = any(x is not None for x in (title, date, type_, org, source)) or author or add_author or clear
    if given:
        values = curate.edit_values(title=title, authors=author, add_authors=add_author or (), date=date,
                                    type=type_, organization=org, source=source, clear=clear or ())
    else:
        from ..editmeta import edit_in_editor

        outcome = edit_in_editor(archive.get(bid))
        if outcome.values is None:
            how = "the file was emptied" if outcome.reason == "emptied" else "the file was saved unchanged"
            render.info(f"Nothing changed ({how}).")
            return
        values = outcome.values
    c = curate.edit_brief(archive, bid, values, dry_run=dry_run, lock_timeout=s.lock_timeout, on_wait=on_wait)
    if c.status == "failed":
        raise BriefError(c.error or bid)
    if as_json:
        _report([c], dry_run=dry_run, as_json=True)
        return
    _change_line(c, "would change" if dry_run and c.status == "changed" else None)


# -- tags / authors / orgs -----------------------------------------------------------------------
def _counts_cmd(ctx: typer.Context, kind: str, sort: str, limit: int, as_json: bool, label: str) -> None:
    from .. import curate, render

    if sort.lower() not in ("count", "name"):
        raise UsageError(f"unknown --sort {sort!r} (choose count or name)")
    archive = settings(ctx).open()
    rows = curate.counts(archive, kind, sort=sort.lower())
    total = len(rows)
    if limit:
        rows = rows[:limit]
    if as_json:
        render.write_out(render.dumps([{"name": n, "count": c} for n, c in rows]) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    t.add_column("briefs", justify="right", style="cyan", no_wrap=True)
    t.add_column(label)
    for name, c in rows:
        t.add_row(Text(f"{c:,}"), Text(render.one_line(name)))
    head = _plural(total, label)
    if len(rows) < total:
        head += f" (showing {len(rows):,})"
    c = render.console()
    c.print(Text(head, style="bold"))
    if rows:
        c.print(t)


SortOpt = typer.Option("count", "--sort", "-s", help="count (most used first) or name.")
CountLimitOpt = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many (0: all).")
CountJsonOpt = typer.Option(False, "--json", help='JSON: [{"name": ..., "count": ...}].')


@app.command()
def tags(ctx: typer.Context, sort: str = SortOpt, limit: int = CountLimitOpt, as_json: bool = CountJsonOpt):
    """List every tag with its number of briefs, most used first."""
    _counts_cmd(ctx, "tag", sort, limit, as_json, "tag")


@app.command()
def authors(ctx: typer.Context, sort: str = SortOpt, limit: int = CountLimitOpt, as_json: bool = CountJsonOpt):
    """List every author with their number of briefs, most briefs first."""
    _counts_cmd(ctx, "author", sort, limit, as_json, "author")


@app.command()
def orgs(ctx: typer.Context, sort: str = SortOpt, limit: int = CountLimitOpt, as_json: bool = CountJsonOpt):
    """List every organization with its number of briefs, most briefs first."""
    _counts_cmd(ctx, "org", sort, limit, as_json, "organization")


# -- renames -------------------------------------------------------------------------------------
def _rename_cmd(ctx: typer.Context, kind: str, old: str, new: str, dry_run: bool, as_json: bool = False) -> None:
    from .. import curate, render

    s = settings(ctx)
    archive = s.open()
    r = curate.rename(archive, kind, old, new, dry_run=dry_run, lock_timeout=s.lock_timeout, on_wait=on_wait)
    changed, unchanged, failed = _report(r.changes, dry_run=dry_run, as_json=as_json)
    what = "tag" if kind == "tag" else "author"
    verb = "would rename" if dry_run else "renamed"
    msg = f"{verb.capitalize()} {what} {r.old!r} to {r.new!r} on {_plural(changed, 'brief')}"
    if r.existing:
        msg += (f"; merged into the existing {what} {r.new!r} (already on {_plural(r.existing, 'brief')}"
                f"{f', {r.both:,} of them had both' if r.both else ''})")
    if unchanged:
        msg += f"; {unchanged:,} already as asked"
    render.info(msg + ".")
    if failed:
        raise typer.Exit(1)


@app.command("rename-tag")
def rename_tag(
    ctx: typer.Context,
    old: str = typer.Argument(..., metavar="OLD", help="The tag to rename (any case)."),
    new: str = typer.Argument(..., metavar="NEW", help="Its new name, as it should be written."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would change; change nothing."),
    as_json: bool = typer.Option(False, "--json", help=CHANGE_JSON_HELP),
):
    """Rename a tag on every brief that has it (merging into NEW if that tag exists)."""
    _rename_cmd(ctx, "tag", old, new, dry_run, as_json)


@app.command("rename-author")
def rename_author(
    ctx: typer.Context,
    old: str = typer.Argument(..., metavar="OLD", help="The author's full name as stored (any case)."),
    new: str = typer.Argument(..., metavar="NEW", help="The new name, as it should be written."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show what would change; change nothing."),
    as_json: bool = typer.Option(False, "--json", help=CHANGE_JSON_HELP),
):
    """Rename an author on every brief by them (merging into NEW if that author exists)."""
    _rename_cmd(ctx, "author", old, new, dry_run, as_json)


# -- stats ---------------------------------------------------------------------------------------
def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@app.command()
def stats(
    ctx: typer.Context,
    top: int = typer.Option(10, "--top", min=0, help="How many tags, authors and organizations to show (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="The figures as one JSON object."),
):
    """What the archive holds: briefs, words, dates, briefs per year, top tags and authors, size."""
    from .. import curate, render

    archive = settings(ctx).open()
    st = curate.stats(archive, top=top)
    if as_json:
        render.write_out(render.dumps(st) + "\n")
        return
    from rich.table import Table  # only for people (JSON never imports rich)
    from rich.text import Text
    c = render.console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("archive", Text(render.one_line(st["archive"]) + f"  ({_size(st['size_bytes'])} on disk)"))
    grid.add_row("briefs", Text(f"{st['briefs']:,}"))
    grid.add_row("words", Text(f"{st['words']:,}"))
    if st["first_date"]:
        dates = f"{st['first_date']} – {st['last_date']}"
        if st["undated"]:
            dates += f"  ({st['undated']:,} undated)"
    else:
        dates = "none dated" if st["briefs"] else "—"
    grid.add_row("dates", Text(dates))
    grid.add_row("tags", Text(f"{st['tags']:,}"))
    grid.add_row("authors", Text(f"{st['authors']:,}"))
    grid.add_row("organizations", Text(f"{st['organizations']:,}"))
    c.print(grid)
    unit, rows = curate.year_rows(st["per_year"])
    if rows:
        from .. import trend

        c.print(Text(f"\nBriefs per {unit}", style="bold"))
        for line in trend.chart([label for label, _ in rows], {"": [float(n) for _, n in rows]},
                                width=min(c.width, 100)):
            c.print(Text(line), soft_wrap=True)
    for key, title in (("top_tags", "Top tags"), ("top_authors", "Top authors"),
                       ("top_organizations", "Top organizations")):
        if st[key]:
            t = Table(show_header=False, box=None, pad_edge=False)
            t.add_column(justify="right", style="cyan", no_wrap=True)
            t.add_column()
            for row in st[key]:
                t.add_row(Text(f"{row['count']:,}"), Text(render.one_line(row["name"])))
            c.print(Text("\n" + title, style="bold"))
            c.print(t)


# -- remove ------------------------------------------------------------------------------------
@app.command()
def remove(
    ctx: typer.Context,
    ids: List[str] = typer.Argument(..., metavar="ID...", help="Brief ids (a unique prefix is enough)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help='JSON: [{"id", "status": "removed", "title", "old": '
                                                      'the record, "new": null}].'),
):
    """Remove briefs from the archive (asks first unless --yes).

    As with `tag`, an unknown or ambiguous id is reported in one line and the other briefs are
    still removed (exit status 1). Without a terminal to ask on, nothing is removed unless --yes.
    """
    from .. import render
    from ..curate import remove_briefs, removed_json, resolve_ids

    s = settings(ctx)
    archive = s.open()
    # As `tag` does: an unknown or ambiguous id is one error line; the good ones are still removed.
    found, errors = resolve_ids(archive, ids)
    for e in errors:
        render.error(e)
    if not found:
        raise typer.Exit(2)
    briefs = archive.get_many(found)
    if not yes:
        render.list_table(briefs, header=f"About to remove {len(briefs)} brief{'s' if len(briefs) != 1 else ''}:")
        try:
            ok = typer.confirm("Remove them?", default=False, err=True)
        except (typer.Abort, EOFError):  # no terminal to answer on (stdin closed): not confirmed
            ok = None
        if not ok:
            render.info("Nothing removed." if ok is False else
                        "not confirmed; nothing removed (pass --yes to remove without asking)")
            raise typer.Exit(1)
    removed = remove_briefs(archive, [b.id for b in briefs], lock_timeout=s.lock_timeout, on_wait=on_wait)
    if as_json:
        rows = [removed_json(b) for b in removed] + [{"id": None, "status": "failed", "error": e} for e in errors]
        render.write_out(render.dumps(rows) + "\n")
    else:
        for b in removed:
            render.write_out(f"removed  {b.id}  {render.one_line(b.title)}\n")
    if errors:
        raise typer.Exit(1)
