"""Whoosh's sub-writer processes, started from a small process instead of forked from brief's.

Whoosh's multi-process writer (``procs=2, multisegment=True``, used by bulk adds) forks its
sub-writers from the process that writes, once per commit. In a long `brief add` that process
holds the run's file list, its key sets and the batch in flight, and a forked child counts all
of it as its own resident memory (and copies the pages its garbage collector touches): the
sub-writers of a 20,000-file add were the run's largest processes, and grew with the run.

Here they are started by a fork server (``multiprocessing``'s ``forkserver``: one small Python
process, started once, that has imported this module and Whoosh and forks each sub-writer),
so a sub-writer holds only Whoosh's own work, whatever the size of the run. The fork server
ends when brief does; a sub-writer whose fork server ended is killed (``PR_SET_PDEATHSIG``), so
a killed `brief add` leaves no process behind. Where the fork server cannot start, Whoosh's
own fork is used.

It leans on two private names of ``multiprocessing.forkserver`` (``_forkserver._stop()``, and
``_forkserver_alive_fd`` in a child), there since Python 3.4 and 3.8; a test kills `brief add`
while sub-writers work and checks that no process is left.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import types

from whoosh.multiproc import MpWriter, SubWriterTask

_CTX = None
_FAILED = False
_RUNNING = False


def _context():
    """The fork server's context (the server started if it is not running), or None where it
    cannot run."""
    global _CTX, _FAILED, _RUNNING
    if _FAILED:
        return None
    if not _RUNNING:
        try:
            import multiprocessing
            from multiprocessing import forkserver

            ctx = multiprocessing.get_context("forkserver")
            # The server imports brief's engine module (Whoosh and brief's changes to it, which
            # the sub-writers must share) once; each sub-writer is a fork of it.
            forkserver.set_forkserver_preload([__name__.rsplit(".", 1)[0] + ".whoosh"])
            forkserver.ensure_running()
            _CTX, _RUNNING = ctx, True
        except Exception:  # no fork server here (an odd platform, no sys.executable...)
            _FAILED = True
            return None
    return _CTX


class ServedSubWriter(SubWriterTask):
    """Whoosh's sub-writer task, started by the fork server."""

    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj):
        from multiprocessing.popen_forkserver import Popen

        return Popen(process_obj)

    def run(self):
        import os

        with contextlib.suppress(Exception):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is brief's to handle
        # The fork server hands each child brief's end of the pipe that keeps the server alive;
        # held here, it would keep the server (and so this process) alive after brief died.
        from multiprocessing import forkserver

        with contextlib.suppress(Exception):
            fd, forkserver._forkserver._forkserver_alive_fd = forkserver._forkserver._forkserver_alive_fd, None
            if fd is not None:
                os.close(fd)
        if sys.platform.startswith("linux"):
            with contextlib.suppress(Exception):
                import ctypes

                parent = os.getppid()
                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                if os.getppid() != parent:  # the fork server ended before the line above
                    os._exit(1)
        super().run()


def _new_task(self):
    task = ServedSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                           self.multisegment)
    self.tasks.append(task)
    task.start()
    return task


def serve(w):
    """Have the multi-process writer ``w`` (before it has started a sub-writer) start its
    sub-writers from the fork server; any other writer is returned as it is."""
    if not isinstance(w, MpWriter) or w.tasks or not sys.platform.startswith("linux"):
        return w
    ctx = _context()
    if ctx is None:
        return w
    w.jobqueue = ctx.Queue(w.procs * 4)
    w.resultqueue = ctx.Queue()
    w._new_task = types.MethodType(_new_task, w)
    return w


def stop() -> None:
    """End the fork server, if one was started, and wait for it (so that its sub-writers' time
    and memory count as this process's children's, as with Whoosh's own fork). The next
    writer that needs one starts it again."""
    global _RUNNING
    if not _RUNNING:
        return
    _RUNNING = False
    from multiprocessing import forkserver

    with contextlib.suppress(Exception):
        forkserver._forkserver._stop()
