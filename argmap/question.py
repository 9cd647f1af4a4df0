"""argmap's question encoder: vectors that put claims on the same question close together,
whichever side they take. Used to find which claims to compare (relations.candidate_pairs),
never for search.

The bundled all-MiniLM-L6-v2 with a PEFT LoRA adapter trained by ``scripts/train_question.py``
(sentence-transformers' trainer, MultipleNegativesRankingLoss on pairs of one question from the
train splits). The adapter ships in ``argmap/resources/question/`` in PEFT's own format, with
argmap's ``config.json`` (how it was trained, dev retrieval before and after).

It runs under ONNX Runtime (no torch; ``onnx_models.py``) and implements argmap's Embedder
protocol; its ``name`` carries a hash of the adapter, so vectors
cached in the store are recomputed when the adapter changes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .integrity import adapter_files, private_copy, sha256
from .onnx_models import QUANTIZE_VERSION, config_precision

FORMAT = "argmap-question"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def default_path() -> Path:
    return Path(__file__).parent / "resources" / "question"


def model_files(path: str | Path | None, names: Sequence[str]) -> dict[str, bytes]:
    """``names`` in the question encoder ``path`` (default: the shipped one), each read once; the
    shipped encoder's are checked against argmap's manifest."""
    return adapter_files("question", Path(path) if path else default_path(), default_path(), names,
                         "question encoder")


def _config(path: Path, files: dict[str, bytes]) -> dict:
    try:
        cfg = json.loads(files[CONFIG_FILE].decode("utf-8"))
        if not isinstance(cfg, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:  # UnicodeDecodeError included
        raise ModelError(f"{path / CONFIG_FILE}: corrupt question encoder config ({e})".splitlines()[0]) from None
    return cfg


def model_name(path: str | Path | None = None, precision: str | None = None) -> str:
    """The name question vectors are stored under, without loading the model; ``precision``
    (default: the config's ``inference.precision``) other than fp32 is part of it, so vectors
    of another precision are never mixed with these."""
    p = Path(path) if path else default_path()
    files = model_files(p, (CONFIG_FILE, ADAPTER_FILES[1]))
    cfg = _config(p, files)
    precision = precision or config_precision(cfg)
    # int8: -N, the quantizer's version (onnx_models.QUANTIZE_VERSION; 2: 7-bit weights, the same
    # numbers on every CPU), its texts read one at a time (onnx_models.INT8_BATCH)
    suffix = "" if precision == "fp32" else f"-{precision}-{QUANTIZE_VERSION}"
    return f"{cfg.get('name', 'argmap-question')}-v{cfg.get('version', '?')}{suffix}:{sha256(files[ADAPTER_FILES[1]])[:16]}"


class QuestionEncoder:
    """Embedder protocol: ``encode(texts) -> (n, 384)`` L2-normalised float32. Runs under ONNX
    Runtime (``onnx_models``: the bundled MiniLM with the adapter merged in numpy; no torch), at
    ``precision`` (default: its config's ``inference.precision``)."""

    def __init__(self, path: str | Path | None = None, batch_size: int = 64, precision: str | None = None):
        self.path = Path(path) if path else default_path()
        self.precision = precision
        self.name = model_name(self.path, precision)
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        """The ONNX Runtime encoder, loaded on first use."""
        if self._model is None:
            from .onnx_models import OnnxEncoder

            files = model_files(self.path, (CONFIG_FILE, *ADAPTER_FILES))
            precision = self.precision or config_precision(_config(self.path, files))
            self._model = OnnxEncoder(self.name, {n: files[n] for n in ADAPTER_FILES}, precision,
                                      where=f"{self.path}: cannot load the question encoder")
        return self._model

    def sentence_transformer(self):
        """The same encoder in sentence-transformers and torch (PEFT's merge): a reference for
        tests and benchmarks."""
        files = model_files(self.path, ADAPTER_FILES)
        from .embed import load_sentence_transformer

        model = load_sentence_transformer(None)  # the bundled MiniLM, checked, offline
        try:
            import warnings

            from peft import PeftModel

            with warnings.catch_warnings(), private_copy(files) as adapter:
                warnings.simplefilter("ignore")  # library deprecation notices are not the user's business
                model[0].model = PeftModel.from_pretrained(model[0].model, str(adapter)).merge_and_unload()
            model.eval()
        except Exception as e:  # noqa: BLE001 - any load failure is one message
            raise ModelError(f"{self.path}: cannot load the question encoder ({e})".splitlines()[0]) from e
        return model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self.model.encode(list(texts), progress)
