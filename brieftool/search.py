"""Searching, listing and "more like this": Whoosh queries in, Brief records (and snippets) out.

Ranking rule for plain words (measured on tests/fixtures/relevance, see tests/test_relevance.py):

* up to three content words (``sanctions relief``): briefs with all of them; when no brief
  has all of them, the briefs with any of them, ranked (``Results.fallback``);
* four or more (a question: ``what did critics say about sanctions relief for iran``): the
  briefs with all of them first, then the briefs with some of them, ranked by BM25F with a
  coordination bonus. Plain AND would keep only the one or two briefs that happen to use
  every word of the question; plain OR would bury them.

Question words (``how``, ``did``, ``which``...) are left out of both (see query.QUESTION_WORDS).
Highlighting re-analyses stored text, so it is done only for the hits that are shown.
Facets and spelling suggestions read the index's term lists, not the records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .engine.whoosh import doc_to_brief

from whoosh import query as Q  # noqa: E402  (after the engine: it loads Whoosh without urllib)
from .models import Brief, UsageError, norm_tag

SNIPPET_CHARS = 200_000  # highlight within the first 200k characters of a body at most
SNIPPET_MAX = 240  # characters of a snippet (about three lines of a terminal)
LONG_TOKEN = 40  # a run of characters without spaces longer than this is cut in snippets
MARK_ON, MARK_OFF = "\ue000", "\ue001"  # private-use markers around matched words in snippets

SORTS = ("relevance", "date", "title", "added")
QUESTION_LENGTH = 4  # content words from which a query is ranked as a question (all-words first)
SUGGEST_BELOW = 3  # look for a better spelling when fewer briefs than this have all the words
SIMILAR_TERMS = 15  # key terms of a brief that `similar` searches for
FACETS = ("tags", "authors", "organizations", "years")


@dataclass
class Hit:
    brief: Brief
    score: float | None = None
    snippet: str = ""  # plain text, matched words wrapped in MARK_ON/MARK_OFF

    def to_json(self) -> dict:
        d = self.brief.to_json()
        if self.score is not None:
            d["score"] = round(self.score, 4)
        d["snippet"] = plain(self.snippet)
        return d


@dataclass
class Results:
    hits: list[Hit]
    total: int  # how many briefs matched in all (not just the page shown)
    fallback: bool = False  # no brief had all the words: ranked by any of them
    facets: dict = field(default_factory=dict)  # {"tags": [(value, count), ...], ...} when asked
    suggestion: str | None = None  # the query with a better spelling, when one finds more
    suggestion_total: int = 0  # how many briefs the suggestion finds
    all_words: int | None = None  # a question: how many of ``total`` have all the words
    source: Brief | None = None  # `similar`: the brief the hits are like
    key_terms: list[str] = field(default_factory=list)  # `similar`: the terms searched for


def plain(snippet: str) -> str:
    return snippet.replace(MARK_ON, "").replace(MARK_OFF, "")


def check_sort(sort: str, allowed=SORTS) -> str:
    s = (sort or "").lower()
    if s not in allowed:
        raise UsageError(f"unknown sort {sort!r} (choose {', '.join(allowed)})")
    return s


def page_window(limit: int | None, offset: int = 0, page: int | None = None) -> tuple[int | None, int]:
    """(limit, offset) from --limit/--offset/--page; ``limit`` 0 or None means all."""
    limit = limit or None
    if offset < 0:
        raise UsageError("--offset must be 0 or more")
    if page is not None:
        if page < 1:
            raise UsageError("--page must be 1 or more")
        if offset:
            raise UsageError("give --page or --offset, not both")
        if limit is None:
            if page > 1:
                raise UsageError("--page needs a --limit (the page size)")
            return None, 0
        offset = (page - 1) * limit
    return limit, offset


def _sortedby(sort: str, reverse: bool):
    from whoosh import sorting

    if sort == "date":  # newest first by default; undated briefs last either way
        return _date_facet(newest_first=not reverse)
    if sort == "added":
        return sorting.FieldFacet("added", reverse=not reverse)
    if sort == "title":
        return sorting.FieldFacet("title_sort", reverse=reverse)
    raise UsageError(f"unknown sort {sort!r} (choose {', '.join(SORTS)})")


def _date_facet(newest_first: bool):
    """Sort by the date column, undated briefs last in both directions (Whoosh's own date
    facet puts them first when newest come first). Reads the column's raw numbers: fast."""
    from whoosh import sorting

    class Categorizer(sorting.Categorizer):
        def set_searcher(self, segment_searcher, docoffset):
            r = segment_searcher.reader()
            self._missing = r.schema["date"].column_type.default_value(False)
            self._col = r.column_reader("date", translate=False)

        def key_for(self, matcher, docid):
            v = self._col[docid]
            if v == self._missing:
                return (1, 0)
            return (0, -v if newest_first else v)

    class DateFacet(sorting.FacetType):
        def categorizer(self, global_searcher):
            return Categorizer()

    return DateFacet()


