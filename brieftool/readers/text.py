"""Plain text and Markdown: a file's bytes -> text (encoding detection and binary refusal).

This is the text reader of :mod:`brieftool.readers` (which picks the reader by content).

Stdlib only: the charset detection is a handful of explicit heuristics, applied
in this order by :func:`decode_bytes`.

1. **Empty input** -> ``ReadError("empty file")``.

2. **Magic numbers.** A known binary signature at the start of the data (PDF,
   PNG, JPEG, GIF, ZIP and the Office/OpenDocument/EPUB formats built on it,
   gzip, bzip2, xz, zstd, 7-Zip, RAR, ELF, Mach-O, Windows EXE, legacy Office,
   SQLite, RTF, tar, common audio/video containers...) is refused as
   ``"<kind> (not plain text)"``, e.g. ``"PDF file (not plain text)"``.  RTF is
   text, strictly, but its markup would be archived and searched verbatim, so it
   is refused like a word-processor file.

3. **Byte-order marks.**  UTF-32 LE/BE (checked before UTF-16, whose LE BOM is a
   prefix of UTF-32 LE's), UTF-16 LE/BE and UTF-8 BOMs select that encoding; the
   BOM is not part of the text.  The reported encodings are the Python codec
   names that decode the raw bytes to the same text: ``utf-32``, ``utf-16``,
   ``utf-8-sig``.  Invalid UTF-16/32 after a BOM (unpaired surrogates, code
   points past U+10FFFF: what random binary data starting with FF FE gives) is
   refused as not text, with the codec's reason; only a dangling incomplete
   final code unit (an odd trailing byte) is dropped, with a warning.  A UTF-8 BOM followed by bytes that are not valid UTF-8 is decoded
   as a mixed file (rule 6) whatever the proportions, provided it has at least
   one valid multi-byte sequence: the BOM says UTF-8.  With none, the BOM is
   dropped and the rest decoded as single-byte text.

4. **NUL bytes** (one ``memchr``; the wide sniffing only without a BOM):

   * BOM-less UTF-32 / UTF-16 are recognised by where the NULs fall in the first
     64 KiB: ASCII-range text in UTF-16 LE has a NUL in (at least half of) the
     odd-numbered bytes and almost never (<= 1 %) in the even ones, BE the
     reverse; UTF-32 LE has the top two bytes of every unit NUL (>= 90 % for the
     third) and BE mirrors it.  The whole data must then decode strictly, and
     the encoding is reported as ``utf-16-le`` / ``utf-16-be`` /
     ``utf-32-le`` / ``utf-32-be`` with a "no byte-order mark" warning.
   * Otherwise, if NULs are at most 0.1 % of the bytes they are strays (a
     corrupt copy, a terminator): they are removed, with a warning, and the rest
     is decoded normally (and must pass rule 7).  Same after a UTF-8 BOM.  More NULs -> binary
     (``"binary file (contains NUL bytes)"``).
   * U+0000 characters inside decoded UTF-16/32 text get the same 0.1 % rule.

5. **UTF-8** is tried by strictly decoding the *whole* data (validity cannot be
   sampled).  If it succeeds the encoding is ``utf-8`` (pure ASCII included).

6. **Not UTF-8.**  One lenient decode of the whole data (``errors="replace"``,
   C fast path; each maximal invalid subpart becomes one U+FFFD) plus byte
   counts give two numbers: *m*, the well-formed multi-byte UTF-8 sequences,
   and *i*, the invalid subparts (for stray legacy bytes, one per byte).

   * ``m >= i`` (and ``m > 0``): a **mixed** file, UTF-8 with some legacy bytes
     pasted in.  Decoding it all as Windows-1252 would turn every valid UTF-8
     character into mojibake ("cafÃ©"), so valid UTF-8 is decoded as UTF-8 and
     each invalid byte as Windows-1252; encoding ``utf-8+cp1252``, with a warning
     counting the bytes that were not UTF-8.
   * otherwise a **single-byte** file.  Real Windows-1252 and Latin-1 text only
     differ in 0x80-0x9F (the C1 range): Windows-1252 has punctuation there
     (“ ” ‘ ’ – — … € ™), Latin-1 has C1 control codes that real text never
     uses.  So:

     - no byte in 0x80-0x9F: both decodings are identical; reported as
       ``latin-1`` (the narrower claim);
     - C1 bytes, none of 0x81 0x8D 0x8F 0x90 0x9D (undefined in
       Windows-1252): ``cp1252``;
     - some undefined bytes: the C1 range decides.  If the C1 bytes that *are*
       Windows-1252 punctuation outnumber the undefined ones, it is ``cp1252``
       with a few stray bytes, and those are kept as the C1 control characters
       of the same number (as the WHATWG windows-1252 decoder does, so nothing
       is lost).  Otherwise ``latin-1``.

     In both cases a "decoded as ... (not valid UTF-8)" warning is added.
     Every byte sequence has a Latin-1 reading, so what is refused here is
     refused by rule 7: data that no text encoding explains is full of
     control characters.

7. **Control characters.** After decoding, C0 controls other than ``\\t \\n \\r
   \\f`` plus DEL and C1 controls (U+0080-U+009F) are counted (one regex scan;
   a 64 Ki-character sample is checked first so that binary data is refused
   without scanning all of it).  More than 5 % of the characters -> binary
   (``"binary file (23% control characters)"``).  A few are kept verbatim
   with a warning.  Random bytes come out at 10-25 %, real text near 0 %.
   (Checked after rule 8, so whitespace-only input gets that reason.)

8. **Emptiness.**  Decoded text that is empty (a lone BOM, only stray NULs
   removed...) -> ``"empty file"``; only whitespace (``str.isspace``) ->
   ``"contains only whitespace"``.

9. **Line endings.**  CRLF and lone CR become ``\\n`` in the returned text.
   The archive stores (and hashes: its ``sha256`` is of *this* decoded,
   normalised text, not of the file's bytes) the text as returned here, so the
   same brief saved with different encodings or line endings has one hash and
   is recognised as a duplicate.  Nothing else is normalised (no Unicode
   normalisation, no trailing-space or final-newline changes).

:func:`looks_binary` runs the same pipeline on a head sample, tolerant of a
sequence cut at the end of the sample, and returns the reason if the sample is
binary.  Because the NUL and control ratios are then those of the sample, it is
a little stricter than :func:`decode_bytes` for a file whose few stray NULs are
all at its start.

:func:`read_path` stats the path (clear errors for missing files, directories,
oversize files, before anything is opened), opens it, ``fstat``\\ s the open file
for ``mtime_ns`` (taken *before* reading, so a later edit makes the stored
mtime stale rather than too new), reads it in one call (at most
``max_bytes + 1`` bytes) and decodes it once.  FIFOs (``<(cmd)``, a piped
``/dev/stdin``) are read too, with ``mtime_ns=None``; other non-regular files
(devices, sockets) are refused.
"""

