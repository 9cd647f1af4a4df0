"""Adding, changing and removing documents recomputes only what they touch, and the analysis
equals a fresh one of the same files (fakes: exact scores)."""
import random

import numpy as np
import pytest

from argmap import neighbours
from argmap.analyze import Settings, analyze
from argmap.fake import FakeEmbedder, FakeStance
from argmap.ingest import ingest
from argmap.relations import analyst_codes, candidate_pairs
from argmap.store import Store

SUBJECTS = ["sanctions on china", "the summit in singapore", "aid to the north", "troops in the south",
            "talks with japan", "the nuclear programme", "trade across the border", "the peace treaty"]
VERBS = ["will hurt", "will help", "changes nothing for", "was decisive for", "matters little to"]
OBJECTS = ["the regime", "ordinary people", "the alliance", "regional stability", "the economy"]


def sentence(rng: random.Random, n: int) -> str:
    s, v, o = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
    neg = " not" if rng.random() < 0.3 and v.startswith("will") else ""
    verb = v.replace("will", f"will{neg}", 1)
    return f"{s.capitalize()} {verb} {o}, says note {n}."


def article(path, name: str, seed: int, analysts: int = 3, sentences: int = 6) -> None:
    rng = random.Random(seed)
    parts = [f'---\ntitle: "{name}"\nauthors: []\n---\n']
    for a in range(analysts):
        parts.append(f"<!-- analyst: Analyst {rng.randrange(6)} -->\n")
        parts.append(" ".join(sentence(rng, seed * 100 + a * 10 + i) for i in range(sentences)) + "\n")
    path.write_text("\n".join(parts), encoding="utf-8")


class Models:
    """Fake models shared by the runs on one store, counting what the scorer reads."""

    def __init__(self):
        self.embedder, self.question = FakeEmbedder(), FakeEmbedder(dim=64, name="fake-question")
        self.stance = FakeStance()
        self.read: list[tuple[str, str]] = []

    def relate(self, a, b):
        self.read += list(zip(a, b))
        return self.stance.relate(a, b)

    def run(self, store, **kw):
        stance = self

        class Scorer:
            agree_threshold = disagree_threshold = 0.5
            relate = staticmethod(stance.relate)

        return analyze(store, Settings(model="fake"), lambda: self.embedder, lambda vectors_for: Scorer(), "fake",
                       question_factory=lambda: self.question, **kw)


def snapshot(store: Store) -> tuple:
    issues = store.issues()
    return ([c.to_dict() for c in sorted(store.claims(), key=lambda c: c.id)], store.relations(), issues,
            [(i.id, [i.side(c) for c in i.claim_ids]) for i in issues])


def fresh(tmp_path, files, name="fresh.db") -> tuple:
    store = Store(tmp_path / name)
    ingest(files, store)
    Models().run(store)
    return snapshot(store)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for n in range(6):
        article(folder / f"doc{n}.md", f"Doc {n}", seed=n)
    return folder


def test_adding_an_article_scores_only_new_pairs_and_equals_a_fresh_ingest(tmp_path, corpus):
    store, models = Store(tmp_path / "a.db"), Models()
    ingest([corpus], store)
    models.run(store)
    before = set(models.read)
    assert before and store.relations() and store.issues()
    new = tmp_path / "new.md"
    article(new, "New", seed=99)
    ingest([corpus, new], store)
    models.read.clear()
    _, _, ran = models.run(store)
    assert ran
    read = [tuple(sorted(p)) for p in models.read]
    assert read and len(read) == len(set(read))  # each new pair once
    assert not set(read) & {tuple(sorted(p)) for p in before}  # no old pair again
    texts = {c.stance_text for c in store.claims(document="new")}
    assert all(a in texts or b in texts for a, b in read)  # every pair read involves the new article
    assert int(store.meta("neighbour_rows")) < len(store.claims())  # not every row recomputed
    assert snapshot(store) == fresh(tmp_path, [corpus, new])


def test_changed_and_replaced_documents_equal_a_fresh_ingest(tmp_path, corpus):
    store, models = Store(tmp_path / "a.db"), Models()
    ingest([corpus], store)
    models.run(store)
    article(corpus / "doc2.md", "Doc 2 changed", seed=42)  # a changed file: claims removed and added
    ingest([corpus], store)
    models.run(store)
    assert snapshot(store) == fresh(tmp_path, [corpus], "fresh1.db")
    other = tmp_path / "other"
    other.mkdir()
    article(other / "doc3.md", "Doc 3 elsewhere", seed=7, analysts=1, sentences=2)  # replaces doc3's claims
    results = ingest([other / "doc3.md"], store, replace=True)
    assert [r.status for r in results] == ["replaced"]
    models.run(store)
    moved = tmp_path / "moved"
    moved.mkdir()
    for n in (0, 1, 2, 4, 5):
        (moved / f"doc{n}.md").write_bytes((corpus / f"doc{n}.md").read_bytes())
    (moved / "doc3.md").write_bytes((other / "doc3.md").read_bytes())
    assert snapshot(store) == fresh(tmp_path, [moved], "fresh2.db")


