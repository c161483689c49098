"""The command server: `brief` read commands without the start-up cost (``brief server start``).

Most of a `brief search` on a big archive is spent before the search: the interpreter
importing Typer, Rich, Whoosh and brief's own modules (about as long as the search itself).
A server imports all of them once and waits on a Unix socket; for each command a `brief`
process hands it (brieftool/served.py: the commands of ``served.SERVED`` and ``add`` of a few
files) it forks a child, which takes the client's stdin, stdout and stderr (the descriptors
themselves), its working folder, environment and umask, runs the command exactly as `brief`
runs it and exits; the server sends the child's exit status back. Each command is its own
process, as before: nothing of one command is seen by the next, and the archive is read as
any `brief` process reads it (snapshots, locks). The one thing the server opens itself is the
newest generation of the archives its children read (engine/whoosh_warm.py): a child whose
archive has not changed since inherits it open, which is a third of a small search's time.

The design is Mercurial's ``chg`` command server's. Safety:
- the socket lives in a folder only its user can enter (``served.server_dir``), and a
  connection from another user is refused (SO_PEERCRED);
- a server serves only its own installation (``served.installation_key``), and refuses (the
  client then runs the command itself) once brief's code or its libraries changed on disk
  since it started, and then exits;
- it exits after ``idle`` seconds without a command (default 30 minutes), on ``brief server
  stop`` and on SIGTERM, after the commands it runs have finished;
- one server per installation: it holds a lock file for as long as it runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import select
import struct
import sys
import time

from . import served
from .engine import whoosh_warm

DEFAULT_IDLE = 30 * 60.0
START_TIMEOUT = 30.0
WARM_CHECK = 5.0  # seconds between checks that the archives kept open are still the newest


# -- what the server holds ------------------------------------------------------------------------
def preload() -> object:
    """Import everything the served commands use (and nothing else: no archive is opened, no
    console made); return the `brief` command, built (Typer builds it from the functions'
    signatures at every run: a third of a small command's time)."""
    import hmac  # noqa: F401
    import secrets  # noqa: F401

    from . import launch

    launch.ARGS = None  # every command module
    from typer.main import get_command

    from .cli import app

    from . import config, fsafe, query, render, search  # noqa: F401
    from .engine import whoosh, whoosh_integrity, whoosh_query, whoosh_search  # noqa: F401

    whoosh_search.preload()
    from .semantic import rank, store  # noqa: F401
    # `add` of a few files and `check`: their modules, and the recognisers' gazetteers and
    # patterns (extract() is pure: it reads no file of the user's and writes nothing)
    from . import extract, ingest, maintain, metadata_csv, names, walk  # noqa: F401
    from .engine import whoosh_maint  # noqa: F401
    from .readers import text as _text_reader  # noqa: F401

    extract.extract("Title: A brief\nAuthor: Jane Park\nDate: 2021-03-04\nTags: Trade\n\n"
                    "The Brookings Institution on tariffs and the World Trade Organization.\n", filename="brief.txt")

    import rich.console  # noqa: F401
    import rich.markup  # noqa: F401
    import rich.table  # noqa: F401
    import rich.text  # noqa: F401
    return get_command(app)


def _watched() -> list[str]:
    """The files and folders whose change means the server's code is not what is installed:
    brief's own modules, and the folders of the libraries it runs (an upgrade changes them)."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = []
    for root, dirs, files in os.walk(here):
        dirs[:] = [d for d in dirs if d != "__pycache__" and d != "data"]
        paths += [os.path.join(root, f) for f in files if f.endswith(".py")]
    for name in ("whoosh", "typer", "rich", "dateutil"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None):
            pkg = os.path.dirname(mod.__file__)
            paths += [pkg, os.path.dirname(pkg)]
    return sorted(set(paths))


def code_stamp(paths: list[str]) -> tuple:
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((p, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((p, None, None))
    return tuple(out)


# -- the child: one command ------------------------------------------------------------------------
def _run_child(command, req: dict, fds: list[int]) -> None:
    """In the forked child: become the client's `brief` process and run its command."""
    import io

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT, signal.SIGTSTP, signal.SIGCONT,
                signal.SIGWINCH):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(req["cwd"])
    os.umask(int(req.get("umask", 0o022)))
    os.environ.clear()
    os.environ.update(req["env"])
    time.tzset()
    try:
        import locale

        locale.setlocale(locale.LC_CTYPE, "")  # the client's, as Python's start-up sets it
    except Exception:
        pass
    streams = req["streams"]

    def text(fd: int, mode: str, facts: dict):
        raw = io.FileIO(fd, mode, closefd=False)
        tty = raw.isatty()
        buf = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        return io.TextIOWrapper(buf, encoding=facts["encoding"], errors=facts["errors"],
                                line_buffering=tty or (fd == 2), write_through=(fd == 2))

    sys.stdin, sys.stdout, sys.stderr = (text(0, "r", streams[0]), text(1, "w", streams[1]),
                                         text(2, "w", streams[2]))
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    argv = list(req["argv"])
    sys.argv = ["brief", *argv]
    from . import launch

    launch.ARGS = argv
    code = 0
    try:
        command.main(prog_name="brief")  # what Typer's app() runs, its error boundary included
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            sys.stderr.write(f"{e.code}\n")
            code = 1
    except BaseException as e:  # pragma: no cover - the app's own boundary catches everything
        sys.stderr.write(f"Error: internal error in the brief server ({type(e).__name__}: {e})\n")
        code = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os._exit(code & 0xFF)


