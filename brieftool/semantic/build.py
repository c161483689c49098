"""`brief embed`: compute the missing vectors of an archive, in batches that each commit.

The work is done outside the write lock (embedding is slow: tens of passages a second); each
batch is then committed under it, after checking that every brief it embedded is still in
the index with the same text. A batch commits every ``COMMIT_SECONDS`` of work: killed or
interrupted, at most that much is lost, and a re-run does only what is still missing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import Brief, BriefError
from . import require
from . import store

COMMIT_SECONDS = 15.0  # BRIEF_EMBED_COMMIT_SECONDS overrides it (the tests commit every batch)
CHUNK_PASSAGES = 16  # about this many passages (one run of the model) between progress reports
CHUNK_BRIEFS = 64
CHARS_PER_PASSAGE = 1000  # a passage of 256 wordpieces is about 1,000 characters of English


def _chunks(briefs: list[Brief]):
    """Consecutive groups of briefs of about CHUNK_PASSAGES passages each."""
    group, est = [], 0.0
    for b in briefs:
        group.append(b)
        est += max(1.0, len(b.text) / CHARS_PER_PASSAGE)
        if est >= CHUNK_PASSAGES or len(group) >= CHUNK_BRIEFS:
            yield group
            group, est = [], 0.0
    if group:
        yield group


@contextlib.contextmanager
def _no_interrupt():
    """Ctrl-C waits until a commit is complete, then takes effect."""
    import signal

    got = []
    try:
        old = signal.signal(signal.SIGINT, lambda *a: got.append(True))
    except ValueError:  # not the main thread: nothing to defer
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if got:
            raise KeyboardInterrupt


@dataclass
class EmbedResult:
    embedded: int = 0  # briefs given vectors by this run
    passages: int = 0
    already: int = 0  # briefs that had vectors
    left: int = 0  # briefs still without (interrupted)
    skipped: int = 0  # changed or removed while being embedded (a re-run does them)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    interrupted: bool = False
    ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"embedded": self.embedded, "passages": self.passages, "already": self.already,
                "left": self.left, "skipped": self.skipped, "seconds": round(self.seconds, 2),
                "interrupted": self.interrupted}


@contextlib.contextmanager
def write_lock(archive, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None):
    from ..engine.whoosh_maint import _write_lock

    with _write_lock(archive, lock_timeout, on_wait):
        yield


def _generation(archive) -> int:
    return archive.ix.latest_generation()


def live_briefs(archive, ids: list[str] | None = None, query: str | None = None) -> list[Brief]:
    if query:
        from ..curate import select_briefs

        chosen = select_briefs(archive, query)
        if ids:
            keep = set(ids)
            chosen = [b for b in chosen if b.id in keep]
        return chosen
    if ids:
        return archive.get_many(ids)
    return list(archive.all())


def embed_archive(archive, ids: list[str] | None = None, *, query: str | None = None, lock_timeout: float = 30.0,
                  on_wait: Callable[[], None] | None = None,
                  on_start: Callable[[int, int], None] | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  commit_seconds: float | None = None) -> EmbedResult:
    """Give vectors to the briefs (all, ``ids``, or those matching ``query``) that lack them,
    and switch the archive to keeping vectors. ``on_start(briefs to do, already)``;
    ``on_progress(briefs done, passages done)``. Ctrl-C commits what is done and returns."""
    require("brief embed")
    import os

    from . import model

    if commit_seconds is None:
        try:
            commit_seconds = float(os.environ.get("BRIEF_EMBED_COMMIT_SECONDS", COMMIT_SECONDS))
        except ValueError:
            commit_seconds = COMMIT_SECONDS
    store.require_local(archive)
    t0, c0 = time.monotonic(), time.process_time()
    res = EmbedResult()
    with write_lock(archive, lock_timeout, on_wait):
        store.enable(archive.path, _generation(archive))
    with archive.searcher() as s:
        gen = s.reader().generation()
    m = store.read_manifest(archive.path, gen)
    fresh_model = m is None or m.model != store.current_model()
    have = {} if fresh_model else m.briefs
    todo = []
    for b in live_briefs(archive, ids, query):
        e = have.get(b.id)
        if e is not None and e[3] == store.text_key(b):
            res.already += 1
        else:
            todo.append(b)
    if on_start:
        on_start(len(todo), res.already)
    if not todo:
        res.seconds = time.monotonic() - t0
        return res
    done: list[tuple] = []  # (briefs, matrix, spans) computed and not yet committed
    try:
        model.get()  # load once, before the clock of the first batch starts
        last = time.monotonic()
        k = 0
        for chunk in _chunks(todo):
            matrix, spans = store.embed_briefs(chunk)
            done.append((chunk, matrix, spans))
            k += len(chunk)
            res.passages += len(matrix)
            if on_progress:
                on_progress(k, res.passages)
            if time.monotonic() - last >= commit_seconds:
                batch, done = done, []
                with _no_interrupt():
                    _commit(archive, batch, res, lock_timeout, on_wait)
                last = time.monotonic()
    except KeyboardInterrupt:
        res.interrupted = True
    finally:
        if done:
            try:
                with _no_interrupt():
                    _commit(archive, done, res, lock_timeout, on_wait)
            except KeyboardInterrupt:
                res.interrupted = True
    res.left = len(todo) - res.embedded - res.skipped
    res.seconds = time.monotonic() - t0
    res.cpu_seconds = time.process_time() - c0
    return res


def _commit(archive, done, res: EmbedResult, lock_timeout: float, on_wait) -> None:
    """Under the write lock: the computed vectors of briefs still in the index with the same
    text go into a new manifest of the current generation (next sequence number)."""
    import numpy as np

    with write_lock(archive, lock_timeout, on_wait):
        gen = _generation(archive)
        if not store.enabled(archive.path):  # `brief embed --off` in between
            raise BriefError("the archive's vectors were switched off while embedding; nothing more was saved")
        m = store.read_manifest(archive.path, gen)
        if m is None or m.model != store.current_model():
            m = store.Manifest(model=store.current_model(), generation=gen, seq=-1)
        m.seq = m.seq + 1 if m.generation == gen else 0
        m.generation = gen
        ids = [b.id for chunk, _, _ in done for b in chunk]
        from ..search import records

        now = records(archive, ids)
        rows, spans = [], []
        for chunk, matrix, sp in done:
            row = 0
            for bid, n, key in sp:
                cur = now.get(bid)
                if cur is not None and store.text_key(cur) == key:
                    rows.append(matrix[row:row + n])
                    spans.append((bid, n, key))
                    res.ids.append(bid)
                else:
                    res.skipped += 1
                row += n
        if spans:
            store.add_vectors(archive.path, m, np.concatenate(rows) if rows else np.zeros((0, 384), np.float32),
                              spans)
            res.embedded += len(spans)
        store.maybe_merge(archive.path, m)
        store.write_manifest(archive.path, m)
        store.clean(archive.path, above=gen)


def embed_status(archive) -> dict:
    store.require_local(archive)
    with archive.searcher() as s:
        gen = s.reader().generation()
    ids = [b for b in _all_ids(archive)]
    st = store.status(archive.path, gen, ids)
    return st


def _all_ids(archive) -> list[str]:
    from ..engine.whoosh_maint import _ids_of

    return list(_ids_of(archive))


def embed_off(archive, *, lock_timeout: float = 30.0, on_wait=None) -> int:
    store.require_local(archive)
    with write_lock(archive, lock_timeout, on_wait):
        return store.disable(archive.path)
