"""The floor for bench/ingest: the same texts fed straight into a Whoosh writer.

    python bench/_plain_writer.py CORPUS_DIR INDEX_DIR [--procs N]   (bench/ingest uses --procs 2)

Same schema (``archive.make_schema()``) and the same documents as ``archive.brief_to_doc``,
minus everything `brief add` does on top: no metadata extraction (the title is the first
line), no duplicate or update checks, no batches (one commit at the end), no parallel
reading. Files are read and decoded as UTF-8 and hashed (the id comes from the hash), as
any archive must. Prints the number of documents written.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brieftool.engine.whoosh import WhooshArchive as Archive, brief_to_doc, id_candidates, text_sha256  # noqa: E402
from brieftool.models import Brief  # noqa: E402


def main(argv: list[str]) -> int:
    corpus, index_dir = Path(argv[0]), Path(argv[1])
    procs = int(argv[argv.index("--procs") + 1]) if "--procs" in argv else 1
    archive = Archive.open(index_dir, create=True)
    kw = {"limitmb": 32, "compound": False}  # brief's writer settings (engine/whoosh.py, ingest._writer_kw)
    if procs > 1:
        kw.update(procs=procs, multisegment=True)
    w = archive.ix.writer(**kw)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    n = 0
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".txt"):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
            sha = text_sha256(text)
            b = Brief(id=next(id_candidates(sha)), title=text.split("\n", 1)[0], text=text, sha256=sha,
                      words=len(text.split()), source=os.path.abspath(path), added=now)
            w.add_document(**brief_to_doc(b))
            n += 1
    w.commit()
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
