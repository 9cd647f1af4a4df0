"""The search index (argmap/vector_index.py): same answers as the exact scan, exact filters, kept in
step with the store, and never trusted when stale, missing, damaged or not writable.

The limits below which a store or a filtered subset is scanned exactly are lowered, so that a few
hundred claims of the fake embedder go through the graph, the over-fetch and the subset scans.
"""
import hashlib
import json
import random
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from argmap import vector_index
from argmap.cli import cli
from argmap.fake import FakeEmbedder
from argmap.models import Claim, Document, Issue
from argmap.search import counter_search, search
from argmap.store import Store

from conftest import CORPUS, bundled_db, copy_db, use_fake_models

WORDS = ("trade china sanctions summit korea nuclear talks economy growth market tariffs deal peace war missile "
         "alliance military border oil energy climate election vote policy reform tax budget debt bank rates").split()
ANALYSTS = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus"]


class RandomEmbedder:
    """A vector per distinct text, drawn from a generator seeded by its hash: equal scores only
    for equal texts (which the documents below repeat, so that ties by claim id matter)."""

    name = "fake-random-24"

    def encode(self, texts):
        out = np.stack([np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(24)
                        for t in texts]).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


EMBEDDER = RandomEmbedder()
MODEL = EMBEDDER.name


def make_docs(n_docs=16, per_doc=25, seed=7):
    """Documents of claims drawn from a small vocabulary: repeated texts, equal scores."""
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        did = f"doc{d:02d}"
        claims = []
        for j in range(per_doc):
            text = " ".join(rng.sample(WORDS, rng.randint(2, 3)))  # some texts come again
            cid = hashlib.sha256(f"{did}/{j}".encode()).hexdigest()[:16]
            claims.append(Claim(cid, text, rng.choice(ANALYSTS), did, j + 1, 0, len(text)))
        docs.append((Document(did, f"{did}.md", did, content_hash=did), claims))
    return docs


def fill(store, docs):
    for document, claims in docs:
        store.replace_document(document, "", claims, "test")
    texts = {c.text for _, claims in docs for c in claims}
    from argmap.embed import text_hash

    store.add_vectors(MODEL, ((text_hash(t), v) for t, v in zip(sorted(texts), EMBEDDER.encode(sorted(texts)))))
    ids = sorted(c.id for _, claims in docs for c in claims)
    issues = [Issue(f"issue-{i + 1}", f"issue {i + 1}", claim_ids=tuple(ids[i::5])) for i in range(3)]
    store.save_analysis(issues, [], {"analysis": "test"})
    return store


@pytest.fixture
def limits(monkeypatch):
    """Index any store over 50 claims; scan subsets of up to 10 claims; search the graph widely
    enough to find the exact answers among a few hundred claims (recall at scale: the benchmark)."""
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 50)
    monkeypatch.setattr(vector_index, "SUBSET_LIMIT", 10)
    monkeypatch.setattr(vector_index, "EXPANSION_SEARCH", 1000)
    monkeypatch.setattr(vector_index, "BUILD_THREADS", 1)  # the same graph from the same rows


@pytest.fixture
def big(tmp_path):
    return fill(Store(tmp_path / "big.db"), make_docs())


QUERIES = ["trade china", "nuclear talks with korea", "oil energy climate", "tax budget debt", "peace deal",
           "election vote reform policy", "missile alliance military border", "bank rates"]
FILTERS = [{}, {"analyst": "ann"}, {"analyst": "Eve"}, {"document": "doc03"}, {"issue": "issue-2"},
           {"analyst": "Bob", "issue": "issue-1"}, {"document": "doc05", "analyst": "Cy"}]


def exact(store, q, k, monkeypatch, **filters):
    with monkeypatch.context() as m:
        m.setattr(vector_index, "EXACT_LIMIT", 10**9)
        return search(store, q, MODEL, k=k, **filters)


def test_index_answers_as_the_exact_scan(big, limits, monkeypatch):
    for query in QUERIES:
        q = EMBEDDER.encode([query])[0]
        for filters in FILTERS:
            for k in (1, 5, 30):
                assert search(big, q, MODEL, k=k, **filters) == exact(big, q, k, monkeypatch, **filters), (query, filters)
    assert (vector_index.index_folder(big.path) / f"{vector_index._key(MODEL, False)}.json").exists()
    status, index = vector_index.load(big, MODEL)
    assert status == "fresh" and index.live_count == 16 * 25


