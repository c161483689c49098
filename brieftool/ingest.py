"""`brief add`: paths -> reader -> extractor -> archive.

Files are read, decoded, hashed and their metadata extracted before the write lock is
taken; the decision added / updated / unchanged is made under the lock, against the
archive as it is then, so two `brief add` processes at once cannot add the same text twice.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .models import Brief, BriefError, clean_label, count_words, norm_tag

# Fields an option of `add` can set; options win over what the text says.
OVERRIDABLE = ("title", "authors", "date", "tags", "type", "organization")


@dataclass
class AddResult:
    path: str
    status: str  # added / updated / unchanged / failed (and would-add... with dry_run)
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


def prepare(path: str, text: str, *, overrides: dict, known_tags=(), vocabulary=None,
            size: int | None = None, mtime_ns: int | None = None) -> Prepared:
    """Build the record for a text: extracted fields, then the options on top."""
    from .archive import text_sha256
    from .extract import extract

    ex = extract(text, filename=os.path.basename(path) if path else None,
                 known_tags=known_tags, vocabulary=vocabulary)
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
        title=f.get("title", "") or (Path(path).stem if path else ""),
        authors=list(f.get("authors", [])),
        date=f.get("date"),
        tags=list(f.get("tags", [])),
        type=f.get("type", ""),
        organization=f.get("organization", ""),
        org_abbr=f.get("org_abbr", ""),
        source=path,
        sha256=text_sha256(text),
        words=count_words(text),
        text=text,
        body_start=ex.body_start,
        source_size=size,
        source_mtime_ns=mtime_ns,
        manual={k for k in overrides if k != "tags"},
    )
    return Prepared(path, b, sources, list(ex.notes))


def store(w, p: Prepared, *, now: _dt.datetime | None = None) -> AddResult:
    """Decide added / updated / unchanged for a prepared file and write it (under the lock)."""
    b = p.brief
    now = now or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    same = w.find_sha(b.sha256)
    if same is not None:
        changed = same
        if same.source != b.source and b.source and (not same.source or not os.path.exists(same.source)):
            changed = changed.replace(source=b.source)  # the file moved: keep id and tags
        for k in b.manual:
            if getattr(changed, k) != getattr(b, k):
                changed = changed.replace(**{k: getattr(b, k)}, manual=changed.manual | {k})
        new_tags = merge_tags(changed.tags, b.tags)
        if new_tags != changed.tags:
            changed = changed.replace(tags=new_tags)
        changed = changed.replace(source_size=b.source_size, source_mtime_ns=b.source_mtime_ns) \
            if same.source == changed.source == b.source else changed
        if _meta_differs(changed, same):
            w.put(changed)
            return AddResult(p.path, "updated", changed.id, title=changed.title, notes=p.notes, brief=changed)
        if (changed.source_size, changed.source_mtime_ns) != (same.source_size, same.source_mtime_ns):
            w.put(changed)  # remember size/mtime so the next re-add can skip it unread
        notes = list(p.notes)
        if same.source and same.source != b.source:
            notes.append(f"same text as {same.id} ({same.source})")
        return AddResult(p.path, "unchanged", same.id, title=same.title, notes=notes, brief=changed)
    old = w.find_source(b.source) if b.source else None
    if old is not None:
        upd = b.replace(id=old.id, added=old.added, tags=merge_tags(old.tags, b.tags),
                        manual=old.manual | b.manual)
        for k in old.manual - b.manual:
            upd = upd.replace(**{k: getattr(old, k)})  # fields set by hand survive a text update
        w.put(upd)
        return AddResult(p.path, "updated", upd.id, title=upd.title, notes=p.notes, brief=upd)
    new = b.replace(id=w.new_id(b.sha256), added=now)
    w.put(new)
    return AddResult(p.path, "added", new.id, title=new.title, notes=p.notes, brief=new)


def _meta_differs(a: Brief, b: Brief) -> bool:
    keys = ("title", "authors", "date", "tags", "type", "organization", "source")
    return any(getattr(a, k) != getattr(b, k) for k in keys)


def add_paths(archive, paths: Iterable[str], *, overrides: dict | None = None, dry_run: bool = False,
              lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None,
              on_result: Callable[[AddResult], None] | None = None) -> list[AddResult]:
    """Add files to the archive. Every input gets one AddResult; failures do not stop the rest."""
    from .extract import load_vocabulary
    from .reader import ReadError, read_path

    ov = clean_overrides(overrides)
    known = archive.tags() if archive is not None else []
    vocab = load_vocabulary(archive.vocabulary_path) if archive is not None else []
    results: list[AddResult] = []
    prepared: list[tuple[int, Prepared]] = []

    def emit(r: AddResult):
        results.append(r)

    order: list[AddResult | None] = []
    for raw in paths:
        path = str(raw)
        try:
            d = read_path(path)
            p = prepare(os.path.abspath(path), d.text, overrides=ov, known_tags=known, vocabulary=vocab,
                        size=d.size, mtime_ns=d.mtime_ns)
            p.path = path
            p.notes = list(d.warnings) + p.notes
            prepared.append((len(order), p))
            order.append(None)
        except ReadError as e:
            order.append(AddResult(path, "failed", error=f"{path}: {e}"))
    if dry_run:
        for i, p in prepared:
            order[i] = AddResult(p.path, "dry-run", None, title=p.brief.title, notes=p.notes, brief=p.brief,
                                 sources=p.sources)
    elif prepared:
        if archive is None:
            raise ValueError("archive needed")
        with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
            for i, p in prepared:
                order[i] = store(w, p)
    for r in order:
        emit(r)
        if on_result:
            on_result(r)
    return results
