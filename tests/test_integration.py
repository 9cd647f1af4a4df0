"""The real model, spaCy pipeline and Graphviz on the bundled corpus (a few, slower tests)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from argmap.cli import cli

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("real") / "argmap.db"
    result = CliRunner().invoke(cli, ["ingest", str(ROOT / "corpus"), "--db", str(db), "--method", "cosine"])
    assert result.exit_code == 0, result.output + str(result.exception)
    return db


def test_onnx_encoder_matches_sentence_transformers():
    from argmap.embed import load_embedder, load_sentence_transformer

    texts = ["China is back at center stage", "it won't make a dent", "Kim’s trip to Beijing — a “dual message”."]
    a = load_embedder().encode(texts)
    b = load_sentence_transformer(None).encode(texts, normalize_embeddings=True)
    assert np.abs(a - b).max() < 1e-5


def test_bundled_model_checksum_is_enforced(monkeypatch):
    from argmap import embed
    from argmap.errors import ModelError

    monkeypatch.setattr(embed, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="does not match the genuine all-MiniLM-L6-v2"):
        embed.bundled_model_files()


def test_search_finds_center_stage_claim(real_db):
    result = CliRunner().invoke(cli, ["search", "China is back at center stage", "-k", "2", "--json", "--db", str(real_db)])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert {"id", "text", "analyst", "document", "issue", "score"} <= set(hits[0])
    assert any("decisively back in center stage" in h["text"] and h["analyst"] == "ChinaFile contributor E" for h in hits)


def test_issues_listing_and_unclustered(real_db):
    result = CliRunner().invoke(cli, ["issues", "--json", "--db", str(real_db)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[-1]["id"] == "unclustered"
    n_claims = len(CliRunner().invoke(cli, ["claims", "--json", "--db", str(real_db)]).output.splitlines())
    assert sum(len(r["claim_ids"]) for r in rows) == n_claims  # every claim in an issue or unclustered
    for r in rows[:-1]:
        for rel in r["relations"]:
            assert set(rel) == {"a", "b", "kind", "score"} and rel["kind"] in ("agree", "disagree")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_maps_render_for_real_corpus(real_db, tmp_path):
    result = CliRunner().invoke(cli, ["map", "--db", str(real_db), "--out", str(tmp_path), "--format", "svg"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "overview.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert len(list(tmp_path.glob("issue-*.svg"))) >= 5


def test_commands_without_model_never_import_torch(real_db):
    code = (
        "import sys; from click.testing import CliRunner; from argmap.cli import cli\n"
        f"for args in (['claims'], ['issues'], ['analysts'], ['documents'], ['search', 'China'], ['map', '--format', 'dot', '--out', {str(real_db.parent / 'dots')!r}]):\n"
        f"    r = CliRunner().invoke(cli, args + ['--db', {str(real_db)!r}]); assert r.exit_code == 0, r.output\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_issue_threshold_controls_issue_breadth(real_db, tmp_path):
    def unclustered(db):
        rows = [json.loads(x) for x in CliRunner().invoke(cli, ["issues", "--json", "--db", str(db)]).stdout.splitlines()]
        return len(rows[-1]["claim_ids"])

    broad = tmp_path / "broad.db"
    result = CliRunner().invoke(cli, ["ingest", str(ROOT / "corpus"), "--db", str(broad), "--method", "cosine",
                                      "--issue-threshold", "0.35"])
    assert result.exit_code == 0, result.output
    assert unclustered(broad) < unclustered(real_db)
