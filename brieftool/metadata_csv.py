"""A metadata spreadsheet beside a folder of briefs: `brief add DIR --metadata meta.csv`.

One row per file. The **key column** names the file; it is ``--key-column`` or, when not
given, the first header (case-insensitive) among ``path``, ``file``, ``filename``,
``file_name``, ``fileid``, ``file_id``, ``name``, ``stem``. A key matches a file by, in
this order: its path (absolute, or relative to the spreadsheet's folder, or to the current
folder), its file name (``1790-Washington-1.txt``) or its file name without the extension
(``1790-Washington-1``). A key that several rows share matches none of them (the file gets
a note).

The **other columns** map onto fields. Automatically (headers compared case-insensitively,
spaces and hyphens as ``_``):

=============  ======================================================
field          headers
=============  ======================================================
title          title
authors        author, authors, by
date           date
tags           tags, tag, keywords, topics
type           type, doc_type
organization   organization, organisation, org, publisher
=============  ======================================================

``--column field=header`` (repeatable) maps a header by hand and replaces the automatic
mapping for that field; several headers for ``tags`` or ``authors`` are combined, e.g.
``--column author=president_full --column tags=party --column tags=sotu_type``.

Values: ``authors`` are split on ``;`` or ``|`` (a comma stays: ``Smith, Jr.``); ``tags``
on ``;``, ``|`` or ``,``; a ``date`` is anything python-dateutil reads (an unreadable date
is ignored, with a note). Empty cells set nothing.

A spreadsheet value counts as an option of `add` (it wins over what the text says and is
kept when the text later changes); an option given on the command line wins over the
spreadsheet, and ``--tag`` adds to its tags. The file may be comma-, semicolon-, tab- or
``|``-separated, in any encoding the reader understands (UTF-8, UTF-16, Windows-1252...).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .models import UsageError, clean_label

FIELDS = ("title", "authors", "date", "tags", "type", "organization")
# What --column accepts as a field name.
FIELD_NAMES = {
    "title": "title", "author": "authors", "authors": "authors", "date": "date", "tag": "tags",
    "tags": "tags", "type": "type", "org": "organization", "organization": "organization",
    "organisation": "organization", "publisher": "organization",
}
AUTO_HEADERS = {
    "title": ("title",),
    "authors": ("author", "authors", "by"),
    "date": ("date",),
    "tags": ("tags", "tag", "keywords", "topics"),
    "type": ("type", "doc_type"),
    "organization": ("organization", "organisation", "org", "publisher"),
}
KEY_HEADERS = ("path", "file", "filename", "file_name", "fileid", "file_id", "name", "stem")
MAX_BYTES = 100 * 1024 * 1024


def _norm(header: str) -> str:
    return "_".join(header.strip().lstrip("\ufeff").casefold().replace("-", " ").split())


def _split(value: str, seps: str) -> list[str]:
    parts = [value]
    for sep in seps:
        parts = [x for p in parts for x in p.split(sep)]
    return [clean_label(p) for p in parts if clean_label(p)]


def parse_column_specs(specs: Iterable[str]) -> list[tuple[str, str]]:
    """``["author=president_full", "tags=party"]`` -> ``[("authors", "president_full"), ...]``."""
    out = []
    for spec in specs or ():
        name, eq, header = spec.partition("=")
        f = FIELD_NAMES.get(name.strip().casefold())
        if not eq or not header.strip():
            raise UsageError(f"--column {spec!r}: give FIELD=HEADER, e.g. author=president_full")
        if f is None:
            raise UsageError(f"--column {spec!r}: unknown field {name.strip()!r} "
                             f"(choose title, author, date, tags, type or organization)")
        out.append((f, header.strip()))
    return out


def _parse_date(value: str) -> _dt.date | None:
    v = value.strip()
    try:
        return _dt.date.fromisoformat(v)
    except ValueError:
        pass
    from dateutil import parser as dparser

    try:
        from .config import date_order

        return dparser.parse(v, default=_dt.datetime(2000, 1, 1), dayfirst=date_order() == "dmy").date()
    except (ValueError, OverflowError):
        return None


@dataclass
class MetadataTable:
    """The rows of a metadata spreadsheet, indexed by the ways a file can be named."""

    path: Path
    key_header: str
    mapping: dict[str, list[str]]  # field -> headers (as written in the file)
    rows: list[dict[str, str]] = field(default_factory=list)
    by_path: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    used: set[int] = field(default_factory=set)

    # -- lookups --------------------------------------------------------------------------
    def row_for(self, source: str) -> tuple[int | None, str | None]:
        """(row index, note) for a file's absolute path."""
        src = os.path.normpath(source)
        if src in self.by_path:
            return self.by_path[src], None
        base = os.path.basename(src)
        stem = os.path.splitext(base)[0]
        for key in (base, stem):
            if key in self.ambiguous:
                return None, f"{self.path.name}: several rows name {key!r}; none used"
            if key in self.by_name:
                return self.by_name[key], None
        return None, None

    def fields_for(self, source: str) -> tuple[dict, list[str]]:
        """(field values, notes) the spreadsheet gives for a file; ``({}, [])`` when no row."""
        i, note = self.row_for(source)
        notes = [note] if note else []
        if i is None:
            return {}, notes
        self.used.add(i)
        row = self.rows[i]
        out: dict = {}
        for f, headers in self.mapping.items():
            vals = [row.get(h, "") or "" for h in headers]
            vals = [v for v in vals if v.strip()]
            if not vals:
                continue
            if f == "tags":
                tags: list[str] = []
                for v in vals:
                    tags += _split(v, ";|,")
                if tags:
                    out["tags"] = tags
            elif f == "authors":
                authors: list[str] = []
                for v in vals:
                    authors += _split(v, ";|")
                if authors:
                    out["authors"] = authors
            elif f == "date":
                d = _parse_date(vals[0])
                if d is None:
                    notes.append(f"{self.path.name} row {i + 2}: date {vals[0].strip()!r} not understood; ignored")
                else:
                    out["date"] = d
            else:
                v = clean_label(" ".join(vals))
                if v:
                    out[f] = v
        return out, notes

    def unused_rows(self) -> int:
        return len(self.rows) - len(self.used)

    def is_this_file(self, source: str) -> bool:
        try:
            return os.path.samefile(source, self.path)
        except OSError:
            return False


