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
    body_start: int | None = None  # where the shown body now begins, when it moved

    def applied_to(self, b: Brief) -> Brief:
        """``b`` with these changes."""
        new = b.replace(**{k: n for k, (_, n) in self.changes.items()})
        return new.replace(body_start=self.body_start) if self.body_start is not None else new

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
        out.body_start = ex.body_start
    if out.changes:
        out.title = new.title
    return out


def select(archive, ids: Iterable[str] = (), query: str | None = None, flt=None) -> Iterable[Brief]:
    """The briefs to re-read: these (full) ids, else those matching the query/filters, else all
    (streamed from one snapshot: the texts are not all held at once)."""
    ids = list(ids)
    if ids:
        return [archive.get(i) for i in dict.fromkeys(ids)]
    if query is not None or flt is not None:
        from .curate import select_briefs

        return select_briefs(archive, query, flt)
    return archive.records()


def plan(archive, briefs: Iterable[Brief]) -> tuple[list[Reread], int]:
    """Re-read each brief (nothing written): those with changes or kept fields, and how many
    were read. Only the changes are kept, not the texts."""
    from .extract import load_vocabulary

    known = archive.tag_keys()
    vpath = getattr(archive, "vocabulary_path", None)
    vocab = load_vocabulary(Path(vpath)) if vpath else []
    out = []
    n = 0
    for b in briefs:
        n += 1
        r = reread_one(b, known_tags=known, vocabulary=vocab)
        if r.changes or r.kept:
            out.append(r)
    return out, n


def apply(archive, rereads: Iterable[Reread], *, lock_timeout: float = 30.0, on_wait=None) -> int:
    """Write the changed records in ONE transaction; returns how many were written. Each record
    is taken as it is under the lock: one changed meanwhile (by `brief edit`, say) is read
    again, so a field set by hand since the plan stays as it was set."""
    todo = [r for r in rereads if r.changes]
    if not todo:
        return 0
    from .extract import load_vocabulary

    written = 0
    vpath = getattr(archive, "vocabulary_path", None)
    known = vocab = None
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        for r in todo:
            current = w.get(r.id)
            if current is None:
                continue
            same = all(getattr(current, k) == old and k not in current.manual for k, (old, _) in r.changes.items())
            if same:
                new = r.applied_to(current)
            else:
                if vocab is None:
                    known, vocab = archive.tag_keys(), (load_vocabulary(Path(vpath)) if vpath else [])
                again = reread_one(current, known_tags=known, vocabulary=vocab)
                if not again.changes:
                    continue
                new = again.applied_to(current)
            if not w.put_fast(new):
                w.put(new)
            written += 1
    return written
