"""Markdown key lines: ``**Key:** value`` and table rows ``| **Key:** | value |``.

Source ``"markdown keys"``: within the head, lines such as ``**Publication Date:** 04/20/2026``,
``**Author(s):** Clark, Corrie E.`` (``Last, First`` becomes ``Corrie E. Clark``),
``**Product Type:** In Focus``, ``**Topics:** Energy & Natural Resources``, ``**Report No.:**
IF10753``, ``**Source:** URL``, and the same keys in table rows
(``| **Author:** | Clark, Corrie E.``). Keys are those of ``keys.KEYS``; Markdown syntax is
removed from the values.
"""

from __future__ import annotations

import re

from . import keys
from .base import Context, strip_markdown

NAME = "markdown keys"
CONFIDENCE = 0.9

_LINE = re.compile(r"\s*(?:[-*]\s+)?\*\*(?P<key>[^*\n]{1,40}?)\s*(?::\*\*|\*\*\s*:)\s*(?P<value>.*)")
_ROW = re.compile(r"\s*\|\s*\*\*(?P<key>[^*\n|]{1,40}?)\s*(?::\*\*|\*\*\s*:)\s*\|\s*(?P<value>[^|]*)(?:\|.*)?")


def recognise(ctx: Context) -> None:
    for i, line in enumerate(ctx.head):
        if i in ctx.used:
            continue
        text = line.text[:2000]
        if "**" not in text:
            continue
        m = _LINE.fullmatch(text) or _ROW.fullmatch(text)
        if not m:
            continue
        name = keys.field_of(m["key"])
        if name and keys.propose(ctx, name, strip_markdown(m["value"]), NAME, CONFIDENCE, line.start):
            ctx.used.add(i)
