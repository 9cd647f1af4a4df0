"""A deterministic fake embedding model for tests and dry runs (no torch, no download).

Each lower-cased word is hashed to one of ``dim`` buckets; a text's vector is its
bucket-count vector, L2-normalised. Texts sharing words get exactly computable
cosine scores, e.g. "a b" vs "a c" scores 0.5 when the three words land in
different buckets.
"""
from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


def bucket(word: str, dim: int) -> int:
    return int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "big") % dim


class FakeEmbedder:
    def __init__(self, dim: int = 256, name: str = "fake-bow-256"):
        self.dim = dim
        self.name = name
        self.calls: list[list[str]] = []  # every batch encoded, for "embedded only once" tests

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        texts = list(texts)
        self.calls.append(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[i, bucket(word, self.dim)] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out
