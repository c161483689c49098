"""User query syntax and filters -> the engine-neutral query tree (``querytree.py``).

The query language (a small hand-written tokenizer and recursive-descent parser, so that a
mistake is reported as what is wrong and at which column)::

    sanctions relief            words: title and body, English stemming; all of them
    "maximum pressure"          a phrase (also as a field value: tag:"north korea")
    tag:iran  author:ha  title:kim  body:enrichment  type:"policy brief"  org:fdd  id:tre8
    date:2019  date:2019-04  date:2019-04-17         a whole year, month or day
    date:2019..2020  date:2019-03..  date:..2019-06   inclusive ranges of whole periods
    date:none  author:none  org:none  type:none  tag:none   briefs without that field
    a OR b   a AND b   NOT a   -a   -tag:draft        booleans and exclusion
    (iran OR venezuela) sanctions                     parentheses
    sanct*   sanctons~   sanctons~2                    prefix, near spellings (edit distance)

Field names and values are case-insensitive; AND/OR/NOT are operators only in capitals
(a lowercase "and" is an ordinary word). Precedence, tightest first: NOT and ``-``, AND, OR,
then the plain space between terms (so ``sanctions iran OR venezuela`` is sanctions AND
(iran OR venezuela)).

Several plain words mean all of them; ``Parsed.fallback`` is the query with those words
OR-ed instead (field terms and exclusions stay required), which search uses when no brief
has all the words. Dates and periods: a bare year or month is the whole period, the same
rule as ``--since/--until`` (both use :func:`period`).

This is the one parser of brief's syntax; every mistake is reported here, before an archive is
opened. Each engine compiles the tree (``brieftool/engine/``).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field


from . import querytree as T
from .models import UsageError, fold, norm_tag

TEXT_FIELDS = T.TEXT_FIELDS
# Field name in a query -> the field it searches. Aliases are accepted but not advertised.
FIELDS = ("author", "body", "date", "id", "org", "tag", "title", "type")
_ALIASES = {"authors": "author", "tags": "tag", "organization": "org", "organisation": "org",
            "text": "body"}
OPERATORS = ("AND", "OR", "NOT")
# Words of a question that say nothing about its topic ("how does north korea evade sanctions").
# The index's own stop list (querytree.STOP_WORDS) keeps them; a query drops them as plain words, unless
# the query has no other word. Quoted phrases keep every word.
QUESTION_WORDS = frozenset("""
    what which who whom whose why how where whether did do does doing done was were been being
    has had having could would should shall might must i me my our ours they them their there
    these those he she his her its about any some so than then very just also into out tell
