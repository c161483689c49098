"""Output: Rich tables and panels for people, JSON/JSONL/CSV/ids for scripts.

Text from briefs is data: it is never interpreted as Rich markup (every value goes in as a
``rich.text.Text``) and control characters, terminal escapes among them, are shown as
visible ``\\x1b``-style escapes instead of being sent to the terminal.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable

from .models import Brief

FORMATS = ("table", "json", "jsonl", "csv", "ids")
CSV_KEYS = ("id", "date", "title", "authors", "tags", "type", "organization", "source", "sha256", "added",
            "words")

# Characters never sent raw to a terminal, a spreadsheet or a JSON reader that might act on
# them: C0 controls (but tab and newline), DEL, C1 controls (U+009B is a one-byte CSI), the
# bidirectional controls and isolates (U+202A-U+202E, U+2066-U+2069, marks U+200E/U+200F,
# U+061C: "Trojan Source" reordering), zero-width and invisible characters (U+200B-U+200D,
# U+2060-U+2064, U+FEFF, U+180E), line/paragraph separators, interlinear annotations, Unicode
# tag characters, and lone surrogates (a file name's undecodable bytes, surrogate-escaped).
_UNSAFE_HIGH = (r"\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                r"\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f")
_UNSAFE = r"\x00-\x08\x0b-\x1f" + _UNSAFE_HIGH
_CONTROL = re.compile(f"[{_UNSAFE}]")
_CONTROL_NL = re.compile(f"[{_UNSAFE}\n\t]")


def _visible(c: str) -> str:
    o = ord(c)
    if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape): the byte
        return f"\\x{o - 0xDC00:02x}"
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def safe(s: str, *, newlines: bool = True) -> str:
    """THE escaping function for every human and CSV output: text from a brief (or a file
    name) with every character of ``_UNSAFE`` shown as a visible escape (``\\x1b``,
    ``\\u202e``, ``\\xff`` for an undecodable file-name byte). Tab and newline are kept
    unless ``newlines=False``."""
    if not s:
        return ""
    return (_CONTROL if newlines else _CONTROL_NL).sub(lambda m: _visible(m.group()), s)


# -- CSV ---------------------------------------------------------------------------------------
# A cell a spreadsheet would read as a formula (or as DDE) starts with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(v, *, raw: bool = False) -> str:
    """One CSV cell. By default escaped like every human output (:func:`safe`) and
    neutralised for spreadsheets: a value starting with ``= + - @``, tab or CR gets a leading
    ``'`` (OWASP's advice; the spreadsheet shows the text, it does not evaluate it). ``raw``:
    the exact value (for programs), only lone surrogates made visible (they cannot be written)."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        v = "; ".join(str(x) for x in v)
    elif not isinstance(v, str):
        return str(v)
    if raw:
        return _SURROGATE.sub(lambda m: _visible(m.group()), v)
    if v.startswith(_FORMULA_START):
        v = "'" + v
    return safe(v)


def csv_row(values, *, raw: bool = False) -> list[str]:
    return [csv_cell(v, raw=raw) for v in values]


# -- JSON --------------------------------------------------------------------------------------
# Exact values, but these characters written as \uXXXX escapes: C1 controls, bidi, zero-width,
# line separators (one record a line for every line reader), lone surrogates (a file name's
# undecodable bytes: JSON can carry them escaped, and reading them back gives the same string).
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_ESCAPE = re.compile(f"[{_UNSAFE_HIGH}]")  # json.dumps escapes C0 itself


def json_text(s: str) -> str:
    """Text already serialised by ``json.dumps(..., ensure_ascii=False)`` with every unsafe
    character escaped as ``\\uXXXX`` (inside JSON strings only: the rest of JSON is ASCII)."""
    return _JSON_ESCAPE.sub(_json_escape, s)


def _json_escape(m) -> str:
    o = ord(m.group())
    if o < 0x10000:
        return f"\\u{o:04x}"
    o -= 0x10000
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"


