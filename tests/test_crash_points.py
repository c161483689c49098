"""A real `brief add` SIGKILLed at exact points of its commits, not at a time that may or may not
land on one: after the k-th batch commit, between Whoosh's commit and the checksums
(`_take_sums`), inside Whoosh's commit (table of contents written, old files not yet cleaned up),
and before, in the middle of and right after the side data (`.side/`) written by the last commit.

The kill is put in place from outside: the real CLI runs through a wrapper (``WRAPPER``) that
wraps one function of the engine to SIGKILL its own process before or after its n-th call.
Production code has no hook for it. After each kill:

* `brief check` finds nothing wrong (and notes missing checksums only when the kill came before
  they were taken);
* the archive holds whole batches only: exactly the briefs of the commits that completed, each
  text the file's text (its sha256 too), no brief twice;
* every brief the killed run reported (its ``--json`` rows) is there;
* `stats`, `tags`, `authors`, `orgs` (side data) say what a full read of the records
  (`brief export`) says, and so does the side data read in-process (tests/test_speed.py);
* the same `brief add` again reports the rest as added and the rest as unchanged, and leaves
  exactly the full set of files, each once, with the same agreement.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, write

N_FILES = 520  # over WARM_AFTER (500): the last commit writes the side data
BATCH = 100  # commits: 100, 200, 300, 400, 500 (checkpoints), then the last 20 (the final commit)
COMMITS = -(-N_FILES // BATCH)

# argv[1] is "FUNCTION:before|after:N"; the rest is the brief command line.
WRAPPER = r"""
import os, signal, sys

target, when, nth = sys.argv.pop(1).split(":")
nth = int(nth)
calls = {}


def kill_at(name, fn):
    def wrapped(*args, **kwargs):
        n = calls[name] = calls.get(name, 0) + 1
        hit = name == target and n == nth
        if hit and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = fn(*args, **kwargs)
        if hit and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return out
    return wrapped


import whoosh.index
from brieftool import fsafe
from brieftool.engine import whoosh as W, whoosh_side as S

W.ArchiveWriter.checkpoint = kill_at("checkpoint", W.ArchiveWriter.checkpoint)
W.ArchiveWriter._commit_whoosh = kill_at("commit_whoosh", W.ArchiveWriter._commit_whoosh)
W._take_sums = kill_at("take_sums", W._take_sums)
whoosh.index.clean_files = kill_at("clean_files", whoosh.index.clean_files)
S.warm = kill_at("warm", S.warm)
S._save = kill_at("side_save", S._save)
_write_new = fsafe.write_new


def write_new(path, data, **kw):  # a side file's temporary name written, not yet renamed
    if os.sep + S.SIDE_DIR + os.sep in os.fspath(path):
        return kill_at("side_tmp", _write_new)(path, data, **kw)
    return _write_new(path, data, **kw)


fsafe.write_new = write_new
from brieftool.launch import main

