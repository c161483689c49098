"""The one record type that flows through brief: path -> reader -> extractor -> archive -> query -> render."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field


class BriefError(Exception):
    """An expected failure: reported to the user as one line, never a traceback.

    ``exit_code`` follows the CLI convention: 1 some input failed, 2 usage error.
    """

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class UsageError(BriefError):
    """Bad command-line input (malformed query, impossible date, unknown id...): exit status 2."""

    exit_code = 2


@dataclass
class Brief:
    """One brief: its metadata and its verbatim text."""

    id: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)
    date: _dt.date | None = None
    tags: list[str] = field(default_factory=list)
    type: str = ""
    organization: str = ""
    source: str = ""
    # Where the brief was published (front matter Source:/URL:, an HTML page's address); "" unknown.
    url: str = ""
    sha256: str = ""
    added: _dt.datetime | None = None
    words: int = 0
    text: str = ""
    # Offset into ``text`` where the displayed body starts (after front matter and a
    # repeated web-copy header). The stored text stays verbatim.
    body_start: int = 0
    # Abbreviation of the organization ("FDD"), searchable with org:.
    org_abbr: str = ""
    # Source file size and mtime (ns) when it was read: lets a re-add skip unchanged files unread.
    source_size: int | None = None
    source_mtime_ns: int | None = None
    # Fields set by hand (an option of `add`, or `edit`): a later update of the text keeps them.
    manual: set[str] = field(default_factory=set)
    # The file's format (text, markdown, pdf, html, docx), its page count (PDFs) and the hash
    # of its bytes (``sha256`` is of the stored, extracted text): the same file under two
    # names is one brief.
    format: str = "text"
    pages: int | None = None
    raw_sha256: str = ""

    @property
    def body(self) -> str:
        return self.text[self.body_start:]

    def to_json(self, *, text: bool = False) -> dict:
        """The stable JSON shape documented in the README."""
        d = {
            "id": self.id,
            "title": self.title,
            "authors": list(self.authors),
            "date": self.date.isoformat() if self.date else None,
            "tags": list(self.tags),
            "type": self.type,
            "organization": self.organization,
            "source": self.source,
            "sha256": self.sha256,
            "added": self.added.isoformat() if self.added else None,
            "words": self.words,
            "format": self.format,
            "pages": self.pages,
        }
        if text:
            d["text"] = self.text
        return d

    def replace(self, **changes) -> "Brief":
        return dataclasses.replace(self, **changes)


_WORDS_CHUNK = 1 << 20  # characters counted at a time (a big text is not split into one list)


def count_words(text: str) -> int:
    """``len(text.split())``, without holding a list of every word of a big text: counted a
    chunk at a time; a word cut by a chunk boundary is counted once."""
    if len(text) <= _WORDS_CHUNK:
        return len(text.split())
    n = 0
    for i in range(0, len(text), _WORDS_CHUNK):
        n += len(text[i:i + _WORDS_CHUNK].split())
        if i and not text[i - 1].isspace() and not text[i].isspace():
            n -= 1  # the word running over the boundary was counted in both chunks
    return n


# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD_EXTRA = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe",
               "þ": "th", "ð": "d", "ŀ": "l", "ĸ": "k"}
# Where accents are folded: the Latin letters (Latin-1 to Latin Extended-B, Latin Extended
# Additional) and the combining accents themselves (text that came decomposed, NFD).
_FOLD_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF), (0x0300, 0x036F))
_fold_table: dict[int, str] | None = None


def fold_table() -> dict[int, str]:
    """``{code point: folded text}`` for every character that :func:`fold` changes beyond
    lowercasing (the index's analyzers use the same table)."""
    global _fold_table
    if _fold_table is None:
        import unicodedata

        table: dict[int, str] = {0x2019: "'"}  # a typographic apostrophe is an apostrophe
        for lo, hi in _FOLD_RANGES:
            for cp in range(lo, hi + 1):
                ch = chr(cp)
                low = ch.lower()
                if unicodedata.combining(ch):
                    table[cp] = ""
                    continue
                base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
                base = "".join(_FOLD_EXTRA.get(c, c) for c in base)
                if base != ch:
                    table[cp] = base
        _fold_table = table
    return _fold_table


def fold(s: str) -> str:
    """Case and accents folded: ``Régime`` -> ``regime``, ``Müller`` -> ``muller``, ``Łódź`` ->
    ``lodz``, ``Straße`` -> ``strasse``. The index stores words folded and queries are folded the
    same way, so either spelling finds both; names are still shown as written."""
    if s.isascii():
        return s.lower()
    import unicodedata

    return unicodedata.normalize("NFC", s).casefold().translate(fold_table())


def norm_tag(tag: str) -> str:
    """The key under which a tag is matched: case, accents and spacing do not matter."""
    return fold(" ".join(tag.split()))


_NAME_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv phd ph.d. md m.d. esq esq.".split())


def person_key(name: str) -> str:
    """The key under which an author is matched and counted: case, accents and spacing do not
    matter, and ``Pérez, José`` is ``José Pérez`` (one comma between a surname and given names;
    ``King, Jr.`` keeps its order)."""
    s = " ".join(name.split())
    parts = [p.strip() for p in s.split(",")]
    if len(parts) == 2 and all(parts) and fold(parts[1]) not in _NAME_SUFFIXES:
        s = f"{parts[1]} {parts[0]}"
    return fold(" ".join(s.replace(",", " ").split()))


def org_key(name: str) -> str:
    """The key under which an organization is matched and counted: case, accents, spacing and a
    leading ``The`` do not matter (``The Brookings Institution`` = ``Brookings Institution``)."""
    s = fold(" ".join(name.replace(",", " ").split()))
    return s[4:] if s.startswith("the ") and len(s) > 4 else s


def clean_label(value: str) -> str:
    """Collapse whitespace in a tag/author/title value."""
    return " ".join(str(value).split())
