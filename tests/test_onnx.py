"""argmap's models under ONNX Runtime (argmap/onnx_models.py): the LoRA merge (fast, synthetic
tensors), the pre-quantized int8 encoder equal to onnxruntime's quantizer (fast, no torch) and,
on the real models (integration), the same numbers as sentence-transformers and torch, whatever
the batch, with no torch imported by the commands that only infer."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from argmap.errors import ModelError
from argmap.onnx_models import merge_lora

ROOT = Path(__file__).resolve().parents[1]
EMBED_TOL = 1e-5        # max abs difference of a vector component (vectors are L2-normalised)
COSINE_TOL = 0.99999    # least cosine between a vector and its reference
LOGIT_TOL = 1e-4        # max abs difference of a stance logit (logits are O(1..10))
INT8_TOL = 0.5          # of an int8 stance logit from fp32's, on any CPU (up to 0.39 on 3,000 dev pairs, AVX2)


def _adapter(cfg: dict, tensors: dict) -> dict:
    base = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_rslora": False}
    return {"adapter_config.json": json.dumps({**base, **cfg}).encode(),
            "adapter_model.safetensors": save({k: np.asarray(v, np.float32) for k, v in tensors.items()})}


def _lora(rng, prefix="base_model.model.bert."):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    return a, b, {prefix + "encoder.layer.0.attention.self.query.lora_A.weight": a,
                  prefix + "encoder.layer.0.attention.self.query.lora_B.weight": b}


@pytest.mark.parametrize("rslora, scale", [(False, 4 / 2), (True, 4 / 2 ** 0.5)])
def test_lora_merges_as_peft_does(rslora, scale):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    a, b, tensors = _lora(rng)
    head = rng.normal(size=(3, 4))
    tensors["base_model.model.classifier.weight"] = head
    base = {"encoder.layer.0.attention.self.query.weight": w, "pooler.dense.bias": np.ones(4, np.float32)}
    merged = merge_lora(base, _adapter({"use_rslora": rslora}, tensors), "test")
    assert np.allclose(merged["encoder.layer.0.attention.self.query.weight"], w + scale * (b @ a), atol=1e-6)
    assert np.array_equal(merged["classifier.weight"], head.astype(np.float32))  # modules_to_save
    assert np.array_equal(merged["pooler.dense.bias"], base["pooler.dense.bias"])  # untouched
    assert np.array_equal(base["encoder.layer.0.attention.self.query.weight"], w)  # the base is not changed
    assert not any("lora" in k for k in merged)


def test_lora_without_bert_prefix_merges_into_the_same_names():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    a, b, tensors = _lora(rng, prefix="base_model.model.")
    merged = merge_lora({"encoder.layer.0.attention.self.query.weight": w}, _adapter({}, tensors), "test")
    assert np.allclose(merged["encoder.layer.0.attention.self.query.weight"], w + 2 * (b @ a), atol=1e-6)


@pytest.mark.parametrize("cfg, needle", [({"use_dora": True}, "use_dora"), ({"peft_type": "IA3"}, "IA3"),
                                         ({"rank_pattern": {"query": 4}}, "rank_pattern")])
def test_unsupported_adapter_is_a_model_error(cfg, needle):
    rng = np.random.default_rng(2)
    _, _, tensors = _lora(rng)
    with pytest.raises(ModelError, match=needle):
        merge_lora({"encoder.layer.0.attention.self.query.weight": np.zeros((4, 3), np.float32)},
                   _adapter(cfg, tensors), "test")


def test_adapter_for_another_model_is_a_model_error():
    rng = np.random.default_rng(3)
    _, _, tensors = _lora(rng)
    with pytest.raises(ModelError, match="does not have"):
        merge_lora({}, _adapter({}, tensors), "test")


def test_corrupt_adapter_is_one_line_model_error():
    with pytest.raises(ModelError) as e:
        merge_lora({}, {"adapter_config.json": b"{", "adapter_model.safetensors": b""}, "here")
    assert "\n" not in str(e.value) and "here" in str(e.value)


# ------------------------------------------------------------------ the real models

TEXTS = ["China is back at center stage", "it won't make a dent", "Kim’s trip to Beijing — a “dual message”.",
         "", "Sanctions work.", " ".join(["The summit changed nothing about the nuclear question"] * 40)]


def _close(a, b):
    assert a.shape == b.shape
    assert np.abs(a - b).max() < EMBED_TOL
    assert (a * b).sum(1).min() > COSINE_TOL


@pytest.mark.integration
def test_embedder_equals_sentence_transformers():
    from argmap.embed import load_embedder, load_sentence_transformer

    _close(load_embedder().encode(TEXTS), load_sentence_transformer(None).encode(TEXTS, normalize_embeddings=True))


@pytest.mark.integration
def test_question_encoder_equals_sentence_transformers():
    from argmap.question import QuestionEncoder

    q = QuestionEncoder(precision="fp32")  # it ships int8 (its config); fp32 is the reference
    _close(q.encode(TEXTS), q.sentence_transformer().encode(TEXTS, normalize_embeddings=True))


@pytest.mark.integration
def test_vectors_do_not_depend_on_the_batch():
    from argmap.embed import load_embedder

    emb = load_embedder()
    alone = np.concatenate([emb.encode([t]) for t in TEXTS])
    together = emb.encode(TEXTS[::-1])[::-1]
    assert np.array_equal(alone, together)  # bit for bit: no padding, a lone text run as two
    # among other texts of the same token counts (so in batches of several), in another order
    others = [t.replace("China", "Japan").replace("Sanctions", "Tariffs").replace("summit", "treaty") for t in TEXTS]
    mixed = TEXTS + others + TEXTS[:2]
    order = np.random.default_rng(0).permutation(len(mixed))
    shuffled = np.empty((len(mixed), alone.shape[1]), dtype=np.float32)
    shuffled[order] = emb.encode([mixed[i] for i in order])
    assert np.array_equal(shuffled[:len(TEXTS)], alone) and np.array_equal(shuffled[-2:], alone[:2])


@pytest.fixture(scope="module")
def stance_models():
    """(the stance model under ONNX Runtime as shipped: fp32, the same under torch, int8 as its
    config's ``inference.int8`` plan makes it: an option, not shipped)."""
    from argmap.stance import CONFIG_FILE, StanceModel, model_files

    config = json.loads(model_files(None, [CONFIG_FILE])[CONFIG_FILE])
    int8 = {**config, "inference": {**config["inference"], "precision": "int8"}}
    shipped = StanceModel.load()
    assert shipped.precision == "fp32"  # the same numbers on every CPU (tests/test_isa.py)
    return shipped, StanceModel.load(backend="torch"), StanceModel.load(config=int8)


def _same_argmax_where_clear(got: np.ndarray, ref: np.ndarray, margin: float = 2 * INT8_TOL) -> None:
    """int8 picks the reference's class wherever the reference's best logit leads by ``margin``,
    more than int8 can move two logits apart (it moves each by up to about 0.4 from fp32, and by
    about 0.13 between CPUs: a near tie may go either way)."""
    top = np.sort(ref, axis=1)
    clear = top[:, -1] - top[:, -2] > margin
    assert clear.sum() >= 3 and (got.argmax(1) == ref.argmax(1))[clear].all()


A = ["We should ban smoking", "Smoking is a personal choice", "The economy grew", TEXTS[-1], "Cats"]
B = ["Smoking harms others nearby", "We should ban smoking", "The economy shrank", "Nothing changed", TEXTS[-1]]


@pytest.mark.integration
def test_stance_logits_equal_torch(stance_models):
    onnx, torch, _ = stance_models
    assert np.abs(onnx.logits(A, B) - torch.logits(A, B)).max() < LOGIT_TOL
    topic = ["smoking"] * len(A)
    assert np.abs(onnx.logits(A, B, topic) - torch.logits(A, B, topic)).max() < LOGIT_TOL


@pytest.mark.integration
def test_stance_does_not_depend_on_the_batch(stance_models):
    onnx, _, int8 = stance_models
    alone = np.concatenate([onnx.logits([a], [b]) for a, b in zip(A, B)])
    assert np.array_equal(alone, onnx.logits(A, B)) and np.array_equal(alone, onnx.logits(A + A, B + B)[:len(A)])
    assert np.abs(onnx.relate(A, B) - onnx.relate(B, A)).max() < 1e-6  # the order of a pair does not matter
    assert int8.precision == "int8"  # one pair per run: exactly the same numbers alone or among others
    alone = np.concatenate([int8.logits([a], [b]) for a, b in zip(A, B)])
    assert np.array_equal(alone, int8.logits(A, B)) and np.array_equal(alone[::-1], int8.logits(A[::-1], B[::-1]))
    assert np.array_equal(int8.relate(A, B), int8.relate(B, A))


@pytest.mark.integration
def test_int8_stance_is_near_the_torch_model(stance_models):
    _, torch, int8 = stance_models
    got, ref = int8.logits(A, B), torch.logits(A, B)
    assert np.abs(got - ref).max() < INT8_TOL
    _same_argmax_where_clear(got, ref)


def _imported(commands: list[list[str]]) -> dict[str, bool]:
    """Which model libraries a fresh process has imported after running these CLI commands."""
    code = (
        "import json, sys; from click.testing import CliRunner; from argmap.cli import cli\n"
        f"for args in {commands!r}:\n"
        "    r = CliRunner().invoke(cli, args); assert r.exit_code == 0, (args, r.output)\n"
        "print(json.dumps({m: m in sys.modules for m in ('torch', 'sentence_transformers', 'transformers', 'peft')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.integration
def test_inference_commands_never_import_torch(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "rfa-dual-message.md", corpus)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"a": "We should ban smoking", "b": "Smoking harms others"}) + "\n")
    db = str(tmp_path / "a.db")
    # ingest: all three models run under ONNX Runtime (spaCy's thinc imports torch by itself if installed)
    ingest = _imported([["ingest", str(corpus), "--db", db]])
    assert not (ingest["sentence_transformers"] or ingest["transformers"] or ingest["peft"]), ingest
    infer = _imported([["search", "China", "--db", db], ["search", "China", "--counter", "--db", db],
                       ["relate", "--file", str(pairs)], ["relate", "Sanctions work", "Sanctions fail"]])
    assert not any(infer.values()), infer


