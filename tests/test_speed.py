"""Speed work that has observable behaviour: how commits merge segments, how batches grow,
that big texts are counted without copies. (Timings belong to bench/, not here.)"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from conftest import write


def brief_text(title: str, body: str = "") -> str:
    return f"Title: {title}\n\n{body or 'Some words about ' + title.lower() + '.'}\n"


def segments(archive_dir):
    from brieftool.engine.whoosh import WhooshArchive

    a = WhooshArchive.open(archive_dir)
    return [(s.segid, s.doc_count_all(), s.doc_count()) for s in a.ix._segments()]


def ids_of(archive_dir) -> set[str]:
    from brieftool.engine import open_archive

    return {b.id for b in open_archive(archive_dir).records()}


def files(tmp_path, n: int, prefix: str) -> list[str]:
    return [str(write(tmp_path / prefix / f"{prefix}{i:03d}.txt", brief_text(f"{prefix} number {i}",
                                                                        f"Body {prefix} {i} text.")))
            for i in range(n)]


def test_batch_checkpoints_merge_nothing_and_keep_every_brief(tmp_path, archive_dir):
    from brieftool.engine import open_archive
    from brieftool.ingest import add_paths

    paths = files(tmp_path, 12, "a")
    res = add_paths(open_archive(archive_dir, create=True), paths, batch_size=5, jobs=1)
    assert [r.status for r in res] == ["added"] * 12
    # 5 + 5 + 2: one segment a batch, none merged into another
    assert sorted(n for _, n, _ in segments(archive_dir)) == [2, 5, 5]
    assert ids_of(archive_dir) == {r.id for r in res}


def test_default_batches_grow_with_the_run(tmp_path, archive_dir, monkeypatch):
    from brieftool import ingest
    from brieftool.engine import open_archive

    monkeypatch.setattr(ingest, "BATCH_SIZE", 2)
    monkeypatch.setattr(ingest, "SMALL_BATCHES", 3)
    paths = files(tmp_path, 20, "g")
    res = ingest.add_paths(open_archive(archive_dir, create=True), paths, jobs=1)
    assert len(res) == 20 and {r.status for r in res} == {"added"}
    # SMALL_BATCHES batches of BATCH_SIZE, then each as large as all before it: 2, 2, 2, 6, then the rest
    assert sorted(n for _, n, _ in segments(archive_dir)) == [2, 2, 2, 6, 8]


def fifty_character_pieces(tmp_path) -> list[str]:
    """Ten texts of 50 characters each: two stay under 120 characters, three pass it."""
    paths = []
    for i in range(10):
        text = (f"Title: Piece {i:02d}\n\n" + "word " * 20)[:49] + "\n"
        paths.append(str(write(tmp_path / "p" / f"p{i}.txt", text)))
    return paths


def test_first_batches_end_at_small_batch_chars(tmp_path, archive_dir, monkeypatch):
    from brieftool import ingest
    from brieftool.engine import open_archive

    monkeypatch.setattr(ingest, "SMALL_BATCH_CHARS", 120)
    monkeypatch.setattr(ingest, "SMALL_BATCHES", 2)
    paths = fifty_character_pieces(tmp_path)
    res = ingest.add_paths(open_archive(archive_dir, create=True), paths, jobs=1)
    assert [r.status for r in res] == ["added"] * 10
    assert sorted(n for _, n, _ in segments(archive_dir)) == [3, 3, 4]  # 3, 3 (small), then the rest


def test_a_batch_ends_when_its_texts_pass_batch_chars(tmp_path, archive_dir, monkeypatch):
    """However large batches grow in number, the text a batch holds in memory is bounded."""
    from brieftool import ingest
    from brieftool.engine import open_archive

    monkeypatch.setattr(ingest, "BATCH_CHARS", 120)
    paths = fifty_character_pieces(tmp_path)
    res = ingest.add_paths(open_archive(archive_dir, create=True), paths, jobs=1)
    assert [r.status for r in res] == ["added"] * 10
    assert sorted(n for _, n, _ in segments(archive_dir)) == [1, 3, 3, 3]
    assert ids_of(archive_dir) == {r.id for r in res}


def test_small_commits_merge_small_segments_and_leave_big_ones_alone(tmp_path, archive_dir, monkeypatch):
    from brieftool.engine import open_archive, whoosh
    from brieftool.ingest import add_paths

    monkeypatch.setattr(whoosh, "MERGE_FACTOR", 3)
    monkeypatch.setattr(whoosh, "MERGE_BELOW", 5)  # segments of 5 briefs or more are "big"
    add_paths(open_archive(archive_dir, create=True), files(tmp_path, 20, "big"), batch_size=5, jobs=1)
    big = {sid for sid, n, _ in segments(archive_dir)}
    assert len(big) == 4  # four batches, never merged (even 4 >= MERGE_FACTOR of one size)
    added = []
    for i, p in enumerate(files(tmp_path, 12, "one")):
        added += [r.id for r in add_paths(open_archive(archive_dir), [p])]
        segs = segments(archive_dir)
        assert big <= {sid for sid, _, _ in segs}, f"a big segment was merged to add file {i}"
        small = [live for sid, _, live in segs if sid not in big]
        assert len([n for n in small if n < 5]) <= 3, segs  # the one-file segments stay few
    small = [n for sid, n, _ in segments(archive_dir) if sid not in big]
    assert max(small) > 1  # some were merged together
    assert len(ids_of(archive_dir)) == 20 + len(added) == 32


def test_mostly_deleted_segments_are_merged_away(tmp_path, archive_dir):
    from brieftool.curate import remove_briefs
    from brieftool.engine import open_archive
    from brieftool.ingest import add_paths

    res = add_paths(open_archive(archive_dir, create=True), files(tmp_path, 10, "d"), jobs=1)
    assert [n for _, n, _ in segments(archive_dir)] == [10]
    gone = [r.id for r in res[:6]]
    remove_briefs(open_archive(archive_dir), gone)
    segs = segments(archive_dir)
    assert [(n, live) for _, n, live in segs] == [(4, 4)]  # rewritten without the deleted six
    assert ids_of(archive_dir) == {r.id for r in res[6:]}


def test_no_commit_lists_a_segment_without_briefs(tmp_path, archive_dir):
    # Removing every brief of a segment merged it into a segment of none, which every search
    # then visited (and, having no columns, sorted by Whoosh's slower way): none is listed now.
    from brieftool.curate import remove_briefs
    from brieftool.engine import open_archive
    from brieftool.engine.whoosh_search import _search_by_relevance
    from brieftool.ingest import add_paths

    a = open_archive(archive_dir, create=True)
    kept = add_paths(a, files(tmp_path, 3, "k"), jobs=1)
    gone = [r.id for r in add_paths(open_archive(archive_dir), files(tmp_path, 2, "g"), jobs=1)]
    gone += [r.id for r in add_paths(open_archive(archive_dir), files(tmp_path, 1, "h"), jobs=1)]
    assert [n for _, n, _ in segments(archive_dir)] == [3, 2, 1]
    remove_briefs(open_archive(archive_dir), gone)
    assert [(n, live) for _, n, live in segments(archive_dir)] == [(3, 3)]
    assert ids_of(archive_dir) == {r.id for r in kept}
    from whoosh import query as Q

    with open_archive(archive_dir).searcher() as s:
        got = _search_by_relevance(s, Q.Term("body", "bodi"), None, None, 10)
        assert sorted(h["id"] for h in got) == sorted(r.id for r in kept)


def test_count_reads_the_table_of_contents_and_minds_deletions(tmp_path, archive_dir, monkeypatch):
    # count() (add's "is the archive empty?", stats' total) sums the segments' record counts
    # less their deletions from the table of contents: it opens no segment.
    from whoosh.index import FileIndex

    from brieftool.curate import remove_briefs
    from brieftool.engine import open_archive
    from brieftool.ingest import add_paths

    a = open_archive(archive_dir, create=True)
    assert a.count() == 0
    first = add_paths(a, files(tmp_path, 10, "c"), jobs=1)
    add_paths(open_archive(archive_dir), files(tmp_path, 3, "e"), jobs=1)
    remove_briefs(open_archive(archive_dir), [first[0].id, first[1].id])  # 2 of 10: the segment stays
    assert sorted((n, live) for _, n, live in segments(archive_dir)) == [(3, 3), (10, 8)]

    def no_reader(self, *a, **k):
        raise AssertionError("count() opened a reader")

    monkeypatch.setattr(FileIndex, "reader", no_reader)
    assert open_archive(archive_dir).count() == 11 == len(ids_of_records(archive_dir))


def ids_of_records(archive_dir) -> list[str]:
    from brieftool.engine.whoosh import WhooshArchive

    with WhooshArchive.open(archive_dir).searcher() as s:
        return [f["id"] for f in s.all_stored_fields()]


def test_count_words_in_chunks_is_str_split(monkeypatch):
    from brieftool import models

    monkeypatch.setattr(models, "_WORDS_CHUNK", 7)
    rnd = random.Random(13)
    for _ in range(2000):
        t = "".join(rnd.choice("ab \n\u2003\u00a0x\t") for _ in range(rnd.randint(0, 60)))
        assert models.count_words(t) == len(t.split()), repr(t)


@pytest.mark.parametrize("text", ["", "a", "é" * 5000 + " x", "word " * 3000, "\u2028".join(["z"] * 4000)])
def test_text_sha256_in_chunks_is_the_hash_of_the_utf8(text, monkeypatch):
    import hashlib

    from brieftool.engine import base

    monkeypatch.setattr(base, "_HASH_CHUNK", 1000, raising=False)
    assert base.text_sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- side data (engine/whoosh_side.py) ------------------------------------------------------------
AUTHORS = ["Jane Roe", "John Doe", "jane roe", "Ann Lee"]
TAGS = ["Sanctions", "Iran", "sanctions", "North Korea", "Trade"]


def rich_files(folder, n: int, prefix: str, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        tags = ", ".join(rnd.sample(TAGS, rnd.randint(0, 3)))
        date = f"Date: {rnd.randint(1990, 2024)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}\n" if i % 4 else ""
        text = (f"Title: {prefix} brief {i}\nAuthor: {rnd.choice(AUTHORS)}\n{date}"
                + (f"Tags: {tags}\n" if tags else "") + f"Organization: {rnd.choice(['FDD', 'RAND', 'Cato'])}\n\n"
                + " ".join(rnd.choice(["policy", "words", "sanction", "trade", "talks"]) for _ in range(rnd.randint(3, 40)))
                + f" {prefix}{i}\n")
        out.append(str(write(folder / prefix / f"{prefix}{i:03d}.txt", text)))
    return out


def side_agrees_with_records(archive_dir) -> None:
    """The side data says exactly what a pass over every stored record says."""
    from brieftool.engine import open_archive
    from brieftool.engine.base import Summary, record_dict

    a = open_archive(archive_dir)
    recs = list(a.records())
    scan = Summary.of({**record_dict(b), "id": b.id} for b in recs)
    side = a.summary()
    assert (side.briefs, side.words, side.undated) == (scan.briefs, scan.words, scan.undated) == (
        len(recs), sum(b.words for b in recs), sum(1 for b in recs if b.date is None))
    assert side.live_dates() == scan.live_dates()
    for kind in ("tag", "author", "org"):
        assert sorted(side.rows(kind)) == sorted(scan.rows(kind)), (kind, sorted(side.rows(kind)), sorted(scan.rows(kind)))
    assert a.source_stats() == {b.source: (b.source_size, b.source_mtime_ns, b.id, b.title) for b in recs if b.source}


def test_side_data_follows_every_kind_of_change(cli, tmp_path, archive_dir):
    from brieftool.engine import open_archive
    from brieftool.engine.whoosh_side import SIDE_DIR

    files = rich_files(tmp_path, 30, "s")
    r = cli("add", *files, "--json")
    assert r.exit_code == 0 and len(r.json) == 30
    ids = [x["id"] for x in r.json]
    side_agrees_with_records(archive_dir)
    assert any(p.name.endswith(".sum.json") for p in (archive_dir / SIDE_DIR).iterdir())
    tags = {name: n for name, n in open_archive(archive_dir).summary().rows("tag")}
    assert cli("tag", "+Fresh", "-Trade", *ids[:5]).exit_code == 0
    side_agrees_with_records(archive_dir)
    assert dict(open_archive(archive_dir).summary().rows("tag"))["Fresh"] == 5
    assert cli("remove", "--yes", *ids[5:9]).exit_code == 0
    side_agrees_with_records(archive_dir)
    assert cli("rename-tag", "sanctions", "Sanctions Policy").exit_code == 0
    side_agrees_with_records(archive_dir)
    assert cli("edit", ids[10], "--author", "Zed Zee", "--date", "1999-09-09").exit_code == 0
    side_agrees_with_records(archive_dir)
    more = rich_files(tmp_path, 8, "m", seed=2)
    assert cli("add", *more).exit_code == 0
    p = Path(files[12])
    p.write_text(p.read_text() + "\nchanged\n")
    assert cli("add", files[12]).exit_code == 0  # an update: delete + add
    side_agrees_with_records(archive_dir)
    assert tags  # the first summary had tags at all
    # the counts commands read it
    got = {x["name"]: x["count"] for x in cli("tags", "--json").json}
    assert got == dict(open_archive(archive_dir).summary().rows("tag"))


def test_side_data_is_rebuilt_when_missing_or_damaged(cli, tmp_path, archive_dir):
    import shutil

    from brieftool.engine.whoosh_side import SIDE_DIR

    assert cli("add", *rich_files(tmp_path, 12, "d")).exit_code == 0
    before = cli("stats", "--json").json
    shutil.rmtree(archive_dir / SIDE_DIR)
    assert cli("stats", "--json").json == before
    for f in (archive_dir / SIDE_DIR).iterdir():
        f.write_text("{not json" if f.name.endswith(".sum.json") else '{"v": 1, "segid": "other"}')
    assert cli("stats", "--json").json == before
    side_agrees_with_records(archive_dir)


def test_side_data_agrees_after_sigkill_at_each_commit_point(tmp_path, archive_dir):
    """SIGKILL `brief add` (batches of 5) and `brief stats` (while it writes side data) at many
    moments; after each, the side data agrees with the stored records."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), PYTHONPATH=str(ROOT))
    brief = [sys.executable, "-m", "brieftool"]
    subprocess.run(brief + ["add", *rich_files(tmp_path, 20, "base")], env=env, capture_output=True, check=True)
    subprocess.run(brief + ["stats"], env=env, capture_output=True, check=True)  # side data exists
    killed = 0
    for k, delay in enumerate([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.3]):
        files = rich_files(tmp_path, 40, f"k{k}", seed=k)
        kills = [(["add", "--batch-size", "5", *files], delay), (["stats"], delay / 4)]
        for args, d in kills:
            p = subprocess.Popen(brief + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(d)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed += 1
            p.wait()
            side_agrees_with_records(archive_dir)
    assert killed >= 6, f"only {killed} runs were killed while running"


# -- start-up -------------------------------------------------------------------------------------
def test_output_for_programs_never_imports_rich(tmp_path, archive_dir):
    """`--format json|jsonl|csv|ids` (and the --json of other commands) answer without Rich."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, SEED

    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), PYTHONPATH=str(ROOT))

    def modules(*args: str) -> tuple[str, str]:
        p = subprocess.run([sys.executable, "-X", "importtime", "-m", "brieftool", *args], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (args, p.stderr[-500:])
        return p.stdout, " ".join(ln.rsplit("|", 1)[-1].strip() for ln in p.stderr.splitlines() if "|" in ln)

    out, mods = modules("add", str(SEED), "--json")
    assert '"added"' in out and "rich" not in mods.split()
    for args in (["search", "sanctions", "--format", "json"], ["search", "sanctions", "--format", "jsonl"],
                 ["search", "sanctions", "--format", "csv"], ["search", "sanctions", "--format", "ids"],
                 ["list", "--format", "json"], ["list", "--format", "ids"], ["stats", "--json"],
                 ["tags", "--json"], ["export"]):
        out, mods = modules(*args)
        assert out.strip(), args
        assert not [m for m in mods.split() if m == "rich" or m.startswith("rich.")], args
    # ...while the table for people does use it
    out, mods = modules("search", "sanctions")
    assert "rich" in mods.split() and "sanctions" in out.lower()


# -- memory of one big document -------------------------------------------------------------------
def test_lean_stored_writes_the_same_records_as_whoosh(monkeypatch):
    """engine/whoosh.py pickles and compresses a stored dict holding a long string a piece at a
    time: the bytes written (and the column's lengths) must be Whoosh's own, byte for byte."""
    import io

    from whoosh import columns
    from whoosh.filedb.structfile import StructFile

    from brieftool.engine import whoosh as W

    monkeypatch.setattr(W, "LEAN_STORED_MIN", 5)
    monkeypatch.setattr(W, "_STORED_PIECE", 7)  # pieces cut everywhere, even inside a surrogate pair's place
    rnd = random.Random(3)
    vals = [None, {"id": "abc", "text": "héllo wörld \ud800 x" * 5, "rec": {"title": "t"}}, {"id": "q"},
            {"a": "short", "text": "€" * 50, "b": "z" * 30},
            {"text": "".join(rnd.choice("ab é\u2028\U0001f600\udc80\n") for _ in range(3000)), "other": [1, 2]},
            {"text": "same" * 9, "copy": None}]
    vals[-1]["copy"] = vals[-1]["text"]  # one string stored twice: pickled once, then referenced

    def written(add):
        buf = io.BytesIO()
        w = columns.PickleColumn(columns.CompressedBytesColumn()).writer(StructFile(buf))
        for docnum, v in enumerate(vals):
            add(w, docnum, v)
        return buf.getvalue(), list(w._child._lengths.array), w._child._offset_base, w._child._count

    cls = columns.PickleColumn.Writer
    assert getattr(cls, "_brief_lean", False)
    assert written(cls.add) == written(cls._brief_original_add)


def test_a_body_indexed_in_place_gives_the_postings_of_its_copy():
    """A big body after a header, or with its title in front, is indexed in place (engine/whoosh.py
    _Body) rather than as a copy of the text: the same postings as Whoosh's for the copy."""
    from whoosh import formats

    from brieftool.engine import whoosh as W

    field = W.make_schema()["body"]
    rnd = random.Random(5)
    words = ["sanctions", "Régime", "talks", "the", "of", "a", "Müller", "2024", "U.S.", "naïve", "\n", "—",
             "e\u0301t\u00e9", "...", "x.y"]
    for _ in range(200):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 200)))
        if rnd.random() < 0.3:
            text = text.replace(" ", "")  # starts in the middle of a word too
        start = rnd.randint(0, len(text))
        head = rnd.choice(["", "Title here\n\n", "The of a\n\n"])
        ours = list(field.format.word_values(W._Body((head, text, start)), field.analyzer, mode="index"))
        theirs = list(formats.Positions._brief_original_word_values(field.format, head + text[start:],
                                                                    field.analyzer, mode="index"))
        assert ours == theirs, (head, text, start)


