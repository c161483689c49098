"""Changes to records already in the archive (remove, tag, edit, rename) and what it holds
(counts of tags, authors and organizations; stats).

Every change goes through ``ArchiveWriter.put``/``delete``: the one place that writes records.
A change is computed against the record as it is *under the write lock* (re-read there), so a
`brief add` or another curation command running at the same time is never overwritten with a
stale copy. A change replaces only the fields it is about: the text, the id and every other
field stay exactly as they were.

Fields changed by hand are recorded in ``Brief.manual`` so that a later re-add of changed text
keeps them (see ``ingest.store``). Tags are a special case: adding a tag by hand needs no
protection (an update merges the old tags with the new text's), but removing or renaming one
does, so ``tags`` goes into ``manual`` only when a hand change takes a tag away.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .engine.base import name_key
from .models import Brief, BriefError, UsageError, clean_label, norm_tag

# Fields `brief edit` can change (the text, id, hash, word count and time added never change).
EDITABLE = ("title", "authors", "date", "tags", "type", "organization", "source")
FIELD_NAMES = {
    "title": "title", "author": "authors", "authors": "authors", "date": "date", "tag": "tags",
    "tags": "tags", "type": "type", "org": "organization", "organization": "organization",
    "source": "source",
}
# What `brief tags/authors/orgs` count (each engine knows the index field holding its keys).
KINDS = {"tag": "tag", "author": "author_key", "org": "org_key"}

_ORG_WITH_ABBR = re.compile(r"(.*?)\s*\(([^\W\d_][\w&.\-]{1,15})\)")


@dataclass
class Change:
    """What a curation command did (or, with dry_run, would do) to one brief."""

    id: str
    status: str  # changed / unchanged / failed
    title: str = ""
    changes: list[str] = field(default_factory=list)  # "+reviewed", "-draft", "title: 'a' -> 'b'"
    notes: list[str] = field(default_factory=list)  # why nothing changed: "already tagged 'x'"
    error: str | None = None
    before: Brief | None = None
    after: Brief | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "status": self.status, "changes": list(self.changes), "notes": list(self.notes),
                "error": self.error}


# The fields a curation command can change, as `--json` reports them (old -> new).
CHANGE_FIELDS = ("title", "authors", "date", "tags", "type", "organization", "source", "url")


def _field_value(b: Brief, k: str):
    v = getattr(b, k, None)
    if k == "date":
        return v.isoformat() if v else None
    return list(v) if isinstance(v, list) else v


def change_json(c: Change, *, dry_run: bool = False) -> dict:
    """One brief a changing command touched, for --json: id, status, the changes as shown to
    people, and ``fields``: {field: {"old": ..., "new": ...}} for each field that changed."""
    fields = {}
    if c.before is not None and c.after is not None:
        for k in CHANGE_FIELDS:
            old, new = _field_value(c.before, k), _field_value(c.after, k)
            if old != new:
                fields[k] = {"old": old, "new": new}
    status = "would change" if dry_run and c.status == "changed" else c.status
    return {"id": c.id, "status": status, "title": c.title, "changes": list(c.changes), "fields": fields,
            "notes": list(c.notes), "error": c.error}


def removed_json(b: Brief) -> dict:
    """A removed brief, for --json: the record it was (old) and nothing (new)."""
    return {"id": b.id, "status": "removed", "title": b.title, "changes": ["removed"], "old": b.to_json(),
            "new": None}


# -- removing -------------------------------------------------------------------------------------
def remove_briefs(archive, ids: list[str], *, lock_timeout: float = 30.0, on_wait=None) -> list[Brief]:
    """Remove the briefs with these (full) ids; returns the records removed."""
    removed = []
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        for i in dict.fromkeys(ids):
            b = w.get(i)
            if b is not None:
                w.delete(i)
                removed.append(b)
    return removed


# -- the one read-modify-write loop ---------------------------------------------------------------
Modifier = Callable[[Brief], "tuple[Brief, list[str], list[str]]"]


def modify(archive, ids: Iterable[str], fn: Modifier, *, dry_run: bool = False, lock_timeout: float = 30.0,
           on_wait=None) -> list[Change]:
    """Apply ``fn`` to each brief (full ids) in ONE writer transaction.

    ``fn(brief) -> (new_brief, changes, notes)``; the brief is written (``ArchiveWriter.put``)
    only when ``changes`` is not empty. With ``dry_run`` nothing is locked or written.
    """
    if dry_run:  # the archive's reader stands in for a writer: .get() the records, no lock
        with archive.reader() as r:
            return _apply(r, ids, fn, dry_run=True)
    from .engine.base import Conflict

    ids = list(ids)
    for attempt in range(5):  # an engine without a lock: a record changed meanwhile is read again
        try:
            with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
                return _apply(w, ids, fn)
        except Conflict:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _apply(w, ids: Iterable[str], fn: Modifier, *, dry_run: bool = False) -> list[Change]:
    out = []
    for i in dict.fromkeys(ids):
        b = w.get(i)
        if b is None:
            out.append(Change(i, "failed", error=f"brief {i} is no longer in the archive"))
            continue
        new, changes, notes = fn(b)
        if changes and new != b:
            if not dry_run and not w.put_fast(new):  # delete by document number + add (not
                w.put(new)                              # update_document, which looks in every segment)
            out.append(Change(b.id, "changed", new.title, changes, notes, before=b, after=new))
        else:
            out.append(Change(b.id, "unchanged", b.title, [], notes, before=b, after=b))
    return out


def resolve_ids(archive, prefixes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Full ids for ids or unique prefixes, and one error message per one that is not."""
    ids, errors = [], []
    for p in prefixes:
        try:
            ids.append(archive.resolve(p))
        except UsageError as e:
            errors.append(e.message)
    return list(dict.fromkeys(ids)), errors


