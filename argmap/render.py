"""Graphviz argument maps: an overview of all issues and one map per issue.

Staged like argdown: the *map* stage (``issue_graph``, ``overview_graph``) builds a
``graphviz.Digraph`` from plain data (``MapData``), the *export* stage (``render_maps``)
runs Graphviz's ``dot`` and writes the files. Every style choice comes from
``argmap.style``. The same data gives byte-identical DOT text: every iteration is sorted
and node names derive from positions, never from hashing order.
"""
from __future__ import annotations

import html
import re
import subprocess
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import graphviz

from argmap import style
from argmap.errors import ArgmapError
from argmap.models import Claim, Document, Issue, Relation
from argmap.output import clean_text, make_folder, safe_url, write_all_atomic, write_atomic

FORMATS = ("svg", "png", "pdf", "dot")
DOT_MISSING = "Graphviz 'dot' was not found: install Debian's graphviz package"

__all__ = [
    "FORMATS",
    "MapData",
    "analyst_border",
    "analyst_palette",
    "issue_graph",
    "overview_graph",
    "render_maps",
    "write_map",
]


@dataclass(frozen=True)
class MapData:
    """Everything a map needs, already computed (no model, no torch, no database)."""

    documents: Mapping[str, Document]
    claims: Mapping[str, Claim]
    issues: Sequence[Issue]
    relations: Sequence[Relation]  # Relation.issue says which issue; a < b
    unclustered: Sequence[str] = ()  # claim ids in no issue

    @cached_property
    def relations_by_issue(self) -> tuple[dict[str, list[Relation]], dict[str, list[Relation]]]:
        """(relations by their issue id, relations with no issue id by their first claim), built
        once, so that thousands of issue maps do not each read every relation."""
        placed: dict[str, list[Relation]] = {}
        loose: dict[str, list[Relation]] = {}
        for r in self.relations:
            if r.issue:
                placed.setdefault(r.issue, []).append(r)
            else:
                loose.setdefault(r.a, []).append(r)
        return placed, loose


# --- palette -----------------------------------------------------------------------------


def analyst_palette(analysts: Iterable[str]) -> dict[str, str]:
    """Fill colour per analyst, the same on every map, in the report and in the handouts.

    Pass ALL analysts of the corpus: colours are assigned in sorted name order from
    ``style.ANALYST_PALETTE`` (24 colours) and repeat past its length; ``analyst_border`` then
    gives the repeats another border style. The dict is in sorted name order.
    """
    names = sorted({a for a in analysts})
    colors = style.ANALYST_COLORS
    return {name: colors[i % len(colors)] for i, name in enumerate(names)}


def analyst_border(palette: Mapping[str, str], analyst: str) -> str:
    """Border style of an analyst's nodes: the palette slot's own style, shifted by one for each
    round of repeated colours, so no two analysts share both colour and border (up to 96)."""
    if analyst not in palette:
        return style.ANALYST_BORDERS[0]
    slot, rounds = divmod(sorted(palette).index(analyst), len(style.ANALYST_PALETTE))[::-1]
    base = style.ANALYST_BORDERS.index(style.ANALYST_PALETTE[slot][1])
    return style.ANALYST_BORDERS[(base + rounds) % len(style.ANALYST_BORDERS)]


def fill(palette: Mapping[str, str], analyst: str) -> str:
    return palette.get(analyst, style.UNKNOWN_ANALYST_COLOR)


# --- sides -------------------------------------------------------------------------------


def _issue_key(issue: Issue) -> tuple:
    """Natural order of issue ids: issue-2 before issue-10."""
    parts = re.split(r"(\d+)", issue.id)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts), issue.label


def _in_issue(relation: Relation, issue: Issue, members: set[str]) -> bool:
    if relation.issue:
        return relation.issue == issue.id
    return relation.a in members and relation.b in members


def _relation_key(r: Relation) -> tuple:
    return (r.a, r.b, r.kind, r.score, r.issue)


def _issue_relations(issue: Issue, data: MapData) -> list[Relation]:
    members = set(issue.claim_ids)
    placed, loose = data.relations_by_issue
    found = placed.get(issue.id, []) + [r for c in issue.claim_ids for r in loose.get(c, ())]
    return sorted((r for r in found if _in_issue(r, issue, members)), key=_relation_key)


def _issue_analysts(issue: Issue, claims: Mapping[str, Claim]) -> list[str]:
    return sorted({claims[c].analyst for c in issue.claim_ids if c in claims})


