"""Quality evaluation: loaders for the three labelled sets and the metric functions.

The data folder is laid out like ``/work/shared/data`` (see its README.md):

* ``argkp/arguments_{split}.csv``, ``key_points_{split}.csv``, ``labels_{split}.csv``
* ``perspectrum/claims.json``, ``perspectives.json``, ``split.json`` (claim id -> split)
* ``ibm_claim_stance/claim_stance.csv`` with a ``split`` column.

The IBM claim-stance file we hold has train topics only. Unless the file itself has rows
whose split is the one asked for (e.g. ``dev`` or ``test``), the fixed topics in
:data:`IBM_DEV_TOPICS` are held out of ``train`` and evaluated as ``dev``; they are never
trained on.

Nothing here imports torch. Metric functions take plain lists/arrays and return floats.
"""
from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError

# Held-out IBM claim-stance topics used as "dev" (never trained on): 6 of the 25 train
# topics, 188 claims, chosen once by hand to spread over topic sizes.
IBM_DEV_TOPICS = (442, 602, 841, 946, 990, 1005)


# ----------------------------------------------------------------------------- data


@dataclass
class ArgKP:
    split: str
    arguments: dict[str, dict]  # arg_id -> {text, topic, stance}
    key_points: dict[str, dict]  # kp_id -> {text, topic, stance}
    labels: dict[tuple[str, str], int]  # (arg_id, kp_id) -> 0/1

    def candidate_pairs(self) -> list[tuple[str, str]]:
        """Every (argument, key point) pair of the same topic and stance, in file order."""
        by_ts = defaultdict(list)
        for kid, kp in self.key_points.items():
            by_ts[(kp["topic"], kp["stance"])].append(kid)
        return [
            (aid, kid)
            for aid, a in self.arguments.items()
            for kid in by_ts.get((a["topic"], a["stance"]), [])
        ]

    def gold_clusters(self) -> dict[tuple[str, int], list[tuple[str, str]]]:
        """(topic, stance) -> [(arg_id, kp_id)] for arguments matching exactly one key point."""
        pos = defaultdict(list)
        for (aid, kid), lab in self.labels.items():
            if lab == 1 and aid in self.arguments:
                pos[aid].append(kid)
        groups = defaultdict(list)
        for aid, a in self.arguments.items():
            if len(pos.get(aid, [])) == 1:
                groups[(a["topic"], a["stance"])].append((aid, pos[aid][0]))
        return dict(sorted(groups.items()))


@dataclass
class Perspectrum:
    split: str
    claims: list[dict]  # {id, text, clusters: [{pids, stance (+1/-1)}]}
    perspectives: dict[int, str]  # the whole pool, pid -> text


@dataclass
class ClaimStance:
    split: str
    topics: list[dict]  # {id, text, claims: [{id, text, stance (+1/-1)}]}


def _read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(path, f"cannot read CSV: {e}") from e


def _read_json(path: Path):
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(path, f"cannot read JSON: {e}") from e


def _need(row: dict, cols: tuple[str, ...], path: Path) -> None:
    missing = [c for c in cols if c not in row]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")


def load_argkp(data_dir, split: str = "dev") -> ArgKP:
    base = Path(data_dir) / "argkp"
    paths = [base / f"{n}_{split}.csv" for n in ("arguments", "key_points", "labels")]
    args_rows, kp_rows, lab_rows = (_read_csv(p) for p in paths)
    for rows, p, cols in (
        (args_rows, paths[0], ("arg_id", "argument", "topic", "stance")),
        (kp_rows, paths[1], ("key_point_id", "key_point", "topic", "stance")),
        (lab_rows, paths[2], ("arg_id", "key_point_id", "label")),
    ):
        if not rows:
            raise InputError(p, "no rows")
        _need(rows[0], cols, p)
    try:
        arguments = {
            r["arg_id"]: {"text": r["argument"], "topic": r["topic"], "stance": int(float(r["stance"]))}
            for r in args_rows
        }
        key_points = {
            r["key_point_id"]: {"text": r["key_point"], "topic": r["topic"], "stance": int(float(r["stance"]))}
            for r in kp_rows
        }
        labels = {(r["arg_id"], r["key_point_id"]): int(float(r["label"])) for r in lab_rows}
    except ValueError as e:
        raise InputError(base, f"bad number in ArgKP {split} files: {e}") from e
    return ArgKP(split, arguments, key_points, labels)


