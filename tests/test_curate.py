"""Curation: tag (by id and by query), edit (options and $EDITOR), tags/authors/orgs, renames, stats.

Every test runs on a real Whoosh archive in a temp dir; changes are checked through the same
`show --json`, `list` and `search` a user would run, and every other field and the text are
compared before and after.
"""

from __future__ import annotations

import json
import os
import shlex
import sys

import pytest

from conftest import write

FIELDS = ("id", "title", "authors", "date", "tags", "type", "organization", "source", "sha256", "added",
          "words", "text")

SANCTIONS = """Title: Sanctions relief and its discontents
Author: Jane Roe
Date: 2019-02-03
Tags: Iran; Sanctions
Type: Policy Brief
Organization: Foundation for Defense of Democracies (FDD)

Sanctions relief was granted in exchange for limits on enrichment. Critics argue the relief
came too early and the verification regime was weak.
"""

TRADE = """Title: Tariffs and the trade deficit
Authors: Jane Roe, John Doe
Date: 2019-11-20
Tags: Trade
Type: Memo
Organization: Brookings Institution

Tariffs raised prices for consumers while the trade deficit widened.
"""

KOREA = """Title: Talks with Pyongyang
Authors: John Doe, Ana Lima
Date: 2018-07-01
Tags: DPRK; Sanctions
Type: Policy Brief

Negotiations with the DPRK stalled after the summit; sanctions stayed in place.
"""

SEAS = """Title: Adapting coastal cities to rising seas
Author: Ana Lima
Date: 2020-05-05
Tags: North Korea; Climate

Coastal cities face rising seas. Adaptation funding remains scarce and relief is slow.
"""

UNDATED = """Title: Notes without a date
Author: Jane Roe

Loose notes on relief for farmers and on tariffs.
"""

TEXTS = {"sanctions": SANCTIONS, "trade": TRADE, "korea": KOREA, "seas": SEAS, "undated": UNDATED}


@pytest.fixture
def five(tmp_path, cli):
    """Five briefs from 2018, 2019 (two), 2020 and undated; returns {name: id}."""
    ids = {}
    for name, text in TEXTS.items():
        r = cli("add", write(tmp_path / "in" / f"{name}.txt", text), "--json")
        assert r.exit_code == 0, r
        ids[name] = r.json[0]["id"]
    return ids


def rec(cli, bid):
    r = cli("show", bid, "--json")
    assert r.exit_code == 0, r
    return r.json


def records(cli, ids):
    return {name: rec(cli, bid) for name, bid in ids.items()}


def assert_only(before: dict, after: dict, **changed):
    """`after` is `before` with exactly the given fields changed (to the given values)."""
    for k in FIELDS:
        if k in changed:
            assert after[k] == changed[k], (k, after[k], changed[k])
        else:
            assert after[k] == before[k], (k, before[k], after[k])


def listed(cli, *args):
    r = cli("list", *args, "--json")
    assert r.exit_code == 0, r
    return [x["id"] for x in r.json]


def searched(cli, *args):
    r = cli("search", *args, "--json")
    assert r.exit_code == 0, r
    return [x["id"] for x in r.json]


def generation(archive_dir):
    from whoosh import index

    return index.open_dir(str(archive_dir), indexname="MAIN").latest_generation()


# -- tag by id -------------------------------------------------------------------------------------
def test_tag_add_remove_options_keep_everything_else(cli, five):
    before = records(cli, five)
    r = cli("tag", five["sanctions"], five["trade"], "--add", "Reviewed", "--add", "Gulf states",
            "--remove", "iran")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("changed") and five["sanctions"] in lines[0]
    assert "-Iran" in lines[0] and "+Reviewed" in lines[0] and "+Gulf states" in lines[0]
    assert lines[1].startswith("changed") and five["trade"] in lines[1] and "-Iran" not in lines[1]
    assert "2 briefs changed" in r.stderr
    after = records(cli, five)
    assert_only(before["sanctions"], after["sanctions"], tags=["Sanctions", "Reviewed", "Gulf states"])
    assert_only(before["trade"], after["trade"], tags=["Trade", "Reviewed", "Gulf states"])
    for name in ("korea", "seas", "undated"):
        assert after[name] == before[name]


def test_tag_notmuch_shorthand(cli, five):
    before = rec(cli, five["korea"])
    # -hot, -nuclear, -yes look like short options elsewhere; here they are tags to remove
    r = cli("tag", "+hot", "+nuclear", "+yes", "+North Korea", five["korea"][:5])
    assert r.exit_code == 0, r
    assert rec(cli, five["korea"])["tags"] == ["DPRK", "Sanctions", "hot", "nuclear", "yes", "North Korea"]
    r = cli("tag", "-hot", five["korea"], "-nuclear", "-yes", "-dprk", "+Reviewed")
    assert r.exit_code == 0, r
    assert "-hot" in r.stdout and "-DPRK" in r.stdout and "+Reviewed" in r.stdout
    assert_only(before, rec(cli, five["korea"]), tags=["Sanctions", "North Korea", "Reviewed"])