""".split())
FUZZY_MAX = 2  # largest edit distance accepted in word~N
# field:none -> the briefs without that field (the index field that is empty then); a quoted
# "none" is the word itself
NONE_FIELDS = {"date": "date", "author": "author_key", "org": "org", "type": "type", "tag": "tag"}


@dataclass
class Parsed:
    query: T.Node
    fallback: T.Node | None = None  # any-word query, used when nothing has all the words
    words: list[str] = field(default_factory=list)  # the plain words the user typed (for suggestions)
    # (start, end) of each word of ``words`` in the query text, for "did you mean" rewrites
    spans: list[tuple[int, int]] = field(default_factory=list)
    text: str = ""
    content_words: int = 0  # plain words that survive stop-word removal


# -- tokens ---------------------------------------------------------------------------------------
@dataclass
class Tok:
    kind: str  # "(" ")" "AND" "OR" "NOT" "-" "term"
    col: int  # 1-based column of the token's first character
    field: str | None = None
    value: str = ""
    quoted: bool = False
    suffix: str = ""  # "" / "*" / "~"
    fuzz: int | None = None  # N of word~N
    start: int = 0  # character span of the value in the query text
    end: int = 0


def _err(what: str, col: int, extra: str = "") -> UsageError:
    return UsageError(f"bad query: {what} at column {col}{extra}")


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_FIELD = re.compile(r"([A-Za-z_]+):")
_STOP = set(" \t\r\n\f\v()\"")


def tokenize(text: str) -> list[Tok]:
    """Split a query into tokens; unbalanced quotes and bad suffixes are reported here."""
    s = text.translate(_QUOTES)  # typographic quotes count as quotes (same length: columns hold)
    out: list[Tok] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            out.append(Tok(c, i + 1))
            i += 1
            continue
        if c == '"':
            j = s.find('"', i + 1)
            if j < 0:
                raise _err("unclosed quote", i + 1, ' (add the closing ")')
            i = _suffixed(s, Tok("term", i + 1, value=s[i + 1:j], quoted=True, start=i + 1, end=j), j + 1, out)
            continue
        if c == "-" and i + 1 < n and not s[i + 1].isspace() and s[i + 1] not in ")-":
            out.append(Tok("-", i + 1))
            i += 1
            continue
        j = i
        while j < n and s[j] not in _STOP:
            j += 1
        word = s[i:j]
        if word in OPERATORS:
            out.append(Tok(word, i + 1))
            i = j
            continue
        m = _FIELD.match(word)
        if m and word[m.end():].startswith("//"):  # a URL (https://...) is text, not a field
            m = None
        if m and (len(word) > m.end() or (j < n and s[j] == '"')):
            name = m.group(1).lower()
            fname = _ALIASES.get(name, name)
            if fname not in FIELDS:
                raise _err(f"unknown field {m.group(1)!r}", i + 1, f" (known fields: {', '.join(FIELDS)})")
            if len(word) == m.end():  # field:"quoted value"
                k = s.find('"', j + 1)
                if k < 0:
                    raise _err("unclosed quote", j + 1, ' (add the closing ")')
                i = _suffixed(s, Tok("term", i + 1, field=fname, value=s[j + 1:k], quoted=True, start=j + 1,
                                     end=k), k + 1, out)
                continue
            out.append(_bare(Tok("term", i + 1, field=fname, start=i + m.end(), end=j), s))
            i = j
            continue
        if m and len(word) == m.end():  # "name:" followed by a space or the end
            name = m.group(1).lower()
            if _ALIASES.get(name, name) in FIELDS:
                raise _err(f"empty value for {name}:", i + 1)
        out.append(_bare(Tok("term", i + 1, start=i, end=j), s))
        i = j
    return out


def _suffixed(s: str, tok: Tok, k: int, out: list[Tok]) -> int:
    """Append a quoted term, with a ``*`` or ``~N`` right after its closing quote; return
    where the next token starts."""
    if k < len(s) and s[k] == "~":
        tok.suffix = "~"
        m = re.match(r"\d+", s[k + 1:])
        k += 1
        if m:
            tok.fuzz = int(m.group())
            k += m.end()
    elif k < len(s) and s[k] == "*":
        tok.suffix = "*"
        k += 1
    out.append(tok)
    return k


def _bare(tok: Tok, s: str) -> Tok:
    """An unquoted value: split off a trailing ``*`` or ``~N``."""
    v = s[tok.start:tok.end]
    m = re.search(r"~(\d*)$", v)
    if m:
        tok.suffix = "~"
        tok.fuzz = int(m.group(1)) if m.group(1) else None
        v = v[:m.start()]
    elif v.endswith("*"):
        tok.suffix = "*"
        v = v[:-1]
    star = v.find("*")
    if star >= 0:
        raise _err("a wildcard * can only end a word", tok.start + star + 1)
    tok.value = v
    tok.end = tok.start + len(v)
    return tok


# -- syntax tree ----------------------------------------------------------------------------------
@dataclass
class Term:
    tok: Tok


@dataclass
class Not:
    child: object
    col: int


@dataclass
class Group:
    op: str  # "and" (explicit AND), "or", "seq" (terms side by side: all of them)
    children: list


# -- bounds -------------------------------------------------------------------------------------
# A query is typed by a person (or pasted by a script): these limits are far above any real
# one and keep every query on a big archive within seconds (bench/abuse). Each error names its
# limit. The MAX_EXPANSION and MAX_QUERY_* limits are applied by the engine, as it expands a
# prefix or near spelling (lower them here to try them on a small archive).
MAX_QUERY_CHARS = 10_000  # characters in a query
MAX_TERMS = 1_000  # words, phrases and field values
MAX_WORD_CHARS = 200  # characters in one word or field value
MAX_DEPTH = 32  # parentheses and NOTs nested in one another
MAX_PREFIXES = 50  # words ending in *
MAX_FUZZY = 10  # words ending in ~ (each is looked up in every segment's word list: bench/abuse)
MAX_EXPANSION = 2_000  # index words one prefix or near-spelling may stand for
MAX_QUERY_EXPANSION = 5_000  # index words all prefixes and near spellings of one query stand for together
MAX_QUERY_POSTINGS = 100_000  # times those words occur in the briefs (once per brief): what the search reads
MAX_QUERY_POSTINGS_PER_BRIEF = 2  # ... or this many times the number of briefs, if more: on a big archive a
# prefix of a word most briefs have (govern*) costs what the word itself does, and is answered
MAX_LOOSE_WORDS = 12  # words of the any-word fallback (the longest of a longer query: its cost grows per word)


def check_length(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(f"bad query: it is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")


def check_terms(toks: list[Tok]) -> None:
    terms = [t for t in toks if t.kind == "term"]
    if len(terms) > MAX_TERMS:
        raise _err(f"too many terms ({len(terms):,}; the limit is {MAX_TERMS:,})", terms[MAX_TERMS].col)
    for t in terms:
        if len(t.value) > MAX_WORD_CHARS:
            raise _err(f"a term of {len(t.value):,} characters (the limit is {MAX_WORD_CHARS})", t.col)
    for suffix, limit, what in (("*", MAX_PREFIXES, "prefixes (word*)"), ("~", MAX_FUZZY, "near spellings (word~)")):
        marked = [t for t in terms if t.suffix == suffix]
        if len(marked) > limit:
            raise _err(f"too many {what}: {len(marked)}; the limit is {limit}", marked[limit].col)


class _Parser:
    def __init__(self, toks: list[Tok], text: str):
        self.toks = toks
        self.i = 0
        self.text = text
        self.depth = 0  # parentheses and NOTs open around the current token (MAX_DEPTH)

    def _deeper(self, t: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _err(f"nested more than {MAX_DEPTH} levels deep (the limit)", t.col)

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self):
        node = self.seq()
        t = self.peek()
        if t is not None:  # only a stray ")" stops a top-level sequence
            raise _err("unmatched ')'", t.col, " (no '(' opens it)")
        return node

    def seq(self):
        items = []
        while True:
            t = self.peek()
            if t is None or t.kind == ")":
                break
            if t.kind in ("AND", "OR"):
                raise _err(f"{t.kind} needs a term before it", t.col)
            items.append(self.orexpr())
        return items[0] if len(items) == 1 else Group("seq", items)

    def orexpr(self):
        items = [self.andexpr()]
        while self.peek() is not None and self.peek().kind == "OR":
            op = self.take()
            self._operand_follows(op)
            items.append(self.andexpr())
        return items[0] if len(items) == 1 else Group("or", items)

    def andexpr(self):
        items = [self.unary()]
        while self.peek() is not None and self.peek().kind == "AND":
            op = self.take()
            self._operand_follows(op)
            items.append(self.unary())
        return items[0] if len(items) == 1 else Group("and", items)

    def _operand_follows(self, op: Tok):
        t = self.peek()
        if t is None or t.kind in (")", "AND", "OR"):
            raise _err(f"{op.kind} needs a term after it", op.col)

    def unary(self):
        t = self.peek()
        if t.kind in ("NOT", "-"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "AND", "OR"):
                raise _err(f"{'NOT' if t.kind == 'NOT' else '-'} needs a term after it", t.col)
            self._deeper(t)
            node = Not(self.unary(), t.col)
            self.depth -= 1
            return node
        return self.atom()

    def atom(self):
        t = self.take()
        if t.kind == "(":
            if self.peek() is not None and self.peek().kind == ")":
                raise _err("empty parentheses", t.col)
            self._deeper(t)
            node = self.seq()
            if self.peek() is None:
                raise _err("unclosed '('", t.col, " (add the closing ')')")
            self.take()
            self.depth -= 1
            return node
        if t.kind == "term":
            return Term(t)
        raise _err(f"unexpected {t.kind!r}", t.col)  # pragma: no cover - excluded above


# -- building the neutral tree --------------------------------------------------------------------
class _Compiler:
    """Turns the syntax tree into the engine-neutral query tree (``querytree``). ``loose``:
    plain words side by side are OR-ed (any of them, ranked) instead of AND-ed."""

    def __init__(self, loose: bool, drop: frozenset = frozenset()):
        self.loose = loose
        self.loosened = False
        self.drop = drop  # ids of the tokens left out (question words)

    def compile(self, node) -> T.Node | None:
        if isinstance(node, Term):
            return self.term(node.tok)
        if isinstance(node, Not):
            q = self.compile(node.child)
            return None if q is None else T.Not(q)
        parts = [(c, self.compile(c)) for c in node.children]
        parts = [(c, q) for c, q in parts if q is not None]
        parts = _unique_parts(parts)  # a word typed (or pasted) twice is one condition
        if not parts:
            return None
        if node.op == "or":
            return parts[0][1] if len(parts) == 1 else T.Or(tuple(q for _, q in parts))
        if self.loose and node.op == "seq":
            free = [q for c, q in parts if _is_free_text(c)]
            if len(free) >= 2:
                self.loosened = True
                required = [q for c, q in parts if not _is_free_text(c)]
                if len(free) > MAX_LOOSE_WORDS:  # a pasted paragraph: rank by its longest words
                    keep = set(sorted(range(len(free)), key=lambda i: -len(getattr(free[i], "text", "")))
                               [:MAX_LOOSE_WORDS])
                    free = [q for i, q in enumerate(free) if i in keep]
                any_word = T.Or(tuple(free))  # no coordination bonus: it was counted per segment
                return _and(required + [any_word])
        return _and([q for _, q in parts])

    # one term ------------------------------------------------------------------------------
    def term(self, t: Tok) -> T.Node | None:
        if id(t) in self.drop:
            return None
        f = t.field
        v = t.value
        if t.quoted and t.suffix == "*":
            raise _err("a wildcard * cannot follow a quoted phrase", t.col)
        if f is not None and not v.strip():
            raise _err(f"empty value for {f}:", t.col)
        if f in NONE_FIELDS and not t.quoted and not t.suffix and v.strip().lower() == "none":
            return T.Missing(NONE_FIELDS[f])  # briefs without one (to find what needs fixing)
        if f == "date":
            if t.suffix:
                raise _err(f"date: takes a date or a range like 2019..2020, not {t.suffix}", t.col)
            return date_query(v, col=t.col)
        if t.suffix == "~":
            dist = t.fuzz if t.fuzz is not None else None
            if dist is not None and not 1 <= dist <= FUZZY_MAX:
                raise _err(f"~{dist}: the edit distance must be 1 or {FUZZY_MAX}", t.col)
        if f in (None, "title", "body"):
            return self._text(t, TEXT_FIELDS if f is None else (f,))
        if f in ("author", "org"):
            return self._names(t, f)
        if f == "tag":
            return self._keyword(t, "tag", norm_tag(v))
        if f == "type":
            return self._keyword(t, "type", fold(" ".join(v.split())))
        if f == "id":
            vv = v.strip().lower()
            return T.Prefix(("id",), vv)
        raise AssertionError(f)  # pragma: no cover - fields are checked by the tokenizer

    def _text(self, t: Tok, fields: tuple[str, ...]) -> T.Node | None:
        v = t.value
        if t.suffix == "*":
            low = fold(v)
            if not re.search(r"\w", low):
                raise _err("a wildcard * needs letters before it", t.col)
            return T.Prefix(fields, low)
        toks = T.text_words(v)
        if not toks:
            return None  # only stop words or punctuation
        if t.suffix == "~":
            if len(toks) > 1:
                raise _err("~ (near spellings) works on one word, not a phrase", t.col)
            return T.Fuzzy(fields, v, t.fuzz)
        return T.Text(fields, v)

    def _names(self, t: Tok, f: str) -> T.Node | None:
        v = fold(t.value)
        if t.suffix == "*":
            return T.Prefix((f,), v.strip())
        if not T.name_words(v):
            raise _err(f"{f}:{t.value} has no letters to match", t.col)
        if t.suffix == "~":
            return T.Fuzzy((f,), v, t.fuzz)
        return T.Text((f,), v)

    def _keyword(self, t: Tok, f: str, key: str) -> T.Node:
        if not key:
            raise _err(f"empty value for {f}:", t.col)
        if t.suffix == "*":
            return T.Prefix((f,), key)
        if t.suffix == "~":
            return T.Fuzzy((f,), key, t.fuzz or 1)
        return T.Term(f, key)


def _unique_parts(parts: list) -> list:
    seen: set = set()
    out = []
    for c, q in parts:
        try:
            if q in seen:
                continue
            seen.add(q)
        except TypeError:  # a node that cannot be hashed: kept
            pass
        out.append((c, q))
    return out


def _and(qs: list[T.Node]) -> T.Node:
    if len(qs) == 1 and not isinstance(qs[0], T.Not):
        return qs[0]
    if all(isinstance(q, T.Not) for q in qs):  # only exclusions: everything else
        qs = [T.Every()] + qs
    return T.And(tuple(qs))


def _is_free_text(node) -> bool:
    """A plain word or phrase searched in title and body (these are OR-ed in the fallback)."""
    return isinstance(node, Term) and node.tok.field is None


def _plain_words(node, out: list[Tok]) -> None:
    if isinstance(node, Term):
        if node.tok.field is None and not node.tok.quoted and not node.tok.suffix:
            out.append(node.tok)
    elif isinstance(node, Group):
        for c in node.children:
            _plain_words(c, out)
    # words under NOT are not what the user is looking for: no suggestions for them


def _top(q: T.Node | None) -> T.Node:
    if q is None:
        return T.Nothing()  # only stop words or punctuation: nothing to look for
    if isinstance(q, T.Not):  # only an exclusion: every other brief
        return T.And((T.Every(), q))
    return q


def parse(text: str) -> Parsed:
    """Parse the user's query. Raises UsageError (one line, with the column) when malformed."""
    if not text.strip():
        return Parsed(T.Every(), text=text)
    check_length(text)
    toks = tokenize(text)
    check_terms(toks)
    tree = _Parser(toks, text).parse()
    toks: list[Tok] = []
    _plain_words(tree, toks)
    asks = {id(t) for t in toks if t.value.lower() in QUESTION_WORDS}
    drop = frozenset(asks) if len(asks) < len(toks) else frozenset()
    strict = _top(_Compiler(loose=False, drop=drop).compile(tree))
    loose_c = _Compiler(loose=True, drop=drop)
    loose = _top(loose_c.compile(tree))
    words, spans = [], []
    for t in toks:
        for m in re.finditer(r"\w+", t.value):
            words.append(m.group().lower())
            spans.append((t.start + m.start(), t.start + m.end()))
    content = sum(1 for w in words if T.text_words(w) and not (drop and w in QUESTION_WORDS))
    return Parsed(strict, loose if loose_c.loosened else None, words, spans, text, content)