def test_big_bodies_index_as_their_copies_did(tmp_path, monkeypatch):
    from brieftool.engine import open_archive
    from brieftool.engine import whoosh as W
    from brieftool.ingest import add_paths

    body = " ".join(f"the talks of wörd{i % 50} naïve" for i in range(300))
    texts = ["Title: Header first\nAuthor: Ann Lee\n\n" + body + "\n",  # body after a header
             "Some opening words\n\n" + body,  # title from the first line: in the body
             "Date: 2020-01-02\n\nNo title line here. " + body]  # the title put in front?
    paths = [str(write(tmp_path / "in" / f"t{i}.txt", t)) for i, t in enumerate(texts)]

    def postings(min_chars):
        monkeypatch.setattr(W, "LEAN_BODY_MIN", min_chars)
        d = tmp_path / f"a{min_chars}"
        add_paths(open_archive(d, create=True), paths, jobs=1)
        with open_archive(d).searcher() as s:
            r = s.reader()
            docs = {s.stored_fields(n)["rec"]["source"]: n for n in range(r.doc_count_all())}
            out = {src: r.doc_field_length(n, "body") for src, n in docs.items()}
            for term in r.lexicon("body"):
                m = r.postings("body", term)
                out[term] = sorted((r.stored_fields(n)["rec"]["source"], tuple(ps))
                                   for n, ps in m.items_as("positions"))
        return out

    in_place = postings(10)
    assert any(isinstance(W._body_with_title(open_archive(tmp_path / "a10").get(i)), W._Body)
               for i in [b.id for b in open_archive(tmp_path / "a10").records()])
    assert in_place == postings(10**9)


