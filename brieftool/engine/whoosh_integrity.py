"""Damage: detect it (checksums of every segment file) and salvage what is still readable.

Whoosh keeps no checksums, and a flipped byte in a posting list or a truncated term file can
go unnoticed until a search trips over it. A segment's files never change once written (a
commit writes new segments; deletions are kept in the table of contents), so their SHA-256
sums, taken right after each commit, tell ``brief check`` for certain whether any byte of them
changed, or whether a file is gone or cut short. They live in ``<archive>/.sums/SEGID.json``
(written exclusively, then renamed: never through a link), and a segment without sums (made
by an older brief, or by a commit killed before it wrote them) is hashed by the next commit;
``check`` notes it.

The table of contents (``_MAIN_N.toc``, one per generation N: the segments, their deleted
records, the schema) is a pickle, and a byte flipped in its middle can leave it readable and
meaning something else. Each commit's table of contents gets its sum too, keyed by generation
(``.sums/toc-N.json``), with a copy of it (``.sums/toc-N.copy``): a table of contents that no
longer matches is refused on open (one line: run ``brief salvage``) and found by ``check``, and
``brief salvage`` puts the copy back before reading the records. Whoosh keeps deleted records
only in the table of contents, so it cannot be rebuilt from the segment files alone (removed
and replaced briefs would come back): without a sound copy, an export is the way back.

:func:`salvage_records` reads every record that can still be read, record by record and
segment by segment (a damaged one fails alone), for ``brief salvage`` (``reindex --drop-bad``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from ..models import Brief
from ..fsafe import sha256_file as _sha

SUMS_DIR = ".sums"
INDEX_NAME = "MAIN"


def _segment_files(folder: str, segid: str) -> list[str]:
    prefix = f"{segid}."
    return sorted(n for n in os.listdir(folder) if n.startswith(prefix))


def _toc(folder: str):
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    return TOC.read(FileStorage(folder), INDEX_NAME)


def _sums_path(folder: str, segid: str) -> Path:
    return Path(folder) / SUMS_DIR / f"{segid}.json"


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; True when it cannot be told (another user's private .sums/: the
    checksums of the segments are noted as not verified then)."""
    try:
        return path.exists()
    except PermissionError:
        return True


def _toc_name(gen: int) -> str:
    return f"_{INDEX_NAME}_{gen}.toc"


def _toc_sums(folder: str, gen: int) -> Path:
    return Path(folder) / SUMS_DIR / f"toc-{gen}.json"


def _toc_copy(folder: str, gen: int) -> Path:
    return Path(folder) / SUMS_DIR / f"toc-{gen}.copy"


def _latest_gen(folder: str) -> int:
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    return TOC._latest_generation(FileStorage(folder), INDEX_NAME)


def _record_toc(folder: str, gen: int) -> None:
    """The sum and a copy of generation ``gen``'s table of contents (read sound just before)."""
    from ..fsafe import write_new

    dest = _toc_sums(folder, gen)
    if _exists(dest):
        return
    with open(os.path.join(folder, _toc_name(gen)), "rb") as f:
        data = f.read()
    dest.parent.mkdir(mode=0o700, exist_ok=True)
    for path, content in ((_toc_copy(folder, gen), data),
                          (dest, json.dumps({"generation": gen, "file": _toc_name(gen), "size": len(data),
                                             "sha256": hashlib.sha256(data).hexdigest()}).encode("ascii"))):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        write_new(tmp, content)
        os.replace(tmp, path)  # the copy first: a sum never names a copy not yet there


