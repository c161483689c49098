"""Searching, listing and "more like this": query trees in, Brief records (and snippets) out.

Ranking rule for plain words (measured by bench/relevance on the NPL collection and on
tests/fixtures/relevance, side by side with plain BM25; figures in the README):

* up to three content words (``sanctions relief``): briefs with all of them; when no brief
  has all of them, the briefs with any of them, ranked (``Results.fallback``);
* four or more (a question: ``what did critics say about sanctions relief for iran``): the
  briefs with all of them first, then the briefs with some of them, each group ranked by
  score. Plain AND would keep only the one or two briefs that happen to use every word of the
  question; plain OR would bury them.

Scores (the Whoosh engine): BM25, k1 1.2, b 0.75, the Robertson/Lucene idf, over the text, plus
a tenth of the title's score; no coordination bonus, and equal scores in id order, so the
ranking is the same however the archive was committed (engine/whoosh.py, whoosh_search.py).

Question words (``how``, ``did``, ``which``...) are left out of both (see query.QUESTION_WORDS).
Highlighting is done only for the hits that are shown. The engine (``archive.reader()``, see
``engine/base.py``) runs each query tree, counts facets, marks snippets and proposes spellings;
this module decides what to ask it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .engine.base import FACETS, SORTS  # noqa: F401  (re-exported)
from .models import Brief, UsageError

SNIPPET_CHARS = 200_000  # highlight within the first 200k characters of a body at most
SNIPPET_MAX = 240  # characters of a snippet (about three lines of a terminal)
LONG_TOKEN = 40  # a run of characters without spaces longer than this is cut in snippets
MARK_ON, MARK_OFF = "\ue000", "\ue001"  # private-use markers around matched words in snippets

QUESTION_LENGTH = 4  # content words from which a query is ranked as a question (all-words first)
SUGGEST_BELOW = 3  # look for a better spelling when fewer briefs than this have all the words


@dataclass
class Hit:
    brief: Brief
    score: float | None = None
    snippet: str = ""  # plain text, matched words wrapped in MARK_ON/MARK_OFF
    mode: str = "lexical"  # how the hits were ranked: lexical, hybrid or semantic (semantic/hybrid.py)
    title_marked: str = ""  # the title with its matched words wrapped the same way (for tables)

    def to_json(self) -> dict:
        d = self.brief.to_json()
        if self.score is not None:
            d["score"] = round(self.score, 4)
        d["snippet"] = plain(self.snippet)
        d["mode"] = self.mode
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
    only_stop_words: bool = False  # the query's words are all stop words (not indexed): nothing to find
    source: Brief | None = None  # `similar`: the brief the hits are like
    key_terms: list[str] = field(default_factory=list)  # `similar`: the terms searched for
    mode: str = "lexical"  # lexical, hybrid or semantic


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


def _ranked(v, q, flt, *, sort: str, reverse: bool, n: int | None, mask=None) -> tuple[list, object]:
    """(the first ``n`` hits in order, the engine's Found: ``.total`` is the total)."""
    if sort == "relevance":
        r = v.search(q, flt, mask=mask, limit=None if reverse else n)
        hits = r.hits
        if reverse:  # least relevant first: needs the whole ranking
            hits = hits[::-1][:n] if n else hits[::-1]
        return hits, r
    r = v.search(q, flt, mask=mask, limit=n, sort=sort, reverse=reverse)
    return r.hits, r


def _window(hits: list, limit: int | None, offset: int) -> list:
    return hits[offset:offset + limit] if limit else hits[offset:]


def _make_hits(v, hits, terms, *, scored: bool, snippets: bool) -> list[Hit]:
    out = []
    for h in hits:
        b = v.brief(h)
        out.append(Hit(b, h.score if scored else None, snippet(b, terms, reader=v, hit=h) if snippets else "",
                       title_marked=v.mark(b.title, terms) if snippets and terms else ""))
    return out


# -- search ---------------------------------------------------------------------------------------
def search(archive, text, *, flt=None, sort: str = "relevance", reverse: bool = False,
           limit: int | None = 10, offset: int = 0, snippets: bool = True, facets: bool = False,
           suggest: bool = True, mode: str = "lexical") -> Results:
    """Run a query (query.py syntax, or a ``query.Parsed``) with optional filters (a query tree
    from ``query.filters``): one page of hits, the total, and on request the facets; a better
    spelling when few briefs match. ``mode`` hybrid or semantic: ranked with the archive's
    vectors too (semantic/hybrid.py)."""
    from .query import Parsed, parse

    sort = check_sort(sort)
    limit = limit or None
    parsed = text if isinstance(text, Parsed) else parse(text)
    if mode != "lexical":
        from .semantic.hybrid import search as semantic_search

        return semantic_search(archive, parsed, mode=mode, flt=flt, sort=sort, reverse=reverse, limit=limit,
                               offset=offset, snippets=snippets, facets=facets, suggest=suggest)
    n = offset + limit if limit else None
    question = parsed.fallback is not None and parsed.content_words >= QUESTION_LENGTH
    with archive.reader() as v:
        strict_hits, strict_r = _ranked(v, parsed.query, flt, sort=sort, reverse=reverse, n=n)
        strict_total = strict_r.total
        fallback, all_words = False, None
        if parsed.fallback is not None and strict_total == 0:
            hits, r = _ranked(v, parsed.fallback, flt, sort=sort, reverse=reverse, n=n)
            fallback = r.total > 0
            total, matched = r.total, [r]
            terms = v.highlight_terms(parsed.fallback)
        elif question and sort == "relevance":
            # all the words first, then the briefs with some of them (the strict ones masked out)
            # (strict_r is in forward order, and complete when reverse asked for the whole ranking)
            more_hits, more_r = _ranked(v, parsed.fallback, flt, sort=sort, reverse=False,
                                        n=None if (reverse or not n) else max(n - strict_total, 1),
                                        mask=strict_r)
            hits = list(strict_r.hits) + more_hits
            if reverse:
                hits = hits[::-1]
            hits = hits[:n] if n else hits
            total = strict_total + more_r.total
            all_words = strict_total
            matched = [strict_r, more_r]
            terms = v.highlight_terms(parsed.fallback)
        elif question:  # sorted by date/title: every brief with some of the words, in that order
            hits, r = _ranked(v, parsed.fallback, flt, sort=sort, reverse=reverse, n=n)
            total, all_words = r.total, strict_total
            matched = [r]
            terms = v.highlight_terms(parsed.fallback)
        else:
            hits, total = strict_hits, strict_total
            matched = [strict_r]
            terms = v.highlight_terms(parsed.query)
        page = _make_hits(v, _window(hits, limit, offset), terms, scored=sort == "relevance", snippets=snippets)
        res = Results(page, total, fallback, all_words=all_words,
                      only_stop_words=_is_nothing(parsed.query) and bool(parsed.words))
        if facets:
            res.facets = v.facets(matched)
        if suggest and strict_total < SUGGEST_BELOW and parsed.words:
            found = suggestion(v, parsed, flt, strict_total)
            if found:
                res.suggestion, res.suggestion_total = found
    return res


def list_briefs(archive, *, flt=None, sort: str = "date", reverse: bool = False,
                limit: int | None = None, offset: int = 0, query=None, facets: bool = False) -> Results:
    """Briefs matching the filters (and ``query``, a string or ``query.Parsed``: all its words),
    newest first by default."""
    from . import querytree as T
    from .query import Parsed, parse

    if sort == "relevance":
        sort = "date"
    sort = check_sort(sort, ("date", "title", "added"))
    limit = limit or None
    if isinstance(query, Parsed):
        q = query.query
    else:
        q = parse(query).query if query and query.strip() else T.Every()
    with archive.reader() as v:
        hits, r = _ranked(v, q, flt, sort=sort, reverse=reverse, n=offset + limit if limit else None)
        res = Results(_make_hits(v, _window(hits, limit, offset), set(), scored=False, snippets=False), r.total)
        if facets:
            res.facets = v.facets([r])
    return res


def similar(archive, brief_id: str, *, flt=None, sort: str = "relevance",
            reverse: bool = False, limit: int | None = 10, offset: int = 0, snippets: bool = True,
            facets: bool = False, mode: str = "lexical") -> Results:
    """The briefs most like one brief (by its key terms, as the engine finds them), the brief
    itself excluded. ``mode`` hybrid or semantic: by its vectors too (semantic/hybrid.py)."""
    from . import querytree as T

    sort = check_sort(sort)
    limit = limit or None
    if mode != "lexical":
        from .semantic.hybrid import similar as semantic_similar

        return semantic_similar(archive, brief_id, mode=mode, flt=flt, sort=sort, reverse=reverse, limit=limit,
                                offset=offset, snippets=snippets, facets=facets)
    bid = archive.resolve(brief_id)
    with archive.reader() as v:
        source, key_terms, q = v.like(bid)
        if q is None:
            return Results([], 0, source=source)
        n = offset + limit if limit else None
        hits, r = _ranked(v, q, flt, sort=sort, reverse=reverse, n=n, mask=T.Term("id", bid))
        terms = v.highlight_terms(q)
        page = _make_hits(v, _window(hits, limit, offset), terms, scored=sort == "relevance", snippets=snippets)
        res = Results(page, r.total, source=source, key_terms=list(key_terms))
        if facets:
            res.facets = v.facets([r])
    return res


def _is_nothing(q) -> bool:
    from .querytree import Nothing

    return isinstance(q, Nothing)


# -- did you mean ---------------------------------------------------------------------------------
# -- for the hybrid and semantic modes (semantic/hybrid.py): ids in, through the engine's reader --------
def _id_query(ids):
    from . import querytree as T

    return T.Or(tuple(T.Term("id", i) for i in ids))


def live_ids(archive, ids, flt=None, want: int | None = None) -> list[str]:
    """The ``ids`` (in their order) still in the archive and passing ``flt``, the first ``want``
    of them at most."""
    ids = list(ids)
    out: list[str] = []
    with archive.reader() as v:
        for k in range(0, len(ids), 512):
            chunk = ids[k:k + 512]
            found = v.search(_id_query(chunk), flt, limit=None)
            ok = {v.brief(h).id for h in found.hits}
            for i in chunk:
                if i in ok:
                    out.append(i)
                    if want is not None and len(out) >= want:
                        return out
    return out


def records(archive, ids) -> dict[str, Brief]:
    """The records of ``ids`` still in the archive, read in one view."""
    out = {}
    with archive.reader() as v:
        for i in ids:
            b = v.get(i)
            if b is not None:
                out[i] = b
    return out


def query_highlight_terms(archive, parsed, *, any_words: bool):
    """What to mark in snippets for a parsed query (its any-word form for a question)."""
    q = parsed.fallback if any_words and parsed.fallback is not None else parsed.query
    with archive.reader() as v:
        return v.highlight_terms(q)


def facets_of(archive, ids) -> dict:
    ids = list(dict.fromkeys(ids))
    with archive.reader() as v:
        return v.facets([v.search(_id_query(ids[k:k + 512]), limit=None) for k in range(0, len(ids), 512)])


SUGGEST_MAX_WORDS = 20  # longer queries get no "did you mean" (each word costs a near-spelling scan)


def suggestion(reader, parsed, flt, total: int) -> tuple[str, int] | None:
    """The query with each word that no brief has replaced by the nearest word of the archive (as
    the engine's reader finds it: ``respell`` leaves words of the archive alone and answers with
    a word as the briefs write it), if that finds clearly more briefs than ``total`` (more than
    twice as many): (new query text, how many it finds). Words that matched are never rewritten."""
    from .query import parse

    text = parsed.text
    changes = []
    if len(parsed.words) > SUGGEST_MAX_WORDS:  # a pasted paragraph: no spelling help (it costs seconds)
        return None
    for word, (a, b) in zip(parsed.words, parsed.spans):
        better = reader.respell(word)
        if better:
            changes.append((a, b, better))
    if not changes:
        return None
    new = text
    for a, b, w in sorted(changes, reverse=True):
        new = new[:a] + w + new[b:]
    try:
        p = parse(new)
    except UsageError:  # pragma: no cover - a word for a word keeps the syntax
        return None
    found = reader.count(p.query, flt)
    return (new, found) if found > 2 * total else None


# -- snippets -------------------------------------------------------------------------------------
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


def snippet(b: Brief, terms, *, maxchars: int = SNIPPET_MAX, reader=None, hit=None) -> str:
    """The best passages of the body with the matched words marked; the opening when none match.

    Always one line of at most ``maxchars`` characters (plus an ellipsis), with no run of
    more than LONG_TOKEN characters without a space: a table cell stays a few lines high.
    ``reader``/``hit``: the engine reader that found the hit (its highlighter); without, the
    default engine's highlighter on the text."""
    body = b.body[:SNIPPET_CHARS].replace(MARK_ON, "").replace(MARK_OFF, "")
    s = ""
    if terms:
        if reader is not None:
            s = reader.snippet(hit, body, terms, maxchars)
        else:
            from .engine import highlight

            s = highlight(body, terms, maxchars)
    if not s:
        s = body[:maxchars * 2]
    return _shorten(s, maxchars)
