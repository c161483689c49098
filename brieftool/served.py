"""The client half of the command server (``brief server start``: brieftool/server.py).

A `brief` process whose command only reads the archive (search, list, show, ...) first looks
for a running server of this installation. If there is one, the command line, the working
folder, the environment and the process's own stdin/stdout/stderr (the descriptors
themselves, passed over the Unix socket) go to it; the server forks a child that has every
module imported already and runs the command exactly as `brief` would, writing straight to
this process's terminal or pipe, and this process exits with the child's status. Ctrl-C and
other signals are passed on to the child. Without a server (or when anything about it is
off) the command runs here, as it always has: the look-up costs one failed ``connect``.

Only built-in modules are imported here (``_socket``, not ``socket``; ``marshal``, not
``json``): this is on the path of every `brief` command, and a served command's whole cost
on this side is the interpreter's start. Both sides are the same interpreter (see
``installation_key``), so ``marshal`` is a safe format between them.
"""

from __future__ import annotations

import _socket
import marshal
import os
import struct
import sys

# The commands a server runs: those that only read the archive and start nothing of their own,
# and `check` (it reads every record; it changes nothing) ...
SERVED = frozenset({"search", "list", "show", "similar", "stats", "tags", "authors", "orgs", "trend", "cite",
                    "check"})
# ... and `brief add` of a few files (``few_files``): adding one new file to a big archive is
# mostly start-up. An add of folders, globs or standard input runs in its own process: its
# start-up is a small share of it, and a `kill -9` of that `brief` then stops the add itself.
FEW_FILES = 8
# The options of `brief add` that take a value (tests/test_server.py checks them against the command).
ADD_VALUE_OPTIONS = frozenset({"--title", "--author", "--date", "--tag", "--type", "--org", "--include", "--exclude",
                               "--metadata", "--key-column", "--column", "--batch-size", "--jobs", "-j"})
ROOT_VALUE_OPTIONS = ("--index", "--lock-timeout")  # the root options that take a value (cli/app.py too)
PROTOCOL = 1
FIRST_REPLY_TIMEOUT = 5.0  # seconds: a server answers within milliseconds
HEADER = struct.Struct("!I")  # the length of the JSON request that follows
# b"A": accepted, send the descriptors; b"P" + the child's pid; b"X" + its exit status; b"R": refused
REPLY = struct.Struct("!ci")


def command_index(args: list[str]) -> int:
    """Where the command a command line names is (after the root options); len(args) if none."""
    i = 0
    while i < len(args):
        a = args[i]
        if a in ROOT_VALUE_OPTIONS:
            i += 2
        elif a.startswith("-"):
            i += 1
        else:
            return i
    return len(args)


def command_of(args: list[str]) -> str | None:
    """The command a command line names, or None."""
    i = command_index(args)
    return args[i] if i < len(args) else None


def few_files(args: list[str]) -> bool:
    """The arguments after ``add`` name 1 to FEW_FILES regular files (the client's folder's
    relative paths) and nothing else to read: no folder, glob, ``-`` or missing path."""
    n = 0
    i = 0
    options = True
    while i < len(args):
        a = args[i]
        i += 1
        if a == "-":
            return False  # standard input
        if options and a == "--":
            options = False
        elif options and a.startswith("-"):
            if a in ADD_VALUE_OPTIONS:
                i += 1  # its value (--tag=X and -j4 are one argument)
        else:
            try:
                st = os.stat(a)
            except (OSError, ValueError):
                return False
            if (st.st_mode & 0o170000) != 0o100000:
                return False
            n += 1
            if n > FEW_FILES:
                return False
    return n > 0


def server_dir() -> str:
    """Where this user's servers keep their sockets: $BRIEF_SERVER_DIR, else
    $XDG_RUNTIME_DIR/brief, else /tmp/brief-UID (the folder is the user's own, mode 0700)."""
    d = os.environ.get("BRIEF_SERVER_DIR")
    if d:
        return d
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run and os.path.isdir(run):
        return os.path.join(run, "brief")
    return f"/tmp/brief-{os.getuid()}"


def installation_key() -> str:
    """One server per installation (interpreter + brieftool package): a server never runs the
    commands of another installation's code."""
    import zlib

    here = os.path.dirname(os.path.abspath(__file__))
    return f"{zlib.crc32(f'{os.path.realpath(sys.executable)}|{here}'.encode()):08x}"


def socket_path() -> str:
    return os.path.join(server_dir(), f"server-{installation_key()}.sock")


def _safe_dir(d: str) -> bool:
    """The socket folder belongs to this user and no one else can enter it."""
    try:
        st = os.lstat(d)
    except OSError:
        return False
    is_dir = (st.st_mode & 0o170000) == 0o040000
    return is_dir and st.st_uid == os.getuid() and not st.st_mode & 0o077


def connect(path: str | None = None, timeout: float | None = None):
    """A connection (a ``_socket.socket``) to this installation's server, or None when none runs."""
    path = path or socket_path()
    if len(path.encode()) > 100 or not _safe_dir(os.path.dirname(path)):
        return None
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    return s


def send_request(s, request: dict) -> None:
    """One request: its length, then the marshalled dict."""
    body = marshal.dumps(request)
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[s.send(data):]


