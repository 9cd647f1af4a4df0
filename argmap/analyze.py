"""Model stage: stored claims -> vectors -> candidate pairs -> relations -> issues with sides.

Stages state what they need: ``embed_claims`` needs an embedder and the store (vectors
cached by model and text hash); ``relations.candidate_pairs`` needs only vectors;
``relations.find_relations`` needs a relation scorer (the stance model); ``issues.build_issues``
needs vectors and relations. ``analyze`` runs them and stores the result, skipping all work
when the claims, the models and the settings are what the stored analysis was made from.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .embed import text_hash
from .issues import build_issues
from .models import Issue, Relation
from .relations import candidate_pairs, find_relations
from .store import Store

ANALYSIS_VERSION = "analysis-4"


@dataclass(frozen=True)
class Settings:
    model: str  # embedding model name as stored
    method: str = "argmap"  # "argmap": trained pair model for stance; "cosine": plain similarity
    threshold: float | None = None  # clustering threshold (None: the clusterer's default)

    def key(self, claims_hash: str, pair_model: str) -> str:
        raw = json.dumps([ANALYSIS_VERSION, self.model, self.method, self.threshold, pair_model, claims_hash])
        return hashlib.sha256(raw.encode()).hexdigest()


def claims_hash(store: Store) -> str:
    h = hashlib.sha256()
    for c in sorted(store.claims(), key=lambda c: c.id):
        h.update(f"{c.id}:{text_hash(c.embed_text)}:{text_hash(c.stance_text)}\n".encode())
    return h.hexdigest()


def cached_vectors(store: Store, embedder, texts: dict[str, str], progress: bool = False) -> dict[str, np.ndarray]:
    """Vectors of ``texts`` (text hash -> text) under ``embedder``, from the store's cache;
    only texts never embedded with this model are embedded (and stored)."""
    have = store.vectors(embedder.name, texts)
    missing = sorted(set(texts) - set(have))
    if missing:
        vecs = embedder.encode([texts[h] for h in missing], progress=progress)
        store.add_vectors(embedder.name, zip(missing, vecs))
        have.update(zip(missing, vecs))
    return have


def embed_claims(store: Store, embedder, progress: bool = False) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectors of every stored claim's text and of its embed_text (text with its lead).

    Both are cached in the store by model and text hash. Search uses the first, issues and
    candidate pairs the second.
    """
    claims = store.claims()
    texts = {}
    for c in claims:
        texts.setdefault(text_hash(c.text), c.text)
        texts.setdefault(text_hash(c.embed_text), c.embed_text)
    have = cached_vectors(store, embedder, texts, progress)
    own = {c.id: have[text_hash(c.text)] for c in claims}
    with_lead = {c.id: have[text_hash(c.embed_text)] for c in claims}
    return own, with_lead


def embed_questions(store: Store, encoder, progress: bool = False) -> dict[str, np.ndarray]:
    """Question vectors (argmap/question.py) of every claim with its lead, cached like embed_claims."""
    claims = store.claims()
    texts = {text_hash(c.embed_text): c.embed_text for c in claims}
    have = cached_vectors(store, encoder, texts, progress)
    return {c.id: have[text_hash(c.embed_text)] for c in claims}


def analyze(store: Store, settings: Settings, embedder_factory: Callable[[], object],
            relate_factory: Callable[[Callable[[list[str]], np.ndarray]], object], pair_model_name: str,
            question_factory: Callable[[], object] | None = None, progress: bool = False,
            force: bool = False, stage: Callable[[str], None] | None = None
            ) -> tuple[list[Issue], list[Relation], bool]:
    """Embed, relate and group the stored claims; returns (issues, relations, ran).

    ``relate_factory(vectors_for)`` gives the relation scorer (an object with ``relate(a, b)``
    and ``agree_threshold`` / ``disagree_threshold``, like argmap.stance.StanceModel);
    ``vectors_for`` looks stored vectors up by text, for the cosine baseline.
    ``question_factory`` gives the question encoder for candidate pairs (None: plain vectors only).
    ``stage(text)`` is told when each stage starts (progress for a log, where bars do not show).
    """
    key = settings.key(claims_hash(store), pair_model_name)
    if not force and store.meta("analysis") == key:
        return store.issues(), store.relations(), False
    claims = {c.id: c for c in store.claims()}
    stage = stage or (lambda text: None)
    stage(f"embedding {len(claims):,} claims")
    embedder = embedder_factory()
    _, vectors = embed_claims(store, embedder, progress=progress)
    questions = embed_questions(store, question_factory(), progress) if question_factory else None
    # the cosine baseline looks the vectors of claim texts (readings) up
    by_text = {t: v for cid, v in vectors.items() for t in (claims[cid].text, claims[cid].stance_text)}
    scorer = relate_factory(lambda texts: np.stack([by_text[t] for t in texts]))
    ids = sorted(claims)
    pairs = candidate_pairs(ids, [claims[i].analyst for i in ids],
                            np.stack([questions[i] for i in ids]) if questions and ids else None,
                            np.stack([vectors[i] for i in ids]) if ids else np.zeros((0, 1), np.float32))
    stage(f"relating {len(pairs):,} candidate pairs")
    relations = find_relations(pairs, claims, scorer.relate, scorer.agree_threshold, scorer.disagree_threshold)
    stage("building issues")
    issues, relations = build_issues(claims, vectors, relations, settings.threshold)
    store.save_analysis(issues, relations, {"analysis": key, "model": settings.model, "method": settings.method,
                                            "candidate_pairs": str(len(pairs))})
    return issues, relations, True
