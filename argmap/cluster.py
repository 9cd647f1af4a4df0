"""argmap's issue clustering: group claim vectors that make the same point.

``IssueClusterer`` works on L2-normalised vectors (stored embeddings), scikit-learn style::

    cl = IssueClusterer(threshold=0.7).fit(X, keys=ids)
    cl.labels_       # int per row, -1 = fits no issue (never dropped)
    cl.centrality_   # cosine of each row to its cluster's centroid (0.0 for -1 rows)

Algorithm: average-linkage agglomerative clustering on cosine similarity, cut where the
average similarity between two groups falls below ``threshold``; clusters smaller than
``min_cluster_size`` become -1. Up to ``dense_limit`` items this is exact on the full
similarity matrix (see :func:`similarity_matrix`). Beyond that it is two-stage, so memory
stays O(n * dense_limit): a seeded k-means (centres fitted on a seeded sample of at most
``KMEANS_SAMPLE`` items) splits the items into blocks of at most ``dense_limit``, each
block is clustered exactly, then clusters of different blocks whose
average pairwise cosine (the dot product of their mean vectors) reaches ``threshold`` are
merged, most similar first. 50,000 x 384 takes well under a minute on 2 cores. With ``n_jobs``
(default 1) the blocks, and the oversized clusters the cap splits, are clustered in that many
forked processes (argmap/workers.py ``fork_map``; scipy's linkage holds the GIL, so threads
would not help): the same result (the whole issue stage at 100,000 claims: 21.9 s in one
process, 17.1 s in two).

Determinism: rows are sorted by ``keys`` (stable string ids; without keys, by the vector
values) before fitting and results are mapped back, so the same items in any order get
the same clustering. Cluster ids are numbered by size (largest first), ties by smallest key.

Optional cap: with ``max_cluster_size``, a cluster larger than that is clustered again on
its own at ``threshold + split_step`` (recursively), so broad issues split into readable ones.

Optional refinement: ``pair_scores`` (an n x n dense array with NaN for "no score", or a
scipy sparse matrix whose stored entries are the scored pairs), e.g. the trained pair
model's match probabilities for each item's nearest neighbours; scored pairs use
``(1 - pair_weight) * cosine + pair_weight * score``.

Default threshold 0.70 (cosine): tuned on the train splits of ArgKP (per topic and stance)
and PERSPECTRUM (per claim) for the mean of the two sets' ARI (grid 0.35..0.75 step 0.05;
0.70 was best on both sets). With pair-model refinement (``eval``'s ``argmap`` method: match
probabilities for each item's 8 nearest neighbours) the defaults are threshold 0.70 and
pair_weight 0.7, tuned the same way on a quarter of the train groups; see docs/quality.md.
"""
from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.70
# Issues, not points: an issue holds both sides of a question, so it is broader than a cluster
# of claims that make the same point. ISSUE_THRESHOLD is tuned for that on train
# (scripts/tune_issues.py, docs/quality.md): gold issues = PERSPECTRUM claims with all their
# perspectives, for and against. ISSUE_MAX_SIZE splits broader issues (max_cluster_size) so
# each stays a readable map.
ISSUE_THRESHOLD = 0.45
ISSUE_MAX_SIZE = 20
DEFAULT_REFINED_THRESHOLD = 0.70
DEFAULT_REFINED_PAIR_WEIGHT = 0.7
SEED_SAMPLE = 5000  # items k-means++ picks the blocks' seeds from (cluster.py _seeds)
KMEANS_SAMPLE = 20000  # items the blocks' k-means centres are fitted on (cluster.py _blocks)


