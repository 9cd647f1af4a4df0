"""Search at scale: argmap's search index on synthetic stores of 10k, 100k and 1M claims.

    .venv/bin/python scripts/benchmark_search.py --sizes 10000,100000,1000000 --keep /tmp/searchbench [--json]

Each store is written straight into SQLite (not through ingest): ~1,000 documents, ~500
analysts, 200 issues holding a third of the claims, and one vector per claim under the bundled
model's name. The vectors: ``--real`` (default 20,000) sentences of ../shared/data
(ArgKP train arguments, PERSPECTRUM perspectives, IBM claims, NLI sentences; never an ArgKP dev
argument) embedded with the bundled all-MiniLM-L6-v2 (argmap's ONNX embedder), and every further claim one of them plus Gaussian noise (sigma 0.035 per
dimension, so a derived vector keeps a cosine of about 0.75 to its source), renormalised.
Queries are other argument sentences (ArgKP dev), embedded the same way.

Measured per size: the index build (seconds, peak memory of the building process, size on
disk), warm library queries (median and p95 of ``--queries`` queries; unfiltered and with each
filter), recall@10 of the index against an exact scan of every vector, and whole-process
``argmap search QUERY`` (median of 5 different queries, process start included).
``--keep DIR`` keeps the stores (and the embedded sentences) for the next run.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from argmap import vector_index  # noqa: E402
from argmap.embed import DEFAULT_MODEL, text_hash  # noqa: E402
from argmap.search import search  # noqa: E402
from argmap.store import GENERATION_CLAIMS, GENERATION_VECTORS, Store  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "argkp"
DOCS, ANALYSTS, ISSUES, NOISE = 1000, 500, 200, 0.035


def sentences(split: str) -> list[str]:
    """ArgKP arguments of a split; for "train", also every other sentence of the labelled data
    (PERSPECTRUM perspectives, IBM claims, NLI premises and hypotheses), so that many distinct
    real vectors can be had."""
    with open(DATA / f"arguments_{split}.csv", encoding="utf-8") as f:
        out = {row["argument"].strip() for row in csv.DictReader(f) if row["argument"].strip()}
    if split == "train":
        sys.path.insert(0, str(ROOT / "scripts"))
        from benchmark_scale import sentences as all_sentences

        out |= set(all_sentences(DATA.parent))
        out -= set(sentences("dev"))
    return sorted(out)


def embedded(keep: Path, n_real: int) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(claim sentences, their vectors, query sentences, their vectors), cached in ``keep``."""
    cache = keep / f"sentences-{n_real}.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return list(z["texts"]), z["vectors"], list(z["queries"]), z["qvectors"]
    from argmap.services import query_embedder

    texts = random.Random(0).sample(sentences("train"), n_real)
    queries = random.Random(1).sample(sentences("dev"), 200)
    embedder = query_embedder(None)
    t = time.perf_counter()
    vectors, qvectors = embedder.encode(texts), embedder.encode(queries)
    print(f"embedded {len(texts) + len(queries):,} sentences in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    np.savez(cache, texts=np.array(texts), vectors=vectors, queries=np.array(queries), qvectors=qvectors)
    return texts, vectors, queries, qvectors


def make_store(path: Path, n: int, texts: list[str], base: np.ndarray) -> np.ndarray:
    """A store of ``n`` claims written with SQL; returns the claims' vectors (float16, claim id order)."""
    rng = np.random.default_rng(n)
    vectors = np.empty((n, base.shape[1]), np.float16)
    store = Store(path)
    t = time.perf_counter()
    with store.transaction() as c:
        c.executemany("INSERT INTO documents (id, path, title, content_hash, extractor, text, ingested_at) "
                      "VALUES (?, ?, ?, ?, 'synthetic', '', '')",
                      [(f"doc{d:04d}", f"doc{d:04d}.md", f"Document {d}", f"h{d}") for d in range(DOCS)])
        c.executemany("INSERT INTO analysts (id, name) VALUES (?, ?)", [(a + 1, f"Analyst {a:03d}") for a in range(ANALYSTS)])
        c.executemany("INSERT INTO issues (id, position, label, keyphrases, central_claim) VALUES (?, ?, ?, '[]', '')",
                      [(f"issue-{i + 1}", i, f"issue {i + 1}") for i in range(ISSUES)])
        for start in range(0, n, 50_000):
            m = min(50_000, n - start)
            src = np.arange(start, start + m) % len(texts)
            X = base[src] + (rng.standard_normal((m, base.shape[1])) * NOISE).astype(np.float32) * (src != np.arange(start, start + m))[:, None]
            X /= np.linalg.norm(X, axis=1, keepdims=True)
            claims, embeddings, members = [], [], []
            for j in range(m):
                i = start + j
                text = texts[i % len(texts)] if i < len(texts) else f"{texts[i % len(texts)]} [{i}]"
                cid = hashlib.sha256(str(i).encode()).hexdigest()[:16]
                h = text_hash(text)
                claims.append((cid, f"doc{i % DOCS:04d}", 1 + (i * 7919) % ANALYSTS, text, h, 1, 0, len(text)))
                embeddings.append((DEFAULT_MODEL, h, X.shape[1], X[j].astype(np.float32).tobytes()))
                if i % 3 == 0:
                    members.append((f"issue-{1 + (i // 3) % ISSUES}", cid, i))
            c.executemany('INSERT INTO claims (id, document_id, analyst_id, text, text_hash, paragraph, start, "end") '
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", claims)
            c.executemany("INSERT OR IGNORE INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)", embeddings)
            c.executemany("INSERT INTO issue_claims (issue_id, claim_id, rank) VALUES (?, ?, ?)", members)
            vectors[start:start + m] = X
        c.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                      [(GENERATION_CLAIMS, "1"), (GENERATION_VECTORS + DEFAULT_MODEL, "1"), ("analysis", "synthetic")])
    store.close()
    order = np.argsort([hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(n)])
    print(f"wrote a store of {n:,} claims in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return vectors[order]


BUILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from argmap import vector_index
from argmap.store import Store
t = time.perf_counter()
vector_index.update(Store({db!r}), {model!r}, notify=None)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def build(db: Path) -> tuple[float, float]:
    """(seconds, peak MiB) of building the index in a process of its own."""
    out = subprocess.run([sys.executable, "-c", BUILD.format(root=str(ROOT), db=str(db), model=DEFAULT_MODEL)],
                         capture_output=True, text=True, check=True)
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def folder_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def latencies(store: Store, qvectors: np.ndarray, filters: list[dict]) -> tuple[float, float]:
    times = []
    for q, f in zip(qvectors, filters):
        t = time.perf_counter()
        search(store, q, DEFAULT_MODEL, k=10, notify=None, **f)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def exact_top(vectors: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int = 10) -> set[str]:
    scores = np.concatenate([vectors[i:i + 100_000].astype(np.float32) @ q for i in range(0, len(vectors), 100_000)])
    top = np.argpartition(-scores, k)[:k]
    return {ids[i] for i in top}


def measure(n: int, keep: Path, texts, base, queries, qvectors, n_queries: int) -> dict:
    db = keep / f"search-{n}.db"
    if not db.exists():
        vectors = make_store(db, n, texts, base)
        np.save(keep / f"search-{n}-vectors.npy", vectors)
    vectors = np.load(keep / f"search-{n}-vectors.npy", mmap_mode="r")
    ids = np.array(sorted(hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(n)))
    row = {"claims": n}
    if n > vector_index.EXACT_LIMIT:
        import shutil

        shutil.rmtree(vector_index.index_folder(db), ignore_errors=True)
        row["build_s"], row["build_peak_mib"] = build(db)
        row["index_mib"] = round(folder_mib(vector_index.index_folder(db)), 1)
    store = Store(db, create=False)
    rng = random.Random(n)
    qs = [qvectors[i % len(qvectors)] for i in range(n_queries)]
    store_analysts = [f"Analyst {a:03d}" for a in range(ANALYSTS)]
    kinds = {"none": lambda: {}, "analyst": lambda: {"analyst": rng.choice(store_analysts)},
             "document": lambda: {"document": f"doc{rng.randrange(DOCS):04d}"},
             "issue": lambda: {"issue": f"issue-{rng.randrange(ISSUES) + 1}"}}
    latencies(store, qs[:3], [{}] * 3)  # warm: index opened, pages cached
    for kind, make in kinds.items():
        row[f"p50_ms_{kind}"], row[f"p95_ms_{kind}"] = (round(x, 2) for x in latencies(store, qs, [make() for _ in qs]))
    recall = []
    for q in qvectors[:50]:
        got = {h.id for h in search(store, q, DEFAULT_MODEL, k=10, notify=None)}
        recall.append(len(got & exact_top(vectors, ids, q)) / 10)
    row["recall_at_10"] = round(float(np.mean(recall)), 4)
    walls = []
    for query in queries[:5]:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "argmap", "search", query, "--db", str(db)], cwd=ROOT, check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - t)
    row["process_s"] = round(statistics.median(walls), 3)
    store.close()
    return row


