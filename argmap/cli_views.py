"""Click commands `compare`, `matrix`, `debate` and `export`: store and model I/O only.

The work is done by pure functions in compare.py, matrix.py, debate.py, export.py and
handout.py. The lead registers these with ``cli.add_command(...)``. Tests replace
``load_embedder``, ``load_question_encoder`` and ``load_stance`` below with fakes.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import textwrap
from pathlib import Path

import click
import numpy as np

from .cli_options import db_option, json_option, open_store
from .errors import ArgmapError
from .debate import MIN_RELEVANCE
from .matrix import RULE as MATRIX_RULE
from .output import echo, json_lines, make_folder, table, write_all_atomic, write_atomic

DEFAULT_MAPS = Path("maps")
MAP_FORMATS = ("svg", "png", "pdf")


# --- model hooks (tests monkeypatch these) ----------------------------------------------------

def load_embedder(name: str | None = None):
    """The embedder for the motion (and any claim vector not yet stored): fast, no torch for the default."""
    from .services import query_embedder

    return query_embedder(name)


def load_question_encoder():
    """The encoder for the motion's relevance: argmap's question encoder ("same question, either
    side"), whose vectors ingest has already stored for every claim."""
    from .services import question_encoder

    return question_encoder()


def load_stance():
    """Return stance(texts, motions) -> array in [-1, 1]: P(agree) - P(disagree) of each claim
    read toward the motion (claim first, as the model was trained on perspective -> claim)."""
    from .services import stance_model

    return stance_model().stance


# --- helpers ------------------------------------------------------------------------------------

def _need_issues(store):
    issues = store.issues()
    if not issues:
        raise ArgmapError(f"{store.path} has no issues yet: ingest a corpus first (`argmap ingest`), "
                          "which groups the claims into issues")
    return issues


def _palette(claims):
    from .render import analyst_palette

    return analyst_palette(c.analyst for c in claims)


def _two_columns(left: list[str], right: list[str], heads: tuple[str, str]) -> None:
    width = shutil.get_terminal_size((120, 24)).columns
    col = max(30, (width - 3) // 2)
    echo(f"  {heads[0][:col - 2]:<{col - 2}} | {heads[1][:col]}")
    echo(f"  {'-' * (col - 2)} | {'-' * min(col, 40)}")
    wl = [line for t in left for line in textwrap.wrap("• " + t, col - 2) + [""]]
    wr = [line for t in right for line in textwrap.wrap("• " + t, col) + [""]]
    for k in range(max(len(wl), len(wr))):
        a = wl[k] if k < len(wl) else ""
        b = wr[k] if k < len(wr) else ""
        echo(f"  {a:<{col - 2}} | {b}".rstrip())


def _echo_link(relation, a_claim, b_claim) -> None:
    """One relation between A's and B's claims, both quoted (shortened)."""
    from .debate import shorten

    echo(f"  {relation.kind.upper()} ({relation.score:.2f}): \u201c{shorten(a_claim.text, 90)}\u201d "
         f"\u2194 \u201c{shorten(b_claim.text, 90)}\u201d")


def _echo_written(paths) -> None:
    for p in paths:
        echo(f"wrote {p}", err=True)


# --- compare ------------------------------------------------------------------------------------

COMPARE_TITLES = {
    "disagree": "Where they DISAGREE", "mixed": "Where they partly agree and partly disagree (mixed)",
    "agree": "Where they AGREE", "unlinked": "Where both speak but no link between their claims was found",
}


@click.command("compare")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the comparison map to this file, e.g. d-vs-e.svg (.svg, .png or .pdf).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_MAPS,
              show_default=True, help="Folder for the comparison map when --map is not given.")
@click.option("--format", "fmt", type=click.Choice(MAP_FORMATS), default="svg", show_default=True,
              help="Picture format of the map: svg (sharp, opens in a browser), png (an image) or pdf (to print).")
@click.option("--no-map", is_flag=True, help="Only print the comparison; draw no map.")
@db_option
@json_option
def compare_command(a, b, map_path, out_dir, fmt, no_map, db_path, as_json):
    """Compare two viewpoints: where A and B agree, disagree, and what each says alone.

    A and B are analyst names (see `argmap analysts`; capitals do not matter) or
    document ids (see `argmap documents`). Put names with spaces in quotes:

        argmap compare "ChinaFile contributor D" "ChinaFile contributor E"

    Issues where both speak are split by the stored links between A's and B's claims:
    AGREE, DISAGREE, MIXED (both), or no link found. Then come the issues only one of
    them speaks on. A map with A's claims on the left and B's on the right is saved
    into maps/ (see --map, --out, --no-map).
    """
    from .compare import compare, comparison_graph, resolve_side
    from .render import write_map
    from .debate import slug

    store = open_store(db_path)
    side_a = resolve_side(a, [x.name for x in store.analysts()], store.documents())
    side_b = resolve_side(b, [x.name for x in store.analysts()], store.documents())
    claims = store.claims()
    cmp = compare(side_a, side_b, claims, _need_issues(store), store.relations())
    if as_json:
        json_lines([cmp.to_dict()] + [ic.to_dict() for ic in cmp.issues])
    else:
        echo(cmp.summary())
        for kind in ("disagree", "mixed", "agree", "unlinked", "a_only", "b_only"):
            rows = cmp.of_kind(kind)
            if not rows:
                continue
            title = COMPARE_TITLES.get(kind) or f"What only {side_a.label if kind == 'a_only' else side_b.label} says"
            echo(f"\n== {title} ({len(rows)} issue{'s' if len(rows) != 1 else ''}) ==")
            for ic in rows:
                echo(f"\n{ic.issue.id}: {ic.issue.label}")
                if kind in ("a_only", "b_only"):
                    for c in (ic.a_claims or ic.b_claims):
                        echo(textwrap.fill(c.text, 100, initial_indent="  • ", subsequent_indent="    "))
                    continue
                _two_columns([c.text for c in ic.a_claims], [c.text for c in ic.b_claims],
                             (side_a.label, side_b.label))
                by_id = {c.id: c for c in ic.a_claims + ic.b_claims}
                for r in ic.relations[:6]:
                    ca, cb = (by_id[r.a], by_id[r.b]) if by_id[r.a] in ic.a_claims else (by_id[r.b], by_id[r.a])
                    _echo_link(r, ca, cb)
        if cmp.across:
            echo(f"\n== Links across issues ({len(cmp.across)}) ==")
            for r, ca, cb in cmp.across:
                _echo_link(r, ca, cb)
    if not no_map:
        documents = {d.id: d for d in store.documents()}
        path = map_path or out_dir / f"compare-{slug(side_a.name, 30)}--{slug(side_b.name, 30)}.{fmt}"
        write_map(comparison_graph(cmp, documents, _palette(claims)), path)
        _echo_written([path])


# --- matrix -------------------------------------------------------------------------------------

@click.command("matrix", help=f"""Who stands where: a stance matrix and an agreement matrix, as pictures and CSV.

\b
Writes into --out (default maps/):
  stance-matrix.svg   issues (rows) x analysts (columns); each cell: for, against,
                      mixed, speaks or silent; consensus and divisive issues marked
  agreement.svg       analysts x analysts: how often two analysts agree
  stance-matrix.csv   the same, for a spreadsheet (one row per issue)
  agreement.csv       one row per pair of analysts who share an issue

How cells are decided: {MATRIX_RULE}
""")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_MAPS,
              show_default=True, help="Folder to write the pictures and CSV files into.")
