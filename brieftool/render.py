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

# C0 controls except tab/newline, DEL, C1 controls: shown escaped, never sent raw.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(s: str) -> str:
    """Make text from a brief safe to print on a terminal (escapes made visible)."""
    if not s:
        return ""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)


def one_line(s: str) -> str:
    return " ".join(safe(s).split())


_console = None
_err_console = None


def console():
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, emoji=False, markup=False)
    return _console


def err_console():
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, emoji=False, markup=False)
    return _err_console


def error(message: str) -> None:
    """One line on stderr: 'Error: ...'."""
    err_console().print("Error: " + one_line(message), soft_wrap=True, style="red")


def warn(message: str) -> None:
    err_console().print(one_line(message), soft_wrap=True, style="yellow")


def info(message: str) -> None:
    err_console().print(one_line(message), soft_wrap=True, style="dim")


def write_out(s: str) -> None:
    sys.stdout.write(s)
    sys.stdout.flush()


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


# -- records ----------------------------------------------------------------------------------
def emit_records(rows: list[dict], fmt: str, *, table=None) -> None:
    """Write records in a scripting format, or call ``table()`` for the human one."""
    if fmt == "json":
        write_out(dumps(rows) + "\n")
    elif fmt == "jsonl":
        write_out("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    elif fmt == "ids":
        write_out("".join(r["id"] + "\n" for r in rows))
    elif fmt == "csv":
        keys = list(CSV_KEYS) + [k for k in ("score", "snippet") if rows and k in rows[0]]
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(keys)
        for r in rows:
            w.writerow(["; ".join(r[k]) if isinstance(r.get(k), list) else ("" if r.get(k) is None else r[k])
                        for k in keys])
        sys.stdout.flush()
    else:
        table()


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