def issue_sides(issue: Issue, claims: Mapping[str, Claim]) -> tuple[list[str], list[str], list[str]]:
    """Analysts of an issue by side: (back the pivot, dispute it, on the question without a
    side). An analyst with claims on both sides is listed on both."""
    backs = sorted({claims[c].analyst for c in issue.backing if c in claims})
    disputes = sorted({claims[c].analyst for c in issue.disputing if c in claims})
    rest = [a for a in _issue_analysts(issue, claims) if a not in backs and a not in disputes]
    return backs, disputes, rest


# --- text --------------------------------------------------------------------------------


_ENTITY_START = re.compile(r"&(?=[#\w])")
# after a backslash of the text: Graphviz replaces \N, \G, \E, \H, \T, \L with names in tooltips,
# URLs and HTML-like labels even when the backslash is escaped; an invisible WORD JOINER between
# the backslash and the letter keeps both as written
_LITERAL_BACKSLASH = "\\\u2060"


def esc(text: str) -> graphviz.quoting.NoHtml:
    """Any text as a DOT string (label, tooltip, URL, id, name): always quoted, never an HTML-like
    label. ``clean_text`` applied; \\ escaped and kept literal (``_LITERAL_BACKSLASH``: \\N, \\G, \\l
    stay as written), " and newline escaped; an & that could start an entity (&#1;, &amp;,
    a=1&b=2 in a URL) written &amp;, as Graphviz decodes entities and copies URLs into SVG
    unescaped."""
    text = _ENTITY_START.sub("&amp;", clean_text(text))
    return graphviz.nohtml(text.replace("\\", "\\" + _LITERAL_BACKSLASH).replace('"', '\\"').replace("\n", "\\n"))


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _squash(text: str) -> str:
    return " ".join(text.split())


def truncate(text: str, limit: int) -> str:
    """Keep the start of ``text``; cut at a word boundary and add an ellipsis."""
    text = _squash(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - len(style.ELLIPSIS)]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + style.ELLIPSIS


def short_name(name: str) -> str:
    """An analyst or document name as a map shows it: at most ``style.NAME_MAX_CHARS``."""
    return truncate(name, style.NAME_MAX_CHARS)


def wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]


def plain_label(lines: Sequence[str], justify: str = "\\l") -> graphviz.quoting.NoHtml:
    """Lines of a plain (non-HTML) label, each escaped and ended by a Graphviz break."""
    return graphviz.nohtml("".join(esc(line) + justify for line in lines))


def claim_label(lines: Sequence[str], who: str) -> graphviz.quoting.NoHtml:
    """A claim node's label: its text lines left-aligned, then ``who`` (the analyst's name, cut
    to ``style.NAME_MAX_CHARS``, with any prefix and tag) right-aligned."""
    return graphviz.nohtml(plain_label(lines) + plain_label([who], "\\r"))


def _h(text: str) -> str:
    """Escape text for an HTML-like label (``clean_text`` applied)."""
    return html.escape(clean_text(text), quote=True).replace("\\", _LITERAL_BACKSLASH)


def _html_lines(lines: Sequence[str]) -> str:
    return '<BR ALIGN="LEFT"/>'.join(_h(line) for line in lines) + '<BR ALIGN="LEFT"/>'


def tooltip(claim: Claim, documents: Mapping[str, Document]) -> str:
    """Who made the claim, in which document: each part cut to ``style.TOOLTIP_MAX_CHARS`` (a
    plain-text file's title is its first line, which may be a whole paragraph)."""
    doc = documents.get(claim.document)
    if doc is None:
        title, source = style.DOCUMENT_UNKNOWN.format(document=claim.document), ""
    else:
        title = _squash(doc.title) or doc.id
        extra = ", ".join(p for p in (_squash(doc.outlet), _squash(doc.date)) if p)
        source = f" — {truncate(extra, style.TOOLTIP_MAX_CHARS)}" if extra else ""
    cut = lambda text: truncate(text, style.TOOLTIP_MAX_CHARS)  # noqa: E731
    text = style.TOOLTIP.format(analyst=cut(claim.analyst), title=cut(title), source=source)
    return esc(text if len(text) <= 2 * style.TOOLTIP_MAX_CHARS else text[:2 * style.TOOLTIP_MAX_CHARS] + style.ELLIPSIS)


