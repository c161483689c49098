"""The archive: the one place that owns the Whoosh schema, writes records, locks and commits.

Everything Whoosh-specific about storage lives here (and, for query building, in
``query.py``), so the engine could be swapped without touching the CLI.

Layout of an archive folder::

    brief.json        format version and creation time (written last, on creation)
    vocabulary.txt    optional: topic labels the metadata reader should know (user-edited)
    MAIN_*.toc/seg    Whoosh's files
    MAIN_WRITELOCK    Whoosh's write lock (an flock: it dies with its process)

Writers: one at a time (Whoosh's rule). ``Archive.writer()`` waits for the lock, telling
the user once that it is waiting, and gives up after ``lock_timeout`` seconds with a clear
message. Readers need no lock: a commit writes new segment files and then swaps the table
of contents by rename, so a killed writer leaves the previous commit readable.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.index import LockError

from .models import Brief, BriefError, UsageError, norm_tag

FORMAT_VERSION = 1
META_FILE = "brief.json"
INDEX_NAME = "MAIN"
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford-style: no i, l, o, u
ID_LENGTH = 7

# Text fields: English stemming; the title counts more than the body.
_text = StemmingAnalyzer()
# Names and organizations: lowercase words, no stemming, no stop words ("ha" must match).
_names = RegexTokenizer() | LowercaseFilter()


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=_text, field_boost=2.0),
        body=fields.TEXT(analyzer=_text, phrase=True),
        author=fields.TEXT(analyzer=_names, phrase=True),
        author_key=fields.KEYWORD(commas=True, lowercase=True),
        tag=fields.KEYWORD(commas=True, lowercase=True),
        type=fields.KEYWORD(commas=True, lowercase=True),
        org=fields.TEXT(analyzer=_names, phrase=True),
        org_key=fields.KEYWORD(commas=True, lowercase=True),
        date=fields.DATETIME(sortable=True),
        year=fields.ID(),
        added=fields.DATETIME(sortable=True),
        title_sort=fields.ID(sortable=True),
        source=fields.ID(),
        sha256=fields.ID(),
        # Everything needed to rebuild the Brief, including the verbatim text.
        rec=fields.STORED(),
        text=fields.STORED(),
    )


# What a creation killed before it wrote brief.json leaves: an empty index. Such a folder is
# still "new" (a later write creates the archive in it; a read says there is no archive).
_CREATION_LEFTOVER = re.compile(rf"^(_{INDEX_NAME}_0\.toc(\.[0-9.]+)?|{INDEX_NAME}_WRITELOCK|{INDEX_NAME}\.tmp|"
                                rf"{re.escape(META_FILE)}\.tmp|\.gitkeep|\.DS_Store)$")  # placeholders count as empty


def default_index_dir() -> Path:
    """$BRIEF_INDEX, else the per-user data directory (XDG on Linux)."""
    env = os.environ.get("BRIEF_INDEX")
    if env:
        return Path(env).expanduser()
    if os.name == "nt":  # pragma: no cover - platform specific
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "brief" / "archive"
    if os.uname().sysname == "Darwin":  # pragma: no cover - platform specific
        return Path.home() / "Library" / "Application Support" / "brief" / "archive"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "brief" / "archive"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def id_candidates(sha256: str) -> Iterator[str]:
    """Short ids derived from the text's hash: the first window of 7 base32 characters,
    then later windows, should an earlier one be taken (a collision)."""
    digits = base64.b32encode(bytes.fromhex(sha256)).decode().lower().rstrip("=")
    std = "abcdefghijklmnopqrstuvwxyz234567"
    s = digits.translate(str.maketrans(std, ID_ALPHABET))
    for i in range(0, len(s) - ID_LENGTH + 1):
        yield s[i:i + ID_LENGTH]
    n = 0
    while True:  # pragma: no cover - 46 collisions in a row
        n += 1
        yield id_candidates_fallback(sha256, n)


def id_candidates_fallback(sha256: str, n: int) -> str:
    h = hashlib.sha256(f"{sha256}:{n}".encode()).digest()
    return base64.b32encode(h).decode().lower()[:ID_LENGTH].translate(
        str.maketrans("abcdefghijklmnopqrstuvwxyz234567", ID_ALPHABET))


def _day(d: _dt.date) -> _dt.datetime:
    return _dt.datetime(d.year, d.month, d.day)


def record_dict(b: Brief) -> dict:
    """Every field of a brief but its id and text, as plain JSON values: the stored record
    (and, with id and text, the export line)."""
    return {
        "title": b.title,
        "authors": list(b.authors),
        "date": b.date.isoformat() if b.date else None,
        "tags": list(b.tags),
        "type": b.type,
        "organization": b.organization,
        "org_abbr": b.org_abbr,
        "source": b.source,
        "sha256": b.sha256,
        "added": b.added.isoformat() if b.added else None,
        "words": b.words,
        "body_start": b.body_start,
        "source_size": b.source_size,
        "source_mtime_ns": b.source_mtime_ns,
        "manual": sorted(b.manual),
    }


def brief_to_doc(b: Brief) -> dict:
    """The Whoosh document for a brief: indexed fields plus the stored record."""
    rec = record_dict(b)
    doc = {
        "id": b.id,
        "title": b.title,
        "body": b.body,
        "rec": rec,
        "text": b.text,
        "title_sort": b.title.casefold() or "\uffff",
        "sha256": b.sha256,
    }
    if b.source:
        doc["source"] = b.source
    if b.authors:
        doc["author"] = " ; ".join(b.authors)
        doc["author_key"] = ",".join(a.replace(",", " ") for a in b.authors)
    if b.tags:
        doc["tag"] = ",".join(norm_tag(t).replace(",", " ") for t in b.tags)
    if b.type:
        doc["type"] = b.type.replace(",", " ")
    if b.organization or b.org_abbr:
        doc["org"] = f"{b.organization} {b.org_abbr}".strip()
    if b.organization:
        doc["org_key"] = b.organization.replace(",", " ")
    if b.date:
        doc["date"] = _day(b.date)
        doc["year"] = str(b.date.year)
    if b.added:
        doc["added"] = b.added.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return doc


def doc_to_brief(stored: dict) -> Brief:
    rec = stored["rec"]
    return Brief(
        id=stored["id"],
        title=rec["title"],
        authors=list(rec["authors"]),
        date=_dt.date.fromisoformat(rec["date"]) if rec.get("date") else None,
        tags=list(rec["tags"]),
        type=rec.get("type", ""),
        organization=rec.get("organization", ""),
        org_abbr=rec.get("org_abbr", ""),
        source=rec.get("source", ""),
        sha256=rec.get("sha256", ""),
        added=_dt.datetime.fromisoformat(rec["added"]) if rec.get("added") else None,
        words=rec.get("words", 0),
        text=stored.get("text", ""),
        body_start=rec.get("body_start", 0),
        source_size=rec.get("source_size"),
        source_mtime_ns=rec.get("source_mtime_ns"),
        manual=set(rec.get("manual", ())),
    )


class Archive:
    """A brief archive in one folder. Open with :meth:`open` or :meth:`create`."""

    def __init__(self, path: Path, ix):
        self.path = path
        self.ix = ix

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = False) -> "Archive":
        """Open an archive; with ``create`` make it if it does not exist.

        A read command passes ``create=False``: a missing archive is reported, nothing is made.
        """
        path = Path(path) if path is not None else default_index_dir()
        meta = path / META_FILE
        try:
            is_archive = meta.is_file()
        except PermissionError:
            raise BriefError(f"archive {path} cannot be read: permission denied") from None
        if is_archive:
            cls._check_format(path, meta)
            try:
                ix = index.open_dir(str(path), indexname=INDEX_NAME)
            except (OSError, index.EmptyIndexError) as e:
                raise BriefError(f"archive {path} cannot be opened ({e}); try 'brief check'") from None
            return cls(path, ix)
        if path.exists() and not path.is_dir():
            raise UsageError(f"archive path {path} is a file, not an archive folder")
        if path.is_dir() and any(not _CREATION_LEFTOVER.match(p.name) for p in path.iterdir()):
            raise UsageError(f"{path} is not a brief archive (no {META_FILE}); choose an empty or new folder")
        if not create:
            raise BriefError(f"no archive at {path} (add a brief first with 'brief add FILE', or pass --index DIR)")
        return cls._create(path)

    @classmethod
    def _check_format(cls, path: Path, meta: Path) -> None:
        try:
            info = json.loads(meta.read_text("utf-8"))
            version = int(info["format"])
        except (OSError, ValueError, KeyError, TypeError):
            raise BriefError(f"archive {path} has an unreadable {META_FILE}; try 'brief check'") from None
        if version > FORMAT_VERSION:
            raise BriefError(
                f"archive {path} has format {version}, newer than this brief understands ({FORMAT_VERSION}); "
                "upgrade brief")

    @classmethod
    def _create(cls, path: Path) -> "Archive":
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)  # the owner only: briefs may be private
            # Two processes creating at once: under the write lock only one creates; the other
            # opens its archive (create_in wipes the folder's index, a first commit included).
            from whoosh.filedb.filestore import FileStorage

            lock = FileStorage(str(path)).lock(f"{INDEX_NAME}_WRITELOCK")
            deadline = time.monotonic() + 60
            while not lock.acquire(blocking=False):
                if (path / META_FILE).is_file() or time.monotonic() > deadline:
                    return cls.open(path)
                time.sleep(0.02)
            try:
                if (path / META_FILE).is_file():
                    return cls.open(path)
                ix = index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
                info = {"format": FORMAT_VERSION, "created": _dt.datetime.now(_dt.timezone.utc).isoformat()}
                tmp = path / (META_FILE + ".tmp")
                tmp.write_text(json.dumps(info) + "\n", "utf-8")
                os.replace(tmp, path / META_FILE)
            finally:
                lock.release()
        except PermissionError:
            raise BriefError(f"cannot create archive at {path}: permission denied") from None
        except OSError as e:
            raise BriefError(f"cannot create archive at {path}: {e.strerror or e}") from None
        return cls(path, ix)

    @property
    def vocabulary_path(self) -> Path:
        return self.path / "vocabulary.txt"

    # -- reading -----------------------------------------------------------------
    def count(self) -> int:
        return self.ix.doc_count()

    @contextlib.contextmanager
    def searcher(self):
        with self.ix.searcher() as s:
            yield s

    def get(self, brief_id: str) -> Brief:
        with self.ix.searcher() as s:
            stored = s.document(id=brief_id)
        if stored is None:
            raise UsageError(f"no brief with id {brief_id!r}")
        return doc_to_brief(stored)

    def resolve(self, prefix: str) -> str:
        """Turn an id or a unique prefix of one into the full id."""
        p = prefix.strip().lower()
        if not p:
            raise UsageError("empty id")
        with self.ix.searcher() as s:
            if s.document_number(id=p) is not None:
                return p
            terms = [t.decode() if isinstance(t, bytes) else t for t in s.reader().expand_prefix("id", p)]
            matches = [m for m in terms if s.document_number(id=m) is not None]  # skip deleted
        if not matches:
            raise UsageError(f"no brief with id {prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(sorted(matches)[:5])
            raise UsageError(f"id {prefix!r} is ambiguous: it matches {shown}{'…' if len(matches) > 5 else ''}")
        return matches[0]

    def get_many(self, ids: Iterable[str]) -> list[Brief]:
        return [self.get(self.resolve(i)) for i in ids]

    def all(self) -> Iterator[Brief]:
        with self.ix.searcher() as s:
            for stored in s.all_stored_fields():
                yield doc_to_brief(stored)

    def tag_keys(self) -> list[str]:
        """Every tag's case-insensitive key, read from the index's term list (fast: no records
        are loaded). Enough for the metadata reader, which matches labels case-insensitively."""
        with self.ix.searcher() as s:
            return [t.decode("utf-8") if isinstance(t, bytes) else t for t in s.reader().lexicon("tag")]

    def source_stats(self) -> dict[str, tuple[int | None, int | None, str, str]]:
        """``source path -> (size, mtime_ns, id, title)`` of every brief read from a file, in one
        pass over the records (a bulk re-add skips unchanged files without reading them)."""
        out: dict[str, tuple[int | None, int | None, str, str]] = {}
        with self.ix.searcher() as s:
            for stored in s.all_stored_fields():
                rec = stored.get("rec") or {}
                src = rec.get("source")
                if src:
                    out[src] = (rec.get("source_size"), rec.get("source_mtime_ns"), stored["id"],
                                rec.get("title", ""))
        return out

    def tags(self) -> list[str]:
        """Every tag as first written, most used first (for the metadata reader and `brief tags`)."""
        counts: dict[str, list] = {}
        for b in self.all():
            for t in b.tags:
                k = norm_tag(t)
                if k in counts:
                    counts[k][1] += 1
                else:
                    counts[k] = [t, 1]
        return [v[0] for v in sorted(counts.values(), key=lambda v: -v[1])]

    # -- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None, **kw):
        """Hold the write lock for a batch of changes; commit on success, cancel on error."""
        w = self._acquire(lock_timeout, on_wait, **kw)
        aw = ArchiveWriter(self, w)
        try:
            yield aw
        except OSError as e:  # disk full, file too large...: the last commit stays the archive
            aw.cancel()
            raise write_failed(e) from None
        except BaseException:
            aw.cancel()
            raise
        else:
            try:
                aw.commit()
            except OSError as e:  # the new table of contents was not written: nothing changed
                aw.cancel()
                raise write_failed(e) from None
            except BaseException:
                aw.cancel()  # release the lock whatever went wrong
                raise

    def _acquire(self, lock_timeout: float, on_wait, **kw):
        deadline = time.monotonic() + lock_timeout
        told = False
        while True:
            try:
                return self.ix.writer(**kw)
            except LockError:
                if time.monotonic() >= deadline:
                    raise BriefError(
                        f"archive {self.path} is locked by another brief process; gave up after "
                        f"{lock_timeout:g}s (raise --lock-timeout or BRIEF_LOCK_TIMEOUT)") from None
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(0.05)
            except PermissionError:
                raise BriefError(f"archive {self.path} is not writable: permission denied") from None


def write_failed(e: OSError) -> BriefError:
    """A write to the archive failed (no space left, file too large, ...): one clear line."""
    reason = (e.strerror or str(e) or type(e).__name__).lower()
    return BriefError(f"archive write failed: {reason}; nothing from this change was saved "
                      "(the archive keeps its previous content)")


class ArchiveWriter:
    """Changes to the archive under the write lock. Lookups see the index as it was when
    the lock was taken plus the changes made through this writer."""

    def __init__(self, archive: Archive, w):
        self.archive = archive
        self._w = w
        self._reader = w.reader()
        self._pending: dict[str, Brief | None] = {}  # id -> new record (None: deleted)
        self._by_sha: dict[str, str] = {}
        self._by_source: dict[str, str] = {}
        self.changes = 0

    # lookups -----------------------------------------------------------------------
    def _stored_by(self, field: str, value: str) -> list[dict]:
        out = []
        r = self._reader
        if not value:
            return out
        try:
            postings = r.postings(field, value)
        except Exception:  # term not in the index
            return out
        for docnum in postings.all_ids():
            if not r.is_deleted(docnum):
                out.append(r.stored_fields(docnum))
        return out

    def find_sha(self, sha: str) -> Brief | None:
        if sha in self._by_sha:
            b = self._pending.get(self._by_sha[sha])
            if b is not None:
                return b
        for stored in self._stored_by("sha256", sha):
            if stored["id"] not in self._pending:
                return doc_to_brief(stored)
        return None

    def find_source(self, source: str) -> Brief | None:
        if source in self._by_source:
            b = self._pending.get(self._by_source[source])
            if b is not None:
                return b
        for stored in self._stored_by("source", source):
            if stored["id"] not in self._pending:
                return doc_to_brief(stored)
        return None

    def get(self, brief_id: str) -> Brief | None:
        if brief_id in self._pending:
            return self._pending[brief_id]
        stored = self._stored_by("id", brief_id)
        return doc_to_brief(stored[0]) if stored else None

    def id_taken(self, brief_id: str) -> bool:
        if brief_id in self._pending:
            return self._pending[brief_id] is not None
        return bool(self._stored_by("id", brief_id))

    def new_id(self, sha256: str) -> str:
        for cand in id_candidates(sha256):
            if not self.id_taken(cand):
                return cand
        raise AssertionError("unreachable")  # pragma: no cover

    # changes -----------------------------------------------------------------------
    def put(self, b: Brief) -> None:
        """Write a whole record (new or replacing the one with the same id)."""
        if not b.id:
            raise ValueError("brief without id")
        self._w.update_document(**brief_to_doc(b))
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.source:
            self._by_source[b.source] = b.id
        self.changes += 1

    def delete(self, brief_id: str) -> None:
        self._w.delete_by_term("id", brief_id)
        self._pending[brief_id] = None
        self.changes += 1

    def commit(self) -> None:
        if self.changes:
            self._w.commit()
        else:
            self._w.cancel()

    def cancel(self) -> None:
        with contextlib.suppress(Exception):
            self._w.cancel()
        lock = getattr(self._w, "writelock", None)  # a cancel that failed half-way keeps it
        if lock is not None and getattr(lock, "fd", None) is not None:
            with contextlib.suppress(Exception):
                lock.release()

    # bulk adds (ingest.py) ------------------------------------------------------------------
    def known_keys(self) -> tuple[set[str], set[str], set[str]]:
        """Every id, sha256 and source in the index as this writer sees it, read from the term
        lists (no record is loaded; terms of deleted records may be there too: a superset).
        A bulk add checks these sets first and looks a key up in the index only when it is
        there, so the many texts that are certainly new cost no lookup."""
        r = self._reader

        def terms(fieldname: str) -> set[str]:
            try:
                return {t.decode("utf-8") if isinstance(t, bytes) else t for t in r.lexicon(fieldname)}
            except Exception:  # no such field in the index yet
                return set()

        return terms("id"), terms("sha256"), terms("source")

    def put_fast(self, b: Brief, *, new: bool = False) -> bool:
        """:meth:`put` for bulk adds. Whoosh's ``update_document`` opens a reader of every
        segment for each document (slow once an archive has many segments); here the record
        it replaces, if any, is deleted by document number from this writer's reader (no
        lookup at all with ``new``: the caller knows the id is not in the index) and the new
        one is added. Returns False, writing nothing, when this id was already written
        through this writer since the last commit (Whoosh cannot replace a document added in
        the same uncommitted batch): :meth:`checkpoint` first, then call again."""
        if not b.id:
            raise ValueError("brief without id")
        if b.id in self._pending:
            return False
        r = self._reader
        try:
            old = [] if new else [n for n in r.postings("id", b.id).all_ids() if not r.is_deleted(n)]
        except Exception:  # term not in the index
            old = []
        for docnum in old:
            self._w.delete_document(docnum)
        self._w.add_document(**brief_to_doc(b))
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.source:
            self._by_source[b.source] = b.id
        self.changes += 1
        return True

    def checkpoint(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None, **kw) -> bool:
        """Commit the changes so far (a batch that survives whatever happens next) and carry on
        with a fresh writer (``kw`` as for :meth:`Archive.writer`). The lock is released and
        taken again in between, so another brief process waiting for it may go first: returns
        True when one did (its changes are then in the index this writer sees)."""
        if not self.changes:
            return False
        self._w.commit()
        written = getattr(self._w, "generation", None)
        pool = getattr(self._w, "pool", None)
        if pool is not None and hasattr(pool, "current"):
            pool.current = []  # Whoosh keeps a committed batch's postings in memory: let them go
        self._w = self.archive._acquire(lock_timeout, on_wait, **kw)
        others = written is None or getattr(self._w, "generation", None) != written + 1
        self._reader = self._w.reader()
        self._pending.clear()
        self._by_sha.clear()
        self._by_source.clear()
        self.changes = 0
        return others

    def stop_subwriters(self) -> None:
        """End the sub-writer processes of Whoosh's multi-process writer (``procs > 1``).
        Its ``cancel`` leaves them waiting for work forever (and Python waits for them at
        exit), so call this before cancelling such a writer."""
        for task in getattr(self._w, "tasks", ()):
            with contextlib.suppress(Exception):
                task.terminate()
                task.join(5)
