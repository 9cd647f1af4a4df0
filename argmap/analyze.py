"""Model stage: stored claims -> vectors -> candidate pairs -> relations -> issues with sides.

Stages state what they need: ``claim_matrix`` needs an embedder and the store (vectors
cached by model and text hash); ``neighbour_pairs`` needs only vectors (each claim's nearest
claims by other analysts, the lists kept in the store and brought up to date claim by claim;
``relations.candidate_pairs`` is the same from scratch); ``relations.find_relations`` needs a
relation scorer (the stance model, through the store's pair cache); ``issues.build_issues``
needs vectors and relations. ``analyze`` runs them and stores the result, skipping all work
when the claims, the models and the settings are what the stored analysis was made from.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import neighbours
from .embed import text_hash
from .issues import build_issues
from .models import Claim, Issue, Relation
from .neighbours import NeighbourLists, score_rows
from .onnx_models import instruction_set
from .relations import (DEFAULT_MIN_SIMILARITY, DEFAULT_QUESTION_K, DEFAULT_SIMILAR_K, analyst_codes, find_relations,
                        pairs_of)
from .store import Store
from .workers import cores

LISTS = ":lists-1"  # version of the stored neighbour lists' format and rule (neighbours.py)
ANALYSIS_VERSION = "analysis-5"  # 5: exact (rounded) cosines for the candidate pairs
MAX_JOBS = 4  # processes for the issue clustering (each holds a block's similarities, up to ~200 MB)


@dataclass(frozen=True)
class Settings:
    model: str  # embedding model name as stored
    method: str = "argmap"  # "argmap": trained pair model for stance; "cosine": plain similarity
    threshold: float | None = None  # clustering threshold (None: the clusterer's default)

    def key(self, claims_hash: str, pair_model: str) -> str:
        raw = json.dumps([ANALYSIS_VERSION, self.model, self.method, self.threshold, pair_model, claims_hash])
        return hashlib.sha256(raw.encode()).hexdigest()


def claims_hash(store: Store, claims: Sequence[Claim] | None = None) -> str:
    """A hash of every stored claim (or of ``claims``, the stored ones already read): id, text, reading."""
    h = hashlib.sha256()
    for c in sorted(store.claims() if claims is None else claims, key=lambda c: c.id):
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


def claim_matrix(store: Store, encoder, claims: Sequence[Claim], also: Sequence[str] = (),
                 progress: bool = False) -> np.ndarray:
    """(n, dim) vectors of the claims' embed_text under ``encoder``, rows following ``claims``;
    texts never embedded with this model (and the texts ``also``, cached for search) are
    embedded and stored first. Reads only the vectors it returns, in one pass."""
    hashes = [text_hash(c.embed_text) for c in claims]
    texts = {text_hash(t): t for t in also}
    texts.update(zip(hashes, (c.embed_text for c in claims)))
    missing = sorted(set(texts) - store.vector_hashes(encoder.name))
    if missing:
        store.add_vectors(encoder.name, zip(missing, encoder.encode([texts[h] for h in missing], progress=progress)))
    return store.vector_matrix(encoder.name, hashes) if hashes else np.zeros((0, 1), np.float32)


def _signature(c: Claim) -> str:
    """What a claim's place in the neighbour lists depends on: its vector's text and its analyst."""
    return f"{c.id}:{text_hash(f'{text_hash(c.embed_text)}:{c.analyst}')[:16]}"


def neighbour_pairs(store: Store, claims: Sequence[Claim], kinds: Sequence[tuple[str, np.ndarray, int]],
                    min_similarity: float = DEFAULT_MIN_SIMILARITY, incremental: bool = True
                    ) -> tuple[list[tuple[str, str]], dict[str, bytes], int]:
    """relations.candidate_pairs on ``claims`` (sorted by id) for each (kind, vectors, k), from the
    store's neighbour lists brought up to date (``incremental``) or built afresh; returns the
    pairs, the new lists to store and how many rows were computed against all claims."""
    ids = [c.id for c in claims]
    keys = [_signature(c) for c in claims]
    codes = analyst_codes([c.analyst for c in claims])
    found: set[tuple[int, int]] = set()
    lists, computed = {}, 0
    for kind, vectors, k in kinds:
        Q = score_rows(vectors)
        if incremental:
            new, rows = neighbours.update(NeighbourLists.from_bytes(store.neighbours(kind)), keys, Q, codes, k)
        else:
            new, rows = neighbours.build(keys, Q, codes, k), len(keys)
        found |= new.pairs(min_similarity)
        lists[kind] = new.to_bytes()
        computed += rows
    return pairs_of(ids, found), lists, computed


class CachedScorer:
    """A relation scorer's ``relate`` through the store's pair cache: each pair of readings is
    scored once per scorer ``model`` (the scorer is order-free, so a pair is keyed by its two
    text hashes in sorted order); ``scored`` counts the pairs sent to the scorer."""

    def __init__(self, store: Store, model: str, relate):
        self.store, self.model, self.relate_fn = store, model, relate
        self.scored = 0

    def relate(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        hashes = {t: text_hash(t) for t in {*a, *b}}  # a claim's reading is in many pairs: hashed once
        keys = [(hashes[x], hashes[y]) if hashes[x] <= hashes[y] else (hashes[y], hashes[x]) for x, y in zip(a, b)]
        have = self.store.pair_scores(self.model) if keys else {}
        text = {h: t for t, h in hashes.items()}
        missing = sorted(set(keys) - set(have))
        if missing:
            probs = np.asarray(self.relate_fn([text[x] for x, _ in missing], [text[y] for _, y in missing]),
                               dtype=np.float32)
            new = dict(zip(missing, (tuple(float(v) for v in p) for p in probs)))
            self.store.add_pair_scores(self.model, new.items())
            have.update(new)
            self.scored += len(missing)
        return np.array([have[k] for k in keys], dtype=np.float32).reshape(-1, 3)


def analyze(store: Store, settings: Settings, embedder_factory: Callable[[], object],
            relate_factory: Callable[[Callable[[list[str]], np.ndarray]], object], pair_model_name: str,
            question_factory: Callable[[], object] | None = None, progress: bool = False,
            force: bool = False, stage: Callable[[str], None] | None = None, incremental: bool = True
            ) -> tuple[list[Issue], list[Relation], bool]:
    """Embed, relate and group the stored claims; returns (issues, relations, ran).

    ``relate_factory(vectors_for)`` gives the relation scorer (an object with ``relate(a, b)``
    and ``agree_threshold`` / ``disagree_threshold``, like argmap.stance.StanceModel);
    ``vectors_for`` looks stored vectors up by text, for the cosine baseline.
    ``question_factory`` gives the question encoder for candidate pairs (None: plain vectors only).
    ``stage(text)`` is told when each stage starts (progress for a log, where bars do not show).

    Only what changed is computed: vectors by text (embeddings cache), each pair of readings
    once per scorer (pair cache), neighbour lists row by row (``incremental``; without it they
    are built afresh, with the same result). Issues are rebuilt in full (deterministic).
    """
    all_claims = store.claims()
    key = settings.key(claims_hash(store, all_claims), pair_model_name)
    if not force and store.meta("analysis") == key:
        return store.issues(), store.relations(), False
    ordered = sorted(all_claims, key=lambda c: c.id)
    claims = {c.id: c for c in ordered}
    stage = stage or (lambda text: None)
    vectors: dict[str, np.ndarray] = {}  # claim id -> plain vector, once embedded
    by_text: dict[str, np.ndarray] = {}

    def vectors_for(texts):  # the cosine baseline looks the vectors of claim texts (readings) up
        if not by_text:
            by_text.update((t, vectors[c.id]) for c in ordered for t in (c.text, c.stance_text))
        return np.stack([by_text[t] for t in texts])

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as loading:  # the scorer (the stance model: seconds to load) loads in a
        future = loading.submit(relate_factory, vectors_for)  # thread while vectors are read and pairs found
        stage(f"embedding {len(claims):,} claims")
        embedder = embedder_factory()
        plain = claim_matrix(store, embedder, ordered, [c.text for c in ordered], progress)
        vectors.update(zip(claims, plain))
        kinds = [(f"plain:{embedder.name}{LISTS}", plain, DEFAULT_SIMILAR_K)]
        if question_factory:
            encoder = question_factory()
            kinds.append((f"question:{encoder.name}{LISTS}", claim_matrix(store, encoder, ordered, progress=progress),
                          DEFAULT_QUESTION_K))
        stage("finding candidate pairs")
        pairs, lists, computed = neighbour_pairs(store, ordered, kinds, incremental=incremental)
        scorer = future.result()
    # the stance model's probabilities are a function of the two readings, so they are cached; the
    # cosine baseline's depend on which claim's vector a text has, and cost nothing: never cached
    cached = CachedScorer(store, pair_model_name, scorer.relate) if settings.method != "cosine" else None
    relate = cached.relate if cached else scorer.relate
    stage(f"relating {len(pairs):,} candidate pairs")
    relations = find_relations(pairs, claims, relate, scorer.agree_threshold, scorer.disagree_threshold)
    scored = cached.scored if cached else len(pairs)
    stage(f"building issues ({scored:,} pairs scored, {computed:,} neighbour rows computed)")
    issues, relations = build_issues(claims, vectors, relations, settings.threshold, n_jobs=min(MAX_JOBS, cores()))
    # the instruction set is a record, not part of the key: the shipped fp32 models differ between
    # CPUs only in their last bits, never in a decision seen (docs/performance.md)
    store.save_analysis(issues, relations, {"analysis": key, "model": settings.model, "method": settings.method,
                                            "candidate_pairs": str(len(pairs)), "pairs_scored": str(scored),
                                            "neighbour_rows": str(computed),
                                            "instruction_set": instruction_set()}, lists)
    return issues, relations, True
