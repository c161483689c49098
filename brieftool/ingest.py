"""`brief add` and `brief sync`: paths -> walk -> read + extract (in parallel) -> archive (in batches).

The pipeline, for one run:

1. **Walk** (``walk.py``): the paths become a list of entries (names and ``stat`` results
   only; nothing is read).
2. **Skip unread** what has not changed: a file whose path, size and modification time are
   those stored for it is ``unchanged`` without being opened. The map ``source -> (size,
   mtime, id)`` is read once per run (``Archive.source_stats``). Options or spreadsheet
   values for such a file are applied to its stored record without reading the file.
3. **Read, decode, hash, extract** the rest, in chunks, across the machine's cores
   (``concurrent.futures.ProcessPoolExecutor``; in-process for small runs, where starting
   processes costs more than it saves). At most a few chunks are in flight, so memory stays
   flat however many files there are.
4. **Store** under the write lock, in input order: added / updated / unchanged is decided
   against the archive as it is then (two `brief add` at once cannot add the same text
   twice). Options win over the text; tags are merged; fields set by hand are kept; a file
   whose text is already archived under a path that no longer exists is a move (same id,
   tags, everything; only the source changes).
5. **Commit in batches** (every ``batch_size`` changes when given, else in batches that grow
   with the run, and at least every ``batch_seconds``): an interrupted run (Ctrl-C, or a
   killed process) keeps every batch already committed, and a re-run skips those files
   unread. Results are handed to ``on_result`` only once the batch holding them is
   committed, so a line saying "added" is always true. For big runs the writer is Whoosh's
   multi-process one (``procs=2, multisegment=True``). A batch checkpoint merges no segments
   (Whoosh re-sorts every posting of the segments it merges, which made the batch commits
   the largest cost of a big add); the run's last commit merges only small segments
   (``engine/whoosh.py``, ``tiered_merge``).

Files found by walking a folder (or a quoted glob) in a format that is not read (images,
archives, EPUB: ``readers.BinaryFileError``) are ``skipped`` with the reason; a file named explicitly that is
not text ``failed``, as any other file that cannot be read.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .models import Brief, BriefError, UsageError, clean_label, count_words, norm_tag

# Fields an option of `add` can set; options win over what the text says.
OVERRIDABLE = ("title", "authors", "date", "tags", "type", "organization")

BATCH_SIZE = 1000  # changes per commit
BATCH_CHARS = 16_000_000  # and at most about this much text per commit (a batch's texts stay in memory)
# The first SMALL_BATCHES batches of a run hold at most BATCH_SIZE changes and SMALL_BATCH_CHARS
# characters: then each of Whoosh's two sub-writers indexes about 2 M characters, which its
# posting pool (WRITER_LIMITMB) holds without spilling sorted runs to disk and merging them back
# (measured, 20,000 pieces: batches of 1,000 cost what the floor costs, 111 CPU s; batches of
# 2,000-3,800, 115-131 s). Past that, batches grow (so a big run does not make hundreds of segments).
SMALL_BATCHES = 20
SMALL_BATCH_CHARS = 4_500_000
BATCH_SECONDS = 60.0  # at most this long between commits
CHUNK = 32  # files per job sent to a worker process
PARALLEL_MIN = 200  # fewer files to read than this: read them in this process
MULTIPROC_WRITER_MIN = 500  # fewer new texts than this: Whoosh's plain writer
WRITER_LIMITMB = 32  # Whoosh's posting pool, per writer process (measured: 20,000 briefs peak 109 MB vs 217)
SNIFF_ABOVE = 1024 * 1024  # a walked file bigger than this has its head checked before it is read
STDIN = "-"
FEW_FILES = 200  # at most this many inputs (files to read): keys are looked up one by one, no
# map of every source/id/hash in the archive is read (what makes adding one file cost the same
# on any size of archive)


class _Everything:
    """A 'superset' of keys that holds every key: each one is looked up in the index."""

    def __contains__(self, key) -> bool:
        return True

    def add(self, key) -> None:
        pass

    def __ior__(self, other):
        return self


_ALL = _Everything()


class _Hashes:
    """A superset of string keys (text hashes, sources) kept as their hashes: about 60 bytes a
    key instead of 140-170 for the string (a 100,000-brief archive's keys: tens of MB). A
    key whose hash is here may still be absent (a lookup in the index tells), never the
    other way round."""

    __slots__ = ("_h",)

    def __init__(self, keys=()):
        self._h = {hash(k) for k in keys}

    def __contains__(self, key) -> bool:
        return hash(key) in self._h

    def add(self, key) -> None:
        self._h.add(hash(key))

    def __ior__(self, other):
        self._h.update(hash(k) for k in other)
        return self


@dataclass
class AddResult:
    path: str
    status: str  # added / updated / unchanged / skipped / failed (dry-run; would-add... for sync --dry-run)
    id: str | None = None
    error: str | None = None
    title: str = ""
    notes: list[str] = field(default_factory=list)
    brief: Brief | None = None
    sources: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"path": self.path, "status": self.status, "id": self.id, "error": self.error}


@dataclass
class Prepared:
    """A file read and understood, not yet written."""

    path: str
    brief: Brief
    sources: dict
    notes: list[str]
    option_tags: list[str] = field(default_factory=list)  # the tags given as options (not read from the text)


@dataclass
class Summary:
    """What a run did; ``line()`` is the one-line summary printed at the end."""

    inputs: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    not_done: int = 0  # inputs not processed (or processed but not committed) when interrupted
    dry_run: bool = False
    metadata_unused: int | None = None  # spreadsheet rows that matched no file
    empty: int = 0  # empty files found in folders (skipped without a line each)

    def count(self, r: AddResult) -> None:
        key = r.status.removeprefix("would-")
        key = {"add": "added", "update": "updated", "remove": "removed"}.get(key, key)
        if key in ("added", "updated", "unchanged", "skipped", "failed", "removed"):
            setattr(self, key, getattr(self, key) + 1)

    def line(self) -> str:
        would = "would be " if self.dry_run else ""
        parts = [f"{self.added:,} {would}added", f"{self.updated:,} {would}updated",
                 f"{self.unchanged:,} unchanged", f"{self.skipped:,} skipped", f"{self.failed:,} failed"]
        if self.removed:
            parts.append(f"{self.removed:,} {would}removed")
        if self.empty:
            parts.append(f"{self.empty:,} empty file{'s' if self.empty != 1 else ''} skipped")
        done = self.inputs - self.not_done
        rate = f", {done / self.seconds:,.0f}/s" if self.seconds >= 1 and done else ""
        s = f"{', '.join(parts)} ({self.inputs:,} input{'s' if self.inputs != 1 else ''} in {self.seconds:.1f} s{rate})"
        if self.interrupted:
            s = (f"Interrupted; kept: {s}. {self.not_done:,} not processed: run the same command again "
                 "to add the rest")
        return s


@dataclass
class AddOptions:
    """How to run an add; see :func:`ingest`."""

    overrides: dict | None = None  # option values (title, authors, date, tags, type, organization)
    metadata: object | None = None  # a metadata_csv.MetadataTable
    recursive: bool = True
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    hidden: bool = False
    follow_links: bool = False  # follow symbolic links that lead outside a folder walked
    batch_size: int | None = None  # changes per commit (None: growing batches, see _Batches.batch_limit)
    batch_seconds: float = BATCH_SECONDS
    jobs: int | None = None  # worker processes for reading (None: one per core; 1: this process)
    writer_procs: int | None = None  # Whoosh writer processes (None: automatic; 1: the plain writer)
    lock_timeout: float = 30.0
    on_wait: Callable[[], None] | None = None
    stdin: object | None = None  # a binary stream for '-' (default: sys.stdin.buffer)
    dry_run: bool = False  # decide everything, write nothing (statuses would-add/would-update)


# -- field values ------------------------------------------------------------------------------
def clean_overrides(overrides: dict | None) -> dict:
    """Normalise option values: drop unset ones, clean labels, dedupe lists."""
    out = {}
    for k, v in (overrides or {}).items():
        if k not in OVERRIDABLE:
            raise ValueError(f"unknown field {k}")
        if v is None or v == [] or v == ():
            continue
        if k in ("authors", "tags"):
            seen, vals = set(), []
            for x in v:
                x = clean_label(x)
                if k == "tags" and "," in x:
                    raise BriefError(f"tag {x!r} contains a comma; give each tag its own --tag", 2)
                if x and norm_tag(x) not in seen:
                    seen.add(norm_tag(x))
                    vals.append(x)
            if vals:
                out[k] = vals
        elif k == "date":
            out[k] = v
        else:
            v = clean_label(v)
            if v:
                out[k] = v
    return out


def merge_tags(*lists: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for lst in lists:
        for t in lst:
            k = norm_tag(t)
            if k and k not in seen:
                seen.add(k)
                out.append(t)
    return out


def combine_overrides(sheet: dict, options: dict) -> dict:
    """Spreadsheet values under command-line options: options win, tags are combined."""
    if not sheet:
        return options
    out = dict(sheet)
    out.update({k: v for k, v in options.items() if k != "tags"})
    if "tags" in options or "tags" in sheet:
        out["tags"] = merge_tags(options.get("tags", ()), sheet.get("tags", ()))
    return out


def prepare(path: str, text: str | None = None, *, overrides: dict, known_tags=(), vocabulary=None,
            size: int | None = None, mtime_ns: int | None = None, doc=None) -> Prepared:
    """Build the record for a text (or a ``readers.Document``: its text, format, pages and raw
    hash, and its metadata as hints for the metadata reader): extracted fields, then the
    options on top."""
    from .engine.base import text_sha256
    from .extract import extract

    from .names import readable

    if doc is not None:
        text = doc.text
    from_file = bool(path) and path != STDIN
    ex = extract(text, filename=readable(os.path.basename(path)) if from_file else None,
                 known_tags=known_tags, vocabulary=vocabulary, hints={**doc.meta, "format": doc.format} if doc is not None else None)
    f = dict(ex.fields)
    sources = dict(ex.sources)
    for k, v in overrides.items():
        if k == "tags":
            f["tags"] = merge_tags(v, f.get("tags", ()))
            sources["tags"] = "option" if not ex.fields.get("tags") else f"option + {ex.sources.get('tags')}"
        else:
            f[k] = v
            sources[k] = "option"
    b = Brief(
        title=f.get("title", "") or (readable(Path(path).stem) if from_file else ""),
        authors=list(f.get("authors", [])),
        date=f.get("date"),
        tags=list(f.get("tags", [])),
        type=f.get("type", ""),
        organization=f.get("organization", ""),
        org_abbr=f.get("org_abbr", ""),
        source=path,
        url=f.get("url") or f.get("source_url") or "",
        sha256=text_sha256(text),
        words=count_words(text),
        text=text,
        body_start=ex.body_start,
        source_size=size,
        source_mtime_ns=mtime_ns,
        manual={k for k in overrides if k != "tags"},
    )
    if doc is not None:
        b = b.replace(format=doc.format, pages=doc.pages, raw_sha256=doc.raw_sha256)
    return Prepared(path, b, sources, list(ex.notes), list(overrides.get("tags", ())))


# -- decisions (under the write lock) ----------------------------------------------------------
def _with_options(rec: Brief, b: Brief, option_tags: Sequence[str], text_tags: Sequence[str]) -> Brief:
    """A stored record with the options of this add on top (fields in ``b.manual`` win, tags
    merged). The text's own tags are merged back only while no tag was taken away by hand."""
    changed = rec
    for k in b.manual:
        if getattr(changed, k) != getattr(b, k):
            changed = changed.replace(**{k: getattr(b, k)}, manual=changed.manual | {k})
    extra = option_tags if "tags" in rec.manual else merge_tags(option_tags, text_tags)
    new_tags = merge_tags(changed.tags, extra)
    if new_tags != changed.tags:
        changed = changed.replace(tags=new_tags)
    return changed


def store(w, p: Prepared, *, now: _dt.datetime | None = None) -> AddResult:
    """Decide added / updated / unchanged for a prepared file and write it (under the lock)."""
    b = p.brief
    now = now or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    from_file = bool(b.source) and b.source != STDIN
    same = w.find_sha(b.sha256)
    same_file = False
    if same is None and b.raw_sha256:
        twin = w.find_raw(b.raw_sha256)
        if twin is not None and not (from_file and twin.source == b.source):
            same, same_file = twin, True  # the same file's bytes under another name: one brief
    if same is not None:
        changed = same
        moved = (from_file and same.source != b.source
                 and (not same.source or same.source == STDIN or not os.path.exists(same.source)))
        if moved:
            changed = changed.replace(source=b.source)  # the file moved: keep id and tags
        changed = _with_options(changed, b, p.option_tags, b.tags)
        if from_file and changed.source == b.source:
            changed = changed.replace(source_size=b.source_size, source_mtime_ns=b.source_mtime_ns)
        notes = list(p.notes)
        if _meta_differs(changed, same):
            if moved and same.source:
                notes.append(f"moved from {same.source}")
            w.put(changed)
            return AddResult(p.path, "updated", changed.id, title=changed.title, notes=notes, brief=changed)
        if (changed.source_size, changed.source_mtime_ns) != (same.source_size, same.source_mtime_ns):
            w.put(changed)  # remember size/mtime so the next re-add can skip it unread
        if same.source and same.source != b.source:
            notes.append(f"same {'file' if same_file else 'text'} as {same.id} ({same.source})")
        return AddResult(p.path, "unchanged", same.id, title=same.title, notes=notes, brief=changed)
    old = w.find_source(b.source) if from_file else None
    if old is not None:
        # A tag taken away by hand (``tags`` in manual) must not come back from the new text.
        tags = merge_tags(old.tags, p.option_tags) if "tags" in old.manual else merge_tags(old.tags, b.tags)
        upd = b.replace(id=old.id, added=old.added, tags=tags, manual=old.manual | b.manual)
        for k in old.manual - b.manual - {"tags"}:
            upd = upd.replace(**{k: getattr(old, k)})  # fields set by hand survive a text update
        w.put(upd)
        return AddResult(p.path, "updated", upd.id, title=upd.title, notes=p.notes, brief=upd)
    new = b.replace(id=w.new_id(b.sha256), added=now)
    w.put(new)
    return AddResult(p.path, "added", new.id, title=new.title, notes=p.notes, brief=new)


def store_touch(w, path: str, brief_id: str, overrides: dict, notes: list[str]) -> AddResult | None:
    """A file unchanged since it was stored (same size and mtime), given options: apply them to
    the stored record without reading the file. None when the record has gone meanwhile."""
    rec = w.get(brief_id)
    if rec is None:
        return None
    b = rec.replace(**{k: v for k, v in overrides.items() if k != "tags"},
                    manual={k for k in overrides if k != "tags"})
    changed = _with_options(rec, b, overrides.get("tags", ()), ())
    if _meta_differs(changed, rec):
        w.put(changed)
        return AddResult(path, "updated", changed.id, title=changed.title, notes=notes, brief=changed)
    return AddResult(path, "unchanged", rec.id, title=rec.title, notes=notes)


def _meta_differs(a: Brief, b: Brief) -> bool:
    keys = ("title", "authors", "date", "tags", "type", "organization", "source")
    return any(getattr(a, k) != getattr(b, k) for k in keys)


# -- reading (in worker processes or in this one) ----------------------------------------------
_known_tags: list[str] = []
_vocabulary: list[str] = []


def _init_worker(known_tags, vocabulary) -> None:
    global _known_tags, _vocabulary
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _known_tags, _vocabulary = known_tags, vocabulary


def _read_one(job) -> Prepared | AddResult:
    """Read, decode, hash and extract one file. ``job``: (path, source, explicit, size, overrides, notes)."""
    from .readers import BinaryFileError, ReadError, read_path, sniff

    path, source, explicit, size, ov, notes = job
    try:
        if not explicit and size is not None and size > SNIFF_ABOVE:
            from .fsafe import open_read

            with open_read(path, fifo_ok=False) as fh:
                reason = sniff(fh.read(64 * 1024), os.path.basename(path))
            if reason:
                raise BinaryFileError(reason)
        d = read_path(path, on_page=_page_hook(path))
        p = prepare(source, overrides=ov, known_tags=_known_tags, vocabulary=_vocabulary,
                    size=d.size, mtime_ns=d.mtime_ns, doc=d)
    except BinaryFileError as e:
        if explicit:
            return AddResult(path, "failed", error=f"{path}: {e}")
        return AddResult(path, "skipped", error=f"{path}: {e}")
    except ReadError as e:
        return AddResult(path, "failed", error=f"{path}: {e}")
    except OSError as e:
        return AddResult(path, "failed", error=f"{path}: {(e.strerror or str(e)).lower()}")
    except Exception as e:  # a bug must not lose a long run: report the file, carry on
        return AddResult(path, "failed", error=f"{path}: internal error ({type(e).__name__}: {e})")
    p.path = path
    p.notes = list(notes) + list(d.warnings) + p.notes
    return p


def _read_chunk(jobs: list) -> list:
    return [_read_one(j) for j in jobs]


# Children forked during a run (reader pool, Whoosh's sub-writers) ignore Ctrl-C (the parent
# stops cleanly) and, on Linux, die with the parent: a killed `brief add` leaves no process
# behind that would keep the archive's lock file open.
_RUN_PID: int | None = None
# ``on_page`` of the current run: pages read of a long PDF, reported from this process only
# (a file read by a worker process has no one to tell).
_PAGE_PROGRESS: Callable[[str, int, int], None] | None = None


def _page_hook(path: str):
    cb = _PAGE_PROGRESS
    if cb is None or os.getpid() != _RUN_PID:
        return None
    return lambda i, n: cb(path, i, n)


def _after_fork_in_child() -> None:
    if _RUN_PID is None:
        return
    with contextlib.suppress(Exception):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != _RUN_PID:  # the parent died before the line above
                os._exit(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _pool(jobs: int, known_tags, vocabulary):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(known_tags, vocabulary))


# -- the batch writer --------------------------------------------------------------------------
class _Batches:
    """The archive writer of one run, opened when the first change needs it and committed
    every ``size`` changes or ``seconds``. Results wait in ``buffer`` until the batch that
    holds them is committed; then they go to ``emit``."""

    def __init__(self, archive, stack: contextlib.ExitStack, opts: AddOptions, writer_kw: dict,
                 emit: Callable[[AddResult], None], on_phase: Callable[[str], None] | None = None):
        self.archive = archive
        self.on_phase = on_phase or (lambda phase: None)
        self.stack = stack
        self.opts = opts
        self.writer_kw = writer_kw
        self.emit = emit
        self.aw = None
        self.buffer: list[AddResult] = []
        self.t_batch = 0.0
        self.chars = 0  # characters of text written since the last commit
        self.commits = 0
        self.committed = 0  # changes committed by this run
        # Supersets of the ids, hashes and sources in the index (plus what this run wrote):
        # a key not in them needs no index lookup.
        self.ids: set[str] = set()
        self.shas = _Hashes()
        self.sources = _Hashes()
        self.raws = _Hashes()
        self.few = False  # set by the run: few files to read (see FEW_FILES)

    def _open(self):
        if self.aw is None:
            if self.opts.dry_run:
                self.aw = _dry_writer(self.archive)
            else:
                self.aw = self.stack.enter_context(self.archive.writer(
                    lock_timeout=self.opts.lock_timeout, on_wait=self.opts.on_wait, **self.writer_kw))
                aw = self.aw
                # On an error the writer is cancelled: end Whoosh's sub-writer processes first.
                self.stack.push(lambda et, e, tb: aw.stop_subwriters() if et else None)
            if self.few:
                self.ids = self.shas = self.sources = self.raws = _ALL
            else:
                ids, shas, sources = self.aw.known_keys()  # read under the lock
                self.ids, self.shas, self.sources = ids, _Hashes(shas), _Hashes(sources)
                del shas, sources
                self.raws = _Hashes(self.aw.known_raw())
            self.t_batch = time.monotonic()
        return self.aw

    # what store() needs
    def find_sha(self, sha):
        aw = self._open()
        return aw.find_sha(sha) if sha in self.shas else None

    def find_source(self, source):
        aw = self._open()
        from .names import index_term

        return aw.find_source(source) if index_term(source) in self.sources else None

    def find_raw(self, raw):
        aw = self._open()
        return aw.find_raw(raw) if raw in self.raws else None

    def get(self, brief_id):
        return self._open().get(brief_id)

    def new_id(self, sha):
        from .engine.base import id_candidates

        self._open()
        for cand in id_candidates(sha):
            if cand not in self.ids or (self.ids is _ALL and not self.aw.id_taken(cand)):
                return cand
        raise AssertionError("unreachable")  # pragma: no cover

    def put(self, b: Brief) -> None:
        aw = self._open()
        new = b.id not in self.ids
        if not aw.put_fast(b, new=new):  # written earlier in this batch: commit that first
            self.checkpoint()
            if b.text is None:  # made from that record as the batch held it (without its text)
                b = b.replace(text=self.aw.get(b.id).text)
            if not self.aw.put_fast(b):  # pragma: no cover - a fresh batch has nothing pending
                raise AssertionError("put after checkpoint")
        self.chars += len(b.text)
        self.ids.add(b.id)
        self.shas.add(b.sha256)
        if b.source:
            from .names import index_term

            self.sources.add(index_term(b.source))
        if b.raw_sha256:
            self.raws.add(b.raw_sha256)

    # batching
    def pending(self) -> int:
        return self.aw.changes if self.aw is not None else 0

    def record(self, r: AddResult) -> None:
        r.brief = None  # its text need not wait in memory for the commit
        self.buffer.append(r)
        if not self.pending():
            self.flush()

    def batch_limit(self) -> int:
        """Changes per batch: ``batch_size`` when given; else BATCH_SIZE for the run's first
        SMALL_BATCHES batches (see there), then each as large as all the run committed before it,
        so a 100,000-file add makes about 40 commits, not 100. The time limit still holds, so an interrupted run loses at
        most ``batch_seconds`` of work; and a batch ends once its texts pass BATCH_CHARS (they are
        held until it is committed), so memory does not grow with the run."""
        if self.opts.batch_size:
            return self.opts.batch_size
        if self.commits < SMALL_BATCHES:
            return BATCH_SIZE
        return max(BATCH_SIZE, self.committed)

    def chars_limit(self) -> int:
        return min(BATCH_CHARS, SMALL_BATCH_CHARS) if self.commits < SMALL_BATCHES else BATCH_CHARS

    def maybe_checkpoint(self) -> None:
        n = self.pending()
        if n and (n >= self.batch_limit() or time.monotonic() - self.t_batch >= self.opts.batch_seconds
                  or (not self.opts.batch_size and self.chars >= self.chars_limit())):
            self.checkpoint()

    def checkpoint(self) -> None:
        if self.pending() and not self.opts.dry_run:
            self.on_phase("committing")
            n = self.pending()
            others = self.aw.checkpoint(lock_timeout=self.opts.lock_timeout, on_wait=self.opts.on_wait,
                                        **self.writer_kw)
            self.committed += n
            if others:  # another process wrote between two batches: our key sets are stale
                ids, shas, sources = self.aw.known_keys()
                self.ids |= ids
                self.shas |= shas
                self.sources |= sources
                self.raws |= self.aw.known_raw()
            self.commits += 1
            self.on_phase("adding")
        self.t_batch = time.monotonic()
        self.chars = 0
        self.flush()

    def flush(self) -> None:
        buf, self.buffer = self.buffer, []
        for r in buf:
            self.emit(r)


def _dry_writer(archive):
    """A dry run's writer: the engine's (lookups, nothing written), or with no archive yet one
    that finds nothing."""
    if archive is None:
        return _NoArchiveWriter()
    return archive.dry_writer()


class _NoArchiveWriter:
    """A dry run with no archive yet: everything would be added."""

    def __init__(self):
        self._pending: dict[str, Brief] = {}
        self._by_sha: dict[str, str] = {}
        self._by_raw: dict[str, str] = {}
        self.changes = 0

    def find_sha(self, sha):
        return self._pending.get(self._by_sha.get(sha, ""))

    def find_source(self, source):
        return None

    def find_raw(self, raw):
        return self._pending.get(self._by_raw.get(raw, ""))

    def get(self, brief_id):
        return self._pending.get(brief_id)

    def put_fast(self, b, *, new=False):
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.raw_sha256:
            self._by_raw[b.raw_sha256] = b.id
        return True

    def id_taken(self, brief_id):
        return brief_id in self._pending

    def known_keys(self):
        return set(), set(), set()

    def known_raw(self):
        return set()


# -- the run -----------------------------------------------------------------------------------
def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _default_jobs() -> int:
    env = os.environ.get("BRIEF_JOBS")
    if env and env.strip().isdigit() and int(env) > 0:
        return int(env)
    return _cpus()


def _writer_kw(opts: AddOptions, new_texts: int) -> dict:
    """Writer options: segments as separate files (``compound=False``: a reader then reads
    them on demand; Whoosh copies a compound segment whole into memory for every reader),
    a smaller in-memory posting pool than Whoosh's 128 MB (``limitmb``: the pool spills to
    disk sooner, so merging segments does not grow memory with the archive), and Whoosh's
    multi-process writer for big runs (on Linux, with two or more cores)."""
    kw: dict = {"compound": False, "limitmb": WRITER_LIMITMB}
    procs = opts.writer_procs
    if procs is None:
        env = os.environ.get("BRIEF_WRITER_PROCS")
        if env and env.strip().isdigit():
            procs = int(env)
    if procs is None:
        procs = 2 if new_texts >= MULTIPROC_WRITER_MIN and _cpus() >= 2 else 1
    if procs > 1 and sys.platform.startswith("linux"):
        kw.update(procs=procs, multisegment=True)
    return kw


def ingest(archive, paths: Iterable[str], opts: AddOptions | None = None, *,
           on_result: Callable[[AddResult], None] | None = None,
           on_total: Callable[[int], None] | None = None,
           on_advance: Callable[[int], None] | None = None,
           on_phase: Callable[[str], None] | None = None,
           stop: Callable[[], bool] | None = None,
           on_page: Callable[[str, int, int], None] | None = None) -> Summary:
    """Add files, folders, globs and '-' (standard input) to ``archive``; see the module docstring.

    ``on_page(path, i, n)``: page i of n of a PDF read in this process has been read (a long
    PDF's progress).

    ``on_total(n)`` is called once the inputs are known (n entries); ``on_advance(k)`` as k
    more are decided; ``on_phase("committing")``/``on_phase("adding")`` around each commit;
    ``on_result(r)`` once per input, in input order, when its batch is
    committed. ``stop()`` is polled between files: when it returns True the run commits what
    it has decided and ends (``Summary.interrupted``). ``archive`` may be None only in a dry run.
    """
    from .walk import Walker

    global _RUN_PID, _PAGE_PROGRESS
    opts = opts or AddOptions()
    t0 = time.monotonic()
    summary = Summary(dry_run=opts.dry_run)
    options = clean_overrides(opts.overrides)
    table = opts.metadata

    walker = Walker(recursive=opts.recursive, include=opts.include, exclude=opts.exclude, hidden=opts.hidden,
                    follow_links=opts.follow_links)
    own = [str(archive.path)] if archive is not None and archive.path is not None else []
    entries = [e for e in walker.expand(paths)
               if not (not e.explicit and own and under(e.source, own))  # the archive's own files
               and not (table is not None and e.size is not None and not e.explicit and table.is_this_file(e.source))]
    summary.inputs = len(entries)
    summary.empty = walker.empty
    del walker  # and the inodes it saw
    if on_total:
        on_total(len(entries))

    stats: dict = {}
    if archive is not None and archive.count():
        if len(entries) <= FEW_FILES:  # a few files: look each up, do not read the whole map
            stats = archive.source_stats_for(e.source for e in entries if not e.error and not e.skip
                                             and e.path != STDIN)
        else:
            stats = archive.source_stats()

    def overrides_for(source: str) -> tuple[dict, list[str]]:
        if table is None or source == STDIN:
            return options, []
        sheet, notes = table.fields_for(source)
        return combine_overrides(clean_overrides(sheet), options), notes

    # Classify: ("result", AddResult) | ("read", job) | ("touch", (path, id, ov, notes)) | ("stdin", entry)
    def classify(e):
        if e.error:
            return "result", AddResult(e.path, "failed", error=f"{e.path}: {e.error}")
        if e.skip:
            return "result", AddResult(e.path, "skipped", error=f"{e.path}: {e.skip}")
        if e.path == STDIN:
            return "stdin", e
        ov, notes = overrides_for(e.source)
        st = stats.get(e.source)
        if st is not None and e.size is not None and st[0] == e.size and st[1] == e.mtime_ns:
            if not ov:
                return "result", AddResult(e.path, "unchanged", st[2], title=st[3], notes=notes)
            return "touch", (e.path, st[2], ov, notes)
        return "read", (e.path, e.source, e.explicit, e.size, ov, notes)

    plan = [classify(e) for e in entries]
    to_read = sum(1 for kind, _ in plan if kind == "read")

    known = archive.tag_keys() if archive is not None else []
    from .extract import load_vocabulary

    vocab = load_vocabulary(archive.vocabulary_path) if archive is not None and archive.vocabulary_path else []
    jobs = opts.jobs or _default_jobs()
    parallel = jobs > 1 and to_read >= PARALLEL_MIN
    writer_kw = _writer_kw(opts, to_read)

    emitted = 0

    def emit(r: AddResult) -> None:
        nonlocal emitted
        emitted += 1
        if opts.dry_run and r.status in ("added", "updated"):
            r.status = "would-add" if r.status == "added" else "would-update"
            if r.status == "would-add":
                r.id = None  # the id is only given when it is stored
        summary.count(r)
        if on_result:
            on_result(r)

    global _known_tags, _vocabulary
    _known_tags, _vocabulary = known, vocab
    _RUN_PID = os.getpid()
    _PAGE_PROGRESS = on_page
    pool = None
    try:
        if parallel:
            pool = _pool(min(jobs, (to_read + CHUNK - 1) // CHUNK), known, vocab)
        with contextlib.ExitStack() as stack:
            batches = _Batches(archive, stack, opts, writer_kw, emit, on_phase)
            batches.few = to_read <= FEW_FILES
            for kind, item in _stream(plan, pool, jobs):
                if stop is not None and stop():
                    summary.interrupted = True
                    break
                if kind == "result":
                    r = item
                elif kind == "stdin":
                    r = _read_stdin(item, opts, options)
                    if isinstance(r, Prepared):
                        r = store(batches, r)
                elif kind == "touch":
                    path, bid, ov, notes = item
                    r = store_touch(batches, path, bid, ov, notes)
                    if r is None:  # the record went away meanwhile: read the file after all
                        e = next(x for x in entries if x.path == path)
                        r = _read_one((e.path, e.source, e.explicit, e.size, ov, notes))
                        if isinstance(r, Prepared):
                            r = store(batches, r)
                else:  # a Prepared or an AddResult from a reader
                    r = store(batches, item) if isinstance(item, Prepared) else item
                batches.record(r)
                if on_advance:
                    on_advance(1)
                batches.maybe_checkpoint()
            if pool is not None:  # done (or interrupted): end the readers and wait for them
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
            if batches.pending() and on_phase:
                on_phase("committing")  # the last batch, as the writer is closed
        batches.flush()  # the last batch is committed
    finally:
        _RUN_PID = None
        _PAGE_PROGRESS = None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    summary.not_done = summary.inputs - emitted
    summary.seconds = time.monotonic() - t0
    if table is not None:
        summary.metadata_unused = table.unused_rows()
    return summary


def _stream(plan: list, pool, jobs: int) -> Iterator[tuple[str, object]]:
    """The plan in order, files read in chunks (by the pool, a few chunks ahead, or here)."""
    window: deque = deque()
    ahead = max(2, 3 * jobs)
    i = 0
    n = len(plan)

    def submit():
        nonlocal i
        start = i
        i = min(n, i + CHUNK)
        part = plan[start:i]
        reads = [item for kind, item in part if kind == "read"]
        fut = pool.submit(_read_chunk, reads) if pool is not None and reads else None
        window.append((part, fut))

    while i < n or window:
        while i < n and len(window) < ahead:
            submit()
        part, fut = window.popleft()
        read = iter(fut.result()) if fut is not None else None
        for kind, item in part:
            if kind == "read":
                yield "prepared", (next(read) if read is not None else _read_one(item))
            else:
                yield kind, item


def _read_stdin(e, opts: AddOptions, options: dict) -> Prepared | AddResult:
    from .readers import ReadError, read_bytes

    stream = opts.stdin if opts.stdin is not None else sys.stdin.buffer
    try:
        data = stream.read()
        d = read_bytes(data, None)
        warnings = d.warnings
        p = prepare(STDIN, overrides=options, known_tags=_known_tags, vocabulary=_vocabulary, doc=d)
    except ReadError as ex:
        return AddResult(STDIN, "failed", error=f"standard input: {ex}")
    except OSError as ex:
        return AddResult(STDIN, "failed", error=f"standard input: {(ex.strerror or str(ex)).lower()}")
    p.notes = list(warnings) + p.notes
    return p


# -- library entry points ----------------------------------------------------------------------
def add_paths(archive, paths: Iterable[str], *, overrides: dict | None = None, dry_run: bool = False,
              lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None,
              on_result: Callable[[AddResult], None] | None = None, **options) -> list[AddResult]:
    """Add files (folders, globs, '-') to the archive; every input gets one AddResult, in order.
    Failures do not stop the rest. ``options`` are the other fields of :class:`AddOptions`.

    With ``dry_run`` nothing is written and every readable file gets a ``dry-run`` result
    carrying the record it would make (``brief``) and where each field came from (``sources``).
    """
    results: list[AddResult] = []

    def collect(r: AddResult) -> None:
        results.append(r)
        if on_result:
            on_result(r)

    if dry_run:
        return _dry_run_fields(archive, paths, overrides, collect, **options)
    opts = AddOptions(overrides=overrides, lock_timeout=lock_timeout, on_wait=on_wait, **options)
    ingest(archive, paths, opts, on_result=collect)
    return results


def _dry_run_fields(archive, paths, overrides, collect, **options) -> list[AddResult]:
    """`brief add --dry-run`: what would be stored for each file and where each field came from."""
    from .extract import load_vocabulary
    from .walk import Walker

    ov = clean_overrides(overrides)
    table = options.get("metadata")
    global _known_tags, _vocabulary
    _known_tags = archive.tag_keys() if archive is not None else []
    _vocabulary = (load_vocabulary(archive.vocabulary_path)
                   if archive is not None and archive.vocabulary_path else [])
    walker = Walker(recursive=options.get("recursive", True), include=options.get("include", ()),
                    exclude=options.get("exclude", ()), hidden=options.get("hidden", False),
                    follow_links=options.get("follow_links", False))
    out: list[AddResult] = []
    for e in walker.expand(paths):
        if table is not None and e.size is not None and not e.explicit and table.is_this_file(e.source):
            continue
        if e.error:
            r = AddResult(e.path, "failed", error=f"{e.path}: {e.error}")
        elif e.skip:
            r = AddResult(e.path, "skipped", error=f"{e.path}: {e.skip}")
        else:
            notes: list[str] = []
            fov = ov
            if table is not None and e.path != STDIN:
                sheet, notes = table.fields_for(e.source)
                fov = combine_overrides(clean_overrides(sheet), ov)
            if e.path == STDIN:
                p = _read_stdin(e, AddOptions(stdin=options.get("stdin")), fov)
            else:
                p = _read_one((e.path, e.source, e.explicit, e.size, fov, notes))
            if isinstance(p, Prepared):
                r = AddResult(p.path, "dry-run", None, title=p.brief.title, notes=p.notes, brief=p.brief,
                              sources=p.sources)
            else:
                r = p
        out.append(r)
        collect(r)
    return out


# -- sync --------------------------------------------------------------------------------------
def under(source: str, folders: Iterable[str]) -> bool:
    for f in folders:
        f = os.path.join(os.path.abspath(f), "")
        if source.startswith(f):
            return True
    return False


def gone_from(archive, folders: Sequence[str]) -> list[tuple[str, str, str]]:
    """(id, source, title) of the briefs whose source file was under one of ``folders`` and no
    longer exists there."""
    out = []
    for src, (_size, _mtime, bid, title) in archive.source_stats().items():
        if src != STDIN and under(src, folders) and not os.path.lexists(src):
            out.append((bid, src, title))
    return sorted(out, key=lambda x: x[1])


def check_sync_folders(folders: Sequence[str]) -> None:
    for f in folders:
        if f == STDIN:
            raise UsageError("sync takes folders, not standard input ('-'); use 'brief add -'")
        if not os.path.isdir(f):
            what = "no such folder" if not os.path.exists(f) else "not a folder"
            raise UsageError(f"cannot sync {f}: {what}")
