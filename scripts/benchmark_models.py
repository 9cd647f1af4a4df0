#!/usr/bin/env python
"""argmap's models under ONNX Runtime beside the torch models they replace, on the same texts in
the same run: embedding throughput (texts/s) against sentence-transformers' encode, stance pair
scoring (pairs/s, one direction) against the torch CrossEncoder, load times, and how far apart
the outputs are.

    .venv/bin/python scripts/benchmark_models.py --json                     # corpus sentences
    .venv/bin/python scripts/benchmark_models.py --texts FILE --n 2000 --json   # one text a line

    .venv/bin/python scripts/benchmark_models.py --eval ../shared/data --variant int8-stance
        # argmap eval's dev rows (argmap method) for one variant of the shipped models, JSON lines

    .venv/bin/python scripts/benchmark_models.py --precision --repeats 3
        # the question encoder's load time and throughput: fp32, int8 (pre-quantized template),
        # int8 quantized at load time (quantize_dynamic, as before the template); medians

Variants: ``shipped`` (each model at its config's precision), ``fp32`` (all three fp32),
``int8-embed`` / ``int8-question`` / ``int8-stance`` (that model int8, the others fp32;
``int8-stance-smooth``: with the config's SmoothQuant plan, ``int8-stance`` without it),
``one-direction`` (fp32, relate() reads each pair in its canonical order only).

Pairs are consecutive texts (1st with 2nd, 3rd with 4th, ...). Both sides use the same number
of threads (``--threads``, default: the cores this process may use). Each side is warmed up
once, then timed once. From another script: ``measure(texts, threads)`` returns the same dict.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def corpus_sentences() -> list[str]:
    """The bundled corpus's sentences of 4 words or more, in file order."""
    out = []
    for path in sorted((ROOT / "corpus").glob("*.md")):
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))):
            if len(s.split()) >= 4 and not s.startswith(("#", "---")):
                out.append(s.strip())
    return out


