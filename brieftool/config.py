"""The user's configuration file: ``$XDG_CONFIG_HOME/brief/config.toml`` (``$BRIEF_CONFIG`` overrides).

Every setting is found in this order, the first that is set wins::

    command-line option  >  environment variable  >  config file  >  built-in default

=============  ======================  ===========================  ===============================
key            option                  environment                  default
=============  ======================  ===========================  ===============================
index          --index DIR             BRIEF_INDEX                  ~/.local/share/brief/archive
lock-timeout   --lock-timeout SECONDS  BRIEF_LOCK_TIMEOUT           30
pager          show --no-pager         BRIEF_PAGER, PAGER           the system pager (less)
date-order     (none)                  BRIEF_DATE_ORDER             mdy (03/04/2019 = March 4)
cite-style     cite --style            BRIEF_CITE_STYLE             apa
color          (none)                  NO_COLOR, FORCE_COLOR        auto (colour on a terminal)
=============  ======================  ===========================  ===============================

A file that cannot be read, or a key with a bad value, is one error line naming the file and
the key; an unknown key is a warning (a newer brief may know it). ``brief config set`` edits
one line of the file in place (comments and other keys are kept) and writes it atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .models import UsageError

DATE_ORDERS = ("mdy", "dmy")
COLORS = ("auto", "always", "never")
CITE_STYLES = ("apa", "chicago", "mla", "bibtex", "ris", "csl-json")


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # "path", "seconds", "text", or "choice"
    env: tuple[str, ...]
    default: object
    help: str
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("index", "path", ("BRIEF_INDEX",), None, "the archive folder used when --index is not given"),
    Key("lock-timeout", "seconds", ("BRIEF_LOCK_TIMEOUT",), 30.0,
        "seconds a change waits for another brief process that is writing"),
    Key("pager", "text", ("BRIEF_PAGER", "PAGER"), None, "the command that pages long output (e.g. 'less -R')"),
    Key("date-order", "choice", ("BRIEF_DATE_ORDER",), "mdy",
        "how an ambiguous numeric date such as 03/04/2019 is read: mdy (March 4) or dmy (3 April)", DATE_ORDERS),
    Key("cite-style", "choice", ("BRIEF_CITE_STYLE",), "apa", "the default style of 'brief cite'", CITE_STYLES),
    Key("color", "choice", ("NO_COLOR", "FORCE_COLOR"), "auto", "colour in the terminal: auto, always or never",
        COLORS),
)}


def config_path() -> Path:
    """``$BRIEF_CONFIG``, else ``$XDG_CONFIG_HOME/brief/config.toml`` (``~/.config`` by default)."""
    env = os.environ.get("BRIEF_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "brief" / "config.toml"


def check_value(key: str, value, *, where: str = "") -> object:
    """A value for ``key`` as brief uses it; UsageError naming the key when it is not valid."""
    k = KEYS.get(key)
    if k is None:
        raise UsageError(f"{where}unknown config key {key!r} (known: {', '.join(KEYS)})")
    if k.kind == "seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise UsageError(f"{where}{key} must be a number of seconds, not {value!r}")
        try:
            v = float(value)
        except ValueError:
            raise UsageError(f"{where}{key} must be a number of seconds, not {value!r}") from None
        if not v >= 0 or v == float("inf"):
            raise UsageError(f"{where}{key} must be 0 or more seconds, not {value!r}")
        return v
    if not isinstance(value, str):
        raise UsageError(f"{where}{key} must be a string, not {value!r}")
    if k.kind == "choice":
        v = value.strip().lower()
        if v not in k.choices:
            raise UsageError(f"{where}{key} must be one of {', '.join(k.choices)}, not {value!r}")
        return v
    if not value.strip():
        raise UsageError(f"{where}{key} is empty")
    return value


def read_file(path: Path | None = None) -> dict:
    """The config file's settings (checked), or {} when there is none.

    Raises UsageError naming the file and the key (or the line of a TOML syntax error)."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise UsageError(f"config file {path}: is a folder") from None
    except OSError as e:
        raise UsageError(f"config file {path}: {(e.strerror or str(e)).lower()}") from None
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"config file {path}: not valid TOML ({e})") from None
    out = {}
    for key, value in data.items():
        if key not in KEYS:
            from . import render

            render.warn(f"config file {path}: unknown key {key!r} ignored (known: {', '.join(KEYS)})")
            continue
        out[key] = check_value(key, value, where=f"config file {path}: ")
    return out


