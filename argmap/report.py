"""`argmap report`: one self-contained, offline HTML page a reader explores by clicking.

Staged like the rest of argmap: ``ReportData`` holds what the store holds (documents with their
text, claims, issues, relations); ``report_json`` turns it into the plain data the page's script
reads; ``build_report`` writes the page: the static CSS and JS of ``argmap/resources/report/``
inlined, each issue's Graphviz map (``render.issue_graph``) as inline SVG in an inert
``<template>``, the stance matrix (``matrix.stance_figure``) as a PNG ``data:`` image.

Escaping: corpus text reaches the page only as JSON in ``<script type="application/json">``
(``<``, ``>``, ``&``, U+2028/9 written as ``\\u003c`` etc., ``clean_text`` applied first) that the
script turns into DOM text nodes (never ``innerHTML``), or inside the maps, which are parsed
and re-serialised here (``inline_svg``: no script, style, foreignObject, event attribute, id or
non-local link survives). A Content-Security-Policy allows only the page's own script (by
SHA-256 hash), inline styles and ``data:`` images: the page can make no request.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from . import style
from .corpus import stored_paragraphs
from .errors import ArgmapError, InputError
from .models import Claim, Document, Issue, Relation
from .output import clean_text, safe_url

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_DROPPED_SVG = {"script", "style", "foreignObject", "iframe", "image", "use", "animate", "set",
                "animateMotion", "animateTransform", "handler", "listener"}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
CSP = ("default-src 'none'; script-src '{script}'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
POSITION_CODES = {"for": 1, "against": -1, "mixed": 2, "speaks": 0, "silent": None}


@dataclass(frozen=True)
class ReportData:
    """What the report shows, as read from a store (no model, no Graphviz)."""

    documents: Sequence[Document]
    texts: Mapping[str, str]  # document id -> its stored text (claims' spans point into it)
    claims: Sequence[Claim]
    issues: Sequence[Issue]
    relations: Sequence[Relation]
    generated: str = ""  # a date for the footer


def read_report_data(store, generated: str = "") -> ReportData:
    documents = store.documents()
    return ReportData(documents, {d.id: store.document_text(d.id) or "" for d in documents}, store.claims(),
                      store.issues(), store.relations(), generated)


# --- corpus text as JSON ------------------------------------------------------------------------


def _t(text) -> str:
    """Corpus text as the page shows it: ``clean_text`` (no controls, no bidi overrides)."""
    return clean_text("" if text is None else text)


def json_for_script(obj) -> str:
    """JSON that is inert inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    (so no ``</script>`` or ``<!--``), and no U+2028/9 (line ends to older JavaScript)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)


def _paragraphs(doc: Document, text: str, claims: Sequence[tuple[int, Claim]]) -> list[dict]:
    """The document's paragraphs, each as parts: [text, claim index or -1]. Claim spans are cut
    out of the raw text before cleaning, so offsets stay right; an overlapping span is clipped."""
    try:
        paragraphs = stored_paragraphs(doc.path or f"{doc.id}.md", text)
    except InputError:
        paragraphs = []
    by_number: dict[int, list[tuple[int, Claim]]] = {}
    for k, c in claims:
        by_number.setdefault(c.paragraph, []).append((k, c))
    out = []
    seen: set[int] = set()
    for p in paragraphs:
        inside = sorted((kc for kc in by_number.get(p.number, ()) if p.kind != "heading"
                         and p.start <= kc[1].start < kc[1].end <= p.end), key=lambda kc: kc[1].start)
        parts, pos = [], p.start
        for k, c in inside:
            start = max(c.start, pos)
            if start > pos:
                parts.append([_t(text[pos:start]), -1])
            if c.end > start:
                parts.append([_t(text[start:c.end]), k])
                seen.add(k)
            pos = max(pos, c.end)
        if pos < p.end:
            parts.append([_t(text[pos:p.end]), -1])
        para = {"n": p.number, "kind": p.kind, "parts": parts}
        if p.kind == "context":  # a moderator's question: shown, never a claim
            para["who"] = _t(p.analyst or "")
        out.append(para)
    lost = [(k, c) for k, c in claims if k not in seen]
    if lost:  # the text was not parsed as at ingest: show those claims on their own
        out.append({"n": 0, "kind": "lost", "parts": [[_t(c.text), k] for k, c in lost]})
    return out


