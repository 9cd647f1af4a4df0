"""Stance matrix (analysts × issues) and agreement matrix (analysts × analysts).

Pure functions over plain data, plus matplotlib pictures (Agg backend) and CSV text (text cells
that a spreadsheet would run as a formula start with ', see ``output.csv_text``).

Rule for a cell (analyst, issue), stated in ``RULE`` and printed by ``argmap matrix --help``:
each issue has a pivot claim and sides (argmap/issues.py: the relations followed outward from
the pivot, strongest first; agree = same side, disagree = the other side).

* for      all the analyst's claims with a side back the pivot (or are it)
* against  all dispute it
* mixed    some on each side
* speaks   the analyst has claims in the issue but none on a side
* silent   no claims in the issue

An issue is *divisive* when a stored disagree relation links two of its claims by
different analysts, *consensus* when at least two analysts speak, they are linked by at
least one agree relation and nothing disagrees, and *open* otherwise.

Agreement of two analysts: over the issues where both speak, ``argmap.compare`` classifies
each issue as agree/disagree/mixed/unlinked from the relations between their claims;
agreement share = agree ÷ shared, score = (agree − disagree) ÷ shared, in [-1, 1].
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .compare import classify_kinds, within_issues
from .models import Claim, Issue, Relation
from .output import clean_text, csv_text

POSITIONS = ("for", "against", "mixed", "speaks", "silent")
SYMBOL = {"for": "+", "against": "−", "mixed": "±", "speaks": "•", "silent": ""}
RULE = (
    "A cell is the analyst's position on the issue's question, relative to its pivot claim (the claim the "
    "others most agree or disagree with). Sides follow the stored agree/disagree relations outward from the "
    "pivot, strongest first (agree = same side, disagree = the other side). FOR: all the analyst's claims "
    "with a side back the pivot (or are it); AGAINST: all dispute it; MIXED: some on each side; SPEAKS: claims "
    "in the issue but none on a side; SILENT: no claims in the issue. An issue is DIVISIVE when any disagree "
    "relation links two of its claims, CONSENSUS when two or more analysts speak, at least one agree relation "
    "links them and none disagrees. Agreement of two analysts = (shared issues where their claims agree - "
    "where they disagree) / shared issues.")


@dataclass(frozen=True)
class StanceMatrix:
    analysts: tuple[str, ...]
    issues: tuple[Issue, ...]
    cells: dict  # (analyst, issue id) -> position
    verdict: dict  # issue id -> "consensus" | "divisive" | "open"

    def cell(self, analyst: str, issue_id: str) -> str:
        return self.cells.get((analyst, issue_id), "silent")


def camps(issue: Issue) -> dict[str, int]:
    """claim id -> +1 (backs the pivot) or -1 (disputes it), for the claims on a side."""
    return {c: issue.side(c) for c in issue.claim_ids if issue.side(c)}


def stance_matrix(claims: Sequence[Claim], issues: Sequence[Issue], relations: Sequence[Relation],
                  analysts: Sequence[str] | None = None) -> StanceMatrix:
    analyst_of = {c.id: c.analyst for c in claims}
    names = tuple(analysts) if analysts is not None else tuple(sorted({c.analyst for c in claims}))
    linked: dict[str, set[str]] = {}  # issue -> kinds of the relations between two analysts in it
    for iid, r in within_issues(relations, issues):
        if r.a in analyst_of and r.b in analyst_of and analyst_of[r.a] != analyst_of[r.b]:
            linked.setdefault(iid, set()).add(r.kind)
    cells: dict = {}
    verdict: dict = {}
    for issue in issues:
        camp = camps(issue)
        signs: dict[str, set[int]] = {}
        for cid in issue.claim_ids:
            if cid in analyst_of:
                signs.setdefault(analyst_of[cid], set())
                if cid in camp:
                    signs[analyst_of[cid]].add(camp[cid])
        for a, s in signs.items():
            cells[(a, issue.id)] = ("mixed" if len(s) == 2 else "for" if s == {1} else
                                    "against" if s == {-1} else "speaks")
        kinds = linked.get(issue.id, set())
        verdict[issue.id] = ("divisive" if "disagree" in kinds else
                             "consensus" if "agree" in kinds and len(signs) >= 2 else "open")
    return StanceMatrix(names, tuple(issues), cells, verdict)


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    shared: int
    agree: int
    disagree: int
    mixed: int

    @property
    def share(self) -> float | None:
        return self.agree / self.shared if self.shared else None

    @property
    def score(self) -> float | None:
        return (self.agree - self.disagree) / self.shared if self.shared else None


def agreement_matrix(claims: Sequence[Claim], issues: Sequence[Issue], relations: Sequence[Relation],
                     analysts: Sequence[str]) -> dict[tuple[str, str], PairAgreement]:
    """(a, b) and (b, a) -> how two of ``analysts`` stand on the issues both speak on, for every
    pair that shares an issue (a pair that shares none is not in the result: ``pair()`` gives its
    zeros). The counts ``compare`` gives each pair, in one pass over the issues and relations:
    time grows with the claims, relations and pairs of speakers within an issue (an issue holds
    at most 20 claims), not with the square of the analysts times the corpus, so a consultation
    of thousands of participants is quick."""
    wanted = set(analysts)
    analyst_of = {c.id: c.analyst for c in claims if c.analyst in wanted}
    kinds: dict[tuple[str, str, str], set[str]] = {}  # (issue, a, b) with a < b -> kinds of their links there
    for iid, r in within_issues(relations, issues):
        x, y = analyst_of.get(r.a), analyst_of.get(r.b)
        if x is not None and y is not None and x != y:
            kinds.setdefault((iid, *sorted((x, y))), set()).add(r.kind)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for issue in issues:
        speakers = sorted({analyst_of[c] for c in issue.claim_ids if c in analyst_of})
        for i, x in enumerate(speakers):
            for y in speakers[i + 1:]:
                kind = classify_kinds(kinds.get((issue.id, x, y), set()))
                tally = counts.setdefault((x, y), {"agree": 0, "disagree": 0, "mixed": 0, "unlinked": 0})
                tally[kind] += 1
    position = {a: i for i, a in enumerate(analysts)}
    out = {}
    for (x, y), c in counts.items():
        x, y = sorted((x, y), key=position.__getitem__)  # first in the analysts' order, as listed
        shared = c["agree"] + c["disagree"] + c["mixed"] + c["unlinked"]
        out[(x, y)] = out[(y, x)] = PairAgreement(x, y, shared, c["agree"], c["disagree"], c["mixed"])
    return out


def pair(pairs: dict[tuple[str, str], PairAgreement], a: str, b: str) -> PairAgreement:
    """The agreement of ``a`` and ``b`` in ``agreement_matrix``'s result (zeros if they share no issue)."""
    return pairs.get((a, b)) or PairAgreement(a, b, 0, 0, 0, 0)


