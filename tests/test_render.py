"""Graphviz maps: golden DOT text, palette, camps, caps, determinism, escaping, export.

Golden files: ARGMAP_UPDATE_GOLDEN=1 pytest tests/test_render.py rewrites
tests/golden/issue.dot and tests/golden/overview.dot; otherwise they are compared.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from argmap import style
from argmap.errors import ArgmapError
from argmap.issues import pivot_and_sides
from argmap.models import Claim, Document, Issue, Relation
from argmap.render import (
    MapData,
    analyst_border,
    analyst_palette,
    issue_graph,
    overview_graph,
    issue_sides,
    render_maps,
)

GOLDEN = Path(__file__).parent / "golden"
HAS_DOT = shutil.which("dot") is not None

LONG = ("Kim's first trip abroad as leader went to Beijing, which most observers read as a "
        "signal that China remains the patron it has always been, although the visit was "
        "arranged in a hurry, kept secret until the armoured train had left, and followed "
        "months of open friction over sanctions, missile tests and the execution of Jang "
        "Song-thaek, the official closest to Beijing.")
TRICKY = 'Lankov calls it a "marriage of convenience" \\ not <an alliance> & more'


def _claim(cid, analyst, doc, text, paragraph=1):
    return Claim(id=cid, text=text, analyst=analyst, document=doc, paragraph=paragraph,
                 start=0, end=len(text))


def small_data() -> MapData:
    """2 issues, 3 analysts, agree + disagree, a long claim, quotes/backslash/<>."""
    docs = {
        "cf": Document(id="cf", path="cf.md", title='ChinaFile "Conversation"',
                       outlet="ChinaFile", date="2018-03-28", url="https://example.org/cf"),
        "rfa": Document(id="rfa", path="rfa.md", title="Dual message", outlet="RFA"),
    }
    claims = {c.id: c for c in (
        _claim("a1", "Christopher Hill", "cf", "Beijing's leverage is overstated."),
        _claim("a2", "ChinaFile contributor D", "cf", LONG),
        _claim("a3", "Andrei Lankov", "rfa", TRICKY),
        _claim("a4", "Christopher Hill", "rfa", "China wants stability, not leverage."),
        _claim("b1", "Andrei Lankov", "rfa", "Sanctions enforcement loosened after the visit."),
        _claim("b2", "ChinaFile contributor D", "cf", "China keeps enforcing UN sanctions."),
        _claim("u1", "Andrei Lankov", "rfa", "The train was armoured."),
    )}
    issues = (
        Issue(id="issue-1", label='China\'s "leverage" over Pyongyang', central_claim="a1",
              claim_ids=("a1", "a2", "a3", "a4")),
        Issue(id="issue-2", label="Sanctions <enforcement>", central_claim="b1",
              claim_ids=("b1", "b2")),
    )
    relations = (
        Relation(a="a1", b="a2", kind="disagree", score=0.91, issue="issue-1"),
        Relation(a="a1", b="a3", kind="agree", score=0.8, issue="issue-1"),
        Relation(a="a2", b="a3", kind="disagree", score=0.655, issue="issue-1"),
        Relation(a="a2", b="a4", kind="disagree", score=0.4, issue="issue-1"),
        Relation(a="b1", b="b2", kind="disagree", score=0.7, issue="issue-2"),
    )
    issues = tuple(replace(i, **dict(zip(("pivot", "backing", "disputing"), pivot_and_sides(
        i.claim_ids, i.central_claim, relations, claims)))) for i in issues)
    return MapData(documents=docs, claims=claims, issues=issues, relations=relations,
                   unclustered=("u1",))


def _palette(data: MapData) -> dict[str, str]:
    return analyst_palette(c.analyst for c in data.claims.values())


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ARGMAP_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with ARGMAP_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"DOT differs from {path}; if the change is intended, rerun with ARGMAP_UPDATE_GOLDEN=1")


def test_issue_golden():
    data = small_data()
    _check_golden("issue.dot", issue_graph(data, data.issues[0], _palette(data)).source)


def test_overview_golden():
    data = small_data()
    _check_golden("overview.dot", overview_graph(data, _palette(data)).source)


# --- palette ---------------------------------------------------------------------------


def _fills(source: str) -> dict[str, set[str]]:
    """analyst -> fill colours of the claim nodes naming them in a DOT source."""
    found: dict[str, set[str]] = {}
    for label, fill in re.findall(r'label="((?:[^"\\]|\\.)*)" .*?fillcolor="(#[0-9A-F]+)"',
                                  source):
        analyst = label.split(style.ANALYST_PREFIX)[-1].removesuffix("\\r")
        found.setdefault(analyst, set()).add(fill)
    return found


def test_same_analyst_same_colour_on_every_map():
    data = small_data()
    palette = _palette(data)
    one = _fills(issue_graph(data, data.issues[0], palette).source)
    two = _fills(issue_graph(data, data.issues[1], palette).source)
    shared = set(one) & set(two)
    assert shared == {"Andrei Lankov", "ChinaFile contributor D"}
    for analyst in shared:
        assert one[analyst] == two[analyst] == {palette[analyst]}
    assert len(set(palette.values())) == len(palette)  # distinct colours


def test_palette_sorted_and_stable():
    names = ["Zoe", "Christopher Hill", "Andrei Lankov"]
    palette = analyst_palette(names)
    assert list(palette) == sorted(names)
    assert palette == analyst_palette(reversed(names + names))
    # an analyst sorting after the others changes no existing colour
    assert {k: v for k, v in analyst_palette(names + ["Zz Newcomer"]).items() if k in palette} \
        == palette


def test_palette_cycles_with_border_style():
    n = len(style.ANALYST_COLORS)
    names = [f"Analyst {i:02d}" for i in range(n + 2)]
    palette = analyst_palette(names)
    assert palette[names[0]] == palette[names[n]]
    assert analyst_border(palette, names[0]) != analyst_border(palette, names[n])
    pairs = {(palette[a], analyst_border(palette, a)) for a in names}
    assert len(pairs) == len(names)


# --- sides -----------------------------------------------------------------------------


def test_issue_sides_by_analyst():
    data = small_data()
    # a2 (contributor D) clashes with a1, a3 and a4: it is the pivot, and Hill and Lankov dispute it
    assert data.issues[0].pivot == "a2"
    assert issue_sides(data.issues[0], data.claims) == (
        ["ChinaFile contributor D"], ["Andrei Lankov", "Christopher Hill"], [])
    assert issue_sides(data.issues[1], data.claims) == (["Andrei Lankov"], ["ChinaFile contributor D"], [])


def test_issue_map_columns_are_sides_with_the_pivot_marked():
    data = small_data()
    source = issue_graph(data, data.issues[0], _palette(data)).source
    backs, disputes = source.index(style.SIDE_BACKS), source.index(style.SIDE_DISPUTES)
    assert backs < disputes and style.SIDE_NONE not in source
    pivot_node = next(line for line in source.splitlines() if style.PIVOT_TAG in line)
    assert "The train was" not in pivot_node and f"penwidth={style.PIVOT_PENWIDTH}" in pivot_node
    lonely = replace(data.issues[0], pivot="a1", backing=(), disputing=())
    plain = issue_graph(data, lonely, _palette(data)).source
    assert style.NO_SIDES in plain and style.PIVOT_TAG not in plain


def test_overview_shows_who_backs_and_who_disputes():
    data = small_data()
    source = overview_graph(data, _palette(data)).source
    assert source.count(f">{style.SIDE_BACKS}<") == 2 and source.count(f">{style.SIDE_DISPUTES}<") == 2
    # the two side tables of an issue are joined by the disagree edge
    assert len(re.findall(r"i\ds1 -> i\ds2 \[.*color=\"#CC3311\"", source)) == 2


# --- caps, text ------------------------------------------------------------------------


def test_issue_cap_states_hidden_claims():
    analysts = ["P", "Q", "R"]
    claims = {f"c{i:02d}": _claim(f"c{i:02d}", analysts[i % 3], "d", f"Claim number {i}.")
              for i in range(20)}
    issue = Issue(id="issue-1", label="Big", claim_ids=tuple(claims))
    data = MapData(documents={}, claims=claims, issues=(issue,), relations=())
    source = issue_graph(data, issue, analyst_palette(analysts)).source
    cap = style.MAX_CLAIMS_PER_ISSUE
    assert style.MORE_CLAIMS.format(n=20 - cap, s="s") in source
    assert len(re.findall(r"^\s*claim\d+ \[", source, flags=re.M)) == cap
    assert "Claim number 0." in source and f"Claim number {cap}." not in source

    # past the cap, claims in relations are shown first, so their edge can be followed
    linked = MapData(documents={}, claims=claims, issues=(issue,),
                     relations=(Relation(a="c18", b="c19", kind="disagree", score=0.7, issue="issue-1"),))
    source = issue_graph(linked, issue, analyst_palette(analysts)).source
    assert len(re.findall(r"^\s*claim\d+ \[", source, flags=re.M)) == cap
    assert "Claim number 18." in source and "Claim number 19." in source
    assert "Claim number 0." in source and f"Claim number {cap - 2}." not in source
    assert re.search(r"claim\d+ -> claim\d+ \[", source)


def test_overview_cap_states_hidden_issues():
    claims = {f"c{i}": _claim(f"c{i}", "P" if i % 2 else "Q", "d", "t") for i in range(40)}
    issues = tuple(Issue(id=f"issue-{i + 1}", label=f"L{i + 1}", claim_ids=(f"c{2 * i}",
                                                                              f"c{2 * i + 1}"))
                   for i in range(20))
    data = MapData(documents={}, claims=claims, issues=issues, relations=())
    source = overview_graph(data, analyst_palette(["P", "Q"])).source
    hidden = 20 - style.MAX_OVERVIEW_ISSUES
    assert style.MORE_ISSUES.format(n=hidden, s="s") in source
    assert f"issue-{style.MAX_OVERVIEW_ISSUES}: " in source
    assert f"issue-{style.MAX_OVERVIEW_ISSUES + 1}: " not in source


def test_overview_cap_prefers_contested_issues(monkeypatch):
    monkeypatch.setattr(style, "MAX_OVERVIEW_ISSUES", 1)
    data = small_data()
    lonely = Issue(id="issue-0", label="Only one voice", central_claim="u1", claim_ids=("u1",))
    quiet = MapData(data.documents, data.claims, (lonely,) + tuple(data.issues), relations=())
    source = overview_graph(quiet, _palette(data)).source  # no relations: the most analysts win
    assert "issue-1: " in source and "issue-0: " not in source
    contested = MapData(data.documents, data.claims, (lonely,) + tuple(data.issues),
                        relations=data.relations[-1:])
    source = overview_graph(contested, _palette(data)).source
    assert "issue-2: " in source and "issue-0: " not in source


def test_long_claim_wrapped_and_truncated_keeping_start():
    data = small_data()
    source = issue_graph(data, data.issues[0], _palette(data)).source
    label = re.search(r'label="(Kim\'s first trip.*?)"', source).group(1)
    lines = label.split("\\l")
    assert lines[0].startswith("Kim's first trip abroad")
    assert all(len(line) <= style.CLAIM_WRAP for line in lines[:-1])
    assert style.ELLIPSIS in label and "closest to Beijing" not in label


def test_text_is_escaped():
    data = small_data()
    issue_src = issue_graph(data, data.issues[0], _palette(data)).source
    assert 'Lankov calls it a \\"marriage of\\lconvenience\\" \\\\\u2060 not <an alliance> & more\\l' \
        in issue_src  # a backslash escaped, and kept from Graphviz's \\N, \\G (a WORD JOINER after it)
    overview_src = overview_graph(data, _palette(data)).source
    assert "Sanctions &lt;enforcement&gt;" in overview_src  # HTML-like cluster label
    assert "China&#x27;s &quot;leverage&quot;" in overview_src


def test_dot_text_is_deterministic_under_shuffled_input():
    data = small_data()
    rng = random.Random(7)
    for _ in range(5):
        claims = list(data.claims.items())
        docs = list(data.documents.items())
        rels = list(data.relations)
        issues = list(data.issues)
        for seq in (claims, docs, rels, issues):
            rng.shuffle(seq)
        shuffled = MapData(documents=dict(docs), claims=dict(claims), issues=issues,
                           relations=rels, unclustered=tuple(data.unclustered))
        palette = analyst_palette(c.analyst for c in shuffled.claims.values())
        expected = overview_graph(data, _palette(data)).source
        assert overview_graph(shuffled, palette).source == expected
        for issue in data.issues:
            assert issue_graph(shuffled, issue, palette).source == \
                issue_graph(data, issue, _palette(data)).source


# --- export ----------------------------------------------------------------------------


def test_render_dot_format_and_stale_files(tmp_path):
    (tmp_path / "issue-7.dot").write_text("stale")
    (tmp_path / "issue-7.svg").write_text("other format: kept")
    (tmp_path / "notes.dot").write_text("not ours: kept")
    paths = render_maps(small_data(), tmp_path, "dot")
    assert [p.name for p in paths] == ["overview.dot", "issue-1.dot", "issue-2.dot"]
    assert not (tmp_path / "issue-7.dot").exists()
    assert (tmp_path / "issue-7.svg").exists() and (tmp_path / "notes.dot").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_render_unknown_format(tmp_path):
    with pytest.raises(ArgmapError, match="unknown map format"):
        render_maps(small_data(), tmp_path, "jpg")


def test_render_without_dot_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ArgmapError) as info:
        render_maps(small_data(), tmp_path / "out", "svg")
    assert str(info.value) == "Graphviz 'dot' was not found: install Debian's graphviz package"


@pytest.mark.skipif(not HAS_DOT,
                    reason="Graphviz 'dot' is not installed (apt-get install graphviz)")
def test_render_svg_and_png_with_dot(tmp_path):
    data = small_data()
    svgs = render_maps(data, tmp_path, "svg")
    pngs = render_maps(data, tmp_path, "png")
    assert [p.name for p in svgs] == ["overview.svg", "issue-1.svg", "issue-2.svg"]
    assert [p.name for p in pngs] == ["overview.png", "issue-1.png", "issue-2.png"]
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "issue-1.svg").read_text(encoding="utf-8")
    assert "&quot;marriage of" in svg and "Christopher Hill" in svg
    # the golden DOT parses without warnings
    for name in ("issue.dot", "overview.dot"):
        run = subprocess.run(["dot", "-Tsvg", str(GOLDEN / name)], capture_output=True)
        assert run.returncode == 0 and not run.stderr, run.stderr


def test_overview_side_chips_in_rows_with_a_cap(monkeypatch):
    from argmap import render

    monkeypatch.setattr(style, "MAX_OVERVIEW_ANALYSTS", 4)
    monkeypatch.setattr(style, "OVERVIEW_CAMP_COLUMNS", 3)
    names = ["A1", "A2", "A3", "A4", "A5", "A6"]
    label = render._side_label("backs the pivot", names, analyst_palette(names))
    rows = label.split("<TR>")[1:]
    assert len(rows) == 4  # heading, 3 chips, 1 chip, "+2 more"
    assert rows[1].count("<TD BGCOLOR") == 3 and rows[2].count("<TD BGCOLOR") == 1
    assert ">+2 more<" in rows[3] and "A5" not in label
