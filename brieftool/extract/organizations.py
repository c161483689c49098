"""The publisher, from the lines that say who published the brief.

Source ``"organizations"``: in the head and the tail, matched against the gazetteer
(``gazetteer.py``, ``data/organizations.tsv``, plus ``org:`` lines of the user's vocabulary):

* copyright lines: ``© 2019 The Brookings Institution``, ``Copyright 2021 RAND Corporation``;
* publisher statements: ``This document was prepared by the Congressional Research Service``,
  ``Published by ...``, ``A publication of ...``, ``... is a publication of ...``;
* near the end, a footer with a report number (``IF10753 · VERSION 6 · UPDATED``: the
  publisher and, for CRS, the product type), or a line that is only a link to its web site (PDF footers:
  ``https://crsreports.congress.gov``). A line that is only a name is not enough there: it is
  as often a section heading (``FEDERAL TRADE COMMISSION``) as a footer.

Organizations named anywhere else (a co-author's other employer, a study cited in the body)
are never proposed: only these forms, banners, bylines, bios and key lines are read.
"""

from __future__ import annotations

import re

from . import gazetteer, keys
from .base import Context, strip_markdown

NAME = "organizations"

_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:[0-9]{4}(?:\s*[-–]\s*[0-9]{2,4})?\s*,?\s*)?(?:by\s+)?(?P<rest>.{2,300})",
                        re.IGNORECASE)
_STATEMENT = re.compile(r"(?:(?:this|the)\s+(?:document|report|brief|paper|publication|product)\s+(?:was|is|has been)\s+"
                        r"(?:prepared|published|produced|written|issued)\s+by|published\s+by|a\s+publication\s+of|"
                        r"is\s+a\s+publication\s+of|produced\s+by)\s+(?P<rest>.{2,300})", re.IGNORECASE)
_URL_ONLY = re.compile(r"\s*(?:https?://)?(?:www\.)?[\w.\-]+\.[a-z]{2,}(?:/\S*)?\s*(?:\|.*)?", re.IGNORECASE)


def _put(ctx: Context, org, confidence: float, pos: int) -> None:
    ctx.propose("organization", org.name, NAME, confidence, pos, (("org_abbr", org.abbr),) if org.abbr else ())


def recognise(ctx: Context) -> None:
    vocab = ctx.vocabulary or ()
    tail = ctx.tail()
    for line, in_tail in [(ln, False) for ln in ctx.head] + [(ln, True) for ln in tail]:
        text = line.text
        if not text.strip() or len(text) > 600:  # a paragraph of prose, not a publisher's line
            continue
        low = text.lower()
        if "©" in text or "copyright" in low or "(c)" in low:
            m = _COPYRIGHT.search(text, 0, 300)
            if m and m.start() > 40 and len(text) > 200:  # "... not subject to copyright protection ..."
                m = None
            found = gazetteer.orgs_in(m["rest"], vocab) if m else []
            if found:
                _put(ctx, found[0][0], 0.8, line.start)
                continue
        if " by " in low or "publication of" in low:
            m = _STATEMENT.match(text.lstrip(" *_>#-"))
            found = gazetteer.orgs_in(m["rest"], vocab) if m else []
            if found and found[0][1] <= 4:
                _put(ctx, found[0][0], 0.75, line.start)
                continue
        if in_tail and len(text) <= 120:
            plain = strip_markdown(text).strip()
            nums = [gazetteer.REPORT_NUMBER.fullmatch(p.strip()) for p in re.split(r"[|·•]", plain)]
            nums = [m for m in nums if m]
            if nums:  # a footer "IF10753" or "https://crsreports.congress.gov | IF10753 · VERSION 6"
                keys.propose_number(ctx, nums[0], NAME, line.start)
            if _URL_ONLY.fullmatch(plain):
                org = gazetteer.org_of_url(plain)
                if org:
                    _put(ctx, org, 0.6, line.start)
