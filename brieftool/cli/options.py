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


FollowLinksOpt = typer.Option(
    False, "--follow-links",
    help="Follow symbolic links that lead outside a folder being walked (by default they are skipped, "
         "each reported once with its target; a file named on the command line is always read).")

# Options shared by the listing commands -------------------------------------------------------
TagOpt = typer.Option(None, "--tag", "-t", help="Only briefs with this tag (repeatable: all must match).")
AuthorOpt = typer.Option(None, "--author", "-a", help="Only briefs by this author (any part of the name).")
SinceOpt = typer.Option(None, "--since", metavar="DATE", help="Dated on or after DATE (2019 = from 1 Jan 2019).")
UntilOpt = typer.Option(None, "--until", metavar="DATE", help="Dated on or before DATE (2019 = to 31 Dec 2019).")
TypeOpt = typer.Option(None, "--type", help="Only briefs of this type (e.g. 'Policy Brief').")
OrgOpt = typer.Option(None, "--org", help="Only briefs from this organization (any part of its name).")
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
QueryOpt = typer.Option(None, "--query", "-q", metavar="QUERY",
                        help="Only briefs matching QUERY, in the syntax of 'brief search' "
                             "(e.g. 'tag:iran date:2019..2020 -draft').")


def filters(tag, author, since, until, type_, org):
    from ..query import filters

    return filters(tags=tag or (), author=author, since=since, until=until, type=type_, org=org)


def expand_saved(ctx: typer.Context, text: Optional[str]) -> Optional[str]:
    """A query with each @NAME replaced by its saved search (see saved.py); None stays None."""
    if not text or "@" not in text:
        return text
    from ..saved import expand_query

    return expand_query(settings(ctx).index, text)[0]
