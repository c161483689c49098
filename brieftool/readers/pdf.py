"""PDF -> text a reader can use, with pypdfium2 (PDFium's text layer; Apache/BSD licensed).

Page by page (each page and its text layer closed before the next: memory does not grow with
the page count, only with the text), then over the whole document:

1. **Characters to runs.** PDFium gives every character with its box. Characters on one
   baseline, close together, make a *run*; a jump back, a change of baseline, or a gap wider
   than ~1.8 character heights (a column gutter) starts a new one. A gap wider than a
   fraction of the height is a space when the PDF has none.
2. **Columns.** A vertical gutter in the middle half of the page that almost no run crosses,
   with at least a fifth of the page's characters on either side, makes a two-column page.
   Runs crossing it (a title, a full-width figure caption, the footer) split the page into
   bands; each band is read left column first, then right column.
3. **Lines and paragraphs.** Runs that overlap vertically are one line, left to right. A
   line spacing clearly wider than the page's usual spacing, or a change of font size, starts
   a paragraph (a blank line); so does moving to the next column after a line that ends a
   sentence.
4. **Running headers and footers.** Among the top and bottom lines of each page, those
   repeated (digits ignored) on several pages are removed, with page numbers ("7",
   "Page 7 of 9", "- 7 -", "vii"); a line printed larger than the page's text (the title on
   page 1) is kept.
5. **Clean-up.** Ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ) become letters, soft hyphens go, PDFium's
   line-end hyphen marker becomes "-". A word broken by a hyphen at the end of a line (or
   column, or page) is joined: without the hyphen, unless the document itself writes it with
   one ("well-known") or both halves are words found elsewhere in it ("second-largest"); before a
digit the hyphen stays and the parts are joined ("F-35").

Pages are separated by a blank line ("\\n\\n") like paragraphs; ``meta["first_page_end"]``
is where page 1 ends in the text. The info dictionary (Title, Author, CreationDate; Keywords and
Subject as ``meta["keywords"]``/``meta["subject"]``, whitespace folded) goes to ``meta`` as
evidence for the metadata reader (often wrong: "Microsoft Word - draft3.docx"). The
text printed largest on page 1 is ``meta["layout_title"]``, and ``meta["title"]`` when the info
dictionary has none or an obviously wrong one (a file name, "Microsoft Word - ...").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

from .text import ReadError

NO_TEXT_LAYER = "no text layer (a scan?); OCR is not supported"

_TRANSLATE = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
    "\ufb06": "st", "\xad": "", "\ufffe": "-", "\x02": "-", "\u2010": "-", "\u2011": "-", "\xa0": " ",
    "\t": " ", "\x00": "", "\ufeff": "",
})
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—(\[]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
                          r"(?:\s*(?:of|/)\s*\d{1,5})?$", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SENTENCE_END = tuple('.!?:;"”’)')
_TOKEN = re.compile(r"\r\n|[\r\n]|[^\s\xa0]+")


@dataclass
class _Run:
    chars: list = field(default_factory=list)
    x0: float = 0.0
    x1: float = 0.0
    b: float = 0.0  # bottom of the first character (the baseline region)
    t: float = 0.0
    size: float = 0.0

    @property
    def text(self) -> str:
        return "".join(self.chars)


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    b: float
    t: float
    size: float
    para: bool = False  # a paragraph starts here
    block: int = 0

    @property
    def mid(self) -> float:
        return (self.b + self.t) / 2


# --------------------------------------------------------------------------- one page


def _runs(textpage) -> list[_Run]:
    import ctypes

    import pypdfium2.raw as raw

    n = textpage.count_chars()
    if n <= 0:
        return []
    tp = textpage.raw
    text = textpage.get_text_range(0, n)
    if len(text) != n:  # PDFium's text and its characters disagree: ask character by character
        text = "".join(chr(raw.FPDFText_GetUnicode(tp, i) or 32) for i in range(n))
    rect = raw.FS_RECTF()
    prect = ctypes.byref(rect)
    loose_box = raw.FPDFText_GetLooseCharBox
    runs: list[_Run] = []
    chars: list[str] | None = None  # the current run's characters, and its box:
    x0 = x1 = b0 = t0 = size = 0.0

    def close():
        if chars:
            runs.append(_Run(chars, x0, x1, b0, t0, size))

    def add(word: str, l: float, r: float, b: float, t: float, spaced: bool) -> None:
        nonlocal chars, x0, x1, b0, t0, size
        h = t - b
        if h <= 0 or r < l:
            if chars is not None:
                if spaced and chars[-1] != " ":
                    chars.append(" ")
                chars.append(word)
            return
        if chars is not None:
            sz = size if size > h else h
            gap = l - x1
            if (b - b0 > 0.5 * sz or b0 - b > 0.5 * sz) or gap < -0.5 * sz or gap > 1.8 * sz:
                close()
                chars = None
            elif (spaced or gap > 0.15 * sz) and chars and chars[-1] != " ":
                chars.append(" ")
        if chars is None:
            chars = []
            x0, x1, b0, t0, size = l, r, b, t, h
        chars.append(word)
        if r > x1:
            x1 = r
        if t > t0:
            t0 = t
        if h > size:
            size = h

    # One box lookup at each end of a word, not per character: the splits that matter (a new
    # line, a column gutter, a baseline jump) fall between words. A word whose ends are not on
    # one line (PDFium joins a line ending in a hyphen to the next) is taken a character at a time.
    prev_end = 0
    for m in _TOKEN.finditer(text):
        i, j = m.span()
        if text[i] in "\r\n":
            close()
            chars = None
            prev_end = j
            continue
        spaced = i > prev_end  # whitespace before this word
        prev_end = j
        if not loose_box(tp, i, prect):
            continue  # a character PDFium cannot place
        l, r, b, t = rect.left, rect.right, rect.bottom, rect.top
        if j - i > 1 and loose_box(tp, j - 1, prect):
            h = t - b
            if abs(rect.bottom - b) > 0.5 * h or rect.right < l:
                add(text[i], l, r, b, t, spaced)
                for k in range(i + 1, j):
                    if loose_box(tp, k, prect):
                        add(text[k], rect.left, rect.right, rect.bottom, rect.top, False)
                continue
            if rect.right > r:
                r = rect.right
            if rect.top > t:
                t = rect.top
        add(m.group(), l, r, b, t, spaced)
    close()
    out = []
    for run in runs:
        s = _CONTROL.sub("", "".join(run.chars).translate(_TRANSLATE)).strip()
        if s:
            run.chars = [s]
            out.append(run)
    return out


def _gutter(runs: list[_Run], width: float) -> float | None:
    """The x of a two-column gutter, or None (see the module docstring)."""
    if len(runs) < 10 or width <= 0:
        return None
    lo, hi, step = 0.25 * width, 0.75 * width, 2.0
    nb = int((hi - lo) / step) + 1
    cross = [0] * (nb + 1)
    left_end = [0] * (nb + 1)  # chars of runs ending before bin k's x
    right_start = [0] * (nb + 1)  # chars of runs starting after it
    total = 0
    for r in runs:
        w = len(r.chars[0])
        total += w
        a = math.floor((r.x0 - lo) / step) + 1  # first bin with x > x0
        z = math.ceil((r.x1 - lo) / step) - 1  # last bin with x < x1
        a, z = max(a, 0), min(z, nb - 1)
        if a <= z:
            cross[a] += w
            cross[z + 1] -= w
        e = max(0, math.ceil((r.x1 - lo) / step))  # bins with x >= x1
        if e < nb:
            left_end[e] += w
        s = min(nb - 1, math.floor((r.x0 - lo) / step))  # bins with x <= x0
        if s >= 0:
            right_start[0] += w
            right_start[s + 1] -= w
    best, best_k = None, None
    c = le = rs = 0
    for k in range(nb):
        c += cross[k]
        le += left_end[k]
        rs += right_start[k]
        if le >= 0.2 * total and rs >= 0.2 * total and c <= 0.25 * total:
            if best is None or c < best:
                best, best_k = c, k
    if best_k is None:
        return None
    x = lo + best_k * step
    left = [r for r in runs if r.x1 <= x]
    right = [r for r in runs if r.x0 >= x]
    if len(left) < 5 or len(right) < 5:
        return None
    # Column text fills its column (one column may hold a table): short cells on both sides are a
    # table on a one-column page, not two columns.
    lw = median(r.x1 - r.x0 for r in left)
    rw = median(r.x1 - r.x0 for r in right)
    lspan = x - min(r.x0 for r in left)
    rspan = max(r.x1 for r in right) - x
    if lw < 0.4 * lspan and rw < 0.4 * rspan:
        return None
    return x


def _group_lines(runs: list[_Run], block: int) -> list[_Line]:
    runs = sorted(runs, key=lambda r: (-r.t, r.x0))
    groups: list[list[_Run]] = []
    gb = gt = 0.0
    for r in runs:
        if groups:
            overlap = min(gt, r.t) - max(gb, r.b)
            if overlap >= 0.5 * min(gt - gb, r.t - r.b):
                groups[-1].append(r)
                gb, gt = min(gb, r.b), max(gt, r.t)
                continue
        groups.append([r])
        gb, gt = r.b, r.t
    lines = []
    for g in groups:
        g.sort(key=lambda r: r.x0)
        parts = [g[0].chars[0]]
        prev = g[0]
        for r in g[1:]:
            gap = r.x0 - prev.x1
            if gap > 0.15 * max(prev.size, r.size) or gap > 0 and not parts[-1][-1:].isalnum():
                parts.append(" ")
            parts.append(r.chars[0])
            prev = r if r.x1 > prev.x1 else prev
        size = median(r.size for r in g)
        main = max(g, key=lambda r: len(r.chars[0]))
        lines.append(_Line("".join(parts), min(r.x0 for r in g), max(r.x1 for r in g), main.b,
                           max(r.t for r in g), size, block=block))
    return lines


def _page_lines(page) -> list[_Line]:
    textpage = page.get_textpage()
    try:
        runs = _runs(textpage)
    finally:
        textpage.close()
    if not runs:
        return []
    width = page.get_width()
    x = _gutter(runs, width)
    blocks: list[list[_Run]] = []
    if x is None:
        blocks.append(runs)
    else:
        left: list[_Run] = []
        right: list[_Run] = []
        span: list[_Run] = []

        def flush_columns():
            if left:
                blocks.append(list(left))
            if right:
                blocks.append(list(right))
            left.clear()
            right.clear()

        for r in sorted(runs, key=lambda r: -r.t):
            if r.x0 < x < r.x1:
                flush_columns()
                span.append(r)
                continue
            if span:
                blocks.append(list(span))
                span.clear()
            (left if r.x1 <= x else right).append(r)
        if span:
            blocks.append(span)
        flush_columns()
    lines: list[_Line] = []
    for k, blk in enumerate(blocks):
        lines.extend(_group_lines(blk, k))
    _mark_paragraphs(lines)
    return lines


def _mark_paragraphs(lines: list[_Line]) -> None:
    steps = [a.b - b.b for a, b in zip(lines, lines[1:])
             if a.block == b.block and 0 < a.b - b.b < 3 * max(a.size, b.size)]
    usual = median(steps) if steps else None
    if lines:
        lines[0].para = True
    for a, b in zip(lines, lines[1:]):
        if a.block != b.block:
            b.para = a.text.endswith(_SENTENCE_END) or not b.text[:1].islower() and a.x1 - a.x0 < 0.6 * (
                b.x1 - b.x0)
        else:
            step = a.b - b.b
            if usual is None:
                b.para = step > 1.6 * max(a.size, b.size) or step < 0
            else:
                b.para = step > max(1.3 * usual + 0.5, 1.45 * max(a.size, b.size)) or step < 0
        if not b.para and max(a.size, b.size) > 1.2 * min(a.size, b.size):
            b.para = True


# --------------------------------------------------------------------------- the document


def _norm(s: str) -> str:
    return re.sub(r"\d+", "#", " ".join(s.split()).casefold())


def _zones(lines: list[_Line], height: float) -> tuple[list[int], list[int]]:
    """Indexes of the (up to 3) top-most and bottom-most lines near the page's edges."""
    if not lines:
        return [], []
    order = sorted(range(len(lines)), key=lambda i: -lines[i].t)
    top = [i for i in order[:3] if lines[i].b > 0.88 * height]
    bottom = [i for i in order[-3:] if lines[i].t < 0.12 * height and i not in top]
    return top, bottom


