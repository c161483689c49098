"""Speed work that has observable behaviour: how commits merge segments, how batches grow,
that big texts are counted without copies. (Timings belong to bench/, not here.)"""

from __future__ import annotations

import random

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
    paths = files(tmp_path, 20, "g")
    res = ingest.add_paths(open_archive(archive_dir, create=True), paths, jobs=1)
    assert len(res) == 20 and {r.status for r in res} == {"added"}
    # each batch as large as all before it (at least BATCH_SIZE): 2, 2, 4, 8, then the rest
    assert sorted(n for _, n, _ in segments(archive_dir)) == [2, 2, 4, 4, 8]


def test_small_commits_merge_small_segments_and_leave_big_ones_alone(tmp_path, archive_dir):
    from brieftool.engine import open_archive
    from brieftool.engine.whoosh import MERGE_FACTOR
    from brieftool.ingest import add_paths

    add_paths(open_archive(archive_dir, create=True), files(tmp_path, 120, "big"), batch_size=60, jobs=1)
    big = {sid for sid, n, _ in segments(archive_dir)}
    assert len(big) == 2
    added = []
    for i, p in enumerate(files(tmp_path, 2 * MERGE_FACTOR + 3, "one")):
        added += [r.id for r in add_paths(open_archive(archive_dir), [p])]
        segs = segments(archive_dir)
        assert big <= {sid for sid, _, _ in segs}, f"a big segment was merged to add file {i}"
        per_class: dict[int, int] = {}
        for _, _, live in segs:
            per_class[len(str(live))] = per_class.get(len(str(live)), 0) + 1
        assert max(per_class.values()) <= MERGE_FACTOR, segs  # the one-file segments stay few
    small = [n for sid, n, _ in segments(archive_dir) if sid not in big]
    assert len(small) < MERGE_FACTOR and max(small) > 1  # some were merged together
    assert len(ids_of(archive_dir)) == 120 + len(added)


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
