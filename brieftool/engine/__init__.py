"""Engines behind the archive: :func:`open_archive` picks one from the location.

* a folder path (the default, ``$BRIEF_INDEX`` or the per-user data folder) -> Whoosh
  (``engine/whoosh.py``);
* ``opensearch://HOST:PORT/INDEX`` (``opensearchs://`` for https) -> OpenSearch
  (``engine/opensearch.py``, needs ``pip install 'brief[opensearch]'``).

The interface every engine implements is in ``engine/base.py``. Engine modules are imported
only when an archive of theirs is opened (start-up stays quick).
"""

from __future__ import annotations

from pathlib import Path

from .base import default_location

REMOTE_SCHEMES = ("opensearch://", "opensearchs://")


def is_remote(location) -> bool:
    return isinstance(location, str) and location.lower().startswith(REMOTE_SCHEMES)


def engine_class(location):
    """The Archive class for a location (its module imported on first use)."""
    if is_remote(location):
        from .opensearch import OpenSearchArchive

        return OpenSearchArchive
    from .whoosh import WhooshArchive

    return WhooshArchive


def open_archive(location: str | Path | None = None, *, create: bool = False, old_ok: bool = False):
    """Open the archive at ``location`` (None: :func:`default_location`); with ``create`` make
    it when it does not exist yet. An archive of an older format is refused (one line: run
    `brief reindex`) unless ``old_ok`` (reindex and export, which read the stored records only)."""
    if location is None:
        location = default_location()
    if isinstance(location, str) and not is_remote(location):
        location = Path(location).expanduser()
    if old_ok and not is_remote(location):
        return engine_class(location).open(location, create=create, old_ok=True)
    return engine_class(location).open(location, create=create)


def highlight(body: str, terms, maxchars: int) -> str:
    """Mark ``terms`` (the default engine's terms) in a plain text: for a snippet made without a
    reader (``search.snippet``)."""
    from .whoosh_search import highlight as whoosh_highlight

    return whoosh_highlight(body, terms, maxchars)


__all__ = ["open_archive", "engine_class", "default_location", "is_remote", "highlight"]
