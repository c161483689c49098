"""A corpus of brief-sized pieces cut from the State of the Union texts, for benchmarks.

``pieces(n)`` yields ``n`` (name, text) pairs; ``build(dest, n)`` writes them as files
(``dest/NNN/piece-NNNNNN.txt``, 1,000 a folder) and reuses an earlier build of the same
size. Each speech is cut at paragraph boundaries into pieces of about 3-5 KB (a paragraph
longer than that stays whole); the ~3,000 pieces are reused as often as ``n`` needs, each
use with its own first line (``"1790 Washington, part 3 (piece 12345)"``), so every text,
and so every hash and title, is distinct. Deterministic: the same ``n`` gives the same files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

SOTU = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "sotu"
MIN_CHARS = 3000
MAX_CHARS = 5000
PER_FOLDER = 1000
VERSION = 1


def _sotu_dir() -> Path:
    env = os.environ.get("BRIEF_SOTU")
    return Path(env) if env else SOTU


def base_pieces(sotu: Path | None = None) -> list[tuple[str, str]]:
    """(label, text) for every ~3-5 KB piece of every speech, in file order."""
    speeches = (sotu or _sotu_dir()) / "speeches"
    files = sorted(speeches.glob("*.txt"))
    if not files:
        raise SystemExit(f"no speeches found in {speeches} (set BRIEF_SOTU to the sotu folder)")
    out = []
    for f in files:
        stem = f.stem.rsplit("-", 1)[0].replace("-", " ")  # 1790-Washington-1 -> 1790 Washington
        paras = [p.strip() for p in f.read_text("utf-8").split("\n\n") if p.strip()]
        cur: list[str] = []
        size = 0
        part = 0

        def flush():
            nonlocal cur, size, part
            if cur:
                part += 1
                out.append((f"{stem}, part {part}", "\n\n".join(cur)))
            cur, size = [], 0

        for p in paras:
            if cur and size + len(p) + 2 > MAX_CHARS:
                flush()
            cur.append(p)
            size += len(p) + 2
            if size >= MIN_CHARS:
                flush()
        flush()
    return out


def pieces(n: int, sotu: Path | None = None) -> Iterator[tuple[str, str]]:
    """``n`` (relative file name, text) pairs, every text distinct."""
    base = base_pieces(sotu)
    for i in range(n):
        label, body = base[i % len(base)]
        name = f"{i // PER_FOLDER:03d}/piece-{i:06d}.txt"
        yield name, f"{label} (piece {i})\n\n{body}\n"


def build(dest: Path, n: int, sotu: Path | None = None) -> Path:
    """Write ``n`` pieces under ``dest`` (reused when an identical build is there)."""
    dest = Path(dest)
    stamp = dest / ".corpus.json"
    want = {"version": VERSION, "n": n}
    try:
        if json.loads(stamp.read_text("utf-8")) == want:
            return dest
    except (OSError, ValueError):
        pass
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, text in pieces(n, sotu):
        p = dest / name
        p.parent.mkdir(exist_ok=True)
        p.write_text(text, "utf-8")
    stamp.write_text(json.dumps(want), "utf-8")
    return dest


if __name__ == "__main__":  # python bench/_corpus.py DEST N
    import sys

    if len(sys.argv) != 3:
        raise SystemExit("usage: python bench/_corpus.py DEST N")
    print(build(Path(sys.argv[1]), int(sys.argv[2])))
