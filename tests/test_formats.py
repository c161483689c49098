"""PDF (and other formats) through `brief add`: records with format/pages, search, duplicates, bad input."""

from __future__ import annotations

import json
import os

import pytest

from conftest import write
from pdfmake import lines_at, make_pdf

pytest.importorskip("fpdf")

TITLE = "Desalination Subsidies and Coastal Aquifers"


def brief_pdf(extra: str = "") -> bytes:
    p1 = [(72, 60, TITLE), (72, 90, "By Ana Ortiz"), (72, 104, "March 3, 2024")] + lines_at(72, 140, [
        "Coastal aquifers are under pressure from saltwater intrusion, and",
        "several states now subsidise desalination plants to relieve them.",
        f"This brief weighs those subsidies against groundwater recharge. {extra}",
    ])
    p2 = lines_at(72, 80, ["The second page discusses brackish water pricing in detail.",
                           "Municipal utilities report falling costs per cubic metre."])
    return make_pdf([p1, p2], sizes={TITLE: 18})


def by_name(rows):
    return {os.path.basename(r["path"]): r for r in rows}


def test_pdf_added_with_format_pages_and_searchable_body(cli, tmp_path):
    pdf = write(tmp_path / "desal.pdf", brief_pdf())
    r = cli("add", pdf, "--json")
    assert r.exit_code == 0, r
    bid = r.json[0]["id"]
    assert r.json[0]["status"] == "added"
    rec = cli("show", bid, "--json").json
    assert rec["format"] == "pdf" and rec["pages"] == 2
    assert rec["title"] == TITLE
    assert "brackish water pricing" in rec["text"] and "%PDF" not in rec["text"]
    hits = cli("search", "brackish", "--json").json
    assert [h["id"] for h in hits] == [bid] and "brackish" in hits[0]["snippet"]
    listed = cli("list", "--json").json
    assert [(x["id"], x["format"], x["pages"]) for x in listed] == [(bid, "pdf", 2)]


def test_search_snippet_marks_a_pdf_body_word(cli, tmp_path):
    from brieftool.engine import open_archive
    from brieftool.search import MARK_OFF, MARK_ON, search

    cli("add", write(tmp_path / "desal.pdf", brief_pdf()))
    res = search(open_archive(os.environ["BRIEF_INDEX"]), "saltwater intrusion")
    assert len(res.hits) == 1
    assert f"{MARK_ON}saltwater{MARK_OFF} {MARK_ON}intrusion{MARK_OFF}" in res.hits[0].snippet


def test_same_pdf_under_two_names_is_one_brief(cli, tmp_path):
    data = brief_pdf()
    a = write(tmp_path / "a" / "desal.pdf", data)
    b = write(tmp_path / "b" / "copy of desal.pdf", data)
    r = cli("add", a, b, "--json")
    assert r.exit_code == 0, r
    rows = by_name(r.json)
    assert rows["desal.pdf"]["status"] == "added"
    assert rows["copy of desal.pdf"]["status"] == "unchanged"
    assert rows["copy of desal.pdf"]["id"] == rows["desal.pdf"]["id"]
    assert len(cli("list", "--json").json) == 1
    out = cli("add", b)
    assert "same" in out.stdout + out.stderr and "desal.pdf" in out.stdout + out.stderr


def test_same_bytes_found_by_raw_hash_even_when_the_text_differs(tmp_path):
    """The raw hash catches a duplicate whose extracted text differs (another reader version)."""
    from brieftool.engine import open_archive
    from brieftool.ingest import add_paths

    data = brief_pdf()
    a = write(tmp_path / "one.pdf", data)
    arch = open_archive(tmp_path / "arch", create=True)
    [first] = add_paths(arch, [str(a)])
    rec = arch.get(first.id)
    assert len(rec.raw_sha256) == 64 and rec.raw_sha256 != rec.sha256
    with arch.writer() as w:  # as if an older reader had extracted other text from the same bytes
        w.put(rec.replace(text=rec.text + "\nold extraction\n", sha256="0" * 64))
    b = write(tmp_path / "two.pdf", data)
    [second] = add_paths(arch, [str(b)])
    assert (second.status, second.id) == ("unchanged", first.id)
    assert any("same file as" in n for n in second.notes)


