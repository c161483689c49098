"""Read a brief's metadata (title, authors, date, tags, ...) from its plain text.

``extract(text)`` is pure: it never touches the file system and never changes the text
(the archive stores the text verbatim; ``body_start`` only says where the displayed body
begins). Only the head (first ``HEAD_LINES`` lines, at most ``HEAD_CHARS`` characters) and
the tail (last ``TAIL_LINES`` lines within the last ``TAIL_CHARS`` characters) are
examined, so a 50 MB file costs no more than a small one. Every regular expression
works on a bounded slice of one line.

Recognised forms, strongest first (a field is taken from the first form that gives it):

1. **Front matter** (source ``"front matter"``), either

   * a leading ``---`` line, ``key: value`` lines (YAML-style ``- item`` lists,
     ``[a, b]`` lists, quoted values and ``#`` comments allowed), a closing ``---``
     (or ``...``) line, all within the head; or
   * leading ``Key: value`` lines up to the first blank line, where *every* line has
     the ``Key: value`` form and at least one key is recognised (so a prose first line
     such as ``Note: this is prose`` is not front matter).

   Keys are case-insensitive: ``Title``; ``Author``/``Authors``/``By``; ``Date``;
   ``Tags``/``Topics``/``Keywords``; ``Type``; ``Organization``/``Org``/``Publisher``
   (a trailing ``(ABBR)`` becomes ``org_abbr``); ``Source``/``URL`` (kept only when it
   looks like a URL). Lists are comma- or semicolon-separated; authors may also be
   joined by ``and``/``&``. Unknown keys are ignored. The body starts after the block.

2. **Web-copy header** (source ``"header"``): the first line (after any front matter)
   is ``DATE | TYPE`` (``April 17, 2019 | Policy Brief``; ``TYPE | DATE`` and a line
   holding only a date are accepted too). The next non-empty line is the title. Copies
   of the header and title lines that follow (pages copied from the web often repeat
   them), and a byline directly after them, are part of the header block: the body
   starts after them.

3. **Byline** (source ``"byline"``): a line ``By NAME``, ``By A and B``, ``By A, B and C``
   or ``By A, B, and C`` among the first few lines. Gives the authors.

4. **Author bio** (source ``"bio"``): a paragraph among the last few lines beginning
   ``NAME is a research associate ... at the ORGANIZATION (ABBR)`` (also "is a senior
   fellow at", "is director of ... at", "A and B are fellows at", ...). The role must
   name a position (fellow, director, analyst, ...). Gives the authors (unless a byline
   did) and the organization and its abbreviation (from the first bio that names one).

5. **Topic line** (source ``"topic line"``): the last non-empty line, when it looks like
   a label line (short, title-case words and lowercase connectors only, no sentence
   punctuation), e.g. ``Military and Political Power North Korea Sanctions and Illicit
   Finance``. It is split with the labels already known (``known_tags``,
   ``BUILTIN_PLACES``, the user vocabulary); the title-case runs left between known
   labels become tags too. When no known label occurs in the line, or a leftover run is
   not a title-case run, no tag is invented and a note is added.

6. **First line / file name**: with no title from the above, the first non-empty line of
   the body (``#`` heading marks removed) if it is at most ``TITLE_MAX`` characters,
   otherwise the file name stem made readable (``2011-Obama-1.txt`` -> ``2011 Obama 1``),
   or, without a file name, the line cut at a word boundary. Nothing else is invented.

Dates come only from front matter and the header line, never from the body; see
``parse_date`` for the grammar. Values are cleaned with ``models.clean_label``; list
values lose duplicates (case-insensitively, the first spelling is kept).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple

from .models import BriefError, clean_label, norm_tag

HEAD_LINES = 60
HEAD_CHARS = 64 * 1024
TAIL_LINES = 40
TAIL_CHARS = 8 * 1024
TITLE_MAX = 200
BYLINE_WINDOW = 12  # non-empty lines from the top in which a byline is looked for
BIO_WINDOW = 6  # non-empty lines from the end in which author bios are looked for

# --------------------------------------------------------------------------- places

BUILTIN_PLACES: tuple[str, ...] = (
    # The 193 UN member states, by their common English names.
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua and Barbuda",
    "Argentina", "Armenia", "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain",
    "Bangladesh", "Barbados", "Belarus", "Belgium", "Belize", "Benin", "Bhutan", "Bolivia",
    "Bosnia and Herzegovina", "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso",
    "Burundi", "Cabo Verde", "Cambodia", "Cameroon", "Canada", "Central African Republic",
    "Chad", "Chile", "China", "Colombia", "Comoros", "Republic of the Congo", "Costa Rica",
    "Côte d'Ivoire", "Croatia", "Cuba", "Cyprus", "Czechia",
    "Democratic Republic of the Congo", "Denmark", "Djibouti", "Dominica",
    "Dominican Republic", "Ecuador", "Egypt", "El Salvador", "Equatorial Guinea", "Eritrea",
    "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland", "France", "Gabon", "Gambia",
    "Georgia", "Germany", "Ghana", "Greece", "Grenada", "Guatemala", "Guinea",
    "Guinea-Bissau", "Guyana", "Haiti", "Honduras", "Hungary", "Iceland", "India",
    "Indonesia", "Iran", "Iraq", "Ireland", "Israel", "Italy", "Jamaica", "Japan", "Jordan",
    "Kazakhstan", "Kenya", "Kiribati", "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon",
    "Lesotho", "Liberia", "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Madagascar",
    "Malawi", "Malaysia", "Maldives", "Mali", "Malta", "Marshall Islands", "Mauritania",
    "Mauritius", "Mexico", "Micronesia", "Moldova", "Monaco", "Mongolia", "Montenegro",
    "Morocco", "Mozambique", "Myanmar", "Namibia", "Nauru", "Nepal", "Netherlands",
    "New Zealand", "Nicaragua", "Niger", "Nigeria", "North Korea", "North Macedonia",
    "Norway", "Oman", "Pakistan", "Palau", "Panama", "Papua New Guinea", "Paraguay", "Peru",
    "Philippines", "Poland", "Portugal", "Qatar", "Romania", "Russia", "Rwanda",
    "Saint Kitts and Nevis", "Saint Lucia", "Saint Vincent and the Grenadines", "Samoa",
    "San Marino", "Sao Tome and Principe", "Saudi Arabia", "Senegal", "Serbia",
    "Seychelles", "Sierra Leone", "Singapore", "Slovakia", "Slovenia", "Solomon Islands",
    "Somalia", "South Africa", "South Korea", "South Sudan", "Spain", "Sri Lanka", "Sudan",
    "Suriname", "Sweden", "Switzerland", "Syria", "Tajikistan", "Tanzania", "Thailand",
    "Timor-Leste", "Togo", "Tonga", "Trinidad and Tobago", "Tunisia", "Turkey",
    "Turkmenistan", "Tuvalu", "Uganda", "Ukraine", "United Arab Emirates",
    "United Kingdom", "United States", "Uruguay", "Uzbekistan", "Vanuatu", "Venezuela",
    "Vietnam", "Yemen", "Zambia", "Zimbabwe",
    # Other common names of the same states, and places that are not UN members.
    "Burma", "Cape Verde", "Czech Republic", "East Timor", "Ivory Coast", "Swaziland",
    "Türkiye", "Congo", "Holy See", "Vatican", "Palestine", "Taiwan", "Kosovo", "Hong Kong",
    "Macau", "Tibet", "Xinjiang", "Gaza", "West Bank", "Crimea", "Greenland", "Puerto Rico",
    "Western Sahara",
    # Regions.
    "Africa", "Americas", "Antarctica", "Arctic", "Asia", "Asia-Pacific", "Australasia",
    "Balkans", "Baltic States", "Baltics", "Black Sea", "Caribbean", "Caucasus",
    "Central America", "Central Asia", "Central Europe", "Central and Eastern Europe",
    "East Africa", "East Asia", "East China Sea", "Eastern Europe", "Eurasia", "Europe",
    "Gulf States", "Horn of Africa", "Indian Ocean", "Indo-Pacific", "Korean Peninsula",
    "Latin America", "Levant", "Maghreb", "Mediterranean", "Middle East",
    "Middle East and North Africa", "North Africa", "North America", "Northeast Asia",
    "Northern Europe", "Oceania", "Pacific Islands", "Persian Gulf", "Red Sea", "Sahel",
    "Scandinavia", "South America", "South Asia", "South Caucasus", "South China Sea",
    "Southeast Asia", "Southern Africa", "Southern Europe", "Sub-Saharan Africa",
    "Taiwan Strait", "West Africa", "Western Balkans", "Western Europe",
    "Western Hemisphere",
)

# --------------------------------------------------------------------------- result


@dataclass
class Extracted:
    """What ``extract`` found. ``fields`` holds only what was found (no empty values)."""

    fields: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    body_start: int = 0
    notes: list[str] = field(default_factory=list)

    def put(self, name: str, value, source: str) -> None:
        """Record a field unless it is empty or a stronger form already gave it."""
        if value and name not in self.fields:
            self.fields[name] = value
            self.sources[name] = source


# --------------------------------------------------------------------------- dates

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


# --------------------------------------------------------------------------- lines


class _Line(NamedTuple):
    start: int  # offset of the line in the text
    end: int  # offset of its "\n" (or where the scanned region stops)
    text: str  # without the line break (and without a trailing "\r")


def _lines(text: str, start: int, stop: int, max_lines: int) -> list[_Line]:
    """Lines of ``text[start:stop]``; a last line cut short by ``stop`` is dropped unless it is the only one."""
    out: list[_Line] = []
    pos = start
    while pos < stop and len(out) < max_lines:
        nl = text.find("\n", pos, stop)
        if nl < 0:
            if stop < len(text) and out:
                break
            nl = stop
        out.append(_Line(pos, nl, text[pos:nl].rstrip("\r")))
        pos = nl + 1
    return out


_BLANK_LINE = re.compile(r"[^\S\n]*\n")
_BLANK_END = re.compile(r"\s*\Z")


def _skip_blank_lines(text: str, pos: int) -> int:
    """Offset of the first non-blank line at or after ``pos`` (``pos`` is a line start)."""
    while m := _BLANK_LINE.match(text, pos):
        pos = m.end()
    return len(text) if _BLANK_END.match(text, pos) else pos


def _content(lines: list[_Line], i: int) -> int | None:
    """Index of the first non-blank line at or after ``i``."""
    while i < len(lines):
        if lines[i].text.strip():
            return i
        i += 1
    return None


def _unique(values: Iterable[str]) -> list[str]:
    """Cleaned, non-empty values without case-insensitive duplicates (first spelling kept)."""
    seen: set[str] = set()
    out = []
    for v in values:
        v = clean_label(v)
        k = norm_tag(v)
        if v and k not in seen:
            seen.add(k)
            out.append(v)
    return out


# --------------------------------------------------------------------------- front matter

_FM_KEYS = {
    "title": "title",
    "author": "authors", "authors": "authors", "by": "authors",
    "date": "date",
    "tags": "tags", "tag": "tags", "topics": "tags", "topic": "tags",
    "keywords": "tags", "keyword": "tags",
    "type": "type",
    "organization": "organization", "organisation": "organization", "org": "organization",
    "publisher": "organization",
    "source": "source_url", "url": "source_url", "source url": "source_url",
}
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z0-9 _-]{0,30}?)[ \t]*:(?:[ \t]+(.*)|[ \t]*)")
_LIST_ITEM = re.compile(r"\s+-\s+(.*)|-\s+(.*)")
_LIST_SPLIT = re.compile(r"\s*[,;]\s*")
_NAMES_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&)\s+|[,;]|\s+and\s+|\s+&\s+)\s*")
_ORG_WITH_ABBR = re.compile(r"(.*?)\s*\(([^\W\d_][\w&.\-]{1,15})\)")
_URL = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|www\.)\S+", re.IGNORECASE)


def _field_of(key: str) -> str | None:
    return _FM_KEYS.get(" ".join(key.lower().replace("_", " ").replace("-", " ").split()))


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def _front_matter(lines: list[_Line], i: int) -> tuple[list[tuple[str, list[str]]], int] | None:
    """``([(key, values)], index of the block's last line)`` for front matter at line ``i``."""
    if lines[i].text.strip() == "---":
        return _yaml_block(lines, i)
    pairs = []
    j = i
    while j < len(lines) and lines[j].text.strip():
        m = _KEY_VALUE.fullmatch(lines[j].text.strip())
        if not m:
            return None
        pairs.append((m[1], [m[2] or ""]))
        j += 1
    if not any(_field_of(k) for k, _ in pairs):
        return None
    return pairs, j - 1


def _yaml_block(lines: list[_Line], i: int) -> tuple[list[tuple[str, list[str]]], int] | None:
    pairs: list[tuple[str, list[str]]] = []
    for j in range(i + 1, len(lines)):
        raw = lines[j].text
        line = raw.strip()
        if line in ("---", "..."):
            return (pairs, j) if pairs else None
        if not line or line.startswith("#"):
            continue
        item = _LIST_ITEM.fullmatch(raw)
        m = None if item else _KEY_VALUE.fullmatch(line)
        if item and pairs:  # "- value" under "key:"
            pairs[-1][1].append(_unquote(item[1] or item[2]))
        elif m and not raw[0].isspace():
            value = (m[2] or "").strip()
            if value.startswith("[") and value.endswith("]"):  # key: [a, b]
                pairs.append((m[1], [_unquote(v) for v in _LIST_SPLIT.split(value[1:-1])]))
            else:
                pairs.append((m[1], [_unquote(value)]))
        elif raw[0].isspace() and pairs:  # folded continuation of the previous value
            values = pairs[-1][1]
            values[-1] = f"{values[-1]} {line}".strip()
        else:
            return None
    return None  # not closed within the head


def _apply_front_matter(out: Extracted, pairs: list[tuple[str, list[str]]]) -> None:
    gathered: dict[str, list[str]] = {}
    for key, values in pairs:
        name = _field_of(key)
        values = [v for v in (clean_label(v) for v in values) if v]
        if name and values:
            gathered.setdefault(name, []).extend(values)
    src = "front matter"
    for name, values in gathered.items():
        # A single written value is a list to split; YAML list items are already split.
        if name == "authors":
            if len(values) == 1:
                values = _NAMES_SPLIT.split(values[0])
            out.put("authors", _unique(values), src)
        elif name == "tags":
            if len(values) == 1:
                values = _LIST_SPLIT.split(values[0])
            out.put("tags", _unique(values), src)
        elif name == "date":
            date = parse_date(values[0])
            if date is None:
                out.notes.append(f'front matter date "{values[0]}" is not a recognised date; ignored')
            out.put("date", date, src)
        elif name == "organization":
            m = _ORG_WITH_ABBR.fullmatch(values[0])
            if m and m[1] and sum(c.isupper() for c in m[2]) >= 2:
                out.put("organization", clean_label(m[1]), src)
                out.put("org_abbr", m[2], src)
            else:
                out.put("organization", values[0], src)
        elif name == "source_url":
            if _URL.fullmatch(values[0]):
                out.put("source_url", values[0], src)
            else:
                out.notes.append(f'front matter source "{values[0]}" is not a URL; ignored')
        else:
            out.put(name, values[0], src)


# --------------------------------------------------------------------------- header

_TYPE = re.compile(r"[^\W\d_][\w’' &/\-]{0,59}")


def _header(line: str) -> tuple[_dt.date, str] | None:
    """``(date, type)`` for a ``DATE | TYPE`` line (type may be ""), else None."""
    if len(line) > TITLE_MAX or line.count("|") > 1:
        return None
    parts = [p.strip() for p in line.split("|")]
    for d, t in ((0, -1), (-1, 0)):
        date = parse_date(parts[d])
        if date:
            kind = parts[t] if len(parts) == 2 else ""
            if not (_TYPE.fullmatch(kind) and len(kind.split()) <= 6):
                kind = ""
            return date, kind
    return None


_MARKDOWN_HEADING = re.compile(r"\s*#{1,6}\s+")


def _heading(line: str) -> str:
    """A line as a title: a Markdown heading mark ("## ") removed, whitespace collapsed."""
    m = _MARKDOWN_HEADING.match(line)
    return clean_label(line[m.end():] if m else line)


# --------------------------------------------------------------------------- names

_HONORIFICS = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx."}
_DEGREES = {"phd", "ph.d.", "ph.d", "md", "m.d.", "jd", "j.d.", "esq", "esq.", "mba", "mpa", "mphil"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PARTICLES = {"de", "da", "di", "del", "della", "der", "den", "van", "von", "bin", "ibn",
              "al", "el", "la", "le", "du", "dos", "das", "ter", "ten", "y"}
_NOT_NAME_START = {"the", "a", "an", "this", "that", "these", "those", "it", "he", "she",
                   "they", "we", "our", "his", "her", "its", "their", "in", "on", "at", "for"}
_NAME_TOKEN = re.compile(r"[^\W\d_][\w’'.\-]*")


def _is_name(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5 or tokens[0].lower() in _NOT_NAME_START:
        return False
    for k, tok in enumerate(tokens):
        if tok.lower() in _PARTICLES and 0 < k < len(tokens) - 1:
            continue
        if not (_NAME_TOKEN.fullmatch(tok) and tok[0].isupper()):
            return False
    last = tokens[-1]
    return sum(c.isalpha() for c in last) >= 2 or last.lower() in _SUFFIXES


def _names(s: str) -> list[str] | None:
    """The people named in ``A``, ``A and B``, ``A, B and C``, ``A, B, and C``; None unless all are names."""
    names: list[list[str]] = []
    for part in _NAMES_SPLIT.split(s.strip()):
        tokens = part.split()
        while tokens and tokens[0].lower() in _HONORIFICS:
            tokens = tokens[1:]
        low = [t.lower() for t in tokens]
        if names and low and all(t in _DEGREES or t in _SUFFIXES for t in low):
            names[-1].extend(t for t in tokens if t.lower() in _SUFFIXES)  # "Smith, Jr." / "Smith, PhD"
            continue
        names.append([t for t in tokens if t.lower() not in _DEGREES])
    if not names or not all(_is_name(n) for n in names):
        return None
    return _unique(" ".join(n) for n in names)


_BYLINE = re.compile(r"\s*(?:By|BY)(?::\s*|\s+)(.+)")


def _byline(line: str) -> list[str] | None:
    if len(line) > TITLE_MAX:
        return None
    m = _BYLINE.fullmatch(line)
    return _names(m[1]) if m else None


# --------------------------------------------------------------------------- bio

_BIO_LEAD = re.compile(r"(?:(?i:about the authors?):?\s+)?(?P<names>[^\W\d_].{1,150}?)\s+(?P<verb>is|are)\s+")
_ROLE = re.compile(
    r"\b(?:fellow|associate|director|analyst|research(?:er)?|scholar|president|"
    r"chair(?:man|woman|person)?|professor|editor|counsel|advis[eo]r|manager|officer|head|"
    r"executive|founder|coordinator|member|specialist|expert|lecturer|dean|economist|"
    r"strategist|correspondent|writer|deputy|secretary|chief|ambassador|partner|principal|"
    r"consultant|intern|assistant|candidate|adjunct)s?\b",
    re.IGNORECASE,
)
_AT = re.compile(r"\bat\s+")
_ABBR_TOKEN = re.compile(r"\(([^\W\d_][\w&.\-]{1,15})\)[,.;:]?")
_DOTTED_ABBR = re.compile(r"(?:[^\W\d_]\.){2,}")
_ORG_CONNECTORS = {"of", "for", "the", "a", "an", "and", "on", "in", "&", "de", "du", "des", "la", "le"}


def _organization(s: str) -> tuple[str, str] | None:
    """``(name, abbreviation)`` for the title-case name that ``s`` starts with."""
    tokens = s.split()[:30]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    words: list[str] = []
    abbr = ""
    for tok in tokens:
        m = _ABBR_TOKEN.fullmatch(tok)
        if m:
            if words and sum(c.isupper() for c in m[1]) >= 2:
                abbr = m[1]
            break
        core = tok if _DOTTED_ABBR.fullmatch(tok) else tok.rstrip(",.;:")
        if not ((words and core in _ORG_CONNECTORS) or (_NAME_TOKEN.fullmatch(core) and core[0].isupper())):
            break
        words.append(core)
        if core != tok:  # punctuation ends the name
            break
    while words and words[-1] in _ORG_CONNECTORS:
        words.pop()
    return (" ".join(words), abbr) if words else None


def _bio(line: str) -> tuple[list[str], tuple[str, str]] | None:
    """``(authors, (organization, abbreviation))`` for an author-bio paragraph."""
    line = line[:600].strip()
    m = _BIO_LEAD.match(line)
    if not m:
        return None
    names = _names(m["names"])
    if not names or (m["verb"] == "is") != (len(names) == 1):
        return None
    rest = line[m.end():]
    at = _AT.search(rest)
    if not at or at.start() > TITLE_MAX or not _ROLE.search(rest, 0, at.start()):
        return None
    org = _organization(rest[at.end():])
    return (names, org) if org else None


# --------------------------------------------------------------------------- topic line

_TOPIC_CONNECTORS = {"and", "of", "the", "for", "in", "on", "at", "to", "a", "an", "&", "with",
                     "by", "from", "vs", "vs.", "versus", "de", "del", "du", "des", "la", "le"}
_LABEL_TOKEN = re.compile(r"[^\W_][\w’'&/.\-]*")


def _capitalized(tok: str) -> bool:
    return tok[0].isupper() or tok[0].isdigit()


def _label_tokens(line: str) -> list[str] | None:
    """The words of a label line (short, title case, no sentence punctuation), else None."""
    if len(line) > TITLE_MAX:
        return None
    tokens = line.split()
    if not 1 <= len(tokens) <= 30:
        return None
    for tok in tokens:
        if tok in _TOPIC_CONNECTORS:
            continue
        if not (_LABEL_TOKEN.fullmatch(tok) and _capitalized(tok)):
            return None
        if tok.endswith(".") and not _DOTTED_ABBR.fullmatch(tok):
            return None
    if not (_capitalized(tokens[0]) and tokens[0] not in _TOPIC_CONNECTORS
            and _capitalized(tokens[-1]) and tokens[-1] not in _TOPIC_CONNECTORS):
        return None
    if not any(t[0].isupper() for t in tokens):
        return None
    if len(tokens) > 1 and not any(c.islower() for c in line):  # "DWIGHT D EISENHOWER": a signature
        return None
    return tokens


def _key(tokens: Iterable[str]) -> tuple[str, ...]:
    return tuple(t.casefold().replace("’", "'") for t in tokens)


@functools.lru_cache(maxsize=8)
def _label_index(labels: frozenset[str]) -> tuple[frozenset[tuple[str, ...]], int]:
    """Known labels as word-tuples for matching, and the longest label's word count."""
    keys = frozenset(_key(label.split()) for label in labels if label.split())
    return keys, max(map(len, keys), default=0)


_BUILTIN_LABELS = frozenset(BUILTIN_PLACES)


def _split_topics(tokens: list[str], labels: frozenset[str]) -> list[str] | None:
    """Split a label line into labels, or None when that cannot be done with confidence.

    A split is a sequence of segments, each either a known label or a run of words
    between known labels (or the line's ends); runs must start and end with a
    capitalised word and two runs never touch. Of the valid splits, the one covering
    most words with known labels wins, then the one with fewest segments. A split that
    uses no known label is not confident.
    """
    builtin, builtin_len = _label_index(_BUILTIN_LABELS)
    known, known_len = _label_index(labels)
    longest = max(builtin_len, known_len)
    keys = _key(tokens)
    n = len(tokens)
    matches = [[size for size in range(min(longest, n - i), 0, -1)
                if keys[i:i + size] in builtin or keys[i:i + size] in known] for i in range(n)]

    @functools.lru_cache(maxsize=None)
    def best(i: int, after_run: bool) -> tuple[int, int, tuple] | None:
        if i == n:
            return 0, 0, ()
        options = []
        for size in matches[i]:
            sub = best(i + size, False)
            if sub:
                options.append((sub[0] + size, sub[1] - 1, ((i, i + size),) + sub[2]))
        if not after_run and _capitalized(tokens[i]) and tokens[i] not in _TOPIC_CONNECTORS:
            for j in range(i + 1, n + 1):
                last = tokens[j - 1]
                if (j == n or matches[j]) and _capitalized(last) and last not in _TOPIC_CONNECTORS:
                    sub = best(j, True)
                    if sub:
                        options.append((sub[0], sub[1] - 1, ((i, j),) + sub[2]))
        return max(options) if options else None

    found = best(0, False)
    if not found or found[0] == 0:
        return None
    return [" ".join(tokens[a:b]) for a, b in found[2]]


# --------------------------------------------------------------------------- extract


def _readable_stem(filename: str) -> str:
    return clean_label(re.sub(r"[_\-]+", " ", Path(filename).stem))


def extract(
    text: str,
    *,
    filename: str | None = None,
    known_tags: Iterable[str] = (),
    vocabulary: Iterable[str] | None = None,
) -> Extracted:
    """The metadata ``text`` states about itself; see the module docstring for the forms.

    ``filename`` gives a title when the text has none; ``known_tags`` (tags already in
    the archive) and ``vocabulary`` (from ``load_vocabulary``) help split a topic line.
    Both iterables are only consumed when the text has a topic line.
    """
    out = Extracted()
    start = 1 if text.startswith("\ufeff") else 0
    head = _lines(text, start, min(len(text), HEAD_CHARS), HEAD_LINES)
    first = _content(head, 0)  # first non-empty line of the text
    title_at = first  # where a "first line" title is looked for
    after_fm = 0  # index of the first head line after any front matter

    if first is not None:
        fm = _front_matter(head, first)
        if fm:
            pairs, last = fm
            _apply_front_matter(out, pairs)
            out.body_start = _skip_blank_lines(text, head[last].end + 1)
            after_fm = last + 1
            title_at = _content(head, after_fm)

    if title_at is not None and (hdr := _header(head[title_at].text)):
        date, kind = hdr
        out.put("date", date, "header")
        out.put("type", clean_label(kind), "header")
        header_line = head[title_at]
        out.body_start = _skip_blank_lines(text, header_line.end + 1)
        title_at = _content(head, title_at + 1)
        if title_at is not None:
            title_line = head[title_at]
            if len(title_line.text.strip()) <= TITLE_MAX and not _byline(title_line.text):
                out.put("title", _heading(title_line.text), "header")
                # The header block: the title, then any repeat of header/title and a byline.
                repeats = {clean_label(header_line.text), clean_label(title_line.text)}
                j = title_at
                for _ in range(6):
                    out.body_start = _skip_blank_lines(text, head[j].end + 1)
                    nxt = _content(head, j + 1)
                    if nxt is None or not (clean_label(head[nxt].text) in repeats or _byline(head[nxt].text)):
                        break
                    j = nxt
                title_at = None

    # Byline: among the first few non-empty lines after the front matter.
    top = [line for line in head[after_fm:] if line.text.strip()][:BYLINE_WINDOW]
    for line in top:
        names = _byline(line.text)
        if names:
            out.put("authors", names, "byline")
            break

    _read_tail(out, text, known_tags, vocabulary)

    # Title from the first line of the body, else from the file name.
    if "title" not in out.fields:
        line = None
        while title_at is not None:
            if not _byline(head[title_at].text):
                line = head[title_at].text
                break
            title_at = _content(head, title_at + 1)
        if line is not None and len(line.strip()) <= TITLE_MAX:
            out.put("title", _heading(line), "first line")
        elif filename:
            out.put("title", _readable_stem(filename), "file name")
        elif line is not None:
            cut = clean_label(line[: TITLE_MAX * 2])[:TITLE_MAX]
            out.put("title", cut.rsplit(" ", 1)[0] + "…", "first line")
    return out


def _read_tail(out: Extracted, text: str, known_tags: Iterable[str], vocabulary: Iterable[str] | None) -> None:
    """Author bios and the topic line, from the last lines after the body's first line."""
    first_body = _skip_blank_lines(text, out.body_start)
    start = max(first_body + 1, len(text) - TAIL_CHARS)
    if start > len(text):
        return
    if text[start - 1] != "\n":  # begin at a line start
        nl = text.find("\n", start)
        if nl < 0:
            return
        start = nl + 1
    tail = [line for line in _lines(text, start, len(text), TAIL_CHARS)[-TAIL_LINES:] if line.text.strip()]
    if not tail:
        return

    authors: list[str] = []
    org = None
    for line in tail[-BIO_WINDOW:]:
        bio = _bio(line.text)
        if bio:
            authors += bio[0]
            org = org or bio[1]
    out.put("authors", _unique(authors), "bio")
    if org and "organization" not in out.fields:  # an abbreviation only with its own name
        out.put("organization", clean_label(org[0]), "bio")
        out.put("org_abbr", org[1], "bio")

    if "tags" in out.fields:
        return
    topic = tail[-1].text.strip()
    tokens = _label_tokens(topic)
    if tokens is None:
        return
    labels = frozenset(known_tags) | frozenset(vocabulary or ())
    tags = _split_topics(tokens, labels)
    if tags:
        out.put("tags", _unique(tags), "topic line")
    else:
        out.notes.append(f'topic line "{clean_label(topic)}" could not be split with confidence; kept as text, no tags')


# --------------------------------------------------------------------------- vocabulary


def load_vocabulary(path: Path) -> list[str]:
    """The user's topic labels: one per line; blank lines and lines starting with '#' skipped.

    A missing file is an empty vocabulary. Labels are cleaned and de-duplicated
    case-insensitively (first spelling kept). An unreadable file is a ``BriefError``.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise BriefError(f"cannot read vocabulary file {path}: {e.strerror or e}") from None
    return _unique(line for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#"))
