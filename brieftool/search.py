"""Searching and listing: Whoosh queries in, Brief records (and snippets) out.

Highlighting re-analyses stored text, so it is done only for the hits that are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as Q

from .archive import doc_to_brief
from .models import Brief, UsageError

SNIPPET_CHARS = 200_000  # highlight within the first 200k characters of a body at most
MARK_ON, MARK_OFF = "\ue000", "\ue001"  # private-use markers around matched words in snippets

SORTS = ("relevance", "date", "title", "added")


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
    total: int
    fallback: bool = False  # no brief had all the words: ranked by any of them
    facets: dict = field(default_factory=dict)
    suggestion: str | None = None


def plain(snippet: str) -> str:
    return snippet.replace(MARK_ON, "").replace(MARK_OFF, "")


def _sortedby(sort: str, reverse: bool):
    from whoosh import sorting

    if sort == "relevance":
        return None, False
    if sort == "date":  # newest first by default
        return sorting.FieldFacet("date", reverse=not reverse), False
    if sort == "added":
        return sorting.FieldFacet("added", reverse=not reverse), False
    if sort == "title":
        return sorting.FieldFacet("title_sort", reverse=reverse), False
    raise UsageError(f"unknown sort {sort!r} (choose {', '.join(SORTS)})")


def _run(searcher, q, flt, *, sort, reverse, limit, offset):
    sortedby, _ = _sortedby(sort, reverse)
    n = offset + limit if limit else None
    if sortedby is None:
        r = searcher.search(q, filter=flt, limit=n)
        if reverse:  # least relevant first: needs the whole ranking
            r = searcher.search(q, filter=flt, limit=None)
    else:
        r = searcher.search(q, filter=flt, limit=n, sortedby=sortedby)
    return r


def _hits(r, *, sort, reverse, limit, offset) -> list:
    hits = list(r)
    if sort == "relevance" and reverse:
        hits = hits[::-1]
    return hits[offset:offset + limit] if limit else hits[offset:]


def search(archive, text: str, *, flt: Q.Query | None = None, sort: str = "relevance", reverse: bool = False,
           limit: int = 10, offset: int = 0, snippets: bool = True) -> Results:
    from .query import parse

    parsed = parse(text)
    with archive.searcher() as s:
        r = _run(s, parsed.query, flt, sort=sort, reverse=reverse, limit=limit, offset=offset)
        fallback = False
        if r.scored_length() == 0 and parsed.fallback is not None:
            r2 = _run(s, parsed.fallback, flt, sort=sort, reverse=reverse, limit=limit, offset=offset)
            if r2.scored_length():
                r, fallback = r2, True
        total = len(r)
        terms = _highlight_terms(parsed.fallback or parsed.query)
        hits = []
        for h in _hits(r, sort=sort, reverse=reverse, limit=limit, offset=offset):
            b = doc_to_brief(h.fields())
            score = h.score if sort == "relevance" else None
            hits.append(Hit(b, score, snippet(b, terms) if snippets else ""))
    return Results(hits, total, fallback)


def list_briefs(archive, *, flt: Q.Query | None = None, sort: str = "date", reverse: bool = False,
                limit: int | None = None, offset: int = 0) -> Results:
    if sort == "relevance":
        sort = "date"
    with archive.searcher() as s:
        r = _run(s, Q.Every(), flt, sort=sort, reverse=reverse, limit=limit, offset=offset)
        total = len(r)
        hits = [Hit(doc_to_brief(h.fields())) for h in _hits(r, sort=sort, reverse=reverse, limit=limit,
                                                                offset=offset)]
    return Results(hits, total)


def _highlight_terms(q) -> set[str]:
    out = set()
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


def snippet(b: Brief, terms: set[str], *, maxchars: int = 240) -> str:
    """The best passages of the body with the matched words marked; the opening when none match."""
    body = b.body[:SNIPPET_CHARS].replace(MARK_ON, "").replace(MARK_OFF, "")
    s = ""
    if terms:
        from whoosh import highlight

        from .archive import make_schema

        analyzer = make_schema()["body"].analyzer
        frag = highlight.ContextFragmenter(maxchars=maxchars, surround=60)
        s = highlight.highlight(body, frozenset(terms), analyzer, frag, _MarkFormatter(), top=2,
                                scorer=highlight.BasicFragmentScorer)
    if not s:
        s = body[:maxchars]
    return " ".join(s.split())
