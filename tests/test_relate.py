"""`argmap relate`: one pair or a JSON-lines file of pairs, on the fake stance model with exact scores."""
import json

import pytest
from click.testing import CliRunner

from argmap import services
from argmap.cli import cli
from argmap.fake import FakeStance


@pytest.fixture
def fake(monkeypatch):
    model = FakeStance()
    monkeypatch.setattr(services, "stance_model", lambda: model)
    return model


def run(*args, **kw):
    return CliRunner().invoke(cli, ["relate", *map(str, args)], **kw)


def test_one_pair_for_people(fake):
    r = run("Sanctions on China hurt trade", "Sanctions on China do not hurt trade")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "disagree (0.90)"
    assert "agree 0.05 · disagree 0.90 · neither 0.05" in r.stdout


def test_one_pair_json(fake):
    r = run("a summit in Beijing", "the weather in Oslo", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"a": "a summit in Beijing", "b": "the weather in Oslo", "relation": "neither",
                                    "probability": 0.9, "p_agree": 0.05, "p_disagree": 0.05, "p_neither": 0.9}


def test_file_of_pairs_keeps_order_and_fields(fake, tmp_path):
    f = tmp_path / "pairs.jsonl"
    f.write_text('{"id": 1, "a": "trade wars hurt farmers", "b": "trade wars hurt farmers a lot"}\n'
                 '\n'
                 '{"id": 2, "a": "trade wars hurt farmers", "b": "trade wars do not hurt farmers"}\n', encoding="utf-8")
    r = run("--file", f)
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["id"], x["relation"], x["probability"]) for x in rows] == [(1, "agree", 0.8), (2, "disagree", 0.9)]
    assert fake.calls == [2]  # one batch, both pairs


def test_pairs_from_stdin(fake):
    r = run("--file", "-", input='{"a": "x y", "b": "x y"}\n')
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["relation"] == "agree"


@pytest.mark.parametrize("content, message", [
    ('{"a": "x", "b": "y"}\nnot json\n', "line 2: not JSON"),
    ('{"a": "x"}\n', 'line 1: expected an object with non-empty text fields "a" and "b"'),
    ('["x", "y"]\n', "line 1: expected an object"),
    ("", "no pairs"),
])
def test_bad_file_is_one_line_naming_it(fake, tmp_path, content, message):
    f = tmp_path / "bad.jsonl"
    f.write_text(content, encoding="utf-8")
    r = run("--file", f)
    assert r.exit_code == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and str(f) in err[0] and message in err[0]
    assert fake.calls == []  # nothing scored


def test_usage_errors(fake, tmp_path):
    assert run("only one").exit_code == 2
    assert run("a", "b", "--file", tmp_path / "x.jsonl").exit_code == 2
    missing = run("--file", tmp_path / "missing.jsonl")
    assert missing.exit_code == 1 and "missing.jsonl" in missing.stderr and "Traceback" not in missing.output
    assert run("", "b").exit_code == 1
