"""Opening and writing files without surprises.

* :func:`open_read` (or the built-in ``open()`` with :func:`nonblocking_opener`, then
  :func:`settle`): open a file for reading without ever blocking in ``open()`` (a FIFO with
  no writer blocks a plain open forever; a device may act on being opened): ``O_NONBLOCK |
  O_NOCTTY``, then ``fstat`` of what was actually opened: a regular file, or a pipe when
  ``fifo_ok``, is read as usual; anything else is refused. An unnamed pipe (``<(cmd)``, a
  piped ``/dev/stdin``) has its writer: it is read however slow. A named pipe (``mkfifo``)
  gets ``FIFO_WAIT`` seconds for a writer to appear, then fails with the reason.
* :func:`write_new`: create a file brief writes inside the archive (``brief.json.tmp`` and
  the like) exclusively and without following a symbolic link planted under its name
  (``O_CREAT | O_EXCL | O_NOFOLLOW``); a leftover of an earlier run is removed first (the
  name itself, never what a link points to).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat as _stat
from pathlib import Path

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

_KINDS = {_stat.S_IFIFO: "FIFO", _stat.S_IFSOCK: "socket", _stat.S_IFCHR: "character device",
          _stat.S_IFBLK: "block device", _stat.S_IFDIR: "folder"}


def kind(mode: int) -> str:
    return _KINDS.get(_stat.S_IFMT(mode), "special file")


class NotRegular(OSError):
    """What was opened is not a file brief reads (a device, a socket, a folder)."""


FIFO_WAIT = 2.0  # seconds a named pipe may take to get a writer (or its first bytes)


def _anonymous_pipe(fd: int) -> bool:
    """A pipe with no name (``<(cmd)``, a piped /dev/stdin): it has its writer already."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    except OSError:
        return False


def _wait_readable(fd: int, seconds: float) -> bool:
    import select

    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLHUP)
    return bool(p.poll(int(seconds * 1000)))


def nonblocking_opener(path, flags: int) -> int:
    """An ``opener`` for the built-in ``open()``: never blocks (O_NONBLOCK), never makes a
    terminal the controlling one (O_NOCTTY). Follow with :func:`settle`."""
    return os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY | _O_CLOEXEC)


def settle(f, *, fifo_ok: bool = True) -> os.stat_result:
    """Check what ``f`` (opened with :func:`nonblocking_opener`) really is, make its reads
    blocking again, and return its ``fstat``. Raises :class:`NotRegular` for what is not a
    regular file or an allowed FIFO."""
    fd = f.fileno()
    st = os.fstat(fd)
    mode = st.st_mode
    if _stat.S_ISDIR(mode):
        raise NotRegular(21, "is a directory")
    if not (_stat.S_ISREG(mode) or (fifo_ok and _stat.S_ISFIFO(mode))):
        raise NotRegular(0, f"not a regular file ({kind(mode)})")
    if _stat.S_ISFIFO(mode) and not _anonymous_pipe(fd) and not _wait_readable(fd, FIFO_WAIT):
        raise NotRegular(0, f"a FIFO (named pipe) with nothing writing to it (waited {FIFO_WAIT:g} s)")
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)  # reads wait for a FIFO's writer
    return st


def open_read(path, *, fifo_ok: bool = True):
    """A binary file object for ``path``, opened without blocking; see the module docstring."""
    f = open(path, "rb", opener=nonblocking_opener)
    try:
        settle(f, fifo_ok=fifo_ok)
    except BaseException:
        f.close()
        raise
    return f


def write_new(path: Path | str, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to a new file at ``path``: created exclusively, never through a link."""
    path = os.fspath(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        os.unlink(path)  # a leftover (or a planted link): the name goes, not its target
        fd = os.open(path, flags, mode)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_private(path: Path | str, data: bytes) -> None:
    """Write ``path`` atomically: ``path.tmp`` by :func:`write_new`, then renamed over it
    (a rename replaces a link at ``path`` itself, never its target)."""
    path = os.fspath(path)
    tmp = path + ".tmp"
    write_new(tmp, data)
    os.replace(tmp, path)


def remove_tree(path: Path | str) -> None:
    """Remove a work folder of brief's; a symbolic link in its place is removed as a link."""
    import shutil

    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if _stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def sha256_file(path: Path | str) -> str:
    """The sha256 of a file's bytes, read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_path(path: Path | str, *, directory: bool = False) -> None:
    """Flush a file (or a folder's entries) to disk; best effort, never raises."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
