"""argmap's stance model (v5) and question encoder: loading, failures, and the real models' behaviour."""
import json
import subprocess
import sys

import numpy as np
import pytest

from argmap.errors import ModelError
from argmap.stance import ADAPTER_FILES, CONFIG_FILE, FORMAT, FORMAT_VERSION, StanceModel, default_path, softmax


def test_module_import_does_not_import_torch():
    code = ("import sys, argmap.stance, argmap.question, argmap.relations, argmap.issues, argmap.cluster, "
            "argmap.evaluate, argmap.cli_eval; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_softmax_rows_sum_to_one():
    p = softmax(np.array([[0.0, 0.0, 0.0], [10.0, 0.0, -10.0]], dtype=np.float32))
    assert np.allclose(p.sum(axis=1), 1) and np.allclose(p[0], 1 / 3) and p[1, 0] > 0.99


def test_missing_dir_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        StanceModel.load(tmp_path / "nope")


def _adapter(tmp_path, config: str, weights: bytes = b"xx"):
    (tmp_path / CONFIG_FILE).write_text(config)
    (tmp_path / ADAPTER_FILES[0]).write_text("{}")
    (tmp_path / ADAPTER_FILES[1]).write_bytes(weights)
    return tmp_path


def test_corrupt_config_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="corrupt stance model config"):
        StanceModel.load(_adapter(tmp_path, "{not json"))


def test_wrong_format_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="not an argmap-stance"):
        StanceModel.load(_adapter(tmp_path, json.dumps({"format": "other"})))


@pytest.mark.integration
def test_corrupt_weights_is_one_line_model_error(tmp_path):
    cfg = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION})
    with pytest.raises(ModelError, match="cannot load the stance model") as e:
        StanceModel.load(_adapter(tmp_path, cfg, b"\x00garbage"))
    assert "\n" not in str(e.value)


def test_shipped_files_present_small_and_chosen_on_dev():
    d = default_path()
    cfg = json.loads((d / CONFIG_FILE).read_text())
    assert cfg["format"] == FORMAT and cfg["format_version"] == FORMAT_VERSION and cfg["version"] == "5"
    assert (d / ADAPTER_FILES[1]).stat().st_size < 10 * 1024 * 1024
    assert cfg["classes"] == ["neither", "agree", "disagree"]
    assert 0.3 <= cfg["thresholds"]["agree"] <= 0.9 and 0.3 <= cfg["thresholds"]["disagree"] <= 0.9
    assert cfg["temperature"] > 0 and cfg["training"]["pair_counts"]["nli"] > 10000
    from argmap.question import CONFIG_FILE as QCONFIG, default_path as qpath

    q = json.loads((qpath() / QCONFIG).read_text())
    assert q["format"] == "argmap-question" and "dev_retrieval" in q


@pytest.fixture(scope="module")
def model():
    return StanceModel.load()


@pytest.mark.integration
def test_real_model_three_way(model):
    a = ["Cars pollute the air", "Vaccines protect the whole community from outbreaks", "Cars pollute the air"]
    b = ["Cars do not pollute the air", "Vaccination must be made compulsory", "Bananas are rich in potassium"]
    p = model.probabilities(a, b)
    assert p.shape == (3, 3) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert p[0].argmax() == 2 and p[1].argmax() == 1 and p[2].argmax() == 0
    # deterministic, and the order within a batch does not matter
    assert model.probabilities(a[::-1], b[::-1])[::-1] == pytest.approx(p, abs=1e-5)
    assert model.probabilities([], []).shape == (0, 3)


@pytest.mark.integration
def test_real_model_relate_is_order_free_and_lazy_pass_keeps_decisions(model):
    from argmap.relations import decide

    a = ["China is back at the center of Korean diplomacy", "Sanctions hurt ordinary North Koreans",
         "The summit was held in Beijing"]
    b = ["China remains marginal in Korean diplomacy", "Sanctions are hurting ordinary people in the North",
         "Bananas are rich in potassium"]
    one, two = model.relate(a, b), model.relate(b, a)
    assert one == pytest.approx(two, abs=1e-6)
    full = model.relate(a, b, floor=0.0)
    thr = (model.agree_threshold, model.disagree_threshold)
    assert [decide(p, *thr)[0] for p in one] == [decide(p, *thr)[0] for p in full]
    # the first pair sits at the disagree threshold (P 0.718 at fp32, 0.695 int8 as shipped): its
    # reading, not the decision, is what holds at either precision
    assert full[0].argmax() == 2 and full[0][2] > 0.65 and decide(full[1], *thr)[0] == "agree"
    assert decide(full[2], *thr)[0] == "neither"


@pytest.mark.integration
def test_question_encoder_brings_the_two_sides_of_a_question_together():
    from argmap.embed import load_embedder
    from argmap.question import QuestionEncoder

    texts = ["Kim's summit put China decisively back in center stage",
             "Kim's trip to Beijing is not going to make much of a dent in the dynamics",
             "The weather in Oslo was mild this spring"]
    q, base = QuestionEncoder().encode(texts), load_embedder().encode(texts)
    assert q.shape == (3, 384) and np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
    assert q[0] @ q[1] > base[0] @ base[1]  # the two sides come closer under the question encoder
    assert q[0] @ q[1] > q[0] @ q[2]


class _TablePairs:
    """Logits per ordered pair from a seeded table; counts the readings asked for."""

    def __init__(self, seed=0):
        self.rng, self.table, self.read = np.random.default_rng(seed), {}, 0

    def run(self, pairs, progress=None):
        self.read += len(pairs)
        for p in pairs:
            if p not in self.table:
                self.table[p] = self.rng.normal(0, 2.5, 3).astype(np.float32)
        return np.stack([self.table[p] for p in pairs])


def test_relate_skips_second_readings_that_cannot_reach_disagree_and_keeps_every_disagree_decision():
    from argmap.relations import decide

    table = _TablePairs()
    config = {"temperature": 1.0, "thresholds": {"agree": 0.5, "disagree": 0.7}, "second_pass_floor": 0.15}
    model = StanceModel(table, config, default_path())
    a, b = [f"a{i}" for i in range(3000)], [f"b{i}" for i in range(3000)]
    out = model.relate(a, b)
    lazy_reads, table.read = table.read, 0
    first, second = softmax(np.stack([table.table[(x, y)] for x, y in zip(a, b)])), \
        softmax(np.stack(table.run(list(zip(b, a)))))
    full = (first + second) / 2
    # only pairs with P(agree) >= floor or P(disagree) >= 2 * 0.7 - 1 were read twice
    twice = (first[:, 1] >= 0.15) | (first[:, 2] >= 0.4)
    assert lazy_reads == 3000 + twice.sum() < 3000 + ((first[:, 1] >= 0.15) | (first[:, 2] >= 0.15)).sum()
    np.testing.assert_allclose(out[twice], full[twice], atol=1e-6)
    np.testing.assert_allclose(out[~twice], first[~twice], atol=1e-6)
    lazy = [decide(p, 0.5, 0.7)[0] for p in out]
    exact = [decide(p, 0.5, 0.7)[0] for p in full]
    assert [x == "disagree" for x in lazy] == [x == "disagree" for x in exact]
    # a caller deciding at a lower threshold (counter search: 0.35) gets every pair it needs read twice
    table.read = 0
    model.relate(a, b, disagree_at=0.35)
    assert table.read == 3000 + ((first[:, 1] >= 0.15) | (first[:, 2] >= 0.15)).sum()
