"""Small PDFs made for the tests with fpdf2: text placed at coordinates (points, origin top left)."""

from __future__ import annotations

import os

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(pages: list[list[tuple[float, float, str]]], *, size: float = 10, title: str | None = None,
             author: str | None = None, font: str | None = None, sizes: dict | None = None,
             password: str | None = None, width: float = 612, height: float = 792,
             keywords: str | None = None, subject: str | None = None) -> bytes:
    """``pages``: for each page a list of (x, y, text) baselines; ``sizes``: text -> font size."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    if font:
        pdf.add_font("Body", "", font)
        family = "Body"
    else:
        family = "Helvetica"
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if keywords:
        pdf.set_keywords(keywords)
    if subject:
        pdf.set_subject(subject)
    for items in pages:
        pdf.add_page()
        for x, y, s in items:
            pdf.set_font(family, size=(sizes or {}).get(s, size))
            pdf.text(x, y, s)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    return bytes(pdf.output())


def lines_at(x: float, y0: float, texts: list[str], step: float = 13) -> list[tuple[float, float, str]]:
    return [(x, y0 + i * step, t) for i, t in enumerate(texts)]


def has_dejavu() -> bool:
    return os.path.exists(DEJAVU)
