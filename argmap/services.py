"""Model loading for the CLI: which embedder and which stance scorer a command uses.

Kept out of the core so the core stays pure and tests can inject fakes. Nothing
here imports torch at module import time.
"""
from __future__ import annotations

import json
from typing import Callable

import numpy as np

from .embed import DEFAULT_MODEL, load_embedder
from .errors import ModelError

METHODS = ("argmap", "cosine")


def model_name(model: str | None) -> str:
    """The name vectors are stored under, without loading anything."""
    if model in (None, "", DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL):
        return DEFAULT_MODEL
    return model


def query_embedder(model: str | None):
    """A fast embedder for a few query texts: numpy MiniLM for the bundled model (no torch)."""
    if model_name(model) == DEFAULT_MODEL:
        from .embed import bundled_model_dir
        from .minilm import NumpyMiniLM

        return NumpyMiniLM(bundled_model_dir(), DEFAULT_MODEL)
    return load_embedder(model)


def pair_model_name(method: str) -> str:
    """Identifies the stance scorer for the analysis cache key, without loading it:
    the pair model's name and a hash of its weights, so a new model re-runs the analysis."""
    if method == "cosine":
        return "cosine"
    from .embed import file_sha256
    from .pairmodel import CONFIG_FILE, WEIGHTS_FILE, default_path

    try:
        cfg = json.loads((default_path() / CONFIG_FILE).read_text())
        digest = file_sha256(default_path() / WEIGHTS_FILE)
    except (OSError, ValueError) as e:
        raise ModelError(f"{default_path()}: argmap's pair model is missing or unreadable ({e})") from None
    return f"{cfg.get('name', 'pairmodel')}:{digest[:16]}"


def stance_scorer(method: str, vectors_for: Callable[[list[str]], np.ndarray] | None = None,
                  model: str | None = None) -> Callable[[list[str], list[str]], np.ndarray]:
    """The stance function for a method; ``vectors_for`` supplies stored vectors for the cosine baseline."""
    if method == "cosine":
        from .relations import cosine_stance

        if vectors_for is None:
            emb = query_embedder(model)
            vectors_for = emb.encode
        return cosine_stance(vectors_for)
    import sys

    from .pairmodel import PairModel

    model = PairModel.load()
    progress = sys.stderr.isatty()  # a bar on a terminal, nothing when piped
    return lambda a, b: model.stance(a, b, progress=progress)