def _normalise(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {X.shape}")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X / norms


def _blend(S: np.ndarray, P, weight: float) -> np.ndarray:
    """Blend pair scores P (dense with NaN, or sparse) into similarity matrix S in place."""
    if P is None:
        return S
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover
        sp = None
    if sp is not None and sp.issparse(P):
        C = sp.coo_matrix(P)
        rows, cols, vals = C.row, C.col, C.data.astype(np.float32)
        # symmetrise: average the two directions where both were scored
        acc = {}
        for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
            k = (r, c) if r < c else (c, r)
            if r == c:
                continue
            s, n = acc.get(k, (0.0, 0))
            acc[k] = (s + v, n + 1)
        for (r, c), (s, n) in acc.items():
            v = (1 - weight) * S[r, c] + weight * (s / n)
            S[r, c] = S[c, r] = v
        return S
    P = np.asarray(P, dtype=np.float32)
    if P.shape != S.shape:
        raise ValueError(f"pair_scores has shape {P.shape}, expected {S.shape}")
    Pt = np.where(np.isnan(P), P.T, P)
    Ps = np.where(np.isnan(Pt.T), Pt, (Pt + Pt.T) / 2)
    mask = ~np.isnan(Ps)
    np.fill_diagonal(mask, False)
    S[mask] = (1 - weight) * S[mask] + weight * Ps[mask]
    return S


def similarity_matrix(X: np.ndarray, pair_scores=None, pair_weight: float = 0.5) -> np.ndarray:
    """The (n, n) float32 similarity the clusterer cuts: cosine of the (normalised) rows,
    with scored pairs blended in; symmetric, 1.0 on the diagonal."""
    Xn = _normalise(X)
    S = Xn @ Xn.T
    S = _blend(S, pair_scores, pair_weight)
    np.fill_diagonal(S, 1.0)
    return S


def _sub_scores(P, idx: np.ndarray):
    """The pair scores among the items ``idx`` (dense or sparse), or None without scores."""
    if P is None:
        return None
    return P[np.ix_(idx, idx)] if isinstance(P, np.ndarray) else P[idx][:, idx]


def _average_linkage(S: np.ndarray, threshold: float) -> np.ndarray:
    n = S.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage

    def distance(s: np.ndarray) -> np.ndarray:
        return np.clip(np.subtract(1.0, s, dtype=np.float64), 0.0, 2.0)

    condensed = np.empty(n * (n - 1) // 2)  # distances made symmetric, in scipy's condensed form
    at = 0
    for i in range(n - 1):  # row by row: no n x n float64 array
        condensed[at:at + n - 1 - i] = (distance(S[i, i + 1:]) + distance(S[i + 1:, i])) / 2
        at += n - 1 - i
    Z = linkage(condensed, method="average")
    return fcluster(Z, t=1.0 - threshold + 1e-9, criterion="distance").astype(np.int64) - 1


PARALLEL_WORK = 4_000_000  # pairs (sum of squared group sizes) below which worker processes cost more than they save


def _map(fn, groups: list[np.ndarray], jobs: int) -> list:
    """``fn`` on each group of rows, in ``jobs`` forked processes when there is enough work."""
    from .workers import fork_map

    work = sum(len(g) ** 2 for g in groups)
    return fork_map(fn, groups, jobs if work >= PARALLEL_WORK else 1)


class IssueClusterer:
    """Group vectors into issues; see the module docstring."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, min_cluster_size: int = 2,
                 dense_limit: int = 4000, pair_weight: float = 0.5, random_state: int = 0,
                 max_cluster_size: int | None = None, split_step: float = 0.05, n_jobs: int | None = None):
        self.threshold = threshold
        self.min_cluster_size = min_cluster_size
        self.max_cluster_size = max_cluster_size
        self.split_step = split_step
        self.dense_limit = dense_limit
        self.pair_weight = pair_weight
        self.random_state = random_state
        self.n_jobs = n_jobs

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in
                ("threshold", "min_cluster_size", "dense_limit", "pair_weight", "random_state",
                 "max_cluster_size", "split_step", "n_jobs")}

    def set_params(self, **params) -> "IssueClusterer":
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    # ------------------------------------------------------------------ fit

    def fit(self, X, keys=None, pair_scores=None) -> "IssueClusterer":
        X = _normalise(X)
        n = X.shape[0]
        if keys is not None:
            keys = [str(k) for k in keys]
            if len(keys) != n:
                raise ValueError(f"{len(keys)} keys for {n} rows")
            if len(set(keys)) != n:
                raise ValueError("keys must be unique")
            order = np.array(sorted(range(n), key=lambda i: keys[i]), dtype=np.int64)
        else:
            order = np.lexsort(X.T[::-1]) if n else np.zeros(0, dtype=np.int64)
        Xs = X[order]
        P = None
        if pair_scores is not None:
            import scipy.sparse as sp

            if sp.issparse(pair_scores):
                P = sp.csr_matrix(pair_scores)[order][:, order]
            else:
                P = np.asarray(pair_scores, dtype=np.float32)[np.ix_(order, order)]
        jobs = self.n_jobs or 1
        raw = self._cluster(Xs, P, jobs=jobs) if n else np.zeros(0, dtype=np.int64)
        if self.max_cluster_size and n:
            raw = self._split(Xs, P, raw, self.threshold, jobs=jobs)

        # small clusters -> -1; number by size desc, then smallest (sorted) position
        labels_sorted = np.full(n, -1, dtype=np.int64)
        groups: dict[int, list[int]] = {}
        for i, c in enumerate(raw.tolist()):
            groups.setdefault(c, []).append(i)
        kept = [g for g in groups.values() if len(g) >= max(1, self.min_cluster_size)]
        kept.sort(key=lambda g: (-len(g), g[0]))
        centrality_sorted = np.zeros(n, dtype=np.float32)
        for cid, g in enumerate(kept):
            labels_sorted[g] = cid
            centroid = Xs[g].mean(axis=0)
            norm = np.linalg.norm(centroid)
            centrality_sorted[g] = Xs[g] @ (centroid / norm) if norm else 0.0
        self.labels_ = np.empty(n, dtype=np.int64)
        self.labels_[order] = labels_sorted
        self.centrality_ = np.empty(n, dtype=np.float32)
        self.centrality_[order] = centrality_sorted
        self.n_clusters_ = len(kept)
        return self

    def fit_predict(self, X, keys=None, pair_scores=None) -> np.ndarray:
        return self.fit(X, keys=keys, pair_scores=pair_scores).labels_

    # ------------------------------------------------------------ internals

    def _cluster(self, X: np.ndarray, P, threshold: float | None = None, jobs: int = 1) -> np.ndarray:
        """Average linkage cut at ``threshold`` (default: the clusterer's): exact up to
        ``dense_limit`` items, in k-means blocks merged by their means beyond, so memory stays
        O(n * dense_limit) however large the group; the blocks in ``jobs`` processes."""
        t = self.threshold if threshold is None else threshold
        n = X.shape[0]
        if n <= self.dense_limit:
            return _average_linkage(similarity_matrix(X, P, self.pair_weight), t)
        blocks = self._blocks(X, np.arange(n))

        def linkage(idx: np.ndarray) -> np.ndarray:
            return _average_linkage(similarity_matrix(X[idx], _sub_scores(P, idx), self.pair_weight), t)

        labels = np.empty(n, dtype=np.int64)
        nxt = 0
        for idx, lab in zip(blocks, _map(linkage, blocks, jobs)):
            labels[idx] = lab + nxt
            nxt += int(lab.max()) + 1
        return self._merge(X, labels, blocks, t)

    def _split(self, X: np.ndarray, P, raw: np.ndarray, threshold: float, jobs: int = 1) -> np.ndarray:
        """Re-cluster each cluster larger than max_cluster_size at a threshold split_step higher,
        recursively, so no issue outgrows a readable map; a cluster that is still too large at
        a threshold near 1 (near-duplicates) is left as it is. The clusters in ``jobs`` processes."""
        out = raw.copy()
        nxt = int(raw.max()) + 1
        t = threshold + self.split_step
        if t >= 0.999:
            return out
        by_label = np.argsort(raw, kind="stable")  # each cluster's rows, in order, without a pass per cluster
        large = [idx for idx in np.split(by_label, np.flatnonzero(np.diff(raw[by_label])) + 1)
                 if len(idx) > self.max_cluster_size]

        def split(idx: np.ndarray, jobs: int = 1) -> np.ndarray:
            sub = _sub_scores(P, idx)
            lab = self._cluster(X[idx], sub, t, jobs)  # a group merged across blocks can be far past dense_limit
            return self._split(X[idx], sub, lab, t, jobs)

        # a group past dense_limit is blocked here, its blocks spread over the processes; the rest
        # are spread whole
        dense = [k for k, idx in enumerate(large) if len(idx) <= self.dense_limit]
        labels = {k: split(idx, jobs) for k, idx in enumerate(large) if len(idx) > self.dense_limit}
        labels.update(zip(dense, _map(split, [large[k] for k in dense], jobs)))
        for k, idx in enumerate(large):
            out[idx] = labels[k] + nxt
            nxt += int(labels[k].max()) + 1
        return out

    def _blocks(self, X: np.ndarray, idx: np.ndarray) -> list[np.ndarray]:
        if len(idx) <= self.dense_limit:
            return [idx]
        from sklearn.cluster import KMeans

        k = int(np.ceil(len(idx) / (self.dense_limit / 2)))
        fitted = idx
        if len(idx) > KMEANS_SAMPLE:  # centres from a seeded sample; every item goes to its nearest
            rng = np.random.default_rng(self.random_state)
            fitted = idx[np.sort(rng.choice(len(idx), size=KMEANS_SAMPLE, replace=False))]
        km = KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=self.random_state,
                    init=self._seeds(X[fitted], k)).fit(X[fitted])
        labels = km.labels_ if fitted is idx else km.predict(X[idx])
        parts = [idx[labels == c] for c in range(k)]
        parts = [p for p in parts if len(p)]
        if len(parts) == 1:  # degenerate (e.g. identical vectors): split by position
            step = self.dense_limit
            return [idx[s:s + step] for s in range(0, len(idx), step)]
        out = []
        for p in parts:
            out += self._blocks(X, p)
        return out

    def _seeds(self, X: np.ndarray, k: int) -> np.ndarray:
        """k-means++ seeds chosen among a fixed-size sample (seeded): k-means++ over every item
        costs O(n k log k) distances, most of the blocking's time past 20,000 items."""
        from sklearn.cluster import kmeans_plusplus

        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(X), size=min(len(X), max(SEED_SAMPLE, 4 * k)), replace=False))
        return kmeans_plusplus(X[sample], k, random_state=self.random_state)[0]

    def _merge(self, X: np.ndarray, labels: np.ndarray, blocks, threshold: float) -> np.ndarray:
        """Merge clusters of different blocks whose average pairwise cosine >= threshold."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        block_of = np.empty(len(labels), dtype=np.int64)
        for b, idx in enumerate(blocks):
            block_of[idx] = b
        m = int(labels.max()) + 1
        sizes = np.bincount(labels, minlength=m)
        member = coo_matrix((np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))), shape=(m, len(labels)))
        means = np.asarray(member.tocsr() @ X, dtype=np.float32) / sizes[:, None]
        cblock = np.empty(m, dtype=np.int64)
        cblock[labels] = block_of

        rows, cols = [], []
        step = max(1, (1 << 24) // m)  # similarities held at once
        for s in range(0, m, step):  # joins are transitive: the merged clusters are connected components
            r, c = np.nonzero(means[s:s + step] @ means[s:].T >= threshold)  # each pair once: c >= r
            r, c = r + s, c + s
            keep = (r < c) & (cblock[r] != cblock[c])
            rows.append(r[keep])
            cols.append(c[keep])
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        _, comp = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, m)), directed=False)
        first = np.full(comp.max() + 1, m, dtype=np.int64)
        np.minimum.at(first, comp, np.arange(m))  # each merged cluster is named by its smallest member
        return first[comp][labels]