def recv_exact(s, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except InterruptedError:  # pragma: no cover - Python retries recv itself (PEP 475)
            continue
        if not chunk:
            return None
        buf += chunk
    return buf


def python_running(module: str, args: list[str]) -> list[str]:
    """The command line of ``python -m MODULE ARGS`` run with this process's own ``sys.path``, so
    that it imports the brieftool this process runs: a plain ``-m`` puts the working folder
    first, and in a checkout of brief that is another brieftool than the installed one (with
    another installation key: its server would never be found)."""
    code = (f"import sys, runpy; sys.path[:] = {sys.path!r}; "
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)")
    return [sys.executable, "-c", code, *args]


AUTO_GAP = 60.0  # BRIEF_SERVER=auto: seconds between two attempts to start a server


def auto_start() -> bool:
    """BRIEF_SERVER=auto and no server answered: start one in the background (`brief server
    start`, detached, its output discarded) for the commands after this one, which runs here
    as it is. At most one attempt a minute (a mark file beside the socket), so commands run
    while one starts, or where none can start, do not start more. True when one was started."""
    import time

    path = socket_path()
    d = os.path.dirname(path)
    mark = path[:-len(".sock")] + ".auto"
    try:
        os.makedirs(d, 0o700, exist_ok=True)
        if not _safe_dir(d):
            return False
        try:
            if time.time() - os.stat(mark).st_mtime < AUTO_GAP:
                return False
        except FileNotFoundError:
            pass
        os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600))
        os.utime(mark)
        null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        argv = python_running("brieftool", ["server", "start"])
        os.posix_spawn(argv[0], argv, os.environ, file_actions=null, setsid=True)
    except (OSError, ValueError):
        return False
    return True


def _stream_facts(f, fd: int) -> dict | None:
    try:
        os.fstat(fd)
    except OSError:
        return None  # a closed stdin/stdout/stderr: the command runs here, as it always did
    return {"encoding": getattr(f, "encoding", None) or "utf-8", "errors": getattr(f, "errors", None) or "strict"}


def try_served(args: list[str]) -> int | None:
    """Run the command on this installation's server and return its exit status, or None when
    it is to run in this process (no server, not a served command, BRIEF_SERVER=off, ...)."""
    i = command_index(args)
    cmd = args[i] if i < len(args) else None
    if cmd == "add":
        if not few_files(args[i + 1:]):
            return None
    elif cmd not in SERVED:
        return None
    mode = os.environ.get("BRIEF_SERVER", "").lower()
    if mode in ("off", "0", "no", "false"):
        return None
    if cmd == "show" and os.isatty(1):
        return None  # it may start a pager, which needs the terminal as its own: run it here
    streams = [_stream_facts(f, fd) for f, fd in ((sys.stdin, 0), (sys.stdout, 1), (sys.stderr, 2))]
    if None in streams:
        return None
    s = connect()
    if s is None:
        if mode == "auto":
            auto_start()
        return None
    try:
        return _served(s, args, streams)
    finally:
        s.close()


def _served(s, args: list[str], streams: list[dict]) -> int | None:
    import signal

    mask = os.umask(0o022)
    os.umask(mask)
    try:
        request = {"op": "run", "protocol": PROTOCOL, "argv": args, "cwd": os.getcwd(), "env": dict(os.environ),
                   "umask": mask, "streams": streams,
                   "fs": [sys.getfilesystemencoding(), sys.getfilesystemencodeerrors(), sys.flags.utf8_mode]}
        send_request(s, request)
        # A server that does not answer (stopped, hung) is not waited for; and our stdin, stdout
        # and stderr go only to one that answered (descriptors in flight to a hung server would
        # keep a pipe open after this process ended: `brief list | wc` would never end).
        s.settimeout(FIRST_REPLY_TIMEOUT)
        first = recv_exact(s, REPLY.size)
        if first is None or REPLY.unpack(first)[0] != b"A":
            return None  # refused (its code changed since it started, ...): run it here
        s.sendmsg([b"F"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("3i", 0, 1, 2))])
        first = recv_exact(s, REPLY.size)
        s.settimeout(None)
    except (OSError, UnicodeError):
        return None  # the server went away before it started anything (or no cwd): run it here
    if first is None:
        return None
    kind, pid = REPLY.unpack(first)
    if kind != b"P":
        return None  # refused (its code changed since it started, ...): run it here
    # From here the child runs the command with our stdin/stdout/stderr; signals are for it.
    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass
        if signum == signal.SIGTSTP:  # Ctrl-Z: the child stops, and so does this process (the shell's job)
            os.kill(os.getpid(), signal.SIGSTOP)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGTSTP, signal.SIGCONT,
                signal.SIGWINCH):
        try:
            signal.signal(sig, forward)
        except (OSError, ValueError):  # pragma: no cover - not settable here
            pass
    try:
        last = recv_exact(s, REPLY.size)
    except OSError:
        last = None
    if last is None:
        os.write(2, b"Error: the brief server stopped while it ran this command; 'brief server stop' and run it again\n")
        return 1
    kind, status = REPLY.unpack(last)
    if status < 0:  # the child ended by a signal: end the same way, as a shell expects
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        return 128 - status
    return status