def _strict_rows(path: Path, text: str, delimiter: str) -> list[list[str]]:
    """The rows of a spreadsheet that parses cleanly, else a UsageError naming the line: a
    stray or unclosed quote, a value over several lines (metadata values are one line; this
    is how a broken quote swallows the rows after it), more cells than the header has."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    width = None
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise UsageError(f"metadata file {path}, line {start}: not clean CSV ({e}); "
                             "check the quotes on that line") from None
        end = reader.line_num
        if any("\n" in c or "\r" in c for c in row):
            raise UsageError(f"metadata file {path}, line {start}: a value runs over several lines "
                             f"(to line {end}): an unclosed quote? Fix that line")
        if width is None:
            if any(c.strip() for c in row):
                width = len(row)
        elif len(row) > width and any(c.strip() for c in row[width:]):
            raise UsageError(f"metadata file {path}, line {start}: {len(row)} cells, but the header has "
                             f"{width}: a stray delimiter or quote? Fix that line")
        rows.append(row)
        start = end + 1
    return rows


def load(path: str | Path, *, key_column: str | None = None, columns: Iterable[str] = ()) -> MetadataTable:
    """Read a metadata spreadsheet. Problems with the file or the options are UsageErrors
    (one line naming the file and the reason)."""
    from .readers.text import ReadError, read_path

    path = Path(path)
    try:
        text = read_path(path, max_bytes=MAX_BYTES).text
    except ReadError as e:
        raise UsageError(f"metadata file {path}: {e}") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    table = _strict_rows(path, text.lstrip("\ufeff"), delimiter)
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        raise UsageError(f"metadata file {path}: no header row")
    headers = [h.strip() for h in table[0]]
    by_norm: dict[str, str] = {}
    for h in headers:
        if h and _norm(h) not in by_norm:
            by_norm[_norm(h)] = h
    shown = ", ".join(h for h in headers if h)

    def header(name: str, what: str) -> str:
        h = by_norm.get(_norm(name))
        if h is None:
            raise UsageError(f"metadata file {path}: no column {name!r} ({what}); its columns are: {shown}")
        return h

    if key_column:
        key = header(key_column, "--key-column")
    else:
        key = next((by_norm[k] for k in KEY_HEADERS if k in by_norm), None)
        if key is None:
            raise UsageError(f"metadata file {path}: no column names the files (path, file, filename, fileid, "
                             f"name, stem...); give --key-column (its columns are: {shown})")
    mapping: dict[str, list[str]] = {}
    manual = parse_column_specs(columns)
    for f, h in manual:
        hh = header(h, f"--column {f}")
        if hh not in mapping.setdefault(f, []):
            mapping[f].append(hh)
    for f, names in AUTO_HEADERS.items():
        if f in mapping:
            continue
        for n in names:
            h = by_norm.get(n)
            if h and h != key:
                mapping[f] = [h]
                break

    t = MetadataTable(path=path, key_header=key, mapping=mapping)
    base = path.resolve().parent
    cwd = Path.cwd()
    ki = headers.index(key)
    for raw in table[1:]:
        row = {h: (raw[i] if i < len(raw) else "") for i, h in enumerate(headers) if h}
        k = (raw[ki] if ki < len(raw) else "").strip()
        if not k:
            continue
        idx = len(t.rows)
        t.rows.append(row)
        if "/" in k or os.sep in k:
            for b in (base, cwd):
                t.by_path.setdefault(os.path.normpath(os.path.join(b, os.path.expanduser(k))), idx)
            name = os.path.basename(k)
        else:
            name = k
        if name in t.by_name and t.by_name[name] != idx:
            t.ambiguous.add(name)
        t.by_name[name] = idx
    return t
