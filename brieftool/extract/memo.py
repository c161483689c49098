"""Memo headers: ``TO:``, ``FROM:``, ``DATE:``, ``RE:``/``SUBJECT:`` lines.

Source ``"memo"``: within the first ``HEADER_WINDOW`` lines, a ``FROM:`` line and at least one
of ``TO:``/``MEMORANDUM FOR``, plus ``DATE:`` or ``RE:``/``SUBJECT:`` (keys in any case; also
``CC:``). The title comes from ``RE``/``SUBJECT``, the author from ``FROM`` before its first
comma (``FROM: Jane Doe, Director, Office of Policy``: the rest may name the organization),
the date from ``DATE``, and the type is Memo.
"""

from __future__ import annotations

import re

from . import gazetteer
from .base import Context, strip_markdown
from .dates import parse_date, search_date
from .names import parse_names, people

NAME = "memo"
CONFIDENCE = 0.9

_KEY = re.compile(r"\s*(?P<key>to|from|date|re|subject|subj|cc|memorandum for|thru|through)\s*:?\s+(?P<value>\S.*)",
                  re.IGNORECASE)
_WANT = {"to", "from", "date", "re", "subject", "subj", "cc", "memorandum for", "thru", "through"}


def recognise(ctx: Context) -> None:
    found: dict[str, tuple[int, str]] = {}
    for i, _line, raw in ctx.header_lines():
        if ":" not in raw[:40] and not raw.lstrip("*_ ").upper().startswith("MEMORANDUM FOR"):
            continue
        text = strip_markdown(raw).strip("_* ")
        m = _KEY.fullmatch(text)
        if not m:
            continue
        key = m["key"].lower()
        if key != "memorandum for" and not re.match(r"\s*\w+\s*:", text):
            continue  # "To the Congress" is a salutation, not a memo key
        found.setdefault("subject" if key in ("re", "subj") else key, (i, m["value"].strip()))
    if "from" not in found or not ({"to", "memorandum for"} & found.keys()):
        return
    if not ({"date", "subject"} & found.keys()):
        return
    vocab = ctx.vocabulary or ()
    for key, (i, value) in found.items():
        ctx.used.add(i)
        pos = ctx.head[i].start
        if key == "subject":
            ctx.propose("title", value[:200], NAME, CONFIDENCE, pos)
        elif key == "date":
            d = parse_date(value) or (search_date(value) or (None,))[0]
            ctx.propose("date", d, NAME, CONFIDENCE, pos)
        elif key == "from":
            head, _, rest = value.partition(",")
            names = parse_names(head) or people(value)
            ctx.propose("authors", names, NAME, CONFIDENCE, pos)
            orgs = gazetteer.orgs_in(rest if names else value, vocab)
            if orgs:
                org = orgs[0][0]
                ctx.propose("organization", org.name, NAME, 0.7, pos, (("org_abbr", org.abbr),) if org.abbr else ())
    ctx.propose("type", "Memo", NAME, CONFIDENCE, ctx.head[min(i for i, _ in found.values())].start)
    ctx.no_title_line = "subject" in found
