"""What the commands share: the root settings, the lock-wait notice, --format, the filter options.

No command module imports another command's module; they all import this one (and ``app``).
"""

from __future__ import annotations

from typing import Optional

import typer

from ..models import UsageError
from .app import Settings


def settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj or Settings()


def on_wait():
    from .. import render

    render.info("waiting for the archive lock (another brief process is writing)…")


def output_format(fmt: Optional[str], as_json: bool) -> str:
    from ..render import FORMATS

    if as_json:
        if fmt not in (None, "json"):
            raise UsageError("--json and --format disagree; give one of them")
        return "json"
    fmt = (fmt or "table").lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r} (choose {', '.join(FORMATS)})")
    return fmt


BatchSizeOpt = typer.Option(
    None, "--batch-size", min=1, metavar="N",
    help="Commit every N changes (default: at least every minute, in batches of 1,000 briefs or 4.5 M "
         "characters, growing after the 20th; an interrupted run keeps every committed batch).")
FollowLinksOpt = typer.Option(
    False, "--follow-links",
    help="Follow symbolic links that lead outside a folder being walked (by default they are skipped, "
         "each reported once with its target; a file named on the command line is always read).")

# Shell completion of values from the archive (called by the shell's completion script) ----------
def _completion_location(ctx: typer.Context):
    """The archive a completion should read: --index as typed (or $BRIEF_INDEX), else the config
    file's index, else the default. The root callback has not run during completion."""
    root = ctx.find_root()
    index = (root.params or {}).get("index")
    if index is None:
        try:
            from ..config import read_file

            index = read_file().get("index")
        except Exception:  # a broken config file: complete from the default archive
            index = None
    return index


def _complete_names(ctx: typer.Context, kind: str, incomplete: str) -> list[str]:
    try:
        from ..curate import counts
        from ..engine import open_archive

        rows = counts(open_archive(_completion_location(ctx)), kind)
    except Exception:  # no archive, a damaged one: nothing to offer (never an error in the shell)
        return []
    inc = incomplete.casefold()
    return [name for name, _ in rows if name.casefold().startswith(inc)]


