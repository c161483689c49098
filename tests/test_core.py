"""The foundation: add, search, list, show, remove over a real Whoosh archive in a temp dir."""

from __future__ import annotations

import json
import os

import pytest

from conftest import SEED, write

RECORD_KEYS = {"id", "title", "authors", "date", "tags", "type", "organization", "source", "sha256", "added",
               "words", "format", "pages"}

SANCTIONS = """Title: Sanctions relief and its discontents
Author: Jane Roe
Date: 2020-02-03
Tags: Iran; Sanctions

Sanctions relief was granted in exchange for limits on enrichment. Critics argue the relief
came too early and the verification regime was weak.
"""

CLIMATE = """Title: Adapting coastal cities to rising seas
Authors: John Doe, Ana Lima
Date: 2018-07-01

Coastal cities face rising seas. Adaptation funding remains scarce and relief for flood
victims is slow.
"""

TRADE = """Title: Tariffs and the trade deficit
Author: Jane Roe
Date: 2019-11-20
Tags: Trade

Tariffs raised prices for consumers while the trade deficit widened.
"""


@pytest.fixture
def three(tmp_path, cli):
    """Three small briefs with front matter; returns {name: id}."""
    ids = {}
    for name, text in (("sanctions", SANCTIONS), ("climate", CLIMATE), ("trade", TRADE)):
        p = write(tmp_path / "in" / f"{name}.txt", text)
        r = cli("add", p, "--json")
        assert r.exit_code == 0, r
        ids[name] = r.json[0]["id"]
    return ids


def add_seed(cli, *extra):
    r = cli("add", SEED, "--json", *extra)
    assert r.exit_code == 0, r
    return r.json[0]


# -- add -------------------------------------------------------------------------------------------
def test_add_seed_then_again_is_unchanged(cli, archive_dir):
    first = add_seed(cli)
    assert first["status"] == "added" and first["error"] is None
    assert len(first["id"]) <= 8 and first["id"].isalnum() and first["id"] == first["id"].lower()
    again = add_seed(cli)
    assert again == {**first, "status": "unchanged"}
    rows = cli("list", "--json").json
    assert [r["id"] for r in rows] == [first["id"]]


def test_add_prints_one_line_per_input(cli, tmp_path):
    a = write(tmp_path / "a.txt", "Alpha brief\n\nSome text about alpha.")
    r = cli("add", a, SEED)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("added") and "a.txt" in lines[0] and "Alpha brief" in lines[0]
    assert lines[1].startswith("added") and "000_692a169526db16f5.txt" in lines[1]
    r2 = cli("add", a)
    assert r2.stdout.startswith("unchanged")


def test_seed_fields_from_its_text(cli):
    bid = add_seed(cli)["id"]
    rec = cli("show", bid, "--json").json
    assert set(rec) == RECORD_KEYS | {"text"}
    assert rec["date"] == "2019-04-17"
    assert rec["title"] == "Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure"
    assert rec["type"] == "Policy Brief"
    assert rec["authors"] == ["Mathew Ha"]
    assert rec["organization"] == "Foundation for the Defense of Democracies"
    assert rec["tags"] == ["Military and Political Power", "North Korea", "Sanctions and Illicit Finance"]
    assert rec["text"] == SEED.read_text("utf-8")
    assert rec["words"] == len(SEED.read_text("utf-8").split())
    assert rec["source"] == str(SEED.resolve())
    import hashlib
    assert rec["sha256"] == hashlib.sha256(SEED.read_text("utf-8").encode()).hexdigest()


def test_options_set_and_override_fields(cli, tmp_path):
    p = write(tmp_path / "x.txt", SANCTIONS)
    r = cli("add", p, "--title", "Other title", "--author", "A. One", "--author", "B. Two", "--date",
            "April 17, 2019", "--tag", "North Korea", "--tag", "extra", "--type", "Memo", "--org", "Some Org",
            "--json")
    bid = r.json[0]["id"]
    rec = cli("show", bid, "--json").json
    assert rec["title"] == "Other title"
    assert rec["authors"] == ["A. One", "B. Two"]
    assert rec["date"] == "2019-04-17"
    assert rec["tags"] == ["North Korea", "extra", "Iran", "Sanctions"]
    assert rec["type"] == "Memo"
    assert rec["organization"] == "Some Org"


