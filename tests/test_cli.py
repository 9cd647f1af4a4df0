"""The click CLI: ingest, documents, analysts, claims (tables and JSON lines), --db and ARGMAP_DB, help."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from argmap.cli import cli
from argmap.store import Store

from conftest import copy_db  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DOC_IDS = ["chinafile-kim-visits-beijing", "csis-mr-and-mrs-kim", "diplomat-traditional-friendship",
           "ippreview-still-special", "rfa-dual-message"]
CLAIM_KEYS = {"id", "text", "analyst", "document", "paragraph", "start", "end"}


def _ingest_flags() -> list[str]:
    return ["--no-analyze"]  # store only: the analysis step is tested in test_analysis/test_integration


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output + result.stderr
    return result


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]




# ---------------------------------------------------------------- ingest

def test_ingest_table(ingested):
    _, stdout = ingested
    out = stdout.splitlines()
    assert out[0].split() == ["document", "status", "claims", "path"]
    assert set(out[1].replace(" ", "")) == {"-"}
    rows = [line.split() for line in out[2:]]
    assert [r[0] for r in rows] == DOC_IDS
    assert {r[1] for r in rows} == {"added"}
    assert all(int(r[2]) > 0 for r in rows)
    assert [r[3] for r in rows] == [str(CORPUS / f"{d}.md") for d in DOC_IDS]


def test_ingest_again_json_unchanged(ingested, tmp_path):
    db = copy_db(ingested[0], tmp_path / "copy.db")
    result = run("ingest", CORPUS, "--db", db, "--json", *_ingest_flags())
    assert result.exit_code == 0
    rows = lines(result)
    assert [r["document"] for r in rows] == DOC_IDS
    for r in rows:
        assert {"path", "status", "document", "claims"} <= set(r)
        assert r["status"] == "unchanged"
        assert r["path"] == str(CORPUS / f"{r['document']}.md")
    total = sum(r["claims"] for r in rows)
    claims = lines(run("claims", "--db", db, "--json"))
    assert total == len(claims)


def test_ingest_table_counts_match_store(ingested):
    db, stdout = ingested
    table_counts = {r.split()[0]: int(r.split()[2]) for r in stdout.splitlines()[2:]}
    docs = lines(run("documents", "--db", db, "--json"))
    assert {d["id"]: d["claims"] for d in docs} == table_counts


# ---------------------------------------------------------------- documents / analysts / claims

def test_documents(ingested):
    db, _ = ingested
    docs = lines(run("documents", "--db", db, "--json"))
    assert [d["id"] for d in docs] == DOC_IDS
    rfa = docs[-1]
    assert rfa["title"] == "Experts: Kim Jong Un’s Visit to China Sends Dual Message to US"
    assert rfa["authors"] == ["Eugene Whong"]
    assert rfa["outlet"] == "Radio Free Asia" and rfa["date"] == "2019-01-08"
    assert {"id", "path", "title", "outlet", "date", "url", "authors", "note", "claims"} <= set(rfa)
    table = run("documents", "--db", db)
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["id", "date", "outlet", "claims", "title"]
    for d in DOC_IDS:
        assert d in table.stdout


def test_analysts_sum_to_total(ingested):
    db, _ = ingested
    analysts = lines(run("analysts", "--db", db, "--json"))
    claims = lines(run("claims", "--db", db, "--json"))
    assert sum(a["claims"] for a in analysts) == len(claims)
    assert {a["analyst"]: a["claims"] for a in analysts} == dict(Counter(c["analyst"] for c in claims))
    names = {a["analyst"] for a in analysts}
    assert {"Joseph Yun", "Kathleen Stephens", "Christopher Hill", "Bruce Bennett", "Shin Sangjin", "Cho Han-Bum",
            "Eugene Whong", "Jaewoo Choo", "Victor Cha and Sue Mi Terry", "ChinaFile editors"} <= names
    assert {f"ChinaFile contributor {x}" for x in "ABCDE"} <= names
    counts = [a["claims"] for a in analysts]
    assert counts == sorted(counts, reverse=True)
    table = run("analysts", "--db", db)
    assert table.stdout.splitlines()[0].split() == ["analyst", "claims", "documents"]
    assert len(table.stdout.splitlines()) == len(analysts) + 2


def test_claims_by_analyst_json(ingested):
    db, _ = ingested
    result = run("claims", "--analyst", "Christopher Hill", "--db", db, "--json")
    assert result.exit_code == 0
    rows = lines(result)
    assert len(rows) == 5
    for r in rows:
        assert CLAIM_KEYS <= set(r)
        assert r["analyst"] == "Christopher Hill"
        assert r["document"] == "rfa-dual-message"
        assert r["paragraph"] in (13, 14, 15)
        assert isinstance(r["start"], int) and r["end"] - r["start"] == len(r["text"])
    text = (CORPUS / "rfa-dual-message.md").read_text(encoding="utf-8")
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    assert ("China is not happy with the way the U.S. has pursued [the nuclear] issue."
            in [r["text"] for r in rows])
    # the filter is case-insensitive
    assert lines(run("claims", "--analyst", "christopher hill", "--db", db, "--json")) == rows


def test_claims_by_analyst_table(ingested):
    db, _ = ingested
    result = run("claims", "--analyst", "Christopher Hill", "--db", db)
    out = result.stdout.splitlines()
    assert out[0].split() == ["id", "analyst", "document", "para", "text"]
    assert "Joseph Yun" not in result.stdout and "Christopher Hill" in result.stdout


def test_claims_by_document(ingested):
    db, _ = ingested
    rows = lines(run("claims", "--document", "csis-mr-and-mrs-kim", "--db", db, "--json"))
    assert rows and {r["document"] for r in rows} == {"csis-mr-and-mrs-kim"}
    assert {r["analyst"] for r in rows} == {"Victor Cha and Sue Mi Terry"}
    docs = {d["id"]: d["claims"] for d in lines(run("documents", "--db", db, "--json"))}
    assert len(rows) == docs["csis-mr-and-mrs-kim"]
    both = lines(run("claims", "--document", "rfa-dual-message", "--analyst", "Cho Han-Bum", "--db", db, "--json"))
    assert [r["paragraph"] for r in both] == [22, 23, 24]


def test_claims_all_ordered(ingested):
    db, _ = ingested
    rows = lines(run("claims", "--db", db, "--json"))
    assert len({r["id"] for r in rows}) == len(rows)
    assert [(r["document"], r["start"]) for r in rows] == sorted((r["document"], r["start"]) for r in rows)


@pytest.mark.parametrize("args, what", [
    (["--analyst", "Nobody Atall"], "analyst 'Nobody Atall'"),
    (["--document", "no-such-doc"], "document 'no-such-doc'"),
])
def test_unknown_filter_is_one_line_error(ingested, args, what):
    db, _ = ingested
    result = run("claims", *args, "--db", db)
    assert result.exit_code != 0
    assert result.stdout == ""
    err = result.stderr.strip().splitlines()
    assert len(err) == 1
    assert what in err[0]
    assert isinstance(result.exception, SystemExit)


# ---------------------------------------------------------------- --db and ARGMAP_DB

def test_argmap_db_env(ingested, tmp_path, monkeypatch):
    db = copy_db(ingested[0], tmp_path / "env.db")
    monkeypatch.chdir(REPO)  # so the default PATH, corpus/, is the bundled corpus
    default_db_existed = (REPO / "argmap.db").exists()
    env = {"ARGMAP_DB": str(db)}
    result = run("ingest", "--json", *_ingest_flags(), env=env)
    assert result.exit_code == 0, result.stderr
    rows = lines(result)
    assert [r["document"] for r in rows] == DOC_IDS
    assert {r["status"] for r in rows} == {"unchanged"}  # it used the env database
    assert [d["id"] for d in lines(run("documents", "--json", env=env))] == DOC_IDS
    hill = lines(run("claims", "--analyst", "Christopher Hill", "--json", env=env))
    assert len(hill) == 5
    # --db wins over the environment
    other = tmp_path / "empty.db"
    Store(other).close()
    assert lines(run("documents", "--json", "--db", other, env=env)) == []
    assert (REPO / "argmap.db").exists() == default_db_existed  # ./argmap.db was never used


def test_empty_store_lists_nothing(tmp_path):
    db = tmp_path / "empty.db"
    Store(db).close()
    for cmd in ("documents", "analysts", "claims"):
        result = run(cmd, "--db", db, "--json")
        assert result.exit_code == 0 and result.stdout == ""


def test_bad_db_file(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not a database\n" * 50)
    for cmd in (["documents"], ["analysts"], ["claims"], ["ingest", str(CORPUS / "rfa-dual-message.md")]):
        result = run(*cmd, "--db", bad)
        assert result.exit_code == 1
        err = result.stderr.strip().splitlines()
        assert len(err) == 1 and str(bad) in err[0] and "not an argmap database" in err[0]


# ---------------------------------------------------------------- help

REQUIRED_OPTIONS = {
    "ingest": {"--db", "--json"},
    "documents": {"--db", "--json"},
    "analysts": {"--db", "--json"},
    "claims": {"--db", "--json", "--analyst", "--document"},
}


@pytest.mark.parametrize("command", sorted(REQUIRED_OPTIONS))
def test_help_mentions_every_option(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    declared = {o for p in cli.commands[command].params for o in p.opts + p.secondary_opts if o.startswith("-")}
    assert REQUIRED_OPTIONS[command] <= declared
    for opt in declared | {"--help"}:
        assert opt in result.stdout, (command, opt)
    assert "ARGMAP_DB" in result.stdout
    if command == "ingest":
        assert "PATHS" in result.stdout and "corpus/" in result.stdout


def test_group_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in REQUIRED_OPTIONS:
        assert command in result.stdout
