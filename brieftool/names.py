"""File names as the operating system gives them.

On POSIX a file name is bytes; Python hands undecodable bytes over as lone surrogates
(``surrogateescape``: byte 0xff becomes U+DCFF). brief keeps such a name exactly, as that
string, wherever it records a path (the ``source`` of a brief, export lines), so the file can
be found again, and shows it escaped (render.safe prints U+DCFF as ``\\xff``). What cannot
carry a lone surrogate gets a form made for it here:

* :func:`index_term`: the form under which a path is an index term (Whoosh encodes terms as
  strict UTF-8); lookups by that term compare the exact stored path afterwards;
* :func:`readable`: text for a title made from a file name (the bytes decoded as UTF-8 where
  they are, else as Windows-1252, the usual origin of such names: old zips, Windows shares).
"""

from __future__ import annotations

import os
import re

_SURROGATES = re.compile("[\ud800-\udfff]")


def has_surrogates(s: str) -> bool:
    return bool(s) and _SURROGATES.search(s) is not None


def index_term(s: str) -> str:
    """``s`` with every lone surrogate written as ``\\xNN`` / ``\\udNNN`` (strict UTF-8 safe)."""
    if not has_surrogates(s):
        return s
    return _SURROGATES.sub(lambda m: (f"\\x{ord(m.group()) - 0xDC00:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                                      else f"\\u{ord(m.group()):04x}"), s)


def readable(name: str) -> str:
    """A file name (or part of one) as readable text, for titles: no lone surrogates left."""
    if not has_surrogates(name):
        return name
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return index_term(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def clean(s: str) -> str:
    """Text for an indexed field: lone surrogates (which no index term can hold) readable."""
    return readable(s) if has_surrogates(s) else s