def _cell_border(palette: Mapping[str, str], analyst: str) -> str:
    cell_style, border = style.LEGEND_CELL_BORDER[analyst_border(palette, analyst)]
    return (f' STYLE="{cell_style}"' if cell_style else "") + f' BORDER="{border}"'


def title_label(title_lines: Sequence[str], notes: Sequence[str], legend_rows: Sequence[str]
                 ) -> str:
    """HTML-like graph label: title, grey notes, then the legend; placed top left."""
    rows = [f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="{style.TITLE_FONT_SIZE}">'
            f"<B>{_html_lines(title_lines)}</B></FONT></TD></TR>"]
    for note in notes:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{style.MUTED_COLOR}">{_h(note)}'
                    "</FONT></TD></TR>")
    if legend_rows:
        legend = "".join(legend_rows)
        rows.append(
            f'<TR><TD ALIGN="LEFT"><TABLE BORDER="1" COLOR="{style.LEGEND_BORDER_COLOR}" '
            f'BGCOLOR="{style.LEGEND_FILL}" CELLBORDER="0" CELLSPACING="{style.LEGEND_CELLSPACING}" '
            f'CELLPADDING="{style.LEGEND_CELLPADDING}">{legend}</TABLE></TD></TR>')
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="{style.TITLE_CELLPADDING}">'
            + "".join(rows) + "</TABLE>>")


def _legend_heading(text: str) -> str:
    return (f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{style.LEGEND_FONT_SIZE}" '
            f'COLOR="{style.MUTED_COLOR}"><B>{_h(text)}</B></FONT></TD></TR>')


def _legend_analysts(analysts: Sequence[str], palette: Mapping[str, str]) -> list[str]:
    per_row = style.LEGEND_ANALYSTS_PER_ROW
    rows = []
    for i in range(0, len(analysts), per_row):
        rows.append("<TR>" + "".join(
            f'<TD BGCOLOR="{fill(palette, a)}"{_cell_border(palette, a)}>'
            f'<FONT POINT-SIZE="{style.LEGEND_FONT_SIZE}">{_h(short_name(a))}</FONT></TD>'
            for a in analysts[i:i + per_row]) + "</TR>")
    grid = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{style.LEGEND_CHIP_SPACING}" '
            f'CELLPADDING="{style.LEGEND_CELLPADDING}">{"".join(rows)}</TABLE>')
    return [_legend_heading(style.LEGEND_ANALYSTS), f'<TR><TD ALIGN="LEFT">{grid}</TD></TR>']


def legend_edges(heading: str, agree: str, disagree: str, extra: str = "") -> list[str]:
    """A legend row: the agree line (unless ``agree`` is empty), the disagree line, a note."""
    agree_style, disagree_style = style.EDGE_STYLE[style.AGREE], style.EDGE_STYLE[style.DISAGREE]
    cells = ""
    if agree:
        cells += (
            f'<TD><FONT COLOR="{agree_style["color"]}"><B>{_h(style.LEGEND_AGREE_LINE)}</B>'
            f'</FONT></TD><TD ALIGN="LEFT"><FONT POINT-SIZE="{style.LEGEND_FONT_SIZE}">'
            f'{_h(agree)}</FONT></TD><TD> </TD>')
    cells += (
        f'<TD><FONT COLOR="{disagree_style["color"]}"><B>{_h(style.LEGEND_DISAGREE_LINE)}</B>'
        f'</FONT></TD><TD ALIGN="LEFT"><FONT POINT-SIZE="{style.LEGEND_FONT_SIZE}">'
        f'{_h(disagree)}</FONT></TD>')
    if extra:
        cells += (f'<TD> </TD><TD ALIGN="LEFT"><FONT POINT-SIZE="{style.LEGEND_FONT_SIZE}">'
                  f"{_h(extra)}</FONT></TD>")
    return [_legend_heading(heading),
            '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="{style.LEGEND_CELLPADDING}"><TR>{cells}</TR></TABLE></TD></TR>']


def new_graph(name: str, rankdir: str, ranksep: str) -> graphviz.Digraph:
    g = graphviz.Digraph(name=esc(name))
    g.attr("graph", rankdir=rankdir, nodesep=style.NODESEP, ranksep=ranksep,
           fontname=style.FONT, fontsize=str(style.FONT_SIZE), fontcolor=style.TEXT_COLOR,
           bgcolor=style.BACKGROUND, pad=style.PAD, labelloc="t", labeljust="l",
           splines=style.SPLINES, newrank="true", compound="true")
    g.attr("node", fontname=style.FONT, fontsize=str(style.FONT_SIZE),
           fontcolor=style.TEXT_COLOR)
    g.attr("edge", fontname=style.FONT, fontsize=str(style.EDGE_FONT_SIZE))
    return g


