#!/usr/bin/env python
"""Write argmap's ONNX graph templates (argmap/resources/onnx/*.onnx): the graph of each model
architecture argmap runs under ONNX Runtime, exported from torch, with no weights in it.

    .venv/bin/python scripts/export_onnx.py            # (re)write the templates, then the manifest
    .venv/bin/python scripts/export_onnx.py --check    # exit 1 if a template differs from a fresh export

A template is small (150-260 KB): its weight initializers are declared with no data (as external
data, which argmap supplies from memory), and its metadata ``argmap.weights`` maps each one to the safetensors tensor it is made from
(base MiniLM naming, ``classifier.*`` for the stance head) and whether it is transposed. At load
time argmap builds those tensors in numpy from the checked model files (argmap/onnx_models.py).
The export runs on weights set to distinct random values, so the map found by matching values
is unambiguous. Dev-time only (needs torch); the templates are listed in resources/manifest.json.

An architecture named ``NAME-int8.onnx`` in ``onnx_models.TEMPLATES`` also gets a pre-quantized
template: the graph onnxruntime's ``quantize_dynamic`` makes of it (as ``onnx_models.quantize``),
whose int8 weights, scales and zero points are stubs too, mapped to ``[tensor, transposed, part]``;
every stub's data is checked against what argmap computes for it (``onnx_models.initializers``).

- ``bert-mean-pool``: BERT -> attention-masked mean pooling -> L2 normalisation (the bundled
  all-MiniLM-L6-v2 embedder and argmap's question encoder); also ``bert-mean-pool-int8``.
- ``bert-seq-cls``: BERT -> pooler -> three-way classifier logits (argmap's stance model).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap.onnx_models import EXTERNAL, INPUTS, TEMPLATE_DIR, TEMPLATES, WEIGHTS_KEY  # noqa: E402

SMALL = 4096  # initializers up to this many elements that match no weight stay in the template


def _models():
    import torch

    from argmap.embed import load_sentence_transformer
    from argmap.stance import CLASSES, new_cross_encoder

    class MeanPool(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=-1)

    class Logits(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    st = load_sentence_transformer(None)
    ce = new_cross_encoder()
    assert ce[0].model.config.num_labels == len(CLASSES)
    return {"bert-mean-pool": (MeanPool(st[0].auto_model), "embedding", ""),
            "bert-seq-cls": (Logits(ce[0].model), "logits", "bert.")}


def _source_name(key: str, strip: str) -> str:
    key = key.split(".", 1)[1]  # the wrapper's attribute
    return key[len(strip):] if strip and key.startswith(strip) else key


def _stub(name: str, a: np.ndarray):
    """An initializer with no data: marked external, supplied in memory at load time."""
    from onnx import TensorProto, helper

    t = TensorProto(name=name, data_type=helper.np_dtype_to_tensor_dtype(a.dtype), dims=a.shape,
                    data_location=TensorProto.EXTERNAL)
    for key, value in (("location", EXTERNAL), ("offset", "0"), ("length", str(a.nbytes))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def _template(model, weights: dict, state: dict) -> bytes:
    """``model`` with the initializers ``weights`` maps (``[tensor, transposed]``, or
    ``[tensor, transposed, int8 part]``) made stubs and the map in its metadata; each stub's
    data checked against what argmap will compute for it from ``state``."""
    from onnx import numpy_helper

    from argmap.onnx_models import initializers

    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = WEIGHTS_KEY, json.dumps(weights, sort_keys=True)
    computed = initializers(model, state)
    kept = []
    for init in model.graph.initializer:
        if init.name in weights:
            a = numpy_helper.to_array(init)
            if a.dtype != computed[init.name].dtype or not np.array_equal(a, computed[init.name]):
                raise SystemExit(f"initializer {init.name}: argmap would not compute the same data")
            kept.append(_stub(init.name, a))
        else:
            kept.append(init)
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    model.producer_name, model.producer_version = "argmap scripts/export_onnx.py", ""
    return model.SerializeToString(deterministic=True)


def _quantized(model, weights: dict) -> tuple:
    """``model`` (weights filled in) through onnxruntime's quantize_dynamic, as argmap's
    ``onnx_models.quantize``, and its weight map: each quantized weight's int8 parts added."""
    import onnx

    from argmap.onnx_models import INT8_PARTS, quantize

    out = onnx.load_from_string(quantize(onnx.ModelProto.FromString(model.SerializeToString()), {}))
    names = {init.name for init in out.graph.initializer}
    mapped = {}
    for name, (src, transposed) in weights.items():
        if name in names:
            mapped[name] = [src, transposed]
        elif f"{name}_quantized" in names:
            mapped.update({f"{name}_{part}": [src, transposed, part] for part in INT8_PARTS})
    return out, mapped


def export(name: str, module, output: str, strip: str, int8: bool) -> dict[str, bytes]:
    """The templates' bytes (``name``, and ``name-int8`` if ``int8``): the exported graph,
    weights left out, the map in its metadata."""
    import onnx
    import torch
    from onnx import numpy_helper

    gen = torch.Generator().manual_seed(0)
    state = {}
    with torch.no_grad():
        for key, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.05)  # distinct values: an unambiguous map
            state[_source_name(key, strip)] = p.detach().numpy().copy()
    module.eval()
    ids = torch.tensor([[101, 2023, 2003, 102, 0], [101, 2178, 102, 2028, 102]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    types = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]])
    buf = io.BytesIO()
    torch.onnx.export(module, (ids, mask, types), buf, input_names=list(INPUTS), output_names=[output],
                      dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in INPUTS}, output: {0: "batch"}},
                      opset_version=17, dynamo=False, do_constant_folding=True)
    model = onnx.load_from_string(buf.getvalue())
    digest = lambda a: hashlib.sha256(np.ascontiguousarray(a).tobytes() + str(a.shape).encode()).hexdigest()  # noqa: E731
    sources = {}
    for key, a in state.items():
        sources[digest(a)] = [key, False]
        if a.ndim == 2:
            sources.setdefault(digest(a.T), [key, True])
    weights = {}
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        src = sources.get(digest(a)) if a.dtype == np.float32 else None
        if src is not None:
            weights[init.name] = src
        elif a.size > SMALL:
            raise SystemExit(f"{name}: initializer {init.name} {a.shape} matches no weight")
    unused = {"pooler.dense.weight", "pooler.dense.bias"} if output == "embedding" else set()
    missing = set(state) - {k for k, _ in weights.values()} - unused
    if missing:
        raise SystemExit(f"{name}: weights not found in the graph: {sorted(missing)}")
    out = {}
    if int8:
        out[f"{name}-int8"] = _template(*_quantized(model, weights), state)
    out[name] = _template(model, weights, state)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the templates are current")
    args = ap.parse_args()
    stale = []
    TEMPLATE_DIR.mkdir(parents=True, exist_ok=True)
    templates = {}
    for name, (module, output, strip) in _models().items():
        templates.update(export(name, module, output, strip, f"{name}-int8.onnx" in TEMPLATES))
    for name, data in sorted(templates.items()):
        path = TEMPLATE_DIR / f"{name}.onnx"
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        print(f"wrote {path} ({len(data):,} bytes)")
    if args.check:
        print("templates " + ("current" if not stale else f"NOT current: {', '.join(map(str, stale))}"))
        return 1 if stale else 0
    from subprocess import run

    return run([sys.executable, str(Path(__file__).with_name("write_manifest.py"))]).returncode


if __name__ == "__main__":
    sys.exit(main())