def report_json(data: ReportData, maps: Mapping[str, str] | None = None, matrix_png: bytes | None = None) -> dict:
    """The data the page's script reads. Claims, analysts, documents and issues are referred to by
    their index in these lists; every corpus string passes ``clean_text``."""
    from . import matrix as mx
    from .render import analyst_border, analyst_palette, issue_sides, short_name

    claims = list(data.claims)
    index = {c.id: k for k, c in enumerate(claims)}
    names = sorted({c.analyst for c in claims})
    palette = analyst_palette(names)
    a_index = {n: k for k, n in enumerate(names)}
    docs = list(data.documents)
    d_index = {d.id: k for k, d in enumerate(docs)}
    by_id = {c.id: c for c in claims}
    issue_of: dict[str, tuple[int, int]] = {}
    for i, issue in enumerate(data.issues):
        for cid in issue.claim_ids:
            issue_of.setdefault(cid, (i, issue.side(cid)))
    issue_index = {issue.id: i for i, issue in enumerate(data.issues)}
    in_issues = sorted({c.analyst for c in claims if c.id in issue_of})
    m = mx.stance_matrix(claims, data.issues, data.relations, in_issues)
    pairs = mx.agreement_matrix(claims, data.issues, data.relations, in_issues)

    analysts = []
    claims_of: dict[str, list[Claim]] = {}
    for c in claims:
        claims_of.setdefault(c.analyst, []).append(c)
    for n in names:
        color = palette.get(n, style.UNKNOWN_ANALYST_COLOR)
        mine = claims_of.get(n, [])
        analysts.append({"name": _t(n), "short": _t(short_name(n)),
                         "color": color if _HEX.fullmatch(color) else style.UNKNOWN_ANALYST_COLOR,
                         "border": analyst_border(palette, n), "claims": len(mine),
                         "documents": len({c.document for c in mine})})
    documents = []
    for d in docs:
        mine = [(index[c.id], c) for c in claims if c.document == d.id]
        url = safe_url(d.url)
        documents.append({"id": _t(d.id), "title": _t(d.title) or _t(d.id), "outlet": _t(d.outlet),
                          "date": _t(d.date), "url": url, "urlText": "" if url else _t(d.url),
                          "authors": [_t(a) for a in d.authors], "note": _t(d.note), "claims": len(mine),
                          "paragraphs": _paragraphs(d, data.texts.get(d.id, ""), mine)})
    out_claims = []
    for c in claims:
        i, side = issue_of.get(c.id, (-1, 0))
        out_claims.append({"id": _t(c.id), "text": _t(c.text), "a": a_index[c.analyst],
                           "d": d_index.get(c.document, -1), "p": c.paragraph, "i": i, "side": side})
    issues = []
    for i, issue in enumerate(data.issues):
        backs, disputes, rest = issue_sides(issue, by_id)
        sided = bool(issue.disputing) or len(issue.backing) > 1
        kinds = [r.kind for r in data.relations if r.issue == issue.id]
        issues.append({"id": _t(issue.id), "label": _t(issue.label),
                       "pivot": index.get(issue.pivot, -1) if sided else -1,
                       "claims": [index[c] for c in dict.fromkeys(issue.claim_ids) if c in index],
                       "sided": sided, "verdict": m.verdict.get(issue.id, "open"),
                       "backs": [a_index[a] for a in backs] if sided else [],
                       "disputes": [a_index[a] for a in disputes],
                       "speaks": [a_index[a] for a in (rest if sided else backs + rest)],
                       "agree": kinds.count(style.AGREE), "disagree": kinds.count(style.DISAGREE),
                       "map": bool(maps and issue.id in maps)})
    relations = [{"a": index[r.a], "b": index[r.b], "kind": r.kind, "score": round(float(r.score), 3),
                  "i": issue_index.get(r.issue, -1)}
                 for r in data.relations if r.a in index and r.b in index and r.kind in style.REPORT_RELATIONS]
    agreement = [[a_index[p.a], a_index[p.b], p.shared, p.agree, p.disagree, p.mixed]
                 for (a, b), p in sorted(pairs.items()) if a < b and p.shared]
    matrix = {"analysts": [a_index[a] for a in in_issues],
              "cells": [[POSITION_CODES[m.cell(a, issue.id)] for a in in_issues] for issue in data.issues]}
    if matrix_png:
        matrix["image"] = "data:image/png;base64," + base64.b64encode(matrix_png).decode("ascii")
    return {"title": style.REPORT_TITLE, "generated": _t(data.generated), "analysts": analysts,
            "documents": documents, "claims": out_claims, "issues": issues, "relations": relations,
            "agreement": agreement, "matrix": matrix, "unclustered": sum(1 for c in claims if c.id not in issue_of),
            "style": {"sides": {str(k): v for k, v in style.REPORT_SIDES.items()}, "noSides": style.REPORT_NO_SIDES,
                      "pivot": style.REPORT_PIVOT, "relations": style.REPORT_RELATIONS,
                      "verdicts": style.REPORT_VERDICTS, "mapFit": style.REPORT_MAP_FIT,
                      "snippet": style.REPORT_SNIPPET_CHARS, "positions": mx.SYMBOL}}


