#!/usr/bin/env python3
"""Scale benchmark: `argmap ingest` on a generated corpus of N claims, then one article more (a benchmark, not a test).

Writes a corpus of files (Markdown with front matter and analyst markers, as in corpus/) of
about N claims, one per sentence of a data folder laid out like ../shared/data (ArgKP
arguments and key points, PERSPECTRUM perspectives, IBM claims, NLI premises and
hypotheses; past the pool, the same sentences with an opening phrase), about 50 claims per
document and N/200 analysts, then, each step a real `python -m argmap` process:

1. a fresh ingest into a new store (claims, vectors, candidate pairs, relations, issues):
   wall time, each stage's time (from the stage lines on stderr), peak RSS of the process;
2. one new article of about 50 claims added to that store (timed; pairs scored);
3. equality: a from-scratch analysis of the same claims (neighbour lists built afresh, issues
   rebuilt; model outputs from the caches, pure functions of text) equals the incremental
   result; with ``--verify-fresh``, a fresh ingest of all the files into a new store (slow);
4. `search`, `issues` and `map` process times;
5. cross-encoder readings per claim in the fresh ingest (pairs scored x readings / claims).

``--fake`` swaps the fake models of argmap/fake.py in (no model: the time of everything else).

Usage: .venv/bin/python scripts/benchmark_scale.py ../shared/data [--n 100000] [--keep DIR] [--fake] [--json]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLAIMS_PER_DOC = 50
CLAIMS_PER_ANALYST = 200
OPENINGS = ["In practice,", "Historically,", "On balance,", "Above all,", "In the long run,", "For now,",
            "By most accounts,", "In my view,"]  # past the pool: round r opens with OPENINGS[r - 1]
NEW_OPENING = "Seen from today,"  # the added article's sentences: in no corpus file

# Run as `python -c RUNNER ARGS...`: argmap's CLI with the cross-encoder's readings counted
# (written to $ARGMAP_BENCH_COUNT at exit) and, with $ARGMAP_BENCH_FAKE, the fake models.
RUNNER = r"""
import atexit, os, sys
import argmap.services as services
count = [0]

def counted(model):
    inner = model.probabilities
    def probabilities(a, b, *args, **kw):
        count[0] += len(a)
        return inner(a, b, *args, **kw)
    model.probabilities = probabilities
    return model

if os.environ.get("ARGMAP_BENCH_FAKE"):
    import argmap.embed
    from argmap.fake import FakeEmbedder, FakeStance
    emb, question = FakeEmbedder(), FakeEmbedder(dim=64, name="fake-question")
    argmap.embed.load_embedder = lambda model=None: emb
    services.query_embedder = lambda model=None: emb
    services.question_encoder = lambda: question
    services.relation_scorer = lambda method, vectors_for=None, model=None: counted(FakeStance())
    services.pair_model_name = lambda method: "fake"
else:
    loaded = services.stance_model
    def stance_model():
        model = loaded()
        if not getattr(model, "bench_counted", False):
            counted(model).bench_counted = True
        return model
    services.stance_model = stance_model
if os.environ.get("ARGMAP_BENCH_COUNT"):
    atexit.register(lambda: open(os.environ["ARGMAP_BENCH_COUNT"], "w").write(str(count[0])))
