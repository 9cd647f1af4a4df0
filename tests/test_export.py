"""argmap export: Argdown, AIF JSON and CSV structure."""
import csv
import io
import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from argmap.cli_views import export_command
from argmap.export import argdown_escape, check_aif, claims_csv, relations_csv, to_aif, to_argdown
from argmap.models import Claim, Document, Issue, Relation
from argmap.store import Store

NASTY = "U.S. forces [in Korea] #1 *must* stay: 28,500 troops/units <plan> {x} a_b (see) // no comment."
CLAIMS = [Claim("c1", NASTY, "Contributor D", "doc", 1, 0, 1),
          Claim("c2", "Beijing said 'No.' at 10:30.", "Contributor (E)", "doc", 2, 0, 1),
          Claim("c3", "A claim in no issue.", "Contributor D", "doc", 3, 0, 1)]
ISSUES = [Issue("issue-1", "U.S. troops", ("troops",), "c1", ("c1", "c2"))]
RELATIONS = [Relation("c1", "c2", "disagree", 0.8, "issue-1"), Relation("c1", "c3", "agree", 0.55, "")]
DOCS = {"doc": Document("doc", "doc.md", "Title", "Outlet", "2018-03-28", "https://example.org/a")}


def test_argdown_structure():
    text = to_argdown(CLAIMS, ISSUES, RELATIONS, DOCS)
    lines = text.splitlines()
    assert lines[:3] == ["===", 'title: "argmap export"', "==="]
    assert "# issue-1: U\\.S. troops" in lines and "# Claims in no issue" in lines
    assert f"[Contributor D 1]: {argdown_escape(NASTY)} #(Contributor D)" in lines
    i = lines.index(f"[Contributor D 1]: {argdown_escape(NASTY)} #(Contributor D)")
    assert lines[i + 1:i + 3] == ["  +> [Contributor D 2]", "  -> [Contributor E 1]"]
    assert any(line.startswith("[Contributor E 1]: Beijing said 'No\\.' at 10\\:30.") for line in lines)


def test_argdown_escape_keeps_plain_text():
    assert argdown_escape("Plain words, end of sentence. Next") == "Plain words, end of sentence. Next"
    assert argdown_escape("a\nb  c") == "a b c"


def _argdown_bin():
    local = "/tmp/argdown/node_modules/.bin/argdown"
    return shutil.which("argdown") or (local if os.path.exists(local) else None)


@pytest.mark.integration
@pytest.mark.skipif(_argdown_bin() is None, reason="Argdown CLI not installed (npm install @argdown/cli)")
def test_argdown_parses_with_argdowns_own_parser(tmp_path):
    src = tmp_path / "map.argdown"
    src.write_text(to_argdown(CLAIMS, ISSUES, RELATIONS, DOCS), encoding="utf-8")
    res = subprocess.run([_argdown_bin(), "json", str(src), str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads((tmp_path / "map.json").read_text())
    texts = {t: [m.get("text") for m in s["members"] if m.get("text")] for t, s in data["statements"].items()}
    assert texts["Contributor D 1"] == [NASTY + " #(Contributor D)"]  # escapes read back as the exact quote
    rels = {(r["from"], r["relationType"], r["to"]) for r in data["relations"]}
    assert rels == {("Contributor D 1", "attack", "Contributor E 1"), ("Contributor D 1", "support", "Contributor D 2")}


def test_aif_structure():
    aif = to_aif(CLAIMS, RELATIONS, DOCS)
    assert check_aif(aif) == []
    assert set(aif) == {"nodes", "edges", "locutions", "participants", "schemefulfillments"}
    types = [n["type"] for n in aif["nodes"]]
    assert types.count("I") == 3 and types.count("L") == 3 and types.count("YA") == 3
    assert types.count("RA") == 1 and types.count("CA") == 1
    node = {n["nodeID"]: n for n in aif["nodes"]}
    ca = next(n for n in aif["nodes"] if n["type"] == "CA")
    premise = [node[e["fromID"]]["text"] for e in aif["edges"] if e["toID"] == ca["nodeID"]]
    conclusion = [node[e["toID"]]["text"] for e in aif["edges"] if e["fromID"] == ca["nodeID"]]
    assert premise == [NASTY] and conclusion == ["Beijing said 'No.' at 10:30."]
    assert any(n["text"] == f"Contributor D: {NASTY}" for n in aif["nodes"] if n["type"] == "L")
    assert {p["firstname"] for p in aif["participants"]} == {"Contributor D", "Contributor (E)"}
    assert all(node[loc["nodeID"]]["type"] == "L" for loc in aif["locutions"])
    broken = {**aif, "edges": aif["edges"] + [{"edgeID": 99, "fromID": "999", "toID": "1"}]}
    assert check_aif(broken) == ["edge 99: fromID 999 is not a node"]


def test_csv_tables():
    rows = list(csv.DictReader(io.StringIO(claims_csv(CLAIMS, ISSUES, DOCS))))
    assert [r["claim_id"] for r in rows] == ["c1", "c2", "c3"]
    assert rows[0]["claim"] == NASTY and rows[0]["central_to_issue"] == "yes" and rows[0]["outlet"] == "Outlet"
    assert rows[2]["issue"] == ""
    rows = list(csv.DictReader(io.StringIO(relations_csv(CLAIMS, ISSUES, RELATIONS))))
    assert [(r["relation"], r["analyst_a"], r["analyst_b"]) for r in rows] == [
        ("disagree", "Contributor D", "Contributor (E)"), ("agree", "Contributor D", "Contributor D")]
    assert rows[0]["issue_label"] == "U.S. troops" and rows[0]["confidence"] == "0.80"


def test_cli(tmp_path):
    db = tmp_path / "e.db"
    store = Store(db)
    store.replace_document(Document(**{**DOCS["doc"].to_dict(), "content_hash": "h"}), "t", CLAIMS, "test")
    store.save_analysis(ISSUES, RELATIONS, {})
    store.close()
    runner = CliRunner()
    res = runner.invoke(export_command, ["--db", str(db)])
    assert res.exit_code == 0 and res.stdout.startswith("===\n")
    res = runner.invoke(export_command, ["--db", str(db), "--format", "aif"])
    assert check_aif(json.loads(res.stdout)) == []
    out = tmp_path / "links.csv"
    res = runner.invoke(export_command, ["--db", str(db), "--format", "csv", "--what", "relations", "--out", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    assert out.read_text(encoding="utf-8-sig").startswith("relation,confidence,issue")
