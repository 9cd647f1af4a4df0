import json
import math

import numpy as np
import pytest

from argmap import evaluate as ev
from argmap.errors import InputError


def _write_argkp(tmp_path, split="dev"):
    d = tmp_path / "argkp"
    d.mkdir(parents=True)
    (d / f"arguments_{split}.csv").write_text(
        "arg_id,argument,topic,stance\n"
        "a1,cars pollute,T,1\na2,cars are dirty,T,1\na3,cars are fast,T,1\na4,cars kill,T,1\n"
        "a5,bikes are fine,T,-1\n"
    )
    (d / f"key_points_{split}.csv").write_text(
        "key_point_id,key_point,topic,stance\nk1,pollution,T,1\nk2,danger,T,1\nk3,bikes,T,-1\n"
    )
    (d / f"labels_{split}.csv").write_text(
        "arg_id,key_point_id,label\na1,k1,1\na1,k2,0\na2,k1,1\na2,k2,0\na3,k1,0\na4,k2,1\na4,k1,0\na5,k3,1\n"
    )
    return tmp_path


def test_argkp_loader_and_candidates(tmp_path):
    ds = ev.load_argkp(_write_argkp(tmp_path), "dev")
    assert len(ds.arguments) == 5 and ds.arguments["a5"]["stance"] == -1
    pairs = ds.candidate_pairs()
    assert ("a1", "k1") in pairs and ("a5", "k3") in pairs and ("a5", "k1") not in pairs
    assert len(pairs) == 4 * 2 + 1
    gold = ds.gold_clusters()
    assert gold[("T", 1)] == [("a1", "k1"), ("a2", "k1"), ("a4", "k2")]


def test_track1_map_hand_computed(tmp_path):
    ds = ev.load_argkp(_write_argkp(tmp_path), "dev")
    # best kp per argument: a1->k1 .9 (1), a2->k1 .8 (1), a3->k2 .7 (unlabelled), a4->k1 .6 (0)
    scores = {("a1", "k1"): .9, ("a1", "k2"): .1, ("a2", "k1"): .8, ("a2", "k2"): .2,
              ("a3", "k1"): .3, ("a3", "k2"): .7, ("a4", "k1"): .6, ("a4", "k2"): .5, ("a5", "k3"): .4}
    # group (T, 1): 4 arguments -> top 2 = a1, a2, both matches: AP 1.0
    # group (T, -1): 1 argument -> floor(0.5) = 0 kept -> skipped
    r = ev.track1_map(scores, ds)
    assert r == {"map_strict": 1.0, "map_relaxed": 1.0}
    # now a3 (unlabelled) ranks first: strict labels [0, 1] -> AP 0.5; relaxed [1, 1] -> 1.0
    scores[("a3", "k2")] = 0.95
    r = ev.track1_map(scores, ds)
    assert r["map_strict"] == pytest.approx(0.5) and r["map_relaxed"] == pytest.approx(1.0)


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="arguments_test.csv"):
        ev.load_argkp(_write_argkp(tmp_path), "test")


def test_clustering_scores_unclustered_are_singletons():
    perfect = ev.clustering_scores([0, 0, 1, 1], [5, 5, 2, 2])
    assert perfect["ari"] == pytest.approx(1.0) and perfect["v_measure"] == pytest.approx(1.0)
    # -1 items become singletons, not one shared cluster
    r = ev.clustering_scores([0, 1, 2], [-1, -1, -1])
    assert r["ari"] == pytest.approx(1.0)
    r = ev.clustering_scores([0, 0, 1, 1], [0, 0, -1, -1])
    assert 0.0 < r["ari"] < 1.0