# --- issue map ---------------------------------------------------------------------------


def _drawable_relations(issue: Issue, data: MapData, among) -> list[Relation]:
    """The issue's relations an issue map can draw between claims in ``among`` (known kind,
    two different analysts), strongest first."""
    rels = [r for r in _issue_relations(issue, data)
            if r.a in among and r.b in among and r.kind in style.EDGE_STYLE
            and data.claims[r.a].analyst != data.claims[r.b].analyst]
    return sorted(rels, key=lambda r: (-r.score, _relation_key(r)))


def _shown_claims(issue: Issue, known: Sequence[str], data: MapData) -> list[str]:
    """The claims an issue map shows, most central first: past the cap, the pivot and the
    claims in the strongest relations come first, so that every drawn side can be followed."""
    if len(known) <= style.MAX_CLAIMS_PER_ISSUE:
        return list(known)
    chosen: dict[str, None] = dict.fromkeys(c for c in (issue.pivot,) if c in known)
    for r in _drawable_relations(issue, data, set(known)):
        if len(chosen) + (r.a not in chosen) + (r.b not in chosen) <= style.MAX_CLAIMS_PER_ISSUE:
            chosen.update(dict.fromkeys((r.a, r.b)))
    for c in known:
        if len(chosen) >= style.MAX_CLAIMS_PER_ISSUE:
            break
        chosen.setdefault(c)
    return [c for c in known if c in chosen]