def select_briefs(archive, query: str | None = None, flt=None) -> list[Brief]:
    """Every brief matching a query (all its words; '' or None: every brief) and the filters,
    newest first: what a bulk change by query applies to."""
    from . import querytree as T
    from .query import parse

    q = T.Every()
    if query and query.strip():
        parsed = parse(query)
        q = parsed.query
        extra = getattr(parsed, "filter", None)  # should the parser ever split out a filter part
        if extra is not None:
            flt = extra if flt is None else T.And((flt, extra))
    with archive.reader() as r:
        found = r.search(q, flt, sort="date", limit=None)
        return [r.brief(h) for h in found.hits]


# -- tags -----------------------------------------------------------------------------------------
def clean_tag(tag: str) -> str:
    """A tag as it will be stored; UsageError for an empty tag or one with a comma."""
    t = clean_label(tag)
    if not t:
        raise UsageError("empty tag")
    if "," in t:
        raise UsageError(f"tag {t!r} contains a comma; tags cannot contain commas (give each tag on its own)")
    return t


def tag_ops(add: Iterable[str] = (), remove: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Clean and de-duplicate tags to add and remove; refuse a tag both added and removed."""
    def dedupe(tags):
        seen, out = set(), []
        for t in tags:
            t = clean_tag(t)
            if norm_tag(t) not in seen:
                seen.add(norm_tag(t))
                out.append(t)
        return out

    a, r = dedupe(add), dedupe(remove)
    both = {norm_tag(t) for t in a} & {norm_tag(t) for t in r}
    if both:
        t = next(x for x in a if norm_tag(x) in both)
        raise UsageError(f"tag {t!r} is both added and removed")
    return a, r


def retag(b: Brief, add: Iterable[str] = (), remove: Iterable[str] = ()) -> tuple[Brief, list[str], list[str]]:
    """The brief with tags added and removed (matched case-insensitively; a new tag is kept as
    written, an existing one keeps its spelling). Returns (brief, changes, notes)."""
    have = {norm_tag(t): t for t in b.tags}
    changes, notes = [], []
    gone = set()
    for t in remove:
        k = norm_tag(t)
        if k in have:
            gone.add(k)
            changes.append(f"-{have[k]}")
        else:
            notes.append(f"not tagged {t!r}")
    tags = [t for t in b.tags if norm_tag(t) not in gone]
    for t in add:
        k = norm_tag(t)
        if k in have and k not in gone:
            notes.append(f"already tagged {have[k]!r}")
        else:
            tags.append(t)
            have[k] = t
            changes.append(f"+{t}")
    if not changes:
        return b, [], notes
    return b.replace(tags=tags, manual=b.manual | {"tags"} if gone else b.manual), changes, notes


def tag_briefs(archive, ids: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = (), *,
               dry_run: bool = False, lock_timeout: float = 30.0, on_wait=None) -> list[Change]:
    """Add and remove tags on briefs (full ids), in one transaction."""
    a, r = tag_ops(add, remove)
    if not a and not r:
        raise UsageError("no tag to add or remove")
    return modify(archive, ids, lambda b: retag(b, a, r), dry_run=dry_run, lock_timeout=lock_timeout,
                  on_wait=on_wait)


# -- edit -----------------------------------------------------------------------------------------
def field_name(name: str) -> str:
    """'org' -> 'organization', 'author' -> 'authors'...; UsageError for an unknown field."""
    f = FIELD_NAMES.get(name.strip().lower())
    if f is None:
        if name.strip().lower() in ("id", "text", "sha256", "words", "added"):
            raise UsageError(f"the {name.strip().lower()} of a brief cannot be edited")
        raise UsageError(f"unknown field {name!r} (choose {', '.join(EDITABLE)})")
    return f


def split_org(value: str) -> tuple[str, str | None]:
    """'Foundation for the Defense of Democracies (FDD)' -> (name, 'FDD'); (value, None) without."""
    v = clean_label(value)
    m = _ORG_WITH_ABBR.fullmatch(v)
    if m and m[1] and sum(c.isupper() for c in m[2]) >= 2:
        return clean_label(m[1]), m[2]
    return v, None


def org_display(b: Brief) -> str:
    return b.organization + (f" ({b.org_abbr})" if b.org_abbr and b.organization else "")


def _unique_names(values: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for v in values:
        v = clean_label(v)
        if v and v.casefold() not in seen:
            seen.add(v.casefold())
            out.append(v)
    return out


def edit_values(*, title: str | None = None, authors: Iterable[str] | None = None,
                add_authors: Iterable[str] = (), date=None, type: str | None = None,
                organization: str | None = None, source: str | None = None, tags: Iterable[str] | None = None,
                clear: Iterable[str] = ()) -> dict:
    """Validate `edit` options into ``{field: new value}`` (plus ``add_authors``).

    ``date`` may be a date or a string (anything python-dateutil reads); ``organization`` may end
    in ``(ABBR)``; ``source`` is made absolute; ``clear`` names fields to empty.
    """
    from .query import parse_date_option

    out: dict = {}
    cleared = []
    for name in clear:
        f = field_name(name)
        if f not in cleared:
            cleared.append(f)
    given = {"title": title, "authors": authors, "date": date, "type": type, "organization": organization,
             "source": source, "tags": tags}
    for f in cleared:
        if given.get(f) is not None or (f == "authors" and add_authors):
            raise UsageError(f"--clear {f} and a new {f} given together; give one of them")
        out[f] = [] if f in ("authors", "tags") else (None if f == "date" else "")
    for f in ("title", "type"):
        if given[f] is not None:
            v = clean_label(given[f])
            if not v:
                raise UsageError(f"empty --{f} (use --clear {f} to empty the field)")
            out[f] = v
    if authors is not None:
        names = _unique_names(authors)
        if not names:
            raise UsageError("empty --author (use --clear authors to remove every author)")
        out["authors"] = names
    extra = _unique_names(add_authors)
    if add_authors and not extra:
        raise UsageError("empty --add-author")
    if extra:
        out["add_authors"] = extra
    if date is not None:
        out["date"] = date if isinstance(date, _dt.date) else parse_date_option(str(date))
    if organization is not None:
        name, abbr = split_org(organization)
        if not name:
            raise UsageError("empty --org (use --clear org to empty the field)")
        out["organization"] = (name, abbr)
    if source is not None:
        if not source.strip():
            raise UsageError("empty --source (use --clear source to empty the field)")
        out["source"] = os.path.abspath(os.path.expanduser(source.strip()))
    if tags is not None:
        out["tags"], _ = tag_ops(tags, ())
    return out


def _show(v) -> str:
    if v is None or v == "" or v == []:
        return "(empty)"
    if isinstance(v, list):
        return repr("; ".join(v))
    if isinstance(v, _dt.date):
        return v.isoformat()
    return repr(v)


def apply_edit(b: Brief, values: dict) -> tuple[Brief, list[str], list[str]]:
    """The brief with new field values (from :func:`edit_values`). Returns (brief, changes, notes).

    Changed fields go into ``manual``. An organization given without ``(ABBR)`` keeps the old
    abbreviation when it names the same organization, and drops it otherwise."""
    new = b
    changes: list[str] = []
    manual = set(b.manual)
    for f in EDITABLE:
        if f not in values and not (f == "authors" and "add_authors" in values):
            continue
        old_v = getattr(b, f)
        if f == "organization":
            name, abbr = values[f] if isinstance(values[f], tuple) else (values[f], "")
            if abbr is None:
                abbr = b.org_abbr if name.casefold() == b.organization.casefold() else ""
            if (name, abbr) != (b.organization, b.org_abbr):
                before = org_display(b)
                new = new.replace(organization=name, org_abbr=abbr if name else "")
                changes.append(f"organization: {_show(before)} -> {_show(org_display(new))}")
                manual.add(f)
            continue
        v = values.get(f, old_v)
        if f == "authors" and "add_authors" in values:
            v = _unique_names(list(v) + list(values["add_authors"]))
        if f == "tags":
            v_keys = {norm_tag(t) for t in v}
            if any(norm_tag(t) not in v_keys for t in b.tags):
                manual.add("tags")  # a tag taken away by hand must not come back from the text
        if v != old_v:
            repl = {f: list(v) if isinstance(v, list) else v}
            if f == "source":  # size/mtime described the old file
                repl.update(source_size=None, source_mtime_ns=None)
            new = new.replace(**repl)
            changes.append(f"{f}: {_show(old_v)} -> {_show(v)}")
            if f != "tags":
                manual.add(f)
    if not changes:
        return b, [], ["nothing to change"]
    return new.replace(manual=manual), changes, []


def edit_brief(archive, brief_id: str, values: dict, *, dry_run: bool = False, lock_timeout: float = 30.0,
               on_wait=None) -> Change:
    """Set fields of one brief (full id) to the values of :func:`edit_values`."""
    return modify(archive, [brief_id], lambda b: apply_edit(b, values), dry_run=dry_run,
                  lock_timeout=lock_timeout, on_wait=on_wait)[0]


# -- counting -------------------------------------------------------------------------------------
def values_of(b: Brief, kind: str) -> list[str]:
    if kind == "tag":
        return list(b.tags)
    if kind == "author":
        return list(b.authors)
    if kind == "org":
        return [b.organization] if b.organization else []
    raise ValueError(f"unknown kind {kind!r}")




def counts(archive, kind: str, *, sort: str = "count") -> list[tuple[str, int]]:
    """Every tag ('tag'), author ('author') or organization ('org') with its number of briefs.

    ``sort``: 'count' (most used first, then by name) or 'name'. The spelling shown is the one
    most briefs use. From the archive's side data (``archive.summary()``): no text is loaded.
    """
    if sort not in ("count", "name"):
        raise UsageError(f"unknown sort {sort!r} (choose count or name)")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return sort_counts(archive.summary().rows(kind), sort)


def sort_counts(rows: list[tuple[str, int]], sort: str = "count") -> list[tuple[str, int]]:
    if sort == "name":
        return sorted(rows, key=lambda r: (r[0].casefold(), r[0]))
    return sorted(rows, key=lambda r: (-r[1], r[0].casefold(), r[0]))


# -- renames --------------------------------------------------------------------------------------
@dataclass
class Rename:
    kind: str  # "tag" / "author"
    old: str
    new: str
    changes: list[Change]
    existing: int = 0  # briefs that already carried NEW (a different name from OLD) before the rename
    both: int = 0  # briefs that carried OLD and NEW: merged into one

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.status == "changed"]

    @property
    def merged(self) -> bool:
        return self.existing > 0


def _rename_list(values: list[str], old_key: str, new: str, kind: str = "tag") -> tuple[list[str], list[str], bool]:
    """Rename OLD (by key) to NEW in a list of names. When the list already has NEW (a different
    name), OLD is dropped and NEW stays where and as it is (a merge); otherwise NEW takes OLD's
    place. Returns (values, change descriptions, whether the list had both)."""
    new_key = name_key(new, kind)
    existing = None
    if old_key != new_key:
        existing = next((v for v in values if name_key(v, kind) == new_key), None)
    out, seen, desc = [], set(), []
    for v in values:
        k = name_key(v, kind)
        if k == old_key:
            if existing is not None:
                desc.append(f"{v!r} merged into {existing!r}")
                continue
            if new_key in seen:
                continue
            seen.add(new_key)
            out.append(new)
            if v != new:
                desc.append(f"{v!r} -> {new!r}")
        elif k not in seen:
            seen.add(k)
            out.append(v)
    return out, desc, existing is not None and any(name_key(v, kind) == old_key for v in values)


def rename(archive, kind: str, old: str, new: str, *, dry_run: bool = False, lock_timeout: float = 30.0,
           on_wait=None) -> Rename:
    """Rename a tag or an author on every brief that has it (OLD matched case-insensitively, the
    whole name; NEW as written). Renaming into a name that already exists merges the two.

    BriefError when no brief has OLD."""
    if kind not in ("tag", "author"):
        raise ValueError(f"cannot rename {kind!r}")
    what = "tag" if kind == "tag" else "author"
    old_c = clean_label(old)
    if not old_c:
        raise UsageError(f"empty {what} to rename")
    if kind == "tag":
        new_c = clean_tag(new)
    else:
        new_c = clean_label(new)
        if not new_c:
            raise UsageError("empty new author name")
    old_key, new_key = name_key(old_c, kind), name_key(new_c, kind)
    attr = "tags" if kind == "tag" else "authors"
    result = Rename(kind, old_c, new_c, [])

    def fn(b: Brief):
        vals, desc, both = _rename_list(getattr(b, attr), old_key, new_c, kind)
        if vals == getattr(b, attr):
            return b, [], [f"already {new_c!r}"]
        if both:
            result.both += 1
        manual = b.manual
        if kind == "author" or old_key != new_key:
            manual = manual | {attr}  # must not come back from the text on a later update
        return b.replace(**{attr: vals}, manual=manual), desc, []

    def find() -> list[str]:
        # Under the write lock, a reader opened now sees the last commit and nothing can
        # commit before we do: the briefs found here are exactly the ones to change.
        with archive.reader() as r:
            ids = r.ids_with(kind, old_key)
            if old_key != new_key:
                result.existing = len(r.ids_with(kind, new_key))
        if not ids:
            raise BriefError(f"no brief has the {what} {old_c!r}")
        return ids

    if dry_run:
        ids = find()
        with archive.reader() as r:
            result.changes = _apply(r, ids, fn, dry_run=True)
        return result
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        result.changes = _apply(w, find(), fn)
    return result


# -- stats ----------------------------------------------------------------------------------------
def dir_size(path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def stats(archive, *, top: int = 10) -> dict:
    """What the archive holds: briefs, words, dates, briefs per year, top tags/authors/organizations
    and its size on disk. From the archive's side data (``archive.summary()``): no text is loaded."""
    summ = archive.summary()
    n, words, undated = summ.briefs, summ.words, summ.undated
    dates = sorted(summ.live_dates().items())
    first = _dt.date.fromisoformat(dates[0][0]) if dates else None
    last = _dt.date.fromisoformat(dates[-1][0]) if dates else None
    years: Counter = Counter()
    for d, m in dates:
        years[int(d[:4])] += m
    per = {k: summ.rows(k) for k in ("tag", "author", "org")}

    def top_of(kind):
        rows = sort_counts(per[kind])
        return [{"name": name, "count": m} for name, m in (rows[:top] if top else rows)]

    return {
        "archive": str(archive.location),
        "briefs": n,
        "words": words,
        "first_date": first.isoformat() if first else None,
        "last_date": last.isoformat() if last else None,
        "undated": undated,
        "per_year": [{"year": y, "count": years[y]} for y in sorted(years)],
        "tags": len(per["tag"]),
        "authors": len(per["author"]),
        "organizations": len(per["org"]),
        "top_tags": top_of("tag"),
        "top_authors": top_of("author"),
        "top_organizations": top_of("org"),
        "size_bytes": archive.size_bytes(),
    }


def year_rows(per_year: list[dict], *, max_rows: int = 30) -> tuple[str, list[tuple[str, int]]]:
    """(unit, rows) for the briefs-per-year chart, gaps filled with zeros: one row per year when
    the span fits in ``max_rows``, else one per decade, else one per century."""
    if not per_year:
        return "year", []
    c = {r["year"]: r["count"] for r in per_year}
    lo, hi = min(c), max(c)
    for width, unit, label in ((1, "year", "{}"), (10, "decade", "{}s"), (100, "century", "{}s")):
        start, end = lo - lo % width, hi - hi % width
        if (end - start) // width + 1 <= max_rows or width == 100:
            return unit, [(label.format(y), sum(c.get(x, 0) for x in range(y, y + width)))
                          for y in range(start, end + 1, width)]
    raise AssertionError("unreachable")  # pragma: no cover