# --- pictures -----------------------------------------------------------------------------------


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def inline_svg(svg: bytes, claim_ids: Sequence[str] = ()) -> str:
    """A Graphviz SVG made fit to sit inside the page: parsed (so no prolog, doctype or comment
    survives) and written out again by ElementTree (text and attributes escaped), without script,
    style or foreign elements, event attributes or ids; a claim node (Graphviz id ``claim-ID``)
    links to ``#/claim/ID``; any other link that is not http(s) is dropped."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    known = set(claim_ids)
    for parent in list(root.iter()):
        for child in list(parent):
            if _local(child.tag) in _DROPPED_SVG:
                parent.remove(child)
    for el in root.iter():
        node_id = el.get("id", "")
        if _local(el.tag) == "g" and el.get("class") == "node" and node_id.startswith("claim-") \
                and node_id[6:] in known:
            anchor = next((a for a in el.iter() if _local(a.tag) == "a"), None)
            if anchor is None:
                anchor = ET.Element(f"{{{SVG_NS}}}a")
                for child in list(el):
                    if _local(child.tag) != "title":
                        el.remove(child)
                        anchor.append(child)
                el.append(anchor)
            anchor.attrib.pop("target", None)
            anchor.set(f"{{{XLINK_NS}}}href", f"#/claim/{node_id[6:]}")
            anchor.set("class", "map-claim")
        for attr in list(el.attrib):
            name = _local(attr).lower()
            if name.startswith("on") or name in ("id", "target", "style"):
                del el.attrib[attr]
            elif name == "href":
                value = el.attrib[attr]
                if not (value.startswith("#/claim/") and value[8:] in known) and safe_url(value) != value:
                    del el.attrib[attr]
    for attr in ("width", "height"):  # sized by the page (fit to width, or full size on request)
        value = root.attrib.pop(attr, "")
        if value.endswith("pt"):
            root.set(f"data-{attr}", str(round(float(value[:-2]) * 4 / 3)))
    root.set("role", "img")
    root.set("focusable", "false")
    return ET.tostring(root, encoding="unicode")


def issue_maps(data: ReportData) -> dict[str, str]:
    """Issue id -> its Graphviz map as inline SVG (``render.issue_graph``, as `argmap map` draws it).
    Raises ArgmapError when Graphviz is missing or fails."""
    from .render import MapData, analyst_palette, export, issue_graph

    claims = {c.id: c for c in data.claims}
    unclustered = sorted(set(claims) - {c for i in data.issues for c in i.claim_ids})
    mapdata = MapData({d.id: d for d in data.documents}, claims, data.issues, data.relations, unclustered)
    palette = analyst_palette(c.analyst for c in data.claims)
    return {issue.id: inline_svg(export(issue_graph(mapdata, issue, palette), "svg"), issue.claim_ids)
            for issue in data.issues}


def matrix_picture(data: ReportData) -> bytes | None:
    """The stance matrix (issues x analysts) as `argmap matrix` draws it, as PNG bytes."""
    from . import matrix as mx

    in_issues = {c for i in data.issues for c in i.claim_ids}
    analysts = sorted({c.analyst for c in data.claims if c.id in in_issues})
    if not data.issues or not analysts:
        return None
    import matplotlib
    matplotlib.use("Agg")

    fig = mx.stance_figure(mx.stance_matrix(data.claims, data.issues, data.relations, analysts))
    return mx.figure_bytes(fig, "png", style.REPORT_MATRIX_DPI)


# --- the page -----------------------------------------------------------------------------------


def _resource(name: str) -> str:
    return resources.files("argmap").joinpath("resources", "report", name).read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source allowing exactly this inline script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def _css_variables() -> str:
    sides = style.REPORT_SIDES
    names = {1: "back", -1: "dispute", 0: "none"}
    lines = [f"--font: {style.REPORT_FONT};", f"--quote-font: {style.REPORT_QUOTE_FONT};",
             f"--size: {style.REPORT_FONT_SIZE_PX}px;", f"--small: {style.REPORT_SMALL_SIZE};",
             f"--width: {style.REPORT_MAX_WIDTH_PX}px;", f"--text: {style.REPORT_TEXT_COLOR};",
             f"--muted: {style.REPORT_MUTED_COLOR};", f"--link: {style.REPORT_LINK_COLOR};",
             f"--bg: {style.REPORT_BACKGROUND};", f"--panel: {style.REPORT_PANEL};", f"--rule: {style.REPORT_RULE};",
             f"--focus: {style.REPORT_FOCUS_COLOR};", f"--current: {style.REPORT_CURRENT_CLAIM};"]
    for k, n in names.items():
        lines += [f"--{n}: {sides[k]['color']};", f"--{n}-tint: {sides[k]['tint']};", f"--{n}-ink: {sides[k]['ink']};"]
    for kind, s in style.REPORT_RELATIONS.items():
        lines.append(f"--{kind}: {s['color']};")
    return ":root {\n  " + "\n  ".join(lines) + "\n}\n"


def build_report(data: ReportData, maps: Mapping[str, str] | None = None, matrix_png: bytes | None = None) -> str:
    """The whole page as text: one file, nothing to fetch."""
    payload = report_json(data, maps, matrix_png)
    script = _resource("report.js")
    css = _css_variables() + _resource("report.css")
    if "</style" in css.lower() or "</script" in script.lower():
        raise ArgmapError("argmap's report resources would end their own element early")
    templates = "".join(f'<template id="map-{i}">{maps[issue.id]}</template>'
                        for i, issue in enumerate(data.issues) if maps and issue.id in maps)
    n = payload
    summary = (f"{len(n['documents'])} documents, {len(n['analysts'])} analysts, {len(n['claims'])} claims, "
               f"{len(n['issues'])} issues")
    title = html.escape(f"{style.REPORT_TITLE}: {summary}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP.format(script=script_hash(script))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="argmap">
<title>{title}</title>
<style>{css}</style>
</head><body>
<a class="skip" href="#main" id="skip">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="#/">{html.escape(style.REPORT_TITLE)}</a>
<nav aria-label="Views"><ul>
<li><a href="#/" data-nav="overview">Issues</a></li>
<li><a href="#/analysts" data-nav="analysts">Analysts</a></li>
<li><a href="#/documents" data-nav="documents">Documents</a></li>
<li><a href="#/matrix" data-nav="matrix">Stance matrix</a></li>
<li><a href="#/search" data-nav="search">Search</a></li>
</ul></nav>
<form class="quick" role="search" id="quick"><label for="q">Search claims</label>
<input id="q" type="search" autocomplete="off" placeholder="Search claims (press /)" aria-describedby="q-help">
<button type="submit">Search</button><span id="q-help" class="visually-hidden">Every word must appear in the claim; capitals do not matter.</span></form>
</div></header>
<main id="main" tabindex="-1"><noscript><p>This report needs JavaScript to show its views; everything it needs is in this one file.</p></noscript>
<p class="loading">{html.escape(summary)}</p></main>
<footer class="foot"><p>Made offline by argmap{(" on " + html.escape(_t(data.generated))) if data.generated else ""}: {html.escape(summary)}. Claims are exact quotes; sides and links are computed by argmap's models and can be wrong &mdash; check the source.</p></footer>
<div id="announce" class="visually-hidden" aria-live="polite"></div>
<div hidden>{templates}</div>
<script type="application/json" id="argmap-data">{json_for_script(payload)}</script>
<script>{script}</script>
</body></html>
"""
