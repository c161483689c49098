"""The Whoosh engine (the default): an archive in one local folder.

The one place that owns the Whoosh schema, writes records, locks and commits; it implements
the interface of ``engine/base.py``. Only ``engine/whoosh*.py`` import Whoosh.

Layout of an archive folder::

    brief.json        format version and creation time (written last, on creation)
    vocabulary.txt    optional: topic labels the metadata reader should know (user-edited)
    MAIN_*.toc/seg    Whoosh's files
    MAIN_WRITELOCK    Whoosh's write lock (an flock: it dies with its process)

Writers: one at a time (Whoosh's rule). ``Archive.writer()`` waits for the lock, telling
the user once that it is waiting, and gives up after ``lock_timeout`` seconds with a clear
message. Readers need no lock: a commit writes new segment files and then swaps the table
of contents by rename, so a killed writer leaves the previous commit readable.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import whoosh_compat  # noqa: F401  (before the first Whoosh import)

from whoosh import fields, index, scoring  # noqa: E402
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter  # noqa: E402
from whoosh.index import LockError  # noqa: E402

from ..models import Brief, BriefError, UsageError, fold, fold_table, norm_tag, org_key, person_key
from . import base
from .base import (ID_ALPHABET, ID_LENGTH, brief_from_record, default_location, id_candidates,  # noqa: F401
                   id_candidates_fallback, record_dict, text_sha256, write_failed)

# 2: accent-folded words, names and keys; an id column (ties ranked by id); no title field boost
FORMAT_VERSION = 2
META_FILE = "brief.json"
INDEX_NAME = "MAIN"

# Accents folded by a table of plain data (models.fold_table), not by a class of brief's own:
# Whoosh pickles the analyzers into the index, and a brief class there would make every archive
# unreadable the day that class moved.
_FOLD = fold_table()
# A word: letters and digits, with the combining accents of text that was not composed (NFD).
_WORD = r"\w[\w\u0300-\u036f]*(\.?\w[\w\u0300-\u036f]*)*"
# Text fields: case and accents folded, English stop words, Porter stemming.
_text = RegexTokenizer(_WORD) | LowercaseFilter() | CharsetFilter(_FOLD) | StopFilter() | StemFilter(cachesize=50000)
# Names: case and accents folded words, no stemming, no stop words ("ha" must match).
_names = RegexTokenizer(_WORD) | LowercaseFilter() | CharsetFilter(_FOLD)
# Organizations: the same, and "the" does not count ("The Brookings Institution").
_orgs = RegexTokenizer(_WORD) | LowercaseFilter() | CharsetFilter(_FOLD) | StopFilter(stoplist=["the"], minsize=1)


class RankingBM25(scoring.BM25F):
    """BM25 as brief ranks: Whoosh's BM25F scorer (k1 1.2, b 0.75, the textbook values) with the
    Robertson/Lucene idf ``log(1 + (N - df + 0.5) / (df + 0.5))`` instead of Whoosh's
    ``log(N / (df + 1)) + 1``. N and df are the whole index's (the top searcher's), never one
    segment's, so a score does not depend on how the archive was committed."""

    def __init__(self):
        super().__init__(B=0.75, K1=1.2)

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()  # the searcher itself when it has no parent
        n = parent.doc_frequency(fieldname, text)
        dc = parent.doc_count_all()
        return math.log(1.0 + (dc - n + 0.5) / (n + 0.5))


def _quantized_field_totals() -> None:
    """Make a segment's total field length the sum of its documents' stored lengths.

    Whoosh stores each document's field length as one byte (an approximation) but adds the
    exact length to the segment's total, except when it merges segments, where the total is
    rebuilt from the one-byte lengths. So the average field length BM25 divides by depended on
    which segments had been merged: the same briefs ranked differently after one big `add`
    than after fifty small ones. Counting the stored (approximate) length in every case makes
    the total the same however the archive was committed."""
    from whoosh.codec import whoosh3
    from whoosh.util.numeric import byte_to_length, length_to_byte

    cls = whoosh3.W3PerDocWriter
    if getattr(cls, "_brief_quantized_totals", False):
        return
    original = cls.add_field

    def add_field(self, fieldname, fieldobj, value, length):
        if length:
            length = byte_to_length(length_to_byte(length))  # what a merge would count
        return original(self, fieldname, fieldobj, value, length)

    cls.add_field = add_field
    cls._brief_quantized_totals = True
    cls._brief_original_add_field = original  # bench/relevance builds its stock-Whoosh baseline with it


_quantized_field_totals()


def _lean_positions() -> None:
    """Hold a document's word positions in compact arrays while it is indexed.

    Whoosh's ``Positions.word_values`` gathers the position of every word of a document in
    Python lists (about 36 bytes a word) before it encodes them: a 20 MB brief took ~150 MB for
    that alone. Here each term's positions go into an ``array('I')`` (4 bytes a word) and are
    encoded by Whoosh's own ``encode``, term by term, so the postings written are byte for byte
    the same (the index format does not change; tests/test_speed.py compares them)."""
    from array import array

    from whoosh import formats

    cls = formats.Positions
    if getattr(cls, "_brief_lean", False):
        return
    original = cls.word_values

    def word_values(self, value, analyzer, **kwargs):
        fb = self.field_boost
        poses: dict = {}
        weights: dict = {}
        kwargs["positions"] = True
        kwargs["boosts"] = True
        try:
            for t in (_body_tokens(value, analyzer, kwargs) if isinstance(value, _Body)
                      else formats.tokens(value, analyzer, kwargs)):
                text = t.text
                arr = poses.get(text)
                if arr is None:
                    arr = poses[text] = array("I")
                    weights[text] = 0.0
                arr.append(t.pos)
                weights[text] += t.boost
        except OverflowError:  # a position beyond 2**32: Whoosh's own lists
            yield from original(self, value.joined() if isinstance(value, _Body) else value, analyzer, **kwargs)
            return
        for w in list(poses):
            poslist = poses.pop(w)  # encoded terms let their arrays go
            yield (w, len(poslist), weights[w] * fb, self.encode(poslist))

    cls.word_values = word_values
    cls._brief_lean = True
    cls._brief_original_word_values = original


class _Body(tuple):
    """``(head, text, start)``: the value indexed in ``body`` standing for ``head + text[start:]``
    when that string would be a copy of a big text (its body after a header, or with its title
    in front). The word positions of :func:`_lean_positions` tokenize it in place."""

    __slots__ = ()

    def joined(self) -> str:
        head, text, start = self
        return head + text[start:]