def complete_tag(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_names(ctx, "tag", incomplete)


def complete_author(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_names(ctx, "author", incomplete)


def complete_org(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_names(ctx, "org", incomplete)


def complete_saved(ctx: typer.Context, incomplete: str) -> list[str]:
    """Saved-search names (read from the archive folder's saved.json: no index is opened)."""
    try:
        from ..saved import load, path_for

        names = sorted(load(path_for(_completion_location(ctx))))
    except Exception:
        return []
    inc = incomplete.lstrip("@")
    return [("@" if incomplete.startswith("@") else "") + n for n in names if n.startswith(inc)]


def complete_query(ctx: typer.Context, incomplete: str) -> list[str]:
    """In a query: @NAME of a saved search (nothing to offer for other words)."""
    return complete_saved(ctx, incomplete) if incomplete.startswith("@") else []


# Options shared by the listing commands -------------------------------------------------------
TagOpt = typer.Option(None, "--tag", "-t", help="Only briefs with this tag (repeatable: all must match).",
                      autocompletion=complete_tag)
AuthorOpt = typer.Option(None, "--author", "-a", help="Only briefs by this author (any part of the name).",
                         autocompletion=complete_author)
SinceOpt = typer.Option(None, "--since", metavar="DATE", help="Dated on or after DATE (2019 = from 1 Jan 2019).")
UntilOpt = typer.Option(None, "--until", metavar="DATE", help="Dated on or before DATE (2019 = to 31 Dec 2019).")
TypeOpt = typer.Option(None, "--type", help="Only briefs of this type (e.g. 'Policy Brief').")
OrgOpt = typer.Option(None, "--org", help="Only briefs from this organization (any part of its name).",
                      autocompletion=complete_org)
FormatOpt = typer.Option(None, "--format", "-f", metavar="FORMAT", help="table, json, jsonl, csv or ids.")
JsonOpt = typer.Option(False, "--json", help="Shorthand for --format json.")
ReverseOpt = typer.Option(False, "--reverse", "-r", help="Reverse the order.")
OffsetOpt = typer.Option(0, "--offset", min=0, help="Skip this many first.")
PageOpt = typer.Option(None, "--page", "-p", min=1, metavar="N",
                       help="Show page N of --limit briefs each (the same as --offset (N-1)*limit).")
FacetsOpt = typer.Option(False, "--facets",
                         help="After the briefs, counts of their tags, authors, organizations and years "
                              "(over all that match, not just the page shown). With --format json, jsonl "
                              "or csv, print only these counts.")
QueryOpt = typer.Option(None, "--query", "-q", metavar="QUERY", autocompletion=complete_query,
                        help="Only briefs matching QUERY, in the syntax of 'brief search' "
                             "(e.g. 'tag:iran date:2019..2020 -draft').")
ModeOpt = typer.Option(None, "--mode", "-m", metavar="MODE",
                       help="lexical (words: BM25), hybrid (words and meaning fused) or semantic (meaning "
                            "only). Default: hybrid when the archive has vectors ('brief embed') and the "
                            "extra 'semantic' is installed, else lexical.")


def search_mode(archive, mode):
    """The --mode to use for this archive (checked: a missing extra or no vectors is one line)."""
    from ..semantic.rank import resolve_mode

    return resolve_mode(archive, mode)


QueryFileOpt = typer.Option(None, "--query-file", metavar="FILE",
                            help="Read the query from FILE (- for standard input): for long queries, and "
                                 "queries full of quotes.")

_KNOWN_FIELD = None


def _requote(word: str) -> str:
    """One argument of several that holds a space came quoted from the shell as one unit:
    ``tag:"north korea"`` arrives as ``tag:north korea``. Put the quotes back (field values
    and phrases); arguments without a space are query text as typed."""
    import re

    global _KNOWN_FIELD
    if not any(c.isspace() for c in word) or '"' in word:
        return word
    if _KNOWN_FIELD is None:
        from ..query import _ALIASES, FIELDS

        _KNOWN_FIELD = re.compile(rf"^-?({'|'.join(sorted(set(FIELDS) | set(_ALIASES)))}):(\S.*)$", re.I | re.S)
    m = _KNOWN_FIELD.match(word.strip())
    rest = m.group(2) if m else word
    if re.search(r"\b(AND|OR|NOT)\b|[():*~]|(^|\s)-", rest):  # query syntax inside: taken as typed
        return word
    if m:
        neg = "-" if word.strip().startswith("-") else ""
        return f'{neg}{m.group(1)}:"{m.group(2)}"'
    return f'"{word.strip()}"'


def query_text(words: list[str] | None, query_file: str | None, *, what: str = "QUERY") -> str | None:
    """The query as typed: every word of the command line as one query (``brief search north
    korea`` = ``brief search 'north korea'``: the words, not a phrase), or the text of
    ``--query-file`` (- for standard input). None when neither is given."""
    import sys

    words = [w for w in (words or [])]
    if query_file is not None:
        if words:
            raise UsageError(f"give the query as {what} or with --query-file, not both")
        try:
            if query_file == "-":
                text = sys.stdin.read()
            else:
                with open(query_file, encoding="utf-8") as f:
                    text = f.read()
        except UnicodeDecodeError:
            raise UsageError(f"--query-file {query_file}: not UTF-8 text") from None
        except OSError as e:
            raise UsageError(f"--query-file {query_file}: {(e.strerror or str(e)).lower()}") from None
        return " ".join(text.split())
    if not words:
        return None
    if len(words) == 1:
        return words[0]
    return " ".join(_requote(w) for w in words)


def filters(tag, author, since, until, type_, org):
    from ..query import filters

    return filters(tags=tag or (), author=author, since=since, until=until, type=type_, org=org)


def expand_saved(ctx: typer.Context, text: Optional[str]) -> Optional[str]:
    """A query with each @NAME replaced by its saved search (see saved.py); None stays None."""
    if not text or "@" not in text:
        return text
    from ..saved import expand_query

    return expand_query(settings(ctx).index, text)[0]
