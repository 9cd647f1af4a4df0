#!/usr/bin/env python3
"""How much the clusterer's blocks cost in quality: blocked against exact issue clustering.

Beyond ``dense_limit`` items argmap's IssueClusterer clusters k-means blocks exactly and merges
clusters across blocks by their means (argmap/cluster.py); below it, it is exact average
linkage. This embeds N claims of the scale benchmark's corpus (``scripts/benchmark_scale.py``'s
sentences of a data folder laid out like ../shared/data, in its order) with the bundled model,
clusters them exactly (one dense block) and blocked with ``dense_limit`` scaled down so that
there are about as many blocks as at 100,000 claims, at the issue threshold and size cap, and
prints the adjusted Rand index of each blocked clustering against the exact one (claims in no
issue count as issues of one):

- ``kmeans``: k-means centres fitted on every item;
- ``kmeans-sample``: centres fitted on a seeded sample of N/5 items (``--sample``; as
  KMEANS_SAMPLE = 20,000 is of 100,000), every item then going to its nearest centre: what
  argmap does;
- ``hash-seeds``: blocks that do not depend on the rest of the corpus (each item goes to the
  nearest of seed items chosen by a hash of their ids), which would let each block's linkage be
  cached and only the blocks new claims touch be recomputed: tried, not shipped.

Usage: .venv/bin/python scripts/compare_blocking.py ../shared/data [--n 12000] [--dense-limits 480,960,1920]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import argmap.cluster as cluster  # noqa: E402
from argmap.cluster import ISSUE_MAX_SIZE, ISSUE_THRESHOLD, IssueClusterer  # noqa: E402


class HashSeeded(IssueClusterer):
    """Blocks by the nearest of seed items picked by a hash of their keys (the lowest hashes). In the
    re-clustering of oversized issues (a subset, renumbered) the hashes are those of other keys:
    still a fixed pseudo-random choice, enough to measure the quality of such blocks."""

    hashes: np.ndarray  # one per row, in the fitted (sorted-key) order

    def _blocks(self, X, idx, level=0):
        if len(idx) <= self.dense_limit:
            return [idx]
        k = int(np.ceil(len(idx) / (self.dense_limit / 2)))
        salted = (self.hashes[idx] ^ np.uint64(level + 1)) * np.uint64(0x9E3779B97F4A7C15)
        seeds = idx[np.argsort(salted, kind="stable")[:k]]
        near = np.argmax(X[idx] @ X[seeds].T, axis=1)
        parts = [p for p in (idx[near == c] for c in range(k)) if len(p)]
        if len(parts) == 1:
            return [idx[s:s + self.dense_limit] for s in range(0, len(idx), self.dense_limit)]
        return [b for p in parts for b in self._blocks(X, p, level + 1)]


def ari(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    def alone(lab):  # -1 (in no issue): an issue of one
        lab = lab.copy()
        lab[lab < 0] = lab.max() + 1 + np.arange(int((lab < 0).sum()))
        return lab

    return round(float(adjusted_rand_score(alone(a), alone(b))), 4)


def main() -> None:
    from benchmark_scale import sentences, texts

    from argmap.embed import load_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=12000)
    ap.add_argument("--dense-limits", default="480,960,1920", help="comma-separated dense_limit values")
    ap.add_argument("--sample", type=int, help="items the sampled k-means is fitted on (default N/5)")
    args = ap.parse_args()
    claims = texts(sentences(args.data), args.n)
    print(f"embedding {len(claims):,} claims", file=sys.stderr)
    X = load_embedder(None).encode(claims)
    keys = [f"c{i:06d}" for i in range(len(claims))]  # sorted order = this order
    params = dict(threshold=ISSUE_THRESHOLD, max_cluster_size=ISSUE_MAX_SIZE)
    exact = IssueClusterer(dense_limit=len(X) + 1, **params).fit(X, keys=keys).labels_
    HashSeeded.hashes = np.array([int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little")
                                  for k in keys], dtype=np.uint64)
    shipped = cluster.KMEANS_SAMPLE
    for limit in (int(x) for x in args.dense_limits.split(",")):
        row = {"n": len(X), "dense_limit": limit, "blocks_about": round(len(X) / (limit / 2)),
               "exact_issues": int(exact.max()) + 1}
        for name, sample, cls in (("kmeans", len(X) + 1, IssueClusterer), ("kmeans-sample", args.sample or len(X) // 5, IssueClusterer),
                                  ("hash-seeds", len(X) + 1, HashSeeded)):
            cluster.KMEANS_SAMPLE = sample
            try:
                row[f"ari_{name}"] = ari(exact, cls(dense_limit=limit, **params).fit(X, keys=keys).labels_)
            finally:
                cluster.KMEANS_SAMPLE = shipped
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
