"""Vectors beside the index: float32 segments plus one manifest per commit of the index.

Layout of ``<archive>/vectors/`` (its existence means "this archive keeps vectors")::

    seg-<16 hex>.npy            float32 matrix (rows x 384), written once, never changed
    manifest-<gen>-<seq>.json   which rows belong to which brief, for index generation <gen>

A manifest::

    {"format": 1, "model": <sha256 of the model file>, "dim": 384, "generation": G, "seq": S,
     "segments": {"seg-…": rows, ...},
     "briefs": {id: [segment, first row, rows, key], ...}}

``key`` is a hash of the text that was embedded (title and body): a change of tags keeps the
vectors, a change of text drops them (and embeds the new text when the extra is installed).
A brief with an entry of 0 rows has been embedded and has no text.

Consistency with the records. Every change to the index goes through one Whoosh commit,
which becomes visible in one step: the rename of its table of contents (generation G+1).
The writer (``archive.ArchiveWriter``, ``maintain.reindex``) first writes the new segment,
then ``manifest-<G+1>-0.json`` (each by rename, fsynced), and only then lets Whoosh write the
table of contents. A reader opens the index at generation G and takes the newest manifest of
generation <= G: killed before the table of contents, the commit never happened and its
manifest is ignored (the next commit of G+1 overwrites it); killed after, both are there.
``brief embed`` adds vectors without changing records: it writes ``manifest-<G>-<S+1>``
(same generation, next sequence number) under the archive's write lock. Files no kept
manifest refers to are removed under the lock after a commit.

Everything here but :func:`embed_briefs` and :class:`Vectors` needs no numpy: a process
without the extra still keeps the manifests in step (it drops the vectors of changed and
removed briefs; ``brief embed`` fills in what is missing later).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Brief, BriefError
from ..fsafe import fsync_path as _fsync

DIR = "vectors"
FORMAT = 1
KEEP_MANIFESTS = 3  # the newest few stay for readers that opened an older generation
MAX_SEGMENTS = 12  # more than this: the smallest are merged into one
_MANIFEST = re.compile(r"^manifest-(\d+)-(\d+)\.json$")
_SEGMENT = re.compile(r"^seg-[0-9a-f]{16}\.npy$")


def supports(archive) -> bool:
    """Vectors are kept beside a local (Whoosh) archive's folder; other engines have none yet."""
    return getattr(archive, "ix", None) is not None and isinstance(getattr(archive, "path", None), Path)


def require_local(archive) -> None:
    if not supports(archive):
        where = getattr(archive, "path", None) or getattr(archive, "location", "this archive")
        raise BriefError(f"semantic search needs a local archive folder; {where} is not one: it keeps no "
                         "vectors (use --mode lexical)")


def vectors_dir(root) -> Path:
    return Path(root) / DIR


def enabled(root) -> bool:
    """Does this archive keep vectors (``brief embed`` was run, ``--off`` was not)?"""
    return vectors_dir(root).is_dir()


def current_model() -> str:
    from .model import MODEL_SHA256

    return MODEL_SHA256


def embed_text(b: Brief) -> str:
    """What is embedded for a brief: its title (unless the body starts with it) and its body."""
    body = b.body.strip()
    title = " ".join(b.title.split())
    if title and not " ".join(body[:len(title) + 200].split()).casefold().startswith(title.casefold()):
        return f"{title}\n\n{body}"
    return body


def text_key(b: Brief) -> str:
    return hashlib.sha256(embed_text(b).encode("utf-8")).hexdigest()[:16]


# -- manifests ---------------------------------------------------------------------------------------
@dataclass
class Manifest:
    model: str
    generation: int = 0
    seq: int = 0
    segments: dict[str, int] = field(default_factory=dict)
    briefs: dict[str, list] = field(default_factory=dict)  # id -> [segment, start, rows, key]
    dim: int = 384

    def to_json(self) -> dict:
        return {"format": FORMAT, "model": self.model, "dim": self.dim, "generation": self.generation,
                "seq": self.seq, "segments": self.segments, "briefs": self.briefs}

    @classmethod
    def from_json(cls, d: dict) -> "Manifest":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError("not a vector manifest of format 1")
        return cls(model=str(d["model"]), generation=int(d["generation"]), seq=int(d["seq"]),
                   segments={str(k): int(v) for k, v in d["segments"].items()},
                   briefs={str(k): list(v) for k, v in d["briefs"].items()}, dim=int(d.get("dim", 384)))

    def copy(self) -> "Manifest":
        return Manifest(self.model, self.generation, self.seq, dict(self.segments),
                        {k: list(v) for k, v in self.briefs.items()}, self.dim)

    def live_rows(self) -> int:
        return sum(v[2] for v in self.briefs.values())


