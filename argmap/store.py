"""SQLite storage: documents, analysts, claims, embeddings, issues and relations.

The schema is versioned with numbered migrations (``PRAGMA user_version``). A
document is keyed by its id and content hash: ingesting unchanged text does
nothing, a changed document is replaced in one transaction, so a run killed
half-way leaves the previous state intact. Embeddings are keyed by model and
text hash, so a claim already embedded is never embedded again.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .corpus import is_url
from .errors import StoreError
from .models import Claim, Document, Issue, Relation

DB_ENV = "ARGMAP_DB"
DEFAULT_DB = "argmap.db"
BULK_READ = 2000  # past this many hashes, vectors are read in one pass over the model's rows
LOCK_TIMEOUT = 5.0  # seconds to wait for another writer before saying the store is in use

MIGRATIONS: list[str] = [
    # 1: documents, analysts, claims
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        outlet TEXT NOT NULL DEFAULT '',
        date TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        extractor TEXT NOT NULL,
        text TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE analysts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE claims (
        id TEXT PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        analyst_id INTEGER NOT NULL REFERENCES analysts(id),
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        paragraph INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        context TEXT NOT NULL DEFAULT '',
        lead TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX claims_document ON claims(document_id);
    CREATE INDEX claims_analyst ON claims(analyst_id);
    """,
    # 2: embeddings keyed by model and text hash; issues and relations from the last analysis
    """
    CREATE TABLE embeddings (
        model TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    );
    CREATE TABLE issues (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        label TEXT NOT NULL,
        keyphrases TEXT NOT NULL,
        central_claim TEXT NOT NULL
    );
    CREATE TABLE issue_claims (
        issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        claim_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        PRIMARY KEY (issue_id, claim_id)
    );
    CREATE INDEX issue_claims_claim ON issue_claims(claim_id);
    CREATE TABLE relations (
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        kind TEXT NOT NULL,
        score REAL NOT NULL,
        issue_id TEXT NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: each claim's reading (what the stance model reads; argmap/readings.py)
    """
    ALTER TABLE claims ADD COLUMN reading TEXT NOT NULL DEFAULT '';
    """,
    # 4: issues with a pivot and sides (argmap/issues.py); +1 backs the pivot, -1 disputes it
    """
    ALTER TABLE issues ADD COLUMN pivot TEXT NOT NULL DEFAULT '';
    ALTER TABLE issue_claims ADD COLUMN side INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: caches of the analysis (argmap/analyze.py): the relation scorer's probabilities per pair of
    # readings (a < b: text hashes, the scorer is order-free), and each vector kind's neighbour lists
    """
    CREATE TABLE pair_scores (
        model TEXT NOT NULL,
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        p_neither REAL NOT NULL,
        p_agree REAL NOT NULL,
        p_disagree REAL NOT NULL,
        PRIMARY KEY (model, a, b)
    ) WITHOUT ROWID;
    CREATE TABLE neighbours (
        kind TEXT PRIMARY KEY,
        data BLOB NOT NULL
    );
    """,
]


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass(frozen=True)
class AnalystCount:
    name: str
    claims: int
    documents: int

    def to_dict(self) -> dict:
        return {"analyst": self.name, "claims": self.claims, "documents": self.documents}


def _checked(fault, method, *args):
    """``method(*args)``, a failure of the store's file raised as ``fault`` makes it (StoreError)."""
    try:
        return method(*args)
    except sqlite3.Error as e:
        raise (fault(e) or e) from None


