"""Model stage: stored claims -> vectors -> issues (clusters) -> labelled issues -> relations.

Stages state what they need: ``embed_claims`` needs an embedder and the store;
``build_issues`` needs only vectors and claims; ``find_relations`` needs a stance
scorer. ``analyze`` runs them and stores the result, skipping all work when the
claims, the models and the settings are what the stored analysis was made from.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from .cluster import ISSUE_MAX_SIZE, ISSUE_THRESHOLD, IssueClusterer
from .embed import text_hash
from .models import Claim, Issue, Relation
from .relations import find_relations, two_way
from .store import Store

ANALYSIS_VERSION = "analysis-3"


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


def embed_claims(store: Store, embedder, progress: bool = False) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectors of every stored claim's text and of its embed_text (text with its lead).

    Both are cached in the store by model and text hash: only texts never embedded with
    this model are embedded. Search uses the first, clustering the second.
    """
    claims = store.claims()
    texts = {}
    for c in claims:
        texts.setdefault(text_hash(c.text), c.text)
        texts.setdefault(text_hash(c.embed_text), c.embed_text)
    have = store.vectors(embedder.name, texts)
    missing = sorted(set(texts) - set(have))
    if missing:
        vecs = embedder.encode([texts[h] for h in missing], progress=progress)
        store.add_vectors(embedder.name, zip(missing, vecs))
        have.update(zip(missing, vecs))
    own = {c.id: have[text_hash(c.text)] for c in claims}
    with_lead = {c.id: have[text_hash(c.embed_text)] for c in claims}
    return own, with_lead


