#!/usr/bin/env python3
"""The issue stage alone on a stored analysis: ``build_issues`` on the store's claims, vectors
and relations with the clusterer in 1 and in N processes, timed, and the results compared
(a benchmark, not a test; the store is only read).

Usage: .venv/bin/python scripts/benchmark_issues.py STORE.db [--jobs 1,2]
(a store from ``scripts/benchmark_scale.py --save-store``, or any analysed store)
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap.embed import text_hash  # noqa: E402
from argmap.issues import build_issues  # noqa: E402
from argmap.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--jobs", default="1,2", help="comma-separated process counts to time")
    args = ap.parse_args()
    store = Store(args.db, create=False)
    claims = sorted(store.claims(), key=lambda c: c.id)
    model = store.meta("model")
    X = store.vector_matrix(model, [text_hash(c.embed_text) for c in claims])
    vectors = dict(zip((c.id for c in claims), X))
    relations = [replace(r, issue="") for r in store.relations()]
    print(f"{len(claims):,} claims, {len(relations):,} relations, vectors of {model}", flush=True)
    results = []
    for jobs in (int(j) for j in args.jobs.split(",")):
        start = time.perf_counter()
        results.append(build_issues({c.id: c for c in claims}, vectors, relations, n_jobs=jobs))
        print(f"n_jobs={jobs}: {time.perf_counter() - start:.2f} s, {len(results[-1][0]):,} issues", flush=True)
    print("identical results:", all(r == results[0] for r in results))


if __name__ == "__main__":
    main()
