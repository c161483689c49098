"""`brief open`: the original file of a brief, and the system's program to open it.

The opener is ``$BRIEF_OPENER`` when set (a command line, split like a shell would; the path
is added as its last argument: ``BRIEF_OPENER="evince"``, ``BRIEF_OPENER="code -r"``), else
``xdg-open`` (Linux and other Unix), ``open`` (macOS) or the file's association (Windows). It
is started in its own session and not waited for beyond a moment: a viewer that keeps
running does not hold the terminal, one that fails at once is reported.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

from .models import Brief, BriefError

STDIN = "-"
WAIT_SECONDS = 1.5  # how long an opener that fails at once is waited for


@dataclass
class Original:
    brief: Brief
    path: str
    changed: bool  # the file is not the size/time it had when it was read


def original(archive, brief_id: str) -> Original:
    """The original file of a brief (id or unique prefix). Raises BriefError (exit 1) when there
    is none or it is gone, UsageError for an unknown id."""
    b = archive.get(archive.resolve(brief_id))
    src = b.source
    if not src or src == STDIN:
        raise BriefError(f"brief {b.id} was added from standard input: there is no file to open")
    try:
        st = os.stat(src)
    except FileNotFoundError:
        raise BriefError(f"brief {b.id}: its file is gone ({src}); 'brief sync' can remove briefs whose "
                         "files were deleted") from None
    except OSError as e:
        raise BriefError(f"brief {b.id}: its file {src} cannot be reached ({(e.strerror or str(e)).lower()})") from None
    changed = (b.source_size is not None and st.st_size != b.source_size) or (
        b.source_mtime_ns is not None and st.st_mtime_ns != b.source_mtime_ns)
    return Original(b, src, changed)


def opener_command(env=None) -> list[str]:
    """The command (without the path) that opens a file. Raises BriefError when there is none."""
    env = os.environ if env is None else env
    custom = (env.get("BRIEF_OPENER") or "").strip()
    if custom:
        try:
            cmd = shlex.split(custom)
        except ValueError as e:
            raise BriefError(f"BRIEF_OPENER cannot be read as a command ({e})") from None
        if not cmd:
            raise BriefError("BRIEF_OPENER is empty")
        return cmd
    if sys.platform == "darwin":  # pragma: no cover - platform specific
        return ["open"]
    if os.name == "nt":  # pragma: no cover - platform specific
        return []
    if shutil.which("xdg-open"):
        return ["xdg-open"]
    raise BriefError("no program to open files: install xdg-utils (xdg-open) or set BRIEF_OPENER "
                     "(e.g. BRIEF_OPENER=evince); 'brief open ID --print' prints the path")


def open_file(path: str, env=None) -> None:
    """Open ``path`` with :func:`opener_command`. Raises BriefError when the opener cannot be
    started or fails at once."""
    cmd = opener_command(env)
    if not cmd:  # pragma: no cover - Windows
        os.startfile(path)  # type: ignore[attr-defined]
        return
    try:
        p = subprocess.Popen(cmd + [path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError:
        raise BriefError(f"the opener {cmd[0]!r} was not found (check BRIEF_OPENER)") from None
    except OSError as e:
        raise BriefError(f"the opener {cmd[0]!r} cannot be started ({(e.strerror or str(e)).lower()})") from None
    try:
        rc = p.wait(WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        return  # still running: a viewer window
    if rc != 0:
        raise BriefError(f"the opener {cmd[0]!r} failed (exit status {rc}) on {path}")
