"""Similarity search over stored claims. Re-embeds nothing but the query."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from .errors import ArgmapError
from .relations import two_way
from .store import Store


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    analyst: str
    document: str
    issue: str | None
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


def candidates(store: Store, model: str, analyst: str | None = None, document: str | None = None,
               issue: str | None = None):
    claims = store.claims(analyst=analyst, document=document)
    issue_of = store.issue_of_claims()
    if issue is not None:
        claims = [c for c in claims if issue_of.get(c.id) == issue]
    hashes = store.claim_hashes()
    vecs = store.vectors(model, (hashes[c.id] for c in claims))
    missing = [c for c in claims if hashes[c.id] not in vecs]
    if claims and len(missing) == len(claims):
        raise ArgmapError(f"no claims in {store.path} are embedded with model {model!r}; run `argmap ingest` first"
                          + (" with the same --model" if model else ""))
    claims = [c for c in claims if hashes[c.id] in vecs]
    X = np.stack([vecs[hashes[c.id]] for c in claims]) if claims else np.zeros((0, 1), np.float32)
    return claims, X, issue_of


def search(store: Store, query_vector: np.ndarray, model: str, k: int = 10, **filters) -> list[Hit]:
    claims, X, issue_of = candidates(store, model, **filters)
    if not claims:
        return []
    scores = X @ np.asarray(query_vector, dtype=np.float32)
    order = sorted(range(len(claims)), key=lambda i: (-scores[i], claims[i].id))[:k]
    return [Hit(claims[i].id, claims[i].text, claims[i].analyst, claims[i].document, issue_of.get(claims[i].id),
                round(float(scores[i]), 4)) for i in order]


def counter_search(store: Store, query: str, query_vector: np.ndarray, model: str,
                   stance: Callable[[list[str], list[str]], np.ndarray], k: int = 10,
                   pool: int = 40, min_similarity: float = 0.2, **filters) -> list[Hit]:
    """Stored claims that disagree with the query: relevant candidates re-scored by stance.

    score = disagreement strength (-stance, in (0, 1]) x topical similarity, so an unrelated
    claim never ranks as a counter-argument.
    """
    near = search(store, query_vector, model, k=pool, **filters)
    near = [h for h in near if h.score >= min_similarity]
    if not near:
        return []
    readings = {c.id: c.stance_text for c in store.claims(ids=[h.id for h in near])}
    texts = [readings.get(h.id, h.text) for h in near]
    s = two_way(stance, texts, [query] * len(texts))
    hits = [Hit(h.id, h.text, h.analyst, h.document, h.issue, round(float(-st * h.score), 4))
            for h, st in zip(near, s.tolist()) if st < 0]
    return sorted(hits, key=lambda h: (-h.score, h.id))[:k]