def test_unknown_precision_is_a_model_error():
    from argmap.onnx_models import session

    with pytest.raises(ModelError, match="unknown precision 'int4'"):
        session("bert-mean-pool", {}, "int4", "here")


def test_template_not_in_the_manifest_is_refused(monkeypatch, tmp_path):
    from argmap import onnx_models

    (tmp_path / "bert-mean-pool.onnx").write_bytes(b"not the shipped graph")
    monkeypatch.setattr(onnx_models, "TEMPLATE_DIR", tmp_path)
    with pytest.raises(ModelError, match="does not match"):
        onnx_models.template("bert-mean-pool")


@pytest.mark.integration
def test_int8_encoder_is_close_to_fp32_and_deterministic():
    from argmap.embed import DEFAULT_MODEL, load_embedder
    from argmap.onnx_models import OnnxEncoder

    fp32 = load_embedder().encode(TEXTS)
    one, two = (OnnxEncoder(DEFAULT_MODEL, precision="int8").encode(TEXTS) for _ in range(2))
    assert np.array_equal(one, two)
    alone = np.concatenate([OnnxEncoder(DEFAULT_MODEL, precision="int8").encode([t]) for t in TEXTS])
    assert np.array_equal(alone, one)  # int8 reads one text per run: no text depends on another
    assert (one * fp32).sum(1).min() > 0.95 and np.allclose(np.linalg.norm(one, axis=1), 1, atol=1e-5)


