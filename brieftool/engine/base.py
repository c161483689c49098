"""The engine interface: what the rest of brief asks of an archive, whatever engine holds it.

An archive is opened from a *location* by :func:`brieftool.engine.open_archive` (a folder ->
the Whoosh engine, ``opensearch://HOST:PORT/INDEX`` -> OpenSearch). The code above this layer
(ingest, search, curate, maintain, the CLI) talks only to the classes below and never imports
an engine library; each engine module (``engine/whoosh.py``, ``engine/opensearch.py``) is the
only place that does.

Three objects, one per way of using an archive:

* :class:`Archive` — open/create, records by id, prefixes, iteration, side data, maintenance.
* :class:`Reader` — one consistent snapshot for a read command: search a query tree (from
  ``query.py``) with filters, sort and window; facets; highlight; spelling; "more like this".
* :class:`Writer` — a transaction (``with archive.writer() as w``): lookups see the archive as
  it was when the transaction began plus its own changes; ``put``/``delete``; commit on
  success, cancel on error; ``checkpoint`` commits a batch and carries on.

Records are :class:`brieftool.models.Brief`; every engine stores :func:`record_dict` of it
(plus id and text), so an export is the same on every engine. The neutral helpers here (ids,
hashes, the stored record) are shared by the engines and by ``maintain``.
"""

from __future__ import annotations

import abc
import re
import base64
import contextlib
import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..models import Brief, BriefError, UsageError, norm_tag

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford-style: no i, l, o, u
ID_LENGTH = 7
SORTS = ("relevance", "date", "title", "added")
FACETS = ("tags", "authors", "organizations", "years")
# What `brief tags/authors/orgs` count and `rename` changes: kind -> Brief attribute.
NAME_KINDS = {"tag": "tags", "author": "authors", "org": "organization"}


# -- neutral helpers ------------------------------------------------------------------------------
def default_location() -> str:
    """$BRIEF_INDEX, else the per-user data directory (XDG on Linux)."""
    env = os.environ.get("BRIEF_INDEX")
    if env:
        return env if "://" in env else str(Path(env).expanduser())
    if os.name == "nt":  # pragma: no cover - platform specific
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return str(base / "brief" / "archive")
    if os.uname().sysname == "Darwin":  # pragma: no cover - platform specific
        return str(Path.home() / "Library" / "Application Support" / "brief" / "archive")
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(base / "brief" / "archive")


_HASH_CHUNK = 1 << 20  # characters encoded at a time


def text_sha256(text: str) -> str:
    """The sha256 of the text's UTF-8, encoded a chunk at a time (a big text is not copied whole)."""
    if len(text) <= _HASH_CHUNK:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    h = hashlib.sha256()
    for i in range(0, len(text), _HASH_CHUNK):
        h.update(text[i:i + _HASH_CHUNK].encode("utf-8"))
    return h.hexdigest()


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
        "url": b.url,
        "sha256": b.sha256,
        "added": b.added.isoformat() if b.added else None,
        "words": b.words,
        "body_start": b.body_start,
        "source_size": b.source_size,
        "source_mtime_ns": b.source_mtime_ns,
        "manual": sorted(b.manual),
        "format": b.format,
        "pages": b.pages,
        "raw_sha256": b.raw_sha256,
    }


def default_format(source: str) -> str:
    """The format of a record stored before formats were recorded: all were text or Markdown."""
    return "markdown" if source.lower().endswith((".md", ".markdown")) else "text"


