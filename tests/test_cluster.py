import numpy as np
import pytest
import scipy.sparse as sp

from argmap.cluster import IssueClusterer, similarity_matrix


def _blobs(seed=0, n_per=5, k=3, dim=16, noise=0.05):
    rng = np.random.default_rng(seed)
    centers = np.eye(dim)[:k]
    X = np.concatenate([c + noise * rng.standard_normal((n_per, dim)) for c in centers])
    outlier = np.zeros((1, dim))
    outlier[0, dim - 1] = 1.0
    X = np.concatenate([X, outlier]).astype(np.float32)
    keys = [f"id{i:03d}" for i in range(len(X))]
    return X, keys


def test_blobs_found_and_outlier_unclustered():
    X, keys = _blobs()
    cl = IssueClusterer(threshold=0.7).fit(X, keys=keys)
    lab = cl.labels_
    assert len(lab) == len(X)
    assert lab[-1] == -1  # fits no issue, kept as -1
    for b in range(3):
        assert len(set(lab[b * 5:(b + 1) * 5])) == 1
    assert len(set(lab[:15])) == 3
    assert cl.n_clusters_ == 3
    assert np.all(cl.centrality_[:15] > 0.9) and cl.centrality_[-1] == 0.0


def test_order_invariance_and_deterministic_ids():
    X, keys = _blobs(n_per=4)
    X = np.concatenate([X, X[:2] + 0.01]).astype(np.float32)  # make blob 0 the biggest
    keys = keys + ["zz1", "zz2"]
    base = IssueClusterer(threshold=0.7).fit(X, keys=keys).labels_
    assert base[0] == 0  # largest cluster gets id 0
    rng = np.random.default_rng(1)
    for _ in range(3):
        perm = rng.permutation(len(X))
        lab = IssueClusterer(threshold=0.7).fit(X[perm], keys=[keys[i] for i in perm]).labels_
        assert np.array_equal(lab, base[perm])
    # without keys: still order-invariant (rows are sorted by value)
    nk = IssueClusterer(threshold=0.7).fit(X).labels_
    perm = rng.permutation(len(X))
    assert np.array_equal(IssueClusterer(threshold=0.7).fit(X[perm]).labels_, nk[perm])


def test_ties_numbered_by_smallest_key():
    X = np.array([[1, 0], [1, 0.01], [0, 1], [0.01, 1]], dtype=np.float32)
    lab = IssueClusterer(threshold=0.9).fit(X, keys=["d", "c", "a", "b"]).labels_
    assert list(lab) == [1, 1, 0, 0]  # both size 2; the one holding key "a" is 0


def test_fake_embedder_texts(fake_embedder):
    texts = ["cars pollute the air", "cars pollute the air badly", "taxes fund schools",
             "taxes fund good schools", "zebra"]
    V = fake_embedder.encode(texts)
    lab = IssueClusterer(threshold=0.6).fit(V, keys=texts).labels_
    assert lab[0] == lab[1] != lab[2] == lab[3] and lab[4] == -1


def test_pair_scores_refine():
    X = np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32)
    # cosine(0,1) = 0.6: below 0.7 -> apart
    assert len(set(IssueClusterer(threshold=0.7).fit(X).labels_[:2].tolist())) == 2
    P = sp.csr_matrix(([1.0], ([0], [1])), shape=(3, 3))
    S = similarity_matrix(X, P, pair_weight=0.5)
    assert S[0, 1] == pytest.approx(0.8) and S[1, 0] == pytest.approx(0.8) and S[0, 2] == pytest.approx(0.0)
    lab = IssueClusterer(threshold=0.7).fit(X, keys=["a", "b", "c"], pair_scores=P).labels_
    assert lab[0] == lab[1] == 0 and lab[2] == -1
    dense = np.full((3, 3), np.nan, dtype=np.float32)
    dense[1, 0] = 1.0
    assert similarity_matrix(X, dense)[0, 1] == pytest.approx(0.8)


def test_two_stage_matches_blobs():
    rng = np.random.default_rng(0)
    dim, k, n_per = 32, 12, 30
    centers = np.linalg.qr(rng.standard_normal((dim, dim)))[0][:k]
    X = np.concatenate([c + 0.05 * rng.standard_normal((n_per, dim)) for c in centers]).astype(np.float32)
    keys = [f"{i:05d}" for i in range(len(X))]
    dense = IssueClusterer(threshold=0.7).fit(X, keys=keys).labels_
    two = IssueClusterer(threshold=0.7, dense_limit=50).fit(X, keys=keys).labels_
    assert len(set(dense)) == k
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(dense, two) == pytest.approx(1.0)