def toc_damage(folder: str | Path, gen: int | None = None) -> str | None:
    """What is wrong with the table of contents of generation ``gen`` (the newest by default)
    against its sum, or None when it matches, has no sum (an older brief, or a commit that has
    just landed) or is gone because a newer generation replaced it. Cheap: one small file."""
    folder = os.fspath(folder)
    try:
        gen = _latest_gen(folder) if gen is None else gen
        want = json.loads(_toc_sums(folder, gen).read_text("ascii"))
        with open(os.path.join(folder, _toc_name(gen)), "rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return None
    if not isinstance(want, dict):
        return None
    if len(data) != want.get("size"):
        return (f"its table of contents {_toc_name(gen)} has {len(data):,} bytes, not {want.get('size'):,} "
                "(cut short or overwritten)")
    if hashlib.sha256(data).hexdigest() != want.get("sha256"):
        return f"its table of contents {_toc_name(gen)} is damaged (its content changed since it was written)"
    return None


def _sound_copy(folder: str) -> tuple[int, bytes] | None:
    """(generation, bytes) of the newest table-of-contents copy that matches its sum."""
    d = Path(folder) / SUMS_DIR
    gens = []
    with contextlib.suppress(OSError):
        for n in os.listdir(d):
            if n.startswith("toc-") and n.endswith(".json") and n[4:-5].isdigit():
                gens.append(int(n[4:-5]))
    for gen in sorted(gens, reverse=True):
        try:
            want = json.loads(_toc_sums(folder, gen).read_text("ascii"))
            data = _toc_copy(folder, gen).read_bytes()
        except (OSError, ValueError):
            continue
        if isinstance(want, dict) and hashlib.sha256(data).hexdigest() == want.get("sha256"):
            return gen, data
    return None


def toc_advice(folder: str | Path, gen: int = -1) -> str:
    """What to run when the table of contents is missing or damaged."""
    copy = _sound_copy(os.fspath(folder))
    if copy is not None and copy[0] >= gen:
        return f"run 'brief salvage' (it puts back the copy kept in {SUMS_DIR}/)"
    return "no sound copy of it is kept: restore from an export with 'brief import' into a new archive"


def restore_toc(folder: str | Path) -> str | None:
    """Put back the newest sound copy of the table of contents when the archive's own is
    missing, unreadable or does not match its sum (for ``brief salvage``). Returns what was
    done, or None when nothing needed doing or no sound copy exists."""
    from ..fsafe import write_new

    folder = os.fspath(folder)
    try:
        gen = _latest_gen(folder)
    except OSError:
        gen = -1
    broken = gen < 0 or toc_damage(folder, gen) is not None
    if not broken:
        try:
            _toc(folder)
        except Exception:
            broken = True
    if not broken:
        return None
    copy = _sound_copy(folder)
    if copy is None or copy[0] < gen:  # no copy of this generation: nothing sound to put back
        return None
    cgen, data = copy
    dest = os.path.join(folder, _toc_name(cgen))
    tmp = os.path.join(folder, f".{_toc_name(cgen)}.{os.getpid()}.tmp")
    write_new(tmp, data, mode=0o644)
    os.replace(tmp, dest)
    return f"the table of contents {_toc_name(cgen)} was put back from its copy in {SUMS_DIR}/"


def record_sums(folder: str | Path) -> None:
    """Take the sums of the newest generation's segments that have none (after a commit).
    Never fails: a segment merged away meanwhile, or a folder that cannot be written, is left."""
    from ..fsafe import write_new

    folder = os.fspath(folder)
    with contextlib.suppress(Exception):
        toc = _toc(folder)
        with contextlib.suppress(Exception):
            if toc_damage(folder, toc.generation) is None:
                _record_toc(folder, toc.generation)
        live = set()
        for seg in toc.segments:
            segid = seg.segment_id()
            live.add(segid)
            dest = _sums_path(folder, segid)
            if dest.exists():
                continue
            files = _segment_files(folder, segid)
            if not files:
                continue
            sums = {n: {"sha256": _sha(os.path.join(folder, n)), "size": os.path.getsize(os.path.join(folder, n))}
                    for n in files}
            dest.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            write_new(tmp, json.dumps({"segment": segid, "files": sums}).encode("ascii"))
            os.replace(tmp, dest)
        for entry in os.scandir(os.path.join(folder, SUMS_DIR)):  # sums of segments merged away
            if entry.name.startswith("toc-"):  # and of older tables of contents
                g = entry.name[4:].split(".", 1)[0]
                if g.isdigit() and int(g) < toc.generation:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                continue
            segid = entry.name.lstrip(".").split(".json", 1)[0]
            if segid not in live and not entry.name.startswith("."):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def verify(folder: str | Path, problems: list[str], notes: list[str]) -> None:
    """Compare every segment file of the newest generation with its sums."""
    folder = os.fspath(folder)
    toc = _toc(folder)
    what = toc_damage(folder, toc.generation)
    if what is not None:
        problems.append(f"the {what.removeprefix('its ')}: {toc_advice(folder, toc.generation)}")
    elif toc.segments and not _exists(_toc_sums(folder, toc.generation)):
        notes.append(f"the table of contents {_toc_name(toc.generation)} has no checksum yet (written by an older "
                     "brief or an interrupted commit): the next change takes one")
    unsummed = 0
    for seg in toc.segments:
        segid = seg.segment_id()
        have = set(_segment_files(folder, segid))
        try:
            want = json.loads(_sums_path(folder, segid).read_text("ascii"))["files"]
        except PermissionError:  # another user's archive, readable but its checksums private
            notes.append(f"segment {segid}: its checksums cannot be read (permission denied): not verified")
            continue
        except FileNotFoundError:
            unsummed += 1
            if not have:
                problems.append(f"segment {segid}: all its files are missing ({seg.doc_count()} briefs): "
                                "run 'brief salvage'")
            continue
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"segment {segid}: its checksums in {SUMS_DIR}/ are unreadable (run 'brief salvage' "
                            "to rebuild the index and its checksums)")
            continue
        for name, info in sorted(want.items()):
            p = os.path.join(folder, name)
            if name not in have:
                problems.append(f"{name} is missing (segment of {seg.doc_count()} briefs): run 'brief salvage'")
            elif os.path.getsize(p) != info.get("size"):
                problems.append(f"{name} has {os.path.getsize(p):,} bytes, not {info.get('size'):,} (cut short or "
                                "overwritten): run 'brief salvage'")
            elif _sha(p) != info.get("sha256"):
                problems.append(f"{name} is damaged (its content changed since it was written): run 'brief salvage'")
    if unsummed:
        notes.append(f"{unsummed} segment{'s' if unsummed != 1 else ''} without checksums (written by an older "
                     "brief or an interrupted commit): the next change takes them")


