"""Relations stage: who agrees and who clashes with whom, across the whole corpus.

Two steps, kept apart like "embed" and "work on vectors":

1. ``candidate_pairs`` (vectors only, no model): for every claim, the claims by *other*
   analysts that address the same question, wherever clustering puts them: its
   ``question_k`` nearest neighbours under argmap's question encoder (trained for "same
   question, either side", argmap/question.py) and its ``similar_k`` nearest under the plain
   sentence vectors. A fixed number per claim, so the number of pairs grows linearly with the
   corpus; exact and blockwise (argmap/neighbours.py), so memory stays O(block x n).
2. ``find_relations`` (a relation scorer): each candidate pair gets three probabilities,
   P(neither), P(agree), P(disagree), from argmap's stance model (argmap/stance.py) in both
   directions, averaged; ``decide`` turns them into agree / disagree / neither with
   thresholds chosen on dev data (the model's config.json).

A scorer has ``relate(a_texts, b_texts) -> (n, 3) array`` (order-free) and the two thresholds;
``CosineScorer`` is the plain-similarity baseline, which can only ever say "agree".
"""
from __future__ import annotations

import json
from typing import Callable, Mapping, Sequence

import numpy as np

from .models import Claim, Relation

RelateFn = Callable[[list[str], list[str]], np.ndarray]

DEFAULT_QUESTION_K = 3
DEFAULT_SIMILAR_K = 1
DEFAULT_MIN_SIMILARITY = 0.2  # below this a "neighbour" is not on the same question (both vector kinds)
DEFAULT_AGREE_THRESHOLD = 0.5
DEFAULT_DISAGREE_THRESHOLD = 0.5


def analyst_codes(analysts: Sequence[str]) -> np.ndarray:
    """An integer per analyst (equal names, equal codes), for masking a claim's own analyst."""
    return np.unique(np.asarray(list(analysts), dtype=object), return_inverse=True)[1].reshape(-1).astype(np.int64)


def candidate_pairs(ids: Sequence[str], analysts: Sequence[str], question_vectors: np.ndarray | None,
                    similar_vectors: np.ndarray, question_k: int = DEFAULT_QUESTION_K,
                    similar_k: int = DEFAULT_SIMILAR_K,
                    min_similarity: float = DEFAULT_MIN_SIMILARITY) -> list[tuple[str, str]]:
    """Sorted unique (a, b) claim-id pairs, a < b, by different analysts: each claim with its
    ``question_k`` nearest under the question vectors and ``similar_k`` nearest under the plain
    sentence vectors (rows of the arrays follow ``ids``; ties go to the smaller id when ``ids``
    are sorted). Cosines are exact (argmap/neighbours.py), so the stored lists that ``analyze``
    updates claim by claim give these same pairs."""
    from .neighbours import build, score_rows

    if len(ids) != len(analysts) or len(ids) != len(similar_vectors):
        raise ValueError("ids, analysts and vectors must have the same length")
    codes = analyst_codes(analysts)
    kinds = [(similar_vectors, similar_k)] + ([(question_vectors, question_k)] if question_vectors is not None else [])
    found: set[tuple[int, int]] = set()
    for vectors, k in kinds:
        if len(ids) >= 2 and k > 0:
            found |= build(list(ids), score_rows(vectors), codes, k).pairs(min_similarity)
    return pairs_of(ids, found)


def pairs_of(ids: Sequence[str], rows: set[tuple[int, int]]) -> list[tuple[str, str]]:
    """Row-number pairs as sorted unique claim-id pairs (a < b)."""
    return sorted({(ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i]) for i, j in rows})


KINDS = ("neither", "agree", "disagree")  # the order of a scorer's three probabilities


