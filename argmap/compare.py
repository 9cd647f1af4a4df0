"""Compare two viewpoints (analysts or documents) issue by issue, and draw them side by side.

Pure functions over plain data: lists of Claim, Issue, Relation and Document. Nothing
here opens the store or loads a model.

An issue is *shared* when both sides have claims in it. A shared issue is classified by
the stored relations that link one side's claim to the other side's claim in that issue:

* ``agree``     only agree relations between them
* ``disagree``  only disagree relations
* ``mixed``     both kinds
* ``unlinked``  both speak, but no stored relation links their claims

An issue where only one side has claims is ``a_only`` or ``b_only``: what that side says
and the other does not address. Relations between A's and B's claims that lie in different
issues (or in none) are listed apart, as links across issues (``Comparison.across``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .errors import ArgmapError
from .models import Claim, Document, Issue, Relation
from .output import find_name

SHARED_KINDS = ("disagree", "mixed", "agree", "unlinked")
ALONE_KINDS = ("a_only", "b_only")


@dataclass(frozen=True)
class Side:
    """One viewpoint: all claims of an analyst, or all claims of a document."""

    name: str  # as stored (analyst name or document id)
    kind: str  # "analyst" | "document"
    label: str  # how to print it

    def owns(self, claim: Claim) -> bool:
        return claim.analyst == self.name if self.kind == "analyst" else claim.document == self.name


def resolve_side(name: str, analysts: Sequence[str], documents: Sequence[Document]) -> Side:
    """Resolve a name against analysts first (case-insensitive, or as printed: ``find_name``),
    then document ids."""
    analyst = find_name(name, analysts)
    if analyst is not None:
        return Side(analyst, "analyst", analyst)
    wanted = name.strip().casefold()
    for d in documents:
        if d.id.casefold() == wanted:
            return Side(d.id, "document", f"{d.id} ({d.outlet})" if d.outlet else d.id)
    raise ArgmapError(
        f"{name!r} is neither an analyst nor a document id (see `argmap analysts` and `argmap documents`)")


@dataclass(frozen=True)
class IssueComparison:
    issue: Issue
    kind: str  # see module docstring
    a_claims: tuple[Claim, ...]
    b_claims: tuple[Claim, ...]
    relations: tuple[Relation, ...] = ()  # between an A claim and a B claim, strongest first

    def to_dict(self) -> dict:
        return {
            "type": "issue", "issue": self.issue.id, "label": self.issue.label, "kind": self.kind,
            "a_claims": [c.to_dict() for c in self.a_claims],
            "b_claims": [c.to_dict() for c in self.b_claims],
            "relations": [r.to_dict() for r in self.relations],
        }


@dataclass(frozen=True)
class Comparison:
    a: Side
    b: Side
    issues: tuple[IssueComparison, ...] = ()  # shared first (disagree, mixed, agree, unlinked), then alone
    counts: Mapping[str, int] = field(default_factory=dict)
    # A-B relations whose claims are in different issues (or none): (relation, A's claim, B's claim)
    across: tuple[tuple[Relation, Claim, Claim], ...] = ()

    def of_kind(self, *kinds: str) -> list[IssueComparison]:
        return [i for i in self.issues if i.kind in kinds]

    def summary(self) -> str:
        c = self.counts
        shared = sum(c.get(k, 0) for k in SHARED_KINDS)
        parts = [f"agree on {c.get('agree', 0)}", f"disagree on {c.get('disagree', 0)}"]
        if c.get("mixed"):
            parts.append(f"mixed on {c['mixed']}")
        if c.get("unlinked"):
            parts.append(f"no direct link on {c['unlinked']}")
        across = ""
        if self.across:
            rels = [r for r, _, _ in self.across]
            kinds = [k for k in ("disagree", "agree") if any(r.kind == k for r in rels)]
            across = (f" Across issues: {_n(len(rels), 'link')} "
                      f"({', '.join(f'{sum(r.kind == k for r in rels)} {k}' for k in kinds)}).")
        return (f"{self.a.label} and {self.b.label}: {_n(shared, 'shared issue')} — {', '.join(parts)}; "
                f"{self.a.label} alone on {_n(c.get('a_only', 0), 'issue')}, "
                f"{self.b.label} alone on {_n(c.get('b_only', 0), 'issue')}.{across}")

    def to_dict(self) -> dict:
        return {"type": "summary", "a": self.a.name, "a_kind": self.a.kind, "b": self.b.name,
                "b_kind": self.b.kind, "summary": self.summary(),
                **{k: self.counts.get(k, 0) for k in SHARED_KINDS + ALONE_KINDS},
                "across_issues": [r.to_dict() for r, _, _ in self.across]}


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def within_issues(relations: Iterable[Relation], issues: Sequence[Issue]) -> Iterator[tuple[str, Relation]]:
    """(issue id, relation) for each relation and each issue holding both its claims (only its own
    issue when the relation names one): relations grouped by issue in one pass, not one scan of
    every relation for every issue."""
    issues_of: dict[str, list[str]] = {}
    for issue in issues:
        for cid in issue.claim_ids:
            issues_of.setdefault(cid, []).append(issue.id)
    for r in relations:
        for iid in sorted(set(issues_of.get(r.a, ())) & set(issues_of.get(r.b, ()))):
            if not r.issue or r.issue == iid:
                yield iid, r


def classify(relations: Sequence[Relation]) -> str:
    return classify_kinds({r.kind for r in relations})


def classify_kinds(kinds: set[str]) -> str:
    """How two sides stand on an issue, from the kinds of the links between their claims there."""
    if "agree" in kinds and "disagree" in kinds:
        return "mixed"
    if "disagree" in kinds:
        return "disagree"
    if "agree" in kinds:
        return "agree"
    return "unlinked"


def compare(a: Side, b: Side, claims: Sequence[Claim], issues: Sequence[Issue],
            relations: Sequence[Relation]) -> Comparison:
    """Split the issues into shared (agree/disagree/mixed/unlinked) and a_only/b_only."""
    if a.kind == b.kind and a.name == b.name:
        raise ArgmapError(f"cannot compare {a.label} with itself: name two different analysts or documents")
    by_id = {c.id: c for c in claims}
    a_ids = {c.id for c in claims if a.owns(c)}
    b_ids = {c.id for c in claims if b.owns(c)} - a_ids  # a claim is on one side only
    between = [r for r in relations if (r.a in a_ids and r.b in b_ids) or (r.a in b_ids and r.b in a_ids)]
    linked: dict[str, list[Relation]] = {}  # issue -> the links between A and B among its claims
    for iid, r in within_issues(between, issues):
        if r.a in by_id and r.b in by_id:
            linked.setdefault(iid, []).append(r)
    rank = {"disagree": 0, "mixed": 1, "agree": 2, "unlinked": 3, "a_only": 4, "b_only": 5}
    rows: list[tuple[tuple, IssueComparison]] = []
    for pos, issue in enumerate(issues):
        members = [cid for cid in issue.claim_ids if cid in by_id]
        in_a = tuple(by_id[c] for c in members if c in a_ids)
        in_b = tuple(by_id[c] for c in members if c in b_ids)
        if not in_a and not in_b:
            continue
        if in_a and in_b:
            links = sorted(linked.get(issue.id, ()), key=lambda r: (-r.score, r.a, r.b))
            kind = classify(links)
        else:
            links, kind = [], ("a_only" if in_a else "b_only")
        rows.append(((rank[kind], pos), IssueComparison(issue, kind, in_a, in_b, tuple(links))))
    rows.sort(key=lambda t: t[0])
    counts = {k: 0 for k in SHARED_KINDS + ALONE_KINDS}
    for _, ic in rows:
        counts[ic.kind] += 1
    issue_of = {cid: issue.id for issue in issues for cid in issue.claim_ids}
    across = sorted(((r, by_id[r.a], by_id[r.b]) if r.a in a_ids else (r, by_id[r.b], by_id[r.a])
                     for r in between if issue_of.get(r.a) is None or issue_of.get(r.a) != issue_of.get(r.b)),
                    key=lambda t: (t[0].kind != "disagree", -t[0].score, t[0].a, t[0].b))
    return Comparison(a, b, tuple(ic for _, ic in rows), counts, tuple(across))


# --- map -----------------------------------------------------------------------------------

def comparison_graph(cmp: Comparison, documents: Mapping[str, Document], palette: Mapping[str, str]):
    """Graphviz map: A's claims in a left box, B's in a right box, agree/disagree edges between.

    Shows the shared issues (linked claims first, most contentious issues first), then the
    most central claim of each issue only one side speaks on, up to
    ``style.COMPARE_MAX_CLAIMS_PER_SIDE`` claims per side.
    """
    from . import render, style

    cap = getattr(style, "COMPARE_MAX_CLAIMS_PER_SIDE", 12)
    shared = cmp.of_kind(*SHARED_KINDS)
    left: list[Claim] = []
    right: list[Claim] = []
    rels: list[Relation] = []
    for r, ca, cb in cmp.across:  # links across issues first: they are found clashes too
        if ca.id not in {c.id for c in left} and len(left) < cap:
            left.append(ca)
        if cb.id not in {c.id for c in right} and len(right) < cap:
            right.append(cb)
        rels.append(r)
    for ic in shared:
        linked = {x for r in ic.relations for x in (r.a, r.b)}
        for side, mine in ((left, ic.a_claims), (right, ic.b_claims)):
            have = {c.id for c in side}
            ordered = [c for c in mine if c.id in linked] + [c for c in mine if c.id not in linked][:1]
            side.extend(c for c in ordered if len(side) < cap and c.id not in have)
        rels.extend(ic.relations)
    for ic in cmp.of_kind(*ALONE_KINDS):  # then what each says alone: the issue's most central claim
        side, mine = (left, ic.a_claims) if ic.kind == "a_only" else (right, ic.b_claims)
        if len(side) < cap and mine[0].id not in {c.id for c in side}:
            side.append(mine[0])
    shown = {c.id for c in left + right}
    rels = [r for r in rels if r.a in shown and r.b in shown]
    node = {c.id: f"{k}{i + 1}" for k, side in (("a", left), ("b", right)) for i, c in enumerate(side)}
    issue_of = {c.id: ic.issue for ic in cmp.issues for c in ic.a_claims + ic.b_claims}

    g = render.new_graph("comparison", "LR", getattr(style, "COMPARE_RANKSEP", style.RANKSEP))
    # the map names the sides by their labels cut to style.NAME_MAX_CHARS (tooltips keep them whole)
    cmp = replace(cmp, a=replace(cmp.a, label=render.short_name(cmp.a.label)),
                  b=replace(cmp.b, label=render.short_name(cmp.b.label)))
    title = render.wrap(f"{cmp.a.label}  vs  {cmp.b.label}", style.ISSUE_LABEL_WRAP)
    notes = [cmp.summary()]
    if not left or not right:
        notes.append(getattr(style, "COMPARE_NOTHING_SHARED", "They speak on no common issue."))
    legend = render.legend_edges(style.LEGEND_EDGES, style.LEGEND_AGREE, style.LEGEND_DISAGREE)
    notes = [line for n in notes for line in render.wrap(n, getattr(style, "COMPARE_NOTE_WRAP", 90))]
    g.attr("graph", label=render.title_label(title, notes, legend))
    g.attr("node", shape=style.CLAIM_SHAPE, margin=style.CLAIM_MARGIN, penwidth=style.CLAIM_PENWIDTH,
           color=style.CLAIM_BORDER_COLOR)
    for k, (side, items) in enumerate(((cmp.a, left), (cmp.b, right))):
        with g.subgraph(name=f"cluster_side{k + 1}") as sub:
            sub.attr(label=render.esc(side.label), style=style.CAMP_BOX_STYLE, color=style.CAMP_BOX_COLOR,
                     fillcolor=style.CAMP_BOX_FILL, fontcolor=style.MUTED_COLOR, margin=style.CLUSTER_MARGIN,
                     fontsize=str(style.CLUSTER_FONT_SIZE))
            with sub.subgraph() as same:
                same.attr(rank="same")
                for c in items:
                    text = render.wrap(render.truncate(c.text, style.CLAIM_MAX_CHARS), style.CLAIM_WRAP)
                    issue = issue_of.get(c.id)
                    tag = getattr(style, "COMPARE_ISSUE_TAG", "[{issue_id}]").format(issue_id=issue.id) if issue else ""
                    label = render.claim_label(
                        text, f"{style.ANALYST_PREFIX}{render.short_name(c.analyst)}  {tag}".rstrip())
                    same.node(node[c.id], label=label, fillcolor=render.fill(palette, c.analyst),
                              style=f"{style.CLAIM_STYLE},{render.analyst_border(palette, c.analyst)}",
                              tooltip=render.tooltip(c, documents))
    if left and right:
        g.edge(node[left[0].id], node[right[0].id], style="invis")
    for r in rels:
        tail, head = (r.a, r.b) if r.a in {c.id for c in left} else (r.b, r.a)
        attrs = dict(style.EDGE_STYLE[r.kind])
        score = style.SCORE_FORMAT.format(r.score)
        attrs.update(label=score, fontcolor=attrs["color"], tooltip=render.esc(f"{r.kind} {score}"))
        g.edge(node[tail], node[head], **attrs)
    return g
