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

FORMAT = "argmap-question"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def default_path() -> Path:
    return Path(__file__).parent / "resources" / "question"


def model_name(path: str | Path | None = None) -> str:
    """The name question vectors are stored under, without loading the model."""
    from .embed import file_sha256

    p = Path(path) if path else default_path()
    try:
        cfg = json.loads((p / CONFIG_FILE).read_text(encoding="utf-8"))
        digest = file_sha256(p / ADAPTER_FILES[1])
    except (OSError, ValueError) as e:
        raise ModelError(f"{p}: argmap's question encoder is missing or unreadable ({e})") from None
    return f"{cfg.get('name', 'argmap-question')}-v{cfg.get('version', '?')}:{digest[:16]}"


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
            for f in [self.path / CONFIG_FILE] + [self.path / n for n in ADAPTER_FILES]:
                if not f.is_file():
                    raise ModelError(f"{f}: question encoder file is missing (reinstall argmap)")
            from .embed import load_embedder

            model = load_embedder().model  # the bundled MiniLM, SHA-checked, offline
            try:
                import warnings

                from peft import PeftModel

                with warnings.catch_warnings():  # library deprecation notices are not the user's business
                    warnings.simplefilter("ignore")
                    model[0].model = PeftModel.from_pretrained(model[0].model, str(self.path)).merge_and_unload()
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
