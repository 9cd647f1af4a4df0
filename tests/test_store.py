"""SQLite store: migrations, unchanged/replaced ingest, atomic replacement, bad database files."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from argmap.corpus import parse_file
from argmap.errors import StoreError
from argmap.store import MIGRATIONS, Store

V1 = """---
title: Store Test
authors: [Writer One]
---

The first sentence makes a clear point. The second sentence adds another point.

<!-- analyst: Guest Analyst -->

The guest thinks the talks will fail soon. The guest also expects new sanctions next year.
"""

V2 = """---
title: Store Test
authors: [Writer One]
---

The first sentence makes a clear point. A brand new sentence replaces the old second one.
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(db: Path) -> dict:
    """Every row of the document tables, read through a fresh connection."""
    conn = sqlite3.connect(str(db))
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall())
                for t in ("documents", "analysts", "claims")}
    finally:
        conn.close()


def run_ingest(paths, store):
    from argmap.ingest import ingest

    return ingest(paths, store)


# ---------------------------------------------------------------- migrations

def tables(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_fresh_store_has_latest_schema(tmp_path):
    store = Store(tmp_path / "sub" / "new.db")  # the folder is created
    assert store.version == len(MIGRATIONS) == 5
    assert {"documents", "analysts", "claims", "embeddings", "issues", "issue_claims", "relations",
            "meta"} <= tables(store.conn)
    schema = store.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    store.conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    store.close()

    again = Store(tmp_path / "sub" / "new.db")
    assert again.version == len(MIGRATIONS)
    assert again.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert again.meta("k") == "v"
    again.close()


def test_a_version_2_store_gains_readings_and_keeps_its_claims(tmp_path, monkeypatch):
    import argmap.store as store_mod

    monkeypatch.setattr(store_mod, "MIGRATIONS", list(MIGRATIONS[:2]))
    old = Store(tmp_path / "old.db")
    old.conn.execute("INSERT INTO documents VALUES ('d', 'd.md', 'T', '', '', '', '[]', '', 'h', 'claims-3', 'x', 'now')")
    old.conn.execute("INSERT INTO analysts (name) VALUES ('Ann')")
    old.conn.execute("INSERT INTO claims (id, document_id, analyst_id, text, text_hash, paragraph, start, \"end\") "
                     "VALUES ('c1', 'd', 1, 'it works.', 'th', 1, 0, 9)")
    old.conn.commit()
    old.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", list(MIGRATIONS))
    new = Store(tmp_path / "old.db")
    assert new.version == len(MIGRATIONS)
    [c] = new.claims()
    assert (c.id, c.text, c.analyst, c.reading, c.stance_text) == ("c1", "it works.", "Ann", "", "it works.")
    new.close()


def test_a_version_3_store_keeps_its_issues_with_the_central_claim_as_pivot(tmp_path, monkeypatch):
    import argmap.store as store_mod

    monkeypatch.setattr(store_mod, "MIGRATIONS", list(MIGRATIONS[:3]))
    old = Store(tmp_path / "old.db")
    old.conn.execute("INSERT INTO issues (id, position, label, keyphrases, central_claim) VALUES ('issue-1', 0, 'L', '[]', 'c1')")
    old.conn.execute("INSERT INTO issue_claims (issue_id, claim_id, rank) VALUES ('issue-1', 'c1', 0), ('issue-1', 'c2', 1)")
    old.conn.commit()
    old.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", list(MIGRATIONS))
    new = Store(tmp_path / "old.db")
    assert new.version == len(MIGRATIONS)
    [issue] = new.issues()
    assert (issue.claim_ids, issue.pivot, issue.backing, issue.disputing) == (("c1", "c2"), "c1", (), ())
    new.close()


def test_issue_sides_round_trip(tmp_path):
    from argmap.models import Issue

    s = Store(tmp_path / "s.db")
    issue = Issue("issue-1", "L", ("k",), "c1", ("c1", "c2", "c3", "c4"), "c2", ("c2", "c1"), ("c4",))
    s.save_analysis([issue], [], {})
    assert s.issues() == [issue]
    s.close()


def test_reopening_runs_no_migration(tmp_path, monkeypatch):
    Store(tmp_path / "a.db").close()
    import argmap.store as store_mod

    monkeypatch.setattr(store_mod, "MIGRATIONS", list(MIGRATIONS) + ["CREATE TABLE added_later (x INTEGER)"])
    s = Store(tmp_path / "a.db")
    assert s.version == len(MIGRATIONS) + 1 and "added_later" in tables(s.conn)
    s.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", ["THIS IS NOT SQL"] * len(MIGRATIONS) + ["CREATE TABLE added_later (x INTEGER)"])
    s = Store(tmp_path / "a.db")  # already at the last version: nothing is executed
    assert s.version == len(MIGRATIONS) + 1
    s.close()


def test_old_schema_is_migrated_keeping_data(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(str(db))
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO analysts (name) VALUES ('Kept Analyst')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    s = Store(db)
    assert s.version == len(MIGRATIONS)
    assert "embeddings" in tables(s.conn)
    assert s.conn.execute("SELECT name FROM analysts").fetchall() == [("Kept Analyst",)]
    s.close()


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "future.db"
    conn = sqlite3.connect(str(db))
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer argmap"):
        Store(db)


def test_not_a_database(tmp_path):
    bad = write(tmp_path / "notes.db", "This is a text file, not SQLite.\n" * 20)
    with pytest.raises(StoreError) as e:
        Store(bad)
    assert str(bad) in str(e.value) and "not an argmap database" in str(e.value)
    assert bad.read_text() == "This is a text file, not SQLite.\n" * 20  # left untouched
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)


# ---------------------------------------------------------------- ingest: unchanged / replaced

def test_same_file_twice_is_unchanged(tmp_path):
    doc = write(tmp_path / "doc.md", V1)
    db = tmp_path / "s.db"
    store = Store(db)
    first = run_ingest([doc], store)
    assert [(r.status, r.document, r.claims) for r in first] == [("added", "doc", 4)]
    before = snapshot(db)
    second = run_ingest([doc], store)
    assert [(r.status, r.document, r.claims, r.problem) for r in second] == [("unchanged", "doc", 4, "")]
    assert snapshot(db) == before
    assert store.document_state("doc") is not None
    assert {a.name: a.claims for a in store.analysts()} == {"Writer One": 2, "Guest Analyst": 2}
    store.close()


def test_edited_file_is_replaced_without_orphans(tmp_path):
    doc = write(tmp_path / "doc.md", V1)
    db = tmp_path / "s.db"
    store = Store(db)
    run_ingest([doc], store)
    old_ids = {c.id: c.text for c in store.claims()}
    write(doc, V2)
    res = run_ingest([doc], store)
    assert [(r.status, r.claims) for r in res] == [("replaced", 2)]
    new = store.claims()
    assert [c.text for c in new] == ["The first sentence makes a clear point.",
                                     "A brand new sentence replaces the old second one."]
    # the unchanged sentence keeps its id; the others are gone
    assert new[0].id in old_ids and new[1].id not in old_ids
    assert [a.name for a in store.analysts()] == ["Writer One"]
    assert store.conn.execute("SELECT name FROM analysts").fetchall() == [("Writer One",)]  # no orphan rows
    assert store.document_text("doc") == V2
    assert [d.content_hash for d in store.documents()] == [parse_file(doc).document.content_hash]
    store.close()


def test_new_extractor_re_extracts(tmp_path, monkeypatch):
    import argmap.claims

    doc = write(tmp_path / "doc.md", V2)
    store = Store(tmp_path / "s.db")
    run_ingest([doc], store)
    monkeypatch.setattr(argmap.claims, "EXTRACTOR", "claims-test")
    assert [r.status for r in run_ingest([doc], store)] == ["replaced"]
    assert store.document_state("doc")[1] == "claims-test"
    assert [r.status for r in run_ingest([doc], store)] == ["unchanged"]
    store.close()


def test_store_queries(tmp_path):
    store = Store(tmp_path / "s.db")
    run_ingest([write(tmp_path / "doc.md", V1), write(tmp_path / "two.md", V2)], store)
    assert [d.id for d in store.documents()] == ["doc", "two"]
    assert store.claim_counts() == {"doc": 4, "two": 2}
    assert {c.analyst for c in store.claims(analyst="guest analyst")} == {"Guest Analyst"}  # case-insensitive
    assert {c.document for c in store.claims(document="two")} == {"two"}
    assert store.claims(analyst="Guest Analyst", document="two") == []
    ids = [c.id for c in store.claims()][:2]
    assert [c.id for c in store.claims(ids=ids)] == ids
    counts = {a.name: (a.claims, a.documents) for a in store.analysts()}
    assert counts == {"Writer One": (4, 2), "Guest Analyst": (2, 1)}
    assert sum(a.claims for a in store.analysts()) == len(store.claims())
    store.close()


# ---------------------------------------------------------------- atomic replacement

class FailOnNthClaim:
    """Wraps a sqlite3 connection; the Nth claim insert raises, as if the run died half-way."""

    def __init__(self, conn, n):
        self._conn, self._n, self.seen = conn, n, 0

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith("INSERT INTO CLAIMS"):
            self.seen += 1
            if self.seen == self._n:
                raise sqlite3.OperationalError("simulated failure")
        return self._conn.execute(sql, *args)

    def executemany(self, sql, rows):
        """Claims inserted in one batch: the rows before the Nth are written, then it raises."""
        if sql.lstrip().upper().startswith("INSERT INTO CLAIMS"):
            rows = list(rows)
            for row in rows:
                self.execute(sql, row)
            return None
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
def stored_v1(tmp_path):
    doc = write(tmp_path / "doc.md", V1)
    db = tmp_path / "s.db"
    store = Store(db)
    assert [r.status for r in run_ingest([doc], store)] == ["added"]
    write(doc, V2 + "\nA third paragraph says something else entirely.\n")
    from argmap.claims import extract_claims

    v2 = parse_file(doc)
    claims = extract_claims(v2)
    assert len(claims) == 3
    yield store, db, v2, claims
    store.close()


def assert_still_v1(store, db, before):
    assert snapshot(db) == before  # a fresh connection sees the old version
    assert store.document_text("doc") == V1
    assert len(store.claims(document="doc")) == 4
    assert {a.name for a in store.analysts()} == {"Writer One", "Guest Analyst"}


def test_failure_mid_replace_keeps_previous_version(stored_v1):
    from argmap.claims import EXTRACTOR

    store, db, v2, claims = stored_v1
    before = snapshot(db)
    real = store.conn
    store.conn = FailOnNthClaim(real, 2)
    with pytest.raises(sqlite3.OperationalError, match="simulated"):
        store.replace_document(v2.document, v2.text, claims, EXTRACTOR)
    assert store.conn.seen == 2
    store.conn = real
    assert not real.in_transaction
    assert_still_v1(store, db, before)
    # the store is still usable: the same replacement now succeeds
    store.replace_document(v2.document, v2.text, claims, EXTRACTOR)
    assert [c.text for c in store.claims(document="doc")] == [c.text for c in claims]
    assert [a.name for a in store.analysts()] == ["Writer One"]


@pytest.mark.parametrize("how", ["duplicate id", "no analyst"])
def test_bad_claim_rolls_back(stored_v1, how):
    from argmap.claims import EXTRACTOR

    store, db, v2, claims = stored_v1
    before = snapshot(db)
    if how == "duplicate id":
        bad = list(claims) + [replace(claims[0], start=0, end=1)]
    else:
        bad = list(claims[:2]) + [replace(claims[2], analyst=None)]
    with pytest.raises(sqlite3.IntegrityError):
        store.replace_document(v2.document, v2.text, bad, EXTRACTOR)
    assert not store.conn.in_transaction
    assert_still_v1(store, db, before)


def test_failed_reingest_keeps_previous_version(stored_v1, tmp_path):
    """A file that turns bad is reported; its stored version stays."""
    store, db, _, _ = stored_v1
    before = snapshot(db)
    doc = tmp_path / "doc.md"
    write(doc, "---\ntitle: [broken\n---\n\nText.\n")
    res = run_ingest([doc], store)
    assert [(r.status, r.path) for r in res] == [("error", str(doc))]
    assert "malformed front matter" in res[0].problem
    assert_still_v1(store, db, before)
