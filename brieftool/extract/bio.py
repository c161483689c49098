"""Author bios: ``NAME is a senior fellow at the ORGANIZATION (ABBR)`` near the end.

Source ``"bio"``: a paragraph among the last ``BIO_WINDOW`` non-empty lines beginning
``NAME is a research associate ... at the ORGANIZATION (ABBR)`` (also "is a senior fellow
at", "is director of ... at", "A and B are fellows at", ...). The role must name a position
(fellow, director, analyst, ...). Gives the authors and the organization with its
abbreviation (from the first bio that names one: a later bio's employer is a co-author's,
not the brief's).
"""

from __future__ import annotations

import re

from ..models import clean_label
from . import gazetteer
from .base import TITLE_MAX, Context, unique
from .names import _NAME_TOKEN, parse_names

NAME = "bio"
CONFIDENCE = 0.6
BIO_WINDOW = 6  # non-empty lines from the end in which author bios are looked for

_BIO_LEAD = re.compile(r"(?:(?i:about the authors?):?\s+)?(?P<names>[^\W\d_].{1,150}?)\s+(?P<verb>is|are)\s+")
_ROLE = re.compile(
    r"\b(?:fellow|associate|director|analyst|research(?:er)?|scholar|president|"
    r"chair(?:man|woman|person)?|professor|editor|counsel|advis[eo]r|manager|officer|head|"
    r"executive|founder|coordinator|member|specialist|expert|lecturer|dean|economist|"
    r"strategist|correspondent|writer|deputy|secretary|chief|ambassador|partner|principal|"
    r"consultant|intern|assistant|candidate|adjunct)s?\b",
    re.IGNORECASE,
)
_AT = re.compile(r"\bat\s+")
_ABBR_TOKEN = re.compile(r"\(([^\W\d_][\w&.\-]{1,15})\)[,.;:]?")
_DOTTED_ABBR = re.compile(r"(?:[^\W\d_]\.){2,}")
_ORG_CONNECTORS = {"of", "for", "the", "a", "an", "and", "on", "in", "&", "de", "du", "des", "la", "le"}


def _organization(s: str) -> tuple[str, str] | None:
    """``(name, abbreviation)`` for the title-case name that ``s`` starts with."""
    tokens = s.split()[:30]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    words: list[str] = []
    abbr = ""
    for tok in tokens:
        m = _ABBR_TOKEN.fullmatch(tok)
        if m:
            if words and sum(c.isupper() for c in m[1]) >= 2:
                abbr = m[1]
            break
        core = tok if _DOTTED_ABBR.fullmatch(tok) else tok.rstrip(",.;:")
        if not ((words and core in _ORG_CONNECTORS) or (_NAME_TOKEN.fullmatch(core) and core[0].isupper())):
            break
        words.append(core)
        if core != tok:  # punctuation ends the name
            break
    while words and words[-1] in _ORG_CONNECTORS:
        words.pop()
    return (" ".join(words), abbr) if words else None


def _bio(line: str) -> tuple[list[str], tuple[str, str]] | None:
    """``(authors, (organization, abbreviation))`` for an author-bio paragraph."""
    line = line[:600].strip()
    m = _BIO_LEAD.match(line)
    if not m:
        return None
    names = parse_names(m["names"])
    if not names or (m["verb"] == "is") != (len(names) == 1):
        return None
    rest = line[m.end():]
    at = _AT.search(rest)
    if not at or at.start() > TITLE_MAX or not _ROLE.search(rest, 0, at.start()):
        return None
    org = _organization(rest[at.end():])
    return (names, org) if org else None



def recognise(ctx: Context) -> None:
    authors: list[str] = []
    org = None
    pos = first_pos = 0
    for line in ctx.tail()[-BIO_WINDOW:]:
        bio = _bio(line.text)
        if bio:
            if not authors:
                first_pos = line.start
            authors += bio[0]
            if org is None:
                org, pos = bio[1], line.start
    if authors:
        ctx.propose("authors", unique(authors), NAME, CONFIDENCE, first_pos)
    if org:
        name, abbr = clean_label(org[0]), org[1]
        known = gazetteer.org_named(name, ctx.vocabulary or ())
        if known:  # the gazetteer's spelling ("Brookings" -> "Brookings Institution")
            name, abbr = known.name, abbr or known.abbr
        ctx.propose("organization", name, NAME, CONFIDENCE, pos, (("org_abbr", abbr),) if abbr else ())
