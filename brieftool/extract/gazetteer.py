"""The gazetteers: organizations (``data/organizations.tsv``) and document types
(``data/types.txt``), shipped as package data, plus the user's own entries.

Names are matched with case, punctuation, ``&``/``and`` and a leading ``The`` folded;
abbreviations and one-word names (``RAND``, ``CSIS``, ``Brookings``) only as written, as a
whole word. The user's ``vocabulary.txt`` may add entries: a line ``org: Name (ABBR)`` is an
organization, ``type: Name`` a document type (other lines are topic labels).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

MAX_WORDS = 12


@dataclass(frozen=True)
class Org:
    name: str
    abbr: str = ""


_WORD = re.compile(r"[^\W_](?:[\w’'.\-]*[^\W_])?|&")


def _fold(word: str) -> str:
    w = word.casefold().replace("’", "'").replace(".", "")
    return "and" if w == "&" else w


@functools.lru_cache(maxsize=1024)  # the same line is looked up as a type, an organization...
def fold_words(s: str) -> tuple[str, ...]:
    words = [_fold(w) for w in _WORD.findall(s[:400])]
    if words and words[0] == "the":
        words = words[1:]
    return tuple(w for w in words if w)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


class _Orgs:
    def __init__(self, rows: Iterable[tuple[str, list[str], list[str], list[str]]]):
        self.names: dict[tuple[str, ...], Org] = {}
        self.exact: dict[str, Org] = {}  # abbreviations and one-word names, as written
        self.domains: list[tuple[str, Org]] = []
        for name, abbrs, variants, domains in rows:
            org = Org(name, abbrs[0] if abbrs else "")
            for v in [name, *variants]:
                key = fold_words(v)
                if len(key) == 1:
                    self.exact.setdefault(v.strip(), org)
                    self.exact.setdefault(v.strip().removeprefix("The ").strip(), org)
                elif key:
                    self.names.setdefault(key, org)
            for a in abbrs:
                self.exact.setdefault(a, org)
            for d in domains:
                self.domains.append((d.lower(), org))
        self.domains.sort(key=lambda t: -len(t[0]))
        self.longest = max((len(k) for k in self.names), default=1)


def _rows(text: str):
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = (line.split("\t") + ["", "", ""])[:4]
        yield cols[0].strip(), *[[x.strip() for x in c.split(";") if x.strip()] for c in cols[1:]]


@functools.lru_cache(maxsize=1)
def _builtin_orgs() -> _Orgs:
    return _Orgs(_rows(_read("organizations.tsv")))


_USER_ORG = re.compile(r"\s*org(?:anization)?\s*:\s*(.+?)\s*(?:\(([^\W\d_][\w&.\-]{1,15})\))?\s*", re.IGNORECASE)
_USER_TYPE = re.compile(r"\s*type\s*:\s*(.+?)\s*", re.IGNORECASE)


def is_entry(label: str) -> bool:
    """Whether a vocabulary line is a gazetteer entry (``org:``/``type:``), not a topic label."""
    return bool(_USER_ORG.fullmatch(label) or _USER_TYPE.fullmatch(label))


@functools.lru_cache(maxsize=8)
def _user_orgs(vocabulary: tuple[str, ...]) -> _Orgs | None:
    rows = []
    for label in vocabulary:
        m = _USER_ORG.fullmatch(label)
        if m:
            rows.append((m[1], [m[2]] if m[2] else [], [], []))
    return _Orgs(rows) if rows else None


def _tables(vocabulary) -> list[_Orgs]:
    user = _user_orgs(tuple(vocabulary)) if vocabulary else None
    return [user, _builtin_orgs()] if user else [_builtin_orgs()]


def org_named(s: str, vocabulary=()) -> Org | None:
    """The organization ``s`` names as a whole (``The Brookings Institution``, ``CSIS``)."""
    s = s.strip().strip(",;:.|").strip()
    if not s or len(s) > 200:
        return None
    key = fold_words(s)
    for t in _tables(vocabulary):
        if s in t.exact:
            return t.exact[s]
        if key in t.names:
            return t.names[key]
    return None


_TOKEN = re.compile(r"[^\W_](?:[\w’'.\-/]*[\w])?|&")


def orgs_in(s: str, vocabulary=(), *, exact: bool = True) -> list[tuple[Org, int, int]]:
    """The organizations named in a line, with their start and end offsets, first first
    (longest name at a position). ``exact``: also abbreviations and one-word names as written."""
    s = s[:600]
    toks = list(_TOKEN.finditer(s))
    folded = [_fold(m[0]) for m in toks]
    found: list[tuple[Org, int, int]] = []
    i = 0
    tables = _tables(vocabulary)
    while i < len(toks):
        hit = None
        for t in tables:
            for size in range(min(t.longest, len(toks) - i), 1, -1):
                key = tuple(folded[i:i + size])
                if key[0] == "the":
                    continue
                if key in t.names:
                    hit = (t.names[key], size)
                    break
            if hit:
                break
            if exact:
                tok = toks[i][0]
                forms = [tok, tok.rstrip("."), re.split(r"['’]", tok)[-1], tok.split("-")[0]]
                org = next((t.exact[f] for f in forms if f in t.exact), None)
                if org:
                    hit = (org, 1)
                    break
        if hit:
            found.append((hit[0], toks[i].start(), toks[i + hit[1] - 1].end()))
            i += hit[1]
        else:
            i += 1
    return found


def org_of_url(url: str) -> Org | None:
    """The organization whose web domain a URL is on (``https://www.brookings.edu/...``)."""
    m = re.match(r"\s*(?:https?://)?(?:www\.)?([^\s?#]{1,200})", url, re.IGNORECASE)
    if not m:
        return None
    rest = m[1].lower()
    for domain, org in _builtin_orgs().domains:
        if rest == domain or rest.startswith(domain + "/") or rest.startswith(domain) and "/" in domain:
            return org
        host = rest.split("/", 1)[0]
        if host == domain or host.endswith("." + domain):
            return org
    return None


# --------------------------------------------------------------------------- types


@functools.lru_cache(maxsize=1)
def _builtin_types() -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for line in _read("types.txt").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        name = name.strip()
        for v in [name, *rest.split(";")]:
            key = fold_words(v)
            if key and key[0] == "crs":
                key = key[1:]
            if key:
                out.setdefault(key, name)
    return out


@functools.lru_cache(maxsize=8)
def _user_types(vocabulary: tuple[str, ...]) -> dict[tuple[str, ...], str]:
    out = {}
    for label in vocabulary:
        m = _USER_TYPE.fullmatch(label)
        if m:
            out[fold_words(m[1])] = " ".join(m[1].split())
    return out


def type_named(s: str, vocabulary=()) -> str | None:
    """The document type ``s`` names as a whole (``POLICY BRIEF``, ``Backgrounder``)."""
    s = s.strip().strip(",;:.|").strip()
    if not s or len(s) > 80:
        return None
    key = fold_words(s)
    if key and key[0] == "crs":
        key = key[1:]
    if vocabulary:
        user = _user_types(tuple(vocabulary))
        if key in user:
            return user[key]
    return _builtin_types().get(key)


# CRS product numbers: the letters say the product type.
CRS_CODE = re.compile(r"(IF|LSB|IN|RL|RS|R)[0-9]{4,5}")
CRS_TYPES = {"IF": "CRS In Focus", "LSB": "CRS Legal Sidebar", "IN": "CRS Insight",
             "R": "CRS Report", "RL": "CRS Report", "RS": "CRS Report"}
# How CRS names its own products: "In Focus" from CRS is "CRS In Focus".
CRS_NAMED = {"In Focus": "CRS In Focus", "Legal Sidebar": "CRS Legal Sidebar", "Insight": "CRS Insight",
             "CRS Report": "CRS Report", "Report": "CRS Report"}
# Report numbers of other publishers: GAO-21-123, RR-A1234-1 (RAND), CBO's numbered reports.
REPORT_NUMBER = re.compile(
    r"(?P<gao>GAO-[0-9]{2}-[0-9]{1,6}[A-Z]{0,2})|(?P<rand>(?:RR|PE|RB|WR|TL|CT|RRA)-?[A-Z]?[0-9]{3,5}(?:-[0-9]{1,3})?)"
    r"|(?P<crs>(?:IF|LSB|IN|RL|RS|R)[0-9]{4,5})")
REPORT_ORGS = {"gao": "Government Accountability Office", "rand": "RAND Corporation",
               "crs": "Congressional Research Service"}


def org_by_name(name: str) -> Org | None:
    return _builtin_orgs().names.get(fold_words(name))