from __future__ import annotations

import codecs
import math
import os
import pathlib
import re
import stat as _stat
from dataclasses import dataclass, field

from ..models import BriefError

__all__ = [
    "ReadError",
    "BinaryFileError",
    "Decoded",
    "decode_bytes",
    "read_path",
    "read_raw",
    "looks_binary",
    "DEFAULT_MAX_BYTES",
]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024

# Stray NULs tolerated (and removed) up to this share of the bytes.
NUL_MAX_RATIO = 0.001
# More than this share of control characters -> binary.
CONTROL_MAX_RATIO = 0.05
# Bytes looked at for magic numbers and BOM-less UTF-16/32 sniffing.
HEAD_BYTES = 64 * 1024
# Characters checked first for the control ratio (fast refusal of binaries).
CONTROL_SAMPLE_CHARS = 64 * 1024


class ReadError(BriefError):
    """A file could not be turned into text.  The message is the reason only
    ("binary file (contains NUL bytes)"); the caller prefixes the path."""


class BinaryFileError(ReadError):
    """The content is not text (magic number, NUL bytes, control characters, invalid
    UTF-16/32).  Callers that walk directories may skip these quietly."""


@dataclass
class Decoded:
    text: str
    encoding: str
    size: int  # bytes read
    mtime_ns: int | None
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- magic numbers


