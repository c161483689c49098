"""Fresh-eyes checks: what a new user hits walking through the README (one test per defect found)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from conftest import write


def test_summaries_after_a_file_name_that_is_not_utf8(cli, tmp_path):
    """A brief whose file name is not UTF-8 (kept surrogate-escaped) must not break the side data
    that stats/tags/authors/orgs and re-adding a folder read."""
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.fsencode(folder) + b"/caf\xe9-note.txt"
    with open(odd, "wb") as f:
        f.write(b"Cafe subsidies\n\nBy Jean Dupont\n\nTags: Coffee\n\nA note on cafe subsidies.\n")
    write(folder / "plain.txt", "Tea tariffs\n\nBy Ann Lee\n\nTags: Tea\n\nA note on tea tariffs.\n")
    r = cli("add", folder)
    assert r.exit_code == 0, r
    r = cli("stats", "--json")
    assert r.exit_code == 0, r
    assert r.json["briefs"] == 2
    r = cli("authors", "--json")
    assert r.exit_code == 0, r
    assert sorted(a["name"] for a in r.json) == ["Ann Lee", "Jean Dupont"]
    # the source map (side data) must keep the odd name exactly: re-adding reads nothing again
    r = cli("add", folder, "--json")
    assert r.exit_code == 0, r
    assert sorted(x["status"] for x in r.json) == ["unchanged", "unchanged"]
    assert not [p for p in (Path(os.environ["BRIEF_INDEX"]) / ".side").iterdir() if p.name.endswith(".tmp")]


def _closed_early(exe_args, env):
    """Run brief with its stdout read by a reader that goes away after a few bytes (`| head -c 10`)."""
    import shutil
    import subprocess
    import sys

    exe = shutil.which("brief")
    cmd = ([exe] if exe else [sys.executable, "-m", "brieftool"]) + exe_args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    return p.wait(timeout=120), err


def test_a_closed_pipe_ends_quietly_with_status_0(cli, tmp_path):
    """`brief export | head`, `brief tags | head`: the README says a closed pipe ends quietly; it
    used to end with status 1 (click's and Rich's own broken-pipe handlers), failing pipefail scripts."""
    folder = tmp_path / "many"
    folder.mkdir()
    tags = [a for i in range(3000) for a in ("--tag", f"topic{i:04d}")]
    assert cli("add", write(tmp_path / "tagged.txt", "Many topics\n\nWater rights.\n"), *tags).exit_code == 0
    for i in range(8):
        write(folder / f"b{i:02d}.txt", f"Brief number {i}\n\n" + f"Water rights and markets {i}. " * 1000)
    r = cli("add", folder, "--quiet")
    assert r.exit_code == 0, r
    env = dict(os.environ)
    for args in (["export"], ["tags"], ["export", "--format", "csv"]):
        code, err = _closed_early(args, env)
        assert (code, err) == (0, ""), (args, code, err)


def test_a_date_option_without_a_year_is_refused_not_set_to_2000(cli, tmp_path):
    """`--date "April 17"` used to store 2000-04-17 (dateutil's default year): a wrong date, silently."""
    bid = cli("add", write(tmp_path / "memo.txt", "Memo on tariffs\n\nA short memo.\n"), "--json").json[0]["id"]
    for args in (("edit", bid, "--date", "April 17"), ("edit", bid, "--date", "17"), ("edit", bid, "--date", "12:30"),
                 ("list", "--since", "March"), ("add", tmp_path / "memo.txt", "--date", "Apr 17")):
        r = cli(*args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.count("\n") == 1 and "has no year" in r.stderr, (args, r)
    assert cli("show", bid, "--json").json["date"] is None
    assert cli("edit", bid, "--date", "April 17, 2019").exit_code == 0
    assert cli("show", bid, "--json").json["date"] == "2019-04-17"
    assert cli("list", "--since", "March 2019", "--format", "ids").stdout.split() == [bid]


def test_import_names_a_broken_json_line_once(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"bad json\n')
    r = cli("import", bad)
    assert r.exit_code == 1
    # a file of nothing but broken lines is no export: one line, the JSON error said once
    assert r.stderr == (f"Error: {bad}: not a brief export (line 1: not valid JSON (Unterminated string "
                        "starting at column 2))\n"), r


def test_edit_in_editor_a_brief_whose_file_name_is_not_utf8(cli, tmp_path, monkeypatch):
    """`brief edit ID` (in $EDITOR) used to crash with a traceback writing the form's source line."""
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as f:
        f.write(b"Cafe subsidies\n\nA note on cafe subsidies.\n")
    bid = cli("add", folder, "--json").json[0]["id"]
    source = cli("show", bid, "--json").json["source"]
    script = write(tmp_path / "ed.py", "import sys\np = sys.argv[1]\nb = open(p, 'rb').read()\n"
                   "open(p, 'wb').write(b.replace(b'title: Cafe subsidies', b'title: Coffee subsidies'))\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    r = cli("edit", bid)
    assert r.exit_code == 0, r
    got = cli("show", bid, "--json").json
    assert got["title"] == "Coffee subsidies" and got["source"] == source
    # bytes that are not UTF-8 typed in the editor are still refused
    write(tmp_path / "ed.py", "import sys\nopen(sys.argv[1], 'ab').write(bytes([116, 121, 112, 101, 58, 32, 255, 10]))\n")
    r = cli("edit", bid)
    assert r.exit_code == 1 and "not valid UTF-8" in r.stderr, r
    assert cli("show", bid, "--json").json["title"] == "Coffee subsidies"