# -- dates and periods ----------------------------------------------------------------------------
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def period(value: str) -> tuple[_dt.date, _dt.date]:
    """A date or period -> (first day, last day), both inclusive.

    ``2019`` -> the year, ``2019-04`` -> the month, ``2019-04-17`` -> the day; anything
    else python-dateutil understands (``April 17, 2019``) is the day it names.
    """
    v = value.strip()
    m = _PERIOD.match(v)
    try:
        if m:
            y = int(m.group(1))
            if m.group(3):
                d = _dt.date(y, int(m.group(2)), int(m.group(3)))
                return d, d
            if m.group(2):
                mo = int(m.group(2))
                start = _dt.date(y, mo, 1)
                return start, start.replace(day=calendar.monthrange(y, mo)[1])
            return _dt.date(y, 1, 1), _dt.date(y, 12, 31)
        d = parse_date_option(v)
        return d, d
    except (ValueError, calendar.IllegalMonthError):
        raise UsageError(f"impossible date {value!r}") from None


def parse_period(value: str) -> tuple[_dt.date, _dt.date]:
    """A date or period -> (first day, day after the last day); see :func:`period`."""
    first, last = period(value)
    try:
        return first, last + _dt.timedelta(days=1)
    except OverflowError:
        raise UsageError(f"date {value!r} reaches the end of the calendar; leave the end open instead") from None