def _wq(q):
    """A query tree compiled for Whoosh (a Whoosh query passes through)."""
    from .engine.whoosh_query import compile_query
    from .querytree import Node

    return compile_query(q) if isinstance(q, Node) else q


def _ranked(s, q, flt, *, sort: str, reverse: bool, n: int | None, mask=None) -> tuple[list, object]:
    """(the first ``n`` hits in order, the Whoosh results: len() is the total)."""
    q, flt = _wq(q), _wq(flt)
    if sort == "relevance":
        r = s.search(q, filter=flt, mask=mask, limit=None if reverse else n)
        hits = list(r)
        if reverse:  # least relevant first: needs the whole ranking
            hits = hits[::-1][:n] if n else hits[::-1]
        return hits, r
    r = s.search(q, filter=flt, mask=mask, limit=n, sortedby=_sortedby(sort, reverse))
    return list(r), r


def _window(hits: list, limit: int | None, offset: int) -> list:
    return hits[offset:offset + limit] if limit else hits[offset:]


def _make_hits(hits, terms, *, scored: bool, snippets: bool) -> list[Hit]:
    out = []
    for h in hits:
        b = doc_to_brief(h.fields())
        out.append(Hit(b, h.score if scored else None, snippet(b, terms) if snippets else ""))
    return out


# -- search ---------------------------------------------------------------------------------------
def search(archive, text, *, flt: Q.Query | None = None, sort: str = "relevance", reverse: bool = False,
           limit: int | None = 10, offset: int = 0, snippets: bool = True, facets: bool = False,
           suggest: bool = True) -> Results:
    """Run a query (query.py syntax, or a ``query.Parsed``) with optional filters: one page of
    hits, the total, and on request the facets; a better spelling when few briefs match."""
    from .query import Parsed, parse

    sort = check_sort(sort)
    limit = limit or None
    parsed = text if isinstance(text, Parsed) else parse(text)
    n = offset + limit if limit else None
    question = parsed.fallback is not None and parsed.content_words >= QUESTION_LENGTH
    with archive.searcher() as s:
        strict_hits, strict_r = _ranked(s, parsed.query, flt, sort=sort, reverse=reverse, n=n)
        strict_total = len(strict_r)
        fallback, all_words = False, None
        if parsed.fallback is not None and strict_total == 0:
            hits, r = _ranked(s, parsed.fallback, flt, sort=sort, reverse=reverse, n=n)
            fallback = len(r) > 0
            total, docs = len(r), (r.docs() if facets else None)
            terms = _highlight_terms(parsed.fallback, s)
        elif question and sort == "relevance":
            # all the words first, then the briefs with some of them (the strict ones masked out)
            # (strict_r is in forward order, and complete when reverse asked for the whole ranking)
            more_hits, more_r = _ranked(s, parsed.fallback, flt, sort=sort, reverse=False,
                                        n=None if (reverse or not n) else max(n - strict_total, 1),
                                        mask=strict_r.docs())
            hits = list(strict_r) + more_hits
            if reverse:
                hits = hits[::-1]
            hits = hits[:n] if n else hits
            total = strict_total + len(more_r)
            all_words = strict_total
            docs = (set(strict_r.docs()) | set(more_r.docs())) if facets else None
            terms = _highlight_terms(parsed.fallback, s)
        elif question:  # sorted by date/title: every brief with some of the words, in that order
            hits, r = _ranked(s, parsed.fallback, flt, sort=sort, reverse=reverse, n=n)
            total, all_words = len(r), strict_total
            docs = r.docs() if facets else None
            terms = _highlight_terms(parsed.fallback, s)
        else:
            hits, total = strict_hits, strict_total
            docs = strict_r.docs() if facets else None
            terms = _highlight_terms(parsed.query, s)
        page = _make_hits(_window(hits, limit, offset), terms, scored=sort == "relevance", snippets=snippets)
        res = Results(page, total, fallback, all_words=all_words)
        if facets:
            res.facets = facet_counts(s, docs)
        if suggest and strict_total < SUGGEST_BELOW and parsed.words:
            found = suggestion(s, parsed, flt, strict_total)
            if found:
                res.suggestion, res.suggestion_total = found
    return res


