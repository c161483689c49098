"""Tests for `brief reread` (issue 10): an archive built with the previous reader (records
stored with its fields directly) is brought up to date; hand-set fields are left alone."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from brieftool.engine import open_archive
from brieftool.engine.base import text_sha256
from brieftool.models import Brief, count_words

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"

MEMO = FIXTURES / "memo.txt"
CRS = ("# Nuclear Modernization and Arms Control\n\n**Author(s):** Kerr, Paul K.; Fink, Anya L.\n"
       "**Publication Date:** 01/09/2024\n**Product Type:** Report\n**Report No.:** R45249\n\n"
       "The United States plans to modernize all three legs of its nuclear triad.\n")
SPEECH = "President: George Washington\n\nBeloved Cherokees,\nMany years have passed since the White people came.\n"


def old_record(text: str, source: str, **fields) -> Brief:
    """A record as the previous reader stored it: only what it could read."""
    return Brief(text=text, source=source, sha256=text_sha256(text), words=count_words(text),
                 added=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), **fields)


@pytest.fixture
def old_archive(archive_dir, tmp_path):
    memo_text = MEMO.read_text(encoding="utf-8")
    a = open_archive(archive_dir, create=True)
    recs = [
        old_record(memo_text, str(tmp_path / "memo.txt"), title="MEMORANDUM"),
        old_record(CRS, str(tmp_path / "R45249.md"), title="Nuclear Modernization and Arms Control"),
        # a hand-edited title and date (brief edit), which reread must keep
        old_record(SPEECH, str(tmp_path / "1796-08-29-talk-cherokee-nation.txt"), title="My Cherokee Talk",
                   date=dt.date(1796, 9, 1), manual={"title", "date"}),
    ]
    ids = []
    with a.writer() as w:
        for b in recs:
            b = b.replace(id=w.new_id(b.sha256))
            w.put(b)
            ids.append(b.id)
    return a, ids


def fields(a, brief_id):
    b = open_archive(a.path).get(brief_id)
    return {"title": b.title, "authors": b.authors, "date": b.date, "type": b.type,
            "organization": b.organization, "manual": b.manual}


def test_reread_dry_run_shows_per_field_changes_and_changes_nothing(cli, old_archive):
    a, (memo, crs, speech) = old_archive
    before = [fields(a, i) for i in (memo, crs, speech)]
    r = cli("reread", "--dry-run")
    assert r.exit_code == 0, r
    out = r.stdout
    assert f"would change {memo}" in out
    assert "title: MEMORANDUM -> Revenue Effects of a Carbon Tax  (memo)" in out
    assert "authors: (none) -> Jane Porter  (memo)" in out
    assert "date: (none) -> 2021-03-03  (memo)" in out
    assert "authors: (none) -> Paul K. Kerr; Anya L. Fink  (markdown keys)" in out
    assert "type: (none) -> CRS Report" in out
    # the speech: authors and type from the transcript line, the hand-set title and date kept
    assert "authors: (none) -> George Washington  (transcript)" in out
    assert "kept (set by hand): title, date" in out
    assert "3 briefs would change, 0 unchanged" in r.stderr
    assert [fields(a, i) for i in (memo, crs, speech)] == before


def test_reread_json(cli, old_archive):
    a, (memo, crs, speech) = old_archive
    r = cli("reread", "--dry-run", "--json")
    data = r.json
    assert data["applied"] is False and data["unchanged"] == 0
    by_id = {c["id"]: c for c in data["changed"]}
    assert by_id[memo]["changes"]["title"] == {"old": "MEMORANDUM", "new": "Revenue Effects of a Carbon Tax",
                                                "source": "memo"}
    assert by_id[crs]["changes"]["date"]["new"] == "2024-01-09"
    assert by_id[speech]["kept"] == ["title", "date"]


def test_reread_yes_applies_in_one_go_and_keeps_hand_edited_fields(cli, old_archive):
    a, (memo, crs, speech) = old_archive
    r = cli("reread", "--yes")
    assert r.exit_code == 0, r
    assert "3 briefs changed, 0 unchanged." in r.stderr
    m = fields(a, memo)
    assert m["title"] == "Revenue Effects of a Carbon Tax"
    assert m["authors"] == ["Jane Porter"] and m["date"] == dt.date(2021, 3, 3)
    assert (m["type"], m["organization"]) == ("Memo", "Congressional Budget Office")
    c = fields(a, crs)
    assert c["authors"] == ["Paul K. Kerr", "Anya L. Fink"] and c["date"] == dt.date(2024, 1, 9)
    s = fields(a, speech)
    assert s["title"] == "My Cherokee Talk" and s["date"] == dt.date(1796, 9, 1)  # hand-edited: untouched
    assert s["authors"] == ["George Washington"] and s["type"] == "Speech"
    assert s["manual"] == {"title", "date"}
    # the new fields are searchable, and a second reread has nothing left to do
    r = cli("list", "--author", "Porter", "--format", "ids")
    assert r.stdout.split() == [memo]
    r = cli("reread", "--yes")
    assert "Nothing to change: 3 briefs read again" in r.stderr
    assert open_archive(a.path).count() == 3


def test_reread_by_id_and_query_and_unconfirmed(cli, old_archive):
    a, (memo, crs, speech) = old_archive
    r = cli("reread", memo[:5])
    assert r.exit_code == 0, r
    assert fields(a, memo)["title"] == "Revenue Effects of a Carbon Tax"
    assert fields(a, crs)["authors"] == []  # not chosen: untouched
    r = cli("reread", "--query", "triad", input="n\n")
    assert r.exit_code == 1
    assert "Nothing changed." in r.stderr
    assert fields(a, crs)["authors"] == []
    r = cli("reread", "--query", "triad", input="y\n")
    assert r.exit_code == 0, r
    assert fields(a, crs)["authors"] == ["Paul K. Kerr", "Anya L. Fink"]
    assert fields(a, speech)["authors"] == []  # did not match the query


def test_reread_errors(cli, old_archive):
    r = cli("reread", "zzzzzz")
    assert r.exit_code == 2 and "zzzzzz" in r.stderr
    r = cli("reread", "abc", "--query", "x")
    assert r.exit_code == 2 and "not both" in r.stderr


def test_reread_after_edit_keeps_the_edit(cli, old_archive):
    a, (memo, crs, speech) = old_archive
    r = cli("edit", crs, "--title", "My Own Title")
    assert r.exit_code == 0, r
    cli("reread", "--yes")
    c = fields(a, crs)
    assert c["title"] == "My Own Title" and "title" in c["manual"]
    assert c["date"] == dt.date(2024, 1, 9)


def test_a_field_set_by_hand_between_the_plan_and_apply_is_kept(cli, old_archive):
    from brieftool import reread as rr

    a, (memo, crs, speech) = old_archive
    plan, n = rr.plan(a, rr.select(a))
    assert n == 3 and {r.id for r in plan if "title" in r.changes} == {memo}
    r = cli("edit", memo, "--title", "Carbon Tax Memo (mine)")  # someone edits it meanwhile
    assert r.exit_code == 0, r
    assert rr.apply(a, plan) == 3
    m = fields(a, memo)
    assert m["title"] == "Carbon Tax Memo (mine)" and "title" in m["manual"]
    assert m["authors"] == ["Jane Porter"]  # the rest of the re-read still went in


def test_tags_taken_away_by_hand_do_not_come_back(cli, archive_dir, tmp_path):
    text = "# Farm Bill Primer\n\n**Topics:** Agriculture; Social Welfare\n\nBody of the brief.\n"
    a = open_archive(archive_dir, create=True)
    with a.writer() as w:
        b = old_record(text, str(tmp_path / "farm.md"), title="Farm Bill Primer", tags=["Mine"], manual={"tags"})
        b2 = old_record(text + "Second.\n", str(tmp_path / "farm2.md"), title="Farm Bill Primer", tags=["Mine"])
        ids = []
        for x in (b, b2):
            x = x.replace(id=w.new_id(x.sha256))
            w.put(x)
            ids.append(x.id)
    r = cli("reread", "--yes")
    assert r.exit_code == 0, r
    assert fields(a, ids[0])["authors"] == [] and open_archive(a.path).get(ids[0]).tags == ["Mine"]
    assert open_archive(a.path).get(ids[1]).tags == ["Mine", "Agriculture", "Social Welfare"]  # added, none taken