def brief_from_record(brief_id: str, rec: dict, text: str) -> Brief:
    """The inverse of :func:`record_dict` (with the id and text stored beside it)."""
    return Brief(
        id=brief_id,
        title=rec["title"],
        authors=list(rec["authors"]),
        date=_dt.date.fromisoformat(rec["date"]) if rec.get("date") else None,
        tags=list(rec["tags"]),
        type=rec.get("type", ""),
        organization=rec.get("organization", ""),
        org_abbr=rec.get("org_abbr", ""),
        source=rec.get("source", ""),
        url=rec.get("url", ""),
        sha256=rec.get("sha256", ""),
        added=_dt.datetime.fromisoformat(rec["added"]) if rec.get("added") else None,
        words=rec.get("words", 0),
        text=text,
        body_start=rec.get("body_start", 0),
        source_size=rec.get("source_size"),
        source_mtime_ns=rec.get("source_mtime_ns"),
        manual=set(rec.get("manual", ())),
        format=rec.get("format") or default_format(rec.get("source", "")),
        pages=rec.get("pages"),
        raw_sha256=rec.get("raw_sha256") or "",
    )


def name_key(value: str, kind: str = "tag") -> str:
    """The key under which tag, author and organization names are counted and matched, the same
    as the index's keyword fields hold: case, accents and spacing do not matter; a comma counts
    as a space in a tag; an author's ``Last, First`` is ``First Last`` (models.person_key); an
    organization's leading ``The`` does not count (models.org_key)."""
    from ..models import norm_tag, org_key, person_key

    if kind == "author":
        return person_key(value)
    if kind == "org":
        return org_key(value)
    return norm_tag(value.replace(",", " "))


def write_failed(e: OSError) -> BriefError:
    """A write to the archive failed (no space left, file too large, ...): one clear line."""
    reason = (e.strerror or str(e) or type(e).__name__).lower()
    return BriefError(f"archive write failed: {reason}; nothing from this change was saved "
                      "(the archive keeps its previous content)")


class Summary:
    """Counts over a set of briefs, built from their stored records (:func:`record_dict` plus
    ``id``), that can be added up (segments, shards) and taken away from (deleted records):
    what `stats`, `tags`, `authors` and `orgs` show. Each tag/author/organization is counted
    once per brief under its :func:`name_key`, with how many briefs write each spelling (the one
    most briefs use is shown; on a tie, the one that sorts first: capitals before small letters,
    so that the answer does not depend on the order records are stored in)."""

    def __init__(self):
        self.briefs = 0
        self.words = 0
        self.undated = 0
        self.dates: dict[str, int] = {}  # ISO date -> briefs
        self.names: dict[str, dict[str, list]] = {k: {} for k in NAME_KINDS}  # kind -> key -> [n, {spelling: n}]

    @staticmethod
    def values(rec: dict, kind: str) -> list[str]:
        if kind == "tag":
            return list(rec.get("tags") or ())
        if kind == "author":
            return list(rec.get("authors") or ())
        org = rec.get("organization")
        return [org] if org else []

    def add(self, rec: dict, sign: int = 1) -> None:
        """Count a record in (``sign`` 1) or out (-1)."""
        self.briefs += sign
        self.words += sign * int(rec.get("words") or 0)
        d = rec.get("date")
        if d:
            self.dates[d] = self.dates.get(d, 0) + sign
        else:
            self.undated += sign
        for kind, per in self.names.items():
            seen = set()
            for v in self.values(rec, kind):
                k = name_key(v, kind)
                if k and k not in seen:
                    seen.add(k)
                    e = per.get(k)
                    if e is None:
                        e = per[k] = [0, {}]
                    e[0] += sign
                    e[1][v] = e[1].get(v, 0) + sign

    def merge(self, other: "Summary") -> None:
        self.briefs += other.briefs
        self.words += other.words
        self.undated += other.undated
        for d, n in other.dates.items():
            self.dates[d] = self.dates.get(d, 0) + n
        for kind, per in other.names.items():
            mine = self.names.setdefault(kind, {})
            for k, (n, sp) in per.items():
                e = mine.get(k)
                if e is None:
                    e = mine[k] = [0, {}]
                e[0] += n
                for v, m in sp.items():
                    e[1][v] = e[1].get(v, 0) + m

    def to_json(self) -> dict:
        return {"briefs": self.briefs, "words": self.words, "undated": self.undated, "dates": self.dates,
                "names": self.names}

    @classmethod
    def from_json(cls, d: dict) -> "Summary":
        s = cls()
        s.briefs, s.words, s.undated = int(d["briefs"]), int(d["words"]), int(d["undated"])
        s.dates = {str(k): int(v) for k, v in d["dates"].items()}
        for kind in NAME_KINDS:
            s.names[kind] = {k: [int(n), {str(v): int(m) for v, m in sp.items()}]
                             for k, (n, sp) in (d["names"].get(kind) or {}).items()}
        return s

    # what the commands show
    def live_dates(self) -> dict[str, int]:
        return {d: n for d, n in self.dates.items() if n > 0}

    def rows(self, kind: str) -> list[tuple[str, int]]:
        """(spelling most briefs use, briefs) per name of ``kind``, in the order first met."""
        out = []
        for n, sp in self.names.get(kind, {}).values():
            if n > 0:
                shown = min(((v, m) for v, m in sp.items() if m > 0), key=lambda vm: (-vm[1], vm[0]), default=None)
                if shown is not None:
                    out.append((shown[0], n))
        return out

    @classmethod
    def of(cls, records: Iterable[dict]) -> "Summary":
        s = cls()
        for rec in records:
            s.add(rec)
        return s