def _body_tokens(value: _Body, analyzer, kwargs):
    """The tokens ``formats.tokens`` gives for ``value.joined()``, without joining: the head's,
    then the text's from ``start`` on (a regex search begun at ``start`` finds what a search of
    the slice finds: the word pattern looks at nothing before its match), numbered on."""
    from whoosh.analysis import CompositeAnalyzer, RegexTokenizer, Token
    from whoosh.formats import unstopped

    head, text, start = value
    tok = analyzer.items[0] if isinstance(analyzer, CompositeAnalyzer) else None
    plain = (type(tok) is RegexTokenizer and not tok.gaps and not kwargs.get("chars")
             and not kwargs.get("keeporiginal") and kwargs.get("tokenize", True)
             and not kwargs.get("start_pos") and not kwargs.get("no_morph"))
    if not plain:
        from whoosh import formats

        yield from formats.tokens(value.joined(), analyzer, kwargs)
        return
    kw = dict(kwargs)
    positions = kw.pop("positions", False)
    removestops = kw.pop("removestops", True)
    mode = kw.pop("mode", "")
    kw.pop("chars", None)

    def words():
        t = Token(positions, False, removestops=removestops, mode=mode, **kw)
        n = 0
        for s, at in ((head, 0), (text, start)):
            for match in tok.expression.finditer(s, at):
                t.text = match.group(0)
                t.boost = 1.0
                t.stopped = False
                if positions:
                    t.pos = n
                n += 1
                yield t

    gen = words()
    for item in analyzer.items[1:]:
        gen = item(gen)
    yield from unstopped(gen)


_lean_positions()


LEAN_STORED_MIN = 1 << 20  # a stored string of this many characters or more is pickled a piece at a time
_STORED_PIECE = 1 << 20


def _lean_stored() -> None:
    """Pickle and compress a document's stored fields without whole copies of its text.

    Whoosh stores a document's fields as one pickle (protocol 2), deflated (zlib, level 3). For
    a big text that is, all at once and on top of the text itself: its UTF-8, the pickle holding
    it (in a buffer that grows) and the compressed pickle: the peak of adding one big file (2.6
    times the file's size). Here a stored dict holding a long string is pickled with a short
    placeholder in its place, and that pickle goes to the compressor in pieces: its bytes before
    the placeholder, the string's UTF-8 a piece at a time (under the header Whoosh's pickle
    would give it), the bytes after; the compressed pieces are written as they come. The record
    written is the one Whoosh would write: it decompresses to the same pickle, byte for byte
    (the index format does not change; tests/test_speed.py compares them)."""
    import pickle
    import struct
    import uuid
    import zlib

    from whoosh import columns

    cls = columns.PickleColumn.Writer
    if getattr(cls, "_brief_lean", False):
        return
    original = cls.add

    def add(self, docnum, v):
        child = self._child
        if (type(child) is not columns.CompressedBytesColumn.Writer or child._compress is not zlib.compress
                or type(v) is not dict):
            return original(self, docnum, v)
        big = [k for k, x in v.items() if type(x) is str and len(x) >= LEAN_STORED_MIN]
        if not big or any(x is v[k] for k in big for k2, x in v.items() if k2 != k):
            return original(self, docnum, v)  # (a string stored twice is pickled once, then referenced)
        marks = {k: f"brief-stored-{uuid.uuid4().hex}" for k in big}
        head = pickle.dumps({k: marks.get(k, x) for k, x in v.items()}, 2)
        spans = []
        for k in big:
            m = marks[k].encode("ascii")
            placeholder = b"X" + struct.pack("<I", len(m)) + m  # BINUNICODE: length, then UTF-8
            if head.count(placeholder) != 1:
                return original(self, docnum, v)
            spans.append((head.index(placeholder), len(placeholder), v[k]))
        spans.sort(key=lambda s: s[0])

        def pieces(text):
            for i in range(0, len(text), _STORED_PIECE):
                yield text[i:i + _STORED_PIECE].encode("utf-8", "surrogatepass")  # as pickle encodes str

        sizes = [sum(len(p) for p in pieces(text)) for _, _, text in spans]
        if max(sizes) > 0xFFFFFFFF:
            return original(self, docnum, v)
        comp = zlib.compressobj(child._level)
        dbfile = child._dbfile
        child.fill(docnum)
        written = 0

        def put(data):
            nonlocal written
            out = comp.compress(data)
            if out:
                dbfile.write(out)
                written += len(out)

        pos = 0
        for (start, length, text), size in zip(spans, sizes):
            put(head[pos:start])
            put(b"X" + struct.pack("<I", size))
            for p in pieces(text):
                put(p)
            pos = start + length
        put(head[pos:])
        out = comp.flush()
        dbfile.write(out)
        written += len(out)
        # The bookkeeping of Whoosh's VarBytesColumn.Writer.add, for the value written above.
        child._lengths.append(written)
        child._offsets.append(child._offset_base)
        child._offset_base += written
        child._count = docnum + 1

    cls.add = add
    cls._brief_lean = True
    cls._brief_original_add = original


_lean_stored()


def _quick_phrases() -> None:
    """Match an exact phrase (``"national debt"``) by its words' positions, not Whoosh's spans.

    Whoosh matches a phrase as a near-query of its words (``SpanNear2``): for every brief that
    has all of them it builds a ``Span`` object per occurrence of each word and compares them
    pair by pair, in Python, which made a phrase of two common words the slowest query of a
    search. For the exact phrase (in order, adjacent: ``slop=1, mindist=1``) of words whose
    postings carry positions, the phrase ends where each next word's position is one more than
    the last's: a set lookup per occurrence. The spans given back are the same as Whoosh's
    (tests/test_search.py compares them); any other near-query is Whoosh's own."""
    from whoosh.query.spans import Span, SpanNear2

    cls = SpanNear2.SpanNear2Matcher
    if getattr(cls, "_brief_quick", False):
        return
    original = cls._get_spans

    def _get_spans(self):
        if self.slop != 1 or self.mindist != 1 or not self.ordered:
            return original(self)
        ms = self.ms
        try:
            if not all(m.supports("positions") for m in ms):
                return original(self)
            ends = ms[0].value_as("positions")
            for m in ms[1:]:
                if not ends:
                    return []
                nxt = set(m.value_as("positions"))
                ends = [p + 1 for p in ends if p + 1 in nxt]
        except Exception:  # a matcher of another kind: Whoosh's way
            return original(self)
        back = len(ms) - 1  # positions come sorted and unique, and so do the ends
        return [Span(e - back, e) for e in ends]

    cls._get_spans = _get_spans
    cls._brief_quick = True
    cls._brief_original_get_spans = original


