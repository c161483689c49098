"""Saved searches: add/list/remove, @NAME in search, list, tag, export, trend; export/import."""

from __future__ import annotations

import json

import pytest

from conftest import write

BRIEFS = [
    ("b000001", "2019-05-01", ["North Korea"], "Sanctions on Pyongyang tighten."),
    ("b000002", "2024-02-01", ["North Korea"], "Sanctions evasion by ship-to-ship transfers."),
    ("b000003", "2024-03-01", ["Iran"], "Sanctions relief for Tehran."),
    ("b000004", "2024-04-01", ["North Korea"], "Summit diplomacy, no mention of the s-word."),
]


@pytest.fixture
def archive(cli, tmp_path):
    lines = [json.dumps({"id": i, "title": f"Brief {i}", "date": d, "tags": t, "text": x,
                         "added": "2024-01-01T00:00:00+00:00"}) for i, d, t, x in BRIEFS]
    assert cli("import", write(tmp_path / "b.jsonl", "\n".join(lines) + "\n")).exit_code == 0


def ids(r):
    assert r.exit_code == 0, r
    return sorted(r.stdout.split())


def test_add_list_remove(cli, archive, archive_dir):
    r = cli("saved", "add", "nk-sanctions", "sanctions", "--tag", "North Korea", "--json")
    assert r.exit_code == 0, r
    assert r.json == {"name": "nk-sanctions", "old": None,
                      "new": {"query": "sanctions", "tags": ["North Korea"], "author": None, "since": None,
                              "until": None, "type": None, "org": None}}
    stored = json.loads((archive_dir / "saved.json").read_text())
    assert stored["format"] == 1 and stored["searches"]["nk-sanctions"]["query"] == "sanctions"
    assert cli("saved", "list").stdout == '@nk-sanctions  sanctions --tag "North Korea"\n'
    r = cli("saved", "add", "nk-sanctions", "sanctions")
    assert r.exit_code == 2 and "exists" in r.stderr and "--replace" in r.stderr
    assert cli("saved", "add", "nk-sanctions", "sanctions", "--since", "2020", "--replace").exit_code == 0
    r = cli("saved", "remove", "nk-sanctions", "--json")
    assert r.exit_code == 0 and r.json["old"]["since"] == "2020" and r.json["new"] is None
    assert cli("saved", "list", "--json").json == []
    r = cli("saved", "remove", "nk-sanctions")
    assert r.exit_code == 2 and "no saved search named 'nk-sanctions'" in r.stderr


def test_at_name_wherever_a_query_is(cli, archive):
    cli("saved", "add", "nk-sanctions", "sanctions", "--tag", "North Korea")
    assert ids(cli("search", "@nk-sanctions", "--format", "ids")) == ["b000001", "b000002"]
    assert ids(cli("search", "@nk-sanctions date:2024", "--format", "ids")) == ["b000002"]
    assert ids(cli("search", "sanctions -@nk-sanctions", "--format", "ids")) == ["b000003"]
    assert ids(cli("list", "--query", "@nk-sanctions", "--format", "ids")) == ["b000001", "b000002"]
    r = cli("tag", "--query", "@nk-sanctions", "+reviewed", "--yes")
    assert r.exit_code == 0, r
    assert ids(cli("list", "--tag", "reviewed", "--format", "ids")) == ["b000001", "b000002"]
    out = cli("export", "--query", "@nk-sanctions", "--format", "csl-json").json
    assert sorted(i["id"] for i in out) == ["b000001", "b000002"]


def test_saved_filters_dates_and_nesting(cli, archive):
    cli("saved", "add", "recent", "", "--since", "2024-03")
    assert ids(cli("list", "--query", "@recent", "--format", "ids")) == ["b000003", "b000004"]
    cli("saved", "add", "recent-sanctions", "@recent sanctions")
    assert ids(cli("search", "@recent-sanctions", "--format", "ids")) == ["b000003"]
    r = cli("saved", "add", "loop", "@loop sanctions")
    assert r.exit_code == 2 and "refers to itself" in r.stderr


def test_unknown_name_and_literal_at(cli, archive):
    r = cli("search", "@nope")
    assert r.exit_code == 2
    assert r.stderr.strip().startswith("Error: no saved search named 'nope' for @nope")
    assert cli("search", '"@nope"').exit_code == 0        # in quotes: a word, never a saved search
    assert cli("search", "someone@example.org").exit_code == 0  # inside a word: not a reference


def test_bad_names_and_queries_are_refused(cli, archive):
    r = cli("saved", "add", "no spaces", "x")
    assert r.exit_code == 2 and "bad saved-search name" in r.stderr
    r = cli("saved", "add", "ok", '"unclosed')
    assert r.exit_code == 2 and "unclosed quote" in r.stderr
    r = cli("saved", "add", "ok", "x", "--since", "2019-13")
    assert r.exit_code == 2 and "impossible date" in r.stderr
    assert cli("saved", "list", "--json").json == []


def test_saved_searches_go_through_export_and_import(cli, archive, tmp_path):
    cli("saved", "add", "nk-sanctions", "sanctions", "--tag", "North Korea")
    cli("saved", "add", "iran", "tag:iran")
    exp = cli("export").stdout.splitlines()
    assert len(exp) == 6
    assert json.loads(exp[4]) == {"saved_search": "iran", "query": "tag:iran", "tags": [], "author": None,
                                  "since": None, "until": None, "type": None, "org": None}
    other = tmp_path / "other"
    r = cli("--index", other, "import", "-", input="\n".join(exp) + "\n")
    assert r.exit_code == 0, r
    assert r.stdout.strip() == "4 imported; saved searches: 2 imported"
    assert [s["name"] for s in cli("--index", other, "saved", "list", "--json").json] == ["iran", "nk-sanctions"]
    assert ids(cli("--index", other, "search", "@nk-sanctions", "--format", "ids")) == ["b000001", "b000002"]
    # again: unchanged; a different one under the same name is skipped unless --replace
    cli("--index", other, "saved", "add", "iran", "tehran", "--replace")
    r = cli("--index", other, "import", "-", input="\n".join(exp) + "\n")
    assert r.stdout.strip() == "0 imported, 4 unchanged; saved searches: 1 unchanged, 1 skipped"
    r = cli("--index", other, "import", "-", "--replace", "--json", input="\n".join(exp) + "\n")
    assert {"line": 5, "status": "replaced", "saved_search": "iran", "error": None} in r.json
    assert cli("--index", other, "saved", "list", "--json").json[0]["query"] == "tag:iran"


def test_export_without_saved_searches_is_as_before(cli, archive):
    lines = cli("export").stdout.splitlines()
    assert len(lines) == 4 and all("text" in json.loads(x) for x in lines)