def test_filters_are_exact_on_every_path(big, limits, monkeypatch):
    claims = {c.id: c for c in big.claims()}
    issue_of = big.issue_of_claims()
    q = EMBEDDER.encode(["trade china sanctions"])[0]
    for subset_limit in (0, 10, 10**6):  # the graph with over-fetch, and the exact subset scan
        monkeypatch.setattr(vector_index, "SUBSET_LIMIT", subset_limit)
        for filters in FILTERS[1:]:
            hits = search(big, q, MODEL, k=12, **filters)
            wanted = set(big.claim_ids(**filters))
            assert hits and {h.id for h in hits} <= wanted
            for h in hits:
                assert "analyst" not in filters or claims[h.id].analyst.lower() == filters["analyst"].lower()
                assert "document" not in filters or h.document == filters["document"]
                assert "issue" not in filters or issue_of[h.id] == filters["issue"] == h.issue
            assert hits == exact(big, q, 12, monkeypatch, **filters)
    # a filter matching one claim finds it, however far it is from the query
    lone = min(claims.values(), key=lambda c: len(c.text))
    by_doc = [c for c in claims.values() if c.document == lone.document and c.analyst == lone.analyst]
    hits = search(big, q, MODEL, k=100, document=lone.document, analyst=lone.analyst)
    assert sorted(h.id for h in hits) == sorted(c.id for c in by_doc)


def test_ties_are_broken_by_claim_id(big, limits):
    q = EMBEDDER.encode(["trade"])[0]
    hits = search(big, q, MODEL, k=60)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    texts = [h.text for h in hits]
    for text in set(texts):  # claims of one text: side by side, by claim id
        at = [i for i, t in enumerate(texts) if t == text]
        assert at == list(range(at[0], at[0] + len(at))) and [hits[i].id for i in at] == sorted(hits[i].id for i in at)
    assert len(set(texts)) < len(texts)  # there were ties to break


def test_same_results_whatever_the_ingest_order(tmp_path, limits):
    docs = make_docs()
    a = fill(Store(tmp_path / "a.db"), docs)
    b = fill(Store(tmp_path / "b.db"), list(reversed(docs)))
    for query in QUERIES:
        q = EMBEDDER.encode([query])[0]
        for filters in FILTERS:
            assert search(a, q, MODEL, k=10, **filters) == search(b, q, MODEL, k=10, **filters)


def test_a_changed_document_makes_the_index_stale_and_it_is_updated(big, limits, monkeypatch):
    q = EMBEDDER.encode(["glacier avalanche"])[0]
    assert search(big, q, MODEL, k=1)[0].score < 0.9
    status, before = vector_index.load(big, MODEL)
    assert status == "fresh"
    docs = make_docs()
    document, claims = docs[4]
    new = Claim("feedfacefeedface", "glacier avalanche", "Ann", document.id, 99, 0, 17)
    big.replace_document(document, "", claims[1:] + [new], "test")  # one claim gone, one new
    assert vector_index.load(big, MODEL)[0] == "stale"
    big.add_vectors(MODEL, [(__import__("argmap.embed").embed.text_hash(new.text), EMBEDDER.encode([new.text])[0])])
    lines = []
    hits = search(big, q, MODEL, k=3, notify=lines.append)
    assert hits[0].id == "feedfacefeedface" and hits[0].score == pytest.approx(1.0, abs=1e-4)
    status, after = vector_index.load(big, MODEL)
    assert status == "fresh" and after.folder != before.folder
    assert len(after.ids) == len(before.ids) + 1 and after.live_count == before.live_count  # extended, not rebuilt
    assert claims[0].id not in after.claim_ids(np.flatnonzero(after.live))
    assert sorted(p.name for p in vector_index.index_folder(big.path).iterdir()) == sorted(
        [f"{vector_index._key(MODEL, False)}.json", after.folder.name])  # the old build is gone
    for filters in FILTERS:
        assert search(big, q, MODEL, k=8, **filters) == exact(big, q, 8, monkeypatch, **filters)


