"""Export claims, issues and relations for other tools: Argdown, AIF JSON and CSV.

Pure functions from plain data to text. Formats:

* Argdown (https://argdown.org): one heading per issue, each claim a statement
  ``[Analyst n]: text #(Analyst)``; an agree relation is written ``+> [other]`` (support),
  a disagree relation ``-> [other]`` (attack), under the claim that comes first.
* AIF JSON in the AIFdb layout used by ARG-tech's tools (OVA, AIFdb): ``nodes`` (I for
  claims, L for "Analyst: text" locutions, YA "Asserting" linking each locution to its
  claim, RA for agree, CA for disagree), ``edges`` (edgeID, fromID, toID), ``locutions``,
  ``participants`` and ``schemefulfillments``. Each RA/CA node has one premise and one
  conclusion: the relation's first claim supports / conflicts with its second.
* CSV: ``claims`` (one row per claim, with its source and issue) or ``relations`` (one row
  per agree/disagree link, both claims spelled out). Text cells that a spreadsheet would run as
  a formula start with ' (``output.csv_text``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from .models import Claim, Document, Issue, Relation
from .output import csv_text

FORMATS = ("argdown", "aif", "csv")
CSV_TABLES = ("claims", "relations")
_ARGDOWN_SPECIAL = re.compile(r"([\\@#*_\[\]<>/{}()])|([.:])(?=\S)")


def _squash(text: str) -> str:
    return " ".join(text.split())


def argdown_escape(text: str) -> str:
    """Escape Argdown's control characters so the text reads back unchanged."""
    return _ARGDOWN_SPECIAL.sub(lambda m: "\\" + (m.group(1) or m.group(2)), _squash(text))


def _safe_name(text: str) -> str:
    """Text usable inside [Title] and #(tag): no brackets, no parentheses."""
    return _squash(re.sub(r"[\[\]()#]", " ", text)) or "unknown"


def claim_titles(claims: Sequence[Claim]) -> dict[str, str]:
    """Readable unique statement titles: "Analyst 1", "Analyst 2", ... in source order."""
    counts: dict[str, int] = {}
    out = {}
    for c in sorted(claims, key=lambda c: (c.analyst, c.document, c.start, c.id)):
        name = _safe_name(c.analyst)
        counts[name] = counts.get(name, 0) + 1
        out[c.id] = f"{name} {counts[name]}"
    return out


def _groups(claims: Sequence[Claim], issues: Sequence[Issue]) -> list[tuple[str, list[Claim]]]:
    by_id = {c.id: c for c in claims}
    seen: set[str] = set()
    groups = []
    for issue in issues:
        members = [by_id[c] for c in issue.claim_ids if c in by_id and c not in seen]
        seen.update(c.id for c in members)
        if members:
            groups.append((f"{issue.id}: {issue.label}", members))
    rest = [c for c in claims if c.id not in seen]
    if rest:
        groups.append(("Claims in no issue", rest))
    return groups


def to_argdown(claims: Sequence[Claim], issues: Sequence[Issue], relations: Sequence[Relation],
               documents: Mapping[str, Document], title: str = "argmap export") -> str:
    titles = claim_titles(claims)
    out_rel: dict[str, list[Relation]] = {}
    for r in relations:
        if r.a in titles and r.b in titles and r.kind in ("agree", "disagree"):
            out_rel.setdefault(r.a, []).append(r)
    lines = ["===", f"title: {json.dumps(title)}", "===", ""]
    for heading, members in _groups(claims, issues):
        lines += [f"# {argdown_escape(heading)}", ""]
        for c in members:
            doc = documents.get(c.document)
            src = ", ".join(x for x in ((doc.outlet if doc else c.document), doc.date if doc else "") if x)
            lines.append(f"[{titles[c.id]}]: {argdown_escape(c.text)} #({_safe_name(c.analyst)})")
            for r in sorted(out_rel.get(c.id, ()), key=lambda r: (r.kind, titles[r.b])):
                lines.append(f"  {'+>' if r.kind == 'agree' else '->'} [{titles[r.b]}]")
            lines.append(f"  // {_squash(src)}; claim {c.id}")
            lines.append("")
    return "\n".join(lines)


