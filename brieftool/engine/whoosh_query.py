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


def _too_broad(what: str):
    from ..models import UsageError
    from ..query import MAX_EXPANSION

    return UsageError(f"bad query: {what} stands for more than {MAX_EXPANSION:,} different words "
                      "(the limit); make it longer or more exact")


def _capped(btexts, what: str):
    """The index words a prefix or near-spelling stands for, at most ``MAX_EXPANSION`` of them:
    more is refused, naming the term (an Or of tens of thousands of words takes seconds)."""
    from ..query import MAX_EXPANSION

    for n, bt in enumerate(btexts, 1):
        if n > MAX_EXPANSION:
            raise _too_broad(what)
        yield bt


class _Expanding:
    """A prefix or near spelling: the words of the archive it stands for, found once per reader
    (a segment's own words; for a reader of several segments, the union of theirs: Whoosh's own
    search of a multi-segment reader for near spellings reads the whole word list) and kept on
    the reader (a snapshot: its words never change), so that counting them for the query's
    budget (:func:`check_expansion`), scoring, matching and highlighting expand each term once.
    ``label`` is the term as the user wrote it."""

    label = ""

    def _own_btexts(self, ixreader):  # pragma: no cover - each subclass has its own
        raise NotImplementedError

    def _key(self) -> tuple:
        return (type(self).__name__, self.fieldname, self.text, getattr(self, "maxdist", None),
                getattr(self, "prefixlength", None))

    def words(self, ixreader) -> list:
        # kept on the reader, for every equal term of the query (``warx~2 ... warx~2``: looked up once)
        cache = ixreader.__dict__.setdefault("_brief_words", {})
        got = cache.get(self._key())
        if got is None:
            from ..query import MAX_EXPANSION

            leaves = ixreader.leaf_readers()
            if len(leaves) == 1 and leaves[0][0] is ixreader:  # one segment
                words = list(_capped(self._own_btexts(ixreader), self.label))
            else:
                seen: set = set()
                for leaf, _ in leaves:
                    seen.update(self.words(leaf))
                    if len(seen) > MAX_EXPANSION:
                        raise _too_broad(self.label)
                words = sorted(seen)
            got = cache[self._key()] = words
        return got

    def _btexts(self, ixreader):
        return iter(self.words(ixreader))


class CappedPrefix(_Expanding, Q.Prefix):
    @property
    def label(self):
        return f"{self.text}*"

    def _own_btexts(self, ixreader):
        return Q.Prefix._btexts(self, ixreader)


class CappedFuzzy(_Expanding, Q.FuzzyTerm):
    @property
    def label(self):
        return f"{self.text}~{self.maxdist}"

    def _own_btexts(self, ixreader):
        return Q.FuzzyTerm._btexts(self, ixreader)


class StemPrefix(_Expanding, Q.Prefix):
    """``prefix*`` over stemmed terms: the terms that start with the prefix, and the terms
    that the prefix itself starts with, down to three characters shorter (``immigra*`` also
    matches ``immigr``, the stem of immigration and immigrants)."""

    @property
    def label(self):
        return f"{self.text}*"

    def _own_btexts(self, ixreader):
        yield from ixreader.expand_prefix(self.fieldname, self.text)
        p = self.text
        for k in range(max(4, len(p) - 3), len(p)):
            if (self.fieldname, p[:k]) in ixreader:
                yield p[:k].encode("utf-8")


def _expanding(q) -> list:
    """The prefixes and near spellings of a Whoosh query, in the order they were written."""
    out, todo = [], [q]
    while todo:
        x = todo.pop()
        if isinstance(x, _Expanding):
            out.append(x)
        elif isinstance(x, Q.Query):
            todo.extend(reversed(list(x.children())))
    return out


def check_expansion(queries, ixreader) -> None:
    """Refuse a query whose prefixes and near spellings, together, stand for more than
    ``MAX_QUERY_EXPANSION`` words of the archive, or for words that occur more than
    ``MAX_QUERY_POSTINGS`` times in the briefs, or ``MAX_QUERY_POSTINGS_PER_BRIEF`` times the
    number of briefs if that is more (each word counted once per brief: the posting lists the
    search would read, which is what it costs; each term is capped alone too,
    ``MAX_EXPANSION``). Fifty two-letter prefixes on 20,000 briefs stand for 6,500 words with
    1.8 million postings: over a minute. One line, naming the broadest terms. The words found
    are kept for the search itself."""
    from ..models import UsageError
    from ..query import MAX_QUERY_EXPANSION, MAX_QUERY_POSTINGS, MAX_QUERY_POSTINGS_PER_BRIEF

    words: dict[str, set] = {}
    for q in queries:
        for x in _expanding(q):
            words.setdefault(x.label, set()).update(x.words(ixreader))  # title and body: one term
    total = sum(len(w) for w in words.values())
    if total > MAX_QUERY_EXPANSION:
        broad = sorted(words.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        names = ", ".join(f"{k} ({len(w):,})" for k, w in broad[:3])
        raise UsageError(f"bad query: its prefixes and near spellings stand for {total:,} different words "
                         f"together (the limit is {MAX_QUERY_EXPANSION:,}); the broadest: {names}; "
                         "make them longer or fewer")
    leaves = [r for r, _ in ixreader.leaf_readers()]
    limit = max(MAX_QUERY_POSTINGS, MAX_QUERY_POSTINGS_PER_BRIEF * ixreader.doc_count())
    places: dict[str, int] = {}
    n = 0
    for q in queries:
        for x in _expanding(q):
            f = x.field()
            k = sum(leaf.doc_frequency(f, w) for leaf in leaves for w in x.words(leaf))
            places[x.label] = places.get(x.label, 0) + k
            n += k
            if n > limit:  # enough counted (counting costs too)
                broad = sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))
                names = ", ".join(f"{k} ({v:,})" for k, v in broad[:3])
                raise UsageError(f"bad query: its prefixes and near spellings stand for words that occur more than "
                                 f"{limit:,} times in the briefs (each word once per brief: the limit); "
                                 f"the broadest: {names}; make them longer or fewer")


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
