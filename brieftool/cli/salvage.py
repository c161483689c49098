"""`brief salvage`: rebuild a damaged archive from every record that can still be read."""

from __future__ import annotations

import typer

from .app import app
from .options import on_wait, settings


@app.command()
def salvage(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="A JSON object: briefs salvaged, records lost (described)."),
):
    """Rebuild a damaged archive from every record that can still be read.

    Puts back the table of contents from its copy when it is missing or damaged, then reads
    the stored records one by one, segment by segment (a damaged file loses only the
    records in it; a record counts as readable when it is complete and its text matches its
    hash), builds a fresh index from them, swaps it in as 'brief reindex' does, writes a new
    brief.json and new checksums, and lists what could not be read. Exit 0 when nothing was
    lost, 1 when some records were (restore those from an export: 'brief import FILE' keeps
    what is there and adds the rest). 'brief check' says whether an archive needs this.
    """
    from pathlib import Path

    from .. import render
    from ..engine.whoosh import default_index_dir
    from ..engine.whoosh_integrity import open_damaged
    from ..maintain import reindex

    s = settings(ctx)
    path = Path(s.index) if s.index is not None else default_index_dir()
    res = reindex(open_damaged(path), drop_bad=True, lock_timeout=s.lock_timeout, on_wait=on_wait)
    if as_json:
        render.write_out(render.dumps({"archive": str(path), "briefs": res.briefs, "lost": list(res.dropped),
                                       "renamed": [list(x) for x in res.renamed],
                                       "duplicates": res.duplicates}) + "\n")
    else:
        for old, new in res.renamed:
            render.warn(f"two records had id {old}: the second now has id {new}")
        for e in res.dropped:
            render.warn(f"lost: {e}")
        render.write_out(f"salvaged {res.briefs} brief{'s' if res.briefs != 1 else ''}"
                         + (f"; {len(res.dropped)} problem{'s' if len(res.dropped) != 1 else ''} listed above"
                            if res.dropped else "; nothing was lost") + "\n")
    if res.dropped:
        raise typer.Exit(1)