def test_a_big_text_is_stored_whole(tmp_path, archive_dir, monkeypatch):
    from brieftool.engine import open_archive
    from brieftool.engine import whoosh as W
    from brieftool.ingest import add_paths

    monkeypatch.setattr(W, "LEAN_STORED_MIN", 1000)
    monkeypatch.setattr(W, "_STORED_PIECE", 333)
    text = "Title: Big one\n\n" + " ".join(f"wörd{i} naïve \u2014 talks" for i in range(2000)) + "\n"
    res = add_paths(open_archive(archive_dir, create=True), [str(write(tmp_path / "big.txt", text))], jobs=1)
    assert [r.status for r in res] == ["added"]
    b = open_archive(archive_dir).get(res[0].id)
    assert b.text == text and b.title == "Big one"


def test_lean_positions_write_the_same_postings_as_whoosh():
    """engine/whoosh.py holds a document's positions in arrays while indexing it: the postings
    (term, frequency, weight, encoded positions) must be Whoosh's own, byte for byte."""
    from whoosh import formats

    from brieftool.engine import whoosh as W

    schema = W.make_schema()
    rnd = random.Random(7)
    words = ["sanctions", "Régime", "talks", "the", "of", "Müller", "tariffs", "2024", "U.S.", "naïve", "x"]
    text = " ".join(rnd.choice(words) for _ in range(20000)) + "\n\nLast line with zyxwvut."
    for name in ("body", "author", "org"):
        field = schema[name]
        fmt = field.format
        assert type(fmt) is formats.Positions and getattr(formats.Positions, "_brief_lean", False)
        ours = list(fmt.word_values(text, field.analyzer, mode="index"))
        theirs = list(formats.Positions._brief_original_word_values(fmt, text, field.analyzer, mode="index"))
        assert ours == theirs
        assert sum(freq for _, freq, _, _ in ours) > 10000
        got = {w: fmt.decode_positions(v) for w, _, _, v in ours}
        assert got["zyxwvut"] == [max(p for ps in got.values() for p in ps)]  # the last word, last position


