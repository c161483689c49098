"""Read a brief's metadata (title, authors, date, tags, ...) from its plain text.

``extract(text)`` is pure: it never touches the file system and never changes the text (the
archive stores the text verbatim; ``body_start`` only says where the displayed body begins).
Only the head (first ``HEAD_LINES`` lines, at most ``HEAD_CHARS`` characters) and the tail
(last ``TAIL_LINES`` lines within the last ``TAIL_CHARS`` characters) are examined, so a
50 MB file costs no more than a small one. Every regular expression works on a bounded slice
of one line.

The work is split into small **recognisers** (one module each, run in the order of
``RECOGNISERS``), each reading one kind of evidence and proposing ``Candidate`` values with
its name as the source and a confidence; ``resolve.resolve`` then picks one value per field
(see its docstring for the rule). The source of each field, shown by ``brief add
--dry-run``, is the name of the recogniser that gave it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..models import BriefError
from . import (author_notes, banners, bio, byline, filedate, frontmatter, header_lines, hints, markdown_keys, memo, organizations,
               testimony, title, topicline, topics, transcript, webcopy)
from .base import HEAD_CHARS, HEAD_LINES, TAIL_CHARS, TAIL_LINES, TITLE_MAX, Candidate, Context, Extracted, unique
from .dates import parse_date
from .places import BUILTIN_PLACES
from .resolve import resolve

__all__ = [
    "BUILTIN_PLACES", "Candidate", "Extracted", "HEAD_CHARS", "HEAD_LINES", "RECOGNISERS", "TAIL_CHARS",
    "TAIL_LINES", "TITLE_MAX", "extract", "load_vocabulary", "parse_date",
]

# Order matters only where a recogniser reads what an earlier one found (where the front
# matter ends, which lines a header consumed); the resolver does not depend on it.
RECOGNISERS = (frontmatter, webcopy, markdown_keys, memo, transcript, testimony, banners, header_lines, byline,
               title, bio, author_notes, topics, topicline, organizations, filedate, hints)


def extract(
    text: str,
    *,
    filename: str | None = None,
    known_tags: Iterable[str] = (),
    vocabulary: Iterable[str] | None = None,
    hints: dict | None = None,
) -> Extracted:
    """The metadata ``text`` states about itself; see the recognisers' docstrings for the forms.

    ``filename`` gives a title (and a date) when the text has none; ``known_tags`` (tags
    already in the archive) and ``vocabulary`` (from ``load_vocabulary``) help split a topic
    line and name organizations; ``hints`` is the format reader's metadata
    (``Document.meta``), used as weak evidence.
    """
    ctx = Context(text, filename=filename, known_tags=known_tags, vocabulary=vocabulary, hints=hints)
    for recogniser in RECOGNISERS:
        recogniser.recognise(ctx)
    out = Extracted(body_start=ctx.body_start, notes=ctx.notes)
    return resolve(ctx.candidates, out)


def load_vocabulary(path: Path) -> list[str]:
    """The user's topic labels: one per line; blank lines and lines starting with '#' skipped.

    A missing file is an empty vocabulary. Labels are cleaned and de-duplicated
    case-insensitively (first spelling kept). An unreadable file is a ``BriefError``.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise BriefError(f"cannot read vocabulary file {path}: {e.strerror or e}") from None
    return unique(line for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#"))
