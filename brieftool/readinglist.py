"""Reading lists: briefs written as BibTeX, RIS, CSL-JSON (from cite.py's one mapping) or a
Markdown reading packet (one section per brief: title, citation, date, authors, tags and the
best passage for the query)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from .models import Brief

FORMATS = ("bibtex", "ris", "csl-json", "markdown")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def md(s: str) -> str:
    """Text from a brief as literal Markdown: one line, markup characters escaped."""
    from .cite import md_escape

    s = _CONTROL.sub(" ", s or "")
    return md_escape(" ".join(s.split()))


def _snippet_md(snippet: str) -> str:
    """A search snippet (matches between MARK_ON/MARK_OFF) as Markdown with the matches in bold."""
    from .search import MARK_OFF, MARK_ON

    from .cite import md_escape

    out = []
    for i, part in enumerate(re.split(f"[{MARK_ON}{MARK_OFF}]", snippet)):
        part = re.sub(r"\s+", " ", _CONTROL.sub(" ", part))
        if part.strip():
            out.append(f"**{md_escape(part.strip())}**" if i % 2 else md_escape(part))
        elif part:
            out.append(" ")
    return "".join(out).strip()


def markdown(briefs: Sequence[Brief], *, heading: str = "Reading list", about: str = "",
             snippets: dict[str, str] | None = None, style: str = "apa") -> str:
    """The reading packet: a heading, then one section per brief."""
    from .cite import csl_item, prose

    items = [csl_item(b) for b in briefs]
    cites = prose(items, style, markup="markdown") if items else []
    n = len(briefs)
    lines = [f"# {md(heading)}", ""]
    lines.append(f"{n} brief{'s' if n != 1 else ''}" + (f" · {md(about)}" if about else ""))
    for i, (b, c) in enumerate(zip(briefs, cites), 1):
        lines += ["", f"## {i}. {md(b.title) or '(untitled)'}", ""]
        lines.append(c)
        lines.append("")
        lines.append(f"- **Date:** {b.date.isoformat() if b.date else 'undated'}")
        if b.authors:
            lines.append(f"- **Authors:** {'; '.join(md(a) for a in b.authors)}")
        if b.organization:
            lines.append(f"- **Organization:** {md(b.organization)}")
        if b.type:
            lines.append(f"- **Type:** {md(b.type)}")
        if b.tags:
            lines.append(f"- **Tags:** {', '.join(md(t) for t in b.tags)}")
        if getattr(b, "url", ""):
            lines.append(f"- **URL:** <{b.url.replace('>', '%3E').replace(' ', '%20')}>")
        lines.append(f"- **Id:** `{b.id}`")
        snip = (snippets or {}).get(b.id, "")
        if snip:
            lines += ["", "> " + _snippet_md(snip)]
    return "\n".join(lines) + "\n"


def write(out: TextIO, briefs: Sequence[Brief], fmt: str, *, snippets: dict[str, str] | None = None,
          heading: str = "Reading list", about: str = "", style: str = "apa") -> int:
    """Write ``briefs`` in ``fmt`` (see FORMATS) to a text stream; returns how many."""
    from .cite import bibtex_entry, csl_item, ris_entry, type_of, unique_keys

    briefs = list(briefs)
    if fmt == "markdown":
        out.write(markdown(briefs, heading=heading, about=about, snippets=snippets, style=style))
    elif fmt == "csl-json":
        from .render import dumps

        out.write(dumps([csl_item(b) for b in briefs]) + "\n")
    elif fmt == "bibtex":
        items = [csl_item(b) for b in briefs]
        out.write("\n".join(bibtex_entry(i, k) for i, k in zip(items, unique_keys(items))))
    elif fmt == "ris":
        out.write("\n".join(ris_entry(csl_item(b), type_of(b)[2]) for b in briefs))
    else:  # pragma: no cover - callers check the format
        raise ValueError(f"unknown reading-list format {fmt!r}")
    return len(briefs)