def test_a_bulk_add_leaves_side_data_for_every_segment(tmp_path, archive_dir, monkeypatch):
    """The first `stats` after a big add reads summaries instead of computing them: the add's
    last commit computes them (only for runs of WARM_AFTER changes or more)."""
    from brieftool.engine import open_archive, whoosh
    from brieftool.engine.whoosh_side import SIDE_DIR
    from brieftool.ingest import add_paths

    monkeypatch.setattr(whoosh, "WARM_AFTER", 10)
    add_paths(open_archive(archive_dir, create=True), rich_files(tmp_path, 4, "few"), jobs=1)
    assert not (archive_dir / SIDE_DIR).exists()  # a small run leaves that to the first `stats`
    add_paths(open_archive(archive_dir), rich_files(tmp_path, 12, "many"), batch_size=5, jobs=1)
    segids = {seg.segment_id() for seg in whoosh.WhooshArchive.open(archive_dir).ix._segments()}
    assert len(segids) >= 3
    have = {p.name for p in (archive_dir / SIDE_DIR).iterdir()}
    assert have == {f"{s}.{kind}.json" for s in segids for kind in ("sum", "src")}
    side_agrees_with_records(archive_dir)


def test_a_bulk_add_whose_last_batch_fills_up_still_leaves_side_data(tmp_path, archive_dir, monkeypatch):
    # 15 files in batches of 5: the last batch is committed as a checkpoint and the final commit
    # has nothing left to write; the side data must be written all the same.
    from brieftool.engine import open_archive, whoosh
    from brieftool.engine.whoosh_side import SIDE_DIR
    from brieftool.ingest import add_paths

    monkeypatch.setattr(whoosh, "WARM_AFTER", 10)
    add_paths(open_archive(archive_dir, create=True), rich_files(tmp_path, 15, "round"), batch_size=5, jobs=1)
    segids = {seg.segment_id() for seg in whoosh.WhooshArchive.open(archive_dir).ix._segments()}
    assert len(segids) == 3
    have = {p.name for p in (archive_dir / SIDE_DIR).iterdir()}
    assert have == {f"{s}.{kind}.json" for s in segids for kind in ("sum", "src")}
    side_agrees_with_records(archive_dir)


