"""CLI commands over the analysis: issues, map, search, relate. Registered in argmap/cli.py."""
from __future__ import annotations

from pathlib import Path

import click

from .cli_options import analyst_filter, db_option, document_filter, json_option, known_filters, model_option, open_store
from .errors import ArgmapError
from .output import echo, json_lines, table
from .services import model_name


def _names(names, shown: int = 3) -> str:
    """Up to ``shown`` names, then "+N"."""
    return "; ".join(names[:shown]) + (f" +{len(names) - shown}" if len(names) > shown else "")


def _require_analysis(store):
    if store.meta("analysis") is None:
        raise ArgmapError(f"{store.path} has no issues yet: run `argmap ingest` first")


@click.command("issues")
@db_option
@json_option
def issues_command(db_path, as_json):
    """List issues: each a question with sides. Its label is the pivot claim (the one the
    others most agree or disagree with); BACKS lists the analysts on the pivot's side, DISPUTES
    those against it.

    Claims that fit no issue are listed last as "unclustered"; none are dropped.
    """
    store = open_store(db_path)
    _require_analysis(store)
    issues = store.issues()
    relations = store.relations()
    claims = {c.id: c for c in store.claims()}
    unclustered = store.unclustered_claims()
    by_issue: dict[str, list] = {}
    for r in relations:
        by_issue.setdefault(r.issue, []).append(r)
    if as_json:
        json_lines({"id": i.id, "label": i.label, "pivot": i.pivot, "backing": list(i.backing),
                    "disputing": list(i.disputing), "keyphrases": list(i.keyphrases), "central_claim": i.central_claim,
                    "claim_ids": list(i.claim_ids),
                    "relations": [{"a": r.a, "b": r.b, "kind": r.kind, "score": r.score} for r in by_issue.get(i.id, [])]}
                   for i in issues)
        json_lines([{"id": "unclustered", "label": "", "claim_ids": unclustered,
                     "relations": [{"a": r.a, "b": r.b, "kind": r.kind, "score": r.score}
                                   for r in by_issue.get("", [])]}])
        return
    from .render import issue_sides

    rows = []
    for i in issues:
        rs = by_issue.get(i.id, [])
        backs, disputes, rest = issue_sides(i, claims)
        sided = bool(i.disputing) or len(i.backing) > 1
        rows.append((i.id, len(i.claim_ids), _names(backs) if sided else "-", _names(disputes) or "-",
                     f"{sum(r.kind == 'agree' for r in rs)}/{sum(r.kind == 'disagree' for r in rs)}", i.label))
    table(rows, ["issue", "claims", "backs the pivot", "disputes it", "agree/disagree", "question (the pivot claim)"],
          wrap="question (the pivot claim)")
    across = by_issue.get("", [])
    echo(f"\n{len(unclustered)} unclustered claims (fit no issue); "
         f"{len(across)} relation{'s' if len(across) != 1 else ''} link claims of different issues; "
         "`argmap issues --json` lists them.")


@click.command("map")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]), default="svg", show_default=True,
              help="Output format of the map files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("maps"),
              show_default=True, help="Folder to write the maps into.")
@db_option
@json_option
def map_command(fmt, out_dir, db_path, as_json):
    """Render argument maps with Graphviz: an overview and one map per issue.

    Uses the stored analysis only (no model is loaded).
    """
    from .render import render_maps

    store = open_store(db_path)
    _require_analysis(store)
    data = map_data(store)
    paths = render_maps(data, out_dir, fmt)
    if as_json:
        json_lines({"path": str(p)} for p in paths)
    else:
        echo(f"wrote {len(paths)} maps to {out_dir}/ (overview.{fmt} and one per issue)")


def map_data(store):
    from .render import MapData

    return MapData({d.id: d for d in store.documents()}, {c.id: c for c in store.claims()}, store.issues(),
                   store.relations(), tuple(store.unclustered_claims()))


