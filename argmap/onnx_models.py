"""argmap's bundled models under ONNX Runtime: no torch at inference.

Each architecture ships as a small graph template (``resources/onnx/*.onnx``, written by
``scripts/export_onnx.py``, checked against ``resources/manifest.json``) whose weight
initializers hold no data (marked external); its metadata maps each to a tensor of the MiniLM
safetensors (and whether it is transposed). At load time the weights are built in numpy from
the already checked bytes: the bundled all-MiniLM-L6-v2, plus a PEFT LoRA adapter merged as
PEFT's ``merge_and_unload`` does (W + scale * B @ A; ``modules_to_save`` replace their
tensors), and handed to ONNX Runtime from memory (``add_external_initializers``: no copy into
the graph, ~0.1 s to a session).

int8, where a model's config asks for it: ``bert-mean-pool`` also ships pre-quantized
(``bert-mean-pool-int8.onnx``, the graph ``onnxruntime.quantization.quantize_dynamic`` makes:
QInt8 MatMul weights per output channel, activations quantized per batch at run time), whose
int8 weights, scales and zero points are computed here as that quantizer computes them
(``quantize_weight``, bit for bit) and fed like the fp32 ones. ``bert-seq-cls`` has no int8
template and is quantized at load time (``quantize``, seconds). Texts are tokenized with the
``tokenizers`` library from the checked tokenizer.json, sorted by token count and run in
batches padded to their longest.

- ``bert-mean-pool``: input ids -> mean-pooled, L2-normalised vector (embedder, question encoder)
- ``bert-seq-cls``: a pair as one sequence -> three-way logits (stance model)
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .errors import ModelError
from .integrity import REINSTALL, manifest, read_files

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TEMPLATE_DIR = Path(__file__).parent / "resources" / "onnx"
TEMPLATES = ("bert-mean-pool.onnx", "bert-mean-pool-int8.onnx", "bert-seq-cls.onnx")
WEIGHTS_KEY = "argmap.weights"  # {initializer: [tensor, transposed]}, or [tensor, transposed, int8 part]
EXTERNAL = "argmap-weights"  # where a template's weights say they are: memory, at load time
PRECISIONS = ("fp32", "int8")
INT8_PARTS = ("quantized", "scale", "zero_point")  # a MatMul weight's, named "{weight}_{part}" by quantize_dynamic


def threads() -> int:
    """ONNX Runtime's intra-op threads: the cores this process may use (ARGMAP_THREADS overrides)."""
    if os.environ.get("ARGMAP_THREADS", "").isdigit() and int(os.environ["ARGMAP_THREADS"]) > 0:
        return int(os.environ["ARGMAP_THREADS"])
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def config_precision(config: dict) -> str:
    """The precision a model config's ``inference.precision`` asks for (fp32 when it says none)."""
    inference = config.get("inference")
    return str(inference.get("precision", "fp32")) if isinstance(inference, dict) else "fp32"


# ------------------------------------------------------------------ weights


def base_weights(files: Mapping[str, bytes]) -> dict[str, np.ndarray]:
    """The MiniLM tensors of a checked ``model.safetensors`` (bytes), by their names."""
    from safetensors.numpy import load

    return load(files["model.safetensors"])


def merge_lora(base: Mapping[str, np.ndarray], adapter: Mapping[str, bytes], where: str) -> dict[str, np.ndarray]:
    """``base`` with a PEFT LoRA adapter (``adapter_config.json``, ``adapter_model.safetensors``
    bytes) merged in as PEFT's merge_and_unload does; its ``modules_to_save`` (a classifier head)
    added. Tensor names are the base's (``bert.`` dropped), ``classifier.*`` for a head."""
    from safetensors.numpy import load

    try:
        cfg = json.loads(adapter["adapter_config.json"].decode("utf-8"))
        tensors = load(adapter["adapter_model.safetensors"])
    except Exception as e:  # noqa: BLE001 - corrupt JSON or safetensors: one message
        raise ModelError(f"{where}: unreadable adapter ({e})".splitlines()[0]) from None
    unsupported = [k for k in ("use_dora", "fan_in_fan_out", "rank_pattern", "alpha_pattern", "lora_bias")
                   if cfg.get(k)]
    if cfg.get("peft_type") != "LORA" or unsupported:
        raise ModelError(f"{where}: adapter_config.json: not a plain LoRA adapter ({', '.join(unsupported) or cfg.get('peft_type')})")
    r, alpha = int(cfg["r"]), float(cfg["lora_alpha"])
    scale = alpha / (r ** 0.5 if cfg.get("use_rslora") else r)
    out = {k: v for k, v in base.items()}
    for key, value in tensors.items():
        name = key.removeprefix("base_model.model.").removeprefix("bert.")
        if ".lora_A." in name:
            module = name.split(".lora_A.")[0]
            b = tensors[key.replace(".lora_A.", ".lora_B.")]
            target = module + ".weight"
            if target not in out:
                raise ModelError(f"{where}: adapter targets {module!r}, which the base model does not have")
            out[target] = (out[target] + (b.astype(np.float32) @ value.astype(np.float32)) * np.float32(scale)).astype(np.float32)
        elif ".lora_B." not in name:
            out[name] = value.astype(np.float32)  # modules_to_save: a whole tensor (the classifier head)
    return out