def test_edge_cases():
    assert IssueClusterer().fit(np.zeros((0, 4), dtype=np.float32)).labels_.shape == (0,)
    one = IssueClusterer().fit(np.ones((1, 4), dtype=np.float32), keys=["x"])
    assert list(one.labels_) == [-1]
    with pytest.raises(ValueError):
        IssueClusterer().fit(np.ones((2, 4)), keys=["x", "x"])
    assert IssueClusterer(threshold=0.5).get_params()["threshold"] == 0.5


def _two_subtopics(n_per=6):
    """Two tight sub-blobs, cos(centre A, centre B) = 0.6: one issue at 0.5, two at 0.7."""
    rng = np.random.default_rng(1)
    a = np.zeros(8)
    a[0] = 1.0
    b = np.zeros(8)
    b[0], b[1] = 0.6, 0.8
    X = np.concatenate([c + 0.02 * rng.standard_normal((n_per, 8)) for c in (a, b)]).astype(np.float32)
    return X, [f"k{i:02d}" for i in range(len(X))]


def test_max_cluster_size_splits_an_oversized_issue():
    X, keys = _two_subtopics()
    assert IssueClusterer(threshold=0.5).fit(X, keys=keys).n_clusters_ == 1
    capped = IssueClusterer(threshold=0.5, max_cluster_size=8).fit(X, keys=keys)
    assert capped.n_clusters_ == 2
    assert len(set(capped.labels_[:6])) == 1 and len(set(capped.labels_[6:])) == 1
    assert capped.labels_[0] != capped.labels_[6]
    # a cap the issue fits under changes nothing; the same items in another order, same issues
    assert IssueClusterer(threshold=0.5, max_cluster_size=12).fit(X, keys=keys).n_clusters_ == 1
    order = np.arange(len(X))[::-1]
    again = IssueClusterer(threshold=0.5, max_cluster_size=8).fit(X[order], keys=[keys[i] for i in order])
    assert list(again.labels_[np.argsort(order)]) == list(capped.labels_)


def test_near_duplicates_over_the_cap_stay_together():
    X = np.tile(np.eye(4)[:1], (5, 1)).astype(np.float32) + 1e-4 * np.arange(20, dtype=np.float32).reshape(5, 4)
    cl = IssueClusterer(threshold=0.5, max_cluster_size=3).fit(X, keys=[f"d{i}" for i in range(5)])
    assert list(cl.labels_) == [0] * 5


def test_a_group_merged_past_dense_limit_is_split_in_blocks_never_densely(monkeypatch):
    """Blocks merged across k-means boundaries can form one group far larger than dense_limit;
    splitting it must stay in blocks (a dense matrix of 100,000 claims is 40 GB)."""
    import argmap.cluster as cluster

    rng = np.random.default_rng(0)
    base = rng.normal(size=32).astype(np.float32)
    centers = base + 0.8 * rng.normal(size=(60, 32)).astype(np.float32)
    X = centers[rng.integers(0, 60, 1500)] + 0.5 * rng.normal(size=(1500, 32)).astype(np.float32)
    largest = []
    real = cluster._average_linkage
    monkeypatch.setattr(cluster, "_average_linkage", lambda S, t: largest.append(len(S)) or real(S, t))
    cl = IssueClusterer(threshold=0.45, max_cluster_size=20, dense_limit=200).fit(X, keys=[f"{i:05d}" for i in range(1500)])
    assert max(largest) <= 200
    sizes = np.bincount(cl.labels_[cl.labels_ >= 0])
    assert sizes.max() <= 20 and cl.n_clusters_ > 10
    again = IssueClusterer(threshold=0.45, max_cluster_size=20, dense_limit=200).fit(X[::-1], keys=[f"{i:05d}" for i in range(1500)][::-1])
    assert np.array_equal(again.labels_[::-1], cl.labels_)  # same groups in any order


