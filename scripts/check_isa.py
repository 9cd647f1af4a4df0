#!/usr/bin/env python
"""Ingest a corpus here and under qemu-x86_64 emulating another CPU, and compare what the two
analyses decided: claims, candidate pairs, relations (kind and score), issues (members, pivot,
sides), and the stance model's cached probabilities of every candidate pair.

    .venv/bin/python scripts/check_isa.py [--cpu Nehalem] [--corpus corpus] [--json]

Slow: qemu runs the whole ingest about 250 times slower than the CPU itself (the bundled corpus:
about an hour). Reported in docs/performance.md, "The same numbers on every CPU"; the test
suite's quick form is tests/test_isa.py.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ingest(corpus: Path, db: Path, prefix: list[str]) -> float:
    t = time.perf_counter()
    env = {**os.environ, "ARGMAP_CACHE": str(db.parent / "cache")}
    subprocess.run([*prefix, sys.executable, "-m", "argmap", "ingest", str(corpus), "--db", str(db)],
                   check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def analysis(db: Path) -> dict:
    from argmap.services import pair_model_name
    from argmap.store import Store

    store = Store(db, create=False)
    try:
        return {"instruction_set": store.meta("instruction_set"),
                "claims": sorted(c.id for c in store.claims()),
                "relations": {(r.a, r.b): (r.kind, r.score, r.issue) for r in store.relations()},
                "issues": [(i.id, i.label, i.claim_ids, i.pivot, i.backing, i.disputing) for i in store.issues()],
                "pairs": store.pair_scores(pair_model_name("argmap"))}
    finally:
        store.close()


def compare(here: dict, there: dict) -> dict:
    import numpy as np

    shared = sorted(set(here["pairs"]) & set(there["pairs"]))
    probs = np.array([here["pairs"][k] for k in shared]) - np.array([there["pairs"][k] for k in shared])
    rel = sorted(set(here["relations"]) & set(there["relations"]))
    return {"instruction_sets": [here["instruction_set"], there["instruction_set"]],
            "claims": len(here["claims"]), "same_claims": here["claims"] == there["claims"],
            "pairs_scored": [len(here["pairs"]), len(there["pairs"])], "same_pairs": set(here["pairs"]) == set(there["pairs"]),
            "max_probability_difference": float(np.abs(probs).max()) if len(shared) else 0.0,
            "relations": [len(here["relations"]), len(there["relations"])],
            "same_relations": {k: v[0::2] for k, v in here["relations"].items()}
                              == {k: v[0::2] for k, v in there["relations"].items()},
            "max_relation_score_difference": max((abs(here["relations"][k][1] - there["relations"][k][1]) for k in rel),
                                                 default=0.0),
            "issues": [len(here["issues"]), len(there["issues"])], "same_issues": here["issues"] == there["issues"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", default="Nehalem", help="qemu's CPU model (default Nehalem: SSE4.2, no AVX)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--keep", type=Path, help="keep the two stores in this folder")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    qemu = shutil.which("qemu-x86_64")
    if not qemu:
        sys.exit("check_isa: qemu-x86_64 missing (Debian's qemu-user)")
    with tempfile.TemporaryDirectory(prefix="argmap-isa-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        here_db, there_db = folder / "here.db", folder / f"{args.cpu}.db"
        for db in (here_db, there_db):
            db.unlink(missing_ok=True)
        seconds = [ingest(args.corpus, here_db, []), ingest(args.corpus, there_db, [qemu, "-cpu", args.cpu])]
        result = {"cpu": args.cpu, "seconds": [round(s, 1) for s in seconds],
                  **compare(analysis(here_db), analysis(there_db))}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:32s} {value}")
    same = all(result[k] for k in ("same_claims", "same_pairs", "same_relations", "same_issues"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
