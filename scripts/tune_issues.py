#!/usr/bin/env python
"""Tune the issue-clustering threshold (argmap.cluster.ISSUE_THRESHOLD) on train; report dev.

    .venv/bin/python scripts/tune_issues.py /work/shared/data [--json]

An issue is a question with claims on both sides, broader than a cluster of claims that make
the same point. Gold issues with both sides in them:

* PERSPECTRUM: every perspective of a claim (supporting and undermining) belongs to that
  claim's issue; all perspectives of the split are clustered together (a perspective listed
  under two claims keeps the first). Many narrow issues over one shared pool, like the
  sub-questions of one news event: the set the threshold is chosen on.
* IBM claim stance: every claim (PRO and CON) of a topic belongs to the topic's issue. Few,
  broad debate topics: reported beside it.

Vectors: the bundled all-MiniLM-L6-v2. Clustering: argmap's IssueClusterer (average linkage),
unclustered items counted as singletons. Metric: adjusted Rand index.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402
from argmap.cluster import IssueClusterer  # noqa: E402
from argmap.embed import load_embedder  # noqa: E402

GRID = [round(0.25 + 0.05 * k, 2) for k in range(10)]  # 0.25 .. 0.70


def gold_issues(data_dir: str, split: str) -> dict[str, dict[str, int]]:
    ps = ev.load_perspectrum(data_dir, split)
    persp: dict[str, int] = {}
    for c in ps.claims:
        for cl in c["clusters"]:
            for p in cl["pids"]:
                persp.setdefault(ps.perspectives[p], c["id"])
    ibm = {c["text"]: t["id"] for t in ev.load_claim_stance(data_dir, split).topics for c in t["claims"]}
    return {"perspectrum": persp, "ibm": ibm}


def ari_by_threshold(texts: list[str], gold: list[int], X: np.ndarray) -> dict[float, dict]:
    from sklearn.metrics import adjusted_rand_score

    out = {}
    for thr in GRID:
        lab = IssueClusterer(threshold=thr).fit(X, keys=texts).labels_
        pred = [int(x) if x >= 0 else -1 - i for i, x in enumerate(lab.tolist())]  # -1 -> singletons
        out[thr] = {"ari": round(float(adjusted_rand_score(gold, pred)), 4),
                    "unclustered": round(float((lab < 0).mean()), 4), "issues": int(lab.max()) + 1}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--json", action="store_true", help="one JSON line per split and set")
    args = ap.parse_args(argv)
    emb = load_embedder(None)
    results = {}
    for split in ("train", "dev"):
        for name, items in gold_issues(args.data_dir, split).items():
            texts = sorted(items)
            X = np.asarray(emb.encode(texts))
            res = ari_by_threshold(texts, [items[t] for t in texts], X)
            results[(split, name)] = res
            if args.json:
                print(json.dumps({"split": split, "set": name, "items": len(texts),
                                  "gold_issues": len(set(items.values())),
                                  "by_threshold": {str(k): v for k, v in res.items()}}))
    chosen = max(GRID, key=lambda t: (results[("train", "perspectrum")][t]["ari"], -t))
    if args.json:
        print(json.dumps({"chosen_threshold": chosen, "chosen_on": "train perspectrum ARI"}))
        return 0
    print("ARI of issue clustering (unclustered share) by threshold\n")
    print("| split / set | " + " | ".join(f"{t:.2f}" for t in GRID) + " |")
    print("|---" * (len(GRID) + 1) + "|")
    for (split, name), res in results.items():
        print(f"| {split} {name} | " + " | ".join(f"{res[t]['ari']:.3f} ({res[t]['unclustered']:.2f})" for t in GRID)
              + " |")
    print(f"\nchosen on train PERSPECTRUM: {chosen:.2f}; dev PERSPECTRUM ARI there "
          f"{results[('dev', 'perspectrum')][chosen]['ari']:.3f} (0.70, the same-point threshold: "
          f"{results[('dev', 'perspectrum')][0.7]['ari']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
