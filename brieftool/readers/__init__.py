"""Files -> text plus the metadata the format itself carries: the one reader interface.

``read_path(path) -> Document`` and ``read_bytes(data, name) -> Document``. The format is
chosen by content, the file name is only a hint:

* ``%PDF-`` at the start (or within the first KiB, as PDF readers allow) -> ``pdf``
  (:mod:`.pdf`, pypdfium2);
* a ZIP archive holding ``word/document.xml`` -> ``docx`` (:mod:`.docx`, python-docx);
  a ZIP without it named ``.docx`` is "not a Word document", any other ZIP-based format
  (EPUB, ODT, XLSX, PPTX, a plain .zip) is an unsupported format;
* markup that starts like a web page (``<!DOCTYPE html``, ``<html``, ``<head``, after
  whitespace and comments; or any ``<`` markup in a file named ``.html``/``.htm``/``.xhtml``)
  -> ``html`` (:mod:`.html`, trafilatura);
* every other known binary signature (images, RTF, EPUB, archives, executables...) is refused
  with ``UnsupportedFormat("unsupported format: EPUB")``; walking a folder skips these;
* the rest is decoded as text (:mod:`.text`): ``markdown`` when named ``.md``/``.markdown``,
  else ``text``.

``Document.meta`` is the format's own metadata, as evidence for the metadata reader (keys
among ``title``, ``authors`` (list), ``date`` (as found), ``organization``, ``url``,
``type``, ``language``; PDFs also ``first_page_end``, the offset in ``text`` where page 1
ends). ``raw_sha256`` is the hash of the file's bytes (the archive's ``sha256`` is of the
extracted text), so the same PDF under two names is recognised as one brief.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .text import (
    DEFAULT_MAX_BYTES,
    BinaryFileError,
    Decoded,
    ReadError,
    decode_bytes,
    looks_binary,
    magic_kind,
    read_raw,
)

__all__ = [
    "Document",
    "ReadError",
    "BinaryFileError",
    "UnsupportedFormat",
    "Decoded",
    "read_path",
    "read_bytes",
    "detect_format",
    "sniff",
    "decode_bytes",
    "looks_binary",
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "READ_EXTENSIONS",
]

FORMATS = ("text", "markdown", "pdf", "html", "docx")
MARKDOWN_EXTENSIONS = (".md", ".markdown")
HTML_EXTENSIONS = (".html", ".htm", ".xhtml")
# Extensions of the binary formats that are read (a folder walk takes them; text files need none).
READ_EXTENSIONS = (".pdf", ".docx", *HTML_EXTENSIONS)


class UnsupportedFormat(BinaryFileError):
    """A file in a format brief does not read (EPUB, RTF, ODT, images, archives...):
    skipped when found in a folder, failed when named."""


@dataclass
class Document:
    """What a reader makes of one file."""

    text: str
    format: str  # text | markdown | pdf | html | docx
    pages: int | None = None  # PDFs
    meta: dict = field(default_factory=dict)
    raw_sha256: str = ""
    encoding: str | None = None  # text and Markdown
    size: int = 0  # bytes read
    mtime_ns: int | None = None
    warnings: list[str] = field(default_factory=list)


# Unsupported kinds as the user knows them ("unsupported format: EPUB").
_SHORT_KIND = {
    "EPUB e-book": "EPUB",
    "RTF document": "RTF",
    "OpenDocument file (.odt/.ods/.odp)": "OpenDocument (ODT/ODS/ODP)",
    "Excel workbook (.xlsx)": "Excel workbook (XLSX)",
    "PowerPoint presentation (.pptx)": "PowerPoint presentation (PPTX)",
    "legacy Microsoft Office document (.doc/.xls/.ppt)": "legacy Office document (DOC/XLS/PPT)",
}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_LEADING_JUNK = re.compile(rb"^(?:\xef\xbb\xbf)?(?:\s+|<!--.*?-->|<\?xml[^>]*\?>)*", re.S)
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)


def _ext(name: str | None) -> str:
    return os.path.splitext(name or "")[1].lower()


def _zip_has_document(data: bytes) -> bool | None:
    """True/False: the ZIP has/has not ``word/document.xml``; None: not a readable ZIP."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def detect_format(data: bytes, name: str | None = None) -> str:
    """The reader for ``data``: one of :data:`FORMATS`. Raises UnsupportedFormat (a known
    binary format that is not read) or ReadError (a ZIP named .docx that is not one)."""
    head = data[:4096]
    ext = _ext(name)
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_ZIP_MAGIC):
        has = _zip_has_document(data)
        if has:
            return "docx"
        if ext == ".docx":
            if has is None:
                raise ReadError("corrupt Word document (the ZIP container cannot be read)")
            raise ReadError("not a Word document (a ZIP archive without word/document.xml)")
        kind = magic_kind(head) or "ZIP archive"
        if kind == "Word document (.docx)":  # word/ entries but no document.xml: broken
            raise ReadError("corrupt Word document (the ZIP container cannot be read)" if has is None
                            else "not a Word document (no word/document.xml)")
        raise UnsupportedFormat(f"unsupported format: {_SHORT_KIND.get(kind, kind)}")
    kind = magic_kind(head)
    if kind is not None:
        raise UnsupportedFormat(f"unsupported format: {_SHORT_KIND.get(kind, kind)}")
    if _looks_html(head, ext):
        return "html"
    return "markdown" if ext in MARKDOWN_EXTENSIONS else "text"


