"""A trustworthy archive: concurrent use, crashes, bad input, terminal safety, privacy.

Concurrency and crash tests use real `brief` processes (and a real helper process that holds
the write lock), never threads or mocks.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED, Result, write

HOLDER = r"""
import datetime, sys
from brieftool.engine.base import text_sha256
from brieftool.engine.whoosh import WhooshArchive as Archive
from brieftool.models import Brief, count_words

a = Archive.open(sys.argv[1], create=True)
text = "Held brief\n\nWritten by the process that holds the write lock.\n"
with a.writer() as w:
    b = Brief(title="Held brief", text=text, sha256=text_sha256(text), words=count_words(text),
              added=datetime.datetime.now(datetime.timezone.utc))
    b = b.replace(id=w.new_id(b.sha256))
    w.put(b)
    print("locked", b.id, flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


def brief_cmd() -> list[str]:
    """The real entry point (the console script next to this Python, else `python -m brieftool`)."""
    exe = Path(sys.executable).with_name("brief")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "brieftool"]


def env_for(archive: Path, **extra) -> dict:
    e = dict(os.environ, BRIEF_INDEX=str(archive), PYTHONUNBUFFERED="1")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(archive: Path, *args, env: dict | None = None, timeout: float = 120, **kw) -> Result:
    p = subprocess.run(brief_cmd() + [str(a) for a in args], capture_output=True, text=True,
                       env=env or env_for(archive), timeout=timeout, **kw)
    return Result(p.returncode, p.stdout, p.stderr)


