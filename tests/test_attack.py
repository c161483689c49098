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
        r = run(archive_dir, "add", d, timeout=30)  # a hang fails by the timeout
        assert r.exit_code == 0, r
        assert "pipe  not a regular file (FIFO)" in r.stdout and "sock  not a regular file (socket)" in r.stdout
        assert "1 added" in r.stderr
        r = run(archive_dir, "add", d / "pipe", timeout=30)  # named, with nothing writing to it
        assert r.exit_code == 1 and "pipe: a fifo (named pipe) with nothing writing to it (waited 2 s)" in r.stderr.lower(), r
        r = run(archive_dir, "add", d / "sock", timeout=30)
        assert r.exit_code == 1 and "not a regular file (socket)" in r.stderr, r
        assert len(ids_in(archive_dir)) == 1
    finally:
        s.close()


def _wait_until_reading_a_pipe(pid: int, limit: float = 60.0) -> None:
    """Until the process sleeps in the kernel reading a pipe (Linux /proc), at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if "pipe" in Path(f"/proc/{pid}/wchan").read_text():
                return
        except OSError:
            time.sleep(2.5)  # no /proc: give it time
            return
        time.sleep(0.05)


def test_ctrl_c_ends_a_run_stuck_on_a_silent_pipe_within_two_seconds(tmp_path, archive_dir):
    """`brief add /dev/stdin` (or <(cmd)) on a pipe whose writer is alive and silent: one Ctrl-C ends it."""
    writer = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)  # holds the pipe, writes nothing
    try:
        p = subprocess.Popen(brief_cmd() + ["add", "/dev/stdin"], env=env_for(archive_dir), stdin=writer.stdout,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_until_reading_a_pipe(p.pid)  # past Python's start-up (slow on a loaded machine)
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


def test_list_on_an_archive_that_never_held_a_brief(tmp_path, archive_dir):
    r = run(archive_dir, "add", tmp_path / "missing.txt")  # makes the archive, adds nothing
    assert r.exit_code == 1 and (archive_dir / "brief.json").exists()
    for args in (["list"], ["list", "--format", "ids"], ["list", "--format", "csv"], ["list", "--sort", "title"],
                 ["search", "anything"], ["stats"], ["export"], ["list", "--facets"]):
        r = run(archive_dir, *args)
        assert r.exit_code == 0 and "Traceback" not in r.stderr and "Error" not in r.stderr, (args, r)
    assert run(archive_dir, "list", "--format", "ids").stdout == ""
    assert json.loads(run(archive_dir, "list", "--json").stdout) == []


def _export_lines(n: int) -> bytes:
    from brieftool.maintain import json_line

    out = []
    for i in range(n):
        text = f"Imported brief {i}\n\nWords of brief number {i}: word{i} policy sanctions.\n"
        out.append(json_line({"id": f"im{i:05d}", "title": f"Imported brief {i}", "text": text,
                              "tags": ["bulk"], "added": "2024-01-01T00:00:00+00:00"}))
    return b"".join(out)


def test_a_killed_import_keeps_its_committed_batches_and_a_rerun_adds_the_rest(tmp_path, archive_dir):
    n, batch = 1500, 100
    src = tmp_path / "big.jsonl"
    src.write_bytes(_export_lines(n))
    p = subprocess.Popen(brief_cmd() + ["import", str(src), "--batch-size", str(batch)], env=env_for(archive_dir),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 120
    # the first batch is committed when a table of contents of generation >= 1 appears
    while time.monotonic() < end and p.poll() is None:
        if archive_dir.is_dir() and any(f.startswith("_MAIN_") and f.endswith(".toc") and f != "_MAIN_0.toc"
                                        for f in os.listdir(archive_dir)):
            break
        time.sleep(0.01)
    assert p.poll() is None, "the import ended before it could be killed"
    p.send_signal(signal.SIGKILL)
    p.wait()
    kept = ids_in(archive_dir)
    assert kept and len(kept) < n and len(kept) % batch == 0, len(kept)  # whole batches only
    assert run(archive_dir, "check", "--json").json["ok"]
    r = run(archive_dir, "import", src, "--json")
    assert r.exit_code == 0, r
    statuses = [x["status"] for x in r.json]
    assert statuses.count("unchanged") == len(kept) and statuses.count("imported") == n - len(kept)
    assert ids_in(archive_dir) == {f"im{i:05d}" for i in range(n)}


def test_importing_a_file_that_is_no_export_is_one_line_and_changes_nothing(tmp_path, archive_dir):
    """Plain text, a PDF, other JSON (pretty-printed, or lines of objects without a text):
    one line naming the file and line 1's reason, exit 1, no archive made; an export whose
    first lines are damaged still goes in line by line."""
    sys.path.insert(0, str(Path(__file__).parent))
    from pdfmake import lines_at, make_pdf

    files = {
        "notes.txt": ("Some notes\n\nNot an export at all.\n" * 40).encode(),
        "paper.pdf": make_pdf([lines_at(72, 700, ["A real PDF, not an export"])]),
        "data.json": json.dumps({"rows": [{"a": i} for i in range(30)]}, indent=2).encode(),
        "other.jsonl": b"".join(json.dumps({"name": f"n{i}", "body": "x"}).encode() + b"\n" for i in range(50)),
        "random.bin": b"\xff\xfe\x00" + bytes(range(256)) * 8,
    }
    want = {
        "notes.txt": "line 1: not valid JSON (Expecting value at column 1)",
        "paper.pdf": "line 1: not valid JSON (Expecting value at column 1)",
        "data.json": "line 1: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        "other.jsonl": "line 1: no text",
        "random.bin": "line 1: not UTF-8",
    }
    for name, data in files.items():
        f = tmp_path / name
        f.write_bytes(data)
        r = run(archive_dir, "import", f)
        assert r.exit_code == 1, (name, r)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {f}: not a brief export ({want[name]}"), (name, lines)
        assert r.stdout == "" and not archive_dir.exists(), (name, r)
    # an export with damaged lines first: the rest goes in, each bad line reported
    good = _export_lines(3)
    f = tmp_path / "damaged.jsonl"
    f.write_bytes(b"{not json\n" + b"garbage\n" + good)
    r = run(archive_dir, "import", f)
    assert r.exit_code == 1, r
    assert r.stderr.count("\n") == 2 and "line 1: not valid JSON" in r.stderr and "line 2:" in r.stderr, r
    assert ids_in(archive_dir) == {"im00000", "im00001", "im00002"}


# == bounded queries =================================================================================
def test_abusive_queries_end_with_one_line_naming_the_limit(cli, tmp_path):
    d = tmp_path / "in"
    for i in range(30):
        write(d / f"b{i}.txt", brief_text(f"Brief {i}", f"sanction{i} sanctioned sanctions economy word{i}"))
    assert cli("add", d).exit_code == 0
    cases = [
        ("(" * 200 + "economy" + ")" * 200, "nested more than 32 levels deep (the limit) at column 33"),
        ("NOT " * 40 + "economy", "nested more than 32 levels deep (the limit)"),
        ("x" * 120_000, "it is 120,000 characters long; the limit is 10,000"),
        ("x" * 201, "a term of 201 characters (the limit is 200) at column 1"),
        (" ".join(f"w{i}" for i in range(1001)), "too many terms (1,001; the limit is 1,000)"),
        (" ".join(f"econom{i}~" for i in range(11)), "too many near spellings (word~): 11; the limit is 10"),
        (" ".join(f"s{i}*" for i in range(51)), "too many prefixes (word*): 51; the limit is 50"),
    ]
    for q, msg in cases:
        r = cli("search", q)
        assert r.exit_code == 2, (q[:40], r)
        assert msg in r.stderr and r.stderr.count("\n") == 1, (q[:40], r.stderr)
    # within the limits: answered (no RecursionError, no traceback)
    for q in ("(" * 32 + "economy" + ")" * 32, " ".join(["economy"] * 1000), " OR ".join(f"w{i}" for i in range(999)),
              " ".join(f"econom{i}~" for i in range(10))):
        r = cli("search", q)
        assert r.exit_code == 0, (q[:40], r)
    assert "30 briefs match" in cli("search", "(" * 32 + "economy" + ")" * 32).stdout


def test_a_prefix_that_stands_for_too_many_words_is_refused_naming_it(cli, tmp_path, monkeypatch):
    from brieftool import query

    monkeypatch.setattr(query, "MAX_EXPANSION", 10)  # 30 briefs, 30 different sanction<i> words
    d = tmp_path / "in"
    for i in range(30):
        write(d / f"b{i}.txt", brief_text(f"Brief {i}", f"sanction{i} economy"))
    assert cli("add", d).exit_code == 0
    r = cli("search", "sanction*")
    assert r.exit_code == 2 and "sanction* stands for more than 10 different words (the limit)" in r.stderr, r
    r = cli("search", "author:x* OR sanction5*")  # a narrow prefix is fine
    assert r.exit_code == 0, r


def test_a_query_whose_prefixes_together_stand_for_too_many_words_is_refused(cli, tmp_path, monkeypatch):
    """Each prefix within its own cap, but all of them together over the query's budget
    (lowered here from 5,000 to 70): one line naming the total and the broadest terms. Three
    commits, so the words are counted across segments (the union, not per segment)."""
    from brieftool import query

    monkeypatch.setattr(query, "MAX_QUERY_EXPANSION", 70)
    for k in range(3):
        d = tmp_path / f"in{k}"
        for i in range(10 * k, 10 * k + 10):  # alpha0..alpha29, beta0..29, gamma0..29: 30 words each
            write(d / f"b{i}.txt", brief_text(f"Brief {i}", f"alpha{i} beta{i} gamma{i} economy"))
        assert cli("add", d).exit_code == 0
    r = cli("search", "alpha* OR beta*")  # 60 words: within
    assert r.exit_code == 0 and "30 briefs match" in r.stdout, r
    r = cli("search", "alpha* OR beta* OR gamma*")  # 90 words
    assert r.exit_code == 2, r
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert ("its prefixes and near spellings stand for 90 different words together (the limit is 70); "
            "the broadest: alpha* (30), beta* (30), gamma* (30)") in r.stderr, r.stderr
    # near spellings count too: gamma1~1 is gamma0..gamma19 and gamma21 (a transposition): 21 words;
    # with alpha* and beta* that is 81
    r = cli("search", "alpha* OR beta* OR gamma1~1")
    assert r.exit_code == 2 and "stand for 81 different words together" in r.stderr, r.stderr
    assert "gamma1~1 (21)" in r.stderr, r.stderr
    r = cli("search", "alpha* OR gamma1~1")  # 51: answered
    assert r.exit_code == 0 and "30 briefs match" in r.stdout, r
    r = cli("list", "--format", "ids", "--query", "beta2*")  # list is bounded the same way
    assert r.exit_code == 0 and len(r.stdout.split()) == 11, r  # beta2, beta20..beta29
    monkeypatch.setattr(query, "MAX_QUERY_EXPANSION", 10)
    for args in (("list", "--query", "beta2*"), ("search", "beta2*"), ("search", "--json", "beta2*")):
        r = cli(*args)
        assert r.exit_code == 2 and "stand for 11 different words together (the limit is 10)" in r.stderr, (args, r)
    # what the search reads: the words' postings (econ* is one word, economy, in all 30 briefs)
    monkeypatch.setattr(query, "MAX_QUERY_EXPANSION", 5000)
    monkeypatch.setattr(query, "MAX_QUERY_POSTINGS", 50)
    monkeypatch.setattr(query, "MAX_QUERY_POSTINGS_PER_BRIEF", 1)  # 30 briefs: 30, below 50
    r = cli("search", "econ* OR alpha1*")  # 30 + 11
    assert r.exit_code == 0 and "30 briefs match" in r.stdout, r
    r = cli("search", "alpha1* OR econ* OR beta*")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r
    assert ("stand for words that occur more than 50 times in the briefs (each word once per brief: the limit); "
            "the broadest: beta* (30), econ* (30), alpha1* (11)") in r.stderr, r.stderr
    # a bigger archive may read more: 3 x 30 briefs = 90 postings, so the 71 of this query are answered
    monkeypatch.setattr(query, "MAX_QUERY_POSTINGS_PER_BRIEF", 3)
    r = cli("search", "alpha1* OR econ* OR beta*")
    assert r.exit_code == 0 and "30 briefs match" in r.stdout, r
    r = cli("search", "alpha* OR econ* OR beta* OR gamma1*")  # 30 + 30 + 30 + 11: over 90
    assert r.exit_code == 2 and "more than 90 times in the briefs" in r.stderr, r.stderr


# == snapshots =======================================================================================
def _segments(archive: Path) -> int:
    return len({f.split(".", 1)[0] for f in os.listdir(archive) if f.startswith("MAIN_") and "." in f
                and not f.endswith(".toc") and "WRITELOCK" not in f})


def test_a_reader_keeps_its_snapshot_while_another_process_merges_it_away(tmp_path, archive_dir):
    """Deterministic: a searcher opened, one record read, then a real `brief reindex` replaces
    every segment (their files deleted); the searcher still reads every record of its snapshot."""
    from brieftool.engine.whoosh import WhooshArchive

    for k in range(4):  # four commits: four segments, each read lazily
        d = tmp_path / f"in{k}"
        for i in range(25):
            write(d / f"b{i}.txt", brief_text(f"Brief {k}-{i}", f"word{k}x{i} sanctions"))
        assert run(archive_dir, "add", d).exit_code == 0
    assert _segments(archive_dir) >= 2
    archive = WhooshArchive.open(archive_dir)
    with archive.searcher() as s:
        it = s.all_stored_fields()
        first = next(it)
        r = run(archive_dir, "reindex")  # merges everything into a new segment, deletes the old files
        assert r.exit_code == 0, r
        rest = list(it)
        hits = s.search(__import__("whoosh.query", fromlist=["Term"]).Term("body", "sanction"), limit=None)
        n_hits = len(hits)
    ids = {first["id"]} | {x["id"] for x in rest}
    assert len(ids) == 100 and len(rest) == 99
    assert n_hits == 100
    assert all(x["rec"]["title"].startswith("Brief ") for x in rest)


def test_export_loops_against_concurrent_writers_never_fail_and_are_complete(tmp_path, archive_dir):
    base = tmp_path / "base"
    for i in range(200):
        write(base / f"b{i:03}.txt", brief_text(f"Base brief {i}", f"baseword{i} sanctions"))
    assert run(archive_dir, "add", base).exit_code == 0
    base_ids = ids_in(archive_dir)
    stop = __import__("threading").Event()
    errors: list[str] = []

    def adder():
        k = 0
        while not stop.is_set():
            d = tmp_path / f"new{k}"
            for i in range(3):
                write(d / f"n{i}.txt", brief_text(f"New brief {k}-{i}", f"newword{k}x{i}"))
            r = run(archive_dir, "add", d, "--json")
            if r.exit_code != 0:
                errors.append(f"add: {r}")
            elif k % 2:
                for row in r.json[:2]:
                    rr = run(archive_dir, "remove", "--yes", row["id"])
                    if rr.exit_code != 0:
                        errors.append(f"remove: {rr}")
            k += 1

    def curator():
        ids = sorted(base_ids)
        k = 0
        while not stop.is_set():
            bid = ids[k % len(ids)]
            for args in (("tag", bid, f"+round{k}"), ("edit", bid, "--title", f"Edited base {k}")):
                r = run(archive_dir, *args)
                if r.exit_code != 0:
                    errors.append(f"{args[0]}: {r}")
            k += 1

    import threading

    workers = [threading.Thread(target=adder), threading.Thread(target=curator)]
    for w in workers:
        w.start()
    exports = []
    try:
        for rnd in range(12):
            r = run(archive_dir, "export")
            exports.append(r)
            assert r.exit_code == 0 and r.stderr == "", (rnd, r.exit_code, r.stderr[-2000:])
    finally:
        stop.set()
        for w in workers:
            w.join(120)
    assert not errors, errors[:3]
    from brieftool.maintain import record_from_json

    for r in exports:
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        ids = [x["id"] for x in lines]
        assert len(ids) == len(set(ids))  # no record twice (no mix of two generations)
        assert base_ids <= set(ids)  # every brief no writer removed: complete
        for x in lines:
            record_from_json(x, strict=True)
    # the last export is import-able, whole
    dest = tmp_path / "restored"
    last = tmp_path / "last.jsonl"
    last.write_text(exports[-1].stdout, "utf-8")
    r = run(dest, "import", last)
    assert r.exit_code == 0, r
    assert len(ids_in(dest)) == len(exports[-1].stdout.splitlines())


# == damage ==========================================================================================
DAMAGE_KINDS = ("._stored.col", ".trm", ".pst", "._body_len.col", ".added.col", ".title_sort.col", "toc", "brief.json")


def _damage(folder: Path, kind: str, op: str, segid: str) -> Path:
    if kind == "toc":
        (target,) = [folder / n for n in os.listdir(folder) if n.startswith("_MAIN_") and n.endswith(".toc")]
    elif kind == "brief.json":
        target = folder / "brief.json"
    else:
        target = folder / f"{segid}{kind}"
    if op == "delete":
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        if op == "flip":
            # the middle byte: for a table of contents (a pickle) the flip can leave it readable and
            # meaning something else; its checksum finds it
            data[len(data) // 2] ^= 0xFF
        else:
            data = data[: len(data) // 2]
        target.write_bytes(bytes(data))
    return target


def test_the_damage_matrix_is_detected_contained_and_salvaged(cli, tmp_path, archive_dir, monkeypatch):
    """Flip a byte of, cut in half, or delete each kind of index file (of one of three segments)
    and brief.json: `check` (a real process) finds every case; search, list and export end with
    one line, never a traceback; `brief salvage` (a real process) brings back every record still
    readable and lists each one it could not, so that salvaged + listed = all; a damaged or lost
    table of contents is put back from its copy (found by its checksum even when still readable)."""
    import shutil

    for k in range(3):
        d = tmp_path / f"in{k}"
        for i in range(20):
            write(d / f"b{i}.txt", brief_text(f"Brief {k}-{i}", f"word{k}x{i} sanctions"))
        assert run(archive_dir, "add", d).exit_code == 0
    segs = sorted({n.split(".", 1)[0] for n in os.listdir(archive_dir) if n.startswith("MAIN_") and "." in n})
    assert len(segs) == 3
    pristine = tmp_path / "pristine"
    shutil.copytree(archive_dir, pristine)
    outcome = {}
    for kind in DAMAGE_KINDS:
        for op in ("flip", "truncate", "delete"):
            case = tmp_path / f"case-{kind.strip('.')}-{op}"
            shutil.copytree(pristine, case)
            _damage(case, kind, op, segs[1])
            r = run(case, "check", "--json")
            assert r.exit_code == 1, (kind, op, r)
            assert r.json["problems"], (kind, op, r)
            monkeypatch.setenv("BRIEF_INDEX", str(case))
            for args in (["search", "sanctions"], ["list"], ["export"], ["show", "zzzzzzz"]):
                res = cli(*args)
                assert "Traceback" not in res.stderr, (kind, op, args, res)
                if res.exit_code != 0:
                    lines = res.stderr.strip().splitlines()
                    assert len(lines) == 1 and lines[0].startswith("Error: "), (kind, op, args, res.stderr)
                    if args[0] != "show":
                        assert str(case) in lines[0], (kind, op, args, lines)
                        assert "salvage" in lines[0], (kind, op, args, lines)
            r = run(case, "salvage", "--json")
            if kind == "toc":  # put back from its copy in .sums/, then the records read
                assert "table of contents _MAIN_" in r.stderr and "put back from its copy" in r.stderr, (op, r)
            assert r.exit_code in (0, 1), (kind, op, r)
            got = r.json
            assert got["briefs"] + len(got["lost"]) == 60, (kind, op, got)
            assert run(case, "check", "--json").json["ok"], (kind, op)  # sound again
            assert len(ids_in(case)) == got["briefs"]
            outcome[(kind, op)] = got["briefs"]
    # what comes back: everything, except the records in a damaged stored-records file
    for (kind, op), n in outcome.items():
        if kind == "._stored.col":
            assert 40 <= n < 60, (kind, op, n)
        else:
            assert n == 60, (kind, op, n)
    assert outcome[("._stored.col", "delete")] == 40  # the segment's 20 records, all listed as lost
    # a table of contents damaged with its copy: nothing to put back; one line, what to do instead
    case = tmp_path / "case-toc-and-copy"
    shutil.copytree(pristine, case)
    _damage(case, "toc", "flip", segs[1])
    (copy,) = (case / ".sums").glob("toc-*.copy")
    copy.write_bytes(copy.read_bytes()[:10])
    r = run(case, "check", "--json")
    assert r.exit_code == 1 and any("no sound copy" in p and "brief import" in p for p in r.json["problems"]), r
    r = run(case, "salvage")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "no sound copy of it is kept" in r.stderr, r
    assert "brief import" in r.stderr
