"""Changes to records already in the archive: remove (and, later, tag and edit).

Every change goes through ``ArchiveWriter.put``/``delete``: the one place that writes records.
"""

from __future__ import annotations

from .models import Brief


def remove_briefs(archive, ids: list[str], *, lock_timeout: float = 30.0, on_wait=None) -> list[Brief]:
    """Remove the briefs with these (full) ids; returns the records removed."""
    removed = []
    with archive.writer(lock_timeout=lock_timeout, on_wait=on_wait) as w:
        for i in dict.fromkeys(ids):
            b = w.get(i)
            if b is not None:
                w.delete(i)
                removed.append(b)
    return removed