_quick_phrases()


def _quick_hash_directory() -> None:
    """Read the directory of a segment's term tables in one read, not 256.

    Every search opens each segment's term file (``HashReader``), whose 256-entry directory of
    hash tables Whoosh reads an entry at a time: 256 reads and unpacks per segment, a fifth of
    the time a search of a 40-segment archive spends opening it. The same bytes read at once
    and unpacked by ``iter_unpack`` give the same table."""
    from whoosh.filedb import filetables

    cls = filetables.HashReader
    if getattr(cls, "_brief_quick_directory", False):
        return
    original = cls.__init__
    entry = filetables._dir_entry

    def __init__(self, dbfile, length=None, magic=b"HSH3", startoffset=0):
        self.dbfile = dbfile
        self.startoffset = startoffset
        self.is_closed = False
        if length is None:
            dbfile.seek(0, os.SEEK_END)
            length = dbfile.tell() - startoffset
        dbfile.seek(startoffset)
        filemagic = dbfile.read(4)
        if filemagic != magic:
            raise filetables.FileFormatError("Unknown file header %r" % filemagic)
        self.hashtype = dbfile.read_byte()
        self.hashfn = filetables._hash_functions[self.hashtype]
        dbfile.read_int()  # unused expansion bits
        dbfile.read_int()
        self.startofdata = dbfile.tell()
        exptr = startoffset + length - filetables._INT_SIZE
        exlen = dbfile.get_int(exptr)
        expos = exptr - exlen
        dbfile.seek(expos)
        self._read_extras()
        dbfile.seek(expos - filetables._directory_size)
        data = dbfile.read(256 * entry.size)
        if len(data) != 256 * entry.size:
            raise filetables.FileFormatError("Short hash table directory")
        self.tables = list(entry.iter_unpack(data))  # (position, number of slots) of each table
        self.endofdata = self.tables[0][0]

    cls.__init__ = __init__
    cls._brief_quick_directory = True
    cls._brief_original_init = original


_quick_hash_directory()


def _quick_skip() -> None:
    """Skip within a block of postings by bisection, not one posting at a time.

    ``W3LeafMatcher.skip_to`` skips whole blocks by their last id, then steps through the
    block's ids one ``next()`` at a time (three method calls a posting): the intersection of
    two common words' postings (a phrase, an AND) spent most of its time there. The block's
    ids are sorted, so the first one at or past the target is found by ``bisect_left``, where
    the stepping would have stopped (tests/test_search.py compares the two)."""
    from bisect import bisect_left

    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching import ReadTooFar

    cls = W3LeafMatcher
    if getattr(cls, "_brief_quick_skip", False):
        return
    original = cls.skip_to

    def skip_to(self, targetid):
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        block_max_id = self.block_max_id
        if targetid > block_max_id():
            self._skip_to_block(lambda: targetid > block_max_id())
            if not self.is_active():
                return
        if self._ids is None:
            self._read_ids()
        i = bisect_left(self._ids, targetid, self._i, self._blocklength)
        if i < self._blocklength:
            self._i = i
        else:  # not found in the block (never, after the block skip): Whoosh's way
            while self.is_active() and self.id() < targetid:
                self.next()

    cls.skip_to = skip_to
    cls._brief_quick_skip = True
    cls._brief_original_skip_to = original


_quick_skip()


def _no_empty_segments() -> None:
    """Never list a segment that holds no document in the table of contents.

    Whoosh's multi-process writer starts a sub-writer per buffer of documents, up to ``procs``;
    when one sub-writer takes every buffer of a small batch, the other commits a segment of no
    documents (a 20,000-brief archive had six). Every search visits each segment, and one with
    no columns made brief's quick relevance sort fall back to Whoosh's slower one. Dropped from
    the segments a commit lists, its files are removed by Whoosh's clean-up like any file no
    table of contents names."""
    from whoosh.writing import SegmentWriter

    cls = SegmentWriter
    if getattr(cls, "_brief_no_empty", False):
        return
    original = cls._commit_toc

    def _commit_toc(self, segments):
        return original(self, [s for s in segments if s.doc_count_all()])

    cls._commit_toc = _commit_toc
    cls._brief_no_empty = True
    cls._brief_original_commit_toc = original


_no_empty_segments()


HASH_LOOKUPS_KEPT = 50_000  # term look-ups one term table keeps (then it starts again)


def _kept_lookups() -> None:
    """Look each term up once per term table, not once per question about it.

    A search asks each segment's term table about the same term several times (is it there,
    its frequency, its posting list's place: ``W3TermsReader`` runs a hash look-up for each,
    reading the file each time): a phrase of two words on a 46-segment archive made over a
    thousand look-ups. A segment's files never change, so the first place found for a key
    (or that there is none) is kept on the table and every such question answered from it;
    ``ranges_for_key`` and ``all`` (every place of a key) stay Whoosh's."""
    from whoosh.filedb import filetables

    cls = filetables.HashReader
    if getattr(cls, "_brief_kept_lookups", False):
        return
    ranges = cls.ranges_for_key
    missing = object()

    def first_range(self, key):
        kept = self.__dict__.get("_brief_ranges")
        if kept is None:
            kept = self._brief_ranges = {}
        got = kept.get(key, missing)
        if got is missing:
            got = next(ranges(self, key), None)
            if len(kept) >= HASH_LOOKUPS_KEPT:
                kept.clear()
            kept[key] = got
        return got

    def __contains__(self, key):
        return first_range(self, key) is not None

    def range_for_key(self, key):
        got = first_range(self, key)
        if got is None:
            raise KeyError(key)
        return got

    def __getitem__(self, key):
        got = first_range(self, key)
        if got is None:
            raise KeyError(key)
        return self.dbfile.get(*got)

    def get(self, key, default=None):
        got = first_range(self, key)
        return default if got is None else self.dbfile.get(*got)

    cls._brief_original_lookups = {n: getattr(cls, n) for n in ("__contains__", "range_for_key", "__getitem__", "get")}
    cls.__contains__, cls.range_for_key, cls.__getitem__, cls.get = __contains__, range_for_key, __getitem__, get
    cls._brief_kept_lookups = True


_kept_lookups()


