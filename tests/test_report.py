"""argmap report: one offline page; its data, its escaping, its CSP, its maps (fast: no model, no browser)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from argmap import report
from argmap.cli import cli
from argmap.models import Claim, Document, Issue, Relation

SCRIPT = "<script>alert(1)</script>"
CLOSE = "</script><!--"
IMG = '"><img src=x onerror=alert(2)>'

TEXT = f"""---
title: "Title {SCRIPT}"
url: "javascript:alert(3)"
---

<!-- analyst: A -->

Sanctions are working at the border. Sanctions are not working {CLOSE} at all.

## A heading {IMG}

Trade numbers show it\u202e clearly. And\u2028more.
"""


def _claim(cid: str, text: str, analyst: str, paragraph: int) -> Claim:
    start = TEXT.index(text)
    return Claim(cid, text, analyst, "doc", paragraph, start, start + len(text))


CLAIMS = [_claim("c1", "Sanctions are working at the border.", "A", 1),
          _claim("c2", f"Sanctions are not working {CLOSE} at all.", IMG, 1),
          _claim("c3", "Trade numbers show it\u202e clearly.", SCRIPT, 2)]
ISSUES = [Issue("issue-1", f"Sanctions {SCRIPT} work", (), "c1", ("c1", "c2"), "c1", ("c1",), ("c2",)),
          Issue("issue-2", "Trade", (), "c3", ("c3",), "c3")]
RELATIONS = [Relation("c1", "c2", "disagree", 0.9, "issue-1")]
DOCS = [Document("doc", "/corpus/doc.md", f"Title {SCRIPT}", "Outlet", "2019-01-01", "javascript:alert(3)")]
DATA = report.ReportData(DOCS, {"doc": TEXT}, CLAIMS, ISSUES, RELATIONS, "2026-01-01")


def _payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="argmap-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, re.S)


@pytest.fixture(scope="module")
def page() -> str:
    return report.build_report(DATA, None, None)


def test_one_file_that_fetches_nothing(page):
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)  # the attributes of the elements
    assert not re.search(r"""\b(src|href|action|srcset|poster|background)\s*=\s*(?!["']?(?:#|data:))""", markup, re.I)
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import)\s*\(", _scripts(page)[0])
    assert page.count("<script") == 2  # the data block and the page's own script


def test_csp_allows_exactly_the_inline_script(page):
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    scripts = _scripts(page)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in csp
    for part in ("default-src 'none'", "style-src 'unsafe-inline'", "img-src data:", "base-uri 'none'",
                 "form-action 'none'"):
        assert part in csp
    assert "connect-src" not in csp and "http" not in csp


def test_corpus_text_is_escaped_json(page):
    block = re.search(r'id="argmap-data">(.*?)</script>', page, re.S).group(1)
    assert not set(block) & {"<", ">", "&", "\u2028", "\u2029"}
    assert SCRIPT not in page and "<img" not in page and "\u202e" not in page
    data = _payload(page)
    assert {a["name"] for a in data["analysts"]} == {"A", SCRIPT, IMG}
    assert data["documents"][0]["title"] == f"Title {SCRIPT}"
    assert data["claims"][1]["text"] == f"Sanctions are not working {CLOSE} at all."
    assert data["claims"][2]["text"] == "Trade numbers show it clearly."  # bidi override dropped
    assert data["issues"][0]["label"] == f"Sanctions {SCRIPT} work"


def test_only_http_links_become_links(page):
    doc = _payload(page)["documents"][0]
    assert doc["url"] == "" and doc["urlText"] == "javascript:alert(3)"  # shown as text, never a link
    ok = report.report_json(report.ReportData([Document("doc", "x.md", "T", url="https://example.org/a?b=1&c=2")],
                                              {"doc": TEXT}, CLAIMS, ISSUES, RELATIONS))
    assert ok["documents"][0]["url"] == "https://example.org/a?b=1&c=2"


def test_every_issue_analyst_document_and_claim_is_in_the_data(page):
    data = _payload(page)
    assert [c["id"] for c in data["claims"]] == ["c1", "c2", "c3"]
    assert [i["id"] for i in data["issues"]] == ["issue-1", "issue-2"]
    assert [d["id"] for d in data["documents"]] == ["doc"]
    one = data["issues"][0]
    assert one["pivot"] == 0 and one["claims"] == [0, 1] and one["verdict"] == "divisive"
    names = [a["name"] for a in data["analysts"]]
    assert [names[a] for a in one["backs"]] == ["A"] and [names[a] for a in one["disputes"]] == [IMG]
    assert data["relations"] == [{"a": 0, "b": 1, "kind": "disagree", "score": 0.9, "i": 0}]
    assert all(re.fullmatch(r"#[0-9A-F]{6}", a["color"]) for a in data["analysts"])
    assert {a["border"] for a in data["analysts"]} <= {"solid", "dashed", "dotted", "bold"}


def test_paragraphs_hold_each_claim_at_its_span(page):
    paras = _payload(page)["documents"][0]["paragraphs"]
    assert [(p["n"], p["kind"]) for p in paras] == [(1, "text"), (0, "heading"), (2, "text")]
    first = paras[0]["parts"]
    assert [k for _, k in first] == [0, -1, 1]
    assert "".join(t for t, _ in first) == ("Sanctions are working at the border. Sanctions are not working "
                                            f"{CLOSE} at all.")
    assert paras[1]["parts"] == [[f"A heading {IMG}", -1]]
    assert paras[2]["parts"] == [["Trade numbers show it clearly.", 2], [" And\u2028more.", -1]]


def test_a_claim_whose_place_is_lost_is_still_shown():
    moved = report.ReportData(DOCS, {"doc": "---\ntitle: t\n---\n\nOther text now.\n"}, CLAIMS[:1], [], [])
    paras = report.report_json(moved)["documents"][0]["paragraphs"]
    assert paras[-1] == {"n": 0, "kind": "lost", "parts": [["Sanctions are working at the border.", 0]]}


def test_a_moderators_question_is_shown_as_context_with_its_speaker():
    text = ("---\ntitle: Hearing\n---\n\n<!-- context: Moderator -->\n\nAre sanctions working?\n\n"
            "<!-- analyst: Sen. Smith -->\n\nSanctions are working at the border.\n")
    start = text.index("Sanctions are")
    claim = Claim("c1", "Sanctions are working at the border.", "Sen. Smith", "doc", 2, start, start + 36)
    data = report.ReportData(DOCS, {"doc": text}, [claim], [], [])
    paras = report.report_json(data)["documents"][0]["paragraphs"]
    assert paras[0] == {"n": 1, "kind": "context", "parts": [["Are sanctions working?", -1]], "who": "Moderator"}
    assert paras[1]["parts"] == [["Sanctions are working at the border.", 0]] and "who" not in paras[1]


SVG = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Generated by graphviz --> <svg width="300pt" height="120pt" viewBox="0 0 300 120"
 xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<g id="graph0" class="graph" onload="alert(1)"><title>&lt;/script&gt;</title>
<script>alert(2)</script><foreignObject><div>x</div></foreignObject>
<g id="claim-c1" class="node"><title>claim1</title><g id="a_claim-c1"><a xlink:href="https://example.org/" target="_blank">
<text>&lt;/template&gt;&lt;script&gt;alert(3)&lt;/script&gt;</text></a></g></g>
<g id="claim-c2" class="node"><title>claim2</title><text>no link yet</text></g>
<g class="edge"><a xlink:href="javascript:alert(4)"><text>0.9</text></a></g>
</g></svg>"""


def test_inline_svg_is_inert_and_links_claims_to_their_source():
    out = report.inline_svg(SVG, ["c1", "c2"])
    assert out.startswith("<svg") and "<?xml" not in out and "DOCTYPE" not in out and "<!--" not in out
    assert "<script" not in out and "foreignObject" not in out and "onload" not in out
    assert "javascript:" not in out and "target=" not in out and ' id="' not in out
    assert "&lt;/template&gt;&lt;script&gt;" in out  # text stays text
    assert out.count('xlink:href="#/claim/c1"') == 1 and out.count('xlink:href="#/claim/c2"') == 1
    assert 'data-width="400"' in out and 'width="' not in out.replace("data-width", "")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_issue_maps_are_inline_svg_linking_to_claims():
    maps = report.issue_maps(DATA)
    assert set(maps) == {"issue-1", "issue-2"}
    assert 'xlink:href="#/claim/c1"' in maps["issue-1"] and "<script" not in maps["issue-1"]
    page = report.build_report(DATA, maps, b"\x89PNG fake")
    assert page.count("<template id=\"map-") == 2
    assert _payload(page)["matrix"]["image"].startswith("data:image/png;base64,")
    assert SCRIPT not in page and "<img" not in page


def test_matrix_picture_is_a_png():
    png = report.matrix_picture(DATA)
    assert png.startswith(b"\x89PNG")


def test_report_command_writes_maps_report_html_and_prints_the_path(fake_analysed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["report", "--db", str(fake_analysed)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    path = Path("maps") / "report.html"
    assert result.stdout.strip() == str(path)
    page = path.read_text(encoding="utf-8")
    data = _payload(page)
    assert len(data["documents"]) == 5 and len(data["claims"]) > 200 and data["issues"]
    assert len(page.encode("utf-8")) < 5_000_000


def test_report_needs_an_analysis(tmp_path):
    from argmap.store import Store

    Store(tmp_path / "empty.db").close()
    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "empty.db"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code != 0 and "no issues yet" in result.output
    assert not (tmp_path / "r.html").exists()