class PhraseCounter:
    """Claim-level document frequencies of 1-4 word phrases over a whole corpus, counted once,
    so each issue's key phrases are scored against the rest of the corpus without recounting."""

    def __init__(self, texts: Sequence[str]):
        from sklearn.feature_extraction.text import CountVectorizer

        self.vec = CountVectorizer(ngram_range=(1, 4), token_pattern=r"(?u)\b[A-Za-z][\w-]+\b",
                                   lowercase=True, binary=True)
        try:
            self.counts = self.vec.fit_transform(list(texts)).tocsr()
            self.vocab = self.vec.get_feature_names_out()
        except ValueError:  # no words at all
            self.counts, self.vocab = None, np.array([])
        self.total = np.asarray(self.counts.sum(axis=0)).ravel() if self.counts is not None else np.zeros(0)

    def keyphrases(self, rows: Sequence[int], texts: Sequence[str], k: int = 3) -> list[str]:
        """Extractive key phrases of the claims ``rows`` (whose texts are ``texts``): phrases, as
        written in the claims, found in many of them and rarely elsewhere; a phrase neither starts
        nor ends with a stop word, and phrases sharing a word with a better one are skipped."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        if self.counts is None or not len(rows):
            return []
        stop = set(ENGLISH_STOP_WORDS) | {"said", "says", "just", "like", "does", "did", "make", "way", "also", "s"}
        here = np.asarray(self.counts[list(rows)].sum(axis=0)).ravel()
        cols = np.flatnonzero(here)
        scored = []
        for c in cols.tolist():
            words = self.vocab[c].split()
            if words[0] in stop or words[-1] in stop or len(self.vocab[c]) <= 2:
                continue
            score = here[c] * (1 + 0.3 * (len(words) - 1)) / np.log(2 + self.total[c] - here[c])
            scored.append((-(score if here[c] >= 2 else 0.1 * score), self.vocab[c]))  # shared phrases first
        chosen: list[str] = []
        used: set[str] = set()
        for _, phrase in sorted(scored):
            words = set(phrase.split())
            if words & used:
                continue
            chosen.append(phrase)
            used |= words
            if len(chosen) == k:
                break
        shown = []  # each phrase as first written in the claims, not lower-cased
        for p in chosen:
            pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, p.split())) + r"\b", re.I)
            m = next((m for m in map(pattern.search, texts) if m), None)
            shown.append(m.group(0) if m else p)
        return shown


def keyphrases(texts: Sequence[str], background: Sequence[str], k: int = 3) -> list[str]:
    """Key phrases of ``texts`` against ``background`` (see PhraseCounter.keyphrases)."""
    counter = PhraseCounter(list(texts) + list(background))
    return counter.keyphrases(range(len(texts)), texts, k)


def contention_links(ids: Sequence[str], claims: Mapping[str, Claim], X: np.ndarray, labels: np.ndarray,
                     stance: Callable, min_similarity: float = 0.55, threshold: float = 0.6,
                     max_partners: int = 2) -> list[tuple[int, int, float]]:
    """Pairs of claims by different analysts, in different issues (or none), on the same subject
    (cosine >= min_similarity) that the stance scorer says clearly disagree (<= -threshold).

    Such a pair is a point of contention, so its two issues are one issue. Each claim is
    checked against its ``max_partners`` most similar candidates only.
    """
    analyst = np.array([claims[i].analyst for i in ids])
    pairs: set[tuple[int, int]] = set()
    for lo in range(0, len(ids), 1024):  # blockwise: memory stays O(block x n) for any corpus size
        S = X[lo:lo + 1024] @ X.T
        for r in range(S.shape[0]):
            i = lo + r
            ok = (S[r] >= min_similarity) & (analyst != analyst[i])
            ok[i] = False
            if labels[i] >= 0:
                ok &= labels != labels[i]
            cands = np.flatnonzero(ok)
            for j in sorted(cands.tolist(), key=lambda j: (-S[r, j], ids[j]))[:max_partners]:
                pairs.add((min(i, j), max(i, j)))
    pairs_list = sorted(pairs)
    if not pairs_list:
        return []
    ta = [claims[ids[i]].stance_text for i, _ in pairs_list]
    tb = [claims[ids[j]].stance_text for _, j in pairs_list]
    score = two_way(stance, ta, tb)
    return [(i, j, float(s)) for (i, j), s in zip(pairs_list, score.tolist()) if s <= -threshold]


def _merge_labels(labels: np.ndarray, links: Sequence[tuple[int, int, float]], max_size: int) -> np.ndarray:
    """Union the issues of linked claims (strongest link first), never beyond max_size claims."""
    labels = labels.copy()
    nxt = labels.max() + 1 if len(labels) else 0
    for i in range(len(labels)):  # unclustered claims start as their own group
        if labels[i] < 0:
            labels[i] = nxt
            nxt += 1
    for i, j, _ in sorted(links, key=lambda t: (t[2], t[0], t[1])):
        a, b = labels[i], labels[j]
        if a == b or (labels == a).sum() + (labels == b).sum() > max_size:
            continue
        labels[labels == max(a, b)] = min(a, b)
    return labels


def build_issues(claims: Mapping[str, Claim], vectors: Mapping[str, np.ndarray],
                 threshold: float | None = None, stance: Callable | None = None,
                 max_issue_size: int = ISSUE_MAX_SIZE, link_min_similarity: float = 0.55,
                 max_merged_size: int | None = None) -> list[Issue]:
    """Cluster claim vectors into issues, most central claim first; the rest stays unclustered.

    Issues larger than ``max_issue_size`` are split (IssueClusterer.max_cluster_size). With a
    stance scorer, clear disagreements between clusters join them (contention_links), up to
    ``max_merged_size`` claims (default: twice max_issue_size).
    """
    ids = sorted(claims)
    if not ids:
        return []
    X = np.stack([vectors[i] for i in ids])
    labels = IssueClusterer(threshold=ISSUE_THRESHOLD if threshold is None else threshold,
                            max_cluster_size=max_issue_size).fit(X, keys=ids).labels_
    if stance is not None:
        links = contention_links(ids, claims, X, labels, stance, min_similarity=link_min_similarity)
        merged = _merge_labels(labels, links, max_merged_size or 2 * max_issue_size)
        sizes = np.bincount(merged)
        labels = np.where(sizes[merged] >= 2, merged, -1)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        if lab >= 0:
            groups.setdefault(lab, []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), ids[g[0]]))
    counter = PhraseCounter([claims[c].text for c in ids])
    issues = []
    for n, group in enumerate(ordered, start=1):
        centroid = X[group].mean(axis=0)
        centrality = X[group] @ (centroid / max(np.linalg.norm(centroid), 1e-12))
        members = [group[k] for k in sorted(range(len(group)), key=lambda k: (-float(centrality[k]), ids[group[k]]))]
        member_ids = tuple(ids[i] for i in members)
        texts = [claims[c].text for c in member_ids]
        phrases = counter.keyphrases(members, texts)
        issues.append(Issue(f"issue-{n}", " · ".join(phrases) or texts[0][:60], tuple(phrases),
                            member_ids[0], member_ids))
    return issues


def analyze(store: Store, settings: Settings, embedder_factory: Callable[[], object],
            stance_factory: Callable[[Callable[[list[str]], np.ndarray]], Callable], pair_model_name: str,
            progress: bool = False, force: bool = False) -> tuple[list[Issue], list[Relation], bool]:
    """Embed, cluster and relate the stored claims; returns (issues, relations, ran)."""
    key = settings.key(claims_hash(store), pair_model_name)
    if not force and store.meta("analysis") == key:
        return store.issues(), store.relations(), False
    claims = {c.id: c for c in store.claims()}
    embedder = embedder_factory()
    _, vectors = embed_claims(store, embedder, progress=progress)
    # stance functions get claim texts (readings): the cosine baseline looks their vectors up
    by_text = {t: v for cid, v in vectors.items() for t in (claims[cid].text, claims[cid].stance_text)}
    stance = stance_factory(lambda texts: np.stack([by_text[t] for t in texts]))
    issues = build_issues(claims, vectors, settings.threshold, stance=stance if settings.method != "cosine" else None)
    relations = find_relations(issues, claims, vectors, stance) if issues else []
    store.save_analysis(issues, relations, {"analysis": key, "model": settings.model, "method": settings.method})
    return issues, relations, True
