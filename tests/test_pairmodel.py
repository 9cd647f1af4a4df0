import json
import sys

import pytest

from argmap.errors import ModelError
from argmap.pairmodel import CONFIG_FILE, FORMAT, FORMAT_VERSION, WEIGHTS_FILE, PairModel, default_path


def test_module_import_does_not_import_torch():
    code = "import sys, argmap.pairmodel, argmap.cluster, argmap.evaluate, argmap.cli_eval; print('torch' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_dir_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        PairModel.load(str(tmp_path / "nope"))


def test_corrupt_config_is_model_error(tmp_path):
    (tmp_path / CONFIG_FILE).write_text("{not json")
    (tmp_path / WEIGHTS_FILE).write_bytes(b"xx")
    with pytest.raises(ModelError, match="corrupt pair model config"):
        PairModel.load(str(tmp_path))


def test_wrong_format_is_model_error(tmp_path):
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"format": "other"}))
    (tmp_path / WEIGHTS_FILE).write_bytes(b"xx")
    with pytest.raises(ModelError, match="not an argmap-pairmodel"):
        PairModel.load(str(tmp_path))


def test_corrupt_weights_is_model_error(tmp_path):
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION}))
    (tmp_path / WEIGHTS_FILE).write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match="corrupt pair model weights"):
        PairModel.load(str(tmp_path))
    # the message is one line
    try:
        PairModel.load(str(tmp_path))
    except ModelError as e:
        assert "\n" not in str(e)


def test_shipped_files_present_and_small():
    d = default_path()
    cfg = json.loads((d / CONFIG_FILE).read_text())
    assert cfg["format"] == FORMAT and cfg["format_version"] == FORMAT_VERSION
    assert (d / WEIGHTS_FILE).stat().st_size < 10 * 1024 * 1024
    assert "wall_seconds" in cfg["training"]
    # services.py keys its analysis cache on name + version
    assert cfg["name"] and cfg["version"]
    assert cfg["training"]["pair_counts"]["stance_0_negation"] > 0


@pytest.fixture(scope="module")
def real_model():
    return PairModel.load()


@pytest.mark.integration
def test_real_model_stance_and_match(real_model):
    m = real_model
    claim = "Vaccination must be made compulsory"
    persp = ["Vaccines protect the whole community from outbreaks",
             "Forcing people to vaccinate violates their bodily autonomy"]
    st = m.stance(persp, [claim, claim])
    assert st.shape == (2,) and -1 <= st.min() and st.max() <= 1
    assert st[0] > 0 > st[1]
    a = ["Cars pollute the air", "Cars pollute the air"]
    b = ["Cars harm air quality", "Bananas are rich in potassium"]
    mt = m.match(a, b)
    assert ((0 <= mt) & (mt <= 1)).all() and mt[0] > 0.5 > mt[1]
    # deterministic, and the order within a batch does not matter
    assert m.match(a[::-1], b[::-1])[::-1] == pytest.approx(mt, abs=1e-5)
    assert m.match([], []).shape == (0,)


@pytest.mark.integration
def test_real_model_negation(real_model):
    # trained with (s, negate(s)) pairs, both orders: a denial is a disagreement either way
    a = ["Cars pollute the air", "Cars pollute the air", "School uniforms reduce bullying"]
    b = ["Cars do not pollute the air", "Cars harm air quality", "Uniforms do not reduce bullying"]
    fwd, rev = real_model.stance(a, b), real_model.stance(b, a)
    assert fwd[0] < -0.5 and rev[0] < -0.5 and fwd[2] < -0.5 and rev[2] < -0.5
    assert fwd[0] < fwd[1] and rev[0] < rev[1]
    # identical statements agree
    assert real_model.stance(["Cars pollute the air"], ["Cars pollute the air"])[0] > 0.5


@pytest.mark.integration
@pytest.mark.xfail(strict=True, reason="known limit (docs/quality.md): a 'not' on one side reads as disagreement")
def test_real_model_negated_paraphrase_agrees(real_model):
    st = real_model.stance(["Cars do not pollute the air", "The death penalty does not deter crime"],
                           ["Cars are not a source of air pollution", "Capital punishment fails to deter criminals"])
    assert (st > 0).all()
