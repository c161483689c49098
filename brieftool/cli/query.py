"""`brief similar`, and the output shared by `search`, `list` and `similar`: the header line,
notes on stderr (fallback, "did you mean"), facets, and the scripting formats.

Machine formats stay one shape per invocation: without ``--facets``, ``json`` is an array of
records, ``jsonl`` one record a line, ``csv`` one row a record, ``ids`` one id a line. With
``--facets`` the machine formats print only the facet counts: ``json`` one object
``{"total": N, "facets": {"tags": [{"value": ..., "count": ...}], "authors": [...],
"organizations": [...], "years": [...]}}``, ``jsonl`` one ``{"facet", "value", "count"}`` object a
line, ``csv`` rows ``facet,value,count``; ``ids`` has no facet form (usage error).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import (AuthorOpt, FacetsOpt, FormatOpt, JsonOpt, ModeOpt, OffsetOpt, OrgOpt, PageOpt, ReverseOpt,
                      SinceOpt, TagOpt, TypeOpt, UntilOpt, QueryOpt, QueryFileOpt, complete_query, expand_saved,
                      filters, output_format, query_text, search_mode, settings)
from ..models import UsageError

FACETS_SHOWN = 10  # values of each facet shown in the table


def check_facets(fmt: str, facets: bool) -> None:
    if facets and fmt == "ids":
        raise UsageError("--facets has no ids form; use --format json, jsonl, csv or table")


def _plural(n: int, word: str = "brief") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _showing(res, offset: int) -> str:
    if res.hits and (offset or len(res.hits) < res.total):
        return f" (showing {offset + 1}–{offset + len(res.hits)})"
    return ""


def header(res, kind: str, offset: int) -> str:
    """The first line of a table: how many briefs matched in all, and which are shown."""
    from ..render import one_line

    if kind == "list":
        return _plural(res.total) + _showing(res, offset)
    if kind == "similar":
        src = res.source
        title = one_line(src.title) if src is not None else ""
        return f"{_plural(res.total)} like {src.id if src else ''} ({title})" + _showing(res, offset)
    if getattr(res, "only_stop_words", False):
        return "Nothing to look for: the query has only stop words"
    head = f"{_plural(res.total)} match"
    if res.all_words is not None:
        head += f", {res.all_words} with all the words"
    return head + _showing(res, offset)


def notes(res, query: str | None) -> None:
    """Lines for people on stderr: a query of stop words only, the any-word fallback, a better
    spelling."""
    from .. import render

    if getattr(res, "only_stop_words", False) and query is not None:
        render.warn(stop_words_line(query))
        return
    if res.fallback:
        render.info("No brief has all of these words; showing briefs with any of them.")
    if res.suggestion and query is not None:
        strict = res.all_words if res.all_words is not None else (0 if res.fallback else res.total)
        if strict == 0 and res.total == 0:
            render.warn(f'no match for "{query.strip()}"; did you mean "{res.suggestion}"?')
        elif strict == 0:
            render.warn(f'no brief has all the words of "{query.strip()}"; did you mean "{res.suggestion}" '
                        f"({_plural(res.suggestion_total)})?")
        else:
            render.warn(f'only {_plural(strict)} match "{query.strip()}"; did you mean "{res.suggestion}" '
                        f"({_plural(res.suggestion_total)})?")


def stop_words_line(query: str) -> str:
    return (f'"{query.strip()}" has only stop words (the, of, and…), which are not indexed: '
            "add a word that says what to look for")


def facets_json(res) -> dict:
    return {"total": res.total,
            "facets": {k: [{"value": v, "count": n} for v, n in res.facets.get(k, [])] for k in
                       ("tags", "authors", "organizations", "years")}}


def emit_facets(res, fmt: str) -> None:
    from .. import render

    data = facets_json(res)
    if fmt == "json":
        render.write_out(render.dumps(data) + "\n")
    elif fmt == "jsonl":
        render.write_out("".join(render.dumps_line({"facet": k, **x}) + "\n"
                                 for k, xs in data["facets"].items() for x in xs))
    elif fmt == "csv":
        render.write_csv(["facet", "value", "count"],
                         ([k, x["value"], x["count"]] for k, xs in data["facets"].items() for x in xs))


def facets_table(res) -> None:
    """The facet counts under a table of hits: one line per facet, most frequent first."""
    from rich.table import Table
    from rich.text import Text

    from ..render import console, one_line

    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    for name in ("tags", "authors", "organizations", "years"):
        values = res.facets.get(name, [])
        cell = Text()
        for i, (v, n) in enumerate(values[:FACETS_SHOWN]):
            if i:
                cell.append(" · ", style="dim")
            cell.append(one_line(v))
            cell.append(f" {n}", style="cyan")
        if len(values) > FACETS_SHOWN:
            cell.append(f"  (+{len(values) - FACETS_SHOWN} more)", style="dim")
        if not values:
            cell.append("—", style="dim")
        t.add_row(name, cell)
    c = console()
    c.print(Text(f"\nFacets over all {_plural(res.total, 'matching brief')}:", style="bold"))
    c.print(t)


def past_the_end(res, offset: int, limit: int | None) -> str | None:
    """The line saying which page is the last, when --page/--offset went past the end."""
    if res.hits or not offset or offset < res.total:
        return None
    if limit:
        last = max(1, -(-res.total // limit))
        return (f"page {offset // limit + 1} is past the end: the last page is {last} "
                f"({_plural(res.total)}, {limit} a page)")
    return f"--offset {offset} is past the end: {_plural(res.total)} in all"


def emit_results(res, fmt: str, *, kind: str, offset: int = 0, facets: bool = False,
                 query: str | None = None, wide: bool = False, limit: int | None = None) -> None:
    """Print a page of results (search, list or similar) in the chosen format."""
    from .. import render

    notes(res, query)
    late = past_the_end(res, offset, limit)
    if late:
        render.warn(late)
    if facets and fmt != "table":
        emit_facets(res, fmt)
        return
    rows = [h.to_json() for h in res.hits] if kind != "list" else [h.brief.to_json() for h in res.hits]

    def table():
        if kind == "list":
            render.list_table([h.brief for h in res.hits], header=header(res, kind, offset), wide=wide)
        else:
            render.search_table(res.hits, header=header(res, kind, offset))
        if facets:
            facets_table(res)

    render.emit_records(rows, fmt, table=table)


# -- similar -------------------------------------------------------------------------------------
@app.command()
def similar(
    ctx: typer.Context,
    brief_id: str = typer.Argument(..., metavar="ID", help="The brief (a unique prefix of its id is enough)."),
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    sort: str = typer.Option("relevance", "--sort", "-s",
                             help="relevance (most alike first), date (newest first), title or added."),
    reverse: bool = ReverseOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=0, help="How many to show (0: all that share a key term)."),
    offset: int = OffsetOpt,
    page: Optional[int] = PageOpt,
    facets: bool = FacetsOpt,
    fmt: Optional[str] = FormatOpt,
    as_json: bool = JsonOpt,
    mode: Optional[str] = ModeOpt,
):
    """List the briefs most like brief ID (by its key terms), the brief itself left out.

    With vectors ('brief embed'), hybrid mode fuses the key terms with the brief's meaning."""
    from ..search import page_window
    from ..search import similar as do_similar

    fmt = output_format(fmt, as_json)
    check_facets(fmt, facets)
    limit, offset = page_window(limit, offset, page)
    flt = filters(tag, author, since, until, type_, org)
    archive = settings(ctx).open()
    res = do_similar(archive, brief_id, flt=flt, sort=sort, reverse=reverse, limit=limit, offset=offset,
                     snippets=fmt in ("table", "json", "jsonl", "csv"), facets=facets,
                     mode=search_mode(archive, mode))
    emit_results(res, fmt, kind="similar", offset=offset, facets=facets, limit=limit)