# --- CSV ----------------------------------------------------------------------------------

def stance_csv(m: StanceMatrix) -> str:
    """One row per issue: id, label, verdict, central claim, then one column per analyst."""
    rows = [["issue", "label", "verdict", "pivot_claim", *m.analysts]]
    rows += [[issue.id, issue.label, m.verdict[issue.id], issue.pivot, *(m.cell(a, issue.id) for a in m.analysts)]
             for issue in m.issues]
    return csv_text(rows)


def agreement_csv(analysts: Sequence[str], pairs: dict) -> str:
    """Long format, one row per pair of analysts who share an issue, in the analysts' order
    (spreadsheet-friendly: filter and sort); pairs who share none are left out, as a consultation
    of thousands would otherwise list millions of empty pairs."""
    rows = [["analyst_a", "analyst_b", "shared_issues", "agree", "disagree", "mixed", "agreement_share",
             "agreement_score"]]
    position = {a: i for i, a in enumerate(analysts)}
    for a, b in sorted((k for k in pairs if position[k[0]] < position[k[1]]), key=lambda k: (position[k[0]], position[k[1]])):
        p = pairs[(a, b)]
        rows.append([a, b, p.shared, p.agree, p.disagree, p.mixed,
                     "" if p.share is None else f"{p.share:.2f}", "" if p.score is None else f"{p.score:.2f}"])
    return csv_text(rows)


