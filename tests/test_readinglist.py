"""brief export as a reading list: filters and --query; bibtex, ris, csl-json, markdown, jsonl, csv."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import write

RECORDS = [
    {"id": "nk00001", "title": "Maximum pressure on Pyongyang", "authors": ["Mathew Ha"], "date": "2019-04-17",
     "tags": ["North Korea", "Sanctions"], "type": "Policy Brief",
     "organization": "Foundation for the Defense of Democracies", "url": "https://example.org/nk1",
     "added": "2024-05-01T10:00:00+00:00",
     "text": "Maximum pressure on Pyongyang\n\nThe summit failed. Sanctions relief was the price Kim asked."},
    {"id": "nk00002", "title": "Ship-to-ship transfers", "authors": ["Jane Roe", "John Doe"], "date": "2021-06-01",
     "tags": ["North Korea"], "type": "Report", "organization": "Congressional Research Service",
     "added": "2024-05-01T10:00:00+00:00", "text": "Ship-to-ship transfers\n\nEvasion of sanctions at sea."},
    {"id": "ir00001", "title": "Iran and the *snapback* [draft](x)", "date": "2020-01-10", "tags": ["Iran"],
     "added": "2024-05-01T10:00:00+00:00", "text": "Iran snapback\n\nSanctions relief for Iran, again."},
    {"id": "nk00003", "title": "An old memo", "date": "2015-01-01", "tags": ["North Korea"],
     "added": "2024-05-01T10:00:00+00:00", "text": "An old memo\n\nNothing about the s-word."},
]


@pytest.fixture
def archive(cli, tmp_path):
    f = write(tmp_path / "r.jsonl", "".join(json.dumps(r) + "\n" for r in RECORDS))
    assert cli("import", f).exit_code == 0


def export(cli, *args) -> str:
    r = cli("export", *args)
    assert r.exit_code == 0, r
    return r.stdout


def test_filters_choose_the_briefs_newest_first(cli, archive):
    out = json.loads(export(cli, "--tag", "North Korea", "--since", "2019", "--format", "csl-json"))
    assert [i["id"] for i in out] == ["nk00002", "nk00001"]
    lines = export(cli, "--tag", "North Korea", "--since", "2019").splitlines()  # jsonl
    assert [json.loads(x)["id"] for x in lines] == ["nk00002", "nk00001"]
    rows = list(csv.DictReader(io.StringIO(export(cli, "--query", "sanctions relief", "--format", "csv"))))
    assert sorted(r["id"] for r in rows) == ["ir00001", "nk00001"]


def test_bibtex_reading_list_parses_back(cli, archive):
    import bibtexparser

    text = export(cli, "--tag", "North Korea", "--format", "bibtex")
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks
    assert [(e.key, e.entry_type) for e in lib.entries] == [("roe2021ship", "techreport"), ("ha2019maximum", "techreport"),
                                                             ("2015old", "misc")]
    assert lib.entries[0].fields_dict["author"].value == "Roe, Jane and Doe, John"
    assert lib.entries[1].fields_dict["url"].value == "https://example.org/nk1"


def test_ris_reading_list_parses_back(cli, archive):
    import rispy

    entries = rispy.loads(export(cli, "--query", "sanctions", "--format", "ris"))
    assert [e["id"] for e in entries] == ["nk00002", "ir00001", "nk00001"]
    assert entries[0]["authors"] == ["Roe, Jane", "Doe, John"] and entries[0]["type_of_reference"] == "RPRT"
    assert entries[1]["title"] == "Iran and the *snapback* [draft](x)"


def test_markdown_packet(cli, archive):
    md = export(cli, "--query", "sanctions relief", "--format", "markdown")
    assert md.startswith('# Reading list\n\n2 briefs · query "sanctions relief"\n\n## 1. ')
    sections = md.split("\n## ")[1:]
    assert len(sections) == 2
    iran, nk = sections
    assert iran.startswith("1. Iran and the \\*snapback\\* [draft]\\(x)\n")          # brief text is literal
    assert "- **Date:** 2020-01-10" in iran and "- **Tags:** Iran" in iran
    assert "> Iran snapback **Sanctions** **relief** for Iran, again\n" in iran
    assert nk.startswith("2. Maximum pressure on Pyongyang\n")
    assert ("Ha, M. (2019). *Maximum pressure on Pyongyang* [Policy Brief]. Foundation for the Defense of "
            "Democracies. https://example.org/nk1") in nk
    assert "- **Authors:** Mathew Ha" in nk and "- **Tags:** North Korea, Sanctions" in nk
    assert "- **URL:** <https://example.org/nk1>" in nk and "- **Id:** `nk00001`" in nk
    assert "**Sanctions** **relief** was the price" in nk


def test_markdown_style_and_no_query(cli, archive):
    md = export(cli, "--tag", "Iran", "--format", "markdown", "--style", "mla")
    assert "1 brief · tag Iran" in md and ">" not in md.split("\n", 3)[3].replace("\\>", "")
    assert "\n“Iran and the \\*snapback\\* [draft]\\(x).” 10 Jan. 2020.\n" in md
    r = cli("export", "--format", "markdown", "--style", "bibtex")
    assert r.exit_code == 2 and "no prose form" in r.stderr


def test_export_to_file_in_every_format(cli, archive, tmp_path):
    for fmt, check in (("bibtex", "@techreport{"), ("ris", "TY  - RPRT"), ("csl-json", '"type": "report"'),
                       ("markdown", "# Reading list"), ("jsonl", '"id": "nk00001"'), ("csv", "id,date,title")):
        f = tmp_path / f"out.{fmt}"
        r = cli("export", f, "--format", fmt, "--tag", "North Korea")
        assert r.exit_code == 0, r
        assert check in f.read_text("utf-8")
        assert "exported 3 briefs" in r.stderr


def test_unknown_format(cli, archive):
    r = cli("export", "--format", "docx")
    assert r.exit_code == 2 and "unknown --format 'docx' for export" in r.stderr