def one_line(s: str) -> str:
    return " ".join(safe(s).split())


_console = None
_err_console = None


def console():
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, emoji=False, markup=False)
        _console.on_broken_pipe = _reader_gone  # Rich's own handler exits with status 1
    return _console


def _reader_gone() -> None:
    """stdout's reader went away (brief tags | head): the CLI's error boundary ends quietly."""
    raise BrokenPipeError(32, "Broken pipe")


def err_console():
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, emoji=False, markup=False)
    return _err_console


def stderr_is_terminal() -> bool:
    """Whether stderr may be a terminal for Rich (checked without importing Rich)."""
    import os

    if _err_console is not None or os.environ.get("FORCE_COLOR"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _err_line(text: str, style: str) -> None:
    """A line on stderr: through Rich (colour) on a terminal, else written as it is (what Rich
    would write there too), so that a command whose output is for programs never imports Rich."""
    if not stderr_is_terminal():
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return
    err_console().print(text, soft_wrap=True, style=style)


def error(message: str) -> None:
    """One line on stderr: 'Error: ...'."""
    _err_line("Error: " + one_line(message), "red")


def warn(message: str) -> None:
    _err_line(one_line(message), "yellow")


def info(message: str) -> None:
    _err_line(one_line(message), "dim")


def write_out(s: str) -> None:
    sys.stdout.write(s)
    sys.stdout.flush()


def dumps(obj) -> str:
    return json_text(json.dumps(obj, ensure_ascii=False, indent=2))


def dumps_line(obj) -> str:
    """One JSON value on one line (JSON Lines), escaped like :func:`dumps`."""
    return json_text(json.dumps(obj, ensure_ascii=False))


# -- records ----------------------------------------------------------------------------------
RAW_CSV = False  # --raw-csv: exact CSV values, for programs (no escapes, no formula guard)


def emit_records(rows: list[dict], fmt: str, *, table=None) -> None:
    """Write records in a scripting format, or call ``table()`` for the human one."""
    if fmt == "json":
        write_out(dumps(rows) + "\n")
    elif fmt == "jsonl":
        write_out("".join(dumps_line(r) + "\n" for r in rows))
    elif fmt == "ids":
        write_out("".join(r["id"] + "\n" for r in rows))
    elif fmt == "csv":
        keys = list(CSV_KEYS) + [k for k in ("score", "snippet") if rows and k in rows[0]]
        write_csv(keys, ([r.get(k) for k in keys] for r in rows))
    else:
        table()


def write_csv(header, rows, out=None) -> None:
    """CSV on stdout (or ``out``, a text stream): every cell through :func:`csv_cell`."""
    out = out if out is not None else sys.stdout
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(csv_row(row, raw=RAW_CSV))
    out.flush()


def _t(s: str, style: str | None = None):
    from rich.text import Text

    return Text(one_line(s), style=style or "")


def _short(s: str, n: int) -> str:
    """At most n characters, and no unbroken run over 40 (it would fold a table cell)."""
    s = re.sub(r"\S{41,}", lambda m: m.group()[:39] + "…", s)
    return s if len(s) <= n else s[:n - 1].rstrip() + "…"


def _date(b: Brief) -> str:
    return b.date.isoformat() if b.date else ""


def list_table(briefs: Iterable[Brief], *, header: str | None = None) -> None:
    from rich.table import Table

    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False, title=None)
    t.add_column("id", style="cyan", no_wrap=True)
    t.add_column("date", no_wrap=True)
    t.add_column("title", ratio=3)
    t.add_column("authors", ratio=1)
    t.add_column("tags", ratio=1, style="green")
    for b in briefs:
        t.add_row(_t(b.id), _t(_date(b)), _t(b.title), _t(", ".join(b.authors)), _t(", ".join(b.tags)))
    c = console()
    if header:
        c.print(_t(header, "bold"))
    c.print(t)