def _timed(fn, *args):
    fn(*[a[:16] for a in args])  # warm up
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def measure(texts: list[str], threads: int | None = None) -> dict:
    import os

    from argmap import onnx_models

    threads = threads or onnx_models.threads()
    os.environ["ARGMAP_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    from argmap.embed import load_embedder, load_sentence_transformer
    from argmap.stance import StanceModel

    result = {"texts": len(texts), "threads": threads}
    t = time.perf_counter()
    emb = load_embedder()
    emb.encode(["load"])
    load_onnx = time.perf_counter() - t
    t = time.perf_counter()
    st = load_sentence_transformer(None)
    load_st = time.perf_counter() - t
    ours, dt_ours = _timed(emb.encode, texts)
    ref, dt_ref = _timed(lambda x: st.encode(x, batch_size=64, normalize_embeddings=True), texts)
    result["embed"] = {"argmap_texts_per_s": round(len(texts) / dt_ours, 1),
                       "sentence_transformers_texts_per_s": round(len(texts) / dt_ref, 1),
                       "speedup": round(dt_ref / dt_ours, 2),
                       "load_s": {"argmap": round(load_onnx, 3), "sentence_transformers": round(load_st, 3)},
                       "max_abs_diff": float(np.abs(ours - ref).max()),
                       "min_cosine": float((ours * ref).sum(1).min())}
    a, b = texts[0::2], texts[1::2]
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    t = time.perf_counter()
    model = StanceModel.load()
    load_onnx = time.perf_counter() - t
    t = time.perf_counter()
    torch_model = StanceModel.load(backend="torch")
    load_torch = time.perf_counter() - t
    ours, dt_ours = _timed(model.logits, a, b)
    ref, dt_ref = _timed(torch_model.logits, a, b)
    result["pairs"] = {"pairs": n, "argmap_pairs_per_s": round(n / dt_ours, 1),
                       "torch_pairs_per_s": round(n / dt_ref, 1), "speedup": round(dt_ref / dt_ours, 2),
                       "precision": model.precision,
                       "load_s": {"argmap": round(load_onnx, 3), "torch": round(load_torch, 3)},
                       "max_abs_logit_diff": float(np.abs(ours - ref).max()),
                       "same_argmax_share": float((ours.argmax(1) == ref.argmax(1)).mean())}
    return result


def precision_measure(texts: list[str], repeats: int = 3) -> dict:
    """The question encoder at fp32, int8 (its pre-quantized template) and int8 quantized at load
    time (quantize_dynamic, the path before the template): median seconds to load (to one text
    encoded) and texts/s on ``texts``, each of ``repeats`` runs."""
    from statistics import median

    from argmap import onnx_models
    from argmap.question import QuestionEncoder

    def load(kind):
        with_template = onnx_models.TEMPLATES
        if kind == "int8-quantize_dynamic":
            onnx_models.TEMPLATES = tuple(t for t in with_template if not t.endswith("-int8.onnx"))
        try:
            t = time.perf_counter()
            encoder = QuestionEncoder(precision=kind.split("-")[0]).model
            encoder.encode(["load"])
            return encoder, time.perf_counter() - t
        finally:
            onnx_models.TEMPLATES = with_template

    load("fp32")  # imports, files in the page cache
    kinds = ("fp32", "int8", "int8-quantize_dynamic")
    loads, rates = {k: [] for k in kinds}, {k: [] for k in kinds[:2]}
    for _ in range(repeats):
        for kind in kinds:
            encoder, seconds = load(kind)
            loads[kind].append(seconds)
            if kind in rates:
                t = time.perf_counter()
                encoder.encode(texts)
                rates[kind].append(len(texts) / (time.perf_counter() - t))
    return {"texts": len(texts), "threads": onnx_models.threads(), "repeats": repeats,
            "load_s": {k: round(median(v), 3) for k, v in loads.items()},
            "load_s_all": {k: [round(x, 3) for x in v] for k, v in loads.items()},
            "texts_per_s": {k: round(median(v), 1) for k, v in rates.items()},
            "texts_per_s_all": {k: [round(x, 1) for x in v] for k, v in rates.items()}}


VARIANTS = ("shipped", "fp32", "int8-embed", "int8-question", "int8-stance", "int8-stance-smooth", "one-direction")


def eval_variant(data_dir: str, variant: str) -> list[dict]:
    """``argmap eval``'s rows (argmap method, dev split) with one variant of the models."""
    import json as _json

    from argmap.embed import DEFAULT_MODEL, load_embedder
    from argmap.evaluate import run_evaluation
    from argmap.onnx_models import OnnxEncoder
    from argmap.question import QuestionEncoder
    from argmap.stance import CONFIG_FILE, StanceModel, default_path

    if variant == "shipped":
        embedder, question, stance = load_embedder(), QuestionEncoder(), StanceModel.load()
    else:
        int8 = variant.removeprefix("int8-") if variant.startswith("int8-") else None
        embedder = OnnxEncoder(DEFAULT_MODEL, precision="int8" if int8 == "embed" else "fp32")
        question = QuestionEncoder(precision="int8" if int8 == "question" else "fp32")
        config = _json.loads((default_path() / CONFIG_FILE).read_text(encoding="utf-8"))
        config["inference"] = {**config.get("inference", {}), "precision": "int8" if int8 in ("stance", "stance-smooth") else "fp32"}
        if int8 == "stance":  # plain quantize_dynamic: no SmoothQuant plan
            config["inference"].pop("int8", None)
        stance = StanceModel.load(config=config)
        if variant == "one-direction":
            stance.second_pass_floor = 2.0  # above any probability: no pair is read the other way
    log = lambda msg: print(f"[{variant} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results = run_evaluation(data_dir, methods=("argmap",), embedder=embedder, pair_model=stance,
                             question_encoder=question, log=log)
    return [{**r.to_dict(), "variant": variant} for r in results]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--texts", type=Path, help="a UTF-8 file, one text a line (default: corpus sentences)")
    ap.add_argument("--n", type=int, default=0, help="use the first N texts (default: all)")
    ap.add_argument("--threads", type=int, default=0, help="threads for both sides (default: the cores)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--eval", metavar="DATA_DIR", help="score a model variant on dev data instead (JSON lines)")
    ap.add_argument("--variant", choices=VARIANTS, default="shipped", help="with --eval: which variant")
    ap.add_argument("--precision", action="store_true",
                    help="the question encoder's load time and texts/s, fp32 against int8 (JSON)")
    ap.add_argument("--repeats", type=int, default=3, help="with --precision: runs of each (medians)")
    args = ap.parse_args()
    if args.eval:
        t = time.perf_counter()
        for row in eval_variant(args.eval, args.variant):
            print(json.dumps(row))
        print(f"[{args.variant}] {time.perf_counter() - t:.0f}s", file=sys.stderr)
        return 0
    texts = ([t for t in args.texts.read_text(encoding="utf-8").splitlines() if t.strip()] if args.texts
             else corpus_sentences())
    texts = texts[:args.n] if args.n else texts
    if args.precision:
        print(json.dumps(precision_measure(texts, args.repeats)))
        return 0
    if len(texts) < 2:
        print("benchmark_models: need at least two texts", file=sys.stderr)
        return 1
    result = measure(texts, args.threads or None)
    if args.json:
        print(json.dumps(result))
    else:
        e, p = result["embed"], result["pairs"]
        print(f"{result['texts']} texts, {result['threads']} threads")
        print(f"embedding: argmap {e['argmap_texts_per_s']} texts/s, sentence-transformers "
              f"{e['sentence_transformers_texts_per_s']} texts/s (x{e['speedup']}); max diff {e['max_abs_diff']:.2g}")
        print(f"stance:    argmap {p['argmap_pairs_per_s']} pairs/s ({p['precision']}), torch "
              f"{p['torch_pairs_per_s']} pairs/s (x{p['speedup']}); max logit diff {p['max_abs_logit_diff']:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