# Fields added to the schema after an archive may have been created: an index without them is
# still read (records without them read as defaults) and gets them on its first write.
ADDED_FIELDS = ("raw_sha256",)


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.TEXT(analyzer=_text),
        body=fields.TEXT(analyzer=_text, phrase=True),
        author=fields.TEXT(analyzer=_names, phrase=True),
        author_key=fields.KEYWORD(commas=True, lowercase=True),
        tag=fields.KEYWORD(commas=True, lowercase=True),
        type=fields.KEYWORD(commas=True, lowercase=True),
        org=fields.TEXT(analyzer=_orgs, phrase=True),
        org_key=fields.KEYWORD(commas=True, lowercase=True),
        date=fields.DATETIME(sortable=True),
        year=fields.ID(),
        added=fields.DATETIME(sortable=True),
        title_sort=fields.ID(sortable=True),
        source=fields.ID(),
        sha256=fields.ID(),
        # Hash of the file's bytes (the same PDF under two names is one brief). Added after
        # format 1: an older index gets it on its first write (see ADDED_FIELDS).
        raw_sha256=fields.ID(),
        # Everything needed to rebuild the Brief, including the verbatim text.
        rec=fields.STORED(),
        text=fields.STORED(),
    )


# What a creation killed before it wrote brief.json leaves: an empty index. Such a folder is
# still "new" (a later write creates the archive in it; a read says there is no archive).
_CREATION_LEFTOVER = re.compile(rf"^(_{INDEX_NAME}_0\.toc(\.[0-9.]+)?|{INDEX_NAME}_WRITELOCK|{INDEX_NAME}\.tmp|"
                                rf"{re.escape(META_FILE)}\.tmp|\.gitkeep|\.DS_Store)$")  # placeholders count as empty


def default_index_dir() -> Path:
    """$BRIEF_INDEX, else the per-user data directory (XDG on Linux)."""
    return Path(default_location())


# -- merging ---------------------------------------------------------------------------------------
# Whoosh merges segments by re-sorting every posting of them through its writer (measured: a
# merge of all segments costs about what indexing them cost), so brief merges as little as it
# can. Batch checkpoints of a bulk add merge nothing (``NO_MERGE``). Every other commit merges
# only *small* segments (fewer than MERGE_BELOW live briefs: what single-file adds and small
# edits leave), a size class (1-9, 10-99 briefs) at a time once MERGE_FACTOR of it have piled up,
# and segments that are mostly deleted records (merging those is mostly dropping them). So no
# commit ever pays for merging big segments (Whoosh's default, MERGE_SMALL, can merge nearly
# the whole archive to add one file, and a size-tiered policy makes a bulk add's last commit
# merge the run's own segments). Big segments stay as bulk adds wrote them: a search costs
# about the same on 2 segments or 40 (measured), and `brief reindex` writes one.
MERGE_FACTOR = 10
MERGE_BELOW = 100
WARM_AFTER = 500  # a writer that committed this many changes computes the side data of its segments


def _size_class(seg) -> int:
    return len(str(max(seg.doc_count(), 1))) - 1


def tiered_merge(writer, segments):
    """The merge policy of every commit but a batch checkpoint (see above)."""
    from whoosh.reading import SegmentReader

    by_class: dict[int, list] = {}
    for seg in segments:
        if seg.doc_count() < MERGE_BELOW:
            by_class.setdefault(_size_class(seg), []).append(seg)
    merge = []
    for segs in by_class.values():
        if len(segs) >= MERGE_FACTOR:
            merge.extend(segs)
    for seg in segments:  # empty or mostly deleted: merging it is (nearly) dropping it
        if seg not in merge and seg.doc_count_all() and seg.deleted_count() * 2 > seg.doc_count_all():
            merge.append(seg)
    if not merge:
        return segments
    for seg in merge:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in merge]


def _day(d: _dt.date) -> _dt.datetime:
    return _dt.datetime(d.year, d.month, d.day)


def _body_with_title(b: Brief) -> "str | _Body":
    """The text indexed in ``body``: the body, with the title in front when the body does not
    already begin with it (a header line "Title: ..." is cut from the body). So a word of the
    title counts once in the text of every brief, whatever its layout, and then TITLE_WEIGHT
    more (query.py). A big body that would be a copy of the text is given as a :class:`_Body`."""
    title = " ".join(b.title.split())
    start = b.body_start
    if title:
        head = " ".join(b.text[start:start + len(b.title) + 400].split())
        prefix = "" if fold(title) in fold(head) else f"{b.title}\n\n"
    else:
        prefix = ""
    if not prefix and not start:
        return b.text
    if len(b.text) - start < LEAN_BODY_MIN:
        return prefix + b.text[start:]
    return _Body((prefix, b.text, start))  # not a copy of a big text: indexed in place


LEAN_BODY_MIN = 1 << 20  # a body of this many characters or more is indexed in place (see _Body)


def _clean_body(body):
    from ..names import clean, has_surrogates

    if isinstance(body, _Body):
        head, text, start = body
        if not has_surrogates(head) and not has_surrogates(text):
            return body
        return clean(body.joined())
    return clean(body)


def brief_to_doc(b: Brief) -> dict:
    """The Whoosh document for a brief: indexed fields plus the stored record. The record
    keeps every value exactly; indexed values cannot hold a lone surrogate (an undecodable
    byte of a file name: names.py), so they get a readable form."""
    from ..names import clean, index_term

    rec = record_dict(b)
    doc = {
        "id": b.id,
        "title": clean(b.title),
        "body": _clean_body(_body_with_title(b)),
        "rec": rec,
        "text": b.text,
        "title_sort": fold(clean(b.title)) or "\uffff",
        "sha256": b.sha256,
    }
    if b.raw_sha256:
        doc["raw_sha256"] = b.raw_sha256
    if b.source:
        doc["source"] = index_term(b.source)
    if b.authors:
        doc["author"] = clean(" ; ".join(b.authors))
        doc["author_key"] = clean(",".join(person_key(a) for a in b.authors))
    if b.tags:
        doc["tag"] = clean(",".join(norm_tag(t).replace(",", " ") for t in b.tags))
    if b.type:
        doc["type"] = clean(fold(" ".join(b.type.replace(",", " ").split())))
    if b.organization or b.org_abbr:
        doc["org"] = clean(f"{b.organization} {b.org_abbr}".strip())
    if b.organization:
        doc["org_key"] = clean(org_key(b.organization))
    if b.date:
        doc["date"] = _day(b.date)
        doc["year"] = str(b.date.year)
    if b.added:
        doc["added"] = b.added.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return doc


def doc_to_brief(stored: dict) -> Brief:
    return brief_from_record(stored["id"], stored["rec"], stored.get("text", ""))


def _take_sums(archive) -> None:
    """Checksums of the segments a commit wrote (engine/whoosh_integrity.py: `brief check`)."""
    from .whoosh_integrity import record_sums

    record_sums(archive.path)