def test_pdf_and_its_text_copy_are_two_formats_of_one_text(cli, tmp_path):
    pdf = write(tmp_path / "desal.pdf", brief_pdf())
    bid = cli("add", pdf, "--json").json[0]["id"]
    text = cli("show", bid, "--json").json["text"]
    txt = write(tmp_path / "desal.txt", text)
    r = cli("add", txt, "--json")
    assert r.json[0]["status"] == "unchanged" and r.json[0]["id"] == bid  # same extracted text


def test_bad_pdfs_each_fail_with_one_line_and_the_rest_go_in(cli, tmp_path):
    from fpdf import FPDF

    d = tmp_path / "in"
    scan = FPDF(unit="pt")
    scan.add_page()
    scan.rect(40, 40, 300, 300, style="F")
    write(d / "scan.pdf", bytes(scan.output()))
    write(d / "locked.pdf", make_pdf([lines_at(72, 100, ["secret text here"] * 5)], password="pw"))
    good = brief_pdf()
    write(d / "cut.pdf", good[: len(good) // 2])
    write(d / "good.pdf", good)
    write(d / "notes.md", "# Notes\n\nA Markdown brief about wells.\n")
    write(d / "book.epub", b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 16 + b"mimetypeapplication/epub+zip")
    r = cli("add", d, "--json")
    assert r.exit_code == 1
    rows = by_name(r.json)
    assert rows["scan.pdf"]["status"] == "failed"
    assert rows["scan.pdf"]["error"] == f"{d / 'scan.pdf'}: no text layer (a scan?); OCR is not supported"
    assert rows["locked.pdf"]["status"] == "failed" and "encrypted PDF" in rows["locked.pdf"]["error"]
    assert rows["cut.pdf"]["status"] == "failed" and "corrupt or truncated PDF" in rows["cut.pdf"]["error"]
    assert rows["book.epub"]["status"] == "skipped" and rows["book.epub"]["error"].endswith("unsupported format: EPUB")
    assert rows["good.pdf"]["status"] == "added" and rows["notes.md"]["status"] == "added"
    formats = sorted((x["format"], x["title"]) for x in cli("list", "--json").json)
    assert formats == [("markdown", "Notes"), ("pdf", TITLE)]  # nothing half-stored
    text = cli("add", d)
    errs = [ln for ln in (text.stdout + text.stderr).splitlines() if "scan.pdf" in ln]
    assert len(errs) == 1


def test_export_import_keeps_format_pages_and_raw_hash(cli, tmp_path):
    bid = cli("add", write(tmp_path / "desal.pdf", brief_pdf()), "--json").json[0]["id"]
    lines = [json.loads(x) for x in cli("export").stdout.splitlines()]
    assert lines[0]["format"] == "pdf" and lines[0]["pages"] == 2 and len(lines[0]["raw_sha256"]) == 64
    dump = write(tmp_path / "dump.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    old = {k: v for k, v in lines[0].items() if k not in ("format", "pages", "raw_sha256")}
    old_dump = write(tmp_path / "old.jsonl", json.dumps(old) + "\n")
    r = cli("--index", tmp_path / "new", "import", dump)
    assert r.exit_code == 0, r
    again = [json.loads(x) for x in cli("--index", tmp_path / "new", "export").stdout.splitlines()]
    assert again == lines  # lossless
    r = cli("--index", tmp_path / "old", "import", old_dump)
    assert r.exit_code == 0, r
    rec = cli("--index", tmp_path / "old", "show", bid, "--json").json
    assert rec["format"] == "text" and rec["pages"] is None  # an old export still imports
    assert cli("--index", tmp_path / "old", "check").exit_code == 0


# -- brief open ------------------------------------------------------------------------------------
def test_open_print_gives_the_original_path_and_says_when_it_is_gone(cli, tmp_path):
    pdf = write(tmp_path / "in" / "desal.pdf", brief_pdf())
    bid = cli("add", pdf, "--json").json[0]["id"]
    r = cli("open", bid[:5], "--print")
    assert r.exit_code == 0, r
    assert r.stdout == f"{pdf.resolve()}\n"
    pdf.unlink()
    r = cli("open", bid, "--print")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "its file is gone" in lines[0] and str(pdf.resolve()) in lines[0]
    assert cli("open", "zzzzzzz").exit_code == 2


def test_open_runs_the_opener_with_the_path(cli, tmp_path, monkeypatch):
    import time

    pdf = write(tmp_path / "in" / "odd name – ü.pdf", brief_pdf())
    bid = cli("add", pdf, "--json").json[0]["id"]
    out = tmp_path / "opened.txt"
    monkeypatch.setenv("BRIEF_OPENER", f"sh -c 'printf %s \"$0\" > {out}'")
    r = cli("open", bid)
    assert r.exit_code == 0, r
    for _ in range(100):
        if out.exists() and out.read_text():
            break
        time.sleep(0.05)
    assert out.read_text() == str(pdf.resolve())
    monkeypatch.setenv("BRIEF_OPENER", "sh -c 'exit 3'")
    r = cli("open", bid)
    assert r.exit_code == 1 and "failed (exit status 3)" in r.stderr
    monkeypatch.setenv("BRIEF_OPENER", "no-such-opener-program")
    r = cli("open", bid)
    assert r.exit_code == 1 and "'no-such-opener-program' was not found" in r.stderr


def test_open_a_brief_from_standard_input(cli):
    bid = cli("add", "-", "--json", input="Piped brief\n\nFrom a pipe, no file.\n").json[0]["id"]
    r = cli("open", bid, "--print")
    assert r.exit_code == 1 and "standard input" in r.stderr and r.stdout == ""


def test_a_long_pdf_reports_its_pages_read(tmp_path):
    from brieftool.engine import open_archive
    from brieftool.ingest import AddOptions, ingest

    pages = [lines_at(72, 100, [f"Page {i} of a long report on river basin number {i * 7}."]) for i in range(60)]
    p = write(tmp_path / "long.pdf", make_pdf(pages))
    seen = []
    s = ingest(open_archive(tmp_path / "arch", create=True), [str(p)], AddOptions(),
               on_page=lambda path, i, n: seen.append((path, i, n)))
    assert s.added == 1
    assert seen == [(str(p), i, 60) for i in range(1, 61)]


def test_an_archive_made_before_raw_hashes_reads_checks_and_gains_them(cli, tmp_path, archive_dir):
    """An index whose schema has no raw_sha256 field (made by an earlier brief) still works."""
    from whoosh import fields, index

    from brieftool.engine.whoosh import FORMAT_VERSION, INDEX_NAME, META_FILE, make_schema

    schema = make_schema()
    old = fields.Schema(**{n: schema[n] for n in schema.names() if n != "raw_sha256"})
    archive_dir.mkdir()
    index.create_in(str(archive_dir), old, indexname=INDEX_NAME)
    (archive_dir / META_FILE).write_text(f'{{"format": {FORMAT_VERSION}, "created": "2026-01-01T00:00:00+00:00"}}\n')
    assert cli("check").exit_code == 0
    data = brief_pdf()
    a = write(tmp_path / "a.pdf", data)
    b = write(tmp_path / "b.pdf", data)
    first = cli("add", a, "--json").json[0]
    assert first["status"] == "added"
    assert "raw_sha256" in index.open_dir(str(archive_dir), indexname=INDEX_NAME).schema.names()
    second = cli("add", b, "--json").json[0]
    assert (second["status"], second["id"]) == ("unchanged", first["id"])
    r = cli("check")
    assert r.exit_code == 0, r
