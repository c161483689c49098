"""Search modes: lexical (BM25 as ever), hybrid (BM25 fused with the dense ranking) and semantic.

* ``hybrid``, a query of up to three content words: the lexical set is kept (the briefs with
  all the words, else with any), so keyword precision is unchanged; inside its first
  ``POOL`` briefs the order is the reciprocal rank fusion of the lexical and the dense rank.
* ``hybrid``, a question (four content words or more): reciprocal rank fusion (k = 60) of the
  lexical top ``POOL`` and the dense top ``POOL``; lexical hits beyond the pool follow.
* ``semantic``: every brief with vectors, by its best passage's cosine with the query.

A brief's dense score is its best passage's. Briefs without vectors (not embedded yet) take
part through their lexical rank only. Sorts other than relevance order the same set.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import BriefError, UsageError
from . import MODES, available, require

RRF_K = 60
POOL = 1000  # how deep each ranking goes into the fusion


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings an id is in (rank from 1);
    ties keep the order of first appearance (the first ranking first)."""
    score: dict[str, float] = {}
    first: dict[str, int] = {}
    n = 0
    for ranking in rankings:
        for r, i in enumerate(ranking, 1):
            score[i] = score.get(i, 0.0) + 1.0 / (k + r)
            if i not in first:
                first[i] = n
                n += 1
    return sorted(score.items(), key=lambda kv: (-kv[1], first[kv[0]]))


def has_vectors(archive) -> bool:
    from .store import current_model, read_manifest

    try:
        m = read_manifest(archive.path)
    except BriefError:
        return False
    return m is not None and m.model == current_model() and bool(m.briefs)


def resolve_mode(archive, mode: str | None) -> str:
    """The mode to search in: the one asked for (checked), else hybrid when this archive keeps
    vectors and the extra is installed, else lexical."""
    from .store import require_local, supports

    if mode is None or mode == "auto":
        from .store import enabled

        if supports(archive) and enabled(archive.path) and available() and has_vectors(archive):
            return "hybrid"
        return "lexical"
    m = mode.lower()
    if m not in MODES:
        raise UsageError(f"unknown mode {mode!r} (choose {', '.join(MODES)})")
    if m == "lexical":
        return m
    require(f"--mode {m}")
    require_local(archive)
    if not has_vectors(archive):
        from .store import current_model, read_manifest

        mf = read_manifest(archive.path)
        if mf is not None and mf.model != current_model():
            raise BriefError(f"the vectors of {archive.path} were made by another model; run 'brief reindex' "
                             f"(or 'brief embed') to rebuild them for --mode {m}")
        raise BriefError(f"archive {archive.path} has no vectors; run 'brief embed' first to use --mode {m}")
    return m


def load_vectors(archive):
    from .store import Vectors

    with archive.searcher() as s:
        gen = s.reader().generation()
    return Vectors.load(archive.path, gen)


def dense_ranking(archive, vectors, qvec, *, allowed: set[str] | None = None,
                  exclude: set[str] = frozenset()) -> list[tuple[str, float, int]]:
    """(id, cosine, best passage) of the briefs with vectors, best first; ``allowed``: only those.
    Ids no longer in the index (a snapshot race) are dropped by the caller's lookups."""
    import numpy as np

    ids, best, passage = vectors.ranking(qvec)
    if not ids:
        return []
    order = np.argsort(-best, kind="stable")
    scores = best[order]
    if (scores[1:] == scores[:-1]).any():  # equal cosines (rare): by id, whatever the layout
        keys = sorted(range(len(ids)), key=lambda k: (-float(best[k]), ids[k]))
        order = np.array(keys, dtype=np.int64)
        scores = best[order]
    out = [(ids[k], s, p) for k, s, p in zip(order.tolist(), scores.tolist(), passage[order].tolist())]
    if exclude or allowed is not None:
        out = [t for t in out if t[0] not in exclude and (allowed is None or t[0] in allowed)]
    return out


def query_text(parsed) -> str:
    return " ".join(parsed.words) if parsed.words else parsed.text
