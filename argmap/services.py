"""Model loading for the CLI: which embedder, question encoder and relation scorer a command uses.

Kept out of the core so the core stays pure and tests can inject fakes. Nothing
here imports torch at module import time.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .embed import load_embedder, model_name

METHODS = ("argmap", "cosine")
__all__ = ["METHODS", "model_name", "query_embedder", "stance_model_id", "pair_model_name", "stance_model",
           "relation_scorer", "question_encoder"]


def query_embedder(model: str | None):
    """The embedder for a few query texts: the bundled model under ONNX Runtime (no torch, a
    fraction of a second to load) or the named sentence-transformers model."""
    return load_embedder(model)


def stance_model_id() -> str:
    """The stance model's name with hashes of its adapter, its config (temperature, thresholds,
    precision), its int8 calibration, the version of argmap's int8 quantizer and of its relate()
    rule, without loading it: a new model, new thresholds, a new calibration, a new quantizer or
    a new rule re-run the analysis (and key the cached pair probabilities)."""
    from .integrity import sha256
    from .onnx_models import QUANTIZE_VERSION
    from .stance import ADAPTER_FILES, CONFIG_FILE, INT8_FILE, RELATE_RULE, model_files

    files = model_files(None, (ADAPTER_FILES[1], CONFIG_FILE, INT8_FILE))  # int8: its calibration too
    return ("argmap-stance:" + "".join(sha256(data)[:12] for data in files.values())
            + f":int8-{QUANTIZE_VERSION}:relate-{RELATE_RULE}")


def pair_model_name(method: str) -> str:
    """Identifies the relation scorer and question encoder for the analysis cache key."""
    if method == "cosine":
        return "cosine"
    from .question import model_name as question_model_name

    return f"{stance_model_id()}+{question_model_name()}"


_STANCE = {}


def stance_model():
    """argmap's stance model, loaded once per process."""
    if "model" not in _STANCE:
        from .stance import StanceModel

        _STANCE["model"] = StanceModel.load()
    return _STANCE["model"]


class _Progress:
    """A stance model whose relate() shows progress: a count on a terminal, a line every 10 s when piped."""

    def __init__(self, model):
        self.model = model
        self.agree_threshold = model.agree_threshold
        self.disagree_threshold = model.disagree_threshold

    def relate(self, a, b):
        return self.model.relate(a, b, progress=True)


def relation_scorer(method: str, vectors_for: Callable[[list[str]], np.ndarray] | None = None,
                    model: str | None = None):
    """The relation scorer for a method (``relate(a, b) -> (n, 3)`` and its thresholds);
    ``vectors_for`` supplies stored vectors for the cosine baseline."""
    if method == "cosine":
        from .relations import CosineScorer

        if vectors_for is None:
            vectors_for = query_embedder(model).encode
        return CosineScorer(vectors_for)
    return _Progress(stance_model())


def question_encoder():
    """argmap's question encoder (finds which claims to compare)."""
    from .question import QuestionEncoder

    return QuestionEncoder()
