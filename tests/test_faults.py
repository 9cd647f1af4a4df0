"""The fault-injection suite (run it alone: ``bash scripts/test.sh -m faults``).

Real argmap processes meet hard faults: SIGKILL at chosen points of an ingest, another writer
holding the lock, a read-only store and folder, a full disk, readers during an ingest. After
each fault the store must pass SQLite's integrity check and hold a complete earlier state, the
process must say what happened in one line (no traceback), and a rerun must give exactly what
an uninterrupted run gives. Processes run with the fake models (tests/fault_driver.py), or as
the real CLI where no model is needed (--no-analyze), so the suite takes about a minute.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from argmap.store import LOCK_TIMEOUT, Store

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DRIVER = Path(__file__).resolve().parent / "fault_driver.py"
TABLES = {  # what a store holds, minus when it was written
    "documents": "id, path, title, outlet, date, url, authors, note, content_hash, extractor, text",
    "analysts": "name",
    "claims": 'id, document_id, text, text_hash, paragraph, start, "end", context, lead, reading',
    "embeddings": "model, text_hash, dim, vector",
    "issues": "id, position, label, keyphrases, central_claim, pivot",
    "issue_claims": "issue_id, claim_id, rank, side",
    "relations": "a, b, kind, score, issue_id",
    "meta": "key, value",
}


def driver(point: str, n: int, *args, **kw) -> subprocess.CompletedProcess:
    """argmap with the fake models, killing itself at the n-th ``point`` (see fault_driver.py)."""
    return subprocess.run([sys.executable, str(DRIVER), point, str(n), "--", *map(str, args)],
                          capture_output=True, text=True, timeout=300, **kw)


def argmap(*args, preexec=None, **kw) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess."""
    return subprocess.run([sys.executable, "-m", "argmap", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=REPO, preexec_fn=preexec, **kw)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        snap = {t: sorted(conn.execute(f"SELECT {cols} FROM {t}").fetchall()) for t, cols in TABLES.items()}
        # what the last analysis run computed afresh (a rerun finds the pairs a killed run scored in the cache)
        snap["meta"] = [row for row in snap["meta"] if row[0] not in ("pairs_scored", "neighbour_rows")]
        return snap
    finally:
        conn.close()


def claims_by_document(snap) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in snap["claims"]:
        out[row[1]] = out.get(row[1], 0) + 1
    return out


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Uninterrupted runs: the whole ingest with the fake models, and the real --no-analyze ingest."""
    base = tmp_path_factory.mktemp("clean")
    full, plain = base / "full.db", base / "plain.db"
    assert driver("none", 0, "ingest", "--db", full, CORPUS).returncode == 0
    assert argmap("ingest", "--no-analyze", "--db", plain, CORPUS).returncode == 0
    return snapshot(full), snapshot(plain)


# ------------------------------------------------------------------------------ kill -9

@pytest.mark.parametrize("point,n", [("document", 1), ("document", 3), ("stored", 2), ("vectors", 1),
                                     ("vectors", 2), ("analysis", 1)])
def test_kill_9_then_a_rerun_equals_an_uninterrupted_run(clean, tmp_path, point, n):
    db = tmp_path / "s.db"
    killed = driver(point, n, "ingest", "--db", db, CORPUS)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = snapshot(db)  # integrity ok
    full = clean[0]
    # every stored document is whole: all of its claims, or it is not there
    assert {d: k for d, k in claims_by_document(after).items()} == \
        {d: k for d, k in claims_by_document(full).items() if d in {r[0] for r in after["documents"]}}
    if point in ("document", "stored"):
        assert len(after["documents"]) == (n - 1 if point == "document" else n)
    if point == "analysis":
        assert after["issues"] == [] and after["relations"] == []  # the analysis is saved whole or not at all
    rerun = driver("none", 0, "ingest", "--db", db, CORPUS)
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(db) == full


@pytest.mark.parametrize("delay", [0.4, 1.2, 2.5])
def test_a_real_ingest_killed_at_any_moment_keeps_a_whole_store(clean, tmp_path, delay):
    db = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "argmap", "ingest", "--no-analyze", "--db", str(db), str(CORPUS)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.kill()
    proc.wait(timeout=30)
    plain = clean[1]
    if db.exists():
        after = snapshot(db)
        assert claims_by_document(after) == {d: k for d, k in claims_by_document(plain).items()
                                             if d in {r[0] for r in after["documents"]}}
    assert argmap("ingest", "--no-analyze", "--db", db, CORPUS).returncode == 0
    assert snapshot(db) == plain


# ------------------------------------------------------------------------------ the lock

def test_a_writer_holding_the_lock_gets_one_line_and_readers_still_read(clean, tmp_path):
    db = tmp_path / "s.db"
    assert argmap("ingest", "--no-analyze", "--db", db, CORPUS / "rfa-dual-message.md").returncode == 0
    before = snapshot(db)
    holder = sqlite3.connect(str(db), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        t = time.monotonic()
        result = argmap("ingest", "--no-analyze", "--db", db, CORPUS)
        waited = time.monotonic() - t
        assert result.returncode == 1
        assert "in use by another argmap process" in one_error_line(result)
        assert LOCK_TIMEOUT <= waited < LOCK_TIMEOUT + 20
        reader = argmap("documents", "--json", "--db", db)
        assert reader.returncode == 0 and '"rfa-dual-message"' in reader.stdout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(db) == before


# ------------------------------------------------------------------------------ readers during an ingest

def test_readers_during_an_ingest_see_whole_documents(clean, tmp_path):
    db = tmp_path / "s.db"
    Store(db).close()
    proc = subprocess.Popen([sys.executable, str(DRIVER), "slow", "0", "--", "ingest", "--db", str(db), str(CORPUS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    full_counts = claims_by_document(clean[0])
    seen = set()
    reads = 0
    while proc.poll() is None or reads < 3:
        store = Store(db, create=False)
        docs = {d.id for d in store.documents()}
        assert store.claim_counts() == {d: full_counts[d] for d in docs}  # no half-written document
        store.close()
        listed = argmap("documents", "--json", "--db", db)
        assert listed.returncode == 0, listed.stderr
        seen.add(len(docs))
        reads += 1
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert len(seen) >= 2  # the readers saw the ingest in progress
    assert snapshot(db) == clean[0]


# ------------------------------------------------------------------------------ permissions

def _as_unprivileged():
    """Run a subprocess without root's power to ignore file permissions (setpriv drops it)."""
    if os.geteuid() != 0:
        return {}
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    return {"prefix": ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]}


