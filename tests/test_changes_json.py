"""--json on the commands that change things: one object per brief, what changed, old -> new;
remove's refusal without a terminal."""

from __future__ import annotations

import json

import pytest

from conftest import write

RECORDS = [
    {"id": "aaa0001", "title": "First", "authors": ["mathew  ha"], "date": "2019-01-02", "tags": ["DPRK", "draft"],
     "text": "First brief\n\nSanctions.", "added": "2024-01-01T00:00:00+00:00"},
    {"id": "bbb0002", "title": "Second", "authors": ["Jane Roe"], "date": "2020-05-06", "tags": ["Iran"],
     "text": "Second brief\n\nRelief.", "added": "2024-01-01T00:00:00+00:00"},
]


@pytest.fixture
def archive(cli, tmp_path):
    f = write(tmp_path / "r.jsonl", "".join(json.dumps(r) + "\n" for r in RECORDS))
    assert cli("import", f).exit_code == 0


def test_tag_json(cli, archive):
    r = cli("tag", "+reviewed", "-draft", "aaa0", "bbb0", "nosuch", "--json")
    assert r.exit_code == 1
    rows = r.json
    assert rows[0] == {"id": "aaa0001", "status": "changed", "title": "First", "changes": ["-draft", "+reviewed"],
                       "fields": {"tags": {"old": ["DPRK", "draft"], "new": ["DPRK", "reviewed"]}},
                       "notes": [], "error": None}
    assert rows[1]["id"] == "bbb0002" and rows[1]["fields"] == {"tags": {"old": ["Iran"], "new": ["Iran", "reviewed"]}}
    assert rows[2] == {"id": None, "status": "failed", "error": "no brief with id 'nosuch'"}
    r = cli("tag", "--query", "", "+reviewed", "--yes", "--json")
    assert r.json == []  # nothing left to change
    r = cli("tag", "--query", "relief", "-reviewed", "--dry-run", "--json")
    assert [(x["id"], x["status"]) for x in r.json] == [("bbb0002", "would change")]


def test_edit_json(cli, archive):
    r = cli("edit", "aaa0", "--title", "First, retitled", "--date", "2019-03-04", "--json")
    assert r.exit_code == 0, r
    (row,) = r.json
    assert row["id"] == "aaa0001" and row["status"] == "changed"
    assert row["fields"] == {"title": {"old": "First", "new": "First, retitled"},
                             "date": {"old": "2019-01-02", "new": "2019-03-04"}}


def test_rename_json(cli, archive):
    r = cli("rename-tag", "dprk", "North Korea", "--json")
    assert r.exit_code == 0, r
    assert [(x["id"], x["fields"]) for x in r.json] == [
        ("aaa0001", {"tags": {"old": ["DPRK", "draft"], "new": ["North Korea", "draft"]}})]
    r = cli("rename-author", "mathew ha", "Mathew Ha", "--json")
    assert r.json[0]["fields"] == {"authors": {"old": ["mathew  ha"], "new": ["Mathew Ha"]}}


def test_remove_json_and_refusal(cli, archive, brief_exe):
    r = brief_exe("remove", "aaa0", input="")  # no terminal, no answer, no --yes
    assert r.exit_code == 1
    assert "not confirmed; nothing removed" in r.stderr and "Interrupted" not in r.stderr
    assert sorted(cli("list", "--format", "ids").stdout.split()) == ["aaa0001", "bbb0002"]
    r = cli("remove", "--yes", "aaa0", "--json")
    assert r.exit_code == 0
    (row,) = r.json
    assert row["id"] == "aaa0001" and row["status"] == "removed" and row["new"] is None
    assert row["old"]["title"] == "First" and row["old"]["tags"] == ["DPRK", "draft"]


def test_reindex_json(cli, archive):
    r = cli("reindex", "--json")
    assert r.exit_code == 0, r
    assert r.json == {"briefs": 2, "changed": [], "duplicates_dropped": 0, "dropped": []}
