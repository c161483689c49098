"""The Whoosh engine's reader: searching, sorting, facets, highlighting, spelling and "more like
this" over one searcher (a consistent snapshot). Implements ``base.Reader``."""

from __future__ import annotations

import bisect
import contextlib
import heapq
import os
import re
import signal

from . import whoosh_compat  # noqa: F401  (before the first Whoosh import)

from whoosh import collectors, sorting  # noqa: E402
from whoosh import query as Q  # noqa: E402

from .. import querytree as T  # noqa: E402
from ..models import Brief, norm_tag, org_key, person_key  # noqa: E402
from . import base  # noqa: E402
from .whoosh_query import _analyzer, analyze, check_expansion, compile_query  # noqa: E402

SIMILAR_TERMS = 15  # key terms of a brief that `similar` searches for
# What `brief tags/authors/orgs` count: kind -> the index field holding each one's lowercased keys.
KIND_FIELDS = {"tag": "tag", "author": "author_key", "org": "org_key"}


def _term(t) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


class WhooshReader(base.Reader):
    def __init__(self, searcher):
        self.s = searcher
        self._compiled: dict = {}

    # -- search ----------------------------------------------------------------------------
    def _wq(self, node):
        """The Whoosh query for a tree, compiled once per reader (so a prefix or near spelling
        is expanded once for the count, the hits and the highlighting)."""
        if not isinstance(node, T.Node):
            return node
        try:
            got = self._compiled.get(node)
        except TypeError:  # a node that cannot be hashed
            return compile_query(node)
        if got is None:
            got = self._compiled[node] = compile_query(node)
        return got

    def _bounded(self, *queries) -> None:
        check_expansion(queries, self.s.reader())

    def search(self, query, flt=None, *, sort: str = "relevance", reverse: bool = False,
               limit: int | None = None, mask=None) -> base.Found:
        q, f = self._wq(query), self._wq(flt)
        if isinstance(mask, base.Found):
            mask = mask.handle.docs()
        elif isinstance(mask, T.Node):
            mask = self._wq(mask)
        self._bounded(q, f, mask if isinstance(mask, Q.Query) else None)
        if sort == "relevance":
            r = _search_by_relevance(self.s, q, f, mask, limit)
            hits = list(r)
            for h in hits:  # sorted by (-score, id): the score is the key's first part
                if isinstance(h.score, tuple):
                    h.score = -h.score[0]
        else:
            r = self.s.search(q, filter=f, mask=mask, limit=limit, sortedby=_sortedby(sort, reverse))
            hits = list(r)
        return base.Found(hits, len(r), r)

    def count(self, query, flt=None) -> int:
        q, f = self._wq(query), self._wq(flt)
        self._bounded(q, f)
        return len(self.s.search(q, filter=f, limit=1))

    def brief(self, hit) -> Brief:
        from .whoosh import doc_to_brief

        return doc_to_brief(hit.fields())

    def get(self, brief_id: str) -> Brief | None:
        from .whoosh import doc_to_brief

        stored = self.s.document(id=brief_id)
        return doc_to_brief(stored) if stored is not None else None

    # -- facets ----------------------------------------------------------------------------
    def facets(self, found) -> dict:
        docs: set = set()
        for f in found:
            docs |= set(f.handle.docs())
        return facet_counts(self.s, docs)

    # -- snippets --------------------------------------------------------------------------
    def highlight_terms(self, query) -> set:
        """The title/body terms to mark in snippets (prefix and fuzzy terms expanded to the
        archive's terms they match)."""
        q = self._wq(query)
        out = set()
        try:
            q = q.simplify(self.s.reader())
        except Exception:  # pragma: no cover - highlighting is a nicety, never an error
            pass
        for fieldname, t in q.iter_all_terms(phrases=True):
            if fieldname in ("title", "body"):
                out.add(_term(t))
        return out

    def snippet(self, hit, body: str, terms, maxchars: int) -> str:
        return highlight(body, terms, maxchars)

    def mark(self, text: str, terms) -> str:
        """The title's words whose index terms (folded, stemmed) are in ``terms``, marked."""
        from ..search import MARK_OFF, MARK_ON

        text = text.replace(MARK_ON, "").replace(MARK_OFF, "")
        out, at = [], 0
        for t in _analyzer("title")(text, chars=True, removestops=False):
            if t.text in terms and t.startchar >= at:
                out.append(text[at:t.startchar])
                out.append(MARK_ON + text[t.startchar:t.endchar] + MARK_OFF)
                at = t.endchar
        out.append(text[at:])
        return "".join(out)

    # -- did you mean ----------------------------------------------------------------------
    def respell(self, word: str) -> str | None:
        """When no brief has ``word``: the nearest word of the archive (edit distance 1, 2 for long
        words, on folded stems; the most frequent), as the briefs write it; else None."""
        from whoosh.support.levenshtein import distance

        reader = self.s.reader()

        def df(stem: str) -> int:
            return reader.doc_frequency("body", stem) + reader.doc_frequency("title", stem)

        stems = analyze("body", word)
        if len(stems) != 1 or len(word) < 3 or word.isdigit():
            return None
        stem = stems[0]
        have = df(stem)
        if have > 0:  # a word of the archive: it matched, leave it
            return None
        best = None
        for maxdist in (1, 2) if len(stem) >= 5 else (1,):
            cands = [c for c in reader.terms_within("body", stem, maxdist, prefix=1) if c != stem]
            scored = [(df(c), c) for c in cands]
            scored = [x for x in scored if x[0] > have]
            if scored:
                best = max(scored)[1]
                break
        if best is None:
            return None
        return _surface(self.s, best, word, distance)

    # -- more like this --------------------------------------------------------------------
    def like(self, brief_id: str):
        from whoosh import classify

        from .whoosh import doc_to_brief

        docnum = self.s.document_number(id=brief_id)
        if docnum is None:
            return None
        source = doc_to_brief(self.s.stored_fields(docnum))
        text = f"{source.title}\n{source.body}"
        kts = self.s.key_terms_from_text("body", text, numterms=SIMILAR_TERMS, model=classify.Bo1Model,
                                         normalize=True) if text.strip() else []
        if not kts:
            return source, [], None
        return source, [w for w, _ in kts], T.Like(brief_id, tuple(kts))

    # -- names -----------------------------------------------------------------------------
    def ids_with(self, kind: str, key: str) -> list[str]:
        r = self.s.reader()
        docs = live_docs(r, KIND_FIELDS[kind], lambda k: k == key)
        nums = sorted(set().union(*docs.values())) if docs else []
        return [r.stored_fields(d)["id"] for d in nums]