def test_changed_text_same_path_updates_and_keeps_id_and_tags(cli, tmp_path):
    p = write(tmp_path / "memo.txt", "Memo one\n\nFirst version of the text.")
    first = cli("add", p, "--tag", "Keep Me", "--json").json[0]
    write(p, "Memo one\n\nSecond version of the text, longer now.")
    second = cli("add", p, "--json").json[0]
    assert second["status"] == "updated" and second["id"] == first["id"]
    rec = cli("show", first["id"], "--json").json
    assert rec["tags"] == ["Keep Me"]
    assert "Second version" in rec["text"]
    assert len(cli("list", "--json").json) == 1


def test_bad_inputs_fail_alone_others_go_in(cli, tmp_path):
    good = write(tmp_path / "good.txt", "Good brief\n\nbody text")
    empty = write(tmp_path / "empty.txt", "  \n\n ")
    binary = write(tmp_path / "img.bin", bytes(range(256)) * 8)
    folder = tmp_path / "folder"
    folder.mkdir()
    r = cli("add", tmp_path / "missing.txt", empty, good, binary, "--json")
    assert r.exit_code == 1
    by_path = {os.path.basename(x["path"]): x for x in r.json}
    assert by_path["good.txt"]["status"] == "added"
    for name in ("missing.txt", "empty.txt", "img.bin"):
        assert by_path[name]["status"] == "failed" and by_path[name]["id"] is None
        assert name in by_path[name]["error"]
    assert "no such file" in by_path["missing.txt"]["error"]
    assert "empty" in by_path["empty.txt"]["error"] or "whitespace" in by_path["empty.txt"]["error"]
    assert "binary" in by_path["img.bin"]["error"]
    assert [x["title"] for x in cli("list", "--json").json] == ["Good brief"]


def test_failed_input_is_one_error_line(cli, tmp_path):
    r = cli("add", tmp_path / "nope.txt")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "nope.txt" in lines[0]
    assert "Traceback" not in r.stderr


def test_bad_date_option_is_usage_error(cli):
    r = cli("add", SEED, "--date", "not a date")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and "not a date" in r.stderr


# -- archive location ------------------------------------------------------------------------------
def test_read_command_on_missing_archive_creates_nothing(cli, archive_dir):
    for args in (("list",), ("search", "x"), ("show", "abc")):
        r = cli(*args)
        assert r.exit_code == 1
        assert r.stderr.count("\n") == 1 and "no archive at" in r.stderr and str(archive_dir) in r.stderr
    assert not archive_dir.exists()


def test_index_option_beats_env(cli, tmp_path, archive_dir):
    other = tmp_path / "other"
    r = cli("--index", other, "add", SEED)
    assert r.exit_code == 0
    assert (other / "brief.json").is_file() and not archive_dir.exists()
    assert len(cli("--index", other, "list", "--json").json) == 1


def test_new_archive_is_private(cli, archive_dir):
    add_seed(cli)
    assert (archive_dir.stat().st_mode & 0o777) == 0o700


def test_folder_that_is_not_an_archive(cli, tmp_path):
    d = tmp_path / "notes"
    write(d / "x.txt", "hello")
    r = cli("--index", d, "add", SEED)
    assert r.exit_code == 2 and "is not a brief archive" in r.stderr
    assert sorted(os.listdir(d)) == ["x.txt"]


# -- search ----------------------------------------------------------------------------------------
def test_search_finds_seed_with_highlight(cli):
    bid = add_seed(cli)["id"]
    rows = cli("search", "sanctions relief", "--json").json
    assert [r["id"] for r in rows] == [bid]
    assert set(rows[0]) == RECORD_KEYS | {"score", "snippet", "mode"}
    assert rows[0]["mode"] == "lexical"  # no vectors: lexical search
    assert "sanctions relief" in rows[0]["snippet"]
    assert rows[0]["score"] > 0
    table = cli("search", "sanctions relief")
    assert "1 brief match" in table.stdout
    assert "Kim Jong Un’s Recent Speech" in table.stdout and bid in table.stdout


