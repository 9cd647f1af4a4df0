"""Debate preparation: the claims bearing on a motion, split FOR / AGAINST, clashes and questions.

Pure functions over plain data. The caller supplies claim vectors and the motion's vector
(any L2-normalised embedding, the same model for both) and a stance scorer
``stance(texts, motions) -> array in [-1, 1]`` (+1 = the text supports the motion), e.g.
``StanceModel.stance``. Nothing here opens the store or loads a model.

* relevance  cosine similarity of a claim to the motion (by default under argmap's question
             encoder: the same question, either side); claims below ``min_relevance``
             are left out, and if none reaches it the motion gets an error, not a pack
* side       FOR when stance >= ``min_stance``, AGAINST when <= -``min_stance``, else neutral
* strength   relevance × |stance| × (1 + ½·backers) × (½ + ½·centrality), where backers is the
             number of other analysts whose claims the store says agree with this one, and
             centrality is 1 for an issue's central claim falling to 0 for its last claim
             (0 outside any issue). ``STRENGTH_RULE`` says this in words for the handout.
* clash      a FOR claim and the AGAINST claim that answers it: a stored disagree relation
             between them first, else the most similar claim of the other side not yet in a
             clash (any, once all are)
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import render, style
from .errors import ArgmapError
from .models import Claim, Document, Issue, Relation

StanceFn = Callable[[list[str], list[str]], np.ndarray]

# cosine under argmap's question encoder: on PERSPECTRUM dev (each claim as the motion, all dev
# perspectives pooled) 0.50 keeps 82% of a claim's own perspectives at precision 0.26, where plain
# MiniLM cosine at the old 0.35 kept 85% at 0.16 (docs/quality.md)
MIN_RELEVANCE = 0.50
MIN_STANCE = 0.15
STRENGTH_RULE = ("Strength = relevance to the motion × how clearly the claim takes a side × "
                 "(1 + ½ × other analysts who agree with it) × (½ + ½ × how central it is in its issue).")


@dataclass(frozen=True)
class DebateClaim:
    ref: str  # "F1", "A3": numbered strongest first
    claim: Claim
    document: Document | None
    relevance: float
    stance: float
    strength: float
    backers: tuple[str, ...] = ()
    centrality: float = 0.0
    issue: Issue | None = None

    @property
    def side(self) -> str:
        return "for" if self.stance > 0 else "against"

    def source(self) -> str:
        d = self.document
        return ", ".join(x for x in ((d.outlet or d.title), d.date) if x) if d else self.claim.document

    def to_dict(self) -> dict:
        d = self.document
        return {"ref": self.ref, "side": self.side, "analyst": self.claim.analyst, "text": self.claim.text,
                "claim": self.claim.id, "document": self.claim.document,
                "outlet": d.outlet if d else "", "date": d.date if d else "", "url": d.url if d else "",
                "relevance": round(self.relevance, 3), "stance": round(self.stance, 3),
                "strength": round(self.strength, 3), "backers": list(self.backers),
                "issue": self.issue.id if self.issue else ""}


@dataclass(frozen=True)
class Clash:
    pro: DebateClaim
    con: DebateClaim
    reason: str  # "stored disagreement" | "closest opposing claim"
    score: float

    def to_dict(self) -> dict:
        return {"for": self.pro.ref, "against": self.con.ref, "reason": self.reason, "score": round(self.score, 3)}


@dataclass(frozen=True)
class Question:
    asked_by: str  # "for" | "against": the side that puts the question
    target: DebateClaim  # the other side's claim it is built from
    text: str


@dataclass(frozen=True)
class DebatePack:
    motion: str
    prepared: str  # date
    pro: tuple[DebateClaim, ...]
    con: tuple[DebateClaim, ...]
    clashes: tuple[Clash, ...]
    questions: tuple[Question, ...]
    neutral: int  # relevant claims that take no clear side
    min_relevance: float
    sources: tuple[Document, ...] = field(default=())

    def analysts(self, side: str) -> list[str]:
        return sorted({d.claim.analyst for d in (self.pro if side == "for" else self.con)})


def slug(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return (s[:limit].rsplit("-", 1)[0] if len(s) > limit else s) or "motion"


def shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") + "…"


def prepare_debate(motion: str, claims: Sequence[Claim], documents: Mapping[str, Document],
                   issues: Sequence[Issue], relations: Sequence[Relation], claim_vectors: np.ndarray,
                   motion_vector: np.ndarray, stance: StanceFn, *, min_relevance: float = MIN_RELEVANCE,
                   min_stance: float = MIN_STANCE, per_side: int = 10, max_clashes: int = 8,
                   questions_per_side: int = 4, prepared: str = "") -> DebatePack:
    motion = " ".join(motion.split())
    if not motion:
        raise ArgmapError("the motion is empty: give it in quotes, e.g. argmap debate \"Schools should ban phones\"")
    if not claims:
        raise ArgmapError("the store has no claims yet: run `argmap ingest` first")
    vecs = np.asarray(claim_vectors, dtype=np.float32)
    rel = vecs @ np.asarray(motion_vector, dtype=np.float32).reshape(-1)
    keep = [i for i in np.argsort(-rel, kind="stable") if rel[i] >= min_relevance]
    if not keep:
        raise ArgmapError(
            f"nothing in the corpus bears on the motion \u201c{motion}\u201d (closest claim scores "
            f"{float(rel.max()):.2f}, below {min_relevance:.2f}): word it with the articles' own terms "
            "or lower --min-relevance")
    st = np.asarray(stance([claims[i].stance_text for i in keep], [motion] * len(keep)), dtype=np.float32)

    issue_of = {cid: iss for iss in issues for cid in iss.claim_ids}
    by_id = {c.id: c for c in claims}
    backers: dict[str, set[str]] = {}
    for r in relations:
        if r.kind == "agree" and r.a in by_id and r.b in by_id and by_id[r.a].analyst != by_id[r.b].analyst:
            backers.setdefault(r.a, set()).add(by_id[r.b].analyst)
            backers.setdefault(r.b, set()).add(by_id[r.a].analyst)

    scored: list[tuple[int, DebateClaim]] = []
    neutral = 0
    for i, s in zip(keep, st):
        if abs(float(s)) < min_stance:
            neutral += 1
            continue
        c = claims[i]
        iss = issue_of.get(c.id)
        cent = 1.0 - iss.claim_ids.index(c.id) / len(iss.claim_ids) if iss else 0.0
        back = tuple(sorted(backers.get(c.id, ())))
        strength = float(rel[i]) * abs(float(s)) * (1 + 0.5 * len(back)) * (0.5 + 0.5 * cent)
        scored.append((i, DebateClaim("", c, documents.get(c.document), float(rel[i]), float(s),
                                      strength, back, cent, iss)))
    if not scored:
        raise ArgmapError(
            f"{neutral} claims touch on the motion \u201c{motion}\u201d but none clearly argues for or against it: "
            "state the motion as a clear position, or lower --min-stance")
    index: dict[str, int] = {}
    sides = {}
    for side, sign, letter in (("for", 1, "F"), ("against", -1, "A")):
        items = sorted((t for t in scored if np.sign(t[1].stance) == sign),
                       key=lambda t: (-t[1].strength, t[1].claim.id))[:per_side]
        out = []
        for k, (i, dc) in enumerate(items, start=1):
            out.append(DebateClaim(f"{letter}{k}", dc.claim, dc.document, dc.relevance, dc.stance,
                                   dc.strength, dc.backers, dc.centrality, dc.issue))
            index[dc.claim.id] = i
        sides[side] = tuple(out)
    pro, con = sides["for"], sides["against"]
    clashes = find_clashes(pro, con, relations, vecs, index, max_clashes)
    questions = make_questions(pro, con, clashes, questions_per_side)
    used = {d.claim.document for d in pro + con}
    sources = tuple(documents[d] for d in sorted(used) if d in documents)
    return DebatePack(motion, prepared, pro, con, clashes, questions, neutral, min_relevance, sources)


def find_clashes(pro: Sequence[DebateClaim], con: Sequence[DebateClaim], relations: Sequence[Relation],
                 vecs: np.ndarray, index: Mapping[str, int], limit: int) -> tuple[Clash, ...]:
    """Each claim (strongest first) paired with the opposing claim that answers it, once per pair."""
    disagree = {}
    for r in relations:
        if r.kind == "disagree":
            disagree[(r.a, r.b)] = disagree[(r.b, r.a)] = r.score
    out: list[Clash] = []
    seen: set[tuple[str, str]] = set()
    paired: set[str] = set()
    order = sorted(list(pro) + list(con), key=lambda d: (-d.strength, d.ref))
    for d in order:
        others = con if d.side == "for" else pro
        if not others:
            break
        stored = [(disagree[(d.claim.id, o.claim.id)], o) for o in others if (d.claim.id, o.claim.id) in disagree]
        if stored:
            score, o = max(stored, key=lambda t: (t[0], -t[1].strength))
            reason = "stored disagreement"
        else:  # the most similar opposing claim, preferring one not yet paired
            sims = [(o.ref not in paired, float(vecs[index[d.claim.id]] @ vecs[index[o.claim.id]]), o)
                    for o in others]
            _, score, o = max(sims, key=lambda t: (t[0], t[1], -len(t[2].ref), t[2].ref))
            reason = "closest opposing claim"
        pro_c, con_c = (d, o) if d.side == "for" else (o, d)
        if (pro_c.ref, con_c.ref) in seen:
            continue
        seen.add((pro_c.ref, con_c.ref))
        paired.update((pro_c.ref, con_c.ref))
        out.append(Clash(pro_c, con_c, reason, score))
        if len(out) >= limit:
            break
    return tuple(out)


def short_analyst(analyst: str) -> str:
    """An analyst's name in the pack's text (questions, handout, Markdown): at most style.PAGE_NAME_MAX_CHARS."""
    return render.truncate(analyst, style.PAGE_NAME_MAX_CHARS)


def make_questions(pro: Sequence[DebateClaim], con: Sequence[DebateClaim], clashes: Sequence[Clash],
                   per_side: int) -> tuple[Question, ...]:
    """Questions each side can put to the other, built only from the other side's own quotes."""
    answer = {}
    for c in clashes:
        answer.setdefault(c.con.ref, c.pro)
        answer.setdefault(c.pro.ref, c.con)
    out = []
    for asked_by, targets in (("for", con), ("against", pro)):
        for k, t in enumerate(targets[:per_side]):
            who, quote = short_analyst(t.claim.analyst), shorten(t.claim.text)
            mine = answer.get(t.ref)
            theirs = short_analyst(mine.claim.analyst) if mine else ""
            if mine is None:
                text = (f"{who} claims that \u201c{quote}\u201d ({t.ref}). What evidence supports this, "
                        "and what would show it to be wrong?")
            elif k % 3 == 0:
                text = (f"{who} claims that \u201c{quote}\u201d ({t.ref}). What evidence supports this, and how "
                        f"does it square with {theirs}'s point that \u201c{shorten(mine.claim.text)}\u201d "
                        f"({mine.ref})?")
            elif k % 3 == 1:
                text = (f"{theirs} argues that \u201c{shorten(mine.claim.text)}\u201d ({mine.ref}). "
                        f"How does {who}'s claim that \u201c{quote}\u201d ({t.ref}) answer that?")
            else:
                text = (f"{who} says \u201c{quote}\u201d ({t.ref}). Does this hold in every case, and which "
                        f"source shows it? {theirs} sees it differently ({mine.ref}).")
            out.append(Question(asked_by, t, text))
    return tuple(out)


