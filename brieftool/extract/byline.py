"""Bylines: ``By NAME``, ``By A, B and C``, ``by NAME``, ``Par A et B``, ``Von A und B``.

Source ``"byline"``: a line among the first ``BYLINE_WINDOW`` non-empty lines after any front
matter that starts with ``By``/``BY`` (English), ``Par`` (French), ``Von`` (German) or
``Por`` (Spanish) followed by names: ``A``, ``A and B``, ``A, B and C``, ``A, B, and C``
(``et``/``und``/``y`` in the other languages), with titles and suffixes (``Dr.``, ``PhD``,
``Jr.``) handled, or ``Last, First``. A lower-case ``by NAME`` counts only on the line after
a date (elsewhere it is wrapped prose). An affiliation after the names (``By Jane Doe, Brookings
Institution`` or ``By Jane Doe (CSIS)``) is the organization when the gazetteer knows it;
the first author's affiliation counts.
"""

from __future__ import annotations

import re

from . import gazetteer
from .base import TITLE_MAX, Context, strip_markdown
from .dates import search_date
from .names import parse_names, people

NAME = "byline"
CONFIDENCE = 0.8
BYLINE_WINDOW = 12  # non-empty lines from the top in which a byline is looked for

_BYLINE = re.compile(r"\s*(?:By|BY)(?::\s*|\s+)(.+)")
_OTHER = re.compile(r"\s*(?:Par|PAR|par|Von|VON|Por|POR)(?::\s*|\s+)(.+)")
_LOWER = re.compile(r"\s*by\s+(.+)")
_ORG_WORDS = {"institute", "institution", "foundation", "center", "centre", "council", "university", "office",
              "corporation", "service", "agency", "department", "college", "school", "association", "society"}
_PAREN = re.compile(r"\s*\(([^()]{2,80})\)")


def byline(line: str) -> list[str] | None:
    """The authors a ``By`` byline names (the strict form), or None."""
    if len(line) > TITLE_MAX:
        return None
    m = _BYLINE.fullmatch(line)
    return parse_names(m[1]) if m else None


def read(line: str, vocab=()) -> tuple[list[str], object] | None:
    """``(authors, organization or None)`` for any byline form, or None."""
    if len(line) > TITLE_MAX * 2:
        return None
    text = strip_markdown(line)
    strict = _BYLINE.fullmatch(text)
    m = strict or _OTHER.fullmatch(text)
    if not m:
        return None
    rest = m[1].strip()
    languages = not strict
    names = people(rest, languages=languages)
    if names:
        org = None
        while names and (gazetteer.org_named(names[-1], vocab) or _ORG_WORDS & set(names[-1].lower().split())):
            org = org or gazetteer.org_named(names[-1], vocab)  # "By Scott Lincicome, Cato Institute"
            names = names[:-1]
        return (names, org) if names else None
    # Names followed by affiliations: "Jane Doe (CSIS) and John Roe (RAND)", "Jane Doe, Brookings Institution"
    org = None
    parens = _PAREN.findall(rest)
    if parens:
        org = gazetteer.org_named(parens[0], vocab)
        names = people(_PAREN.sub("", rest), languages=languages)
        return (names, org) if names else None
    parts = [p.strip() for p in rest.split(",")]
    for k in range(len(parts) - 1, 0, -1):
        names = people(", ".join(parts[:k]), languages=languages)
        if names:
            org = gazetteer.org_named(parts[k], vocab)
            tail = ", ".join(parts[k:])
            if org or len(tail.split()) <= 8:
                return names, org
            return None
    return None


def recognise(ctx: Context) -> None:
    seen = 0
    prev = None
    vocab = ctx.vocabulary or ()
    for i in range(ctx.after_fm, len(ctx.head)):
        line = ctx.head[i]
        if not line.text.strip():
            continue
        seen += 1
        if seen > BYLINE_WINDOW:
            break
        if i in ctx.used and not byline(line.text):
            continue
        found = read(line.text, vocab)
        if not found and prev is not None and _LOWER.fullmatch(line.text) and search_date(strip_markdown(prev)[:80]):
            found = read("By " + line.text.strip()[3:], vocab)  # "by NAME" under the date line
        prev = line.text
        if found:
            ctx.used.add(i)
            ctx.propose("authors", found[0], NAME, CONFIDENCE, line.start)
            if found[1]:
                org = found[1]
                ctx.propose("organization", org.name, NAME, 0.65, line.start, (("org_abbr", org.abbr),) if org.abbr else ())
            return
