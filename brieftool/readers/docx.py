"""Word documents (.docx) -> text, with python-docx (MIT).

The body is read in document order: paragraphs (headings included), and tables row by row
as ``| a | b |`` lines (a cell merged across columns counted once, nested tables inside
their cell). Headers, footers, comments and tracked deletions are not part of the body and
stay out. Paragraphs are separated by a blank line. The core properties (title, author,
created) go to ``meta`` as evidence for the metadata reader.
"""

from __future__ import annotations

import io

from .text import ReadError

EMPTY = "no text (an empty Word document)"


def _cell_text(cell) -> str:
    parts = [p.text.strip() for p in cell.paragraphs if p.text.strip()]
    for t in cell.tables:
        parts.extend(_table_lines(t))
    return " ".join(parts)


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell appears once per column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(_cell_text(cell).split()))
        if any(cells):
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def read_docx(data: bytes):
    """A :class:`~brieftool.readers.Document` for a .docx file's bytes. Raises ReadError."""
    from . import Document

    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as e:  # pragma: no cover - a broken install
        raise ReadError(f"cannot read Word documents: python-docx is not installed properly ({e})") from None
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as e:  # BadZipFile, a missing part, broken XML...
        raise ReadError(f"corrupt or truncated Word document ({_reason(e)})") from None
    blocks: list[str] = []
    try:
        for el in d.element.body.iterchildren():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "p":
                s = Paragraph(el, d).text.strip()
                if s:
                    blocks.append(s)
            elif tag == "tbl":
                rows = _table_lines(Table(el, d))
                if rows:
                    blocks.append("\n".join(rows))
    except Exception as e:  # pragma: no cover - damaged XML inside the body
        raise ReadError(f"corrupt Word document ({_reason(e)})") from None
    text = "\n\n".join(blocks)
    if not text.strip():
        raise ReadError(EMPTY)
    meta: dict = {}
    try:
        cp = d.core_properties
        title = " ".join((cp.title or "").split())
        if title:
            meta["title"] = title
        author = " ".join((cp.author or "").split())
        if author:
            meta["authors"] = [a.strip() for a in author.split(";") if a.strip()]
        if cp.created is not None:
            meta["date"] = cp.created.date().isoformat()
        if cp.language:
            meta["language"] = cp.language
    except Exception:  # pragma: no cover - unreadable core properties are only missing evidence
        pass
    return Document(text=text + "\n", format="docx", meta=meta)


def _reason(e: Exception) -> str:
    name = type(e).__name__
    if name == "BadZipFile":
        return "not a readable ZIP container"
    if name == "PackageNotFoundError":
        return "not a Word package"
    if name == "KeyError":
        return f"missing part {e}"
    return name
