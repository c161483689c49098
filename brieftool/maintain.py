"""Keeping an archive safe: export, import, check and reindex.

* :func:`export_records` / :func:`export_to_path` write every record as JSON Lines (one brief a
  line, every field and the verbatim text: a lossless backup) or as CSV (metadata only).
  Exporting reads one snapshot of the archive, so it is consistent even while another
  ``brief`` process writes. A file is written to a private temporary file (mode 0600, like
  the archive) in the same folder and renamed into place when complete.
* :func:`import_records` reads such lines back, committing in batches (a killed import keeps
  what it committed; a re-run adds the rest). Records keep their ids, dates, tags, added
  times and text byte for byte. An id that the archive already holds with different content
  is skipped unless ``replace`` is set (then the line wins); an identical record is
  ``unchanged``; a text the archive holds under another id is skipped likewise. A line
  without an id gets a new one. A malformed line fails alone, naming its line number.
* :func:`check_archive` verifies an archive without changing it and reports problems in
  plain words.
* :func:`reindex` rebuilds the index from the stored records (the path for a schema change),
  the engine's way (Whoosh: a new index written in a temporary folder inside the archive and
  swapped in by the same atomic step a normal commit uses, so a crash at any moment leaves
  either the old or the new index, never neither).

The engine-specific parts (checking the index, rebuilding it) are the engine's
(``engine/whoosh_maint.py``); this module is the same for every engine.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .models import Brief, BriefError, UsageError, count_words

# The keys of an exported record, in the order written. ``text`` comes last so that a
# line stays readable in a pager.
EXPORT_KEYS = ("id", "title", "authors", "date", "tags", "type", "organization", "org_abbr", "source",
               "url", "sha256", "added", "words", "body_start", "source_size", "source_mtime_ns", "manual",
               "format", "pages", "raw_sha256", "text")
CSV_KEYS = ("id", "date", "title", "authors", "tags", "type", "organization", "source", "sha256", "added",
            "words")
# Keys added after the first archive format: records written before them lack them.
OPTIONAL_KEYS = ("url", "format", "pages", "raw_sha256")
EXPORT_FORMATS = ("jsonl", "csv", "bibtex", "ris", "csl-json", "markdown")

_ID = re.compile(r"^[0-9a-z]{1,8}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REINDEX_DIR = ".reindex"  # starts with a dot: Whoosh's clean-up never touches it


# -- records <-> JSON ------------------------------------------------------------------------------
def record_to_json(b: Brief) -> dict:
    """Everything needed to rebuild the record exactly (the export line)."""
    from .engine.base import record_dict

    return {"id": b.id, **record_dict(b), "text": b.text}


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def record_from_json(d, *, strict: bool = False) -> Brief:
    """Check a record's fields and build the Brief. Raises ValueError naming what is wrong.

    Lenient (import): only ``text`` is required; ``id``, ``sha256``, ``words`` and ``added``
    are filled in when missing. ``strict`` (check): every field must be present.
    """
    from .engine.base import text_sha256

    if not isinstance(d, dict):
        raise ValueError(f"a record must be a JSON object, not {type(d).__name__}")
    if strict:
        missing = [k for k in EXPORT_KEYS if k not in d and k not in OPTIONAL_KEYS]
        if missing:
            raise ValueError(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    text = d.get("text")
    if not isinstance(text, str):
        raise ValueError("no text" if text is None else "text is not a string")
    if not text.strip():
        raise ValueError("text is empty")

    def s(key: str) -> str:
        v = d.get(key)
        if v is None:
            return ""
        if not isinstance(v, str):
            raise ValueError(f"{key} is not a string")
        return v

    def strs(key: str) -> list[str]:
        v = d.get(key)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError(f"{key} is not a list of strings")
        return list(v)

    def opt_int(key: str) -> int | None:
        v = d.get(key)
        if v is not None and not _int(v):
            raise ValueError(f"{key} is not a whole number")
        return v

    bid = s("id")
    if bid and not _ID.match(bid):
        raise ValueError(f"id {bid!r} is not a brief id (1-8 lowercase letters and digits)")
    if strict and not bid:
        raise ValueError("empty id")
    date = None
    if d.get("date") is not None:
        v = d["date"]
        if not isinstance(v, str) or not _DAY.match(v):
            raise ValueError(f"date {v!r} is not YYYY-MM-DD")
        try:
            date = _dt.date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"date {v!r} is not a real day") from None
    added = None
    if d.get("added") is not None:
        v = d["added"]
        try:
            added = _dt.datetime.fromisoformat(v) if isinstance(v, str) else None
        except ValueError:
            added = None
        if added is None:
            raise ValueError(f"added {v!r} is not an ISO 8601 time")
    sha = s("sha256")
    real = text_sha256(text)
    if sha and not _SHA.match(sha):
        raise ValueError("sha256 is not 64 hex digits")
    if sha and sha != real:
        raise ValueError("sha256 does not match the text (the text was changed or damaged)")
    words = opt_int("words")
    if words is not None and words < 0:
        raise ValueError("words is negative")
    body_start = opt_int("body_start") or 0
    if not 0 <= body_start <= len(text):
        raise ValueError(f"body_start {body_start} is outside the text")
    manual = strs("manual")
    from .engine.base import default_format
    from .readers import FORMATS

    fmt = s("format") or default_format(s("source"))
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    pages = opt_int("pages")
    if pages is not None and pages < 1:
        raise ValueError("pages is not a positive number")
    raw = s("raw_sha256")
    if raw and not _SHA.match(raw):
        raise ValueError("raw_sha256 is not 64 hex digits")
    return Brief(
        id=bid, title=s("title"), authors=strs("authors"), date=date, tags=strs("tags"), type=s("type"),
        organization=s("organization"), org_abbr=s("org_abbr"), source=s("source"), url=s("url"), sha256=real, added=added,
        words=count_words(text) if words is None else words, text=text, body_start=body_start,
        source_size=opt_int("source_size"), source_mtime_ns=opt_int("source_mtime_ns"), manual=set(manual),
        format=fmt, pages=pages, raw_sha256=raw,
    )


def stored_to_json(stored: dict) -> dict:
    """A raw stored Whoosh document as an export-shaped dict (no parsing: for checking)."""
    rec = stored.get("rec")
    if not isinstance(rec, dict):
        raise ValueError("its stored record is missing or not a record")
    d = dict(rec)
    d["id"] = stored.get("id")
    if "text" in stored:
        d["text"] = stored["text"]
    return d


# -- export ----------------------------------------------------------------------------------------
@dataclass
class ExportResult:
    count: int = 0
    errors: list[str] = field(default_factory=list)  # records that could not be read (skipped)


def iter_records(archive, errors: list[str] | None = None) -> Iterator[Brief]:
    """Every record from one snapshot of the archive, in index order. A stored document that
    cannot be read is reported in ``errors`` (or raises, without that list) and skipped."""
    return archive.records(errors)


def json_line(d: dict) -> bytes:
    """One record as one line of UTF-8 JSON: exact values, readable non-ASCII text, and every
    character a line reader or a terminal might act on (line breaks U+2028/U+2029/U+0085, C1
    controls, bidi controls, lone surrogates of an undecodable file name) written as a
    ``\\uXXXX`` escape (render.json_text), so one record stays one line for every reader."""
    from .render import json_text

    return json_text(json.dumps(d, ensure_ascii=False)).encode("utf-8") + b"\n"


def export_records(archive, out: BinaryIO, fmt: str = "jsonl", *, briefs: Iterable[Brief] | None = None,
                   **reading_list) -> ExportResult:
    """Write every record (or only ``briefs``, a selection) to a binary stream: JSON Lines
    (lossless; a whole archive's export ends with its saved searches), CSV (metadata), or a
    reading list (bibtex, ris, csl-json, markdown: see readinglist.py; ``reading_list`` are its
    options)."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (choose {', '.join(EXPORT_FORMATS)})")
    res = ExportResult()
    records = iter_records(archive, res.errors) if briefs is None else iter(briefs)
    if fmt == "jsonl":
        for b in records:
            out.write(json_line(record_to_json(b)))
            res.count += 1
        if briefs is None:
            from .saved import export_lines

            for d in export_lines(archive):
                out.write(json_line(d))
    elif fmt not in ("jsonl", "csv"):
        from .readinglist import write

        text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
        res.count = write(text, list(records), fmt, **reading_list)
        text.flush()
        text.detach()
    else:
        from .render import write_csv

        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)

        def rows():
            for b in records:
                j = b.to_json()
                res.count += 1
                yield [j[k] for k in CSV_KEYS]

        write_csv(CSV_KEYS, rows(), text)
        text.flush()
        text.detach()
    out.flush()
    return res