def to_aif(claims: Sequence[Claim], relations: Sequence[Relation], documents: Mapping[str, Document]) -> dict:
    nodes: list[dict] = []
    edges: list[dict] = []
    locutions: list[dict] = []
    people = {a: k for k, a in enumerate(sorted({c.analyst for c in claims}), start=1)}
    node_of: dict[str, str] = {}

    def node(text: str, kind: str, timestamp: str = "") -> str:
        nid = str(len(nodes) + 1)
        nodes.append({"nodeID": nid, "text": text, "type": kind, "timestamp": timestamp})
        return nid

    def edge(a: str, b: str) -> None:
        edges.append({"edgeID": len(edges) + 1, "fromID": a, "toID": b, "formEdgeID": None})

    for c in claims:
        doc = documents.get(c.document)
        stamp = f"{doc.date} 00:00:00" if doc and re.fullmatch(r"\d{4}-\d\d-\d\d", doc.date) else ""
        i = node_of[c.id] = node(_squash(c.text), "I", stamp)
        loc = node(f"{c.analyst}: {_squash(c.text)}", "L", stamp)
        ya = node("Asserting", "YA", stamp)
        edge(loc, ya)
        edge(ya, i)
        locutions.append({"nodeID": loc, "personID": people[c.analyst], "timestamp": stamp,
                          "source": (doc.url if doc and doc.url else c.document), "start": c.start, "end": c.end})
    for r in relations:
        if r.a in node_of and r.b in node_of and r.kind in ("agree", "disagree"):
            s = node("Default Inference" if r.kind == "agree" else "Default Conflict",
                     "RA" if r.kind == "agree" else "CA")
            edge(node_of[r.a], s)
            edge(s, node_of[r.b])
    participants = [{"participantID": k, "firstname": a, "surname": ""} for a, k in people.items()]
    return {"nodes": nodes, "edges": edges, "locutions": locutions, "participants": participants,
            "schemefulfillments": []}


def claims_csv(claims: Sequence[Claim], issues: Sequence[Issue], documents: Mapping[str, Document]) -> str:
    issue_of = {cid: iss for iss in issues for cid in iss.claim_ids}
    rows = [["claim_id", "analyst", "claim", "issue", "issue_label", "side", "central_to_issue", "document",
             "outlet", "date", "url", "paragraph"]]
    for c in claims:
        iss = issue_of.get(c.id)
        doc = documents.get(c.document)
        side = "" if iss is None else "pivot" if iss.pivot == c.id and (iss.disputing or len(iss.backing) > 1) else \
            {1: "backs the pivot", -1: "disputes the pivot", 0: ""}[iss.side(c.id)]
        rows.append([c.id, c.analyst, _squash(c.text), iss.id if iss else "", iss.label if iss else "", side,
                     "yes" if iss and iss.central_claim == c.id else "", c.document, doc.outlet if doc else "",
                     doc.date if doc else "", doc.url if doc else "", c.paragraph])
    return csv_text(rows)


def relations_csv(claims: Sequence[Claim], issues: Sequence[Issue], relations: Sequence[Relation]) -> str:
    by_id = {c.id: c for c in claims}
    labels = {i.id: i.label for i in issues}
    rows = [["relation", "confidence", "issue", "issue_label", "analyst_a", "claim_a", "analyst_b", "claim_b",
             "claim_a_id", "claim_b_id"]]
    for r in relations:
        a, b = by_id.get(r.a), by_id.get(r.b)
        if a is None or b is None:
            continue
        rows.append([r.kind, f"{r.score:.2f}", r.issue, labels.get(r.issue, ""), a.analyst, _squash(a.text),
                     b.analyst, _squash(b.text), r.a, r.b])
    return csv_text(rows)


def check_aif(aif: dict) -> list[str]:
    """Structural problems of an AIF document (empty list when it is well formed)."""
    problems = [f"missing key {k!r}" for k in ("nodes", "edges", "locutions") if k not in aif]
    if problems:
        return problems
    ids = {n["nodeID"] for n in aif["nodes"]}
    kind = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    if len(ids) != len(aif["nodes"]):
        problems.append("duplicate nodeID")
    for e in aif["edges"]:
        for end in ("fromID", "toID"):
            if e[end] not in ids:
                problems.append(f"edge {e['edgeID']}: {end} {e[end]} is not a node")
    for n in aif["nodes"]:
        if n["type"] in ("RA", "CA"):
            ins = [e for e in aif["edges"] if e["toID"] == n["nodeID"] and kind.get(e["fromID"]) == "I"]
            outs = [e for e in aif["edges"] if e["fromID"] == n["nodeID"] and kind.get(e["toID"]) == "I"]
            if not ins or len(outs) != 1:
                problems.append(f"{n['type']} node {n['nodeID']}: {len(ins)} premises, {len(outs)} conclusions")
    for loc in aif["locutions"]:
        if kind.get(loc["nodeID"]) != "L":
            problems.append(f"locution {loc['nodeID']} is not an L node")
    return problems