main()
"""

AUTHORS = ["Jane Roe", "John Doe", "jane roe", "Ann Lee", "Li Wei"]
TAGS = ["Sanctions", "Iran", "sanctions", "North Korea", "Trade", "Energy"]
ORGS = ["FDD", "RAND", "Cato", "the Brookings Institution"]


def make_files(folder: Path) -> list[str]:
    rnd = random.Random(13)
    out = []
    for i in range(N_FILES):
        tags = ", ".join(rnd.sample(TAGS, rnd.randint(0, 3)))
        date = f"Date: {rnd.randint(1990, 2024)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}\n" if i % 5 else ""
        text = (f"Title: Crash brief {i}\nAuthor: {rnd.choice(AUTHORS)}\n{date}"
                + (f"Tags: {tags}\n" if tags else "") + f"Organization: {rnd.choice(ORGS)}\n\n"
                + " ".join(rnd.choice(["policy", "words", "sanction", "trade", "talks", "énergie"])
                           for _ in range(rnd.randint(3, 60)))
                + f" unique{i}\n")
        out.append(str(write(folder / f"c{i:04d}.txt", text)))
    return out


def partial_json(text: str) -> list[dict]:
    """The rows of a `--json` array cut short by a kill (each row is written whole)."""
    text = text.strip()
    if not text:
        return []
    if not text.endswith("]"):
        text += "\n]"
    return json.loads(text)


def records(cli) -> list[dict]:
    r = cli("export")
    assert r.exit_code == 0, r
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def counts_from_records(recs: list[dict]) -> dict:
    """What stats/tags/authors/orgs must say, from a full read of the records."""
    from brieftool.models import norm_tag, org_key, person_key

    def per_key(values_of, key):
        c: collections.Counter = collections.Counter()
        for rec in recs:
            c.update({key(v) for v in values_of(rec) if key(v)})
        return dict(c)

    dates = sorted(rec["date"] for rec in recs if rec["date"])
    return {
        "briefs": len(recs), "words": sum(rec["words"] for rec in recs),
        "undated": sum(1 for rec in recs if not rec["date"]),
        "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None,
        "per_year": dict(collections.Counter(int(d[:4]) for d in dates)),
        "tag": per_key(lambda rec: rec["tags"], norm_tag),
        "author": per_key(lambda rec: rec["authors"], person_key),
        "org": per_key(lambda rec: [rec["organization"]], org_key),
    }


def counts_from_commands(cli) -> dict:
    from brieftool.models import norm_tag, org_key, person_key

    st = cli("stats", "--json", "--top", "0").json
    out = {k: st[k] for k in ("briefs", "words", "undated", "first_date", "last_date")}
    out["per_year"] = {row["year"]: row["count"] for row in st["per_year"] if row["count"]}
    for kind, cmd, key, top in (("tag", "tags", norm_tag, "top_tags"), ("author", "authors", person_key, "top_authors"),
                                ("org", "orgs", org_key, "top_organizations")):
        rows = cli(cmd, "--json").json
        got = {key(row["name"]): row["count"] for row in rows}
        assert len(got) == len(rows), (kind, rows)  # one row per key
        assert {key(row["name"]): row["count"] for row in st[top]} == got, kind
        out[kind] = got
    assert (st["tags"], st["authors"], st["organizations"]) == (len(out["tag"]), len(out["author"]), len(out["org"]))
    return out


def check_ok(cli, *, sums_taken: bool) -> None:
    r = cli("check", "--json")
    assert r.exit_code == 0, r
    rep = r.json
    assert rep["problems"] == [], rep
    unsummed = [n for n in rep["notes"] if "checksum" in n]
    if sums_taken:
        assert rep["notes"] == [], rep
    else:  # killed between a commit and its checksums: said, and nothing else
        assert unsummed and unsummed == rep["notes"], rep


def assert_archive(cli, archive_dir, files: list[str], want: int, reported: list[dict], *,
                   sums_taken: bool, old: dict[str, tuple[str, int]] | None = None) -> list[dict]:
    """The archive after a kill (or a full run): `want` briefs, the first `want` files, whole, each
    with its file's text and stat (or, for a source in ``old``, that old (text, size))."""
    from test_speed import side_agrees_with_records

    check_ok(cli, sums_taken=sums_taken)
    recs = records(cli)
    by_source = {rec["source"]: rec for rec in recs}
    assert len(by_source) == len(recs), "a file was stored twice"
    assert sorted(by_source) == sorted(files[:want]), (len(recs), want)  # whole batches, in order
    for rec in recs:
        if old and rec["source"] in old:
            text, size = old[rec["source"]]
        else:
            data = Path(rec["source"]).read_bytes()
            text, size = data.decode("utf-8"), len(data)
            assert rec["source_mtime_ns"] == os.stat(rec["source"]).st_mtime_ns, rec["source"]
        assert rec["text"] == text, rec["source"]
        assert rec["source_size"] == size, rec["source"]
        assert rec["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest() == rec["raw_sha256"]
    by_id = {rec["id"]: rec for rec in recs}
    for row in reported:  # every brief the run said it added or updated is there, whole, as the file is now
        assert row["status"] in ("added", "updated"), row
        rec = by_id[row["id"]]
        assert rec["source"] == os.path.abspath(row["path"]), row
        assert rec["text"] == Path(rec["source"]).read_text("utf-8"), row
    assert counts_from_commands(cli) == counts_from_records(recs)
    side_agrees_with_records(archive_dir)
    return recs


@pytest.fixture
def killed_add(tmp_path, archive_dir):
    files = make_files(tmp_path / "docs")
    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), PYTHONPATH=str(ROOT))
    add = ["add", str(tmp_path / "docs"), "--batch-size", str(BATCH), "--jobs", "1", "--json"]

    def run(point: str, procs: int = 1):
        e = dict(env, BRIEF_WRITER_PROCS=str(procs))
        p = subprocess.Popen([sys.executable, "-c", WRAPPER, point, *add], env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = p.communicate(timeout=120)
        finally:
            # Anything it started that outlived it (Whoosh's sub-writers with procs > 1): its group.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert p.returncode == -signal.SIGKILL, f"{point} was never reached (exit {p.returncode}): {err[-1500:]}"
        return partial_json(out)

    def again():
        p = subprocess.run([sys.executable, "-m", "brieftool", *add], env=dict(env, BRIEF_WRITER_PROCS="1"),
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-1500:]
        return json.loads(p.stdout)

    return files, run, again


# (kill point, briefs committed when it hits, whether their checksums were taken, reported rows)
FINAL = N_FILES  # the last commit holds every file
LAST_REPORTED = (COMMITS - 1) * BATCH  # the last batch is reported only once the commit (and warm) is done
POINTS = [
    # (a) batch commits
    ("checkpoint:after:1", BATCH, True, 0),  # the batch committed, sums taken, the next writer open
    ("checkpoint:after:2", 2 * BATCH, True, BATCH),
    ("commit_whoosh:before:2", BATCH, True, BATCH),  # the second batch never committed
    ("commit_whoosh:after:1", BATCH, False, 0),  # Whoosh's commit done, no checksums yet
    ("commit_whoosh:after:2", 2 * BATCH, False, BATCH),
    ("clean_files:before:2", 2 * BATCH, False, BATCH),  # inside Whoosh's commit: new TOC, old files there
    # (b) the last commit: never made; between Whoosh's commit and the checksums
    (f"commit_whoosh:before:{COMMITS}", LAST_REPORTED, True, LAST_REPORTED),
    (f"commit_whoosh:after:{COMMITS}", FINAL, False, LAST_REPORTED),
    (f"clean_files:before:{COMMITS}", FINAL, False, LAST_REPORTED),
    (f"take_sums:after:{COMMITS}", FINAL, True, LAST_REPORTED),  # sums taken, the side data not begun
    # (c) the side data of the last commit: none yet, a temporary file, half of it, all of it
    ("side_save:before:1", FINAL, True, LAST_REPORTED),
    ("side_tmp:after:1", FINAL, True, LAST_REPORTED),
    ("side_save:after:1", FINAL, True, LAST_REPORTED),  # a segment's src.json without its sum.json
    (f"side_save:after:{COMMITS}", FINAL, True, LAST_REPORTED),  # some segments summarised, not all
    ("side_tmp:after:4", FINAL, True, LAST_REPORTED),
    ("warm:after:1", FINAL, True, LAST_REPORTED),  # the side data all written
]


def again_completes(cli, archive_dir, files, want, again, *, sums_taken: bool) -> None:
    """The same `brief add` again: the files not committed are added, the others unchanged, and
    the archive holds every file once. (With nothing to commit it takes no checksums.)"""
    rows = again()
    status = {os.path.abspath(r["path"]): r["status"] for r in rows}
    assert sorted(status) == sorted(files) and len(rows) == len(files)
    assert [f for f in files if status[f] == "added"] == files[want:]
    assert {status[f] for f in files[:want]} <= {"unchanged"}
    assert_archive(cli, archive_dir, files, N_FILES, [r for r in rows if r["status"] == "added"],
                   sums_taken=sums_taken or want < N_FILES)


def side_files(archive_dir) -> list[str]:
    from brieftool.engine.whoosh_side import SIDE_DIR

    d = archive_dir / SIDE_DIR
    return sorted(os.listdir(d)) if d.is_dir() else []


@pytest.mark.parametrize("point,want,sums_taken,n_reported", POINTS, ids=[p[0] for p in POINTS])
def test_sigkill_at_a_commit_point_keeps_the_side_data_in_agreement(cli, archive_dir, killed_add, point, want,
                                                                    sums_taken, n_reported):
    files, run, again = killed_add
    reported = run(point)
    assert len(reported) == n_reported, (point, len(reported))
    side = side_files(archive_dir)
    if point.startswith(("side_", "warm")):  # the kill did land in the side data's writing
        n = int(point.rsplit(":", 1)[1])
        done = n if point.startswith("side_save:after") else n - 1 if point.startswith("side_tmp") else 0
        assert len([name for name in side if name.endswith(".json")]) == (2 * COMMITS if point.startswith("warm") else done)
        assert any(name.endswith(".tmp") for name in side) == point.startswith("side_tmp")
    else:
        assert side == [], side  # nothing computed side data before the kill
    assert_archive(cli, archive_dir, files, want, reported, sums_taken=sums_taken)
    again_completes(cli, archive_dir, files, want, again, sums_taken=sums_taken)


SUB_WRITER_POINTS = [p for p in POINTS if p[0] in ("checkpoint:after:2", f"commit_whoosh:after:{COMMITS}",
                                                   f"side_save:after:{COMMITS}")]


@pytest.mark.parametrize("point,want,sums_taken,n_reported", SUB_WRITER_POINTS, ids=[p[0] for p in SUB_WRITER_POINTS])
def test_sigkill_with_whoosh_sub_writers(cli, archive_dir, killed_add, point, want, sums_taken, n_reported):
    """The same with Whoosh's multi-process writer (what a big run on two cores or more uses)."""
    files, run, again = killed_add
    reported = run(point, procs=2)
    assert len(reported) == n_reported
    assert_archive(cli, archive_dir, files, want, reported, sums_taken=sums_taken)
    again_completes(cli, archive_dir, files, want, again, sums_taken=sums_taken)



# After a full add: every other file rewritten (updates) and a new file after each of the others,
# 520 changes in the walk's order: batches of 100 that delete about 50 records from each of two
# old segments (side data computed before: those deletions are subtracted), and a last commit of
# 20 that writes the side data again.
def changes_of(files: list[str]) -> tuple[list[str], list[str]]:
    updated = files[0::2]
    new = [f.replace(".txt", "n.txt") for f in files[1::2]]
    return updated, new


UPDATE_POINTS = [  # (point, changes committed, checksums taken, changes reported)
    ("checkpoint:after:2", 2 * BATCH, True, BATCH),
    ("commit_whoosh:after:1", BATCH, False, 0),
    (f"commit_whoosh:after:{COMMITS}", N_FILES, False, 5 * BATCH),
    (f"clean_files:before:{COMMITS}", N_FILES, False, 5 * BATCH),
    ("side_save:after:1", N_FILES, True, 5 * BATCH),
    ("warm:after:1", N_FILES, True, 5 * BATCH),
]


def rewrite(path: str, i: int) -> None:
    import re

    text = Path(path).read_text("utf-8")
    text = re.sub(r"Organization: .*", "Organization: Revised Institute" if i % 3 else "Organization: RAND", text)
    text = re.sub(r"Author: .*", f"Author: {AUTHORS[i % len(AUTHORS)]}", text)
    Path(path).write_text(text.replace("\n\n", "\nTags: Revised\n\n", 1) if "Tags:" not in text
                          else text + f"revised {i} with more words\n", "utf-8")


@pytest.mark.parametrize("point,n_committed,sums_taken,n_reported", UPDATE_POINTS, ids=[p[0] for p in UPDATE_POINTS])
def test_sigkill_while_updating_keeps_the_side_data_in_agreement(cli, archive_dir, killed_add, point, n_committed,
                                                                 sums_taken, n_reported):
    """Updates delete records from segments whose side data was computed before, and the last
    commit merges segments that lost many (tiered_merge)."""
    files, run, again = killed_add
    again()
    assert cli("stats").exit_code == 0  # the side data of every segment, before any deletion
    updated, new = changes_of(files)
    old = {}
    for i, f in enumerate(updated):
        old[f] = (Path(f).read_text("utf-8"), os.path.getsize(f))
        rewrite(f, i)
    for i, f in enumerate(new):
        write(Path(f), f"Title: New brief {i}\nAuthor: {AUTHORS[i % 3]}\nTags: New, Trade\n\nnew words {i}\n")
    order = sorted(updated + new)
    assert len(order) == N_FILES and order[:3] == [files[0], new[0], files[2]]  # the walk's order
    reported = run(point)
    changed = [os.path.abspath(r["path"]) for r in reported if r["status"] != "unchanged"]
    assert changed == order[:n_reported], point
    done = set(order[:n_committed])
    all_files = sorted(files + [f for f in new if f in done])
    assert_archive(cli, archive_dir, all_files, len(all_files), [r for r in reported if r["status"] != "unchanged"],
                   sums_taken=sums_taken, old={f: old[f] for f in updated if f not in done})
    rows = again()
    status = {os.path.abspath(r["path"]): r["status"] for r in rows}
    assert sorted(status) == sorted(files + new)
    assert [f for f in sorted(status) if status[f] != "unchanged"] == order[n_committed:]
    assert all(status[f] == ("added" if f in new else "updated") for f in order[n_committed:])
    assert_archive(cli, archive_dir, sorted(files + new), N_FILES + len(new),
                   [r for r in rows if r["status"] != "unchanged"], sums_taken=sums_taken or n_committed < N_FILES)
