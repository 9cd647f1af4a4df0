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

from .relations import stance_of

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


_NOT = re.compile(r"\b(not|n't|never|no)\b", re.I)


class FakeStance:
    """A deterministic fake of argmap's stance model (argmap.stance.StanceModel) with exact scores.

    Two texts are *related* when, with negation words removed, at least half the words of the
    shorter one are in the other. Related texts of which exactly one is negated disagree
    (P = 0.05 / 0.05 / 0.90 for neither / agree / disagree); other related texts agree
    (0.10 / 0.80 / 0.10); unrelated texts are neither (0.90 / 0.05 / 0.05). Symmetric.
    """

    name = "fake-stance"
    agree_threshold = 0.5
    disagree_threshold = 0.5
    NEITHER, AGREE, DISAGREE = (0.90, 0.05, 0.05), (0.10, 0.80, 0.10), (0.05, 0.05, 0.90)

    def __init__(self):
        self.calls: list[int] = []  # pairs scored per call

    def _words(self, text: str) -> set[str]:
        return {w for w in _WORD.findall(text.lower()) if not _NOT.fullmatch(w)}

    def probabilities(self, a: Sequence[str], b: Sequence[str], topic=None, progress: bool = False) -> np.ndarray:
        a, b = list(a), list(b)
        self.calls.append(len(a))
        out = np.zeros((len(a), 3), dtype=np.float32)
        for i, (x, y) in enumerate(zip(a, b)):
            wx, wy = self._words(x), self._words(y)
            related = bool(wx and wy) and len(wx & wy) >= 0.5 * min(len(wx), len(wy))
            if not related:
                out[i] = self.NEITHER
            elif bool(_NOT.search(x)) != bool(_NOT.search(y)):
                out[i] = self.DISAGREE
            else:
                out[i] = self.AGREE
        return out

    def relate(self, a: Sequence[str], b: Sequence[str], progress: bool = False,
               disagree_at: float | None = None) -> np.ndarray:
        return self.probabilities(a, b)

    def stance(self, a: Sequence[str], b: Sequence[str], topic=None, progress: bool = False) -> np.ndarray:
        return stance_of(self.probabilities(a, b))

    def match(self, a: Sequence[str], b: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.probabilities(a, b)[:, 1]