def _zip_kind(head: bytes) -> str:
    if b"mimetypeapplication/vnd.oasis.opendocument" in head:
        return "OpenDocument file (.odt/.ods/.odp)"
    if b"mimetypeapplication/epub+zip" in head:
        return "EPUB e-book"
    if b"word/" in head:
        return "Word document (.docx)"
    if b"xl/" in head:
        return "Excel workbook (.xlsx)"
    if b"ppt/" in head:
        return "PowerPoint presentation (.pptx)"
    return "ZIP archive"


# (prefix, kind); checked in order, all at offset 0.
_MAGIC_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF file"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x1f\x8b", "gzip-compressed file"),
    (b"\xfd7zXZ\x00", "xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "Zstandard-compressed file"),
    (b"\x04\x22\x4d\x18", "LZ4-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "ELF executable"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (b"\xfe\xed\xfa\xce", "Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "Java class file or Mach-O universal binary"),
    (b"\x00asm", "WebAssembly module"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Microsoft Office document (.doc/.xls/.ppt)"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"{\\rtf", "RTF document"),
    (b"OggS\x00", "Ogg media file"),
    (b"fLaC\x00", "FLAC audio"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM media file"),
)

_BZIP2_RE = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")
_ID3_RE = re.compile(rb"ID3[\x02-\x04]\x00")


def _magic_reason(head: bytes) -> str | None:
    """``"<kind> (not plain text)"`` if ``head`` starts with a known binary signature."""
    kind = magic_kind(head)
    return f"{kind} (not plain text)" if kind else None


def magic_kind(head: bytes) -> str | None:
    """The kind of binary file (``"PDF file"``, ``"EPUB e-book"``...) ``head`` starts like, or None."""
    kind = None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        kind = _zip_kind(head)
    else:
        for prefix, name in _MAGIC_PREFIXES:
            if head.startswith(prefix):
                kind = name
                break
    if kind is None:
        if _BZIP2_RE.match(head):
            kind = "bzip2-compressed file"
        elif _ID3_RE.match(head):
            kind = "MP3 audio"
        elif head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
            kind = {b"WAVE": "WAV audio", b"AVI ": "AVI video", b"WEBP": "WebP image"}[head[8:12]]
        elif head[4:8] == b"ftyp" and head[:1] == b"\x00":  # a big-endian box size first
            kind = "MP4/QuickTime media file"
        elif head[257:263] == b"ustar\x00" or head[257:265] == b"ustar  \x00":
            kind = "tar archive"
        elif head[:2] == b"MZ" and b"\x00" in head[2:64]:
            kind = "Windows executable"
    return kind


# --------------------------------------------------------------------------- helpers

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_LE_BOM = b"\xff\xfe"
_UTF16_BE_BOM = b"\xfe\xff"
_UTF32_LE_BOM = b"\xff\xfe\x00\x00"
_UTF32_BE_BOM = b"\x00\x00\xfe\xff"

_HIGH_BYTES = bytes(range(0x80, 0x100))
_C1_BYTES = bytes(range(0x80, 0xA0))
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _cp1252_char(b: int) -> str:
    """Windows-1252 reading of one byte; the five undefined bytes map to the C1 control of
    the same number (WHATWG behaviour), so the decoding is total and lossless."""
    return bytes((b,)).decode("cp1252") if b not in _CP1252_UNDEFINED else chr(b)


_CP1252_TABLE = [_cp1252_char(b) for b in range(256)]
_CP1252_TOTAL = "".join(_CP1252_TABLE)  # a charmap decoding table


def _decode_cp1252_total(data: bytes) -> str:
    return codecs.charmap_decode(data, "strict", _CP1252_TOTAL)[0]


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not valid UTF-8 are read as Windows-1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(_CP1252_TABLE[b] for b in bad), exc.end


_CP1252_FALLBACK = "brieftool.readers.text.cp1252-fallback"
codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def _decode_mixed(data: bytes) -> str:
    """Valid UTF-8 as UTF-8, every other byte as Windows-1252 (one pass)."""
    return data.decode("utf-8", errors=_CP1252_FALLBACK)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fmt_size(n: int, *, up: bool) -> str:
    """Human size, MB (MiB) for >= 1 MiB; rounded up for the file, down for the limit, so a
    file just over the limit never reads as equal to it."""
    rnd = math.ceil if up else math.floor
    if n >= 1024 * 1024:
        v = rnd(n / (1024 * 1024) * 10) / 10
        return f"{v:g} MB"
    if n >= 1024:
        v = rnd(n / 1024 * 10) / 10
        return f"{v:g} KB"
    return _plural(n, "byte")


# --------------------------------------------------------------------------- wide encodings


def _sniff_bomless_wide(data: bytes) -> str | None:
    """``utf-32-le``/``utf-32-be``/``utf-16-le``/``utf-16-be`` if the NUL pattern of the head
    says so (ASCII-range text in a wide encoding), else None."""
    head = data[:HEAD_BYTES]
    if len(data) % 4 == 0 and len(head) >= 4:
        units = len(head) // 4
        h = head[: units * 4]
        b0, b1, b2, b3 = (h[k::4].count(0) for k in range(4))
        if b3 == units and b2 >= 0.9 * units and b0 * 100 <= units:
            return "utf-32-le"
        if b0 == units and b1 >= 0.9 * units and b3 * 100 <= units:
            return "utf-32-be"
    if len(head) >= 2:
        units = len(head) // 2
        h = head[: units * 2]
        even, odd = h[0::2].count(0), h[1::2].count(0)
        if odd >= 0.5 * units and even * 100 <= units:
            return "utf-16-le"
        if even >= 0.5 * units and odd * 100 <= units:
            return "utf-16-be"
    return None


def _decode_wide(data: bytes, codec: str, *, partial: bool, warnings: list[str]) -> str:
    """Strictly decode UTF-16/32 (``codec`` may be the BOM-reading 'utf-16'/'utf-32').
    Invalid data is refused as BinaryFileError: it does not decode to text."""
    unit = 4 if "32" in codec else 2
    label = "UTF-32" if unit == 4 else "UTF-16"
    rem = len(data) % unit
    whole = data[: len(data) - rem]
    try:
        text = whole.decode(codec)
    except UnicodeDecodeError as exc:
        if partial and exc.reason == "unexpected end of data":
            # A sample may cut a surrogate pair: decode what is whole.
            try:
                return whole[: exc.start].decode(codec)
            except UnicodeDecodeError:
                pass
        raise BinaryFileError(f"invalid {label} ({exc.reason} at byte {exc.start})") from None
    if rem and not partial:
        warnings.append(f"incomplete final {label} code unit dropped ({_plural(rem, 'byte')})")
    return text


def _remove_stray_nul_bytes(data: bytes, warnings: list[str]) -> bytes:
    if b"\x00" not in data:
        return data
    nuls = data.count(b"\x00")
    if nuls > NUL_MAX_RATIO * len(data):
        raise BinaryFileError("binary file (contains NUL bytes)")
    warnings.append(f"{_plural(nuls, 'NUL byte')} removed")
    return data.replace(b"\x00", b"")


def _remove_nul_chars(text: str, warnings: list[str]) -> str:
    nuls = text.count("\x00")
    if not nuls:
        return text
    if nuls > NUL_MAX_RATIO * len(text):
        raise BinaryFileError("binary file (contains NUL characters)")
    warnings.append(f"{_plural(nuls, 'NUL character')} removed")
    return text.replace("\x00", "")


# --------------------------------------------------------------------------- byte-oriented


def _decode_utf8_or_legacy(data: bytes, *, partial: bool, declared_utf8: bool, warnings: list[str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if partial and exc.end == len(data) and exc.reason == "unexpected end of data":
            # A multi-byte sequence cut by the end of the sample.
            try:
                return data[: exc.start].decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass

    # One lenient decode (C fast path) weighs the evidence: each maximal invalid subpart
    # becomes one U+FFFD, every other non-ASCII character is a valid multi-byte sequence.
    ascii_bytes = len(data.translate(None, _HIGH_BYTES))
    lenient = data.decode("utf-8", errors="replace")
    invalid = lenient.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = len(lenient) - ascii_bytes - invalid
    del lenient
    if multibyte and (multibyte >= invalid or declared_utf8):
        text = _decode_mixed(data)
        bad_bytes = len(text) - ascii_bytes - multibyte  # each invalid byte is one character
        warnings.append(
            f"mixed encoding: {_plural(bad_bytes, 'byte')} not valid UTF-8 decoded as Windows-1252"
        )
        return text, "utf-8+cp1252"

    c1 = len(data) - len(data.translate(None, _C1_BYTES))
    undefined = sum(data.count(b) for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))
    if c1 and c1 - undefined > undefined:
        warnings.append("decoded as Windows-1252 (not valid UTF-8)")
        return _decode_cp1252_total(data), "cp1252"
    warnings.append("decoded as Latin-1 (not valid UTF-8)")
    return data.decode("latin-1"), "latin-1"


def _decode_lf(data: bytes, *, partial: bool, declared_utf8: bool, warnings: list[str]) -> tuple[str, str]:
    """:func:`_decode_utf8_or_legacy` of ``data`` with its line endings made ``\\n`` (rule 9) on
    the bytes, before decoding: on the text it took a second copy of the whole text while the
    bytes and the first were still held (a big CRLF file peaked at 5 times its size). The
    same text, encoding and warnings: a CR is one ASCII byte in every encoding decoded here,
    and the counts of the legacy rules lose as many ASCII bytes as characters. Only the share
    of control characters (rule 7) counts the CRs, so a text with any control character is
    decoded as it was (the line endings then made ``\\n`` on the text)."""
    if b"\r" in data:
        lf = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        said: list[str] = []
        text, encoding = _decode_utf8_or_legacy(lf, partial=partial, declared_utf8=declared_utf8, warnings=said)
        del lf
        if _CONTROL_RE.search(text) is None:
            warnings.extend(said)
            return text, encoding
        del text
    return _decode_utf8_or_legacy(data, partial=partial, declared_utf8=declared_utf8, warnings=warnings)


# --------------------------------------------------------------------------- the pipeline


def _check_controls(text: str, warnings: list[str]) -> None:
    n = len(text)
    if not n:
        return
    sample = text[:CONTROL_SAMPLE_CHARS]
    if len(sample) < n:
        k = len(_CONTROL_RE.findall(sample))
        if k > CONTROL_MAX_RATIO * len(sample):
            raise BinaryFileError(f"binary file ({max(1, round(100 * k / len(sample)))}% control characters)")
    first = _CONTROL_RE.search(text)
    if first is None:
        return
    k = len(_CONTROL_RE.findall(text, first.start()))
    if k > CONTROL_MAX_RATIO * n:
        raise BinaryFileError(f"binary file ({max(1, round(100 * k / n))}% control characters)")
    warnings.append(f"{_plural(k, 'control character')} kept (first: U+{ord(first.group()):04X})")


def _decode(data: bytes, *, partial: bool) -> tuple[str, str, list[str]]:
    warnings: list[str] = []
    if not data:
        raise ReadError("empty file")

    reason = _magic_reason(data[:HEAD_BYTES])
    if reason:
        raise BinaryFileError(reason)

    text: str
    utf32 = None
    if data.startswith(_UTF32_BE_BOM) or (
        data.startswith(_UTF32_LE_BOM) and (partial or len(data) % 4 == 0)
    ):
        try:
            utf32 = _decode_wide(data, "utf-32", partial=partial, warnings=warnings)
        except BinaryFileError:
            if not data.startswith(_UTF16_LE_BOM):
                raise
            # FF FE 00 00 can also be a UTF-16 LE BOM followed by U+0000: try that below.
    if utf32 is not None:
        text = _remove_nul_chars(utf32, warnings)
        encoding = "utf-32"
    elif data.startswith((_UTF16_LE_BOM, _UTF16_BE_BOM)):
        text = _decode_wide(data, "utf-16", partial=partial, warnings=warnings)
        text = _remove_nul_chars(text, warnings)
        encoding = "utf-16"
    elif data.startswith(_UTF8_BOM):
        data = _remove_stray_nul_bytes(data[3:], warnings)
        text, encoding = _decode_lf(data, partial=partial, declared_utf8=True, warnings=warnings)
        if encoding == "utf-8":
            encoding = "utf-8-sig"
    else:
        wide = _sniff_bomless_wide(data) if b"\x00" in data else None
        if wide:
            try:
                text = _decode_wide(data, wide, partial=partial, warnings=warnings)
            except BinaryFileError as exc:
                raise BinaryFileError(f"looks like {wide.upper()} without byte-order mark, but {exc}") from None
            text = _remove_nul_chars(text, warnings)
            encoding = wide
            warnings.insert(0, f"decoded as {wide[:6].upper()} {wide[7:].upper()} (no byte-order mark)")
        else:
            data = _remove_stray_nul_bytes(data, warnings)
            text, encoding = _decode_lf(data, partial=partial, declared_utf8=False, warnings=warnings)

    if not text:
        raise ReadError("empty file")
    if text.isspace():
        raise ReadError("contains only whitespace")
    _check_controls(text, warnings)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding, warnings


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Decode a whole file's bytes: ``(text, encoding, warnings)``.  Raises ReadError
    (BinaryFileError for content that is not text).  See the module docstring."""
    return _decode(bytes(data), partial=False)


def looks_binary(head: bytes) -> str | None:
    """The reason ``head`` (the start of a file) is not text, or None.  Empty or
    whitespace-only samples are not binary."""
    try:
        _decode(bytes(head), partial=True)
    except BinaryFileError as exc:
        return str(exc)
    except ReadError:
        return None
    return None


# --------------------------------------------------------------------------- files


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


_FILE_KINDS = {
    _stat.S_IFCHR: "character device",
    _stat.S_IFBLK: "block device",
    _stat.S_IFSOCK: "socket",
}


def _too_large(size: int | None, max_bytes: int) -> ReadError:
    """``size`` None: the file only turned out too large while being read (a pipe, or a file
    growing after its stat) and its real size is unknown."""
    limit = _fmt_size(max_bytes, up=False)
    shown = f"> {limit}" if size is None else _fmt_size(size, up=True)
    return ReadError(f"file too large ({shown}; limit {limit})")


def read_raw(path: pathlib.Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, int | None]:
    """The bytes of one file and its ``mtime_ns`` (None for a FIFO), with the checks described
    in the module docstring. Raises ReadError with the reason only (no path)."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ReadError(_os_reason(exc)) from None
    except ValueError:  # an embedded NUL in the name
        raise ReadError("invalid file name") from None
    if _stat.S_ISDIR(st.st_mode):
        raise ReadError("is a directory")
    regular = _stat.S_ISREG(st.st_mode)
    if not regular and not _stat.S_ISFIFO(st.st_mode):
        kind = _FILE_KINDS.get(_stat.S_IFMT(st.st_mode), "special file")
        raise ReadError(f"not a regular file ({kind})")
    if regular and st.st_size > max_bytes:
        raise _too_large(st.st_size, max_bytes)

    try:
        from ..fsafe import nonblocking_opener, settle

        with open(path, "rb", opener=nonblocking_opener) as f:  # never blocks in open() (a FIFO, a device)
            fst = settle(f)  # the file actually opened, before reading: regular or a FIFO
            if _stat.S_ISDIR(fst.st_mode):
                raise ReadError("is a directory")
            regular = _stat.S_ISREG(fst.st_mode)
            if regular and fst.st_size > max_bytes:
                raise _too_large(fst.st_size, max_bytes)
            data = f.read(max_bytes + 1)
    except OSError as exc:  # vanished since the stat -> "no such file"
        raise ReadError(_os_reason(exc)) from None
    if len(data) > max_bytes:
        raise _too_large(None, max_bytes)
    return data, (fst.st_mtime_ns if regular else None)


def read_path(path: pathlib.Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Read and decode one plain-text file.  Raises ReadError with the reason only (no path)."""
    data, mtime_ns = read_raw(path, max_bytes=max_bytes)
    text, encoding, warnings = _decode(data, partial=False)
    return Decoded(
        text=text,
        encoding=encoding,
        size=len(data),
        mtime_ns=mtime_ns,
        warnings=warnings,
    )