def test_stance_scores_hand_computed():
    r = ev.stance_scores([1, 1, -1, -1], [1, -1, -1, -1])
    assert r["accuracy"] == 0.75
    # F1 agree: p=1, r=.5 -> 2/3; F1 disagree: p=2/3, r=1 -> 0.8; macro 0.7333
    assert r["f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_search_metrics_hand_computed():
    r = ev.search_scores([[3, 1, 2]], [{1, 2}], k=10)
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert r["ndcg@10"] == pytest.approx(dcg / idcg)
    assert r["mrr"] == pytest.approx(0.5)
    assert ev.search_scores([[1, 2]], [{9}])["mrr"] == 0.0


def test_median_rule_is_label_free_and_balanced():
    p = ev.median_threshold_predictions([0.1, 0.9, 0.5, 0.7])
    assert list(p) == [-1, 1, -1, 1]


def _write_perspectrum(tmp_path):
    d = tmp_path / "perspectrum"
    d.mkdir()
    claims = [{"cId": 1, "text": "C1", "perspectives": [
        {"pids": [10, 11], "stance_label_3": "SUPPORT"}, {"pids": [12], "stance_label_3": "UNDERMINE"}]},
        {"cId": 2, "text": "C2", "perspectives": [{"pids": [13], "stance_label_3": "SUPPORT"}]}]
    pool = [{"pId": i, "text": f"p{i}"} for i in (10, 11, 12, 13, 14)]
    (d / "claims.json").write_text(json.dumps(claims))
    (d / "perspectives.json").write_text(json.dumps(pool))
    (d / "split.json").write_text(json.dumps({"1": "dev", "2": "train"}))
    return tmp_path


def test_perspectrum_pairs(tmp_path):
    ds = ev.load_perspectrum(_write_perspectrum(tmp_path), "dev")
    assert [c["id"] for c in ds.claims] == [1] and len(ds.perspectives) == 5
    pc = ev.perspectrum_claim_pairs(ds)
    assert pc.a == ["p10", "p11", "p12"] and pc.labels == [1, 1, -1]
    pp = ev.perspectrum_pp_pairs(ds)
    # only pairs from different clusters: (10,12), (11,12), both disagree
    assert sorted(zip(pp.a, pp.b)) == [("p10", "p12"), ("p11", "p12")] and pp.labels == [-1, -1]
    assert pp.topic == ["C1", "C1"]


def test_ibm_dev_is_held_out_topics(tmp_path):
    d = tmp_path / "ibm_claim_stance"
    d.mkdir()
    head = "topicId,split,topicText,claims.claimId,claims.stance,claims.claimCorrectedText\n"
    (d / "claim_stance.csv").write_text(head + "442,train,T442,1,PRO,x\n442,train,T442,2,CON,y\n1,train,T1,3,PRO,z\n")
    dev = ev.load_claim_stance(tmp_path, "dev")
    train = ev.load_claim_stance(tmp_path, "train")
    assert [t["id"] for t in dev.topics] == [442] and [t["id"] for t in train.topics] == [1]
    cc = ev.ibm_claim_claim_pairs(dev)
    assert cc.labels == [-1] and cc.topic == ["T442"]
    with pytest.raises(InputError):
        ev.load_claim_stance(tmp_path, "test")
    # a file with real test rows is evaluated on them
    (d / "claim_stance.csv").write_text(head + "5,test,T5,9,CON,w\n1,train,T1,3,PRO,z\n")
    assert [t["id"] for t in ev.load_claim_stance(tmp_path, "test").topics] == [5]


def _write_ibm_pair(root):
    d = root / "ibm_claim_stance"
    d.mkdir()
    (d / "claim_stance.csv").write_text(
        "topicId,split,topicText,claims.claimId,claims.stance,claims.claimCorrectedText\n"
        "442,train,T442,1,PRO,x\n442,train,T442,2,CON,y\n")


def test_run_evaluation_cosine_with_fake_embedder(tmp_path, fake_embedder):
    _write_argkp(tmp_path)
    _write_perspectrum(tmp_path)
    _write_ibm_pair(tmp_path)
    res = ev.run_evaluation(tmp_path, "dev", methods=("cosine",), embedder=fake_embedder)
    keys = {(r.dataset, r.task, r.subset, r.metric) for r in res}
    assert ("argkp", "matching", None, "map_strict") in keys
    assert ("perspectrum", "stance", "perspective_claim", "f1") in keys
    assert ("ibm_claim_stance", "stance", "claim_claim", "accuracy") in keys
    assert ("perspectrum", "search", None, "ndcg@10") in keys
    assert all(r.method == "cosine" and 0.0 <= r.value <= 1.0 or r.metric == "ari" for r in res)
    line = res[0].to_dict()
    assert list(line) == ["dataset", "task", "method", "metric", "value"]


def _write_nli(tmp_path, rows_per_label=12):
    import gzip

    for name in ev.NLI_FILES:
        path = tmp_path / "nli" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as f:
            for i in range(rows_per_label):
                premise = f"{name} the cat sat on mat number {i}"
                for label, hyp in (("entailment", f"the cat sat on mat number {i}"),
                                   ("contradiction", f"the cat did not sit on mat number {i}"),
                                   ("neutral", f"a dog barked in town {i}")):
                    f.write(json.dumps({"premise": premise, "hypothesis": hyp, "label": label}) + "\n")
                f.write(json.dumps({"premise": premise, "hypothesis": "x", "label": "-"}) + "\n")  # no gold: dropped
    return tmp_path


def test_nli_parts_split_by_premise_and_cover_every_row(tmp_path):
    _write_nli(tmp_path)
    parts = {p: ev.load_nli(tmp_path, p) for p in ev.NLI_PARTS}
    assert sum(len(d.label) for d in parts.values()) == len(ev.NLI_FILES) * 12 * 3
    premises = [set(d.premise) for d in parts.values()]
    assert all(not (a & b) for i, a in enumerate(premises) for b in premises[i + 1:])  # a premise in one part only
    assert all(ev.nli_part(p) == part for part, d in parts.items() for p in d.premise)
    with pytest.raises(ValueError):
        ev.load_nli(tmp_path, "other")


def test_nli_scores_hand_computed():
    probs = [[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.3, 0.6, 0.1], [0.5, 0.3, 0.2]]
    r = ev.nli_scores(["entailment", "contradiction", "contradiction", "neutral"], probs)
    assert r["accuracy_3way"] == 0.75 and r["contradiction_vs_entailment"] == pytest.approx(2 / 3)
    # confidences 0.8, 0.7, 0.6 (wrong), 0.5: bins of 0.1 each hold one -> ECE = (0.2 + 0.3 + 0.6 + 0.5) / 4
    assert r["ece"] == pytest.approx((0.2 + 0.3 + 0.6 + 0.5) / 4)


def test_clash_scores_hand_computed():
    member = {10: {(1, 1)}, 11: {(1, 1)}, 12: {(1, -1)}, 13: {(2, 1)}, 14: {(2, -1)}}
    rels = [(10, 12, "disagree"), (11, 13, "disagree"), (10, 11, "agree"), (12, 13, "agree")]
    r = ev.clash_scores(sorted(member), member, rels)
    assert r["disagree_found"] == 2 and r["disagree_precision"] == 0.5  # 11-13 spans two claims: wrong
    assert r["disagree_precision_judged"] == 1.0 and r["disagree_unjudged_share"] == 0.5  # 11-13 has no gold
    assert r["agree_precision"] == 0.5 and r["agree_precision_judged"] == 1.0  # 12-13: two claims, no gold
    assert r["claims_with_clash_found"] == 0.5  # claim 1 of the two claims with both sides
    assert r["perspectives_in_right_clash"] == pytest.approx(2 / 5)


def test_run_evaluation_argmap_rows_with_fakes(tmp_path, fake_embedder):
    from argmap.fake import FakeEmbedder, FakeStance

    _write_argkp(tmp_path)
    _write_perspectrum(tmp_path)
    _write_nli(tmp_path)
    _write_ibm_pair(tmp_path)
    res = ev.run_evaluation(tmp_path, "dev", methods=("argmap", "cosine"), embedder=fake_embedder,
                            pair_model=FakeStance(), question_encoder=FakeEmbedder(dim=32, name="q"))
    rows = {(r.dataset, r.task, r.subset, r.metric, r.method): r.value for r in res}
    # the fake gets every NLI pair of the test part right: negation = disagree, overlap = agree, else neither
    assert rows[("nli", "three_way", "held_out", "accuracy_3way", "argmap")] == 1.0
    assert ("nli", "three_way", "held_out", "accuracy_3way", "cosine") not in rows
    for method in ("argmap", "cosine"):  # the clash rows for both (the tiny pool shares no words: no candidates)
        assert {m for (d, t, _, m, me) in rows if t == "clashes" and me == method} >= {
            "candidates_per_claim", "disagree_found", "disagree_precision", "claims_with_clash_found"}
    assert rows[("perspectrum", "clashes", None, "disagree_found", "cosine")] == 0  # cosine never disagrees


def test_unrelated_pairs_are_seeded_distinct_premises_and_neither_share_counts_argmax():
    nli = ev.NLIPairs("test", ["p1", "p1", "p2", "p3"], ["h1", "h2", "h3", "h4"], ["neutral"] * 4, ["mnli"] * 4)
    a, b = ev.unrelated_pairs(nli, n=20, seed=3)
    assert len(a) == len(b) == 20 and all(x != y for x, y in zip(a, b))
    assert set(a) | set(b) <= {"p1", "p2", "p3"}
    assert (a, b) == ev.unrelated_pairs(nli, n=20, seed=3)
    assert ev.neither_share(np.array([[0.5, 0.2, 0.3], [0.1, 0.2, 0.7], [0.4, 0.3, 0.3], [0.2, 0.5, 0.3]])) == 0.5
    assert ev.unrelated_pairs(ev.NLIPairs("test", ["p"], ["h"], ["neutral"], ["mnli"])) == ([], [])
