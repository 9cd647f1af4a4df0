#!/usr/bin/env python
"""Train argmap's pair model (match + stance) on the *train* splits; choose on dev.

    .venv/bin/python scripts/train_pairmodel.py /work/shared/data --out argmap/resources/pairmodel

Seeded and reproducible on one machine (fixed seed, fixed data order, torch deterministic
CPU kernels, fixed number of steps). Multi-task training pairs, all from train splits:

* ArgKP train: labelled (argument, key point) pairs -> match; (argument, key point) of the
  same topic with same / opposite stance -> stance agree / disagree (input with topic).
* PERSPECTRUM train: (perspective, claim) -> support / undermine; perspective pairs of one
  claim: same / opposite stance -> agree / disagree (topic = the claim); same cluster vs
  different cluster of the same stance -> match 1 / 0.
* IBM claim stance train topics (minus the held-out dev topics): (claim, topic) PRO/CON;
  claim pairs of one topic -> agree / disagree (input with topic).

* Augmentation (train sentences only): (s, negate(s)) and (negate(s), s) -> disagree
  (argmap.negation); neutral pairs (perspectives of different claims sharing a topic label,
  ArgKP arguments of different topics) -> stance target 0.5; claim-claim stance pairs in both
  orders, with the topic prefix on half of them.

The model is scored on dev after the last step (ArgKP strict mAP + PERSPECTRUM
perspective-claim stance macro-F1; --dev-each-epoch scores every epoch and keeps the best),
match_ce_scale is swept on ArgKP dev, and dev negation / symmetry checks go into config.json.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402
from argmap.pairmodel import FORMAT, FORMAT_VERSION, CONFIG_FILE, WEIGHTS_FILE, build_network  # noqa: E402
from argmap.embed import bundled_model_dir, BUNDLED_SHA256  # noqa: E402

MATCH, STANCE = 0, 1


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def build_examples(data_dir: str, rng: random.Random, sizes: dict) -> list[tuple]:
    """(first, second, task, label 0/1); first may be 'topic [SEP] a'."""
    ex = []
    # --- ArgKP
    kp = ev.load_argkp(data_dir, "train")
    for (aid, kid), lab in sorted(kp.labels.items()):
        if aid in kp.arguments and kid in kp.key_points:
            ex.append((kp.arguments[aid]["text"], kp.key_points[kid]["text"], MATCH, lab))
    kps_by_topic = defaultdict(list)
    for kid, k in sorted(kp.key_points.items()):
        kps_by_topic[k["topic"]].append(k)
    st = []
    for aid, a in sorted(kp.arguments.items()):
        cands = kps_by_topic[a["topic"]]
        same = [k for k in cands if k["stance"] == a["stance"]]
        opp = [k for k in cands if k["stance"] != a["stance"]]
        if same and opp:
            k1, k2 = rng.choice(same), rng.choice(opp)
            st.append((a["text"], k1["text"], 1, a["topic"]))
            st.append((a["text"], k2["text"], 0, a["topic"]))
    for x, y, lab, t in rng.sample(st, min(sizes["argkp_stance"], len(st))):
        ex += both_orders(x, y, lab, t, rng)
    # --- PERSPECTRUM
    ps = ev.load_perspectrum(data_dir, "train")
    pc = ev.perspectrum_claim_pairs(ps)
    ex += [(x, y, STANCE, int(l > 0)) for x, y, l in zip(pc.a, pc.b, pc.labels)]
    pp = ev.perspectrum_pp_pairs(ps, per_claim=sizes["pp_per_claim"], seed=rng.randint(0, 10**6))
    for x, y, l, t in zip(pp.a, pp.b, pp.labels, pp.topic):
        ex += both_orders(x, y, int(l > 0), t, rng)
    pos, neg = [], []
    for c in ps.claims:
        for ci, cl in enumerate(c["clusters"]):
            pids = cl["pids"]
            for i in range(len(pids)):
                for j in range(i + 1, len(pids)):
                    pos.append((ps.perspectives[pids[i]], ps.perspectives[pids[j]], MATCH, 1))
            for cj, cl2 in enumerate(c["clusters"]):
                if cj > ci and cl2["stance"] == cl["stance"]:
                    neg.append((ps.perspectives[rng.choice(pids)], ps.perspectives[rng.choice(cl2["pids"])], MATCH, 0))
    ex += rng.sample(pos, min(sizes["pp_match_pos"], len(pos)))
    ex += rng.sample(neg, min(sizes["pp_match_neg"], len(neg)))
    # --- IBM claim stance
    ib = ev.load_claim_stance(data_dir, "train")
    ct = ev.ibm_claim_topic_pairs(ib)
    ex += [(x, y, STANCE, int(l > 0)) for x, y, l in zip(ct.a, ct.b, ct.labels)]
    cc = ev.ibm_claim_claim_pairs(ib, per_topic=sizes["ibm_cc_per_topic"], seed=rng.randint(0, 10**6))
    for x, y, l, t in zip(cc.a, cc.b, cc.labels, cc.topic):
        ex += both_orders(x, y, int(l > 0), t, rng)
    return ex


def both_orders(x, y, label, topic, rng):
    """A claim-claim style stance pair in both orders (stance is symmetric); the topic
    prefix (as in the dev evaluation) on half of the pairs, none on the rest (as in real use)."""
    if rng.random() < 0.5:
        return [(f"{topic} [SEP] {x}", y, STANCE, label), (f"{topic} [SEP] {y}", x, STANCE, label)]
    return [(x, y, STANCE, label), (y, x, STANCE, label)]


def negation_pairs(data_dir: str, rng: random.Random, n_sentences: int) -> tuple[list[tuple], int]:
    """(s, negate(s)) and (negate(s), s) -> stance disagree, from train-split sentences only:
    ArgKP key points and arguments, PERSPECTRUM train claims and their perspectives, IBM
    claim stance train-topic claims (minus the held-out dev topics)."""
    from argmap.claims import nlp as load_nlp
    from argmap.negation import negate

    kp = ev.load_argkp(data_dir, "train")
    ps = ev.load_perspectrum(data_dir, "train")
    ib = ev.load_claim_stance(data_dir, "train")
    pool = sorted({k["text"] for k in kp.key_points.values()} | {a["text"] for a in kp.arguments.values()}
                  | {c["text"] for c in ps.claims}
                  | {ps.perspectives[p] for c in ps.claims for cl in c["clusters"] for p in cl["pids"]}
                  | {c["text"] for t in ib.topics for c in t["claims"]})
    pool = [t for t in pool if 3 <= len(t.split()) <= 40]
    cand = rng.sample(pool, min(len(pool), int(n_sentences * 1.6)))
    nlp = load_nlp()
    docs = dict(zip(cand, nlp.pipe(cand, batch_size=64)))
    out, used = [], 0
    for t in cand:
        n = negate(t, lambda x, _d=docs: _d[x])
        if not n or n.strip() == t.strip():
            continue
        out += [(t, n, STANCE, 0), (n, t, STANCE, 0)]
        used += 1
        if used >= n_sentences:
            break
    return out, len(pool)


CONNECTIVES = ("But ", "And ", "Yet ", "Still, ", "However, ", "Indeed, ", "In the end, ", "But in the end, ",
               "In fact, ", "Of course, ")


def contrast_pairs(ex, rng: random.Random, n_pairs: int) -> list[tuple]:
    """Contrast sets against the "not" shortcut (v3): for stance pairs (a, b) without a topic
    prefix whose sides both negate, (not-a, not-b) keeps the label and (not-a, b) flips it, so
    a negation word alone no longer means "disagree"; the relation between the two does."""
    from argmap.claims import nlp as load_nlp
    from argmap.negation import negate

    cand = [e for e in ex if e[2] == STANCE and e[3] in (0, 1) and " [SEP] " not in e[0]]
    cand = rng.sample(cand, min(len(cand), int(n_pairs * 1.6)))
    texts = sorted({t for e in cand for t in e[:2]})
    nlp = load_nlp()
    docs = dict(zip(texts, nlp.pipe(texts, batch_size=64)))
    out = []
    for a, b, task, lab in cand:
        na, nb = negate(a, lambda x: docs[x]), negate(b, lambda x: docs[x])
        if not na or not nb:
            continue
        out += [(na, nb, STANCE, lab), (na, b, STANCE, 1 - lab)]
        if len(out) >= 2 * n_pairs:
            break
    return out


def same_point_pairs(ex, rng: random.Random, n_pairs: int, n_identity: int) -> list[tuple]:
    """Two texts that make the same point agree (v4): labelled matches (ArgKP argument -> key
    point, PERSPECTRUM perspectives of one cluster) as stance agree, in both orders, and a text
    with itself; without them the contrast pairs taught "no shared negation = no stance"."""
    pos = [e for e in ex if e[2] == MATCH and e[3] == 1]
    out = []
    for a, b, _, _ in rng.sample(pos, min(len(pos), n_pairs)):
        out += [(a, b, STANCE, 1), (b, a, STANCE, 1)]
    texts = sorted({t for e in pos for t in e[:2]})
    for t in rng.sample(texts, min(len(texts), n_identity)):
        out.append((t, t, STANCE, 1))
    return out


def wrap_discourse(ex, rng: random.Random, share: float) -> tuple[list[tuple], int]:
    """Robustness to how claims read in articles (v3): a share of stance pairs without a topic
    prefix get a discourse connective before one side ("But in the end, it ..."); label kept."""
    out, n = [], 0
    for e in ex:
        if e[2] == STANCE and " [SEP] " not in e[0] and rng.random() < share:
            side = rng.randrange(2)
            text = e[side]
            wrapped = rng.choice(CONNECTIVES) + text[:1].lower() + text[1:]
            e = (wrapped, e[1], *e[2:]) if side == 0 else (e[0], wrapped, *e[2:])
            n += 1
        out.append(e)
    return out, n


def neutral_pairs(data_dir: str, rng: random.Random, n_persp: int, n_argkp: int) -> list[tuple]:
    """Pairs on a shared broad subject that neither support nor undermine each other ->
    stance target 0.5 (stance 0), both orders: perspectives of two different PERSPECTRUM
    train claims sharing a topic label (claims.json "topics"), and ArgKP train arguments
    of two different topics."""
    raw = ev._read_json(Path(data_dir) / "perspectrum" / "claims.json")
    topics_of = {int(c["cId"]): tuple(c.get("topics") or ()) for c in raw}
    ps = ev.load_perspectrum(data_dir, "train")
    by_label = defaultdict(list)
    for c in ps.claims:
        for lab in topics_of.get(c["id"], ()):
            by_label[lab].append(c)
    labels = sorted(k for k, v in by_label.items() if len(v) >= 2)
    out = []
    for _ in range(n_persp):
        c1, c2 = rng.sample(by_label[rng.choice(labels)], 2)
        p1 = ps.perspectives[rng.choice(rng.choice(c1["clusters"])["pids"])]
        p2 = ps.perspectives[rng.choice(rng.choice(c2["clusters"])["pids"])]
        out += [(p1, p2, STANCE, 0.5), (p2, p1, STANCE, 0.5)]
    kp = ev.load_argkp(data_dir, "train")
    by_topic = defaultdict(list)
    for aid, a in sorted(kp.arguments.items()):
        by_topic[a["topic"]].append(a["text"])
    tops = sorted(by_topic)
    for _ in range(n_argkp):
        t1, t2 = rng.sample(tops, 2)
        x, y = rng.choice(by_topic[t1]), rng.choice(by_topic[t2])
        out += [(x, y, STANCE, 0.5), (y, x, STANCE, 0.5)]
    return out


def make_batches(ex, batch_size, rng):
    idx = list(range(len(ex)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s:s + chunk], key=lambda i: len(ex[i][0]) + len(ex[i][1]))
        batches += [part[k:k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def dev_scores(net, tokenizer, data_dir, max_length, base_ln):
    from argmap.pairmodel import PairModel

    model = PairModel(net, tokenizer, {"max_length": max_length}, Path("."), base_layernorm=dict(base_ln))
    net.eval()
    kp = ev.load_argkp(data_dir, "dev")
    pairs = kp.candidate_pairs()
    m = model.match([kp.arguments[a]["text"] for a, _ in pairs], [kp.key_points[k]["text"] for _, k in pairs])
    maps = ev.track1_map({p: float(s) for p, s in zip(pairs, m)}, kp)
    ps = ev.load_perspectrum(data_dir, "dev")
    pc = ev.perspectrum_claim_pairs(ps)
    st = ev.stance_scores(pc.labels, model.stance(pc.a, pc.b))
    net.train()
    return {**maps, "pc_accuracy": st["accuracy"], "pc_f1": st["f1"]}


def behaviour_checks(model, data_dir, n_persp: int = 300, seed: int = 0) -> dict:
    """Dev-only checks of what the dev metrics do not show (no topic, as in real use):
    negation: share of stance(s, negate(s)) and stance(negate(s), s) below -0.5 for ArgKP
    dev key points and a sample of PERSPECTRUM dev perspectives; symmetry: mean
    |stance(a, b) - stance(b, a)| over dev perspective-perspective and IBM claim-claim pairs;
    paraphrase / identity: share of two-way stance below -0.5 (a false disagreement) for 300
    pairs of perspectives from one dev cluster and for 100 texts paired with themselves."""
    from argmap.claims import nlp as load_nlp
    from argmap.negation import negate

    rng = random.Random(seed)
    kp = ev.load_argkp(data_dir, "dev")
    ps = ev.load_perspectrum(data_dir, "dev")
    persp = sorted({ps.perspectives[p] for c in ps.claims for cl in c["clusters"] for p in cl["pids"]})
    sents = sorted({k["text"] for k in kp.key_points.values()}) + rng.sample(persp, min(n_persp, len(persp)))
    nlp = load_nlp()
    pairs = [(t, n) for t in sents if (n := negate(t, nlp))]
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    fwd, rev = np.asarray(model.stance(a, b)), np.asarray(model.stance(b, a))
    both = np.concatenate([fwd, rev])
    pp = ev.perspectrum_pp_pairs(ps, per_claim=10, seed=seed)
    cc = ev.ibm_claim_claim_pairs(ev.load_claim_stance(data_dir, "dev"), per_topic=100, seed=seed)
    sa, sb = pp.a + cc.a, pp.b + cc.b
    s1, s2 = np.asarray(model.stance(sa, sb)), np.asarray(model.stance(sb, sa))
    lab = np.asarray(pp.labels + cc.labels)
    # same point: two perspectives of one dev cluster (paraphrases) and a text with itself must
    # not read as a disagreement (both orders averaged, as argmap scores relations)
    same = sorted((ps.perspectives[cl["pids"][0]], ps.perspectives[cl["pids"][1]])
                  for c in ps.claims for cl in c["clusters"] if len(cl["pids"]) >= 2)
    same = rng.sample(same, min(300, len(same)))
    ident = [(t, t) for t in sents[:100]]
    out_same = {}
    for name, group in (("paraphrase", same), ("identity", ident)):
        x, y = [p[0] for p in group], [p[1] for p in group]
        two = (np.asarray(model.stance(x, y)) + np.asarray(model.stance(y, x))) / 2
        out_same[f"{name}_pairs"] = len(group)
        out_same[f"{name}_share_below_-0.5"] = round(float((two < -0.5).mean()), 4)
        out_same[f"{name}_mean"] = round(float(two.mean()), 4)
    return {**out_same,
        "negation_pairs": len(pairs),
        "negation_share_below_-0.5": round(float((both < -0.5).mean()), 4),
        "negation_share_below_0": round(float((both < 0).mean()), 4),
        "negation_mean": round(float(both.mean()), 4),
        "symmetry_pairs": len(sa),
        "symmetry_mean_abs_diff": round(float(np.abs(s1 - s2).mean()), 4),
        "claim_claim_no_topic_f1_mean_of_orders": round(ev.stance_scores(lab, (s1 + s2) / 2)["f1"], 4),
    }


CE_SCALES = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5)


def choose_ce_scale(net, tokenizer, data_dir, max_length, base_ln):
    """Pick the weight of the cross-encoder logit against the cosine term on ArgKP dev."""
    import torch
    from argmap.pairmodel import PairModel

    model = PairModel(net, tokenizer, {"max_length": max_length}, Path("."), base_layernorm=dict(base_ln))
    net.eval()
    kp = ev.load_argkp(data_dir, "dev")
    pairs = kp.candidate_pairs()
    a = [kp.arguments[x]["text"] for x, _ in pairs]
    b = [kp.key_points[k]["text"] for _, k in pairs]
    ml, _ = model._pair_logits(a, b)
    cos = model._cosines(a, b)
    sweep = {}
    with torch.no_grad():
        for g in CE_SCALES:
            logit = net.match_logit(torch.from_numpy(ml) * g, torch.from_numpy(cos)).numpy()
            sweep[g] = round(ev.track1_map({p: float(x) for p, x in zip(pairs, logit)}, kp)["map_strict"], 4)
    best = max(CE_SCALES, key=lambda g: (sweep[g], -abs(g - 1.0)))
    return best, {str(k): v for k, v in sweep.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "argmap/resources/pairmodel"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=1800,
                    help="stop after this many steps; the LR schedule decays to 0 there (0 = all epochs; "
                         "the shipped model: 1800 of 2 x 1302, to fit 30 min on 2 cores)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (1: robust when other work shares the 2 cores; the shipped model used 1)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--match-neg-keep", type=float, default=0.5,
                    help="fraction of non-matching match pairs kept (speed)")
    ap.add_argument("--no-dev", action="store_true", help="skip the dev scoring (pilot runs)")
    ap.add_argument("--dev-each-epoch", action="store_true",
                    help="score dev after every epoch and keep the best (default: only after the last, for time)")
    ap.add_argument("--negation", type=int, default=1600, help="train sentences negated (x2 pairs)")
    ap.add_argument("--neutral-persp", type=int, default=1000, help="neutral PERSPECTRUM pairs (x2 orders)")
    ap.add_argument("--neutral-argkp", type=int, default=400, help="neutral ArgKP pairs (x2 orders)")
    ap.add_argument("--contrast", type=int, default=1500,
                    help="contrast stance pairs (not-a, not-b) / (not-a, b), x2 (0 = off, as in v2)")
    ap.add_argument("--wrap", type=float, default=0.2,
                    help="share of stance pairs with a discourse connective before one side (0 = off, as in v2)")
    ap.add_argument("--same-point", type=int, default=1500,
                    help="matching pairs also labelled stance agree, x2 orders (0 = off, as in v2/v3)")
    ap.add_argument("--identity", type=int, default=400, help="(s, s) -> agree pairs (0 = off, as in v2/v3)")
    ap.add_argument("--check", metavar="MODEL_DIR",
                    help="only run the dev behaviour checks on a trained model and print them as JSON")
    ap.add_argument("--version", default="4", help="config version (keys argmap's analysis cache)")
    args = ap.parse_args(argv)

    if args.check:
        from argmap.pairmodel import PairModel

        print(json.dumps(behaviour_checks(PairModel.load(args.check), args.data_dir)))
        return

    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    t0 = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    # claim-claim stance pairs come in both orders, so half as many unique pairs as before
    sizes = {"argkp_stance": 3000, "pp_per_claim": 6, "pp_match_pos": 2000, "pp_match_neg": 2000,
             "ibm_cc_per_topic": 30, "negation_sentences": args.negation, "neutral_persp": args.neutral_persp,
             "neutral_argkp": args.neutral_argkp}
    ex = build_examples(args.data_dir, rng, sizes)
    if args.match_neg_keep < 1.0:
        ex = [e for e in ex if not (e[2] == MATCH and e[3] == 0 and rng.random() > args.match_neg_keep)]
    kinds = defaultdict(int)
    for e in ex:
        kinds[f"{'match' if e[2] == MATCH else 'stance'}_{e[3]}"] += 1
    neg, pool_n = negation_pairs(args.data_dir, rng, sizes["negation_sentences"])
    log(f"negation: {len(neg) // 2} of {pool_n} train sentences negated ({time.time() - t0:.0f}s)")
    neu = neutral_pairs(args.data_dir, rng, sizes["neutral_persp"], sizes["neutral_argkp"])
    kinds["stance_0_negation"] = len(neg)
    kinds["stance_0.5_neutral"] = len(neu)
    con = contrast_pairs(ex, rng, args.contrast) if args.contrast else []
    kinds["stance_contrast"] = len(con)
    log(f"contrast: {len(con)} pairs ({time.time() - t0:.0f}s)")
    same = same_point_pairs(ex, rng, args.same_point, args.identity) if args.same_point or args.identity else []
    kinds["stance_1_same_point"] = len(same)
    ex += neg + neu + con + same
    if args.wrap:
        ex, n_wrapped = wrap_discourse(ex, rng, args.wrap)
        kinds["stance_wrapped_connective"] = n_wrapped
    counts = defaultdict(int)
    for e in ex:
        counts[(e[2], e[3])] += 1
    log(f"{len(ex)} training pairs: " + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())))

    # plain cosine of each match pair (the network with adapters off == the bundled embedder)
    base = bundled_model_dir()
    net = build_network(base, r=args.rank, alpha=args.alpha)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    from argmap.pairmodel import PairModel

    base_ln = {n: p.detach().clone() for n, p in net.named_parameters() if "LayerNorm" in n}
    helper = PairModel(net, tokenizer, {"max_length": args.max_length}, Path("."))
    net.eval()
    texts = sorted({t for e in ex if e[2] == MATCH for t in e[:2]})
    vec = helper.embed(texts)
    pos = {t: i for i, t in enumerate(texts)}
    cos = np.array([float(vec[pos[e[0]]] @ vec[pos[e[1]]]) if e[2] == MATCH else 0.0 for e in ex], dtype=np.float32)
    log(f"cosines of {len(texts)} match texts done ({time.time() - t0:.0f}s)")

    params = [p for n, p in net.named_parameters() if p.requires_grad]
    n_train = sum(p.numel() for p in params)
    decay = [p for n, p in net.named_parameters() if p.requires_grad and "lora_" in n]
    no_decay = [p for n, p in net.named_parameters() if p.requires_grad and "lora_" not in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr)
    per_epoch = (len(ex) + args.batch_size - 1) // args.batch_size
    total = per_epoch * args.epochs
    if args.max_steps:
        total = min(total, args.max_steps)
    warm = max(1, int(0.05 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    log(f"{n_train} trainable parameters; {total} steps of {args.batch_size}")
    net.train()
    step, best, history = 0, None, []
    for epoch in range(args.epochs):
        run_loss, t_ep = 0.0, time.time()
        for batch in make_batches(ex, args.batch_size, rng):
            if step >= total:
                break
            enc = tokenizer([ex[i][0] for i in batch], [ex[i][1] for i in batch], truncation="longest_first",
                            max_length=args.max_length, padding=True, return_tensors="pt")
            task = torch.tensor([ex[i][2] for i in batch])
            y = torch.tensor([float(ex[i][3]) for i in batch])
            ml, sl = net(dict(enc))
            ml = net.match_logit(ml, torch.from_numpy(cos[batch]))
            logit = torch.where(task == MATCH, ml, sl)
            loss = bce(logit, y).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            if step % 50 == 0:
                el = time.time() - t_ep
                log(f"epoch {epoch + 1} step {step}/{total} loss {run_loss / 50:.4f} "
                    f"({el / (step - epoch * per_epoch):.2f}s/step)")
                run_loss = 0.0
        if args.no_dev or (not args.dev_each_epoch and epoch + 1 < args.epochs and step < total):
            best = (0.0, net.trainable_state(), epoch + 1, {})
            continue
        scores = dev_scores(net, tokenizer, args.data_dir, args.max_length, base_ln)
        key = scores["map_strict"] + scores["pc_f1"]
        history.append({"epoch": epoch + 1, "step": step, **{k: round(v, 4) for k, v in scores.items()}})
        log(f"dev after epoch {epoch + 1}: {scores}")
        if best is None or not best[3] or key > best[0]:
            best = (key, net.trainable_state(), epoch + 1, scores)
        if step >= total:
            break

    ce_scale, sweep = 1.0, {}
    if not args.no_dev:
        with torch.no_grad():
            own = dict(net.named_parameters())
            for n, t in best[1].items():
                own[n].copy_(t)
        ce_scale, sweep = choose_ce_scale(net, tokenizer, args.data_dir, args.max_length, base_ln)
        log(f"match_ce_scale {ce_scale} chosen on ArgKP dev strict mAP: {sweep}")
        from argmap.pairmodel import PairModel

        net.eval()
        try:
            checks = behaviour_checks(PairModel(net, tokenizer, {"max_length": args.max_length}, Path(".")),
                                      args.data_dir)
        except Exception as e:  # noqa: BLE001 - a failed check must not lose the trained weights
            checks = {"error": repr(e)}
        log(f"dev behaviour checks: {checks}")
    else:
        checks = {}
    wall = time.time() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file(best[1], str(out / WEIGHTS_FILE))
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": "argmap-pairmodel-minilm-lora",
        "version": args.version,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base": "all-MiniLM-L6-v2 (bundled, sha256 " + BUNDLED_SHA256 + ")",
        "lora": {"r": args.rank, "alpha": args.alpha, "targets": "all attention and feed-forward linears"},
        "max_length": args.max_length,
        "match_ce_scale": ce_scale,
        "match_ce_scale_note": "weight of the cross-encoder logit against the learned cosine term in match(); "
                               "chosen on ArgKP dev strict mAP from the grid " + json.dumps(sweep),
        "training": {
            "command": "scripts/train_pairmodel.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "seed": args.seed, "epochs": args.epochs, "steps": step, "batch_size": args.batch_size,
            "lr": args.lr, "pairs": len(ex), "pair_counts": dict(sorted(kinds.items())),
            "pair_counts_by_target": {f"{'match' if t == 0 else 'stance'}_{l}": n for (t, l), n in sorted(counts.items())},
            "sizes": sizes,
            "augmentation": "negation: argmap.negation.negate on train-split sentences, (s, not-s) and (not-s, s) "
                            "-> disagree; neutral: perspectives of two different PERSPECTRUM train claims sharing a "
                            "topic label and ArgKP train arguments of two different topics -> stance target 0.5; "
                            "claim-claim stance pairs (ArgKP, perspective-perspective, IBM) in both orders, topic "
                            "prefix on half of them"
                            + (f"; contrast (v3): {args.contrast} x (not-a, not-b) keeps the label and (not-a, b) flips "
                               "it" if args.contrast else "")
                            + (f"; same point (v4): {args.same_point} matching pairs x2 orders and {args.identity} "
                               "(s, s) pairs -> agree" if args.same_point or args.identity else "")
                            + (f"; discourse wrap (v3): a connective before one side of {args.wrap:.0%} of stance "
                               "pairs without a topic" if args.wrap else ""),
            "sources": "ArgKP train, PERSPECTRUM train, IBM claim stance train topics minus "
                       + ",".join(map(str, ev.IBM_DEV_TOPICS)),
            "trainable_parameters": n_train, "wall_seconds": round(wall, 1),
            "torch_threads": torch.get_num_threads(), "chosen_epoch": best[2],
            "dev_history": history,
            "dev_behaviour_checks": checks,
        },
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    log(f"saved {out} ({(out / WEIGHTS_FILE).stat().st_size / 1e6:.1f} MB) after {wall:.0f}s")


if __name__ == "__main__":
    main()
