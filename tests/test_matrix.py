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


def _random_corpus(rng, n_analysts: int, n_claims: int, n_issues: int, n_relations: int):
    import random  # noqa: F401 - rng is a random.Random

    names = [f"participant {i}" for i in range(n_analysts)]
    cs = [Claim(f"k{i}", f"claim {i}", rng.choice(names), "doc", 1, 0, 9) for i in range(n_claims)]
    ids = [c.id for c in cs]
    rng.shuffle(ids)
    issues, at = [], 0
    for n in range(n_issues):
        size = rng.randint(1, 20)
        members = tuple(ids[at:at + size])
        at += size
        if members:
            issues.append(Issue(f"issue-{n + 1}", f"q{n}", (), members[0], members))
    where = {cid: i.id for i in issues for cid in i.claim_ids}
    rels = []
    for _ in range(n_relations):
        a, b = sorted(rng.sample([c.id for c in cs], 2))
        same = where.get(a) is not None and where.get(a) == where.get(b)
        rels.append(Relation(a, b, rng.choice(["agree", "disagree"]), round(rng.random(), 3),
                             where[a] if same and rng.random() < 0.8 else ""))
    return cs, issues, rels, sorted({c.analyst for c in cs})


def test_agreement_and_stance_matrices_equal_their_definitions():
    """The one-pass agreement matrix gives, for every pair, the counts compare() gives that pair;
    the stance matrix's verdicts are those of the relations inside each issue."""
    import random

    from argmap.compare import Side, compare

    cs, issues, rels, names = _random_corpus(random.Random(3), 12, 160, 14, 220)
    pairs = mx.agreement_matrix(cs, issues, rels, names)
    analyst_of = {c.id: c.analyst for c in cs}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            c = compare(Side(a, "analyst", a), Side(b, "analyst", b), cs, issues, rels).counts
            got = mx.pair(pairs, a, b)
            assert (got.shared, got.agree, got.disagree, got.mixed) == (
                c["agree"] + c["disagree"] + c["mixed"] + c["unlinked"], c["agree"], c["disagree"], c["mixed"]), (a, b)
            assert got is mx.pair(pairs, b, a) or not got.shared
    m = mx.stance_matrix(cs, issues, rels, names)
    for issue in issues:
        members = set(issue.claim_ids)
        kinds = {r.kind for r in rels if r.a in members and r.b in members and (not r.issue or r.issue == issue.id)
                 and analyst_of[r.a] != analyst_of[r.b]}
        assert m.verdict[issue.id] == ("divisive" if "disagree" in kinds else "consensus" if "agree" in kinds
                                       and len({analyst_of[c] for c in members}) >= 2 else "open")


def test_thousands_of_participants_are_quick(tmp_path):
    """A consultation: 3,000 participants. The agreement matrix compared every pair against the
    whole corpus (900 participants: matrix did not finish in 6 min 40 s, report over 4 min)."""
    import random
    import time

    cs, issues, rels, names = _random_corpus(random.Random(5), 3000, 6000, 600, 4000)
    t = time.perf_counter()
    pairs = mx.agreement_matrix(cs, issues, rels, names)
    m = mx.stance_matrix(cs, issues, rels, names)
    rows = mx.agreement_csv(names, pairs).count("\n") - 1
    assert time.perf_counter() - t < 20  # about 2 s
    assert 0 < rows <= len(pairs) // 2
    shown = mx.most_active(m, 40)  # the pictures show at most 40 analysts, 60 issues (stance), 24 (agreement)
    assert len(shown) == 40 and list(shown) == [a for a in m.analysts if a in set(shown)]
