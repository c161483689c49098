"""Bylines: ``By NAME``, ``By A and B``, ``By A, B and C`` among the first lines.

Source ``"byline"``: a line ``By NAME``, ``By A and B``, ``By A, B and C`` or
``By A, B, and C`` among the first ``BYLINE_WINDOW`` non-empty lines after any front matter.
Gives the authors.
"""

from __future__ import annotations

import re

from .base import TITLE_MAX, Context
from .names import parse_names

NAME = "byline"
CONFIDENCE = 0.8
BYLINE_WINDOW = 12  # non-empty lines from the top in which a byline is looked for

_BYLINE = re.compile(r"\s*(?:By|BY)(?::\s*|\s+)(.+)")


def byline(line: str) -> list[str] | None:
    """The authors a byline names, or None when ``line`` is not a byline."""
    if len(line) > TITLE_MAX:
        return None
    m = _BYLINE.fullmatch(line)
    return parse_names(m[1]) if m else None


def recognise(ctx: Context) -> None:
    seen = 0
    for i in range(ctx.after_fm, len(ctx.head)):
        line = ctx.head[i]
        if not line.text.strip():
            continue
        seen += 1
        if seen > BYLINE_WINDOW:
            break
        found = byline(line.text)
        if found:
            ctx.used.add(i)
            ctx.propose("authors", found, NAME, CONFIDENCE, line.start)
            return