def issue_graph(data: MapData, issue: Issue, palette: Mapping[str, str]) -> graphviz.Digraph:
    """One issue: its pivot and most central claims (those in relations first) coloured by
    analyst, in one column per side (backs the pivot, disputes it, no link), with
    agree/disagree edges between them, a legend and the issue label as title.

    Needs ``data.claims`` (text, analyst), ``data.documents`` (tooltips),
    ``data.relations`` and the corpus-wide ``palette`` from ``analyst_palette``.
    """
    known = [c for c in dict.fromkeys(issue.claim_ids) if c in data.claims]
    shown = _shown_claims(issue, known, data)
    hidden = len(known) - len(shown)
    position = {c: i for i, c in enumerate(shown)}
    node = {c: f"claim{i + 1}" for i, c in enumerate(shown)}
    analysts = _issue_analysts(issue, data.claims)

    strongest = _drawable_relations(issue, data, position)
    kept = strongest[: style.MAX_RELATIONS_PER_ISSUE]
    dropped = len(strongest) - len(kept)
    kept.sort(key=lambda r: (min(position[r.a], position[r.b]),
                             max(position[r.a], position[r.b]), _relation_key(r)))

    notes = [style.ISSUE_SUBTITLE.format(issue_id=issue.id, n_claims=len(known),
                                         s=_plural(len(known)), n_analysts=len(analysts),
                                         s2=_plural(len(analysts)))]
    if hidden:
        notes.append(style.MORE_CLAIMS.format(n=hidden, s=_plural(hidden)))
    if dropped:
        notes.append(style.MORE_RELATIONS.format(n=dropped, s=_plural(dropped)))
    shown_analysts = sorted({data.claims[c].analyst for c in shown})
    sided = bool(issue.disputing) or len(issue.backing) > 1
    legend = _legend_analysts(shown_analysts, palette) + legend_edges(
        style.LEGEND_EDGES, style.LEGEND_AGREE, style.LEGEND_DISAGREE,
        style.LEGEND_SIDES if sided else "")
    title = wrap(truncate(style.ISSUE_TITLE.format(label=issue.label, issue_id=issue.id),
                            style.ISSUE_LABEL_MAX_CHARS), style.ISSUE_LABEL_WRAP)

    g = new_graph(issue.id or "issue", style.ISSUE_RANKDIR, style.RANKSEP)
    g.attr("graph", label=title_label(title, notes, legend))
    g.attr("node", shape=style.CLAIM_SHAPE, margin=style.CLAIM_MARGIN,
           penwidth=style.CLAIM_PENWIDTH, color=style.CLAIM_BORDER_COLOR)

    def claim_node(target: graphviz.Digraph, cid: str) -> None:
        claim = data.claims[cid]
        text = wrap(truncate(claim.text, style.CLAIM_MAX_CHARS), style.CLAIM_WRAP)
        who = style.ANALYST_PREFIX + short_name(claim.analyst)
        label = claim_label(text, style.PIVOT_TAG + who if cid == issue.pivot and sided else who)
        attrs = {}
        doc = data.documents.get(claim.document)
        url = safe_url(doc.url) if doc is not None else ""
        if url:
            attrs.update(URL=esc(url), target="_blank")
        if cid == issue.pivot and sided:
            attrs.update(penwidth=style.PIVOT_PENWIDTH)
        target.node(node[cid], label=label, tooltip=tooltip(claim, data.documents),
                    fillcolor=fill(palette, claim.analyst),
                    style=f"{style.CLAIM_STYLE},{analyst_border(palette, claim.analyst)}",
                    id=esc(f"claim-{cid}"), **attrs)

    # one column per side, left to right: backs the pivot, disputes it, no link
    columns = [(style.SIDE_BACKS if sided else style.NO_SIDES, 1), (style.SIDE_DISPUTES, -1),
               (style.SIDE_NONE, 0)]

    def column(cid: str) -> int:
        return {1: 0, -1: 1, 0: 2 if sided else 0}[issue.side(cid)]

    links: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in kept:
        if column(r.a) == column(r.b):
            links[r.a].append((r.score, r.b))
            links[r.b].append((r.score, r.a))
    row: dict[str, int] = {}
    firsts: list[str] = []
    for k, (column_label, _) in enumerate(columns):
        members = _chain([c for c in shown if column(c) == k], links,
                         {c: (-1 if c == issue.pivot else position[c]) for c in shown})
        if not members:
            continue
        row.update((cid, i) for i, cid in enumerate(members))
        with g.subgraph(name=f"cluster_side{k + 1}") as sub:
            sub.attr(label=esc(column_label), style=style.CAMP_BOX_STYLE,
                     color=style.CAMP_BOX_COLOR, fillcolor=style.CAMP_BOX_FILL,
                     fontcolor=style.MUTED_COLOR, margin=style.CLUSTER_MARGIN)
            with sub.subgraph() as same:
                same.attr(rank="same")
                for cid in members:
                    claim_node(same, cid)
        firsts.append(node[members[0]])
    for tail, head in zip(firsts, firsts[1:]):
        g.edge(tail, head, style="invis")

    for r in kept:
        tail, head = sorted((r.a, r.b), key=lambda c: (column(c), row[c]))
        attrs = dict(style.EDGE_STYLE[r.kind])
        label = style.SCORE_FORMAT.format(r.score)
        attrs.update(fontcolor=attrs["color"], tooltip=esc(f"{r.kind} {label}"))
        if column(tail) == column(head):
            # within a column: a flat edge; the xlabel is placed after layout
            attrs["xlabel"] = esc(label)
        else:
            attrs["label"] = esc(label)
        g.edge(node[tail], node[head], **attrs)
    return g


def _chain(members: Sequence[str], links: Mapping[str, list[tuple[float, str]]],
           position: Mapping[str, int]) -> list[str]:
    """Order a column so that claims linked within it sit next to each other: start at the
    most central claim left, then follow its strongest link to a claim not yet placed."""
    order: list[str] = []
    remaining = set(members)
    while remaining:
        current: str | None = min(remaining, key=position.__getitem__)
        while current is not None:
            order.append(current)
            remaining.discard(current)
            nexts = [(-score, position[o], o) for score, o in links.get(current, ())
                     if o in remaining]
            current = min(nexts)[2] if nexts else None
    return order


# --- overview ----------------------------------------------------------------------------


