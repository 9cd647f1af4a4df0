"""Each claim's nearest claims of other analysts, exact, kept so that a change costs only what it touches.

``NeighbourLists`` holds, for one kind of vector, every claim's ``k`` most similar claims by
*other* analysts (ids and cosines, most similar first, ties to the smaller claim id), before
any minimum-similarity filter. ``update`` brings stored lists up to date with the claims now
stored: a new claim gets its row computed against all claims; an old row is merged with the
new claims only (the top k of a union is the top k of the two top-k lists), and recomputed in
full only where a neighbour it listed is gone. The result equals ``nearest`` over everything.

Exact whatever the order of the sums: ``score_rows`` normalises each vector and rounds its
components to multiples of 2**-11 (a change of about 2e-4 in a cosine). Every product of two
components is then an integer multiple of 2**-22, and every partial sum of a dot product is
at most ||a|| ||b|| <= (1 + sqrt(d) 2**-12)**2 < 2 in magnitude (d < 2.6 million), an integer
below 2**23 times 2**-22: exactly representable in float32. So each similarity is the exact
dot product, the same from a blockwise matmul over all claims as from a small one against a
few new claims, whatever BLAS does.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

STEP = 2.0 ** -11
BLOCK_CELLS = 1 << 24  # similarities held at once (64 MB of float32)


def score_rows(X: np.ndarray) -> np.ndarray:
    """Unit rows rounded to multiples of ``STEP`` (zero rows stay zero): see the module docstring."""
    from .cluster import _normalise

    return (np.round(_normalise(X) / STEP) * STEP).astype(np.float32)


def nearest(Q: np.ndarray, codes: np.ndarray, k: int, rows: np.ndarray, cols: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows`` (row numbers of ``Q``), its ``k`` most similar of ``cols`` (sorted row
    numbers) with another code (analyst): (idx, score), each (len(rows), k), most similar first,
    ties to the lower row; -1 / -inf where there are fewer than k. Memory O(BLOCK_CELLS).

    k rounds of argmax (which returns the first of equal maxima: the lower row) instead of a
    partition: a pass of argmax costs a small fraction of one of argpartition."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    idx = np.full((len(rows), max(k, 0)), -1, dtype=np.int64)
    score = np.full((len(rows), max(k, 0)), -np.inf, dtype=np.float32)
    if k <= 0 or not len(rows) or not len(cols):
        return idx, score
    C, own = Q[cols], _SameCode(codes[cols])
    step = max(1, BLOCK_CELLS // len(cols))
    for lo in range(0, len(rows), step):
        r = rows[lo:lo + step]
        S = Q[r] @ C.T
        S[own.cells(codes[r])] = -np.inf
        line = np.arange(len(r))
        for t in range(min(k, len(cols))):
            j = S.argmax(axis=1)
            v = S[line, j]
            idx[lo:lo + len(r), t] = np.where(np.isfinite(v), cols[j], -1)
            score[lo:lo + len(r), t] = v
            S[line, j] = -np.inf
    return idx, score


class _SameCode:
    """The cells (row in a block, column) whose column has the row's code, without an n-wide mask."""

    def __init__(self, col_codes: np.ndarray):
        self.order = np.argsort(col_codes, kind="stable")
        self.codes, self.starts, self.counts = np.unique(col_codes[self.order], return_index=True, return_counts=True)

    def cells(self, row_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.minimum(np.searchsorted(self.codes, row_codes), len(self.codes) - 1)
        found = self.codes[at] == row_codes
        count = np.where(found, self.counts[at], 0)
        first = np.repeat(np.where(found, self.starts[at], 0), count)
        within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        return np.repeat(np.arange(len(row_codes)), count), self.order[first + within]


def _merge(idx_a, score_a, idx_b, score_b, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row by row, the k best of two lists (most similar first, ties to the lower row)."""
    idx, score = np.concatenate([idx_a, idx_b], axis=1), np.concatenate([score_a, score_b], axis=1)
    order = np.lexsort((np.where(idx < 0, np.iinfo(np.int64).max, idx), -score), axis=1)[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(score, order, axis=1)


@dataclass(frozen=True)
class NeighbourLists:
    """Rows follow ``keys`` (one per claim, in claim id order: ``claim id:signature``, the signature
    changing with the claim's vector and analyst); ``idx`` holds row numbers, -1 for none."""

    keys: np.ndarray  # (n,) str
    k: int
    idx: np.ndarray  # (n, k) int64
    score: np.ndarray  # (n, k) float32

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, keys=self.keys.astype(str), k=np.int64(self.k), idx=self.idx.astype(np.int32), score=self.score)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "NeighbourLists | None":
        if not data:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                return cls(z["keys"], int(z["k"]), z["idx"].astype(np.int64), z["score"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None  # damaged lists are built afresh (same result, only slower)

    def pairs(self, min_similarity: float) -> set[tuple[int, int]]:
        """(i, j) row numbers, i < j, of the listed neighbours at least ``min_similarity`` apart."""
        r, c = np.nonzero((self.idx >= 0) & (self.score >= min_similarity))
        j = self.idx[r, c]
        return set(zip(np.minimum(r, j).tolist(), np.maximum(r, j).tolist()))


def build(keys, Q: np.ndarray, codes: np.ndarray, k: int) -> NeighbourLists:
    """Lists for every row against every row (``Q`` from ``score_rows``)."""
    everything = np.arange(len(Q))
    return NeighbourLists(np.asarray(keys, dtype=str), k, *nearest(Q, codes, k, everything, everything))


def update(old: NeighbourLists | None, keys, Q: np.ndarray, codes: np.ndarray, k: int) -> tuple[NeighbourLists, int]:
    """``build(keys, Q, codes, k)``, computed from ``old`` (lists of an earlier set of claims) where
    it can; returns the lists and how many rows were computed against all claims."""
    keys = np.asarray(keys, dtype=str)
    n = len(keys)
    if old is None or old.k != k:
        return build(keys, Q, codes, k), n
    where = {key: p for p, key in enumerate(old.keys.tolist())}
    old_of = np.array([where.get(key, -1) for key in keys.tolist()], dtype=np.int64)
    kept, added = np.flatnonzero(old_of >= 0), np.flatnonzero(old_of < 0)
    new_of_old = np.full(len(old.keys) + 1, -1, dtype=np.int64)  # the extra slot maps "none" (-1) to -1
    new_of_old[old_of[kept]] = kept
    listed = old.idx[old_of[kept]]
    mapped = new_of_old[listed]
    dirty = ((listed >= 0) & (mapped < 0)).any(axis=1)  # a neighbour it listed is gone
    redo = np.sort(np.concatenate([added, kept[dirty]]))
    if 2 * len(redo) > n:
        return build(keys, Q, codes, k), n
    idx = np.full((n, k), -1, dtype=np.int64)
    score = np.full((n, k), -np.inf, dtype=np.float32)
    clean = kept[~dirty]
    idx[clean], score[clean] = mapped[~dirty], old.score[old_of[clean]]
    everything = np.arange(n)
    idx[redo], score[redo] = nearest(Q, codes, k, redo, everything)
    if len(added) and len(clean):
        new_idx, new_score = nearest(Q, codes, k, clean, added)
        idx[clean], score[clean] = _merge(idx[clean], score[clean], new_idx, new_score, k)
    return NeighbourLists(keys, k, idx, score), len(redo)