@click.command("search")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Number of results.")
@analyst_filter
@document_filter
@click.option("--issue", default=None, metavar="ID", help="Only claims in this issue (see `argmap issues`).")
@click.option("--counter", is_flag=True,
              help="Find stored claims that DISAGREE with the query (argmap's stance model; score = P(disagree)).")
@model_option
@db_option
@json_option
def search_command(query, k, analyst, document, issue, counter, model, db_path, as_json):
    """Rank stored claims by similarity to QUERY (only the query is embedded)."""
    from .search import counter_search, search
    from .services import query_embedder, question_encoder, stance_model

    if not query.strip():
        raise ArgmapError("the query is empty")
    store = open_store(db_path)
    analyst = known_filters(store, analyst, document, issue)
    name = model_name(model)
    qv = query_embedder(model).encode([query])[0]
    filters = dict(analyst=analyst, document=document, issue=issue, notify=lambda text: echo(f"argmap: {text}", err=True))
    if counter:
        encoder = question_encoder()
        hits = counter_search(store, query, qv, name, stance_model(), k=k,
                              question=(encoder.name, encoder.encode([query])[0]), **filters)
    else:
        hits = search(store, qv, name, k=k, **filters)
    if as_json:
        json_lines(h.to_dict() for h in hits)
    elif not hits:
        echo("no matching claims" + (" disagree with the query" if counter else ""), err=True)
    else:
        table([(f"{h.score:.3f}", h.analyst, h.issue or "-", h.text) for h in hits],
              ["score", "analyst", "issue", "text"], wrap="text")


@click.command("relate")
@click.argument("texts", nargs=-1, metavar='["A" "B"]')
@click.option("--file", "pairs_file", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help='Score many pairs: a JSON-lines file (or - for stdin), one {"a": ..., "b": ...} per line; '
                   "prints one JSON object per pair, with any other fields of the line kept.")
@json_option
def relate_command(texts, pairs_file, as_json):
    """Does A agree with B, disagree with it, or neither? Prints the answer with its probability.

    \b
    argmap relate "China is back at center stage" "Kim's trip will not make a dent"
    argmap relate --file pairs.jsonl > scored.jsonl

    Uses argmap's stance model (three-way, calibrated probabilities), read both ways and
    averaged as in `argmap ingest`; agree / disagree need the model's thresholds (chosen on
    dev data), else the answer is "neither".
    """
    from .relations import read_pairs, verdict
    from .services import stance_model

    if pairs_file is None and len(texts) != 2:
        raise click.UsageError('give two texts in quotes, "A" "B", or --file PAIRS.jsonl')
    if pairs_file is not None and texts:
        raise click.UsageError("give either two texts or --file, not both")
    if pairs_file is None:
        if not all(t.strip() for t in texts):
            raise ArgmapError("both texts must be non-empty")
        pairs = [{"a": texts[0], "b": texts[1]}]
    else:
        try:
            raw = click.open_file(pairs_file, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError) as e:
            raise ArgmapError(f"{pairs_file}: cannot read ({getattr(e, 'strerror', None) or e})") from None
        pairs = read_pairs(pairs_file, raw)
    model = stance_model()
    import sys

    probs = model.relate([p["a"] for p in pairs], [p["b"] for p in pairs],
                         progress=sys.stderr.isatty() and len(pairs) > 64)
    rows = [{**p, **verdict(pr, model.agree_threshold, model.disagree_threshold)} for p, pr in zip(pairs, probs)]
    if as_json or pairs_file is not None:
        json_lines(rows)
        return
    r = rows[0]
    echo(f"{r['relation']} ({r['probability']:.2f})")
    echo(f"  agree {r['p_agree']:.2f} · disagree {r['p_disagree']:.2f} · neither {r['p_neither']:.2f}  "
         f"(thresholds: agree {model.agree_threshold:.2f}, disagree {model.disagree_threshold:.2f})")