def test_order_of_additions_does_not_matter(tmp_path, corpus):
    files = sorted(corpus.glob("*.md"))
    one, models = Store(tmp_path / "one.db"), Models()
    for f in files:  # one file at a time, analysed after each
        ingest([f], one)
        models.run(one)
    other, models = Store(tmp_path / "other.db"), Models()
    for f in reversed(files):
        ingest([f], other)
        models.run(other)
    assert snapshot(one) == snapshot(other) == fresh(tmp_path, [corpus])


def test_a_from_scratch_analysis_of_the_same_store_changes_nothing(tmp_path, corpus):
    store, models = Store(tmp_path / "a.db"), Models()
    ingest(sorted(corpus.glob("*.md"))[:3], store)
    models.run(store)
    ingest([corpus], store)
    models.run(store)
    incremental = snapshot(store)
    models.read.clear()
    models.run(store, force=True, incremental=False)
    assert snapshot(store) == incremental
    assert not models.read  # every pair's probabilities came from the cache


# --- neighbour lists ---------------------------------------------------------------------------

def lists_equal(a, b):
    return (a.keys.tolist() == b.keys.tolist() and np.array_equal(a.idx, b.idx)
            and np.array_equal(a.score, b.score))


def test_neighbour_lists_updated_equal_lists_built_with_ties_and_removals():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    pool = np.concatenate([base, base[:10]])  # duplicates: tied cosines
    keys = [f"c{i:03d}" for i in range(len(pool))]
    analysts = [f"a{i % 5}" for i in range(len(pool))]
    Q = neighbours.score_rows(pool)
    old = None
    present = list(range(20))
    for step in range(12):
        add = rng.choice([i for i in range(len(pool)) if i not in present], size=3, replace=False).tolist()
        drop = rng.choice(present, size=2, replace=False).tolist() if step % 2 else []
        present = sorted(set(present) - set(drop) | set(add))
        codes = analyst_codes([analysts[i] for i in present])
        new, _ = neighbours.update(old, [keys[i] for i in present], Q[present], codes, 3)
        assert lists_equal(new, neighbours.build([keys[i] for i in present], Q[present], codes, 3))
        old = neighbours.NeighbourLists.from_bytes(new.to_bytes())


def test_neighbours_ties_go_to_the_lower_row_and_blocks_do_not_change_scores(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    X[5] = X[7] = X[200] = X[3]  # rows 5, 7 and 200 tie for row 3
    codes = np.arange(300) % 7
    Q = neighbours.score_rows(X)
    idx, score = neighbours.nearest(Q, codes, 2, np.arange(300), np.arange(300))
    assert idx[3].tolist() == [5, 200] if codes[7] == codes[3] else idx[3].tolist() == [5, 7]
    monkeypatch.setattr(neighbours, "BLOCK_CELLS", 301)  # one row at a time
    idx1, score1 = neighbours.nearest(Q, codes, 2, np.arange(300), np.arange(300))
    assert np.array_equal(idx, idx1) and np.array_equal(score, score1)
    few, few_score = neighbours.nearest(Q, codes, 2, np.arange(300), np.array([5, 7, 200]))
    assert few_score[3].tolist() == score[3].tolist()  # a small matmul gives the same cosines


def test_candidate_pairs_are_the_pairs_of_the_lists():
    rng = np.random.default_rng(2)
    ids = [f"c{i:02d}" for i in range(30)]
    analysts = [f"a{i % 4}" for i in range(30)]
    X, Qv = rng.normal(size=(30, 8)), rng.normal(size=(30, 8))
    pairs = candidate_pairs(ids, analysts, Qv, X, min_similarity=-1.0)
    codes = analyst_codes(analysts)
    expected = set()
    for V, k in ((X, 1), (Qv, 3)):
        idx, _ = neighbours.nearest(neighbours.score_rows(V), codes, k, np.arange(30), np.arange(30))
        expected |= {tuple(sorted((ids[i], ids[j]))) for i in range(30) for j in idx[i].tolist() if j >= 0}
    assert pairs == sorted(expected)
    assert all(analysts[ids.index(a)] != analysts[ids.index(b)] for a, b in pairs)


def test_the_cosine_baseline_is_never_cached(tmp_path):
    """Cosine scores depend on which claim's vector a text has, so they are computed every time."""
    from argmap.relations import CosineScorer

    folder = tmp_path / "c"
    folder.mkdir()
    for i in range(3):
        article(folder / f"a{i}.md", f"A{i}", seed=i + 1)
    store = Store(tmp_path / "cos.db")
    ingest([folder], store)
    emb = FakeEmbedder()
    issues, relations, ran = analyze(store, Settings(model="fake", method="cosine"), lambda: emb,
                                     lambda vectors_for: CosineScorer(vectors_for), "cosine")
    assert ran and store.conn.execute("SELECT COUNT(*) FROM pair_scores").fetchone()[0] == 0
    assert int(store.meta("pairs_scored")) == int(store.meta("candidate_pairs")) > 0
