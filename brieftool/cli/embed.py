"""`brief embed`: sentence vectors for semantic and hybrid search (the optional extra 'semantic')."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from .app import app
from .options import on_wait, settings
from ..models import UsageError


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


class _Bar:
    """Progress on a terminal (stderr): briefs done, passages a second, time left."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.p = None

    def start(self, total: int, already: int) -> None:
        import time

        from .. import render

        self.total = total
        self.t0 = time.monotonic()
        err = render.err_console()
        if self.quiet or not err.is_terminal or total < 1:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.p = Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                          TimeElapsedColumn(), TextColumn("{task.fields[left]}"), console=err, transient=True)
        self.task = self.p.add_task("embedding", total=total, rate="", left="")
        self.p.start()

    def update(self, done: int, passages: int) -> None:
        import time

        if self.p is None:
            return
        el = time.monotonic() - self.t0
        rate = done / el if el > 0 else 0
        left = int((self.total - done) / rate) if rate else 0
        self.p.update(self.task, completed=done, rate=f"{passages / el:,.1f} passages/s" if el > 0 else "",
                      left=f"~{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d} left" if done < self.total else "")

    def stop(self) -> None:
        if self.p is not None:
            self.p.stop()
            self.p = None


@app.command()
def embed(
    ctx: typer.Context,
    ids: Optional[List[str]] = typer.Argument(None, metavar="[ID]...",
                                              help="Only these briefs (unique id prefixes are enough)."),
    query: Optional[str] = typer.Option(None, "--query", "-q", metavar="QUERY",
                                        help="Only briefs matching QUERY (the syntax of 'brief search')."),
    status: bool = typer.Option(False, "--status", help="Say how many briefs have vectors; change nothing."),
    off: bool = typer.Option(False, "--off", help="Drop every vector and stop keeping them."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="The outcome as one JSON object."),
):
    """Compute the missing vectors for semantic and hybrid search, and keep them from now on.

    From then on 'brief add' embeds new briefs as it adds them, and 'brief search' ranks in
    hybrid mode by default (words and meaning fused; see --mode). The work is committed every
    few seconds: Ctrl-C (or a crash) keeps what is done, and running it again does the rest.
    Needs the optional extra: pip install 'brief[semantic]'.
    """
    import json

    from .. import render
    from ..semantic import build, require

    if sum(map(bool, (status, off))) > 1:
        raise UsageError("give --status or --off, not both")
    if (status or off) and (ids or query):
        raise UsageError("--status and --off take no ids or --query")
    s = settings(ctx)
    if status:
        archive = s.open()
        st = build.embed_status(archive)
        if as_json:
            render.write_out(json.dumps(st) + "\n")
        elif not st["enabled"]:
            render.write_out(f"no vectors: {st['briefs']} brief{'s' if st['briefs'] != 1 else ''}; "
                             "run 'brief embed' to add them\n")
        else:
            line = (f"{st['with_vectors']} of {st['briefs']} briefs have vectors ({st['passages']} passages, "
                    f"{_size(st['bytes'])})")
            if st["missing"]:
                line += f"; {st['missing']} missing: run 'brief embed'"
            if st["model_current"] is False:
                line += "; made by another model: run 'brief reindex'"
            render.write_out(line + "\n")
        return
    if off:
        archive = s.open()
        n = build.embed_off(archive, lock_timeout=s.lock_timeout, on_wait=on_wait)
        if as_json:
            render.write_out(json.dumps({"dropped": n}) + "\n")
        else:
            render.write_out(f"dropped the vectors of {n} brief{'s' if n != 1 else ''}; "
                             "search is lexical again\n")
        return
    require("brief embed")
    archive = s.open()
    wanted = None
    if ids:
        wanted = [archive.resolve(i) for i in ids]
    bar = _Bar(quiet or as_json)
    try:
        res = build.embed_archive(archive, wanted, query=query, lock_timeout=s.lock_timeout, on_wait=on_wait,
                                  on_start=bar.start, on_progress=bar.update)
    finally:
        bar.stop()
    if as_json:
        render.write_out(json.dumps(res.to_json()) + "\n")
    else:
        rate = f", {res.passages / res.seconds:,.1f} passages/s" if res.seconds > 0 and res.passages else ""
        render.write_out(f"embedded {res.embedded} brief{'s' if res.embedded != 1 else ''} "
                         f"({res.passages} passages in {res.seconds:,.1f}s{rate}); {res.already} already had vectors\n")
        if res.skipped:
            render.warn(f"{res.skipped} changed or were removed while being embedded; run 'brief embed' again")
    if res.interrupted:
        render.warn(f"interrupted: {res.left} brief{'s' if res.left != 1 else ''} left; run 'brief embed' "
                    "again to do the rest")
        sys.exit(130)
