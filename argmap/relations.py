"""Relations stage: agree / disagree between claims of different analysts within an issue.

Embedding similarity alone cannot tell "X matters" from "X does not matter", so the
kind of a relation comes from a stance scorer (by default argmap's trained pair model,
see argmap/pairmodel.py): ``stance(a_texts, b_texts) -> array in [-1, 1]``. It is
scored in both directions and averaged, so the result does not depend on pair order.
Candidate pairs are limited to each claim's most similar partners in its issue, which
keeps large issues tractable and relations meaningful.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from .models import Claim, Issue, Relation

StanceFn = Callable[[list[str], list[str]], np.ndarray]

# |stance| below this: neither agree nor disagree. Calibrated on dev data (scripts/calibrate_relations.py,
# docs/quality.md): the pair model's (v4) two-way stance between claims is right for 0.69 of PERSPECTRUM
# dev perspective pairs (0.71 of IBM claim pairs) scoring |s| >= 0.5, against 0.58 (0.51) over all pairs,
# and its "disagree" there is right 0.89 (1.00) of the time, so weaker scores make no relation.
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_SIMILARITY = 0.3
DEFAULT_MAX_PARTNERS = 4


def two_way(stance: StanceFn, a: list[str], b: list[str]) -> np.ndarray:
    """Stance scored in both directions and averaged, so the result does not depend on pair order."""
    return (np.asarray(stance(a, b)) + np.asarray(stance(b, a))) / 2.0


def candidate_pairs(issue: Issue, claims: Mapping[str, Claim], vectors: Mapping[str, np.ndarray],
                    min_similarity: float = DEFAULT_MIN_SIMILARITY,
                    max_partners: int = DEFAULT_MAX_PARTNERS) -> list[tuple[str, str, float]]:
    """(a, b, cosine) with a < b, different analysts, each claim's top partners by similarity."""
    ids = sorted(issue.claim_ids)
    if len(ids) < 2:
        return []
    X = np.stack([vectors[i] for i in ids])
    S = X @ X.T
    keep: set[tuple[int, int]] = set()
    for i in range(len(ids)):
        order = sorted((j for j in range(len(ids)) if j != i), key=lambda j: (-S[i, j], ids[j]))
        taken = 0
        for j in order:
            if taken >= max_partners or S[i, j] < min_similarity:
                break
            if claims[ids[i]].analyst != claims[ids[j]].analyst:
                keep.add((min(i, j), max(i, j)))
                taken += 1
    return [(ids[i], ids[j], float(S[i, j])) for i, j in sorted(keep)]


def find_relations(issues: Sequence[Issue], claims: Mapping[str, Claim], vectors: Mapping[str, np.ndarray],
                   stance: StanceFn, threshold: float = DEFAULT_THRESHOLD,
                   min_similarity: float = DEFAULT_MIN_SIMILARITY,
                   max_partners: int = DEFAULT_MAX_PARTNERS) -> list[Relation]:
    pairs = [(issue.id, a, b) for issue in issues
             for a, b, _ in candidate_pairs(issue, claims, vectors, min_similarity, max_partners)]
    if not pairs:
        return []
    ta = [claims[a].stance_text for _, a, _ in pairs]
    tb = [claims[b].stance_text for _, _, b in pairs]
    scores = two_way(stance, ta, tb)
    out = []
    for (issue_id, a, b), s in zip(pairs, scores.tolist()):
        if s >= threshold:
            out.append(Relation(a, b, "agree", round(s, 4), issue_id))
        elif s <= -threshold:
            out.append(Relation(a, b, "disagree", round(-s, 4), issue_id))
    return out


def cosine_stance(vectors_for: Callable[[list[str]], np.ndarray], threshold: float = 0.5) -> StanceFn:
    """The plain-similarity baseline: similar enough = agree; it can never say disagree."""

    def stance(a: list[str], b: list[str]) -> np.ndarray:
        va, vb = vectors_for(a), vectors_for(b)
        sim = np.einsum("ij,ij->i", va, vb)
        return np.where(sim >= threshold, sim, 0.0)

    return stance
