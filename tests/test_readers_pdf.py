"""brieftool.readers.pdf: PDFs made for the purpose (fpdf2) -> clean text, metadata, clear refusals."""

from __future__ import annotations

import pytest

from brieftool.readers import Document, ReadError, read_bytes, read_path
from pdfmake import DEJAVU, has_dejavu, lines_at, make_pdf

pytest.importorskip("fpdf")

BODY = [
    "Water allocation along the river has long been a source of",
    "tension between the upstream and downstream states, and the",
    "intergovern-",
    "mental commission that manages it meets twice a year to",
    "review the treaty and its well-",
    "known drought clause, which is well-known to farmers, and the F-",
    "35 overflight rule.",
]


def test_single_column_lines_paragraphs_and_hyphen_joins():
    page = lines_at(72, 100, BODY) + lines_at(72, 220, ["A second paragraph starts after a wider gap here.",
                                                         "It goes on for one more line of ordinary text."])
    doc = read_bytes(make_pdf([page]), "river.pdf")
    assert isinstance(doc, Document) and doc.format == "pdf" and doc.pages == 1
    text = doc.text
    assert "intergovernmental" in text and "intergovern-" not in text  # a hyphenated break joined
    assert "its well-known\ndrought clause" in text  # the document writes "well-known": the hyphen stays
    assert "and the F-35\noverflight rule." in text
    assert text.index("Water allocation") < text.index("second paragraph")
    paras = [p for p in text.split("\n\n") if p.strip()]
    assert len(paras) == 2 and paras[1].startswith("A second paragraph starts")
    assert "\ntension between the upstream" in paras[0]  # lines kept as lines
    assert len(doc.raw_sha256) == 64 and doc.meta["first_page_end"] == len(text.rstrip("\n"))


def _paged(n: int, header: str = "Center for Water Policy | Working Paper 12") -> list:
    pages = []
    for i in range(n):
        topic = ["reservoir levels", "canal repairs", "irrigation budgets", "flood plains", "water prices"][i % 5]
        body = [f"Page {i + 1} body sentence about {topic} in the valley.",
                f"Another line on page {i + 1} that goes on about {topic} and more."]
        pages.append([(72, 40, header)] + lines_at(72, 120, body) + [(300, 760, f"{i + 1}")]
                     + [(72, 775, "www.water-policy.example.org")])
    return pages


def test_running_header_footer_and_page_numbers_removed():
    doc = read_bytes(make_pdf(_paged(4)), "paper.pdf")
    assert doc.pages == 4
    text = doc.text
    assert "Center for Water Policy" not in text and "water-policy.example.org" not in text
    for i, topic in enumerate(["reservoir levels", "canal repairs", "irrigation budgets", "flood plains"]):
        assert f"Page {i + 1} body sentence about {topic} in the valley." in text
    assert not any(line.strip().isdigit() for line in text.splitlines())  # page numbers gone
    # pages in order, separated by a blank line
    assert [text.index(f"Page {i} body") for i in range(1, 5)] == sorted(text.index(f"Page {i} body")
                                                                          for i in range(1, 5))
    assert "valley.\nAnother line on page 1" in text and "more.\n\nPage 2 body" in text


def test_a_title_printed_large_is_kept_though_it_runs_as_a_header():
    title = "Groundwater Rights in Transition"
    pages = _paged(3, header=title)
    pages[0][0] = (72, 60, title)
    doc = read_bytes(make_pdf(pages), "t.pdf")
    assert title not in doc.text  # small on every page: a running header
    big = read_bytes(_title_pdf(title), "t.pdf")
    assert big.text.startswith(title) and big.text.count(title) == 1
    assert big.meta["layout_title"] == title == big.meta["title"]  # the largest type on page 1