def open_damaged(path: Path):
    """The archive at ``path`` opened for salvage: without the checks of a normal open (its
    brief.json may be gone or damaged); only the table of contents must be readable."""
    from whoosh import index

    from ..models import BriefError
    from .whoosh import WhooshArchive

    if not Path(path).is_dir():
        raise BriefError(f"no archive at {path}")
    restored = restore_toc(path)
    if restored:
        from .. import render

        render.warn(restored)
    if toc_damage(path) is not None:
        raise BriefError(f"archive {path}: {toc_damage(path)}, and no sound copy of it is kept; nothing can be "
                         "salvaged from the index: restore from an export with 'brief import' into a new archive")
    try:
        ix = index.open_dir(str(path), indexname=INDEX_NAME)
    except Exception as e:
        raise BriefError(f"archive {path}: its table of contents cannot be read ({type(e).__name__}: {e}); "
                         "nothing can be salvaged from the index: restore from an export with 'brief import' "
                         "into a new archive") from None
    return WhooshArchive(Path(path), ix)


def salvage_records(folder: str | Path, errors: list[str]) -> Iterator[Brief]:
    """Every record of the newest generation that can still be read, one at a time; each record
    or segment that cannot be read is described in ``errors``. A record counts as readable when
    it is complete and its text matches its sha256 (a flipped byte in a text is caught)."""
    from whoosh.filedb.filestore import FileStorage

    from ..maintain import record_from_json, stored_to_json
    from .whoosh import doc_to_brief

    folder = os.fspath(folder)
    storage = FileStorage(folder)
    toc = _toc(folder)
    for seg in toc.segments:
        segid = seg.segment_id()
        n_all = seg.doc_count_all()
        deleted = set(seg.deleted_docs()) if seg.has_deletions() else set()
        try:
            # The stored records only (not the term and posting files: damage there costs nothing).
            reader = seg.codec().per_document_reader(seg.open_compound_file(storage) if seg.is_compound()
                                                     else storage, seg)
        except Exception as e:
            errors.extend(f"record '#{d}' cannot be read (segment {segid} cannot be opened: {type(e).__name__})"
                          for d in range(n_all) if d not in deleted)
            continue
        try:
            for docnum in range(n_all):
                if docnum in deleted:
                    continue
                try:
                    stored = reader.stored_fields(docnum)
                    record_from_json(stored_to_json(stored), strict=True)
                    b = doc_to_brief(stored)
                except Exception as e:
                    bid = f"#{docnum}"
                    with contextlib.suppress(Exception):
                        bid = stored["id"] if isinstance(stored.get("id"), str) else bid
                    errors.append(f"record {bid!r} cannot be read ({type(e).__name__}: {str(e)[:120]}; "
                                  f"segment {segid} #{docnum})")
                    continue
                finally:
                    stored = None
                yield b
        finally:
            with contextlib.suppress(Exception):
                reader.close()
