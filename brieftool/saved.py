"""Saved searches: a name for a query and filters, usable as ``@NAME`` wherever a query is.

They live in the archive folder, in ``saved.json`` (written whole to a temporary file and
renamed, so it is never half-written)::

    {"format": 1, "searches": {"nk-sanctions": {"query": "sanctions", "tags": ["North Korea"],
     "author": null, "since": "2019", "until": null, "type": null, "org": null}}}

``@NAME`` is expanded *before* the query is parsed, as text: the saved query and its filters
written in the query syntax, in brackets (``(sanctions) tag:"North Korea" date:2019..``), so
``brief search @nk-sanctions date:2024`` is the saved search narrowed to 2024, and
``-@nk-sanctions`` leaves its briefs out. A saved query may itself use another ``@NAME``.
A word in quotes (``"@StateDept"``) is never expanded; neither is an ``@`` inside a word
(``name@example.org``).

``brief export`` writes each saved search after the records as one JSON line
``{"saved_search": NAME, "query": ..., "tags": [...], ...}``; ``brief import`` reads such lines
back. An archive without saved searches exports exactly as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .models import BriefError, UsageError

FILE = "saved.json"
FORMAT = 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FILTER_KEYS = ("tags", "author", "since", "until", "type", "org")
_MAX_DEPTH = 10


@dataclass
class Saved:
    name: str
    query: str = ""
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    since: str | None = None
    until: str | None = None
    type: str | None = None
    org: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("name")
        return d

    def filters(self) -> dict:
        return {k: getattr(self, k) for k in FILTER_KEYS}

    def expansion(self) -> str:
        """The query text that ``@NAME`` stands for (the saved query and filters in query syntax)."""
        parts = []
        if self.query.strip():
            parts.append(f"({self.query.strip()})")
        parts += [f"tag:{_quote(t)}" for t in self.tags]
        if self.author:
            parts.append(f"author:{_quote(self.author)}")
        if self.type:
            parts.append(f"type:{_quote(self.type)}")
        if self.org:
            parts.append(f"org:{_quote(self.org)}")
        if self.since or self.until:
            parts.append(f"date:{self.since or ''}..{self.until or ''}")
        return " ".join(parts)

    def describe(self) -> str:
        """One line for `saved list`: the query and the filters as options."""
        bits = [self.query if self.query.strip() else "''"]
        bits += [f"--tag {_quote(t)}" for t in self.tags]
        for k in ("author", "since", "until", "type", "org"):
            v = getattr(self, k)
            if v:
                bits.append(f"--{k} {_quote(v)}")
        return " ".join(bits)


def _quote(v: str) -> str:
    return f'"{v}"' if re.search(r"[\s():\"'-]", v) or not v else v


def check_name(name: str) -> str:
    n = name.strip().lstrip("@")
    if not NAME_RE.match(n):
        raise UsageError(f"bad saved-search name {name!r}: use letters, digits, '.', '_' and '-' "
                         "(starting with a letter or digit, at most 64)")
    return n


def path_for(location) -> Path | None:
    """The saved-search file of an archive folder (None for a remote archive)."""
    if location is None:
        from .engine.base import default_location

        location = default_location()
    if hasattr(location, "path"):  # an opened archive
        p = location.path
        return Path(p) / FILE if p is not None else None
    s = str(location)
    if "://" in s:
        return None
    return Path(s).expanduser() / FILE


def load(path: Path | None) -> dict[str, Saved]:
    """The saved searches in the file, by name ({} when there is none)."""
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as e:
        raise BriefError(f"cannot read saved searches {path}: {(e.strerror or str(e)).lower()}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        searches = data["searches"]
        if not isinstance(searches, dict):
            raise TypeError
        out = {}
        for name, d in searches.items():
            out[name] = from_json(name, d)
        return out
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise BriefError(f"saved searches {path} are damaged ({e}); fix or remove the file") from None


def from_json(name: str, d) -> Saved:
    if not isinstance(d, dict):
        raise ValueError(f"saved search {name!r} is not an object")
    q = d.get("query", "")
    if not isinstance(q, str):
        raise ValueError(f"saved search {name!r}: query is not a string")
    tags = d.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError(f"saved search {name!r}: tags is not a list of strings")
    kw = {}
    for k in ("author", "since", "until", "type", "org"):
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"saved search {name!r}: {k} is not a string")
        kw[k] = v or None
    return Saved(check_name(name), q, list(tags), **kw)


def write(path: Path, searches: dict[str, Saved]) -> None:
    data = {"format": FORMAT, "searches": {n: searches[n].to_json() for n in sorted(searches)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _need(path: Path | None) -> Path:
    if path is None:
        raise UsageError("saved searches are kept in a local archive folder; this archive has none")
    return path


def add(path: Path | None, s: Saved, *, replace: bool = False) -> Saved | None:
    """Save ``s``; returns the search it replaced (None when new). The query is checked first."""
    path = _need(path)
    s = Saved(check_name(s.name), s.query, list(s.tags), s.author, s.since, s.until, s.type, s.org)
    for k in ("author", "since", "until", "type", "org", *(["tag"] if s.tags else [])):
        vals = s.tags if k == "tag" else [getattr(s, k)]
        if any(v and '"' in v for v in vals):
            raise UsageError(f"a saved search's {k} cannot contain a double quote")
    searches = load(path)
    from .query import parse, period

    for v in (s.since, s.until):
        if v:
            period(v)  # an impossible date is refused now, not at every use
    text = expand(path, s.expansion(), searches={**searches, s.name: s})
    if text.strip():
        parse(text)
    old = searches.get(s.name)
    if old is not None and not replace:
        raise UsageError(f"a saved search named {s.name!r} exists: {old.describe()} (use --replace to change it)")
    searches[s.name] = s
    write(path, searches)
    return old


def remove(path: Path | None, name: str) -> Saved:
    path = _need(path)
    n = name.strip().lstrip("@")
    searches = load(path)
    if n not in searches:
        raise UsageError(f"no saved search named {n!r}{_known(searches)}")
    old = searches.pop(n)
    write(path, searches)
    return old


def _known(searches: dict) -> str:
    return f" (saved: {', '.join(sorted(searches))})" if searches else " (none are saved: brief saved add NAME QUERY)"


# -- @NAME ---------------------------------------------------------------------------------------
# A quoted phrase (kept as it is), or @NAME at the start of a word (after space, '(' or '-').
_TOKEN = re.compile(r'"[^"]*"?|(?<![^\s(\-])@([A-Za-z0-9][A-Za-z0-9._-]*)')


def has_refs(text: str | None) -> bool:
    return bool(text) and any(m.group(1) for m in _TOKEN.finditer(text))


def expand(path: Path | None, text: str, *, searches: dict[str, Saved] | None = None, _depth: int = 0,
           _seen: tuple = ()) -> str:
    """``text`` with every ``@NAME`` replaced by ``(expansion)``; UsageError for an unknown name
    or a saved search that refers to itself."""
    if text is None or "@" not in text:
        return text
    if searches is None:
        searches = load(path)

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if not name:
            return m.group(0)
        name = name.rstrip(".")  # "@nk." at the end of a sentence
        s = searches.get(name)
        if s is None:
            raise UsageError(f"no saved search named {name!r} for @{name}{_known(searches)}; "
                             f'put "@{name}" in quotes to search for the word')
        if name in _seen or _depth >= _MAX_DEPTH:
            raise UsageError(f"saved search @{name} refers to itself")
        inner = expand(path, s.expansion(), searches=searches, _depth=_depth + 1, _seen=_seen + (name,))
        return f"({inner})" if inner.strip() else ""

    return _TOKEN.sub(sub, text)


def expand_query(location, text: str | None) -> tuple[str | None, bool]:
    """(the query with @NAMEs expanded, whether any was); the archive folder (or an open
    archive) says where the saved searches are."""
    if not has_refs(text):
        return text, False
    return expand(path_for(location), text), True


# -- export / import -----------------------------------------------------------------------------
EXPORT_KEY = "saved_search"


def export_lines(location) -> list[dict]:
    """One JSON object per saved search, for the end of a JSONL export."""
    searches = load(path_for(location))
    return [{EXPORT_KEY: n, **searches[n].to_json()} for n in sorted(searches)]


def is_export_line(d) -> bool:
    return isinstance(d, dict) and EXPORT_KEY in d and "text" not in d


def split_saved(lines, sink: list):
    """Pass an export's record lines on; put its saved-search lines, parsed, in ``sink``."""
    key = f'"{EXPORT_KEY}"'.encode()
    for n, raw in lines:
        if key in raw[:40]:
            try:
                d = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                d = None
            if is_export_line(d):
                sink.append((n, d))
                continue
        yield n, raw


