"""The search index: a memory-mapped vector index per embedding model, kept beside the store.

Stores of at most ``EXACT_LIMIT`` claims need none (search scans their vectors exactly, in one
query). Above that (SQLite's per-row lookups cost ~10 ms per 1,000 claims), ``<db>.index/`` holds, for each (model, which text), a pointer file
``<key>.json`` (format, model, the store's ``generation`` it was built from, sizes) naming the
folder of the live build, which holds:

    ids.npy      claim id (S16) of each row            keys.npy   first 16 hex of its text hash
    live.npy     False for rows removed since the full build
    sorted.npy   the live rows ordered by claim id     sorted_ids.npy  their ids (id -> row lookups)
    by_key.npy   the live rows ordered by text hash    sorted_keys.npy  their keys (claims of the same text)
    vectors.f16  float16 (rows, dim), memory-mapped: exact scans of a filtered subset
    ann.usearch  usearch HNSW graph (f16, inner product; key = row), opened as a memory-mapped view

Nothing is read whole per process: opening an index costs milliseconds at a million claims.
Up to ``SUBSET_LIMIT`` claims (all of them, or those a filter leaves) are scanned exactly in the
float16 matrix (every row within float16's error of the k-th best is kept, then all are scored
exactly in float32 by the caller), so results are exact there; beyond, the graph gives the
candidates (recall@10 measured by scripts/benchmark_search.py), over-fetching for a filter.
A build is written to a fresh folder and made live by replacing the pointer (os.replace), so a
reader sees the old index or the new one, never half of one. An index whose stamp differs from
the store's generation is never used: ``ensure`` updates it (rows of removed or changed claims
dropped, new ones added, from scratch when many were removed) or, where nothing may be written,
returns None and search scans the store.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .store import Store

EXACT_LIMIT = 5_000  # stores with at most this many claims are scanned in SQLite, with no index
SUBSET_LIMIT = 20_000  # up to this many claims (all, or those a filter leaves) are scanned exactly in the matrix
F16_ERROR = 1e-3  # bound on |float16 score - float32 score| for unit vectors (2^-11 per component, and summing)
FETCH_LIMIT = 20_000  # over-fetching past this many from the graph falls back to the exact subset scan
COMPACT = 0.2  # rebuild from scratch once this share of the rows are removed ones
CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH = 16, 128, 1024
BUILD_THREADS = 0  # threads adding to the graph (0: every core; the graph then depends on their timing)
CHUNK = 20_000  # rows read from the store, and added to the graph, at a time
FORMAT = "argmap-vector-index-1"
ARRAYS = ("ids", "keys", "live", "sorted", "sorted_ids", "by_key", "sorted_keys")

Notify = Callable[[str], None]


def _stderr(text: str) -> None:
    print(f"argmap: {text}", file=sys.stderr, flush=True)


def index_folder(db: Path) -> Path:
    return db.with_name(db.name + ".index")


def _key(model: str, with_lead: bool) -> str:
    return hashlib.sha256(f"{model}\0{'embed_text' if with_lead else 'text'}".encode()).hexdigest()[:16]


def _digest(path: Path) -> str:
    """SHA-256 of a file's size and its first and last MiB: catches truncation and overwrites
    without reading a gigabyte per search."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
        f.seek(max(0, size - (1 << 20)))
        h.update(f.read(1 << 20))
    return h.hexdigest()


class Damaged(Exception):
    """An index file that is not what its pointer says."""