def test_search_all_words_then_fallback(cli, three):
    r = cli("search", "sanctions verification", "--json")
    assert [x["id"] for x in r.json] == [three["sanctions"]]
    assert "any of them" not in r.stderr
    # no brief has both words: fall back to any of them, and say so
    r = cli("search", "tariffs enrichment", "--json")
    assert {x["id"] for x in r.json} == {three["sanctions"], three["trade"]}
    assert "No brief has all of these words" in r.stderr


def test_long_natural_language_question_is_not_empty(cli, three):
    r = cli("search", "what did the critics say about when sanctions relief was given to iran", "--json")
    assert r.json and r.json[0]["id"] == three["sanctions"]


def test_search_phrase_and_stemming(cli, three):
    assert [x["id"] for x in cli("search", '"rising seas"', "--json").json] == [three["climate"]]
    assert cli("search", '"seas rising"', "--json").json == []
    # stemming: "tariff" finds "Tariffs"
    assert [x["id"] for x in cli("search", "tariff", "--json").json] == [three["trade"]]


def test_search_title_weighted_above_body(cli, tmp_path):
    a = write(tmp_path / "a.txt", "Title: Notes\n\nThe word drought appears here in the body once only.")
    b = write(tmp_path / "b.txt", "Title: Drought\n\nA brief about water with a very different body text here.")
    ida = cli("add", a, "--json").json[0]["id"]
    idb = cli("add", b, "--json").json[0]["id"]
    assert [x["id"] for x in cli("search", "drought", "--json").json] == [idb, ida]


def test_search_filters(cli, three):
    assert {x["id"] for x in cli("search", "relief", "--json").json} == {three["sanctions"], three["climate"]}
    assert [x["id"] for x in cli("search", "relief", "--tag", "iran", "--json").json] == [three["sanctions"]]
    assert [x["id"] for x in cli("search", "relief", "--author", "doe", "--json").json] == [three["climate"]]
    assert [x["id"] for x in cli("search", "relief", "--since", "2019", "--json").json] == [three["sanctions"]]
    assert [x["id"] for x in cli("search", "relief", "--until", "2019", "--json").json] == [three["climate"]]
    assert [x["id"] for x in cli("search", "relief", "--limit", "1", "--json").json] != []
    assert len(cli("search", "relief", "--limit", "1", "--json").json) == 1


def test_search_no_match(cli, three):
    r = cli("search", "zyzzyva", "--json")
    assert r.exit_code == 0 and r.json == []
    t = cli("search", "zyzzyva")
    assert "0 briefs match" in t.stdout


# -- list ------------------------------------------------------------------------------------------
def test_list_newest_first_and_filters(cli, three):
    ids = [x["id"] for x in cli("list", "--json").json]
    assert ids == [three["sanctions"], three["trade"], three["climate"]]
    assert [x["id"] for x in cli("list", "--reverse", "--json").json] == ids[::-1]
    assert [x["title"] for x in cli("list", "--sort", "title", "--json").json] == [
        "Adapting coastal cities to rising seas", "Sanctions relief and its discontents",
        "Tariffs and the trade deficit"]
    assert [x["id"] for x in cli("list", "--author", "jane roe", "--json").json] == [three["sanctions"], three["trade"]]
    assert [x["id"] for x in cli("list", "--author", "ROE", "--json").json] == [three["sanctions"], three["trade"]]
    assert [x["id"] for x in cli("list", "--since", "2019", "--until", "2019", "--json").json] == [three["trade"]]
    assert [x["id"] for x in cli("list", "--since", "2019-11-20", "--until", "2019-11-20", "--json").json] == [three["trade"]]
    assert [x["id"] for x in cli("list", "--until", "2019-11", "--json").json] == [three["trade"], three["climate"]]
    assert [x["id"] for x in cli("list", "--limit", "2", "--json").json] == ids[:2]
    assert [x["id"] for x in cli("list", "--tag", "IRAN", "--tag", "sanctions", "--json").json] == [three["sanctions"]]
    assert cli("list", "--tag", "iran", "--tag", "trade", "--json").json == []


