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


def _square_plus_offset(offset):
    import numpy as np

    big = np.arange(100_000, dtype=np.float64)  # the workers see it through the closure (copied on write)

    def fn(i: int) -> float:
        return float(big[i] ** 2 + offset)

    return fn


def test_fork_map_gives_the_results_of_a_loop_in_order_and_leaves_no_worker():
    from argmap.workers import fork_map

    fn = _square_plus_offset(0.5)
    items = list(range(0, 100_000, 997))
    assert fork_map(fn, items, 2) == [fn(i) for i in items]
    assert fork_map(fn, items, 1) == [fn(i) for i in items]
    assert fork_map(fn, [3], 2) == [fn(3)]  # fewer items than workers: in this process
    assert not multiprocessing.active_children()


def test_fork_map_runs_in_other_processes_and_raises_a_workers_error():
    from argmap.workers import fork_map

    here = os.getpid()
    assert set(fork_map(lambda _: os.getpid(), range(8), 2)) - {here}

    def fails(i):
        if i == 5:
            raise ValueError("item 5 is bad")
        return i

    with pytest.raises(ValueError, match="item 5 is bad"):
        fork_map(fails, range(10), 2)
    assert not multiprocessing.active_children()