# -- search ------------------------------------------------------------------------------------
@app.command()
def search(
    ctx: typer.Context,
    words: Optional[List[str]] = typer.Argument(None, metavar="QUERY...",
                                                help="What to find: every word is part of the query (syntax below).",
                                                autocompletion=complete_query),
    query_file: Optional[str] = QueryFileOpt,
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
    mode: Optional[str] = ModeOpt,
):
    """Search the archive, best matches first, with highlighted snippets.

    All the words on the command line are the query, no quotes needed (brief search north
    korea). Several words mean all of them; when no brief has them all, briefs with any of them
    are ranked instead. A question of four or more words lists the briefs with all of them
    first, then those with some. The options filter too (combined with AND).

    With vectors ('brief embed'), the default mode is hybrid: up to three words find the same
    briefs, ordered by words and meaning; a longer question also finds briefs that say it in
    other words (reciprocal rank fusion of both rankings). --mode semantic: meaning only.

    \b
    QUERY syntax (case and accents do not matter: regime finds régime):
      sanctions relief        words in the title or text (stemmed: sanction = sanctions)
      "maximum pressure"      a phrase
      tag:"north korea"  author:ha  title:kim  type:"policy brief"  org:fdd  body:word  id:tre8
      date:2019  date:2019-04  date:2019-04-17  date:2019..2020  date:2019-03..  date:..2019-06
      date:none  author:none  org:none  type:none  tag:none   (briefs without that field)
      iran OR venezuela   sanctions AND relief   NOT draft   -draft   -tag:draft   (a OR b) c
      sanct*  (prefix)    sanctons~  (near spellings; ~2: up to two edits)
      brief search -- -draft sanctions      (-- before a query that starts with -)
      brief search --query-file q.txt       (or - for standard input)
    """
    from ..query import parse
    from ..search import page_window
    from ..search import search as do_search

    fmt = output_format(fmt, as_json)
    check_facets(fmt, facets)
    limit, offset = page_window(limit, offset, page)
    query = query_text(words, query_file)
    if query is None or not query.strip():
        raise UsageError("search needs a query: brief search WORDS (or --query-file FILE)")
    parsed = parse(expand_saved(ctx, query))  # a malformed query is a usage error, before the archive is opened
    flt = filters(tag, author, since, until, type_, org)
    archive = settings(ctx).open()
    res = do_search(archive, parsed, flt=flt, sort=sort, reverse=reverse, limit=limit, offset=offset,
                    snippets=fmt in ("table", "json", "jsonl", "csv"), facets=facets,
                    mode=search_mode(archive, mode))
    emit_results(res, fmt, kind="search", offset=offset, facets=facets, query=query, limit=limit)