def test_the_command_module_map_names_the_module_of_every_command():
    """`brief CMD` imports only the module COMMAND_MODULES names for CMD: it must be the one that
    registers CMD, for every command there is (a command missing from the map loads all)."""
    import typer.main

    from brieftool import cli

    group = typer.main.get_command(cli.app)
    defined = {}
    for info in cli.app.registered_commands:
        defined[info.name or info.callback.__name__.replace("_", "-")] = info.callback.__module__
    for info in cli.app.registered_groups:
        defined[info.typer_instance.info.name] = None  # a sub-app (config, saved): its module added it
    assert set(defined) == set(group.commands)
    for name in sorted(set(group.commands) - {"help", "man"}):
        mod = cli.COMMAND_MODULES.get(name)
        assert mod in cli.MODULES, name
        if defined[name] is not None:
            assert defined[name] == f"brieftool.cli.{mod}", name
    assert cli.modules_for(["--index", "/x", "search", "iran", "--format", "json"]) == ("query",)
    assert cli.modules_for(["list", "--index", "/x"]) == ("query",)
    assert cli.modules_for(["sync", "folder"]) == ("add",)
    for args in ([], ["--help"], ["help", "search"], ["man"], ["serch", "x"], ["-h", "search"], None):
        assert cli.modules_for(args) == cli.MODULES, args


