"""Issues stage: questions with sides, built around the relations.

Needs the claims, their vectors and the relations found across the whole corpus
(argmap/relations.py); loads no model.

1. **Cluster with similarity and the relation graph.** ``IssueClusterer`` (average linkage on
   cosine) cuts at the issue threshold, with every related pair's similarity raised to
   ``(1 - w) * cosine + w * (0.5 + 0.5 * probability)`` (``RELATION_WEIGHT``), so claims that
   agree or clash share an issue unless the rest of their groups pull them apart.
   Issues above ``max_issue_size`` claims are split (the clusterer's ``max_cluster_size``).
2. **Follow the relations.** Issues linked by a relation are joined, strongest relation first,
   up to ``max_merged_size`` claims (default twice the split size): two groups that agree or
   clash are one question with sides. Past that cap, a claim with no relation inside its own
   issue (or in none) moves to the issue of the claim it is most strongly related to.
3. **Pivot and sides.** An issue's pivot is the claim the others most agree or disagree with
   (largest sum of relation probabilities inside the issue; without relations, the most
   central claim). Sides follow the relations outward from the pivot, strongest first (a
   maximum spanning forest with parity, so a weaker contradicting link never overrides a
   stronger one): agree = same side, disagree = the other side. ``backing`` holds the pivot and
   the claims on its side, ``disputing`` the claims against it; claims linked to neither are on
   the question without a side.
4. **Label.** The question in the claims' own words: the pivot's reading, cut at a clause
   boundary (``headline``). ``keyphrases`` (extractive, against the whole corpus) are kept for
   search and export, never shown as the label.

Relations whose two claims end in one issue get its id (``Relation.issue``); the rest keep ""
and are shown as links across issues.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .cluster import ISSUE_MAX_SIZE, ISSUE_THRESHOLD, IssueClusterer
from .models import Claim, Issue, Relation

RELATION_WEIGHT = 0.7
HEADLINE_CHARS = 100


_TOKEN = re.compile(r"(?u)\b[A-Za-z][\w-]+\b")


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "just", "like", "does", "did", "make", "way", "also", "s"}


class PhraseCounter:
    """Claim-level document frequencies of 1-4 word phrases over a whole corpus, counted once,
    so each issue's key phrases are scored against the rest of the corpus without recounting.
    Only phrases that can be key phrases are counted: none starts or ends with a stop word, and
    a single word has more than two letters (words as scikit-learn's default token pattern
    finds them in the lower-cased text; phrases are their runs, joined by a space)."""

    def __init__(self, texts: Sequence[str]):
        from sklearn.feature_extraction.text import CountVectorizer

        stop = _stop_words()

        def phrases(text: str) -> list[str]:
            words = _TOKEN.findall(text.lower())
            keep = [w not in stop for w in words]
            out = [w for w, k in zip(words, keep) if k and len(w) > 2]
            for n in range(2, 5):
                out += [" ".join(words[i:i + n]) for i in range(len(words) - n + 1) if keep[i] and keep[i + n - 1]]
            return out

        self.vec = CountVectorizer(analyzer=phrases, binary=True)
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
        if self.counts is None or not len(rows):
            return []
        # the phrases of these claims and in how many of them each occurs (counts are binary)
        columns, here = np.unique(self.counts[list(rows)].indices, return_counts=True)
        words = np.char.count(self.vocab[columns].astype(str), " ") + 1  # every counted phrase can be a key phrase
        score = here * (1 + 0.3 * (words - 1)) / np.log(2 + self.total[columns] - here)
        score = np.where(here >= 2, score, 0.1 * score)  # shared phrases first
        chosen: list[str] = []
        used: set[str] = set()
        for c in columns[np.lexsort((columns, -score))].tolist():  # ties: vocab is sorted
            phrase = self.vocab[c]
            words = set(phrase.split())
            if words & used:
                continue
            chosen.append(phrase)
            used |= words
            if len(chosen) == k:
                break
        return _as_written(chosen, texts)


def _as_written(phrases: Sequence[str], texts: Sequence[str]) -> list[str]:
    """Each phrase (lower-cased words) as first written in ``texts``: the span of the first run
    of words (as PhraseCounter finds them) that reads the phrase; the phrase itself if none does."""
    words: list[tuple[list[str], list[tuple[int, int]]] | None] = [None] * len(texts)  # found when needed
    shown = []
    for phrase in phrases:
        want = phrase.split()
        n, found = len(want), None
        for k, text in enumerate(texts):
            if words[k] is None:
                found_words = list(_TOKEN.finditer(text))
                words[k] = [m.group(0).lower() for m in found_words], [m.span() for m in found_words]
            low, spans = words[k]
            at = -1
            while found is None and want[0] in low[at + 1:]:
                at = low.index(want[0], at + 1)
                if low[at:at + n] == want:
                    found = text[spans[at][0]:spans[at + n - 1][1]]
            if found is not None:
                break
        shown.append(found or phrase)
    return shown


def keyphrases(texts: Sequence[str], background: Sequence[str], k: int = 3) -> list[str]:
    """Key phrases of ``texts`` against ``background`` (see PhraseCounter.keyphrases)."""
    counter = PhraseCounter(list(texts) + list(background))
    return counter.keyphrases(range(len(texts)), texts, k)


_BOUNDARY = re.compile(r"[,;:]\s|\s[—–-]\s|\s\(")


def headline(text: str, limit: int = HEADLINE_CHARS) -> str:
    """A claim as an issue label: whitespace folded, a trailing full stop dropped; past
    ``limit`` characters cut at the last clause boundary (comma, semicolon, colon, dash,
    bracket) in the second half of the limit, else at a word, with an ellipsis."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cuts = [m.start() for m in _BOUNDARY.finditer(head) if m.start() >= limit // 2]
    cut = head[: cuts[-1]] if cuts else head.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–-") + "…"


