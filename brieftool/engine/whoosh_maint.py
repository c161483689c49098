"""The Whoosh engine's maintenance: checking an archive folder and rebuilding its index."""

from __future__ import annotations

import collections
import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import whoosh_compat  # noqa: F401  (before the first Whoosh import)

from ..maintain import (MAX_PROBLEMS_PER_KIND, REINDEX_DIR, CheckReport, ReindexResult, _reason,  # noqa: E402
                        iter_records, json_line, record_from_json, record_to_json, stored_to_json)
from ..models import BriefError  # noqa: E402
from ..fsafe import fsync_path as _fsync_path  # noqa: E402


def check_archive(path: Path | str | None = None) -> CheckReport:
    """Verify an archive without changing it: format version, the index opens and has the
    current layout, every record is complete and well-formed, each text matches its sha256,
    every id is unique and findable. A missing folder or a folder that is not an archive
    raises BriefError (there is nothing to check)."""
    from whoosh import index

    from .whoosh import FORMAT_VERSION, INDEX_NAME, META_FILE, default_index_dir, make_schema
    from .whoosh import WhooshArchive as Archive

    path = Path(path) if path is not None else default_index_dir()
    rep = CheckReport(str(path))
    meta = path / META_FILE
    try:
        is_archive = meta.is_file()
    except PermissionError:
        raise BriefError(f"archive {path} cannot be read: permission denied") from None
    if not is_archive and not (path.is_dir() and any(n.startswith(f"_{INDEX_NAME}_") and n.endswith(".toc")
                                                     and n != f"_{INDEX_NAME}_0.toc" for n in os.listdir(path))):
        Archive.open(path)  # raises the right message: no archive / not an archive
        raise BriefError(f"{path} is not a brief archive (no {META_FILE})")  # pragma: no cover
    try:
        if not is_archive:  # an index that held briefs, without its brief.json: damage
            raise FileNotFoundError(META_FILE)
        info = json.loads(meta.read_text("utf-8"))
        rep.format = int(info["format"])
    except PermissionError:
        raise BriefError(f"archive {path} cannot be read: permission denied") from None
    except (OSError, ValueError, KeyError, TypeError):
        rep.problems.append(f"{META_FILE} is missing, unreadable or has no format version (run 'brief salvage': it "
                            "writes a new one)")
    if rep.format is not None and rep.format > FORMAT_VERSION:
        rep.problems.append(f"the archive was written by a newer brief (format {rep.format}; this brief reads up "
                            f"to {FORMAT_VERSION}): upgrade brief before using it")
        return rep
    if rep.format is not None and rep.format < FORMAT_VERSION:
        rep.problems.append(f"the archive has the older format {rep.format}: run 'brief reindex' to upgrade it")
    try:
        ix = index.open_dir(str(path), indexname=INDEX_NAME)
        searcher = ix.searcher()
    except PermissionError:
        raise BriefError(f"archive {path} cannot be read: permission denied") from None
    except Exception as e:  # any damage to Whoosh's files
        from .whoosh_integrity import toc_advice

        rep.problems.append(f"the index cannot be opened ({type(e).__name__}: {e}); {toc_advice(path)}")
        return rep
    from .whoosh_integrity import verify

    try:
        verify(path, rep.problems, rep.notes)  # every segment file against its checksums
    except Exception as e:
        rep.problems.append(f"the segment files cannot be verified ({type(e).__name__}: {e}): run 'brief salvage'")
    with searcher:
        _check_schema(ix.schema, make_schema(), rep)
        try:
            _check_records(searcher, rep)
        except Exception as e:  # damage that stops the reading of records
            rep.problems.append(f"the records cannot all be read ({type(e).__name__}: {e}): run 'brief salvage'")
    if (path / REINDEX_DIR).exists():
        rep.notes.append(f"a 'brief reindex' is running or was interrupted: its work folder {REINDEX_DIR} is "
                         "removed by the next reindex (the archive does not use it)")
    return rep


def _check_schema(have, want, rep: CheckReport) -> None:
    from .whoosh import ADDED_FIELDS

    hn, wn = set(have.names()), set(want.names()) - (set(ADDED_FIELDS) - set(have.names()))
    diff = sorted(hn ^ wn)
    changed = sorted(n for n in hn & wn if type(have[n]) is not type(want[n]))
    if diff or changed:
        rep.problems.append(f"the index has a different layout from this brief's (fields {', '.join(diff + changed)}): "
                            "run 'brief reindex'")


