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

After each epoch the model is scored on dev (ArgKP strict mAP + PERSPECTRUM
perspective-claim stance macro-F1) and the best epoch is kept.
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
            st.append((f"{a['topic']} [SEP] {a['text']}", k1["text"], STANCE, 1))
            st.append((f"{a['topic']} [SEP] {a['text']}", k2["text"], STANCE, 0))
    ex += rng.sample(st, min(sizes["argkp_stance"], len(st)))
    # --- PERSPECTRUM
    ps = ev.load_perspectrum(data_dir, "train")
    pc = ev.perspectrum_claim_pairs(ps)
    ex += [(x, y, STANCE, int(l > 0)) for x, y, l in zip(pc.a, pc.b, pc.labels)]
    pp = ev.perspectrum_pp_pairs(ps, per_claim=sizes["pp_per_claim"], seed=rng.randint(0, 10**6))
    for x, y, l, t in zip(pp.a, pp.b, pp.labels, pp.topic):
        if rng.random() < 0.5:
            x, y = y, x
        ex.append((f"{t} [SEP] {x}", y, STANCE, int(l > 0)))
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
    ex += [(f"{t} [SEP] {x}", y, STANCE, int(l > 0)) for x, y, l, t in zip(cc.a, cc.b, cc.labels, cc.topic)]
    return ex


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
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = all epochs)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--match-neg-keep", type=float, default=0.5,
                    help="fraction of non-matching match pairs kept (speed)")
    ap.add_argument("--no-dev", action="store_true", help="skip the dev scoring (pilot runs)")
    args = ap.parse_args(argv)

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
    rng = random.Random(args.seed)
    sizes = {"argkp_stance": 6000, "pp_per_claim": 12, "pp_match_pos": 3000, "pp_match_neg": 3000,
             "ibm_cc_per_topic": 60}
    ex = build_examples(args.data_dir, rng, sizes)
    if args.match_neg_keep < 1.0:
        ex = [e for e in ex if not (e[2] == MATCH and e[3] == 0 and rng.random() > args.match_neg_keep)]
    counts = defaultdict(int)
    for e in ex:
        counts[(e[2], e[3])] += 1
    log(f"{len(ex)} training pairs: " + ", ".join(f"{'match' if t == 0 else 'stance'}={l}: {n}" for (t, l), n in sorted(counts.items())))

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
        if args.no_dev:
            best = (0.0, net.trainable_state(), epoch + 1, {})
            continue
        scores = dev_scores(net, tokenizer, args.data_dir, args.max_length, base_ln)
        key = scores["map_strict"] + scores["pc_f1"]
        history.append({"epoch": epoch + 1, "step": step, **{k: round(v, 4) for k, v in scores.items()}})
        log(f"dev after epoch {epoch + 1}: {scores}")
        if best is None or key > best[0]:
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
    wall = time.time() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file(best[1], str(out / WEIGHTS_FILE))
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": "argmap-pairmodel-minilm-lora",
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
            "lr": args.lr, "pairs": len(ex), "pair_counts": {f"{'match' if t == 0 else 'stance'}_{l}": n for (t, l), n in sorted(counts.items())},
            "sources": "ArgKP train, PERSPECTRUM train, IBM claim stance train topics minus "
                       + ",".join(map(str, ev.IBM_DEV_TOPICS)),
            "trainable_parameters": n_train, "wall_seconds": round(wall, 1),
            "torch_threads": torch.get_num_threads(), "chosen_epoch": best[2],
            "dev_history": history,
        },
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    log(f"saved {out} ({(out / WEIGHTS_FILE).stat().st_size / 1e6:.1f} MB) after {wall:.0f}s")


if __name__ == "__main__":
    main()