# --- pictures -----------------------------------------------------------------------------

def _short(text: str, n: int) -> str:
    """Corpus text as a matplotlib label: cleaned (``clean_text``), cut to ``n`` characters, and
    with $ escaped, so that "$x^$" in a name is text, not (broken) mathtext."""
    text = " ".join(clean_text(text).split())
    text = text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"
    return text.replace("$", r"\$")


def most_active(m: StanceMatrix, limit: int) -> tuple[str, ...]:
    """At most ``limit`` of the matrix's analysts, those who speak on the most issues (ties by
    their order), in their order: what a picture can show of thousands of participants."""
    if len(m.analysts) <= limit:
        return m.analysts
    spoken: dict[str, int] = {}
    for a, _ in m.cells:
        spoken[a] = spoken.get(a, 0) + 1
    keep = set(sorted(m.analysts, key=lambda a: -spoken.get(a, 0))[:limit])
    return tuple(a for a in m.analysts if a in keep)


def picture_note(shown: int, total: int, what: str, which: str) -> str:
    """The line a capped picture carries (empty when it shows everything)."""
    return "" if shown == total else f"{shown} of {total} {what} shown ({which}); the CSV has all"


def stance_figure(m: StanceMatrix):
    """Issues as rows (labels readable), analysts as columns; verdict marked before each label.
    At most ``style.MATRIX_MAX_ANALYSTS`` columns and ``style.MATRIX_MAX_ISSUES`` rows (the
    issues most analysts speak on), saying so; the CSV has every one."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from . import style

    colors = getattr(style, "MATRIX_POSITION_COLORS", {
        "for": "#4477AA", "against": "#EE6677", "mixed": "#CCBB44", "speaks": "#DDDDDD", "silent": "#FFFFFF"})
    marks = getattr(style, "MATRIX_VERDICT_MARKS", {"consensus": "✔ consensus", "divisive": "⚡ divisive", "open": ""})
    index = {p: i for i, p in enumerate(POSITIONS)}
    shown = most_active(m, style.MATRIX_MAX_ANALYSTS)
    speakers: dict[str, int] = {}
    for _, iid in m.cells:
        speakers[iid] = speakers.get(iid, 0) + 1
    rows = set(sorted((i.id for i in m.issues), key=lambda iid: -speakers.get(iid, 0))[:style.MATRIX_MAX_ISSUES])
    note = "; ".join(n for n in (picture_note(len(shown), len(m.analysts), "analysts", "who speak on the most issues"),
                                 picture_note(len(rows), len(m.issues), "issues", "the most analysts speak on")) if n)
    m = StanceMatrix(shown, tuple(i for i in m.issues if i.id in rows), m.cells, m.verdict)
    grid = [[index[m.cell(a, i.id)] for a in m.analysts] for i in m.issues]
    n_rows, n_cols = max(1, len(m.issues)), max(1, len(m.analysts))
    fig, ax = plt.subplots(figsize=(3.5 + 0.75 * n_cols, 2.2 + 0.42 * n_rows))
    ax.imshow(grid or [[index["silent"]]], cmap=ListedColormap([colors[p] for p in POSITIONS]),
              vmin=-0.5, vmax=len(POSITIONS) - 0.5, aspect="auto")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            sym = SYMBOL[POSITIONS[v]]
            if sym:
                ax.text(c, r, sym, ha="center", va="center", fontsize=13,
                        color="white" if POSITIONS[v] in ("for", "against") else "#222222")
    ax.set_xticks(range(len(m.analysts)), [_short(a, 28) for a in m.analysts], rotation=40, ha="left")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(m.issues)),
                  [f"{_short(i.label, 46)}  ({i.id})" for i in m.issues])
    for tick, issue in zip(ax.get_yticklabels(), m.issues):
        if m.verdict[issue.id] == "divisive":
            tick.set_color(colors["against"]), tick.set_fontweight("bold")
        elif m.verdict[issue.id] == "consensus":
            tick.set_color(colors["for"]), tick.set_fontweight("bold")
    for r, issue in enumerate(m.issues):
        mark = marks.get(m.verdict[issue.id], "")
        if mark:
            ax.text(len(m.analysts) - 0.4, r, "  " + mark, va="center", ha="left", fontsize=10,
                    color=colors["against"] if m.verdict[issue.id] == "divisive" else colors["for"])
    ax.set_xticks([x - 0.5 for x in range(1, len(m.analysts))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(m.issues))], minor=True)
    ax.grid(which="minor", color="#999999", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    legend = [Patch(facecolor=colors[p], edgecolor="#999999", label=f"{SYMBOL[p] or ' '}  {p}") for p in POSITIONS]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(0, -0.02), ncol=5, frameon=False,
              title="Position relative to the issue's central claim (✔ consensus, ⚡ divisive)"
              + (f"\n{note}" if note else ""))
    return fig


def agreement_figure(analysts: Sequence[str], pairs: dict):
    """Analysts against analysts, each cell how two stand on the issues both speak on: at most
    ``style.MATRIX_MAX_AGREEMENT`` analysts (those who share the most issues), saying so."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from . import style

    cmap = plt.get_cmap(getattr(style, "MATRIX_AGREEMENT_CMAP", "PuOr")).with_extremes(
        bad=getattr(style, "MATRIX_NO_DATA_COLOR", "#EEEEEE"))
    total = len(analysts)
    if total > style.MATRIX_MAX_AGREEMENT:
        shared: dict[str, int] = {}
        for (a, _), p in pairs.items():
            shared[a] = shared.get(a, 0) + p.shared
        keep = set(sorted(analysts, key=lambda a: -shared.get(a, 0))[:style.MATRIX_MAX_AGREEMENT])
        analysts = [a for a in analysts if a in keep]
    note = picture_note(len(analysts), total, "analysts", "who share the most issues")
    n = max(1, len(analysts))
    data = np.full((n, n), np.nan)
    for i, a in enumerate(analysts):
        for j, b in enumerate(analysts):
            if i != j and pair(pairs, a, b).score is not None:
                data[i, j] = pair(pairs, a, b).score
    fig, ax = plt.subplots(figsize=(3.8 + 0.8 * n, 2.6 + 0.7 * n))
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=-1, vmax=1)
    for i, a in enumerate(analysts):
        for j, b in enumerate(analysts):
            if i == j:
                ax.text(j, i, "—", ha="center", va="center", color="#999999")
                continue
            p = pair(pairs, a, b)
            text = f"{p.agree} agree\n{p.disagree} disagree\nof {p.shared} shared" if p.shared else "no shared\nissue"
            dark = p.score is not None and abs(p.score) > 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "#222222")
    labels = [_short(a, 28) for a in analysts]
    ax.set_xticks(range(len(analysts)), labels, rotation=40, ha="left")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(analysts)), labels)
    bar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    bar.set_label("agreement: (issues agreed − issues disagreed) ÷ shared issues")
    bar.set_ticks([-1, 0, 1], labels=["−1 always disagree", "0", "+1 always agree"])
    ax.set_xlabel("each cell: issues where the two agree / disagree, of the issues both speak on"
                  + (f"\n{note}" if note else ""), labelpad=8)
    return fig


def figure_bytes(fig, fmt: str, dpi: int = 150) -> bytes:
    """The figure as ``fmt`` (svg or png) bytes, the figure closed: written whole or not at all,
    with no date in it. A glyph the font lacks (a name in a script DejaVu does not cover) is
    drawn as a box without a "Glyph ... missing" warning on the user's terminal."""
    import io
    import warnings

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
            fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=dpi,
                        metadata={"Date": None} if fmt == "svg" else {"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()