def test_tag_shorthand_through_real_entry_point(brief_exe, tmp_path):
    env = {"BRIEF_INDEX": str(tmp_path / "real")}
    r = brief_exe("add", write(tmp_path / "k.txt", KOREA), "--json", env=env)
    bid = json.loads(r.stdout)[0]["id"]
    r = brief_exe("tag", "-h", env=env)
    assert r.exit_code == 0 and "Usage: brief tag" in r.stdout
    r = brief_exe("tag", "-sanctions", "+hot", "-dprk", bid, env=env)
    assert r.exit_code == 0, r
    r = brief_exe("show", bid, "--json", env=env)
    assert json.loads(r.stdout)["tags"] == ["hot"]
    r = brief_exe("tag", "--frobnicate", bid, env=env)
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and "--frobnicate" in r.stderr
    assert "Traceback" not in r.stderr


def test_tag_idempotent_says_so(cli, five, archive_dir):
    before = rec(cli, five["sanctions"])
    gen = generation(archive_dir)
    r = cli("tag", "+IRAN", "-Climate", five["sanctions"])
    assert r.exit_code == 0, r
    assert r.stdout.startswith("unchanged")
    assert "already tagged 'Iran'" in r.stdout and "not tagged 'Climate'" in r.stdout
    assert "0 briefs changed, 1 unchanged" in r.stderr
    assert rec(cli, five["sanctions"]) == before
    assert generation(archive_dir) == gen  # nothing was written


def test_tag_matched_case_insensitively_shown_as_first_written(cli, five):
    cli("tag", "+Gulf States", five["sanctions"])
    cli("tag", "+gulf states", five["trade"])
    assert rec(cli, five["trade"])["tags"] == ["Trade", "gulf states"]
    assert set(listed(cli, "--tag", "GULF STATES")) == {five["sanctions"], five["trade"]}
    r = cli("tag", "-GULF STATES", five["sanctions"], five["trade"])
    assert r.exit_code == 0 and "-Gulf States" in r.stdout and "-gulf states" in r.stdout
    assert listed(cli, "--tag", "gulf states") == []


def test_tag_visible_to_search_and_list_right_after(cli, five):
    assert searched(cli, "relief", "--tag", "reviewed") == []
    cli("tag", "+reviewed", five["sanctions"], five["seas"])
    assert set(listed(cli, "--tag", "Reviewed")) == {five["sanctions"], five["seas"]}
    assert set(searched(cli, "relief", "--tag", "reviewed")) == {five["sanctions"], five["seas"]}
    cli("tag", "-reviewed", five["seas"])
    assert listed(cli, "--tag", "reviewed") == [five["sanctions"]]