def list_briefs(archive, *, flt: Q.Query | None = None, sort: str = "date", reverse: bool = False,
                limit: int | None = None, offset: int = 0, query=None, facets: bool = False) -> Results:
    """Briefs matching the filters (and ``query``, a string or ``query.Parsed``: all its words),
    newest first by default."""
    from .query import Parsed, parse

    if sort == "relevance":
        sort = "date"
    sort = check_sort(sort, ("date", "title", "added"))
    limit = limit or None
    if isinstance(query, Parsed):
        q = query.query
    else:
        q = parse(query).query if query and query.strip() else Q.Every()
    with archive.searcher() as s:
        hits, r = _ranked(s, q, flt, sort=sort, reverse=reverse, n=offset + limit if limit else None)
        res = Results(_make_hits(_window(hits, limit, offset), set(), scored=False, snippets=False), len(r))
        if facets:
            res.facets = facet_counts(s, r.docs())
    return res


def similar(archive, brief_id: str, *, flt: Q.Query | None = None, sort: str = "relevance",
            reverse: bool = False, limit: int | None = 10, offset: int = 0, snippets: bool = True,
            facets: bool = False) -> Results:
    """The briefs most like one brief: its key terms (Bo1 over the archive), the brief excluded."""
    from whoosh import classify

    sort = check_sort(sort)
    limit = limit or None
    bid = archive.resolve(brief_id)
    with archive.searcher() as s:
        docnum = s.document_number(id=bid)
        source = doc_to_brief(s.stored_fields(docnum))
        text = f"{source.title}\n{source.body}"
        kts = s.key_terms_from_text("body", text, numterms=SIMILAR_TERMS, model=classify.Bo1Model,
                                    normalize=True) if text.strip() else []
        if not kts:
            return Results([], 0, source=source)
        q = Q.Or([Q.Term("body", w, boost=wt) for w, wt in kts]
                 + [Q.Term("title", w, boost=wt) for w, wt in kts])
        n = offset + limit if limit else None
        hits, r = _ranked(s, q, flt, sort=sort, reverse=reverse, n=n, mask={docnum})
        terms = {w for w, _ in kts}
        page = _make_hits(_window(hits, limit, offset), terms, scored=sort == "relevance", snippets=snippets)
        res = Results(page, len(r), source=source, key_terms=[w for w, _ in kts])
        if facets:
            res.facets = facet_counts(s, r.docs())
    return res


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
                    key = term.decode("utf-8") if isinstance(term, bytes) else term
                    counts.append((key, n, first))
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
        match = lambda v: v.replace(",", " ").strip().lower() == key  # noqa: E731
    else:
        cands = [rec.get("organization", "")]
        match = lambda v: v.replace(",", " ").strip().lower() == key  # noqa: E731
    for v in cands:
        if v and match(v):
            return v
    return key


# -- did you mean ---------------------------------------------------------------------------------
def suggestion(searcher, parsed, flt, total: int) -> tuple[str, int] | None:
    """The query with its rare words replaced by the nearest more frequent words of the archive,
    if that finds more briefs than ``total``: (new query text, how many it finds)."""
    from whoosh.support.levenshtein import distance

    from .engine.whoosh_query import analyze
    from .query import parse

    reader = searcher.reader()

    def df(stem: str) -> int:
        return reader.doc_frequency("body", stem) + reader.doc_frequency("title", stem)

    text = parsed.text
    changes = []
    for word, (a, b) in zip(parsed.words, parsed.spans):
        stems = analyze("body", word)
        if len(stems) != 1 or len(word) < 3 or word.isdigit():
            continue
        stem = stems[0]
        have = df(stem)
        if have >= 3:  # a word of the archive: leave it
            continue
        best = None
        for maxdist in (1, 2) if len(stem) >= 5 else (1,):
            cands = [c for c in reader.terms_within("body", stem, maxdist, prefix=1) if c != stem]
            scored = [(df(c), c) for c in cands]
            scored = [x for x in scored if x[0] > have]
            if scored:
                best = max(scored)[1]
                break
        if best is None:
            continue
        changes.append((a, b, _surface(searcher, best, word, distance)))
    if not changes:
        return None
    new = text
    for a, b, w in sorted(changes, reverse=True):
        new = new[:a] + w + new[b:]
    try:
        p = parse(new)
    except UsageError:  # pragma: no cover - a word for a word keeps the syntax
        return None
    found = len(searcher.search(_wq(p.query), filter=_wq(flt), limit=1))
    return (new, found) if found > total else None