# -- list --------------------------------------------------------------------------------------
@app.command("list")
def list_cmd(
    ctx: typer.Context,
    query: Optional[str] = QueryOpt,
    query_file: Optional[str] = QueryFileOpt,
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    undated: bool = typer.Option(False, "--undated", help="Only briefs without a date (the same as date:none)."),
    wide: bool = typer.Option(False, "--wide", "-w", help="Every column (title, authors, tags), wrapped, instead "
                                                          "of one line per brief."),
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
    from ..query import parse
    from ..search import list_briefs, page_window

    fmt = output_format(fmt, as_json)
    check_facets(fmt, facets)
    if sort.lower() not in ("date", "title", "added"):
        raise UsageError(f"unknown --sort {sort!r} for list (choose date, title or added)")
    limit, offset = page_window(limit, offset, page)
    if query is not None and query_file is not None:
        raise UsageError("give --query or --query-file, not both")
    if query_file is not None:
        query = query_text(None, query_file)
    if query is not None:
        query = expand_saved(ctx, query)
    if undated:
        query = f"({query}) date:none" if query and query.strip() else "date:none"
    parsed = parse(query) if query is not None else None
    flt = filters(tag, author, since, until, type_, org)
    archive = settings(ctx).open()
    res = list_briefs(archive, flt=flt, sort=sort.lower(), reverse=reverse, limit=limit, offset=offset,
                      query=parsed, facets=facets)
    emit_results(res, fmt, kind="list", offset=offset, facets=facets, wide=wide, limit=limit)


# -- show --------------------------------------------------------------------------------------
@app.command()
def show(
    ctx: typer.Context,
    ids: List[str] = typer.Argument(..., metavar="ID...", help="Brief ids (a unique prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="The record with its text as JSON (a list for several ids)."),
    pager: Optional[bool] = typer.Option(None, "--pager/--no-pager",
                                         help="Page always / never (default: page a brief longer than the "
                                              "terminal; pager: $BRIEF_PAGER, $PAGER, else less)."),
    raw: bool = typer.Option(False, "--raw", help="The text exactly as stored (no reflowing, no Markdown)."),
):
    """Show a brief's metadata and full text.

    Hard-wrapped paragraphs are joined so the terminal wraps them at its width, and Markdown
    briefs are shown as Markdown; --raw shows the text as stored."""
    from .. import render

    archive = settings(ctx).open()
    briefs = archive.get_many(ids)
    if as_json:
        rows = [b.to_json(text=True) for b in briefs]
        render.write_out(render.dumps(rows[0] if len(rows) == 1 else rows) + "\n")
        return
    for b in briefs:
        render.show(b, pager=pager if pager is not None else (None if len(briefs) == 1 else False), raw=raw)
