"""Embedding cache, candidate pairs, relations, issues with sides and search, on fakes with exact scores."""
import random

import numpy as np
import pytest

from argmap.analyze import Settings, analyze, embed_claims
from argmap.fake import FakeEmbedder, FakeStance
from argmap.issues import build_issues, headline, keyphrases, pivot_and_sides
from argmap.models import Claim, Document, Relation
from argmap.onnx_models import instruction_set
from argmap.relations import candidate_pairs, decide, find_relations, read_pairs, verdict
from argmap.search import counter_search, search
from argmap.store import Store


def claim(cid, text, analyst, doc="d1"):
    return Claim(cid, text, analyst, doc, 1, 0, len(text), text)


def doc(did):
    return Document(did, f"{did}.md", did.upper(), content_hash=did)


CLAIMS_1 = [
    claim("a1", "sanctions on china hurt trade", "Ann"),
    claim("a2", "sanctions on china hurt trade badly", "Bob"),
    claim("a3", "sanctions on china do not hurt trade", "Cy"),
    claim("a4", "the summit in singapore was a spectacle", "Ann"),
]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    s.replace_document(doc("d1"), "", CLAIMS_1, "test")
    return s


def vectors_of(claims, embedder):
    return dict(zip(claims, embedder.encode([c.text for c in claims.values()])))


def test_embed_claims_embeds_each_text_once(store, fake_embedder):
    vectors, with_lead = embed_claims(store, fake_embedder)
    assert sorted(vectors) == sorted(with_lead) == ["a1", "a2", "a3", "a4"]
    assert sum(len(b) for b in fake_embedder.calls) == 4
    embed_claims(store, fake_embedder)  # nothing new
    assert len(fake_embedder.calls) == 1
    store.replace_document(doc("d2"), "", [claim("b1", "a new claim about trade", "Dee", "d2")], "test")
    embed_claims(store, fake_embedder)
    assert fake_embedder.calls[-1] == ["a new claim about trade"]  # only the added document's claim


def test_fake_scores_are_exact(fake_embedder):
    v = fake_embedder.encode(["alpha beta", "alpha gamma"])
    # three distinct words in distinct buckets: cosine = 1 / (sqrt 2 * sqrt 2)
    assert float(v[0] @ v[1]) == pytest.approx(0.5, abs=1e-6)


# --- candidate pairs -------------------------------------------------------------------------

def test_candidate_pairs_skip_same_analyst_and_come_from_both_vector_kinds():
    ids = ["x1", "x2", "x3", "x4"]
    analysts = ["Ann", "Ann", "Bob", "Cy"]
    plain = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)
    # x4 shares no words with the others (plain cosine 0) but is on x1's question
    question = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]], dtype=np.float32)
    assert candidate_pairs(ids, analysts, None, plain, similar_k=1) == [("x1", "x3"), ("x2", "x3")]
    both = candidate_pairs(ids, analysts, question, plain, question_k=1, similar_k=1)
    assert ("x1", "x4") in both and ("x1", "x2") not in both  # never two claims of one analyst