COLUMNS = [("claims", "claims"), ("build_s", "index build s"), ("build_peak_mib", "build peak MiB"),
           ("index_mib", "index MiB"), ("process_s", "`argmap search` s"), ("p50_ms_none", "query p50 ms"),
           ("p95_ms_none", "p95"), ("p50_ms_analyst", "--analyst p50"), ("p50_ms_document", "--document p50"),
           ("p50_ms_issue", "--issue p50"), ("recall_at_10", "recall@10")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the stores in (reused next time)")
    ap.add_argument("--real", type=int, default=20000, help="real sentences embedded with the bundled model")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--json", action="store_true", help="also print one JSON object per size")
    args = ap.parse_args()
    import tempfile

    keep = args.keep or Path(tempfile.mkdtemp(prefix="argmap-searchbench-"))
    keep.mkdir(parents=True, exist_ok=True)
    texts, base, queries, qvectors = embedded(keep, args.real)
    rows = [measure(int(s), keep, texts, base, queries, qvectors, args.queries) for s in args.sizes.split(",")]
    print("| " + " | ".join(h for _, h in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:,}" if k == "claims" else str(r.get(k, "-")) for k, _ in COLUMNS) + " |")
    if args.json:
        for r in rows:
            print(json.dumps({"benchmark": "search", **r}))
    print(f"(cores: {os.cpu_count()}; stores in {keep})", file=sys.stderr)


if __name__ == "__main__":
    main()
