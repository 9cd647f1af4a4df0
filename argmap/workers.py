"""Work in forked worker processes, stopped cleanly whatever happens to the process that waits.

``pipe`` reads texts with spaCy in N forked processes (``concurrent.futures``'
ProcessPoolExecutor; each worker has the parent's pipeline, copied on write), batch by batch,
a few batches ahead, and yields the docs in order (sent back as ``Doc.to_bytes``, as spaCy's
own ``n_process`` does). Not spaCy's ``n_process`` itself: its workers inherit the other ends
of its pipes, so when the reader stops early (a full disk, a bad file, Ctrl-C) a worker blocked
on a full pipe never sees it closed and the ingest hangs at exit. Here:

``fork_map`` computes ``[fn(x) for x in items]`` the same way, for CPU-bound work that holds
the GIL (the issue clusterer's average linkage, block by block): the workers see the parent's
arrays copied on write, only the items and the results travel.

In both:

- the reader stopping (the generator closed, or dropped) cancels the batches not started and
  waits for the running ones (one batch each);
- Ctrl-C reaches the workers too: they ignore SIGINT (the parent stops them) and their stderr
  goes to /dev/null (a worker's exception comes back to the parent, which raises it);
- a parent killed outright (SIGKILL) would leave them waiting: on Linux they get SIGTERM when
  it dies (``prctl(PR_SET_PDEATHSIG)``).
"""
from __future__ import annotations

import os
import signal
import sys
from collections import deque
from itertools import islice
from typing import Iterable, Iterator

_STARTING = False  # true while this module's pipe forks its workers
_PARENT = 0  # the process that forks them


def _in_worker() -> None:
    """Runs in every child forked by this process; acts only in this module's workers."""
    if not _STARTING:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the other two guards stand
            pass
        if os.getppid() != _PARENT:  # the parent died before prctl took effect
            os._exit(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_worker)


def cores() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_NLP = None  # the pipeline the workers run (set before they are forked)
_TASK = None  # the function fork_map's workers call (set before they are forked)


def _forked_pool(workers: int, payload: dict, initializer=None):
    """A fork-context process pool whose workers see ``payload`` set as this module's globals
    (every worker is forked at once, on the first submit, which the caller makes at once) and
    run ``initializer`` first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _PARENT, _STARTING
    globals().update(payload)
    _PARENT, _STARTING = os.getpid(), True
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=initializer)


def _one_thread() -> None:
    """A fork_map worker's thread pools limited to one thread: OpenMP (scikit-learn's k-means)
    is not fork-safe (a forked child that finds the parent's thread team waits on it forever),
    and BLAS threads would only compete with the other workers, which are the parallelism."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _call(item):
    return _TASK(item)


def fork_map(fn, items, workers: int) -> list:
    """``[fn(x) for x in items]`` in ``workers`` forked processes (in this one when ``workers``
    < 2 or there are fewer than 2 items), results in order. ``fn`` may be a closure: the workers
    are forked with it, so only the items and the results are pickled."""
    global _STARTING, _TASK

    items = list(items)
    workers = min(workers, len(items))
    if workers < 2:
        return [fn(x) for x in items]
    pool = _forked_pool(workers, {"_TASK": fn}, initializer=_one_thread)
    try:
        return list(pool.map(_call, items, chunksize=max(1, len(items) // (32 * workers))))
    finally:
        _STARTING, _TASK = False, None
        pool.shutdown(wait=True, cancel_futures=True)


def _parse(texts: list[str]) -> list[bytes]:
    return [doc.to_bytes() for doc in _NLP.pipe(texts)]


def pipe(nlp, texts: Iterable[str], workers: int, batch_size: int = 64) -> Iterator:
    """``nlp.pipe(texts)`` in ``workers`` processes (in this one when ``workers`` < 2), the docs
    in order; the workers stop when the docs are all read, or when the caller stops reading and
    closes this generator (or drops it)."""
    global _STARTING

    if workers < 2:
        yield from nlp.pipe(texts, batch_size=batch_size)
        return
    from spacy.tokens import Doc
    from spacy.util import minibatch

    batches = iter(minibatch(texts, batch_size))
    pool = _forked_pool(workers, {"_NLP": nlp})
    try:
        ahead = deque(pool.submit(_parse, b) for b in islice(batches, 2 * workers))
        while ahead:
            done = ahead.popleft().result()
            ahead.extend(pool.submit(_parse, b) for b in islice(batches, 1))
            for data in done:
                yield Doc(nlp.vocab).from_bytes(data)
    finally:
        _STARTING = False
        pool.shutdown(wait=True, cancel_futures=True)

