"""The title when no stronger form gave one, and what stands right under it.

* Source ``"heading"``: a leading Markdown heading ``# Title`` (the first heading line of the
  head that no other recogniser consumed).
* Source ``"first line"``: otherwise the first line of the body that is not metadata, a
  banner, a salutation, a byline or a navigation line, at most ``TITLE_MAX`` characters and
  not a sentence. A title wrapped over two or three lines (as PDF covers print them) is
  joined when the line ends open (``:``, ``,``, ``and`` ...), when the next starts in lower case
  (``... Disabilities Act`` / ``to Ridesharing Companies``), or when the wrapped block ends
  at a date or a byline; a subtitle line (three or more words, then a blank line) is joined
  with a colon (``Deterring Russian Aggression: What It Takes to Win``). A sentence is not a title when there is a file name to use.
* Source ``"file name"``: otherwise (and always for memos and transcripts, whose lines are not
  titles) the file name stem made readable, without a leading ``YYYY-MM-DD`` date
  (``2011-Obama-1.txt`` -> ``2011 Obama 1``, ``1789-04-30-first-inaugural.txt`` ->
  ``first inaugural``); without a file name, an over-long first line cut at a word.
* Source ``"under title"``: a line that is only a date directly under the title (or under the
  author line) gives the date; a line that is only a list of people's names directly under
  the title (``Jane Doe, John Smith and Ana Lima``) gives the authors.

Markdown syntax, and quotes around a whole title line, never end up in a title.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..models import clean_label
from .banners import is_navigation, is_salutation
from .base import HEADER_WINDOW, TITLE_MAX, Context, strip_markdown
from .byline import byline
from .dates import file_name_date, parse_date, search_date
from .names import looks_personal, people

NAME = "first line"
HEADING = "heading"
FILE_NAME = "file name"
UNDER = "under title"
CONFIDENCE = 0.3
HEADING_CONFIDENCE = 0.7
FILE_CONFIDENCE = 0.1

_HEADING = re.compile(r"\s{0,3}#{1,6}\s+\S")
_SENTENCE = re.compile(r"[a-z]{2}[.!?]\s+[A-Z“\"]|[.;]\s*$")
_KEYED = re.compile(r"[A-Za-z]+:\s")
_OPEN_END = re.compile(r"(?:[:,–—-]|\b(?:and|or|of|the|for|in|on|to|a|an|with|from|et|und|de|des|du|la|le|der|die|das|und)\s*)$",
                       re.IGNORECASE)


def readable_stem(filename: str) -> str:
    stem = Path(filename).stem
    hit = file_name_date(stem)
    if hit and hit[1] == 0 and len(stem) > hit[2] + 1:
        stem = stem[hit[2]:]
    return clean_label(re.sub(r"[_\-]+", " ", stem))


def _is_title_like(text: str) -> bool:
    if not text or len(text) > TITLE_MAX:
        return False
    words = text.split()
    if len(words) >= 8 and _SENTENCE.search(text):
        return False
    return not text.endswith((",", ";"))


def recognise(ctx: Context) -> None:
    after = len(ctx.text)
    if ctx.no_title_line:
        if ctx.filename:
            ctx.propose("title", readable_stem(ctx.filename), FILE_NAME, 0.35, after)
        return
    head = ctx.head
    at = ctx.title_at
    chosen = None
    while at is not None and at < max(HEADER_WINDOW, (ctx.title_at or 0) + 1):
        raw = head[at].text
        text = strip_markdown(raw)
        skip = (at in ctx.used or byline(raw) or raw.lstrip().lower().startswith("by ") or is_navigation(raw)
                or is_salutation(text) or parse_date(text) or not text)
        if not skip:
            chosen = at
            break
        at = ctx.content(at + 1)
    # A Markdown heading anywhere in the head before the chosen line, or the chosen line itself.
    for i in range(ctx.after_fm, min(len(head), HEADER_WINDOW)):
        if i not in ctx.used and _HEADING.match(head[i].text):
            text = strip_markdown(head[i].text)
            if text and len(text) <= TITLE_MAX and (chosen is None or i <= chosen):
                ctx.propose("title", text, HEADING, HEADING_CONFIDENCE, head[i].start)
                _under(ctx, i)
                return
            break
    if chosen is not None:
        text = strip_markdown(head[chosen].text)
        if _is_title_like(text) or (not ctx.filename and text and len(text) <= TITLE_MAX):
            last, text = _wrapped(ctx, chosen, text)
            text = _unquote(text)
            ctx.propose("title", text, NAME, CONFIDENCE, head[chosen].start)
            _under(ctx, last)
            return
    if ctx.filename:
        ctx.propose("title", readable_stem(ctx.filename), FILE_NAME, FILE_CONFIDENCE, after)
    elif chosen is not None:
        cut = clean_label(head[chosen].text[: TITLE_MAX * 2])[:TITLE_MAX]
        ctx.propose("title", cut.rsplit(" ", 1)[0] + "…", NAME, CONFIDENCE, head[chosen].start)


_QUOTES = {"“": "”", '"': '"', "‘": "’", "«": "»", "„": "“"}


def _unquote(text: str) -> str:
    """A title line in quotes (testimony covers) without the quotes."""
    if len(text) > 2 and _QUOTES.get(text[0]) == text[-1] and text.count(text[0]) == 1:
        return text[1:-1].strip()
    return text


def _stop_line(ctx: Context, i: int) -> bool:
    raw = ctx.head[i].text
    return bool(parse_date(strip_markdown(raw)) or byline(raw) or i in ctx.used)


def _wrapped(ctx: Context, i: int, text: str) -> tuple[int, str]:
    """The title's last line and the title joined over up to three wrapped lines."""
    head = ctx.head
    block = [text]
    j = i
    while len(block) < 3 and j + 1 < len(head) and head[j + 1].text.strip():
        nxt = strip_markdown(head[j + 1].text)
        if _stop_line(ctx, j + 1) or len(nxt) > 100 or len(" ".join(block + [nxt])) > TITLE_MAX:
            break
        open_end = (bool(_OPEN_END.search(block[-1])) or nxt[:1] in "([" or
                    (nxt[:1].islower() and not _KEYED.match(block[0])))
        ends_at_stop = False
        k = j + 1
        while k + 1 < len(head) and head[k + 1].text.strip() and k - j < 3:
            if _stop_line(ctx, k + 1):
                ends_at_stop = True
                break
            k += 1
        if not ends_at_stop and k - i < 3:  # the block, a blank line, then a date or byline (PDF pages)
            after = ctx.content(k + 1)
            ends_at_stop = after is not None and after - k <= 2 and _stop_line(ctx, after)
        # A subtitle: a line of three or more words that ends the block (blank line next).
        subtitle = (len(block) == 1 and len(nxt.split()) >= 3 and not ends_at_stop and not search_date(nxt)
                    and (nxt[:1].isupper() or nxt[:1].isdigit())
                    and (j + 2 >= len(head) or not head[j + 2].text.strip()))
        if not (open_end or ends_at_stop or subtitle) or nxt.endswith("."):
            break
        if subtitle and not open_end and not block[-1].endswith((":", "?", "!")):
            block[-1] += ":"
        block.append(nxt)
        j += 1
    return j, clean_label(" ".join(block))


def _under(ctx: Context, i: int) -> None:
    """A date or a list of names on the lines directly under the title."""
    j = ctx.content(i + 1)
    for _ in range(2):
        if j is None or j >= HEADER_WINDOW:
            return
        raw = ctx.head[j].text
        text = strip_markdown(raw)
        d = parse_date(text)
        if d:
            ctx.propose("date", d, UNDER, 0.6, ctx.head[j].start)
            ctx.used.add(j)
        elif j not in ctx.used and not byline(raw) and len(text) <= 200 and (names := people(text)) and looks_personal(names):
            ctx.propose("authors", names, UNDER, 0.65, ctx.head[j].start)
            ctx.used.add(j)
        elif not (j in ctx.used or byline(raw)):
            return
        j = ctx.content(j + 1)