def test_brief_started_as_a_command_imports_only_its_command_module(tmp_path, archive_dir):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), PYTHONPATH=str(ROOT))

    code = ("import sys\nfrom brieftool import launch\ntry:\n    launch.main()\nfinally:\n"
            "    print('MODULES', *sorted(m for m in sys.modules if m.startswith('brieftool.cli.')), file=sys.stderr)\n")

    def run(*args):  # as `brief ARGS` runs (the console script calls launch.main)
        p = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
        line = [ln for ln in p.stderr.splitlines() if ln.startswith("MODULES")][-1]
        return p, set(line.split()[1:])

    p, mods = run("add", str(write(tmp_path / "a.txt", brief_text("Sanctions on Iran"))), "--json")
    assert p.returncode == 0 and '"added"' in p.stdout
    assert mods == {"brieftool.cli.app", "brieftool.cli.options", "brieftool.cli.add"}, mods
    p, mods = run("search", "sanctions", "--format", "ids")
    assert p.returncode == 0 and len(p.stdout.split()) == 1
    assert "brieftool.cli.query" in mods and "brieftool.cli.add" not in mods and "brieftool.cli.curate" not in mods
    p, mods = run("--help")
    assert p.returncode == 0 and "rename-author" in p.stdout and "brieftool.cli.curate" in mods
    p, mods = run("serch", "sanctions")  # a typo: every command, so click can suggest one
    assert p.returncode == 2 and "search" in p.stderr


