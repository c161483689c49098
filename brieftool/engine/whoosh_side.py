"""Side data of the Whoosh engine: what small commands need, without loading every text.

`stats`, `tags`, `authors`, `orgs` need counts over every brief; `add` and `sync` of a whole
folder need each stored file's path, size and modification time. Read from the stored
records, each of these loads every brief's full text (a 20,000-brief archive: 0.7-1.5 s;
linear in the archive). Instead, each Whoosh *segment* gets a small summary, computed once
from its records the first time it is needed and kept in ``<archive>/.side/``:

* ``SEGID.sum.json``: counts over the segment's live briefs (briefs, words, briefs per date,
  undated, and per tag/author/organization key its number of briefs and spellings), with the
  deleted document numbers they leave out;
* ``SEGID.src.json``: per document number, ``[source, size, mtime_ns, id, title]``.

Why it can never disagree with the index, whatever was killed when: a segment's documents
never change once written (a commit writes new segments; a merge writes a new segment with a
new random id), and its deletions are read from the table of contents of the snapshot being
read. A summary covers the deletions it lists; briefs deleted since are subtracted (their
records read from the segment, which keeps deleted documents until a merge drops the segment);
when many were, the summary is computed again. Files are written to a temporary name and
renamed into place, so a reader finds a whole summary or none (and then computes it); a file
that does not parse, or whose segment id or size does not match, is computed again. Nothing
here is ever needed: delete ``.side/`` and it is rebuilt; an archive folder that cannot be
written to just computes the summaries each time. Whoosh's own clean-up ignores the folder
(its name starts with a dot).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from .base import NAME_KINDS, Summary

SIDE_DIR = ".side"
VERSION = 1
RECOMPUTE_AFTER = 64  # briefs deleted since a summary was computed: then it is computed again
STALE_SECONDS = 600  # a side file of a segment no longer in the index is removed after this


def _side(archive) -> Path:
    return Path(archive.path) / SIDE_DIR


def _leaves(reader):
    # An archive that never held a brief has an EmptyReader: no segment, nothing to count.
    return [r for r, _offset in reader.leaf_readers() if getattr(r, "segment", lambda: None)() is not None]


def _load(path: Path, segid: str, docs_all: int) -> dict | None:
    try:
        d = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(d, dict) or d.get("v") != VERSION or d.get("segid") != segid or d.get("docs_all") != docs_all:
        return None
    return d


def _save(folder: Path, name: str, data: dict) -> None:
    """Write atomically (temporary file, then rename); give up quietly when the folder is not writable."""
    from ..fsafe import write_new

    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        # ASCII JSON: a file name's undecodable bytes (lone surrogates) are kept as \u escapes;
        # created exclusively, never through a link planted under the temporary name.
        write_new(tmp, json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii"))
        os.replace(tmp, folder / name)


def _deleted(seg_reader) -> set[int]:
    if not seg_reader.has_deletions():
        return set()
    return set(seg_reader.segment().deleted_docs())


def _record(stored: dict) -> dict:
    rec = dict(stored.get("rec") or {})
    rec["id"] = stored.get("id")
    return rec


def _compute(seg_reader, segid: str, docs_all: int, deleted: set[int]) -> tuple[dict, dict]:
    """One pass over the segment's stored records (texts included: once per segment)."""
    summ = Summary()
    src: list = [None] * docs_all
    for docnum in range(docs_all):
        try:
            rec = _record(seg_reader.stored_fields(docnum))
        except Exception:  # a damaged record: `check` reports it; it counts for nothing here
            continue
        if rec.get("source"):
            src[docnum] = [rec["source"], rec.get("source_size"), rec.get("source_mtime_ns"), rec["id"],
                           rec.get("title", "")]
        if docnum not in deleted:
            summ.add(rec)
    head = {"v": VERSION, "segid": segid, "docs_all": docs_all}
    return ({**head, "deleted": sorted(deleted), "summary": summ.to_json()}, {**head, "src": src})


def _segment_summary(archive, seg_reader) -> Summary:
    seg = seg_reader.segment()
    segid, docs_all = seg.segment_id(), seg_reader.doc_count_all()
    folder = _side(archive)
    deleted = _deleted(seg_reader)
    d = _load(folder / f"{segid}.sum.json", segid, docs_all)
    if d is not None:
        had = set(d.get("deleted") or ())
        if had <= deleted and len(deleted - had) <= RECOMPUTE_AFTER:
            summ = Summary.from_json(d["summary"])
            for docnum in sorted(deleted - had):
                with contextlib.suppress(Exception):
                    summ.add(_record(seg_reader.stored_fields(docnum)), -1)
            return summ
    summ_d, src_d = _compute(seg_reader, segid, docs_all, deleted)
    _save(folder, f"{segid}.src.json", src_d)
    _save(folder, f"{segid}.sum.json", summ_d)
    return Summary.from_json(summ_d["summary"])


def _segment_sources(archive, seg_reader) -> list:
    seg = seg_reader.segment()
    segid, docs_all = seg.segment_id(), seg_reader.doc_count_all()
    d = _load(_side(archive) / f"{segid}.src.json", segid, docs_all)
    if d is None or not isinstance(d.get("src"), list) or len(d["src"]) != docs_all:
        summ_d, d = _compute(seg_reader, segid, docs_all, _deleted(seg_reader))
        _save(_side(archive), f"{segid}.src.json", d)
        _save(_side(archive), f"{segid}.sum.json", summ_d)
    return d["src"]


def _prune(archive, reader) -> None:
    """Remove side files of segments that are no longer in the index (after a while: a reader
    of an older snapshot may still be using them), and temporary files of killed writers."""
    folder = _side(archive)
    live = {r.segment().segment_id() for r in _leaves(reader)}
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            segid = entry.name.lstrip(".").split(".", 1)[0]
            if segid in live and not entry.name.endswith(".tmp"):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)


def summary(archive) -> Summary:
    """The counts of :class:`base.Summary` over the archive (one snapshot)."""
    with archive.searcher() as s:
        reader = s.reader()
        total = Summary()
        for leaf in _leaves(reader):
            total.merge(_segment_summary(archive, leaf))
        _prune(archive, reader)
    return total


def source_stats(archive) -> dict[str, tuple[int | None, int | None, str, str]]:
    """``source -> (size, mtime_ns, id, title)`` of every live brief read from a file."""
    out: dict[str, tuple[int | None, int | None, str, str]] = {}
    with archive.searcher() as s:
        for leaf in _leaves(s.reader()):
            deleted = _deleted(leaf)
            for docnum, e in enumerate(_segment_sources(archive, leaf)):
                if e is not None and docnum not in deleted:
                    out[e[0]] = (e[1], e[2], e[3], e[4])
    return out


def warm(archive) -> None:
    """Compute the side data of segments that have none yet (after a bulk add)."""
    with contextlib.suppress(Exception):
        summary(archive)


__all__ = ["summary", "source_stats", "warm", "SIDE_DIR", "NAME_KINDS"]
