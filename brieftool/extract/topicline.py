"""The topic line: the last line of a web copy, a run of labels (``North Korea Sanctions``).

Source ``"topic line"``: the last non-empty line, when it looks like a label line (short,
title-case words and lowercase connectors only, no sentence punctuation), e.g. ``Military
and Political Power North Korea Sanctions and Illicit Finance``. It is split with the labels
already known (``known_tags``, ``BUILTIN_PLACES``, the user vocabulary); the title-case runs
left between known labels become tags too. When no known label occurs in the line, or a
leftover run is not a title-case run, no tag is invented and a note is added.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

from ..models import clean_label
from .base import TITLE_MAX, Context, unique
from .bio import _DOTTED_ABBR
from .gazetteer import is_entry
from .places import BUILTIN_PLACES

NAME = "topic line"
CONFIDENCE = 0.5

_TOPIC_CONNECTORS = {"and", "of", "the", "for", "in", "on", "at", "to", "a", "an", "&", "with",
                     "by", "from", "vs", "vs.", "versus", "de", "del", "du", "des", "la", "le"}
_LABEL_TOKEN = re.compile(r"[^\W_][\w’'&/.\-]*")


def _capitalized(tok: str) -> bool:
    return tok[0].isupper() or tok[0].isdigit()


def _label_tokens(line: str) -> list[str] | None:
    """The words of a label line (short, title case, no sentence punctuation), else None."""
    if len(line) > TITLE_MAX:
        return None
    tokens = line.split()
    if not 1 <= len(tokens) <= 30:
        return None
    for tok in tokens:
        if tok in _TOPIC_CONNECTORS:
            continue
        if not (_LABEL_TOKEN.fullmatch(tok) and _capitalized(tok)):
            return None
        if tok.endswith(".") and not _DOTTED_ABBR.fullmatch(tok):
            return None
    if not (_capitalized(tokens[0]) and tokens[0] not in _TOPIC_CONNECTORS
            and _capitalized(tokens[-1]) and tokens[-1] not in _TOPIC_CONNECTORS):
        return None
    if not any(t[0].isupper() for t in tokens):
        return None
    if len(tokens) > 1 and not any(c.islower() for c in line):  # "DWIGHT D EISENHOWER": a signature
        return None
    return tokens


def _key(tokens: Iterable[str]) -> tuple[str, ...]:
    return tuple(t.casefold().replace("’", "'") for t in tokens)


@functools.lru_cache(maxsize=8)
def _label_index(labels: frozenset[str]) -> tuple[frozenset[tuple[str, ...]], int]:
    """Known labels as word-tuples for matching, and the longest label's word count."""
    keys = frozenset(_key(label.split()) for label in labels if label.split())
    return keys, max(map(len, keys), default=0)


_BUILTIN_LABELS = frozenset(BUILTIN_PLACES)


def _split_topics(tokens: list[str], labels: frozenset[str]) -> list[str] | None:
    """Split a label line into labels, or None when that cannot be done with confidence.

    A split is a sequence of segments, each either a known label or a run of words
    between known labels (or the line's ends); runs must start and end with a
    capitalised word and two runs never touch. Of the valid splits, the one covering
    most words with known labels wins, then the one with fewest segments. A split that
    uses no known label is not confident.
    """
    builtin, builtin_len = _label_index(_BUILTIN_LABELS)
    known, known_len = _label_index(labels)
    longest = max(builtin_len, known_len)
    keys = _key(tokens)
    n = len(tokens)
    matches = [[size for size in range(min(longest, n - i), 0, -1)
                if keys[i:i + size] in builtin or keys[i:i + size] in known] for i in range(n)]

    @functools.lru_cache(maxsize=None)
    def best(i: int, after_run: bool) -> tuple[int, int, tuple] | None:
        if i == n:
            return 0, 0, ()
        options = []
        for size in matches[i]:
            sub = best(i + size, False)
            if sub:
                options.append((sub[0] + size, sub[1] - 1, ((i, i + size),) + sub[2]))
        if not after_run and _capitalized(tokens[i]) and tokens[i] not in _TOPIC_CONNECTORS:
            for j in range(i + 1, n + 1):
                last = tokens[j - 1]
                if (j == n or matches[j]) and _capitalized(last) and last not in _TOPIC_CONNECTORS:
                    sub = best(j, True)
                    if sub:
                        options.append((sub[0], sub[1] - 1, ((i, j),) + sub[2]))
        return max(options) if options else None

    found = best(0, False)
    if not found or found[0] == 0:
        return None
    return [" ".join(tokens[a:b]) for a, b in found[2]]



def recognise(ctx: Context) -> None:
    if ctx.best("tags") > CONFIDENCE:
        return
    tail = ctx.tail()
    if not tail:
        return
    topic = tail[-1].text.strip()
    tokens = _label_tokens(topic)
    if tokens is None:
        return
    labels = frozenset(ctx.known_tags) | frozenset(v for v in (ctx.vocabulary or ()) if not is_entry(v))
    tags = _split_topics(tokens, labels)
    if tags:
        ctx.propose("tags", unique(tags), NAME, CONFIDENCE, tail[-1].start)
    else:
        ctx.notes.append(f'topic line "{clean_label(topic)}" could not be split with confidence; kept as text, no tags')