def test_tag_bad_tags_are_usage_errors(cli, five):
    before = records(cli, five)
    for args in (("+a,b", five["trade"]), ("--add", "x, y", five["trade"]), ("+", five["trade"]),
                 ("+x", "-X", five["trade"]), (five["trade"],), ("+x",), ("--remove", "x", "--add", "y")):
        r = cli("tag", *args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, (args, r)
    assert "comma" in cli("tag", "+a,b", five["trade"]).stderr
    assert "'x' is both added and removed" in cli("tag", "+x", "-X", five["trade"]).stderr
    assert "--remove" in cli("tag", "---x", five["trade"]).stderr
    assert records(cli, five) == before


def test_tag_unknown_ids(cli, five):
    before = records(cli, five)
    r = cli("tag", "+x", "zzzzzzz")
    assert r.exit_code == 2 and r.stderr.strip() == "Error: no brief with id 'zzzzzzz'"
    assert records(cli, five) == before
    # some ids fail, the others are changed: exit 1
    r = cli("tag", "+x", "zzzzzzz", five["trade"])
    assert r.exit_code == 1
    assert "no brief with id 'zzzzzzz'" in r.stderr and "1 failed" in r.stderr
    assert five["trade"] in r.stdout
    assert rec(cli, five["trade"])["tags"] == ["Trade", "x"]


def test_concurrent_tag_processes_lose_nothing(brief_exe, tmp_path):
    import subprocess

    env = dict(os.environ, BRIEF_INDEX=str(tmp_path / "conc"))
    r = brief_exe("add", write(tmp_path / "t.txt", TRADE), "--json", env=env)
    bid = json.loads(r.stdout)[0]["id"]
    exe = [sys.executable, "-m", "brieftool"]
    procs = [subprocess.Popen(exe + ["tag", f"+t{i}", bid], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    procs.append(subprocess.Popen(exe + ["edit", bid, "--title", "Retitled"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
    got = json.loads(brief_exe("show", bid, "--json", env=env).stdout)
    assert got["tags"][0] == "Trade" and sorted(got["tags"][1:]) == ["t0", "t1", "t2", "t3"]
    assert got["title"] == "Retitled" and got["text"] == TRADE


def test_tag_markup_in_tag_is_printed_literally(cli, five):
    r = cli("tag", "+[bold red]loud[/bold red]", five["trade"])
    assert "+[bold red]loud[/bold red]" in r.stdout
    assert "[bold red]loud[/bold red]" in cli("tags").stdout
    assert rec(cli, five["trade"])["tags"][-1] == "[bold red]loud[/bold red]"


# -- tag by query ----------------------------------------------------------------------------------
def test_tag_by_query_asks_first(cli, five, archive_dir):
    before = records(cli, five)
    r = cli("tag", "--query", "relief", "--add", "reviewed", input="n\n")
    assert r.exit_code == 1 and "Nothing changed" in r.stderr
    assert "3 briefs to change (+reviewed)" in r.stdout
    for name in ("sanctions", "seas", "undated"):
        assert five[name] in r.stdout
    assert five["trade"] not in r.stdout
    assert records(cli, five) == before
    r = cli("tag", "--query", "relief", "--add", "reviewed")  # no answer at all
    assert r.exit_code == 1 and "not confirmed; pass --yes" in r.stderr and "Traceback" not in r.stderr
    assert records(cli, five) == before
    r = cli("tag", "--query", "relief", "--add", "reviewed", input="y\n")
    assert r.exit_code == 0, r
    assert "3 briefs changed" in r.stderr
    assert set(listed(cli, "--tag", "reviewed")) == {five["sanctions"], five["seas"], five["undated"]}
    after = records(cli, five)
    for name in ("sanctions", "seas", "undated"):
        assert_only(before[name], after[name], tags=before[name]["tags"] + ["reviewed"])
    assert after["trade"] == before["trade"] and after["korea"] == before["korea"]


def test_tag_by_query_counts_only_briefs_that_change(cli, five):
    cli("tag", "+reviewed", five["sanctions"])
    r = cli("tag", "--query", "relief", "--add", "Reviewed", input="n\n")
    assert "2 briefs to change (+Reviewed); 1 more matches and already is that way" in r.stdout
    r = cli("tag", "--query", "relief", "--remove", "nonexistent", "--yes")
    assert r.exit_code == 0 and "already are that way" in r.stderr and r.stdout == ""


def test_tag_by_query_yes_is_one_transaction(cli, five, archive_dir):
    gen = generation(archive_dir)
    r = cli("tag", "--query", "relief", "--add", "reviewed", "--remove", "sanctions", "--yes")
    assert r.exit_code == 0, r
    assert generation(archive_dir) == gen + 1
    assert len(r.stdout.splitlines()) == 3
    assert rec(cli, five["sanctions"])["tags"] == ["Iran", "reviewed"]
    assert rec(cli, five["seas"])["tags"] == ["North Korea", "Climate", "reviewed"]


def test_tag_by_query_dry_run_changes_nothing(cli, five, archive_dir):
    before = records(cli, five)
    gen = generation(archive_dir)
    r = cli("tag", "--query", "tariffs", "--add", "trade policy", "--dry-run")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(ln.startswith("would change") and "+trade policy" in ln for ln in lines)
    assert {five["trade"], five["undated"]} == {ln.split()[2] for ln in lines}
    assert "2 briefs would change" in r.stderr
    assert records(cli, five) == before and generation(archive_dir) == gen


def test_tag_by_filters(cli, five):
    cli("tag", "--author", "jane roe", "--since", "2019", "--until", "2019", "--add", "jr19", "--yes")
    assert set(listed(cli, "--tag", "jr19")) == {five["sanctions"], five["trade"]}
    cli("tag", "--tag", "sanctions", "--type", "policy brief", "--add", "pb-sanctions", "--yes")
    assert set(listed(cli, "--tag", "pb-sanctions")) == {five["sanctions"], five["korea"]}
    cli("tag", "--org", "fdd", "--add", "fdd", "--yes")
    assert listed(cli, "--tag", "fdd") == [five["sanctions"]]
    cli("tag", "--query", "seas", "--until", "2019", "--add", "none", "--yes")
    assert listed(cli, "--tag", "none") == []
    cli("tag", "--query", "", "--add", "everything", "--yes")
    assert set(listed(cli, "--tag", "everything")) == set(five.values())
    r = cli("tag", "--query", "zyzzyva", "--add", "x", "--yes")
    assert r.exit_code == 0 and "No brief matches" in r.stderr
    r = cli("tag", "--query", "relief", five["trade"], "--add", "x")
    assert r.exit_code == 2 and "not both" in r.stderr


def test_tag_by_query_preview_is_limited(cli, tmp_path):
    paths = [write(tmp_path / "m" / f"m{i}.txt", f"Title: Memo {i}\n\nA memo about wheat, number {i}.")
             for i in range(25)]
    assert cli("add", *paths).exit_code == 0
    r = cli("tag", "--query", "wheat", "--add", "grain", input="y\n")
    assert r.exit_code == 0
    assert "25 briefs to change (+grain) (the first 20, as they will be)" in r.stdout
    assert "… and 5 more" in r.stderr
    assert len(listed(cli, "--tag", "grain")) == 25


def test_tag_by_date_query_tags_exactly_that_year(cli, five):
    r = cli("tag", "--query", "date:2019", "--add", "reviewed", "--yes")
    assert r.exit_code == 0, r
    assert set(listed(cli, "--tag", "reviewed")) == {five["sanctions"], five["trade"]}
    # the rest of the query syntax works the same way: fields, phrases, and with the filters
    cli("tag", "--query", 'tag:"north korea" OR tag:dprk', "--add", "Korea", "--yes")
    assert set(listed(cli, "--tag", "korea")) == {five["korea"], five["seas"]}
    cli("tag", "--query", "date:2019 relief", "--author", "roe", "--add", "relief 2019", "--yes")
    assert listed(cli, "--tag", "relief 2019") == [five["sanctions"]]


# -- edit with options -----------------------------------------------------------------------------
def test_edit_options_change_only_those_fields(cli, five, tmp_path):
    before = rec(cli, five["trade"])
    r = cli("edit", five["trade"][:5], "--title", "Tariffs,  again", "--author", "A. One", "--author", "B. Two",
            "--date", "March 3, 2021", "--type", "Testimony", "--org", "Cato Institute (CATO)",
            "--source", str(tmp_path / "elsewhere.txt"))
    assert r.exit_code == 0, r
    assert r.stdout.startswith("changed") and five["trade"] in r.stdout
    assert "title: 'Tariffs and the trade deficit' -> 'Tariffs, again'" in r.stdout
    assert "date: 2019-11-20 -> 2021-03-03" in r.stdout
    assert_only(before, rec(cli, five["trade"]), title="Tariffs, again", authors=["A. One", "B. Two"],
                date="2021-03-03", type="Testimony", organization="Cato Institute",
                source=str(tmp_path / "elsewhere.txt"))
    # searchable and filterable right after
    assert listed(cli, "--author", "one") == [five["trade"]]
    assert listed(cli, "--org", "cato") == [five["trade"]]
    assert listed(cli, "--type", "testimony") == [five["trade"]]
    assert listed(cli, "--since", "2021") == [five["trade"]]
    assert searched(cli, "again") == [five["trade"]]
    assert set(listed(cli, "--author", "jane roe")) == {five["sanctions"], five["undated"]}


def test_edit_add_author_and_clear(cli, five):
    before = rec(cli, five["sanctions"])
    r = cli("edit", five["sanctions"], "--add-author", "John Doe", "--add-author", "jane roe")
    assert r.exit_code == 0, r
    assert_only(before, rec(cli, five["sanctions"]), authors=["Jane Roe", "John Doe"])
    r = cli("edit", five["sanctions"], "--clear", "date", "--clear", "org", "--clear", "type", "--clear", "tags")
    assert r.exit_code == 0, r
    assert_only(before, rec(cli, five["sanctions"]), authors=["Jane Roe", "John Doe"], date=None, organization="",
                type="", tags=[])
    assert listed(cli, "--org", "fdd") == [] and listed(cli, "--tag", "iran") == []
    r = cli("edit", five["sanctions"], "--clear", "authors", "--clear", "title", "--clear", "source")
    assert r.exit_code == 0, r
    assert_only(before, rec(cli, five["sanctions"]), authors=[], date=None, organization="", type="", tags=[],
                title="", source="")
    assert set(listed(cli, "--author", "roe")) == {five["trade"], five["undated"]}


def test_edit_org_keeps_abbreviation_only_for_same_name(cli, five):
    cli("edit", five["sanctions"], "--org", "foundation for defense of democracies")
    assert rec(cli, five["sanctions"])["organization"] == "foundation for defense of democracies"
    assert listed(cli, "--org", "fdd") == [five["sanctions"]]  # same organization: FDD kept
    cli("edit", five["sanctions"], "--org", "Some Other Org")
    assert listed(cli, "--org", "fdd") == []


def test_edit_nothing_to_change(cli, five, archive_dir):
    before = rec(cli, five["trade"])
    gen = generation(archive_dir)
    r = cli("edit", five["trade"], "--title", "Tariffs and the trade deficit", "--type", "Memo")
    assert r.exit_code == 0 and r.stdout.startswith("unchanged") and "nothing to change" in r.stdout
    assert rec(cli, five["trade"]) == before and generation(archive_dir) == gen


def test_edit_dry_run(cli, five):
    before = rec(cli, five["trade"])
    r = cli("edit", five["trade"], "--title", "New", "--dry-run")
    assert r.exit_code == 0 and r.stdout.startswith("would change") and "-> 'New'" in r.stdout
    assert rec(cli, five["trade"]) == before


def test_edit_usage_errors(cli, five):
    before = records(cli, five)
    cases = [
        (("--clear", "colour"), "unknown field 'colour'"),
        (("--clear", "text"), "cannot be edited"),
        (("--clear", "id"), "cannot be edited"),
        (("--clear", "title", "--title", "x"), "--clear title and a new title"),
        (("--date", "the day after"), "cannot read 'the day after' as a date"),
        (("--title", "  "), "use --clear title"),
        (("--author", ""), "empty --author"),
    ]
    for args, msg in cases:
        r = cli("edit", five["trade"], *args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1 and msg in r.stderr, (args, r)
    r = cli("edit", "zzzzzzz", "--title", "x")
    assert r.exit_code == 2 and "no brief with id 'zzzzzzz'" in r.stderr
    r = cli("edit", five["trade"], "--text", "x")
    assert r.exit_code == 2
    assert records(cli, five) == before


def test_edited_fields_survive_a_text_update(cli, tmp_path):
    p = write(tmp_path / "memo.txt", "Title: First title\nAuthor: Jane Roe\nDate: 2019-01-01\n\nFirst text.")
    bid = cli("add", p, "--json").json[0]["id"]
    cli("edit", bid, "--title", "Hand title", "--author", "Ana Lima")
    write(p, "Title: Second title\nAuthor: Jane Roe\nDate: 2019-02-02\n\nSecond text, changed.")
    r = cli("add", p, "--json")
    assert r.json[0]["status"] == "updated" and r.json[0]["id"] == bid
    got = rec(cli, bid)
    assert got["title"] == "Hand title" and got["authors"] == ["Ana Lima"]
    assert got["date"] == "2019-02-02" and "Second text" in got["text"]  # not edited: from the new text


# -- edit in $EDITOR -------------------------------------------------------------------------------
EDITOR = r'''
import json, os, pathlib, subprocess, sys
path = pathlib.Path(sys.argv[-1])
plan_file = pathlib.Path(os.environ["BRIEF_TEST_PLAN"])
plan = json.loads(plan_file.read_text("utf-8"))
counter = plan_file.with_suffix(".count")
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
text = path.read_text("utf-8")
plan_file.with_suffix(f".seen{n}").write_text(text, "utf-8")
step = plan[min(n, len(plan) - 1)]
if "exit" in step:
    sys.exit(step["exit"])
for args in step.get("run", []):  # another brief command while the editor is open
    subprocess.run([sys.executable, "-m", "brieftool", *args], check=True, capture_output=True)
if "write" in step:
    text = step["write"]
for old, new in step.get("replace", []):
    assert old in text, (old, text)
    text = text.replace(old, new)
for line in step.get("append", []):
    text += line + "\n"
path.write_text(text, "utf-8")
'''


@pytest.fixture
def editor(tmp_path, monkeypatch):
    """A scripted $EDITOR: ``editor(step, ...)`` sets what each successive run does; returns a
    function giving the text the editor was shown on run i and the number of runs."""
    script = write(tmp_path / "editor.py", EDITOR)
    plan = tmp_path / "plan.json"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    monkeypatch.setenv("BRIEF_TEST_PLAN", str(plan))

    class Ed:
        def plan(self, *steps):
            plan.write_text(json.dumps(list(steps)), "utf-8")
            for f in tmp_path.glob("plan.seen*"):
                f.unlink()
            c = plan.with_suffix(".count")
            if c.exists():
                c.unlink()

        def seen(self, i):
            return plan.with_suffix(f".seen{i}").read_text("utf-8")

        @property
        def runs(self):
            c = plan.with_suffix(".count")
            return int(c.read_text()) if c.exists() else 0

    return Ed()


def test_editor_form_shows_fields_and_explains(cli, five, editor):
    editor.plan({})  # saves unchanged
    r = cli("edit", five["sanctions"])
    assert r.exit_code == 0, r
    shown = editor.seen(0)
    assert shown.startswith("# Brief " + five["sanctions"])
    assert "key: value" in shown and "save the file unchanged or empty it" in shown
    body = [ln for ln in shown.splitlines() if ln and not ln.startswith("#")]
    assert body == ["title: Sanctions relief and its discontents", "date: 2019-02-03", "author: Jane Roe",
                    "tag: Iran", "tag: Sanctions", "type: Policy Brief",
                    "organization: Foundation for Defense of Democracies (FDD)",
                    f"source: {rec(cli, five['sanctions'])['source']}"]


def test_editor_changes_fields(cli, five, editor):
    before = rec(cli, five["sanctions"])
    editor.plan({"replace": [["title: Sanctions relief and its discontents", "title: Relief, revisited"],
                             ["date: 2019-02-03", "date: 5 June 2019"],
                             ["tag: Iran\n", "tag: Iran\ntag: Gulf\n"],
                             ["tag: Sanctions\n", ""]],
                 "append": ["author: Ana Lima"]})
    r = cli("edit", five["sanctions"])
    assert r.exit_code == 0, r
    assert r.stdout.startswith("changed") and "title: 'Sanctions relief and its discontents' -> 'Relief, revisited'" in r.stdout
    assert editor.runs == 1
    assert_only(before, rec(cli, five["sanctions"]), title="Relief, revisited", date="2019-06-05",
                authors=["Jane Roe", "Ana Lima"], tags=["Iran", "Gulf"])
    assert listed(cli, "--tag", "gulf") == [five["sanctions"]]
    assert five["sanctions"] not in listed(cli, "--tag", "sanctions")
    assert five["sanctions"] in listed(cli, "--author", "ana lima")


def test_editor_saved_unchanged_or_emptied_changes_nothing(cli, five, editor, archive_dir):
    before = rec(cli, five["trade"])
    gen = generation(archive_dir)
    editor.plan({})
    r = cli("edit", five["trade"])
    assert r.exit_code == 0 and "Nothing changed (the file was saved unchanged)" in r.stderr and r.stdout == ""
    editor.plan({"write": ""})
    r = cli("edit", five["trade"])
    assert r.exit_code == 0 and "Nothing changed (the file was emptied)" in r.stderr
    editor.plan({"write": "# only a comment\n\n"})
    r = cli("edit", five["trade"])
    assert r.exit_code == 0 and "emptied" in r.stderr
    assert rec(cli, five["trade"]) == before and generation(archive_dir) == gen


def test_editor_invalid_then_fixed(cli, five, editor):
    before = rec(cli, five["trade"])
    editor.plan({"replace": [["date: 2019-11-20", "date: the 31st of Smarch"], ["type: Memo", "colour: red"]]},
                {"replace": [["date: the 31st of Smarch", "date: 2019-12-01"]]},
                {"replace": [["colour: red", "type: Memo, revised"]]})
    r = cli("edit", five["trade"])
    assert r.exit_code == 0, r
    assert editor.runs == 3
    second = editor.seen(1)
    assert second.startswith("# ERROR: line ") and "cannot read 'the 31st of Smarch' as a date" in second
    assert "date: the 31st of Smarch" in second  # the user's edit is kept to fix
    third = editor.seen(2)
    assert "unknown field 'colour'" in third.splitlines()[0] and "Smarch" not in third
    assert third.count("# ERROR:") == 2  # the old error is gone, the new one (two lines) shown
    assert_only(before, rec(cli, five["trade"]), date="2019-12-01", type="Memo, revised")


def test_editor_invalid_saved_again_gives_up(cli, five, editor):
    before = rec(cli, five["trade"])
    editor.plan({"replace": [["tag: Trade", "tag: a, b"]]}, {})
    r = cli("edit", five["trade"])
    assert r.exit_code == 1 and editor.runs == 2
    assert r.stderr.startswith("Error: still invalid, nothing changed: line ") and "comma" in r.stderr
    assert rec(cli, five["trade"]) == before


def test_editor_other_invalid_forms(cli, five, editor):
    before = rec(cli, five["trade"])
    for bad, msg in (("just words", "is not 'key: value'"), ("id: abc", "the id cannot be changed"),
                     ("title: Again", "title is given twice")):
        editor.plan({"append": [bad]}, {})
        r = cli("edit", five["trade"])
        assert r.exit_code == 1 and msg in r.stderr, (bad, r)
    assert rec(cli, five["trade"]) == before


def test_editor_failing_or_missing(cli, five, editor, monkeypatch):
    before = rec(cli, five["trade"])
    editor.plan({"exit": 3})
    r = cli("edit", five["trade"])
    assert r.exit_code == 1 and "exited with status 3; nothing changed" in r.stderr
    monkeypatch.setenv("VISUAL", "/nonexistent/editor-xyz")
    r = cli("edit", five["trade"])
    assert r.exit_code == 1 and "cannot start the editor '/nonexistent/editor-xyz'" in r.stderr
    assert r.stderr.count("\n") == 1
    assert rec(cli, five["trade"]) == before


def test_editor_plural_keys_and_clearing(cli, five, editor):
    before = rec(cli, five["korea"])
    editor.plan({"replace": [["author: John Doe\nauthor: Ana Lima\n", "authors: Ana Lima; Bo Chen\n"],
                             ["type: Policy Brief", "type:"]]})
    r = cli("edit", five["korea"])
    assert r.exit_code == 0, r
    assert_only(before, rec(cli, five["korea"]), authors=["Ana Lima", "Bo Chen"], type="")


def test_editor_applies_only_edited_fields_onto_a_record_changed_meanwhile(cli, five, editor):
    before = rec(cli, five["trade"])
    editor.plan({"run": [["tag", "+added meanwhile", five["trade"]], ["edit", five["trade"], "--type", "Op-ed"]],
                 "replace": [["title: Tariffs and the trade deficit", "title: Tariffs, edited"]]})
    r = cli("edit", five["trade"])
    assert r.exit_code == 0, r
    assert_only(before, rec(cli, five["trade"]), title="Tariffs, edited", type="Op-ed",
                tags=["Trade", "added meanwhile"])


# -- tags / authors / orgs -------------------------------------------------------------------------
def test_tags_authors_orgs_counts(cli, five):
    assert cli("tags", "--json").json == [
        {"name": "Sanctions", "count": 2}, {"name": "Climate", "count": 1}, {"name": "DPRK", "count": 1},
        {"name": "Iran", "count": 1}, {"name": "North Korea", "count": 1}, {"name": "Trade", "count": 1}]
    assert [x["name"] for x in cli("tags", "--sort", "name", "--json").json] == [
        "Climate", "DPRK", "Iran", "North Korea", "Sanctions", "Trade"]
    assert cli("authors", "--json").json == [
        {"name": "Jane Roe", "count": 3}, {"name": "Ana Lima", "count": 2}, {"name": "John Doe", "count": 2}]
    assert cli("orgs", "--json").json == [
        {"name": "Brookings Institution", "count": 1}, {"name": "Foundation for Defense of Democracies", "count": 1}]
    assert cli("authors", "--limit", "1", "--json").json == [{"name": "Jane Roe", "count": 3}]
    t = cli("tags")
    assert t.stdout.splitlines()[0] == "6 tags"
    assert [ln.split() for ln in t.stdout.splitlines()[1:4]] == [["briefs", "tag"], ["2", "Sanctions"], ["1", "Climate"]]
    assert "3 authors (showing 1)" in cli("authors", "--limit", "1").stdout
    r = cli("tags", "--sort", "size")
    assert r.exit_code == 2 and "unknown --sort 'size'" in r.stderr


def test_counts_follow_changes_most_common_spelling(cli, five, tmp_path):
    cli("tag", "+SANCTIONS", "+gulf", five["trade"])  # a third brief, spelled differently
    cli("remove", "--yes", five["undated"])  # Jane Roe: 3 -> 2
    p = write(tmp_path / "in" / "seas.txt", SEAS.replace("Climate", "Climate change"))
    assert cli("add", p, "--json").json[0]["status"] == "updated"
    assert cli("tags", "--json").json == [
        {"name": "Sanctions", "count": 3}, {"name": "Climate", "count": 1}, {"name": "Climate change", "count": 1},
        {"name": "DPRK", "count": 1}, {"name": "gulf", "count": 1}, {"name": "Iran", "count": 1},
        {"name": "North Korea", "count": 1}, {"name": "Trade", "count": 1}]
    assert cli("authors", "--json").json == [
        {"name": "Ana Lima", "count": 2}, {"name": "Jane Roe", "count": 2}, {"name": "John Doe", "count": 2}]
    cli("tag", "+sanctions", five["seas"])
    cli("tag", "+sanctions", "-SANCTIONS", five["trade"])
    assert cli("tags", "--json").json[0] == {"name": "Sanctions", "count": 4}  # 2 x Sanctions, 2 x sanctions
    cli("tag", "-sanctions", five["sanctions"])
    cli("tag", "+sanctions", five["sanctions"])
    assert cli("tags", "--json").json[0] == {"name": "sanctions", "count": 4}  # now 3 x sanctions


def test_counts_on_missing_archive(cli, archive_dir):
    r = cli("tags")
    assert r.exit_code == 1 and "no archive at" in r.stderr and not archive_dir.exists()


# -- renames ---------------------------------------------------------------------------------------
def test_rename_tag(cli, five):
    before = records(cli, five)
    r = cli("rename-tag", "sanctions", "Sanctions policy")
    assert r.exit_code == 0, r
    assert "Renamed tag 'sanctions' to 'Sanctions policy' on 2 briefs." in r.stderr
    assert {ln.split()[1] for ln in r.stdout.splitlines()} == {five["sanctions"], five["korea"]}
    assert "'Sanctions' -> 'Sanctions policy'" in r.stdout
    after = records(cli, five)
    assert_only(before["sanctions"], after["sanctions"], tags=["Iran", "Sanctions policy"])
    assert_only(before["korea"], after["korea"], tags=["DPRK", "Sanctions policy"])
    assert listed(cli, "--tag", "sanctions") == []
    assert set(listed(cli, "--tag", "sanctions policy")) == {five["sanctions"], five["korea"]}


def test_rename_tag_merges_into_existing(cli, five):
    cli("tag", "+north korea", five["sanctions"])
    cli("tag", "+DPRK", five["seas"])  # seas has North Korea and now DPRK: both
    before = records(cli, five)
    r = cli("rename-tag", "dprk", "North Korea")
    assert r.exit_code == 0, r
    assert ("Renamed tag 'dprk' to 'North Korea' on 2 briefs; merged into the existing tag 'North Korea' "
            "(already on 2 briefs, 1 of them had both).") in r.stderr
    after = records(cli, five)
    assert_only(before["korea"], after["korea"], tags=["North Korea", "Sanctions"])
    assert_only(before["seas"], after["seas"], tags=["North Korea", "Climate"])
    assert "'DPRK' merged into 'North Korea'" in r.stdout
    assert after["sanctions"] == before["sanctions"]  # had only the new tag: untouched
    assert listed(cli, "--tag", "dprk") == []
    assert set(listed(cli, "--tag", "north korea")) == {five["korea"], five["seas"], five["sanctions"]}
    assert {"name": "North Korea", "count": 3} in cli("tags", "--json").json


def test_rename_tag_respell_and_errors(cli, five):
    cli("tag", "+north korea", five["sanctions"])
    r = cli("rename-tag", "NORTH KOREA", "North Korea")
    assert r.exit_code == 0, r
    assert [ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("changed")] == [five["sanctions"]]
    assert "1 already as asked" in r.stderr
    assert rec(cli, five["sanctions"])["tags"] == ["Iran", "Sanctions", "North Korea"]
    before = records(cli, five)
    r = cli("rename-tag", "nope", "x")
    assert r.exit_code == 1 and r.stderr.strip() == "Error: no brief has the tag 'nope'"
    r = cli("rename-tag", "Iran", "a,b")
    assert r.exit_code == 2 and "comma" in r.stderr
    r = cli("rename-tag", "Iran", "Persia", "--dry-run")
    assert r.exit_code == 0 and r.stdout.startswith("would change") and "Would rename" in r.stderr
    assert records(cli, five) == before


def test_rename_author_exact_name_and_merge(cli, five):
    before = records(cli, five)
    r = cli("rename-author", "roe", "Jane Roe-Smith")
    assert r.exit_code == 1 and "no brief has the author 'roe'" in r.stderr  # whole names only
    r = cli("rename-author", "JANE ROE", "Jane Roe-Smith")
    assert r.exit_code == 0, r
    assert "Renamed author 'JANE ROE' to 'Jane Roe-Smith' on 3 briefs." in r.stderr
    after = records(cli, five)
    assert_only(before["trade"], after["trade"], authors=["Jane Roe-Smith", "John Doe"])
    assert_only(before["undated"], after["undated"], authors=["Jane Roe-Smith"])
    assert set(listed(cli, "--author", "roe-smith")) == {five["sanctions"], five["trade"], five["undated"]}
    # merge: John Doe -> Ana Lima (korea has both)
    r = cli("rename-author", "john doe", "Ana Lima")
    assert r.exit_code == 0, r
    assert "merged into the existing author 'Ana Lima' (already on 2 briefs, 1 of them had both)" in r.stderr
    after2 = records(cli, five)
    assert_only(after["korea"], after2["korea"], authors=["Ana Lima"])
    assert_only(after["trade"], after2["trade"], authors=["Jane Roe-Smith", "Ana Lima"])
    assert cli("authors", "--json").json == [{"name": "Ana Lima", "count": 3}, {"name": "Jane Roe-Smith", "count": 3}]


def test_renamed_names_do_not_come_back_with_updated_text(cli, five, tmp_path):
    cli("rename-tag", "DPRK", "North Korea")
    cli("rename-author", "John Doe", "Jon Doe")
    p = write(tmp_path / "in" / "korea.txt", KOREA + "\nTalks resumed later.\n")
    assert cli("add", p, "--json").json[0]["status"] == "updated"
    got = rec(cli, five["korea"])
    assert got["tags"] == ["North Korea", "Sanctions"] and got["authors"] == ["Jon Doe", "Ana Lima"]
    assert "Talks resumed later." in got["text"]


def test_removed_tag_does_not_come_back_on_same_text_re_add(cli, five, tmp_path):
    cli("tag", "-DPRK", five["korea"])
    cli("add", tmp_path / "in" / "korea.txt")
    assert rec(cli, five["korea"])["tags"] == ["Sanctions"]


# -- stats -----------------------------------------------------------------------------------------
def test_stats_json(cli, five, archive_dir):
    st = cli("stats", "--json").json
    words = sum(len(t.split()) for t in TEXTS.values())
    assert st["briefs"] == 5 and st["words"] == words
    assert (st["first_date"], st["last_date"], st["undated"]) == ("2018-07-01", "2020-05-05", 1)
    assert st["per_year"] == [{"year": 2018, "count": 1}, {"year": 2019, "count": 2}, {"year": 2020, "count": 1}]
    assert st["top_tags"][0] == {"name": "Sanctions", "count": 2} and len(st["top_tags"]) == 6
    assert st["top_authors"][0] == {"name": "Jane Roe", "count": 3}
    assert (st["tags"], st["authors"], st["organizations"]) == (6, 3, 2)
    size = sum(f.stat().st_size for f in archive_dir.rglob("*") if f.is_file())  # side data in .side/ too
    assert st["size_bytes"] == size > 0
    assert [x["name"] for x in cli("stats", "--top", "2", "--json").json["top_tags"]] == ["Sanctions", "Climate"]


def test_stats_table_with_bars(cli, five):
    out = cli("stats").stdout
    lines = out.splitlines()
    assert any(ln.split()[:2] == ["briefs", "5"] for ln in lines)
    assert "2018-07-01 – 2020-05-05  (1 undated)" in out
    assert "Briefs per year" in out
    bars = {ln.split()[0]: ln for ln in lines if ln.strip()[:4] in ("2018", "2019", "2020") and "█" in ln}
    assert set(bars) == {"2018", "2019", "2020"}
    assert bars["2019"].count("█") == 2 * bars["2018"].count("█") and bars["2019"].rstrip().endswith("2")
    assert "Top tags" in out and "Top authors" in out and "Jane Roe" in out and "on disk" in out


def test_stats_empty_and_missing(cli, archive_dir, tmp_path):
    r = cli("stats")
    assert r.exit_code == 1 and "no archive at" in r.stderr
    cli("add", write(tmp_path / "x.txt", "Title: x\n\nundated text"))
    st = cli("stats", "--json").json
    assert st["briefs"] == 1 and st["first_date"] is None and st["undated"] == 1 and st["per_year"] == []
    assert "none dated" in cli("stats").stdout


def test_year_rows_group_long_spans():
    from brieftool.curate import year_rows

    assert year_rows([{"year": 2018, "count": 1}, {"year": 2020, "count": 3}]) == (
        "year", [("2018", 1), ("2019", 0), ("2020", 3)])
    unit, rows = year_rows([{"year": 1790, "count": 2}, {"year": 1799, "count": 1}, {"year": 2018, "count": 4}])
    assert unit == "decade" and rows[0] == ("1790s", 3) and rows[-1] == ("2010s", 4) and len(rows) == 23
    unit, rows = year_rows([{"year": 1500, "count": 1}, {"year": 2001, "count": 1}])
    assert unit == "century" and rows == [("1500s", 1), ("1600s", 0), ("1700s", 0), ("1800s", 0), ("1900s", 0),
                                          ("2000s", 1)]
    assert year_rows([]) == ("year", [])
