"""A torch-free BERT encoder in numpy for the bundled all-MiniLM-L6-v2.

``argmap search`` embeds one short query per run. Importing torch and
sentence-transformers costs several seconds of process start; this encoder loads
the same safetensors weights and the same tokenizer (the ``tokenizers`` library)
and computes the same mean-pooled, L2-normalised vectors (equal to
sentence-transformers' to ~1e-6; tested), in well under a second.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np


def _layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x):
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class NumpyMiniLM:
    FILES = ("config.json", "model.safetensors", "tokenizer.json")  # all it reads

    def __init__(self, model: Mapping[str, bytes] | Path | str, name: str, max_length: int = 256):
        """``model``: its ``FILES`` as bytes (already checked: ``embed.bundled_model_files``), or a
        model directory to read them from."""
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        files = model if isinstance(model, Mapping) else {n: (Path(model) / n).read_bytes() for n in self.FILES}
        self.name = name
        self.cfg = json.loads(files["config.json"])
        self.w = {k: v.astype(np.float32, copy=False) for k, v in load(files["model.safetensors"]).items()}
        self.tok = Tokenizer.from_str(files["tokenizer.json"].decode("utf-8"))
        self.tok.enable_truncation(max_length)
        self.tok.no_padding()

    def _encode_one(self, ids: np.ndarray) -> np.ndarray:
        w, cfg = self.w, self.cfg
        eps = cfg["layer_norm_eps"]
        heads = cfg["num_attention_heads"]
        n = ids.shape[0]
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = x.shape[1] // heads
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            lin = lambda h, name: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # noqa: E731
            q = lin(x, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
            att = q @ k.transpose(0, 2, 1) / np.sqrt(d)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, -1)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        v = x.mean(0)
        return v / max(np.linalg.norm(v), 1e-12)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        out = [self._encode_one(np.array(e.ids, dtype=np.int64)) for e in self.tok.encode_batch(list(texts))]
        return np.stack(out).astype(np.float32) if out else np.zeros((0, self.cfg["hidden_size"]), np.float32)