# ------------------------------------------------------------------ sessions


def template(name: str) -> bytes:
    """A graph template's bytes, checked against argmap's manifest."""
    return read_files(TEMPLATE_DIR, [f"{name}.onnx"], "ONNX graph", REINSTALL, manifest("onnx"))[f"{name}.onnx"]


def session(name: str, weights: Mapping[str, np.ndarray], precision: str = "fp32", where: str = "model"):
    """An ONNX Runtime CPU session of the template ``name`` with its weights supplied from
    ``weights`` (in memory, no copy into the graph). ``int8``: the pre-quantized template
    ``{name}-int8`` where one ships, else the fp32 one quantized at load time (``quantize``)."""
    import onnx
    import onnxruntime as ort

    if precision not in PRECISIONS:
        raise ModelError(f"{where}: unknown precision {precision!r} (one of {', '.join(PRECISIONS)})")
    prequantized = precision == "int8" and f"{name}-int8.onnx" in TEMPLATES
    graph = template(f"{name}-int8" if prequantized else name)
    model = onnx.load_from_string(graph)
    arrays = initializers(model, weights, where)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        if precision == "int8" and not prequantized:
            return ort.InferenceSession(quantize(model, arrays), options, providers=["CPUExecutionProvider"])
        values = [ort.OrtValue.ortvalue_from_numpy(a) for a in arrays.values()]
        options.add_external_initializers(list(arrays), values)
        sess = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        sess.argmap_weights = dict(zip(arrays, values))  # ONNX Runtime reads this memory: keep it alive
        return sess
    except Exception as e:  # noqa: BLE001 - any runtime failure is one message
        raise ModelError(f"{where}: ONNX Runtime: {e}".splitlines()[0]) from e


def initializers(model, weights: Mapping[str, np.ndarray], where: str = "model") -> dict[str, np.ndarray]:
    """The data of a template's external initializers, by name, as its metadata maps them: a
    tensor of ``weights`` (transposed or not), or one int8 part of it (``quantize_weight``)."""
    try:
        names = json.loads({p.key: p.value for p in model.metadata_props}[WEIGHTS_KEY])
        out, parts = {}, {}
        for name, (src, transposed, *part) in sorted(names.items()):
            w = np.ascontiguousarray(weights[src].T if transposed else weights[src], dtype=np.float32)
            if part:
                if (src, transposed) not in parts:
                    parts[src, transposed] = quantize_weight(w)
                w = parts[src, transposed][INT8_PARTS.index(part[0])]
            out[name] = w
        return out
    except KeyError as e:
        raise ModelError(f"{where}: weight {e} missing for its ONNX graph; {REINSTALL}") from None


def quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A MatMul weight (in, out) as int8, its scales and zero points (per output channel),
    exactly as onnxruntime's ``quantize_dynamic`` (QInt8, per_channel) computes them
    (``quant_utils.compute_scale_zp``, ``quantize_nparray``): symmetric, scale = max |w| * 2 / 254
    in float64 stored as float32 (1.0 where that is below float32's smallest normal), zero point
    0, q = clip(round-half-even(w / scale), -128, 127)."""
    scale = np.abs(w).max(axis=0).astype(np.float64) * 2 / 254
    scale = np.where(scale < np.finfo(np.float32).tiny, 1.0, scale).astype(np.float32)
    q = np.clip(np.round(w / scale), -128, 127).astype(np.int8)
    return q, scale, np.zeros(w.shape[1], dtype=np.int8)


def quantize(model, arrays: Mapping[str, np.ndarray]) -> bytes:
    """``model`` with ``arrays`` filled in and its MatMul weights int8 by onnxruntime's
    ``quantize_dynamic`` (symmetric, per output channel; activations quantized per batch at
    run time): for a template with no int8 one (seconds)."""
    import logging

    from onnx import numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = [t for t in model.graph.initializer if t.name not in arrays]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep + [numpy_helper.from_array(a, n) for n, a in arrays.items()])
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(max(level, logging.ERROR))  # its advice to pre-process is not the user's business
    try:
        with tempfile.TemporaryDirectory(prefix="argmap-int8-") as tmp:
            out = Path(tmp) / "int8.onnx"
            quantize_dynamic(model, out, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
            return out.read_bytes()
    finally:
        root.setLevel(level)


# ------------------------------------------------------------------ running


class Progress:
    """A count on a terminal, a line every 10 s when piped (stderr); silent when off."""

    def __init__(self, what: str, total: int, on: bool, unit: str = "texts"):
        self.what, self.total, self.on, self.unit = what, total, on, unit
        self.tty, self.last, self.done = sys.stderr.isatty(), time.monotonic(), 0

    def add(self, n: int) -> None:
        self.done += n
        if self.on and self.tty:
            print(f"\r  {self.what}: {self.done}/{self.total} {self.unit}", end="", file=sys.stderr, flush=True)
        elif self.on and time.monotonic() - self.last >= 10:
            print(f"argmap: {self.what}: {self.done:,} of {self.total:,} {self.unit}", file=sys.stderr, flush=True)
            self.last = time.monotonic()

    def close(self) -> None:
        if self.on and self.tty and self.total:
            print(file=sys.stderr)


class OnnxBert:
    """A BERT graph with its tokenizer: ``run(texts or pairs) -> (n, k)`` float32, in the input's
    order, computed in batches of similar token count."""

    def __init__(self, sess, tokenizer_json: bytes, max_length: int, batch_size: int = 16):
        from tokenizers import Tokenizer

        self.session = sess
        self.output = sess.get_outputs()[0].name
        self.tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        self.tokenizer.enable_truncation(max_length, strategy="longest_first")
        self.tokenizer.no_padding()
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0
        self.batch_size = batch_size

    def run(self, inputs: Sequence, progress: Progress | None = None) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(inputs))
        order = sorted(range(len(encodings)), key=lambda i: (len(encodings[i].ids), i))
        out = None
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            feed = {k: np.zeros((len(idx), width), dtype=np.int64) for k in INPUTS}
            feed["input_ids"][:] = self.pad
            for row, i in enumerate(idx):
                e, n = encodings[i], len(encodings[i].ids)
                feed["input_ids"][row, :n] = e.ids
                feed["attention_mask"][row, :n] = 1
                feed["token_type_ids"][row, :n] = e.type_ids
            result = self.session.run([self.output], feed)[0]
            if out is None:
                out = np.zeros((len(order), result.shape[1]), dtype=np.float32)
            out[idx] = result
            if progress is not None:
                progress.add(len(idx))
        if progress is not None:
            progress.close()
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def bundled_weights(adapter: Mapping[str, bytes] | None = None, where: str = "model") -> tuple[dict, bytes]:
    """The bundled MiniLM's weights (with ``adapter`` merged in) and its tokenizer.json, both
    from the checked bytes of its files."""
    from .embed import bundled_model_files

    files = bundled_model_files(["model.safetensors", "tokenizer.json"])
    weights = base_weights(files)
    if adapter is not None:
        weights = merge_lora(weights, adapter, where)
    return weights, files["tokenizer.json"]


class OnnxEncoder:
    """Embedder protocol on ``bert-mean-pool``: ``encode(texts) -> (n, 384)`` L2-normalised float32."""

    MAX_LENGTH = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2

    def __init__(self, name: str, adapter: Mapping[str, bytes] | None = None, precision: str = "fp32",
                 where: str = "cannot load the embedding model"):
        weights, tokenizer = bundled_weights(adapter, where)
        self.name = name
        self.precision = precision
        self.bert = OnnxBert(session("bert-mean-pool", weights, precision, where), tokenizer,
                             self.MAX_LENGTH)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, 0), dtype=np.float32)
        return self.bert.run(list(texts), Progress("embedding", len(texts), progress))
