"""`brief saved add|list|remove`: named searches, used as @NAME wherever a query is (see saved.py)."""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import AuthorOpt, OrgOpt, SinceOpt, TagOpt, TypeOpt, UntilOpt, complete_saved, settings

saved_app = typer.Typer(
    name="saved", no_args_is_help=True, rich_markup_mode=None,
    help="Saved searches: a name for a query and filters, used as @NAME in any query.")
app.add_typer(saved_app)


def _path(ctx: typer.Context):
    """The saved-search file of the archive (which must exist: the file lives in its folder)."""
    from ..saved import path_for

    return path_for(settings(ctx).open())


@saved_app.command("add")
def saved_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Letters, digits, '.', '_' and '-' (used as @NAME)."),
    query: str = typer.Argument(..., metavar="QUERY", help="The query (search syntax; '' for the filters alone)."),
    tag: Optional[List[str]] = TagOpt,
    author: Optional[str] = AuthorOpt,
    since: Optional[str] = SinceOpt,
    until: Optional[str] = UntilOpt,
    type_: Optional[str] = TypeOpt,
    org: Optional[str] = OrgOpt,
    replace: bool = typer.Option(False, "--replace", help="Change the saved search if NAME exists."),
    as_json: bool = typer.Option(False, "--json", help='JSON: {"name", "old", "new"} (old: null when new).'),
):
    """Save QUERY and the filters under NAME: 'brief search @NAME', 'brief tag --query @NAME +x'.

    The query is checked now; it is kept as typed and expanded each time it is used, so it
    finds the briefs added since.
    """
    from .. import render, saved

    s = saved.Saved(name, query, list(tag or []), author, since, until, type_, org)
    old = saved.add(_path(ctx), s, replace=replace)
    s.name = saved.check_name(name)
    if as_json:
        render.write_out(render.dumps({"name": s.name, "old": old.to_json() if old else None,
                                       "new": s.to_json()}) + "\n")
    else:
        render.write_out(f"{'replaced' if old else 'saved':<9} @{s.name}  {render.one_line(s.describe())}\n")


@saved_app.command("list")
def saved_list(ctx: typer.Context,
               as_json: bool = typer.Option(False, "--json", help='JSON: [{"name", "query", "tags", ...}].')):
    """List the saved searches with their queries and filters."""
    from .. import render, saved

    searches = saved.load(_path(ctx))
    if as_json:
        render.write_out(render.dumps([{"name": n, **searches[n].to_json()} for n in sorted(searches)]) + "\n")
        return
    if not searches:
        render.info("No saved searches (brief saved add NAME QUERY).")
        return
    w = max(len(n) for n in searches) + 1
    for n in sorted(searches):
        render.write_out(f"@{n:<{w}} {render.one_line(searches[n].describe())}\n")


@saved_app.command("remove")
def saved_remove(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", autocompletion=complete_saved),
                 as_json: bool = typer.Option(False, "--json", help='JSON: {"name", "old", "new": null}.')):
    """Forget the saved search NAME."""
    from .. import render, saved

    old = saved.remove(_path(ctx), name)
    if as_json:
        render.write_out(render.dumps({"name": old.name, "old": old.to_json(), "new": None}) + "\n")
    else:
        render.write_out(f"removed   @{old.name}  {render.one_line(old.describe())}\n")
