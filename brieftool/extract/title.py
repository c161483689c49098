"""The title when no stronger form gave one: the first line of the body, else the file name.

Source ``"first line"``: the first non-empty line of the body (``#`` heading marks removed)
if it is at most ``TITLE_MAX`` characters; otherwise (source ``"file name"``) the file name
stem made readable (``2011-Obama-1.txt`` -> ``2011 Obama 1``), or, without a file name, the
line cut at a word boundary. Nothing else is invented.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..models import clean_label
from .base import TITLE_MAX, Context, heading
from .byline import byline

NAME = "first line"
FILE_NAME = "file name"
CONFIDENCE = 0.3
FILE_CONFIDENCE = 0.1


def readable_stem(filename: str) -> str:
    return clean_label(re.sub(r"[_\-]+", " ", Path(filename).stem))


def recognise(ctx: Context) -> None:
    at = ctx.title_at
    line = None
    while at is not None:
        if not byline(ctx.head[at].text):
            line = ctx.head[at]
            break
        at = ctx.content(at + 1)
    after = len(ctx.text)
    if line is not None and len(line.text.strip()) <= TITLE_MAX:
        ctx.propose("title", heading(line.text), NAME, CONFIDENCE, line.start)
    elif ctx.filename:
        ctx.propose("title", readable_stem(ctx.filename), FILE_NAME, FILE_CONFIDENCE, after)
    elif line is not None:
        cut = clean_label(line.text[: TITLE_MAX * 2])[:TITLE_MAX]
        ctx.propose("title", cut.rsplit(" ", 1)[0] + "…", NAME, CONFIDENCE, line.start)
