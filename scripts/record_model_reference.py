#!/usr/bin/env python
"""Write tests/fixtures/model_reference.json: the shipped stance model's and question encoder's
numbers on a few pairs and texts, and the CPU they were computed on. tests/test_isa.py compares
every CPU it runs on (and the CPUs it emulates with qemu-x86_64) against them: the models must
give the same numbers on every instruction set (docs/performance.md, "The same numbers on
every CPU").

    .venv/bin/python scripts/record_model_reference.py          # after changing a model
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "tests" / "fixtures" / "model_reference.json"
PAIRS = [
    ("We should ban smoking", "Smoking harms others nearby"),
    ("Smoking is a personal choice", "We should ban smoking"),
    ("The economy grew", "The economy shrank"),
    ("China is back at center stage", "Kim's trip won't make a dent"),
    ("If Donald Trump were president, Putin would be sitting in Kyiv right now",
     "Putin would be sitting in Moscow"),
    ("I'm not signing a ban", "He will sign a national abortion ban"),
    ("Schools should allow trained teachers to carry guns", "Arming teachers makes classrooms less safe"),
    ("Cats", "Sanctions work."),
]
TEXTS = ["China is back at center stage", "it won't make a dent", "Sanctions work.",
         "Kim’s trip to Beijing — a “dual message”.", "Arming teachers makes classrooms less safe"]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def numbers(pairs=PAIRS, texts=TEXTS) -> dict:
    """The shipped models' numbers: stance logits of each pair read both ways, relate()'s
    probabilities and decisions, question-encoder vectors."""
    from argmap.question import QuestionEncoder
    from argmap.relations import decide
    from argmap.stance import StanceModel

    model = StanceModel.load()
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    logits = model.logits(a + b, b + a)
    probs = model.relate(a, b)
    vectors = QuestionEncoder().encode(list(texts))
    return {"stance_logits": logits.tolist(), "relate": probs.tolist(),
            "decisions": [decide(p, model.agree_threshold, model.disagree_threshold)[0] for p in probs],
            "question_vectors": vectors.tolist()}


def main() -> int:
    import onnxruntime

    from argmap.onnx_models import instruction_set
    from argmap.question import model_name
    from argmap.services import stance_model_id

    record = {"note": "written by scripts/record_model_reference.py; checked by tests/test_isa.py",
              "instruction_set": instruction_set(), "cpu": cpu_name(), "onnxruntime": onnxruntime.__version__,
              "stance_model": stance_model_id(), "question_model": model_name(),
              "pairs": [list(p) for p in PAIRS], "texts": TEXTS, **numbers()}
    lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in record.items()]  # a key a line
    OUT.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {OUT} ({record['instruction_set']}, {record['cpu']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
