"""The `brief` app: the root options and the one error boundary every command runs inside.

Kept thin and quick to start: Whoosh and the heavier modules are imported inside the
commands that need them. Every expected failure ends as one 'Error: ...' line on stderr
(exit 1 when some input failed, 2 for usage errors); a broken pipe or Ctrl-C ends quietly.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older typer on real click
    from click import exceptions as _cx

from .. import __version__
from ..models import BriefError, UsageError
from ..served import ROOT_VALUE_OPTIONS, command_index


# The order of `brief --help`: the everyday commands first, then the rest alphabetically.
COMMAND_ORDER = ("add", "sync", "search", "list", "show", "similar", "tag", "edit", "remove",
                 "tags", "authors", "orgs", "stats")


class _ReaderGone(Exception):
    """stdout's reader went away: raised past click, whose own handler would exit with status 1."""


def hoist_root_options(args: list[str]) -> list[str]:
    """Let the root options come after the command too: ``brief list --index DIR`` is
    ``brief --index DIR list``. Only before a ``--`` (after it everything is the command's)."""
    i = command_index(args)  # past the root options already in front of the command
    if i >= len(args):
        return args
    moved, kept, j, rest = [], [], 0, args[i + 1:]
    while j < len(rest):
        a = rest[j]
        if a == "--":
            kept.extend(rest[j:])
            break
        if a in ROOT_VALUE_OPTIONS and j + 1 < len(rest):
            moved += [a, rest[j + 1]]
            j += 2
            continue
        if any(a.startswith(o + "=") for o in ROOT_VALUE_OPTIONS):
            moved.append(a)
        else:
            kept.append(a)
        j += 1
    return args[:i] + moved + [args[i]] + kept


