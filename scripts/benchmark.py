#!/usr/bin/env python3
"""Speed benchmark for argmap on the bundled corpus (a benchmark, not a timed test).

Measures wall time of whole CLI processes (process start included), each in a fresh
temporary database:
  1. fresh ingest of corpus/ (parse, claims, embed, candidate pairs, relations, issues)
  2. ingest again with nothing changed
  3. map rendering (svg) from the stored analysis
  4. `argmap search QUERY` per query (process start included), over several queries
It also times the analysis stages in-process (embed, question vectors, candidates, relate,
issues) on the stored claims.

Usage:  .venv/bin/python scripts/benchmark.py [--method argmap|cosine] [--runs 3] [--json]
Results are reported in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGMAP = [sys.executable, "-m", "argmap"]
QUERIES = [
    "China is back at center stage",
    "Kim wants sanctions relief",
    "the visit will not change the dynamics on the peninsula",
    "a second summit with Trump is coming soon",
    "China and North Korea are strategic allies",
]


def timed(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(ARGMAP + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="argmap", choices=["argmap", "cosine"])
    ap.add_argument("--runs", type=int, default=3, help="repetitions of each measurement (median reported)")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a Markdown table")
    args = ap.parse_args()

    results: dict[str, list[float]] = {k: [] for k in ("fresh ingest", "unchanged re-ingest", "map (svg)", "search")}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, ARGMAP_DB=str(Path(tmp) / "bench.db"))
            results["fresh ingest"].append(timed(["ingest", "corpus", "--method", args.method], env))
            results["unchanged re-ingest"].append(timed(["ingest", "corpus", "--method", args.method], env))
            results["map (svg)"].append(timed(["map", "--out", str(Path(tmp) / "maps")], env))
            for q in QUERIES:
                results["search"].append(timed(["search", q, "-k", "5"], env))

    # in-process stage timings on a fresh store
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from argmap.analyze import embed_claims, embed_questions
    from argmap.embed import load_embedder
    from argmap.issues import build_issues
    from argmap.relations import candidate_pairs, find_relations
    from argmap.services import question_encoder, relation_scorer
    from argmap.store import Store

    stages = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ARGMAP_DB=str(Path(tmp) / "s.db"))
        subprocess.run(ARGMAP + ["ingest", "corpus", "--no-analyze"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store = Store(Path(tmp) / "s.db")
        t = time.perf_counter(); emb = load_embedder(); emb.encode(["warm up"]); stages["load embedding model"] = time.perf_counter() - t
        t = time.perf_counter(); _, vectors = embed_claims(store, emb); stages["embed all claims"] = time.perf_counter() - t
        claims = {c.id: c for c in store.claims()}
        ids = sorted(claims)
        questions = None
        if args.method != "cosine":
            t = time.perf_counter(); enc = question_encoder(); enc.encode(["warm up"])
            stages["load question encoder"] = time.perf_counter() - t
            t = time.perf_counter(); questions = embed_questions(store, enc); stages["question vectors"] = time.perf_counter() - t
        by_text = {t: vectors[c] for c in ids for t in (claims[c].text, claims[c].stance_text)}
        t = time.perf_counter()
        scorer = relation_scorer(args.method, lambda texts: np.stack([by_text[x] for x in texts]))
        stages["load stance model"] = time.perf_counter() - t
        t = time.perf_counter()
        pairs = candidate_pairs(ids, [claims[i].analyst for i in ids],
                                np.stack([questions[i] for i in ids]) if questions else None,
                                np.stack([vectors[i] for i in ids]))
        stages["candidate pairs"] = time.perf_counter() - t
        t = time.perf_counter()
        rels = find_relations(pairs, claims, scorer.relate, scorer.agree_threshold, scorer.disagree_threshold)
        stages[f"relations ({len(pairs)} candidate pairs, both readings where needed)"] = time.perf_counter() - t
        t = time.perf_counter(); issues, _ = build_issues(claims, vectors, rels)
        stages["issues with pivots and sides"] = time.perf_counter() - t
        n_claims, n_issues, n_rel = len(claims), len(issues), len(rels)

    rows = [(k, statistics.median(v), min(v), max(v), len(v)) for k, v in results.items()]
    if args.json:
        for name, med, lo, hi, n in rows:
            print(json.dumps({"measure": name, "median_s": round(med, 3), "min_s": round(lo, 3), "max_s": round(hi, 3), "n": n}))
        for name, sec in stages.items():
            print(json.dumps({"stage": name, "seconds": round(sec, 3)}))
        return
    print(f"Machine: {machine()}; method {args.method}; corpus: {n_claims} claims -> {n_issues} issues, {n_rel} relations\n")
    print("| measure (whole process, wall) | median s | min s | max s | runs |\n|---|---|---|---|---|")
    for name, med, lo, hi, n in rows:
        print(f"| {name} | {med:.2f} | {lo:.2f} | {hi:.2f} | {n} |")
    print("\n| stage (in process) | seconds |\n|---|---|")
    for name, sec in stages.items():
        print(f"| {name} | {sec:.2f} |")


if __name__ == "__main__":
    main()
