"""A date in the file name (``1789-04-30-first-inaugural-address.txt``, ``2019-04-17_memo.txt``).

Source ``"file name"``: ``YYYY-MM-DD`` (or ``YYYY_MM_DD``, ``YYYYMMDD``) in the stem, a real
calendar date. It is the weakest date there is: any date the text gives wins over it.
"""

from __future__ import annotations

from pathlib import Path

from .base import Context
from .dates import file_name_date

NAME = "file name"
CONFIDENCE = 0.4


def recognise(ctx: Context) -> None:
    if not ctx.filename:
        return
    hit = file_name_date(Path(ctx.filename).stem)
    if hit:
        ctx.propose("date", hit[0], NAME, CONFIDENCE, len(ctx.text))