def test_many_removals_rebuild_from_scratch(big, limits):
    search(big, EMBEDDER.encode(["trade"])[0], MODEL, k=3)
    for document, claims in make_docs()[:6]:
        big.replace_document(document, "", claims[:2], "test")
    vector_index.update(big, MODEL, notify=None)
    status, index = vector_index.load(big, MODEL)
    assert status == "fresh" and len(index.ids) == index.live_count == 10 * 25 + 6 * 2


def test_deleted_index_files_are_rebuilt(big, limits, monkeypatch):
    q = EMBEDDER.encode(["oil energy"])[0]
    want = exact(big, q, 10, monkeypatch)
    assert search(big, q, MODEL, k=10) == want
    shutil.rmtree(vector_index.index_folder(big.path))
    assert search(big, q, MODEL, k=10, notify=None) == want
    status, index = vector_index.load(big, MODEL)
    assert status == "fresh"
    (index.folder / "vectors.f16").unlink()  # a file of the live build gone
    lines = []
    assert search(big, q, MODEL, k=10, notify=lines.append) == want
    assert vector_index.load(big, MODEL)[0] == "fresh"


@pytest.mark.parametrize("damage", ["graph garbage", "graph truncated", "pointer garbage", "ids garbage",
                                    "vectors truncated"])