def test_list_table_shows_columns(cli, three):
    r = cli("list")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "3 briefs"
    assert lines[1].split() == ["id", "date", "title", "author"]
    row = next(x for x in lines if x.startswith(three["sanctions"]))
    assert "2020-02-03" in row and "Jane Roe" in row and "Sanctions relief" in row
    assert len(lines) == 5  # one line per brief
    r = cli("list", "--wide")
    header = r.stdout.splitlines()[1]
    for col in ("id", "date", "title", "authors", "tags"):
        assert col in header
    assert "2020-02-03" in r.stdout and "Jane Roe" in r.stdout and "Iran, Sanctions" in r.stdout


def test_list_tag_with_space_case_insensitive(cli):
    bid = add_seed(cli, "--tag", "North Korea")["id"]
    assert [x["id"] for x in cli("list", "--tag", "north korea", "--json").json] == [bid]
    rec = cli("show", bid, "--json").json
    assert "North Korea" in rec["tags"]


# -- show ------------------------------------------------------------------------------------------
def test_show_prints_metadata_and_text(cli):
    bid = add_seed(cli)["id"]
    r = cli("show", bid[:4])
    assert r.exit_code == 0
    assert "Kim Jong Un’s Recent Speech" in r.stdout
    assert "2019-04-17" in r.stdout and bid in r.stdout
    assert "maximum pressure" in r.stdout
    # the web-copy header (repeated in the file) is metadata, not shown as body text
    assert "April 17, 2019 | Policy Brief" not in r.stdout
    assert r.stdout.count("Kim Jong Un warned last week") == 1


def test_seed_is_found_by_tag_read_from_its_text(cli):
    bid = add_seed(cli)["id"]
    assert [x["id"] for x in cli("list", "--tag", "North Korea", "--json").json] == [bid]
    assert [x["id"] for x in cli("list", "--org", "fdd", "--json").json] == [bid]


def test_dry_run_shows_fields_and_sources_stores_nothing(cli, archive_dir):
    r = cli("add", "--dry-run", SEED)
    assert r.exit_code == 0
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()[1:] if ln.strip() and not ln.startswith(" ")}
    assert "2019-04-17" in lines["date"] and lines["date"].rstrip().endswith("header")
    assert "Mathew Ha" in lines["authors"] and lines["authors"].rstrip().endswith("bio")
    assert "North Korea" in r.stdout and "topic line" in r.stdout
    assert not archive_dir.exists()
    j = cli("add", "--dry-run", "--json", SEED).json[0]
    assert j["status"] == "dry-run" and j["id"] is None
    assert j["fields"]["tags"] == ["Military and Political Power", "North Korea", "Sanctions and Illicit Finance"]
    assert j["sources"]["authors"] == "bio" and j["sources"]["tags"] == "topic line"
    assert not archive_dir.exists()


def test_vocabulary_file_splits_topic_lines(cli, archive_dir, tmp_path):
    add_seed(cli)  # creates the archive
    (archive_dir / "vocabulary.txt").write_text("# my labels\nGreat Power Competition\n", "utf-8")
    p = write(tmp_path / "v.txt", "May 2, 2020 | Analysis\n\nA title\n\nBody text here.\n\n"
              "Great Power Competition Arms Control and Nonproliferation\n")
    bid = cli("add", p, "--json").json[0]["id"]
    assert cli("show", bid, "--json").json["tags"] == ["Great Power Competition", "Arms Control and Nonproliferation"]


def test_show_several_ids_json(cli, three):
    r = cli("show", three["trade"], three["climate"], "--json")
    assert [x["id"] for x in r.json] == [three["trade"], three["climate"]]
    assert "Tariffs raised prices" in r.json[0]["text"]


def test_unknown_and_ambiguous_ids(cli, three):
    r = cli("show", "zzzzzzz")
    assert r.exit_code == 2 and "no brief with id 'zzzzzzz'" in r.stderr
    # every id starts with a digit or letter of the alphabet; an empty prefix is refused
    r = cli("show", "")
    assert r.exit_code == 2


def test_ambiguous_prefix(cli, tmp_path):
    # add texts until two ids share a first character
    seen = {}
    for i in range(40):
        rid = cli("add", write(tmp_path / f"f{i}.txt", f"Brief {i}\n\ntext {i}"), "--json").json[0]["id"]
        if rid[0] in seen:
            r = cli("show", rid[0])
            assert r.exit_code == 2 and "ambiguous" in r.stderr
            assert rid in r.stderr and seen[rid[0]] in r.stderr
            return
        seen[rid[0]] = rid
    pytest.fail("no shared first character in 40 ids")