def _manifests(d: Path) -> list[tuple[int, int, Path]]:
    out = []
    try:
        names = os.listdir(d)
    except FileNotFoundError:
        return out
    for name in names:
        m = _MANIFEST.match(name)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), d / name))
    out.sort()
    return out


def read_manifest(root, generation: int | None = None) -> Manifest | None:
    """The manifest a reader of index generation ``generation`` should use: the newest one of a
    generation at most that (None: the newest of all). None when the archive keeps no vectors."""
    d = vectors_dir(root)
    found = _manifests(d)
    if generation is not None:
        older = [m for m in found if m[0] <= generation]
        found = older or found[:1]  # only newer ones (a reader of an old snapshot): the oldest kept
    for gen, seq, path in reversed(found):
        try:
            return Manifest.from_json(json.loads(path.read_text("utf-8")))
        except FileNotFoundError:
            continue  # removed by a writer's clean-up just now: take the one before
        except (OSError, ValueError, KeyError, TypeError):
            raise BriefError(f"vector manifest {path} is damaged; run 'brief embed --off' and 'brief embed' "
                             "to rebuild the vectors") from None
    return None


def write_manifest(root, m: Manifest) -> Path:
    d = vectors_dir(root)
    path = d / f"manifest-{m.generation}-{m.seq}.json"
    tmp = d / f".{path.name}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(m.to_json(), f, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync(d, directory=True)
    return path


def write_segment(root, matrix) -> str:
    """Write a float32 matrix as a new segment file (fsynced, by rename); its name."""
    import numpy as np

    d = vectors_dir(root)
    name = f"seg-{secrets.token_hex(8)}.npy"
    tmp = d / f".{name}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(matrix, dtype=np.float32))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, d / name)
    return name


def clean(root, *, keep: int = KEEP_MANIFESTS, above: int | None = None) -> None:
    """Under the write lock, after a commit: keep the newest ``keep`` manifests (dropping those of
    a generation above ``above``: left by a commit that never happened), remove every other
    manifest, temporary file and segment no kept manifest names."""
    d = vectors_dir(root)
    found = _manifests(d)
    if above is not None:
        for gen, seq, path in found:
            if gen > above:
                with contextlib.suppress(OSError):
                    path.unlink()
        found = [m for m in found if m[0] <= above]
    kept, drop = found[-keep:], found[:-keep]
    for _, _, path in drop:
        with contextlib.suppress(OSError):
            path.unlink()
    used: set[str] = set()
    for _, _, path in kept:
        try:
            used.update(json.loads(path.read_text("utf-8")).get("segments", {}))
        except (OSError, ValueError):
            return  # cannot tell what is in use: remove nothing
    with contextlib.suppress(OSError):
        for name in os.listdir(d):
            if (_SEGMENT.match(name) and name not in used) or name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    (d / name).unlink()


def enable(root, generation: int) -> Manifest:
    """Start keeping vectors (under the write lock): an empty manifest for ``generation``."""
    d = vectors_dir(root)
    d.mkdir(mode=0o700, exist_ok=True)
    m = read_manifest(root, generation)
    if m is None:
        m = Manifest(model=current_model(), generation=generation, seq=0)
        write_manifest(root, m)
    return m


def disable(root) -> int:
    """Drop every vector (under the write lock); how many briefs had vectors."""
    import shutil

    m = None
    with contextlib.suppress(BriefError):
        m = read_manifest(root)
    d = vectors_dir(root)
    if d.is_dir():
        # rename first: a reader sees either the whole folder or none
        gone = Path(root) / f".{DIR}.removed.{secrets.token_hex(4)}"
        os.replace(d, gone)
        shutil.rmtree(gone, ignore_errors=True)
    return len(m.briefs) if m else 0


# -- embedding ---------------------------------------------------------------------------------------
def embed_briefs(briefs: list[Brief], *, on_passages: Callable[[int], None] | None = None):
    """Vectors of the passages of ``briefs``: (float32 matrix, [(id, rows, key)] in row order)."""
    import numpy as np

    from . import model

    emb = model.get()
    seqs: list[list[int]] = []
    spans = []
    for b in briefs:
        ps = emb.passages(embed_text(b))
        spans.append((b.id, len(ps), text_key(b)))
        seqs.extend(p.ids for p in ps)
    if not seqs:
        return np.zeros((0, model.DIM), dtype=np.float32), spans
    parts = []
    step = model.BATCH * 4
    for k in range(0, len(seqs), step):
        parts.append(emb.run(seqs[k:k + step]))
        if on_passages:
            on_passages(len(parts[-1]))
    return np.concatenate(parts), spans


