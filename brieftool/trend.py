"""Trends: how many briefs match a query per year, quarter or month, and a terminal chart of it.

Counting goes through the search API (``search.list_briefs``: the briefs with *all* the words of
the query, as ``brief list --query`` counts them), one count per period with the period as a
date filter, so it works on any engine. Periods of a year in which no brief matches are not
asked about: a year's count comes first (one search for all years, through the year facet),
and a quarter or month is counted only inside a year, and a month only inside a quarter, that
has matches.

The periods run from ``since`` (else the first dated brief that the filters let through) to
``until`` (else the last), every period in between shown, empty ones included; undated briefs
cannot be placed and are counted apart. ``total`` is the number of briefs of the period that
pass the filters, whatever the query: the base of ``--per-cent``.
"""

from __future__ import annotations

import calendar
import math
import datetime as _dt
from dataclasses import dataclass, field

from .models import UsageError

BY = ("year", "quarter", "month")


@dataclass(frozen=True)
class Period:
    label: str  # 2019, 2019-Q2, 2019-04
    start: _dt.date
    end: _dt.date  # the last day, included


@dataclass
class Trend:
    by: str
    queries: list[str]
    periods: list[Period]
    counts: dict[str, list[int]]  # query -> one count per period
    totals: list[int]  # briefs of each period passing the filters
    undated: dict[str, int] = field(default_factory=dict)  # query -> matching briefs without a date

    def rows(self) -> list[dict]:
        """The JSON form: one object per period and query, periods in order."""
        return [{"period": p.label, "query": q, "count": self.counts[q][i], "total": self.totals[i]}
                for i, p in enumerate(self.periods) for q in self.queries]


def check_by(by: str) -> str:
    b = (by or "").strip().lower()
    b = {"years": "year", "quarters": "quarter", "months": "month", "q": "quarter", "y": "year",
         "m": "month"}.get(b, b)
    if b not in BY:
        raise UsageError(f"unknown --by {by!r} (choose year, quarter or month)")
    return b


def _quarter(d: _dt.date) -> int:
    return (d.month - 1) // 3 + 1


def period_of(d: _dt.date, by: str) -> Period:
    if by == "year":
        return Period(str(d.year), _dt.date(d.year, 1, 1), _dt.date(d.year, 12, 31))
    if by == "quarter":
        q = _quarter(d)
        start = _dt.date(d.year, 3 * q - 2, 1)
        end_month = 3 * q
        return Period(f"{d.year}-Q{q}", start, _dt.date(d.year, end_month, calendar.monthrange(d.year, end_month)[1]))
    return Period(f"{d.year}-{d.month:02d}", _dt.date(d.year, d.month, 1),
                  _dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]))


def periods_between(first: _dt.date, last: _dt.date, by: str) -> list[Period]:
    """Every period from the one holding ``first`` to the one holding ``last``."""
    out = []
    p = period_of(first, by)
    while p.start <= last:
        out.append(p)
        if p.end >= _dt.date.max - _dt.timedelta(days=1):
            break
        p = period_of(p.end + _dt.timedelta(days=1), by)
    return out


class Counter:
    """Counts of briefs matching a query and the filters, between two days (through the search API)."""

    def __init__(self, archive, flt_args: dict):
        self.archive = archive
        self.flt_args = dict(flt_args)

    def _flt(self, start: _dt.date | None = None, end: _dt.date | None = None):
        from .query import filters

        return filters(**{**self.flt_args, "since": start.isoformat() if start else self.flt_args.get("since"),
                          "until": end.isoformat() if end else self.flt_args.get("until")})

    def count(self, parsed, start: _dt.date, end: _dt.date) -> int:
        from .search import list_briefs

        return list_briefs(self.archive, flt=self._flt(start, end), query=parsed, limit=1).total

    def years(self, parsed) -> tuple[dict[int, int], int]:
        """({year: count}, total) of the briefs matching, over the whole filtered span (one search)."""
        from .search import list_briefs

        res = list_briefs(self.archive, flt=self._flt(), query=parsed, limit=1, facets=True)
        return {int(y): n for y, n in res.facets.get("years", [])}, res.total

    def span(self) -> tuple[_dt.date | None, _dt.date | None]:
        """The first and last date of the briefs passing the filters."""
        from .search import list_briefs

        newest = list_briefs(self.archive, flt=self._flt(), sort="date", limit=1).hits
        oldest = list_briefs(self.archive, flt=self._flt(), sort="date", reverse=True, limit=1).hits
        first = oldest[0].brief.date if oldest else None
        last = newest[0].brief.date if newest else None
        return first, last


