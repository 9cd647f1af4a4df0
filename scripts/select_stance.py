#!/usr/bin/env python
"""Choose, calibrate and ship a stance model run of scripts/train_stance.py, on dev data only.

    .venv/bin/python scripts/select_stance.py ../shared/data /tmp/stance5 [--ship argmap/resources/stance]

1. Every saved adapter of the run (``epoch-N``, ``final``) is scored on dev: NLI dev part
   (three-way accuracy), PERSPECTRUM dev perspective -> claim and perspective pairs, IBM dev
   claim -> topic and claim pairs (macro-F1 of the sign of P(agree) - P(disagree)), ArgKP dev
   Track-1 strict mAP (P(agree) as the match score), and the share of 500 pairs of unrelated NLI
   dev premises read as "neither" (added after v5's first pick, phase 2, called unrelated
   sentences a disagreement). The best mean of these seven wins.
2. A temperature T (logits / T) is fitted on the NLI dev part by least negative log-likelihood,
   so the three probabilities are calibrated. The key-point match score (cosine + w * P(agree))
   takes its w from ArgKP *train*; the rule for pairs with a known topic is chosen on dev.
3. The relation thresholds are chosen on PERSPECTRUM dev, end to end (``evaluate.clash_scores``
   on the pooled dev perspectives, candidates from the shipped question encoder): the lowest
   P(disagree) threshold (from 0.5 up) whose disagreements are right at least ``--precision`` of the time
   among the pairs the gold can judge (two perspectives answering one claim; pairs across two
   claims have no gold relation and are reported as the unjudged share), and the same for
   P(agree); then the largest second-pass floor (``StanceModel.relate``) that changes no
   decision there.
4. The adapter and argmap's ``config.json`` (all of the above, and the training metadata) are
   written into ``--ship``.

``--rethreshold`` redoes step 3 alone for the model already in ``--ship`` (RUN is ignored).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402
from argmap.stance import ADAPTER_FILES, CONFIG_FILE, FORMAT, FORMAT_VERSION, StanceModel, softmax  # noqa: E402

# a relation needs its probability to reach at least 0.5 (more likely than not), whatever dev allows
GRID = tuple(round(0.50 + 0.05 * k, 2) for k in range(10))  # 0.50 .. 0.95
PRECISION_KEY = {"disagree": "disagree_precision_judged", "agree": "agree_precision_judged"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def dev_scores(model: StanceModel, data_dir) -> dict:
    out = {}
    nli = ev.load_nli(data_dir, "dev")
    out.update({f"nli_{k}": v for k, v in ev.nli_scores(nli.label, model.probabilities(nli.premise, nli.hypothesis)).items()})
    out["unrelated_neither"] = ev.neither_share(model.relate(*ev.unrelated_pairs(nli), floor=0.0))
    ps = ev.load_perspectrum(data_dir, "dev")
    ib = ev.load_claim_stance(data_dir, "dev")
    for name, sp in (("pc", ev.perspectrum_claim_pairs(ps)), ("pp", ev.perspectrum_pp_pairs(ps)),
                     ("ibm_ct", ev.ibm_claim_topic_pairs(ib)), ("ibm_cc", ev.ibm_claim_claim_pairs(ib))):
        out[f"{name}_f1"] = ev.stance_scores(sp.labels, model.stance(sp.a, sp.b, topic=sp.topic))["f1"]
    kp = ev.load_argkp(data_dir, "dev")
    pairs = kp.candidate_pairs()
    m = model.match([kp.arguments[a]["text"] for a, _ in pairs], [kp.key_points[k]["text"] for _, k in pairs])
    out["argkp_map_strict"] = ev.track1_map({p: float(x) for p, x in zip(pairs, m)}, kp)["map_strict"]
    keys = ("nli_accuracy_3way", "pc_f1", "pp_f1", "ibm_ct_f1", "ibm_cc_f1", "argkp_map_strict", "unrelated_neither")
    out["selection_mean"] = float(np.mean([out[k] for k in keys]))
    return {k: round(float(v), 4) for k, v in out.items()}


MATCH_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 1000.0)


def choose_match_weight(model: StanceModel, data_dir) -> tuple[float, dict]:
    """The weight w of P(agree) in the key-point match score cos + w * P(agree), by ArgKP *train*
    strict mAP (so the dev matching row stays a dev number); 1000 is P(agree) alone in effect."""
    from argmap.embed import load_embedder

    kp = ev.load_argkp(data_dir, "train")
    pairs = kp.candidate_pairs()
    a = [kp.arguments[x]["text"] for x, _ in pairs]
    b = [kp.key_points[k]["text"] for _, k in pairs]
    texts = sorted(set(a) | set(b))
    vec = dict(zip(texts, load_embedder().encode(texts)))
    cos = np.array([float(vec[x] @ vec[y]) for x, y in zip(a, b)])
    agree = model.match(a, b)
    sweep = {w: round(ev.track1_map({p: float(x) for p, x in zip(pairs, cos + w * agree)}, kp)["map_strict"], 4)
             for w in MATCH_WEIGHTS}
    best = max(MATCH_WEIGHTS, key=lambda w: (sweep[w], -w))
    return best, {str(k): v for k, v in sweep.items()}


def choose_topic_rule(model: StanceModel, data_dir) -> tuple[str, dict]:
    """With a topic given (two perspectives of one claim, two claims of one debate topic): read
    the pair directly (``topic [SEP] a`` against b) or compare each side's stance toward the
    topic (same side = agree: the product). Chosen on dev, mean macro-F1 of the two sets."""
    ps, ib = ev.load_perspectrum(data_dir, "dev"), ev.load_claim_stance(data_dir, "dev")
    sets = (ev.perspectrum_pp_pairs(ps), ev.ibm_claim_claim_pairs(ib))
    scores = {}
    for rule in ("direct", "product"):
        model.topic_rule = rule
        scores[rule] = round(float(np.mean([ev.stance_scores(sp.labels, model.stance(sp.a, sp.b, topic=sp.topic))["f1"]
                                            for sp in sets])), 4)
    best = max(scores, key=lambda r: (scores[r], r == "direct"))
    model.topic_rule = best
    return best, scores


def fit_temperature(model: StanceModel, data_dir) -> tuple[float, dict]:
    nli = ev.load_nli(data_dir, "dev")
    logits = model.logits(nli.premise, nli.hypothesis)
    y = np.array([{"neutral": 0, "entailment": 1, "contradiction": 2}[x] for x in nli.label])
    grid = np.round(np.arange(0.5, 3.01, 0.05), 2)
    nll = {float(t): float(-np.log(softmax(logits / t)[np.arange(len(y)), y] + 1e-12).mean()) for t in grid}
    best = min(nll, key=lambda t: (nll[t], t))
    before = ev.nli_scores(nli.label, softmax(logits))["ece"]
    after = ev.nli_scores(nli.label, softmax(logits / best))["ece"]
    return best, {"nll_at_1": round(nll[1.0], 4), "nll": round(nll[best], 4), "ece_nli_dev_before": round(before, 4),
                  "ece_nli_dev_after": round(after, 4)}


def choose_thresholds(model: StanceModel, data_dir, precision: float) -> tuple[dict, dict]:
    from argmap.embed import load_embedder
    from argmap.question import QuestionEncoder
    from argmap.relations import candidate_pairs, decide

    ps = ev.load_perspectrum(data_dir, "dev")
    pool, member = ev.perspective_pool(ps)
    texts = [ps.perspectives[p] for p in pool]
    keys = [str(p) for p in pool]
    cand = candidate_pairs(keys, keys, QuestionEncoder().encode(texts), load_embedder().encode(texts))
    text_of = dict(zip(keys, texts))
    probs = model.relate([text_of[a] for a, _ in cand], [text_of[b] for _, b in cand], floor=0.0)
    table = {}
    for t in GRID:
        kinds = [decide(p, t, t)[0] for p in probs]
        dis = [(int(a), int(b), k) for (a, b), k in zip(cand, kinds) if k == "disagree"]
        agr = [(int(a), int(b), k) for (a, b), k in zip(cand, kinds) if k == "agree"]
        d, a = ev.clash_scores(pool, member, dis), ev.clash_scores(pool, member, agr)
        table[t] = {k: round(v, 4) for k, v in d.items() if not k.startswith("agree_")}
        table[t].update({k: round(v, 4) for k, v in a.items() if k.startswith("agree_")})
    chosen = ok_thresholds(table, precision)
    floor, share = choose_floor(model, [text_of[a] for a, _ in cand], [text_of[b] for _, b in cand], probs, chosen)
    return chosen, {"candidates": len(cand), "perspectives": len(pool), "precision_target": precision,
                    "second_pass_floor": floor, "second_pass_share": share,
                    "grid": {str(t): v for t, v in table.items()}}


def ok_thresholds(table: dict, precision: float) -> dict:
    chosen = {}
    for kind, key in PRECISION_KEY.items():
        ok = [t for t in GRID if table[t][key] >= precision and table[t][f"{kind}_found"] > 0]
        chosen[kind] = min(ok) if ok else max(GRID)
    return chosen


def choose_floor(model: StanceModel, a: list[str], b: list[str], full: np.ndarray, thresholds: dict):
    """The largest second-pass floor (StanceModel.relate) at which no dev decision changes, and
    the share of pairs that then need the reverse reading."""
    from argmap.relations import decide

    def decisions(probs):
        return [decide(p, thresholds["agree"], thresholds["disagree"])[0] for p in probs]

    want = decisions(full)
    lo, hi = [min(x, y) for x, y in zip(a, b)], [max(x, y) for x, y in zip(a, b)]
    first, rev = model.probabilities(lo, hi), model.probabilities(hi, lo)
    best = (0.0, 1.0)
    for floor in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
        twice = np.maximum(first[:, 1], first[:, 2]) >= floor
        lazy = np.where(twice[:, None], (first + rev) / 2, first)
        if decisions(lazy) != want:
            break
        best = (floor, round(float(twice.mean()), 4))
    return best


THRESHOLDS_NOTE = ("lowest P(disagree) / P(agree) (two-way) whose relations are right at least {precision:.0%} "
                   "of the time end to end on pooled PERSPECTRUM dev perspectives, among the pairs the gold "
                   "judges (two perspectives of one claim)")


def rethreshold(data_dir, ship: Path, precision: float) -> None:
    """Step 3 alone, for the model already shipped: new thresholds, floor and sweep in config.json."""
    t0 = time.time()
    model = StanceModel.load(ship)
    thresholds, sweep = choose_thresholds(model, data_dir, precision)
    config = json.loads((ship / CONFIG_FILE).read_text(encoding="utf-8"))
    config.update({"thresholds": thresholds, "second_pass_floor": sweep["second_pass_floor"],
                   "thresholds_note": THRESHOLDS_NOTE.format(precision=precision), "threshold_sweep": sweep,
                   "rethresholded_by": "scripts/select_stance.py " + " ".join(sys.argv[1:])})
    tmp = ship / (CONFIG_FILE + ".tmp")
    tmp.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    tmp.replace(ship / CONFIG_FILE)
    log(f"thresholds {thresholds}, second-pass floor {sweep['second_pass_floor']} ({time.time() - t0:.0f}s)")
    update_manifest(ship)


def select(data_dir, run: Path, ship: Path, precision: float = 0.8) -> None:
    t0 = time.time()
    training = json.loads((run / "training.json").read_text()) if (run / "training.json").is_file() else {}
    max_length = int(training.get("max_length", 128))
    dirs = sorted(p for p in run.iterdir() if p.is_dir() and (p / ADAPTER_FILES[1]).is_file())
    if not dirs:
        raise SystemExit(f"{run}: no saved adapters")
    scored = {}
    for d in dirs:
        model = StanceModel.load(d, config={"max_length": max_length})
        scored[d.name] = dev_scores(model, data_dir)
        log(f"{d.name}: {scored[d.name]} ({time.time() - t0:.0f}s)")
    best = max(scored, key=lambda k: (scored[k]["selection_mean"], k))
    model = StanceModel.load(run / best, config={"max_length": max_length})
    temperature, calib = fit_temperature(model, data_dir)
    log(f"chose {best}; temperature {temperature} ({calib})")
    model.temperature = temperature
    match_weight, match_sweep = choose_match_weight(model, data_dir)
    log(f"match weight {match_weight} on ArgKP train ({match_sweep})")
    topic_rule, topic_scores = choose_topic_rule(model, data_dir)
    log(f"topic rule {topic_rule} on dev ({topic_scores})")
    thresholds, sweep = choose_thresholds(model, data_dir, precision)
    log(f"thresholds {thresholds}, second-pass floor {sweep['second_pass_floor']} "
        f"({sweep['second_pass_share']:.0%} of pairs read twice) ({time.time() - t0:.0f}s)")
    ship.mkdir(parents=True, exist_ok=True)
    for name in ADAPTER_FILES:
        shutil.copyfile(run / best / name, ship / name)
    config = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": "argmap-stance", "version": "5",
        "classes": ["neither", "agree", "disagree"], "max_length": max_length,
        "temperature": temperature, "temperature_note": "fitted on the NLI dev part (least NLL), " + json.dumps(calib),
        "thresholds": thresholds, "second_pass_floor": sweep["second_pass_floor"],
        "match_agree_weight": match_weight,
        "match_note": "key-point match score = plain cosine + w * P(agree); w chosen on ArgKP train strict mAP "
                      + json.dumps(match_sweep),
        "topic_rule": topic_rule,
        "topic_rule_note": "with a topic: 'direct' reads topic [SEP] a against b; 'product' multiplies each "
                           "side's stance toward the topic; chosen on dev (mean F1 of PERSPECTRUM perspective "
                           "pairs and IBM claim pairs) " + json.dumps(topic_scores),
        "thresholds_note": THRESHOLDS_NOTE.format(precision=precision),
        "threshold_sweep": sweep,
        "chosen": best, "dev_by_checkpoint": scored,
        "base": "all-MiniLM-L6-v2 (bundled)", "training": training,
        "inference": {"runtime": "onnxruntime", "precision": "fp32"},  # what it was scored and thresholded at
        "selected_by": "scripts/select_stance.py " + " ".join(sys.argv[1:]),
    }
    (ship / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    log(f"shipped {run / best} into {ship} ({time.time() - t0:.0f}s)")
    update_manifest(ship)


def update_manifest(ship: Path) -> None:
    """The shipped adapter's new hashes into argmap/resources/manifest.json (argmap checks them at load)."""
    from argmap.stance import default_path

    if ship.resolve() == default_path().resolve():
        subprocess.run([sys.executable, str(Path(__file__).with_name("write_manifest.py"))], check=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("run", type=Path, nargs="?")
    ap.add_argument("--ship", type=Path, default=Path(__file__).resolve().parents[1] / "argmap/resources/stance")
    ap.add_argument("--precision", type=float, default=0.8)
    ap.add_argument("--rethreshold", action="store_true", help="redo only the thresholds of the shipped model")
    args = ap.parse_args(argv)
    if args.rethreshold:
        rethreshold(args.data_dir, args.ship, args.precision)
    elif args.run is None:
        ap.error("RUN is required (unless --rethreshold)")
    else:
        select(args.data_dir, args.run, args.ship, args.precision)


if __name__ == "__main__":
    main()
