"""The web-copy header: ``DATE | TYPE`` on the first line, the title on the next.

Source ``"header"``: the first line (after any front matter) is ``DATE | TYPE``
(``April 17, 2019 | Policy Brief``; ``TYPE | DATE`` and a line holding only a date are
accepted too). The next non-empty line is the title. Copies of the header and title lines
that follow (pages copied from the web often repeat them), and a byline directly after
them, are part of the header block: the body starts after them.
"""

from __future__ import annotations

import datetime as _dt
import re

from ..models import clean_label
from .base import TITLE_MAX, Context, heading, skip_blank_lines
from .byline import byline
from .dates import parse_date

NAME = "header"
CONFIDENCE = 0.9

_TYPE = re.compile(r"[^\W\d_][\w’' &/\-]{0,59}")


def header(line: str) -> tuple[_dt.date, str] | None:
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


def recognise(ctx: Context) -> None:
    at = ctx.title_at
    if at is None:
        return
    hdr = header(ctx.head[at].text)
    if not hdr:
        return
    date, kind = hdr
    text, head = ctx.text, ctx.head
    header_line = head[at]
    ctx.propose("date", date, NAME, CONFIDENCE, header_line.start)
    ctx.propose("type", clean_label(kind), NAME, CONFIDENCE, header_line.start)
    ctx.used.add(at)
    ctx.body_start = skip_blank_lines(text, header_line.end + 1)
    at = ctx.content(at + 1)
    ctx.title_at = at
    if at is None:
        return
    title_line = head[at]
    if len(title_line.text.strip()) > TITLE_MAX or byline(title_line.text):
        return
    from .title import _wrapped  # a title wrapped over lines, as a PDF's first page prints it

    last, title = _wrapped(ctx, at, heading(title_line.text))
    ctx.propose("title", title, NAME, CONFIDENCE, title_line.start)
    ctx.used.update(range(at, last + 1))
    # The header block: the title, then any repeat of header/title and a byline.
    repeats = {clean_label(header_line.text), clean_label(title_line.text)}
    j = last
    for _ in range(6):
        ctx.body_start = skip_blank_lines(text, head[j].end + 1)
        nxt = ctx.content(j + 1)
        if nxt is None or not (clean_label(head[nxt].text) in repeats or byline(head[nxt].text)):
            break
        j = nxt
        ctx.used.add(j)
    ctx.title_at = None
