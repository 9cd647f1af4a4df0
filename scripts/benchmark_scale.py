#!/usr/bin/env python3
"""Scale benchmark: relations and issues for tens of thousands of claims (a benchmark, not a test).

Builds N claims from the sentences of a data folder laid out like ../shared/data (ArgKP
arguments and key points, PERSPECTRUM perspectives, IBM claims, NLI premises and hypotheses),
attributed to 50 synthetic analysts, and times every stage ``argmap ingest`` runs after the
claims are stored: plain vectors, question vectors, candidate pairs (a fixed number per claim),
the stance model on every candidate pair (both readings where the first is not clearly
"neither"), and issues with sides. ``--fake`` swaps in the deterministic fakes (no model) to
time the vector-side stages alone.

Usage: .venv/bin/python scripts/benchmark_scale.py ../shared/data [--n 20000] [--fake] [--json]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import sys
import time
from pathlib import Path


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
    for f in sorted((data / "nli").glob("*/*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                out += [row["premise"], row["hypothesis"]]
    return sorted({s.strip() for s in out if len(s.split()) >= 4})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=20000, help="number of claims (texts are reused with a suffix past the pool)")
    ap.add_argument("--fake", action="store_true", help="the deterministic fake embedder and stance model (no model)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = ap.parse_args()

    from argmap.issues import build_issues
    from argmap.models import Claim
    from argmap.relations import candidate_pairs, find_relations

    pool = sentences(args.data)
    texts = [pool[i % len(pool)] + ("" if i < len(pool) else f" ({i // len(pool)})") for i in range(args.n)]
    claims = {f"c{i:06d}": Claim(f"c{i:06d}", t, f"analyst {i % 50}", f"doc{i % 500}", 1, 0, len(t))
              for i, t in enumerate(texts)}
    ids = sorted(claims)
    timings = {}
    t = time.perf_counter()
    if args.fake:
        from argmap.fake import FakeEmbedder, FakeStance

        emb, question, scorer = FakeEmbedder(), FakeEmbedder(dim=128, name="fake-question"), FakeStance()
    else:
        from argmap.embed import load_embedder
        from argmap.question import QuestionEncoder
        from argmap.stance import StanceModel

        emb, question, scorer = load_embedder(), QuestionEncoder(), StanceModel.load()
        emb.encode(["warm up"]), question.encode(["warm up"])
    timings["load models"] = time.perf_counter() - t
    progress = sys.stderr.isatty()
    t = time.perf_counter()
    X = emb.encode([claims[i].text for i in ids], progress=progress)
    timings["plain vectors"] = time.perf_counter() - t
    t = time.perf_counter()
    Q = question.encode([claims[i].text for i in ids], progress=progress)
    timings["question vectors"] = time.perf_counter() - t
    t = time.perf_counter()
    pairs = candidate_pairs(ids, [claims[i].analyst for i in ids], Q, X)
    timings["candidate pairs"] = time.perf_counter() - t
    read = []

    def relate(a, b):
        out = scorer.relate(a, b, progress=progress)
        read.append(len(a))
        return out

    t = time.perf_counter()
    rels = find_relations(pairs, claims, relate, scorer.agree_threshold, scorer.disagree_threshold)
    timings["stance model on the candidate pairs"] = time.perf_counter() - t
    t = time.perf_counter()
    issues, _ = build_issues(claims, dict(zip(ids, X)), rels)
    timings["issues with sides"] = time.perf_counter() - t
    relations_s = sum(timings[k] for k in ("question vectors", "candidate pairs", "stance model on the candidate pairs"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {"claims": args.n, "models": "fake" if args.fake else "bundled", "candidate_pairs": len(pairs),
               "pairs_per_claim": round(len(pairs) / args.n, 2),
               "pairs_per_second": round(len(pairs) / max(timings["stance model on the candidate pairs"], 1e-9), 1),
               "agree": sum(r.kind == "agree" for r in rels), "disagree": sum(r.kind == "disagree" for r in rels),
               "issues": len(issues), "relations_minutes": round(relations_s / 60, 2), "peak_rss_mb": round(peak),
               "seconds": {k: round(v, 1) for k, v in timings.items()}}
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{args.n} claims ({summary['models']} models): {len(pairs)} candidate pairs "
          f"({summary['pairs_per_claim']} per claim, {summary['pairs_per_second']} per second), "
          f"{summary['agree']} agree, {summary['disagree']} disagree, {len(issues)} issues; "
          f"relations (question vectors + candidates + stance model) {summary['relations_minutes']} min; "
          f"peak RSS {summary['peak_rss_mb']} MB")
    for k, v in timings.items():
        print(f"  {k:38} {v:8.1f} s")


if __name__ == "__main__":
    main()
