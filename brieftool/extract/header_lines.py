"""Header lines anywhere in the first ``HEADER_WINDOW`` lines, not only at the very top.

Source ``"header line"``:

* keyed lines ``Date:``/``DATE:``, ``Published:``, ``Publication date:``, ``Topics:``,
  ``Keywords:``, ``Subjects:``, ``Issues:``, ``Author:``, ``Type:``, ``Publisher:`` ... (the
  keys of ``keys.KEYS``; topic values become tags split on ``;``, ``,`` or ``|``);
* unkeyed ``Updated March 3, 2021``, ``Published March 3, 2021``, ``Posted on ...``,
  ``Released ...``, optionally followed by a lower-case ``by NAME`` (the authors) or a report
  number in parentheses;
* ``ORG | TYPE | DATE`` and ``No. 3456 | January 10, 2020`` lines (also with ``·`` or ``•``):
  one part is a date and every other part is a known organization, a known type, a number,
  or a byline, so a table row of the body (``| Aug. 15, 1971 | President Nixon ...``) is not;
* a date alone on a line of the cover: the first line, or one with only banners and metadata
  lines above it (``GAO-21-123`` / ``February 2021``).
"""

from __future__ import annotations

import re

from . import gazetteer, keys
from .base import Context, strip_markdown
from .dates import parse_date, search_date
from .names import people

NAME = "header line"
CONFIDENCE = 0.85

_KEYED = re.compile(r"\s*(?P<key>[A-Za-zÀ-ÿ][\w().\- ]{0,30}?)\s*:\s+(?P<value>\S.*)")
_UNKEYED = re.compile(
    r"\s*(?P<key>last updated|updated on|updated|published on|published|posted on|posted|released on|released|issued on|issued|"
    r"publié le|mis à jour le|veröffentlicht am|stand|publicado el|actualizado el)\s*:?\s+(?P<value>.+)",
    re.IGNORECASE)
_BY_AFTER = re.compile(r"\s*(?:[,|·•—–-]\s*)?by\s+(?P<names>.+)", re.IGNORECASE)
_TRAILER = re.compile(r"\s*(?:\([A-Z]{1,4}[0-9]{3,6}\)|\|.*)?\s*")
_SPLIT = re.compile(r"\s+[|·•]\s+|\s*\|\s*")
_NUMBER = re.compile(r"(?:No\.?|Number|Nr\.?|N°|Vol\.?\s*[0-9]+,?\s*No\.?)\s*[0-9][0-9\-]{0,8}|[A-Z]{1,5}-?[0-9]{2,6}(?:-[0-9]{1,4})?",
                     re.IGNORECASE)


def recognise(ctx: Context) -> None:
    vocab = ctx.vocabulary or ()
    for i, line, raw in ctx.header_lines():
        if len(raw) > 500:
            continue
        text = strip_markdown(raw).strip("_* ")
        if _unkeyed(ctx, text, line.start) or _piped(ctx, text, line.start, vocab) or _keyed(ctx, text, line.start):
            ctx.used.add(i)
        elif parse_date(text) and all(j in ctx.used or not ctx.head[j].text.strip() for j in range(ctx.after_fm, i)):
            ctx.propose("date", parse_date(text), NAME, 0.6, line.start)  # on the cover, above the title
            ctx.used.add(i)


def _keyed(ctx: Context, text: str, pos: int) -> bool:
    m = _KEYED.fullmatch(text)
    if not m:
        return False
    name = keys.field_of(m["key"])
    if not name or name in ("title", "url"):  # a "Title:" line, or a figure's "Source: URL", in the
        return False  # middle of a head says too little
    conf = CONFIDENCE - (0.05 if name == "authors" else 0)
    return keys.propose(ctx, name, m["value"], NAME, conf, pos)


def _unkeyed(ctx: Context, text: str, pos: int) -> bool:
    m = _UNKEYED.fullmatch(text)
    if not m:
        return False
    hit = search_date(m["value"])
    if not hit or hit[1] != 0:
        return False
    date, _, end = hit
    rest = m["value"][end:]
    by = _BY_AFTER.match(rest)
    if by:
        found = people(by["names"])
        if not found:
            return False
        ctx.propose("authors", found, NAME, 0.75, pos)
    elif not _TRAILER.fullmatch(rest):
        return False
    updated = m["key"].lower() in ("updated", "last updated", "mis à jour le", "stand", "actualizado el")
    ctx.propose("date", date, NAME, CONFIDENCE - (0.05 if updated else 0), pos)
    return True


def _piped(ctx: Context, text: str, pos: int, vocab) -> bool:
    if not any(sep in text for sep in ("|", "·", "•")):
        return False
    parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
    if not 2 <= len(parts) <= 5:
        return False
    date = None
    found = []
    for part in parts:
        d = parse_date(part)
        if d and date is None:
            date = d
            continue
        org = gazetteer.org_named(part, vocab)
        if org:
            found.append(("organization", org))
            continue
        kind = gazetteer.type_named(part, vocab)
        if kind:
            found.append(("type", kind))
            continue
        if _NUMBER.fullmatch(part):
            num = gazetteer.REPORT_NUMBER.fullmatch(part)
            if num:
                found.append(("number", num))
            continue
        if part.lower().startswith("by "):
            names = people(part[3:])
            if names:
                found.append(("authors", names))
                continue
        return False
    if date is None:
        return False
    ctx.propose("date", date, NAME, 0.8, pos)
    for name, value in found:
        if name == "organization":
            ctx.propose("organization", value.name, NAME, 0.75, pos, (("org_abbr", value.abbr),) if value.abbr else ())
        elif name == "number":
            keys.propose_number(ctx, value, NAME, pos)
        else:
            ctx.propose(name, value, NAME, 0.75, pos)
    return True