def most_used_tags(briefs: Iterable[Brief]) -> list[str]:
    """Every tag as first written, most used first."""
    counts: dict[str, list] = {}
    for b in briefs:
        for t in b.tags:
            k = norm_tag(t)
            if k in counts:
                counts[k][1] += 1
            else:
                counts[k] = [t, 1]
    return [v[0] for v in sorted(counts.values(), key=lambda v: -v[1])]


class Conflict(BriefError):
    """Another writer changed a record between this transaction's read and its write (engines
    with optimistic concurrency): the caller may read again and retry."""

    def __init__(self, ids):
        self.ids = list(ids)
        super().__init__(f"briefs {', '.join(map(str, self.ids[:5]))} were changed by another writer meanwhile")


# -- search results -------------------------------------------------------------------------------
@dataclass
class Found:
    """What :meth:`Reader.search` found: the first hits in order (engine hit objects, each with
    ``.score``; load the record with :meth:`Reader.brief`) and the total. Pass it back to the
    same reader as ``mask=`` or to :meth:`Reader.facets`; ``handle`` is the engine's own."""

    hits: list
    total: int
    handle: object = None


# -- the interface --------------------------------------------------------------------------------
class Reader(abc.ABC):
    """One consistent view of an archive for a read command (``with archive.reader() as r``).

    Queries and filters are trees of ``query.py`` nodes; each engine compiles them."""

    @abc.abstractmethod
    def search(self, query, flt=None, *, sort: str = "relevance", reverse: bool = False,
               limit: int | None = None, mask=None) -> Found:
        """Briefs matching ``query`` and ``flt`` (a filter: does not change scores), without those
        in ``mask`` (a :class:`Found` of this reader, or a query tree). ``sort``: relevance (best
        first; ``reverse`` is not for relevance: the caller reverses), date (newest first,
        undated last either way), title, added (newest first). At most ``limit`` hits."""

    @abc.abstractmethod
    def brief(self, hit) -> Brief:
        """The record of a hit of :meth:`search`."""

    @abc.abstractmethod
    def get(self, brief_id: str) -> Brief | None:
        """The record with this (full) id, or None."""

    @abc.abstractmethod
    def facets(self, found: Iterable[Found]) -> dict:
        """{facet: [(value, count), ...]} over the union of some results of this reader, for
        each of :data:`FACETS`: most frequent first (years: newest first), each value as
        written in one of the briefs that carry it."""

    @abc.abstractmethod
    def highlight_terms(self, query) -> set:
        """What :meth:`snippet` should mark for this query (engine terms; opaque to callers)."""

    @abc.abstractmethod
    def snippet(self, hit, body: str, terms, maxchars: int) -> str:
        """The best passages of ``body`` (the hit's body, cut and cleaned by the caller) with the
        matches between search.MARK_ON/MARK_OFF (not yet shortened to one line); '' when
        nothing matches."""

    def mark(self, text: str, terms) -> str:
        """``text`` (a title) with the words that match ``terms`` (from :meth:`highlight_terms`)
        between search.MARK_ON/MARK_OFF. This default marks words equal to a term once folded;
        an engine that stems marks by its own analysis."""
        from ..models import fold
        from ..search import MARK_OFF, MARK_ON

        want = {fold(str(t)) for t in terms}
        return re.sub(r"\w+", lambda m: MARK_ON + m.group() + MARK_OFF if fold(m.group()) in want else m.group(),
                      text.replace(MARK_ON, "").replace(MARK_OFF, ""))

    @abc.abstractmethod
    def respell(self, word: str) -> str | None:
        """For did-you-mean: when no brief has ``word``, the nearest word of the archive, as the
        briefs write it; None when some brief has ``word`` (a word that matched is never
        rewritten) or nothing is near."""

    @abc.abstractmethod
    def like(self, brief_id: str) -> tuple[Brief, list[str], object] | None:
        """`similar`: (the brief, its key terms, a query tree finding briefs like it), or None
        when the brief has no terms to go by. The caller masks the brief itself out."""

    @abc.abstractmethod
    def count(self, query, flt=None) -> int:
        """How many briefs match (no hits loaded)."""

    @abc.abstractmethod
    def ids_with(self, kind: str, key: str) -> list[str]:
        """Ids of the briefs with a tag/author/org (``kind``) whose :func:`name_key` is ``key``."""


