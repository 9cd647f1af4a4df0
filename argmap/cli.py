"""argmap's command line: a thin click layer over the library.

The library raises ArgmapError; the group turns it into one line on stderr and exit 1.
Options shared by several commands are defined once in cli_options.py and applied as decorators.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .cli_options import (Ticker, iter_progress, analyst_filter, db_option, document_filter, json_option, known_filters,
                          method_option, model_option, open_store)
from .errors import ArgmapError, lone_surrogate
from .output import clean_text, echo, json_lines, table


class ArgumentError(click.ClickException):
    """A command-line argument argmap cannot read: one line, exit 2 (as click's usage errors)."""

    exit_code = 2


class ArgmapGroup(click.Group):
    """Turns argmap's errors, and file-system faults nobody caught nearer, into one line and exit 1;
    refuses arguments that are not UTF-8 text; a reader that stops reading (``| head``) ends
    argmap quietly, as it ends ``cat``."""

    def parse_args(self, ctx, args):
        for n, arg in enumerate(args, start=1):
            if lone_surrogate(arg):  # bytes that are not UTF-8: Python keeps them as lone surrogates
                shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
                raise ArgumentError(f"argument {n}, {shown}, is not UTF-8 text")
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ArgmapError as e:
            raise click.ClickException(clean_text(str(e)).replace("\n", " ")) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; the store keeps its last complete state") from None
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more reaches the pipe
            ctx.exit(141)  # 128 + SIGPIPE, the status of `cat` in the same place
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(clean_text(f"{where}{e.strerror or e}")) from None


@click.group(cls=ArgmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="argmap")
def cli():
    """argmap: who claims what, where analysts agree and where they clash.

    Start with `argmap ingest` (reads corpus/ by default; `argmap import`
    turns web pages, PDFs, .docx, transcripts and CSVs into corpus files): it stores each
    analyst's claims, embeds them, groups them into issues and finds agreement
    and disagreement. Then list (documents, analysts, claims, issues), draw
    (map, matrix), search, compare two analysts, or prepare a debate.
    Every command takes --db PATH after its name.
    """


@cli.command()
@click.argument("paths", nargs=-1)
@model_option
@method_option
@click.option("--issue-threshold", type=click.FloatRange(0.0, 1.0), default=None, metavar="COSINE",
              help="How similar claims must be (average cosine) to form one issue. Default: 0.45, tuned on "
                   "labelled data; lower it for broader issues and fewer unclustered claims, raise it for "
                   "narrower ones. Issues over 20 claims are split.")
@click.option("--no-analyze", is_flag=True, help="Only store documents and claims; skip embedding, issues and relations.")
@click.option("--replace", is_flag=True,
              help="Let a file replace a stored document of the same id that was read from another file "
                   "(a/x.md, then b/x.md). Without it such a file is refused and the stored document kept.")
@db_option
@json_option
def ingest(paths, model, method, issue_threshold, no_analyze, replace, db_path, as_json):
    """Read corpus files (.md with YAML front matter, or .txt) into the store.

    PATHS are files or folders (default: corpus/). Saved web pages (.html), http(s) URLs, PDFs,
    .docx, comment CSVs and .txt transcripts are read too, converted as `argmap import` converts them. Unchanged files are skipped;
    a changed file replaces its earlier version in one transaction. Bad files
    are reported one line each and the good ones are still ingested; the exit
    status is non-zero when nothing could be ingested.

    Then the claims are embedded (only those not embedded before), clustered
    into issues and related (agree/disagree); this is skipped when nothing
    changed since the last analysis.
    """
    from .ingest import STORED

    if not no_analyze:
        from .embed import model_options

        model_options(model)  # a hub name that cannot be had fails now, before any work
    store = open_store(db_path, create=True)
    store.require_writable()
    results = ingest_paths(list(paths) or [Path("corpus")], store, replace)  # find_files tells paths from URLs
    ok = [r for r in results if r.status in STORED]
    for r in results:
        if r.status not in STORED:
            echo(f"argmap: {r.path}: {r.problem}", err=True)
    if as_json:
        json_lines(r.to_dict() for r in ok)
    elif ok:
        table([(r.document, r.status, r.claims, r.path) for r in ok], ["document", "status", "claims", "path"])
    if not ok:
        raise SystemExit(1)
    if not no_analyze:
        run_analysis(store, model, method, issue_threshold)


def run_analysis(store, model, method, threshold=None, force=False):
    import time

    from .analyze import Settings, analyze
    from .embed import load_embedder
    from .services import model_name, pair_model_name, question_encoder, relation_scorer

    settings = Settings(model=model_name(model), method=method, threshold=threshold)
    t = time.perf_counter()
    interactive = sys.stderr.isatty()
    if interactive:
        echo("Analysing claims (embed, find candidate pairs, relate, build issues)...", err=True)
    issues, relations, ran = analyze(store, settings, lambda: load_embedder(model),
                                     lambda vectors_for: relation_scorer(method, vectors_for), pair_model_name(method),
                                     question_factory=question_encoder if method != "cosine" else None,
                                     progress=interactive, force=force, stage=None if interactive else _log_stage)
    verb = f"analysed in {time.perf_counter() - t:.1f} s" if ran else "unchanged since the last analysis"
    echo(f"{len(issues)} issues, {len(store.unclustered_claims())} unclustered claims, "
         f"{sum(r.kind == 'agree' for r in relations)} agree and "
         f"{sum(r.kind == 'disagree' for r in relations)} disagree relations ({verb})", err=True)
    from .vector_index import refresh; refresh(store, settings.model, notify=_log_stage)  # noqa: E702 - search index


def _log_stage(text: str) -> None:
    echo(f"argmap: analysis: {text}", err=True)


def ingest_paths(paths, store, replace=False):
    from .ingest import ingest as run

    ticker = Ticker()
    return run(paths, store, progress=iter_progress("Reading", ticker), replace=replace,
               tick=lambda path, done, total: ticker(f"{path}: {done:,} of {total:,} paragraphs read"))


@cli.command()
@db_option
@json_option
def documents(db_path, as_json):
    """List ingested documents with their metadata and claim counts."""
    store = open_store(db_path)
    docs = store.documents()
    counts = store.claim_counts()
    if as_json:
        json_lines({**d.to_dict(), "claims": counts.get(d.id, 0)} for d in docs)
    else:
        table([(d.id, d.date, d.outlet, counts.get(d.id, 0), d.title) for d in docs],
              ["id", "date", "outlet", "claims", "title"], wrap="title")


@cli.command()
@db_option
@json_option
def analysts(db_path, as_json):
    """List analysts with how many claims (and documents) each has."""
    rows = open_store(db_path).analysts()
    if as_json:
        json_lines(a.to_dict() for a in rows)
    else:
        table([(a.name, a.claims, a.documents) for a in rows], ["analyst", "claims", "documents"])


@cli.command()
@analyst_filter
@document_filter
@db_option
@json_option
def claims(analyst, document, db_path, as_json):
    """List claims, each with its analyst, document, paragraph and exact source span."""
    store = open_store(db_path)
    rows = store.claims(analyst=known_filters(store, analyst, document), document=document)
    if as_json:
        json_lines(c.to_dict() for c in rows)
    else:
        table([(c.id[:8], c.analyst, c.document, c.paragraph, c.text) for c in rows],
              ["id", "analyst", "document", "para", "text"], wrap="text")


from .cli_analysis import issues_command, map_command, relate_command, search_command  # noqa: E402
from .cli_eval import eval_command  # noqa: E402
from .cli_import import import_command  # noqa: E402
from .cli_views import compare_command, debate_command, export_command, matrix_command, report_command  # noqa: E402

for _command in (issues_command, map_command, search_command, relate_command, compare_command, matrix_command,
                 debate_command, export_command, report_command, eval_command, import_command):
    cli.add_command(_command)


def main():
    cli(prog_name="argmap")


if __name__ == "__main__":
    main()
