"""`brief trend`: matching briefs per year, quarter or month, as a terminal chart or JSON."""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import AuthorOpt, OrgOpt, SinceOpt, TagOpt, TypeOpt, UntilOpt, complete_query, settings


@app.command()
def trend(
    ctx: typer.Context,
    queries: List[str] = typer.Argument(..., metavar="QUERY...", autocompletion=complete_query,
                                        help="One or more queries (search syntax; '' = every brief; @NAME = a saved search)."),
    by: str = typer.Option("year", "--by", "-b", help="year, quarter or month."),
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    per_cent: bool = typer.Option(False, "--per-cent", "--percent",
                                  help="The share of all briefs of each period (that pass the filters), in %."),
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    as_json: bool = typer.Option(False, "--json",
                                 help='JSON: [{"period": "2019", "query": ..., "count": n, "total": m}, ...].'),
):
    """How many briefs match each QUERY per year, quarter or month: a chart, queries side by side.

    A brief counts when it has all the words of the query (as 'brief list --query'). Every
    period from --since (else the first dated brief) to --until (else the last) is shown,
    empty ones too; undated briefs cannot be placed and are counted apart. More than 60
    periods are drawn as one sparkline per query.
    """
    from .. import render
    from .. import trend as T
    from ..saved import expand_query

    s = settings(ctx)
    by = T.check_by(by)
    archive = s.open()
    expanded = [expand_query(archive, q) for q in queries]
    t = T.trend(archive, [q for q, _ in expanded], by=by, since=since, until=until, tags=tag or (),
                author=author, type=type_, org=org)
    labels = {q: orig for (q, _), orig in zip(expanded, queries)}
    if as_json:
        rows = t.rows()
        for r in rows:
            r["query"] = labels.get(r["query"], r["query"])
        render.write_out(render.dumps(rows) + "\n")
        return
    c = render.console()
    if not t.periods:
        render.info("No dated brief matches the filters; nothing to chart.")
        return
    unit = {"year": "year", "quarter": "quarter", "month": "month"}[by]
    what = "share of briefs" if per_cent else "briefs"
    span = t.periods[0].label if len(t.periods) == 1 else f"{t.periods[0].label} – {t.periods[-1].label}"
    c.print(render.one_line(f"{what.capitalize()} per {unit} matching "
                            + " vs ".join(f'"{labels[q]}"' if q.strip() else "(every brief)" for q in t.queries)
                            + f", {span}"), style="bold", soft_wrap=True, markup=False)
    series = {render.one_line(labels[q]): T.values(t, q, per_cent) for q in t.queries}
    from rich.text import Text

    for line in T.chart([p.label for p in t.periods], series, width=max(40, c.width), per_cent=per_cent):
        c.print(Text(line), soft_wrap=True)
    for q in t.queries:
        if t.undated.get(q):
            render.info(f'{t.undated[q]:,} undated brief{"s" if t.undated[q] != 1 else ""} matching '
                        f'"{labels[q]}" left out (no date to place them by)')