def load_perspectrum(data_dir, split: str = "dev") -> Perspectrum:
    base = Path(data_dir) / "perspectrum"
    claims_raw = _read_json(base / "claims.json")
    pool_raw = _read_json(base / "perspectives.json")
    split_map = _read_json(base / "split.json")
    try:
        pool = {int(p["pId"]): p["text"] for p in pool_raw}
        claims = []
        for c in claims_raw:
            if split_map.get(str(c["cId"])) != split:
                continue
            clusters = []
            for cl in c["perspectives"]:
                lab = str(cl.get("stance_label_3", "")).upper()
                if lab not in ("SUPPORT", "UNDERMINE"):
                    continue
                pids = [int(p) for p in cl["pids"] if int(p) in pool]
                if pids:
                    clusters.append({"pids": pids, "stance": 1 if lab == "SUPPORT" else -1})
            if clusters:
                claims.append({"id": int(c["cId"]), "text": c["text"], "clusters": clusters})
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(base, f"unexpected PERSPECTRUM layout: {e!r}") from e
    if not claims:
        raise InputError(base / "split.json", f"no claims in split {split!r}")
    return Perspectrum(split, claims, pool)


def load_claim_stance(data_dir, split: str = "dev") -> ClaimStance:
    path = Path(data_dir) / "ibm_claim_stance" / "claim_stance.csv"
    rows = _read_csv(path)
    if not rows:
        raise InputError(path, "no rows")
    _need(rows[0], ("topicId", "split", "topicText", "claims.stance", "claims.claimCorrectedText"), path)
    splits = {r["split"] for r in rows}
    if split in splits and split != "train":
        keep = [r for r in rows if r["split"] == split]
    elif split == "train":
        keep = [r for r in rows if r["split"] == "train" and int(r["topicId"]) not in IBM_DEV_TOPICS]
    elif split == "dev":
        keep = [r for r in rows if r["split"] == "train" and int(r["topicId"]) in IBM_DEV_TOPICS]
    else:
        keep = []
    if not keep:
        raise InputError(path, f"no claims for split {split!r}")
    topics: dict[int, dict] = {}
    for r in keep:
        st = r["claims.stance"].strip().upper()
        if st not in ("PRO", "CON"):
            continue
        t = topics.setdefault(int(r["topicId"]), {"id": int(r["topicId"]), "text": r["topicText"], "claims": []})
        t["claims"].append(
            {"id": r.get("claims.claimId", ""), "text": r["claims.claimCorrectedText"], "stance": 1 if st == "PRO" else -1}
        )
    return ClaimStance(split, [topics[k] for k in sorted(topics)])


NLI_FILES = ("mnli/dev_matched.jsonl.gz", "mnli/dev_mismatched.jsonl.gz", "snli/dev.jsonl.gz",
             "sick/train.jsonl.gz", "sick/trial.jsonl.gz")
NLI_LABELS = ("entailment", "neutral", "contradiction")
NLI_PARTS = ("train", "dev", "test")


@dataclass
class NLIPairs:
    part: str
    premise: list[str]
    hypothesis: list[str]
    label: list[str]  # entailment | neutral | contradiction
    source: list[str]  # mnli | snli | sick


