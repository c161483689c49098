"""Trust under attack (issue 15): hostile file names, special files, links out of the folder,
escapes and formulas on every output path, planted links in the archive, abusive queries,
and the archive under concurrent writers and damage. Real `brief` processes, real files."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write

sys.path.insert(0, str(Path(__file__).parent))
from test_trust import brief_cmd, env_for, ids_in, records, run  # noqa: E402


def brief_text(title: str, words: str = "sanctions policy relief") -> str:
    return f"{title}\n\n{words} " + "Plain words make most of a real brief. " * 5 + "\n"


# == file names =====================================================================================
@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
def test_undecodable_file_name_is_kept_exactly_and_shown_escaped(tmp_path, archive_dir):
    d = tmp_path / "in"
    for i in range(5):
        write(d / f"good{i}.txt", brief_text(f"Good brief {i}", f"word{i} sanctions"))
    bad = os.fsencode(d) + b"/bad\xff name\x1b[2J.txt"
    with open(bad, "wb") as f:
        f.write(brief_text("", "undecodable name").encode())
    r = run(archive_dir, "add", d, "--json")
    assert r.exit_code == 0, r
    rows = r.json
    assert sorted(x["status"] for x in rows) == ["added"] * 6  # the batch is not lost
    assert any("\udcff" in x["path"] for x in rows)  # JSON carries the exact name (escaped)
    assert "\\udcff" in r.stdout and "\x1b" not in r.stdout
    recs = records(archive_dir)
    (rec,) = [x for x in recs.values() if "\udcff" in x["source"]]
    assert os.fsencode(rec["source"]) == bad  # lossless: the very bytes of the name
    assert rec["title"] == "bad\u00ff name\x1b[2J"  # a readable title from the name (Windows-1252)
    # shown escaped by people's outputs
    shown = run(archive_dir, "show", rec["id"]).stdout
    assert "bad\\xff name\\x1b[2J.txt" in shown and "\x1b" not in shown
    csv_out = run(archive_dir, "list", "--format", "csv").stdout
    assert "bad\\xff name\\x1b[2J.txt" in csv_out
    # a re-add and a sync find it again by its exact name: nothing new
    r = run(archive_dir, "sync", d, "--json")
    assert r.exit_code == 0 and sorted(x["status"] for x in r.json) == ["unchanged"] * 6, r
    # export -> import round-trips the name
    exp = tmp_path / "all.jsonl"
    assert run(archive_dir, "export", exp).exit_code == 0
    other = tmp_path / "other"
    assert run(other, "import", exp).exit_code == 0
    assert {x["source"] for x in records(other).values()} == {x["source"] for x in recs.values()}


# == special files ===================================================================================
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_socket_in_a_folder_are_skipped_and_a_named_fifo_fails_at_once(tmp_path, archive_dir):
    d = tmp_path / "in"
    write(d / "a.txt", brief_text("Brief A"))
    os.mkfifo(d / "pipe")
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(d / "sock"))
    try:
        t0 = time.monotonic()
        r = run(archive_dir, "add", d, timeout=30)
        assert r.exit_code == 0, r
        assert "pipe  not a regular file (FIFO)" in r.stdout and "sock  not a regular file (socket)" in r.stdout
        assert "1 added" in r.stderr
        r = run(archive_dir, "add", d / "pipe", timeout=30)  # named, with nothing writing to it
        assert r.exit_code == 1 and "pipe: a fifo (named pipe) with nothing writing to it (waited 2 s)" in r.stderr.lower(), r
        r = run(archive_dir, "add", d / "sock", timeout=30)
        assert r.exit_code == 1 and "not a regular file (socket)" in r.stderr, r
        assert time.monotonic() - t0 < 25
        assert len(ids_in(archive_dir)) == 1
    finally:
        s.close()


def test_ctrl_c_ends_a_run_stuck_on_a_silent_pipe_within_two_seconds(tmp_path, archive_dir):
    """`brief add /dev/stdin` (or <(cmd)) on a pipe whose writer is alive and silent: one Ctrl-C ends it."""
    writer = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)  # holds the pipe, writes nothing
    try:
        p = subprocess.Popen(brief_cmd() + ["add", "/dev/stdin"], env=env_for(archive_dir), stdin=writer.stdout,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        assert p.poll() is None  # it is waiting for the pipe, as it should
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)  # ONE Ctrl-C
        out, err = p.communicate(timeout=10)
        took = time.monotonic() - t0
        assert p.returncode == 130, (out, err)
        assert took < 3.0, took
        assert "Traceback" not in err
    finally:
        writer.kill()
        writer.wait()


def test_empty_files_in_a_folder_are_counted_in_one_line(tmp_path, archive_dir):
    d = tmp_path / "in"
    write(d / "real.txt", brief_text("A real one"))
    for i in range(300):
        (d / f"empty{i:03}.txt").touch()
    r = run(archive_dir, "add", d)
    assert r.exit_code == 0, r
    assert "Error" not in r.stderr and r.stderr.count("empty") == 1, r.stderr
    assert "300 empty files skipped" in r.stderr
    assert len(ids_in(archive_dir)) == 1
    r = run(archive_dir, "add", d / "empty000.txt")  # named explicitly: it fails, with the reason
    assert r.exit_code == 1 and "empty000.txt" in r.stderr


# == links ===========================================================================================
def test_links_out_of_the_folder_are_not_followed_unless_asked(tmp_path, archive_dir):
    secret = tmp_path / "secret"
    write(secret / "shadow.txt", brief_text("Root password file", "hunter2"))
    d = tmp_path / "in"
    write(d / "a.txt", brief_text("Brief A"))
    write(d / "sub" / "b.txt", brief_text("Brief B"))
    os.symlink(secret, d / "etc")  # a folder outside
    os.symlink(secret / "shadow.txt", d / "k1")  # a file outside
    os.symlink("../../secret/shadow.txt", d / "sub" / "k2")  # relative, outside
    os.symlink("sub/b.txt", d / "inside-link.txt")  # stays inside: followed (b once)
    os.symlink(d, d / "sub" / "loop")  # back to the root: a loop, inside
    r = run(archive_dir, "add", d)
    assert r.exit_code == 0, r
    titles = {x["title"] for x in records(archive_dir).values()}
    assert titles == {"Brief A", "Brief B"}
    assert "hunter2" not in json.dumps(records(archive_dir))
    for link in ("etc", "k1", "k2"):
        lines = [ln for ln in r.stdout.splitlines() if ln.split()[-0:] and f"{link}  symbolic link to" in ln]
        assert len(lines) == 1, (link, r.stdout)  # each link once
    assert f"symbolic link to {secret}, outside" in r.stdout and "--follow-links" in r.stdout
    # named explicitly: read as asked
    r = run(archive_dir, "add", d / "k1")
    assert r.exit_code == 0 and "added" in r.stdout, r
    # --follow-links opts in
    other = tmp_path / "other"
    r = run(other, "add", "--follow-links", d)
    assert r.exit_code == 0, r
    assert {x["title"] for x in records(other).values()} == {"Brief A", "Brief B", "Root password file"}


def test_links_planted_in_the_archive_are_never_followed(tmp_path, archive_dir):
    write(tmp_path / "a.txt", brief_text("Brief A"))
    assert run(archive_dir, "add", tmp_path / "a.txt").exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    victim_dir = tmp_path / "victim-dir"
    write(victim_dir / "keep.txt", "keep me\n")
    os.symlink(victim, archive_dir / "brief.json.tmp")
    os.symlink(victim_dir, archive_dir / ".reindex")
    r = run(archive_dir, "reindex")
    assert r.exit_code == 0, r
    assert victim.read_text() == "precious\n"
    assert (victim_dir / "keep.txt").read_text() == "keep me\n"
    assert json.loads((archive_dir / "brief.json").read_text())["format"] >= 1
    assert not os.path.lexists(archive_dir / "brief.json.tmp")
    assert len(ids_in(archive_dir)) == 1
    # a new archive: the same
    new = tmp_path / "new"
    new.mkdir()
    os.symlink(victim, new / "brief.json.tmp")
    r = run(new, "add", tmp_path / "a.txt")
    assert r.exit_code == 0, r
    assert victim.read_text() == "precious\n"


# == output safety ===================================================================================
# Every character class that must never reach a terminal or a spreadsheet raw.
EVIL = {
    "c0": "\x1b]52;c;cHduZWQ=\x07",  # OSC 52: write the clipboard
    "osc8": "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "clear": "\x1b[2J\x1b[H",
    "c1": "\x9b2J\x9d0;t\x9c",
    "del": "a\x7fb",
    "bidi": "\u202egnp.exe\u202c \u2066iso\u2069 \u200fmark",
    "zw": "zero\u200bwidth\u2060joiner\ufeff",
    "tag": "\U000e0041\U000e0042",
    "sep": "line\u2028para\u2029",
}
NEVER_RAW = ["\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\x7f", "\u202e", "\u202c", "\u2066", "\u2069", "\u200f",
             "\u200b", "\u2060", "\ufeff", "\U000e0041", "\u2028", "\u2029"]
FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _no_raw(out: str, where) -> None:
    for c in NEVER_RAW:
        assert c not in out, (repr(c), where)


def test_every_output_format_and_command_is_safe(cli, tmp_path, archive_dir):
    """In-process (quick): the same code paths as a real process, every format of every command."""
    evil = " ".join(EVIL.values())
    text = f"Title: Evil {evil}\n\nBody {evil} with sanctions and relief.\n" + "Plain words of a brief. " * 30
    p = write(tmp_path / "evil.txt", text)
    args = ["add", p, "--author", f"=Eve {EVIL['bidi']}", "--org", f"@Org {EVIL['c1']}",
            "--type", f"+Kind {EVIL['clear']}"]
    for i, f in enumerate(FORMULAS):
        args += ["--tag", f"{f} {i}"]
    r = cli(*args)
    assert r.exit_code == 0, r
    (bid,) = set(cli("list", "--format", "ids").stdout.split())
    rec = json.loads(cli("show", bid, "--json").stdout)
    assert rec["text"] == text  # stored exactly

    human, csvs, jsons, jsonls = [], [], [], []
    for cmd in (["list"], ["search", "sanctions"], ["similar", bid]):
        human.append(cli(*cmd))
        csvs.append(cli(*cmd, "--format", "csv"))
        jsons.append(cli(*cmd, "--format", "json"))
        jsonls.append(cli(*cmd, "--format", "jsonl"))
        human.append(cli(*cmd, "--format", "ids"))
    for cmd in (["list", "--facets"], ["search", "sanctions", "--facets"]):
        human.append(cli(*cmd))
        csvs.append(cli(*cmd, "--format", "csv"))
        jsons.append(cli(*cmd, "--format", "json"))
        jsonls.append(cli(*cmd, "--format", "jsonl"))
    for cmd in (["show", bid], ["tags"], ["authors"], ["orgs"], ["stats"], ["check"], ["add", p],
                ["add", "--dry-run", p], ["search", evil[:60]], ["show", EVIL["clear"]]):
        human.append(cli(*cmd))
    for cmd in (["show", bid, "--json"], ["tags", "--json"], ["authors", "--json"], ["orgs", "--json"],
                ["stats", "--json"], ["add", p, "--json"], ["add", "--dry-run", p, "--json"]):
        jsons.append(cli(*cmd))
    exp_csv = tmp_path / "e.csv"
    exp_jsonl = tmp_path / "e.jsonl"
    assert cli("export", "--format", "csv", exp_csv).exit_code == 0
    assert cli("export", exp_jsonl).exit_code == 0

    for r in human + csvs + jsons + jsonls:
        assert "Traceback" not in r.stderr, r
        _no_raw(r.stdout + r.stderr, r)
    assert "\\x1b]52;c;" in human[0].stdout or "\\x1b]52;c;" in cli("show", bid).stdout
    assert "\\u202egnp.exe" in cli("show", bid).stdout  # visible, escaped

    # CSV: visible escapes, and no cell a spreadsheet would evaluate
    csv_texts = [r.stdout for r in csvs] + [exp_csv.read_text("utf-8")]
    for t in csv_texts:
        _no_raw(t, "csv")
        for row in csv.reader(io.StringIO(t)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, t[:200])
    exported = next(csv.DictReader(io.StringIO(exp_csv.read_text("utf-8"))))
    assert exported["authors"].startswith("'=Eve ")
    assert "\\u202egnp.exe" in exported["authors"]
    # --raw-csv: the exact values, for programs
    raw = cli("--raw-csv", "list", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(raw.stdout)))
    assert row["authors"] == f"=Eve {EVIL['bidi']}" and row["organization"] == f"@Org {EVIL['c1']}"

    # JSON: the exact values back, with the dangerous characters as \\u escapes
    for r in jsons:
        assert r.exit_code == 0, r
        json.loads(r.stdout)
        if '"title"' in r.stdout:  # the records (the title holds every class)
            assert "\\u009b" in r.stdout or "\\u202e" in r.stdout, r
    for r in jsonls:
        for line in r.stdout.splitlines():
            json.loads(line)
    shown = json.loads(cli("show", bid, "--json").stdout)
    assert shown["text"] == text and shown["organization"] == f"@Org {EVIL['c1']}"
    assert "\\u009b2J" in cli("show", bid, "--json").stdout
    line = exp_jsonl.read_text("utf-8")
    _no_raw(line, "export jsonl")
    assert line.count("\n") == 1 and json.loads(line)["text"] == text


# == smaller ones ====================================================================================
def test_a_metadata_csv_that_does_not_parse_cleanly_is_refused_with_the_line(cli, tmp_path):
    d = tmp_path / "in"
    write(d / "a.txt", brief_text("Brief A"))
    write(d / "b.txt", brief_text("Brief B"))
    sheet = write(tmp_path / "meta.csv", 'file,title,author\na.txt,"Broken quote title,Ann\nb.txt,Title B,Bob\n')
    r = cli("add", d, "--metadata", sheet)
    assert r.exit_code == 2, r
    assert "meta.csv, line 2:" in r.stderr and "quote" in r.stderr, r.stderr
    assert cli("list", "--format", "ids").stdout == ""  # nothing added with a misread sheet
    sheet.write_text('file,title\na.txt,"Title" A,extra\n')
    r = cli("add", d, "--metadata", sheet)
    assert r.exit_code == 2 and "line 2:" in r.stderr, r
    sheet.write_text('file,title\na.txt,Fine A\nb.txt,"Fine, B"\n')
    r = cli("add", d, "--metadata", sheet, "--json")
    assert r.exit_code == 0, r
    assert {x["title"] for x in json.loads(cli("list", "--json").stdout)} == {"Fine A", "Fine, B"}