# ------------------------------------------------------------------ int8: pre-quantized template


def test_quantize_weight_equals_onnxruntimes_quantizer():
    from onnx import TensorProto
    from onnxruntime.quantization.quant_utils import quantize_data

    from argmap.onnx_models import quantize_weight

    rng = np.random.default_rng(4)
    w = (rng.normal(size=(64, 9)) * 0.05).astype(np.float32)
    w[:, 1] = 0                                      # an all-zero channel: scale 1
    w[:, 2] = np.r_[64, np.arange(63) - 31.5]         # scale 1, halves: rounded half to even
    w[:, 3] = 1e-40                                  # below float32's smallest normal
    q, scale, zero = quantize_weight(w)
    assert np.abs(q).max() == 64  # 7 bits: the saturating int8 kernels of AVX2 stay exact
    for c in range(w.shape[1]):
        z, s, qc = quantize_data(w[:, c], TensorProto.INT8, symmetric=True, reduce_range=True)
        assert q[:, c].tobytes() == qc.astype(np.int8).tobytes()
        assert scale[c:c + 1].tobytes() == np.asarray(s, np.float32).reshape(1).tobytes() and zero[c] == z
    assert q.dtype == zero.dtype == np.int8 and scale.dtype == np.float32


@pytest.fixture(scope="module", params=["base", "question adapter"])
def int8_encoders(request):
    """(the pre-quantized int8 session, quantize_dynamic's model bytes, tokenizer.json) of the
    bundled MiniLM, or of it with the question encoder's LoRA adapter merged."""
    import onnx

    from argmap import question
    from argmap.onnx_models import bundled_weights, initializers, quantize, session, template

    adapter = question.model_files(None, question.ADAPTER_FILES) if request.param != "base" else None
    weights, tokenizer = bundled_weights(adapter)
    fp32 = onnx.load_from_string(template("bert-mean-pool"))
    return session("bert-mean-pool", weights, "int8"), quantize(fp32, initializers(fp32, weights)), tokenizer


