"""Imported first by the Whoosh engine's modules: loads ``whoosh.compat`` without urllib."""

from __future__ import annotations


def _whoosh_without_urllib() -> None:
    """Import whoosh.compat without the 25 ms of urllib.request/http.client/email it loads
    only to re-export ``urlretrieve`` (which Whoosh itself never calls). A stand-in module is
    in sys.modules only while whoosh.compat imports; the real urllib.request loads on first
    use, by Whoosh's ``urlretrieve`` or by anyone else."""
    import sys

    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules:
        return
    import types

    def urlretrieve(*args, **kwargs):  # pragma: no cover - never called by brief
        from urllib.request import urlretrieve as real

        return real(*args, **kwargs)

    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = urlretrieve
    sys.modules["urllib.request"] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]
        import urllib

        if getattr(urllib, "request", None) is stand_in:
            del urllib.request


_whoosh_without_urllib()
