"""Testimony: ``Statement of NAME, ROLE, ORG, before the COMMITTEE, DATE``.

Source ``"testimony"``: among the first ``WINDOW`` non-empty lines (joined, as covers wrap
them), ``Statement of``/``Testimony of``/``Prepared statement of``/``Written testimony of``
followed by a name, and ``before the`` a committee. The name (without ``Dr.``/``Hon.``) is
the author; the organization is the first known organization in the role part, else the
last comma part that looks like one; the date is the first date after ``before``; the type
is Testimony. The title is left to the title recogniser: a quoted or separate title line.
"""

from __future__ import annotations

import re

from . import gazetteer
from .base import Context
from .dates import search_date
from .names import parse_names

NAME = "testimony"
CONFIDENCE = 0.85
WINDOW = 15

_LEAD = re.compile(r"(?:prepared\s+|written\s+)?(?:statement|testimony|remarks)\s+of\s+(?P<who>.{3,400}?)"
                   r"\s*,?\s+before\s+the\s+(?P<before>.{3,400})", re.IGNORECASE | re.DOTALL)
_ORGISH = re.compile(r"\b(?:Institut\w*|Cent(?:er|re)|Foundation|Council|University|Corporation|Association|"
                     r"Office|Department|Agency|Bank|Commission|Service|School|College|Fund|Project|Society)\b")


def recognise(ctx: Context) -> None:
    idx = [i for i in range(ctx.after_fm, len(ctx.head)) if ctx.head[i].text.strip()][:WINDOW]
    if not idx:
        return
    joined = ""
    starts = []
    for i in idx:
        starts.append((len(joined), i))
        joined += ctx.head[i].text.strip()[:500] + " "
    low = joined.lower()
    if " of " not in low or "before the" not in low:
        return
    m = _LEAD.search(joined)
    if not m:
        return
    parts = [p.strip() for p in m["who"].split(",") if p.strip()]
    names = parse_names(parts[0]) if parts else None
    if not names:
        return
    line_of = max(i for off, i in starts if off <= m.start())
    pos = ctx.head[line_of].start
    vocab = ctx.vocabulary or ()
    ctx.propose("authors", names, NAME, CONFIDENCE, pos)
    ctx.propose("type", "Testimony", NAME, CONFIDENCE, pos)
    org = None
    for part in parts[1:]:
        found = gazetteer.orgs_in(part, vocab)
        if found:
            org = found[0][0]
            break
    if org:
        ctx.propose("organization", org.name, NAME, 0.75, pos, (("org_abbr", org.abbr),) if org.abbr else ())
    else:
        for part in reversed(parts[1:]):
            if _ORGISH.search(part) and len(part.split()) <= 10:
                ctx.propose("organization", part.removeprefix("the ").strip(), NAME, 0.7, pos)
                break
    hit = search_date(m["before"][:300])
    if hit:
        ctx.propose("date", hit[0], NAME, 0.8, pos)
    end = m.start("before") + (hit[2] if hit else 0)
    for off, i in starts:
        if m.start() <= off + len(ctx.head[i].text.strip()) and off <= end:
            ctx.used.add(i)
