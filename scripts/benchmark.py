#!/usr/bin/env python3
"""argmap's speed in one run, each measure beside its target (a benchmark, not a timed test).

Same run, same texts:
  1. models: argmap's embedder (ONNX Runtime) against plain sentence-transformers ``encode``
     (target >= 1.0x), and the stance model's pair readings per second against the torch model
     (target >= 3x); also relations decided per second (``relate``: argmap's reading rule against
     the torch model under the rule before issue 12), on ``--texts`` (default: ArgKP arguments
     from ``--data``, else the bundled corpus's sentences);
  2. the bundled corpus: fresh ``argmap ingest`` (whole process, fresh database; target <= 20 s),
     ingest again with nothing changed, maps, ``argmap search`` per process; the analysis stages
     in process, and cross-encoder readings per claim in the ingest (target <= 5);
  3. search latency at 10k, 100k and 1M claims (``scripts/benchmark_search.py``, whole process
     and warm library queries; targets at 1M: <= 1 s and <= 50 ms median).

    .venv/bin/python scripts/benchmark.py [--data ../shared/data] [--runs 3]
        [--search-sizes 10000,100000,1000000] [--search-keep DIR] [--json]

The 100,000-claim end-to-end ingest is ``scripts/benchmark_scale.py`` (about 20 minutes).
Results are reported in docs/performance.md.
"""
from __future__ import annotations

import argparse
import csv
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
ARGMAP = [sys.executable, "-m", "argmap"]
QUERIES = [
    "China is back at center stage",
    "Kim wants sanctions relief",
    "the visit will not change the dynamics on the peninsula",
    "a second summit with Trump is coming soon",
    "China and North Korea are strategic allies",
]


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


