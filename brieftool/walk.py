"""Turn the paths given to `brief add`/`brief sync` into the files to read.

A path names a file (taken as given), a folder (walked: recursively unless
``recursive=False``), or, when no such path exists and it holds ``*``, ``?`` or ``[``,
a glob pattern (``**`` spans folders), expanded here so that a quoted pattern works the
same as one the shell expanded. ``-`` is standard input and is left to the caller.

Rules, applied while walking (files named explicitly are taken as given, except that
``--exclude`` still applies to them):

* hidden entries (name starting with ``.``) are skipped, folders with everything in
  them, unless ``hidden=True``; a hidden path named explicitly is still taken;
* ``include`` patterns: when given, only files matching one of them are taken;
  ``exclude`` patterns: files (and folders, with everything in them) matching one of
  them are left out. A pattern without ``/`` is matched against the name
  (``*.md``, ``drafts``); one with ``/`` against the path relative to the folder
  walked (``2019/*.txt``, ``drafts/**``). Matching is case-sensitive, as on the
  file system, with ``fnmatch`` rules (``*`` also matches ``/`` in a relative path);
* symbolic links are followed only while they stay inside the folder being walked: a
  link whose target is outside it is skipped, reported once with its target
  (``follow_links=True``, ``--follow-links``, follows every link); a folder already visited
  (same device and inode) is not entered again, so a link loop ends; a file named
  explicitly is read as asked, wherever a link in its name leads;
* only regular files are taken from a folder: FIFOs, sockets and devices are skipped with
  the reason (never opened: opening a FIFO blocks); empty files are skipped and counted
  (``Walker.empty``), for one summary line instead of one error each;
* the same file reached twice (named twice, or inside two folders given) is listed once;
* folders are walked in name order, so runs are reproducible.

Nothing is read here: only names and ``stat`` results (size, mtime) are produced.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat as _stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

GLOB_CHARS = frozenset("*?[")
STDIN = "-"


@dataclass(slots=True)
class Entry:
    """One input: a file to read, stdin, or a path that failed/was skipped before reading.

    ``path`` is as the user would recognise it (relative when given relative);
    ``source`` is the absolute path recorded in the archive. ``explicit`` is True for a
    file named on the command line (it fails, rather than being skipped, when it is not
    text). ``error``/``skip`` carry a reason when the entry is not to be read.
    """

    path: str
    source: str = ""
    size: int | None = None
    mtime_ns: int | None = None
    explicit: bool = False
    error: str | None = None
    skip: str | None = None
    root: str | None = None  # the folder given on the command line that this file is under


def is_glob(s: str) -> bool:
    return any(c in s for c in GLOB_CHARS)


def _hidden(name: str) -> bool:
    return name.startswith(".") and name not in (".", "..")


def _matches(patterns: Iterable[str], name: str, rel: str) -> bool:
    for p in patterns:
        if "/" in p.rstrip("/"):
            if fnmatch.fnmatchcase(rel, p.rstrip("/")):
                return True
        elif fnmatch.fnmatchcase(name, p.rstrip("/")):
            return True
    return False


class Walker:
    """Expands paths; see the module docstring. Iterate :meth:`expand`."""

    def __init__(self, *, recursive: bool = True, include: Iterable[str] = (), exclude: Iterable[str] = (),
                 hidden: bool = False, follow_links: bool = False):
        self.recursive = recursive
        self.follow_links = follow_links
        self.include = [p for p in include if p]
        self.exclude = [p for p in exclude if p]
        self.hidden = hidden
        self._seen_files: set[tuple[int, int] | str] = set()
        self._seen_dirs: set[tuple[int, int]] = set()
        self.excluded = 0  # files left out by include/exclude/hidden rules while walking
        self.empty = 0  # empty files found while walking (skipped, counted)
        self._links_told: set[str] = set()

    # -- public ---------------------------------------------------------------------------
    def expand(self, paths: Iterable[str]) -> Iterator[Entry]:
        for raw in paths:
            raw = os.fspath(raw)
            if raw == STDIN:
                yield Entry(STDIN, STDIN, explicit=True)
                continue
            try:
                st = os.stat(raw)
            except FileNotFoundError:
                if is_glob(raw):
                    yield from self._glob(raw)
                    continue
                yield Entry(raw, os.path.abspath(raw), explicit=True,
                            error="no such file" if not os.path.islink(raw) else "broken symbolic link")
                continue
            except (OSError, ValueError) as e:
                yield Entry(raw, explicit=True, error=_reason(e))
                continue
            if _stat.S_ISDIR(st.st_mode):
                yield from self._walk_root(raw, st)
            else:
                yield from self._file(raw, st, explicit=True, name=os.path.basename(raw), rel=raw)

    # -- internals ------------------------------------------------------------------------
    def _file(self, path: str, st: os.stat_result, *, explicit: bool, name: str, rel: str,
              root: str | None = None) -> Iterator[Entry]:
        key = (st.st_dev, st.st_ino) if st.st_ino else os.path.abspath(path)
        if key in self._seen_files:
            return
        if explicit and _matches(self.exclude, name, rel):
            yield Entry(path, os.path.abspath(path), explicit=True, skip="excluded by --exclude")
            return
        self._seen_files.add(key)
        regular = _stat.S_ISREG(st.st_mode)
        yield Entry(path, os.path.abspath(path), size=st.st_size if regular else None,
                    mtime_ns=st.st_mtime_ns if regular else None, explicit=explicit, root=root)

    def _glob(self, pattern: str) -> Iterator[Entry]:
        kw = {"include_hidden": self.hidden} if sys.version_info >= (3, 11) else {}
        matches = sorted(glob.glob(pattern, recursive=True, **kw))
        if not matches:
            yield Entry(pattern, explicit=True, error="no file matches this pattern")
            return
        for m in matches:
            name = os.path.basename(m)
            if not self.hidden and any(_hidden(part) for part in m.split(os.sep)
                                       if part not in ("", ".", "..")) and not _hidden_in(pattern):
                self.excluded += 1
                continue
            try:
                st = os.stat(m)
            except OSError as e:
                yield Entry(m, os.path.abspath(m), error=_reason(e))
                continue
            if _stat.S_ISDIR(st.st_mode):
                yield from self._walk_root(m, st)
            elif not self._wanted(name, m):
                self.excluded += 1
            elif not _stat.S_ISREG(st.st_mode):
                yield Entry(m, os.path.abspath(m), skip=f"not a regular file ({file_kind(st.st_mode)})")
            elif st.st_size == 0:
                self.empty += 1
            else:
                yield from self._file(m, st, explicit=False, name=name, rel=m)

    def _wanted(self, name: str, rel: str) -> bool:
        if self.include and not _matches(self.include, name, rel):
            return False
        return not _matches(self.exclude, name, rel)

    def _walk_root(self, root: str, st: os.stat_result) -> Iterator[Entry]:
        abs_root = os.path.abspath(root)
        key = (st.st_dev, st.st_ino)
        if key in self._seen_dirs:
            return
        self._seen_dirs.add(key)
        yield from self._walk(root, "", abs_root, os.path.realpath(root))

    def _outside(self, e: os.DirEntry, real_root: str) -> str | None:
        """The target of a symbolic link that leads outside ``real_root`` (None: inside, or
        not a link, or links are followed)."""
        if self.follow_links:
            return None
        try:
            if not e.is_symlink():
                return None
        except OSError:
            return None
        target = os.path.realpath(e.path)
        if target == real_root or target.startswith(os.path.join(real_root, "")):
            return None
        return target

    def _walk(self, top: str, top_rel: str, abs_root: str, real_root: str | None = None) -> Iterator[Entry]:
        real_root = real_root or os.path.realpath(top)
        # Depth-first, in name order, with an explicit stack (no recursion limit on deep trees).
        stack = [(top, top_rel)]
        while stack:
            folder, rel = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                yield Entry(folder, os.path.abspath(folder), error=f"cannot read folder: {_reason(e)}")
                continue
            subdirs = []
            for e in entries:
                name = e.name
                if not self.hidden and _hidden(name):
                    self.excluded += 1
                    continue
                erel = f"{rel}/{name}" if rel else name
                target = self._outside(e, real_root)
                if target is not None:
                    link = os.path.join(os.path.realpath(folder), name)
                    if link not in self._links_told:  # each link reported once (also when reached twice)
                        self._links_told.add(link)
                        yield Entry(e.path, os.path.abspath(e.path),
                                    skip=f"symbolic link to {target}, outside {abs_root}: not followed "
                                         "(--follow-links to follow it)")
                    else:
                        self.excluded += 1
                    continue
                try:
                    st = e.stat()  # follows symbolic links (inside the folder)
                except OSError as ex:
                    if e.is_symlink():
                        self.excluded += 1  # a dangling link inside a folder: nothing to read
                        continue
                    yield Entry(e.path, os.path.abspath(e.path), error=_reason(ex))
                    continue
                if _stat.S_ISDIR(st.st_mode):
                    key = (st.st_dev, st.st_ino)
                    if self.recursive and key not in self._seen_dirs and not _matches(self.exclude, name, erel):
                        self._seen_dirs.add(key)  # a symlink loop, or a folder reached twice, ends here
                        subdirs.append((e.path, erel))
                    continue
                if not self._wanted(name, erel):
                    self.excluded += 1
                    continue
                if not _stat.S_ISREG(st.st_mode):
                    yield Entry(e.path, os.path.abspath(e.path), skip=f"not a regular file ({file_kind(st.st_mode)})")
                    continue
                if st.st_size == 0:
                    self.empty += 1
                    continue
                yield from self._file(e.path, st, explicit=False, name=name, rel=erel, root=abs_root)
            stack.extend(reversed(subdirs))


def file_kind(mode: int) -> str:
    from .fsafe import kind

    return kind(mode)


def _hidden_in(pattern: str) -> bool:
    """A pattern that itself names hidden entries (``.*``, ``notes/.drafts/*``) takes them."""
    return any(part.startswith(".") and part not in (".", "..") for part in pattern.split(os.sep))


def _reason(e: BaseException) -> str:
    if isinstance(e, FileNotFoundError):
        return "no such file"
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, ValueError):
        return "invalid file name"
    if isinstance(e, OSError):
        return (e.strerror or str(e) or type(e).__name__).lower()
    return str(e)


def expand(paths: Iterable[str], *, recursive: bool = True, include: Iterable[str] = (),
           exclude: Iterable[str] = (), hidden: bool = False, follow_links: bool = False) -> list[Entry]:
    """All entries for ``paths`` (a convenience around :class:`Walker`)."""
    return list(Walker(recursive=recursive, include=include, exclude=exclude, hidden=hidden,
                       follow_links=follow_links).expand(paths))