def _dayfirst() -> bool:
    """03/04/2019 is 3 April with date-order = dmy (config file or $BRIEF_DATE_ORDER)."""
    from .config import date_order

    return date_order() == "dmy"


def parse_date_option(value: str) -> _dt.date:
    """A single day given by the user (``--date``): anything python-dateutil parses."""
    from dateutil import parser as dparser

    v = value.strip()
    if not v:
        raise UsageError("empty date")
    try:
        dt = dparser.parse(v, default=_dt.datetime(2000, 1, 1), dayfirst=_dayfirst())
        # The year comes from the default when the value has none ('April 17'): refuse, never guess.
        no_year = dparser.parse(v, default=_dt.datetime(2004, 1, 1), dayfirst=_dayfirst()).year != dt.year
    except (ValueError, OverflowError):
        raise UsageError(f"cannot read {value!r} as a date (try YYYY-MM-DD)") from None
    if no_year:
        raise UsageError(f"date {value!r} has no year (try YYYY-MM-DD)")
    return dt.date()


def _range(start: _dt.date | None, last: _dt.date | None) -> T.Node:
    """Dates from ``start`` to ``last``, both days included; either may be open."""
    return T.DateRange("date", start, last)


def date_query(value: str, *, col: int | None = None) -> T.Node:
    """``2019``, ``2019-04``, ``2019-04-17``, ``2019..2020``, ``2019-03..``, ``..2019-06``."""
    where = (lambda e: _err(e, col)) if col is not None else UsageError
    v = value.strip()
    try:
        if ".." in v:
            a, b = (x.strip() for x in v.split("..", 1))
            if not a and not b:
                raise where("date range '..' needs a start, an end or both (2019..2020)")
            start = period(a)[0] if a else None
            last = period(b)[1] if b else None
            if start and last and start > last:
                raise where(f"date range {v!r} is empty ({a} is after {b})")
            return _range(start, last)
        return _range(*period(v))
    except UsageError as e:
        if col is not None and not e.message.startswith("bad query"):
            raise _err(f"{e.message} in date:{value}", col) from None
        raise