def live_docs(reader, fieldname: str, pred=None) -> dict[str, set[int]]:
    """{name key: live document numbers} for the terms of a keyword field (``pred`` filters keys).
    Reads the term index only: no stored record is loaded."""
    out: dict[str, set[int]] = {}
    if fieldname not in reader.indexed_field_names():
        return out
    for t in reader.lexicon(fieldname):
        key = base.name_key(_term(t))
        if not key or (pred is not None and not pred(key)):
            continue
        docs = [d for d in reader.postings(fieldname, t).all_ids() if not reader.is_deleted(d)]
        if docs:
            out.setdefault(key, set()).update(docs)
    return out


def preload() -> None:
    """Import the Whoosh modules a search loads on first use (the command server's, server.py)."""
    import whoosh.highlight  # noqa: F401
    import whoosh.searching  # noqa: F401


# -- sorting --------------------------------------------------------------------------------------
SCORE_DIGITS = 7  # scores equal to this many decimals are a tie (ordered by id)


class _RoundedScore(sorting.ScoreFacet):
    """The score as a sort key (negated: best first), rounded to SCORE_DIGITS decimals."""

    def categorizer(self, global_searcher):
        return self.Rounded(global_searcher)

    class Rounded(sorting.ScoreFacet.ScoreCategorizer):
        def key_for(self, matcher, docid):
            return round(super().key_for(matcher, docid), SCORE_DIGITS)


def _search_by_relevance(s, q, f, mask, limit):
    """``s.search(q, sortedby=_by_relevance())``, the same hits in the same order, faster: every
    match is scored, but only the best ``limit`` (and any tied with the last of them) have their
    id read to order equal scores, instead of every match building a two-part sort key."""
    leaves = list(s.reader().leaf_readers())
    # (a segment with no briefs has no columns, and no matches: it does not count)
    if not leaves or not all(r.has_column("id") or not r.doc_count_all() for r, _ in leaves):
        return s.search(q, filter=f, mask=mask, limit=limit, sortedby=_by_relevance())
    c = _ScoreThenId(limit, leaves)
    if f or mask:
        s.search_with_collector(q, collectors.FilterCollector(c, f, mask))
    else:
        c.prepare(s, q, s.context())
        _collect_in_two(s, c)
    return c.results()


