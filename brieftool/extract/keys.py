"""Keyed metadata lines (``Date: ...``, ``**Author(s):** ...``): which key names which field,
and how a value becomes candidates. Shared by ``markdown_keys`` and ``header_lines``."""

from __future__ import annotations

import re

from ..models import clean_label
from . import gazetteer
from .base import Context, unique
from .dates import parse_date, search_date
from .names import people

KEYS = {
    "title": "title", "titre": "title", "titel": "title", "título": "title",
    "author": "authors", "authors": "authors", "author(s)": "authors", "by": "authors",
    "written by": "authors", "prepared by": "authors", "auteur": "authors", "auteurs": "authors",
    "autor": "authors", "autoren": "authors", "autores": "authors", "contributors": "authors",
    "date": "date", "publication date": "date", "published": "date", "date published": "date",
    "published on": "date", "release date": "date", "released": "date", "issued": "date",
    "date of publication": "date", "date de publication": "date", "publié le": "date", "datum": "date",
    "fecha": "date", "fecha de publicación": "date", "veröffentlicht": "date", "posted": "date",
    "posted on": "date", "dated": "date", "cover date": "date",
    "updated": "updated", "last updated": "updated", "updated on": "updated", "revised": "updated",
    "mis à jour": "updated", "stand": "updated", "aktualisiert": "updated",
    "topics": "tags", "topic": "tags", "keywords": "tags", "keyword": "tags", "subjects": "tags",
    "tags": "tags", "issues": "tags", "issue areas": "tags", "themes": "tags", "mots-clés": "tags",
    "mots clés": "tags", "schlagwörter": "tags", "themen": "tags", "temas": "tags", "palabras clave": "tags",
    "type": "type", "product type": "type", "crs product type": "type", "document type": "type",
    "publication type": "type", "content type": "type", "report type": "type", "format": "type",
    "organization": "organization", "organisation": "organization", "publisher": "organization",
    "institution": "organization", "think tank": "organization", "herausgeber": "organization",
    "éditeur": "organization",
    "report no.": "number", "report no": "number", "report number": "number", "crs product number": "number",
    "product number": "number", "document number": "number", "no.": "number",
    "source": "url", "url": "url", "link": "url", "source url": "url",
}

_TAG_SPLIT_STRONG = re.compile(r"\s*[;|]\s*")
_TAG_SPLIT = re.compile(r"\s*[,;|]\s*")
_URL = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|www\.)\S+", re.IGNORECASE)


def field_of(key: str) -> str | None:
    k = " ".join(key.lower().replace("_", " ").split())
    return KEYS.get(k) or KEYS.get(k.removeprefix("crs "))


def split_tags(value: str) -> list[str]:
    """Topic labels: split on ``;`` or ``|`` when there is one (a label may hold a comma:
    ``Agriculture, Food & Rural Policy``), else on commas."""
    value = value[:1000]
    parts = _TAG_SPLIT_STRONG.split(value) if (";" in value or "|" in value) else _TAG_SPLIT.split(value)
    return unique(p.strip(" .") for p in parts)


def propose(ctx: Context, name: str, value: str, source: str, confidence: float, pos: int) -> bool:
    """Candidates from one keyed value; True when the value was usable."""
    value = clean_label(value)[:1000]
    if not value:
        return False
    vocab = ctx.vocabulary or ()
    if name == "title":
        ctx.propose("title", value[:200], source, confidence, pos)
    elif name == "authors":
        found = people(value)
        if not found:
            return False
        ctx.propose("authors", found, source, confidence, pos)
    elif name in ("date", "updated"):
        d = parse_date(value)
        if d is None:
            hit = search_date(value)
            if not hit or hit[1] > 0:  # the value must start with the date
                return False
            d = hit[0]
        ctx.propose("date", d, source, confidence - (0.05 if name == "updated" else 0), pos)
    elif name == "tags":
        ctx.propose("tags", split_tags(value), source, confidence, pos)
    elif name == "type":
        kind = gazetteer.type_named(value, vocab) or (value if len(value.split()) <= 5 else None)
        if not kind:
            return False
        ctx.propose("type", kind, source, confidence, pos)
    elif name == "organization":
        org = gazetteer.org_named(value, vocab)
        if org:
            ctx.propose("organization", org.name, source, confidence, pos,
                        (("org_abbr", org.abbr),) if org.abbr else ())
        elif len(value.split()) <= 10:
            ctx.propose("organization", value, source, confidence, pos)
    elif name == "number":
        m = gazetteer.REPORT_NUMBER.fullmatch(value.split()[0]) if value.split() else None
        if not m:
            return False
        propose_number(ctx, m, source, pos)
    elif name == "url":
        if not _URL.match(value):
            return False
        ctx.propose("source_url", value.split()[0], source, confidence, pos)
        org = gazetteer.org_of_url(value)
        if org:
            ctx.propose("organization", org.name, source, 0.65, pos, (("org_abbr", org.abbr),) if org.abbr else ())
    else:
        return False
    return True


def propose_number(ctx: Context, m: re.Match, source: str, pos: int, confidence: float = 0.55) -> None:
    """A report number is weak evidence for the publisher and, for CRS, the product type."""
    kind = m.lastgroup
    org = gazetteer.org_by_name(gazetteer.REPORT_ORGS[kind])
    if org:
        ctx.propose("organization", org.name, source, confidence - 0.05, pos, (("org_abbr", org.abbr),) if org.abbr else ())
    if kind == "crs":
        code = gazetteer.CRS_CODE.fullmatch(m[0])
        if code:
            ctx.propose("type", gazetteer.CRS_TYPES[code[1]], source, confidence, pos)