class BriefGroup(TyperGroup):
    """Maps every expected failure to one line and a meaningful exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError as e:
            raise _ReaderGone() from e

    def list_commands(self, ctx) -> list[str]:
        names = list(self.commands)
        first = [n for n in COMMAND_ORDER if n in self.commands]
        return first + sorted(n for n in names if n not in first)

    QUERY_COMMANDS = ("search",)  # commands whose arguments are query words

    def _query_words_last(self, args: list[str]) -> list[str]:
        """`brief search sanctions -tag:draft --sort date`: an argument like ``-draft`` or
        ``-tag:draft`` is a word of the query (an exclusion), not an option (click would read
        ``-tag:draft`` as ``-t ag:draft``). The command's own options stay where they are; the
        query words go after a ``--``, in the order typed."""
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in ROOT_VALUE_OPTIONS else 1
        if i >= len(args) or args[i] not in self.QUERY_COMMANDS or args[i] not in self.commands:
            return args
        cmd = self.commands[args[i]]
        takes_value, flags = set(), set()
        for p in cmd.params:
            for o in list(getattr(p, "opts", ())) + list(getattr(p, "secondary_opts", ())):
                if o.startswith("-"):
                    (flags if getattr(p, "is_flag", False) or getattr(p, "count", False) else takes_value).add(o)
        opts, words, j, rest = [], [], 0, args[i + 1:]
        while j < len(rest):
            a = rest[j]
            if a == "--":
                words.extend(rest[j + 1:])
                break
            name = a.split("=", 1)[0]
            if a in takes_value:
                opts += rest[j:j + 2]
                j += 2
                continue
            if a in flags or (a.startswith("--") and name in takes_value) or a in ("-h", "--help"):
                opts.append(a)
            elif a.startswith("--"):
                opts.append(a)  # an unknown long option: click says so
            else:
                words.append(a)  # a word, or -word: the query
            j += 1
        return args[:i + 1] + opts + (["--"] + words if words else [])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from .. import render

        code = 0
        if args is None:
            args = sys.argv[1:]
        args = hoist_root_options(list(args))
        args = self._query_words_last(args)
        try:
            try:
                rv = super().main(args=args, prog_name=prog_name or "brief", complete_var=complete_var,
                                  standalone_mode=False, **extra)
            except (BriefError, _cx.ClickException, typer.Abort, typer.Exit, KeyboardInterrupt, BrokenPipeError, _ReaderGone,
                    PermissionError, SystemExit):
                raise
            except Exception as e:  # damage met while reading the index, or a bug: one line either way
                raise _unexpected(e) from None
            code = rv if isinstance(rv, int) else 0
        except _cx.UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `brief`: the help, as asked
                sys.stderr.write(e.format_message() + "\n")
                code = 0
            else:
                cmd = e.ctx.command_path if e.ctx else "brief"
                render.error(f"{e.format_message()} (see '{cmd} --help')")
                code = 2
        except _cx.ClickException as e:
            render.error(e.format_message())
            code = e.exit_code
        except (typer.Abort, getattr(_cx, "Abort", typer.Abort), KeyboardInterrupt, EOFError):
            render.err_console().print("Interrupted.", style="dim")
            code = 130
        except BriefError as e:
            render.error(e.message)
            code = e.exit_code
        except (BrokenPipeError, _ReaderGone):
            # The reader went away (brief list | head): end quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = 0
        except OSError as e:  # disk full, permission denied...: one line, never a traceback
            render.error(f"{e.filename}: {(e.strerror or str(e)).lower()}" if e.filename
                         else (e.strerror or str(e) or type(e).__name__).lower())
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


_INDEX: list = []  # the --index of this run, for messages about it


def _unexpected(e: BaseException) -> BaseException:
    """An exception no command expected, as one line: damage of the archive's index when it
    comes from the engine (Whoosh, or brief's engine module reading a record), else a bug."""
    import traceback

    if os.environ.get("BRIEF_DEBUG"):
        return e
    frames = [f.filename for f in traceback.extract_tb(e.__traceback__)]
    engine = any(f"{os.sep}whoosh{os.sep}" in f or f"{os.sep}engine{os.sep}whoosh" in f for f in frames)
    what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    if engine or type(e).__name__ in ("error", "UnpicklingError", "BadZipFile"):
        from ..engine.whoosh import damaged, default_index_dir

        return damaged(_INDEX[-1] if _INDEX and _INDEX[-1] is not None else default_index_dir(), what[:200])
    if isinstance(e, EOFError):
        return e  # Ctrl-D at a prompt
    return BriefError(f"internal error ({what[:200]}); this is a bug in brief: please report it "
                      "(BRIEF_DEBUG=1 shows where)")


app = typer.Typer(
    cls=BriefGroup,
    name="brief",
    help="Archive and search policy briefs kept as plain text.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    index: Optional[str] = None  # a folder, or opensearch://HOST:PORT/INDEX
    lock_timeout: float = 30.0

    def open(self, *, create: bool = False, old_ok: bool = False):
        from ..engine import open_archive

        return open_archive(self.index, create=create, old_ok=old_ok)


def _version(value: bool):
    if value:
        typer.echo(f"brief {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    index: Optional[str] = typer.Option(
        None, "--index", metavar="DIR", envvar="BRIEF_INDEX", show_envvar=True,
        help="Archive folder (or opensearch://HOST:PORT/INDEX for a shared archive on OpenSearch). "
             "Default: $BRIEF_INDEX, else 'index' in the config file, else ~/.local/share/brief/archive."),
    lock_timeout: Optional[float] = typer.Option(
        None, "--lock-timeout", metavar="SECONDS", envvar="BRIEF_LOCK_TIMEOUT", show_envvar=True,
        help="How long a change waits for another brief process that is writing "
             "(default: 'lock-timeout' in the config file, else 30)."),
    raw_csv: bool = typer.Option(
        False, "--raw-csv", envvar="BRIEF_RAW_CSV", show_envvar=True,
        help="CSV output with exact values, for programs: control characters not escaped, cells "
             "starting with = + - @ not guarded against spreadsheet formulas."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
):
    """Archive and search policy briefs kept as plain text."""
    from .. import config

    # Option > environment (both given to us by click) > config file > default.
    if ctx.invoked_subcommand in ("config", "help", "man"):
        cfg = config.current()  # these work (and report) even when the config file is broken
    else:
        cfg = config.load()
        config.apply_environment(cfg)
    if index is None and cfg.file.get("index"):
        index = cfg.file["index"]
    if index is not None and "://" not in index:
        index = str(Path(index).expanduser())
    if lock_timeout is None:
        lock_timeout = cfg.file.get("lock-timeout", 30.0)
    ctx.obj = Settings(index=index, lock_timeout=lock_timeout)
    _INDEX.append(index)
    from .. import render

    render.RAW_CSV = raw_csv  # set on every run (tests run many in one process)