def date_range(since: str | None, until: str | None) -> T.Node | None:
    if not since and not until:
        return None
    start = period(since)[0] if since else None
    last = period(until)[1] if until else None
    if start and last and start > last:
        raise UsageError(f"--since {since} is after --until {until}")
    return _range(start, last)


def _words(value: str) -> list[str]:
    return re.findall(r"\w+", value.lower())


def filters(*, tags=(), author: str | None = None, since: str | None = None, until: str | None = None,
            type: str | None = None, org: str | None = None, query: str | None = None) -> T.Node | None:
    """The option filters (and ``query``, a filter in the query syntax), combined with AND.
    None when there are none."""
    parts: list[T.Node] = []
    for t in tags or ():
        if not norm_tag(t):
            raise UsageError("empty --tag")
        parts.append(T.Term("tag", norm_tag(t)))
    if author:
        ws = _words(author)
        if not ws:
            raise UsageError(f"--author {author!r} has no letters to match")
        parts.append(T.And(tuple(T.Text(("author",), w) for w in ws)))
    if type:
        parts.append(T.Term("type", fold(" ".join(type.split()))))
    if org:
        ws = _words(org)
        if not ws:
            raise UsageError(f"--org {org!r} has no letters to match")
        parts.append(T.And(tuple(T.Text(("org",), w) for w in ws)))
    dr = date_range(since, until)
    if dr is not None:
        parts.append(dr)
    if query is not None and query.strip():
        parts.append(parse(query).query)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else T.And(tuple(parts))