def test_a_damaged_index_is_one_line_and_right_results(big, limits, monkeypatch, damage):
    q = EMBEDDER.encode(["peace deal war"])[0]
    want = exact(big, q, 10, monkeypatch)
    search(big, q, MODEL, k=10)
    _, index = vector_index.load(big, MODEL)
    pointer = vector_index.index_folder(big.path) / f"{vector_index._key(MODEL, False)}.json"
    target = {"graph": index.folder / "ann.usearch", "pointer": pointer, "ids": index.folder / "ids.npy",
              "vectors": index.folder / "vectors.f16"}[damage.split()[0]]
    data = target.read_bytes()
    target.write_bytes(b"\x00garbage" * 50 if damage.endswith("garbage") else data[: len(data) // 2])
    lines = []
    assert search(big, q, MODEL, k=10, notify=lines.append) == want
    assert len(lines) == 1 and "damaged" in lines[0] and "rebuilding" in lines[0]
    assert vector_index.load(big, MODEL)[0] == "fresh"
    assert search(big, q, MODEL, k=10, notify=lines.append) == want and len(lines) == 1


def test_a_read_only_store_is_searched_and_nothing_is_written(big, limits, monkeypatch):
    q = EMBEDDER.encode(["climate election"])[0]
    want = exact(big, q, 10, monkeypatch, analyst="Dee")
    big.read_only = True  # as Store sets it for a file or folder argmap cannot write to
    lines = []
    assert search(big, q, MODEL, k=10, notify=lines.append, analyst="Dee") == want
    assert not vector_index.index_folder(big.path).exists()
    assert len(lines) == 1 and "read-only" in lines[0]
    big.read_only = False
    search(big, q, MODEL, k=10)
    document, claims = make_docs()[0]
    big.replace_document(document, "", claims[1:], "test")  # stale now
    big.read_only = True
    want = exact(big, q, 10, monkeypatch)
    before = sorted(p.name for p in vector_index.index_folder(big.path).iterdir())
    assert search(big, q, MODEL, k=10, notify=lines.append) == want
    assert sorted(p.name for p in vector_index.index_folder(big.path).iterdir()) == before


def test_a_small_store_needs_no_index(big, monkeypatch):
    q = EMBEDDER.encode(["trade"])[0]
    assert search(big, q, MODEL, k=5) == exact(big, q, 5, monkeypatch)
    assert not vector_index.index_folder(big.path).exists()


def test_counter_search_uses_the_index_for_both_pools(big, limits, monkeypatch):
    from argmap.embed import text_hash
    from argmap.fake import FakeStance

    question = FakeEmbedder(dim=16, name="fake-question")
    claims = big.claims()
    texts = sorted({c.embed_text for c in claims})
    big.add_vectors(question.name, zip(map(text_hash, texts), question.encode(texts)))
    query = "trade china sanctions"
    args = (big, "no " + query, EMBEDDER.encode(["no " + query])[0], MODEL, FakeStance())
    kwargs = dict(k=5, pool=12, question=(question.name, question.encode([query])[0]), analyst="Fay")
    hits = counter_search(*args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(vector_index, "EXACT_LIMIT", 10**9)
        assert hits == counter_search(*args, **kwargs)
    assert hits and all(h.analyst == "Fay" for h in hits)
    assert vector_index.load(big, question.name, with_lead=True)[0] == "fresh"


def test_ingest_updates_the_index_and_search_uses_it(tmp_path_factory, tmp_path, limits, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    db = copy_db(bundled_db(tmp_path_factory)[0], tmp_path / "argmap.db")
    use_fake_models(monkeypatch)
    import argmap.embed
    import argmap.question
    import argmap.services

    embedder = FakeEmbedder(name="all-MiniLM-L6-v2")  # the vectors go under the name search looks them up by
    monkeypatch.setattr(argmap.embed, "load_embedder", lambda model=None: embedder)
    monkeypatch.setattr(argmap.services, "query_embedder", lambda model=None: embedder)
    monkeypatch.setattr(argmap.question, "model_name", lambda path=None: "fake-question")
    run = lambda *args: CliRunner().invoke(cli, [*args, "--db", str(db)])  # noqa: E731
    result = run("ingest", "--replace", str(corpus))
    assert result.exit_code == 0, result.output
    store = Store(db)
    fresh = vector_index.load(store, embedder.name)
    assert fresh[0] == "fresh"
    assert vector_index.load(store, "fake-question", with_lead=True)[0] == "fresh"
    first = min(store.claims(), key=lambda c: c.id)
    article = corpus / f"{first.document}.md"
    changed = first.text.replace(" ", " zebras ", 1)
    article.write_text(article.read_text(encoding="utf-8").replace(first.text, changed), encoding="utf-8")
    result = run("ingest", "--replace", str(corpus))
    assert result.exit_code == 0, result.output
    assert vector_index.load(Store(db), embedder.name)[0] == "fresh"
    found = run("search", changed, "--json", "-k", "1")
    assert found.exit_code == 0 and json.loads(found.stdout)["text"] == changed
    shutil.rmtree(vector_index.index_folder(db))
    again = run("search", changed, "--json", "-k", "1")
    assert again.exit_code == 0 and again.stdout == found.stdout
    assert "building the search index" in again.stderr


def test_vectors_of_no_indexed_claim_restamp_the_index_without_rebuilding_it(big, limits):
    q = EMBEDDER.encode(["trade china"])[0]
    first = search(big, q, MODEL, k=5)
    _, before = vector_index.load(big, MODEL)
    from argmap.embed import text_hash

    big.add_vectors(MODEL, [(text_hash("a debate motion, not a claim"), EMBEDDER.encode(["motion"])[0])])
    assert vector_index.load(big, MODEL)[0] == "stale"
    lines = []
    assert search(big, q, MODEL, k=5, notify=lines.append) == first
    status, after = vector_index.load(big, MODEL)
    assert status == "fresh" and after.folder == before.folder and not lines  # same build, new stamp


def test_a_text_repeated_many_times_adds_only_the_copies_that_can_rank(tmp_path, limits, monkeypatch):
    docs = make_docs(n_docs=4)
    letter = "trade china sanctions summit"  # a form letter, sent 300 times
    docs.append((Document("letters", "letters.md", "letters", content_hash="letters"),
                 [Claim(hashlib.sha256(f"letter/{j}".encode()).hexdigest()[:16], letter, ANALYSTS[j % 7], "letters",
                        j + 1, 0, len(letter)) for j in range(300)]))
    store = fill(Store(tmp_path / "letters.db"), docs)
    q = EMBEDDER.encode([letter])[0]
    search(store, q, MODEL, k=5)
    _, index = vector_index.load(store, MODEL)
    rows = index.nearest(q, 5)
    copies = [r for r in rows.tolist() if index.claim_ids(np.array([r]))[0] in
              {c.id for c in docs[-1][1]}]
    assert len(copies) <= 2 * 5  # at most what the graph or scan found, and the 5 copies of smallest id
    hits = search(store, q, MODEL, k=5)
    assert hits == exact(store, q, 5, monkeypatch)
    assert [h.id for h in hits] == sorted(c.id for c in docs[-1][1])[:5]
