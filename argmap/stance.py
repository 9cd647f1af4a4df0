"""argmap's stance model (v5): does claim A agree with claim B, disagree with it, or neither?

A sentence-transformers ``CrossEncoder`` over the bundled all-MiniLM-L6-v2 with a PEFT LoRA
adapter and a three-way head, trained by ``scripts/train_stance.py`` on NLI pairs (MultiNLI,
SNLI, SICK) and argument data (ArgKP, PERSPECTRUM, IBM claim stance). The adapter ships in
``argmap/resources/stance/``: ``adapter_model.safetensors`` and ``adapter_config.json`` (PEFT's
own format) and ``config.json`` (argmap's: the temperature that calibrates the probabilities
and the relation thresholds, all chosen on dev data, and how the model was trained).

The pair is read as one sequence ``[CLS] a [SEP] b [SEP]`` (for a stance toward a topic,
``[CLS] topic [SEP] a [SEP] b [SEP]``). ``probabilities`` gives, per pair, calibrated
P(neither), P(agree), P(disagree) in one direction; ``relate`` averages both directions, so
the result does not depend on the order of the pair.

It runs under ONNX Runtime (``onnx_models.py``: the bundled MiniLM with the adapter merged in
numpy; no torch). torch, transformers, sentence-transformers and peft are imported only for
training (``new_cross_encoder``) and the torch reference (``StanceModel.load(backend="torch")``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .integrity import adapter_files, private_copy
from .relations import KINDS, stance_of

FORMAT = "argmap-stance"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
INT8_FILE = "int8_calibration.safetensors"  # activation ranges for int8 (scripts/calibrate_int8.py)
INT8_FILES = (INT8_FILE,)  # shipped beside the adapter, in the manifest
CLASSES = KINDS  # the three probabilities, in this order
NEITHER, AGREE, DISAGREE = 0, 1, 2
RELATE_RULE = 2  # version of relate()'s reading rule (2: the exact disagree floor); part of the model id


def default_path() -> Path:
    return Path(__file__).parent / "resources" / "stance"


def model_files(path: str | Path | None, names: Sequence[str]) -> dict[str, bytes]:
    """``names`` in the stance model ``path`` (default: the shipped one), each read once; the
    shipped model's are checked against argmap's manifest."""
    return adapter_files("stance", Path(path) if path else default_path(), default_path(), names, "stance model")


def _quiet_offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import logging

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


def new_cross_encoder(max_length: int = 128):
    """A fresh three-way CrossEncoder on the bundled MiniLM (head not trained): for training.
    Loaded from a private copy of the checked files."""
    from .embed import bundled_model_copy

    with bundled_model_copy() as base:
        _quiet_offline()
        from sentence_transformers.cross_encoder import CrossEncoder

        return CrossEncoder(str(base), num_labels=len(CLASSES), max_length=max_length, device="cpu",
                            local_files_only=True)


class TorchPairs:
    """The stance model in sentence-transformers and torch (a CrossEncoder with PEFT's merge):
    the reference the ONNX Runtime model is tested and benchmarked against."""

    def __init__(self, adapter: dict[str, bytes], max_length: int, batch_size: int = 64):
        import warnings

        with warnings.catch_warnings():  # library deprecation notices are not the user's business
            warnings.simplefilter("ignore")
            ce = new_cross_encoder(max_length)
            from peft import PeftModel

            with private_copy(adapter) as path:
                peft_model = PeftModel.from_pretrained(ce[0].model, str(path))
            ce[0].model = peft_model.merge_and_unload()  # plain weights: faster, same numbers
        ce.eval()
        self.ce, self.batch_size = ce, batch_size

    def run(self, pairs: list[tuple[str, str]], progress=None) -> np.ndarray:
        import torch

        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros((len(pairs), len(CLASSES)), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                idx = order[s:s + self.batch_size]
                out[idx] = self.ce(self.ce.preprocess([pairs[i] for i in idx]))["scores"].float().numpy()
                if progress is not None:
                    progress.add(len(idx))
        if progress is not None:
            progress.close()
        return out


class StanceModel:
    """Loaded stance model; deterministic. See the module docstring."""

    def __init__(self, pairs, config: dict, path: Path):
        self.pairs = pairs  # run([(first, second), ...], progress) -> (n, 3) logits
        self.config = config
        self.path = path
        self.name = f"{config.get('name', 'argmap-stance')}-v{config.get('version', '?')}"
        self.temperature = float(config.get("temperature", 1.0))
        thr = config.get("thresholds", {})
        self.agree_threshold = float(thr.get("agree", 0.5))
        self.disagree_threshold = float(thr.get("disagree", 0.5))
        self.second_pass_floor = float(config.get("second_pass_floor", 0.0))
        self.match_agree_weight = float(config.get("match_agree_weight", 1000.0))
        self.topic_rule = config.get("topic_rule", "direct")
        from .onnx_models import config_precision

        self.precision = config_precision(config)

    @classmethod
    def load(cls, path: str | Path | None = None, config: dict | None = None,
             backend: str = "onnx") -> "StanceModel":
        """The model in ``path`` (default: the shipped one); ``config`` replaces its config.json
        (training scripts score adapters that have none yet). The shipped model's files are
        checked against argmap's manifest, and what is loaded is the bytes that were checked.
        ``backend`` "onnx" runs it under ONNX Runtime (no torch) at the config's
        ``inference.precision``; "torch" as a sentence-transformers CrossEncoder (a reference)."""
        p = Path(path) if path else default_path()
        cfg_path = p / CONFIG_FILE
        files = model_files(p, ([] if config is not None else [CONFIG_FILE]) + list(ADAPTER_FILES))
        if config is None:
            try:
                config = json.loads(files[CONFIG_FILE].decode("utf-8"))
                if not isinstance(config, dict):
                    raise ValueError("not a JSON object")
            except (ValueError, UnicodeDecodeError) as e:
                raise ModelError(f"{cfg_path}: corrupt stance model config ({e})".splitlines()[0]) from e
            if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
                raise ModelError(f"{cfg_path}: not an {FORMAT} v{FORMAT_VERSION} config")
        adapter, max_length = {n: files[n] for n in ADAPTER_FILES}, int(config.get("max_length", 128))
        try:
            if backend == "torch":
                pairs = TorchPairs(adapter, max_length)
            else:
                from .onnx_models import OnnxBert, bundled_weights, config_precision, layout, session

                where = f"{p}: cannot load the stance model"
                weights, tokenizer = bundled_weights(adapter, where)
                precision = config_precision(config)
                plan = int8_plan(config, p, where) if precision == "int8" else None
                pairs = OnnxBert(session("bert-seq-cls", weights, precision, where, plan), tokenizer, max_length,
                                 *layout(precision))
        except ModelError:
            raise
        except Exception as e:  # noqa: BLE001 - any load failure is one message
            raise ModelError(f"{p}: cannot load the stance model ({e})".splitlines()[0]) from e
        return cls(pairs, config, p)

    # ------------------------------------------------------------------ scoring

    def logits(self, a: Sequence[str], b: Sequence[str], topic: Sequence[str] | None = None,
               progress: bool = False) -> np.ndarray:
        """(n, 3) raw logits, one direction (a read first)."""
        from .onnx_models import Progress

        a, b = list(a), list(b)
        if len(a) != len(b) or (topic is not None and len(topic) != len(a)):
            raise ValueError("a, b (and topic) must have the same length")
        if not a:
            return np.zeros((0, len(CLASSES)), dtype=np.float32)
        firsts = [f"{t} [SEP] {x}" if t else x for x, t in zip(a, topic)] if topic is not None else a
        return self.pairs.run(list(zip(firsts, b)), Progress("stance model", len(a), progress, "pairs"))

    def probabilities(self, a: Sequence[str], b: Sequence[str], topic: Sequence[str] | None = None,
                      progress: bool = False) -> np.ndarray:
        """(n, 3) calibrated P(neither), P(agree), P(disagree), one direction."""
        return softmax(self.logits(a, b, topic, progress) / self.temperature)

    def relate(self, a: Sequence[str], b: Sequence[str], progress: bool = False,
               floor: float | None = None, disagree_at: float | None = None) -> np.ndarray:
        """(n, 3) probabilities averaged over both directions, so the pair's order does not matter.

        Pairs are put in a canonical order (the smaller text first) and read that way; the
        reverse reading is added only where the first gives P(agree) or P(disagree) of at least
        ``floor`` (default: the config's ``second_pass_floor``, chosen on dev so that no
        decision changes), since a pair far below both thresholds stays "neither" whatever the
        reverse says. For P(disagree) the floor is also at least ``2 * disagree_at - 1``
        (``disagree_at``: the threshold the caller decides with, default the model's): below it
        the average of the two readings cannot reach the threshold, so skipping the second
        reading there changes no "disagree" decision, exactly. Pairs left at one reading keep
        its probabilities.
        """
        a, b = list(a), list(b)
        floor = self.second_pass_floor if floor is None else floor
        disagree_at = self.disagree_threshold if disagree_at is None else disagree_at
        floor_disagree = max(floor, 2.0 * disagree_at - 1.0)
        first = [min(x, y) for x, y in zip(a, b)]
        second = [max(x, y) for x, y in zip(a, b)]
        out = self.probabilities(first, second, progress=progress)
        again = [i for i in range(len(a)) if out[i, AGREE] >= floor or out[i, DISAGREE] >= floor_disagree]
        if again:
            rev = self.probabilities([second[i] for i in again], [first[i] for i in again], progress=progress)
            out[again] = (out[again] + rev) / 2.0
        return out

    def stance(self, a: Sequence[str], b: Sequence[str], topic: Sequence[str] | None = None,
               progress: bool = False) -> np.ndarray:
        """(n,) P(agree) - P(disagree) in [-1, 1], one direction: +1 = a supports b.

        With a ``topic`` (the question both address) and the config's ``topic_rule`` "product",
        the answer is whether the two take the same side of it: stance(a, topic) x
        stance(b, topic); with "direct", ``topic [SEP] a`` is read against b."""
        if topic is not None and self.topic_rule == "product":
            a, b, topic = list(a), list(b), list(topic)
            s = self.stance(a + b, topic + topic, progress=progress)
            return (s[: len(a)] * s[len(a):]).astype(np.float32)
        return stance_of(self.probabilities(a, b, topic, progress))

    def match(self, a: Sequence[str], b: Sequence[str], progress: bool = False) -> np.ndarray:
        """(n,) P(agree), one direction: how well a makes b's point. The key-point match score of
        ``argmap eval`` adds it to the plain cosine with the config's ``match_agree_weight``."""
        return self.probabilities(a, b, progress=progress)[:, AGREE].astype(np.float32)


def int8_plan(config: dict, path: Path, where: str):
    """The config's ``inference.int8`` (SmoothQuant's ``smooth_alpha``, the ``fp32`` weights and
    the ``calibration`` file of activation ranges: ``{weight}:min`` and ``{weight}:max`` per
    channel, of which SmoothQuant uses the larger magnitude) as an ``onnx_models.Int8Plan``;
    None without one."""
    from .onnx_models import Int8Plan

    spec = (config.get("inference") or {}).get("int8")
    if not spec:
        return None
    name = spec.get("calibration", INT8_FILE)
    data = model_files(path, [name])[name]
    try:
        from safetensors.numpy import load

        ranges = load(data)
        weights = {k.removesuffix(":max") for k in ranges if k.endswith(":max")}
        if not weights or weights != {k.removesuffix(":min") for k in ranges if k.endswith(":min")}:
            raise ValueError("no matching ':min' and ':max' ranges")
        act_max = {w: np.maximum(np.abs(ranges[f"{w}:min"]), np.abs(ranges[f"{w}:max"])) for w in weights}
        return Int8Plan(act_max, float(spec.get("smooth_alpha", 0.5)), tuple(spec.get("fp32", ())))
    except Exception as e:  # noqa: BLE001 - a damaged file is one message
        raise ModelError(f"{path / name}: {where}: unreadable int8 calibration ({e})".splitlines()[0]) from e


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
