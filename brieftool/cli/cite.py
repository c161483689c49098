"""`brief cite`: citations of briefs in APA, Chicago, MLA, BibTeX, RIS or CSL-JSON (see cite.py)."""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import app
from .options import settings


@app.command()
def cite(
    ctx: typer.Context,
    ids: List[str] = typer.Argument(..., metavar="ID...", help="Brief ids (a unique prefix is enough)."),
    style: Optional[str] = typer.Option(
        None, "--style", "-s", metavar="STYLE",
        help="apa, chicago (author-date), mla, bibtex, ris or csl-json. Default: $BRIEF_CITE_STYLE, else "
             "'cite-style' in the config file, else apa."),
    as_json: bool = typer.Option(False, "--json", help="The CSL-JSON items (the same as --style csl-json)."),
):
    """Cite briefs: one reference per brief, in the order given.

    Authors, title, date, organization (as publisher), type, and the URL and accessed date
    (= the day the brief was added) when the brief has a URL. A field the brief lacks is left
    out, never invented. Prose styles are rendered by citeproc-py from the official CSL
    styles; BibTeX, RIS and CSL-JSON come from the same mapping of the brief's fields.
    """
    from .. import cite as C
    from .. import config, curate, render
    from ..models import UsageError

    if as_json:
        if style is not None and C.check_style(style) != "csl-json":
            raise UsageError("--json and --style disagree; give one of them")
        style = "csl-json"
    style = C.check_style(style if style is not None else config.current().get("cite-style"))
    archive = settings(ctx).open()
    good, errors = curate.resolve_ids(archive, ids)
    for e in errors:
        render.error(e)
    if not good:
        raise typer.Exit(2)
    briefs = [archive.get(i) for i in good]
    text = C.format_briefs(briefs, style)
    if style != "csl-json":  # (JSON is escaped already) control, bidi and zero-width characters shown escaped
        text = render.safe(text)
    render.write_out(text)
    if errors:
        raise typer.Exit(1)