def snippet_text(snippet: str):
    """A snippet with its marked words highlighted."""
    from rich.text import Text

    from .search import MARK_OFF, MARK_ON

    out = Text(style="dim")
    on = False
    for part in re.split(f"([{MARK_ON}{MARK_OFF}])", one_line(snippet)):
        if part == MARK_ON:
            on = True
        elif part == MARK_OFF:
            on = False
        elif part:
            out.append(part, style="bold yellow reverse" if on else "")
    return out


def search_table(hits, *, header: str | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(show_header=False, box=None, pad_edge=False, show_lines=True, expand=False)
    t.add_column("id", style="cyan", no_wrap=True)
    t.add_column("brief", overflow="fold")
    for h in hits:
        b = h.brief
        cell = Text()
        cell.append(_short(one_line(b.title), 160) or "(untitled)", style="bold")
        meta = [x for x in (_date(b), ", ".join(b.authors), b.organization) if x]
        if meta:
            cell.append("\n" + one_line(" · ".join(meta)))
        if b.tags:
            cell.append("\n" + one_line(", ".join(b.tags)), style="green")
        if h.snippet:
            cell.append("\n")
            sn = snippet_text(h.snippet)
            sn.truncate(400, overflow="ellipsis")
            cell.append_text(sn)
        t.add_row(Text(b.id), cell)
    c = console()
    if header:
        c.print(_t(header, "bold"))
    c.print(t)


def show(b: Brief, *, pager: bool) -> None:
    """Metadata, then the body, wrapped; paged when long and on a terminal."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()
    rows = [("id", b.id), ("date", _date(b)), ("authors", ", ".join(b.authors)), ("type", b.type),
            ("organization", b.organization + (f" ({b.org_abbr})" if b.org_abbr else "")),
            ("tags", ", ".join(b.tags)), ("source", b.source), ("words", str(b.words)),
            ("added", b.added.isoformat() if b.added else ""), ("sha256", b.sha256)]
    for k, v in rows:
        if v:
            meta.add_row(k, _t(v))
    body = Text(safe(b.body.strip("\n")))
    panel = Panel(meta, title=Text(one_line(b.title) or "(untitled)", style="bold"), title_align="left")
    c = console()
    content = Group(panel, Text(""), body, Text(""))
    if pager and c.is_terminal and b.body.count("\n") + 14 > c.height:
        with c.pager(styles=True):
            c.print(content)
    else:
        c.print(content)


def add_line(r) -> None:
    """One line per input of `brief add`."""
    from rich.text import Text

    style = {"added": "green", "updated": "yellow", "unchanged": "dim"}.get(r.status, "")
    line = Text()
    line.append(f"{r.status:<9}", style=style)
    line.append(f" {r.id or '-':<7}  ", style="cyan")
    line.append(one_line(r.path))
    if r.title:
        line.append("  " + one_line(r.title), style="dim")
    console().print(line, soft_wrap=True)
    for n in r.notes:
        warn(f"  {r.path}: {n}")


def dry_run(r) -> None:
    """What `brief add --dry-run` would store for one file, with where each field came from."""
    from rich.table import Table
    from rich.text import Text

    b = r.brief
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_column(style="dim")
    values = [("title", b.title), ("date", _date(b)), ("authors", "; ".join(b.authors)), ("type", b.type),
              ("organization", b.organization + (f" ({b.org_abbr})" if b.org_abbr else "")),
              ("tags", "; ".join(b.tags)), ("words", str(b.words))]
    for k, v in values:
        src = r.sources.get({"organization": "organization"}.get(k, k), "")
        t.add_row(k, _t(v or "—"), _t(src) if v and k != "words" else Text(""))
    c = console()
    c.print(Text("would add  " + one_line(r.path), style="bold"))
    c.print(t)
    for n in r.notes:
        c.print(Text("  note: " + one_line(n), style="yellow"))