def _side_label(heading: str, analysts: Sequence[str], palette: Mapping[str, str]) -> str:
    """One side as an HTML-like table: its heading, then its analysts' colour chips in rows."""
    names = list(analysts[: style.MAX_OVERVIEW_ANALYSTS])
    per_row = min(style.OVERVIEW_CAMP_COLUMNS, max(1, len(names)))
    rows = [f'<TR><TD COLSPAN="{per_row}" ALIGN="LEFT" BORDER="0"><FONT COLOR="{style.MUTED_COLOR}">'
            f"{_h(heading)}</FONT></TD></TR>"]
    for i in range(0, len(names), per_row):
        cells = "".join(f'<TD BGCOLOR="{fill(palette, a)}"{_cell_border(palette, a)}>{_h(short_name(a))}</TD>'
                        for a in names[i:i + per_row])
        rows.append(f"<TR>{cells}</TR>")
    if len(analysts) > len(names):
        rows.append(f'<TR><TD COLSPAN="{per_row}" BORDER="0"><FONT COLOR="{style.MUTED_COLOR}">'
                    f"{_h(style.MORE_ANALYSTS.format(n=len(analysts) - len(names)))}</FONT></TD></TR>")
    return (f'<<TABLE BORDER="1" STYLE="rounded" COLOR="{style.OVERVIEW_CAMP_COLOR}" '
            f'BGCOLOR="{style.OVERVIEW_CAMP_FILL}" CELLBORDER="1" CELLSPACING="{style.LEGEND_CHIP_SPACING}" '
            f'CELLPADDING="{style.LEGEND_CELLPADDING}">' + "".join(rows) + "</TABLE>>")


def overview_graph(data: MapData, palette: Mapping[str, str]) -> graphviz.Digraph:
    """All issues at a glance: per issue a box with its label (the question, in the pivot's
    words) holding one table of analysts per side: who backs the pivot, who disputes it (a red
    dashed edge between the two), and who speaks on it without a side.
    Past the cap, the issues with disagreements, then with relations, then with the most
    analysts are the ones shown.

    Needs ``data.issues`` (sides), ``data.claims`` (analysts), ``data.relations`` (the cap),
    ``data.unclustered`` (a count in the title) and the corpus-wide ``palette``.
    """
    issues = sorted(data.issues, key=_issue_key)
    linked = {r.issue for r in data.relations}
    ranked = sorted(issues, key=lambda i: (not i.disputing, i.id not in linked, -len(_issue_analysts(i, data.claims)),
                                           _issue_key(i)))
    keep = {i.id for i in ranked[: style.MAX_OVERVIEW_ISSUES]}
    shown = [i for i in issues if i.id in keep]
    all_analysts = sorted({a for i in issues for a in _issue_analysts(i, data.claims)})
    notes = []
    if len(issues) > len(shown):
        more = len(issues) - len(shown)
        notes.append(style.MORE_ISSUES.format(n=more, s=_plural(more)))
    unclustered = sorted(set(data.unclustered))
    if unclustered:
        notes.append(style.UNCLUSTERED_NOTE.format(n=len(unclustered),
                                                   s=_plural(len(unclustered))))
    legend = legend_edges(style.LEGEND_TITLE, "", style.OVERVIEW_LEGEND_DISAGREE,
                           style.OVERVIEW_LEGEND_SIDES)
    title = [style.OVERVIEW_TITLE.format(n_issues=len(issues), s=_plural(len(issues)),
                                         n_analysts=len(all_analysts),
                                         s2=_plural(len(all_analysts)))]

    g = new_graph("overview", style.OVERVIEW_RANKDIR, style.OVERVIEW_RANKSEP)
    g.attr("graph", label=title_label(title, notes, legend))
    disagree = dict(style.EDGE_STYLE[style.DISAGREE])
    # rankdir=LR stacks clusters bottom-up in input order: emit the last issue first
    for n, issue in reversed(list(enumerate(shown, start=1))):
        backs, disputes, rest = issue_sides(issue, data.claims)
        n_claims = sum(1 for c in dict.fromkeys(issue.claim_ids) if c in data.claims)
        heading = wrap(truncate(style.ISSUE_BOX_LABEL.format(issue_id=issue.id,
                                                               label=issue.label),
                                  style.ISSUE_LABEL_MAX_CHARS), style.ISSUE_LABEL_WRAP)
        counts = style.ISSUE_BOX_COUNTS.format(n_claims=n_claims, s=_plural(n_claims))
        label = (f"<<B>{_html_lines(heading)}</B>"
                 f'<FONT COLOR="{style.MUTED_COLOR}">{_h(counts)}</FONT><BR ALIGN="LEFT"/>>')
        sided = bool(disputes) or len(issue.backing) > 1
        tables = [(style.SIDE_BACKS if sided else style.NO_SIDES, backs if sided else rest),
                  (style.SIDE_DISPUTES, disputes), (style.SIDE_NONE, rest if sided else [])]
        with g.subgraph(name=f"cluster_issue{n}") as box:
            box.attr(label=label, style=f"{style.ISSUE_BOX_STYLE},filled",
                     color=style.ISSUE_BOX_COLOR, fillcolor=style.ISSUE_BOX_FILL,
                     fontsize=str(style.CLUSTER_FONT_SIZE), margin=style.CLUSTER_MARGIN)
            names: dict[int, str] = {}
            for k, (side_label, members) in enumerate(tables, start=1):
                if members:
                    names[k] = f"i{n}s{k}"
                    box.node(names[k], label=_side_label(side_label, members, palette), shape="plain",
                             tooltip=esc(f"{side_label}: " + truncate(", ".join(members), style.TOOLTIP_MAX_CHARS)))
            order = [names[k] for k in sorted(names)]
            for tail, head in zip(order, order[1:]):
                if (tail, head) != (names.get(1), names.get(2)):
                    g.edge(tail, head, style="invis")
        if 1 in names and 2 in names:
            g.edge(names[1], names[2], **disagree)
    return g


