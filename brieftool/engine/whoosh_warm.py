"""Snapshots the command server (brieftool/server.py) keeps open for its children.

A served command is a child forked from the server. Opening an archive's newest generation for
reading (every file of it held open, each segment's term table and columns read: see
``whoosh._pin``) costs about as much as the search itself on a 40-segment archive. So after a
child has read an archive, the server opens that archive's newest generation itself and keeps
it; the next child inherits it already open and uses it, if it is still the newest generation
(the table of contents is the same file: generation, inode, size, modification time);
otherwise it opens the archive as an unserved command does. The server checks its snapshots
every few seconds and lets go of those a commit has replaced (they hold the files of merged
segments, which take disk space while open).

A child must not share file offsets with its siblings (Whoosh reads by seek + read): before it
uses an inherited snapshot it gives each of the snapshot's descriptors its own open file,
at the same offset (``/proc/self/fd``). A snapshot is used once per child: the first searcher
takes it, and closes it with itself.
"""

from __future__ import annotations

import os
import re

MAX_WARM = 2  # archives kept open by one server (the most recently used)
FD_SHARE = 0.25  # ... while they hold at most this share of its descriptor limit (a child needs its own)

# The server's snapshots: real folder path -> _Snapshot. In a child, its inherited copy.
_warm: dict[str, "_Snapshot"] = {}
# In a served child: called with an archive folder it opened with no usable snapshot, so the
# server opens that one for the next child (server.py sets it; None in any other process).
sink = None
_taken: set = set()  # (in a child) the archives it has taken, or opened, already
_opened = [0]  # snapshots the server has opened (``brief server status --json``: archives_opened)

_TOC = re.compile(r"^_MAIN_(\d+)\.toc$")  # whoosh.INDEX_NAME's tables of contents


def _toc_identity(folder: str):
    """(generation, inode, size, mtime) of the newest table of contents, or None."""
    try:
        gens = [int(m.group(1)) for m in map(_TOC.match, os.listdir(folder)) if m]
        if not gens:
            return None
        gen = max(gens)
        st = os.stat(os.path.join(folder, f"_MAIN_{gen}.toc"))
    except (OSError, ValueError):
        return None
    return (gen, st.st_ino, st.st_size, st.st_mtime_ns)


class _Snapshot:
    def __init__(self, identity, toc, pinned, reader):
        self.identity, self.toc, self.pinned, self.reader = identity, toc, pinned, reader

    def close(self) -> None:
        try:
            self.reader.close()
        except Exception:
            pass
        self.pinned.close()


def _key(folder) -> str:
    return os.path.realpath(os.fspath(folder))


# -- the server's side --------------------------------------------------------------------------------
def warm(folder) -> bool:
    """Open the newest generation of the archive in ``folder`` and keep it for the children;
    False when it cannot be opened (it is then opened by each child, as without a server)."""
    from pathlib import Path

    from whoosh.index import FileIndex

    from .whoosh import WhooshArchive, _pin

    key = _key(folder)
    old = _warm.pop(key, None)
    if old is not None:
        old.close()
    try:
        archive = WhooshArchive.open(Path(key))  # the same checks as a command's
        before = _toc_identity(key)
        toc, pinned = _pin(archive.ix.storage)
    except Exception:
        return False
    try:
        reader = FileIndex._reader(pinned, toc.schema, toc.segments, toc.generation)
        identity = _toc_identity(key)
        if identity is None or identity != before or identity[0] != toc.generation:
            raise ValueError("a commit landed while it was opened")  # the next child tries again
    except Exception:
        pinned.close()
        return False
    _warm[key] = _Snapshot(identity, toc, pinned, reader)
    _opened[0] += 1
    while len(_warm) > MAX_WARM or (len(_warm) > 1 and _descriptors_used() > FD_SHARE):
        _warm.pop(next(iter(_warm))).close()  # the least recently warmed goes
    return True


def _descriptors_used() -> float:
    """The share of this process's descriptor limit in use (each snapshot holds every file of
    its generation open: ~15 a segment)."""
    import resource

    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return len(os.listdir("/proc/self/fd")) / soft if soft > 0 else 0.0
    except (OSError, ValueError):
        return 0.0


def revalidate() -> list[str]:
    """Let go of the snapshots that are no longer their archive's newest generation; their
    folders (the server opens them anew)."""
    stale = [k for k, w in _warm.items() if _toc_identity(k) != w.identity]
    for k in stale:
        _warm.pop(k).close()
    return stale


def close_all() -> None:
    while _warm:
        _warm.popitem()[1].close()


def held() -> list[str]:
    return sorted(_warm)


def opened_count() -> int:
    return _opened[0]


# -- the child's side ---------------------------------------------------------------------------------
def take(folder):
    """(toc, pinned storage, reader) of the inherited snapshot of ``folder`` when it is still
    the newest generation, with descriptors of this process's own; else None (and the server
    is told to open this archive for the next child)."""
    key = _key(folder)
    if key in _taken:  # a second searcher of this command: opened as usual, the server not asked again
        return None
    _taken.add(key)
    w = _warm.pop(key, None)
    close_all()  # the other archives' (this process's copies): a command reads one archive
    if w is not None:
        if _toc_identity(key) == w.identity and own_offsets(w.pinned):
            return w.toc, w.pinned, w.reader
        w.close()  # this process's copies only
    if sink is not None:
        try:
            sink(key)
        except Exception:
            pass
    return None


def own_offsets(pinned) -> bool:
    """Give every file opened through ``pinned`` (a ``whoosh._PinnedStorage``) an open file of
    this process's own (same file, same offset): a forked child shares its parent's offsets,
    and processes reading the same file at once would read each other's places. (The server's
    children, for its snapshots; a search's second process, whoosh_search._collect_in_two.)"""
    try:
        for f in pinned.opened:
            raw = getattr(f, "file", None)
            if raw is None or getattr(raw, "closed", True):
                continue
            fd = raw.fileno()
            at = os.lseek(fd, 0, os.SEEK_CUR)
            mine = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.lseek(mine, at, os.SEEK_SET)
                os.dup2(mine, fd, inheritable=False)
            finally:
                os.close(mine)
    except (OSError, ValueError):
        return False
    return True