def _relation_scores(ids: Sequence[str], relations: Sequence[Relation]):
    """The relation graph as sparse pair scores for the clusterer: 0.5 + 0.5 * probability."""
    import scipy.sparse as sp

    pos = {c: i for i, c in enumerate(ids)}
    rows, cols, vals = [], [], []
    for r in relations:
        if r.a in pos and r.b in pos:
            v = 0.5 + 0.5 * float(r.score)
            rows += [pos[r.a], pos[r.b]]
            cols += [pos[r.b], pos[r.a]]
            vals += [v, v]
    return sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(ids), len(ids)))


def merge_linked(labels: np.ndarray, ids: Sequence[str], relations: Sequence[Relation], max_size: int) -> np.ndarray:
    """Join the issues of related claims (strongest relation first; an unclustered claim counts
    as an issue of one), never beyond ``max_size`` claims: two groups that agree or clash are
    one question with sides."""
    labels = labels.copy()
    pos = {c: i for i, c in enumerate(ids)}
    nxt = int(labels.max()) + 1 if len(labels) else 0
    alone = np.flatnonzero(labels < 0)
    labels[alone] = nxt + np.arange(len(alone))
    parent = np.arange(int(labels.max()) + 1 if len(labels) else 0)  # an issue joined into another: its id
    size = np.bincount(labels, minlength=len(parent))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for r in sorted((r for r in relations if r.a in pos and r.b in pos), key=lambda r: (-r.score, r.a, r.b)):
        a, b = find(labels[pos[r.a]]), find(labels[pos[r.b]])
        if a == b or size[a] + size[b] > max_size:
            continue
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        size[keep] += size[gone]
    labels = np.array([find(a) for a in labels.tolist()], dtype=labels.dtype)
    sizes = np.bincount(labels)
    return np.where(sizes[labels] >= 2, labels, -1)


def follow_relations(labels: np.ndarray, ids: Sequence[str], relations: Sequence[Relation],
                     max_size: int) -> np.ndarray:
    """Move each claim with no relation inside its own issue (or in none) to the issue of the
    claim it is most strongly related to, strongest relation first, within ``max_size``;
    two unclustered related claims form an issue of their own."""
    labels = labels.copy()
    pos = {c: i for i, c in enumerate(ids)}
    nxt = int(labels.max()) + 1 if len(labels) else 0
    rels = sorted((r for r in relations if r.a in pos and r.b in pos), key=lambda r: (-r.score, r.a, r.b))
    partners: dict[int, list[int]] = {}
    for r in rels:
        partners.setdefault(pos[r.a], []).append(pos[r.b])
        partners.setdefault(pos[r.b], []).append(pos[r.a])

    def anchored(k: int) -> bool:  # related to another claim of its own issue
        return labels[k] >= 0 and any(labels[o] == labels[k] for o in partners.get(k, ()))

    sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(0, dtype=np.int64)
    sizes = {k: int(n) for k, n in enumerate(sizes.tolist())}
    for r in rels:
        i, j = pos[r.a], pos[r.b]
        if labels[i] >= 0 and labels[i] == labels[j]:
            continue
        for mover, target in ((j, i), (i, j)):
            if anchored(mover):
                continue
            if labels[target] < 0:
                if labels[mover] >= 0:
                    continue
                labels[target] = labels[mover] = nxt
                sizes[nxt] = 2
                nxt += 1
                break
            if sizes.get(int(labels[target]), 0) < max_size:
                if labels[mover] >= 0:
                    sizes[int(labels[mover])] -= 1
                labels[mover] = labels[target]
                sizes[int(labels[target])] += 1
                break
    return labels