def _counts(counter: Counter, parsed, periods: list[Period], by: str) -> tuple[list[int], int]:
    """One count per period (pruning years, then quarters, without matches) and the undated count."""
    per_year, total = counter.years(parsed)
    undated = total - sum(per_year.values())
    out = []
    quarter_cache: dict[tuple[int, int], int] = {}
    for p in periods:
        y = p.start.year
        if not per_year.get(y):
            out.append(0)
            continue
        if by == "year":
            # the facet counts the whole year; a period cut by --since/--until is counted itself
            whole = p.start.month == 1 and p.start.day == 1 and p.end.month == 12 and p.end.day == 31
            out.append(per_year[y] if whole else counter.count(parsed, p.start, p.end))
            continue
        if by == "month":
            q = _quarter(p.start)
            if (y, q) not in quarter_cache:
                qp = period_of(p.start, "quarter")
                quarter_cache[(y, q)] = counter.count(parsed, max(qp.start, periods[0].start),
                                                      min(qp.end, periods[-1].end))
            if not quarter_cache[(y, q)]:
                out.append(0)
                continue
        out.append(counter.count(parsed, p.start, p.end))
    return out, undated


def trend(archive, queries: list[str], *, by: str = "year", since: str | None = None, until: str | None = None,
          tags=(), author: str | None = None, type: str | None = None, org: str | None = None) -> Trend:
    """Count the briefs matching each query per period (see the module docstring)."""
    from .query import parse, period

    by = check_by(by)
    if not queries:
        raise UsageError("no query given: brief trend QUERY... ('' counts every brief)")
    parsed = {q: (parse(q) if q.strip() else None) for q in queries}  # bad queries fail before any counting
    flt_args = {"tags": tuple(tags or ()), "author": author, "since": since, "until": until, "type": type, "org": org}
    counter = Counter(archive, flt_args)
    first = period(since)[0] if since else None
    last = period(until)[1] if until else None
    if first and last and first > last:
        raise UsageError(f"--since {since} is after --until {until}")
    if first is None or last is None:
        f, l_ = counter.span()
        first = first or f
        last = last or l_
    if first is None or last is None or first > last:
        return Trend(by, list(queries), [], {q: [] for q in queries}, [], {})
    periods = periods_between(first, last, by)
    # the first and last period are cut to --since/--until when those fall inside them
    periods[0] = Period(periods[0].label, max(periods[0].start, first), periods[0].end)
    periods[-1] = Period(periods[-1].label, periods[-1].start, min(periods[-1].end, last))
    counts, undated = {}, {}
    for q in queries:
        counts[q], undated[q] = _counts(counter, parsed[q], periods, by)
    if all(not q.strip() for q in queries):
        totals = list(counts[queries[0]])
    else:
        totals, _ = _counts(counter, None, periods, by)
    return Trend(by, list(queries), periods, counts, totals, undated)


# -- the chart -------------------------------------------------------------------------------------
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
SPARKS = "▁▂▃▄▅▆▇█"
MAX_BAR_ROWS = 60  # more periods than this: one sparkline per query instead of a bar per period