def export_to_path(archive, dest: Path | str, fmt: str = "jsonl", **kw) -> ExportResult:
    """Export to a file: written to a private temporary file next to it, renamed when complete
    (an interrupted export never leaves a truncated file under the destination name)."""
    dest = Path(dest)
    if dest.is_dir():
        raise UsageError(f"cannot export to {dest}: it is a folder (give a file name)")
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{dest.name}.", suffix=".tmp")  # mode 0600
    except OSError as e:
        raise BriefError(f"cannot export to {dest}: {_reason(e)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            res = export_records(archive, f, fmt, **kw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise BriefError(f"cannot export to {dest}: {_reason(e)}; nothing was written") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return res


def _reason(e: OSError) -> str:
    return (e.strerror or str(e) or type(e).__name__).lower()


# -- import ----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    line: int
    status: str  # imported / replaced / unchanged / skipped / failed
    id: str | None = None
    error: str | None = None

    def to_json(self) -> dict:
        return {"line": self.line, "status": self.status, "id": self.id, "error": self.error}


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) for each non-blank line. Only ``\\n`` ends a line (JSON escapes
    every other line break inside strings); a trailing ``\\r`` and a leading BOM are dropped."""
    for n, raw in enumerate(stream, 1):
        line = raw.rstrip(b"\n").rstrip(b"\r")
        if n == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if line.strip():
            yield n, line


def parse_line(raw: bytes) -> Brief:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte {e.start + 1})") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        # json's messages may end in 'at' ('Unterminated string starting at'): say it once
        raise ValueError(f"not valid JSON ({e.msg.removesuffix(' at')} at column {e.colno})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    return record_from_json(d)


SNIFF_LINES = 20  # lines read before deciding that a file is not a brief export at all


def export_lines(lines: Iterable[tuple[int, bytes]], name: str) -> Iterator[tuple[int, bytes]]:
    """The lines of an export, after a look at its first ones: a file none of whose first
    ``SNIFF_LINES`` lines is a brief record or a saved search (plain text, a PDF, some other
    JSON) is not an export, and is refused as a whole with one line (BriefError), before
    anything is opened or created, instead of one error per line. A real export with some
    damaged lines still goes in line by line (each bad one reported)."""
    import itertools

    from .saved import is_export_line

    it = iter(lines)
    head: list[tuple[int, bytes]] = []
    first: tuple[int, str] | None = None
    for n, raw in it:
        head.append((n, raw))
        try:
            parse_line(raw)
            return itertools.chain(head, it)
        except ValueError as e:
            with contextlib.suppress(ValueError, UnicodeDecodeError, RecursionError):
                if is_export_line(json.loads(raw.decode("utf-8"))):
                    return itertools.chain(head, it)
            if first is None:
                first = (n, str(e))
        if len(head) >= SNIFF_LINES:
            break
    if first is not None:
        raise BriefError(f"{name}: not a brief export (line {first[0]}: {first[1]})")
    return iter(())


IMPORT_BATCH = 1000  # changes per commit of an import
IMPORT_BATCH_SECONDS = 30.0  # at most this long between two commits


def import_records(archive, lines: Iterable[tuple[int, bytes]], *, replace: bool = False,
                   lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None,
                   now: _dt.datetime | None = None, batch_size: int = IMPORT_BATCH,
                   batch_seconds: float = IMPORT_BATCH_SECONDS) -> list[ImportResult]:
    """Import parsed export lines, committed in batches like `brief add` (every ``batch_size``
    changes or ``batch_seconds``): an interrupted or killed import keeps every batch already
    committed, and running it again finds those records ``unchanged`` and adds only the rest."""
    results: list[ImportResult] = []
    now = now or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        t_batch = time.monotonic()
        for n, raw in lines:
            try:
                b = parse_line(raw)
            except ValueError as e:
                results.append(ImportResult(n, "failed", error=str(e)))
                continue
            results.append(_import_one(_FastPut(w, lock_timeout, on_wait), n, b, replace=replace, now=now))
            if w.changes and (w.changes >= batch_size or time.monotonic() - t_batch >= batch_seconds):
                w.checkpoint(lock_timeout=lock_timeout, on_wait=on_wait)
                t_batch = time.monotonic()
    return results


class _FastPut:
    """An import's writer: ``put`` by the bulk path (no per-record reader of every segment, which
    grows slow as batches pile up segments); a record already written in this batch is
    committed first (Whoosh cannot replace a document of the same uncommitted batch)."""

    def __init__(self, w, lock_timeout, on_wait):
        self._w, self._lock_timeout, self._on_wait = w, lock_timeout, on_wait

    def __getattr__(self, name):
        return getattr(self._w, name)

    def put(self, b: Brief) -> None:
        if not self._w.put_fast(b):
            self._w.checkpoint(lock_timeout=self._lock_timeout, on_wait=self._on_wait)
            self._w.put_fast(b)


def _same(a: Brief, b: Brief) -> bool:
    return record_to_json(a) == record_to_json(b)


def _import_one(w, n: int, b: Brief, *, replace: bool, now: _dt.datetime) -> ImportResult:
    if b.added is None:
        b = b.replace(added=now)
    twin = w.find_sha(b.sha256)
    if not b.id:
        if twin is not None:
            return ImportResult(n, "unchanged", twin.id, error=f"same text as archived brief {twin.id}")
        b = b.replace(id=w.new_id(b.sha256))
        w.put(b)
        return ImportResult(n, "imported", b.id)
    old = w.get(b.id)
    if old is not None and _same(old, b):
        return ImportResult(n, "unchanged", b.id)
    if twin is not None and twin.id != b.id and not replace:
        return ImportResult(n, "skipped", b.id,
                            error=f"the archive holds the same text as brief {twin.id} (use --replace to "
                                  "replace it with this record)")
    if old is not None and not replace:
        return ImportResult(n, "skipped", b.id,
                            error=f"the archive has a different brief {b.id} (use --replace to overwrite it)")
    if twin is not None and twin.id != b.id:
        w.delete(twin.id)  # --replace: this record takes the place of the one with its text
    w.put(b)
    return ImportResult(n, "replaced" if old is not None or twin is not None else "imported", b.id)


# -- check -----------------------------------------------------------------------------------------
@dataclass
class CheckReport:
    path: str
    format: int | None = None
    briefs: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {"archive": self.path, "format": self.format, "briefs": self.briefs, "ok": self.ok,
                "problems": list(self.problems), "notes": list(self.notes)}


MAX_PROBLEMS_PER_KIND = 20


def check_archive(path: Path | str | None = None) -> CheckReport:
    """Verify an archive without changing it: format version, the index opens and has the
    current layout, every record is complete and well-formed, each text matches its sha256,
    every id is unique and findable. A missing archive or a location that is not an archive
    raises BriefError (there is nothing to check). The engine does the checking."""
    from .engine import default_location, engine_class

    location = path if path is not None else default_location()
    return engine_class(location).check(location)


@dataclass
class ReindexResult:
    briefs: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id) for duplicate ids
    dropped: list[str] = field(default_factory=list)  # unreadable records left out (with drop_bad)
    duplicates: int = 0  # identical copies of a record, dropped


def reindex(archive, *, drop_bad: bool = False, lock_timeout: float = 30.0,
            on_wait: Callable[[], None] | None = None,
            on_progress: Callable[[int], None] | None = None) -> ReindexResult:
    """Rebuild the index from the stored records with the current layout, then swap it in (the
    engine's way: see its ``reindex``). Records that cannot be read stop the rebuild (nothing
    changed) unless ``drop_bad``. Two records with one id: the second gets a new id (reported),
    or is dropped if identical."""
    return archive.reindex(drop_bad=drop_bad, lock_timeout=lock_timeout, on_wait=on_wait,
                           on_progress=on_progress)
