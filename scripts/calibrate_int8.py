#!/usr/bin/env python
"""Write the stance model's int8 calibration (argmap/resources/stance/int8_calibration.safetensors):
for each MatMul weight of the model, the smallest and largest value of each input channel of
the activation that MatMul reads (``{weight}:min``, ``{weight}:max``), over pairs of *train*
text (PERSPECTRUM perspective-claim and perspective-perspective pairs, IBM claim-topic pairs; a
seeded sample), read one pair at a time by the fp32 model under ONNX Runtime (no padding).

SmoothQuant (``onnx_models.smooth``) turns the larger magnitude of each channel's range into
its scale when the model's config asks for int8 with an ``int8`` section; after writing the
file, run ``scripts/write_manifest.py``.

    .venv/bin/python scripts/calibrate_int8.py ../shared/data            # write the file
    .venv/bin/python scripts/calibrate_int8.py ../shared/data --pairs 600 --out FILE
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import evaluate as ev  # noqa: E402
from argmap import onnx_models as om  # noqa: E402
from argmap import stance  # noqa: E402


def train_pairs(data: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """A seeded sample of ``n`` train pairs (never dev: the int8 rule is judged on dev)."""
    p, c = ev.load_perspectrum(data, "train"), ev.load_claim_stance(data, "train")
    sets = [ev.perspectrum_claim_pairs(p), ev.perspectrum_pp_pairs(p), ev.ibm_claim_topic_pairs(c)]
    pairs = [(a, b) for s in sets for a, b in zip(s.a, s.b)]
    pick = np.random.default_rng(seed).choice(len(pairs), min(n, len(pairs)), replace=False)
    return [pairs[i] for i in sorted(pick.tolist())]


def activation_ranges(pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """``{weight}:min`` / ``{weight}:max`` -> per channel, the extremes of its MatMul's input
    (fp32 model) over ``pairs``."""
    import onnx
    from onnx import helper

    files = stance.model_files(None, list(stance.ADAPTER_FILES))
    weights, tokenizer = om.bundled_weights({n: files[n] for n in stance.ADAPTER_FILES})
    model = onnx.load_from_string(om.template("bert-seq-cls"))
    source = {name: src for name, (src, *_) in om.weight_sources(model).items()}
    reads: dict[str, list[str]] = {}  # activation -> the weights of the MatMuls reading it
    for n in model.graph.node:
        if n.op_type == "MatMul" and n.input[1] in source:
            reads.setdefault(n.input[0], []).append(source[n.input[1]])
    for x in sorted(reads):
        model.graph.output.append(helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, None))
    sess = om.session_of(model.SerializeToString(), om.initializers(model, weights))
    names = sorted(reads)
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}

    class Recorder:  # OnnxBert's session: records the activations of each batch it runs
        def get_outputs(self):
            return sess.get_outputs()

        def run(self, outputs, feed):
            result = sess.run(outputs + names, feed)
            for x, v in zip(names, result[len(outputs):]):
                v = v.reshape(-1, v.shape[-1])
                low[x] = np.minimum(low[x], v.min(axis=0)) if x in low else v.min(axis=0)
                high[x] = np.maximum(high[x], v.max(axis=0)) if x in high else v.max(axis=0)
            return result[:len(outputs)]

    om.OnnxBert(Recorder(), tokenizer, 128, batch_size=1).run(pairs)
    out = {}
    for x, srcs in reads.items():
        for src in srcs:
            out[f"{src}:min"], out[f"{src}:max"] = low[x].astype(np.float32), high[x].astype(np.float32)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--pairs", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=stance.default_path() / stance.INT8_FILE)
    args = ap.parse_args()
    from safetensors.numpy import save

    ranges = activation_ranges(train_pairs(args.data, args.pairs, args.seed))
    args.out.write_bytes(save(dict(sorted(ranges.items())), metadata={
        "pairs": str(args.pairs), "seed": str(args.seed), "source": "PERSPECTRUM + IBM claim stance train"}))
    print(f"{args.out}: the input ranges of {len(ranges) // 2} MatMuls from {args.pairs} train pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
