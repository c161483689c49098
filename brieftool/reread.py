"""`brief reread`: run the current metadata reader again on the texts an archive stores.

After an upgrade of ``brieftool.extract`` an archive built with an older reader can be brought
up to date in one command: each chosen brief's stored text is read again (with its file name,
the archive's tags and the user's vocabulary, as `brief add` does) and the fields that come out
different are written back, all in ONE transaction (one writer, one commit; the records are
replaced through the writer's delete-by-document-number path, not one index lookup each).

Rules:

* a field set by hand -- by an option of `brief add`, a metadata spreadsheet or `brief edit`,
  i.e. listed in ``Brief.manual`` -- is never touched;
* a field the new reader does not find keeps its stored value (reread never empties a field);
* tags the text gives are added to the stored ones (tags are never taken away), unless tags
  were changed by hand;
* ``org_abbr`` follows the organization; ``body_start`` (where the shown body begins) is
  updated with the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .models import Brief

FIELDS = ("title", "authors", "date", "type", "organization", "org_abbr", "tags", "url")


@dataclass
class Reread:
    """What re-reading one brief changes (``changes``: field -> (old, new))."""

    id: str
    title: str
    changes: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # fields that differ but were set by hand
    after: Brief | None = None

    def to_json(self) -> dict:
        def plain(v):
            return v.isoformat() if hasattr(v, "isoformat") else v

        return {
            "id": self.id,
            "title": self.title,
            "changes": {k: {"old": plain(o), "new": plain(n), "source": self.sources.get(k)}
                        for k, (o, n) in self.changes.items()},
            "kept": list(self.kept),
        }


def _file_name(b: Brief) -> str | None:
    if b.source and b.source != "-":
        return os.path.basename(b.source)
    return None


def reread_one(b: Brief, *, known_tags: Iterable[str] = (), vocabulary=None) -> Reread:
    """The record ``b`` becomes when its text is read again (nothing is written)."""
    from .extract import extract
    from .ingest import merge_tags

    ex = extract(b.text, filename=_file_name(b), known_tags=known_tags, vocabulary=vocabulary)
    f = dict(ex.fields)
    if "url" not in f and f.get("source_url"):
        f["url"] = f["source_url"]
        ex.sources["url"] = ex.sources.get("source_url")
    new = b
    out = Reread(b.id, b.title)
    for name in FIELDS:
        value = f.get(name)
        if name == "tags":
            if not value:
                continue
            value = merge_tags(b.tags, value)
        if name == "org_abbr" and "organization" in b.manual:
            continue
        if value in (None, "", []):
            continue  # never empty a field
        old = getattr(b, name)
        if value == old:
            continue
        if name in b.manual:
            out.kept.append(name)
            continue
        out.changes[name] = (old, value)
        out.sources[name] = ex.sources.get(name)
        new = new.replace(**{name: value})
    if "organization" in out.changes and "org_abbr" not in f and "organization" not in b.manual and b.org_abbr:
        out.changes["org_abbr"] = (b.org_abbr, "")  # the old abbreviation belonged to the old name
        new = new.replace(org_abbr="")
    if out.changes and ex.body_start != b.body_start:
        new = new.replace(body_start=ex.body_start)
    if out.changes:
        out.title = new.title
    out.after = new
    return out


def select(archive, ids: Iterable[str] = (), query: str | None = None, flt=None) -> list[Brief]:
    """The briefs to re-read: these (full) ids, else those matching the query/filters, else all."""
    ids = list(ids)
    if ids:
        return [archive.get(i) for i in dict.fromkeys(ids)]
    if query is not None or flt is not None:
        from .curate import select_briefs

        return select_briefs(archive, query, flt)
    return list(archive.records())


def plan(archive, briefs: Iterable[Brief]) -> list[Reread]:
    """Re-read each brief (nothing written); only those with changes or kept fields are returned."""
    from .extract import load_vocabulary

    known = archive.tag_keys()
    vpath = getattr(archive, "vocabulary_path", None)
    vocab = load_vocabulary(Path(vpath)) if vpath else []
    out = []
    for b in briefs:
        r = reread_one(b, known_tags=known, vocabulary=vocab)
        if r.changes or r.kept:
            out.append(r)
    return out


def apply(archive, rereads: Iterable[Reread], *, lock_timeout: float = 30.0, on_wait=None) -> int:
    """Write the changed records in one transaction; returns how many were written. A record
    changed by someone else since it was planned is re-read again under the lock."""
    todo = [r for r in rereads if r.changes]
    if not todo:
        return 0
    from .extract import load_vocabulary

    written = 0
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        vpath = getattr(archive, "vocabulary_path", None)
        vocab = None
        for r in todo:
            current = w.get(r.id)
            if current is None:
                continue
            new = r.after
            before = r.after.replace(**{k: o for k, (o, _) in r.changes.items()})
            if current != before and current.replace(body_start=before.body_start) != before:
                if vocab is None:
                    vocab = load_vocabulary(Path(vpath)) if vpath else []
                again = reread_one(current, known_tags=archive.tag_keys(), vocabulary=vocab)
                if not again.changes:
                    continue
                new = again.after
            if not w.put_fast(new):
                w.put(new)
            written += 1
    return written
