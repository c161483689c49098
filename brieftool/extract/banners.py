"""Banners and cover noise: never titles, but evidence for the type and the organization.

Source ``"banner"``, within the first ``HEADER_WINDOW`` lines (Markdown marks removed):

* a line that is a document type (``MEMORANDUM``, ``BACKGROUNDER``, ``RESEARCH REPORT``,
  ``POLICY BRIEF``; also a PDF running head with the logo's stray letter: ``INSIGHTi``,
  ``Legal Sidebari``) gives the type;
* a line that is an organization's name or abbreviation, or a short all-capitals line or
  heading that names one (``CRS PRODUCT (LIBRARY OF CONGRESS)``), gives the organization;
* a series banner: a publisher's name with a series word (``Notes de l'Ifri``,
  ``SWP-Aktuell``), and an addressee line (``Report to Congressional Committees``), are
  skipped (the publisher is evidence);
* a report number (``GAO-21-123``, ``RR-A1234-1``, ``IF10753``, ``R45249``) is evidence for
  the publisher and, for CRS, the product type;
* a salutation (``Fellow-Citizens of the Senate and House of Representatives:``, ``To the
  Congress of the United States:``, ``My fellow Americans:``) that opens the text says it is
  a speech or message; a navigation line of links (``[Citation](...)[Share](...)``) is skipped.

These lines are marked so that the title recogniser passes over them.
"""

from __future__ import annotations

import re

from . import gazetteer, keys
from .base import Context, strip_markdown

NAME = "banner"
CONFIDENCE = 0.7

_SALUTE = re.compile(
    r"(?:_|\*)*(?:(?:my\s+)?(?:fellow[- ]?citizens|fellow\s+americans|countrymen)|to\s+the\s+(?:senate|house|congress|people)|"
    r"mr\.?\s+(?:president|speaker|chairman|vice\s+president)|madam\s+(?:president|speaker|chair)|"
    r"ladies\s+and\s+gentlemen|good\s+(?:evening|morning|afternoon)|dear\s+\w+|senators?|gentlemen(?:\s+of)?|"
    r"members\s+of|thank\s+you)\b.{0,300}:(?:_|\*)*\s*", re.IGNORECASE)
_NAV = re.compile(r"\s*!?\[[^\]]{0,200}\]\([^)]{0,500}\)")
_LOGO_LETTER = re.compile(r"(.{2,40}?)i")
_REPORT_TO = re.compile(r"(?:report|testimony|letter)\s+to\s+(?:the\s+)?(?:congress|congressional|chairman|chairwoman|chair|"
                        r"ranking|committee|subcommittee|requesters?|members|president|speaker|secretary)\b.{0,150}", re.IGNORECASE)
# Words that, with a publisher's name, make a series banner: "Notes de l'Ifri", "SWP-Aktuell", "CSIS Briefs".
SERIES_WORDS = frozenset("""notes note aktuell studie studien comment comments paper papers brief briefs analysis analyses focus
insight insights series policy perspective perspectives commentary working research report reports publication
publications studies study etudes études briefing briefings update updates de l d du des la le der die das of the
""".split())


def is_salutation(text: str) -> bool:
    return len(text) <= 300 and bool(_SALUTE.fullmatch(text.strip()))


def is_navigation(raw: str) -> bool:
    return bool(_NAV.match(raw)) or raw.lstrip().startswith("[") and "](" in raw[:300]


def recognise(ctx: Context) -> None:
    vocab = ctx.vocabulary or ()
    for i, line, raw in ctx.header_lines():
        if is_navigation(raw):
            ctx.used.add(i)
            continue
        text = strip_markdown(raw).strip("_* ")
        if not text or len(text) > 300:
            continue
        pos = line.start
        if is_salutation(text):
            ctx.used.add(i)
            if all(j in ctx.used or not ctx.head[j].text.strip() for j in range(ctx.after_fm, i)):
                ctx.propose("type", "Speech", NAME, 0.3, pos)  # only a salutation that opens the text
            continue
        kind = gazetteer.type_named(text, vocab)
        if not kind and (m := _LOGO_LETTER.fullmatch(text)):
            kind = gazetteer.type_named(m[1], vocab)
        if kind:
            ctx.used.add(i)
            ctx.propose("type", kind, NAME, CONFIDENCE, pos)
            continue
        if _REPORT_TO.fullmatch(text):
            ctx.used.add(i)
            continue
        series = _series(text, vocab)
        if series:
            ctx.used.add(i)
            ctx.propose("organization", series.name, NAME, 0.6, pos, (("org_abbr", series.abbr),) if series.abbr else ())
            continue
        if text.upper().startswith("MEMORANDUM FOR"):
            ctx.used.add(i)
            ctx.propose("type", "Memo", NAME, CONFIDENCE, pos)
            continue
        org = gazetteer.org_named(text, vocab)
        if org:
            ctx.used.add(i)
            ctx.propose("organization", org.name, NAME, CONFIDENCE, pos, (("org_abbr", org.abbr),) if org.abbr else ())
            continue
        num = gazetteer.REPORT_NUMBER.fullmatch(text.split(" ", 1)[0]) if len(text.split()) <= 3 else None
        if num:
            ctx.used.add(i)
            keys.propose_number(ctx, num, NAME, pos)
            continue
        words = text.split()
        shouty = len(words) <= 8 and sum(c.isupper() for c in text) > 0.6 * sum(c.isalpha() for c in text)
        if shouty:
            found = gazetteer.orgs_in(text, vocab)
            named = sum(len(text[a:b].replace(" ", "")) for _, a, b in found)
            if found and named * 2 >= len(re.sub(r"[\W_]", "", text)):  # the line may still be a title ("NATO AT 75"): not marked
                org = found[0][0]
                ctx.propose("organization", org.name, NAME, 0.5, pos, (("org_abbr", org.abbr),) if org.abbr else ())


def _series(text: str, vocab) -> gazetteer.Org | None:
    """The publisher of a series banner (``Notes de l'Ifri``, ``SWP-Aktuell``), else None."""
    if len(text.split()) > 5:
        return None
    found = gazetteer.orgs_in(text, vocab)
    if len(found) != 1:
        return None
    org, a, b = found[0]
    rest = gazetteer.fold_words((text[:a] + " " + text[b:]).replace("-", " ").replace("'", " "))
    if len(rest) <= 3 and all(w in SERIES_WORDS for w in rest):
        return org
    return None