def _title_pdf(title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.set_auto_page_break(False)
    for i in range(3):
        pdf.add_page()
        if i == 0:
            pdf.set_font("Helvetica", size=22)
            pdf.text(72, 60, title)
        else:
            pdf.set_font("Helvetica", size=9)
            pdf.text(72, 40, title)
        pdf.set_font("Helvetica", size=10)
        for k, line in enumerate([f"Body text of page {i + 1} about aquifer recharge rates.",
                                  f"More body text on page {i + 1} about well permits."]):
            pdf.text(72, 120 + 13 * k, line)
    return bytes(pdf.output())


LEFT = [f"Left column line {i} on tariffs and duties" for i in range(1, 13)]
RIGHT = [f"Right column line {i} on export controls" for i in range(1, 13)]


def test_two_columns_read_left_then_right_under_a_spanning_title():
    title = "Trade Policy in Two Columns: A Layout Test Brief"
    page = [(72, 60, title)] + lines_at(72, 100, LEFT) + lines_at(330, 100, RIGHT)
    page.append((72, 330, "A footnote that spans the whole width of the page below both of the columns of text."))
    doc = read_bytes(make_pdf([page], sizes={title: 16}), "cols.pdf")
    text = doc.text
    pos = [text.index(s) for s in [title] + LEFT + RIGHT + ["A footnote that spans"]]
    assert pos == sorted(pos), text  # title, the whole left column, the whole right column, the footnote
    assert "Left column line 1 on tariffs and duties\nLeft column line 2" in text
    assert "duties Right" not in text  # no line mixes the two columns


def test_two_columns_with_interleaved_drawing_order():
    # Drawn line by line across the page (left, right, left, right...): still read column by column.
    page = []
    for i, (a, b) in enumerate(zip(LEFT, RIGHT)):
        page += [(72, 100 + 13 * i, a), (330, 100 + 13 * i, b)]
    text = read_bytes(make_pdf([page]), "x.pdf").text
    assert text.index(LEFT[-1]) < text.index(RIGHT[0])
    assert [text.index(s) for s in LEFT] == sorted(text.index(s) for s in LEFT)


@pytest.mark.skipif(not has_dejavu(), reason=f"no TrueType font with ligatures at {DEJAVU}")
def test_ligatures_become_letters():
    page = lines_at(72, 100, ["The \ufb01nal o\ufb03cial \ufb02oor plan of the \ufb01eld o\ufb00ice.",
                              "Nothing else here but plain words on a line."])
    text = read_bytes(make_pdf([page], font=DEJAVU), "lig.pdf").text
    assert "The final official floor plan of the field office." in text
    assert not any(0xFB00 <= ord(c) <= 0xFB06 for c in text)


def test_info_dictionary_is_metadata_evidence():
    data = make_pdf([lines_at(72, 100, BODY)], title="Microsoft Word - draft3.docx", author="Jane Roe; Li Wei")
    doc = read_bytes(data, "m.pdf")
    assert doc.meta["title"] == "Microsoft Word - draft3.docx"  # no larger type on page 1 to prefer
    assert doc.meta["authors"] == ["Jane Roe", "Li Wei"]
    assert len(doc.meta["date"]) == 10 and doc.meta["date"][:2] == "20"  # the creation date, ISO
    assert "keywords" not in doc.meta and "subject" not in doc.meta


def test_keywords_and_subject_are_metadata_and_a_labelled_date_in_them_is_a_date():
    import datetime as dt

    from brieftool.extract import extract

    data = make_pdf([lines_at(72, 100, ["Energy Labels and the Grid"] + BODY)], keywords="Cover Date:  April 20,\n 2026",
                    subject="CRS Insights")
    doc = read_bytes(data, "e.pdf")
    assert doc.meta["keywords"] == "Cover Date: April 20, 2026" and doc.meta["subject"] == "CRS Insights"
    got = extract(doc.text, hints={**doc.meta, "format": doc.format})  # as ingest.prepare passes them
    assert got.fields["date"] == dt.date(2026, 4, 20) and got.sources["date"] == "pdf info"
    # the text's own date wins over the field's
    dated = make_pdf([lines_at(72, 100, ["Energy Labels and the Grid", "May 1, 2026"] + BODY)],
                     keywords="Cover Date: April 20, 2026")
    doc = read_bytes(dated, "d.pdf")
    got = extract(doc.text, hints={**doc.meta, "format": doc.format})  # as ingest.prepare passes them
    assert got.fields["date"] == dt.date(2026, 5, 1) and got.sources["date"] != "pdf info"


@pytest.mark.parametrize("keywords, subject", [
    ("2019", None),  # a bare number
    ("Energy, April 20, 2026, grid", None),  # a date without a label
    ("Creation Date: April 20, 2026", "Modified: 2026-04-21"),  # when the file was made
    ("Date: 20260420", "Date: see April 2026"),  # a label, but no date right after it
])
def test_keywords_without_a_labelled_date_give_no_date(keywords, subject):
    from brieftool.extract import extract

    doc = read_bytes(make_pdf([lines_at(72, 100, ["Energy Labels and the Grid"] + BODY)], keywords=keywords,
                              subject=subject), "n.pdf")
    assert doc.meta["keywords"] == keywords
    got = extract(doc.text, hints={**doc.meta, "format": doc.format})  # as ingest.prepare passes them
    assert "date" not in got.fields, got.fields


# -- bad input -------------------------------------------------------------------------------------
def test_no_text_layer():
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.add_page()
    pdf.rect(50, 50, 300, 400, style="F")  # a "scan": marks, no text
    with pytest.raises(ReadError, match=r"^no text layer \(a scan\?\); OCR is not supported$"):
        read_bytes(bytes(pdf.output()), "scan.pdf")


def test_encrypted_pdf():
    data = make_pdf([lines_at(72, 100, BODY)], password="secret")
    with pytest.raises(ReadError, match=r"^encrypted PDF \(needs a password\)"):
        read_bytes(data, "locked.pdf")


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.8])
def test_truncated_pdf(cut):
    data = make_pdf(_paged(3))
    with pytest.raises(ReadError, match=r"^corrupt or truncated PDF"):
        read_bytes(data[: int(len(data) * cut)], "cut.pdf")


def test_garbage_after_the_pdf_magic():
    with pytest.raises(ReadError, match=r"^corrupt or truncated PDF"):
        read_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40, "junk.pdf")


def test_one_huge_line_is_read_quickly(tmp_path):
    import time

    words = " ".join(f"w{i}" for i in range(2500))  # far wider than the page, in one text object
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(20, 100, "Sentinel start " + words + " sentinel end")
    p = tmp_path / "line.pdf"
    p.write_bytes(bytes(pdf.output()))
    t = time.process_time()
    doc = read_path(p)
    assert time.process_time() - t < 5
    assert doc.text.startswith("Sentinel start w0 w1 w2") and "w2499 sentinel end" in doc.text


def test_progress_is_reported_page_by_page():
    seen = []
    read_bytes(make_pdf(_paged(5)), "p.pdf", on_page=lambda i, n: seen.append((i, n)))
    assert seen == [(i, 5) for i in range(1, 6)]
