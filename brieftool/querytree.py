"""The engine-neutral query tree: what ``query.py`` makes of brief's query syntax and options.

Each engine compiles these nodes to its own queries (``engine/whoosh.py``: Whoosh query
objects; ``engine/opensearch.py``: query DSL). Field names are brief's index fields:

* text fields ``title``, ``body`` (English stemming, brief's stop words);
* name fields ``author``, ``org`` (lowercased words, no stemming, no stop words);
* keyword fields ``tag``, ``type``, ``id`` (whole lowercased keys), ``author_key``, ``org_key``;
* the date field ``date`` (whole days).

Values are as the user typed them (engines analyse them with their field's analyzer), except
keyword values, which are given already normalized (:func:`brieftool.models.norm_tag`...).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

TEXT_FIELDS = ("title", "body")
NAME_FIELDS = ("author", "org")
KEYWORD_FIELDS = ("tag", "type", "id", "author_key", "org_key")

# brief's stop words (left out of text fields when indexing and searching; Whoosh's list):
STOP_WORDS = frozenset("""
    a an and are as at be by can for from have if in is it may not of on or tbd that the this to us
    we when will with yet you your""".split())
_TOKEN = re.compile(r"\w+(\.?\w+)*")  # a word of a text field (as the index splits text)
MIN_WORD = 2  # shorter words are not indexed in text fields


def text_words(text: str) -> list[str]:
    """The words of a text-field value that count (lowercased; stop words and one-letter words
    left out): what is left for an engine to match. Not stemmed."""
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group().lower()
        if len(w) >= MIN_WORD and w not in STOP_WORDS:
            out.append(w)
    return out


def name_words(text: str) -> list[str]:
    """The words of a name-field value (lowercased)."""
    return [m.group().lower() for m in _TOKEN.finditer(text)]


class Node:
    """A node of the query tree."""

    __slots__ = ()


@dataclass(frozen=True)
class Every(Node):
    """Every brief."""


@dataclass(frozen=True)
class Nothing(Node):
    """No brief (a query of stop words only)."""


@dataclass(frozen=True)
class Text(Node):
    """``text`` in any of ``fields``, analysed by the field: one word -> that word, several ->
    the phrase (the words in this order, side by side)."""

    fields: tuple
    text: str


@dataclass(frozen=True)
class Term(Node):
    """A whole keyword value (already normalized) in a keyword field."""

    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix(Node):
    """Values starting with ``text`` in any of ``fields``. In text fields the prefix is matched
    against stems: ``immigra*`` also finds ``immigr`` (the stem of immigration)."""

    fields: tuple
    text: str


@dataclass(frozen=True)
class Fuzzy(Node):
    """Near spellings of one word (text fields: of its stem; name fields: of each word) within
    ``distance`` edits (None: the engine's default for the word's length); the first letter
    must match."""

    fields: tuple
    text: str
    distance: int | None = None


@dataclass(frozen=True)
class DateRange(Node):
    """Dates from ``start`` to ``end``, both whole days included; either may be open (None)."""

    field: str
    start: _dt.date | None
    end: _dt.date | None


@dataclass(frozen=True)
class Missing(Node):
    """Briefs with no value in ``field`` (``tag:none``)."""

    field: str


@dataclass(frozen=True)
class And(Node):
    children: tuple


@dataclass(frozen=True)
class Or(Node):
    """Any of the children; ``scale`` (0..1) damps the score of briefs matching only some of
    them (Whoosh's coordination), so that those with more of them rank first."""

    children: tuple
    scale: float | None = None


@dataclass(frozen=True)
class Not(Node):
    child: Node


@dataclass(frozen=True)
class Like(Node):
    """Briefs like the brief ``brief_id`` (`brief similar`): by its key ``terms`` (engine terms,
    with weights) where the engine found them, else by the engine's own "more like this"."""

    brief_id: str
    terms: tuple = ()  # ((term, weight), ...)


def and_(children) -> Node:
    cs = tuple(children)
    return cs[0] if len(cs) == 1 else And(cs)


def walk(node: Node):
    """Every node of a tree, parents first."""
    yield node
    if isinstance(node, (And, Or)):
        for c in node.children:
            yield from walk(c)
    elif isinstance(node, Not):
        yield from walk(node.child)