def bar(value: float, top: float, width: int) -> str:
    """A bar of ``width`` cells at most, in eighths of a cell; a non-zero value shows at least ▏."""
    if value <= 0 or top <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    return "█" * (eighths // 8) + EIGHTHS[eighths % 8]


def _fmt_value(v: float, per_cent: bool) -> str:
    if per_cent:
        return "0%" if v == 0 else (f"{v:.1f}%" if v < 10 else f"{v:.0f}%")
    return f"{int(v):,}"


def values(t: Trend, q: str, per_cent: bool) -> list[float]:
    if not per_cent:
        return [float(n) for n in t.counts[q]]
    return [100.0 * n / tot if tot else 0.0 for n, tot in zip(t.counts[q], t.totals)]


def chart(labels: list[str], series: dict[str, list[float]], *, width: int = 80, per_cent: bool = False,
          max_rows: int = MAX_BAR_ROWS) -> list[str]:
    """Lines of a chart: one row per period with a bar for each series side by side (one scale for
    all, so bars compare), a scale line at the foot; past ``max_rows`` periods, one sparkline per
    series with the first and last period under it."""
    if not labels:
        return []
    names = list(series)
    top = max((v for vs in series.values() for v in vs), default=0.0)
    if len(labels) > max_rows:
        return sparklines(labels, series, width=width, per_cent=per_cent)
    lw = max(len(x) for x in labels)
    vw = max(len(_fmt_value(v, per_cent)) for vs in series.values() for v in vs)
    cols = len(names)
    # each column: │bar value  ; label + 1 space, then per column: 1 (axis) + bar + 1 + value + 2 gap
    room = width - lw - 1 - cols * (1 + 1 + vw + 2)
    bw = max(4, room // cols)
    lines = []
    if cols > 1 or names != [""]:
        head = " " * (lw + 1)
        for n in names:
            title = _short(n or "(all briefs)", bw + vw + 2)
            head += " " + title.ljust(bw + 1 + vw) + "  "
        lines.append(head.rstrip())
    for i, lab in enumerate(labels):
        row = lab.rjust(lw) + " "
        for n in names:
            v = series[n][i]
            row += "│" + bar(v, top, bw).ljust(bw) + " " + _fmt_value(v, per_cent).rjust(vw) + "  "
        lines.append(row.rstrip())
    foot = " " * (lw + 1)
    scale = " " * (lw + 1)
    for _ in names:
        foot += "└" + "─" * bw + " " * (vw + 3)
        lo, hi = _fmt_value(0, per_cent), _fmt_value(top, per_cent)
        scale += (lo + hi.rjust(bw + 1 - len(lo))).ljust(bw + 1 + vw + 2)
    lines.append(foot.rstrip())
    lines.append(scale.rstrip())
    return lines


def _short(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: max(1, n - 1)] + "…"


def sparklines(labels: list[str], series: dict[str, list[float]], *, width: int = 80,
               per_cent: bool = False) -> list[str]:
    """One line of ▁▂▃▄▅▆▇█ per series (a blank cell: nothing matched), wrapped to ``width``, with
    the period each line starts at and the series' highest value."""
    top = max((v for vs in series.values() for v in vs), default=0.0)
    lw = max(len(x) for x in labels)
    room = max(10, width - lw - 3)
    lines = []
    for name, vs in series.items():
        peak = max(vs, default=0.0)
        peak_at = labels[vs.index(peak)] if vs else ""
        lines.append(f"{name or '(all briefs)'}  (highest {_fmt_value(peak, per_cent)} in {peak_at}; "
                     f"one cell per period)")
        cells = "".join(" " if v <= 0 or top <= 0 else SPARKS[min(7, max(0, math.ceil(v / top * 8) - 1))]
                        for v in vs)
        for i in range(0, len(cells), room):
            lines.append(labels[i].rjust(lw) + " │" + cells[i:i + room])
        lines.append(" " * lw + "   " + f"… to {labels[-1]}")
    return lines
