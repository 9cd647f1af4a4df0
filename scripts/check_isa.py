#!/usr/bin/env python
"""Does the bundled corpus get the same analysis on a CPU of another instruction set? Ingest it
here, then read its decisive pairs again under qemu-x86_64 emulating another CPU and compare:
every pair the analysis related (agree / disagree) and the pairs nearest a decision threshold,
read by the stance model (``relate``: probabilities and decisions), and the claims' plain and
question vectors (which choose the candidate pairs and group the issues).

    .venv/bin/python scripts/check_isa.py [--cpu Nehalem] [--corpus corpus] [--near 40] [--vectors 60] [--json]

qemu runs the models about 250 times slower than the CPU itself (about 4 s a pair reading), so
the emulated side reads the decisive pairs only (the whole ingest would take hours there).
Reported in docs/performance.md, "The same numbers on every CPU"; the test suite's quick form is
tests/test_isa.py.
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


def read(job: dict) -> dict:
    """The models' numbers for ``job``'s pairs and texts (run here, or under qemu)."""
    from argmap.embed import load_embedder
    from argmap.onnx_models import instruction_set
    from argmap.question import QuestionEncoder
    from argmap.relations import decide
    from argmap.stance import StanceModel

    model = StanceModel.load()
    probs = model.relate([a for a, _ in job["pairs"]], [b for _, b in job["pairs"]])
    return {"instruction_set": instruction_set(), "relate": probs.tolist(),
            "decisions": [decide(p, model.agree_threshold, model.disagree_threshold)[0] for p in probs],
            "plain": load_embedder().encode(job["texts"]).tolist(),
            "question": QuestionEncoder().encode(job["texts"]).tolist()}


def job_from(db: Path, near: int, vectors: int) -> dict:
    """The related pairs and the ``near`` pairs nearest a threshold, as readings; ``vectors`` claim texts."""
    from argmap.embed import text_hash
    from argmap.services import pair_model_name, stance_model
    from argmap.store import Store

    store = Store(db, create=False)
    try:
        claims = sorted(store.claims(), key=lambda c: c.id)
        readings = {text_hash(c.stance_text): c.stance_text for c in claims}
        scores = store.pair_scores(pair_model_name("argmap"))
        related = {tuple(sorted((text_hash(c.stance_text) for c in store.claims_by_id([r.a, r.b]).values())))
                   for r in store.relations()}
    finally:
        store.close()
    model = stance_model()
    margin = {k: min(abs(p[1] - model.agree_threshold), abs(p[2] - model.disagree_threshold)) for k, p in scores.items()}
    chosen = sorted(related) + [k for k in sorted(scores, key=lambda k: (margin[k], k)) if k not in related][:near]
    step = max(1, len(claims) // max(1, vectors))
    return {"pairs": [[readings[a], readings[b]] for a, b in chosen], "related": len(related),
            "candidate_pairs": len(scores), "texts": [c.text for c in claims[::step][:vectors]],
            "claims": len(claims)}


def compare(here: dict, there: dict) -> dict:
    import numpy as np

    def vectors(kind):
        a, b = np.array(here[kind]), np.array(there[kind])
        return {"max_difference": float(np.abs(a - b).max()), "min_cosine": float((a * b).sum(1).min())}

    return {"instruction_sets": [here["instruction_set"], there["instruction_set"]],
            "max_probability_difference": float(np.abs(np.array(here["relate"]) - np.array(there["relate"])).max()),
            "decisions_changed": sum(x != y for x, y in zip(here["decisions"], there["decisions"])),
            "plain_vectors": vectors("plain"), "question_vectors": vectors("question")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", default="Nehalem", help="qemu's CPU model (default Nehalem: SSE4.2, no AVX)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--near", type=int, default=40, help="pairs nearest a threshold, besides every related pair")
    ap.add_argument("--vectors", type=int, default=60, help="claims whose vectors are compared")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    qemu = shutil.which("qemu-x86_64")
    if not qemu:
        sys.exit("check_isa: qemu-x86_64 missing (Debian's qemu-user)")
    with tempfile.TemporaryDirectory(prefix="argmap-isa-") as tmp:
        db, job_file = Path(tmp) / "here.db", Path(tmp) / "job.json"
        env = {**os.environ, "ARGMAP_CACHE": str(Path(tmp) / "cache")}
        subprocess.run([sys.executable, "-m", "argmap", "ingest", str(args.corpus), "--db", str(db)],
                       check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        job = job_from(db, args.near, args.vectors)
        job_file.write_text(json.dumps(job), encoding="utf-8")
        here = read(job)
        t = time.perf_counter()
        code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'scripts')!r}); from check_isa import read\n"
                f"print(json.dumps(read(json.load(open({str(job_file)!r}, encoding='utf-8')))))")
        out = subprocess.run([qemu, "-cpu", args.cpu, sys.executable, "-c", code], check=True, cwd=ROOT, env=env,
                             capture_output=True, text=True)
        there = json.loads(out.stdout.splitlines()[-1])
    result = {"cpu": args.cpu, "claims": job["claims"], "candidate_pairs": job["candidate_pairs"],
              "pairs_read": len(job["pairs"]), "related_pairs": job["related"], "vectors_compared": len(job["texts"]),
              "emulated_seconds": round(time.perf_counter() - t, 1), **compare(here, there)}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28s} {value}")
    return 0 if result["decisions_changed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
