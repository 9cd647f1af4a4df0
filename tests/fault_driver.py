"""Runs argmap's CLI in a subprocess with the fake models, optionally killing itself (SIGKILL)
at a chosen point: the fault-injection suite (test_faults.py) drives real processes with it.

    python tests/fault_driver.py POINT N -- ingest ...

POINT is where to die, at its N-th call (N counts from 1): ``document`` (inside the transaction
that stores a document, after its row is written), ``stored`` (just after a document is
committed), ``vectors`` (after a batch of vectors is committed), ``analysis`` (inside the
transaction that saves issues and relations), or ``none``. ``slow`` dies nowhere but sleeps
after each stored document and each relate() call, so concurrent readers have time to look.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argmap.embed  # noqa: E402
import argmap.services  # noqa: E402
from argmap import store as store_module  # noqa: E402
from argmap.cli import cli  # noqa: E402
from argmap.fake import FakeEmbedder, FakeStance  # noqa: E402


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class DyingConnection:
    """A sqlite3 connection that calls ``hit()`` after each statement starting with ``prefix``."""

    def __init__(self, conn, prefix: str, hit):
        self._conn, self._prefix, self._hit = conn, prefix, hit

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        out = self._conn.execute(sql, *args)
        if sql.startswith(self._prefix):
            self._hit()
        return out

    def executemany(self, sql, rows):
        out = self._conn.executemany(sql, rows)
        if sql.startswith(self._prefix):
            self._hit()
        return out


@contextmanager
def dying(store, prefix: str, hit):
    real = store.conn
    store.conn = DyingConnection(real, prefix, hit)
    try:
        yield
    finally:
        store.conn = real


def main() -> None:
    point, n, rest = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    calls = {"n": 0}

    def hit(name: str):
        def count() -> None:
            if point == name:
                calls["n"] += 1
                if calls["n"] == n:
                    die()
        return count

    Store = store_module.Store
    replace, add_vectors, save = Store.replace_document, Store.add_vectors, Store.save_analysis

    def replace_document(self, *args):
        with dying(self, "INSERT INTO documents", hit("document")):
            replace(self, *args)
        hit("stored")()
        if point == "slow":
            time.sleep(0.3)

    def add(self, *args):
        out = add_vectors(self, *args)
        hit("vectors")()
        return out

    def save_analysis(self, *args):
        with dying(self, "INSERT INTO issues", hit("analysis")):
            return save(self, *args)

    Store.replace_document, Store.add_vectors, Store.save_analysis = replace_document, add, save_analysis

    class Stance(FakeStance):
        def relate(self, a, b, progress=False):
            if point == "slow":
                time.sleep(0.2)
            return super().relate(a, b, progress)

    embedder, question = FakeEmbedder(), FakeEmbedder(name="fake-question")
    argmap.embed.load_embedder = lambda model=None: embedder
    argmap.services.question_encoder = lambda: question
    argmap.services.relation_scorer = lambda method, vectors_for=None, model=None: Stance()
    argmap.services.pair_model_name = lambda method: "fake"
    cli.main(args=rest, prog_name="argmap")


if __name__ == "__main__":
    main()
