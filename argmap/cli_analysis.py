"""CLI commands over the analysis: issues, map, search. Registered in argmap/cli.py."""
from __future__ import annotations

from pathlib import Path

import click

from .cli import analyst_filter, db_option, document_filter, json_option, model_option, open_store
from .errors import ArgmapError
from .output import json_lines, table
from .services import model_name


def _require_analysis(store):
    if store.meta("analysis") is None:
        raise ArgmapError(f"{store.path} has no issues yet: run `argmap ingest` first")


@click.command("issues")
@db_option
@json_option
def issues_command(db_path, as_json):
    """List issues: label, claims (most central first) and agree/disagree relations.

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
        json_lines({"id": i.id, "label": i.label, "keyphrases": list(i.keyphrases), "central_claim": i.central_claim,
                    "claim_ids": list(i.claim_ids),
                    "relations": [{"a": r.a, "b": r.b, "kind": r.kind, "score": r.score} for r in by_issue.get(i.id, [])]}
                   for i in issues)
        json_lines([{"id": "unclustered", "label": "", "claim_ids": unclustered, "relations": []}])
        return
    rows = []
    for i in issues:
        rs = by_issue.get(i.id, [])
        analysts = sorted({claims[c].analyst for c in i.claim_ids})
        rows.append((i.id, len(i.claim_ids), len(analysts), sum(r.kind == "agree" for r in rs),
                     sum(r.kind == "disagree" for r in rs), f"{i.label} — “{claims[i.central_claim].text}”"))
    table(rows, ["issue", "claims", "analysts", "agree", "disagree", "label — most central claim"],
          wrap="label — most central claim")
    click.echo(f"\n{len(unclustered)} unclustered claims (fit no issue); `argmap issues --json` lists them.")


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
        click.echo(f"wrote {len(paths)} maps to {out_dir}/ (overview.{fmt} and one per issue)")


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
@click.option("--counter", is_flag=True, help="Find stored claims that DISAGREE with the query (uses the pair model).")
@model_option
@db_option
@json_option
def search_command(query, k, analyst, document, issue, counter, model, db_path, as_json):
    """Rank stored claims by similarity to QUERY (only the query is embedded)."""
    from .search import counter_search, search
    from .services import query_embedder, stance_scorer

    if not query.strip():
        raise ArgmapError("the query is empty")
    store = open_store(db_path)
    name = model_name(model)
    qv = query_embedder(model).encode([query])[0]
    filters = dict(analyst=analyst, document=document, issue=issue)
    if counter:
        hits = counter_search(store, query, qv, name, stance_scorer("argmap"), k=k, **filters)
    else:
        hits = search(store, qv, name, k=k, **filters)
    if as_json:
        json_lines(h.to_dict() for h in hits)
    elif not hits:
        click.echo("no matching claims" + (" disagree with the query" if counter else ""), err=True)
    else:
        table([(f"{h.score:.3f}", h.analyst, h.issue or "-", h.text) for h in hits],
              ["score", "analyst", "issue", "text"], wrap="text")
