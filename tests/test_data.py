"""Backups and recovery: export, import, check, reindex over real archives in temp dirs."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED, write

EXPORT_KEYS = ["id", "title", "authors", "date", "tags", "type", "organization", "org_abbr", "source", "url", "sha256",
               "added", "words", "body_start", "source_size", "source_mtime_ns", "manual", "format", "pages",
               "raw_sha256", "text"]

ODD = ("Title: Ünïcødé & “quotes”\nAuthor: Zoë Ça\nTags: Middle East; north korea\n\n"
       "Line one\u2028still one (a line separator), an escape \x1b[31mred\x1b[0m, a [bold]tag[/bold],\n"
       "emoji 🙂, tab\there.\n")


def brief_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("brief")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "brieftool"]


@pytest.fixture
def varied(cli, tmp_path):
    """An archive with briefs that exercise every field; returns their ids by name."""
    ids = {}
    ids["seed"] = cli("add", SEED, "--json").json[0]["id"]
    p = write(tmp_path / "in" / "odd name – café.txt", ODD)
    ids["odd"] = cli("add", p, "--title", "Set by hand", "--tag", "Extra Tag", "--json").json[0]["id"]
    p = write(tmp_path / "in" / "crlf.txt", b"Windows brief\r\n\r\nWritten with CRLF line endings.\r\n")
    ids["crlf"] = cli("add", p, "--json").json[0]["id"]
    raw = "Caf\xe9 brief\n\nUn caf\xe9 cr\xe8me, d\xe9j\xe0 vu.\n".encode("latin-1")
    p = write(tmp_path / "in" / "latin1.txt", raw)
    ids["latin1"] = cli("add", p, "--date", "2001-02-03", "--json").json[0]["id"]
    p = write(tmp_path / "in" / "gone.txt", "Vanished source\n\nThe file of this brief was deleted later.\n")
    ids["gone"] = cli("add", p, "--json").json[0]["id"]
    p.unlink()
    return ids


def export_lines(cli, *args) -> list[dict]:
    r = cli(*args, "export")
    assert r.exit_code == 0, r
    return [json.loads(x) for x in r.stdout.splitlines()]


# -- export ----------------------------------------------------------------------------------------
def test_export_has_every_field_and_the_verbatim_text(cli, varied):
    rows = {r["id"]: r for r in export_lines(cli)}
    assert set(rows) == set(varied.values())
    for bid, row in rows.items():
        assert list(row) == EXPORT_KEYS
        shown = cli("show", bid, "--json").json
        for k, v in shown.items():
            assert row[k] == v, (bid, k)
    odd = rows[varied["odd"]]
    assert odd["title"] == "Set by hand" and "title" in odd["manual"]
    assert odd["text"] == ODD and odd["authors"] == ["Zoë Ça"]
    assert odd["tags"] == ["Extra Tag", "Middle East", "north korea"]
    assert rows[varied["crlf"]]["text"] == "Windows brief\n\nWritten with CRLF line endings.\n"
    assert rows[varied["latin1"]]["text"] == "Café brief\n\nUn café crème, déjà vu.\n"
    seed = rows[varied["seed"]]
    assert seed["org_abbr"] == "FDD" and seed["body_start"] > 0
    assert seed["source_size"] == SEED.stat().st_size and isinstance(seed["source_mtime_ns"], int)


def test_round_trip_is_lossless(cli, varied, tmp_path):
    first = cli("export")
    other = tmp_path / "restored"
    r = cli("--index", other, "import", "-", input=first.stdout)
    assert r.exit_code == 0, r
    assert r.stdout.strip() == "5 imported"
    again = cli("--index", other, "export")
    assert again.stdout == first.stdout  # byte for byte, same order
    for bid in varied.values():
        assert cli("--index", other, "show", bid, "--json").json == cli("show", bid, "--json").json
    # the restored archive is searchable and filterable like the original
    assert [x["id"] for x in cli("--index", other, "search", "sanctions relief", "--json").json] == [varied["seed"]]
    assert {x["id"] for x in cli("--index", other, "list", "--tag", "NORTH KOREA", "--json").json} == {
        varied["seed"], varied["odd"]}
    assert (other.stat().st_mode & 0o777) == 0o700
    assert cli("--index", other, "check").exit_code == 0


def test_export_to_file_is_private_and_replaced_whole(cli, varied, tmp_path):
    dest = tmp_path / "backups" / "briefs.jsonl"
    dest.parent.mkdir()
    dest.write_text("old backup\n")
    r = cli("export", dest)
    assert r.exit_code == 0 and r.stdout == ""
    assert "exported 5 briefs" in r.stderr
    assert dest.read_text("utf-8") == cli("export").stdout
    assert (dest.stat().st_mode & 0o777) == 0o600
    assert os.listdir(dest.parent) == ["briefs.jsonl"]  # no temporary file left


def test_export_to_missing_folder_fails_cleanly(cli, varied, tmp_path):
    r = cli("export", tmp_path / "nope" / "x.jsonl")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: cannot export to") and "no such file" in r.stderr
    assert r.stderr.count("\n") == 1
    assert not (tmp_path / "nope").exists()
    r = cli("export", tmp_path)
    assert r.exit_code == 2 and "is a folder" in r.stderr


def test_export_csv_is_metadata_only(cli, varied):
    r = cli("export", "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["id", "date", "title", "authors", "tags", "type", "organization", "source", "sha256",
                             "added", "words"]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == set(varied.values())
    odd = by_id[varied["odd"]]
    assert odd["title"] == "Set by hand" and odd["tags"] == "Extra Tag; Middle East; north korea"
    assert by_id[varied["latin1"]]["date"] == "2001-02-03"
    assert "Un café crème" not in r.stdout  # no text
    assert cli("export", "--format", "xml").exit_code == 2


def test_export_of_missing_archive_creates_nothing(cli, archive_dir):
    r = cli("export")
    assert r.exit_code == 1 and "no archive at" in r.stderr and r.stdout == ""
    assert not archive_dir.exists()


# -- import ----------------------------------------------------------------------------------------
def test_import_existing_ids_skip_unless_replace(cli, varied, tmp_path):
    rows = export_lines(cli)
    same = rows[0]
    changed = dict(rows[1], title="A different title")
    twin = dict(rows[2], id="zzzzzzz")  # the same text under another id
    f = write(tmp_path / "in.jsonl", "".join(json.dumps(r) + "\n" for r in (same, changed, twin)))
    r = cli("import", f)
    assert r.exit_code == 0, r
    assert r.stdout.strip() == "0 imported, 1 unchanged, 2 skipped"
    lines = r.stderr.splitlines()
    assert len(lines) == 2
    assert f"line 2 ({rows[1]['id']})" in lines[0] and "different brief" in lines[0] and "--replace" in lines[0]
    assert "line 3 (zzzzzzz)" in lines[1] and f"same text as brief {rows[2]['id']}" in lines[1]
    assert cli("show", rows[1]["id"], "--json").json["title"] == rows[1]["title"]
    assert cli("show", "zzzzzzz").exit_code == 2

    r = cli("import", f, "--replace", "--json")
    assert r.exit_code == 0
    assert [(x["line"], x["status"]) for x in r.json] == [(1, "unchanged"), (2, "replaced"), (3, "replaced")]
    assert cli("show", rows[1]["id"], "--json").json["title"] == "A different title"
    assert cli("show", "zzzzzzz", "--json").json["text"] == rows[2]["text"]
    assert cli("show", rows[2]["id"]).exit_code == 2  # replaced by the record with its text
    assert len(cli("list", "--json").json) == 5


def test_import_fills_in_missing_id_hash_and_time(cli, tmp_path):
    f = write(tmp_path / "hand.jsonl", json.dumps({"title": "Hand made", "text": "Hand made\n\nWritten by a script.",
                                                   "tags": ["Scripted"]}) + "\n")
    r = cli("import", f, "--json")
    assert r.exit_code == 0 and r.json[0]["status"] == "imported"
    rec = cli("show", r.json[0]["id"], "--json").json
    assert rec["title"] == "Hand made" and rec["tags"] == ["Scripted"] and rec["words"] == 6
    assert rec["added"] and len(rec["sha256"]) == 64
    # importing the same text again (no id) is recognised
    r = cli("import", f, "--json")
    assert r.json[0]["status"] == "unchanged" and r.json[0]["id"] == rec["id"]


def test_import_malformed_lines_fail_alone_with_line_numbers(cli, varied, tmp_path):
    good = export_lines(cli)
    bad_sha = dict(good[1], text=good[1]["text"] + "tampered")
    lines = [
        json.dumps(dict(good[0], id="aaaa111")).encode(),  # 1 good (new id? same text: skipped) -> use fresh
        b"{not json",  # 2
        b"[1, 2, 3]",  # 3
        json.dumps(dict(bad_sha, id="bbbb222")).encode(),  # 4
        json.dumps({"id": "cccc333", "text": "x y", "date": "2019-13-45"}).encode(),  # 5
        json.dumps({"id": "dddd444", "title": "no text"}).encode(),  # 6
        b'{"id": "eeee555", "text": "bad \xff byte"}',  # 7
        json.dumps({"id": "UPPER", "text": "upper case id"}).encode(),  # 8
        b"",  # 9 blank: ignored
        json.dumps({"id": "ffff666", "text": "Fine brief\n\nThis one is good.", "words": "many"}).encode(),  # 10
        json.dumps({"id": "gggg777", "text": "Good brief\n\nThis one is fine.", "date": "2020-05-06"}).encode(),  # 11
    ]
    f = write(tmp_path / "mixed.jsonl", b"\n".join(lines) + b"\n")
    other = tmp_path / "other"
    r = cli("--index", other, "import", f)
    assert r.exit_code == 1
    assert r.stdout.strip() == "2 imported, 8 failed"
    errs = r.stderr.splitlines()
    assert [e.split(":")[1].strip() for e in errs] == [f"{f} line {n}" for n in (2, 3, 4, 5, 6, 7, 8, 10)]
    assert all(e.startswith("Error: ") for e in errs)
    reasons = " | ".join(errs)
    for reason in ("not valid JSON", "must be a JSON object", "sha256 does not match the text",
                   "date '2019-13-45'", "no text", "not UTF-8", "'UPPER' is not a brief id", "words is not a whole"):
        assert reason in reasons
    ids = {x["id"] for x in cli("--index", other, "list", "--json").json}
    assert ids == {"aaaa111", "gggg777"}
    assert cli("--index", other, "show", "gggg777", "--json").json["date"] == "2020-05-06"


def test_import_missing_file_creates_nothing(cli, archive_dir, tmp_path):
    r = cli("import", tmp_path / "nope.jsonl")
    assert r.exit_code == 1 and r.stderr.startswith("Error: cannot import") and "no such file" in r.stderr
    assert not archive_dir.exists()


def test_import_into_folder_that_is_not_an_archive(cli, tmp_path, varied):
    dump = write(tmp_path / "d.jsonl", cli("export").stdout)
    notes = tmp_path / "notes"
    write(notes / "mine.txt", "keep me")
    r = cli("--index", notes, "import", dump)
    assert r.exit_code == 2 and "is not a brief archive" in r.stderr
    assert os.listdir(notes) == ["mine.txt"]


# -- check -----------------------------------------------------------------------------------------
def _raw_add(archive_dir: Path, docs: list[dict]) -> None:
    """Write documents straight into the Whoosh index (bypassing ArchiveWriter): damage."""
    from whoosh import index

    ix = index.open_dir(str(archive_dir), indexname="MAIN")
    w = ix.writer()
    for d in docs:
        w.add_document(**d)
    w.commit()


def _doc(**changes):
    import datetime as dt

    from brieftool.engine.whoosh import brief_to_doc, text_sha256
    from brieftool.models import Brief

    text = changes.pop("text", "Some brief\n\nIts text.")
    b = Brief(id=changes.pop("id", "abcd123"), title="Some brief", text=text, sha256=text_sha256(text), words=4,
              added=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    return brief_to_doc(b.replace(**changes))


def test_check_passes_on_a_sound_archive(cli, varied, archive_dir):
    from brieftool.engine.whoosh import FORMAT_VERSION as V

    r = cli("check")
    assert r.exit_code == 0, r
    assert r.stdout.splitlines() == [f"archive {archive_dir}: format {V}, 5 briefs",
                                     "ok: the index opens, every record is complete, hashes match, ids are unique"]
    j = cli("check", "--json").json
    assert j == {"archive": str(archive_dir), "format": V, "briefs": 5, "ok": True, "problems": [], "notes": []}


def test_check_reports_damaged_records(cli, varied, archive_dir):
    bad_hash = _doc(id="hash111", sha256="0" * 64)
    incomplete = _doc(id="miss222")
    del incomplete["rec"]["title"]
    bad_type = _doc(id="type333")
    bad_type["rec"]["authors"] = "not a list"
    dup = _doc(id=varied["crlf"], text="Another text\n\nunder an id that is taken.")
    _raw_add(archive_dir, [bad_hash, incomplete, bad_type, dup])
    r = cli("check")
    assert r.exit_code == 1
    problems = [ln for ln in r.stdout.splitlines() if ln.startswith("problem: ")]
    assert problems == [
        "problem: brief hash111: sha256 does not match the text (the text was changed or damaged)",
        "problem: brief miss222: missing field title",
        "problem: brief type333: authors is not a list of strings",
        f"problem: id {varied['crlf']} is used by 2 records: run 'brief reindex' (it gives the extra records new ids)",
    ]
    assert r.stderr.strip() == f"Error: 4 problems found in archive {archive_dir}"
    j = cli("check", "--json").json
    assert j["ok"] is False and j["briefs"] == 9 and len(j["problems"]) == 4


def test_check_in_two_processes_reports_what_one_pass_does(cli, varied, archive_dir, monkeypatch):
    """A big archive's check reads half of the segments in a child process: the same report,
    line for line, as one pass (problems and notes in index order, caps, duplicates across the
    halves), and when the records of the second half cannot be read, the same end."""
    from whoosh import index

    from brieftool.engine import whoosh_maint

    def raw_segment(docs):
        w = index.open_dir(str(archive_dir), indexname="MAIN").writer(compound=False)
        for d in docs:
            w.add_document(**d)
        w.commit(merge=False)  # a segment of its own

    bad_hash = _doc(id="hash111", sha256="0" * 64)
    incomplete = _doc(id="miss222")
    del incomplete["rec"]["title"]
    raw_segment([bad_hash, incomplete, _doc(id=varied["crlf"], text="Another text\n\nunder a taken id.")])
    bad_type = _doc(id="type333")
    bad_type["rec"]["authors"] = "not a list"
    raw_segment([bad_type, _doc(id=varied["seed"], text="A third text\n\nunder the seed's id."),
                 _doc(id="same444", text="Another text\n\nunder a taken id.")])
    assert len(_segments(archive_dir)) >= 3
    one_pass = cli("check", "--json").json
    assert one_pass["ok"] is False and len(one_pass["problems"]) == 5 and one_pass["notes"]

    children = []
    real = whoosh_maint._check_in_child
    def spy(leaves):
        join = real(leaves)
        return lambda: children.append(join()) or children[-1]

    monkeypatch.setattr(whoosh_maint, "_check_in_child", spy)
    monkeypatch.setattr(whoosh_maint, "CHECK_SPLIT_MIN", 0)
    assert cli("check", "--json").json == one_pass
    assert len(children) == 1 and children[0] is not None and children[0].briefs > 0  # the child did its half
    monkeypatch.setattr(whoosh_maint, "MAX_PROBLEMS_PER_KIND", 1)  # the caps apply across the halves
    capped = cli("check", "--json").json
    monkeypatch.setattr(whoosh_maint, "CHECK_SPLIT_MIN", 10 ** 9)
    assert capped == cli("check", "--json").json and any(p.startswith("(more problems") for p in capped["problems"])

    # the stored records of the newest segment cut short: the reading ends there, both ways
    newest = index.open_dir(str(archive_dir), indexname="MAIN")._segments()[-1]
    stored = archive_dir / f"{newest.segment_id()}._stored.col"
    data = stored.read_bytes()
    stored.write_bytes(data[:len(data) // 3])
    whole = cli("check", "--json").json
    assert whole["problems"][-1].startswith("the stored records cannot be read") and whole["briefs"] < one_pass["briefs"]
    monkeypatch.setattr(whoosh_maint, "CHECK_SPLIT_MIN", 0)
    assert cli("check", "--json").json == whole


def test_check_refuses_newer_format_and_so_does_every_command(cli, varied, archive_dir):
    meta = archive_dir / "brief.json"
    meta.write_text(json.dumps({"format": 99}))
    r = cli("check")
    assert r.exit_code == 1
    from brieftool.engine.whoosh import FORMAT_VERSION

    assert f"written by a newer brief (format 99; this brief reads up to {FORMAT_VERSION})" in r.stdout
    for args in (("list",), ("search", "x"), ("add", SEED), ("export",), ("reindex",)):
        r = cli(*args)
        assert r.exit_code == 1, args
        assert r.stderr.count("\n") == 1 and "has format 99, newer than this brief understands" in r.stderr, args
    assert json.loads(meta.read_text()) == {"format": 99}  # nothing rewritten


def test_check_reports_a_damaged_index(cli, varied, archive_dir):
    for f in _segment_files(archive_dir):  # every file of the index's segments, cut short
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    r = cli("check")
    assert r.exit_code == 1
    assert "problem: the index cannot be opened" in r.stdout or "problem: the stored records cannot be read" in r.stdout
    # what to do: salvage, which puts back the table of contents from its copy in .sums/
    assert "brief salvage" in r.stdout and "Traceback" not in r.stderr


def test_check_on_missing_and_non_archives(cli, archive_dir, tmp_path):
    r = cli("check")
    assert r.exit_code == 1 and "no archive at" in r.stderr and not archive_dir.exists()
    write(tmp_path / "notes" / "a.txt", "x")
    r = cli("--index", tmp_path / "notes", "check")
    assert r.exit_code == 2 and "is not a brief archive" in r.stderr


# -- reindex ---------------------------------------------------------------------------------------
def _segment_files(archive_dir: Path) -> list[Path]:
    return [p for p in archive_dir.iterdir() if p.name.startswith("MAIN_") and p.name != "MAIN_WRITELOCK"]


def _segments(archive_dir: Path) -> set[str]:
    return {p.name.split(".")[0] for p in _segment_files(archive_dir)}


def _gen(archive_dir: Path) -> int:
    return max(int(p.name[len("_MAIN_"):-len(".toc")]) for p in archive_dir.glob("_MAIN_*.toc"))


def test_reindex_keeps_every_record_and_search_works(cli, varied, archive_dir):
    before = cli("export").stdout
    g = _gen(archive_dir)
    r = cli("reindex")
    assert r.exit_code == 0 and r.stdout.strip() == "reindexed 5 briefs"
    assert cli("export").stdout == before
    assert _gen(archive_dir) == g + 1
    assert [x["id"] for x in cli("search", "sanctions relief", "--json").json] == [varied["seed"]]
    assert [x["id"] for x in cli("list", "--tag", "extra tag", "--json").json] == [varied["odd"]]
    assert [x["id"] for x in cli("list", "--org", "fdd", "--json").json] == [varied["seed"]]
    assert cli("check").exit_code == 0
    names = os.listdir(archive_dir)
    assert ".reindex" not in names and len(_segments(archive_dir)) == 1
    from brieftool.engine.whoosh import FORMAT_VERSION

    assert json.loads((archive_dir / "brief.json").read_text())["format"] == FORMAT_VERSION
    # adding after a reindex works and sees the records (same text: unchanged)
    assert cli("add", SEED, "--json").json[0] == {"path": str(SEED), "status": "unchanged", "id": varied["seed"],
                                                 "error": None}


def test_reindex_gives_duplicate_ids_new_ids(cli, varied, archive_dir):
    text = "Another text\n\nunder an id that is taken."
    _raw_add(archive_dir, [_doc(id=varied["crlf"], text=text), _doc(id=varied["gone"])])
    _raw_add(archive_dir, [_doc(id=varied["gone"])])  # an identical copy
    assert cli("check").exit_code == 1
    r = cli("reindex")
    assert r.exit_code == 0
    assert f"two records had id {varied['crlf']}: the second now has id" in r.stderr
    assert "dropped 1 identical copy" in r.stderr
    assert cli("check").exit_code == 0
    texts = [x["text"] for x in export_lines(cli)]
    assert texts.count(text) == 1 and texts.count("Windows brief\n\nWritten with CRLF line endings.\n") == 1
    assert len(texts) == 7


def test_reindex_refuses_unreadable_records_unless_drop_bad(cli, varied, archive_dir):
    broken = _doc(id="brok999")
    del broken["rec"]
    _raw_add(archive_dir, [broken])
    before = os.listdir(archive_dir)
    r = cli("reindex")
    assert r.exit_code == 1 and "1 record cannot be read" in r.stderr and "nothing was changed" in r.stderr
    assert r.stderr.count("\n") == 1
    assert sorted(os.listdir(archive_dir)) == sorted(before)
    r = cli("reindex", "--drop-bad")
    assert r.exit_code == 0 and "dropped: record 'brok999' cannot be read" in r.stderr
    assert cli("check").exit_code == 0 and len(cli("list", "--json").json) == 5


def test_reindex_upgrades_an_index_with_an_older_layout(cli, tmp_path):
    """The path for a schema change: an index written with an older schema is rebuilt with the current one."""
    from whoosh import fields, index

    from brieftool.engine.whoosh import make_schema

    cur = make_schema()
    old_schema = fields.Schema(**{n: cur[n] for n in cur.names() if n not in ("org_key", "year")})
    arch = tmp_path / "old"
    arch.mkdir(mode=0o700)
    ix = index.create_in(str(arch), old_schema, indexname="MAIN")
    (arch / "brief.json").write_text(json.dumps({"format": 1}))
    import datetime as dt

    d = _doc(id="old1234", organization="Old Think Tank", date=dt.date(2015, 6, 1))
    del d["org_key"], d["year"]
    w = ix.writer()
    w.add_document(**d)
    w.commit()
    r = cli("--index", arch, "check")
    assert r.exit_code == 1 and "different layout" in r.stdout and "org_key" in r.stdout and "year" in r.stdout
    r = cli("--index", arch, "reindex")
    assert r.exit_code == 0, r
    assert cli("--index", arch, "check").exit_code == 0
    assert [x["id"] for x in cli("--index", arch, "list", "--org", "Old Think Tank", "--json").json] == ["old1234"]
    assert [x["id"] for x in cli("--index", arch, "list", "--since", "2015", "--json").json] == ["old1234"]
    assert cli("--index", arch, "show", "old1234", "--json").json["text"] == "Some brief\n\nIts text."


def test_reindex_killed_at_any_moment_leaves_the_archive(cli, tmp_path, archive_dir):
    """SIGKILL a real `brief reindex` at several points: the archive always opens with every record."""
    files = [write(tmp_path / "in" / f"b{i:03d}.txt", f"Brief {i}\n\nText number {i} about topic{i % 7}.\n")
             for i in range(250)]
    assert cli("add", *files).exit_code == 0
    before = sorted(cli("export").stdout.splitlines())
    env = dict(os.environ, BRIEF_INDEX=str(archive_dir))
    killed = 0

    def kill_when(pred, delay=0.0):
        nonlocal killed
        p = subprocess.Popen(brief_cmd() + ["reindex"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.monotonic()
        while p.poll() is None:
            if time.monotonic() - start >= delay and pred():
                p.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        killed += p.wait() == -signal.SIGKILL

    tmpdir = archive_dir / ".reindex"
    points = [
        lambda: tmpdir.exists(),  # the new index is being written
        lambda: tmpdir.exists() and any(n.endswith(".trm") for n in os.listdir(tmpdir)),  # built, not swapped
        lambda: len(_segments(archive_dir)) > len(base),  # segment files moved in, contents not yet swapped
        lambda: True,  # at 0.25 s
        lambda: True,  # at 0.5 s
    ]
    for i, pred in enumerate(points):
        base = _segments(archive_dir)
        kill_when(lambda: _safe(pred), delay=(0.25 if i == 3 else 0.5 if i == 4 else 0.0))
        assert sorted(cli("export").stdout.splitlines()) == before, f"kill point {i}"
        assert cli("check").exit_code == 0, f"kill point {i}"
        assert len(cli("search", "topic3", "--json", "--limit", "0").json) == len(range(3, 250, 7))
    assert killed >= 3
    r = cli("reindex")
    assert r.exit_code == 0 and r.stdout.strip() == "reindexed 250 briefs"
    assert sorted(cli("export").stdout.splitlines()) == before
    assert not tmpdir.exists() and len(_segments(archive_dir)) == 1


def _safe(pred) -> bool:
    try:
        return pred()
    except OSError:  # a folder vanished between the checks
        return False