# A search of an archive of this many briefs in this many segments or more scores its
# segments in two processes (each about half the briefs): on two cores, about half the time.
SPLIT_MIN_BRIEFS = 5_000
SPLIT_MIN_SEGMENTS = 8


def _collect_in_two(s, c) -> None:
    """``c.run()``: every segment's matches collected by ``c`` (prepared), the second half of the
    segments (by briefs, index order kept) by a forked child at the same time, its matches
    (score key, document number) added to ``c``'s afterwards: the same items and documents,
    so ``c.results()`` is the same. The child first gives each open file of the snapshot an
    offset of its own (Whoosh reads by seek + read; parent and child read at once), and only
    then does the parent go on. Anything wrong with the child: the parent collects its half
    itself."""
    subs = list(s.leaf_searchers())
    storage = getattr(subs[0][0].reader(), "_storage", None) if subs else None
    briefs = sum(sub.reader().doc_count_all() for sub, _ in subs)
    import threading

    if (len(subs) < SPLIT_MIN_SEGMENTS or briefs < SPLIT_MIN_BRIEFS or not hasattr(storage, "opened")
            or not hasattr(os, "fork") or threading.active_count() > 1):  # (a fork copies no other thread)
        c.run()
        return
    half, n = len(subs), 0
    for i, (sub, _) in enumerate(subs):
        if i and n + sub.reader().doc_count_all() / 2 > briefs / 2:
            half = i
            break
        n += sub.reader().doc_count_all()
    first, second = subs[:half], subs[half:]
    got = _collect_in_child(c, second, storage) if second else None
    try:
        for sub, offset in first:
            c.set_subsearcher(sub, offset)
            c.collect_matches()
        more = got() if got is not None else None
        got = None
        if more is None:  # the child failed: its half here
            for sub, offset in second:
                c.set_subsearcher(sub, offset)
                c.collect_matches()
        else:
            items, docs = more
            c.items.extend(items)
            c.docset.update(docs)
    finally:
        if got is not None:  # interrupted: the child is not left behind
            got(kill=True)
        c.finish()


def _collect_in_child(c, subs, storage):
    """Fork a child that collects ``subs`` into its copy of ``c`` and sends back its items and
    documents; return the function that waits for them (None if the child failed). Returns
    once the child has its own file offsets."""
    import marshal

    from .whoosh_warm import own_offsets

    ready_r, ready_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            os.close(ready_r)
            os.close(out_r)
            if own_offsets(storage):
                os.write(ready_w, b"R")
                os.close(ready_w)
                for sub, offset in subs:
                    c.set_subsearcher(sub, offset)
                    c.collect_matches()
                with os.fdopen(out_w, "wb") as out:
                    out.write(marshal.dumps((c.items, list(c.docset))))
                code = 0
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(out_w)
    try:
        ready = os.read(ready_r, 1) == b"R"  # until then the child may still be reading our offsets
    finally:
        os.close(ready_r)

    def join(kill: bool = False):
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with os.fdopen(out_r, "rb") as f:
            data = f.read() if not kill else b""
        os.waitpid(pid, 0)
        if kill or not ready or not data:
            return None
        try:
            items, docs = marshal.loads(data)
        except Exception:
            return None
        return [tuple(it) for it in items], docs

    return join


class _ScoreThenId(collectors.SortingCollector):
    """Whoosh's sorting collector keyed by the (rounded) score alone; :meth:`results` orders the
    best by (score, id) as ``_by_relevance`` does."""

    def __init__(self, limit, leaves):
        super().__init__(_RoundedScore(), limit=limit)
        self._offsets = [off for _, off in leaves]
        self._leaves = [r for r, _ in leaves]
        self._columns: dict = {}

    def _id_key(self, docnum: int):
        i = bisect.bisect_right(self._offsets, docnum) - 1
        col = self._columns.get(i)
        if col is None:
            col = self._columns[i] = self._leaves[i].column_reader("id", translate=False)
        return col.sort_key(docnum - self._offsets[i])

    def results(self):
        items = self.items  # (-score, docnum) of every match
        if self.limit and len(items) > self.limit:
            last = heapq.nsmallest(self.limit, items)[-1][0]
            items = [it for it in items if it[0] <= last]
        keyed = sorted(((key, self._id_key(docnum)), docnum) for key, docnum in items)
        if self.limit:
            keyed = keyed[:self.limit]
        return self._results(keyed, docset=self.docset)