# -- the server loop --------------------------------------------------------------------------------
class Server:
    def __init__(self, path: str, idle: float):
        self.path = path
        self.idle = idle
        self.started = time.time()
        self.served = 0
        self.children: dict[int, socket.socket] = {}
        self.stopping = False
        self.last = time.monotonic()

    def run(self) -> int:
        lock_fd = _take_lock(self.path)
        if lock_fd is None:
            sys.stderr.write(f"brief server: one is already running for {self.path}\n")
            return 0
        command = preload()
        watched = _watched()
        stamp = code_stamp(watched)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(self.path)
        finally:
            os.umask(old)
        inode = os.stat(self.path).st_ino
        listener.listen(64)
        os.pwrite(lock_fd, f"{os.getpid()} ready\n".encode(), 0)  # a `start` meanwhile waits for this (_lock_holder)
        listener.setblocking(False)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self.warm_r, self.warm_w = os.pipe()  # children name the archives they read: kept open for the next
        os.set_blocking(self.warm_r, False)
        os.set_blocking(self.warm_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *a: None)
        signal.signal(signal.SIGTERM, lambda *a: setattr(self, "stopping", True))
        signal.signal(signal.SIGINT, lambda *a: setattr(self, "stopping", True))
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, "accept")
        sel.register(wake_r, selectors.EVENT_READ, "wake")
        sel.register(self.warm_r, selectors.EVENT_READ, "warm")
        checked = time.monotonic()
        sys.stderr.write(f"brief server {os.getpid()} ready on {self.path}\n")
        sys.stderr.flush()
        try:
            while True:
                self._reap()
                if self.stopping and not self.children:
                    break
                if not self.children and time.monotonic() - self.last > self.idle:
                    break
                timeout = 1.0 if self.children or self.stopping else max(0.05, self.idle - (time.monotonic() - self.last))
                for key, _ in sel.select(min(timeout, WARM_CHECK)):
                    if key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            os.read(wake_r, 512)
                    elif key.data == "warm":
                        self._warm_asked()
                    elif not self.stopping:
                        self._accept(listener, command, stamp, watched, lambda: (
                            sel.close(), listener.close(), os.close(wake_r), os.close(wake_w), os.close(lock_fd),
                            os.close(self.warm_r)))
                if time.monotonic() - checked >= WARM_CHECK:
                    checked = time.monotonic()
                    for folder in whoosh_warm.revalidate():  # a commit replaced it: the newest, open
                        whoosh_warm.warm(folder)
        finally:
            whoosh_warm.close_all()
            sel.close()
            try:
                if os.stat(self.path).st_ino == inode:  # ours, not a newer server's
                    os.unlink(self.path)
            except OSError:
                pass
            listener.close()
        return 0

    def _accept(self, listener, command, stamp, watched, close_own) -> None:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.setblocking(True)
        conn.settimeout(10)
        fds: list[int] = []
        try:
            if not _same_user(conn):
                conn.close()
                return
            req = _read_request(conn)
            op = req.get("op")
            if op == "status":
                body = json.dumps(self.status()).encode()
                conn.sendall(served.REPLY.pack(b"S", len(body)) + body)
                conn.close()
                return
            if op == "stop":
                self.stopping = True
                conn.sendall(served.REPLY.pack(b"X", 0))
                conn.close()
                return
            fs = [sys.getfilesystemencoding(), sys.getfilesystemencodeerrors(), sys.flags.utf8_mode]
            changed = op == "run" and code_stamp(watched) != stamp
            if op != "run" or req.get("protocol") != served.PROTOCOL or req.get("fs") != fs or changed:
                if changed:
                    self.stopping = True  # brief was changed on disk: the next server runs the new code
                conn.sendall(served.REPLY.pack(b"R", 0))
                conn.close()
                return
            conn.sendall(served.REPLY.pack(b"A", 0))
            _, fds, _, _ = socket.recv_fds(conn, 1, 3)
            if len(fds) != 3:
                raise ValueError("no descriptors")
        except (OSError, ValueError, KeyError, TypeError):
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        pid = os.fork()
        if pid == 0:  # the child: none of the server's descriptors stay open in it
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                close_own()
                for other in self.children.values():
                    other.close()
                if select.select([conn], [], [], 0)[0]:  # the client gave up waiting (it runs the command itself)
                    os._exit(0)
                conn.close()
                whoosh_warm.sink = self._tell_warm
                _run_child(command, req, fds)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        self.served += 1
        self.children[pid] = conn
        try:
            conn.sendall(served.REPLY.pack(b"P", pid))
        except OSError:
            pass

    def _warm_asked(self) -> None:
        """Open the archives the children have read (and found no snapshot of) for the next."""
        data = b""
        with contextlib.suppress(BlockingIOError):
            while True:
                chunk = os.read(self.warm_r, 65536)
                if not chunk:
                    break
                data += chunk
        for folder in dict.fromkeys(p for p in data.split(b"\0") if p):
            whoosh_warm.warm(os.fsdecode(folder))

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            try:
                conn.sendall(served.REPLY.pack(b"X", os.waitstatus_to_exitcode(status)))
            except OSError:
                pass
            conn.close()
            self.last = time.monotonic()

    def _tell_warm(self, folder: str) -> None:
        """(In a child) ask the server to keep ``folder``'s archive open for the next child."""
        data = os.fsencode(folder) + b"\0"
        if len(data) <= select.PIPE_BUF:  # one write, whole or not at all (never blocks: a full pipe drops it)
            with contextlib.suppress(OSError):
                os.write(self.warm_w, data)

    def status(self) -> dict:
        return {"pid": os.getpid(), "socket": self.path, "started": self.started, "served": self.served,
                "running": len(self.children), "idle_timeout": self.idle,
                "idle_for": round(time.monotonic() - self.last, 1) if not self.children else 0.0,
                "commands": sorted(served.SERVED), "children_cpu": _children_cpu(), "archives_open": whoosh_warm.held(),
                "archives_opened": whoosh_warm.opened_count()}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the commands run and ended so far (bench/scale reads it)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round(ru.ru_utime + ru.ru_stime, 4)


