"""brieftool.readers.html (trafilatura) and .docx (python-docx): pages and documents made for the purpose."""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile

import pytest

from brieftool.readers import ReadError, UnsupportedFormat, detect_format, read_bytes
from conftest import write

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Water Rights Reform | Western Policy Center</title>
<meta name="author" content="Jane Roe">
<meta property="og:site_name" content="Western Policy Center">
<meta name="date" content="2023-05-04">
<link rel="canonical" href="https://policy.example.org/water-rights">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/donate">Donate</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. Accept all cookies.</div>
<article>
<h1>Water Rights Reform</h1>
<p>Western states allocate river water by prior appropriation, a doctrine from the mining camps
that rewards the earliest claims on a stream.</p>
<p>Reformers argue the rule discourages conservation, because unused water rights can be forfeited
under the use-it-or-lose-it principle that governs most basins.</p>
<table><tr><th>State</th><th>Acre-feet saved</th></tr><tr><td>Colorado</td><td>120,000</td></tr></table>
<ul><li>Allow leasing of conserved water</li><li>Protect instream flows</li></ul>
</article>
<footer>Copyright 2023 Western Policy Center. All rights reserved. Privacy policy. Terms of use.</footer>
</body></html>
"""


def test_html_main_content_without_navigation_cookies_or_footer():
    doc = read_bytes(PAGE.encode(), "water.html")
    assert doc.format == "html" and doc.pages is None
    t = doc.text
    assert t.startswith("Water Rights Reform\n\n")
    assert "prior appropriation" in t and "use-it-or-lose-it principle" in t
    assert "| Colorado | 120,000 |" in t
    assert "- Allow leasing of conserved water\n- Protect instream flows" in t
    for junk in ("About us", "Donate", "cookies", "All rights reserved", "Privacy policy"):
        assert junk not in t
    paras = t.strip().split("\n\n")
    assert paras[1].startswith("Western states allocate") and paras[2].startswith("Reformers argue")
    assert {k: doc.meta.get(k) for k in ("title", "authors", "date", "organization", "url")} == {
        "title": "Water Rights Reform", "authors": ["Jane Roe"], "date": "2023-05-04",
        "organization": "Western Policy Center", "url": "https://policy.example.org/water-rights"}


def test_html_is_recognised_by_content_not_by_name():
    assert detect_format(PAGE.encode(), "saved page.txt") == "html"
    assert detect_format(b"<!-- saved from url=(0040)https://x.example/ -->\n<html><body>x", None) == "html"
    assert detect_format(b"<p>Some markup in a page named .htm</p>", "a.htm") == "html"
    assert detect_format(b"<p>A Markdown file may start with markup</p>\n", "notes.md") == "markdown"
    assert detect_format(b"Plain words.\n", "notes.txt") == "text"


def test_html_without_main_content_is_refused():
    shell = ("<!DOCTYPE html><html><head><title>App</title><script src='app.js'></script></head>"
             "<body><nav><a href='/'>Home</a> <a href='/x'>Log in</a></nav><div id='root'></div></body></html>")
    with pytest.raises(ReadError, match=r"^no main content found"):
        read_bytes(shell.encode(), "app.html")


# -- Word ------------------------------------------------------------------------------------------
def make_docx(*, header: str = "Running header text", footer: str = "Page footer text", table: bool = True) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = "Broadband Subsidies Memo"
    d.core_properties.author = "Sam Lee; Ana Ortiz"
    d.core_properties.created = _dt.datetime(2022, 9, 14, 10, 0)
    sec = d.sections[0]
    sec.header.paragraphs[0].text = header
    sec.footer.paragraphs[0].text = footer
    d.add_heading("Broadband Subsidies Memo", level=1)
    d.add_paragraph("Rural counties lag in fibre coverage, and the federal subsidy formula favours incumbents.")
    if table:
        t = d.add_table(rows=2, cols=3)
        for i, row in enumerate([("County", "Homes passed", "Share"), ("Garfield", "1,200", "41%")]):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    d.add_paragraph("")
    d.add_paragraph("The memo closes with three options for the state broadband office.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_in_order_tables_as_text_headers_out():
    doc = read_bytes(make_docx(), "memo.docx")
    assert doc.format == "docx"
    assert doc.text == ("Broadband Subsidies Memo\n\n"
                        "Rural counties lag in fibre coverage, and the federal subsidy formula favours incumbents.\n\n"
                        "| County | Homes passed | Share |\n| Garfield | 1,200 | 41% |\n\n"
                        "The memo closes with three options for the state broadband office.\n")
    assert "Running header" not in doc.text and "Page footer" not in doc.text
    assert doc.meta["title"] == "Broadband Subsidies Memo"
    assert doc.meta["authors"] == ["Sam Lee", "Ana Ortiz"] and doc.meta["date"] == "2022-09-14"


def test_docx_found_by_content_whatever_its_name():
    assert detect_format(make_docx(), "memo.bin") == "docx"


def _zip(entries: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in entries.items():
            z.writestr(k, v)
    return buf.getvalue()


def test_zip_renamed_docx_truncated_docx_and_other_zips():
    with pytest.raises(ReadError, match=r"^not a Word document \(a ZIP archive without word/document\.xml\)$"):
        read_bytes(_zip({"photos/a.txt": "x"}), "report.docx")
    data = make_docx()
    with pytest.raises(ReadError, match=r"^corrupt"):
        read_bytes(data[: len(data) // 2], "cut.docx")
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: ZIP archive$"):
        read_bytes(_zip({"a.txt": "x"}), "bundle.zip")
    odt = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: OpenDocument"):
        read_bytes(odt, "memo.odt")
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: RTF$"):
        read_bytes(b"{\\rtf1\\ansi Hello}", "memo.rtf")
    broken = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<not really xml"})
    with pytest.raises(ReadError, match=r"^corrupt"):
        read_bytes(broken, "broken.docx")


def test_mixed_folder_through_add(cli, tmp_path):
    d = tmp_path / "Downloads"
    write(d / "water.html", PAGE)
    write(d / "memo.docx", make_docx())
    write(d / "notes.md", "# Field notes\n\nNotes on well permits.\n")
    write(d / "plain.txt", "Plain brief\n\nAbout aquifers.\n")
    write(d / "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    write(d / "renamed.docx", _zip({"a.txt": "x"}))
    r = cli("add", d, "--json")
    assert r.exit_code == 1, r
    rows = {os.path.basename(x["path"]): x for x in r.json}
    assert {k: v["status"] for k, v in rows.items()} == {
        "memo.docx": "added", "notes.md": "added", "photo.png": "skipped", "plain.txt": "added",
        "renamed.docx": "failed", "water.html": "added"}
    got = {x["format"]: x["title"] for x in cli("list", "--json").json}
    assert got == {"docx": "Broadband Subsidies Memo", "markdown": "Field notes", "text": "Plain brief",
                   "html": "Water Rights Reform"}
    hits = cli("search", "instream", "--json").json
    assert [h["format"] for h in hits] == ["html"]


def test_html_page_address_is_the_briefs_url_and_cited(cli, tmp_path):
    """The page's canonical address becomes the brief's URL (for citations); a front-matter URL wins."""
    r = cli("add", write(tmp_path / "water.html", PAGE), "--json")
    bid = r.json[0]["id"]
    csl = cli("cite", bid, "--style", "csl-json").json
    item = csl[0] if isinstance(csl, list) else csl
    assert item["URL"] == "https://policy.example.org/water-rights"
    assert item["title"] == "Water Rights Reform"
    assert "https://policy.example.org/water-rights" in cli("cite", bid, "--style", "bibtex").stdout