def test_brief_text_is_never_markup_or_escapes(cli, tmp_path):
    nasty = "Title: [bold red]Loud[/bold red] title\n\nBody with [link=x]markup[/link] and \x1b[31mred\x1b[0m escape."
    bid = cli("add", write(tmp_path / "n.txt", nasty), "--json").json[0]["id"]
    for args in (("show", bid), ("list",), ("search", "markup")):
        out = cli(*args).stdout
        assert "\x1b" not in out
        assert "[bold red]Loud[/bold red]" in out
    out = cli("show", bid).stdout
    assert "[link=x]markup[/link]" in out and "\\x1b[31mred" in out
    # JSON keeps the text exactly
    assert "\x1b[31mred" in cli("show", bid, "--json").json["text"]


# -- remove ----------------------------------------------------------------------------------------
def test_remove_asks_first(cli, three):
    r = cli("remove", three["trade"], input="n\n")
    assert r.exit_code == 1 and "Nothing removed" in r.stderr
    assert len(cli("list", "--json").json) == 3
    r = cli("remove", three["trade"], input="y\n")
    assert r.exit_code == 0 and three["trade"] in r.stdout
    assert {x["id"] for x in cli("list", "--json").json} == {three["sanctions"], three["climate"]}


def test_remove_yes_several(cli, three):
    r = cli("remove", "--yes", three["trade"], three["climate"])
    assert r.exit_code == 0
    assert [x["id"] for x in cli("list", "--json").json] == [three["sanctions"]]
    assert cli("search", "tariffs", "--json").json == []
    r = cli("remove", "--yes", three["trade"])
    assert r.exit_code == 2 and "no brief with id" in r.stderr


# -- formats and usage -----------------------------------------------------------------------------
def test_formats(cli, three):
    ids = [x["id"] for x in cli("list", "--json").json]
    assert cli("list", "--format", "ids").stdout.split() == ids
    lines = cli("list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ids
    csv_out = cli("list", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,date,title,authors,tags")
    assert csv_out[1].startswith(f"{ids[0]},2020-02-03,Sanctions relief and its discontents,Jane Roe,Iran; Sanctions")
    assert cli("search", "relief", "--format", "ids").stdout.split()[0] in ids


def test_usage_errors_are_one_line_exit_2(cli, three):
    for args in (("list", "--format", "xml"), ("list", "--sort", "size"), ("search", "x", "--sort", "size"),
                 ("list", "--bogus"), ("list", "--since", "2019-13"), ("frobnicate",)):
        r = cli(*args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, (args, r)


def test_real_entry_point(brief_exe, tmp_path):
    env = {"BRIEF_INDEX": str(tmp_path / "real")}
    r = brief_exe("add", SEED, env=env)
    assert r.returncode if hasattr(r, "returncode") else r.exit_code == 0
    assert r.stdout.startswith("added")
    r = brief_exe("search", "sanctions relief", "--format", "ids", env=env)
    assert r.exit_code == 0 and len(r.stdout.split()) == 1
    r = brief_exe("--version", env=env)
    assert r.stdout.startswith("brief ")
    r = brief_exe("list", "--sort", "nope", env=env)
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_search_table_keeps_a_long_unbroken_title_on_one_line(cli, tmp_path):
    title = "Sanctions" + "x" * 300
    bid = cli("add", write(tmp_path / "long.txt", f"Title: {title}\n\nsanctions body text"), "--json").json[0]["id"]
    out = cli("search", "sanctions").stdout
    first = [ln for ln in out.splitlines() if ln.startswith(bid)][0]
    assert "Sanctionsxxx" in first and first.rstrip().endswith("…")
    assert sum("xxxxxxxxxx" in ln for ln in out.splitlines()) == 1  # cut, not folded over lines


def test_folder_with_only_a_placeholder_becomes_an_archive(cli, tmp_path):
    d = tmp_path / "index"
    write(d / ".gitkeep", "")
    r = cli("--index", d, "add", SEED)
    assert r.exit_code == 0 and r.stdout.startswith("added")
    assert (d / "brief.json").is_file()
