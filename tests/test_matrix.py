"""argmap matrix: cells relative to the issue's pivot and sides, consensus/divisive marks, agreement, files."""
import csv
import io
import json
from dataclasses import replace

from click.testing import CliRunner

from argmap import matrix as mx
from argmap.cli_views import matrix_command
from argmap.issues import pivot_and_sides
from argmap.models import Claim, Document, Issue, Relation
from argmap.store import Store

CLAIMS = [("a1", "A"), ("b1", "B"), ("c1", "C"), ("c2", "C"), ("d1", "D"),
          ("a2", "A"), ("b2", "B"), ("c3", "C"), ("a4", "A"), ("b4", "B"), ("c4", "C")]
ISSUES = [Issue("issue-1", "first", (), "a1", ("a1", "b1", "c1", "c2", "d1")),
          Issue("issue-2", "second", (), "a2", ("a2", "b2")),
          Issue("issue-3", "third", (), "c3", ("c3",)),
          Issue("issue-4", "fourth", (), "a4", ("a4", "b4", "c4"))]
RELATIONS = [Relation("a1", "b1", "agree", 0.9, "issue-1"), Relation("a1", "c1", "disagree", 0.8, "issue-1"),
             Relation("b1", "c2", "agree", 0.7, "issue-1"), Relation("a2", "b2", "agree", 0.6, "issue-2"),
             Relation("a4", "b4", "agree", 0.9, "issue-4"), Relation("b4", "c4", "agree", 0.8, "issue-4"),
             Relation("a4", "c4", "disagree", 0.3, "issue-4")]  # weaker, contradicts the tree: ignored for camps


def claims():
    return [Claim(cid, f"claim {cid} text", who, "doc", 1, 0, 10) for cid, who in CLAIMS]


def with_sides(issues, relations):
    """The issues with pivot and sides as argmap.issues builds them (central claim as pivot here)."""
    by_id = {c.id: c for c in claims()}
    out = []
    for i in issues:
        _, backing, disputing = pivot_and_sides(i.claim_ids, i.central_claim, relations, by_id)
        pivot = i.central_claim
        side = {c: 1 for c in backing} | {c: -1 for c in disputing}
        if side.get(pivot, 1) < 0:  # seen from the central claim
            backing, disputing = disputing, backing
        out.append(replace(i, pivot=pivot, backing=(pivot,) + tuple(c for c in backing if c != pivot) if side else (),
                           disputing=tuple(disputing)))
    return out


ISSUES = with_sides(ISSUES, RELATIONS)


def test_cells_are_the_analysts_sides():
    m = mx.stance_matrix(claims(), ISSUES, RELATIONS)
    assert m.analysts == ("A", "B", "C", "D")
    assert [m.cell(a, "issue-1") for a in m.analysts] == ["for", "for", "mixed", "speaks"]
    assert [m.cell(a, "issue-2") for a in m.analysts] == ["for", "for", "silent", "silent"]
    # one claim, no relation: the analyst speaks on the question, on no side
    assert [m.cell(a, "issue-3") for a in m.analysts] == ["silent", "silent", "speaks", "silent"]
    assert [m.cell(a, "issue-4") for a in m.analysts] == ["for", "for", "for", "silent"]
    assert m.verdict == {"issue-1": "divisive", "issue-2": "consensus", "issue-3": "open", "issue-4": "divisive"}


def test_against_when_disagreeing_with_central():
    rels = [Relation("a1", "b1", "disagree", 0.5, "i")]
    [issue] = with_sides([Issue("i", "x", (), "b1", ("b1", "a1"))], rels)
    m = mx.stance_matrix(claims(), [issue], rels)
    assert m.cell("B", "i") == "for" and m.cell("A", "i") == "against"


def test_agreement_pairs():
    pairs = mx.agreement_matrix(claims(), ISSUES, RELATIONS, ["A", "B", "C", "D"])
    ab, ac, bc, ad = pairs[("A", "B")], pairs[("A", "C")], pairs[("B", "C")], pairs[("A", "D")]
    assert (ab.shared, ab.agree, ab.disagree, ab.score) == (3, 3, 0, 1.0)
    assert (ac.shared, ac.agree, ac.disagree, ac.score) == (2, 0, 2, -1.0)
    assert (bc.agree, bc.share) == (2, 1.0)
    assert (ad.shared, ad.share, ad.score) == (1, 0.0, 0.0)
    assert pairs[("C", "A")] is ac
    assert pairs[("B", "D")].shared == 1 and pairs[("C", "D")].shared == 1


def test_csv_and_pictures(tmp_path):
    m = mx.stance_matrix(claims(), ISSUES, RELATIONS)
    rows = list(csv.DictReader(io.StringIO(mx.stance_csv(m))))
    assert [r["issue"] for r in rows] == ["issue-1", "issue-2", "issue-3", "issue-4"]
    assert rows[0]["verdict"] == "divisive" and rows[0]["C"] == "mixed" and rows[1]["verdict"] == "consensus"
    pairs = mx.agreement_matrix(claims(), ISSUES, RELATIONS, list(m.analysts))
    rows = list(csv.DictReader(io.StringIO(mx.agreement_csv(m.analysts, pairs))))
    assert len(rows) == 6 and rows[0]["analyst_a"] == "A" and rows[0]["agreement_score"] == "1.00"
    svg = mx.figure_bytes(mx.stance_figure(m), "svg").decode("utf-8")
    png = mx.figure_bytes(mx.agreement_figure(list(m.analysts), pairs), "png")
    assert len(svg) > 1000 and png.startswith(b"\x89PNG") and len(png) > 1000
    assert "divisive" in svg and "consensus" in svg


def test_cli(tmp_path):
    db = tmp_path / "m.db"
    store = Store(db)
    store.replace_document(Document("doc", "doc.md", "Doc", content_hash="h"), "t", claims(), "test")
    store.save_analysis(ISSUES, RELATIONS, {})
    store.close()
    out = tmp_path / "maps"
    res = CliRunner().invoke(matrix_command, ["--db", str(db), "--out", str(out), "--format", "png", "--json"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["agreement.csv", "agreement.png", "stance-matrix.csv", "stance-matrix.png"]
    assert (out / "stance-matrix.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for spreadsheets
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[0] == {"type": "issue", "issue": "issue-1", "label": "first", "verdict": "divisive",
                        "positions": {"A": "for", "B": "for", "C": "mixed", "D": "speaks"}}
    assert sum(x["type"] == "agreement" for x in lines) == 6
