"""Similarity search over stored claims. Re-embeds nothing but the query."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import ArgmapError
from .relations import decide
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


def counter_search(store: Store, query: str, query_vector: np.ndarray, model: str, scorer,
                   k: int = 10, pool: int = 40, min_similarity: float = 0.2,
                   question: tuple[str, np.ndarray] | None = None, **filters) -> list[Hit]:
    """Stored claims that disagree with the query, most confident first.

    Candidates: the ``pool`` claims nearest the query under the plain sentence vectors and,
    with ``question`` = (question encoder's model name, the query's question vector), the
    ``pool`` nearest under the question vectors (same question, either side: a claim that
    disagrees rarely shares the query's words). Each is read against the query by ``scorer``
    (``relate(a, b) -> (n, 3)``, both directions); a hit has P(disagree) above P(agree) and at
    least half the scorer's disagree threshold; its score is P(disagree).
    """
    from .embed import text_hash

    near = {h.id: h for h in search(store, query_vector, model, k=pool, **filters) if h.score >= min_similarity}
    if question is not None:
        qname, qvec = question
        claims, _, issue_of = candidates(store, model, **filters)
        vecs = store.vectors(qname, (text_hash(c.embed_text) for c in claims))
        have = [c for c in claims if text_hash(c.embed_text) in vecs]
        if have:
            X = np.stack([vecs[text_hash(c.embed_text)] for c in have])
            sims = X @ np.asarray(qvec, dtype=np.float32)
            for i in sorted(range(len(have)), key=lambda i: (-sims[i], have[i].id))[:pool]:
                c = have[i]
                if sims[i] >= min_similarity and c.id not in near:
                    near[c.id] = Hit(c.id, c.text, c.analyst, c.document, issue_of.get(c.id), float(sims[i]))
    if not near:
        return []
    ids = sorted(near)
    readings = {c.id: c.stance_text for c in store.claims(ids=ids)}
    probs = np.asarray(scorer.relate([readings.get(i, near[i].text) for i in ids], [query] * len(ids)))
    floor = scorer.disagree_threshold / 2
    hits = [Hit(near[i].id, near[i].text, near[i].analyst, near[i].document, near[i].issue, round(float(p[2]), 4))
            for i, p in zip(ids, probs) if decide(p, scorer.agree_threshold, floor)[0] == "disagree"]
    return sorted(hits, key=lambda h: (-h.score, h.id))[:k]
