"""`search` and `similar` in the hybrid and semantic modes (the rules are in rank.py).

The lexical side is ``search.search`` / ``search.similar`` as they are (mode lexical); the
dense side the archive's vectors (store.Vectors); the engine is reached only through the
small id helpers of search.py, so nothing here depends on Whoosh.
"""

from __future__ import annotations

import datetime as _dt

from ..models import Brief
from .rank import POOL, dense_ranking, load_vectors, query_text, rrf


def _sorted(hits: list, sort: str, reverse: bool) -> list:
    """Order hits by date (newest first, undated last), title or added, as the lexical sorts do."""
    if sort == "relevance":
        return hits[::-1] if reverse else hits
    if sort == "date":
        dated = [h for h in hits if h.brief.date]
        undated = [h for h in hits if not h.brief.date]
        dated.sort(key=lambda h: h.brief.date, reverse=not reverse)
        return dated + undated
    if sort == "title":
        return sorted(hits, key=lambda h: h.brief.title.casefold() or "\uffff", reverse=reverse)
    low = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
    return sorted(hits, key=lambda h: h.brief.added or low, reverse=not reverse)


def _passage_snippet(b: Brief, passage: int, terms: set[str]) -> str:
    """The brief's best passage (for the query's meaning) as a snippet, query words marked."""
    from .. import search as S
    from . import model
    from .store import embed_text

    text = embed_text(b)
    ps = model.get().passages(text)
    if not ps:
        return S.snippet(b, terms)
    p = ps[min(passage, len(ps) - 1)]
    return S.snippet(Brief(text=text[p.start:p.end]), terms)


def _page(archive, ranked: list[tuple[str, float, int | None]], lexical: dict[str, object], *, mode: str,
          sort: str, reverse: bool, limit: int | None, offset: int, snippets: bool, terms: set[str]):
    """Hits for ``ranked`` ((id, score, best passage or None), already filtered): the records
    taken from the lexical hits when there, else read from the archive; sorted; one page cut;
    snippets made (a brief found by meaning only: its best passage)."""
    from ..search import Hit, records, snippet

    window = ranked if (sort != "relevance" or limit is None or reverse) else ranked[:offset + limit]
    loaded = records(archive, [r[0] for r in window if r[0] not in lexical])
    hits = []
    for bid, score, passage in window:
        lex = lexical.get(bid)
        b = lex.brief if lex is not None else loaded.get(bid)
        if b is None:  # removed since the ranking was made
            continue
        h = Hit(b, score, "", mode)
        hits.append((h, passage, lex is not None))
    total = len(hits) if window is ranked else len(ranked)
    order = _sorted([h for h, _, _ in hits], sort, reverse)
    extra = {id(h): (p, lx) for h, p, lx in hits}
    page = order[offset:offset + limit] if limit else order[offset:]
    if snippets:
        for h in page:
            passage, was_lexical = extra[id(h)]
            if was_lexical or passage is None:
                h.snippet = snippet(h.brief, terms)
            else:
                h.snippet = _passage_snippet(h.brief, passage, terms)
    return page, total


def _dense_ids(archive, dense_all, flt) -> list[str]:
    """The dense top POOL: those passing the filters when there are filters."""
    from ..search import live_ids

    if flt is None:
        return [d[0] for d in dense_all[:POOL]]
    return live_ids(archive, [d[0] for d in dense_all], flt, want=POOL)