def test_prequantized_int8_tensors_equal_quantize_dynamics(int8_encoders):
    import onnx
    from onnx import numpy_helper

    sess, quantized, _ = int8_encoders
    ours = {name: value.numpy() for name, value in sess.argmap_weights.items()}
    theirs = {t.name: numpy_helper.to_array(t) for t in onnx.load_from_string(quantized).graph.initializer}
    int8 = [name for name, a in theirs.items() if a.dtype == np.int8]
    assert len(int8) == 2 * 36 and set(int8) <= set(ours)  # 6 layers x 6 MatMuls: weights, zero points
    for name, a in ours.items():
        assert a.dtype == theirs[name].dtype and a.shape == theirs[name].shape, name
        assert a.tobytes() == theirs[name].tobytes(), name


def test_prequantized_int8_encoder_equals_quantize_dynamics(int8_encoders):
    import onnxruntime as ort

    from argmap.onnx_models import OnnxBert

    sess, quantized, tokenizer = int8_encoders
    theirs = ort.InferenceSession(quantized, providers=["CPUExecutionProvider"])
    ours, ref = (OnnxBert(s, tokenizer, 256).run(TEXTS) for s in (sess, theirs))
    assert ours.shape == ref.shape == (len(TEXTS), 384)
    assert np.abs(ours - ref).max() <= 1e-6


# ------------------------------------------------------------------ int8: SmoothQuant (the stance model)


@pytest.fixture(scope="module")
def stance_graph():
    """(template model, its fp32 initializers, the shipped int8 plan, tokenizer.json) of the stance model."""
    import onnx

    from argmap import stance
    from argmap.onnx_models import bundled_weights, initializers, template

    files = stance.model_files(None, stance.ADAPTER_FILES)
    weights, tokenizer = bundled_weights({n: files[n] for n in stance.ADAPTER_FILES})
    config = json.loads(stance.model_files(None, [stance.CONFIG_FILE])[stance.CONFIG_FILE])
    model = onnx.load_from_string(template("bert-seq-cls"))
    return model, initializers(model, weights), stance.int8_plan(config, stance.default_path(), "here"), tokenizer


def _logits(sess, tokenizer):
    from argmap.onnx_models import OnnxBert

    return OnnxBert(sess, tokenizer, 128).run(list(zip(A, B)))


