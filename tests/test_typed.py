"""Search as people type it, and output a person would choose: several words as one query, `--`,
--query-file, root options after the command, missing fields, stop words, did-you-mean, the list
layout, piped output, closed pipes, paging past the end, the pager, `show`'s reflowing."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write

BRIEFS = {
    "nk": """Title: North Korea and maximum pressure
Author: Mathew Ha
Date: 2019-03-02
Tags: North Korea; Sanctions
Type: Policy Brief
Organization: Foundation for Defense of Democracies

North Korea evades sanctions through ship-to-ship transfers at sea, while Pyongyang keeps
testing missiles and the maximum pressure campaign loses its bite with every passing month.
""",
    "korea": """Title: Seoul's trade policy
Author: Jane Roe
Date: 2020-05-01
Tags: Trade

South Korea exports semiconductors. The north of the country is mountainous.
""",
    "draft": """Title: Draft on sanctions
Tags: Draft

Unfinished notes about sanctions.
""",
    "undated": """Title: Notes without a date about tariffs and the café

These notes about tariffs were written at a café. Care was taken.
""",
    "french": """Title: Le brouillon du doute
Author: Marie Curie
Date: 2018-01-01

Le brouillon du doute est un texte en français sur le régime des sanctions.
""",
    "care": """Title: Child care
Date: 2021-01-01