def _by_relevance():
    """Best score first; equal scores by id, so that the order never depends on how the archive
    happens to be split into segments (document numbers do). Scores are compared rounded: the
    same brief's score can differ in its last bits between a one-segment and a fifty-segment
    archive (floating-point sums in another order), which must not decide the order of a tie."""
    return [_RoundedScore(), sorting.FieldFacet("id")]


def _sortedby(sort: str, reverse: bool):
    from whoosh import sorting

    if sort == "date":  # newest first by default; undated briefs last either way
        return _date_facet(newest_first=not reverse)
    if sort == "added":
        return sorting.FieldFacet("added", reverse=not reverse)
    if sort == "title":
        return sorting.FieldFacet("title_sort", reverse=reverse)
    if sort == "date-field":  # the plain date column, newest first (curate's bulk selection)
        return sorting.FieldFacet("date", reverse=not reverse)
    raise ValueError(f"unknown sort {sort!r}")


def _date_facet(newest_first: bool):
    """Sort by the date column, undated briefs last in both directions (Whoosh's own date
    facet puts them first when newest come first). Reads the column's raw numbers: fast."""
    from whoosh import sorting

    class Categorizer(sorting.Categorizer):
        def set_searcher(self, segment_searcher, docoffset):
            r = segment_searcher.reader()
            self._missing = r.schema["date"].column_type.default_value(False)
            # An archive that never held a brief has an empty reader, without columns.
            self._col = r.column_reader("date", translate=False) if r.has_column("date") else None

        def key_for(self, matcher, docid):
            if self._col is None:
                return (1, 0)
            v = self._col[docid]
            if v == self._missing:
                return (1, 0)
            return (0, -v if newest_first else v)

    class DateFacet(sorting.FacetType):
        def categorizer(self, global_searcher):
            return Categorizer()

    return DateFacet()


# -- facets ---------------------------------------------------------------------------------------
def facet_counts(searcher, docs) -> dict:
    """Counts of tags, authors, organizations and years over the documents ``docs``.

    Read from the index's term lists (no record is loaded to count); each value is shown as
    written in one of the briefs that carry it. Each facet: [(value, count), ...], most
    frequent first (years: newest first)."""
    docs = docs if isinstance(docs, (set, frozenset)) else set(docs)
    reader = searcher.reader()
    out = {}
    for name, fieldname in (("tags", "tag"), ("authors", "author_key"), ("organizations", "org_key"),
                            ("years", "year")):
        counts: list[tuple[str, int, int]] = []
        if docs:
            for term in reader.lexicon(fieldname):
                ids = reader.postings(fieldname, term).all_ids()
                n, first = 0, None
                for d in ids:
                    if d in docs:
                        n += 1
                        if first is None:
                            first = d
                if n:
                    counts.append((_term(term), n, first))
        values = []
        for key, n, first in counts:
            values.append((key if name == "years" else _display(searcher, name, key, first), n))
        if name == "years":
            values.sort(key=lambda v: v[0], reverse=True)
        else:
            values.sort(key=lambda v: (-v[1], v[0].casefold()))
        out[name] = values
    return out


def _display(searcher, facet: str, key: str, docnum: int) -> str:
    """A facet key (lowercased) as written in the brief ``docnum``."""
    rec = searcher.stored_fields(docnum).get("rec", {})
    if facet == "tags":
        cands = rec.get("tags", [])
        match = lambda v: norm_tag(v.replace(",", " ")) == key  # noqa: E731
    elif facet == "authors":
        cands = rec.get("authors", [])
        match = lambda v: person_key(v) == key  # noqa: E731
    else:
        cands = [rec.get("organization", "")]
        match = lambda v: org_key(v) == key  # noqa: E731
    for v in cands:
        if v and match(v):
            return v
    return key