def _remove_running(pages: list[list[_Line]], heights: list[float]) -> int:
    """Remove running headers/footers and page numbers in place; the number of lines removed."""
    n = len(pages)
    zones = [_zones(p, h) for p, h in zip(pages, heights)]
    counts: list[Counter] = [Counter(), Counter()]
    for p, zz in zip(pages, zones):
        for z, idx in enumerate(zz):
            for key in {_norm(p[i].text) for i in idx}:
                counts[z][key] += 1
    need = max(2, min(math.ceil(0.5 * n), 4))
    removed = 0
    kept_pages = []
    for p, zz in zip(pages, zones):
        sizes = [ln.size for ln in p]
        usual = median(sizes) if sizes else 0
        drop = set()
        for z, idx in enumerate(zz):
            repeated = [k for k, c in counts[z].items() if c >= need] if n >= 2 else []
            for i in idx:
                ln = p[i]
                key = _norm(ln.text)
                if _PAGE_NUMBER.match(ln.text.strip()):
                    drop.add(i)
                    continue
                if ln.size > 1.25 * usual:
                    continue  # printed larger than the text: a title, not a running header
                if counts[z][key] >= need and n >= 2:
                    drop.add(i)
                elif len(key) >= 8 and any(key in k or len(k) >= 8 and key.startswith(k) for k in repeated):
                    drop.add(i)  # a shorter or longer form of a repeated line (page 1's footer)
        keep = [ln for i, ln in enumerate(p) if i not in drop]
        if keep and drop and any(i == 0 or p[i].para for i in drop):
            keep[0].para = True
        removed += len(drop)
        kept_pages.append(keep)
    if removed and any(kept_pages):  # (never everything: then the "headers" were the text)
        for p, keep in zip(pages, kept_pages):
            p[:] = keep
    return removed