@dataclass
class ImportedSaved:
    line: int
    name: str
    status: str  # imported / replaced / unchanged / skipped / failed
    error: str | None = None

    def to_json(self) -> dict:
        return {"line": self.line, "status": self.status, "saved_search": self.name, "error": self.error}


def import_saved(location, items: list[tuple[int, dict]], *, replace: bool = False) -> list[ImportedSaved]:
    """Merge exported saved searches into the archive's: a new name is imported, the same search
    is unchanged, a different one under a known name is skipped unless ``replace``."""
    if not items:
        return []
    path = path_for(location)
    out: list[ImportedSaved] = []
    if path is None:
        return [ImportedSaved(n, str(d.get(EXPORT_KEY)), "failed", "this archive has no folder for saved searches")
                for n, d in items]
    searches = load(path)
    changed = False
    for n, d in items:
        name = d.get(EXPORT_KEY)
        try:
            if not isinstance(name, str):
                raise ValueError("saved_search is not a name")
            s = from_json(name, {k: v for k, v in d.items() if k != EXPORT_KEY})
        except (ValueError, UsageError) as e:
            out.append(ImportedSaved(n, str(name), "failed", str(e)))
            continue
        old = searches.get(s.name)
        if old == s:
            out.append(ImportedSaved(n, s.name, "unchanged"))
        elif old is not None and not replace:
            out.append(ImportedSaved(n, s.name, "skipped", f"a different saved search {s.name!r} exists "
                                                           "(use --replace to overwrite it)"))
        else:
            searches[s.name] = s
            changed = True
            out.append(ImportedSaved(n, s.name, "replaced" if old is not None else "imported"))
    if changed:
        write(path, searches)
    return out