def add_vectors(root, m: Manifest, matrix, spans) -> None:
    """Put freshly computed rows into manifest ``m`` (a new segment file when there are rows)."""
    seg = write_segment(root, matrix) if len(matrix) else None
    if seg:
        m.segments[seg] = int(len(matrix))
    row = 0
    for bid, n, key in spans:
        m.briefs[bid] = [seg or "", row, n, key]
        row += n


def maybe_merge(root, m: Manifest) -> None:
    """Keep the number of segments small: merge the smallest ones, and any mostly dead one
    (without the extra: only forget the segments nothing uses any more)."""
    from . import available

    live: dict[str, int] = {}
    for seg, _, n, _ in m.briefs.values():
        if n:
            live[seg] = live.get(seg, 0) + n
    for seg in [s for s in m.segments if not live.get(s)]:
        del m.segments[seg]  # nothing of it is used any more
    mostly_dead = {s for s, rows in m.segments.items() if live.get(s, 0) * 2 < rows and rows > 64}
    by_size = sorted(m.segments, key=lambda s: m.segments[s])
    pick = set(by_size[:len(by_size) - MAX_SEGMENTS // 2]) if len(by_size) > MAX_SEGMENTS else set()
    pick |= mostly_dead
    if (len(pick) < 2 and not mostly_dead) or not available():
        return
    import numpy as np

    d = vectors_dir(root)
    loaded = {s: np.load(d / s, mmap_mode="r") for s in pick}
    rows, owners = [], []
    for bid, (seg, start, n, key) in sorted(m.briefs.items()):
        if seg in pick and n:
            rows.append(np.asarray(loaded[seg][start:start + n]))
            owners.append((bid, n, key))
    for s in pick:
        del m.segments[s]
    if rows:
        add_vectors(root, m, np.concatenate(rows), owners)


# -- the writer's side: one batch of changes to the records ------------------------------------------
class VectorBatch:
    """The vector side of one commit of the index. Fed every record written or deleted; before
    the index commits, :meth:`commit` writes the manifest of the new generation."""

    def __init__(self, root, base_generation: int, *, full: bool = False):
        self.root = Path(root)
        self.base_generation = base_generation
        self.full = full  # reindex: every record is fed; entries of ids not fed are dropped
        self.pending: dict[str, Brief | None] = {}
        self.embedded = 0  # briefs embedded by the last commit
        self.missing = 0  # briefs left without vectors (no extra here, or another model's vectors)

    def put(self, b: Brief) -> None:
        self.pending[b.id] = b

    def delete(self, brief_id: str) -> None:
        self.pending[brief_id] = None

    def commit(self, generation: int, *, on_passages: Callable[[int], None] | None = None) -> None:
        from . import available

        base = read_manifest(self.root, self.base_generation)
        if base is None:  # switched off in between (brief embed --off holds the lock: cannot be)
            base = Manifest(model=current_model())
        m = base.copy()
        m.generation, m.seq = generation, 0
        can_embed = available()
        same_model = m.model == current_model()
        if self.full and can_embed and not same_model:  # reindex after a change of model
            m = Manifest(model=current_model(), generation=generation, seq=0)
            same_model = True
        if self.full:
            for bid in [i for i in m.briefs if i not in self.pending]:
                del m.briefs[bid]
        todo = []
        for bid, b in self.pending.items():
            if b is None:
                m.briefs.pop(bid, None)
                continue
            have = m.briefs.get(bid)
            if have is not None and have[3] == text_key(b):
                continue  # same text: the vectors stay
            m.briefs.pop(bid, None)
            todo.append(b)
        self.embedded = 0
        self.missing = 0
        if todo and can_embed and same_model:
            matrix, spans = embed_briefs(todo, on_passages=on_passages)
            add_vectors(self.root, m, matrix, spans)
            self.embedded = len(todo)
        else:
            self.missing = len(todo)
        maybe_merge(self.root, m)
        write_manifest(self.root, m)

    def after_commit(self, generation: int) -> None:
        with contextlib.suppress(OSError):
            clean(self.root, above=generation)


def batch_for(root, base_generation: int, *, full: bool = False) -> VectorBatch | None:
    """A VectorBatch when the archive keeps vectors, else None (one stat: cheap)."""
    return VectorBatch(root, base_generation, full=full) if enabled(root) else None


# -- the reader's side --------------------------------------------------------------------------------
class Vectors:
    """The vectors a reader of one index generation sees, ready for brute-force cosine search."""

    def __init__(self, root, manifest: Manifest):
        import numpy as np

        self.root = Path(root)
        self.manifest = manifest
        d = vectors_dir(root)
        self._segs = {s: np.load(d / s, mmap_mode="r") for s in manifest.segments}
        # per segment: the ids with rows there and where they start
        self._layout: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        groups: dict[str, list[tuple[int, int, str]]] = {}
        for bid, (seg, start, n, _key) in manifest.briefs.items():
            if n:
                groups.setdefault(seg, []).append((start, n, bid))
        for seg, entries in groups.items():
            entries.sort()
            self._layout[seg] = ([e[2] for e in entries], np.array([e[0] for e in entries], dtype=np.int64),
                                 np.array([e[1] for e in entries], dtype=np.int64))

    @classmethod
    def load(cls, root, generation: int | None = None) -> "Vectors | None":
        for _ in range(3):  # a segment removed between reading the manifest and opening it: again
            m = read_manifest(root, generation)
            if m is None:
                return None
            try:
                return cls(root, m)
            except FileNotFoundError:
                generation = None
        raise BriefError(f"the vectors of {root} keep changing under this reader; try again")

    @property
    def count(self) -> int:
        return len(self.manifest.briefs)

    def ids(self) -> set[str]:
        return set(self.manifest.briefs)

    def ranking(self, q):
        """Every brief with rows, vectorised: ``(ids, best, passage)`` where ``best[i]`` is the
        best cosine of ``ids[i]``'s passages with ``q`` and ``passage[i]`` which passage it was
        (the first of equal ones). No Python loop over the briefs: 20,000 briefs of 3 passages
        take a few milliseconds beyond the matrix product."""
        import numpy as np

        q = np.asarray(q, dtype=np.float32)
        all_ids: list[str] = []
        bests, passages = [], []
        for seg, (ids, starts, ns) in self._layout.items():
            sims = np.asarray(self._segs[seg] @ q)
            total = int(ns.sum())
            first = np.cumsum(ns) - ns  # where each brief's rows start among the gathered rows
            group = np.repeat(np.arange(len(ns)), ns)
            rows = np.arange(total) - first[group] + starts[group]  # the briefs' rows, in order
            vals = sims[rows]
            best = np.maximum.reduceat(vals, first)
            top = np.flatnonzero(vals == best[group])
            g, at = np.unique(group[top], return_index=True)  # first maximum of each brief
            passage = np.zeros(len(ns), dtype=np.int64)
            passage[g] = top[at] - first[g]
            all_ids.extend(ids)
            bests.append(best)
            passages.append(passage)
        if not bests:
            return [], np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        return all_ids, np.concatenate(bests), np.concatenate(passages)

    def scores(self, q) -> dict[str, tuple[float, int]]:
        """``id -> (best cosine over its passages, which passage)`` for every brief with rows."""
        ids, best, passage = self.ranking(q)
        return {bid: (float(b), int(p)) for bid, b, p in zip(ids, best.tolist(), passage.tolist())}

    def brief_vector(self, brief_id: str):
        """The mean of a brief's passage vectors, unit length (None without rows)."""
        import numpy as np

        e = self.manifest.briefs.get(brief_id)
        if not e or not e[2]:
            return None
        v = np.asarray(self._segs[e[0]][e[1]:e[1] + e[2]]).mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n else None


def status(root, generation: int | None, live_ids: Iterable[str]) -> dict:
    """How many of the live briefs have vectors; size of the files; the model."""
    m = read_manifest(root, generation)
    live = set(live_ids)
    d = vectors_dir(root)
    size = 0
    if m:
        for s in m.segments:
            with contextlib.suppress(OSError):
                size += (d / s).stat().st_size
    with_vectors = len(live & set(m.briefs)) if m else 0
    return {
        "enabled": m is not None,
        "briefs": len(live),
        "with_vectors": with_vectors,
        "missing": len(live) - with_vectors,
        "passages": m.live_rows() if m else 0,
        "bytes": size,
        "model": m.model if m else None,
        "model_current": (m.model == current_model()) if m else None,
    }
