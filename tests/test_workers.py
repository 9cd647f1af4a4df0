"""spaCy's worker processes (argmap/workers.py): same docs as one process, and stopped however the reader ends."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from argmap.claims import nlp
from argmap.workers import pipe

TEXTS = [f"Analyst {i} said the sanctions against country {i} are failing. Others disagree." for i in range(40)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone too
        return f.read().split(")")[-1].split()[0] != "Z"


def test_two_workers_give_the_docs_of_one_process_in_order():
    one = [(d.text, [s.text for s in d.sents], [(e.text, e.label_) for e in d.ents]) for d in pipe(nlp(), TEXTS, 1)]
    two = [(d.text, [s.text for s in d.sents], [(e.text, e.label_) for e in d.ents]) for d in pipe(nlp(), TEXTS, 2)]
    assert two == one and len(one) == len(TEXTS)
    assert not multiprocessing.active_children()


def test_a_reader_that_stops_early_stops_the_workers():
    docs = pipe(nlp(), TEXTS * 20, 2, batch_size=8)
    next(docs)
    workers = multiprocessing.active_children()
    assert len(workers) == 2
    docs.close()
    assert not multiprocessing.active_children()
    assert all(w.exitcode is not None for w in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_parent():
    code = textwrap.dedent("""
        import multiprocessing, sys, time
        from argmap.claims import nlp
        from argmap.workers import pipe
        docs = pipe(nlp(), ["Sanctions are failing, analysts said."] * 2000, 2, batch_size=8)
        next(docs)
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
