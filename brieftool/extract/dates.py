"""Dates: the strict grammar of the dates a brief's metadata gives (``parse_date``)."""

from __future__ import annotations

import datetime as _dt
import re

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR = r"[0-9]{4}"
_WEEKDAY = (r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?")
_NAMED_DATE = re.compile(
    rf"""{_WEEKDAY}(?:
          (?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY}),?\s+(?P<y1>{_YEAR})     # April 17, 2019
        | (?P<d2>{_DAY})\s+(?P<m2>{_MONTH})\.?,?\s+(?P<y2>{_YEAR})     # 17 April 2019
        | (?P<m3>{_MONTH})\.?,?\s+(?P<y3>{_YEAR})                       # April 2019, Apr. 2019
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# 2019-04-17, optionally with a time as front matter often has (2019-04-17T10:00:00Z).
_ISO_DATE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_ORDINAL = re.compile(r"(?<=[0-9])(?:st|nd|rd|th)\b", re.IGNORECASE)


def parse_date(s: str) -> _dt.date | None:
    """The date a brief's metadata gives, or None when ``s`` is not confidently a date.

    Accepted (the whole string, surrounding whitespace ignored, month names in any case,
    full or abbreviated with an optional period, an optional leading weekday):
    ``April 17, 2019``, ``Apr. 17 2019``, ``17 April 2019``, ``April 2019`` and
    ``Apr. 2019`` (the first of the month), ``2019-04-17`` (optionally followed by a
    time). Anything else -- a bare year, ``04/17/2019`` (day/month order unknown), a
    number, a sentence containing a date -- is None, as is an impossible date
    (``2019-13-45``, ``April 31, 2019``). The strict pattern decides; python-dateutil
    then only converts (never fuzzily).
    """
    s = " ".join(str(s).split())
    if not s or len(s) > 60:
        return None
    iso = _ISO_DATE.fullmatch(s)
    if iso:
        year, text = iso["y"], s
    else:
        m = _NAMED_DATE.fullmatch(s)
        if not m:
            return None
        year = m["y1"] or m["y2"] or m["y3"]
        month = (m["m1"] or m["m2"] or m["m3"])
        day = _ORDINAL.sub("", m["d1"] or m["d2"] or "1")
        text = f"{month} {day} {year}"
    from dateutil import parser  # lazy: dateutil costs a few ms to import

    try:
        parsed = parser.parse(text, default=_dt.datetime(int(year), 1, 1), fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if parsed.year != int(year):
        return None
    return parsed.date()