def pivot_and_sides(member_ids: Sequence[str], central: str, relations: Sequence[Relation],
                    claims: Mapping[str, Claim]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(pivot, backing, disputing) of one issue; see the module docstring."""
    members = set(member_ids)
    rels = sorted((r for r in relations if r.a in members and r.b in members
                   and r.kind in ("agree", "disagree") and claims[r.a].analyst != claims[r.b].analyst),
                  key=lambda r: (-r.score, r.a, r.b))
    if not rels:
        return central, (), ()
    weight: dict[str, list[float]] = {}
    for r in rels:
        for c in (r.a, r.b):
            w = weight.setdefault(c, [0.0, 0.0])
            w[0] += r.score
            w[1] += r.score if r.kind == "disagree" else 0.0
    rank = {c: k for k, c in enumerate(member_ids)}
    pivot = min(weight, key=lambda c: (-round(weight[c][0], 6), -round(weight[c][1], 6), rank[c], c))
    parent: dict[str, tuple[str, int]] = {c: (c, 1) for c in members}

    def find(x: str) -> tuple[str, int]:
        p, par = parent[x]
        if p == x:
            return x, 1
        root, rp = find(p)
        parent[x] = (root, par * rp)
        return root, par * rp

    for r in rels:
        (ra, pa), (rb, pb) = find(r.a), find(r.b)
        if ra != rb:
            parent[rb] = (ra, pa * pb * (1 if r.kind == "agree" else -1))
    root, pp = find(pivot)
    side = {}
    for c in member_ids:
        rc, p = find(c)
        if rc == root:
            side[c] = p * pp
    backing = (pivot,) + tuple(c for c in member_ids if side.get(c) == 1 and c != pivot)
    disputing = tuple(c for c in member_ids if side.get(c) == -1)
    return pivot, backing, disputing


def build_issues(claims: Mapping[str, Claim], vectors: Mapping[str, np.ndarray],
                 relations: Sequence[Relation] = (), threshold: float | None = None,
                 max_issue_size: int = ISSUE_MAX_SIZE, max_merged_size: int | None = None,
                 relation_weight: float = RELATION_WEIGHT, n_jobs: int = 1) -> tuple[list[Issue], list[Relation]]:
    """Issues (largest first, claims most central first) and the relations with their issue ids;
    ``n_jobs``: processes the clusterer may use (the result does not depend on it)."""
    ids = sorted(claims)
    if not ids:
        return [], list(relations)
    X = np.stack([vectors[i] for i in ids])
    P = _relation_scores(ids, relations) if relations else None
    labels = IssueClusterer(threshold=ISSUE_THRESHOLD if threshold is None else threshold,
                            max_cluster_size=max_issue_size, pair_weight=relation_weight, n_jobs=n_jobs).fit(
        X, keys=ids, pair_scores=P).labels_
    if relations:
        labels = merge_linked(labels, ids, relations, max_merged_size or 2 * max_issue_size)
        labels = follow_relations(labels, ids, relations, max_merged_size or 2 * max_issue_size)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        if lab >= 0:
            groups.setdefault(lab, []).append(i)
    ordered = sorted((g for g in groups.values() if len(g) >= 2), key=lambda g: (-len(g), ids[g[0]]))
    counter = PhraseCounter([claims[c].text for c in ids])
    issues = []
    issue_of: dict[str, str] = {}
    group_of = {ids[i]: k for k, g in enumerate(ordered) for i in g}
    rels_of: dict[int, list[Relation]] = {}
    for r in relations:
        if r.a in group_of and group_of[r.a] == group_of.get(r.b):
            rels_of.setdefault(group_of[r.a], []).append(r)
    for n, group in enumerate(ordered, start=1):
        centroid = X[group].mean(axis=0)
        centrality = X[group] @ (centroid / max(np.linalg.norm(centroid), 1e-12))
        members = [group[k] for k in sorted(range(len(group)), key=lambda k: (-float(centrality[k]), ids[group[k]]))]
        member_ids = tuple(ids[i] for i in members)
        issue_id = f"issue-{n}"
        issue_of.update((c, issue_id) for c in member_ids)
        pivot, backing, disputing = pivot_and_sides(member_ids, member_ids[0], rels_of.get(n - 1, []), claims)
        phrases = counter.keyphrases(members, [claims[c].text for c in member_ids])
        issues.append(Issue(issue_id, headline(claims[pivot].stance_text), tuple(phrases), member_ids[0],
                            member_ids, pivot, backing, disputing))
    placed = [replace(r, issue=issue_of[r.a]) if issue_of.get(r.a) and issue_of.get(r.a) == issue_of.get(r.b)
              else replace(r, issue="") for r in relations]
    return issues, placed