class _Cursor:
    """A cursor whose rows, read as they are fetched, raise a damaged file's error as StoreError."""

    def __init__(self, cursor: sqlite3.Cursor, fault):
        self._cursor, self._fault = cursor, fault

    def __iter__(self):
        try:
            yield from self._cursor
        except sqlite3.Error as e:
            raise (self._fault(e) or e) from None

    def fetchone(self):
        return _checked(self._fault, self._cursor.fetchone)

    def fetchall(self):
        return _checked(self._fault, self._cursor.fetchall)

    def fetchmany(self, size: int = 1):
        return _checked(self._fault, self._cursor.fetchmany, size)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class _Connection:
    """The store's SQLite connection: a failure of the file itself (a damaged page, a lock, a
    read-only file, a full disk), under any statement or while its rows are read, is one
    StoreError naming the store (``Store._fault``): one error path, whatever the command."""

    def __init__(self, conn: sqlite3.Connection, fault):
        self._conn, self._fault = conn, fault

    def execute(self, *args) -> _Cursor:
        return _Cursor(_checked(self._fault, self._conn.execute, *args), self._fault)

    def executemany(self, *args) -> _Cursor:
        return _Cursor(_checked(self._fault, self._conn.executemany, *args), self._fault)

    def __getattr__(self, name):
        return getattr(self._conn, name)


