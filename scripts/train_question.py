#!/usr/bin/env python
"""Train argmap's question encoder: sentence vectors that put claims on the same question close
together, whichever side they take ("China is back at center stage" near "it won't make a dent").

    .venv/bin/python scripts/train_question.py ../shared/data --out argmap/resources/question

The bundled all-MiniLM-L6-v2 as a sentence-transformers ``SentenceTransformer`` with a PEFT LoRA
adapter, trained by ``SentenceTransformerTrainer`` with ``MultipleNegativesRankingLoss`` on
(anchor, positive) pairs that address one question, either side; other questions in the batch
are the negatives. A batch never holds two pairs of one question (``OneQuestionPerBatch``), so
no positive is pushed away as a negative. Positives, all from train splits:

* PERSPECTRUM train: two perspectives of one claim (opposite stances first), a perspective and
  its claim;
* ArgKP train: arguments of one topic with opposite stances, an argument and a key point;
* IBM claim stance train topics (minus the dev topics): claims of one topic with opposite
  stances, a claim and its topic;
* NLI train part (``evaluate.nli_part``): contradiction and entailment pairs (a premise and a
  hypothesis are on one question; neutral pairs are not used).

After training it reports retrieval on dev (PERSPECTRUM dev perspectives pooled: the share of
each perspective's k nearest neighbours from the same claim, and how often an opposite-stance
perspective of the same claim is among them), base model beside the trained one, and writes
``config.json`` with those numbers beside the adapter.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def question_pairs(data_dir, rng: random.Random, sizes: dict) -> list[tuple[str, str, str]]:
    """(anchor, positive, question id)."""
    out = []
    ps = ev.load_perspectrum(data_dir, "train")
    for c in ps.claims:
        q = f"persp:{c['id']}"
        items = [(pid, cl["stance"]) for cl in c["clusters"] for pid in cl["pids"]]
        opp = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items)) if items[i][1] != items[j][1]]
        same = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items)) if items[i][1] == items[j][1]]
        picked = rng.sample(opp, min(sizes["persp_opposite"], len(opp)))
        picked += rng.sample(same, min(sizes["persp_same"], len(same)))
        for i, j in picked:
            a, b = ps.perspectives[items[i][0]], ps.perspectives[items[j][0]]
            out.append((a, b, q) if rng.random() < 0.5 else (b, a, q))
        for pid, _ in rng.sample(items, min(sizes["persp_claim"], len(items))):
            out.append((ps.perspectives[pid], c["text"], q))
    kp = ev.load_argkp(data_dir, "train")
    by = defaultdict(list)
    for aid, a in sorted(kp.arguments.items()):
        by[(a["topic"], a["stance"])].append(a["text"])
    kps = defaultdict(list)
    for kid, k in sorted(kp.key_points.items()):
        kps[k["topic"]].append(k["text"])
    for topic in sorted({t for t, _ in by}):
        q = f"argkp:{topic}"
        pro, con = by.get((topic, 1), []), by.get((topic, -1), [])
        for _ in range(sizes["argkp_per_topic"]):
            if pro and con:
                out.append((rng.choice(pro), rng.choice(con), q))
            args = pro + con
            if args and kps[topic]:
                out.append((rng.choice(args), rng.choice(kps[topic]), q))
    ib = ev.load_claim_stance(data_dir, "train")
    for t in ib.topics:
        q = f"ibm:{t['id']}"
        pro = [c["text"] for c in t["claims"] if c["stance"] > 0]
        con = [c["text"] for c in t["claims"] if c["stance"] < 0]
        for _ in range(sizes["ibm_per_topic"]):
            if pro and con:
                out.append((rng.choice(pro), rng.choice(con), q))
        for c in rng.sample(t["claims"], min(sizes["ibm_topic"], len(t["claims"]))):
            out.append((c["text"], t["text"], q))
    nli = ev.load_nli(data_dir, "train")
    for p, h, lab, src in zip(nli.premise, nli.hypothesis, nli.label, nli.source):
        if lab != "neutral" and rng.random() < sizes["nli_share"]:
            out.append((p, h, f"nli:{src}:{p}"))
    rng.shuffle(out)
    return out


def one_question_per_batch(questions: list[str]):
    """A batch sampler (sentence-transformers' interface) that never puts two pairs of one
    question in a batch: in-batch negatives are then always other questions."""
    import torch
    from sentence_transformers.base.sampler import DefaultBatchSampler

    class OneQuestionPerBatch(DefaultBatchSampler):
        def __iter__(self):
            g = torch.Generator()
            g.manual_seed(self.seed + getattr(self, "epoch", 0))
            pending = torch.randperm(len(questions), generator=g).tolist()
            while pending:
                batch, seen, rest = [], set(), []
                for i in pending:
                    if len(batch) < self.batch_size and questions[i] not in seen:
                        batch.append(i)
                        seen.add(questions[i])
                    else:
                        rest.append(i)
                if len(batch) < self.batch_size and self.drop_last:
                    break
                yield batch
                pending = rest

        def __len__(self):
            return (len(questions) + self.batch_size - 1) // self.batch_size

    return OneQuestionPerBatch


def dev_retrieval(encode, data_dir, k: int = 5) -> dict:
    """PERSPECTRUM dev perspectives pooled: per perspective, the share of its k nearest others
    from the same claim, and whether an opposite-stance one of the same claim is among them."""
    ps = ev.load_perspectrum(data_dir, "dev")
    texts, claim, stance = [], [], []
    seen = set()
    for c in ps.claims:
        for cl in c["clusters"]:
            for pid in cl["pids"]:
                if pid not in seen:
                    seen.add(pid)
                    texts.append(ps.perspectives[pid])
                    claim.append(c["id"])
                    stance.append(cl["stance"])
    V = encode(texts)
    S = V @ V.T
    np.fill_diagonal(S, -np.inf)
    nb = np.argsort(-S, axis=1, kind="stable")[:, :k]
    claim, stance = np.array(claim), np.array(stance)
    same = (claim[nb] == claim[:, None]).mean()
    has_opp = np.array([((claim == claim[i]) & (stance != stance[i])).any() for i in range(len(texts))])
    opp_hit = ((claim[nb] == claim[:, None]) & (stance[nb] != stance[:, None])).any(axis=1)
    return {"perspectives": len(texts), "k": k, "same_claim_share": round(float(same), 4),
            "opposite_found_share": round(float(opp_hit[has_opp].mean()), 4)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "argmap/resources/question"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (pilot runs)")
    args = ap.parse_args(argv)

    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from argmap.embed import BUNDLED_SHA256, load_embedder
    from argmap.question import FORMAT, FORMAT_VERSION

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    rng = random.Random(args.seed)
    sizes = {"persp_opposite": 6, "persp_same": 2, "persp_claim": 2, "argkp_per_topic": 150,
             "ibm_per_topic": 60, "ibm_topic": 20, "nli_share": 0.5}
    pairs = question_pairs(args.data_dir, rng, sizes)
    counts = defaultdict(int)
    for _, _, q in pairs:
        counts[q.split(":")[0]] += 1
    log(f"{len(pairs)} pairs: {dict(counts)}")

    base = load_embedder()
    model = base.model
    before = dev_retrieval(lambda t: base.encode(t), args.data_dir)
    log(f"dev retrieval, base model: {before}")
    lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.05,
                      target_modules=["query", "key", "value", "dense"])
    model[0].model = get_peft_model(model[0].model, lora)
    data = Dataset.from_dict({"anchor": [a for a, _, _ in pairs], "positive": [b for _, b, _ in pairs]})
    targs = SentenceTransformerTrainingArguments(
        output_dir="/tmp/question-trainer", num_train_epochs=args.epochs, per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr, warmup_steps=0.05, weight_decay=0.01, logging_steps=25, save_strategy="no",
        report_to="none", seed=args.seed, use_cpu=True, disable_tqdm=True, dataloader_num_workers=0,
        batch_sampler=one_question_per_batch([q for _, _, q in pairs]), max_steps=args.max_steps or -1)
    trainer = SentenceTransformerTrainer(model=model, args=targs, train_dataset=data,
                                         loss=MultipleNegativesRankingLoss(model))
    trainer.train()
    model.eval()
    after = dev_retrieval(lambda t: base.encode(t), args.data_dir)
    log(f"dev retrieval, trained: {after}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model[0].model.save_pretrained(str(out))  # the adapter only (PEFT format)
    for junk in ("README.md",):
        (out / junk).unlink(missing_ok=True)
    config = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": "argmap-question", "version": "1",
        "base": "all-MiniLM-L6-v2 (bundled, sha256 " + BUNDLED_SHA256 + ")",
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "training": {"command": "scripts/train_question.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                     "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                     "lora": {"r": args.rank, "alpha": 2 * args.rank, "dropout": 0.05},
                     "loss": "MultipleNegativesRankingLoss, one question per batch",
                     "pairs": len(pairs), "pair_counts": dict(counts), "sizes": sizes,
                     "wall_seconds": round(time.time() - t0, 1), "torch_threads": torch.get_num_threads()},
        "dev_retrieval": {"base": before, "trained": after},
    }
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    log(f"saved {out} after {time.time() - t0:.0f}s")
    if out.resolve() == (Path(__file__).resolve().parents[1] / "argmap/resources/question").resolve():
        # argmap checks the shipped adapter against argmap/resources/manifest.json at load
        subprocess.run([sys.executable, str(Path(__file__).with_name("write_manifest.py"))], check=True)


if __name__ == "__main__":
    main()