def test_smoothing_keeps_the_fp32_model_s_numbers(stance_graph):
    import copy

    from argmap.onnx_models import session_of, smooth

    model, arrays, plan, tokenizer = stance_graph
    smoothed, moved = copy.deepcopy(model), dict(arrays)
    smooth(smoothed, moved, plan)
    muls = [n for n in smoothed.graph.node if n.op_type == "Mul" and n.name.endswith("/smooth")]
    kept = len(plan.fp32)  # feed-forward outputs kept fp32: each has an input of its own
    assert kept >= 1 and len(muls) == 6 * 4 - kept  # per layer: Q/K/V's input, attention output, feed-forward in, out
    changed = [k for k in arrays if not np.array_equal(moved[k], arrays[k])]
    assert len(changed) == 36 - kept  # 6 MatMul weights a layer, less those kept fp32
    plain = _logits(session_of(model.SerializeToString(), arrays), tokenizer)
    assert np.abs(_logits(session_of(smoothed.SerializeToString(), moved), tokenizer) - plain).max() < 1e-4


def test_int8_plan_keeps_its_fp32_matmuls_and_stays_near_fp32(stance_graph):
    import copy

    import onnx
    import onnxruntime as ort

    from argmap.onnx_models import quantize, session_of, weight_sources

    model, arrays, plan, tokenizer = stance_graph
    quantized = onnx.load_from_string(quantize(copy.deepcopy(model), arrays, plan))
    float_matmuls = {n.input[1] for n in quantized.graph.node if n.op_type == "MatMul"}
    integer = [n for n in quantized.graph.node if n.op_type in ("DynamicQuantizeMatMul", "MatMulInteger")]
    plain = onnx.load_from_string(quantize(copy.deepcopy(model), arrays))
    assert len(integer) == len([n for n in plain.graph.node if n.op_type == "MatMulInteger"]) - len(plan.fp32)
    kept = {name for name, (src, *_) in weight_sources(model).items()
            if src in plan.fp32}
    assert kept <= float_matmuls
    fp32 = _logits(session_of(model.SerializeToString(), arrays), tokenizer)
    int8 = _logits(ort.InferenceSession(quantized.SerializeToString(), providers=["CPUExecutionProvider"]), tokenizer)
    assert np.abs(int8 - fp32).max() < INT8_TOL
    _same_argmax_where_clear(int8, fp32)


def test_damaged_int8_calibration_is_one_line_model_error(tmp_path):
    from argmap import stance

    (tmp_path / stance.INT8_FILE).write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match=f"{stance.INT8_FILE}: here: unreadable int8 calibration") as e:
        stance.int8_plan({"inference": {"precision": "int8", "int8": {"smooth_alpha": 0.5}}}, tmp_path, "here")
    assert "\n" not in str(e.value)


@pytest.mark.integration
def test_a_model_quantized_at_load_is_cached_checked_and_equal(tmp_path, monkeypatch):
    """The int8 stance model is quantized once, then read from ARGMAP_CACHE: the same numbers
    without quantizing; a damaged cache entry is quantized again and replaced."""
    import argmap.onnx_models as onnx_models
    from argmap.stance import CONFIG_FILE, StanceModel, model_files

    config = json.loads(model_files(None, [CONFIG_FILE])[CONFIG_FILE])
    config["inference"]["precision"] = "int8"  # an option of the config (shipped: fp32)

    def load():
        return StanceModel.load(config=config)

    monkeypatch.setenv("ARGMAP_CACHE", str(tmp_path))
    first = load().logits(A, B)
    (entry,) = tmp_path.glob("int8-*.onnx")
    real = onnx_models.quantize

    def refuse(*args, **kwargs):
        raise AssertionError("quantized again")

    monkeypatch.setattr(onnx_models, "quantize", refuse)
    assert np.array_equal(load().logits(A, B), first)  # from the cache
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))  # damaged: its name's digest no longer matches
    calls = []
    monkeypatch.setattr(onnx_models, "quantize", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert np.array_equal(load().logits(A, B), first) and calls == [1]
    assert [p.name for p in tmp_path.glob("int8-*.onnx")] == [entry.name]  # written again, the same bytes
    assert np.array_equal(load().logits(A, B), first) and calls == [1]
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ARGMAP_CACHE", str(blocked / "cache"))  # cannot be made: the model loads all the same
    assert np.array_equal(load().logits(A, B), first) and calls == [1, 1]
    assert not list(tmp_path.glob(".tmp-*"))