class Store:
    """An argmap store. ``create=False`` (read commands) refuses a path with no store, so a
    mistyped --db says so instead of making an empty one. A file argmap cannot write to is
    opened read-only (reads work; a write raises StoreError); a store in a folder argmap cannot
    write to is opened immutable (SQLite cannot make its WAL files there)."""

    def __init__(self, path: Path | str | None = None, create: bool = True):
        self.path = Path(path) if path is not None else default_db_path()
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a database file")
        exists = self.path.exists()
        if exists and not self.path.is_file():
            raise StoreError(f"{self.path}: not a regular file, so not an argmap store")
        if not exists:
            if not create:
                raise StoreError(f"{self.path}: no argmap store here (check --db or ${DB_ENV}; "
                                 "`argmap ingest` makes one)")
            self._make_folder()
        folder_writable = os.access(self.path.parent, os.W_OK)
        self.read_only = exists and not (os.access(self.path, os.W_OK) and folder_writable)
        mode = "" if not self.read_only else "?mode=ro" if folder_writable else "?immutable=1"
        try:
            self.conn = _Connection(sqlite3.connect(f"{self.path.resolve().as_uri()}{mode}", uri=True,
                                                    isolation_level=None, timeout=LOCK_TIMEOUT), self._fault)
            self._check_owner()
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                self.conn.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise self._error(e) from None

    def _make_folder(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{self.path}: cannot make the folder for the store ({e.strerror or e})") from None
        if not os.access(folder, os.W_OK):
            raise StoreError(f"{self.path}: cannot make a store here: the folder {folder} is not writable")

    def _check_owner(self) -> None:
        """Refuse SQLite files that are not argmap stores, before anything is written to them."""
        if self.version > len(MIGRATIONS):
            raise StoreError(f"{self.path}: made by a newer argmap (schema {self.version} > {len(MIGRATIONS)})")
        if self.version == 0 and self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{self.path}: not an argmap database (an SQLite file with other tables; argmap "
                             "leaves it alone: pass another --db)")
        if self.version and not self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claims'").fetchone():
            raise StoreError(f"{self.path}: not an argmap database (an SQLite file with no claims table)")

    def _fault(self, e: sqlite3.Error) -> StoreError | None:
        """The StoreError for a failure of the file under any statement (damaged, locked,
        read-only, full), or None for the caller's own errors (a constraint, a bad statement)."""
        return self._error(e, fallback=False)

    def _error(self, e: sqlite3.Error, fallback: bool = True) -> StoreError | None:
        """One line for an SQLite failure: what happened to which store, in words. Without
        ``fallback``, None for failures that are not about the file (damage, locks, permissions,
        disk)."""
        text = str(e)
        if "malformed" in text:
            return StoreError(f"{self.path}: the store is damaged ({text}); argmap changed nothing: restore "
                              "it from a copy, or ingest the corpus into a new --db")
        if "locked" in text or "busy" in text:
            return StoreError(f"{self.path}: the store is in use by another argmap process (waited "
                              f"{LOCK_TIMEOUT:.0f} s); try again when it has finished")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"{self.path}: the store is read-only here; argmap can read it but not change it "
                              "(copy it somewhere writable, or fix its permissions)")
        if "disk is full" in text or "disk I/O" in text:
            return StoreError(f"{self.path}: {text} (is the disk full?); the store keeps its last complete state")
        if not fallback:
            return None
        if isinstance(e, sqlite3.OperationalError) and "unable to open" in text:
            return StoreError(f"{self.path}: cannot open the store ({text})")
        return StoreError(f"{self.path}: not an argmap database ({text})")

    # -- schema -------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        current = self.version  # a newer schema was refused by _check_owner
        if current < len(MIGRATIONS) and self.read_only:
            raise StoreError(f"{self.path}: the store is read-only here and was made by an older argmap; "
                             "open it once where it is writable to upgrade it")
        for number, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                for statement in _statements(sql):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any SQLite failure in it rolls back and becomes one StoreError."""
        self.require_writable()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise self._error(e) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as e:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            fault = self._error(e, fallback=False) if isinstance(e, sqlite3.Error) else None
            if fault is not None:
                raise fault from None
            raise

    def require_writable(self) -> None:
        """Fail now, before any work, when the store cannot be changed."""
        if self.read_only:
            raise self._error(sqlite3.OperationalError("readonly"))

    def close(self) -> None:
        self.conn.close()

    # -- documents and claims ------------------------------------------------
    def document_state(self, doc_id: str) -> tuple[str, str] | None:
        row = self.conn.execute("SELECT content_hash, extractor FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def document_source(self, doc_id: str) -> Path | str | None:
        """The file a stored document was read from (absolute; older stores kept the path as given),
        or the URL it was fetched from."""
        row = self.conn.execute("SELECT path FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if not row:
            return None
        return row[0] if is_url(row[0]) else Path(row[0]).resolve()

    def replace_document(self, doc: Document, text: str, claims: Sequence[Claim], extractor: str) -> None:
        """Store a document and its claims, replacing any earlier version, in one transaction."""
        from .embed import text_hash

        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.transaction() as c:
            c.execute("DELETE FROM documents WHERE id = ?", (doc.id,))
            c.execute(
                "INSERT INTO documents (id, path, title, outlet, date, url, authors, note, content_hash, extractor, text, ingested_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc.id, doc.path, doc.title, doc.outlet, doc.date, doc.url, json.dumps(list(doc.authors)),
                 doc.note, doc.content_hash, extractor, text, now),
            )
            c.executemany("INSERT OR IGNORE INTO analysts (name) VALUES (?)", [(n,) for n in dict.fromkeys(
                claim.analyst for claim in claims)])
            c.executemany(
                'INSERT INTO claims (id, document_id, analyst_id, text, text_hash, paragraph, start, "end", context, lead, reading)'
                " VALUES (?, ?, (SELECT id FROM analysts WHERE name = ?), ?, ?, ?, ?, ?, ?, ?, ?)",
                [(claim.id, doc.id, claim.analyst, claim.text, text_hash(claim.text), claim.paragraph,
                  claim.start, claim.end, claim.context, claim.lead, claim.reading) for claim in claims])
            c.execute("DELETE FROM analysts WHERE id NOT IN (SELECT DISTINCT analyst_id FROM claims)")
            _bump(c, GENERATION_CLAIMS)

    def documents(self) -> list[Document]:
        rows = self.conn.execute(
            "SELECT id, path, title, outlet, date, url, authors, note, content_hash FROM documents ORDER BY id"
        ).fetchall()
        return [Document(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])), r[7], r[8]) for r in rows]

    def document_text(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def claim_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT document_id, COUNT(*) FROM claims GROUP BY document_id"))

    def claims(self, analyst: str | None = None, document: str | None = None,
               ids: Iterable[str] | None = None) -> list[Claim]:
        sql = ('SELECT c.id, c.text, a.name, c.document_id, c.paragraph, c.start, c."end", c.context, c.lead, c.reading '
               "FROM claims c JOIN analysts a ON a.id = c.analyst_id WHERE 1=1")
        args: list = []
        if analyst is not None:
            sql += " AND a.name = ? COLLATE NOCASE"
            args.append(analyst)
        if document is not None:
            sql += " AND c.document_id = ?"
            args.append(document)
        rows = self.conn.execute(sql + " ORDER BY c.document_id, c.start", args).fetchall()
        claims = [Claim(*r) for r in rows]
        if ids is not None:
            wanted = set(ids)
            claims = [c for c in claims if c.id in wanted]
        return claims

    def claims_by_id(self, ids: Iterable[str]) -> dict[str, Claim]:
        """The claims of ``ids`` (those stored), by id; read by primary key, in chunks."""
        wanted, out = list(dict.fromkeys(ids)), {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for r in self.conn.execute(
                    'SELECT c.id, c.text, a.name, c.document_id, c.paragraph, c.start, c."end", c.context, c.lead, '
                    f"c.reading FROM claims c JOIN analysts a ON a.id = c.analyst_id WHERE c.id IN ({','.join('?' * len(chunk))})",
                    chunk):
                out[r[0]] = Claim(*r)
        return out

    def claim_ids(self, **filters) -> list[str]:
        """Ids of the claims matching ``filters`` (analyst, document, issue; as in ``claims``), sorted."""
        where, args = _claim_filter(**filters)
        return [r[0] for r in self.conn.execute(f"SELECT c.id FROM claims c WHERE {where} ORDER BY c.id", args)]

    def claim_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0]

    def generation(self, model: str) -> str:
        """A cheap fingerprint of the claims and of ``model``'s vectors that changes whenever either does
        (change counters kept in ``meta``, and the claims' largest rowid); for search index stamps."""
        top = self.conn.execute("SELECT MAX(rowid) FROM claims").fetchone()[0] or 0
        return f"{top}:{self.meta(GENERATION_CLAIMS) or 0}:{self.meta(GENERATION_VECTORS + model) or 0}"

    def analysts(self) -> list[AnalystCount]:
        rows = self.conn.execute(
            "SELECT a.name, COUNT(c.id), COUNT(DISTINCT c.document_id) FROM analysts a "
            "JOIN claims c ON c.analyst_id = a.id GROUP BY a.id ORDER BY COUNT(c.id) DESC, a.name"
        ).fetchall()
        return [AnalystCount(*r) for r in rows]

    def claim_hashes(self) -> dict[str, str]:
        """Claim id -> hash of its text (the key of its vector in ``embeddings``)."""
        return dict(self.conn.execute("SELECT id, text_hash FROM claims"))

    # -- embeddings ----------------------------------------------------------
    def vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``hashes`` under ``model`` (those never stored are left out)."""
        return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in self._vector_bytes(model, hashes).items()}

    def vector_matrix(self, model: str, hashes: Sequence[str]) -> np.ndarray:
        """(len(hashes), dim) float32 matrix of the stored vectors of ``hashes`` under ``model``,
        rows in their order (a hash may repeat); StoreError if one was never stored."""
        blobs = self._vector_bytes(model, hashes)
        missing = next((h for h in hashes if h not in blobs), None)
        if missing is not None:
            raise StoreError(f"{self.path}: no vector of text {missing[:12]} under {model}")
        return np.frombuffer(bytearray().join(blobs[h] for h in hashes), dtype=np.float32).reshape(len(hashes), -1)

    def _vector_bytes(self, model: str, hashes: Iterable[str]) -> dict[str, bytes]:
        """Hash -> stored vector bytes under ``model``. Many hashes are read in one pass over the
        model's vectors, a few by key."""
        wanted = list(dict.fromkeys(hashes))
        if len(wanted) > BULK_READ:
            keep = set(wanted)
            rows = self.conn.execute("SELECT text_hash, vector FROM embeddings WHERE model = ?", (model,))
            return {h: blob for h, blob in rows if h in keep}
        out: dict[str, bytes] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            out.update(self.conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                [model, *chunk]))
        return out

    def vector_hashes(self, model: str) -> set[str]:
        """Hashes of the texts with a stored vector under ``model``."""
        return {r[0] for r in self.conn.execute("SELECT text_hash FROM embeddings WHERE model = ?", (model,))}

    def add_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> int:
        """Cache vectors; a read-only store keeps none (they are computed again next time)."""
        if self.read_only:
            return 0
        rows = [(model, h, v.shape[0], v.tobytes()) for h, v in
                ((h, np.asarray(v, dtype=np.float32)) for h, v in items)]
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO embeddings (model, text_hash, dim, vector) VALUES (?,?,?,?)", rows)
            if rows:
                _bump(c, GENERATION_VECTORS + model)
        return len(rows)

    def pair_scores(self, model: str) -> dict[tuple[str, str], tuple[float, float, float]]:
        """Every cached pair probability of the relation scorer ``model``: (a, b) -> (P(neither),
        P(agree), P(disagree)), a <= b the hashes of the two readings."""
        return {(a, b): (pn, pa, pd) for a, b, pn, pa, pd in self.conn.execute(
            "SELECT a, b, p_neither, p_agree, p_disagree FROM pair_scores WHERE model = ?", (model,))}

    def add_pair_scores(self, model: str, items: Iterable[tuple[tuple[str, str], Sequence[float]]]) -> None:
        """Cache pair probabilities (see pair_scores); a read-only store keeps none."""
        if self.read_only:
            return
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO pair_scores (model, a, b, p_neither, p_agree, p_disagree) "
                          "VALUES (?,?,?,?,?,?)", [(model, a, b, *map(float, p)) for (a, b), p in items])

    def neighbours(self, kind: str) -> bytes | None:
        """The stored neighbour lists of one vector kind (argmap/relations.py NeighbourLists), or None."""
        row = self.conn.execute("SELECT data FROM neighbours WHERE kind = ?", (kind,)).fetchone()
        return row[0] if row else None

    def claim_vectors(self, model: str, with_lead: bool = False, **filters) -> Iterator[tuple[str, str, bytes]]:
        """(claim id, text hash, float32 vector bytes) of every claim (matching ``filters``: analyst,
        document, issue) with a vector under ``model``, in claim id order, from one query. The vector
        is that of the claim's text, or with ``with_lead`` of its embed_text (lead + text)."""
        key = self._key_sql(with_lead)
        where, args = _claim_filter(**filters)
        yield from self.conn.execute(
            f"SELECT c.id, {key}, e.vector FROM claims c JOIN embeddings e ON e.model = ? AND e.text_hash = {key} "
            f"WHERE {where} ORDER BY c.id", [model, *args])

    def has_vectors(self, model: str) -> bool:
        return self.conn.execute("SELECT 1 FROM embeddings WHERE model = ? LIMIT 1", (model,)).fetchone() is not None

    def claim_keys(self, with_lead: bool = False) -> Iterator[tuple[str, str]]:
        """(claim id, text hash of its text, or with ``with_lead`` of its embed_text) of every claim, by id."""
        yield from self.conn.execute(f"SELECT c.id, {self._key_sql(with_lead)} FROM claims c ORDER BY c.id")

    def _key_sql(self, with_lead: bool) -> str:
        if not with_lead:
            return "c.text_hash"
        from .embed import text_hash

        self.conn.create_function("argmap_text_hash", 1, text_hash, deterministic=True)
        return "(CASE WHEN c.lead = '' THEN c.text_hash ELSE argmap_text_hash(c.lead || ' ' || c.text) END)"

    # -- analysis ------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_analysis(self, issues: Sequence[Issue], relations: Sequence[Relation], meta: dict[str, str],
                      neighbours: dict[str, bytes] | None = None) -> None:
        """Replace the stored analysis (and the neighbour lists it was made from) in one transaction."""
        with self.transaction() as c:
            c.execute("DELETE FROM issue_claims")
            c.execute("DELETE FROM issues")
            c.execute("DELETE FROM relations")
            c.executemany("INSERT INTO issues (id, position, label, keyphrases, central_claim, pivot) VALUES (?,?,?,?,?,?)",
                          [(issue.id, pos, issue.label, json.dumps(list(issue.keyphrases)), issue.central_claim,
                            issue.pivot) for pos, issue in enumerate(issues)])
            c.executemany("INSERT INTO issue_claims (issue_id, claim_id, rank, side) VALUES (?,?,?,?)",
                          [(issue.id, cid, r, side) for issue in issues
                           for r, (cid, side) in enumerate(zip(issue.claim_ids, _sides(issue)))])
            c.executemany("INSERT INTO relations (a, b, kind, score, issue_id) VALUES (?,?,?,?,?)",
                          [(r.a, r.b, r.kind, r.score, r.issue) for r in relations])
            c.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
            c.executemany("INSERT OR REPLACE INTO neighbours (kind, data) VALUES (?, ?)", list((neighbours or {}).items()))

    def issues(self) -> list[Issue]:
        members: dict[str, list[tuple[str, int]]] = {}
        for iid, cid, side in self.conn.execute("SELECT issue_id, claim_id, side FROM issue_claims ORDER BY issue_id, rank"):
            members.setdefault(iid, []).append((cid, side))
        out = []
        for iid, label, kp, central, pivot in self.conn.execute(
                "SELECT id, label, keyphrases, central_claim, pivot FROM issues ORDER BY position").fetchall():
            rows = members.get(iid, [])
            ids = tuple(r[0] for r in rows)
            backing = tuple([pivot] if pivot and any(r[0] == pivot and r[1] > 0 for r in rows) else []) + tuple(
                r[0] for r in rows if r[1] > 0 and r[0] != pivot)
            disputing = tuple(r[0] for r in rows if r[1] < 0)
            out.append(Issue(iid, label, tuple(json.loads(kp)), central, ids, pivot or central, backing, disputing))
        return out

    def relations(self) -> list[Relation]:
        return [Relation(*r) for r in self.conn.execute(
            "SELECT a, b, kind, score, issue_id FROM relations ORDER BY issue_id, a, b")]

    def unclustered_claims(self) -> list[str]:
        """Ids of claims in no issue of the stored analysis, sorted."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM claims WHERE id NOT IN (SELECT claim_id FROM issue_claims) ORDER BY id")]

    def issue_of_claims(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """Claim id -> its issue in the stored analysis (of every claim in one, or only of ``ids``)."""
        if ids is None:
            return dict(self.conn.execute("SELECT claim_id, issue_id FROM issue_claims"))
        wanted, out = list(dict.fromkeys(ids)), {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            out.update(self.conn.execute(
                f"SELECT claim_id, issue_id FROM issue_claims WHERE claim_id IN ({','.join('?' * len(chunk))})", chunk))
        return out


GENERATION_CLAIMS = "generation:claims"  # meta keys counting the changes to claims, and to each model's vectors
GENERATION_VECTORS = "generation:vectors:"


def _bump(c: sqlite3.Connection, key: str) -> None:
    c.execute("INSERT INTO meta (key, value) VALUES (?, '1') "
              "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", (key,))


def _claim_filter(analyst: str | None = None, document: str | None = None, issue: str | None = None,
                  ids: Sequence[str] | None = None) -> tuple[str, list]:
    """SQL condition on claims ``c`` for the search filters (and a list of ids), and its arguments."""
    where, args = ["1=1"], []
    if ids is not None:
        where.append(f"c.id IN ({','.join('?' * len(ids))})")
        args.extend(ids)
    if analyst is not None:
        where.append("c.analyst_id IN (SELECT id FROM analysts WHERE name = ? COLLATE NOCASE)")
        args.append(analyst)
    if document is not None:
        where.append("c.document_id = ?")
        args.append(document)
    if issue is not None:
        where.append("c.id IN (SELECT claim_id FROM issue_claims WHERE issue_id = ?)")
        args.append(issue)
    return " AND ".join(where), args


def _sides(issue: Issue) -> list[int]:
    """Issue.side of each of the issue's claims, in one pass."""
    side = dict.fromkeys(issue.disputing, -1)
    side.update(dict.fromkeys(issue.backing, 1))
    return [side.get(c, 0) for c in issue.claim_ids]


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