def _surface(searcher, stem: str, typed: str, distance) -> str:
    """A word of the archive whose stem is ``stem``, the one closest to what was typed
    (``sanction`` -> ``sanctions`` for ``sanctons``)."""
    from whoosh.lang.porter import stem as porter

    forms: dict[str, int] = {}
    m = searcher.reader().postings("body", stem)
    for i, docnum in enumerate(m.all_ids()):
        if i >= 3:
            break
        body = searcher.stored_fields(docnum).get("text", "")
        for w in re.findall(r"\w+", body.lower()):
            if w[:1] == stem[:1] and porter(w) == stem:
                forms[w] = forms.get(w, 0) + 1
    if not forms:
        return stem
    return min(forms, key=lambda w: (distance(w, typed), -forms[w], w))


# -- snippets -------------------------------------------------------------------------------------
def _highlight_terms(q, searcher=None) -> set[str]:
    """The title/body terms to mark in snippets (prefix and fuzzy terms expanded to the
    archive's terms they match)."""
    out = set()
    q = _wq(q)
    if searcher is not None:
        try:
            q = q.simplify(searcher.reader())
        except Exception:  # pragma: no cover - highlighting is a nicety, never an error
            pass
    for fieldname, t in q.iter_all_terms(phrases=True):
        if fieldname in ("title", "body"):
            out.add(t.decode("utf-8") if isinstance(t, bytes) else t)
    return out


class _MarkFormatter:
    """Whoosh formatter that wraps matches in private-use markers (rendered as styles later)."""

    between = " … "

    def __call__(self, text, fragments):
        return self.format(fragments)

    def format(self, fragments, replace=False):
        return self.between.join(self.format_fragment(f) for f in fragments)

    def format_fragment(self, fragment, replace=False):
        out, index, text = [], fragment.startchar, fragment.text
        for t in fragment.matches:
            if t.startchar < index:
                continue
            out.append(text[index:t.startchar])
            out.append(MARK_ON + text[t.startchar:t.endchar] + MARK_OFF)
            index = t.endchar
        out.append(text[index:fragment.endchar])
        return "".join(out)


_LONG = re.compile(r"[^\s\ue000\ue001]{%d,}" % (LONG_TOKEN + 1))


def _shorten(s: str, maxchars: int) -> str:
    """One line; runs without spaces longer than LONG_TOKEN cut with '…'; at most ``maxchars``
    visible characters (cut at a word, never inside a highlight)."""
    s = " ".join(s.split())
    s = _LONG.sub(lambda m: m.group()[:LONG_TOKEN] + "…", s)
    visible = len(plain(s))
    if visible <= maxchars:
        return s
    out, n, on = [], 0, False
    for ch in s:
        if ch == MARK_ON:
            on = True
        elif ch == MARK_OFF:
            on = False
        else:
            if n >= maxchars:
                break
            n += 1
        out.append(ch)
    cut = "".join(out)
    sp = cut.rfind(" ")
    if sp > maxchars // 2 and cut.count(MARK_ON, 0, sp) == cut.count(MARK_OFF, 0, sp):
        cut = cut[:sp]
    if cut.count(MARK_ON) > cut.count(MARK_OFF):
        cut += MARK_OFF
    return cut.rstrip() + " …"


def snippet(b: Brief, terms: set[str], *, maxchars: int = SNIPPET_MAX) -> str:
    """The best passages of the body with the matched words marked; the opening when none match.

    Always one line of at most ``maxchars`` characters (plus an ellipsis), with no run of
    more than LONG_TOKEN characters without a space: a table cell stays a few lines high."""
    body = b.body[:SNIPPET_CHARS].replace(MARK_ON, "").replace(MARK_OFF, "")
    s = ""
    if terms:
        from whoosh import highlight

        from .engine.whoosh_query import _analyzer

        frag = highlight.ContextFragmenter(maxchars=maxchars, surround=60)
        s = highlight.highlight(body, frozenset(terms), _analyzer("body"), frag, _MarkFormatter(), top=2,
                                scorer=highlight.BasicFragmentScorer)
    if not s:
        s = body[:maxchars * 2]
    return _shorten(s, maxchars)
