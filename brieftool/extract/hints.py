"""The format reader's own metadata (PDF info, HTML meta tags, DOCX properties), as weak evidence.

Source ``"pdf info"``, ``"html meta"``, ``"docx properties"`` (after ``hints["format"]``; else
``"format metadata"``). Every value is below what the text itself says (a title from the text's
first line wins over the PDF's Title), and junk that tools write is refused (and a PDF's or DOCX's own date, which is when the file
was made or saved -- often a day or a year off the publication date -- is not used at all): a title that is a
file name or a tool's (``Microsoft Word - draft3.docx``, ``untitled``, ``Slide 1``), an author
that is an account (``Administrator``, ``user``), a date that is not a date.
"""

from __future__ import annotations

import re

from . import gazetteer
from ..models import clean_label
from .base import Context
from .dates import parse_date, search_date
from .names import parse_names

SOURCES = {"pdf": "pdf info", "html": "html meta", "docx": "docx properties"}
CONFIDENCE = 0.25

_JUNK_TITLE = re.compile(
    r"(?:microsoft\s+(?:word|powerpoint|excel)\b.*|.*\.(?:docx?|pdf|pptx?|xlsx?|rtf|odt|txt|indd|tex|html?)"
    r"|untitled.*|document[0-9]*|slide\s*[0-9]+|title|print|doc[0-9]+|[0-9_\- .]+|.{0,2})",
    re.IGNORECASE)
_JUNK_AUTHOR = {"administrator", "admin", "user", "owner", "author", "unknown", "staff", "guest", "windows user",
                "microsoft office user", "default", "test"}


def recognise(ctx: Context) -> None:
    meta = ctx.hints
    if not meta:
        return
    source = SOURCES.get(str(meta.get("format", "")).lower(), "format metadata")
    pos = len(ctx.text) + 1
    vocab = ctx.vocabulary or ()
    title = clean_label(str(meta.get("title") or ""))[:300]
    if title and not _JUNK_TITLE.fullmatch(title) and len(title) <= 200:
        ctx.propose("title", title, source, CONFIDENCE, pos)
    authors = meta.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    good = []
    for a in authors[:20]:
        a = clean_label(str(a))
        if a.lower() in _JUNK_AUTHOR:
            continue
        names = parse_names(a)
        if names:
            good += names
    if good:
        ctx.propose("authors", good, source, CONFIDENCE, pos)
    date = str(meta.get("date") or "") if source == "html meta" else ""  # a PDF's or DOCX's date is when the
    d = parse_date(date) or ((search_date(date) or (None,))[0] if date[:4].isdigit() else None)  # file was made
    if d:
        ctx.propose("date", d, source, CONFIDENCE + 0.05, pos)
    org = str(meta.get("organization") or "")
    known = gazetteer.org_named(org, vocab) if org else None
    if known:
        ctx.propose("organization", known.name, source, CONFIDENCE, pos, (("org_abbr", known.abbr),) if known.abbr else ())
    url = str(meta.get("url") or "")
    if url:
        by_url = gazetteer.org_of_url(url)
        if by_url:
            ctx.propose("organization", by_url.name, source, CONFIDENCE, pos, (("org_abbr", by_url.abbr),) if by_url.abbr else ())
    kind = gazetteer.type_named(str(meta.get("type") or ""), vocab)
    if kind:
        ctx.propose("type", kind, source, CONFIDENCE, pos)
