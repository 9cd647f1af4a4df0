"""argmap's question encoder: vectors that put claims on the same question close together,
whichever side they take. Used to find which claims to compare (relations.candidate_pairs),
never for search.

The bundled all-MiniLM-L6-v2 with a PEFT LoRA adapter trained by ``scripts/train_question.py``
(sentence-transformers' trainer, MultipleNegativesRankingLoss on pairs of one question from the
train splits). The adapter ships in ``argmap/resources/question/`` in PEFT's own format, with
argmap's ``config.json`` (how it was trained, dev retrieval before and after).

It implements argmap's Embedder protocol; its ``name`` carries a hash of the adapter, so vectors
cached in the store are recomputed when the adapter changes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .integrity import adapter_files, private_copy, sha256

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


def model_name(path: str | Path | None = None) -> str:
    """The name question vectors are stored under, without loading the model."""
    p = Path(path) if path else default_path()
    files = model_files(p, (CONFIG_FILE, ADAPTER_FILES[1]))
    try:
        cfg = json.loads(files[CONFIG_FILE].decode("utf-8"))
        if not isinstance(cfg, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:  # UnicodeDecodeError included
        raise ModelError(f"{p / CONFIG_FILE}: corrupt question encoder config ({e})".splitlines()[0]) from None
    return f"{cfg.get('name', 'argmap-question')}-v{cfg.get('version', '?')}:{sha256(files[ADAPTER_FILES[1]])[:16]}"


class QuestionEncoder:
    """Embedder protocol: ``encode(texts) -> (n, 384)`` L2-normalised float32."""

    def __init__(self, path: str | Path | None = None, batch_size: int = 64):
        self.path = Path(path) if path else default_path()
        self.name = model_name(self.path)
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            files = model_files(self.path, ADAPTER_FILES)
            from .embed import load_embedder

            model = load_embedder().model  # the bundled MiniLM, checked, offline
            try:
                import warnings

                from peft import PeftModel

                with warnings.catch_warnings(), private_copy(files) as adapter:
                    warnings.simplefilter("ignore")  # library deprecation notices are not the user's business
                    model[0].model = PeftModel.from_pretrained(model[0].model, str(adapter)).merge_and_unload()
                model.eval()
            except Exception as e:  # noqa: BLE001 - any load failure is one message
                raise ModelError(f"{self.path}: cannot load the question encoder ({e})".splitlines()[0]) from e
            self._model = model
        return self._model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        v = self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=progress,
                              convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(v, dtype=np.float32)