@click.option("--format", "fmt", type=click.Choice(("svg", "png")), default="svg", show_default=True,
              help="Picture format: svg (sharp at any size, opens in a browser) or png (an ordinary image).")
@db_option
@json_option
def matrix_command(out_dir, fmt, db_path, as_json):
    from . import matrix as mx

    store = open_store(db_path)
    issues = _need_issues(store)
    claims = store.claims()
    relations = store.relations()
    analysts = sorted({c.analyst for c in claims if any(c.id in i.claim_ids for i in issues)})
    m = mx.stance_matrix(claims, issues, relations, analysts)
    pairs = mx.agreement_matrix(claims, issues, relations, analysts)
    files = [(f"stance-matrix.{fmt}", lambda: mx.figure_bytes(mx.stance_figure(m), fmt)),
             (f"agreement.{fmt}", lambda: mx.figure_bytes(mx.agreement_figure(analysts, pairs), fmt)),
             ("stance-matrix.csv", lambda: mx.stance_csv(m).encode("utf-8-sig")),  # BOM: spreadsheets read UTF-8
             ("agreement.csv", lambda: mx.agreement_csv(analysts, pairs).encode("utf-8-sig"))]
    try:
        make_folder(out_dir)
        written = write_all_atomic((out_dir / name, make()) for name, make in files)  # all four or none
    except OSError as e:
        raise ArgmapError(f"{out_dir}: cannot write the matrix files ({e.strerror or e})") from None
    if as_json:
        json_lines([{"type": "issue", "issue": i.id, "label": i.label, "verdict": m.verdict[i.id],
                     "positions": {a: m.cell(a, i.id) for a in analysts}} for i in issues]
                   + [{"type": "agreement", "a": a, "b": b, "shared": p.shared, "agree": p.agree,
                       "disagree": p.disagree, "mixed": p.mixed, "score": p.score}
                      for (a, b), p in sorted(pairs.items()) if a < b])
    else:
        table([(i.id, m.verdict[i.id], " ".join(mx.SYMBOL[m.cell(a, i.id)] or "·" for a in analysts), i.label)
               for i in issues], ["issue", "verdict", "positions", "label"], wrap="label")
        echo("\npositions, in this analyst order: " + "; ".join(f"{k + 1}. {a}" for k, a in enumerate(analysts)))
        echo("+ for  − against  ± mixed  • speaks  · silent")
    _echo_written(written)


