"""The whole default pipeline on the bundled corpus (argmap's stance model and question encoder),
and the commands on its result: issues with sides, relate, counter search, compare, matrix,
debate, export. Slower; marked integration."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from argmap.cli import cli

ROOT = Path(__file__).resolve().parents[1]
MOTION = "Kim's visit put China back at the centre of Korean diplomacy"
pytestmark = pytest.mark.integration


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("default") / "argmap.db"
    result = run("ingest", ROOT / "corpus", "--db", path)  # default method: the trained pair model
    assert result.exit_code == 0, result.output + result.stderr
    assert "issues" in result.stderr and "relations" in result.stderr
    return path


def test_default_analysis_uses_the_stance_model(db):
    from argmap.store import Store

    assert Store(db).meta("method") == "argmap"
    rows = [json.loads(x) for x in run("issues", "--json", "--db", db).stdout.splitlines()]
    assert len(rows) > 5 and rows[-1]["id"] == "unclustered"
    relations = [rel for r in rows[:-1] for rel in r["relations"]]
    assert {rel["kind"] for rel in relations} == {"agree", "disagree"}
    for r in rows[:-1]:  # every issue names its pivot; sides hold only its own claims
        assert r["pivot"] in r["claim_ids"] and r["label"]
        assert set(r["backing"]) | set(r["disputing"]) <= set(r["claim_ids"])
        assert not set(r["backing"]) & set(r["disputing"])
        if r["disputing"]:
            assert r["pivot"] in r["backing"]
        for rel in r["relations"]:
            assert rel["kind"] in ("agree", "disagree") and 0.5 <= rel["score"] <= 1
            assert {rel["a"], rel["b"]} <= set(r["claim_ids"])
            if rel["kind"] == "disagree" and r["pivot"] in (rel["a"], rel["b"]):  # who disputes the pivot
                other = rel["b"] if rel["a"] == r["pivot"] else rel["a"]
                assert other in r["disputing"]
    table = run("issues", "--db", db).stdout
    assert "disputes" in table or "backs" in table


def test_relate_pairs_of_my_own(tmp_path):
    one = run("relate", "The new tax will raise prices for families.", "The new tax will not raise prices for families.")
    assert one.exit_code == 0, one.output + one.stderr
    assert one.stdout.startswith("disagree")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"a": "Vaccines save lives.", "b": "Vaccines do not save lives.", "n": 1}) + "\n"
                     + json.dumps({"a": "The river flooded the town.", "b": "The river flooded the town.", "n": 2})
                     + "\n", encoding="utf-8")
    many = run("relate", "--file", pairs)
    assert many.exit_code == 0, many.output + many.stderr
    out = [json.loads(x) for x in many.stdout.splitlines()]
    assert [o["n"] for o in out] == [1, 2]  # input order, extra fields kept
    assert [o["relation"] for o in out] == ["disagree", "agree"]
    for o in out:
        assert abs(o["p_agree"] + o["p_disagree"] + o["p_neither"] - 1) < 1e-3
    pairs.write_text('{"a": "only one side"}\n', encoding="utf-8")
    bad = run("relate", "--file", pairs)
    assert bad.exit_code != 0 and str(pairs) in bad.stderr and "line 1" in bad.stderr


def test_counter_search_ranks_by_disagreement(db):
    result = run("search", "--counter", "Kim's visit put China back at the centre of Korean diplomacy", "-k", "5",
                 "--json", "--db", db)
    assert result.exit_code == 0, result.output + result.stderr
    hits = [json.loads(x) for x in result.stdout.splitlines()]
    assert hits and [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(0 <= h["score"] <= 1 for h in hits)


def test_compare_two_contributors(db, tmp_path):
    result = run("compare", "ChinaFile contributor D", "ChinaFile contributor E", "--db", db, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("ChinaFile contributor D and ChinaFile contributor E:")
    assert list(tmp_path.glob("compare-*.svg"))
    bad = run("compare", "Nobody Atall", "ChinaFile contributor E", "--db", db)
    assert bad.exit_code != 0 and "Nobody Atall" in bad.stderr


def test_matrix_pictures_and_csv(db, tmp_path):
    result = run("matrix", "--db", db, "--out", tmp_path, "--format", "png")
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert {"stance-matrix.png", "agreement.png", "stance-matrix.csv", "agreement.csv"} <= names
    header = (tmp_path / "stance-matrix.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "ChinaFile contributor D" in header


def test_debate_pack_is_sourced_and_quoted(db, tmp_path):
    result = run("debate", MOTION, "--db", db, "--out", tmp_path, "--no-pdf", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    claims = [x for x in lines if x["type"] == "claim"]
    assert {c["side"] for c in claims} == {"for", "against"}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.md")}
    for c in claims:  # every quote is exact and sourced
        assert c["text"] in texts[c["document"]] and c["outlet"] and c["url"]
    for side in ("for", "against"):  # the bar: claims from at least three analysts on each side
        assert len({c["analyst"] for c in claims if c["side"] == side}) >= 3
    # contributor E argues for the motion: read without its anaphoric frame ("That illusion vanished
    # when ..."), the center-stage claim is FOR
    [e] = [c for c in claims if "decisively back in center stage" in c["text"]]
    assert e["side"] == "for" and e["analyst"] == "ChinaFile contributor E"
    html = (tmp_path / "debate.html").read_text(encoding="utf-8")
    assert MOTION.replace("'", "&#x27;") in html or MOTION in html
    assert (tmp_path / "debate.md").exists() and (tmp_path / "debate-map.svg").exists()
    nothing = run("debate", "Cats make better pets than dogs", "--db", db, "--out", tmp_path / "cats")
    assert nothing.exit_code != 0 and "nothing in the corpus bears on the motion" in nothing.stderr


def test_exports(db, tmp_path):
    aif = json.loads(run("export", "--format", "aif", "--db", db).stdout)
    ids = {n["nodeID"] for n in aif["nodes"]}
    assert all(e["fromID"] in ids and e["toID"] in ids for e in aif["edges"])
    n_claims = len(run("claims", "--json", "--db", db).stdout.splitlines())
    assert sum(n["type"] == "I" for n in aif["nodes"]) == n_claims
    out = tmp_path / "map.argdown"
    assert run("export", "--format", "argdown", "--out", out, "--db", db).exit_code == 0
    argdown = shutil.which("argdown")
    if argdown is None:
        pytest.skip("Argdown's parser (npm @argdown/cli) is not installed")
    parsed = subprocess.run([argdown, "json", str(out), str(tmp_path)], capture_output=True, text=True)
    assert parsed.returncode == 0 and "error" not in (parsed.stdout + parsed.stderr).lower()
    model = json.loads((tmp_path / "map.json").read_text())  # what Argdown's parser understood
    assert len(model["statements"]) == n_claims
    n_relations = sum(len(json.loads(x)["relations"]) for x in run("issues", "--json", "--db", db).stdout.splitlines())
    assert len(model["relations"]) == n_relations
