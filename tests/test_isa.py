"""The same numbers on every CPU: the shipped stance model and question encoder against the
numbers recorded in tests/fixtures/model_reference.json (scripts/record_model_reference.py, on
the CPU it names), here, and on the instruction sets qemu-x86_64 emulates that this CPU does
not have (Nehalem: SSE4.2, no AVX; Haswell: AVX2 without AVX-512, where this CPU has AVX-512;
qemu emulates no AVX-512, so an AVX-512 CPU meets an AVX2 one through the fixture).

ONNX Runtime picks its kernels by instruction set, so fp32 numbers differ in their last bits
between CPUs (about 5e-6 in a logit); the models ship fp32 because int8 magnified those bits:
dynamic int8 rounding of the activations moved logits by up to 0.13 between an AVX2 and an SSE4
CPU, and with full-range weights the saturating int8 kernels of AVX2 moved them by 0.4 and
read "Smoking is a personal choice" against "We should ban smoking" as agree where an AVX-512
VNNI CPU read disagree (docs/performance.md, "The same numbers on every CPU")."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "model_reference.json"
LOGIT_TOL = 1e-4       # max abs difference of a stance logit from the recorded one, on any CPU (seen: 5e-6)
PROB_TOL = 2e-5        # of relate()'s probabilities (seen: 1e-6)
COSINE_TOL = 0.99999   # least cosine between a question vector and the recorded one
EMULATED = 2           # pairs and texts read under the emulator (about 4 s a reading there)
EMULATED_CPUS = {"Nehalem": "x86_64 sse4", "Haswell": "x86_64 avx2"}  # qemu's CPU models: their instruction sets


def reference() -> dict:
    ref = json.loads(FIXTURE.read_text(encoding="utf-8"))
    from argmap.question import model_name
    from argmap.services import stance_model_id

    if (ref["stance_model"], ref["question_model"]) != (stance_model_id(), model_name()):
        pytest.fail(f"{FIXTURE.name} was recorded for other models: run scripts/record_model_reference.py")
    return ref


def numbers(n: int | None = None) -> dict:
    """The first ``n`` pairs' and texts' numbers (scripts/record_model_reference.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from record_model_reference import PAIRS, TEXTS
    from record_model_reference import numbers as compute

    return compute(PAIRS[:n], TEXTS[:n])


def assert_same(got: dict, ref: dict, where: str) -> None:
    n = len(got["relate"])
    logits = np.array(ref["stance_logits"])
    logits = np.concatenate([logits[:n], logits[len(ref["pairs"]):][:n]])  # both readings of the first n pairs
    assert np.abs(np.array(got["stance_logits"]) - logits).max() < LOGIT_TOL, where
    assert np.abs(np.array(got["relate"]) - np.array(ref["relate"][:n])).max() < PROB_TOL, where
    assert got["decisions"] == ref["decisions"][:n], where
    vectors = np.array(got["question_vectors"])
    assert ((vectors * np.array(ref["question_vectors"][:len(vectors)])).sum(1) > COSINE_TOL).all(), where


@pytest.mark.integration
def test_models_give_the_recorded_numbers_here():
    from argmap.onnx_models import instruction_set

    ref = reference()
    assert_same(numbers(), ref, f"{instruction_set()} against {ref['instruction_set']} ({ref['cpu']})")


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux" or os.uname().machine != "x86_64", reason="qemu-x86_64 emulates x86_64 CPUs")
@pytest.mark.parametrize("cpu", sorted(EMULATED_CPUS))
def test_models_give_the_recorded_numbers_on_an_emulated_cpu(cpu):
    from argmap.onnx_models import instruction_set

    if EMULATED_CPUS[cpu] == instruction_set():
        pytest.skip(f"{cpu} has this CPU's own instruction set: the test above covers it")
    qemu = shutil.which("qemu-x86_64")
    assert qemu, "qemu-x86_64 missing: scripts/setup.sh installs Debian's qemu-user"
    ref = reference()
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'tests')!r}); from test_isa import numbers\n"
            f"from argmap.onnx_models import instruction_set\n"
            f"print(json.dumps({{'isa': instruction_set(), **numbers({EMULATED})}}))")
    out = subprocess.run([qemu, "-cpu", cpu, sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "ARGMAP_THREADS": "1"}, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["isa"] == EMULATED_CPUS[cpu]
    assert_same(got, ref, f"{got['isa']} (qemu {cpu}) against {ref['instruction_set']} ({ref['cpu']})")
