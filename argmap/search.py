"""Similarity search over stored claims. Re-embeds nothing but the query."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import vector_index
from .errors import ArgmapError
from .relations import decide
from .store import Store
from .vector_index import Notify, _stderr


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


def search(store: Store, query_vector: np.ndarray, model: str, k: int = 10, with_lead: bool = False,
           notify: Notify | None = _stderr, **filters) -> list[Hit]:
    """The ``k`` stored claims (matching ``filters``: analyst, document, issue) most similar to the
    query, by cosine of their vectors under ``model`` (of each claim's embed_text with
    ``with_lead``), ties by claim id.

    A store of up to ``vector_index.EXACT_LIMIT`` claims is scanned exactly. A larger one is
    searched through its index (vector_index.py; built or updated first when the store changed,
    with a line to ``notify``): candidates from an exact float16 scan (up to 20,000 claims, or
    those a selective filter leaves) or from the graph, then scored exactly on their stored vectors.
    """
    q = np.asarray(query_vector, dtype=np.float32)
    index = vector_index.ensure(store, model, with_lead, notify)
    if index is None:
        ranked = _ranked(store.claim_vectors(model, with_lead, **filters), q, k)
    else:
        wanted = store.claim_ids(**filters) if any(v is not None for v in filters.values()) else None
        rows = index.nearest(q, 2 * k + 32, wanted)
        ranked = _ranked(store.claim_vectors(model, with_lead, ids=index.claim_ids(rows)), q, k)
    if not ranked:
        if store.claim_ids(**filters) and next(store.claim_vectors(model, with_lead, **filters), None) is None:
            raise ArgmapError(f"no claims in {store.path} are embedded with model {model!r}; run `argmap ingest` "
                              "first" + (" with the same --model" if model else ""))
        return []
    claims = store.claims_by_id(i for _, i in ranked)
    issue_of = store.issue_of_claims(i for _, i in ranked)
    return [Hit(i, claims[i].text, claims[i].analyst, claims[i].document, issue_of.get(i), round(score, 4))
            for score, i in ranked]


def _ranked(rows, q: np.ndarray, k: int) -> list[tuple[float, str]]:
    """The ``k`` best (score, claim id) of ``Store.claim_vectors`` rows, best first, ties by id
    (scores compared to 6 decimals, so that summation order cannot reorder equal scores)."""
    ids, blobs = [], []
    for cid, _, blob in rows:
        ids.append(cid)
        blobs.append(blob)
    if not ids:
        return []
    scores = np.frombuffer(b"".join(blobs), np.float32).reshape(len(ids), -1) @ q
    order = np.lexsort((np.asarray(ids), -np.round(scores, 6)))[:k]
    return [(float(scores[i]), ids[i]) for i in order]


def counter_search(store: Store, query: str, query_vector: np.ndarray, model: str, scorer,
                   k: int = 10, pool: int = 40, min_similarity: float = 0.2,
                   question: tuple[str, np.ndarray] | None = None, notify: Notify | None = _stderr,
                   **filters) -> list[Hit]:
    """Stored claims that disagree with the query, most confident first.

    Candidates: the ``pool`` claims nearest the query under the plain sentence vectors and,
    with ``question`` = (question encoder's model name, the query's question vector), the
    ``pool`` nearest under the question vectors (same question, either side: a claim that
    disagrees rarely shares the query's words). Each is read against the query by ``scorer``
    (``relate(a, b) -> (n, 3)``, both directions); a hit has P(disagree) above P(agree) and at
    least half the scorer's disagree threshold; its score is P(disagree).
    """
    near = {h.id: h for h in search(store, query_vector, model, k=pool, notify=notify, **filters)
            if h.score >= min_similarity}
    if question is not None and store.has_vectors(question[0]):
        qname, qvec = question
        for h in search(store, qvec, qname, k=pool, with_lead=True, notify=notify, **filters):
            if h.score >= min_similarity and h.id not in near:
                near[h.id] = h
    if not near:
        return []
    ids = sorted(near)
    readings = {i: c.stance_text for i, c in store.claims_by_id(ids).items()}
    floor = scorer.disagree_threshold / 2
    probs = np.asarray(scorer.relate([readings.get(i, near[i].text) for i in ids], [query] * len(ids),
                                     disagree_at=floor))
    hits = [Hit(near[i].id, near[i].text, near[i].analyst, near[i].document, near[i].issue, round(float(p[2]), 4))
            for i, p in zip(ids, probs) if decide(p, scorer.agree_threshold, floor)[0] == "disagree"]
    return sorted(hits, key=lambda h: (-h.score, h.id))[:k]
