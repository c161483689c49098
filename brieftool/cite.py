"""Citations: one mapping of a brief's fields to CSL-JSON, and every format written from it.

:func:`csl_item` is the only place where brief's fields become bibliographic ones: authors as
family/given (an organization-like or one-word name as a literal), the organization as
publisher (BibTeX ``institution``), the type as a CSL type (``report``, ``speech``,
``article``, ``interview``, ``document``) with the type as written kept as ``genre``, the
date, the title, the URL when the brief has one, and the accessed date = the day the brief
was added. Fields the brief lacks are left out, never invented.

The prose styles (APA, Chicago author-date, MLA) are rendered by ``citeproc-py`` from the
CSL style files in ``brieftool/data/csl`` (unmodified copies, CC BY-SA 3.0; see the README
there). ``bibtex``, ``ris`` and ``csl-json`` are written here from the same CSL item.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from .models import Brief, UsageError

STYLES = ("apa", "chicago", "mla", "bibtex", "ris", "csl-json")
PROSE_STYLES = {"apa": "apa.csl", "chicago": "chicago-author-date.csl", "mla": "modern-language-association.csl"}
DEFAULT_STYLE = "apa"
CSL_DIR = Path(__file__).resolve().parent / "data" / "csl"

# -- names ---------------------------------------------------------------------------------------
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "phd", "ph.d.", "md", "m.d.", "esq", "esq."}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "das", "del", "della", "di", "du", "la", "le", "ter",
              "ten", "bin", "ibn", "al", "el", "dos", "st.", "y"}
# Words that make a name an organization's (cited as written, never split into given/family).
_ORG_WORDS = {"service", "institute", "institution", "center", "centre", "council", "office", "department",
              "committee", "foundation", "staff", "team", "association", "agency", "bureau", "commission",
              "program", "programme", "project", "group", "society", "university", "congress", "library",
              "forum", "network", "board", "ministry", "administration", "house", "senate", "fund", "bank",
              "organization", "organisation", "coalition", "alliance", "secretariat", "editors", "editorial",
              "initiative", "company", "inc", "inc.", "llc", "ltd", "corporation", "school", "college",
              "government", "assembly", "parliament", "court", "trust", "partnership", "caucus"}


def split_name(name: str) -> dict:
    """A person's name as CSL ``{"family", "given"[, "suffix", "non-dropping-particle"]}``;
    an organization, a one-word name or an abbreviation as ``{"literal": name}``."""
    name = " ".join(name.split())
    if not name:
        return {}
    words = name.replace(",", " ").split()
    if (len(words) == 1 or any(w.casefold().strip(".") in _ORG_WORDS or w.casefold() in _ORG_WORDS for w in words)
            or any(len(w) > 1 and w.isupper() and w.isalpha() for w in words)):
        return {"literal": name}
    suffix = ""
    if "," in name:  # "Ha, Mathew", "Ha, Mathew, Jr.", "Mathew Ha, Jr."
        parts = [p.strip() for p in name.split(",") if p.strip()]
        if len(parts) >= 2 and parts[-1].casefold() in _SUFFIXES:
            suffix = parts.pop()
        if len(parts) == 2:
            out = {"family": parts[0], "given": parts[1]}
            if suffix:
                out["suffix"] = suffix
            return out
        if len(parts) != 1:
            return {"literal": name}
        words = parts[0].split()
    if len(words) > 2 and words[-1].casefold() in _SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return {"literal": name}
    # The family name is the last word with any lower-case particles before it ("van der Berg").
    i = len(words) - 1
    while i > 1 and words[i - 1].casefold() in _PARTICLES and words[i - 1][0].islower():
        i -= 1
    given, family = words[:i], words[i:]
    out = {"family": " ".join(family), "given": " ".join(given)}
    if suffix:
        out["suffix"] = suffix
    return out


# -- types ---------------------------------------------------------------------------------------
# (pattern on the brief's type, CSL type, BibTeX entry type, RIS type); first match wins.
_TYPE_RULES: tuple[tuple[str, str, str, str], ...] = (
    (r"testimony|hearing|statement before", "speech", "misc", "HEAR"),
    (r"speech|remarks|address|lecture|keynote|transcript|oration", "speech", "misc", "GEN"),
    (r"interview", "interview", "misc", "GEN"),
    (r"op-?ed|opinion|commentary|column|article|blog|post|essay|editorial", "article", "misc", "GEN"),
    (r"report|brief|paper|memo|memorandum|backgrounder|insight|in focus|fact ?sheet|analysis|study|"
     r"note|primer|overview|review|update|assessment|monograph", "report", "techreport", "RPRT"),
)


def type_of(b: Brief) -> tuple[str, str, str]:
    """(CSL type, BibTeX entry type, RIS type) for a brief. No type: a generic document."""
    t = b.type.casefold()
    if t:
        for pat, csl, bib, ris in _TYPE_RULES:
            if re.search(rf"\b(?:{pat})", t):
                if csl == "report" and not b.organization:
                    bib = "misc"  # BibTeX's techreport needs an institution
                return csl, bib, ris
    return "document", "misc", "GEN"


def _date_parts(d) -> dict:
    return {"date-parts": [[d.year, d.month, d.day]]}


def csl_item(b: Brief) -> dict:
    """The one mapping of a brief to a CSL-JSON item (fields it lacks are left out)."""
    csl_type, _, _ = type_of(b)
    item: dict = {"id": b.id, "type": csl_type}
    if b.title:
        item["title"] = " ".join(b.title.split())
    authors = [n for n in (split_name(a) for a in b.authors) if n]
    if authors:
        item["author"] = authors
    if b.organization:
        item["publisher"] = " ".join(b.organization.split())
    if b.type:
        item["genre"] = " ".join(b.type.split())
    if b.date:
        item["issued"] = _date_parts(b.date)
        if csl_type == "speech":  # a speech's (or testimony's) date is the day it was given
            item["event-date"] = _date_parts(b.date)
    url = getattr(b, "url", "")
    if url:
        item["URL"] = url
    if b.added:
        item["accessed"] = _date_parts(b.added.date())
    if b.tags:
        item["keyword"] = ", ".join(b.tags)
    return item


def _name_text(n: dict, *, inverted: bool = True) -> str:
    if "literal" in n:
        return n["literal"]
    fam = n.get("family", "")
    given = n.get("given", "")
    if inverted:
        s = f"{fam}, {given}" if given else fam
        return f"{s}, {n['suffix']}" if n.get("suffix") else s
    return " ".join(x for x in (given, fam, n.get("suffix", "")) if x)


def _ymd(item: dict, key: str) -> list[int]:
    return list(item.get(key, {}).get("date-parts", [[]])[0])


# -- BibTeX --------------------------------------------------------------------------------------
_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
        "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEX_RE = re.compile(r"[\\{}&%$#_~^]")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def tex(s: str) -> str:
    """Text as a BibTeX value: LaTeX's special characters escaped, control characters dropped."""
    s = "".join(ch for ch in s if ch >= " " or ch in "\t")
    return _TEX_RE.sub(lambda m: _TEX[m.group()], " ".join(s.split()))