# --- export ------------------------------------------------------------------------------


def _issue_filenames(issues: Sequence[Issue]) -> list[str]:
    """File stems: the issue ids when they are distinct "issue-N", else issue-1, issue-2, ..."""
    ids = [issue.id for issue in issues]
    if len(set(ids)) == len(ids) and all(re.fullmatch(r"issue-\d+", i) for i in ids):
        return ids
    return [f"issue-{n}" for n in range(1, len(issues) + 1)]


def export(graph: graphviz.Digraph, fmt: str) -> bytes:
    if fmt == "dot":
        return graph.source.encode("utf-8")
    if fmt == "png":
        graph = graph.copy()
        graph.attr("graph", dpi=style.DPI)
    try:
        return graph.pipe(format=fmt, quiet=True)  # dot's warnings (Pango-CRITICAL on odd text) stay off the terminal
    except graphviz.ExecutableNotFound:
        raise ArgmapError(DOT_MISSING) from None
    except subprocess.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) \
            else str(exc.stderr or "")
        first = next((line for line in stderr.splitlines() if line.strip()), "")
        raise ArgmapError(f"Graphviz 'dot' failed on map {graph.name!r}: "
                          f"{first or 'exit status ' + str(exc.returncode)}") from None


def write_map(graph, path, fmt: str | None = None):
    """Render a graph to ``path`` (format from its suffix: svg, png, pdf or dot)."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower() or "svg"
    if fmt not in FORMATS:
        raise ArgmapError(f"{path}: unknown map format {fmt!r}: use one of {', '.join(FORMATS)}")
    try:
        make_folder(path.parent)
        write_atomic(path, export(graph, fmt))
    except OSError as e:
        raise ArgmapError(f"{path}: cannot write the map ({e.strerror or e})") from None
    return path


def render_maps(data: MapData, out_dir: Path, fmt: str = "svg") -> list[Path]:
    """Write overview.<fmt> and one issue-N.<fmt> per issue into ``out_dir``.

    fmt is svg, png, pdf or dot (DOT source, needs no Graphviz). Files are written
    atomically; issue-N.<fmt> files left by an earlier run with more issues are removed.
    Returns the written paths, overview first. Raises ArgmapError if ``dot`` is missing.
    """
    if fmt not in FORMATS:
        raise ArgmapError(f"unknown map format {fmt!r}: use one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    try:
        make_folder(out_dir)
    except OSError as exc:
        raise ArgmapError(f"{out_dir}: cannot create the map folder ({exc.strerror})") from None
    analysts = [c.analyst for c in data.claims.values()]
    palette = analyst_palette(analysts)
    jobs = [("overview", overview_graph(data, palette))]
    issues = sorted(data.issues, key=_issue_key)
    for stem, issue in zip(_issue_filenames(issues), issues):
        jobs.append((stem, issue_graph(data, issue, palette)))
    try:  # all the maps or none: a full disk, or Graphviz failing on one, leaves the earlier set whole
        written = write_all_atomic((out_dir / f"{stem}.{fmt}", export(graph, fmt)) for stem, graph in jobs)
        keep = {p.name for p in written}
        for old in sorted(out_dir.glob(f"issue-*.{fmt}")):
            if re.fullmatch(rf"issue-\d+\.{re.escape(fmt)}", old.name) and old.name not in keep:
                old.unlink()
    except OSError as exc:
        raise ArgmapError(f"{out_dir}: cannot write maps ({exc.strerror or exc})") from None
    return written