# -- did you mean ---------------------------------------------------------------------------------
def _surface(searcher, stem: str, typed: str, distance) -> str | None:
    """A word of the archive whose (folded) stem is ``stem``, as written there, the one closest
    to what was typed (``sanction`` -> ``sanctions`` for ``sanctons``; ``régime`` for ``regme``
    when the briefs write it so). None when none is found in the first briefs that have it
    (never a bare stem: a suggestion is a real word)."""
    from whoosh.lang.porter import stem as porter

    from ..models import fold

    forms: dict[str, int] = {}
    r = searcher.reader()
    for fieldname in ("body", "title"):
        if (fieldname, stem) not in r:
            continue
        m = r.postings(fieldname, stem)
        for i, docnum in enumerate(m.all_ids()):
            if i >= 3:
                break
            stored = searcher.stored_fields(docnum)
            text = (stored.get("rec") or {}).get("title", "") + "\n" + stored.get("text", "")
            for w in re.findall(r"\w+", text.lower()):
                f = fold(w)
                if f[:1] == stem[:1] and porter(f) == stem:
                    forms[w] = forms.get(w, 0) + 1
        if forms:
            break
    if not forms:
        return None
    t = fold(typed)
    return min(forms, key=lambda w: (distance(fold(w), t), -forms[w], w))


# -- snippets -------------------------------------------------------------------------------------
class _MarkFormatter:
    """Whoosh formatter that wraps matches in private-use markers (rendered as styles later)."""

    between = " … "

    def __call__(self, text, fragments):
        return self.format(fragments)

    def format(self, fragments, replace=False):
        return self.between.join(self.format_fragment(f) for f in fragments)

    def format_fragment(self, fragment, replace=False):
        from ..search import MARK_OFF, MARK_ON

        out, index, text = [], fragment.startchar, fragment.text
        for t in fragment.matches:
            if t.startchar < index:
                continue
            out.append(text[index:t.startchar])
            out.append(MARK_ON + text[t.startchar:t.endchar] + MARK_OFF)
            index = t.endchar
        out.append(text[index:fragment.endchar])
        return "".join(out)


def highlight(body: str, terms, maxchars: int) -> str:
    """The best two passages of ``body`` with the words whose terms are in ``terms`` marked;
    '' when none match (``body`` is already cut and cleaned of markers by the caller).

    The passages of Whoosh's highlighter (``whoosh.highlight.highlight`` with the body analyzer,
    a ``ContextFragmenter`` and ``_first_on_ties``: tests/test_search.py compares the two),
    found without running the analyzer over every word: see :func:`_fragments`."""
    if not terms:
        return ""
    from whoosh import highlight as wh

    termset = frozenset(terms)
    frag = wh.ContextFragmenter(maxchars=maxchars, surround=60)
    plan = _analysis_plan()
    if plan is None:  # pragma: no cover - an analyzer of another shape: Whoosh's own way
        tokens = wh.set_matched_filter(_analyzer("body")(body, chars=True, mode="query", removestops=False), termset)
        fragments = frag.fragment_tokens(body, tokens)
    else:
        fragments = _fragments(body, termset, plan, frag.maxchars, frag.surround, frag.charlimit)
    return _MarkFormatter()(body, wh.top_fragments(fragments, 2, _first_on_ties, wh.FIRST, 1))


# What each word of a body becomes in the index (folded; stemmed unless a stop word), for the
# snippets: a word's term does not depend on the query, so it is worked out once per process.
_word_terms: dict[str, str] = {}
_WORD_TERMS_MAX = 200_000
_plan: list = []


def _analysis_plan():
    """(tokenizer pattern, fold table, stop words, minimum size, stem function, words not
    stemmed) of the body analyzer when it is the chain this module knows
    (``engine.whoosh._text``, Porter stems); else None."""
    if not _plan:
        from whoosh.analysis import (CharsetFilter, CompositeAnalyzer, LowercaseFilter, RegexTokenizer,
                                     StemFilter, StopFilter)

        a = _analyzer("body")
        items = a.items if isinstance(a, CompositeAnalyzer) else []
        kinds = [type(x) for x in items]
        from whoosh.lang.porter import stem as porter

        if kinds == [RegexTokenizer, LowercaseFilter, CharsetFilter, StopFilter, StemFilter] \
                and not items[0].gaps and items[3].max is None and items[4].stemfn is porter and not items[4].lang:
            tok, _, cs, stop, stem = items
            ascii_kept = all(k >= 128 for k in cs.charmap)
            _plan.append((tok.expression, cs.charmap, stop.stops, stop.min, porter, stem.ignore) if ascii_kept else None)
        else:  # pragma: no cover - another analyzer
            _plan.append(None)
    return _plan[0]


def _term_of(folded: str, plan) -> str:
    """The index term of a word already lowercased and folded (StopFilter marks a stop word,
    and StemFilter passes a marked word by)."""
    _, _, stops, minsize, stem, ignore = plan
    if len(folded) < minsize or folded in stops or folded in ignore:
        return folded
    return stem(folded)