def _ascii_word(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", s.lower())


_KEY_STOP = {"a", "an", "the", "on", "of", "in", "to", "for", "and", "why", "how", "what", "is"}


def cite_key(item: dict) -> str:
    """A readable key: first author's family name, year, first significant title word (ha2019kim);
    the brief's id when there is no author or title."""
    authors = item.get("author") or []
    who = ""
    if authors:
        a = authors[0]
        who = _ascii_word((a.get("family") or a.get("literal", "")).split()[-1] if "literal" not in a
                          else "".join(w[0] for w in a["literal"].split() if w[:1].isalpha()))
    year = str(_ymd(item, "issued")[0]) if _ymd(item, "issued") else ""
    word = ""
    for w in re.findall(r"[\w’']+", item.get("title", "")):
        w2 = _ascii_word(w)
        if w2 and w2 not in _KEY_STOP:
            word = w2
            break
    if not who and not word:
        return item["id"]
    return f"{who}{year}{word}" or item["id"]


def unique_keys(items: Sequence[dict]) -> list[str]:
    """Keys for several items; repeated keys get a, b, c… (ha2019kim, ha2019kima)."""
    keys = [cite_key(i) for i in items]
    seen: dict[str, int] = {}
    out = []
    for k in keys:
        n = seen.get(k, 0)
        seen[k] = n + 1
        out.append(k if n == 0 else k + _letters(n))
    return out


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def bibtex_entry(item: dict, key: str | None = None) -> str:
    """One BibTeX entry for a CSL item (brief's type -> @techreport or @misc)."""
    csl_type = item.get("type", "document")
    entry = "techreport" if csl_type == "report" and item.get("publisher") else "misc"
    fields: list[tuple[str, str]] = []
    if item.get("author"):
        names = []
        for n in item["author"]:
            names.append("{" + tex(n["literal"]) + "}" if "literal" in n else tex(_name_text(n)))
        fields.append(("author", " and ".join(names)))
    if item.get("title"):
        fields.append(("title", "{" + tex(item["title"]) + "}"))  # double braces keep its capitals
    if item.get("publisher"):
        fields.append(("institution" if entry == "techreport" else "publisher", tex(item["publisher"])))
    if item.get("genre"):
        fields.append(("type", tex(item["genre"])))
    elif csl_type == "speech":
        fields.append(("howpublished", "Speech"))
    ymd = _ymd(item, "issued")
    if ymd:
        fields.append(("year", str(ymd[0])))
        if len(ymd) > 1:
            fields.append(("month", _MONTHS[ymd[1] - 1]))
        fields.append(("date", "-".join(f"{x:02d}" if i else str(x) for i, x in enumerate(ymd))))
    if item.get("URL"):
        fields.append(("url", item["URL"].replace("{", "%7B").replace("}", "%7D")))
    acc = _ymd(item, "accessed")
    if acc and item.get("URL"):
        fields.append(("urldate", "-".join(f"{x:02d}" if i else str(x) for i, x in enumerate(acc))))
    if item.get("keyword"):
        fields.append(("keywords", tex(item["keyword"])))
    lines = [f"@{entry}{{{key or cite_key(item)},"]
    for k, v in fields:
        lines.append(f"  {k} = {v}," if k == "month" else f"  {k} = {{{v}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- RIS -----------------------------------------------------------------------------------------
def _ris_value(s: str) -> str:
    return " ".join("".join(ch for ch in s if ch >= " ").split())


def ris_entry(item: dict, ris_type: str = "GEN") -> str:
    """One RIS record for a CSL item."""
    lines = [("TY", ris_type), ("ID", item["id"])]
    for n in item.get("author", []):
        lines.append(("AU", _name_text(n)))
    if item.get("title"):
        lines.append(("TI", item["title"]))
    ymd = _ymd(item, "issued")
    if ymd:
        lines.append(("PY", str(ymd[0])))
        lines.append(("DA", "/".join(f"{x:02d}" if i else str(x) for i, x in enumerate(ymd))))
    if item.get("publisher"):
        lines.append(("PB", item["publisher"]))
    if item.get("genre"):
        lines.append(("M3", item["genre"]))
    if item.get("URL"):
        lines.append(("UR", item["URL"]))
        acc = _ymd(item, "accessed")
        if acc:
            lines.append(("Y2", "/".join(f"{x:02d}" if i else str(x) for i, x in enumerate(acc))))
    for t in (item.get("keyword") or "").split(", "):
        if t:
            lines.append(("KW", t))
    return "".join(f"{k}  - {_ris_value(v)}\n" for k, v in lines) + "ER  - \n"


# -- prose styles (citeproc-py) ------------------------------------------------------------------
_patched = False


def _patch_citeproc() -> None:
    """Two gaps in citeproc-py 0.11 that the CSL 1.0.2 styles rely on, filled in:

    * ``initialize="false"`` on a ``cs:name`` (Chicago and MLA print full given names);
    * a ``cs:substitute`` that renders a macro suppresses that macro's variables in the rest of
      the entry (APA: a brief with no author is cited by its title, which is not repeated).
    """
    global _patched
    if _patched:
        return
    from citeproc import model

    orig_initialize = model.Name.initialize

    def initialize(self, given, mark, context):
        if self.get("initialize", "true").lower() == "false":
            return given
        return orig_initialize(self, given, mark, context)

    def add_to_repressed_list(self, child, context):
        layout = context.get_layout()
        todo, seen, keep = [child], set(), []
        while todo:
            el = todo.pop()
            if id(el) in seen:
                continue
            keep.append(el)  # lxml proxies: keep each alive so that its id() is not reused
            seen.add(id(el))
            var = el.get("variable")
            if var:
                for v in var.split():
                    layout.repressed.setdefault(el.tag, []).append(v)
            if el.get("macro"):
                todo.append(el.get_macro(el.get("macro")))
            todo.extend(c for c in el.iterchildren() if isinstance(c.tag, str))

    model.Name.initialize = initialize
    model.Substitute.add_to_repressed_list = add_to_repressed_list
    _patched = True


_style_cache: dict[str, object] = {}


def _style(name: str):
    from citeproc import CitationStylesStyle

    if name not in _style_cache:
        _style_cache[name] = CitationStylesStyle(str(CSL_DIR / PROSE_STYLES[name]), validate=False)
    return _style_cache[name]


def _punctuation_in_quote(s: str) -> str:
    # The en-US locale sets punctuation-in-quote="true", which citeproc-py does not apply:
    # 'Speech”.' -> 'Speech.”'
    return re.sub(r"([”\"])([.,])", r"\2\1", s)


def _tidy(s: str) -> str:
    s = _punctuation_in_quote(" ".join(s.split()))
    return re.sub(r"\.\.(?!\.)", ".", s)


def prose(items: Sequence[dict], style: str, *, markup: str = "plain") -> list[str]:
    """Each CSL item as a bibliography entry of ``style`` (apa, chicago, mla), in the order given.

    ``markup`` "plain" gives text; "markdown" puts titles in italics as ``*…*``."""
    import warnings

    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    _patch_citeproc()
    st = _style(style)
    fmt = formatter.html if markup == "markdown" else formatter.plain
    out = []
    for item in items:
        data = dict(item)
        if style == "chicago" and "event-date" in data and data["event-date"] == data.get("issued"):
            # Chicago prints the event date and the issued day both; for a speech they are one day.
            del data["event-date"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported CSL bits are warned about, not needed here
            bib = CitationStylesBibliography(st, CiteProcJSON([data]), fmt)
            bib.register(Citation([CitationItem(data["id"])]))
            entries = [str(e) for e in bib.bibliography()]
        text = " ".join(entries)
        if markup == "markdown":
            text = _html_to_markdown(text)
        out.append(_tidy(text))
    return out


_MD = re.compile(r"([\\`*_<>|])")


def md_escape(s: str) -> str:
    """Text as literal Markdown: emphasis, code, HTML and table characters escaped, and a ']'
    never followed by '(' or '[' (so no link can be formed)."""
    return _MD.sub(r"\\\1", s).replace("](", "]\\(").replace("][", "]\\[")


def _html_to_markdown(s: str) -> str:
    """citeproc's HTML as Markdown: <i> as *…*, <b> as **…**, every other character literal
    (Markdown's markup characters from the brief's fields escaped)."""
    import html

    out = []
    for tok in re.split(r"(<[^>]+>)", s):
        if tok in ("<i>", "</i>"):
            out.append("*")
        elif tok in ("<b>", "</b>"):
            out.append("**")
        elif tok.startswith("<") and tok.endswith(">"):
            continue
        else:
            out.append(md_escape(html.unescape(tok)))
    return "".join(out)


# -- the formats together ------------------------------------------------------------------------
def check_style(style: str) -> str:
    s = (style or "").strip().lower().replace("_", "-")
    s = {"csljson": "csl-json", "csl": "csl-json", "json": "csl-json", "bib": "bibtex",
         "chicago-author-date": "chicago", "modern-language-association": "mla"}.get(s, s)
    if s not in STYLES:
        raise UsageError(f"unknown citation style {style!r} (choose {', '.join(STYLES)})")
    return s


def format_briefs(briefs: Iterable[Brief], style: str) -> str:
    """The citations of several briefs in one style, as the text to print."""
    style = check_style(style)
    briefs = list(briefs)
    items = [csl_item(b) for b in briefs]
    if style == "csl-json":
        from .render import dumps

        return dumps(items) + "\n"
    if style == "bibtex":
        keys = unique_keys(items)
        return "\n".join(bibtex_entry(i, k) for i, k in zip(items, keys))
    if style == "ris":
        return "\n".join(ris_entry(i, type_of(b)[2]) for i, b in zip(items, briefs))
    return "".join(line + "\n" for line in prose(items, style))