def test_relevance_order_is_whooshs_score_then_id_sort(tmp_path, archive_dir):
    """whoosh_search reads ids only for the best hits: the hits and their order must be those of
    Whoosh's own sort by (score, id), with ties, several segments, filters and masks."""
    from whoosh import query as Q

    from brieftool.engine import open_archive
    from brieftool.engine.whoosh_search import _by_relevance, _search_by_relevance
    from brieftool.ingest import add_paths

    rnd = random.Random(5)
    paths = []
    for i in range(60):
        body = "sanctions talks policy" if i % 3 else " ".join(rnd.choice(["sanctions", "talks", "trade", "policy"])
                                                               for _ in range(rnd.randint(2, 12)))
        paths.append(str(write(tmp_path / "r" / f"r{i:02d}.txt", f"Title: Doc {i:02d}\n\n{body}\n")))
    add_paths(open_archive(archive_dir, create=True), paths, batch_size=7, jobs=1)
    a = open_archive(archive_dir)
    assert len(list(a.ix._segments())) >= 5
    queries = [Q.Term("body", "sanction"), Q.Or([Q.Term("body", "talk"), Q.Term("body", "trade")]),
               Q.Term("body", "doc"), Q.And([Q.Term("body", "polici"), Q.Not(Q.Term("body", "trade"))])]
    with a.searcher() as s:
        for q in queries:
            for limit in (1, 3, 10, 25, None):
                for f, mask in ((None, None), (Q.Term("body", "talk"), None), (None, Q.Term("body", "trade"))):
                    want = s.search(q, filter=f, mask=mask, limit=limit, sortedby=_by_relevance())
                    got = _search_by_relevance(s, q, f, mask, limit)
                    assert [(h["id"], h.score) for h in got] == [(h["id"], h.score) for h in want], (q, limit)
                    assert len(got) == len(want) and got.docs() == want.docs()
        scores = [h.score[0] for h in s.search(queries[0], limit=None, sortedby=_by_relevance())]
        assert len(scores) > len(set(scores)) + 10  # many ties: the id decides their order