def nli_part(premise: str) -> str:
    """Our own split of the NLI data (none of it has a train split here): by a hash of the
    premise, so every hypothesis of one premise lands in the same part. 10% "test" (held out,
    reported only), 10% "dev" (choosing and calibrating), 80% "train"."""
    import hashlib

    bucket = int(hashlib.sha256(premise.strip().encode("utf-8")).hexdigest()[:8], 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def load_nli(data_dir, part: str = "test") -> NLIPairs:
    """MultiNLI dev (matched + mismatched), SNLI dev and SICK (train + trial) from
    ``data_dir/nli``, the rows of one part of :func:`nli_part`, in file order."""
    import gzip

    if part not in NLI_PARTS:
        raise ValueError(f"unknown NLI part {part!r}: use one of {', '.join(NLI_PARTS)}")
    out = NLIPairs(part, [], [], [], [])
    base = Path(data_dir) / "nli"
    for name in NLI_FILES:
        path = base / name
        if not path.is_file():
            raise InputError(path, "file not found")
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for n, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    p, h, lab = row["premise"], row["hypothesis"], row["label"]
                    if lab not in NLI_LABELS or not p.strip() or not h.strip() or nli_part(p) != part:
                        continue
                    out.premise.append(p)
                    out.hypothesis.append(h)
                    out.label.append(lab)
                    out.source.append(name.split("/")[0])
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise InputError(path, f"cannot read NLI pairs (line {n}): {e!r}") from e
    return out


# ------------------------------------------------------------------ pair sets


@dataclass
class StancePairs:
    a: list[str]
    b: list[str]
    labels: list[int]  # +1 agree/support, -1 disagree/undermine
    topic: list[str] | None = None


def perspectrum_claim_pairs(ds: Perspectrum) -> StancePairs:
    a, b, y = [], [], []
    for c in ds.claims:
        for cl in c["clusters"]:
            for pid in cl["pids"]:
                a.append(ds.perspectives[pid])
                b.append(c["text"])
                y.append(cl["stance"])
    return StancePairs(a, b, y)


def perspectrum_pp_pairs(ds: Perspectrum, per_claim: int = 30, seed: int = 0) -> StancePairs:
    """Perspective pairs from different clusters of one claim (sampled, seeded):
    agree when both take the same stance toward the claim."""
    rng = random.Random(seed)
    a, b, y, t = [], [], [], []
    for c in ds.claims:
        items = [(pid, ci, cl["stance"]) for ci, cl in enumerate(c["clusters"]) for pid in cl["pids"]]
        pairs = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items)) if items[i][1] != items[j][1]]
        if len(pairs) > per_claim:
            pairs = rng.sample(pairs, per_claim)
        for i, j in pairs:
            a.append(ds.perspectives[items[i][0]])
            b.append(ds.perspectives[items[j][0]])
            y.append(1 if items[i][2] == items[j][2] else -1)
            t.append(c["text"])
    return StancePairs(a, b, y, t)


def ibm_claim_topic_pairs(ds: ClaimStance) -> StancePairs:
    a, b, y = [], [], []
    for t in ds.topics:
        for c in t["claims"]:
            a.append(c["text"])
            b.append(t["text"])
            y.append(c["stance"])
    return StancePairs(a, b, y)


def ibm_claim_claim_pairs(ds: ClaimStance, per_topic: int = 100, seed: int = 0) -> StancePairs:
    rng = random.Random(seed)
    a, b, y, tt = [], [], [], []
    for t in ds.topics:
        cs = t["claims"]
        pairs = [(i, j) for i in range(len(cs)) for j in range(i + 1, len(cs))]
        if len(pairs) > per_topic:
            pairs = rng.sample(pairs, per_topic)
        for i, j in pairs:
            a.append(cs[i]["text"])
            b.append(cs[j]["text"])
            y.append(1 if cs[i]["stance"] == cs[j]["stance"] else -1)
            tt.append(t["text"])
    return StancePairs(a, b, y, tt)


# ------------------------------------------------------------------ metrics


def average_precision(labels, scores) -> float:
    """scikit-learn's average_precision_score; 0.0 when there is no positive."""
    from sklearn.metrics import average_precision_score

    labels = np.asarray(labels)
    if labels.sum() == 0:
        return 0.0
    return float(average_precision_score(labels, np.asarray(scores, dtype=float)))


