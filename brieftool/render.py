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


def _console_class():
    """rich's Console, except that a closed pipe (``brief search x | head -1``) ends brief quietly
    with exit status 0, as for every other command-line tool: rich's own handler exits with 1,
    which breaks ``set -o pipefail`` scripts. The BrokenPipeError reaches the CLI's error
    boundary, which points stdout at /dev/null and exits 0."""
    from rich.console import Console

    class BriefConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

        def _render_buffer(self, buffer) -> str:
            # no line ends in the spaces rich pads table cells with (piped output stays clean)
            return _TRAILING.sub(r"\1", super()._render_buffer(buffer))

    return BriefConsole


def console():
    global _console
    if _console is None:
        _console = _console_class()(highlight=False, emoji=False, markup=False)
        _console.on_broken_pipe = _reader_gone  # Rich's own handler exits with status 1
    return _console


def _reader_gone() -> None:
    """stdout's reader went away (brief tags | head): the CLI's error boundary ends quietly."""
    raise BrokenPipeError(32, "Broken pipe")


def err_console():
    global _err_console
    if _err_console is None:
        _err_console = _console_class()(stderr=True, highlight=False, emoji=False, markup=False)
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


_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.M)


def print_clean(*renderables, c=None) -> None:
    """Print as rich would, without the spaces rich pads lines with (a table's cells): piped
    output then has no trailing spaces, and a terminal shows the same. (brief's consoles strip
    them anyway; this is for any other console.)"""
    c = c or console()
    for r in renderables:
        c.print(r)


def _fit(s: str, width: int) -> str:
    """``s`` in at most ``width`` terminal cells, cut with '…'."""
    from rich.cells import cell_len, set_cell_size

    if width <= 0:
        return ""
    if cell_len(s) <= width:
        return s
    return set_cell_size(s, width - 1).rstrip() + "…"


def _first_author(b: Brief) -> str:
    if not b.authors:
        return ""
    return one_line(b.authors[0]) + (f" +{len(b.authors) - 1}" if len(b.authors) > 1 else "")