@dataclass
class VectorIndex:
    folder: Path
    info: dict
    ids: np.ndarray
    keys: np.ndarray
    live: np.ndarray
    sorted: np.ndarray
    sorted_ids: np.ndarray
    by_key: np.ndarray
    sorted_keys: np.ndarray
    vectors: np.ndarray
    ann: object  # usearch.index.Index

    @property
    def live_count(self) -> int:
        return len(self.sorted)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """Rows of the claims ``ids`` that are in the index (claims with no vector are not), sorted."""
        want = np.unique(np.asarray([i.encode("utf-8") for i in ids], dtype="S"))
        if not want.size or not self.live_count:
            return np.zeros(0, np.int64)
        pos = np.minimum(np.searchsorted(self.sorted_ids, want), self.live_count - 1)
        return np.sort(np.asarray(self.sorted[pos[self.sorted_ids[pos] == want]], dtype=np.int64))

    def claim_ids(self, rows: np.ndarray) -> list[str]:
        return [i.decode("utf-8") for i in self.ids[rows]]

    def nearest(self, q: np.ndarray, count: int, ids: Sequence[str] | None = None) -> np.ndarray:
        """Rows of about the ``count`` nearest claims to ``q`` (among ``ids``), with every other claim
        of the same text (equal scores, which rank by claim id): candidates, to be scored exactly."""
        if ids is None and self.live_count <= SUBSET_LIMIT:
            return self._twins(self._scan(q, np.flatnonzero(self.live), count), count)
        if ids is None:
            rows = self._graph(q, count)
            return self._twins(rows if rows is not None else self._scan(q, np.flatnonzero(self.live), count), count)
        rows = self.rows_of(ids)
        if len(rows) <= max(SUBSET_LIMIT, count):
            return self._twins(self._scan(q, rows, count), count, rows)
        member = np.zeros(len(self.ids), bool)
        member[rows] = True
        found = self._graph(q, count, member, len(rows) / max(self.live_count, 1))
        return self._twins(found if found is not None else self._scan(q, rows, count), count, rows)

    def _twins(self, rows: np.ndarray, count: int, among: np.ndarray | None = None) -> np.ndarray:
        """``rows`` and, for each text among theirs, the ``count`` live rows (of ``among``) of that
        text with the smallest claim ids: equal texts score equally and rank by id, so no other
        copy can be among the best ``count`` (a text repeated 40,000 times adds ``count`` rows)."""
        keys = np.unique(self.keys[rows])
        lo, hi = np.searchsorted(self.sorted_keys, keys, "left"), np.searchsorted(self.sorted_keys, keys, "right")
        parts = [rows]
        for a, b in zip(lo.tolist(), hi.tolist()):
            if b - a > 1:
                group = np.asarray(self.by_key[a:b], np.int64)
                if among is not None:
                    group = group[np.isin(group, among)]
                parts.append(group[np.argsort(self.ids[group], kind="stable")[:count]])
        twins = np.unique(np.concatenate(parts))
        return twins if among is None else twins[np.isin(twins, among)]

    def _scan(self, q: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
        """Exact: every row that could be among the ``count`` best in float32 (scored exactly later)."""
        scores = np.empty(len(rows), np.float32)
        for i in range(0, len(rows), CHUNK):
            part = rows[i:i + CHUNK]
            scores[i:i + CHUNK] = np.asarray(self.vectors[part], dtype=np.float32) @ q
        if len(rows) > count:  # the top ``count``, and any within float16's error of the last of them
            floor = np.partition(-scores, count - 1)[count - 1]
            top = np.flatnonzero(-scores <= floor + F16_ERROR)
            rows, scores = rows[top], scores[top]
        return rows[np.argsort(-scores, kind="stable")]

    def _graph(self, q: np.ndarray, count: int, member: np.ndarray | None = None,
               share: float = 1.0) -> np.ndarray | None:
        """Search the graph, fetching more until ``count`` rows pass ``member``; None past FETCH_LIMIT."""
        fetch = max(count, int(count / max(share, 1e-9) * 2))
        while fetch <= max(FETCH_LIMIT, count):
            self.ann.expansion_search = max(EXPANSION_SEARCH, fetch)
            found = np.asarray(self.ann.search(q, fetch, threads=1).keys, dtype=np.int64)
            found = found[(found >= 0) & (found < len(self.ids))]
            found = found[self.live[found] if member is None else member[found]]
            if len(found) >= count or fetch >= self.live_count:
                return found[:count]
            fetch *= 4
        return None


# -- opening ---------------------------------------------------------------------------------

_OPENED: dict[Path, tuple] = {}  # pointer -> (index this process opened, what its files were): reused while unchanged


def load(store: Store, model: str, with_lead: bool = False) -> tuple[str, VectorIndex | None]:
    """("fresh", index) | ("stale", index) | ("missing", None) | ("damaged: why", None)."""
    pointer = index_folder(store.path) / f"{_key(model, with_lead)}.json"
    try:
        info = json.loads(pointer.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or info.get("format") != FORMAT or info.get("model") != model:
            raise Damaged("not an argmap search index")
        folder = pointer.parent / info["dir"]
        seen = (json.dumps(info, sort_keys=True),
                *((s.st_ino, s.st_size, s.st_mtime_ns) for s in (p.stat() for p in sorted(folder.iterdir()))))
        index, was = _OPENED.get(pointer, (None, None))
        if index is None or was != seen:
            index = _open(folder, info)
            _OPENED[pointer] = index, seen
    except FileNotFoundError:
        return "missing", None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, Damaged) as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        return f"damaged: {why}", None
    return ("fresh" if info.get("stamp") == store.generation(model) else "stale"), index


def _open(folder: Path, info: dict) -> VectorIndex:
    from usearch.index import Index

    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
    rows, live, dim = int(info["rows"]), int(info["live"]), int(info["dim"])
    if any(len(arrays[n]) != rows for n in ("ids", "keys", "live")) or any(
            len(arrays[n]) != live for n in ("sorted", "sorted_ids", "by_key", "sorted_keys")):
        raise Damaged("its arrays disagree in length")
    vectors = np.memmap(folder / "vectors.f16", dtype=np.float16, mode="r", shape=(rows, dim)) if rows else \
        np.zeros((0, dim), np.float16)
    ann_path = folder / "ann.usearch"
    if _digest(ann_path) != info["ann"]:
        raise Damaged("its graph file changed since it was written")
    ann = Index.restore(str(ann_path), view=True)
    if ann is None or ann.ndim != dim or len(ann) != live:
        raise Damaged("its graph does not match its rows")
    return VectorIndex(folder, info, vectors=vectors, ann=ann, **arrays)


def ensure(store: Store, model: str, with_lead: bool = False, notify: Notify | None = _stderr) -> VectorIndex | None:
    """The store's fresh index for ``model``, updated first if it is stale or missing; None where
    search should scan the store instead (a small store, or a stale index nothing may replace)."""
    notify = notify or (lambda text: None)
    status, index = load(store, model, with_lead)
    if status == "fresh":
        return index
    if store.claim_count() <= EXACT_LIMIT:
        return None
    damage = f"{index_folder(store.path)}: the search index for {model} is damaged ({status[9:]})" \
        if status.startswith("damaged") else None
    if not writable(store):
        notify(f"{damage}; scanning the store instead" if damage else
               f"the search index for {model} is {status} and {store.path} is read-only: scanning every claim "
               "instead (slower)")
        return None
    try:
        return update(store, model, with_lead, notify, old=index, damage=damage)
    except (Damaged, OSError, RuntimeError, ValueError) as e:  # e.g. a full disk, another process's tidy
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        notify(f"{index_folder(store.path)}: cannot update the search index for {model} ({why}); "
               "scanning the store instead")
        return None


def writable(store: Store) -> bool:
    folder = index_folder(store.path)
    return not store.read_only and os.access(folder if folder.is_dir() else store.path.parent, os.W_OK)


# -- building --------------------------------------------------------------------------------

def update(store: Store, model: str, with_lead: bool = False, notify: Notify | None = _stderr,
           old: VectorIndex | None = None, damage: str | None = None) -> VectorIndex | None:
    """Bring the index of ``model`` in step with the store: drop the rows of removed or changed
    claims, add the new ones; from scratch when there is no index or many rows were removed.
    None (and any index removed) for a store small enough to scan. ``damage`` says why the old
    index was not usable (it leads the line that says the index is being rebuilt)."""
    notify = notify or (lambda text: None)
    folder = index_folder(store.path)
    pointer = folder / f"{_key(model, with_lead)}.json"
    stamp = store.generation(model)
    if store.claim_count() <= EXACT_LIMIT:
        if pointer.exists():
            pointer.unlink()
            _tidy(folder)
        return None
    if old is None:
        status, old = load(store, model, with_lead)
        if status == "fresh":
            return old
    changes = None
    if old is not None and damage is None:
        try:
            changes = gone, new = _changes(store, with_lead, old)
            if not len(gone) and not (new and store.vectors(model, (k for _, k in new))):
                return _restamp(pointer, old, stamp)  # the claims it indexes are as they were
        except (OSError, ValueError):
            changes = None
    folder.mkdir(exist_ok=True)
    tmp = folder / f"tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    start = time.perf_counter()
    info = None
    try:
        if old is not None:
            try:
                info = _extend(store, model, with_lead, old, tmp, changes)
            except (Damaged, OSError, RuntimeError, ValueError):
                info = None  # an old index that cannot be extended is rebuilt
        if info is None:
            notify(f"{damage}; rebuilding it" if damage else
                   f"building the search index of {store.claim_count():,} claims for {model} (in {folder})")
            info = _build(store, model, with_lead, tmp, notify)
        info.update(format=FORMAT, model=model, with_lead=with_lead, stamp=stamp)
        live = folder / f"{_key(model, with_lead)}-{uuid.uuid4().hex[:12]}"
        os.replace(tmp, live)
        info["dir"] = live.name
        part = pointer.with_name(pointer.name + f".{uuid.uuid4().hex[:8]}.tmp")
        part.write_text(json.dumps(info, sort_keys=True), encoding="utf-8")
        os.replace(part, pointer)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _tidy(folder)
    took = time.perf_counter() - start
    if took > 2:
        notify(f"search index for {model} ready: {info['live']:,} claims ({took:.1f} s)")
    return _open(folder / info["dir"], info)


def _restamp(pointer: Path, index: VectorIndex, stamp) -> VectorIndex:
    """The same build under a new stamp (another model's vectors, or vectors of no indexed claim,
    were added): only the pointer is rewritten, atomically."""
    info = dict(index.info, stamp=stamp)
    part = pointer.with_name(pointer.name + f".{uuid.uuid4().hex[:8]}.tmp")
    part.write_text(json.dumps(info, sort_keys=True), encoding="utf-8")
    os.replace(part, pointer)
    index.info = info
    return index


def _tidy(folder: Path) -> None:
    """Remove builds no pointer names (leaving others' unfinished ``tmp-`` folders alone). A build
    another process renamed but has not pointed to yet may go too: that process then says so in
    one line and searches by scanning (``ensure``)."""
    named = set()
    for p in folder.glob("*.json"):
        try:
            named.add(json.loads(p.read_text(encoding="utf-8"))["dir"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for d in folder.iterdir():
        if d.is_dir() and not d.name.startswith("tmp-") and d.name not in named:
            shutil.rmtree(d, ignore_errors=True)


def _new_graph(dim: int):
    from usearch.index import Index

    return Index(ndim=dim, metric="ip", dtype="f16", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD)


def _chunks(rows: Iterable[tuple[str, str, bytes]]):
    """(ids, keys, float32 matrix) per CHUNK rows of ``Store.claim_vectors``."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield _matrix(batch)
            batch = []
    if batch:
        yield _matrix(batch)


def _matrix(batch) -> tuple[list[str], list[str], np.ndarray]:
    ids, keys, blobs = zip(*batch)
    return list(ids), [k[:16] for k in keys], np.frombuffer(b"".join(blobs), np.float32).reshape(len(batch), -1)


def _build(store: Store, model: str, with_lead: bool, tmp: Path, notify: Notify) -> dict:
    """Every claim with a vector under ``model``, in claim id order (row = rank), into ``tmp``."""
    graph, ids, keys, rows, dim = None, [], [], 0, 0
    ticked = time.monotonic()
    with open(tmp / "vectors.f16", "wb") as f:
        for chunk_ids, chunk_keys, X in _chunks(store.claim_vectors(model, with_lead)):
            if graph is None:
                graph, dim = _new_graph(X.shape[1]), X.shape[1]
            f.write(X.astype(np.float16).tobytes())
            graph.add(np.arange(rows, rows + len(X), dtype=np.uint64), X, threads=BUILD_THREADS)
            ids += chunk_ids
            keys += chunk_keys
            rows += len(X)
            if time.monotonic() - ticked > 10:
                notify(f"search index for {model}: {rows:,} claims indexed")
                ticked = time.monotonic()
    graph = graph or _new_graph(1)
    return _finish(tmp, _bytes(ids), np.asarray(keys, "S16"), np.ones(rows, bool), graph, dim or 1)


def _changes(store: Store, with_lead: bool, old: VectorIndex) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """(live rows of the old index whose claim is gone or changed, (id, text hash) of the claims
    it lacks); without vectors under its model those are not indexed (``_extend`` checks)."""
    now = list(store.claim_keys(with_lead))
    width = max([old.ids.dtype.itemsize] + [len(i.encode("utf-8")) for i, _ in now])  # ids: 16 hex, longer if given
    now_pairs = np.char.add(_bytes([i for i, _ in now], width), np.asarray([k[:16] for _, k in now], "S16"))
    live_rows = np.flatnonzero(old.live)
    old_pairs = np.char.add(old.ids[live_rows].astype(f"S{width}"), old.keys[live_rows])
    return live_rows[~np.isin(old_pairs, now_pairs)], [now[i] for i in np.flatnonzero(~np.isin(now_pairs, old_pairs))]


def _extend(store: Store, model: str, with_lead: bool, old: VectorIndex, tmp: Path,
            changes: tuple[np.ndarray, list[tuple[str, str]]] | None = None) -> dict | None:
    """The old index with the rows of removed or changed claims dropped and new claims added
    (``changes``: what ``_changes`` found, worked out here when None); None when so many rows
    would be removed ones that a full build is better."""
    from usearch.index import Index

    gone, new = changes if changes is not None else _changes(store, with_lead, old)
    if (len(old.ids) - old.live_count + len(gone)) > COMPACT * max(len(old.ids) + len(new), 1):
        return None
    vecs = store.vectors(model, (k for _, k in new))
    new = [(i, k) for i, k in new if k in vecs]
    width = max([old.ids.dtype.itemsize] + [len(i.encode("utf-8")) for i, _ in new])  # ids: 16 hex, longer if given
    rows, dim = len(old.ids), int(old.info["dim"])
    graph = Index.restore(str(old.folder / "ann.usearch"))
    if graph is None:
        raise Damaged("its graph cannot be read")
    if len(gone):
        graph.remove(gone.astype(np.uint64))
    shutil.copyfile(old.folder / "vectors.f16", tmp / "vectors.f16")
    if new:
        X = np.stack([vecs[k] for _, k in new]).astype(np.float32)
        with open(tmp / "vectors.f16", "ab") as f:
            f.write(X.astype(np.float16).tobytes())
        graph.add(np.arange(rows, rows + len(new), dtype=np.uint64), X, threads=BUILD_THREADS)
    live = np.concatenate([old.live, np.ones(len(new), bool)])
    live[gone] = False
    ids = np.concatenate([old.ids.astype(f"S{width}"), _bytes([i for i, _ in new], width)])
    keys = np.concatenate([old.keys, np.asarray([k[:16] for _, k in new], "S16")])
    return _finish(tmp, ids, keys, live, graph, dim)


def _bytes(ids: list[str], width: int | None = None) -> np.ndarray:
    return np.asarray([i.encode("utf-8") for i in ids], dtype=f"S{width}" if width else "S")


def _finish(tmp: Path, ids: np.ndarray, keys: np.ndarray, live: np.ndarray, graph, dim: int) -> dict:
    live_rows = np.flatnonzero(live)
    order = live_rows[np.argsort(ids[live_rows], kind="stable")]
    by_key = live_rows[np.argsort(keys[live_rows], kind="stable")]
    for name, array in (("ids", ids), ("keys", keys), ("live", live), ("sorted", order), ("sorted_ids", ids[order]),
                        ("by_key", by_key), ("sorted_keys", keys[by_key])):
        np.save(tmp / f"{name}.npy", array)
    graph.save(str(tmp / "ann.usearch"))
    return {"rows": len(ids), "live": len(order), "dim": dim, "ann": _digest(tmp / "ann.usearch")}


def refresh(store: Store, model: str, notify: Notify | None = _stderr) -> None:
    """After an analysis: bring the search indexes in step (the plain vectors of ``model``, and the
    question vectors where the store has them). A failure is one line; the ingest stands."""
    from .errors import ArgmapError
    from .question import model_name as question_model

    if store.claim_count() <= EXACT_LIMIT or not writable(store):
        return
    try:
        update(store, model, False, notify)
        qname = question_model()
        if store.has_vectors(qname):
            update(store, qname, True, notify)
    except (ArgmapError, OSError, RuntimeError, ValueError, Damaged) as e:
        (notify or _stderr)(f"the search index was not updated ({str(e).splitlines()[0] if str(e) else e}); "
                            "search will rebuild it")