def search(archive, parsed, *, mode: str, flt=None, sort: str = "relevance", reverse: bool = False,
           limit: int | None = 10, offset: int = 0, snippets: bool = True, facets: bool = False,
           suggest: bool = True):
    from .. import search as S
    from . import model

    question = parsed.fallback is not None and parsed.content_words >= S.QUESTION_LENGTH
    deep = None if (limit is None or sort != "relevance") else max(POOL, offset + limit)
    vectors = load_vectors(archive)
    qvec = model.get().embed_query(query_text(parsed))
    terms = S.query_highlight_terms(archive, parsed, any_words=question or parsed.fallback is not None)

    if mode == "semantic":
        dense = dense_ranking(archive, vectors, qvec)
        if flt is not None:
            keep = set(S.live_ids(archive, [d[0] for d in dense], flt))
            dense = [(i, s, p) for i, s, p in dense if i in keep]
        ranked = dense  # (a brief removed since the vectors were read is dropped when loaded)
        page, total = _page(archive, ranked, {}, mode=mode, sort=sort, reverse=reverse, limit=limit,
                            offset=offset, snippets=snippets, terms=terms)
        res = S.Results(page, total, mode=mode)
        if facets:
            res.facets = S.facets_of(archive, [r[0] for r in ranked])
        return res

    lex = S.search(archive, parsed, flt=flt, sort="relevance", limit=deep, snippets=False, facets=False,
                   suggest=suggest)
    lexical = {h.brief.id: h for h in lex.hits}
    lex_ids = [h.brief.id for h in lex.hits]
    dense_all = dense_ranking(archive, vectors, qvec)
    passage_of = {i: p for i, _, p in dense_all}
    if question:
        # RRF of the lexical top POOL and the dense top POOL (filtered), lexical hits beyond after
        dense_ids = _dense_ids(archive, dense_all, flt)
        fused = rrf([lex_ids[:POOL], dense_ids])
        seen = {i for i, _ in fused}
        ranked = [(i, s, passage_of.get(i)) for i, s in fused]
        ranked += [(i, 0.0, passage_of.get(i)) for i in lex_ids[POOL:] if i not in seen]
        extra_total = max(0, lex.total - len(lex_ids))  # lexical hits not fetched (beyond the page)
    else:
        # the lexical set as it is; dense rank re-orders inside its first POOL
        inside = set(lex_ids[:POOL])
        dense_inside = [i for i, _, _ in dense_all if i in inside]
        fused = rrf([lex_ids[:POOL], dense_inside])
        ranked = [(i, s, passage_of.get(i)) for i, s in fused]
        ranked += [(i, 0.0, passage_of.get(i)) for i in lex_ids[POOL:]]
        extra_total = max(0, lex.total - len(lex_ids))
    page, total = _page(archive, ranked, lexical, mode=mode, sort=sort, reverse=reverse, limit=limit,
                        offset=offset, snippets=snippets, terms=terms)
    res = S.Results(page, total + extra_total, lex.fallback, all_words=lex.all_words, mode=mode)
    res.suggestion, res.suggestion_total = lex.suggestion, lex.suggestion_total
    if facets:
        ids = [r[0] for r in ranked]
        if extra_total:  # every lexical match counts, not only the fetched ones
            full = S.search(archive, parsed, flt=flt, limit=None, snippets=False, suggest=False)
            ids += [h.brief.id for h in full.hits]
        res.facets = S.facets_of(archive, S.live_ids(archive, list(dict.fromkeys(ids)), flt))
    return res


def similar(archive, brief_id: str, *, mode: str, flt=None, sort: str = "relevance", reverse: bool = False,
            limit: int | None = 10, offset: int = 0, snippets: bool = True, facets: bool = False):
    """Briefs like one brief: by its key terms fused with its vectors (hybrid), or its vectors alone."""
    from .. import search as S

    bid = archive.resolve(brief_id)
    vectors = load_vectors(archive)
    qvec = vectors.brief_vector(bid) if vectors is not None else None
    lex = S.similar(archive, bid, flt=flt, limit=POOL if mode == "hybrid" else 1, snippets=False)
    if qvec is None:  # this brief has no vectors (yet): its key terms alone
        res = S.similar(archive, bid, flt=flt, sort=sort, reverse=reverse, limit=limit, offset=offset,
                        snippets=snippets, facets=facets)
        return res
    dense_all = dense_ranking(archive, vectors, qvec, exclude={bid})
    dense_ids = _dense_ids(archive, dense_all, flt)
    passage_of = {i: p for i, _, p in dense_all}
    lexical = {h.brief.id: h for h in lex.hits} if mode == "hybrid" else {}
    if mode == "hybrid":
        fused = rrf([[h.brief.id for h in lex.hits], dense_ids])
    else:
        score = {i: s for i, s, _ in dense_all}
        fused = [(i, score[i]) for i in dense_ids]
    ranked = [(i, s, passage_of.get(i)) for i, s in fused]
    page, total = _page(archive, ranked, lexical, mode=mode, sort=sort, reverse=reverse, limit=limit,
                        offset=offset, snippets=snippets, terms=set(lex.key_terms))
    res = S.Results(page, total, source=lex.source, key_terms=lex.key_terms, mode=mode)
    if facets:
        res.facets = S.facets_of(archive, [r[0] for r in ranked])
    return res