def list_table(briefs: Iterable[Brief], *, header: str | None = None, wide: bool = False) -> None:
    """One line per brief at any width: id, date, the title cut with '…', the first author
    (``+N`` for the others). ``wide``: every column (title, authors, tags), wrapped."""
    from rich.cells import cell_len
    from rich.text import Text

    c = console()
    briefs = list(briefs)
    if wide:
        from rich.table import Table

        t = Table(show_header=True, header_style="bold", box=None, pad_edge=False, title=None)
        t.add_column("id", style="cyan", no_wrap=True)
        t.add_column("date", no_wrap=True)
        t.add_column("title", ratio=3)
        t.add_column("authors", ratio=1)
        t.add_column("tags", ratio=1, style="green")
        for b in briefs:
            t.add_row(_t(b.id), _t(_date(b)), _t(b.title), _t(", ".join(b.authors)), _t(", ".join(b.tags)))
        print_clean(*([_t(header, "bold")] if header else []), t, c=c)
        return
    width = max(c.width, 20)
    idw = max([len(b.id) for b in briefs] + [2])
    datew = 10 if any(b.date for b in briefs) else 0
    authors = [_first_author(b) for b in briefs]
    authw = min(max([cell_len(a) for a in authors] + [0]), 28, max(width // 4, 10))
    fixed = idw + 2 + (datew + 2 if datew else 0)
    longest = max([cell_len(one_line(b.title) or "(untitled)") for b in briefs] + [5])
    titlew = min(width - fixed - (authw + 2 if authw else 0), longest)
    if titlew < 12 and authw:  # too narrow for an author column: the title first
        authw, titlew = 0, min(width - fixed, longest)
    lines = []
    if header:
        lines.append(_t(header, "bold"))
    if briefs:
        head = Text(no_wrap=True, overflow="crop", style="bold")
        head.append("id".ljust(idw) + ("  " + "date".ljust(datew) if datew else "") + "  " + "title".ljust(titlew)
                    + ("  author" if authw else ""))
        lines.append(head)
    for b, a in zip(briefs, authors):
        line = Text(no_wrap=True, overflow="crop")
        line.append(b.id.ljust(idw), style="cyan")
        if datew:
            line.append("  " + _date(b).ljust(datew))
        title = _fit(one_line(b.title) or "(untitled)", max(titlew, 1))
        if authw and a:
            line.append("  " + title + " " * (titlew - cell_len(title)))
            line.append("  " + _fit(a, authw), style="dim")
        else:
            line.append("  " + title)
        lines.append(line)
    print_clean(*lines, c=c)


def snippet_text(snippet: str):
    """A snippet with its marked words highlighted."""
    from rich.text import Text

    from .search import MARK_OFF, MARK_ON

    out = Text()
    on = False
    for part in re.split(f"([{MARK_ON}{MARK_OFF}])", one_line(snippet)):
        if part == MARK_ON:
            on = True
        elif part == MARK_OFF:
            on = False
        elif part:
            out.append(part, style=MATCH_STYLE if on else "")
    return out


MATCH_STYLE = "bold yellow"  # matched words in snippets and titles


def search_table(hits, *, header: str | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(show_header=False, box=None, pad_edge=False, show_lines=True, expand=False)
    t.add_column("id", style="cyan", no_wrap=True)
    t.add_column("brief", overflow="fold")  # wraps at spaces; runs over 40 characters are cut before
    for h in hits:
        b = h.brief
        cell = Text()
        title = getattr(h, "title_marked", "") or b.title
        tt = snippet_text(_short(one_line(title), 160)) if title.strip() else Text("(untitled)")
        tt.stylize("bold")
        cell.append_text(tt)
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
    print_clean(*([_t(header, "bold")] if header else []), t)


_BLOCK_LINE = re.compile(r"^\s*([-*+•>|#]|\d{1,3}[.)]\s|\t| {4})")


def reflow(text: str) -> str:
    """Hard-wrapped paragraphs joined for display: the lines of a paragraph become one line (the
    terminal wraps it at its own width). Lists, headings, quotes, tables, indented blocks and
    paragraphs of short lines (addresses, verse, a header block) keep their line breaks."""
    out = []
    for para in re.split(r"\n[ \t]*\n", text):
        lines = para.split("\n")
        if len(lines) > 1 and not any(_BLOCK_LINE.match(x) for x in lines) and \
                sum(len(x.strip()) >= 40 for x in lines[:-1]) >= max(1, (len(lines) - 1) * 2 // 3):
            para = " ".join(x.strip() for x in lines if x.strip())
        out.append(para)
    return "\n\n".join(out)


def is_markdown(b: Brief) -> bool:
    fmt = getattr(b, "format", "") or ""
    return fmt == "markdown" or (not fmt and b.source.lower().endswith((".md", ".markdown")))


def show(b: Brief, *, pager: bool | None = None, raw: bool = False) -> None:
    """Metadata, then the body: hard-wrapped paragraphs reflowed and Markdown briefs rendered as
    Markdown (``raw``: the text as stored). ``pager`` None: paged when longer than a terminal
    screen; True: always paged; False: never."""
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
    text = safe(b.body.strip("\n"))
    if raw:
        body = Text(text)
    elif is_markdown(b):
        from rich.markdown import Markdown

        body = Markdown(text, hyperlinks=False)
    else:
        body = Text(reflow(text))
    panel = Panel(meta, title=Text(one_line(b.title) or "(untitled)", style="bold"), title_align="left")
    c = console()
    content = Group(panel, Text(""), body, Text(""))
    if pager is None:
        pager = c.is_terminal and text.count("\n") + 14 > c.height
    if pager and page(content):
        return
    print_clean(content, c=c)


def pager_command() -> str:
    """$BRIEF_PAGER, else $PAGER, else less ("" or "cat": no pager)."""
    import os

    for var in ("BRIEF_PAGER", "PAGER"):
        v = os.environ.get(var)
        if v is not None:
            return v.strip()
    return "less"


def page(renderable) -> bool:
    """Show ``renderable`` through the pager, as git does: ``LESS=FRX`` when LESS is unset (quit
    if one screen, raw colours, no screen clearing); colours only when the pager will show them
    (LESS or the pager's own options have R), plain text otherwise, never raw escape codes.
    False when there is no pager to run (the caller prints)."""
    import io
    import os
    import shutil
    import subprocess

    cmd = pager_command()
    if not cmd or cmd == "cat":
        return False
    env = dict(os.environ)
    if "LESS" not in env:
        env["LESS"] = "FRX"
    flags = env["LESS"] + " " + " ".join(a for a in cmd.split()[1:] if a.startswith("-") and not a.startswith("--"))
    styles = ("R" in flags or "r" in flags) and not os.environ.get("NO_COLOR")
    from rich.console import Console

    cols = shutil.get_terminal_size((100, 24)).columns
    buf = io.StringIO()
    Console(file=buf, force_terminal=styles, no_color=not styles, color_system="standard" if styles else None,
            width=cols, highlight=False, markup=False, emoji=False).print(renderable)
    data = _TRAILING.sub(r"\1", buf.getvalue()).encode("utf-8", "replace")
    try:
        p = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        p.stdin.write(data)
        p.stdin.close()
    except (BrokenPipeError, OSError):  # the reader quit before the end: fine
        pass
    while True:
        try:
            p.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
            continue
    return p.returncode != 127  # the shell found no such pager: print instead


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