def unprivileged(*args) -> subprocess.CompletedProcess:
    prefix = _as_unprivileged().get("prefix", [])
    return subprocess.run([*prefix, sys.executable, "-m", "argmap", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=REPO)


@pytest.fixture
def folder(tmp_path):
    """A folder whose permissions the test changes, restored afterwards so pytest can clean up."""
    f = tmp_path / "f"
    f.mkdir()
    yield f
    for p in [f, *f.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def test_a_read_only_store_is_read_and_not_changed(folder):
    db = folder / "s.db"
    assert argmap("ingest", "--no-analyze", "--db", db, CORPUS / "rfa-dual-message.md").returncode == 0
    before = snapshot(db)
    db.chmod(0o444)
    result = unprivileged("ingest", "--no-analyze", "--db", db, CORPUS)
    assert result.returncode == 1
    assert "read-only" in one_error_line(result) and str(db) in one_error_line(result)
    listed = unprivileged("documents", "--json", "--db", db)
    assert listed.returncode == 0 and '"rfa-dual-message"' in listed.stdout
    assert snapshot(db) == before


def test_a_store_in_a_read_only_folder(folder):
    db = folder / "s.db"
    assert argmap("ingest", "--no-analyze", "--db", db, CORPUS / "rfa-dual-message.md").returncode == 0
    before = snapshot(db)
    folder.chmod(0o555)
    listed = unprivileged("claims", "--json", "--db", db)
    assert listed.returncode == 0 and "rfa-dual-message" in listed.stdout
    result = unprivileged("ingest", "--no-analyze", "--db", db, CORPUS)
    assert result.returncode == 1 and "read-only" in one_error_line(result)
    new = unprivileged("ingest", "--no-analyze", "--db", folder / "new.db", CORPUS)
    assert new.returncode == 1 and "is not writable" in one_error_line(new)
    assert not (folder / "new.db").exists()
    assert snapshot(db) == before


# ------------------------------------------------------------------------------ a full disk

@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system (tmpfs) when the test may mount one; else None (the test then limits
    the file size the process may write, RLIMIT_FSIZE, which fails writes the same way)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    ok = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode == 0
    yield mount if ok else None
    if ok:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_full_disk_gets_one_line_and_keeps_the_store(clean, tmp_path, small_disk):
    folder = small_disk or tmp_path
    db = folder / "s.db"
    assert argmap("ingest", "--no-analyze", "--db", db, CORPUS / "rfa-dual-message.md").returncode == 0
    before = snapshot(db)
    big = tmp_path / "long.md"  # ~0.25 MB of distinct claims: more than the disk has left
    big.write_text("---\ntitle: Long\n---\n\n" + "\n\n".join(
        f"Analyst number {i} argues that the sanctions regime number {i} is failing badly." for i in range(3000)),
        encoding="utf-8")
    if small_disk is not None:
        filler = small_disk / "filler"
        free = shutil.disk_usage(small_disk).free
        filler.write_bytes(b"\0" * max(0, free - 200_000))
        result = argmap("ingest", "--no-analyze", "--db", db, big)
    else:
        limit = db.stat().st_size + 200_000

        def preexec():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        result = argmap("ingest", "--no-analyze", "--db", db, big, preexec=preexec)
    assert result.returncode == 1
    line = one_error_line(result)
    assert str(db) in line and ("disk is full" in line or "disk I/O" in line)
    assert snapshot(db) == before
    if small_disk is not None:
        filler.unlink()
        again = argmap("ingest", "--no-analyze", "--db", db, CORPUS / "csis-mr-and-mrs-kim.md")
        assert again.returncode == 0, again.stderr


def test_a_full_disk_keeps_the_maps_matrix_and_handout_of_the_run_before(tmp_path, small_disk):
    """map, matrix and debate write every file through a temporary file and a rename, all of a
    command's files or none: on a full disk the files of the run before stay whole."""
    db = tmp_path / "s.db"
    assert driver("none", 0, "ingest", "--db", db, CORPUS).returncode == 0
    out = (small_disk or tmp_path) / "out"
    motion = "China is back at the centre of Korean diplomacy"  # a side for the fake models at these floors
    commands = [["map", "--out", out / "maps"], ["matrix", "--out", out / "matrix"],
                ["debate", motion, "--no-pdf", "--out", out / "debate", "--min-relevance", "0.3", "--min-stance", "0.05"]]
    for args in commands:
        first = driver("none", 0, *args, "--db", db)
        assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert len(before) >= 8
    preexec = None
    if small_disk is not None:
        (small_disk / "filler").write_bytes(b"\0" * max(0, shutil.disk_usage(small_disk).free - 4096))
    else:
        def preexec():
            resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    for args in commands:
        result = driver("none", 0, *args, "--db", db, preexec_fn=preexec)
        assert result.returncode == 1 and "Traceback" not in result.stderr, (args, result.stderr)
        one_error_line(result)
        after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert after == before, args  # nothing replaced by a cut-off file, no temporary file left