def timed(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(ARGMAP + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def bench_texts(data: Path | None, n: int) -> tuple[list[str], str]:
    path = data / "argkp" / "arguments_train.csv" if data else None
    if path and path.exists():
        with open(path, encoding="utf-8") as f:
            texts = sorted({r["argument"].strip() for r in csv.DictReader(f) if r["argument"].strip()})
        return texts[:n], f"{min(n, len(texts)):,} ArgKP train arguments"
    from benchmark_models import corpus_sentences

    texts = corpus_sentences()
    return texts[:n], f"{min(n, len(texts)):,} sentences of the bundled corpus"


def count_readings(model) -> list[int]:
    """Count the stance model's pair readings from now on: ``count[0]`` (the caller may reset it)."""
    count, run = [0], model.pairs.run

    def counted(pairs, progress=None):
        count[0] += len(pairs)
        return run(pairs, progress)

    model.pairs.run = counted
    return count


def models(texts: list[str]) -> dict:
    """Embedding and pair scoring beside the torch models (scripts/benchmark_models.py), and
    relations decided per second with each one's reading rule."""
    from benchmark_models import measure

    from argmap.stance import StanceModel

    out = measure(texts)
    a, b = texts[0::2], texts[1::2]
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    ours, ref = StanceModel.load(), StanceModel.load(backend="torch")
    old_rule = (1 + ref.second_pass_floor) / 2  # before issue 12: one floor for P(agree) and P(disagree)
    readings = {}
    for name, model, kw in (("argmap", ours, {}), ("torch", ref, {"disagree_at": old_rule})):
        count = count_readings(model)
        model.relate(a[:16], b[:16], **kw)
        count[0] = 0
        t = time.perf_counter()
        model.relate(a, b, **kw)
        readings[name] = (n / (time.perf_counter() - t), count[0] / n)
    out["relate"] = {"pairs": n, "argmap_pairs_per_s": round(readings["argmap"][0], 1),
                     "torch_pairs_per_s": round(readings["torch"][0], 1),
                     "speedup": round(readings["argmap"][0] / readings["torch"][0], 2),
                     "readings_per_pair": {"argmap": round(readings["argmap"][1], 3),
                                           "torch (rule before issue 12)": round(readings["torch"][1], 3)}}
    return out


def corpus(runs: int) -> tuple[dict[str, list[float]], dict]:
    results: dict[str, list[float]] = {k: [] for k in ("fresh ingest", "unchanged re-ingest", "map (svg)", "search")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, ARGMAP_DB=str(Path(tmp) / "bench.db"))
            results["fresh ingest"].append(timed(["ingest", "corpus"], env))
            results["unchanged re-ingest"].append(timed(["ingest", "corpus"], env))
            results["map (svg)"].append(timed(["map", "--out", str(Path(tmp) / "maps")], env))
            for q in QUERIES:
                results["search"].append(timed(["search", q, "-k", "5"], env))
    return results, stages()


def stages() -> dict:
    """The analysis of the bundled corpus in process, stage by stage, on claims stored by
    ``ingest --no-analyze``, counting the stance model's readings."""
    from argmap.analyze import Settings, analyze
    from argmap.embed import DEFAULT_MODEL, load_embedder
    from argmap.services import pair_model_name, question_encoder, relation_scorer, stance_model
    from argmap.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ARGMAP_DB=str(Path(tmp) / "s.db"))
        subprocess.run(ARGMAP + ["ingest", "corpus", "--no-analyze"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store = Store(Path(tmp) / "s.db")
        t = time.perf_counter()
        model = stance_model()
        load_s = time.perf_counter() - t
        run, count = model.pairs.run, count_readings(model)
        marks = [("load the stance model", time.perf_counter() - load_s)]
        marks.append(("read the claims, the analysis key", time.perf_counter()))
        issues, relations, _ = analyze(store, Settings(model=DEFAULT_MODEL), load_embedder,
                                       lambda v: relation_scorer("argmap", v), pair_model_name("argmap"),
                                       question_factory=question_encoder,
                                       stage=lambda text: marks.append((text, time.perf_counter())))
        marks.append(("end", time.perf_counter()))
        model.pairs.run = run
        claims = len(store.claims())
        pairs = int(store.meta("candidate_pairs") or 0)
    seconds = {name.replace("embedding", "load the embedder and question encoder, embed"): round(nxt - at, 2)
               for (name, at), (_, nxt) in zip(marks, marks[1:])}
    return {"claims": claims, "issues": len(issues), "relations": len(relations), "candidate_pairs": pairs,
            "readings": count[0], "readings_per_claim": round(count[0] / max(1, claims), 2),
            "pairs_per_claim": round(pairs / max(1, claims), 2), "seconds": seconds}


def search(sizes: str, keep: Path | None) -> list[dict]:
    cmd = [sys.executable, str(ROOT / "scripts" / "benchmark_search.py"), "--sizes", sizes, "--json"]
    if keep:
        cmd += ["--keep", str(keep)]
    out = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def verdict(value: float, target: float, higher: bool) -> str:
    return "met" if (value >= target if higher else value <= target) else "**missed**"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="labelled data folder, for the model texts (ArgKP arguments); optional")
    ap.add_argument("--texts", type=int, default=2000, help="texts for the model measures (pairs: half as many)")
    ap.add_argument("--runs", type=int, default=3, help="repetitions of each corpus measurement (median reported)")
    ap.add_argument("--search-sizes", default="10000,100000,1000000", help="'' to skip the search benchmark")
    ap.add_argument("--search-keep", type=Path, default=None, help="keep (and reuse) the synthetic search stores here")
    ap.add_argument("--json", action="store_true", help="print one JSON object per section instead of tables")
    args = ap.parse_args()

    texts, what = bench_texts(args.data if args.data.exists() else None, args.texts)
    m = models(texts)
    runs, st = corpus(args.runs)
    found = search(args.search_sizes, args.search_keep) if args.search_sizes else []
    if args.json:
        print(json.dumps({"section": "models", "texts": what, **m}))
        for k, v in runs.items():
            print(json.dumps({"section": "corpus", "measure": k, "median_s": round(statistics.median(v), 3),
                              "min_s": round(min(v), 3), "max_s": round(max(v), 3), "n": len(v)}))
        print(json.dumps({"section": "stages", **st}))
        for r in found:
            print(json.dumps({"section": "search", **r}))
        return
    e, p, r = m["embed"], m["pairs"], m["relate"]
    ingest = statistics.median(runs["fresh ingest"])
    print(f"Machine: {machine()}; model texts: {what}\n")
    print("| measure | argmap | reference | ratio | target | |\n|---|---:|---:|---:|---|---|")
    print(f"| embedding, texts/s (sentence-transformers `encode`) | {e['argmap_texts_per_s']} | "
          f"{e['sentence_transformers_texts_per_s']} | {e['speedup']}x | >= 1.0x | {verdict(e['speedup'], 1.0, True)} |")
    print(f"| pair scoring, readings/s (torch CrossEncoder, {p['precision']}) | {p['argmap_pairs_per_s']} | "
          f"{p['torch_pairs_per_s']} | {p['speedup']}x | >= 3x | {verdict(p['speedup'], 3.0, True)} |")
    rp = r["readings_per_pair"]
    print(f"| relations decided/s (`relate`; readings per pair {rp['argmap']} vs "
          f"{rp['torch (rule before issue 12)']}) | {r['argmap_pairs_per_s']} | {r['torch_pairs_per_s']} | "
          f"{r['speedup']}x | — | |")
    print(f"| cross-encoder readings per claim, bundled-corpus ingest ({st['readings']:,} readings, "
          f"{st['candidate_pairs']:,} pairs, {st['claims']} claims) | {st['readings_per_claim']} | | | <= 5 | "
          f"{verdict(st['readings_per_claim'], 5, False)} |")
    print(f"| fresh ingest of the bundled corpus, s (median of {len(runs['fresh ingest'])}) | {ingest:.2f} | | | "
          f"<= 20 s | {verdict(ingest, 20, False)} |")
    for row in found:
        n = row["claims"]
        proc, warm = row.get("process_s"), row.get("p50_ms_none")
        tp = f" | <= 1 s | {verdict(proc, 1.0, False)} |" if n >= 1_000_000 else " | | |"
        tw = f" | <= 50 ms | {verdict(warm, 50, False)} |" if n >= 1_000_000 else " | | |"
        print(f"| `argmap search`, whole process, s, {n:,} claims | {proc} | |{tp}")
        print(f"| warm library query, median ms, {n:,} claims (p95 {row.get('p95_ms_none')}; filtered "
              f"medians: analyst {row.get('p50_ms_analyst')}, document {row.get('p50_ms_document')}, issue "
              f"{row.get('p50_ms_issue')}; recall@10 {row.get('recall_at_10')}) | {warm} | |{tw}")
    print("\n| bundled corpus, whole process (wall) | median s | min s | max s | runs |\n|---|---|---|---|---|")
    for name, v in runs.items():
        print(f"| {name} | {statistics.median(v):.2f} | {min(v):.2f} | {max(v):.2f} | {len(v)} |")
    print(f"\n| analysis stage, in process ({st['claims']} claims, {st['issues']} issues, "
          f"{st['relations']} relations) | seconds |\n|---|---|")
    for name, sec in st["seconds"].items():
        print(f"| {name} | {sec:.2f} |")


if __name__ == "__main__":
    main()
