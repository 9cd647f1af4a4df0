"""argmap compare: the agree / disagree / mixed / unlinked / alone split, on a crafted store."""
import json

import pytest
from click.testing import CliRunner

from argmap.cli import ArgmapGroup
from argmap.cli_views import compare_command
from argmap.compare import Side, classify, compare, resolve_side
from argmap.errors import ArgmapError
from argmap.models import Claim, Document, Issue, Relation
from argmap.store import Store

DOCS = [Document("doc-one", "doc-one.md", "Doc one", "Outlet One", "2018-03-28", "https://example.org/1"),
        Document("doc-two", "doc-two.md", "Doc two", "Outlet Two", "2018-04-02", "")]
# (claim id, analyst, document, text)
CLAIMS = [
    ("d1", "Contributor D", "doc-one", "China is back at the centre of Korean diplomacy."),
    ("e1", "Contributor E", "doc-one", "China is not back at the centre; Washington sets the pace."),
    ("d2", "Contributor D", "doc-one", "Sanctions relief is what Kim wants."),
    ("e2", "Contributor E", "doc-one", "Kim wants sanctions relief above all."),
    ("d3", "Contributor D", "doc-one", "Xi gains leverage over Trump."),
    ("d3b", "Contributor D", "doc-one", "Xi lost face by waiting so long."),
    ("e3", "Contributor E", "doc-one", "Xi's leverage grows with the summit."),
    ("d4", "Contributor D", "doc-one", "The visit copies Kim Jong-il's 2000 trip."),
    ("f4", "Analyst F", "doc-two", "History repeats in Pyongyang's playbook."),
    ("e5", "Contributor E", "doc-one", "Moon Jae-in brokered the summit."),
    ("d6", "Contributor D", "doc-one", "Denuclearization is a slogan."),
    ("e6", "Contributor E", "doc-one", "Denuclearization talks will take years."),
]
ISSUES = [Issue("issue-1", "China's role", ("china",), "d1", ("d1", "e1")),
          Issue("issue-2", "sanctions relief", ("sanctions",), "e2", ("e2", "d2")),
          Issue("issue-3", "Xi's leverage", ("leverage",), "d3", ("d3", "e3", "d3b")),
          Issue("issue-4", "history", ("history",), "d4", ("d4", "f4")),
          Issue("issue-5", "Moon's role", ("moon",), "e5", ("e5",)),
          Issue("issue-6", "denuclearization", ("denuclearization",), "d6", ("d6", "e6"))]
RELATIONS = [Relation("d1", "e1", "disagree", 0.9, "issue-1"),
             Relation("d2", "e2", "agree", 0.8, "issue-2"),
             Relation("d3", "e3", "agree", 0.7, "issue-3"),
             Relation("d3b", "e3", "disagree", 0.6, "issue-3"),
             Relation("d4", "f4", "agree", 0.5, "issue-4")]


def claims():
    return [Claim(cid, text, analyst, doc, 1, 0, len(text)) for cid, analyst, doc, text in CLAIMS]


def make_store(path, issues=ISSUES, relations=RELATIONS):
    store = Store(path)
    for doc in DOCS:
        mine = [c for c in claims() if c.document == doc.id]
        store.replace_document(Document(**{**doc.to_dict(), "content_hash": doc.id}), "text", mine, "test")
    store.save_analysis(issues, relations, {})
    return store


D = Side("Contributor D", "analyst", "Contributor D")
E = Side("Contributor E", "analyst", "Contributor E")


def test_split_agree_disagree_mixed_unlinked_alone():
    cmp = compare(D, E, claims(), ISSUES, RELATIONS)
    kinds = {ic.issue.id: ic.kind for ic in cmp.issues}
    assert kinds == {"issue-1": "disagree", "issue-2": "agree", "issue-3": "mixed", "issue-6": "unlinked",
                     "issue-4": "a_only", "issue-5": "b_only"}
    assert [ic.kind for ic in cmp.issues] == ["disagree", "mixed", "agree", "unlinked", "a_only", "b_only"]
    assert cmp.summary() == ("Contributor D and Contributor E: 4 shared issues — agree on 1, disagree on 1, "
                             "mixed on 1, no direct link on 1; Contributor D alone on 1 issue, "
                             "Contributor E alone on 1 issue.")
    mixed = cmp.of_kind("mixed")[0]
    assert [c.id for c in mixed.a_claims] == ["d3", "d3b"] and [c.id for c in mixed.b_claims] == ["e3"]
    assert [r.score for r in mixed.relations] == [0.7, 0.6]  # strongest first
    # the D-F relation in issue-4 is not a D-E link
    assert cmp.of_kind("a_only")[0].relations == ()


def test_classify():
    assert classify([]) == "unlinked"
    assert classify([Relation("a", "b", "agree", 1)]) == "agree"
    assert classify([Relation("a", "b", "disagree", 1), Relation("a", "c", "agree", 1)]) == "mixed"


def test_resolve_analyst_case_insensitive_then_document():
    docs = DOCS
    assert resolve_side("contributor d", ["Contributor D"], docs) == D
    assert resolve_side("doc-two", ["Contributor D"], docs).kind == "document"
    with pytest.raises(ArgmapError, match="neither an analyst nor a document"):
        resolve_side("nobody", ["Contributor D"], docs)
    with pytest.raises(ArgmapError, match="itself"):
        compare(D, D, claims(), ISSUES, RELATIONS)


def test_document_vs_document():
    one = Side("doc-one", "document", "doc-one")
    two = Side("doc-two", "document", "doc-two")
    cmp = compare(one, two, claims(), ISSUES, RELATIONS)
    assert {ic.issue.id: ic.kind for ic in cmp.issues}["issue-4"] == "agree"
    assert cmp.counts["a_only"] == 5


def test_cli_text_json_and_map(tmp_path):
    db = tmp_path / "a.db"
    make_store(db).close()
    runner = CliRunner()
    res = runner.invoke(compare_command,
                        ["contributor d", "Contributor E", "--db", str(db), "--map", str(tmp_path / "m.dot")])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("Contributor D and Contributor E: 4 shared issues")
    assert "Where they DISAGREE (1 issue)" in res.output and "What only Contributor E says" in res.output
    dot = (tmp_path / "m.dot").read_text()
    assert "cluster_side1" in dot and "cluster_side2" in dot and "#CC3311" in dot  # disagree edge drawn
    res = runner.invoke(compare_command, ["Contributor D", "Contributor E", "--db", str(db), "--json", "--no-map"])
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert lines[0]["type"] == "summary" and lines[0]["disagree"] == 1 and lines[0]["a_only"] == 1
    assert [x["kind"] for x in lines[1:]] == ["disagree", "mixed", "agree", "unlinked", "a_only", "b_only"]
    assert lines[1]["a_claims"][0]["id"] == "d1" and lines[1]["relations"][0]["kind"] == "disagree"


def test_cli_unknown_name(tmp_path):
    db = tmp_path / "a.db"
    make_store(db).close()
    group = ArgmapGroup(commands={"compare": compare_command})
    res = CliRunner().invoke(group, ["compare", "Nobody", "Contributor E", "--db", str(db)])
    assert res.exit_code == 1 and "neither an analyst nor a document" in res.output
    assert "Traceback" not in res.output
