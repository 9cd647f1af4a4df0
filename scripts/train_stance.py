#!/usr/bin/env python
"""Train argmap's stance model v5: three-way (neither / agree / disagree) over claim pairs.

    .venv/bin/python scripts/train_stance.py ../shared/data --out /tmp/stance5     # train (about 70 min)
    .venv/bin/python scripts/select_stance.py ../shared/data /tmp/stance5          # choose, calibrate, ship

A sentence-transformers ``CrossEncoder`` over the bundled all-MiniLM-L6-v2 with a PEFT LoRA
adapter (every attention and feed-forward linear, the classifier head trained in full),
trained by ``CrossEncoderTrainer`` with a soft-label cross-entropy. Only the adapter ships
(``adapter_model.safetensors`` + ``adapter_config.json``, a few MB); the base weights are the
bundled model's. Classes: 0 = neither (unrelated / neutral), 1 = agree (supports, entails,
makes the same point), 2 = disagree (contradicts, undermines, argues the other side).

Training pairs, all from train splits (``argmap.evaluate`` loaders; NLI: our own premise-hash
split, ``evaluate.nli_part``, 80% train / 10% dev / 10% test):

* NLI train (MultiNLI dev m+mm, SNLI dev, SICK): entailment -> agree, contradiction ->
  disagree, neutral -> neither; a share of contradiction and neutral pairs also reversed
  (both are symmetric).
* PERSPECTRUM train: perspective -> claim support / undermine -> agree / disagree; perspective
  pairs of one claim: same cluster -> agree, same stance other cluster -> half agree half
  neither (same side, another point), opposite stance -> disagree; perspectives of two claims
  sharing a topic label -> neither.
* ArgKP train: argument -> key point labelled match -> agree, labelled non-match (same topic and
  stance) -> half agree half neither; argument -> key point of the opposite stance -> disagree;
  arguments of two topics -> neither.
* IBM claim stance train topics (minus the dev topics): claim -> topic PRO / CON; claim pairs of
  one topic: same stance -> half agree half neither, opposite -> disagree.
* Augmentation on train sentences (v2-v4): (s, not-s) -> disagree; contrast pairs (not-a, not-b)
  keep the label and (not-a, b) flips it; texts paired with themselves -> agree; a discourse
  connective before one side of a share of pairs.

Claim-claim pairs carry the topic prefix (``topic [SEP] a``) on half of them (the dev
evaluation gives the topic; real use does not). The adapter is saved after every epoch;
``scripts/select_stance.py`` then chooses one on dev, calibrates it and ships it.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402

NEITHER, AGREE, DISAGREE = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
SAME_SIDE = [0.5, 0.5, 0.0]  # same side of a question, another point (--same-side-agree sets the agree share)
OPPOSITE = [0.0, 0.0, 1.0]  # the other side of a debate question (--opposite-disagree sets the disagree share)
CONNECTIVES = ("But ", "And ", "Yet ", "Still, ", "However, ", "Indeed, ", "In the end, ", "But in the end, ",
               "In fact, ", "Of course, ")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def flip(label):
    """agree <-> disagree (what negating one side does to a stance label)."""
    return (label[0], label[2], label[1])


# ----------------------------------------------------------------------------- data


def nli_examples(data_dir, rng, reverse_share: float, snli_contradiction: bool = True,
                 hypothesis_pairs: int = 0, unrelated: int = 0) -> list[tuple]:
    """NLI train pairs. SNLI's "contradiction" means "these two captions cannot describe one
    photo" (a man sleeping / a man running), which teaches that two different facts about one
    subject clash; ``snli_contradiction=False`` leaves those pairs out (v5 phase 3).
    ``hypothesis_pairs``: that many pairs of an entailed and a neutral hypothesis of one MultiNLI
    premise -> neither (two statements on one subject that neither support nor contradict).
    ``unrelated``: that many random pairs of two premises, or of two hypotheses of different
    premises -> neither (SNLI's convention makes two unrelated captions a contradiction;
    ordinary text does not)."""
    d = ev.load_nli(data_dir, "train")
    to = {"entailment": AGREE, "contradiction": DISAGREE, "neutral": NEITHER}
    keep = [(p, h, lab) for p, h, lab, src in zip(d.premise, d.hypothesis, d.label, d.source)
            if snli_contradiction or not (src == "snli" and lab == "contradiction")]
    out = [(p, h, to[lab], "nli") for p, h, lab in keep]
    for p, h, lab in keep:
        if lab != "entailment" and rng.random() < reverse_share:
            out.append((h, p, to[lab], "nli_reversed"))
    if hypothesis_pairs:
        by = defaultdict(lambda: defaultdict(list))
        for p, h, lab, src in zip(d.premise, d.hypothesis, d.label, d.source):
            if src == "mnli":
                by[p][lab].append(h)
        pairs = sorted((e, n) for labs in by.values() for e in labs["entailment"] for n in labs["neutral"])
        for e, n in rng.sample(pairs, min(hypothesis_pairs, len(pairs))):
            out.append((e, n, NEITHER, "nli_hypothesis_pair") if rng.random() < 0.5 else (n, e, NEITHER, "nli_hypothesis_pair"))
    if unrelated:
        premises = sorted(set(d.premise))
        hyps = sorted({(h, p) for p, h in zip(d.premise, d.hypothesis)})
        while unrelated > 0:
            if rng.random() < 0.5:
                a, b = rng.sample(premises, 2)
            else:
                (a, pa), (b, pb) = rng.sample(hyps, 2)
                if pa == pb:
                    continue
            out.append((a, b, NEITHER, "nli_unrelated"))
            unrelated -= 1
    return out


def with_topic(x, y, label, topic, rng, kind):
    """A claim-claim pair in both orders, with the topic prefix on half of them."""
    if rng.random() < 0.5:
        return [(f"{topic} [SEP] {x}", y, label, kind), (f"{topic} [SEP] {y}", x, label, kind)]
    return [(x, y, label, kind), (y, x, label, kind)]


def argument_examples(data_dir, rng, sizes) -> list[tuple]:
    ex = []
    # --- ArgKP
    kp = ev.load_argkp(data_dir, "train")
    labelled = [(a, k, lab) for (a, k), lab in sorted(kp.labels.items()) if a in kp.arguments and k in kp.key_points]
    pos = [(kp.arguments[a]["text"], kp.key_points[k]["text"], AGREE, "argkp_match") for a, k, lab in labelled if lab]
    neg = [(kp.arguments[a]["text"], kp.key_points[k]["text"], tuple(SAME_SIDE), "argkp_same_side")
           for a, k, lab in labelled if not lab]
    ex += pos + rng.sample(neg, min(sizes["argkp_same_side"], len(neg)))
    kps_by = defaultdict(list)
    for kid, k in sorted(kp.key_points.items()):
        kps_by[(k["topic"], k["stance"])].append(k)
    opp = []
    for aid, a in sorted(kp.arguments.items()):
        cands = kps_by.get((a["topic"], -a["stance"]))
        if cands:
            opp.append((a["text"], rng.choice(cands)["text"], tuple(OPPOSITE), "argkp_opposite"))
    ex += rng.sample(opp, min(sizes["argkp_opposite"], len(opp)))
    by_topic = defaultdict(list)
    for aid, a in sorted(kp.arguments.items()):
        by_topic[a["topic"]].append(a["text"])
    tops = sorted(by_topic)
    for _ in range(sizes["argkp_neutral"]):
        t1, t2 = rng.sample(tops, 2)
        ex.append((rng.choice(by_topic[t1]), rng.choice(by_topic[t2]), NEITHER, "argkp_other_topic"))
    # --- PERSPECTRUM
    ps = ev.load_perspectrum(data_dir, "train")
    pc = ev.perspectrum_claim_pairs(ps)
    ex += [(x, y, AGREE if l > 0 else DISAGREE, "persp_claim") for x, y, l in zip(pc.a, pc.b, pc.labels)]
    for c in ps.claims:
        items = [(pid, ci, cl["stance"]) for ci, cl in enumerate(c["clusters"]) for pid in cl["pids"]]
        pairs = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items))]
        for i, j in rng.sample(pairs, min(sizes["pp_per_claim"], len(pairs))):
            (p1, c1, s1), (p2, c2, s2) = items[i], items[j]
            label = AGREE if c1 == c2 else tuple(SAME_SIDE) if s1 == s2 else tuple(OPPOSITE)
            kind = "pp_same_point" if c1 == c2 else "pp_same_side" if s1 == s2 else "pp_opposite"
            ex += with_topic(ps.perspectives[p1], ps.perspectives[p2], label, c["text"], rng, kind)
    raw = ev._read_json(Path(data_dir) / "perspectrum" / "claims.json")
    topics_of = {int(c["cId"]): tuple(c.get("topics") or ()) for c in raw}
    by_label = defaultdict(list)
    for c in ps.claims:
        for lab in topics_of.get(c["id"], ()):
            by_label[lab].append(c)
    labels = sorted(k for k, v in by_label.items() if len(v) >= 2)
    for _ in range(sizes["pp_neutral"]):
        c1, c2 = rng.sample(by_label[rng.choice(labels)], 2)
        p1 = ps.perspectives[rng.choice(rng.choice(c1["clusters"])["pids"])]
        p2 = ps.perspectives[rng.choice(rng.choice(c2["clusters"])["pids"])]
        ex.append((p1, p2, NEITHER, "pp_other_claim"))
    # --- IBM claim stance
    ib = ev.load_claim_stance(data_dir, "train")
    ct = ev.ibm_claim_topic_pairs(ib)
    ex += [(x, y, AGREE if l > 0 else DISAGREE, "ibm_claim_topic") for x, y, l in zip(ct.a, ct.b, ct.labels)]
    cc = ev.ibm_claim_claim_pairs(ib, per_topic=sizes["ibm_cc_per_topic"], seed=rng.randint(0, 10**6))
    for x, y, l, t in zip(cc.a, cc.b, cc.labels, cc.topic):
        ex += with_topic(x, y, tuple(SAME_SIDE) if l > 0 else tuple(OPPOSITE), t, rng, "ibm_claim_claim")
    return ex


def train_sentences(data_dir) -> list[str]:
    kp = ev.load_argkp(data_dir, "train")
    ps = ev.load_perspectrum(data_dir, "train")
    ib = ev.load_claim_stance(data_dir, "train")
    pool = ({k["text"] for k in kp.key_points.values()} | {a["text"] for a in kp.arguments.values()}
            | {c["text"] for c in ps.claims}
            | {ps.perspectives[p] for c in ps.claims for cl in c["clusters"] for p in cl["pids"]}
            | {c["text"] for t in ib.topics for c in t["claims"]})
    return sorted(t for t in pool if 3 <= len(t.split()) <= 40)


def augmented_examples(ex, data_dir, rng, sizes) -> list[tuple]:
    """Negation, contrast and identity pairs (argmap.negation on train sentences)."""
    from argmap.claims import nlp as load_nlp
    from argmap.negation import negate

    nlp = load_nlp()
    pool = train_sentences(data_dir)
    cand = rng.sample(pool, min(len(pool), int(sizes["negation"] * 1.6)))
    stance_pairs = [e for e in ex if e[2] in (AGREE, DISAGREE) and " [SEP] " not in e[0] and e[3] != "nli"]
    contrast = rng.sample(stance_pairs, min(len(stance_pairs), int(sizes["contrast"] * 1.6)))
    texts = sorted(set(cand) | {t for e in contrast for t in e[:2]})
    docs = dict(zip(texts, nlp.pipe(texts, batch_size=64)))
    out = []
    used = 0
    for t in cand:
        n = negate(t, lambda x: docs[x])
        if n and n.strip() != t.strip():
            out += [(t, n, DISAGREE, "negation"), (n, t, DISAGREE, "negation")]
            used += 1
            if used >= sizes["negation"]:
                break
    made = 0
    for a, b, lab, _ in contrast:
        na, nb = negate(a, lambda x: docs[x]), negate(b, lambda x: docs[x])
        if na and nb:
            out += [(na, nb, lab, "contrast_both"), (na, b, flip(lab), "contrast_one")]
            made += 1
            if made >= sizes["contrast"]:
                break
    for t in rng.sample(pool, min(len(pool), sizes["identity"])):
        out.append((t, t, AGREE, "identity"))
    return out


def wrap_discourse(ex, rng, share: float) -> list[tuple]:
    """A connective before one side of a share of pairs without a topic prefix; label kept."""
    out = []
    for e in ex:
        if " [SEP] " not in e[0] and rng.random() < share:
            side = rng.randrange(2)
            text = rng.choice(CONNECTIVES) + e[side][:1].lower() + e[side][1:]
            e = (text, e[1], e[2], e[3] + "+wrap") if side == 0 else (e[0], text, e[2], e[3] + "+wrap")
        out.append(e)
    return out


def build_training_set(data_dir, seed: int, sizes: dict) -> list[tuple]:
    rng = random.Random(seed)
    ex = nli_examples(data_dir, rng, sizes["nli_reverse_share"], sizes["snli_contradiction"],
                      sizes["nli_hypothesis_pairs"], sizes.get("nli_unrelated", 0))
    ex += argument_examples(data_dir, rng, sizes)
    ex += augmented_examples(ex, data_dir, rng, sizes)
    ex = wrap_discourse(ex, rng, sizes["wrap_share"])
    rng.shuffle(ex)
    return ex


# ----------------------------------------------------------------------------- training


def soft_cross_entropy(model):
    """A CrossEncoder loss for soft labels (a probability per class), as ST losses are called."""
    import torch
    from sentence_transformers.util import batch_to_device

    class SoftCrossEntropyLoss(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, inputs, labels, prompt=None, task=None):
            target = torch.stack(labels) if isinstance(labels, list) else labels
            tokens = batch_to_device(self.model.preprocess(list(zip(inputs[0], inputs[1]))), self.model.device)
            logits = self.model(tokens)["scores"]
            return torch.nn.functional.cross_entropy(logits, target.to(logits.dtype))

    return SoftCrossEntropyLoss()


def length_grouped_sampler():
    """A batch sampler that shuffles, then sorts chunks of 50 batches by text length and shuffles
    the batches: far less padding than random batches (2x faster on CPU), order still random."""
    import torch
    from sentence_transformers.base.sampler import DefaultBatchSampler

    class LengthGroupedBatchSampler(DefaultBatchSampler):
        def __init__(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
            super().__init__(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
            self.lengths = [len(x) + len(y) for x, y in zip(dataset["sentence1"], dataset["sentence2"])]

        def __iter__(self):
            g = torch.Generator()
            g.manual_seed(self.seed + getattr(self, "epoch", 0))
            idx = torch.randperm(len(self.lengths), generator=g).tolist()
            chunk = self.batch_size * 50
            batches = []
            for s in range(0, len(idx), chunk):
                part = sorted(idx[s:s + chunk], key=self.lengths.__getitem__)
                batches += [part[k:k + self.batch_size] for k in range(0, len(part), self.batch_size)]
            for k in torch.randperm(len(batches), generator=g).tolist():
                yield batches[k]

        def __len__(self):
            return (len(self.lengths) + self.batch_size - 1) // self.batch_size

    return LengthGroupedBatchSampler


def train(args) -> None:
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from transformers import TrainerCallback

    from argmap.stance import new_cross_encoder

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    SAME_SIDE[:] = [1.0 - args.same_side_agree, args.same_side_agree, 0.0]
    OPPOSITE[:] = [1.0 - args.opposite_disagree, 0.0, args.opposite_disagree]
    sizes = {"argkp_same_side": args.argkp_same_side, "argkp_opposite": 3000, "argkp_neutral": 800,
             "pp_per_claim": 8, "pp_neutral": 2000, "ibm_cc_per_topic": 40, "negation": 1600, "contrast": 1500,
             "identity": 400, "wrap_share": 0.15, "nli_reverse_share": 0.3,
             "snli_contradiction": not args.no_snli_contradiction, "nli_hypothesis_pairs": args.hypothesis_pairs,
             "nli_unrelated": args.unrelated, "same_side": list(SAME_SIDE), "opposite": list(OPPOSITE)}
    ex = build_training_set(args.data_dir, args.seed, sizes)
    kinds = Counter(e[3] for e in ex)
    log(f"{len(ex)} training pairs ({time.time() - t0:.0f}s): " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "training_pairs.json").write_text(json.dumps({"sizes": sizes, "counts": dict(sorted(kinds.items())),
                                                         "total": len(ex)}, indent=1))

    ce = new_cross_encoder(max_length=args.max_length)
    if args.init:  # continue training a saved adapter (a second phase, e.g. at a lower learning rate)
        from peft import PeftModel

        ce[0].model = PeftModel.from_pretrained(ce[0].model, args.init, is_trainable=True)
    else:
        lora = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=0.05, task_type="SEQ_CLS",
                          target_modules=["query", "key", "value", "dense"], modules_to_save=["classifier"])
        ce[0].model = get_peft_model(ce[0].model, lora)
    n_train = sum(p.numel() for p in ce.parameters() if p.requires_grad)
    log(f"{n_train} trainable parameters (LoRA r={args.rank}, classifier)")
    data = Dataset.from_dict({"sentence1": [e[0] for e in ex], "sentence2": [e[1] for e in ex],
                              "label": [list(e[2]) for e in ex]})

    class SaveEachEpoch(TrainerCallback):
        def on_epoch_end(self, targs, state, control, **kw):
            path = out / f"epoch-{round(state.epoch)}"
            ce[0].model.save_pretrained(str(path))
            log(f"saved {path} (step {state.global_step}, {time.time() - t0:.0f}s)")

        def on_log(self, targs, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                log(f"step {state.global_step}/{state.max_steps} loss {logs['loss']:.4f} lr {logs.get('learning_rate', 0):.2e}")

    targs = CrossEncoderTrainingArguments(
        output_dir=str(out / "trainer"), num_train_epochs=args.epochs, per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr, warmup_steps=0.05, weight_decay=0.01, lr_scheduler_type="linear",
        logging_steps=50, save_strategy="no", report_to="none", seed=args.seed, use_cpu=True,
        disable_tqdm=True, dataloader_num_workers=0, max_steps=args.max_steps or -1,
        batch_sampler=length_grouped_sampler())
    trainer = CrossEncoderTrainer(model=ce, args=targs, train_dataset=data, loss=soft_cross_entropy(ce),
                                  callbacks=[SaveEachEpoch()])
    trainer.train()
    if args.max_steps:
        ce[0].model.save_pretrained(str(out / "final"))
    earlier = json.loads((Path(args.init).parent / "training.json").read_text()) \
        if args.init and (Path(args.init).parent / "training.json").is_file() else None
    meta = {"command": "scripts/train_stance.py " + " ".join(sys.argv[1:]), "seed": args.seed,
            "started_from": {"adapter": args.init, "its_training": earlier} if args.init else None,
            "epochs": args.epochs, "max_steps": args.max_steps, "batch_size": args.batch_size, "lr": args.lr,
            "lora": {"r": args.rank, "alpha": args.alpha, "dropout": 0.05,
                     "targets": "query, key, value, dense (all attention, feed-forward and pooler linears)"},
            "max_length": args.max_length, "torch_threads": torch.get_num_threads(),
            "trainable_parameters": n_train, "pairs": len(ex), "pair_counts": dict(sorted(kinds.items())),
            "sizes": sizes, "wall_seconds": round(time.time() - t0, 1)}
    (out / "training.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(out / "trainer", ignore_errors=True)
    log(f"done in {time.time() - t0:.0f}s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--out", default="/tmp/stance5")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--argkp-same-side", type=int, default=5000)
    ap.add_argument("--init", metavar="ADAPTER_DIR", help="start from this saved adapter instead of a new one")
    ap.add_argument("--same-side-agree", type=float, default=0.5,
                    help="P(agree) target of two claims on one side of a question making other points (rest: neither)")
    ap.add_argument("--opposite-disagree", type=float, default=1.0,
                    help="P(disagree) target of two claims on opposite sides of a debate question (rest: neither)")
    ap.add_argument("--no-snli-contradiction", action="store_true",
                    help="leave SNLI's contradiction pairs out (different captions of one photo, not clashing claims)")
    ap.add_argument("--hypothesis-pairs", type=int, default=0,
                    help="pairs of an entailed and a neutral MultiNLI hypothesis of one premise -> neither")
    ap.add_argument("--unrelated", type=int, default=0,
                    help="random pairs of two NLI premises (or hypotheses of two premises) -> neither")
    args = ap.parse_args(argv)
    train(args)


if __name__ == "__main__":
    main()
