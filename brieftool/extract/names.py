"""People's names: ``A``, ``A and B``, ``A, B and C``, with titles and suffixes."""

from __future__ import annotations

import re

from .base import TITLE_MAX, unique

_NAMES_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&)\s+|[,;]|\s+and\s+|\s+&\s+)\s*")
_HONORIFICS = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx.", "hon.", "sen.", "rep.",
               "amb.", "gen.", "adm.", "gov.", "rev.", "sir", "dame", "mme", "herr", "frau", "prof.dr.", "dr.-ing."}
_DEGREES = {"phd", "ph.d.", "ph.d", "md", "m.d.", "jd", "j.d.", "esq", "esq.", "mba", "mpa", "mphil"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PARTICLES = {"de", "da", "di", "del", "della", "der", "den", "van", "von", "bin", "ibn",
              "al", "el", "la", "le", "du", "dos", "das", "ter", "ten", "y"}
_NOT_NAME_START = {"the", "a", "an", "this", "that", "these", "those", "it", "he", "she",
                   "they", "we", "our", "his", "her", "its", "their", "in", "on", "at", "for"}
_NAME_TOKEN = re.compile(r"[^\W\d_][\w’'.\-]*")


def is_name(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5 or tokens[0].lower() in _NOT_NAME_START:
        return False
    for k, tok in enumerate(tokens):
        if tok.lower() in _PARTICLES and 0 < k < len(tokens) - 1:
            continue
        if not (_NAME_TOKEN.fullmatch(tok) and tok[0].isupper()):
            return False
    last = tokens[-1]
    return sum(c.isalpha() for c in last) >= 2 or last.lower() in _SUFFIXES


def parse_names(s: str) -> list[str] | None:
    """The people named in ``A``, ``A and B``, ``A, B and C``, ``A, B, and C``; None unless all are names."""
    found: list[list[str]] = []
    for part in _NAMES_SPLIT.split(s.strip()):
        tokens = part.split()
        while tokens and tokens[0].lower() in _HONORIFICS:
            tokens = tokens[1:]
        low = [t.lower() for t in tokens]
        if found and low and all(t in _DEGREES or t in _SUFFIXES for t in low):
            found[-1].extend(t for t in tokens if t.lower() in _SUFFIXES)  # "Smith, Jr." / "Smith, PhD"
            continue
        found.append([t for t in tokens if t.lower() not in _DEGREES])
    if not found or not all(is_name(n) for n in found):
        return None
    return unique(" ".join(n) for n in found)




_LAST_FIRST = re.compile(r"\s*([^\W\d_][\w’'\-]*(?:\s+[^\W\d_][\w’'\-]*){0,2})\s*,\s*([^,;]{1,80}?)\s*")
_WORD_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&|et|und|y)\s+|[,;]|\s+(?:and|et|und)\s+|\s+&\s+)\s*")


def last_first(s: str) -> list[str] | None:
    """``Last, First`` names (Zotero and CRS style, several joined by ``;``) as ``First Last``;
    None unless every part has that form and makes a name."""
    out = []
    for part in s.split(";"):
        if not part.strip():
            continue
        m = _LAST_FIRST.fullmatch(part)
        if not m:
            return None
        given = m[2].split()
        low = [t.lower() for t in given]
        suffix = [t for t in given if t.lower() in _SUFFIXES]
        given = [t for t, lo in zip(given, low) if lo not in _SUFFIXES and lo not in _DEGREES]
        tokens = [t for t in given if t.lower() not in _HONORIFICS] + m[1].split() + suffix
        if not is_name(tokens):
            return None
        out.append(" ".join(tokens))
    return unique(out) or None


def people(s: str, *, languages: bool = False) -> list[str] | None:
    """The names in ``s``: ``A, B and C`` or ``Last, First; Last, First``; with ``languages``,
    also joined by ``et``/``und`` (French and German bylines)."""
    s = s[:TITLE_MAX * 2].strip()
    if languages:
        found = parse_names(_WORD_SPLIT.sub(", ", s))
    else:
        found = parse_names(s)
    if found:
        return found
    if "," in s:
        return last_first(s)
    return None


# Words that make a capitalised run a title, a heading or a body, not a person.
NOT_NAME_WORDS = frozenset("""
policy policies brief briefs report reports paper papers analysis program programs act acts
security trade economy economic defense defence foreign affairs national international global
state states united nations union congress committee senate house office department agency
institute institution center centre council foundation university college school association
review strategy strategic plan budget fiscal year war peace crisis energy climate health care
china russia america american europe european asia africa india iran korea japan ukraine
overview background introduction summary conclusion conclusions recommendations issues issue
options considerations developments update updated new the of and for in on to a an with
federal government public private market markets financial finance tax taxes law legal court
research working memo memorandum testimony statement speech remarks address fact sheet
insight sidebar focus commentary blog press release news world system systems data
""".split())


def looks_personal(names: list[str]) -> bool:
    """Whether names parsed from a bare line (no ``By``) are people, not a title-case phrase."""
    for n in names:
        toks = n.split()
        if not 2 <= len(toks) <= 4:
            return False
        if any(t.lower().strip(".,") in NOT_NAME_WORDS for t in toks):
            return False
        if any(t.isupper() and len(t) > 2 for t in toks):
            return False
    return True