# --- debate -------------------------------------------------------------------------------------

def _claim_vectors(store, claims, embedder) -> np.ndarray:
    """Stored vectors of the claims (with their leads, as the analysis embeds them, so "it is not
    going to make a dent" is about its referent) under the embedder's model; missing ones
    embedded and stored."""
    from .embed import text_hash

    hashes = [text_hash(c.embed_text) for c in claims]
    have = store.vectors(embedder.name, hashes)
    missing = [h for h in dict.fromkeys(hashes) if h not in have]
    if missing:
        texts = {text_hash(c.embed_text): c.embed_text for c in claims}
        new = embedder.encode([texts[h] for h in missing])
        store.add_vectors(embedder.name, zip(missing, new))
        have.update(zip(missing, np.asarray(new, dtype=np.float32)))
    return np.stack([have[h] for h in hashes]).astype(np.float32)


@click.command("debate")
@click.argument("motion")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the pack. Default: maps/debate-<motion words>/.")
@click.option("--min-relevance", type=click.FloatRange(-1, 1), default=MIN_RELEVANCE, show_default=True,
              help="How closely a claim must address the motion's question to be used (0 to 1; chosen on dev data "
                   "for the question encoder). Lower it to get more claims.")
@click.option("--min-stance", type=click.FloatRange(0, 1), default=0.15, show_default=True,
              help="How clearly a claim must argue for or against the motion (0 to 1). Lower it to get more claims.")
@click.option("--per-side", type=click.IntRange(1, 50), default=10, show_default=True,
              help="The most claims to list for each side.")
@click.option("--no-pdf", is_flag=True, help="Do not make the PDF (only Markdown and the HTML handout).")
@click.option("--model", default=None, metavar="NAME",
              help="Judge relevance by plain similarity under this sentence-transformers model instead of "
                   "argmap's question encoder (then set --min-relevance for that model; 0.35 suits MiniLM).")
