"""Topic lines near the end: ``Topics:``, ``Keywords:``, ``Subjects:``, ``Issues:``, ``Tags:``.

Source ``"topics"``: such a line among the last non-empty lines becomes tags, split on ``;``
or ``|`` when there is one, else on commas (the same keyed lines in the head are read by
``header_lines``).
"""

from __future__ import annotations

import re

from . import keys
from .base import Context, strip_markdown

NAME = "topics"
CONFIDENCE = 0.8

_LINE = re.compile(r"\s*(?P<key>topics?|keywords?|subjects|issues|tags|themes|mots[- ]clés|schlagwörter|temas)\s*:\s*(?P<value>\S.{0,600})",
                   re.IGNORECASE)


def recognise(ctx: Context) -> None:
    for line in ctx.tail()[-12:]:
        if ":" not in line.text[:40]:
            continue
        m = _LINE.fullmatch(strip_markdown(line.text[:700]))
        if m:
            keys.propose(ctx, "tags", m["value"], NAME, CONFIDENCE, line.start)
            return
