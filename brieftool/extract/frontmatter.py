"""Front matter: a ``---`` block of ``key: value`` lines, or leading ``Key: value`` lines.

Source ``"front matter"``. Either

* a leading ``---`` line, ``key: value`` lines (YAML-style ``- item`` lists, ``[a, b]`` lists,
  quoted values and ``#`` comments allowed), a closing ``---`` (or ``...``) line, all within
  the head; or
* leading ``Key: value`` lines up to the first blank line, where *every* line has the
  ``Key: value`` form and at least one key is recognised (so a prose first line such as
  ``Note: this is prose`` is not front matter).

Keys are case-insensitive: ``Title``; ``Author``/``Authors``/``By``; ``Date``;
``Tags``/``Topics``/``Keywords``; ``Type``; ``Organization``/``Org``/``Publisher`` (a
trailing ``(ABBR)`` becomes ``org_abbr``); ``Source``/``URL`` (kept only when it looks like
a URL). Lists are comma- or semicolon-separated; authors may also be joined by ``and``/``&``.
Unknown keys are ignored. The body starts after the block.
"""

from __future__ import annotations

import re

from ..models import clean_label
from .base import Context, Line, skip_blank_lines, unique
from .dates import parse_date
from .names import _NAMES_SPLIT

NAME = "front matter"
CONFIDENCE = 0.95

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

_ORG_WITH_ABBR = re.compile(r"(.*?)\s*\(([^\W\d_][\w&.\-]{1,15})\)")
_URL = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|www\.)\S+", re.IGNORECASE)


def _field_of(key: str) -> str | None:
    return _FM_KEYS.get(" ".join(key.lower().replace("_", " ").replace("-", " ").split()))


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def _front_matter(lines: list[Line], i: int) -> tuple[list[tuple[str, list[str]]], int] | None:
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


def _yaml_block(lines: list[Line], i: int) -> tuple[list[tuple[str, list[str]]], int] | None:
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



def recognise(ctx: Context) -> None:
    if ctx.first is None:
        return
    fm = _front_matter(ctx.head, ctx.first)
    if not fm:
        return
    pairs, last = fm
    _propose(ctx, pairs, ctx.head[ctx.first].start)
    ctx.used.update(range(ctx.first, last + 1))
    ctx.body_start = skip_blank_lines(ctx.text, ctx.head[last].end + 1)
    ctx.after_fm = last + 1
    ctx.title_at = ctx.content(ctx.after_fm)


def _propose(ctx: Context, pairs: list[tuple[str, list[str]]], pos: int) -> None:
    gathered: dict[str, list[str]] = {}
    for key, values in pairs:
        name = _field_of(key)
        values = [v for v in (clean_label(v) for v in values) if v]
        if name and values:
            gathered.setdefault(name, []).extend(values)

    def put(field_name, value, extra=()):
        ctx.propose(field_name, value, NAME, CONFIDENCE, pos, extra)

    for name, values in gathered.items():
        # A single written value is a list to split; YAML list items are already split.
        if name == "authors":
            if len(values) == 1:
                values = _NAMES_SPLIT.split(values[0])
            put("authors", unique(values))
        elif name == "tags":
            if len(values) == 1:
                values = _LIST_SPLIT.split(values[0])
            put("tags", unique(values))
        elif name == "date":
            date = parse_date(values[0])
            if date is None:
                ctx.notes.append(f'front matter date "{values[0]}" is not a recognised date; ignored')
            put("date", date)
        elif name == "organization":
            m = _ORG_WITH_ABBR.fullmatch(values[0])
            if m and m[1] and sum(c.isupper() for c in m[2]) >= 2:
                put("organization", clean_label(m[1]), (("org_abbr", m[2]),))
            else:
                put("organization", values[0])
        elif name == "source_url":
            if _URL.fullmatch(values[0]):
                put("source_url", values[0])
            else:
                ctx.notes.append(f'front matter source "{values[0]}" is not a URL; ignored')
        else:
            put(name, values[0])
