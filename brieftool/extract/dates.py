"""Dates: the strict grammar of the dates a brief's metadata gives.

``parse_date(s)`` takes a whole string that is only a date; ``search_date(s)`` finds the
first date-shaped part of a metadata line (``Updated April 20, 2026 (IF10753)``). Neither
ever reads a bare number: ``2019``, ``1,234``, ``Section 232``, ``17 April`` are not dates.

Accepted (month names in any case, full or abbreviated with an optional period, in English,
French, German or Spanish; an optional leading English weekday; an optional trailing time
and zone as e-mail and web headers have them):

* ``April 17, 2019``, ``Apr. 17 2019``, ``17 April 2019``, ``17th April 2019``,
  ``17 avril 2019``, ``1er avril 2019``, ``17. April 2019``, ``17 de abril de 2019``;
* ``April 2019``, ``avril 2019``, ``abril de 2019`` (the first of the month);
* ``2019-04-17`` (ISO, optionally ``T10:00:00Z``), ``2019/04/17``;
* ``04/17/2019`` and ``4/17/2019``: **month first, U.S. order**, as U.S. publishers write it;
  ``17/04/2019`` (a first number above 12) is refused rather than read day first;
* ``Mon, 15 Apr 2019 10:00:00 GMT`` (RFC 2822), ``17-Apr-2019``.

An impossible date (``2019-13-45``, ``April 31, 2019``) or a year outside 1600-2199 is None.
"""

from __future__ import annotations

import datetime as _dt
import re

MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12, "janv": 1, "févr": 2, "fevr": 2, "juil": 7,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "okt": 10, "dez": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}
_MONTH = "(?:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + ")"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:1[6-9][0-9]{2}|2[01][0-9]{2})"
_WEEKDAY = (r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?")
_TIME = (r"(?:,?\s+(?:at\s+)?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\s*[ap]\.?m\.?)?"
         r"(?:\s*(?:GMT|UTC|Z|[ECMP][SD]T|[+-][0-9]{4}))?)?")
_DE = r"(?:\s+de)?"
_DATE_BODY = rf"""{_WEEKDAY}(?:
      (?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY}),?\s+(?P<y1>{_YEAR})                   # April 17, 2019
    | (?P<d2>{_DAY})\s*(?:de\s+)?(?P<m2>{_MONTH})\.?,?{_DE}\s+(?P<y2>{_YEAR})    # 17 April 2019, 17 de abril de 2019
    | (?P<d5>{_DAY})-(?P<m5>{_MONTH})-(?P<y5>{_YEAR})                             # 17-Apr-2019
    | (?P<m3>{_MONTH})\.?,?{_DE}\s+(?P<y3>{_YEAR})                                # April 2019
    | (?P<y4>{_YEAR})[-/](?P<mo4>[0-9]{{2}})[-/](?P<d4>[0-9]{{2}})
      (?:[T ][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?\s?(?:Z|[+-][0-9]{{2}}:?[0-9]{{2}})?)?  # ISO
    | (?P<mo6>[0-9]{{1,2}})/(?P<d6>[0-9]{{1,2}})/(?P<y6>{_YEAR})                  # 04/17/2019 (U.S.)
){_TIME}"""
_DATE = re.compile(_DATE_BODY, re.IGNORECASE | re.VERBOSE)
# A date inside a line: not glued to other digits or letters.
_DATE_IN = re.compile(rf"(?<![\w/.-])(?:{_DATE_BODY})(?![\w/-]|\.[0-9])", re.IGNORECASE | re.VERBOSE)
_DIGITS = re.compile(r"[0-9]+")


def _to_date(m: re.Match) -> _dt.date | None:
    g = m.groupdict()
    for k in "123456":
        year = g.get(f"y{k}")
        if year:
            break
    else:
        return None
    month_name = g.get(f"m{k}")
    month = MONTHS.get(month_name.lower().rstrip(".")) if month_name else int(g[f"mo{k}"])
    day_s = g.get(f"d{k}")
    day = int(_DIGITS.match(day_s)[0]) if day_s else 1
    try:
        return _dt.date(int(year), month, day)
    except (TypeError, ValueError):
        return None


def parse_date(s: str) -> _dt.date | None:
    """The date ``s`` is (the whole string, surrounding whitespace ignored), or None.

    See the module docstring for the grammar; a sentence containing a date is None.
    """
    s = " ".join(str(s).split())
    if not s or len(s) > 60:
        return None
    m = _DATE.fullmatch(s)
    return _to_date(m) if m else None


def search_date(s: str) -> tuple[_dt.date, int, int] | None:
    """``(date, start, end)`` of the first date in a metadata line (at most 300 characters read)."""
    s = s[:300]
    for m in _DATE_IN.finditer(s):
        d = _to_date(m)
        if d:
            return d, m.start(), m.end()
    return None


_FILE_DATE = re.compile(r"(?<![0-9])(1[6-9][0-9]{2}|2[01][0-9]{2})[-_.]?([01][0-9])[-_.]?([0-3][0-9])(?![0-9])")


def file_name_date(name: str) -> tuple[_dt.date, int, int] | None:
    """``(date, start, end)`` for a date written ``YYYY-MM-DD`` (or ``YYYY_MM_DD``, ``YYYYMMDD``)
    in a file name's stem, or None."""
    name = name[:300]
    m = _FILE_DATE.search(name)
    if not m:
        return None
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end()
    except ValueError:
        return None