def decisions(probs, agree_threshold: float = DEFAULT_AGREE_THRESHOLD,
              disagree_threshold: float = DEFAULT_DISAGREE_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 3) probabilities: each row's kind (an index into KINDS) and the probability of that
    kind: agree / disagree when its probability reaches its threshold and beats the other, else
    neither (with P(neither)). In float64, as the probabilities are read."""
    P = np.asarray(probs, dtype=np.float64).reshape(-1, 3)
    pa, pd = P[:, 1], P[:, 2]
    disagree = (pd >= disagree_threshold) & (pd > pa)
    agree = ~disagree & (pa >= agree_threshold) & (pa > pd)
    kind = np.where(disagree, 2, np.where(agree, 1, 0))
    return kind, P[np.arange(len(P)), kind]


def decide(p: Sequence[float], agree_threshold: float = DEFAULT_AGREE_THRESHOLD,
           disagree_threshold: float = DEFAULT_DISAGREE_THRESHOLD) -> tuple[str, float]:
    """(kind, probability of that kind) of one pair's probabilities (see ``decisions``)."""
    kind, prob = decisions(p, agree_threshold, disagree_threshold)
    return KINDS[int(kind[0])], float(prob[0])


def verdict(p: Sequence[float], agree_threshold: float = DEFAULT_AGREE_THRESHOLD,
            disagree_threshold: float = DEFAULT_DISAGREE_THRESHOLD) -> dict:
    """One pair's relation as printed by ``argmap relate``: the decision, its probability, and
    the three probabilities."""
    kind, prob = decide(p, agree_threshold, disagree_threshold)
    pn, pa, pd = (round(float(x), 4) for x in p)
    return {"relation": kind, "probability": round(prob, 4), "p_agree": pa, "p_disagree": pd, "p_neither": pn}


def read_pairs(path: str, text: str) -> list[dict]:
    """Pairs from JSON lines ``{"a": ..., "b": ...}`` (other keys are kept and echoed back);
    blank lines are skipped. Lines end at newlines only (JSON text may hold U+2028 and other
    characters ``str.splitlines`` would break at). A bad line raises InputError naming the file
    and the line."""
    from .errors import InputError, lone_surrogate

    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise InputError(path, f"line {n}: not JSON ({e.msg})") from None
        if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) and obj[k].strip() for k in ("a", "b")):
            raise InputError(path, f'line {n}: expected an object with non-empty text fields "a" and "b"')
        if lone_surrogate(obj["a"] + obj["b"]):
            raise InputError(path, f"line {n}: not Unicode text (an escape such as \\ud800 names half a character)")
        out.append(obj)
    if not out:
        raise InputError(path, 'no pairs: expected one JSON object {"a": ..., "b": ...} per line')
    return out


def find_relations(pairs: Sequence[tuple[str, str]], claims: Mapping[str, Claim], relate: RelateFn,
                   agree_threshold: float = DEFAULT_AGREE_THRESHOLD,
                   disagree_threshold: float = DEFAULT_DISAGREE_THRESHOLD) -> list[Relation]:
    """Score the candidate pairs on the claims' readings; keep the agree / disagree ones
    (``Relation.issue`` is left empty: issues are built afterwards, around the relations)."""
    if not pairs:
        return []
    probs = relate([claims[a].stance_text for a, _ in pairs], [claims[b].stance_text for _, b in pairs])
    kind, prob = decisions(probs, agree_threshold, disagree_threshold)
    kind, prob = kind.tolist(), prob.tolist()  # Python floats: round() as before
    return [Relation(*pairs[i], KINDS[kind[i]], round(prob[i], 4)) for i in range(len(pairs)) if kind[i]]


def stance_of(probs: np.ndarray) -> np.ndarray:
    """(n,) P(agree) - P(disagree) in [-1, 1] from (n, 3) probabilities."""
    probs = np.asarray(probs, dtype=np.float32).reshape(-1, 3)
    return probs[:, 1] - probs[:, 2]


class CosineScorer:
    """The plain-similarity baseline scorer: similar enough = agree; it can never say disagree.
    ``vectors_for(texts)`` gives the texts' (stored) vectors."""

    name = "cosine"

    def __init__(self, vectors_for: Callable[[list[str]], np.ndarray], threshold: float = 0.5):
        self.vectors_for = vectors_for
        self.agree_threshold = threshold
        self.disagree_threshold = threshold

    def relate(self, a: list[str], b: list[str]) -> np.ndarray:
        if not len(a):
            return np.zeros((0, 3), dtype=np.float32)
        sim = np.einsum("ij,ij->i", self.vectors_for(list(a)), self.vectors_for(list(b)))
        agree = np.where(sim >= self.agree_threshold, np.clip(sim, 0.0, 1.0), 0.0)
        return np.stack([1.0 - agree, agree, np.zeros_like(agree)], axis=1).astype(np.float32)