def _looks_html(head: bytes, ext: str) -> bool:
    h = head
    if h.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 web page: look at its ASCII letters
        h = h[2:].replace(b"\x00", b"")
    m = _LEADING_JUNK.match(h)
    rest = h[m.end():] if m else h
    if _HTML_START.match(rest):
        return True
    return ext in HTML_EXTENSIONS and rest.startswith(b"<")


def sniff(head: bytes, name: str | None = None) -> str | None:
    """The reason a file starting with ``head`` will not be read, or None (a readable format,
    or text that looks like text). For walking folders: a big file is refused from its start."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return None
    kind = magic_kind(head[:4096])
    if head.startswith(_ZIP_MAGIC) and (kind == "Word document (.docx)" or _ext(name) == ".docx"):
        return None
    if kind is not None:
        return f"unsupported format: {_SHORT_KIND.get(kind, kind)}"
    if _looks_html(head[:4096], _ext(name)):
        return None
    return looks_binary(head)


def read_bytes(data: bytes, name: str | None = None, *, mtime_ns: int | None = None,
               on_page: Callable[[int, int], None] | None = None) -> Document:
    """Read one file's bytes (``name``: its file name, a hint only). Raises ReadError with the
    reason only (no path): BinaryFileError/UnsupportedFormat for what is not read at all."""
    data = bytes(data)
    if not data:
        raise ReadError("empty file")
    fmt = detect_format(data, name)
    raw = hashlib.sha256(data).hexdigest()
    if fmt == "pdf":
        from .pdf import read_pdf

        doc = read_pdf(data, on_page=on_page)
    elif fmt == "docx":
        from .docx import read_docx

        doc = read_docx(data)
    elif fmt == "html":
        from .html import read_html

        doc = read_html(data)
    else:
        text, encoding, warnings = decode_bytes(data)
        doc = Document(text=text, format=fmt, encoding=encoding, warnings=warnings)
    doc.raw_sha256 = raw
    doc.size = len(data)
    doc.mtime_ns = mtime_ns
    return doc


def read_path(path: pathlib.Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES,
              on_page: Callable[[int, int], None] | None = None) -> Document:
    """Read one file (see the module docstring). Raises ReadError with the reason only."""
    data, mtime_ns = read_raw(path, max_bytes=max_bytes)
    return read_bytes(data, os.path.basename(os.fspath(path)), mtime_ns=mtime_ns, on_page=on_page)