def _fragments(text: str, termset: frozenset, plan, maxchars: int, surround: int, charlimit: int):
    """The fragments ``ContextFragmenter(maxchars, surround, charlimit).fragment_tokens`` makes of
    ``text`` analyzed by the body analyzer with ``matched`` set from ``termset``; the same, in
    the same order, with the same tokens in them.

    Whoosh stems every word of the text and walks every token through its fragmenter. Here the
    text's words are found by the tokenizer's pattern, each distinct word's term is worked out
    only when it could match (a Porter stem keeps its word's first letter, and a stop word is
    its own term), and the walk jumps over each run of words outside a passage: there the
    fragmenter only keeps the start of the words within ``surround`` characters of the last
    one, which is worked out at once for the run (its words' starts rise, so what it keeps is
    the run's last few)."""
    from collections import deque

    from whoosh.analysis import Token
    from whoosh.highlight import mkfrag

    expr, charmap, _, _, _, _ = plan
    if len(text) <= charlimit:
        ms = list(expr.finditer(text))
    else:  # Whoosh stops at the first word that ends past charlimit (and that word counts)
        ms = []
        for m in expr.finditer(text):
            ms.append(m)
            if m.end() > charlimit:
                break
    n = len(ms)
    if not n:
        return
    words = [m.group() for m in ms]
    memo = _word_terms
    if len(memo) > _WORD_TERMS_MAX:
        memo.clear()
    initials = {t[:1] for t in termset}
    # The words that could match: an ASCII word's folded first letter is its lowercased first
    # letter (the fold table changes no ASCII character: _analysis_plan checks it).
    maybe = [w for w in set(words) if not w.isascii() or w[0].lower() in initials]
    terms: dict[str, str] = {}  # matched word -> its term
    for w in maybe:
        folded = w.lower().translate(charmap)
        if folded[:1] in initials:
            term = memo.get(folded)
            if term is None:
                term = memo[folded] = _term_of(folded, plan)
            if term in termset:
                terms[w] = term
    if not terms:
        return
    hits = [i for i, w in enumerate(words) if w in terms]
    cut = n - 1 if ms[-1].end() > charlimit else n  # ms[cut]: the word the fragmenter stops at
    first = None
    firsts: deque = deque()
    countdown = -1
    tks: list = []
    endchar = None
    currentlen = 0
    nexthit = 0  # index into hits
    i = 0
    while i < cut:
        if countdown < 0:
            while nexthit < len(hits) and hits[nexthit] < i:
                nexthit += 1
            j = hits[nexthit] if nexthit < len(hits) else cut
            if j > i:  # words i..j-1: none matched, none in a passage
                # Whoosh appends each one's start to ``firsts`` (empty here: every passage's end
                # empties it, and only this jump fills it) and drops the starts more than
                # ``surround`` before its end: what stays is the run's last words'.
                endchar = ms[j - 1].end()
                lim = endchar - surround
                k = j - 1
                while k >= i and ms[k].start() >= lim:
                    k -= 1
                firsts = deque(ms[x].start() for x in range(k + 1, j))
                i = j
                if i >= cut:
                    break
        # Outside a passage the word here is a matched one (the jump stopped at it); Whoosh's
        # branch for an unmatched word outside a passage is never taken.
        startchar, endchar = ms[i].span()
        tlength = endchar - startchar
        term = terms.get(words[i])
        if currentlen + tlength > maxchars:
            countdown = 0
        elif term is not None:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = startchar
                    countdown += surround
            t = Token(False, True, removestops=False, mode="query")
            t.text, t.boost, t.startchar, t.endchar, t.matched = term, 1.0, startchar, endchar, True
            tks.append(t)
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                yield mkfrag(text, tks, startchar=first, endchar=endchar)
                tks = []
                firsts = deque()
                first = None
                currentlen = 0
        i += 1
    if cut < n:
        endchar = ms[cut].end()
    if tks:
        yield mkfrag(text, tks, startchar=first, endchar=endchar)


def _first_on_ties(fragment) -> float:
    """Whoosh's passage score (matches, times 100 per distinct word), the earlier passage first
    among equals: Whoosh breaks ties by the passages' memory addresses, so the same search
    could show other passages from one run to the next."""
    from whoosh import highlight as wh

    return wh.BasicFragmentScorer()(fragment) - fragment.startchar * 1e-12


__all__ = ["WhooshReader", "facet_counts", "live_docs", "highlight", "Q"]