def track1_map(
    pair_scores: dict[tuple[str, str], float], ds: ArgKP
) -> dict[str, float]:
    """ArgKP Track-1 mAP (plain-AP variant), strict and relaxed.

    For each argument keep its best-scoring key point (ties: first in key-point order);
    per (topic, stance) keep the top 50% of arguments by that score; average precision
    over that half; mean over the (topic, stance) groups. Unlabelled pairs count as no
    match (strict) or match (relaxed).
    """
    best: dict[str, tuple[float, str]] = {}
    for (aid, kid), s in pair_scores.items():
        if aid not in best or s > best[aid][0]:
            best[aid] = (float(s), kid)
    groups = defaultdict(list)
    for aid, (s, kid) in best.items():
        a = ds.arguments[aid]
        groups[(a["topic"], a["stance"])].append((s, aid, kid))
    out = {"map_strict": [], "map_relaxed": []}
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: (-r[0], r[1]))
        top = rows[: int(len(rows) * 0.5)]  # the same rounding as the shared-task scorer (floor)
        if not top:
            continue
        scores = [r[0] for r in top]
        for name, default in (("map_strict", 0), ("map_relaxed", 1)):
            labels = [ds.labels.get((aid, kid), default) for _, aid, kid in top]
            out[name].append(average_precision(labels, scores))
    return {k: float(np.mean(v)) if v else 0.0 for k, v in out.items()}


def clustering_scores(gold, pred) -> dict[str, float]:
    """ARI and V-measure; predicted -1 (unclustered) items count as singletons."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    pred = list(pred)
    nxt = max([p for p in pred if p >= 0], default=-1) + 1
    fixed = []
    for p in pred:
        if p < 0:
            fixed.append(nxt)
            nxt += 1
        else:
            fixed.append(p)
    return {"ari": float(adjusted_rand_score(gold, fixed)), "v_measure": float(v_measure_score(gold, fixed))}


def stance_scores(labels, predictions) -> dict[str, float]:
    """Accuracy and macro-F1 of agree (+1) vs disagree (-1)."""
    from sklearn.metrics import f1_score

    y = np.asarray(labels) > 0
    p = np.asarray(predictions) > 0
    return {
        "accuracy": float((y == p).mean()) if len(y) else 0.0,
        "f1": float(f1_score(y, p, average="macro", labels=[False, True], zero_division=0)) if len(y) else 0.0,
    }


def ndcg_at_k(ranked_relevance, n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k of one ranked list (1 = relevant)."""
    dcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ranked_relevance[:k]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_relevant)))
    return dcg / ideal if ideal else 0.0


def reciprocal_rank(ranked_relevance) -> float:
    for i, rel in enumerate(ranked_relevance):
        if rel:
            return 1.0 / (i + 1)
    return 0.0


def search_scores(rankings: list[list[int]], relevant: list[set[int]], k: int = 10) -> dict[str, float]:
    """Mean nDCG@k and MRR; ``rankings[i]`` is the ranked list of doc ids for query i."""
    nd, rr = [], []
    for ranked, rel in zip(rankings, relevant):
        flags = [1 if d in rel else 0 for d in ranked]
        nd.append(ndcg_at_k(flags, len(rel), k))
        rr.append(reciprocal_rank(flags))
    return {f"ndcg@{k}": float(np.mean(nd)) if nd else 0.0, "mrr": float(np.mean(rr)) if rr else 0.0}


def median_threshold_predictions(scores) -> np.ndarray:
    """The cosine baseline's stance rule: agree when the cosine is above the median cosine
    of the pairs being judged (label-free, so it cannot be tuned on dev); ±1 per pair."""
    s = np.asarray(scores, dtype=float)
    if not len(s):
        return s
    return np.where(s > np.median(s), 1, -1)


