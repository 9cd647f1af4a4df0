"""``argmap eval DATA_DIR``: argmap's quality on labelled public data, beside a cosine baseline.

Registered by the main CLI with ``cli.add_command(eval_command)``.
"""
from __future__ import annotations

import json
import sys
import time

import click

from .errors import ArgmapError

METRIC_ORDER = ("map_strict", "map_relaxed", "ari", "v_measure", "accuracy", "f1", "ndcg@10", "mrr",
                "accuracy_3way", "contradiction_vs_entailment", "ece", "neither_share", "candidates_per_claim", "disagree_found",
                "disagree_precision", "disagree_precision_judged", "disagree_unjudged_share", "agree_found",
                "agree_precision", "agree_precision_judged", "agree_unjudged_share", "claims_with_clash_found",
                "perspectives_in_right_clash")


def _table(results, methods) -> str:
    rows = {}
    for r in results:
        key = (r.dataset, r.task, r.subset or "", r.metric)
        rows.setdefault(key, {})[r.method] = r.value
    head = ["dataset", "task", "subset", "metric"] + list(methods)
    if len(methods) == 2:
        head.append("delta")
    lines = []
    for key, vals in rows.items():
        line = list(key) + [f"{vals[m]:.4f}" if m in vals else "-" for m in methods]
        if len(methods) == 2:
            a, b = (vals.get(m) for m in methods)
            line.append(f"{a - b:+.4f}" if a is not None and b is not None else "-")
        lines.append(line)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) if i < 4 else str(c).rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    out = [fmt(head), fmt(["-" * w for w in widths])]
    out += [fmt(line) for line in lines]
    return "\n".join(out)


@click.command("eval")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True))
@click.option("--split", default="dev", show_default=True,
              help="Split to evaluate: ArgKP files *_{split}.csv, PERSPECTRUM split.json value, IBM split "
                   "column (dev = argmap's fixed held-out IBM train topics when the file has no dev rows).")
@click.option("--method", "methods", multiple=True, type=click.Choice(["argmap", "cosine"]),
              help="Method to score (repeatable). Default: both, argmap's trained model beside the "
                   "plain-cosine baseline.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per metric instead of the table.")
@click.option("--quick", is_flag=True,
              help="Score only a small slice of each set (setup check in about a minute; numbers not comparable).")
@click.option("--model", "model_path", default=None, type=click.Path(file_okay=False),
              help="Stance-model directory to use instead of the bundled one (argmap/resources/stance).")
def eval_command(data_dir, split, methods, as_json, quick, model_path):
    """Score argmap's matching, clustering, stance, search and clash finding on labelled data in
    DATA_DIR (laid out like the shared data folder: argkp/, perspectrum/, ibm_claim_stance/, nli/).

    \b
    NLI rows: the stance model's three classes on argmap's held-out part of nli/ (never used
    for training or choosing). Clash rows: the whole relation pipeline (candidate pairs,
    stance model, thresholds) on the split's PERSPECTRUM perspectives pooled, each its own
    analyst: how many disagreements it finds, how many are right, and for how many claims it
    finds a right clash between the two sides."""
    methods = tuple(methods) or ("argmap", "cosine")
    methods = tuple(m for m in ("argmap", "cosine") if m in methods)
    t0 = time.time()

    def log(msg):
        click.echo(f"[eval {time.time() - t0:6.1f}s] {msg}", err=True)

    try:
        from .evaluate import run_evaluation

        results = run_evaluation(data_dir, split=split, methods=methods, pair_model_path=model_path,
                                 quick=quick, log=log)
    except ArgmapError as e:
        raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__)
    except (OSError, ValueError, KeyError) as e:
        raise click.ClickException(f"evaluation failed: {e!r}".splitlines()[0])
    log(f"done in {time.time() - t0:.0f}s")
    if as_json:
        for r in results:
            click.echo(json.dumps(r.to_dict()))
    else:
        click.echo(_table(results, methods))
    sys.stdout.flush()
