"""Saved web pages -> the article's text, with trafilatura (Apache-2.0).

trafilatura finds the main content of a page and leaves out navigation, cookie banners,
sidebars, comments and footers; tables come out as ``| a | b |`` rows and list items as
``- item`` lines. Each paragraph, heading or list is separated by a blank line. The page's
own title, author, date, site name (-> ``organization``) and canonical URL go to ``meta`` as
evidence for the metadata reader; the title is put first in the text when the article text
does not start with it. A page without main content (only navigation, an empty shell that
loads its text with JavaScript: no line of six words or more) is refused: "no main content
found".
"""

from __future__ import annotations

import re

from .text import ReadError

NO_CONTENT = "no main content found (only navigation, or a page that loads its text with JavaScript)"
_LIST_OR_ROW = re.compile(r"^(?:[-*•] |\|)")


def _paragraphs(text: str) -> str:
    out: list[str] = []
    prev_grouped = False
    for line in text.split("\n"):
        line = line.rstrip()
        if not line.strip():
            continue
        grouped = bool(_LIST_OR_ROW.match(line))
        if out:
            out.append("\n" if grouped and prev_grouped else "\n\n")
        out.append(line)
        prev_grouped = grouped
    return "".join(out)


def read_html(data: bytes):
    """A :class:`~brieftool.readers.Document` for a web page's bytes. Raises ReadError."""
    from . import Document

    try:
        import trafilatura
    except ImportError as e:  # pragma: no cover - a broken install
        raise ReadError(f"cannot read HTML: trafilatura is not installed properly ({e})") from None
    try:
        res = trafilatura.bare_extraction(data, include_tables=True, include_comments=False,
                                          with_metadata=True)
    except Exception as e:  # lxml or trafilatura giving up on broken markup
        raise ReadError(f"HTML cannot be read ({type(e).__name__})") from None
    body = (getattr(res, "text", None) or "") if res is not None else ""
    text = _paragraphs(body)
    # What is left of a page without an article is menu entries: no line reads like prose.
    if not text.strip() or not any(len(line.split()) >= 6 for line in text.splitlines()):
        raise ReadError(NO_CONTENT)
    meta: dict = {}
    title = " ".join((getattr(res, "title", None) or "").split())
    if title:
        meta["title"] = title
        if not text[:len(title) + 200].casefold().lstrip().startswith(title.casefold()):
            text = f"{title}\n\n{text}"
    author = (getattr(res, "author", None) or "").strip()
    if author:
        meta["authors"] = [a.strip() for a in re.split(r"\s*;\s*", author) if a.strip()]
    for key, attr in (("date", "date"), ("organization", "sitename"), ("url", "url"), ("language", "language")):
        v = " ".join((getattr(res, attr, None) or "").split())
        if v:
            meta[key] = v
    return Document(text=text + "\n", format="html", meta=meta)