def nli_scores(labels: list[str], probs: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Three-way accuracy (argmax of P(neither), P(agree), P(disagree) against neutral /
    entailment / contradiction), contradiction-vs-entailment accuracy (on the pairs labelled
    one of the two: P(disagree) > P(agree)), and the expected calibration error of the
    three-way prediction (``bins`` equal-width confidence bins)."""
    to = {"neutral": 0, "entailment": 1, "contradiction": 2}
    y = np.array([to[x] for x in labels])
    probs = np.asarray(probs, dtype=float).reshape(-1, 3)
    pred = probs.argmax(axis=1)
    ce = y != 0
    conf = probs.max(axis=1)
    ece = 0.0
    for k in range(bins):
        m = (conf > k / bins) & (conf <= (k + 1) / bins)
        if m.any():
            ece += m.mean() * abs(float((pred[m] == y[m]).mean()) - float(conf[m].mean()))
    return {"accuracy_3way": float((pred == y).mean()) if len(y) else 0.0,
            "contradiction_vs_entailment": float(((probs[ce, 2] > probs[ce, 1]) == (y[ce] == 2)).mean())
            if ce.any() else 0.0,
            "ece": float(ece)}


def unrelated_pairs(nli: "NLIPairs", n: int = 500, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` seeded pairs of two different premises of one NLI part: sentences on unrelated
    subjects, which a stance model should read as "neither" (SNLI's convention calls two
    unrelated captions a contradiction; ordinary readers do not)."""
    premises = sorted(set(nli.premise))
    if len(premises) < 2:
        return [], []
    rng = random.Random(seed)
    picked = [rng.sample(premises, 2) for _ in range(n)]
    return [a for a, _ in picked], [b for _, b in picked]


def neither_share(probs: np.ndarray) -> float:
    """The share of pairs whose most probable class is "neither" (column 0)."""
    probs = np.asarray(probs, dtype=float).reshape(-1, 3)
    return float((probs.argmax(axis=1) == 0).mean()) if len(probs) else 0.0


def perspective_pool(ds: Perspectrum) -> tuple[list[int], dict[int, set[tuple[int, int]]]]:
    """Every perspective of the split once (sorted pid), with its (claim, stance) memberships."""
    member: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for c in ds.claims:
        for cl in c["clusters"]:
            for pid in cl["pids"]:
                member[pid].add((c["id"], cl["stance"]))
    return sorted(member), dict(member)


def clash_scores(pids: list[int], member: dict[int, set[tuple[int, int]]],
                 relations: list[tuple[int, int, str]]) -> dict[str, float]:
    """End-to-end clash finding on a pooled PERSPECTRUM split, each perspective its own analyst.

    A found disagreement is right when the two perspectives answer one claim from opposite
    sides; an agreement is right when they take one side of one claim. Pairs across two claims
    have no gold relation: ``*_precision`` counts them as wrong (although some do clash),
    ``*_precision_judged`` leaves them out (only pairs answering one claim, where the gold says
    agree or disagree), and ``*_unjudged_share`` is their share of what was found. Recall: the
    share of claims with perspectives on both sides for which at least one right disagreement
    was found, and the share of perspectives with an opposite-side perspective that are in a
    right disagreement."""
    def same(x, y, sign):
        return any((c, s * sign) in member[y] for c, s in member[x])

    def judged(pairs, sign):
        right = sum(same(x, y, sign) for x, y in pairs)
        wrong = sum(same(x, y, -sign) for x, y in pairs)
        return (right / (right + wrong) if right + wrong else 0.0,
                1 - (right + wrong) / len(pairs) if pairs else 0.0)

    dis = [(x, y) for x, y, k in relations if k == "disagree"]
    agr = [(x, y) for x, y, k in relations if k == "agree"]
    right_dis = [(x, y) for x, y in dis if same(x, y, -1)]
    sides: dict[int, set[int]] = defaultdict(set)
    for pid in pids:
        for c, s in member[pid]:
            sides[c].add(s)
    both = {c for c, ss in sides.items() if len(ss) == 2}
    hit_claims = {c for x, y in right_dis for c, s in member[x] if (c, -s) in member[y]}
    has_opp = {pid for pid in pids if any(c in both for c, _ in member[pid])}
    hit_pids = {p for pair in right_dis for p in pair} & has_opp
    (dis_judged, dis_unjudged), (agr_judged, agr_unjudged) = judged(dis, -1), judged(agr, 1)
    return {"disagree_found": float(len(dis)), "disagree_precision": len(right_dis) / len(dis) if dis else 0.0,
            "disagree_precision_judged": dis_judged, "disagree_unjudged_share": dis_unjudged,
            "agree_found": float(len(agr)),
            "agree_precision": sum(same(x, y, 1) for x, y in agr) / len(agr) if agr else 0.0,
            "agree_precision_judged": agr_judged, "agree_unjudged_share": agr_unjudged,
            "claims_with_clash_found": len(hit_claims & both) / len(both) if both else 0.0,
            "perspectives_in_right_clash": len(hit_pids) / len(has_opp) if has_opp else 0.0}


@dataclass
class Result:
    dataset: str
    task: str
    method: str
    metric: str
    value: float
    subset: str | None = None

    def to_dict(self) -> dict:
        d = {"dataset": self.dataset, "task": self.task}
        if self.subset:
            d["subset"] = self.subset
        d.update({"method": self.method, "metric": self.metric, "value": round(float(self.value), 4)})
        return d


# ------------------------------------------------------------------ the whole run

METHODS = ("argmap", "cosine")


def _knn_pairs(V: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Unordered index pairs (i < j) of each row's k nearest neighbours by cosine."""
    n = len(V)
    if n < 2:
        return []
    S = V @ V.T
    np.fill_diagonal(S, -np.inf)
    k = min(k, n - 1)
    nb = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return sorted({(min(i, int(j)), max(i, int(j))) for i in range(n) for j in nb[i]})


def _sparse_scores(n: int, pairs, scores):
    import scipy.sparse as sp

    if not pairs:
        return sp.csr_matrix((n, n), dtype=np.float32)
    r = [i for i, _ in pairs]
    c = [j for _, j in pairs]
    v = np.clip(np.asarray(scores, dtype=np.float32), 1e-6, 1.0)  # keep every scored pair stored
    return sp.csr_matrix((v, (r, c)), shape=(n, n))


def run_evaluation(data_dir, split: str = "dev", methods=METHODS, embedder=None, pair_model=None,
                   quick: bool = False, log=None, cluster_params: dict | None = None,
                   pair_model_path: str | None = None, question_encoder=None) -> list[Result]:
    """Score every method on the four sets; returns the Result rows in a fixed order.

    ``pair_model`` is argmap's stance model (argmap.stance.StanceModel, loaded from
    ``pair_model_path`` or the shipped one when None); ``question_encoder`` the encoder that
    finds candidate pairs for the clash rows (argmap.question.QuestionEncoder when None).
    The NLI rows are on our held-out part (``nli_part`` "test"), whatever ``split`` is.
    ``quick`` keeps a small slice of each set (first ArgKP topic, 25 PERSPECTRUM claims,
    2 IBM topics, 300 NLI pairs) to check a setup in a minute; its numbers are not comparable.
    """
    from .cluster import DEFAULT_REFINED_PAIR_WEIGHT, DEFAULT_REFINED_THRESHOLD, DEFAULT_THRESHOLD, IssueClusterer

    log = log or (lambda msg: None)
    methods = [m for m in METHODS if m in methods]
    argkp = load_argkp(data_dir, split)
    persp = load_perspectrum(data_dir, split)
    ibm = load_claim_stance(data_dir, split)
    if quick:
        first = sorted({a["topic"] for a in argkp.arguments.values()})[0]
        argkp.arguments = {k: v for k, v in argkp.arguments.items() if v["topic"] == first}
        argkp.key_points = {k: v for k, v in argkp.key_points.items() if v["topic"] == first}
        persp.claims = persp.claims[:25]
        ibm.topics = ibm.topics[:2]
    log(f"data: ArgKP {split} {len(argkp.arguments)} arguments, PERSPECTRUM {split} {len(persp.claims)} claims "
        f"(pool {len(persp.perspectives)}), IBM {split} {sum(len(t['claims']) for t in ibm.topics)} claims")

    nli = load_nli(data_dir, "test") if (Path(data_dir) / "nli").is_dir() else None
    if nli is None:
        log(f"no {Path(data_dir) / 'nli'} folder: the NLI rows are skipped")
    elif quick:
        nli = NLIPairs(nli.part, nli.premise[:300], nli.hypothesis[:300], nli.label[:300], nli.source[:300])
    if "argmap" in methods and pair_model is None:
        from .stance import StanceModel

        log("loading the stance model")
        pair_model = StanceModel.load(pair_model_path)

    # -- one embedding pass over every text
    if embedder is None:
        from .embed import load_embedder

        embedder = load_embedder()
    texts = set()
    texts.update(a["text"] for a in argkp.arguments.values())
    texts.update(k["text"] for k in argkp.key_points.values())
    texts.update(c["text"] for c in persp.claims)
    texts.update(persp.perspectives.values())
    for t in ibm.topics:
        texts.add(t["text"])
        texts.update(c["text"] for c in t["claims"])
    texts = sorted(texts)
    log(f"embedding {len(texts)} texts with {embedder.name}")
    vecs = embedder.encode(texts, progress=False)
    row = {t: i for i, t in enumerate(texts)}

    def vec(t):
        return vecs[row[t]]

    def cos(a, b):
        return np.einsum("ij,ij->i", vecs[[row[x] for x in a]], vecs[[row[x] for x in b]]) if a else np.zeros(0)

    cp = dict(cluster_params or {})
    thr_cos = cp.get("threshold_cosine", DEFAULT_THRESHOLD)
    thr_ref = cp.get("threshold_argmap", DEFAULT_REFINED_THRESHOLD)
    knn = cp.get("knn", 8)
    pw = cp.get("pair_weight", DEFAULT_REFINED_PAIR_WEIGHT)
    results: list[Result] = []

    def add(dataset, task, method, scores: dict, subset=None):
        for metric, value in scores.items():
            results.append(Result(dataset, task, method, metric, value, subset))

    # -- ArgKP matching
    pairs = argkp.candidate_pairs()
    pa = [argkp.arguments[a]["text"] for a, _ in pairs]
    pb = [argkp.key_points[k]["text"] for _, k in pairs]
    for m in methods:
        log(f"ArgKP matching ({m}, {len(pairs)} pairs)")
        # argmap: plain cosine + w * P(agree), w from the model's config (chosen on ArgKP train)
        s = cos(pa, pb) + float(getattr(pair_model, "match_agree_weight", 1000.0)) * pair_model.match(pa, pb) \
            if m == "argmap" else cos(pa, pb)
        add("argkp", "matching", m, track1_map({p: float(x) for p, x in zip(pairs, s)}, argkp))

    # -- clustering
    def cluster_groups(groups, m):
        """groups: list of (keys, texts, gold). Returns mean ARI / V-measure over groups."""
        aris, vms = [], []
        for keys, gtexts, gold in groups:
            V = np.stack([vec(t) for t in gtexts])
            if m == "argmap":
                kp_ = _knn_pairs(V, knn)
                sc = pair_model.match([gtexts[i] for i, _ in kp_], [gtexts[j] for _, j in kp_]) if kp_ else []
                lab = IssueClusterer(threshold=thr_ref, pair_weight=pw).fit(V, keys=keys, pair_scores=_sparse_scores(len(V), kp_, sc)).labels_
            else:
                lab = IssueClusterer(threshold=thr_cos).fit(V, keys=keys).labels_
            r = clustering_scores(gold, lab)
            aris.append(r["ari"])
            vms.append(r["v_measure"])
        return {"ari": float(np.mean(aris)) if aris else 0.0, "v_measure": float(np.mean(vms)) if vms else 0.0}

    kp_groups = [([a for a, _ in members], [argkp.arguments[a]["text"] for a, _ in members], [k for _, k in members])
                 for members in argkp.gold_clusters().values() if len(members) >= 2]
    ps_groups = []
    for c in persp.claims:
        seen, keys, gtexts, gold = set(), [], [], []
        for ci, cl in enumerate(c["clusters"]):
            for pid in cl["pids"]:
                if pid not in seen:
                    seen.add(pid)
                    keys.append(str(pid))
                    gtexts.append(persp.perspectives[pid])
                    gold.append(ci)
        if len(keys) >= 2:
            ps_groups.append((keys, gtexts, gold))
    for m in methods:
        log(f"clustering ({m}): ArgKP {len(kp_groups)} groups, PERSPECTRUM {len(ps_groups)} claims")
        add("argkp", "clustering", m, cluster_groups(kp_groups, m))
        add("perspectrum", "clustering", m, cluster_groups(ps_groups, m))

    # -- stance
    stance_sets = [
        ("perspectrum", "perspective_claim", perspectrum_claim_pairs(persp)),
        ("perspectrum", "perspective_perspective", perspectrum_pp_pairs(persp)),
        ("ibm_claim_stance", "claim_topic", ibm_claim_topic_pairs(ibm)),
        ("ibm_claim_stance", "claim_claim", ibm_claim_claim_pairs(ibm)),
    ]
    for dataset, subset, sp_ in stance_sets:
        for m in methods:
            log(f"stance {dataset}/{subset} ({m}, {len(sp_.a)} pairs)")
            if m == "argmap":
                pred = pair_model.stance(sp_.a, sp_.b, topic=sp_.topic)
            else:
                pred = median_threshold_predictions(cos(sp_.a, sp_.b))
            add(dataset, "stance", m, stance_scores(sp_.labels, pred), subset)

    # -- search: each claim as a query over the whole perspective pool
    pids = sorted(persp.perspectives)
    P = np.stack([vec(persp.perspectives[p]) for p in pids])
    Q = np.stack([vec(c["text"]) for c in persp.claims])
    relevant = [{p for cl in c["clusters"] for p in cl["pids"]} for c in persp.claims]
    S = Q @ P.T
    base_rank = [[pids[j] for j in np.argsort(-S[i], kind="stable")] for i in range(len(Q))]
    for m in methods:  # argmap's search ranks by the same sentence vectors: both rows are plain cosine
        log(f"search ({m}, {len(Q)} queries over {len(P)} perspectives)")
        rankings = base_rank
        add("perspectrum", "search", m, search_scores(rankings, relevant, 10))

    # -- NLI, held-out part: the stance model's three classes (cosine has no "disagree": not scored)
    if "argmap" in methods and nli is not None:
        log(f"NLI held-out ({len(nli.label)} pairs)")
        add("nli", "three_way", "argmap", nli_scores(nli.label, pair_model.probabilities(nli.premise, nli.hypothesis)),
            "held_out")
        ua, ub = unrelated_pairs(nli)
        if ua:
            add("nli", "unrelated", "argmap", {"neither_share": neither_share(pair_model.relate(ua, ub))}, "held_out")

    # -- clashes end to end: candidates, relations, decisions on the pooled perspectives
    from .relations import CosineScorer, candidate_pairs, decide

    pool, member = perspective_pool(persp)
    ptexts = [persp.perspectives[p] for p in pool]
    S_vec = np.stack([vec(t) for t in ptexts])
    for m in methods:
        if m == "argmap":
            if question_encoder is None:
                from .question import QuestionEncoder

                question_encoder = QuestionEncoder()
            Q_vec = question_encoder.encode(ptexts)
            relate, thr = pair_model.relate, (pair_model.agree_threshold, pair_model.disagree_threshold)
        else:
            cos_scorer = CosineScorer(lambda ts: np.stack([vec(t) for t in ts]))
            Q_vec, relate, thr = None, cos_scorer.relate, (0.5, 0.5)
        keys = [str(p) for p in pool]
        cand = candidate_pairs(keys, keys, Q_vec, S_vec)
        log(f"clashes ({m}): {len(cand)} candidate pairs among {len(pool)} perspectives")
        text_of = dict(zip(keys, ptexts))
        probs = relate([text_of[a] for a, _ in cand], [text_of[b] for _, b in cand]) if cand else np.zeros((0, 3))
        rels = [(int(a), int(b), decide(p, *thr)[0]) for (a, b), p in zip(cand, probs)]
        add("perspectrum", "clashes", m, {"candidates_per_claim": len(cand) / max(1, len(pool)),
                                          **clash_scores(pool, member, rels)})
    return results