def test_candidate_pairs_grow_linearly_and_ignore_order():
    rng = np.random.default_rng(0)
    n = 300
    X = rng.normal(size=(n, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = rng.normal(size=(n, 16)).astype(np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    ids = [f"c{i:03d}" for i in range(n)]
    analysts = [f"A{i % 7}" for i in range(n)]
    pairs = candidate_pairs(ids, analysts, Q, X, question_k=3, similar_k=1, min_similarity=-1)
    assert n <= len(pairs) <= n * 4  # at most question_k + similar_k per claim
    perm = rng.permutation(n)
    again = candidate_pairs([ids[i] for i in perm], [analysts[i] for i in perm], Q[perm], X[perm],
                            question_k=3, similar_k=1, min_similarity=-1)
    assert again == pairs


# --- relations -------------------------------------------------------------------------------

def test_decide_needs_the_threshold_and_the_larger_probability():
    assert decide([0.1, 0.2, 0.7], 0.5, 0.5) == ("disagree", 0.7)
    assert decide([0.1, 0.6, 0.3], 0.5, 0.5) == ("agree", 0.6)
    assert decide([0.5, 0.1, 0.4], 0.5, 0.5) == ("neither", 0.5)
    assert decide([0.1, 0.45, 0.45], 0.4, 0.4)[0] == "neither"  # a tie takes no side
    assert verdict([0.05, 0.05, 0.9]) == {"relation": "disagree", "probability": 0.9, "p_agree": 0.05,
                                          "p_disagree": 0.9, "p_neither": 0.05}


def test_relations_tell_agree_from_disagree():
    claims = {c.id: c for c in CLAIMS_1}
    pairs = [("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("a1", "a4")]
    rels = find_relations(pairs, claims, FakeStance().relate)
    got = {(r.a, r.b): (r.kind, r.score) for r in rels}
    assert got == {("a1", "a2"): ("agree", 0.8), ("a1", "a3"): ("disagree", 0.9), ("a2", "a3"): ("disagree", 0.9)}
    assert all(r.issue == "" for r in rels)  # issues come afterwards


def test_read_pairs_keeps_extra_fields_and_names_bad_lines():
    from argmap.errors import InputError

    rows = read_pairs("p.jsonl", '{"a": "x", "b": "y", "id": 7}\n\n{"a": "u", "b": "v"}\n')
    assert rows == [{"a": "x", "b": "y", "id": 7}, {"a": "u", "b": "v"}]
    with pytest.raises(InputError, match=r"p.jsonl: line 2: not JSON"):
        read_pairs("p.jsonl", '{"a": "x", "b": "y"}\n{"a": \n')
    with pytest.raises(InputError, match=r'line 1: expected an object with non-empty text fields "a" and "b"'):
        read_pairs("p.jsonl", '{"a": "x"}\n')
    with pytest.raises(InputError, match="no pairs"):
        read_pairs("p.jsonl", "\n")


# --- issues ----------------------------------------------------------------------------------

def test_issues_same_in_any_order_and_unclustered_kept(fake_embedder):
    claims = {c.id: c for c in CLAIMS_1}
    vectors = vectors_of(claims, fake_embedder)
    issues, _ = build_issues(claims, vectors, threshold=0.5)
    assert [sorted(i.claim_ids) for i in issues] == [["a1", "a2", "a3"]]
    shuffled = list(claims.items())
    random.Random(3).shuffle(shuffled)
    again, _ = build_issues(dict(shuffled), dict(reversed(list(vectors.items()))), threshold=0.5)
    assert again == issues
    clustered = {c for i in issues for c in i.claim_ids}
    assert set(claims) - clustered == {"a4"}  # listed as unclustered, not dropped
    assert issues[0].pivot == issues[0].central_claim and not issues[0].disputing  # no relations: no sides


def test_keyphrases_are_extractive():
    texts = ["Sanctions on China hurt trade", "sanctions on China hurt farmers", "trade wars hurt"]
    phrases = keyphrases(texts, ["the summit was a spectacle"])
    assert phrases and all(any(p.lower() in t.lower() for t in texts) for p in phrases)
    assert phrases[0] == "Sanctions on China hurt"


def test_headline_cuts_at_a_clause_boundary():
    assert headline("China is back.") == "China is back"
    long = ("Kim rolled into town for a summit that put China decisively back in center stage, and gained "
            "the DPRK invaluable assurances and leverage for its upcoming talks.")
    assert headline(long) == "Kim rolled into town for a summit that put China decisively back in center stage…"
    assert len(headline("word " * 60)) <= 100 and headline("word " * 60).endswith("…")


def test_a_clash_in_other_words_shares_an_issue(fake_embedder):
    """E and D's case: two groups that share no words are apart by similarity; a disagreement
    between them puts them in one issue, with the pivot and the two sides."""
    cs = [claim("p1", "china is back at the centre of the talks", "Eve"),
          claim("p2", "china is back at the centre of the talks now", "Fay"),
          claim("q1", "the trip will make no dent in the dynamics", "Dan"),
          claim("q2", "the trip will make no dent in the dynamics at all", "Gus")]
    claims = {c.id: c for c in cs}
    vectors = vectors_of(claims, fake_embedder)
    apart, _ = build_issues(claims, vectors, threshold=0.6)
    assert sorted(sorted(i.claim_ids) for i in apart) == [["p1", "p2"], ["q1", "q2"]]
    rels = [Relation("p1", "p2", "agree", 0.8), Relation("p1", "q1", "disagree", 0.9),
            Relation("q1", "q2", "agree", 0.7)]
    joined, placed = build_issues(claims, vectors, rels, threshold=0.6)
    assert [sorted(i.claim_ids) for i in joined] == [["p1", "p2", "q1", "q2"]]
    issue = joined[0]
    assert issue.pivot == "p1"  # 0.8 + 0.9: the claim the others most agree or disagree with
    assert set(issue.backing) == {"p1", "p2"} and issue.backing[0] == "p1" and set(issue.disputing) == {"q1", "q2"}
    assert issue.label == "china is back at the centre of the talks"
    assert {r.issue for r in placed} == {"issue-1"}
    assert {issue.side(c) for c in ("q1", "q2")} == {-1}
    # a size cap keeps them apart, and the relation is then a link across issues
    capped, placed = build_issues(claims, vectors, rels, threshold=0.6, max_merged_size=3)
    assert sorted(sorted(i.claim_ids) for i in capped) == [["p1", "p2"], ["q1", "q2"]]
    assert [r.issue for r in placed if r.kind == "disagree"] == [""]


def test_sides_follow_the_strongest_relations():
    cs = {c.id: c for c in [claim("x", "x", "A"), claim("y", "y", "B"), claim("z", "z", "C")]}
    rels = [Relation("x", "y", "agree", 0.9), Relation("y", "z", "disagree", 0.8), Relation("x", "z", "agree", 0.6)]
    pivot, backing, disputing = pivot_and_sides(("x", "y", "z"), "x", rels, cs)
    # weights: x 1.5, y 1.7, z 1.4 -> pivot y; x agrees with y; z disagrees with y (0.8 beats x-z agree 0.6)
    assert (pivot, backing, disputing) == ("y", ("y", "x"), ("z",))
    assert pivot_and_sides(("x", "y", "z"), "x", list(reversed(rels)), cs) == (pivot, backing, disputing)


def test_a_lone_claim_follows_its_relation_into_an_issue(fake_embedder):
    cs = [claim("p1", "china is back at the centre of the talks", "Eve"),
          claim("p2", "china is back at the centre of the talks now", "Fay"),
          claim("z1", "pyongyang keeps its own counsel", "Dan")]
    claims = {c.id: c for c in cs}
    vectors = vectors_of(claims, fake_embedder)
    alone, _ = build_issues(claims, vectors, threshold=0.6)
    assert [sorted(i.claim_ids) for i in alone] == [["p1", "p2"]]
    joined, placed = build_issues(claims, vectors, [Relation("p2", "z1", "disagree", 0.55)], threshold=0.6)
    assert [sorted(i.claim_ids) for i in joined] == [["p1", "p2", "z1"]]
    assert joined[0].disputing == ("z1",) and placed[0].issue == "issue-1"
    capped, placed = build_issues(claims, vectors, [Relation("p2", "z1", "disagree", 0.55)], threshold=0.6,
                                  max_merged_size=2)
    assert [sorted(i.claim_ids) for i in capped] == [["p1", "p2"]] and placed[0].issue == ""


# --- the whole stage -------------------------------------------------------------------------

def test_analyze_caches_and_search(store, fake_embedder):
    settings = Settings(model=fake_embedder.name, threshold=0.5)
    question = FakeEmbedder(dim=64, name="fake-question")
    scorer = FakeStance()
    run = lambda: analyze(store, settings, lambda: fake_embedder, lambda vf: scorer, "fake",  # noqa: E731
                          question_factory=lambda: question)
    issues, relations, ran = run()
    assert ran and len(issues) == 1
    assert {(r.a, r.b, r.kind) for r in relations} == {("a1", "a2", "agree"), ("a1", "a3", "disagree"),
                                                        ("a2", "a3", "disagree")}
    # a3 clashes with both (0.9 + 0.9): it is the pivot, and a1, a2 dispute it
    assert issues[0].pivot == "a3" and issues[0].backing == ("a3",) and set(issues[0].disputing) == {"a1", "a2"}
    assert store.issues() == issues  # sides and pivot survive the store
    assert store.meta("instruction_set") == instruction_set() != ""  # what the analysis was made on
    assert run()[2] is False  # nothing changed: no work
    q = fake_embedder.encode(["sanctions on china hurt trade"])[0]
    hits = search(store, q, fake_embedder.name, k=2)
    assert [h.id for h in hits] == ["a1", "a2"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4) and hits[0].issue == "issue-1"
    assert [h.id for h in search(store, q, fake_embedder.name, k=5, analyst="Cy")] == ["a3"]
    counter = counter_search(store, "sanctions on china hurt trade", q, fake_embedder.name, scorer, k=3)
    assert [(h.id, h.score) for h in counter] == [("a3", 0.9)]


def test_counter_search_reaches_claims_in_other_words_through_question_vectors(store, fake_embedder):
    """A counter-argument that shares no words with the query is found through the question vectors."""
    settings = Settings(model=fake_embedder.name, threshold=0.5)
    question = FakeEmbedder(dim=64, name="fake-question")
    analyze(store, settings, lambda: fake_embedder, lambda vf: FakeStance(), "fake", question_factory=lambda: question)

    class Opposed(FakeStance):  # a4 (the spectacle) disagrees with the query; everything else is neither
        def probabilities(self, a, b, topic=None, progress=False):
            return np.array([self.DISAGREE if "spectacle" in x else self.NEITHER for x in a], dtype=np.float32)

    query = "sanctions on china hurt trade"
    q = fake_embedder.encode([query])[0]
    plain = counter_search(store, query, q, fake_embedder.name, Opposed(), k=3, pool=1)
    assert plain == []  # a4 is not among the plain neighbours of the query
    qv = question.encode(["the summit in singapore was a spectacle"])[0]  # pretend the query's question vector
    hits = counter_search(store, query, q, fake_embedder.name, Opposed(), k=3, pool=1,
                          question=("fake-question", qv))
    assert [h.id for h in hits] == ["a4"]
