"""brieftool.readers.text: bytes/paths -> text, encodings, binary refusal, file errors.

Every case writes real bytes to a real file and asserts on the decoded text and the
reported encoding (not merely that nothing raised).
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import random
import stat
import threading
import zipfile

import pytest

from brieftool.readers import text as reader
from brieftool.models import BriefError
from brieftool.readers.text import BinaryFileError, Decoded, ReadError, decode_bytes, looks_binary, read_path

LONG = "The quick brown fox jumps over the lazy dog. " * 100  # 4,500 ASCII characters


def write(tmp_path, data: bytes, name: str = "brief.txt"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _zip_bytes(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<xml/>")
    return buf.getvalue()


# --------------------------------------------------------------------------- encodings

# (id, bytes on disk, expected text, expected encoding, expected warning fragment or None)
ENCODING_CASES = [
    ("ascii", b"Plain ASCII brief.\n", "Plain ASCII brief.\n", "utf-8", None),
    ("utf-8", "Kim’s “bold decision” — café, naïve, 日本\n".encode(), "Kim’s “bold decision” — café, naïve, 日本\n", "utf-8", None),
    ("utf-8 BOM", b"\xef\xbb\xbf" + "café “x”\n".encode(), "café “x”\n", "utf-8-sig", None),
    ("utf-16 LE BOM", b"\xff\xfe" + "café “x” 日本\n".encode("utf-16-le"), "café “x” 日本\n", "utf-16", None),
    ("utf-16 BE BOM", b"\xfe\xff" + "café “x” 日本\n".encode("utf-16-be"), "café “x” 日本\n", "utf-16", None),
    ("utf-16 LE no BOM", "Policy brief: café\n".encode("utf-16-le"), "Policy brief: café\n", "utf-16-le", "UTF-16 LE (no byte-order mark)"),
    ("utf-16 BE no BOM", "Policy brief: café\n".encode("utf-16-be"), "Policy brief: café\n", "utf-16-be", "UTF-16 BE (no byte-order mark)"),
    ("utf-32 LE BOM", b"\xff\xfe\x00\x00" + "café 😀\n".encode("utf-32-le"), "café 😀\n", "utf-32", None),
    ("utf-32 BE BOM", b"\x00\x00\xfe\xff" + "café 😀\n".encode("utf-32-be"), "café 😀\n", "utf-32", None),
    ("utf-32 LE no BOM", "Policy brief\n".encode("utf-32-le"), "Policy brief\n", "utf-32-le", "UTF-32 LE (no byte-order mark)"),
    ("latin-1 café", b"caf\xe9 au lait, cr\xe8me br\xfbl\xe9e\n", "café au lait, crème brûlée\n", "latin-1", "decoded as Latin-1 (not valid UTF-8)"),
    ("cp1252 quotes and dash", b"\x93Bold decision\x94 \x96 Kim\x92s speech\n", "“Bold decision” – Kim’s speech\n", "cp1252", "decoded as Windows-1252 (not valid UTF-8)"),
    ("cp1252 euro, ellipsis, em dash, TM", b"\x80100\x85 \x97 Brand\x99 caf\xe9\n", "€100… — Brand™ café\n", "cp1252", "Windows-1252"),
    (
        # One byte undefined in cp1252 among much cp1252 punctuation: still cp1252, the stray
        # byte kept (as U+0081), not dropped or replaced.
        "cp1252 with a stray undefined byte",
        ("\x93quoted\x94 \x96 " * 10).encode("latin-1") + b"x\x81y " + LONG.encode(),
        "“quoted” – " * 10 + "x\x81y " + LONG,
        "cp1252",
        "1 control character kept (first: U+0081)",
    ),
    (
        # Undefined bytes and no cp1252 punctuation: the C1 range says Latin-1.
        "latin-1 with a C1 control",
        b"caf\xe9 \x8d " + LONG.encode(),
        "café \x8d " + LONG,
        "latin-1",
        "decoded as Latin-1",
    ),
    (
        "mixed utf-8 with stray cp1252 bytes",
        "naïve café “ok” ".encode() + b"\x96 pasted \x93quote\x94\n",
        "naïve café “ok” – pasted “quote”\n",
        "utf-8+cp1252",
        "mixed encoding: 3 bytes not valid UTF-8 decoded as Windows-1252",
    ),
    (
        "utf-8 BOM but cp1252 bytes only",
        b"\xef\xbb\xbf\x93x\x94 \x96 y\n",
        "“x” – y\n",
        "cp1252",
        "Windows-1252",
    ),
    (
        # Invalid UTF-8 dominated by legacy bytes with one accidental valid pair: single-byte.
        "invalid utf-8 mixed garbage, mostly legacy",
        b"\xc3\xa9 \xe0\xe8\xec\xf2\xf9 \x93x\x94\n",
        "Ã© àèìòù “x”\n",
        "cp1252",
        "Windows-1252",
    ),
    (
        # Truncated multi-byte sequences in otherwise UTF-8 text.
        "invalid utf-8 truncated sequences",
        "Ω résumé ".encode() * 5 + b"\xe2\x80 end\n",
        "Ω résumé " * 5 + "â€ end\n",
        "utf-8+cp1252",
        "2 bytes not valid UTF-8",
    ),
]


@pytest.mark.parametrize(
    "data, text, encoding, warning",
    [c[1:] for c in ENCODING_CASES],
    ids=[c[0] for c in ENCODING_CASES],
)
def test_encodings_from_real_files(tmp_path, data, text, encoding, warning):
    p = write(tmp_path, data)
    d = read_path(p)
    assert isinstance(d, Decoded)
    assert d.text == text
    assert d.encoding == encoding
    assert d.size == len(data)
    if warning is None:
        assert d.warnings == []
    else:
        assert any(warning in w for w in d.warnings), d.warnings
    # The same through decode_bytes.
    assert decode_bytes(data) == (d.text, d.encoding, d.warnings)


# Pure (non-mixed, nothing kept as a control) cases: the label is a Python codec for the raw bytes.
_CODEC_CASES = [c for c in ENCODING_CASES if "+" not in c[3] and "\x81" not in c[2] and "BOM but" not in c[0]]


@pytest.mark.parametrize("case", _CODEC_CASES, ids=[c[0] for c in _CODEC_CASES])
def test_encoding_label_is_a_codec_for_clean_files(case):
    _, data, text, encoding, _ = case
    assert data.decode(encoding).replace("\r\n", "\n") == text


def test_bom_is_not_part_of_the_text():
    for data in (b"\xef\xbb\xbfA\n", b"\xff\xfeA\x00\n\x00", b"\xfe\xff\x00A\x00\n"):
        text, _, _ = decode_bytes(data)
        assert text == "A\n"
        assert "\ufeff" not in text


def test_utf16_truncated_final_byte_is_dropped_with_warning():
    data = b"\xff\xfe" + "Brief\n".encode("utf-16-le") + b"X"
    text, enc, warnings = decode_bytes(data)
    assert (text, enc) == ("Brief\n", "utf-16")
    assert any("incomplete final UTF-16 code unit" in w for w in warnings)


def test_utf16_with_lone_surrogate_is_refused():
    data = b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8" + "ok".encode("utf-16-le")
    with pytest.raises(BinaryFileError, match=r"^invalid UTF-16 \(.*\)$"):
        decode_bytes(data)


def test_random_data_after_a_utf16_bom_is_refused():
    rng = random.Random(7)
    data = b"\xff\xfe" + bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(BinaryFileError, match=r"^invalid UTF-(16|32) "):
        decode_bytes(data)
    assert looks_binary(data[:1001]) is not None


# --------------------------------------------------------------------------- binary

RNG = random.Random(1234)
_NUL_FREE_RANDOM = bytes(RNG.randrange(1, 256) for _ in range(4096))

# (id, bytes, expected reason: a regex on the message)
BINARY_CASES = [
    ("NUL-heavy", b"abc\x00\x00\x01\x02def\x00" * 200, r"^binary file \(contains NUL bytes\)$"),
    ("PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", r"^PDF file \(not plain text\)$"),
    ("PNG", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(20), r"^PNG image \(not plain text\)$"),
    ("JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", r"^JPEG image \(not plain text\)$"),
    ("GIF", b"GIF89a\x01\x00\x01\x00", r"^GIF image \(not plain text\)$"),
    ("ZIP", _zip_bytes(["notes.txt"]), r"^ZIP archive \(not plain text\)$"),
    ("DOCX", _zip_bytes(["[Content_Types].xml", "word/document.xml"]), r"^Word document \(\.docx\) \(not plain text\)$"),
    ("XLSX", _zip_bytes(["[Content_Types].xml", "xl/workbook.xml"]), r"^Excel workbook"),
    ("gzip", gzip.compress(LONG.encode()), r"^gzip-compressed file \(not plain text\)$"),
    ("ELF", b"\x7fELF\x02\x01\x01" + bytes(57), r"^ELF executable \(not plain text\)$"),
    ("legacy Office", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), r"^legacy Microsoft Office"),
    ("RTF", rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} Hello}", r"^RTF document \(not plain text\)$"),
    ("random bytes without NULs", _NUL_FREE_RANDOM, r"^binary file \(\d+% control characters\)$"),
    ("control characters", (b"\x01\x02\x03\x04text\x05\x06" * 100), r"^binary file \(\d+% control characters\)$"),
    ("NUL in utf-16 text", "ab\x00\x00cd".encode("utf-16"), r"^binary file \(contains NUL characters\)$"),
]


@pytest.mark.parametrize("data, reason", [c[1:] for c in BINARY_CASES], ids=[c[0] for c in BINARY_CASES])
def test_binary_files_are_refused_with_a_reason(tmp_path, data, reason):
    p = write(tmp_path, data, "blob.txt")
    with pytest.raises(BinaryFileError, match=reason) as ei:
        read_path(p)
    assert "\n" not in str(ei.value)
    assert str(p) not in str(ei.value)  # the caller prefixes the path
    # looks_binary agrees on the head.
    assert looks_binary(data[:8192]) is not None


def test_random_bytes_are_refused():
    # Whatever the draw (a random start can even look like a BOM), always a one-line ReadError.
    for _ in range(50):
        data = os.urandom(4096)
        with pytest.raises(ReadError) as ei:
            decode_bytes(data)
        assert isinstance(ei.value, BinaryFileError)
        assert str(ei.value) and "\n" not in str(ei.value)
        assert looks_binary(data[:1000]) is not None


def test_random_bytes_file_is_refused(tmp_path):
    data = b"\x01" + os.urandom(4095)  # no BOM or magic can start it
    with pytest.raises(BinaryFileError, match=r"^binary file \("):
        read_path(write(tmp_path, data))


def test_binary_error_is_a_read_error_and_brief_error():
    with pytest.raises(ReadError) as ei:
        decode_bytes(b"%PDF-1.4")
    assert isinstance(ei.value, BriefError)
    assert ei.value.exit_code == 1


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_stray_single_nul_in_long_text_is_removed(tmp_path, position):
    body = ("Kim’s “bold decision”. " * 200).encode()  # ~5 KB of UTF-8
    i = {"start": 0, "middle": body.index(b". ", len(body) // 2) + 1, "end": len(body)}[position]
    data = body[:i] + b"\x00" + body[i:]
    d = read_path(write(tmp_path, data))
    assert d.text == body.decode()
    assert d.encoding == "utf-8"
    assert d.warnings == ["1 NUL byte removed"]
    assert d.size == len(data)


def test_nul_rule_applies_after_a_utf8_bom():
    assert decode_bytes(b"\xef\xbb\xbf" + LONG.encode() + b"\x00") == (LONG, "utf-8-sig", ["1 NUL byte removed"])
    with pytest.raises(BinaryFileError, match="NUL bytes"):
        decode_bytes(b"\xef\xbb\xbfa\x00b\x00c\x00" * 10)


def test_stray_nuls_just_over_the_limit_are_binary():
    body = b"x" * 999 + b"\x00\x00"  # 2 in 1001 bytes: > 0.1 %
    with pytest.raises(BinaryFileError, match="NUL"):
        decode_bytes(body)
    assert decode_bytes(b"x" * 1999 + b"\x00")[0] == "x" * 1999  # 1 in 2000: fine


def test_a_few_control_characters_are_kept_with_a_warning():
    data = ("Title\x0b" + LONG).encode()
    text, enc, warnings = decode_bytes(data)
    assert text == "Title\x0b" + LONG
    assert enc == "utf-8"
    assert warnings == ["1 control character kept (first: U+000B)"]


def test_tab_formfeed_are_not_control_characters():
    text, _, warnings = decode_bytes(b"a\tb\fc\n")
    assert text == "a\tb\fc\n"
    assert warnings == []


# --------------------------------------------------------------------------- looks_binary


@pytest.mark.parametrize(
    "head, binary",
    [
        (LONG.encode(), False),
        ("Kim’s speech".encode()[:6], False),  # cut inside ’: still text
        ("Policy brief".encode("utf-16-le"), False),
        (b"\xff\xfe" + "Brief".encode("utf-16-le") + b"B", False),  # odd-length sample
        (b"", False),
        (b"   \n", False),
        (b"%PDF-1.5\n", True),
        (b"\x89PNG\r\n\x1a\n", True),
        (b"\x00\x01\x02\x03" * 100, True),
        (_NUL_FREE_RANDOM, True),
    ],
)
def test_looks_binary(head, binary):
    reason = looks_binary(head)
    assert (reason is not None) == binary, reason
    if binary:
        assert isinstance(reason, str) and reason


def test_looks_binary_reason_names_the_format():
    assert looks_binary(b"%PDF-1.4") == "PDF file (not plain text)"
    assert looks_binary(b"abc\x00\x00\x00def") == "binary file (contains NUL bytes)"


# --------------------------------------------------------------------------- empty


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),  # a BOM and nothing else
        (b"   ", "contains only whitespace"),
        (b"\n\n\r\n\t \n", "contains only whitespace"),
        ("\u00a0\u2003\n".encode(), "contains only whitespace"),
        (" \n".encode("utf-16"), "contains only whitespace"),
    ],
    ids=["empty", "bom-only", "spaces", "newlines", "unicode-spaces", "utf16-whitespace"],
)
def test_empty_and_whitespace_only(tmp_path, data, reason):
    with pytest.raises(ReadError) as ei:
        read_path(write(tmp_path, data))
    assert str(ei.value) == reason
    assert not isinstance(ei.value, BinaryFileError)


# --------------------------------------------------------------------------- line endings


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a\r\nb\r\nc\r\n", "a\nb\nc\n"),  # Windows
        ("a\rb\rc\r", "a\nb\nc\n"),  # classic Mac
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),  # mixed
        ("a\r\r\nb", "a\n\nb"),  # CR CR LF: a lone CR then a CRLF
        ("a\n\rb", "a\n\nb"),  # LF CR is two breaks
        ("no newline at all", "no newline at all"),
    ],
    ids=["crlf", "cr", "mixed", "cr-crlf", "lf-cr", "none"],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_line_endings_normalised(tmp_path, raw, expected, encoding):
    raw = "“" + raw if encoding == "cp1252" else raw  # force the cp1252 path
    expected = "“" + expected if encoding == "cp1252" else expected
    d = read_path(write(tmp_path, raw.encode(encoding)))
    assert d.text == expected
    assert "\r" not in d.text
    assert d.encoding == encoding


# --------------------------------------------------------------------------- file errors


def test_directory(tmp_path):
    with pytest.raises(ReadError, match=r"^is a directory$"):
        read_path(tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match=r"^no such file$"):
        read_path(tmp_path / "nope.txt")


def test_missing_parent_is_no_such_file(tmp_path):
    with pytest.raises(ReadError, match=r"^no such file$"):
        read_path(tmp_path / "no-dir" / "nope.txt")


def test_file_used_as_directory(tmp_path):
    p = write(tmp_path, b"x")
    with pytest.raises(ReadError, match=r"^not a directory$"):
        read_path(p / "child.txt")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied(tmp_path):
    p = write(tmp_path, b"secret brief")
    p.chmod(0)
    try:
        with pytest.raises(ReadError, match=r"^permission denied$"):
            read_path(p)
    finally:
        p.chmod(stat.S_IRUSR | stat.S_IWUSR)


def _patch_open(monkeypatch, fake):
    monkeypatch.setattr(reader, "open", fake, raising=False)


def test_permission_denied_simulated(tmp_path, monkeypatch):
    """Runs as root too: the open itself fails with EACCES."""
    p = write(tmp_path, b"secret brief")

    def fake_open(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    _patch_open(monkeypatch, fake_open)
    with pytest.raises(ReadError, match=r"^permission denied$"):
        read_path(p)


def test_other_oserror_is_its_strerror_lowercase(tmp_path, monkeypatch):
    p = write(tmp_path, b"brief")

    def fake_open(*a, **k):
        raise OSError(errno.EIO, "Input/output error")

    _patch_open(monkeypatch, fake_open)
    with pytest.raises(ReadError, match=r"^input/output error$"):
        read_path(p)


def test_file_vanishing_between_stat_and_open(tmp_path, monkeypatch):
    p = write(tmp_path, b"here a moment ago")
    real_open = open

    def vanish_then_open(path, *a, **k):
        os.unlink(path)
        return real_open(path, *a, **k)

    _patch_open(monkeypatch, vanish_then_open)
    with pytest.raises(ReadError, match=r"^no such file$"):
        read_path(p)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_character_device_is_refused():
    with pytest.raises(ReadError, match=r"^not a regular file \(character device\)$"):
        read_path("/dev/null")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_read_without_mtime(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    payload = "piped “brief”\r\n".encode("cp1252")

    def writer():
        with open(fifo, "wb") as f:
            f.write(payload)

    t = threading.Thread(target=writer)
    t.start()
    try:
        d = read_path(fifo)
    finally:
        t.join(5)
    assert d.text == "piped “brief”\n"
    assert d.encoding == "cp1252"
    assert d.mtime_ns is None
    assert d.size == len(payload)


@pytest.mark.parametrize(
    "size, max_bytes, message",
    [
        (1536 * 1024, 1024 * 1024, "file too large (1.5 MB; limit 1 MB)"),
        (1024 * 1024 + 1, 1024 * 1024, "file too large (1.1 MB; limit 1 MB)"),  # rounded up
        (100, 10, "file too large (100 bytes; limit 10 bytes)"),
    ],
)
def test_too_large(tmp_path, size, max_bytes, message):
    p = write(tmp_path, b"a" * size)
    with pytest.raises(ReadError) as ei:
        read_path(p, max_bytes=max_bytes)
    assert str(ei.value) == message


def test_exactly_max_bytes_is_fine(tmp_path):
    p = write(tmp_path, b"a" * 1000)
    assert read_path(p, max_bytes=1000).text == "a" * 1000


def test_default_limit_message_format():
    assert str(reader._too_large(250 * 1024 * 1024, reader.DEFAULT_MAX_BYTES)) == (
        "file too large (250 MB; limit 200 MB)"
    )


def test_size_and_mtime_are_those_of_the_file(tmp_path):
    data = "Brief “one”\r\n".encode()
    p = write(tmp_path, data)
    os.utime(p, ns=(1_600_000_000_000_000_000, 1_600_000_000_123_456_789))
    d = read_path(p)
    st = os.stat(p)
    assert d.size == st.st_size == len(data)
    assert d.mtime_ns == st.st_mtime_ns == 1_600_000_000_123_456_789
    assert d.text == "Brief “one”\n"


def test_accepts_str_and_path(tmp_path):
    p = write(tmp_path, b"text\n")
    assert read_path(str(p)).text == read_path(p).text == "text\n"


# --------------------------------------------------------------------------- big and odd


def test_fifty_megabyte_file(tmp_path):
    line = "Kim’s “bold decision” — policy brief, café naïve 2019.\r\n"
    chunk = (line * 1000).encode()
    reps = 50 * 1024 * 1024 // len(chunk) + 1
    data = chunk * reps
    p = write(tmp_path, data, "big.txt")
    d = read_path(p)  # its speed is measured by bench/bench_bigfile.py, not here
    assert d.encoding == "utf-8"
    assert d.size == len(data) >= 50 * 1024 * 1024
    assert d.text.count("\n") == 1000 * reps
    assert "\r" not in d.text
    assert d.text.startswith(line.replace("\r\n", "\n"))


def test_fifty_megabyte_cp1252_file(tmp_path):
    chunk = ("\x93Quote\x94 \x96 caf\xe9 " * 1000 + "\n").encode("latin-1")
    data = chunk * (50 * 1024 * 1024 // len(chunk) + 1)
    p = write(tmp_path, data, "big1252.txt")
    d = read_path(p)  # its speed is measured by bench/bench_bigfile.py, not here
    assert d.encoding == "cp1252"
    assert d.text.startswith("“Quote” – café “Quote”")
    assert len(d.text) == len(data)  # one character per byte, nothing lost


def test_very_long_single_line(tmp_path):
    text = "word “quoted” " * 400_000  # ~5.6 M characters, no newline
    d = read_path(write(tmp_path, text.encode()))
    assert d.text == text
    assert "\n" not in d.text
    assert d.encoding == "utf-8"


@pytest.mark.parametrize(
    "name",
    [
        "brief with spaces.txt",
        "it's a \"quoted\" brief.txt",
        "café – Ωmega – 日本語.txt",
        "  leading and trailing  .txt",
        "semi;colon&amp$dollar.txt",
    ],
)
def test_odd_file_names(tmp_path, name):
    try:
        p = write(tmp_path, "Brief “x”\n".encode(), name)
    except (OSError, UnicodeEncodeError):
        pytest.skip(f"filesystem cannot hold {name!r}")
    d = read_path(p)
    assert d.text == "Brief “x”\n"
    assert d.encoding == "utf-8"
    assert read_path(str(p)).text == d.text


def test_missing_file_with_odd_name_message_has_no_path(tmp_path):
    with pytest.raises(ReadError) as ei:
        read_path(tmp_path / "café “missing”.txt")
    assert str(ei.value) == "no such file"


def test_decode_bytes_is_the_whole_pipeline():
    text, enc, warnings = decode_bytes(b"\x93A\x94\r\n")
    assert (text, enc) == ("“A”\n", "cp1252")
    assert warnings == ["decoded as Windows-1252 (not valid UTF-8)"]
    assert isinstance(decode_bytes(bytearray(b"ok")), tuple)


def test_line_endings_made_lf_on_the_bytes_decode_as_on_the_text(monkeypatch):
    """readers/text.py turns CRLF and lone CR into LF on the bytes, before decoding (a big file
    is not copied again as text): the text, encoding, warnings and refusals are the ones of
    decoding first and replacing on the text, whatever the bytes."""
    rnd = random.Random(11)
    pieces = [b"\r\n", b"\r", b"\n", b"\r\r\n", b"word ", b"caf\xc3\xa9 ", b"\xe2\x80\x94", b"\xe9", b"\x93\x94",
              b"\x81", b"\x00", b"\x07", b"\x9d", b"\xef\xbb\xbf", b"  ", b"\xf0\x9f\x98", b"\xc3"]

    def outcome(data, partial=False):
        try:
            return reader._decode(data, partial=partial)
        except ReadError as e:
            return type(e).__name__, str(e)

    cases = [b"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40))) for _ in range(3000)]
    cases += [b"\r" * 5, b"\r\n" * 3, b"a\r", b"\xef\xbb\xbf\r\nx\r", b"x" * 70000 + b"\r\n\x07" * 10]
    ours = [(outcome(c), outcome(c, partial=True)) for c in cases]

    def on_the_text(data, *, partial, declared_utf8, warnings):
        return reader._decode_utf8_or_legacy(data, partial=partial, declared_utf8=declared_utf8, warnings=warnings)

    monkeypatch.setattr(reader, "_decode_lf", on_the_text)
    for c, got in zip(cases, ours):
        assert got == (outcome(c), outcome(c, partial=True)), c
    # many decoded with their line endings made LF on the bytes (no control character), many not
    lf = [o for (o, _), c in zip(ours, cases) if b"\r" in c and len(o) == 3 and not reader._CONTROL_RE.search(o[0])]
    assert len(lf) > 100 and any(o[1] != "utf-8" for o in lf) and any(o[1] == "utf-8" for o in lf)
    assert sum(1 for (o, _), c in zip(ours, cases) if b"\r" in c and len(o) == 3 and o not in lf) > 20
