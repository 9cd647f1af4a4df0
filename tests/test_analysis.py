"""Embedding cache, issues, relations and search on the deterministic fake embedder."""
import random

import numpy as np
import pytest

from argmap.analyze import Settings, analyze, build_issues, embed_claims, keyphrases
from argmap.models import Claim, Document, Issue
from argmap.relations import candidate_pairs, find_relations
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


def stance_by_negation(a, b):
    """Fake stance: texts disagree when exactly one of them says 'not'."""
    return np.array([-1.0 if (" not " in x) != (" not " in y) else 1.0 for x, y in zip(a, b)])


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    s.replace_document(doc("d1"), "", CLAIMS_1, "test")
    return s


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


def test_issues_same_in_any_order_and_unclustered_kept(fake_embedder):
    claims = {c.id: c for c in CLAIMS_1}
    vectors = dict(zip(claims, fake_embedder.encode([c.text for c in claims.values()])))
    issues = build_issues(claims, vectors, threshold=0.5)
    assert [sorted(i.claim_ids) for i in issues] == [["a1", "a2", "a3"]]
    shuffled = list(claims.items())
    random.Random(3).shuffle(shuffled)
    again = build_issues(dict(shuffled), dict(reversed(list(vectors.items()))), threshold=0.5)
    assert again == issues
    clustered = {c for i in issues for c in i.claim_ids}
    assert set(claims) - clustered == {"a4"}  # listed as unclustered, not dropped


def test_keyphrases_are_extractive():
    texts = ["Sanctions on China hurt trade", "sanctions on China hurt farmers", "trade wars hurt"]
    phrases = keyphrases(texts, ["the summit was a spectacle"])
    assert phrases and all(any(p.lower() in t.lower() for t in texts) for p in phrases)
    assert phrases[0] == "Sanctions on China hurt"


def test_relations_tell_agree_from_disagree(fake_embedder):
    claims = {c.id: c for c in CLAIMS_1}
    vectors = dict(zip(claims, fake_embedder.encode([c.text for c in claims.values()])))
    issue = Issue("issue-1", "x", (), "a1", ("a1", "a2", "a3"))
    rels = find_relations([issue], claims, vectors, stance_by_negation)
    got = {(r.a, r.b): (r.kind, r.score) for r in rels}
    assert got == {("a1", "a2"): ("agree", 1.0), ("a1", "a3"): ("disagree", 1.0), ("a2", "a3"): ("disagree", 1.0)}


def test_candidate_pairs_skip_same_analyst(fake_embedder):
    cs = [claim("x1", "trade hurts", "Ann"), claim("x2", "trade hurts a lot", "Ann"), claim("x3", "trade hurts", "Bob")]
    claims = {c.id: c for c in cs}
    vectors = dict(zip(claims, fake_embedder.encode([c.text for c in cs])))
    pairs = candidate_pairs(Issue("i", "", (), "x1", ("x1", "x2", "x3")), claims, vectors)
    assert [(a, b) for a, b, _ in pairs] == [("x1", "x3"), ("x2", "x3")]


def test_analyze_caches_and_search(store, fake_embedder):
    settings = Settings(model=fake_embedder.name, threshold=0.5)
    run = lambda: analyze(store, settings, lambda: fake_embedder, lambda vf: stance_by_negation, "fake")  # noqa: E731
    issues, relations, ran = run()
    assert ran and len(issues) == 1 and len(relations) == 3
    assert run()[2] is False  # nothing changed: no work
    q = fake_embedder.encode(["sanctions on china hurt trade"])[0]
    hits = search(store, q, fake_embedder.name, k=2)
    assert [h.id for h in hits] == ["a1", "a2"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4) and hits[0].issue == "issue-1"
    assert [h.id for h in search(store, q, fake_embedder.name, k=5, analyst="Cy")] == ["a3"]
    counter = counter_search(store, "sanctions on china hurt trade", q, fake_embedder.name, stance_by_negation, k=3)
    assert [h.id for h in counter] == ["a3"]


def test_claims_with_a_lead_are_clustered_with_it(tmp_path, fake_embedder):
    s = Store(tmp_path / "t.db")
    c = Claim("l1", "it will not matter", "Ann", "d1", 1, 0, 18, "it will not matter", lead="the summit in Beijing")
    s.replace_document(doc("d1"), "", [c], "test")
    own, with_lead = embed_claims(s, fake_embedder)
    assert sorted(fake_embedder.calls[0]) == ["it will not matter", "the summit in Beijing it will not matter"]
    assert np.allclose(own["l1"], fake_embedder.encode(["it will not matter"])[0])
    assert np.allclose(with_lead["l1"], fake_embedder.encode(["the summit in Beijing it will not matter"])[0])


def test_a_clear_disagreement_joins_two_issues(fake_embedder):
    cs = [claim("p1", "china is back at the centre of the talks", "Eve"),
          claim("p2", "china is back at the centre of the talks now", "Fay"),
          claim("q1", "the trip will not change the talks", "Dan"),
          claim("q2", "the trip will not change the talks at all", "Gus")]
    claims = {c.id: c for c in cs}
    vectors = dict(zip(claims, fake_embedder.encode([c.text for c in cs])))
    apart = build_issues(claims, vectors, threshold=0.6)
    assert sorted(sorted(i.claim_ids) for i in apart) == [["p1", "p2"], ["q1", "q2"]]
    joined = build_issues(claims, vectors, threshold=0.6, stance=stance_by_negation, link_min_similarity=0.4)
    assert [sorted(i.claim_ids) for i in joined] == [["p1", "p2", "q1", "q2"]]
    # agreement never joins issues; a size cap or too little similarity stops a merge
    assert build_issues(claims, vectors, threshold=0.6, stance=lambda a, b: np.ones(len(a)), link_min_similarity=0.4) == apart
    assert len(build_issues(claims, vectors, threshold=0.6, stance=stance_by_negation, max_merged_size=3,
                            link_min_similarity=0.4)) == 2
    assert build_issues(claims, vectors, threshold=0.6, stance=stance_by_negation, link_min_similarity=0.99) == apart
