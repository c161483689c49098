"""User query syntax and filters -> Whoosh queries.

Words search the title and the body (title weighted above body, English stemming).
Several words mean all of them; ``Parsed.fallback`` is the any-of-them query that
search falls back to when no brief has all of them. Quoted phrases work.

Dates and periods: a bare year or month is the whole period (``2019`` is all of 2019),
so ``--since 2019 --until 2019`` is the year 2019.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field

from whoosh import query as Q

from .models import UsageError, norm_tag

TEXT_FIELDS = ("title", "body")


@dataclass
class Parsed:
    query: Q.Query
    fallback: Q.Query | None = None  # any-word query, used when nothing has all the words
    words: list[str] = field(default_factory=list)  # the plain words the user typed (for suggestions)


def _parser(group):
    from whoosh import qparser
    from .archive import make_schema

    p = qparser.MultifieldParser(list(TEXT_FIELDS), make_schema(), group=group)
    p.remove_plugin_class(qparser.FieldsPlugin)  # field syntax is query.py's own business
    p.remove_plugin_class(qparser.WildcardPlugin)
    return p


def parse(text: str) -> Parsed:
    """Parse the user's free-text query."""
    from whoosh import qparser

    text = text.strip()
    if not text:
        return Parsed(Q.Every())
    if text.count('"') % 2:
        raise UsageError(f'unbalanced quote in query {text!r}: add the closing "')
    words = [w.lower() for w in re.findall(r"\w+", text)]
    q = _parser(qparser.AndGroup).parse(text)
    fb = None
    if len(words) > 1:
        fb = _parser(qparser.OrGroup.factory(0.9)).parse(text)
    return Parsed(q, fb, words)


# -- periods --------------------------------------------------------------------------------
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_period(value: str) -> tuple[_dt.date, _dt.date]:
    """A date or period -> (first day, day after the last day).

    ``2019`` -> the year, ``2019-04`` -> the month, ``2019-04-17`` -> the day; anything
    else python-dateutil understands (``April 17, 2019``) is the day it names.
    """
    v = value.strip()
    m = _PERIOD.match(v)
    try:
        if m:
            y = int(m.group(1))
            if m.group(3):
                d = _dt.date(y, int(m.group(2)), int(m.group(3)))
                return d, d + _dt.timedelta(days=1)
            if m.group(2):
                mo = int(m.group(2))
                start = _dt.date(y, mo, 1)
                return start, start + _dt.timedelta(days=calendar.monthrange(y, mo)[1])
            return _dt.date(y, 1, 1), _dt.date(y + 1, 1, 1)
        d = parse_date_option(v)
        return d, d + _dt.timedelta(days=1)
    except ValueError:
        raise UsageError(f"impossible date {value!r}") from None


def parse_date_option(value: str) -> _dt.date:
    """A single day given by the user (``--date``): anything python-dateutil parses."""
    from dateutil import parser as dparser

    v = value.strip()
    if not v:
        raise UsageError("empty date")
    try:
        dt = dparser.parse(v, default=_dt.datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        raise UsageError(f"cannot read {value!r} as a date (try YYYY-MM-DD)") from None
    return dt.date()


def date_range(since: str | None, until: str | None) -> Q.Query | None:
    if not since and not until:
        return None
    start = parse_period(since)[0] if since else None
    end = parse_period(until)[1] if until else None
    if start and end and start >= end:
        raise UsageError(f"--since {since} is after --until {until}")
    return Q.DateRange(
        "date",
        _dt.datetime(start.year, start.month, start.day) if start else None,
        _dt.datetime(end.year, end.month, end.day) - _dt.timedelta(microseconds=1) if end else None,
    )


def _words(value: str) -> list[str]:
    return re.findall(r"\w+", value.lower())


def filters(*, tags=(), author: str | None = None, since: str | None = None, until: str | None = None,
            type: str | None = None, org: str | None = None) -> Q.Query | None:
    """The option filters, combined with AND. None when there are none."""
    parts: list[Q.Query] = []
    for t in tags or ():
        if not norm_tag(t):
            raise UsageError("empty --tag")
        parts.append(Q.Term("tag", norm_tag(t)))
    if author:
        ws = _words(author)
        if not ws:
            raise UsageError(f"--author {author!r} has no letters to match")
        parts.append(Q.And([Q.Term("author", w) for w in ws]))
    if type:
        parts.append(Q.Term("type", " ".join(type.split()).lower()))
    if org:
        ws = _words(org)
        if not ws:
            raise UsageError(f"--org {org!r} has no letters to match")
        parts.append(Q.And([Q.Term("org", w) for w in ws]))
    dr = date_range(since, until)
    if dr is not None:
        parts.append(dr)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)
