"""Transcripts: a first line ``President: NAME`` (or ``Speaker:``) names the speaker.

Source ``"transcript"``: the speaker is the author and the type is Speech. A transcript has no
title line (its first lines are a salutation and the speech), so its title comes from the
file name, without a leading date (``1789-04-30-first-inaugural-address.txt`` ->
``first inaugural address``).
"""

from __future__ import annotations

import re

from .base import Context, strip_markdown
from .names import parse_names

NAME = "transcript"
CONFIDENCE = 0.85

_SPEAKER = re.compile(r"\s*(?:President|Speaker|Remarks by|Speech by|Rede von|Discours de)\s*:?\s+(?P<name>.{3,80})",
                      re.IGNORECASE)


def recognise(ctx: Context) -> None:
    i = ctx.title_at
    if i is None or i in ctx.used:
        return
    line = ctx.head[i]
    m = _SPEAKER.fullmatch(strip_markdown(line.text[:200]))
    if not m or ":" not in line.text[:30]:
        return
    names = parse_names(m["name"].strip())
    if not names or len(names) != 1:
        return
    ctx.used.add(i)
    ctx.propose("authors", names, NAME, CONFIDENCE, line.start)
    ctx.propose("type", "Speech", NAME, 0.6, line.start)
    ctx.no_title_line = True