CHECK_SPLIT_MIN = 4000  # briefs from which `check` reads the second half of the segments in a child process


class _Part:
    """What checking some segments found, in the order found: the problems (kind, line), the
    records read, the ids and text hashes seen (first-seen order), and the line that ended the
    reading when the records could not all be read."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self.briefs = 0
        self.ids: collections.Counter = collections.Counter()
        self.shas: dict[str, list[str]] = {}
        self.fatal: str | None = None


def _check_leaves(leaves) -> _Part:
    """Check the records of some segments (``leaves``: (segment reader, offset) in index order)."""
    from .whoosh import doc_to_brief

    part = _Part()
    # Which documents each id and hash term points at, read from the term lists in one pass per
    # segment (a lookup per record probed every segment: most of check's time).
    indexed = {f: _term_docs(leaves, f) for f in ("id", "sha256")}
    for leaf, offset in leaves:
        docs = leaf.iter_docs()  # one record at a time: an archive may be larger than memory
        while True:
            try:
                local, stored = next(docs)
            except StopIteration:
                break
            except Exception as e:
                part.fatal = (f"the stored records cannot be read ({type(e).__name__}: {e}); restore from an "
                              "export with 'brief import' into a new archive")
                return part
            docnum = local + offset
            part.briefs += 1
            bid = stored.get("id")
            name = f"brief {bid}" if isinstance(bid, str) and bid else f"record #{docnum}"
            try:
                d = stored_to_json(stored)
                record_from_json(d, strict=True)
                doc_to_brief(stored)
            except ValueError as e:
                part.events.append(("incomplete record", f"{name}: {e}"))
                continue
            except Exception as e:
                part.events.append(("incomplete record", f"{name}: cannot be read ({type(e).__name__}: {e})"))
                continue
            part.ids[bid] += 1
            part.shas.setdefault(d["sha256"], []).append(bid)
            if not _in(indexed["id"], bid, docnum):
                part.events.append(("not findable", f"{name}: not findable by its id (the index is inconsistent): "
                                                    "run 'brief reindex'"))
            elif not _in(indexed["sha256"], d["sha256"], docnum):
                part.events.append(("not findable", f"{name}: not findable by its hash (the index is inconsistent): "
                                                    "run 'brief reindex'"))
    return part


def _split(leaves) -> tuple[list, list]:
    """The segments in two runs of about equal numbers of records (index order kept)."""
    total = sum(r.doc_count_all() for r, _ in leaves)
    first, n = [], 0
    for i, (r, off) in enumerate(leaves):
        if first and n + r.doc_count_all() / 2 > total / 2:
            return first, list(leaves[i:])
        first.append((r, off))
        n += r.doc_count_all()
    return first, []


def _check_in_child(leaves) -> Callable[[], "_Part | None"]:
    """Start :func:`_check_leaves` in a forked child; return the function that waits for its
    result (None if the child failed). Safe with the parent's open readers: the child reads
    only these segments' files, which the parent does not read until the child is done
    (Whoosh's files are read by seek + read)."""
    import pickle

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            os.close(r)
            data = pickle.dumps(_check_leaves(leaves), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)

    def join():
        with os.fdopen(r, "rb") as f:
            data = f.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            return pickle.loads(data)
        except Exception:
            return None

    return join


def _check_records(searcher, rep: CheckReport) -> None:
    leaves = list(searcher.reader().leaf_readers())
    per_kind: collections.Counter = collections.Counter()

    def problem(kind: str, msg: str) -> None:
        per_kind[kind] += 1
        if per_kind[kind] <= MAX_PROBLEMS_PER_KIND:
            rep.problems.append(msg)
        elif per_kind[kind] == MAX_PROBLEMS_PER_KIND + 1:
            rep.problems.append(f"(more problems of this kind: {kind}; not all are listed)")

    # On a big archive the second half of the segments is read by a child process, at the same
    # time: reading and hashing every text is most of check's time. The parts are reported in
    # index order, so the report is the one a single pass gives.
    first, second = _split(leaves) if sum(r.doc_count_all() for r, _ in leaves) >= CHECK_SPLIT_MIN else (leaves, [])
    join = _check_in_child(second) if second else None
    parts = [_check_leaves(first)]
    if join is not None:
        later = join()
        parts.append(later if later is not None else _check_leaves(second))
    ids: collections.Counter = collections.Counter()
    shas: dict[str, list[str]] = collections.defaultdict(list)
    for part in parts:
        rep.briefs += part.briefs
        for kind, msg in part.events:
            problem(kind, msg)
        if part.fatal:
            rep.problems.append(part.fatal)
            return
        ids.update(part.ids)
        for sha, owners in part.shas.items():
            shas[sha].extend(owners)
    for bid, n in sorted(ids.items()):
        if n > 1:
            problem("duplicate id", f"id {bid} is used by {n} records: run 'brief reindex' (it gives the extra "
                                    "records new ids)")
    for sha, owners in shas.items():
        if len(owners) > 1:
            rep.notes.append(f"briefs {', '.join(sorted(owners))} have the same text")


def _term_docs(leaves, fieldname: str) -> dict:
    """{term: global document number, or a set of them} of one field in some segments, from the
    term lists: a term of one document (ids and hashes, nearly always) carries its document in
    the term list itself (Whoosh inlines such postings), so no posting list is read for it."""
    out: dict = {}
    for leaf, offset in leaves:
        try:
            terms = list(leaf.iter_field(fieldname))
        except Exception:  # no such field in this segment
            continue
        for tbytes, ti in terms:
            text = tbytes.decode("utf-8") if isinstance(tbytes, bytes) else tbytes
            try:
                nums = ([ti.min_id()] if ti.doc_frequency() == 1
                        else list(leaf.postings(fieldname, text).all_ids()))
            except Exception:  # a damaged posting list: the documents count as not findable
                continue
            for n in nums:
                g = n + offset
                have = out.get(text)
                if have is None:
                    out[text] = g
                elif isinstance(have, set):
                    have.add(g)
                else:
                    out[text] = {have, g}
    return out


def _in(term_docs: dict, value, docnum: int) -> bool:
    have = term_docs.get(value)
    return have == docnum or (isinstance(have, set) and docnum in have)


# -- reindex ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def _write_lock(archive, lock_timeout: float, on_wait: Callable[[], None] | None):
    """Hold the archive's write lock (the one Whoosh writers take) without opening a writer."""
    lock = archive.ix.lock("WRITELOCK")
    deadline = time.monotonic() + lock_timeout
    told = False
    while True:
        try:
            got = lock.acquire(blocking=False)
        except PermissionError:
            raise BriefError(f"archive {archive.path} is not writable: permission denied") from None
        if got:
            break
        if time.monotonic() >= deadline:
            raise BriefError(f"archive {archive.path} is locked by another brief process; gave up after "
                             f"{lock_timeout:g}s (raise --lock-timeout or BRIEF_LOCK_TIMEOUT)")
        if not told and on_wait is not None:
            on_wait()
            told = True
        time.sleep(0.05)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            lock.release()


def _ids_of(archive) -> Iterator[str]:
    with archive.searcher() as s:
        for stored in s.all_stored_fields():
            i = stored.get("id")
            if isinstance(i, str):
                yield i


def _write_meta(meta: Path, version: int) -> None:
    try:
        info = json.loads(meta.read_text("utf-8"))
        if not isinstance(info, dict):
            info = {}
    except (OSError, ValueError):
        info = {}
    info["format"] = version
    info["reindexed"] = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    from ..fsafe import replace_private

    replace_private(meta, (json.dumps(info) + "\n").encode("utf-8"))  # brief.json.tmp: never via a link


def reindex(archive, *, drop_bad: bool = False, lock_timeout: float = 30.0,
            on_wait: Callable[[], None] | None = None,
            on_progress: Callable[[int], None] | None = None) -> ReindexResult:
    """Rebuild the index from the stored records with the current schema, then swap it in.

    Under the write lock: read every record from the current index, write a fresh index
    in ``<archive>/.reindex``, move its segment files into the archive folder (names no
    current table of contents refers to) and finally write a table of contents of the next
    generation pointing at them, by rename: the one atomic step. Until then the old index
    is the archive; after it, the new one. Old files are then removed as after any commit.
    Records that cannot be read stop the rebuild (nothing changed) unless ``drop_bad``.
    Two records with one id: the second gets a new id (reported), or is dropped if identical.
    """
    from whoosh import index
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC, clean_files

    from .whoosh import FORMAT_VERSION, INDEX_NAME, META_FILE, brief_to_doc, id_candidates, make_schema

    res = ReindexResult()
    root = Path(archive.path)
    tmp = root / REINDEX_DIR
    swapped = False
    try:
        with _write_lock(archive, lock_timeout, on_wait):
            storage = FileStorage(str(root))
            old = TOC.read(storage, INDEX_NAME)
            from ..semantic.store import batch_for

            vec = batch_for(root, old.generation, full=True)  # the vectors follow the records
            from ..fsafe import remove_tree

            remove_tree(tmp)  # left by an interrupted reindex (never referenced), or a planted link
            tmp.mkdir(mode=0o700)  # fails rather than follow anything put back in its place
            new_ix = index.create_in(str(tmp), make_schema(), indexname=INDEX_NAME)
            # Segments as separate files, as `add` writes them (a reader then reads them on demand).
            w = new_ix.writer(limitmb=256, compound=False)
            try:
                errors: list[str] = []
                seen: dict[str, bytes] = {}  # id -> digest of the record kept under it
                taken: set[str] = set()
                if drop_bad:  # salvage: record by record, segment by segment (whoosh_integrity.py)
                    from .whoosh_integrity import salvage_records

                    taken.update(b.id for b in salvage_records(root, []))
                    source = salvage_records(root, errors)
                else:
                    taken.update(_ids_of(archive))
                    source = iter_records(archive, errors)
                for b in source:
                    digest = hashlib.sha256(json_line(record_to_json(b))).digest()
                    if b.id in seen:
                        if seen[b.id] == digest:
                            res.duplicates += 1
                            continue
                        fresh = next(c for c in id_candidates(b.sha256) if c not in taken)
                        res.renamed.append((b.id, fresh))
                        b = b.replace(id=fresh)
                    seen[b.id] = digest
                    taken.add(b.id)
                    w.add_document(**brief_to_doc(b))
                    if vec is not None:
                        vec.put(b)
                    res.briefs += 1
                    if on_progress:
                        on_progress(res.briefs)
                seen.clear()
                if errors and not drop_bad:
                    raise BriefError(f"{len(errors)} record{'s' if len(errors) > 1 else ''} cannot be read "
                                     f"({errors[0]}{'; …' if len(errors) > 1 else ''}); nothing was changed "
                                     "(run 'brief reindex --drop-bad' to rebuild without them)")
                res.dropped = errors
                w.commit(optimize=True)
            except BaseException:
                with contextlib.suppress(Exception):
                    w.cancel()
                raise
            built = TOC.read(FileStorage(str(tmp)), INDEX_NAME)
            segpat = TOC._segment_pattern(INDEX_NAME)
            for name in sorted(os.listdir(tmp)):
                if segpat.match(name):
                    _fsync_path(tmp / name)
                    os.replace(tmp / name, root / name)
            _fsync_path(root, directory=True)
            # The swap: a table of contents of the next generation, written by rename.
            gen = old.generation + 1
            if vec is not None:  # kept, re-keyed, or embedded again after a change of model
                vec.commit(gen)
            TOC(built.schema, built.segments, gen).write(storage, INDEX_NAME)
            swapped = True
            if vec is not None:
                vec.after_commit(gen)
            _fsync_path(root, directory=True)
            clean_files(storage, INDEX_NAME, gen, built.segments)
            shutil.rmtree(tmp, ignore_errors=True)
            from .whoosh_integrity import record_sums

            record_sums(root)
            _write_meta(root / META_FILE, FORMAT_VERSION)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if swapped:  # the new index is in place; only the clean-up or brief.json failed
            raise BriefError(f"reindex of {root} finished, but tidying up failed: {_reason(e)} "
                             "(run 'brief check')") from None
        raise BriefError(f"reindex of {root} failed: {_reason(e)}; the archive is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return res