Child care costs; care workers; the care economy and more care.
""",
}


@pytest.fixture
def fx(tmp_path, cli):
    paths = [write(tmp_path / "in" / f"{k}.txt", v) for k, v in BRIEFS.items()]
    r = cli("add", *paths, "--json")
    assert r.exit_code == 0, r
    return {p.stem: x["id"] for p, x in zip(paths, r.json)}


def ids(cli, fx, command, *args) -> list[str]:
    r = cli(command, "--format", "ids", *args)
    assert r.exit_code == 0, r
    by_id = {v: k for k, v in fx.items()}
    return [by_id[i] for i in r.stdout.split()]


# -- queries as typed ---------------------------------------------------------------------------------
def test_several_words_are_one_query(cli, fx):
    assert ids(cli, fx, "search", "north", "korea") == ids(cli, fx, "search", "north korea")
    assert set(ids(cli, fx, "search", "north", "korea")) == {"nk", "korea"}  # words, not a phrase
    assert ids(cli, fx, "search", '"north korea"') == ["nk"]
    # a value the shell quoted arrives without its quotes: put back
    assert ids(cli, fx, "search", "tag:north korea", "sanctions") == ["nk"]
    assert ids(cli, fx, "search", "maximum pressure", "pyongyang") == ["nk"]


def test_double_dash_then_a_query_starting_with_minus(cli, fx):
    assert set(ids(cli, fx, "search", "--", "-draft", "sanctions")) == {"nk", "french"}
    assert set(ids(cli, fx, "search", "--", "-tag:draft", "sanctions")) == {"nk", "french"}
    # after a word, -word and -field:value are exclusions too, not options (-tag:draft is not -t ag:draft)
    assert set(ids(cli, fx, "search", "sanctions", "-tag:draft")) == {"nk", "french"}
    assert set(ids(cli, fx, "search", "sanctions", "-draft", "--limit", "5")) == {"nk", "french"}
    assert ids(cli, fx, "search", "-t", "draft", "sanctions") == ["draft"]  # the option itself still works


def test_query_file_and_stdin(cli, fx, tmp_path):
    q = write(tmp_path / "q.txt", 'tag:"north korea"\nsanctions\n')
    assert ids(cli, fx, "search", "--query-file", q) == ["nk"]
    r = cli("search", "--query-file", "-", "--format", "ids", input="tariffs café\n")
    assert r.exit_code == 0 and r.stdout.split() == [fx["undated"]]
    assert ids(cli, fx, "list", "--query-file", q) == ["nk"]
    r = cli("search", "word", "--query-file", q)
    assert r.exit_code == 2 and "not both" in r.stderr
    r = cli("search", "--query-file", tmp_path / "missing.txt")
    assert r.exit_code == 2 and "missing.txt" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("search")
    assert r.exit_code == 2 and "needs a query" in r.stderr


def test_root_options_after_the_command(cli, fx, archive_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEF_INDEX", str(tmp_path / "elsewhere"))
    r = cli("list", "--index", archive_dir, "--format", "ids")
    assert r.exit_code == 0 and len(r.stdout.split()) == len(BRIEFS)
    r = cli("search", "sanctions", f"--index={archive_dir}", "--format", "ids")
    assert r.exit_code == 0 and fx["nk"] in r.stdout.split()
    # after --, it is query text
    r = cli("--index", archive_dir, "search", "--", "--index")
    assert r.exit_code == 0


# -- missing fields ---------------------------------------------------------------------------------
def test_none_finds_the_briefs_missing_a_field(cli, fx):
    assert set(ids(cli, fx, "search", "date:none")) == {"draft", "undated"}
    assert set(ids(cli, fx, "list", "--undated")) == {"draft", "undated"}
    assert set(ids(cli, fx, "list", "--query", "author:none")) == {"draft", "undated", "care"}
    assert set(ids(cli, fx, "list", "--query", "org:none")) == set(BRIEFS) - {"nk"}
    assert set(ids(cli, fx, "list", "--query", "type:none")) == set(BRIEFS) - {"nk"}
    assert set(ids(cli, fx, "list", "--query", "tag:none")) == {"undated", "french", "care"}
    assert set(ids(cli, fx, "list", "--query", "-date:none")) == set(BRIEFS) - {"draft", "undated"}
    assert set(ids(cli, fx, "list", "--undated", "--query", "tariffs")) == {"undated"}


# -- stop words, did you mean -----------------------------------------------------------------------
def test_a_query_of_stop_words_says_so(cli, fx):
    r = cli("search", "the", "of", "and")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "Nothing to look for: the query has only stop words"
    assert '"the of and" has only stop words' in r.stderr
    assert "0 briefs match" not in r.stdout


def test_did_you_mean_never_rewrites_words_that_matched(cli, fx):
    r = cli("search", "brouillon", "doute")  # French words of the archive: they matched
    assert r.stdout.startswith("1 brief match") and "did you mean" not in r.stderr
    r = cli("search", "cafe")  # folded: finds the café brief, not "care"
    assert r.stdout.startswith("1 brief match") and "did you mean" not in r.stderr
    r = cli("search", "regme", "--json")  # the word that failed, respelled as the archive writes it
    assert r.json == [] and 'did you mean "régime"?' in r.stderr
    r = cli("search", "sanctons", "pyongyang", "--json")
    assert 'did you mean "sanctions pyongyang"' in r.stderr


# -- the list layout and piped output -------------------------------------------------------------------
def test_list_is_one_line_per_brief_at_any_width(cli, fx, monkeypatch):
    for width in (40, 60, 100, 200):
        monkeypatch.setenv("COLUMNS", str(width))
        import brieftool.render as render

        render._console = None
        lines = cli("list").stdout.splitlines()
        assert lines[0] == f"{len(BRIEFS)} briefs"
        rows = lines[2:]
        assert len(rows) == len(BRIEFS), lines
        assert {r.split()[0] for r in rows} == set(fx.values())
        assert all(len(r) <= width for r in rows)
        assert all(r == r.rstrip() for r in lines)
        nk = next(r for r in rows if r.startswith(fx["nk"]))
        assert "2019-03-02" in nk
        title = "North Korea and maximum pressure"
        shown = nk.split("2019-03-02", 1)[1].strip()
        assert shown.startswith(title) or (shown.split("…")[0].strip() and title.startswith(shown.split("…")[0].strip()))
        if width >= 100:
            assert "Mathew Ha" in nk
    render._console = None


def test_piped_output_has_no_trailing_spaces_or_escapes(brief_exe, fx, archive_dir):
    for args in (["list"], ["list", "--wide"], ["search", "sanctions"], ["show", fx["nk"]], ["authors"], ["stats"],
                 ["search", "sanctions", "--facets"]):
        r = brief_exe("--index", archive_dir, *args, env={"COLUMNS": "70", "TERM": "xterm-256color",
                                                           "NO_COLOR": ""})
        assert r.exit_code == 0, r
        assert "\x1b" not in r.stdout
        assert all(x == x.rstrip() for x in r.stdout.splitlines()), [x for x in r.stdout.splitlines() if x != x.rstrip()]


def test_search_never_breaks_words(brief_exe, fx, archive_dir):
    r = brief_exe("--index", archive_dir, "search", "maximum", "pressure", env={"COLUMNS": "44"})
    assert r.exit_code == 0
    words = set(re.findall(r"\w+", BRIEFS["nk"])) | {"briefs", "brief", "match", "1"}
    shown = set(re.findall(r"\w+", r.stdout)) - set(fx.values())
    assert shown <= words | {"2019", "03", "02"}, shown - words


def test_a_closed_pipe_ends_quietly_with_status_0(tmp_path, brief_exe, archive_dir, cli):
    big = "\n\n".join(f"Paragraph {i} about sanctions and tariffs, long enough to fill a pipe." for i in range(6000))
    bid = cli("add", write(tmp_path / "big.txt", "Title: A long brief\n\n" + big), "--json").json[0]["id"]
    exe = [sys.executable, "-m", "brieftool"]
    for args in (["show", bid, "--no-pager"], ["show", bid, "--json"], ["export"]):
        p = subprocess.run(["bash", "-o", "pipefail", "-c",
                            " ".join(exe + ["--index", str(archive_dir)] + args) + " | head -1"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (args, p.stderr)
        assert p.stderr == "" and len(p.stdout.splitlines()) == 1


def test_page_past_the_end_says_which_page_is_last(cli, fx):
    r = cli("list", "--limit", "2", "--page", "9")
    assert r.exit_code == 0
    assert "page 9 is past the end: the last page is 3 (6 briefs, 2 a page)" in r.stderr
    r = cli("search", "sanctions", "--limit", "1", "--page", "7", "--json")
    assert r.json == [] and "the last page is 3" in r.stderr
    assert "past the end" not in cli("list", "--limit", "2", "--page", "3").stderr


# -- the pager, show ----------------------------------------------------------------------------------
@pytest.fixture
def recorder(tmp_path):
    """A pager that records what it receives and the LESS it was given."""
    script = tmp_path / "pager.sh"
    out = tmp_path / "paged"
    script.write_text(f'#!/bin/sh\nprintf "%s" "${{LESS-<unset>}}" > "{out}.less"\ncat > "{out}.text"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, out


def test_pager_gets_less_frx_and_colours(brief_exe, fx, archive_dir, recorder):
    script, out = recorder
    env = {"PAGER": str(script), "NO_COLOR": "", "TERM": "xterm"}
    env_unset = dict(env)
    r = brief_exe("--index", archive_dir, "show", fx["nk"], "--pager", env=env_unset)
    assert r.exit_code == 0 and r.stdout == ""
    assert Path(f"{out}.less").read_text() == "FRX"
    text = Path(f"{out}.text").read_text()
    assert "\x1b[" in text and "maximum pressure" in text  # colours, for less -R


def test_pager_without_r_in_less_gets_plain_text(brief_exe, fx, archive_dir, recorder):
    script, out = recorder
    r = brief_exe("--index", archive_dir, "show", fx["nk"], "--pager",
                  env={"PAGER": str(script), "LESS": "-i", "NO_COLOR": "", "TERM": "xterm"})
    assert r.exit_code == 0
    assert Path(f"{out}.less").read_text() == "-i"
    text = Path(f"{out}.text").read_text()
    assert "\x1b" not in text and "maximum pressure" in text
    # BRIEF_PAGER wins over PAGER; --no-pager runs none
    os.remove(f"{out}.text")
    r = brief_exe("--index", archive_dir, "show", fx["nk"], "--pager",
                  env={"PAGER": "false", "BRIEF_PAGER": str(script), "LESS": "R"})
    assert r.exit_code == 0 and Path(f"{out}.text").is_file()
    os.remove(f"{out}.text")
    r = brief_exe("--index", archive_dir, "show", fx["nk"], "--no-pager", env={"PAGER": str(script)})
    assert r.exit_code == 0 and "maximum pressure" in r.stdout and not Path(f"{out}.text").exists()
    # a pager that is not there: the brief is printed instead
    r = brief_exe("--index", archive_dir, "show", fx["nk"], "--pager", env={"PAGER": "/nonexistent/pager"})
    assert r.exit_code == 0 and "maximum pressure" in r.stdout


def test_show_reflows_hard_wrapped_paragraphs_raw_keeps_them(cli, fx):
    shown = cli("show", fx["nk"], "--no-pager").stdout
    assert "transfers at sea, while Pyongyang keeps testing" in shown  # one paragraph, reflowed
    raw = cli("show", fx["nk"], "--no-pager", "--raw").stdout
    assert "transfers at sea, while Pyongyang keeps\ntesting" in raw


def test_show_renders_markdown(cli, tmp_path):
    md = write(tmp_path / "memo.md", "# A memo in Markdown\n\nSome **bold** words and a list:\n\n- first item\n"
                                     "- second item\n")
    bid = cli("add", md, "--json").json[0]["id"]
    shown = cli("show", bid, "--no-pager").stdout
    assert "**bold**" not in shown and "bold" in shown
    assert "- first item" not in shown and "first item" in shown
    raw = cli("show", bid, "--no-pager", "--raw").stdout
    assert "**bold**" in raw