def start(archive: Path, *args, out: Path, err: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(brief_cmd() + [str(a) for a in args], env=env or env_for(archive),
                            stdout=open(out, "w"), stderr=open(err, "w"), stdin=subprocess.DEVNULL)


def wait_for(pred, what: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def hold_lock(archive: Path) -> tuple[subprocess.Popen, str]:
    """A helper process that takes the write lock, puts one brief and waits for a line on stdin."""
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(archive)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=env_for(archive))
    line = p.stdout.readline().split()
    assert line and line[0] == "locked", "the lock holder did not start"
    return p, line[1]


def release(holder: subprocess.Popen) -> None:
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "committed"
    assert holder.wait(30) == 0


def ids_in(archive: Path) -> set[str]:
    r = run(archive, "list", "--format", "ids")
    assert r.exit_code == 0, r
    return set(r.stdout.split())


def records(archive: Path) -> dict[str, dict]:
    r = run(archive, "export")
    assert r.exit_code == 0, r
    return {d["id"]: d for d in map(json.loads, r.stdout.splitlines())}


def assert_check_ok(archive: Path) -> None:
    r = run(archive, "check", "--json")
    assert r.exit_code == 0 and r.json["ok"], r


def brief_files(folder: Path, n: int, tag: str) -> list[Path]:
    return [write(folder / f"{tag}{i:03d}.txt", f"{tag} brief {i}\n\nThe text of {tag} brief number {i}, "
                                                 f"about word{tag}{i} and policy.\n") for i in range(n)]


# == concurrent use ==================================================================================
def test_writers_wait_for_the_lock_while_readers_keep_working(cli, tmp_path, archive_dir):
    keep = cli("add", write(tmp_path / "keep.txt", "Kept brief\n\nThis one stays.\n"), "--json").json[0]["id"]
    gone = cli("add", write(tmp_path / "gone.txt", "Doomed brief\n\nThis one goes.\n"), "--json").json[0]["id"]
    new = write(tmp_path / "new.txt", "New brief\n\nAdded while another process held the lock.\n")
    holder, held = hold_lock(archive_dir)
    try:
        p_add = start(archive_dir, "add", new, "--json", out=tmp_path / "add.out", err=tmp_path / "add.err")
        p_rm = start(archive_dir, "remove", "--yes", gone, out=tmp_path / "rm.out", err=tmp_path / "rm.err")
        for name in ("add", "rm"):
            wait_for(lambda: "waiting for the archive lock" in (tmp_path / f"{name}.err").read_text(),
                     f"{name} to say it waits")
        time.sleep(0.3)
        assert p_add.poll() is None and p_rm.poll() is None  # still waiting, not failed
        # readers are not blocked by the writer, and see the last commit
        assert ids_in(archive_dir) == {keep, gone}
        r = run(archive_dir, "search", "stays", "--json")
        assert r.exit_code == 0 and [x["id"] for x in r.json] == [keep]
        assert run(archive_dir, "show", gone, "--json").json["title"] == "Doomed brief"
        assert set(records(archive_dir)) == {keep, gone}
        assert_check_ok(archive_dir)
    finally:
        release(holder)
    assert p_add.wait(60) == 0 and p_rm.wait(60) == 0
    add_err, rm_err = (tmp_path / "add.err").read_text(), (tmp_path / "rm.err").read_text()
    assert add_err.count("waiting for the archive lock") == 1 and rm_err.count("waiting for the archive lock") == 1
    assert "Error" not in add_err + rm_err and "Traceback" not in add_err + rm_err
    added = json.loads((tmp_path / "add.out").read_text())[0]
    assert added["status"] == "added"
    assert (tmp_path / "rm.out").read_text().startswith(f"removed  {gone}")
    assert ids_in(archive_dir) == {keep, held, added["id"]}


def test_a_writer_gives_up_after_the_lock_timeout_with_one_line(cli, tmp_path, archive_dir):
    keep = cli("add", write(tmp_path / "keep.txt", "Kept brief\n\nThis one stays.\n"), "--json").json[0]["id"]
    new = write(tmp_path / "new.txt", "New brief\n\nNever added.\n")
    holder, held = hold_lock(archive_dir)
    try:
        t0 = time.monotonic()
        r = run(archive_dir, "--lock-timeout", "0.5", "add", new)
        assert time.monotonic() - t0 >= 0.5
        r2 = run(archive_dir, "remove", "--yes", keep, env=env_for(archive_dir, BRIEF_LOCK_TIMEOUT="0.3"))
    finally:
        release(holder)
    for res, secs in ((r, "0.5s"), (r2, "0.3s")):
        assert res.exit_code == 1, res
        lines = res.stderr.splitlines()
        errors = [ln for ln in lines if ln.startswith("Error: ")]
        assert len(errors) == 1 and len(lines) == 2, res
        assert "waiting for the archive lock" in lines[0]
        assert f"archive {archive_dir} is locked by another brief process; gave up after {secs}" in errors[0]
        assert "Traceback" not in res.stderr
    assert ids_in(archive_dir) == {keep, held}  # nothing added, nothing removed


def test_the_lock_of_a_killed_writer_does_not_block(cli, tmp_path, archive_dir):
    keep = cli("add", write(tmp_path / "keep.txt", "Kept brief\n\nThis one stays.\n"), "--json").json[0]["id"]
    holder, held = hold_lock(archive_dir)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (archive_dir / "MAIN_WRITELOCK").exists()  # the lock file stays; the lock died with its process
    r = run(archive_dir, "--lock-timeout", "5", "add", write(tmp_path / "new.txt", "New brief\n\nAfter a crash.\n"),
            "--json")
    assert r.exit_code == 0, r
    assert "waiting" not in r.stderr
    assert ids_in(archive_dir) == {keep, r.json[0]["id"]}  # the killed writer's brief was never committed
    assert_check_ok(archive_dir)


def test_two_adds_at_once_hold_the_union_exactly_once(tmp_path, archive_dir):
    """Two real `brief add` processes started together on a new archive (both create it)."""
    a = brief_files(tmp_path / "a", 40, "alpha")
    b = brief_files(tmp_path / "b", 40, "beta")
    shared = brief_files(tmp_path / "s", 10, "shared")
    p1 = start(archive_dir, "add", *a, *shared, "--json", out=tmp_path / "1.out", err=tmp_path / "1.err")
    p2 = start(archive_dir, "add", *shared, *b, "--json", out=tmp_path / "2.out", err=tmp_path / "2.err")
    assert p1.wait(120) == 0 and p2.wait(120) == 0, ((tmp_path / "1.err").read_text(), (tmp_path / "2.err").read_text())
    r1 = {x["path"]: x for x in json.loads((tmp_path / "1.out").read_text())}
    r2 = {x["path"]: x for x in json.loads((tmp_path / "2.out").read_text())}
    assert all(r1[str(p)]["status"] == "added" for p in a) and all(r2[str(p)]["status"] == "added" for p in b)
    for p in shared:  # exactly one of the two added it; the other found it there
        x, y = r1[str(p)], r2[str(p)]
        assert x["id"] == y["id"] and sorted([x["status"], y["status"]]) == ["added", "unchanged"]
    recs = records(archive_dir)
    assert len(recs) == 90
    assert {d["source"] for d in recs.values()} == {str(p) for p in a + b + shared}
    for d in recs.values():
        assert d["text"] == Path(d["source"]).read_text("utf-8")
    assert_check_ok(archive_dir)


# == crashes =========================================================================================
def _kill_when(cmd: list[str], env: dict, pred, *, out: Path, delay: float = 0.0) -> int:
    """Run cmd; SIGKILL it once `delay` has passed and pred() holds. Returns its exit status."""
    with open(out, "w") as f:
        p = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        while p.poll() is None:
            try:
                hit = time.monotonic() - t0 >= delay and pred()
            except OSError:
                hit = False
            if hit:
                p.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        return p.wait()


def _listing(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        return set()


def _assert_sound(archive: Path, sources: dict[str, str], reported: set[str]) -> dict[str, dict]:
    """The archive opens and passes check; every reported id is there; no record is half-written."""
    if not (archive / "brief.json").exists():
        assert not reported
        return {}
    assert_check_ok(archive)
    recs = records(archive)
    assert reported <= set(recs)
    for d in recs.values():
        assert d["text"] == sources[d["source"]], d["id"]
    assert len({d["source"] for d in recs.values()}) == len(recs)  # no duplicates
    return recs


def test_add_killed_at_any_moment_leaves_a_sound_archive(tmp_path, archive_dir):
    """SIGKILL `brief add` of many files at several points; every brief it reported is there."""
    # 45 files a run: few enough that `add` prints a line for each (big runs print failures only)
    groups = [brief_files(tmp_path / f"g{g}", 45, f"g{g}x") for g in range(7)]
    batches = ["--batch-size", "10"] if "--batch-size" in run(archive_dir, "add", "--help").stdout else []
    sources = {str(p): p.read_text("utf-8") for grp in groups for p in grp}
    out = tmp_path / "add.out"

    def printed() -> int:
        return out.stat().st_size if out.exists() else 0

    def new_files() -> set[str]:  # written by this run (the lock file may be new too, on a new archive)
        return _listing(archive_dir) - base - {"MAIN_WRITELOCK"}

    # (when, delay, condition, several commits?, environment)
    points = [
        ("early, on a new archive", 0.15, lambda: True, False, {}),
        ("as soon as the writer touches the folder", 0.0, lambda: new_files(), False, {}),
        ("with a few of the new segment's files written", 0.0, lambda: len(new_files()) >= 3, False, {}),
        ("as soon as results are printed", 0.0, lambda: printed() > 0, True, {}),
        ("once a new table of contents is written", 0.0,
         lambda: any(n.endswith(".toc") for n in new_files()), False, {}),
        ("at 0.4 s", 0.4, lambda: True, True, {}),
        # Whoosh's multi-process writer (which `add` uses for big runs), forced on a small one
        ("multi-process writer at work", 0.0, lambda: new_files(), False, {"BRIEF_WRITER_PROCS": "2"}),
    ]
    killed = 0
    for (what, delay, pred, several, extra_env), files in zip(points, groups):
        base = _listing(archive_dir)
        args = ["add", *(batches if several else [])] + [str(p) for p in files]
        status = _kill_when(brief_cmd() + args, env_for(archive_dir, **extra_env), pred, out=out, delay=delay)
        killed += status == -signal.SIGKILL
        reported = {ln.split()[1] for ln in out.read_text().splitlines() if ln.startswith("added")}
        _assert_sound(archive_dir, sources, reported)
        # a killed writer leaves no lock behind (nor a process holding it)
        r = run(archive_dir, "--lock-timeout", "3", "remove", "--yes", "nosuch1")
        assert "locked" not in r.stderr and "waiting" not in r.stderr, (what, r)
    assert killed >= 5, f"only {killed} of the runs were killed while running"
    # a re-run of everything completes, and the archive holds each file once
    r = run(archive_dir, "add", *[p for grp in groups for p in grp], "--json")
    assert r.exit_code == 0, r
    assert {x["status"] for x in r.json} <= {"added", "unchanged"}
    recs = _assert_sound(archive_dir, sources, {x["id"] for x in r.json})
    assert {d["source"] for d in recs.values()} == set(sources)


def test_remove_tag_and_edit_killed_at_any_moment_leave_a_sound_archive(cli, tmp_path, archive_dir):
    files = brief_files(tmp_path / "in", 120, "k")
    r = cli("add", *files, "--json")
    assert r.exit_code == 0
    ids = [x["id"] for x in r.json]
    sources = {str(p): p.read_text("utf-8") for p in files}
    env = env_for(archive_dir)
    out = tmp_path / "change.out"
    commands = [
        ["remove", "--yes", *ids[0:30]],
        ["tag", "+Crash Test", *ids[30:90]],
        ["remove", "--yes", *ids[90:100]],
        ["tag", "+Second Tag", *ids[30:60]],
        ["edit", ids[100], "--title", "Edited title", "--type", "Edited"],
        ["edit", ids[101], "--title", "Edited title", "--type", "Edited"],
    ]
    killed = 0
    for i, args in enumerate(commands):
        base = _listing(archive_dir)
        # as soon as the writer touches the folder; or, every other run, a moment later
        pred = (lambda: _listing(archive_dir) - base) if i % 2 == 0 else (lambda: True)  # noqa: E731
        status = _kill_when(brief_cmd() + args, env, pred, out=out, delay=0.0 if i % 2 == 0 else 0.2)
        killed += status == -signal.SIGKILL
        lines = out.read_text().splitlines()
        recs = _assert_sound(archive_dir, sources, set())
        for ln in lines:
            word, bid = ln.split()[:2]
            if word == "removed":
                assert bid not in recs
            elif word == "changed" and args[0] == "tag":
                assert ("Crash Test" if i == 1 else "Second Tag") in recs[bid]["tags"]
            elif word == "changed":
                assert recs[bid]["title"] == "Edited title" and recs[bid]["type"] == "Edited"
        if args[0] == "edit":  # all of the edit or none of it
            rec = recs[args[1]]
            assert (rec["title"] == "Edited title") == (rec["type"] == "Edited"), rec
        assert set(ids) - set(ids[0:30]) - set(ids[90:100]) <= set(recs)  # nothing else lost
    assert killed >= 3
    assert_check_ok(archive_dir)


def test_an_interrupted_creation_does_not_block_the_archive(cli, tmp_path, archive_dir):
    """A first `brief add` killed after Whoosh made its files but before brief.json was written."""
    from whoosh import index

    from brieftool.engine.whoosh import make_schema

    archive_dir.mkdir(mode=0o700)
    index.create_in(str(archive_dir), make_schema(), indexname="MAIN")
    (archive_dir / "brief.json.tmp").write_text("{")
    r = cli("list")
    assert r.exit_code == 1 and "no archive at" in r.stderr
    r = cli("add", SEED, "--json")
    assert r.exit_code == 0 and r.json[0]["status"] == "added"
    assert [x["id"] for x in cli("list", "--json").json] == [r.json[0]["id"]]
    assert cli("check").exit_code == 0


# == bad input ========================================================================================
def _show(cli, path: Path, *extra) -> tuple[dict, Result]:
    r = cli("add", path, *extra)  # the table output: notes (warnings) go to stderr
    assert r.exit_code == 0, r
    status, bid = r.stdout.split()[:2]
    assert status in ("added", "updated"), r
    return cli("show", bid, "--json").json, r


def test_latin1_and_windows1252_are_decoded(cli, tmp_path):
    raw = "Le café\n\nUn café crème à Zürich, ½ prix.\n".encode("latin-1")
    rec, r = _show(cli, write(tmp_path / "latin1.txt", raw))
    assert rec["text"] == "Le café\n\nUn café crème à Zürich, ½ prix.\n" and rec["title"] == "Le café"
    assert "not valid UTF-8" in r.stderr or "latin-1" in r.stderr
    text = "“Smart quotes” – it’s 5 € … ™\n\nWindows text.\n"
    rec, _ = _show(cli, write(tmp_path / "cp1252.txt", text.encode("cp1252")))
    assert rec["text"] == text


def test_invalid_utf8_mixed_in_is_decoded_not_mangled(cli, tmp_path):
    data = "Naïve brief\n\nMostly UTF-8: café, résumé, Zürich ".encode() + b"with a stray \xe9 and \x93quotes\x94.\n"
    rec, r = _show(cli, write(tmp_path / "mixed.txt", data))
    assert rec["text"] == "Naïve brief\n\nMostly UTF-8: café, résumé, Zürich with a stray é and “quotes”.\n"
    assert "\ufffd" not in rec["text"]
    assert r.stderr.count("\n") == 1 and "mixed.txt" in r.stderr  # one warning naming the file


def test_utf16_with_bom(cli, tmp_path):
    text = "UTF-16 brief\n\nSaved by Notepad: café, 東京, “quotes”.\n"
    rec, _ = _show(cli, write(tmp_path / "le.txt", text.encode("utf-16")))  # BOM + native (little) endian
    assert rec["text"] == text
    r = cli("add", write(tmp_path / "be.txt", b"\xfe\xff" + text.encode("utf-16-be")), "--json")
    assert r.json[0]["status"] == "unchanged" and r.json[0]["id"] == rec["id"]  # the same text: one brief


def test_nul_bytes_stray_removed_many_refused(cli, tmp_path):
    body = ("Long enough body text. " * 300).encode()
    rec, r = _show(cli, write(tmp_path / "stray.txt", b"NUL brief\n\n" + body[:3000] + b"\x00" + body[3000:]))
    assert "\x00" not in rec["text"] and rec["title"] == "NUL brief"
    assert "NUL" in r.stderr
    r = cli("add", write(tmp_path / "many.txt", b"abc\x00\x00\x00\x00def" * 300))
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "many.txt" in r.stderr and "binary" in r.stderr


def test_line_endings_crlf_and_cr_are_one_text(cli, tmp_path):
    lines = ["Line endings", "", "First line.", "Second line."]
    rec, _ = _show(cli, write(tmp_path / "lf.txt", "\n".join(lines).encode()))
    assert rec["text"] == "\n".join(lines)
    for name, sep in (("crlf.txt", b"\r\n"), ("cr.txt", b"\r")):
        r = cli("add", write(tmp_path / name, sep.join(x.encode() for x in lines)), "--json")
        assert r.json[0]["status"] == "unchanged" and r.json[0]["id"] == rec["id"]
    assert [x["id"] for x in cli("search", '"first line"', "--json").json] == [rec["id"]]


def test_very_long_line_is_added_and_searchable(cli, tmp_path):
    line = " ".join(f"w{i}" for i in range(40_000)) + " needleword"
    rec, _ = _show(cli, write(tmp_path / "long.txt", "One long line\n\n" + line))
    assert rec["text"].endswith("needleword") and rec["words"] == 40_000 + 4
    assert [x["id"] for x in cli("search", "needleword", "--json").json] == [rec["id"]]


def test_odd_file_names(cli, tmp_path, brief_exe):
    names = ["with spaces.txt", 'double "quoted".txt', "single 'quoted'.txt", "Ünïcødé café 東京.txt",
             "-dash start.txt", "semi;colon $HOME `x`.txt"]
    paths = [write(tmp_path / "in" / n, f"Brief {i}\n\nText of brief {i}.\n") for i, n in enumerate(names)]
    r = cli("add", *paths, "--json")
    assert r.exit_code == 0, r
    assert [x["status"] for x in r.json] == ["added"] * len(names)
    for p, x in zip(paths, r.json):
        assert cli("show", x["id"], "--json").json["source"] == str(p)
    table = cli("add", paths[3]).stdout
    assert "Ünïcødé café 東京.txt" in table and table.startswith("unchanged")
    # through the real entry point too (argv and stdout encodings)
    res = brief_exe("list", "--format", "csv", env={"BRIEF_INDEX": os.environ["BRIEF_INDEX"]})
    assert res.exit_code == 0 and str(paths[3]) in res.stdout and 'double ""quoted"".txt' in res.stdout


def test_add_json_keeps_paths_with_unicode_line_breaks(cli, tmp_path):
    """U+0085/U+2028/U+2029 are line breaks to str.splitlines: `add --json` must not split rows at them."""
    paths = [write(tmp_path / f"name{c}x.txt", f"Brief {i}\n\nText {i}.\n") for i, c in enumerate("\x85\u2028\u2029")]
    r = cli("add", *paths, "--json")
    assert r.exit_code == 0
    assert [x["path"] for x in r.json] == [str(p) for p in paths]


def _unprivileged() -> list[str]:
    """A prefix that runs a command as root without the power to ignore file permissions."""
    if os.geteuid() != 0:
        return []  # permissions already apply
    if not shutil.which("setpriv"):
        pytest.skip("setpriv not available: cannot drop the root privilege of reading anything")
    pre = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run(pre + ["true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode().strip()}")
    return pre


def run_unprivileged(archive: Path, *args) -> Result:
    p = subprocess.run(_unprivileged() + brief_cmd() + [str(a) for a in args], capture_output=True, text=True,
                       env=env_for(archive), timeout=120)
    return Result(p.returncode, p.stdout, p.stderr)


def test_unreadable_file_and_folder(tmp_path, archive_dir):
    _unprivileged()
    good = write(tmp_path / "good.txt", "Good brief\n\nReadable.\n")
    locked = write(tmp_path / "locked.txt", "Locked brief\n\nNobody may read this.\n")
    folder = tmp_path / "closed"
    inner = write(folder / "inner.txt", "Inner brief\n\nIn a closed folder.\n")
    locked.chmod(0)
    folder.chmod(0)
    try:
        r = run_unprivileged(archive_dir, "add", good, locked, inner, folder, "--json")
    finally:
        folder.chmod(0o755)
        locked.chmod(0o644)
    assert r.exit_code == 1, r
    by = {x["path"]: x for x in r.json}
    assert by[str(good)]["status"] == "added"
    assert by[str(locked)]["status"] == "failed" and by[str(locked)]["error"] == f"{locked}: permission denied"
    assert by[str(inner)]["status"] == "failed" and "permission denied" in by[str(inner)]["error"]
    assert by[str(folder)]["status"] == "failed" and str(folder) in by[str(folder)]["error"]
    assert "Traceback" not in r.stderr
    assert {x["source"] for x in records(archive_dir).values()} == {str(good)}


def test_archive_folder_without_write_permission(cli, tmp_path, archive_dir):
    _unprivileged()
    bid = cli("add", SEED, "--json").json[0]["id"]
    before = records(archive_dir)
    new = write(tmp_path / "new.txt", "New brief\n\nCannot be written.\n")
    archive_dir.chmod(0o500)
    for f in archive_dir.iterdir():
        f.chmod(0o400)
    try:
        res = {args[0]: run_unprivileged(archive_dir, *args)
               for args in (("add", new), ("remove", "--yes", bid), ("reindex",), ("list", "--format", "ids"),
                            ("search", "sanctions relief", "--format", "ids"), ("check",), ("export",))}
    finally:
        archive_dir.chmod(0o700)
        for f in archive_dir.iterdir():
            f.chmod(0o600)
    for cmd in ("add", "remove", "reindex"):
        r = res[cmd]
        assert r.exit_code == 1, (cmd, r)
        assert r.stderr.count("\n") == 1 and "permission denied" in r.stderr and str(archive_dir) in r.stderr, (cmd, r)
    for cmd in ("list", "search", "check", "export"):  # reading still works
        assert res[cmd].exit_code == 0, (cmd, res[cmd])
    assert res["list"].stdout.split() == [bid] == res["search"].stdout.split()
    assert records(archive_dir) == before
    # a folder that cannot be read at all
    archive_dir.chmod(0)
    try:
        r = run_unprivileged(archive_dir, "list")
    finally:
        archive_dir.chmod(0o700)
    assert r.exit_code in (1, 2) and r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r
    assert str(archive_dir) in r.stderr and ("permission denied" in r.stderr or "not readable" in r.stderr), r


def test_paths_that_vanish_mid_run(tmp_path, archive_dir):
    """Files deleted and re-created by another process while `brief add` runs: each one is added or
    fails with one clear line; every other file goes in."""
    files = brief_files(tmp_path / "in", 60, "steady")
    flicker = [tmp_path / "in" / f"flicker{i}.txt" for i in range(4)]
    stop = tmp_path / "stop"
    toggler = subprocess.Popen([sys.executable, "-c", r"""
import os, sys, time
paths, stop = sys.argv[2:], sys.argv[1]
while not os.path.exists(stop):
    for i, p in enumerate(paths):
        with open(p, "w") as f:
            f.write(f"Flicker {i}\n\nNow you see me.\n")
    time.sleep(0.001)
    for p in paths:
        os.unlink(p)
    time.sleep(0.001)
""", str(stop)] + [str(p) for p in flicker])
    try:
        for _ in range(3):
            args = [str(p) for p in files[:30]] + [str(p) for p in flicker] + [str(p) for p in files[30:]]
            r = run(archive_dir, "add", *args, "--json")
            by = {x["path"]: x for x in r.json}
            assert all(by[str(p)]["status"] in ("added", "unchanged") for p in files)
            failed = [x for x in r.json if x["status"] == "failed"]
            for x in failed:
                assert x["path"] in map(str, flicker)
                assert x["error"] in (f"{x['path']}: no such file", f"{x['path']}: empty file"), x
            assert r.exit_code == (1 if failed else 0)
            # with --json the errors are in the JSON; stderr has at most the one-line summary
            assert "Traceback" not in r.stderr and "Error" not in r.stderr and r.stderr.count("\n") <= 1, r
            if r.stderr:
                assert f"{len(failed)} failed" in r.stderr
    finally:
        stop.touch()
        toggler.wait(10)
    assert_check_ok(archive_dir)
    assert {str(p) for p in files} <= {d["source"] for d in records(archive_dir).values()}


def test_vanished_source_keeps_its_brief(cli, tmp_path):
    p = write(tmp_path / "temp.txt", "Temporary file\n\nDeleted after it was added.\n")
    bid = cli("add", p, "--json").json[0]["id"]
    p.unlink()
    r = cli("add", p)
    assert r.exit_code == 1 and r.stderr.strip() == f"Error: {p}: no such file"
    assert cli("show", bid, "--json").json["text"] == "Temporary file\n\nDeleted after it was added.\n"


def _big_text(path: Path, mb: float) -> Path:
    """Random lowercase words: text that does not compress much (the archive stores texts compressed)."""
    table = bytes((b"abcdefghijklmnopqrstuvwxyz" * 10 + b" " * 52)[b] for b in range(256))
    return write(path, b"Big brief\n\n" + os.urandom(int(mb * 1024 * 1024)).translate(table) + b"\n")


def test_full_disk_file_too_large_changes_nothing(cli, tmp_path, archive_dir):
    """RLIMIT_FSIZE makes every write past 1 MB fail with EFBIG, as a full disk would."""
    bid = cli("add", SEED, "--json").json[0]["id"]
    before = records(archive_dir)
    big = _big_text(tmp_path / "big.txt", 3)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))

    r = run(archive_dir, "add", big, SEED, preexec_fn=limit)
    assert r.exit_code == 1, r
    assert r.stderr.strip() == ("Error: archive write failed: file too large; nothing from this change was saved "
                                "(the archive keeps its previous content)")
    assert records(archive_dir) == before and ids_in(archive_dir) == {bid}
    assert_check_ok(archive_dir)
    # an export that cannot be written fails cleanly too, leaving no partial file
    dump = tmp_path / "dump.jsonl"
    r = run(archive_dir, "add", big)
    assert r.exit_code == 0
    r = run(archive_dir, "export", dump, preexec_fn=limit)
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: cannot export to {dump}: file too large")
    assert not dump.exists() and not [n for n in os.listdir(tmp_path) if n.startswith(".dump")]
    # and without the limit the same add works: no lock or leftover stands in the way
    assert len(ids_in(archive_dir)) == 2


def test_full_disk_no_space_left(cli, tmp_path, archive_dir):
    """A real full disk: a small tmpfs in a private mount namespace (skipped where not allowed)."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        pytest.skip("unshare/mount not available")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{mnt}'"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode().strip()}")
    bid = cli("add", SEED, "--json").json[0]["id"]
    big = _big_text(tmp_path / "big.txt", 2)
    out = tmp_path / "out"
    out.mkdir()
    script = r"""
set -u
mount -t tmpfs -o size=1m tmpfs "$MNT"
cp -a "$SRC" "$MNT/a"
"$@" --index "$MNT/a" add "$BIG" > "$OUT/add.out" 2> "$OUT/add.err"; echo $? > "$OUT/add.rc"
"$@" --index "$MNT/a" list --format ids > "$OUT/ids"
"$@" --index "$MNT/a" check > "$OUT/check.out"; echo $? > "$OUT/check.rc"
"""
    env = env_for(archive_dir, MNT=mnt, SRC=archive_dir, BIG=big, OUT=out)
    p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + brief_cmd(), env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert (out / "add.rc").read_text().strip() == "1"
    err = (out / "add.err").read_text()
    assert err.startswith("Error: archive write failed: no space left on device"), err
    assert err.count("\n") == 1
    assert (out / "ids").read_text().split() == [bid]
    assert (out / "check.rc").read_text().strip() == "0", (out / "check.out").read_text()


def test_malformed_queries_end_cleanly(cli):
    cli("add", SEED)
    for q in ('"unbalanced', "AND", "OR OR", "NOT", "(((", ")", "title:", "*", "?", "-", "[", "{", "a~", "x^",
              "\\", "\x00", "~~~", "AND OR NOT", '"" ""', "sanctions AND", "'", "a" * 5000, "🙂", "\u202e"):
        r = cli("search", q, "--json")
        assert r.exit_code in (0, 2), (q, r)
        if r.exit_code == 2:
            assert r.stdout == "" and r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, (q, r)
        else:
            assert isinstance(r.json, list)
    r = cli("search", '"sanctions relief')
    assert r.exit_code == 2 and "quote" in r.stderr and r.stderr.count("\n") == 1


def test_out_of_range_dates_are_usage_errors(cli, tmp_path):
    cli("add", SEED)
    cases = [("add", str(SEED), "--date", "99999-01-01"), ("add", str(SEED), "--date", "2019-02-30"),
             ("add", str(SEED), "--date", "0000-01-01"), ("list", "--since", "2019-13"),
             ("list", "--since", "99999"), ("list", "--until", "2019-02-30"), ("search", "x", "--since", "0"),
             ("list", "--since", "2020", "--until", "2019")]
    for args in cases:
        r = cli(*args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, (args, r)
        assert args[-1] in r.stderr, (args, r)
    assert cli("show", cli("list", "--format", "ids").stdout.split()[0], "--json").json["date"] == "2019-04-17"


def test_periods_at_the_end_of_the_calendar(cli):
    bid = cli("add", SEED, "--json").json[0]["id"]
    for args, want in ((("list", "--since", "9999-12-31"), []), (("list", "--since", "9999-12"), []),
                       (("list", "--until", "9999-12"), [bid]), (("search", "korea", "--since", "9999"), []),
                       (("list", "--until", "0001-01"), [])):
        r = cli(*args, "--format", "ids")
        assert r.exit_code in (0, 2), (args, r)
        if r.exit_code == 2:
            assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
        else:
            assert r.stdout.split() == want, args


def test_unknown_and_ambiguous_ids_are_reported_and_the_good_ones_processed(cli, tmp_path):
    ids = [cli("add", write(tmp_path / f"f{i}.txt", f"Brief {i}\n\ntext {i}"), "--json").json[0]["id"]
           for i in range(40)]
    firsts = {}
    for i in ids:
        firsts.setdefault(i[0], []).append(i)
    amb = next(k for k, v in firsts.items() if len(v) > 1)
    for args in (("remove", "--yes", "nosuch9"), ("remove", "--yes", amb), ("show", "nosuch9"),
                 ("tag", "+x", "nosuch9"), ("edit", "nosuch9", "--title", "x")):
        r = cli(*args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("Error: ") and ("no brief with id 'nosuch9'" in r.stderr or "ambiguous" in r.stderr)
        assert "Traceback" not in r.stderr
    assert sorted(cli("list", "--format", "ids").stdout.split()) == sorted(ids)  # nothing removed
    # a mix of good and bad ids: as with `tag`, the good ones are processed, each bad one is a line, exit 1
    r = cli("remove", "--yes", ids[0], "nosuch9", amb)
    assert r.exit_code == 1, r
    assert r.stdout.startswith(f"removed  {ids[0]}  Brief ") and r.stdout.count("\n") == 1
    assert "no brief with id 'nosuch9'" in r.stderr and "ambiguous" in r.stderr and r.stderr.count("\n") == 2
    assert sorted(cli("list", "--format", "ids").stdout.split()) == sorted(ids[1:])
    r = cli("remove", "--yes", "--json", ids[1], "nosuch9")
    assert r.exit_code == 1 and [(o["id"], o["status"]) for o in r.json] == [(ids[1], "removed"), (None, "failed")]
    assert sorted(cli("list", "--format", "ids").stdout.split()) == sorted(ids[2:])


def test_folder_that_is_not_an_archive_is_left_alone(cli, tmp_path):
    d = tmp_path / "notes"
    write(d / "mine.txt", "my notes")
    for args in (("add", SEED), ("list",), ("search", "x"), ("export",), ("check",), ("reindex",), ("remove", "x")):
        r = cli("--index", d, *args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.count("\n") == 1 and f"{d} is not a brief archive" in r.stderr
    assert os.listdir(d) == ["mine.txt"]
    f = write(tmp_path / "afile", "x")
    r = cli("--index", f, "list")
    assert r.exit_code == 2 and "is a file, not an archive folder" in r.stderr


def test_newer_archive_format_is_refused(cli, archive_dir):
    from brieftool.engine.whoosh import FORMAT_VERSION as V

    bid = cli("add", SEED, "--json").json[0]["id"]
    (archive_dir / "brief.json").write_text(f'{{"format": {V + 1}}}')
    for args in (("list",), ("show", bid), ("add", SEED), ("remove", "--yes", bid)):
        r = cli(*args)
        assert r.exit_code == 1 and r.stderr.count("\n") == 1
        assert f"has format {V + 1}, newer than this brief understands ({V}); upgrade brief" in r.stderr
    (archive_dir / "brief.json").write_text(f'{{"format": {V}}}')
    assert [x["id"] for x in cli("list", "--json").json] == [bid]


# == terminal safety ==================================================================================
NASTY = {
    "csi": "\x1b[31mRED\x1b[0m",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "title_set": "\x1b]0;pwned\x07",
    "c1": "\x9b31mC1\x9b0m",
    "bell": "ring\x07",
    "markup": "[bold]B[/bold] [link=http://evil.example]L[/link]",
}
RAW = ("\x1b", "\x9b", "\x07")


def test_brief_text_and_metadata_never_reach_the_terminal_raw(cli, tmp_path):
    nasty = " ".join(NASTY.values())
    text = (f"Title: Loud {nasty}\nAuthor: Eve {NASTY['markup']}\n\nBody {nasty} with sanctions.\n"
            + "Plain words make most of a real brief. " * 20)
    fname = tmp_path / f"file \x1b[7m{NASTY['markup']}.txt"
    p = write(fname, text)
    outputs = []
    r = cli("add", p, "--author", f"Mallory {NASTY['csi']}", "--tag", f"T {NASTY['markup']}",
            "--tag", f"U {NASTY['osc8']}", "--org", f"Org {NASTY['c1']}", "--type", f"Kind {NASTY['bell']}")
    assert r.exit_code == 0, r
    outputs.append(r)
    bid = cli("list", "--format", "ids").stdout.split()[0]
    for args in (("list",), ("search", "sanctions"), ("show", bid), ("tags",), ("authors",), ("orgs",),
                 ("add", p), ("add", "--dry-run", p), ("check",), ("show", f"{NASTY['markup']}\x1b[2J"),
                 ("add", tmp_path / f"missing {NASTY['osc8']}.txt"), ("remove", "--yes", NASTY["csi"]),
                 ("stats",)):
        r = cli(*args)
        assert "Traceback" not in r.stderr
        outputs.append(r)
    for r in outputs:
        for raw in RAW:
            assert raw not in r.stdout and raw not in r.stderr, (raw, r)
    shown = cli("list").stdout + cli("show", bid).stdout
    assert "[bold]B[/bold]" in shown and "[link=http://evil.example]L[/link]" in shown  # literal, not markup
    assert "\\x1b[31mRED" in cli("show", bid).stdout  # visible, escaped
    # the data itself is kept exactly
    rec = cli("show", bid, "--json").json
    assert rec["text"] == text and f"U {NASTY['osc8']}" in rec["tags"] and rec["organization"] == f"Org {NASTY['c1']}"


def test_no_raw_escapes_on_a_colour_terminal(tmp_path, archive_dir):
    """With colours on (a real process told it has a colour terminal), brief's own styling may use
    escapes, but none from the brief."""
    p = write(tmp_path / "n.txt", f"Title: Loud {NASTY['osc8']} {NASTY['csi']}\n\nBody {NASTY['title_set']} policy.\n"
              + "Plain words make most of a real brief. " * 20)
    env = env_for(archive_dir, FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="120")
    env.pop("NO_COLOR", None)
    assert run(archive_dir, "add", p, env=env).exit_code == 0
    bid = ids_in(archive_dir).pop()
    for args in (("list",), ("search", "policy"), ("show", bid, "--no-pager"), ("tags",)):
        r = run(archive_dir, *args, env=env)
        assert r.exit_code == 0, r
        out = r.stdout + r.stderr
        assert "\x1b]8;;http://evil" not in out and "\x1b[31mRED" not in out and "\x1b]0;pwned" not in out, args
        assert "\x07" not in out


# == privacy ==========================================================================================
def test_new_archive_and_backups_are_private(cli, tmp_path, archive_dir):
    cli("add", SEED)
    assert (archive_dir.stat().st_mode & 0o777) == 0o700
    # another user cannot list the folder nor read a file in it
    if shutil.which("setpriv") and os.geteuid() == 0:
        for cmd in (["ls", str(archive_dir)], ["cat", str(archive_dir / "brief.json")]):
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd,
                               capture_output=True, text=True)
            assert p.returncode != 0 and "Permission denied" in p.stderr, p
    dump = tmp_path / "backup.jsonl"
    assert cli("export", dump).exit_code == 0
    assert (dump.stat().st_mode & 0o777) == 0o600
    restored = tmp_path / "restored"
    assert cli("--index", restored, "import", dump).exit_code == 0
    assert (restored.stat().st_mode & 0o777) == 0o700
    assert cli("reindex").exit_code == 0
    assert (archive_dir.stat().st_mode & 0o777) == 0o700
