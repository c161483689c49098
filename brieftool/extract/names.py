"""People's names: ``A``, ``A and B``, ``A, B and C``, with titles and suffixes."""

from __future__ import annotations

import re

from .base import TITLE_MAX, unique

_NAMES_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&)\s+|[,;]|\s+and\s+|\s+&\s+)\s*")
_HONORIFICS = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx."}
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
    names: list[list[str]] = []
    for part in _NAMES_SPLIT.split(s.strip()):
        tokens = part.split()
        while tokens and tokens[0].lower() in _HONORIFICS:
            tokens = tokens[1:]
        low = [t.lower() for t in tokens]
        if names and low and all(t in _DEGREES or t in _SUFFIXES for t in low):
            names[-1].extend(t for t in tokens if t.lower() in _SUFFIXES)  # "Smith, Jr." / "Smith, PhD"
            continue
        names.append([t for t in tokens if t.lower() not in _DEGREES])
    if not names or not all(is_name(n) for n in names):
        return None
    return unique(" ".join(n) for n in names)