@db_option
@json_option
def debate_command(motion, out_dir, min_relevance, min_stance, per_side, no_pdf, model, db_path, as_json):
    """Prepare a classroom debate on MOTION: arguments for and against, clashes, questions.

    Put the motion in quotes:

        argmap debate "Kim's visit put China back at the centre of Korean diplomacy"

    Finds the claims in the corpus that bear on the motion, sorts them into FOR and
    AGAINST (strongest first, each with analyst, outlet, date and exact quote), pairs
    claims that answer each other (clashes), and writes questions each side can ask the
    other. Writes debate.md, a printable debate.html (open it in a browser and print),
    debate.pdf when a PDF maker is installed, and debate-map.svg into the --out folder.
    If nothing in the corpus bears on the motion it says so and makes no pack.
    """
    from .debate import debate_graph, prepare_debate, slug
    from .handout import write_pack
    from .render import export

    store = open_store(db_path)
    claims = store.claims()
    if not claims:
        raise ArgmapError(f"{store.path} has no claims yet: run `argmap ingest` first")
    embedder = load_embedder(model) if model else load_question_encoder()
    vectors = _claim_vectors(store, claims, embedder)
    motion_vec = np.asarray(embedder.encode([motion]), dtype=np.float32)[0]
    documents = {d.id: d for d in store.documents()}
    # relevance first (cheap), so an unrelated motion fails before the pair model loads
    stance_fn = _LazyStance()
    pack = prepare_debate(motion, claims, documents, store.issues(), store.relations(), vectors, motion_vec,
                          stance_fn, min_relevance=min_relevance, min_stance=min_stance, per_side=per_side,
                          prepared=_dt.date.today().isoformat())
    out = out_dir or DEFAULT_MAPS / f"debate-{slug(motion)}"
    try:
        make_folder(out)
        svg = None
        palette = _palette(claims)
        try:
            svg = export(debate_graph(pack, palette), "svg")  # written with the handout, all or none
        except ArgmapError as e:
            echo(f"argmap: no debate map: {e}", err=True)
        written = write_pack(pack, out, svg, pdf=not no_pdf, palette=palette)
    except OSError as e:
        raise ArgmapError(f"{out}: cannot write the debate pack there ({e.strerror or e})") from None
    if not no_pdf and not any(p.suffix == ".pdf" for p in written):
        from .handout import find_pdf_maker

        maker = find_pdf_maker()
        why = f"{maker} failed to print the handout" if maker else \
            "no PDF maker found (apt-get install chromium, or pip install weasyprint)"
        echo(f"argmap: debate.pdf not written: {why}; the Markdown and HTML are", err=True)
    if as_json:
        json_lines([{"type": "motion", "motion": pack.motion, "for": len(pack.pro), "against": len(pack.con),
                     "neutral": pack.neutral, "files": [str(p) for p in written]}]
                   + [{"type": "claim", **d.to_dict()} for d in pack.pro + pack.con]
                   + [{"type": "clash", **c.to_dict()} for c in pack.clashes]
                   + [{"type": "question", "asked_by": q.asked_by, "target": q.target.ref, "text": q.text}
                      for q in pack.questions])
    else:
        echo(f"Motion: {pack.motion}")
        echo(f"{len(pack.pro)} claims FOR ({', '.join(pack.analysts('for')) or 'none'}); "
             f"{len(pack.con)} AGAINST ({', '.join(pack.analysts('against')) or 'none'}); "
             f"{len(pack.clashes)} clashes; {pack.neutral} relevant claims take no clear side.")
        if not pack.pro or not pack.con:
            echo("note: one side has no claims in this corpus; the pack shows what there is.", err=True)
        html = next((p for p in written if p.suffix == ".html"), None)
        echo(f"Open {html} in a browser to read or print the handout.")
    _echo_written(written)