def damaged(path, what: str) -> BriefError:
    """The one line every read of a damaged archive ends with."""
    return BriefError(f"archive {path} cannot be read: its index is damaged ({what}); run 'brief check' to "
                      "see what, then 'brief salvage' to rebuild it from every record still readable")


# -- snapshots -------------------------------------------------------------------------------------
SNAPSHOT_TRIES = 50  # how often a reader retries on a newer generation while writers merge


class _PinnedStorage:
    """The archive's storage, with every file of one generation's segments held open.

    Whoosh opens a segment's files lazily (the stored records when the first is read), and a
    merging commit of another process deletes the files of the segments it merged. Holding
    an open descriptor of each file keeps its data: the files are opened anew through
    ``/proc/self/fd`` (same file, own offset) even after the name is gone, so a reader sees the
    generation it started with, whole, whatever is committed meanwhile."""

    def __init__(self, storage, fds: dict[str, int]):
        self._storage = storage
        self._fds = fds
        self.supports_mmap = False
        self.opened: list = []  # the files opened through it (whoosh_warm gives a child its own offsets)

    def __getattr__(self, name):
        return getattr(self._storage, name)

    def _path(self, name: str) -> str | None:
        fd = self._fds.get(name)
        if fd is None:
            return None
        proc = f"/proc/self/fd/{fd}"
        return proc if os.path.exists(proc) else None

    def open_file(self, name, **kwargs):
        from whoosh.filedb.structfile import StructFile

        path = self._path(name)
        if path is None:
            f = self._storage.open_file(name, **kwargs)
        else:
            f = StructFile(open(path, "rb"), name=name, **kwargs)
        self.opened.append(f)
        return f

    def file_exists(self, name) -> bool:
        return name in self._fds or self._storage.file_exists(name)

    def file_length(self, name) -> int:
        fd = self._fds.get(name)
        return os.fstat(fd).st_size if fd is not None else self._storage.file_length(name)

    def list(self):
        return sorted(set(self._storage.list()) | set(self._fds))

    def close(self) -> None:
        fds, self._fds = self._fds, {}
        for fd in fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)


def _pin(storage):
    """(toc, pinned storage) of the newest generation, its segment files held open; retried
    on the newer generation when a commit removes files under it (bounded)."""
    from whoosh.index import TOC

    last: Exception | None = None
    for attempt in range(SNAPSHOT_TRIES):
        fds: dict[str, int] = {}
        try:
            toc = TOC.read(storage, INDEX_NAME)
            prefixes = tuple(f"{seg.segment_id()}." for seg in toc.segments)
            names = [n for n in storage.list() if n.startswith(prefixes)] if prefixes else []
            for n in names:
                fds[n] = os.open(os.path.join(storage.folder, n), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            have = {n.split(".", 1)[0] for n in names}
            if len(have) < len(toc.segments):
                if TOC.read(storage, INDEX_NAME).generation == toc.generation:  # no commit: damage
                    gone = sorted(seg.segment_id() for seg in toc.segments if seg.segment_id() not in have)
                    raise damaged(storage.folder, f"the files of segment {gone[0]} are missing")
                raise FileNotFoundError("a segment's files are gone")
            if attempt + 1 < SNAPSHOT_TRIES and toc.segments:
                # Every segment still in the newest table of contents: none of its files was removed.
                newest = {seg.segment_id() for seg in TOC.read(storage, INDEX_NAME).segments}
                if not {seg.segment_id() for seg in toc.segments} <= newest:
                    raise FileNotFoundError("merged away meanwhile")
            return toc, _PinnedStorage(storage, fds)
        except (OSError, ValueError, index.EmptyIndexError) as e:
            for fd in fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)
            last = e
            time.sleep(min(0.01 * (attempt + 1), 0.1))
    raise BriefError(f"the archive kept changing under this read ({last}); try again") from None


def _open_dir(path: Path):
    """Whoosh's open_dir, retried (bounded) when another process's commit removes the table of
    contents it was about to read: a newer one is there by then."""
    last = None
    for attempt in range(SNAPSHOT_TRIES):
        try:
            return index.open_dir(str(path), indexname=INDEX_NAME)
        except FileNotFoundError as e:
            last = e
            if not any(n.startswith(f"_{INDEX_NAME}_") and n.endswith(".toc") for n in os.listdir(path)):
                raise
            time.sleep(min(0.01 * (attempt + 1), 0.1))
    raise last


