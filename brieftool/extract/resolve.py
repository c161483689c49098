"""The one resolver: from all candidates, one value per field, precision first.

The rule, per field:

1. The candidate with the highest confidence wins. Confidence comes from the form of the
   evidence (a keyed line such as ``Date:`` or ``**Publication Date:**`` is surer than a
   date alone under the title, which is surer than a date in the file name), so a
   recogniser that reads a looser form never overrides one that reads a stricter form.
2. Among equally confident candidates, the earliest in the text wins (the file name and
   the format reader's hints count as coming after the text).
3. When a date candidate at least ``CONFLICT`` confident disagrees with the winning date,
   the winner stays (rules 1-2) and a note names both, so the dry run shows it.
4. ``org_abbr`` goes with the organization that won: it is the abbreviation that the
   winning candidate carried, never one from another candidate naming another body.
5. Types are named as their publisher names them: when the organization is the
   Congressional Research Service, ``In Focus``/``Legal Sidebar``/``Insight``/``Report``
   become ``CRS In Focus``/``CRS Legal Sidebar``/``CRS Insight``/``CRS Report``.
"""

from __future__ import annotations

from .base import Candidate, Extracted
from .gazetteer import CRS_NAMED

CONFLICT = 0.7


def resolve(candidates: list[Candidate], out: Extracted) -> Extracted:
    by_field: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_field.setdefault(c.field, []).append(c)
    for name, cands in by_field.items():
        if name == "org_abbr":
            continue
        cands.sort(key=lambda c: (-c.confidence, c.position))
        win = cands[0]
        out.put(name, win.value, win.source)
        for key, value in win.extra:
            out.put(key, value, win.source)
        if name == "date":
            for c in cands[1:]:
                if c.confidence >= CONFLICT and c.value != win.value:
                    out.notes.append(f"date {c.value.isoformat()} ({c.source}) disagrees with "
                                     f"{win.value.isoformat()} ({win.source}); kept {win.value.isoformat()}")
                    break
    if out.fields.get("organization") == "Congressional Research Service":
        kind = out.fields.get("type")
        if kind in CRS_NAMED:
            out.fields["type"] = CRS_NAMED[kind]
    return out