class _LazyStance:
    """Loads the pair model on first use (only when some claim is relevant)."""

    def __init__(self):
        self.fn = None

    def __call__(self, a, b):
        if self.fn is None:
            self.fn = load_stance()
        return self.fn(a, b)


# --- export -------------------------------------------------------------------------------------

@click.command("export")
@click.option("--format", "fmt", type=click.Choice(("argdown", "aif", "csv")), default="argdown", show_default=True,
              help="argdown: text for Argdown's editors (argdown.org); aif: JSON for ARG-tech tools (OVA, AIFdb); "
                   "csv: a table for Excel, LibreOffice or Google Sheets.")
@click.option("--what", type=click.Choice(("claims", "relations")), default="claims", show_default=True,
              help="For --format csv: a table of claims (one per row) or of agree/disagree links (one per row).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Save to this file (e.g. map.argdown, map.json, claims.csv). Without it the text is printed.")
@db_option
def export_command(fmt, what, out_file, db_path):
    """Export the claims, issues and agree/disagree links for other tools.

    \b
    argmap export --format argdown --out map.argdown    edit the map in Argdown
    argmap export --format aif --out map.json           open it in ARG-tech's tools
    argmap export --format csv --what claims --out claims.csv
    argmap export --format csv --what relations --out links.csv
    """
    from . import export as ex

    store = open_store(db_path)
    claims = store.claims()
    if not claims:
        raise ArgmapError(f"{store.path} has no claims yet: run `argmap ingest` first")
    issues, relations = store.issues(), store.relations()
    documents = {d.id: d for d in store.documents()}
    if fmt == "argdown":
        text = ex.to_argdown(claims, issues, relations, documents)
    elif fmt == "aif":
        text = json.dumps(ex.to_aif(claims, relations, documents), ensure_ascii=False, indent=1) + "\n"
    elif what == "claims":
        text = ex.claims_csv(claims, issues, documents)
    else:
        text = ex.relations_csv(claims, issues, relations)
    if out_file is None:
        echo(text, nl=not text.endswith("\n"))
        return
    try:
        make_folder(out_file.parent)
        write_atomic(out_file, text.encode("utf-8-sig" if fmt == "csv" else "utf-8"))
    except OSError as e:
        raise ArgmapError(f"{out_file}: cannot write ({e.strerror or e})") from None
    echo(f"wrote {out_file}", err=True)


# --- report -------------------------------------------------------------------------------------

@click.command("report")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MAPS / "report.html",
              show_default=True, help="The HTML file to write (one file: open it in any browser, offline).")
@click.option("--no-maps", is_flag=True, help="Leave out the issue maps (no Graphviz needed; a smaller file).")
@db_option
def report_command(out_file, no_maps, db_path):
    """Write one self-contained HTML report to explore by clicking, offline.

    The issues as questions with their sides (who backs, who disputes, how contested), each
    issue's map, claims and scored links; each analyst's claims and where they agree and
    clash with every other analyst; the stance matrix; every document with its claims
    highlighted (a click on a claim anywhere shows where it was said); a search box with
    analyst, document and issue filters. No network: nothing is fetched, it works from a
    USB stick and prints well. Prints the path written.
    """
    from .report import build_report, issue_maps, matrix_picture, read_report_data

    store = open_store(db_path)
    _need_issues(store)
    data = read_report_data(store, _dt.date.today().isoformat())
    maps = None
    if not no_maps:
        try:
            maps = issue_maps(data)
        except ArgmapError as e:
            echo(f"argmap: the report has no issue maps: {e}", err=True)
    page = build_report(data, maps, matrix_picture(data))
    try:
        make_folder(out_file.parent)
        write_atomic(out_file, page.encode("utf-8"))
    except OSError as e:
        raise ArgmapError(f"{out_file}: cannot write the report ({e.strerror or e})") from None
    echo(str(out_file))