from argmap.cli import main
sys.argv = ["argmap"] + sys.argv[1:]
main()
"""


def sentences(data: Path) -> list[str]:
    """The distinct sentences of the data folder that read as one claim: no question, no quote,
    at least 4 words; capitalised, ending with a full stop."""
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
    clean = set()
    for s in out:
        s = " ".join(s.split())
        if len(s.split()) < 4 or len(s) > 300 or "?" in s or re.search(r"[\"“”<>#*\\|]", s) or not s[0].isalpha():
            continue
        s = s[0].upper() + s[1:]
        clean.add(s if s[-1] in ".!" else s + ".")
    return sorted(clean)


def opened(opening: str, s: str) -> str:
    """``s`` after an opening phrase (its first letter lower-cased unless it starts a name or an acronym)."""
    first = s.split()[0]
    keep = first == "I" or first.isupper() or any(ch.isupper() for ch in first[1:])
    return f"{opening} {s if keep else s[0].lower() + s[1:]}"


def texts(pool: list[str], n: int) -> list[str]:
    """N distinct texts in a fixed shuffled order."""
    order = list(range(len(pool)))
    random.Random(0).shuffle(order)
    out = []
    for i in range(n):
        r, k = divmod(i, len(pool))
        if r > len(OPENINGS):
            raise SystemExit(f"at most {len(pool) * (len(OPENINGS) + 1):,} distinct texts from this data folder")
        s = pool[order[k]]
        out.append(s if r == 0 else opened(OPENINGS[r - 1], s))
    return out


def document(name: str, title: str, sentences_by_analyst: list[tuple[str, list[str]]]) -> str:
    parts = [f'---\ntitle: "{title}"\noutlet: "Benchmark"\ndate: "2024-01-01"\nauthors: []\n---\n']
    for analyst, sents in sentences_by_analyst:
        parts.append(f"<!-- analyst: {analyst} -->\n")
        parts += [" ".join(sents[i:i + 5]) + "\n" for i in range(0, len(sents), 5)]
    return "\n".join(parts)


def write_corpus(folder: Path, all_texts: list[str]) -> int:
    """Documents of CLAIMS_PER_DOC sentences, each from 2-5 analysts; returns the documents written."""
    n = len(all_texts)
    analysts = max(2, n // CLAIMS_PER_ANALYST)
    rng = random.Random(1)
    docs = 0
    for d, lo in enumerate(range(0, n, CLAIMS_PER_DOC)):
        chunk = all_texts[lo:lo + CLAIMS_PER_DOC]
        k = rng.randint(2, 5)
        names = [f"Analyst {(d * 7 + j * 131) % analysts:04d}" for j in range(k)]
        step = -(-len(chunk) // k)
        sections = [(names[j], chunk[j * step:(j + 1) * step]) for j in range(k) if chunk[j * step:(j + 1) * step]]
        (folder / f"bench-{d:05d}.md").write_text(document(f"bench-{d:05d}", f"Benchmark document {d}", sections),
                                                  encoding="utf-8")
        docs += 1
    return docs


def new_article(path: Path, pool: list[str], n: int) -> None:
    """About 50 claims never in the corpus, by two analysts of the corpus and one new one."""
    analysts = max(2, n // CLAIMS_PER_ANALYST)
    picked = [opened(NEW_OPENING, s) for s in random.Random(2).sample(pool, CLAIMS_PER_DOC)]
    path.write_text(document("added", "The article added", [
        (f"Analyst {3 % analysts:04d}", picked[:20]), (f"Analyst {17 % analysts:04d}", picked[20:35]),
        ("A new analyst", picked[35:])]), encoding="utf-8")


def argmap(args: list[str], fake: bool, stages: dict | None = None) -> dict:
    """One argmap process: wall seconds, peak RSS (MB), cross-encoder readings, stage times."""
    env = dict(os.environ)
    count = Path(tempfile.mkstemp(prefix="argmap-count-")[1])
    env["ARGMAP_BENCH_COUNT"] = str(count)
    if fake:
        env["ARGMAP_BENCH_FAKE"] = "1"
    cmd = ["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, "-c", RUNNER, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_lines: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: out_lines.extend(proc.stdout), daemon=True)
    reader.start()
    marks = [("start", t0)]
    rss = 0.0
    err = []
    for line in proc.stderr:
        now = time.perf_counter()
        if line.startswith("MAXRSS "):
            rss = int(line.split()[1]) / 1024
            continue
        err.append(line)
        if line.startswith("argmap: analysis: "):
            marks.append((line[len("argmap: analysis: "):].strip(), now))
        print(f"  [{now - t0:7.1f} s] {line.rstrip()}", file=sys.stderr)
    proc.wait()
    reader.join()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"argmap {' '.join(args)} failed ({proc.returncode}):\n{''.join(err[-20:])}")
    marks.append(("end", t0 + wall))
    if stages is not None:
        first = "read files, extract claims, load models" if len(marks) > 2 else "whole run"
        names = [first] + [re.sub(r"\b\d[\d,]* ", "", m[0]).split(" (")[0] for m in marks[1:-1]]
        for name, (_, a), (_, b) in zip(names, marks, marks[1:]):
            stages[name] = round(b - a, 1)
    readings = int(count.read_text() or 0) if count.exists() and count.stat().st_size else 0
    count.unlink(missing_ok=True)
    return {"seconds": round(wall, 1), "peak_rss_mb": round(rss), "readings": readings, "stdout": "".join(out_lines),
            "stderr": "".join(err)}


def snapshot(db: Path) -> tuple:
    from argmap.store import Store

    store = Store(db, create=False)
    issues = store.issues()
    out = (sorted((c.id, c.text, c.analyst, c.document) for c in store.claims()), store.relations(), issues,
           [[i.side(c) for c in i.claim_ids] for i in issues])
    store.close()
    return out


def from_scratch(db: Path, fake: bool) -> float:
    """The analysis of ``db``'s claims with no neighbour list or issue reused; the seconds it took."""
    from argmap.analyze import Settings, analyze
    from argmap.store import Store

    if fake:
        from argmap.fake import FakeEmbedder, FakeStance

        emb, question = FakeEmbedder(), FakeEmbedder(dim=64, name="fake-question")
        embedder, scorer, question_factory, pair_name = (lambda: emb), (lambda v: FakeStance()), (lambda: question), "fake"
    else:
        from argmap.embed import load_embedder
        from argmap.services import model_name, pair_model_name, question_encoder, relation_scorer

        embedder, scorer = load_embedder, (lambda v: relation_scorer("argmap", v))
        question_factory, pair_name = question_encoder, pair_model_name("argmap")
    store = Store(db)
    t = time.perf_counter()
    analyze(store, Settings(model="fake" if fake else model_name(None)), embedder, scorer, pair_name,
            question_factory=question_factory, force=True, incremental=False)
    store.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=100000, help="claims (sentences written; the extractor finds about one each)")
    ap.add_argument("--keep", type=Path, help="folder for the generated files (reused when it holds the same N)")
    ap.add_argument("--fake", action="store_true", help="the deterministic fake models (no model)")
    ap.add_argument("--verify-fresh", action="store_true", help="also a fresh ingest of every file into a new store")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    ap.add_argument("--save-store", type=Path, help="copy the store here after the fresh ingest (to profile the add)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="argmap-scale-"))
    folder = args.keep or work / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ".benchmark.json"
    pool = sentences(args.data)
    if not (stamp.exists() and json.loads(stamp.read_text()).get("n") == args.n):
        for f in folder.glob("bench-*.md"):
            f.unlink()
        docs = write_corpus(folder, texts(pool, args.n))
        stamp.write_text(json.dumps({"n": args.n, "documents": docs}))
    docs = json.loads(stamp.read_text())["documents"]
    added = work / "added.md"
    new_article(added, pool, args.n)
    db = work / "argmap.db"
    result: dict = {"sentences": args.n, "documents": docs, "analysts": max(2, args.n // CLAIMS_PER_ANALYST),
                    "models": "fake" if args.fake else "bundled", "stages": {}}
    try:
        print(f"1. fresh ingest of {args.n:,} sentences in {docs:,} files", file=sys.stderr)
        run = argmap(["ingest", str(folder), "--db", str(db), "--json"], args.fake, result["stages"])
        store = sqlite3.connect(db)
        meta = dict(store.execute("SELECT key, value FROM meta"))
        claims = store.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
        result.update(claims=claims, analysts_stored=store.execute("SELECT COUNT(*) FROM analysts").fetchone()[0],
                      issues=store.execute("SELECT COUNT(*) FROM issues").fetchone()[0],
                      relations=store.execute("SELECT COUNT(*) FROM relations").fetchone()[0],
                      candidate_pairs=int(meta["candidate_pairs"]), pairs_scored=int(meta["pairs_scored"]))
        store.close()
        if args.save_store:
            shutil.copyfile(db, args.save_store)
            if Path(f"{db}.index").is_dir():  # the search indexes kept beside the store
                shutil.copytree(f"{db}.index", f"{args.save_store}.index", dirs_exist_ok=True)
            shutil.copyfile(added, args.save_store.with_suffix(".added.md"))
        result.update(ingest_seconds=run["seconds"], ingest_peak_rss_mb=run["peak_rss_mb"],
                      readings_per_claim=round(run["readings"] / max(claims, 1), 2),
                      pairs_per_claim=round(result["candidate_pairs"] / max(claims, 1), 2))

        print("2. one article added", file=sys.stderr)
        run = argmap(["ingest", str(added), "--db", str(db), "--json"], args.fake)
        store = sqlite3.connect(db)
        meta = dict(store.execute("SELECT key, value FROM meta"))
        new_claims = store.execute("SELECT COUNT(*) FROM claims WHERE document_id = 'added'").fetchone()[0]
        store.close()
        result.update(add_seconds=run["seconds"], add_claims=new_claims, add_pairs_scored=int(meta["pairs_scored"]),
                      add_neighbour_rows=int(meta["neighbour_rows"]), add_readings=run["readings"],
                      add_peak_rss_mb=run["peak_rss_mb"])

        print("3. equality with a from-scratch analysis", file=sys.stderr)
        incremental = snapshot(db)
        copy = work / "scratch.db"
        shutil.copyfile(db, copy)
        result["scratch_seconds"] = round(from_scratch(copy, args.fake), 1)
        result["equal_from_scratch"] = snapshot(copy) == incremental
        if args.verify_fresh:
            both = work / "both"
            shutil.copytree(folder, both, ignore=shutil.ignore_patterns(".benchmark.json"))
            shutil.copyfile(added, both / "added.md")
            argmap(["ingest", str(both), "--db", str(work / "fresh.db")], args.fake)
            result["equal_fresh_ingest"] = snapshot(work / "fresh.db") == incremental

        print("4. search, issues, map", file=sys.stderr)
        for name, cmd in [("search", ["search", "sanctions do not work", "--db", str(db)]) if not args.fake else ("", []),
                          ("issues", ["issues", "--db", str(db)]),
                          ("map", ["map", "--db", str(db), "--out", str(work / "maps"), "--format", "dot"])]:
            if name:
                result[f"{name}_seconds"] = argmap(cmd, args.fake)["seconds"]
        result["map_files"] = len(list((work / "maps").glob("*")))
    finally:
        if not args.keep or folder != work / "corpus":
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    rows = [("claims (files, analysts)", f"{result['claims']:,} ({docs:,} files, {result['analysts_stored']:,} analysts)"),
            ("fresh ingest", f"{result['ingest_seconds']:.1f} s (target ≤ 1200 s)"),
            ("peak RSS of the ingest", f"{result['ingest_peak_rss_mb']:,} MB (target ≤ 4096 MB)"),
            *[(f"  stage: {k}", f"{v:.1f} s") for k, v in result["stages"].items()],
            ("candidate pairs per claim", f"{result['pairs_per_claim']}"),
            ("cross-encoder readings per claim", f"{result['readings_per_claim']} (target ≤ 5)"),
            ("issues, relations", f"{result['issues']:,}, {result['relations']:,}"),
            ("one article added", f"{result['add_seconds']:.1f} s for {result['add_claims']} claims (target ≤ 30 s); "
                                  f"{result['add_pairs_scored']} pairs scored, {result['add_neighbour_rows']} neighbour "
                                  "rows computed"),
            ("equal to a from-scratch analysis", f"{result['equal_from_scratch']} ({result['scratch_seconds']:.1f} s)"),
            *([("equal to a fresh ingest", str(result["equal_fresh_ingest"]))] if args.verify_fresh else []),
            ("search (process)", f"{result['search_seconds']:.1f} s" if "search_seconds" in result else "not run (fakes)"),
            ("issues (process)", f"{result['issues_seconds']:.1f} s"),
            ("map (process, dot)", f"{result['map_seconds']:.1f} s, {result['map_files']:,} files")]
    print(f"| {result['models']} models | |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