def test_merge_joins_exactly_the_cross_block_clusters_whose_mean_similarity_reaches_the_threshold():
    """_merge (in chunks, as connected components) must equal the plain definition: every pair
    of clusters from different blocks with mean·mean >= threshold joined, transitively, each
    merged cluster named by its smallest member cluster."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 8)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    perm = rng.permutation(600)
    blocks = [np.sort(perm[s:s + 150]) for s in range(0, 600, 150)]
    labels = np.empty(600, dtype=np.int64)
    nxt = 0
    for idx in blocks:  # clusters of a block: consecutive ids, as _cluster numbers them
        lab = rng.integers(0, 40, len(idx))
        _, lab = np.unique(lab, return_inverse=True)
        labels[idx] = lab + nxt
        nxt += int(lab.max()) + 1
    for t in (0.1, 0.2, 0.3):
        got = IssueClusterer()._merge(X, labels, blocks, t)
        m = nxt
        means = np.stack([X[labels == c].mean(axis=0) for c in range(m)])
        cblock = np.array([next(b for b, idx in enumerate(blocks) if c in labels[idx]) for c in range(m)])
        r, c = np.nonzero((means @ means.T >= t) & (cblock[:, None] != cblock[None, :]))
        _, comp = connected_components(coo_matrix((np.ones(len(r)), (r, c)), shape=(m, m)), directed=False)
        first = {k: min(np.flatnonzero(comp == k)) for k in set(comp.tolist())}
        want = np.array([first[comp[lab]] for lab in labels])
        assert (got == want).all()
        assert 1 < len(set(got.tolist())) < m  # some clusters joined, not all


def _recluster_reference(X, threshold, cap, step=0.05):
    """The cap's definition: cluster, then cluster each oversized cluster again on its own at
    threshold + step, recursively."""
    from argmap.cluster import _average_linkage

    def run(idx, t):
        lab = _average_linkage(similarity_matrix(X[idx]), t)
        out, nxt = lab.copy(), lab.max() + 1
        for c in np.unique(lab):
            sub = np.flatnonzero(lab == c)
            if len(sub) > cap and t + step < 0.999:
                out[sub] = run(idx[sub], t + step) + nxt
                nxt = out.max() + 1
        return out

    return run(np.arange(len(X)), threshold)


def _same_partition(a, b):
    pairs = lambda lab: {(i, j) for i in range(len(lab)) for j in range(i + 1, len(lab)) if lab[i] == lab[j]}  # noqa: E731
    return pairs(list(a)) == pairs(list(b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_cap_splits_each_oversized_cluster_by_clustering_it_again_higher(seed):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(6, 16)).astype(np.float32)
    X = centers[rng.integers(0, 6, 150)] + 0.7 * rng.normal(size=(150, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    keys = [f"{i:04d}" for i in range(150)]
    cl = IssueClusterer(threshold=0.3, max_cluster_size=8, min_cluster_size=1).fit(X, keys=keys)
    want = _recluster_reference(X, 0.3, 8)
    assert _same_partition(cl.labels_, want)
    assert len(set(want.tolist())) > 10  # the cap did split


@pytest.mark.parametrize("with_scores", [False, True])
def test_worker_processes_give_the_labels_of_one_process(monkeypatch, with_scores):
    """n_jobs spreads the blocks and the cap's splits over forked processes: the same labels
    and centralities as in one process (forced here: the real rule forks only for big work)."""
    import argmap.cluster as cluster
    import argmap.workers as workers

    rng = np.random.default_rng(3)
    base = rng.normal(size=32).astype(np.float32)
    centers = base + 0.8 * rng.normal(size=(60, 32)).astype(np.float32)
    X = centers[rng.integers(0, 60, 1500)] + 0.5 * rng.normal(size=(1500, 32)).astype(np.float32)
    keys = [f"{i:05d}" for i in range(1500)]
    P = None
    if with_scores:
        rows = rng.integers(0, 1500, 3000)
        cols = rng.integers(0, 1500, 3000)
        P = sp.csr_matrix((rng.random(3000).astype(np.float32), (rows, cols)), shape=(1500, 1500))
    params = dict(threshold=0.45, max_cluster_size=20, dense_limit=200)
    one = IssueClusterer(**params).fit(X, keys=keys, pair_scores=P)
    forked = []
    real = workers.fork_map
    monkeypatch.setattr(workers, "fork_map", lambda fn, items, n: forked.append(n) or real(fn, items, n))
    monkeypatch.setattr(cluster, "PARALLEL_WORK", 0)
    two = IssueClusterer(**params, n_jobs=2).fit(X, keys=keys, pair_scores=P)
    assert 2 in forked  # the blocks and the splits did go to worker processes
    assert np.array_equal(two.labels_, one.labels_)
    assert np.array_equal(two.centrality_, one.centrality_)
    assert one.n_clusters_ > 10
