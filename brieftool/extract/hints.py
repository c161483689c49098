"""The format reader's own metadata (PDF info, HTML meta tags, DOCX properties), as weak evidence.

Source ``"pdf info"``, ``"html meta"``, ``"docx properties"`` (after ``hints["format"]``; else
``"format metadata"``). Every value is below what the text itself says (a title from the text's
first line wins over the PDF's Title), and junk that tools write is refused (and a PDF's or DOCX's own date, which is when the file
was made or saved -- often a day or a year off the publication date -- is not used at all): a title that is a
file name or a tool's (``Microsoft Word - draft3.docx``, ``untitled``, ``Slide 1``), an author
that is an account (``Administrator``, ``user``), a date that is not a date.

**Labelled dates in free-text fields.** A format's free-text fields (``hints["keywords"]``,
``hints["subject"]``: a PDF's Keywords and Subject) are read for a date only where the field
labels it: ``Cover Date:``, ``Publication Date:``, ``Date Published:``, ``Published:``,
``Release Date:`` or ``Date:`` at the start of the field or after a ``;``/``|``/``,``/newline,
followed by a whole date in the grammar of ``dates`` (``Cover Date: April 20, 2026``). Nothing
else in those fields is a date: not a bare number (``2019``), not an unlabelled date
(``Energy, April 20, 2026``), not another label (``Creation Date:``, ``Modified:`` -- when the
file was made). Such a date has the confidence of an HTML meta date: below every date the text
gives and below a date in the file name.
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
FREE_TEXT = ("keywords", "subject")
_LABELLED_DATE = re.compile(
    r"(?:^|[;|,\n])\s*(?:cover\s+date|publication\s+date|date\s+published|published|release\s+date|date)\s*:\s*",
    re.IGNORECASE)

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
    for key in FREE_TEXT:
        d = labelled_date(str(meta.get(key) or ""))
        if d:
            ctx.propose("date", d, source, CONFIDENCE + 0.05, pos)
            break
    org = str(meta.get("organization") or "")
    known = gazetteer.org_named(org, vocab) if org else None
    if known:
        ctx.propose("organization", known.name, source, CONFIDENCE, pos, (("org_abbr", known.abbr),) if known.abbr else ())
    url = str(meta.get("url") or "")
    if url.startswith(("https://", "http://")) and len(url) <= 2000 and not any(c.isspace() for c in url):
        ctx.propose("source_url", url, source, CONFIDENCE, pos)  # the page's own address (canonical link)
    if url:
        by_url = gazetteer.org_of_url(url)
        if by_url:
            ctx.propose("organization", by_url.name, source, CONFIDENCE, pos, (("org_abbr", by_url.abbr),) if by_url.abbr else ())
    kind = gazetteer.type_named(str(meta.get("type") or ""), vocab)
    if kind:
        ctx.propose("type", kind, source, CONFIDENCE, pos)


def labelled_date(field: str):
    """The first date a free-text metadata field labels (see the module docstring), or None."""
    field = field[:1000]
    for m in _LABELLED_DATE.finditer(field):
        hit = search_date(field[m.end():m.end() + 80])
        if hit and hit[1] == 0:
            return hit[0]
    return None
