#!/usr/bin/env python3
"""Scale benchmark: issue building on tens of thousands of claims (a benchmark, not a test).

Builds N claims from the sentences of a data folder laid out like ../shared/data (ArgKP
arguments and key points, PERSPECTRUM perspectives, IBM claims), attributed to 50 synthetic
analysts, embeds them (real model by default; --fake for the deterministic fake embedder),
then times the vector-side stages argmap runs on a corpus: clustering into issues
(IssueClusterer at argmap's issue threshold and size cap, as build_issues runs it), key-phrase labels, and the contention-candidate search. Pair scoring with
the stance model is linear in the number of candidate pairs; its rate is reported by
scripts/benchmark.py and docs/quality.md.

Usage: .venv/bin/python scripts/benchmark_scale.py ../shared/data [--n 20000] [--fake]
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sentences(data: Path) -> list[str]:
    out = []
    for f in sorted((data / "argkp").glob("*.csv")):
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out.append(row.get("argument") or row.get("key_point") or "")
    out += [p["text"] for p in json.loads((data / "perspectrum" / "perspectives.json").read_text())]
    with open(data / "ibm_claim_stance" / "claim_stance.csv", newline="", encoding="utf-8") as fh:
        out += [row["claims.claimCorrectedText"] for row in csv.DictReader(fh)]
    return sorted({s.strip() for s in out if len(s.split()) >= 4})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=20000, help="number of claims (texts are reused with a suffix past the pool)")
    ap.add_argument("--fake", action="store_true", help="use the deterministic fake embedder (no model)")
    args = ap.parse_args()

    from argmap.analyze import PhraseCounter, contention_links
    from argmap.cluster import ISSUE_MAX_SIZE, ISSUE_THRESHOLD, IssueClusterer
    from argmap.models import Claim

    pool = sentences(args.data)
    texts = [pool[i % len(pool)] + ("" if i < len(pool) else f" ({i // len(pool)})") for i in range(args.n)]
    claims = {f"c{i:06d}": Claim(f"c{i:06d}", t, f"analyst {i % 50}", f"doc{i % 500}", 1, 0, len(t)) for i, t in enumerate(texts)}
    ids = sorted(claims)
    if args.fake:
        from argmap.fake import FakeEmbedder

        emb = FakeEmbedder()
    else:
        from argmap.embed import load_embedder

        emb = load_embedder()
    timings = {}
    t = time.perf_counter(); X = emb.encode([claims[i].text for i in ids], progress=sys.stderr.isatty())
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter(); cl = IssueClusterer(threshold=ISSUE_THRESHOLD, max_cluster_size=ISSUE_MAX_SIZE).fit(X, keys=ids); timings["cluster"] = time.perf_counter() - t
    labels = cl.labels_
    t = time.perf_counter()
    counter = PhraseCounter([claims[i].text for i in ids])
    groups = {}
    for k, lab in enumerate(labels.tolist()):
        if lab >= 0:
            groups.setdefault(lab, []).append(k)
    for rows in groups.values():
        counter.keyphrases(rows, [claims[ids[r]].text for r in rows])
    timings["label issues"] = time.perf_counter() - t
    n_pairs = []
    t = time.perf_counter()
    contention_links(ids, claims, X, labels, lambda a, b: n_pairs.append(len(a)) or np.zeros(len(a)))
    timings["contention candidates"] = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.n} claims ({'fake' if args.fake else 'all-MiniLM-L6-v2'} vectors): {cl.n_clusters_} issues, "
          f"{int((labels < 0).sum())} unclustered, {sum(n_pairs)} contention pairs to score; peak RSS {peak:.0f} MB")
    for k, v in timings.items():
        print(f"  {k:24} {v:8.1f} s")


if __name__ == "__main__":
    main()
