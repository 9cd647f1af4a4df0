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
(``quantize_weight``, bit for bit) and fed like the fp32 ones. Weights use 7 bits (-64..64,
the quantizer's ``reduce_range``): ONNX Runtime multiplies uint8 activations by int8 weights
with kernels chosen by instruction set, and those of SSE4.1, AVX2 and AVX-512 without VNNI
(``vpmaddubsw``) add two products into a saturating int16; with full-range weights a sum
could pass 32,767 and be cut there. With 7 bits two products stay within 2 * 255 * 64 =
32,640 and every kernel sums exactly; but the fp32 operators around them still differ in
their last bits between instruction sets, and rounding the activations to int8 magnifies
that (logits moved by up to 0.13 between an AVX2 and an SSE4 CPU), so the shipped models run
fp32 (their configs; docs/performance.md, "The same numbers on every CPU"). int8 stays an
option of a model's config, for the benchmarks. ``bert-seq-cls`` has no int8 template and
is quantized at load time (``quantize``, seconds, then kept in a cache folder:
``quantized_session``), after SmoothQuant where the model ships its activation ranges
(``Int8Plan``, ``smooth``): per input channel, a scale moves activation outliers into the
weights, exactly in fp32 arithmetic, so that the int8 activations (quantized per run) lose
less; MatMuls it names stay fp32. Texts are tokenized with the ``tokenizers`` library from the checked tokenizer.json, sorted by token count and run
in batches of texts of one token count (fp32: no padding, so a text's numbers do not depend on
its batch; ``OnnxBert``), or one per run, a run per core at once (int8: ``INT8_BATCH``).

- ``bert-mean-pool``: input ids -> mean-pooled, L2-normalised vector (embedder, question encoder)
- ``bert-seq-cls``: a pair as one sequence -> three-way logits (stance model)
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .errors import ModelError
from .integrity import REINSTALL, manifest, read_files

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
BATCH = 16  # texts per run, fp32 (the run uses every core)
# int8 runs one text (or pair) at a time: its activations are quantized with the range of the
# whole run, so in a batch a text's numbers would depend on the others (and an added article
# would not get the numbers a fresh ingest gives); alone, they depend on the text only. Runs
# that small use a core better one thread each, one run per core at once (same numbers).
INT8_BATCH = 1
TEMPLATE_DIR = Path(__file__).parent / "resources" / "onnx"
TEMPLATES = ("bert-mean-pool.onnx", "bert-mean-pool-int8.onnx", "bert-seq-cls.onnx")
WEIGHTS_KEY = "argmap.weights"  # {initializer: [tensor, transposed]}, or [tensor, transposed, int8 part]
EXTERNAL = "argmap-weights"  # where a template's weights say they are: memory, at load time
PRECISIONS = ("fp32", "int8")
INT8_PARTS = ("quantized", "scale", "zero_point")  # a MatMul weight's, named "{weight}_{part}" by quantize_dynamic
QUANTIZE_VERSION = 2  # of ``quantize``, ``quantize_weight`` and ``smooth`` (2: 7-bit weights): part of
# the key of a cached quantized model and of the names int8 results are stored under
WEIGHT_RANGE = 64  # int8 weights lie in -64..64 (7 bits, ``reduce_range``): see the module docstring
CACHE_KEEP = 3  # quantized models kept in the cache (the most recently used)


def threads() -> int:
    """ONNX Runtime's intra-op threads: the cores this process may use (ARGMAP_THREADS overrides)."""
    from .workers import cores

    if os.environ.get("ARGMAP_THREADS", "").isdigit() and int(os.environ["ARGMAP_THREADS"]) > 0:
        return min(int(os.environ["ARGMAP_THREADS"]), 4 * cores())  # 99,999 threads hung; more than the cores only waits
    return cores()


def instruction_set() -> str:
    """The family of instructions ONNX Runtime chooses its kernels by on this CPU, e.g. "x86_64
    avx512-vnni", "x86_64 avx512", "x86_64 avx2", "x86_64 sse4" (by CPUID, as numpy detects it;
    under an emulator, the emulated CPU's): stored with each analysis, printed by the benchmarks."""
    import platform

    machine = platform.machine().lower() or "unknown"
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as has
    except ImportError:  # another numpy: the machine alone
        return machine
    for name, needs in (("avx512-vnni", ("AVX512_SKX", "AVX512VNNI")), ("avx512", ("AVX512_SKX",)),
                        ("avx2", ("AVX2", "FMA3")), ("sse4", ("SSE41",))):
        if all(has.get(n) for n in needs):
            return f"{machine} {name}"
    return machine


def layout(precision: str) -> tuple[int, int]:
    """(texts per ONNX Runtime run, runs at once) at ``precision`` (see INT8_BATCH)."""
    return (INT8_BATCH, threads()) if precision == "int8" else (BATCH, 1)


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


@dataclass(frozen=True)
class Int8Plan:
    """How ``quantize`` makes a template int8 beyond ``quantize_dynamic``'s defaults (a model's
    config ``inference.int8`` and its calibration file): ``act_max`` per MatMul weight (its
    tensor name in the bundled MiniLM, e.g. ``encoder.layer.0.output.dense.weight``) the largest
    |value| of each input channel of the activation that MatMul reads, on calibration text;
    ``alpha`` SmoothQuant's migration strength; ``fp32`` the weights whose MatMuls stay fp32."""

    act_max: Mapping[str, np.ndarray]
    alpha: float = 0.5
    fp32: tuple[str, ...] = ()


def session(name: str, weights: Mapping[str, np.ndarray], precision: str = "fp32", where: str = "model",
            plan: Int8Plan | None = None):
    """An ONNX Runtime CPU session of the template ``name`` with its weights supplied from
    ``weights`` (in memory, no copy into the graph). ``int8``: the pre-quantized template
    ``{name}-int8`` where one ships (and no ``plan``), else the fp32 one quantized at load time
    (``quantize``, with ``plan``; kept in ``cache_dir()``: ``quantized_session``)."""
    import onnx

    if precision not in PRECISIONS:
        raise ModelError(f"{where}: unknown precision {precision!r} (one of {', '.join(PRECISIONS)})")
    prequantized = precision == "int8" and plan is None and f"{name}-int8.onnx" in TEMPLATES
    graph = template(f"{name}-int8" if prequantized else name)
    model = onnx.load_from_string(graph)
    arrays = initializers(model, weights, where)
    intra = threads() // layout(precision)[1]
    try:
        if precision == "int8" and not prequantized:
            return quantized_session(graph, model, arrays, plan, intra)
        return session_of(graph, arrays, intra)
    except Exception as e:  # noqa: BLE001 - any runtime failure is one message
        raise ModelError(f"{where}: ONNX Runtime: {e}".splitlines()[0]) from e


def cache_dir() -> Path:
    """Where models quantized at load time are kept: $ARGMAP_CACHE, else $XDG_CACHE_HOME/argmap,
    else ~/.cache/argmap."""
    if os.environ.get("ARGMAP_CACHE"):
        return Path(os.environ["ARGMAP_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "argmap"


def quantized_session(graph: bytes, model, arrays: Mapping[str, np.ndarray], plan: Int8Plan | None,
                      intra: int | None = None):
    """A session of ``quantize(model, arrays, plan)``, the quantized bytes kept in ``cache_dir()``
    (seconds of quantizing saved on every later load): named by a hash of everything they are
    made from (template, weights, plan, the quantizer's versions) and of their own content,
    which is checked on reading; a missing, damaged or unwritable cache only costs the time."""
    import hashlib

    import onnx
    import onnxruntime as ort

    h = hashlib.sha256(f"{QUANTIZE_VERSION} onnx {onnx.__version__} onnxruntime {ort.__version__}".encode())
    h.update(graph)
    for name in sorted(arrays):
        h.update(f"\0{name}:{arrays[name].dtype}:{arrays[name].shape}".encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    if plan is not None:
        h.update(json.dumps([plan.alpha, list(plan.fp32), sorted(plan.act_max)]).encode())
        for name in sorted(plan.act_max):
            h.update(np.asarray(plan.act_max[name], dtype=np.float64).tobytes())
    key = f"int8-{h.hexdigest()[:32]}"
    try:
        folder = cache_dir()
        entries = sorted(folder.glob(f"{key}-*.onnx")) if folder.is_dir() else []
    except (OSError, RuntimeError):  # no home folder to find, or one that cannot be read
        folder, entries = None, []
    for path in entries:
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest()[:16] == path.stem.rsplit("-", 1)[1]:
                sess = ort.InferenceSession(data, _options(intra), providers=["CPUExecutionProvider"])
                try:
                    os.utime(path)  # recently used: kept when the cache is trimmed
                except OSError:
                    pass
                return sess
        except Exception:  # noqa: BLE001 - a damaged cache entry is quantized again
            pass
    data = quantize(model, arrays, plan)
    sess = ort.InferenceSession(data, _options(intra), providers=["CPUExecutionProvider"])
    if folder is not None:
        _keep(folder, f"{key}-{hashlib.sha256(data).hexdigest()[:16]}.onnx", data)
    return sess


def _keep(folder: Path, name: str, data: bytes) -> None:
    """Write ``data`` to ``folder/name`` atomically and trim the folder to the CACHE_KEEP most
    recently used models; a cache that cannot be written is left as it is."""
    tmp = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's own, like the files in it (0600)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", delete=False) as f:
            tmp = f.name
            f.write(data)
        os.replace(tmp, folder / name)
        tmp = None
        kept = sorted(folder.glob("int8-*.onnx"), key=lambda q: q.stat().st_mtime, reverse=True)
        for old in kept[CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        if tmp is not None:
            with suppress(OSError):
                Path(tmp).unlink(missing_ok=True)


def _options(intra: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra or threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def session_of(graph: bytes, arrays: Mapping[str, np.ndarray], intra: int | None = None):
    """A session of ``graph`` (template bytes) with its external initializers from ``arrays``
    (``intra`` threads per run, default every core)."""
    import onnxruntime as ort

    options = _options(intra)
    values = [ort.OrtValue.ortvalue_from_numpy(a) for a in arrays.values()]
    options.add_external_initializers(list(arrays), values)
    sess = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    sess.argmap_weights = dict(zip(arrays, values))  # ONNX Runtime reads this memory: keep it alive
    return sess


def weight_sources(model) -> dict[str, list]:
    """A template's initializer name -> [tensor of the bundled MiniLM, transposed, (int8 part)]."""
    return json.loads({p.key: p.value for p in model.metadata_props}[WEIGHTS_KEY])


def initializers(model, weights: Mapping[str, np.ndarray], where: str = "model") -> dict[str, np.ndarray]:
    """The data of a template's external initializers, by name, as its metadata maps them: a
    tensor of ``weights`` (transposed or not), or one int8 part of it (``quantize_weight``)."""
    try:
        names = weight_sources(model)
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
    exactly as onnxruntime's ``quantize_dynamic`` (QInt8, per_channel, reduce_range) computes
    them (``quant_utils.compute_scale_zp``, ``quantize_nparray``): symmetric, scale = max |w| * 2
    / 128 in float64 stored as float32 (1.0 where that is below float32's smallest normal), zero
    point 0, q = clip(round-half-even(w / scale), -64, 64) (WEIGHT_RANGE)."""
    scale = np.abs(w).max(axis=0).astype(np.float64) * 2 / (2 * WEIGHT_RANGE)
    scale = np.where(scale < np.finfo(np.float32).tiny, 1.0, scale).astype(np.float32)
    q = np.clip(np.round(w / scale), -WEIGHT_RANGE, WEIGHT_RANGE).astype(np.int8)
    return q, scale, np.zeros(w.shape[1], dtype=np.int8)


def smooth(model, arrays: dict[str, np.ndarray], plan: Int8Plan) -> None:
    """SmoothQuant (Xiao et al., 2023) in place: for each activation X read by MatMuls with
    weights W_1..W_m (Q, K and V share one), X W = (X / s)(diag(s) W) with, per input channel j,
    s_j = max|X_j| ** alpha / max_i |W_ij| ** (1 - alpha) (max over all m weights). A Mul node
    divides X by s; the weights in ``arrays`` are replaced (never changed in place: they may be
    the caller's). The same function in exact arithmetic; activation outliers become weight
    rows, which are quantized per output channel. Weights without ranges in the plan, or that
    stay fp32, are left as they are."""
    from onnx import helper, numpy_helper

    source = {name: src for name, (src, *_) in weight_sources(model).items()}
    groups: dict[str, list] = {}
    for node in model.graph.node:
        src = source.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if src in plan.act_max and src not in plan.fp32:
            groups.setdefault(node.input[0], []).append(node)
    first: dict[int, str] = {}  # node position -> the activation whose Mul goes before it
    for x, nodes in sorted(groups.items()):
        amax = np.max([np.asarray(plan.act_max[source[n.input[1]]], dtype=np.float64) for n in nodes], axis=0)
        wmax = np.max([np.abs(arrays[n.input[1]]).max(axis=1) for n in nodes], axis=0).astype(np.float64)
        if amax.shape != wmax.shape:
            raise ModelError(f"int8 calibration: {len(amax)} channels for a MatMul input of {len(wmax)}")
        s = np.clip(np.maximum(amax, 1e-8) ** plan.alpha / np.maximum(wmax, 1e-8) ** (1 - plan.alpha), 1e-4, 1e4)
        s = s.astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), f"{x}/smooth_scale"))
        for n in nodes:
            arrays[n.input[1]] = (arrays[n.input[1]] * s[:, None]).astype(np.float32)
            n.input[0] = f"{x}/smoothed"
        at = min(i for i, node in enumerate(model.graph.node) if node.input and node.input[0] == f"{x}/smoothed")
        first[at] = x
    ordered = []
    for i, node in enumerate(model.graph.node):
        if i in first:
            x = first[i]
            ordered.append(helper.make_node("Mul", [x, f"{x}/smooth_scale"], [f"{x}/smoothed"], name=f"{x}/smooth"))
        ordered.append(node)
    del model.graph.node[:]
    model.graph.node.extend(ordered)


def quantize(model, arrays: Mapping[str, np.ndarray], plan: Int8Plan | None = None) -> bytes:
    """``model`` with ``arrays`` filled in and its MatMul weights int8 by onnxruntime's
    ``quantize_dynamic`` (symmetric, 7 bits, per output channel; activations quantized per batch
    at run time): for a template with no int8 one, or with a ``plan`` (``smooth`` first, the
    plan's fp32 weights' MatMuls left out), in seconds."""
    import logging

    from onnx import numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    arrays = dict(arrays)
    excluded = []
    if plan is not None:
        smooth(model, arrays, plan)
        fp32 = {name for name, (src, *_) in weight_sources(model).items() if src in plan.fp32}
        excluded = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in fp32]
    keep = [t for t in model.graph.initializer if t.name not in arrays]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep + [numpy_helper.from_array(a, n) for n, a in arrays.items()])
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(max(level, logging.ERROR))  # its advice to pre-process is not the user's business
    try:
        with tempfile.TemporaryDirectory(prefix="argmap-int8-") as tmp:
            out = Path(tmp) / "int8.onnx"
            quantize_dynamic(model, out, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                             op_types_to_quantize=["MatMul"], nodes_to_exclude=excluded)
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
    order, ``parallel`` batches at once. A batch holds texts of the same token count only (no
    padding), and a batch of one is run as two copies: ONNX Runtime's fp32 numbers for a text
    change in the last bits with the padding around it and for a batch of one (a smaller
    matrix product), and are the same for any other batch of equal-length texts (tested), so
    a text's vector does not depend on what it was embedded with: an article added to a store
    gets the vectors a fresh ingest of every file gives."""

    def __init__(self, sess, tokenizer_json: bytes, max_length: int, batch_size: int = BATCH, parallel: int = 1):
        from tokenizers import Tokenizer

        self.session = sess
        self.output = sess.get_outputs()[0].name
        self.tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        self.tokenizer.enable_truncation(max_length, strategy="longest_first")
        self.tokenizer.no_padding()
        self.batch_size, self.parallel = batch_size, parallel

    def _run(self, encodings: list) -> np.ndarray:
        if len(encodings) == 1 and self.batch_size > 1:  # a batch of one takes another kernel: run it twice
            return self._run(encodings * 2)[:1]
        ids = np.array([e.ids for e in encodings], dtype=np.int64)  # one token count: no padding (run())
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        return self.session.run([self.output], feed)[0]

    def run(self, inputs: Sequence, progress: Progress | None = None) -> np.ndarray:
        from concurrent.futures import ThreadPoolExecutor

        encodings = self.tokenizer.encode_batch(list(inputs))
        order = sorted(range(len(encodings)), key=lambda i: (len(encodings[i].ids), i))
        batches = []  # texts of one token count together, never padded: see the class docstring
        for _, same in groupby(order, key=lambda i: len(encodings[i].ids)):
            same = list(same)
            batches += [same[s:s + self.batch_size] for s in range(0, len(same), self.batch_size)]
        out = None
        with ThreadPoolExecutor(self.parallel) if self.parallel > 1 else nullcontext() as pool:  # runs free the GIL
            each = pool.map if pool else map
            for s in range(0, len(batches), 64 * self.parallel):
                chunk = batches[s:s + 64 * self.parallel]
                for idx, result in zip(chunk, each(lambda idx: self._run([encodings[i] for i in idx]), chunk)):
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
                             self.MAX_LENGTH, *layout(precision))

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, 0), dtype=np.float32)
        return self.bert.run(list(texts), Progress("embedding", len(texts), progress))