class WhooshArchive(base.Archive):
    """A brief archive in one folder. Open with :meth:`open` (``create=True`` to make it)."""

    engine = "whoosh"

    def __init__(self, path: Path, ix):
        self.path = path
        self.location = str(path)
        self.ix = ix

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = False,
             old_ok: bool = False) -> "WhooshArchive":
        """Open an archive; with ``create`` make it if it does not exist.

        A read command passes ``create=False``: a missing archive is reported, nothing is made.
        An archive of an older format is refused with one line saying to run `brief reindex`,
        unless ``old_ok`` (reindex itself, check, export: they read only the stored records).
        """
        path = Path(path) if path is not None else default_index_dir()
        meta = path / META_FILE
        try:
            is_archive = meta.is_file()
        except PermissionError:
            raise BriefError(f"archive {path} cannot be read: permission denied") from None
        if is_archive:
            cls._check_format(path, meta, old_ok)
            try:
                ix = _open_dir(path)
            except PermissionError:
                raise BriefError(f"archive {path} cannot be read: permission denied") from None
            except Exception as e:  # a table of contents missing, cut short or damaged
                from .whoosh_integrity import toc_advice

                raise BriefError(f"archive {path} cannot be opened: its table of contents is missing or damaged "
                                 f"({type(e).__name__}); {toc_advice(path)}") from None
            from .whoosh_integrity import toc_damage

            what = toc_damage(path)  # readable, but not as written (a flip mid-pickle): never read it
            if what is not None:
                raise damaged(path, what)
            return cls(path, ix)
        if path.is_dir() and any(n.startswith(f"_{INDEX_NAME}_") and n.endswith(".toc") and n != f"_{INDEX_NAME}_0.toc"
                                 for n in os.listdir(path)):  # an index that held briefs: damage, not a new folder
            raise BriefError(f"archive {path} has lost its {META_FILE}; run 'brief check', then 'brief salvage' "
                             "(it writes a new one)")
        if path.exists() and not path.is_dir():
            raise UsageError(f"archive path {path} is a file, not an archive folder")
        if path.is_dir() and any(not _CREATION_LEFTOVER.match(p.name) for p in path.iterdir()):
            raise UsageError(f"{path} is not a brief archive (no {META_FILE}); choose an empty or new folder")
        if not create:
            raise BriefError(f"no archive at {path} (add a brief first with 'brief add FILE', or pass --index DIR)")
        return cls._create(path)

    @classmethod
    def _check_format(cls, path: Path, meta: Path, old_ok: bool = False) -> None:
        try:
            info = json.loads(meta.read_text("utf-8"))
            version = int(info["format"])
        except (OSError, ValueError, KeyError, TypeError):
            raise BriefError(f"archive {path} has an unreadable {META_FILE}; run 'brief check', then 'brief salvage' "
                             "(it writes a new one)") from None
        if version > FORMAT_VERSION:
            raise BriefError(
                f"archive {path} has format {version}, newer than this brief understands ({FORMAT_VERSION}); "
                "upgrade brief")
        if version < FORMAT_VERSION and not old_ok:
            raise BriefError(
                f"archive {path} has format {version}, older than this brief's {FORMAT_VERSION} (accent-folded "
                f"search, ranking); run 'brief --index {path} reindex' once to upgrade it")

    @classmethod
    def _create(cls, path: Path) -> "WhooshArchive":
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)  # the owner only: briefs may be private
            # Two processes creating at once: under the write lock only one creates; the other
            # opens its archive (create_in wipes the folder's index, a first commit included).
            from whoosh.filedb.filestore import FileStorage

            lock = FileStorage(str(path)).lock(f"{INDEX_NAME}_WRITELOCK")
            deadline = time.monotonic() + 60
            while not lock.acquire(blocking=False):
                if (path / META_FILE).is_file() or time.monotonic() > deadline:
                    return cls.open(path)
                time.sleep(0.02)
            try:
                if (path / META_FILE).is_file():
                    return cls.open(path)
                ix = index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
                info = {"format": FORMAT_VERSION, "created": _dt.datetime.now(_dt.timezone.utc).isoformat()}
                from ..fsafe import replace_private

                replace_private(path / META_FILE, (json.dumps(info) + "\n").encode("utf-8"))  # never via a link
            finally:
                lock.release()
        except PermissionError:
            raise BriefError(f"cannot create archive at {path}: permission denied") from None
        except OSError as e:
            raise BriefError(f"cannot create archive at {path}: {e.strerror or e}") from None
        return cls(path, ix)

    # -- reading -----------------------------------------------------------------
    def count(self) -> int:
        """The briefs in the newest generation, from its table of contents (each segment's
        record count less its deletions): no segment is opened (``ix.doc_count()`` opens a
        reader of every segment, a tenth of a second on a 40-segment archive)."""
        return sum(seg.doc_count() for seg in self.ix._segments())

    @contextlib.contextmanager
    def searcher(self):
        """A searcher over one snapshot: the newest generation, every file of it held open
        (:class:`_PinnedStorage`), so it reads the same records to the end however other
        processes commit and merge meanwhile."""
        from whoosh.index import FileIndex
        from whoosh.searching import Searcher

        from . import whoosh_warm

        warm = whoosh_warm.take(self.path)  # one the command server opened (its children only)
        if warm is not None:
            toc, pinned, reader = warm
        else:
            toc, pinned = _pin(self.ix.storage)
            reader = None
        try:
            if reader is None:
                reader = FileIndex._reader(pinned, toc.schema, toc.segments, toc.generation)
            s = Searcher(reader, fromindex=self.ix, weighting=RankingBM25())
        except BaseException:
            pinned.close()
            raise
        try:
            with s:
                yield s
        finally:
            pinned.close()

    @classmethod
    def check(cls, location):
        from .whoosh_maint import check_archive

        return check_archive(location)

    def reindex(self, **kw):
        from .whoosh_maint import reindex

        return reindex(self, **kw)

    def dry_writer(self):
        """A writer that looks things up like a real one and writes nothing (``add --dry-run``)."""
        return _DryWriter(self, _ReaderOnly(self.ix))

    @contextlib.contextmanager
    def reader(self):
        from .whoosh_search import WhooshReader

        with self.searcher() as s:  # one snapshot (see searcher)
            yield WhooshReader(s)

    def get(self, brief_id: str) -> Brief:
        with self.searcher() as s:
            stored = s.document(id=brief_id)
        if stored is None:
            raise UsageError(f"no brief with id {brief_id!r}")
        return doc_to_brief(stored)

    def resolve(self, prefix: str) -> str:
        """Turn an id or a unique prefix of one into the full id."""
        p = prefix.strip().lower()
        if not p:
            raise UsageError("empty id")
        with self.searcher() as s:
            if s.document_number(id=p) is not None:
                return p
            terms = [t.decode() if isinstance(t, bytes) else t for t in s.reader().expand_prefix("id", p)]
            matches = [m for m in terms if s.document_number(id=m) is not None]  # skip deleted
        if not matches:
            raise UsageError(f"no brief with id {prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(sorted(matches)[:5])
            raise UsageError(f"id {prefix!r} is ambiguous: it matches {shown}{'…' if len(matches) > 5 else ''}")
        return matches[0]

    def records(self, errors: list[str] | None = None) -> Iterator[Brief]:
        with self.searcher() as s:
            for stored in s.all_stored_fields():
                try:
                    yield doc_to_brief(stored)
                except Exception as e:  # a damaged record: say which, go on with the others
                    msg = f"record {stored.get('id', '?')!r} cannot be read ({type(e).__name__}: {e})"
                    if errors is None:
                        raise BriefError(msg) from None
                    errors.append(msg)

    def all(self) -> Iterator[Brief]:
        with self.searcher() as s:
            for stored in s.all_stored_fields():
                yield doc_to_brief(stored)

    def tag_keys(self) -> list[str]:
        """Every tag's case-insensitive key, read from the index's term list (fast: no records
        are loaded). Enough for the metadata reader, which matches labels case-insensitively."""
        with self.searcher() as s:
            return [t.decode("utf-8") if isinstance(t, bytes) else t for t in s.reader().lexicon("tag")]

    def source_stats(self) -> dict[str, tuple[int | None, int | None, str, str]]:
        """``source path -> (size, mtime_ns, id, title)`` of every brief read from a file (a bulk
        re-add skips unchanged files without reading them), from the side data of
        ``engine/whoosh_side.py`` (no text is loaded once it exists)."""
        from . import whoosh_side

        return whoosh_side.source_stats(self)

    def source_stats_for(self, sources) -> dict[str, tuple[int | None, int | None, str, str]]:
        """:meth:`source_stats` of a few sources, each looked up by its term."""
        out: dict[str, tuple[int | None, int | None, str, str]] = {}
        with self.searcher() as s:
            from ..names import index_term

            r = s.reader()
            for src in dict.fromkeys(sources):
                if not src:
                    continue
                try:
                    docs = [d for d in r.postings("source", index_term(src)).all_ids() if not r.is_deleted(d)]
                except Exception:  # term not in the index
                    continue
                for d in docs:
                    stored = r.stored_fields(d)
                    rec = stored.get("rec") or {}
                    if rec.get("source") == src:
                        out[src] = (rec.get("source_size"), rec.get("source_mtime_ns"), stored["id"],
                                    rec.get("title", ""))
        return out

    def summary(self) -> base.Summary:
        """The counts of `stats`/`tags`/`authors`/`orgs`, from per-segment side data
        (``engine/whoosh_side.py``): no text is loaded once it exists."""
        from . import whoosh_side

        return whoosh_side.summary(self)

    # -- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None, **kw):
        """Hold the write lock for a batch of changes; commit on success, cancel on error."""
        w = self._acquire(lock_timeout, on_wait, **kw)
        aw = ArchiveWriter(self, w)
        try:
            yield aw
        except OSError as e:  # disk full, file too large...: the last commit stays the archive
            aw.cancel()
            raise write_failed(e) from None
        except BaseException:
            aw.cancel()
            raise
        else:
            try:
                aw.commit()
            except OSError as e:  # the new table of contents was not written: nothing changed
                aw.cancel()
                raise write_failed(e) from None
            except BaseException:
                aw.cancel()  # release the lock whatever went wrong
                raise
        finally:
            subs = sys.modules.get(f"{__package__}.whoosh_subwriters")
            if subs is not None:
                subs.stop()  # the fork server of the sub-writers, if this writer started one

    def _acquire(self, lock_timeout: float, on_wait, **kw):
        # Every writer writes segments as separate files: Whoosh copies a compound segment
        # whole into memory for every reader that opens it (each search, each command).
        kw.setdefault("compound", False)
        deadline = time.monotonic() + lock_timeout
        told = False
        while True:
            try:
                w = self.ix.writer(**kw)
                if any(n not in w.schema for n in ADDED_FIELDS):
                    w = self._add_fields(w, kw)
                if kw.get("procs", 1) > 1:
                    from .whoosh_subwriters import serve

                    w = serve(w)
                return w
            except LockError:
                if time.monotonic() >= deadline:
                    raise BriefError(
                        f"archive {self.path} is locked by another brief process; gave up after "
                        f"{lock_timeout:g}s (raise --lock-timeout or BRIEF_LOCK_TIMEOUT)") from None
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(0.05)
            except PermissionError:
                raise BriefError(f"archive {self.path} is not writable: permission denied") from None


    def _add_fields(self, w, kw: dict):
        """An index made before :data:`ADDED_FIELDS` existed: add them (Whoosh's multi-process
        writer cannot, so a plain writer adds them in a commit of their own first)."""
        schema = make_schema()
        missing = [n for n in ADDED_FIELDS if n not in w.schema]
        if kw.get("procs", 1) > 1:
            w.cancel()
            plain = self.ix.writer()
            for n in missing:
                plain.add_field(n, schema[n])
            plain.commit()
            return self.ix.writer(**kw)
        for n in missing:
            w.add_field(n, schema[n])
        return w


def _release_freed_memory() -> None:
    """Give the memory freed so far back to the system (glibc keeps freed blocks for reuse): a
    process forked next would otherwise count those pages as its own, as resident memory."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None).malloc_trim(0)


class ArchiveWriter(base.Writer):
    """Changes to the archive under the write lock. Lookups see the index as it was when
    the lock was taken plus the changes made through this writer."""

    def __init__(self, archive: WhooshArchive, w):
        self.archive = archive
        self._w = w
        self._reader = w.reader()
        self._pending: dict[str, Brief | None] = {}  # id -> new record (None: deleted)
        self._by_sha: dict[str, str] = {}
        self._by_source: dict[str, str] = {}
        self._by_raw: dict[str, str] = {}
        self.changes = 0
        self._run_changes = 0  # committed by earlier checkpoints of this writer
        self._vec = self._vector_batch()

    def _vector_batch(self):
        """The vector side of this batch (semantic/store.py) when the archive keeps vectors."""
        gen = getattr(self._w, "generation", None)
        if not isinstance(gen, int):  # a dry run's read-only stand-in
            return None
        from ..semantic.store import batch_for

        return batch_for(self.archive.path, gen - 1)

    def _commit_whoosh(self, **kw) -> None:
        """The one place a batch of records is committed: the vectors of the new generation are
        written first, then Whoosh's table of contents (the commit point of both)."""
        if self._vec is not None:
            self._vec.commit(self._w.generation)
        self._w.commit(**kw)
        if self._vec is not None:
            self._vec.after_commit(self._w.generation)

    # lookups -----------------------------------------------------------------------
    def _stored_by(self, field: str, value: str) -> list[dict]:
        out = []
        r = self._reader
        if not value:
            return out
        try:
            postings = r.postings(field, value)
        except Exception:  # term not in the index
            return out
        for docnum in postings.all_ids():
            if not r.is_deleted(docnum):
                out.append(r.stored_fields(docnum))
        return out

    def find_sha(self, sha: str) -> Brief | None:
        if sha in self._by_sha:
            b = self._pending.get(self._by_sha[sha])
            if b is not None:
                return b
        for stored in self._stored_by("sha256", sha):
            if stored["id"] not in self._pending:
                return doc_to_brief(stored)
        return None

    def find_raw(self, raw: str) -> Brief | None:
        """The brief read from a file with these bytes (``raw_sha256``), if any."""
        if raw in self._by_raw:
            b = self._pending.get(self._by_raw[raw])
            if b is not None and b.raw_sha256 == raw:
                return b
        if "raw_sha256" not in self._w.schema:
            return None
        for stored in self._stored_by("raw_sha256", raw):
            if stored["id"] not in self._pending:
                return doc_to_brief(stored)
        return None

    def known_raw(self) -> set[str]:
        """Every ``raw_sha256`` in the index as this writer sees it (a superset, as :meth:`known_keys`)."""
        try:
            return {t.decode("utf-8") if isinstance(t, bytes) else t for t in self._reader.lexicon("raw_sha256")}
        except Exception:  # no such field in the index yet
            return set()

    def find_source(self, source: str) -> Brief | None:
        from ..names import index_term

        if source in self._by_source:
            b = self._pending.get(self._by_source[source])
            if b is not None:
                return b
        for stored in self._stored_by("source", index_term(source)):
            if stored["id"] not in self._pending and (stored.get("rec") or {}).get("source") == source:
                return doc_to_brief(stored)
        return None

    def get(self, brief_id: str) -> Brief | None:
        if brief_id in self._pending:
            return self._pending[brief_id]
        stored = self._stored_by("id", brief_id)
        return doc_to_brief(stored[0]) if stored else None

    def id_taken(self, brief_id: str) -> bool:
        if brief_id in self._pending:
            return self._pending[brief_id] is not None
        return bool(self._stored_by("id", brief_id))

    # changes -----------------------------------------------------------------------
    def put(self, b: Brief) -> None:
        """Write a whole record (new or replacing the one with the same id)."""
        if not b.id:
            raise ValueError("brief without id")
        self._w.update_document(**brief_to_doc(b))
        self._wrote(b)

    def _wrote(self, b: Brief) -> None:
        """What this writer remembers of a record it wrote: its vectors, and the lookups by id,
        text hash, source and file hash that later decisions of the same batch read."""
        if self._vec is not None:
            self._vec.put(b)
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.source:
            self._by_source[b.source] = b.id
        if b.raw_sha256:
            self._by_raw[b.raw_sha256] = b.id
        self.changes += 1

    def delete(self, brief_id: str) -> None:
        self._w.delete_by_term("id", brief_id)
        if self._vec is not None:
            self._vec.delete(brief_id)
        self._pending[brief_id] = None
        self.changes += 1

    def commit(self) -> None:
        if self.changes:
            self._commit_whoosh(mergetype=tiered_merge)
            _take_sums(self.archive)
        else:  # nothing since the last checkpoint (a run whose last batch just filled up)
            self._w.cancel()
        if self._run_changes + self.changes >= WARM_AFTER:
            # A bulk run: summarise its new segments now (one pass over their records, about
            # 1% of what adding them cost), so the first `stats` after it is as quick as later ones.
            from . import whoosh_side

            whoosh_side.warm(self.archive)

    def cancel(self) -> None:
        with contextlib.suppress(Exception):
            self._w.cancel()
        lock = getattr(self._w, "writelock", None)  # a cancel that failed half-way keeps it
        if lock is not None and getattr(lock, "fd", None) is not None:
            with contextlib.suppress(Exception):
                lock.release()

    # bulk adds (ingest.py) ------------------------------------------------------------------
    def known_keys(self) -> tuple[set[str], set[str], set[str]]:
        """Every id, sha256 and source in the index as this writer sees it, read from the term
        lists (no record is loaded; terms of deleted records may be there too: a superset).
        A bulk add checks these sets first and looks a key up in the index only when it is
        there, so the many texts that are certainly new cost no lookup."""
        r = self._reader

        def terms(fieldname: str) -> set[str]:
            try:
                return {t.decode("utf-8") if isinstance(t, bytes) else t for t in r.lexicon(fieldname)}
            except Exception:  # no such field in the index yet
                return set()

        return terms("id"), terms("sha256"), terms("source")

    def put_fast(self, b: Brief, *, new: bool = False) -> bool:
        """:meth:`put` for bulk adds. Whoosh's ``update_document`` opens a reader of every
        segment for each document (slow once an archive has many segments); here the record
        it replaces, if any, is deleted by document number from this writer's reader (no
        lookup at all with ``new``: the caller knows the id is not in the index) and the new
        one is added. Returns False, writing nothing, when this id was already written
        through this writer since the last commit (Whoosh cannot replace a document added in
        the same uncommitted batch): :meth:`checkpoint` first, then call again."""
        if not b.id:
            raise ValueError("brief without id")
        if b.id in self._pending:
            return False
        r = self._reader
        try:
            old = [] if new else [n for n in r.postings("id", b.id).all_ids() if not r.is_deleted(n)]
        except Exception:  # term not in the index
            old = []
        for docnum in old:
            self._w.delete_document(docnum)
        self._w.add_document(**brief_to_doc(b))
        if self._vec is None:
            # What later decisions of this batch read of the record is its fields: its text
            # (the bulk of a batch's memory) is in the index once the batch is committed.
            b = copy.copy(b)
            b.text = None
        self._wrote(b)
        return True

    def checkpoint(self, *, lock_timeout: float = 30.0, on_wait: Callable[[], None] | None = None, **kw) -> bool:
        """Commit the changes so far (a batch that survives whatever happens next) and carry on
        with a fresh writer (``kw`` as for :meth:`Archive.writer`). The lock is released and
        taken again in between, so another brief process waiting for it may go first: returns
        True when one did (its changes are then in the index this writer sees)."""
        if not self.changes:
            return False
        from whoosh.writing import NO_MERGE

        self._commit_whoosh(mergetype=NO_MERGE)  # a batch of a run merges nothing: see tiered_merge
        _take_sums(self.archive)
        self._run_changes += self.changes
        written = getattr(self._w, "generation", None)
        pool = getattr(self._w, "pool", None)
        if pool is not None and hasattr(pool, "current"):
            pool.current = []  # Whoosh keeps a committed batch's postings in memory: let them go
        # The committed batch's records (their texts) go before the next writer starts: its
        # sub-writer processes are forked from this one and would each carry them.
        self._pending.clear()
        self._by_sha.clear()
        self._by_source.clear()
        self._by_raw.clear()
        self._w = self._reader = None
        _release_freed_memory()
        self._w = self.archive._acquire(lock_timeout, on_wait, **kw)
        others = written is None or getattr(self._w, "generation", None) != written + 1
        self._reader = self._w.reader()
        self._vec = self._vector_batch()
        self.changes = 0
        return others

    def stop_subwriters(self) -> None:
        """End the sub-writer processes of Whoosh's multi-process writer (``procs > 1``).
        Its ``cancel`` leaves them waiting for work forever (and Python waits for them at
        exit), so call this before cancelling such a writer."""
        for task in getattr(self._w, "tasks", ()):
            with contextlib.suppress(Exception):
                task.terminate()
                task.join(5)


class _ReaderOnly:
    """Stands in for a Whoosh writer in a dry run: lookups only, nothing is written."""

    def __init__(self, ix):
        self._r = ix.reader()
        self.schema = ix.schema

    def reader(self):
        return self._r

    def delete_document(self, docnum):
        pass

    def add_document(self, **fields):
        pass


class _DryWriter(ArchiveWriter):
    def put_fast(self, b, *, new=False):
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.source:
            self._by_source[b.source] = b.id
        if b.raw_sha256:
            self._by_raw[b.raw_sha256] = b.id
        return True

    @property
    def changes(self):
        return 0

    @changes.setter
    def changes(self, v):
        pass
