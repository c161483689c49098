"""The Whoosh engine's side of queries: the neutral tree (``querytree``) -> Whoosh queries,
and the analysis that goes with it (stems, highlight terms)."""

from __future__ import annotations

import datetime as _dt

from . import whoosh_compat  # noqa: F401  (before the first Whoosh import)

from whoosh import query as Q  # noqa: E402

from .. import querytree as T  # noqa: E402

# A word in the title adds this share of its title score to its score in the text (where the
# title counts once: engine.whoosh indexes it there). Chosen by bench/relevance (README).
TITLE_WEIGHT = 0.1

_analyzers: dict = {}


def _analyzer(fieldname: str):
    a = _analyzers.get(fieldname)
    if a is None:
        from .whoosh import make_schema

        a = _analyzers[fieldname] = make_schema()[fieldname].analyzer
    return a


def analyze(fieldname: str, value: str) -> list[str]:
    """The index terms a value becomes in a field (stemmed for title/body)."""
    return [t.text for t in _analyzer(fieldname)(value)]


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _capped(btexts, what: str):
    """The index words a prefix or near-spelling stands for, at most ``MAX_EXPANSION`` of them:
    more is refused, naming the term (an Or of tens of thousands of words takes seconds)."""
    from ..models import UsageError
    from ..query import MAX_EXPANSION

    for n, bt in enumerate(btexts, 1):
        if n > MAX_EXPANSION:
            raise UsageError(f"bad query: {what} stands for more than {MAX_EXPANSION:,} different words "
                             "(the limit); make it longer or more exact")
        yield bt


class CappedPrefix(Q.Prefix):
    def _btexts(self, ixreader):
        return _capped(super()._btexts(ixreader), f"{self.text}*")


class CappedFuzzy(Q.FuzzyTerm):
    def _btexts(self, ixreader):
        return _capped(super()._btexts(ixreader), f"{self.text}~{self.maxdist}")


class StemPrefix(Q.Prefix):
    """``prefix*`` over stemmed terms: the terms that start with the prefix, and the terms
    that the prefix itself starts with, down to three characters shorter (``immigra*`` also
    matches ``immigr``, the stem of immigration and immigrants)."""

    def _btexts(self, ixreader):
        return _capped(self._stem_btexts(ixreader), f"{self.text}*")

    def _stem_btexts(self, ixreader):
        yield from ixreader.expand_prefix(self.fieldname, self.text)
        p = self.text
        for k in range(max(4, len(p) - 3), len(p)):
            if (self.fieldname, p[:k]) in ixreader:
                yield p[:k].encode("utf-8")


def _each(fields, make) -> Q.Query:
    qs = [make(f) for f in fields]
    if len(qs) > 1:  # title and body: the title weighs TITLE_WEIGHT
        for f, q in zip(fields, qs):
            if f == "title":
                q.boost = TITLE_WEIGHT
    return qs[0] if len(qs) == 1 else Q.Or(qs)


def _text_analyzer_field(field: str) -> str:
    return "body" if field in T.TEXT_FIELDS else field


def compile_query(node: T.Node | None) -> Q.Query | None:
    """A Whoosh query for a tree (None stays None: no filter)."""
    if node is None:
        return None
    return _compile(node)


def _compile(node: T.Node) -> Q.Query:
    if isinstance(node, T.Every):
        return Q.Every()
    if isinstance(node, T.Nothing):
        return Q.NullQuery
    if isinstance(node, T.And):
        return _balanced_and(_unique([_compile(c) for c in node.children]))
    if isinstance(node, T.Or):
        qs = [_compile(c) for c in node.children]
        return Q.Or(qs, scale=node.scale) if node.scale is not None else Q.Or(qs)
    if isinstance(node, T.Not):
        return Q.Not(_compile(node.child))
    if isinstance(node, T.Term):
        return Q.Term(node.field, node.value, boost=node.boost)
    if isinstance(node, T.Text):
        return _text(node)
    if isinstance(node, T.Prefix):
        return _prefix(node)
    if isinstance(node, T.Fuzzy):
        return _fuzzy(node)
    if isinstance(node, T.DateRange):
        s, e = node.start, node.end
        return Q.DateRange(
            node.field,
            _dt.datetime(s.year, s.month, s.day) if s else None,
            _dt.datetime(e.year, e.month, e.day, 23, 59, 59, 999999) if e else None,
        )
    if isinstance(node, T.Missing):
        return Q.Not(Q.Every(node.field))
    if isinstance(node, T.Like):
        return Q.Or([Q.Term("body", w, boost=wt) for w, wt in node.terms]
                    + [Q.Term("title", w, boost=wt * TITLE_WEIGHT) for w, wt in node.terms])
    raise TypeError(f"cannot compile {node!r}")  # pragma: no cover


AND_FANOUT = 16


def _unique(qs: list) -> list:
    """Sub-queries without repeats (``economy economy ...`` is one condition)."""
    seen, out = set(), []
    for q in qs:
        try:
            key = q if hash(q) is not None else None
        except TypeError:
            key = None
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        out.append(q)
    return out


def _balanced_and(qs: list) -> Q.Query:
    """An And of many parts as a tree of Ands of at most ``AND_FANOUT`` each. Whoosh chains the
    matchers of one wide And one inside the other (its weighted tree degenerates), so 1,000
    words would recurse 1,000 deep; grouped, the depth is a few dozen whatever the width."""
    while len(qs) > AND_FANOUT:
        qs = [Q.And(qs[i:i + AND_FANOUT]) for i in range(0, len(qs), AND_FANOUT)]
    return Q.And(qs)


def _text(node: T.Text) -> Q.Query:
    parts = []
    boost = TITLE_WEIGHT if len(node.fields) > 1 else 1.0
    for f in node.fields:
        toks = analyze(_text_analyzer_field(f), node.text)
        b = boost if f == "title" else 1.0
        if not toks:
            parts.append(Q.NullQuery)
        elif len(toks) == 1:
            parts.append(Q.Term(f, toks[0], boost=b))
        else:
            parts.append(Q.Phrase(f, toks, boost=b))
    return parts[0] if len(parts) == 1 else Q.Or(parts)


def _prefix(node: T.Prefix) -> Q.Query:
    if all(f in T.TEXT_FIELDS for f in node.fields):
        low = node.text
        stems = analyze("body", low)
        p = _common_prefix(low, stems[0]) if len(stems) == 1 else low
        return _each(node.fields, lambda f: StemPrefix(f, p or low))
    return _each(node.fields, lambda f: CappedPrefix(f, node.text))


def _fuzzy(node: T.Fuzzy) -> Q.Query:
    fields = node.fields
    if all(f in T.TEXT_FIELDS for f in fields):
        toks = analyze("body", node.text)
        if not toks:
            return Q.NullQuery
        w = toks[0]
        dist = node.distance if node.distance is not None else (2 if len(w) >= 7 else 1)
        return _each(fields, lambda f: CappedFuzzy(f, w, maxdist=dist, prefixlength=1))
    if all(f in T.NAME_FIELDS for f in fields):
        f = fields[0]
        toks = analyze(f, node.text)
        if not toks:
            return Q.NullQuery
        dist = node.distance if node.distance is not None else (2 if len(toks[-1]) >= 7 else 1)
        qs = [CappedFuzzy(f, w, maxdist=dist, prefixlength=1) for w in toks]
        if len(qs) == 1:
            return qs[0]
        return Q.And(qs)
    return _each(fields, lambda f: CappedFuzzy(f, node.text, maxdist=node.distance or 1, prefixlength=1))
