"""Author notes at the end of a report: ``NAME, ROLE`` lines and an ``Author Information`` block.

Source ``"author note"``: among the last lines,

* lines ``Corrie E. Clark, Specialist in Energy Policy`` -- a person's name, a comma, and a
  role that starts with a position word (Specialist, Analyst, Legislative Attorney, Senior
  Fellow, Director, ...); every such line is one author, in order;
* an ``Author Information`` (or ``About the Authors``) heading followed by name lines and role
  lines; a PDF's two columns printed on one line (``April J. Anderson Abigail A. Graber`` over
  ``Legislative Attorney Legislative Attorney``) are split by the number of roles.
"""

from __future__ import annotations

import re

from .base import Context, unique
from .names import NOT_NAME_WORDS, is_name, parse_names

NAME = "author note"
CONFIDENCE = 0.6

_ROLE_START = re.compile(
    r"(?:Senior\s+|Principal\s+|Deputy\s+|Assistant\s+|Associate\s+|Acting\s+|Chief\s+|Lead\s+|Visiting\s+|"
    r"Nonresident\s+|Research\s+|Section\s+|Legislative\s+|Policy\s+|Staff\s+)*"
    r"(?:Specialist|Analyst|Attorney|Fellow|Director|Economist|Scholar|Researcher|Manager|Advisor|Adviser|"
    r"Counsel|Coordinator|Professor|Editor|Consultant|Officer|Chair|President|Head|Associate|Assistant|"
    r"Information\s+Research\s+Specialist|Research\s+Manager|Librarian|Historian|Statistician)\b")
_HEADING = re.compile(r"\s*(?:author\s+information|about\s+the\s+authors?|authors?)\s*:?\s*", re.IGNORECASE)
_STOP = re.compile(r"\s*(?:disclaimer|acknowledg|notes?\b|endnotes|references)", re.IGNORECASE)


_PREFIX = re.compile(r"(?:[\w.'’\-]+\s+){0,3}")


_INNER = re.compile(r"(?:(?<=\s)|^)((?:[A-Z][\w.'’\-]*\s+){1,3}[A-Z][\w'’\-]+),\s+")


def _role_at(role: str) -> bool:
    role = role.strip()
    m = _PREFIX.match(role)  # "U.S. Army Fellow": a few words before the position word
    return any(_ROLE_START.match(role, p.start()) for p in re.finditer(r"\S+", role[:m.end() + 1]))


def _person(name: str) -> str | None:
    toks = name.split()
    cut = max((k + 1 for k, t in enumerate(toks) if len(t.strip(".,")) > 1 and t.lower().strip(",") in NOT_NAME_WORDS),
              default=0)
    found = parse_names(" ".join(toks[cut:]))  # "Assistance Policy Kara Clifford Billings": a wrapped role before
    return found[0] if found and len(found) == 1 else None


def _name_role(text: str) -> list[str]:
    """The people of a ``NAME, ROLE`` line; two columns printed on one line give two."""
    name, sep, role = text.partition(",")
    if not sep or len(text) > 240 or not _role_at(role):
        return []
    first = _person(name)
    if not first:
        return []
    out = [first]
    for m in _INNER.finditer(role, 0, 240):  # "... International Trade and Christopher T. Zirpoli, Legislative Attorney"
        if m.start() > 0 and _role_at(role[m.end():]):
            other = _person(m[1])
            if other:
                out.append(other)
    return out


def _roles(text: str) -> int:
    """How many roles a line holds ("Legislative Attorney Legislative Attorney" -> 2), 0 if it is not roles."""
    n, pos, text = 0, 0, text.strip()
    while pos < len(text):
        m = _ROLE_START.match(text, pos)
        if not m:
            # the rest of a role phrase ("in Energy Policy", "/ALD")
            nxt = _ROLE_START.search(text, pos)
            if n == 0 or nxt is None:
                return n if n and nxt is None else 0
            pos = nxt.start()
            continue
        n += 1
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return n


def _split_names(text: str, k: int) -> list[str] | None:
    toks = text.split()
    if k < 1 or len(toks) % k:
        return None
    size = len(toks) // k
    groups = [toks[i:i + size] for i in range(0, len(toks), size)]
    return [" ".join(g) for g in groups] if all(is_name(g) for g in groups) else None


def recognise(ctx: Context) -> None:
    tail = ctx.tail()
    authors: list[str] = []
    pos = None
    for j, line in enumerate(tail):
        text = line.text.strip()
        people = _name_role(text)
        if people:
            authors += people
            pos = pos if pos is not None else line.start
            continue
        if _HEADING.fullmatch(text):
            block = []
            for nxt in tail[j + 1:j + 13]:
                if _STOP.match(nxt.text):
                    break
                block.append(nxt.text.strip())
            i = 0
            while i + 1 < len(block):
                k = _roles(block[i + 1])
                names = _split_names(block[i], k) if k else None
                if names:
                    authors += names
                    pos = pos if pos is not None else line.start
                    i += 2
                else:
                    i += 1
    if authors:
        ctx.propose("authors", unique(authors), NAME, CONFIDENCE, pos or 0)