def test_a_search_in_two_processes_finds_what_one_finds(tmp_path, archive_dir, monkeypatch):
    """On a big archive the second half of the segments is scored by a forked child
    (whoosh_search._collect_in_two): the same hits, scores, order and totals as one process,
    for words, phrases, prefixes and ANDs, with the child reading the same files at the same time
    (each with its own offsets). A child that fails leaves its half to the parent."""
    from brieftool import search as S
    from brieftool.engine import open_archive
    from brieftool.engine import whoosh_search as ws
    from brieftool.ingest import add_paths

    rnd = random.Random(8)
    words = "sanctions talks policy trade debt national relief freeze summit envoy budget reform".split()
    paths = [str(write(tmp_path / "s" / f"s{i:03d}.txt",
                       f"Title: Memo {i} {rnd.choice(words)}\n\n" + " ".join(rnd.choice(words) for _ in range(rnd.randint(30, 600)))
                       + "\n")) for i in range(300)]
    add_paths(open_archive(archive_dir, create=True), paths, batch_size=30, jobs=1)
    queries = ["sanctions", '"national debt"', "trad*", "budget reform", "talks -freeze", "summit OR envoy", '"relief freeze"']

    def run_all():
        out = []
        for q in queries:
            for limit in (3, 10, None):
                r = S.search(open_archive(archive_dir), q, limit=limit, snippets=False)
                out.append((q, limit, r.total, [(h.brief.id, h.score) for h in r.hits]))
        return out

    alone = run_all()
    forks = []
    real_fork = os.fork

    def counting_fork():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(ws, "SPLIT_MIN_BRIEFS", 10)
    monkeypatch.setattr(ws, "SPLIT_MIN_SEGMENTS", 2)
    monkeypatch.setattr(os, "fork", counting_fork)
    assert len(list(open_archive(archive_dir).ix._segments())) >= 8
    for _ in range(3):
        assert run_all() == alone
    assert len(forks) == 3 * len(alone)  # every search ran in two processes
    from brieftool.engine import whoosh_warm

    monkeypatch.setattr(whoosh_warm, "own_offsets", lambda storage: False)  # the child gives up at once
    assert run_all() == alone