def _join_hyphens(pages: list[list[_Line]]) -> None:
    """Join words broken by a hyphen at the end of a line (see the module docstring)."""
    seq = [ln for p in pages for ln in p]
    if not any(ln.text.endswith("-") for ln in seq):
        return
    vocab = Counter()
    for ln in seq:
        vocab.update(w.casefold() for w in _WORD.findall(ln.text))
    for a, b in zip(seq, seq[1:]):
        if not (a.text.endswith("-") and len(a.text) >= 2 and a.text[-2].isalpha()):
            continue
        if b.text[:1].isdigit():  # "F-" + "35", "COVID-" + "19": one token, the hyphen kept
            m = re.match(r"\S+", b.text)
            a.text += m.group(0)
            b.text = b.text[m.end():].lstrip(" ")
            continue
        if not b.text[:1].islower():
            continue
        m1 = re.search(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$", a.text)
        m2 = re.match(r"[^\W\d_]+", b.text)
        if not m1 or not m2:
            continue
        head, tail = m1.group(1), m2.group(0)
        joined = (head + tail).casefold()
        hyph = f"{head}-{tail}".casefold()
        last = head.rsplit("-", 1)[-1].casefold()
        if vocab[joined]:
            keep = False
        elif vocab[hyph] > 0 or (vocab[last] > 1 and vocab[tail.casefold()] > 1 and len(last) > 2):
            keep = True
        else:
            keep = False
        rest = b.text[m2.end():]
        a.text = a.text[:-1] + ("-" if keep else "") + tail
        if rest.startswith(" "):
            rest = rest[1:]
        b.text = rest
    for p in pages:
        p[:] = [ln for ln in p if ln.text]


def _page_text(lines: list[_Line]) -> str:
    out: list[str] = []
    for ln in lines:
        if not ln.text:
            continue
        if out and ln.para:
            out.append("\n\n")
        elif out:
            out.append("\n")
        out.append(ln.text)
    return "".join(out)


_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def _pdf_date(value: str) -> str | None:
    m = _PDF_DATE.match(value.strip())
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        import datetime as _dt

        if mo and d:
            return _dt.date(int(y), int(mo), int(d)).isoformat()
        if mo:
            return f"{y}-{int(mo):02d}" if 1 <= int(mo) <= 12 else y
    except ValueError:
        return None
    return y


def _meta(pdf) -> dict:
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # pragma: no cover - a broken info dictionary
        return {}
    meta: dict = {}
    title = " ".join(str(info.get("Title", "")).split())
    if title:
        meta["title"] = title
    author = " ".join(str(info.get("Author", "")).split())
    if author:
        meta["authors"] = [a.strip() for a in re.split(r"\s*;\s*", author) if a.strip()]
    date = _pdf_date(str(info.get("CreationDate", "")))
    if date:
        meta["date"] = date
    for key in ("Keywords", "Subject"):  # free text as the producer wrote it (the metadata reader reads labelled dates)
        value = " ".join(str(info.get(key, "")).split())[:1000]
        if value:
            meta[key.lower()] = value
    return meta


_JUNK_TITLE = re.compile(r"^(?:microsoft (?:word|powerpoint) - |untitled\b)|\.(?:docx?|pdf|indd|rtf|txt)$", re.I)


def _layout_title(lines: list[_Line]) -> str | None:
    """The text printed largest on page 1 (at least 1.3 times the page's usual size): usually
    the title. Consecutive lines of that size are one title."""
    if len(lines) < 2:
        return None
    usual = median(ln.size for ln in lines)
    top = max(ln.size for ln in lines)
    if top < 1.3 * usual:
        return None
    out: list[str] = []
    for ln in lines:
        if ln.size >= 0.9 * top:
            out.append(ln.text)
        elif out:
            break
    title = " ".join(" ".join(out).split())
    return title if 1 < len(title) <= 300 and any(c.isalpha() for c in title) else None


def _open(data: bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg:
            raise ReadError("encrypted PDF (needs a password); decrypt it first") from None
        if "security" in msg:
            raise ReadError("PDF protected by an unsupported security handler") from None
        if "format" in msg or "file" in msg:
            raise ReadError("corrupt or truncated PDF (cannot be opened)") from None
        raise ReadError(f"PDF cannot be opened ({e})") from None


def read_pdf(data: bytes, *, on_page: Callable[[int, int], None] | None = None):
    """A :class:`~brieftool.readers.Document` for a PDF's bytes. Raises ReadError."""
    from . import Document

    pdf = _open(data)
    try:
        n = len(pdf)
        if n == 0:
            raise ReadError("corrupt or truncated PDF (no pages)")
        pages: list[list[_Line]] = []
        heights: list[float] = []
        layout_title = None
        empty = 0
        for i in range(n):
            try:
                page = pdf[i]
            except Exception:
                raise ReadError(f"corrupt PDF (page {i + 1} of {n} cannot be read)") from None
            try:
                heights.append(page.get_height())
                lines = _page_lines(page)
            finally:
                page.close()
            if not lines:
                empty += 1
            if i == 0:
                layout_title = _layout_title(lines)
            pages.append(lines)
            if on_page is not None:
                on_page(i + 1, n)
        meta = _meta(pdf)
    finally:
        pdf.close()
    if empty == n:
        raise ReadError(NO_TEXT_LAYER)
    warnings = []
    if empty:
        warnings.append(f"{empty} of {n} pages have no text layer (scanned?); their text is missing")
    _remove_running(pages, heights)
    _join_hyphens(pages)
    texts = [_page_text(p) for p in pages]
    first = texts[0] if texts else ""
    text = "\n\n".join(t for t in texts if t)
    if not text.strip():
        raise ReadError(NO_TEXT_LAYER)
    meta["first_page_end"] = len(first) if first else 0
    if layout_title:
        meta["layout_title"] = layout_title
        if not meta.get("title") or _JUNK_TITLE.search(meta["title"]):
            meta["title"] = layout_title
    return Document(text=text + "\n", format="pdf", pages=n, meta=meta, warnings=warnings)