def _take_lock(path: str) -> int | None:
    """The server's lock (held while it runs), with its pid written in it; None when taken."""
    import fcntl

    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _lock_holder(path: str) -> tuple[int, bool] | None:
    """(pid, ready) of the server holding the lock of ``path`` (it may not answer: an older
    brief's, or a hung one; ready once it listens, before that it is importing its modules);
    None when no server holds it."""
    import fcntl

    try:
        fd = os.open(path + ".lock", os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            pass  # held: by a server
        else:
            return None
        try:
            words = os.read(fd, 64).decode().split()
            pid = int(words[0])
        except (ValueError, IndexError):
            return None
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"brieftool.server" not in f.read():
                    return None
        except OSError:
            pass  # no /proc: trust the lock
        return pid, words[1:] == ["ready"]
    finally:
        os.close(fd)


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until process ``pid`` has ended; False when it still runs after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):  # gone (or, reused, not ours)
            return True
        time.sleep(0.02)
    return False


def _terminate(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)  # a stopped one too
    if not _wait_gone(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _read_request(conn: socket.socket) -> dict:
    """A request (served.send_request) from a client of this user's (checked before)."""
    data = conn.recv(1 << 16)
    if len(data) < served.HEADER.size:
        more = served.recv_exact(conn, served.HEADER.size - len(data))
        if more is None:
            raise ValueError("short request")
        data += more
    (n,) = served.HEADER.unpack(data[:served.HEADER.size])
    if n > 64 << 20:
        raise ValueError("request too long")
    body = data[served.HEADER.size:]
    if len(body) < n:
        more = served.recv_exact(conn, n - len(body))
        if more is None:
            raise ValueError("short request")
        body += more
    import marshal

    req = marshal.loads(body)
    if not isinstance(req, dict):
        raise ValueError("not a request")
    return req


# -- control: start, stop, status --------------------------------------------------------------------
class ServerError(Exception):
    pass


def _ensure_dir(d: str) -> None:
    try:
        os.makedirs(d, mode=0o700, exist_ok=True)
    except OSError as e:
        raise ServerError(f"{d}: cannot create the server's folder ({(e.strerror or str(e)).lower()})") from None
    st = os.lstat(d)
    import stat

    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise ServerError(f"{d}: the server's folder is not a folder of this user's")
    if st.st_mode & 0o077:
        os.chmod(d, 0o700)


def _ask(op: str, timeout: float = 5.0) -> tuple[bytes, int, bytes] | None:
    s = served.connect(timeout=timeout)
    if s is None:
        return None
    try:
        served.send_request(s, {"op": op, "protocol": served.PROTOCOL})
        head = served.recv_exact(s, served.REPLY.size)
        if head is None:
            return None
        kind, n = served.REPLY.unpack(head)
        body = served.recv_exact(s, n) if kind == b"S" and n else b""
        return kind, n, body or b""
    except OSError:
        return None
    finally:
        s.close()


def status() -> dict | None:
    """The running server's facts, or None when none runs."""
    got = _ask("status")
    if got is None or got[0] != b"S":
        return None
    return json.loads(got[2])


def start(idle: float = DEFAULT_IDLE) -> dict:
    """Start this installation's server (in the background) unless one runs; its status."""
    have = status()
    if have is not None:
        return dict(have, already=True)
    path = served.socket_path()
    def locked() -> bool:
        return _lock_holder(path) is not None

    held = _lock_holder(path)
    if held is not None and not held[1]:  # one starting (another `start`): it answers within seconds
        have = _wait_status(START_TIMEOUT, locked)
        if have is not None:
            return dict(have, already=True)
        held = _lock_holder(path)
    if held is not None:  # a server that does not answer (an older brief's, a hung one): it makes way
        _terminate(held[0], 10.0)
    if len(path.encode()) > 100:
        raise ServerError(f"{path}: the socket path is too long for a Unix socket (set BRIEF_SERVER_DIR to a "
                          "short folder)")
    _ensure_dir(os.path.dirname(path))
    import subprocess

    log = path[:-len(".sock")] + ".log"
    with open(log, "wb") as out:
        p = subprocess.Popen(served.python_running("brieftool.server", ["--socket", path, "--idle", str(idle)]),
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                             close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    have = _wait_status(START_TIMEOUT, lambda: p.poll() is None)
    if have is not None:
        return dict(have, already=have.get("pid") != p.pid)
    if p.poll() is not None:  # another start's server took the lock first: that one serves
        have = _wait_status(max(0.0, deadline - time.monotonic()), locked)
        if have is not None:
            return dict(have, already=True)
        raise ServerError(f"the brief server did not start: {_last_line(log) or f'exit status {p.returncode}'}")
    p.terminate()
    raise ServerError(f"the brief server did not start within {START_TIMEOUT:.0f} s (see {log})")


def _wait_status(timeout: float, starting) -> dict | None:
    """The status of this installation's server once it answers; None if none does within
    ``timeout`` s or once ``starting()`` says the one that was starting has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        have = status()
        if have is not None:
            return have
        if not starting():
            return status()
        time.sleep(0.02)
    return None


def _last_line(path: str) -> str:
    try:
        with open(path, "rb") as f:
            lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def stop(timeout: float = 30.0) -> dict | None:
    """Ask the running server to stop (after the commands it runs); its last status, or None."""
    have = status()
    if have is None:
        held = _lock_holder(served.socket_path())
        if held is None:
            return None
        _terminate(held[0], timeout)  # one that does not answer (an older brief's): SIGTERM
        return {"pid": held[0], "served": 0, "answered": False}
    _ask("stop")
    _wait_gone(have["pid"], timeout)
    return have


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m brieftool.server", description="The brief command server "
                                 "(start it with 'brief server start').")
    ap.add_argument("--socket", default=None)
    ap.add_argument("--idle", type=float, default=DEFAULT_IDLE, help="seconds without a command before it exits")
    a = ap.parse_args(argv)
    path = a.socket or served.socket_path()
    _ensure_dir(os.path.dirname(path))
    return Server(path, a.idle).run()


if __name__ == "__main__":
    sys.exit(main())
