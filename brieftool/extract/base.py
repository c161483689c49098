"""What every recogniser shares: the bounded view of the text, candidates, small helpers.

A recogniser is a module with a ``NAME`` (the source shown by ``brief add --dry-run``) and a
``recognise(ctx)`` function that reads one kind of evidence from the ``Context`` and proposes
``Candidate`` values with ``ctx.propose``. Recognisers never decide: ``resolve.resolve`` picks
one value per field. They only look at ``ctx.head`` (the first ``HEAD_LINES`` lines within
``HEAD_CHARS``), ``ctx.tail()`` (the last lines within ``TAIL_CHARS``), the file name and the
format reader's hints, so a 50 MB text costs no more than a small one; every regular
expression runs on a slice of one line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from ..models import clean_label, norm_tag

HEAD_LINES = 60
HEAD_CHARS = 64 * 1024
TAIL_LINES = 40
TAIL_CHARS = 8 * 1024
TITLE_MAX = 200
LINE_MAX = 2000  # longer lines are only ever looked at through a slice of this size
HEADER_WINDOW = 40  # header lines (Date:, Published: ...) are looked for in this many lines


@dataclass
class Extracted:
    """What ``extract`` found. ``fields`` holds only what was found (no empty values)."""

    fields: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    body_start: int = 0
    notes: list[str] = field(default_factory=list)

    def put(self, name: str, value, source: str) -> None:
        """Record a field unless it is empty or already given."""
        if value and name not in self.fields:
            self.fields[name] = value
            self.sources[name] = source


@dataclass(frozen=True)
class Candidate:
    """One value a recogniser proposes for one field.

    ``confidence`` (0..1) says how sure the recogniser is from the form of the evidence;
    ``position`` is the offset of the evidence in the text (file name and hints come after
    the text: ``len(text)`` and beyond). ``extra`` carries a value that only makes sense
    with this one (an organization's abbreviation).
    """

    field: str
    value: object
    source: str
    confidence: float
    position: int
    extra: tuple = ()


class Line(NamedTuple):
    start: int  # offset of the line in the text
    end: int  # offset of its "\n" (or where the scanned region stops)
    text: str  # without the line break (and without a trailing "\r")


def lines(text: str, start: int, stop: int, max_lines: int) -> list[Line]:
    """Lines of ``text[start:stop]``; a last line cut short by ``stop`` is dropped unless it is the only one."""
    out: list[Line] = []
    pos = start
    while pos < stop and len(out) < max_lines:
        nl = text.find("\n", pos, stop)
        if nl < 0:
            if stop < len(text) and out:
                break
            nl = stop
        out.append(Line(pos, nl, text[pos:nl].rstrip("\r")))
        pos = nl + 1
    return out


_BLANK_LINE = re.compile(r"[^\S\n]*\n")
_BLANK_END = re.compile(r"\s*\Z")


def skip_blank_lines(text: str, pos: int) -> int:
    """Offset of the first non-blank line at or after ``pos`` (``pos`` is a line start)."""
    while m := _BLANK_LINE.match(text, pos):
        pos = m.end()
    return len(text) if _BLANK_END.match(text, pos) else pos


def unique(values: Iterable[str]) -> list[str]:
    """Cleaned, non-empty values without case-insensitive duplicates (first spelling kept)."""
    seen: set[str] = set()
    out = []
    for v in values:
        v = clean_label(v)
        k = norm_tag(v)
        if v and k not in seen:
            seen.add(k)
            out.append(v)
    return out


_MARKDOWN_INLINE = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\([^)\n]{0,500}\)")
_MARKDOWN_HEADING = re.compile(r"\s*#{1,6}\s+")


@functools.lru_cache(maxsize=1024)  # the recognisers look at the same head lines in turn
def strip_markdown(s: str) -> str:
    """``s`` without Markdown emphasis, code marks, link targets or a heading mark."""
    s = s[:LINE_MAX]
    m = _MARKDOWN_HEADING.match(s)
    if m:
        s = s[m.end():]
    if "](" in s:
        s = _MARKDOWN_LINK.sub(r"\1", s)
    if "*" in s or "_" in s or "`" in s:
        s = _MARKDOWN_INLINE.sub("", s)
    return clean_label(s)


def heading(line: str) -> str:
    """A line as a title: a Markdown heading mark ("## ") removed, whitespace collapsed."""
    m = _MARKDOWN_HEADING.match(line)
    return clean_label(line[m.end():] if m else line)


class Context:
    """The bounded view of one text that recognisers read, and the candidates they propose."""

    def __init__(self, text: str, *, filename=None, known_tags=(), vocabulary=None, hints=None):
        self.text = text
        self.filename = filename
        self.known_tags = known_tags
        self.vocabulary = vocabulary
        self.hints = hints if isinstance(hints, dict) else {}
        start = 1 if text.startswith("\ufeff") else 0
        self.head: list[Line] = lines(text, start, min(len(text), HEAD_CHARS), HEAD_LINES)
        self.first = self.content(0)  # first non-empty line of the text
        self.title_at = self.first  # where a "first line" title is looked for
        self.after_fm = 0  # index of the first head line after any front matter
        self.body_start = 0
        self.notes: list[str] = []
        self.candidates: list[Candidate] = []
        self.used: set[int] = set()  # head lines that a recogniser consumed as metadata
        self.no_title_line = False  # a memo or transcript: no line of the text is its title
        self._tail: list[Line] | None = None

    # -- lines
    def content(self, i: int) -> int | None:
        """Index of the first non-blank head line at or after ``i``."""
        head = self.head
        while i < len(head):
            if head[i].text.strip():
                return i
            i += 1
        return None

    def next_content(self, i: int) -> int | None:
        return self.content(i + 1)

    def header_lines(self):
        """The head lines a header recogniser looks at: in the first HEADER_WINDOW lines after any
        front matter, not blank and not yet consumed (checked as it goes, so a line the caller
        consumes meanwhile is passed over), as ``(index, line, its first 600 characters)``."""
        for i in range(self.after_fm, min(len(self.head), HEADER_WINDOW)):
            if i in self.used:
                continue
            line = self.head[i]
            raw = line.text[:600]
            if raw.strip():
                yield i, line, raw

    def tail(self) -> list[Line]:
        """The non-empty lines at the end, after the body's first line (computed once)."""
        if self._tail is not None:
            return self._tail
        self._tail = []
        text = self.text
        first_body = skip_blank_lines(text, self.body_start)
        start = max(first_body + 1, len(text) - TAIL_CHARS)
        if start > len(text):
            return self._tail
        if text[start - 1] != "\n":  # begin at a line start
            nl = text.find("\n", start)
            if nl < 0:
                return self._tail
            start = nl + 1
        self._tail = [ln for ln in lines(text, start, len(text), TAIL_CHARS)[-TAIL_LINES:] if ln.text.strip()]
        return self._tail

    # -- candidates
    def propose(self, field_name: str, value, source: str, confidence: float, position: int,
                extra: tuple = ()) -> None:
        if value:
            self.candidates.append(Candidate(field_name, value, source, confidence, position, tuple(extra)))

    def best(self, field_name: str) -> float:
        """The highest confidence proposed so far for a field (0 when none)."""
        return max((c.confidence for c in self.candidates if c.field == field_name), default=0.0)