class Writer(abc.ABC):
    """A transaction; see the module docstring. ``changes`` counts puts and deletes."""

    changes: int = 0

    @abc.abstractmethod
    def get(self, brief_id: str) -> Brief | None: ...

    @abc.abstractmethod
    def find_sha(self, sha: str) -> Brief | None: ...

    @abc.abstractmethod
    def find_source(self, source: str) -> Brief | None: ...

    def find_raw(self, raw: str) -> Brief | None:
        """The brief read from a file whose bytes have this ``raw_sha256`` (the same PDF under
        another name), or None. An engine that cannot look it up finds nothing."""
        return None

    def known_raw(self) -> set[str]:
        """A superset of the ``raw_sha256`` values in the archive (see :meth:`known_keys`)."""
        return set()

    @abc.abstractmethod
    def id_taken(self, brief_id: str) -> bool: ...

    def new_id(self, sha256: str) -> str:
        for cand in id_candidates(sha256):
            if not self.id_taken(cand):
                return cand
        raise AssertionError("unreachable")  # pragma: no cover

    @abc.abstractmethod
    def put(self, b: Brief) -> None:
        """Write a whole record (new or replacing the one with the same id)."""

    @abc.abstractmethod
    def delete(self, brief_id: str) -> None: ...

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def cancel(self) -> None: ...

    # bulk adds (ingest) -------------------------------------------------------------------
    @abc.abstractmethod
    def known_keys(self) -> tuple[set[str], set[str], set[str]]:
        """Supersets of the ids, sha256s and sources in the archive (a bulk add looks a key up
        only when it is in them)."""

    def put_fast(self, b: Brief, *, new: bool = False) -> bool:
        """:meth:`put` for bulk adds (``new``: the caller knows the id is not in the archive).
        False, writing nothing, when it must :meth:`checkpoint` first."""
        self.put(b)
        return True

    @abc.abstractmethod
    def checkpoint(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None,
                   **kw) -> bool:
        """Commit the changes so far and carry on; True when another writer's changes may have
        come in between (the caller's key sets are then stale)."""

    def stop_subwriters(self) -> None:
        """End helper processes before a cancel (Whoosh's multi-process writer)."""