@dataclass
class Config:
    """The settings in force: the file's values, looked up with the environment above them."""

    file: dict
    path: Path

    def from_env(self, key: str) -> str | None:
        for var in KEYS[key].env:
            v = os.environ.get(var)
            if v:
                return v
        return None

    def get(self, key: str):
        """The value of ``key`` from the environment, else the file, else the default (options
        are applied by the caller, above all of these)."""
        env = self.from_env(key)
        if env is not None:
            if key == "color":
                return "never" if os.environ.get("NO_COLOR") else "always"
            return check_value(key, env, where=f"${[v for v in KEYS[key].env if os.environ.get(v)][0]}: ")
        if key in self.file:
            return self.file[key]
        return KEYS[key].default

    def source(self, key: str) -> str:
        """Where the value in force comes from: 'environment ($X)', 'config file' or 'default'."""
        for var in KEYS[key].env:
            if os.environ.get(var):
                return f"environment (${var})"
        return "config file" if key in self.file else "default"


_current: Config | None = None


def load(path: Path | None = None) -> Config:
    """Read the config file (a few hundred bytes: read afresh by every command) and keep it as
    the config in force."""
    global _current
    path = path or config_path()
    _current = Config(read_file(path), path)
    return _current


def current() -> Config:
    """The config in force, or the defaults (with the environment) when none was loaded."""
    return _current if _current is not None else Config({}, config_path())


def reset() -> None:
    global _current
    _current = None


def date_order() -> str:
    """mdy or dmy: how an ambiguous numeric date given by the user is read."""
    try:
        return current().get("date-order")
    except UsageError:
        return "mdy"


def apply_environment(cfg: Config) -> None:
    """Settings that reach libraries through the environment: the pager and colour (only when
    the environment does not already say, so that it keeps its place above the file)."""
    pager = cfg.file.get("pager")
    if pager and not os.environ.get("BRIEF_PAGER") and not os.environ.get("PAGER"):
        os.environ["PAGER"] = pager
    elif os.environ.get("BRIEF_PAGER"):
        os.environ["PAGER"] = os.environ["BRIEF_PAGER"]
    color = cfg.file.get("color")
    if color and not os.environ.get("NO_COLOR") and not os.environ.get("FORCE_COLOR"):
        if color == "never":
            os.environ["NO_COLOR"] = "1"
        elif color == "always":
            os.environ["FORCE_COLOR"] = "1"


# -- writing -------------------------------------------------------------------------------------
def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string uses JSON's escapes


def set_value(key: str, value: str, path: Path | None = None) -> tuple[Path, object, object]:
    """Set ``key`` in the config file (creating it). Returns (path, old value or None, new value).

    Only the key's own line changes (or a line is added); the file is replaced atomically."""
    path = path or config_path()
    new = check_value(key, value)
    if KEYS[key].kind == "path":
        new = str(Path(str(new)).expanduser().resolve())
    old_values = read_file(path)  # a broken file is reported, not overwritten
    old = old_values.get(key)
    try:
        lines = path.read_text("utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    line = f"{key} = {toml_value(new)}\n"
    pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    for i, ln in enumerate(lines):
        if ln.lstrip().startswith("["):
            lines.insert(i, line)  # before the first table: top-level keys must come first
            break
        if pat.match(ln):
            lines[i] = line
            break
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(line)
    write_atomic(path, "".join(lines))
    reset()
    return path, old, new


def unset_value(key: str, path: Path | None = None) -> tuple[Path, object]:
    """Remove ``key`` from the config file; returns (path, the old value or None)."""
    path = path or config_path()
    if key not in KEYS:
        raise UsageError(f"unknown config key {key!r} (known: {', '.join(KEYS)})")
    old = read_file(path).get(key)
    if old is None:
        return path, None
    pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    lines = [ln for ln in path.read_text("utf-8").splitlines(keepends=True) if not pat.match(ln)]
    write_atomic(path, "".join(lines))
    reset()
    return path, old


def write_atomic(path: Path, text: str) -> None:
    """Write a small file whole or not at all: a temporary file in the same folder, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