# --- map -----------------------------------------------------------------------------------

def debate_graph(pack: DebatePack, palette: Mapping[str, str], per_side: int | None = None):
    """Graphviz map: FOR claims left, the motion in the middle, AGAINST right, clashes as edges."""

    cap = per_side or getattr(style, "DEBATE_MAX_CLAIMS_PER_SIDE", 8)
    pro, con = pack.pro[:cap], pack.con[:cap]
    g = render.new_graph("debate", "LR", getattr(style, "DEBATE_RANKSEP", "1.2"))
    title = render.wrap(getattr(style, "DEBATE_TITLE", "Motion: {motion}").format(motion=pack.motion),
                         style.ISSUE_LABEL_WRAP)
    legend = render.legend_edges(style.LEGEND_EDGES, getattr(style, "DEBATE_LEGEND_SUPPORT", "supports the motion"),
                                  getattr(style, "DEBATE_LEGEND_CLASH", "undermines the motion / clash"))
    g.attr("graph", label=render.title_label(title, [], legend))
    g.attr("node", shape=style.CLAIM_SHAPE, margin=style.CLAIM_MARGIN, penwidth=style.CLAIM_PENWIDTH,
           color=style.CLAIM_BORDER_COLOR)
    motion_lines = render.wrap(pack.motion, getattr(style, "DEBATE_MOTION_WRAP", 28))
    g.node("motion", label=render.plain_label(motion_lines, "\\n"),
           shape=getattr(style, "DEBATE_MOTION_SHAPE", "box"),
           style=getattr(style, "DEBATE_MOTION_STYLE", "rounded,filled,bold"),
           fillcolor=getattr(style, "DEBATE_MOTION_FILL", "#FFF6D5"),
           fontsize=str(getattr(style, "DEBATE_MOTION_FONT_SIZE", style.TITLE_FONT_SIZE)))
    for k, (name, items) in enumerate(((getattr(style, "DEBATE_FOR_LABEL", "FOR the motion"), pro),
                                       (getattr(style, "DEBATE_AGAINST_LABEL", "AGAINST the motion"), con))):
        with g.subgraph(name=f"cluster_{'for' if k == 0 else 'against'}") as sub:
            sub.attr(label=render.esc(name), style=style.CAMP_BOX_STYLE, color=style.CAMP_BOX_COLOR,
                     fillcolor=style.CAMP_BOX_FILL, fontcolor=style.MUTED_COLOR, margin=style.CLUSTER_MARGIN,
                     fontsize=str(style.CLUSTER_FONT_SIZE))
            for d in items:
                text = render.wrap(render.truncate(d.claim.text, style.CLAIM_MAX_CHARS), style.CLAIM_WRAP)
                label = render.claim_label([d.ref] + text, style.ANALYST_PREFIX + render.short_name(d.claim.analyst))
                sub.node(d.ref, label=label, fillcolor=render.fill(palette, d.claim.analyst),
                         style=f"{style.CLAIM_STYLE},{render.analyst_border(palette, d.claim.analyst)}",
                         tooltip=render.esc(render.truncate(f"{d.claim.analyst}, {d.source()}", 2 * style.TOOLTIP_MAX_CHARS)))
    agree, disagree = style.EDGE_STYLE[style.AGREE], style.EDGE_STYLE[style.DISAGREE]
    for d in pro:
        g.edge(d.ref, "motion", color=agree["color"], penwidth=agree["penwidth"], style=agree["style"])
    for d in con:
        g.edge("motion", d.ref, color=disagree["color"], penwidth=disagree["penwidth"], style="solid",
               dir="back", arrowtail="tee")
    shown = {d.ref for d in pro + con}
    for c in pack.clashes:
        if c.pro.ref in shown and c.con.ref in shown:
            g.edge(c.pro.ref, c.con.ref, constraint="false", **{**disagree, "penwidth": "1.4"})
    return g