class Archive(abc.ABC):
    """A brief archive. ``location`` is what the user named it by (for messages); ``path`` a
    local folder beside or inside which side files live (vocabulary, vectors, saved searches),
    or None for a remote engine."""

    location: str
    path: Path | None = None
    engine: str = ""

    @classmethod
    @abc.abstractmethod
    def open(cls, location=None, *, create: bool = False) -> "Archive":
        """Open an archive; with ``create`` make it if it does not exist (a read command passes
        ``create=False``: a missing archive is reported, nothing is made)."""

    # reading ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def count(self) -> int: ...

    @abc.abstractmethod
    def get(self, brief_id: str) -> Brief:
        """The record with this full id; UsageError when there is none."""

    @abc.abstractmethod
    def resolve(self, prefix: str) -> str:
        """An id or a unique prefix of one -> the full id (UsageError: none or ambiguous)."""

    def get_many(self, ids: Iterable[str]) -> list[Brief]:
        return [self.get(self.resolve(i)) for i in ids]

    @abc.abstractmethod
    def records(self, errors: list[str] | None = None) -> Iterator[Brief]:
        """Every record from one snapshot. A record that cannot be read is reported in
        ``errors`` (or raises BriefError, without that list) and skipped."""

    def all(self) -> Iterator[Brief]:
        return self.records()

    @abc.abstractmethod
    def tag_keys(self) -> list[str]:
        """Every tag's case-insensitive key (fast: for the metadata reader)."""

    def tags(self) -> list[str]:
        """Every tag as first written, most used first."""
        return most_used_tags(self.all())

    def summary(self) -> Summary:
        """Side data: the counts `stats`, `tags`, `authors` and `orgs` show (:class:`Summary`).
        This default reads every record; an engine keeps them where they cost less."""
        return Summary.of(record_dict(b) for b in self.records())

    @abc.abstractmethod
    def source_stats(self) -> dict[str, tuple[int | None, int | None, str, str]]:
        """Side data: ``source path -> (size, mtime_ns, id, title)`` of every brief read from
        a file (a bulk re-add skips unchanged files without reading them)."""

    def source_stats_for(self, sources: Iterable[str]) -> dict[str, tuple[int | None, int | None, str, str]]:
        """:meth:`source_stats` of these sources only (what adding a few files needs; an engine
        looks them up one by one instead of reading the whole map)."""
        want = set(sources)
        return {s: v for s, v in self.source_stats().items() if s in want}

    @abc.abstractmethod
    def reader(self) -> contextlib.AbstractContextManager[Reader]:
        """One consistent snapshot for a read command (``with archive.reader() as r``)."""

    # writing ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def writer(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None,
               **kw) -> contextlib.AbstractContextManager[Writer]:
        """A transaction: commit on success, cancel on error. ``on_wait`` is called once when it
        has to wait for another writer; gives up after ``lock_timeout`` seconds."""

    @abc.abstractmethod
    def dry_writer(self) -> Writer:
        """A writer for a dry run: lookups as a real one, puts remembered, nothing written."""

    # maintenance -----------------------------------------------------------------------------
    @property
    def vocabulary_path(self) -> Path | None:
        """The user's topic vocabulary (a local file), or None."""
        return self.path / "vocabulary.txt" if self.path is not None else None

    def size_bytes(self) -> int:
        """Bytes the archive takes on disk (or on the cluster)."""
        total = 0
        for root, _dirs, files in os.walk(self.path or ()):
            for f in files:
                with contextlib.suppress(OSError):
                    total += os.stat(os.path.join(root, f)).st_size
        return total

    @abc.abstractmethod
    def reindex(self, *, drop_bad: bool = False, lock_timeout: float = 30.0, on_wait=None,
                on_progress=None):
        """Rebuild the index from the stored records (returns ``maintain.ReindexResult``)."""

    @classmethod
    @abc.abstractmethod
    def check(cls, location):
        """Verify the archive at ``location`` without changing it (``maintain.CheckReport``); a
        location holding no archive raises BriefError."""


__all__ = ["Archive", "Reader", "Writer", "Found", "BriefError", "UsageError"]
