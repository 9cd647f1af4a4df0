"""Options and helpers shared by argmap's click commands (cli.py, cli_analysis.py, cli_views.py)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .errors import ArgmapError
from .output import find_name
from .services import METHODS
from .store import DB_ENV, DEFAULT_DB, Store

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help=f"SQLite database file. Default: ${DB_ENV} if set, else ./{DEFAULT_DB}.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line instead of a table.")
analyst_filter = click.option("--analyst", default=None, metavar="NAME", help="Only claims by this analyst (case-insensitive).")
document_filter = click.option("--document", default=None, metavar="ID", help="Only claims from this document id (see `argmap documents`).")
model_option = click.option(
    "--model", default=None, metavar="NAME_OR_PATH",
    help="sentence-transformers model for embeddings. Default: the bundled all-MiniLM-L6-v2 (offline).",
)
method_option = click.option(
    "--method", type=click.Choice(METHODS), default="argmap", show_default=True,
    help="How agreement is told from disagreement: argmap's trained stance model (agree / disagree / neither), "
         "or plain cosine similarity (the baseline; it cannot detect disagreement).",
)


def known_analyst(store: Store, name: str | None) -> str | None:
    """The stored analyst ``--analyst NAME`` means (``output.find_name``), or ArgmapError: a name
    that matches no analyst is an error, not an empty listing."""
    if name is None:
        return None
    found = find_name(name, (a.name for a in store.analysts()))
    if found is None:
        raise ArgmapError(f"no analyst {name!r} in {store.path} (see `argmap analysts`)")
    return found


def known_filters(store: Store, analyst: str | None, document: str | None = None,
                  issue: str | None = None) -> str | None:
    """Check ``--analyst``, ``--document`` and ``--issue`` against the store: a value that names
    nothing there is an error, not an empty listing. Returns the stored analyst name."""
    if document is not None and document not in {d.id for d in store.documents()}:
        raise ArgmapError(f"no document {document!r} in {store.path} (see `argmap documents`)")
    if issue is not None and issue not in {i.id for i in store.issues()}:
        raise ArgmapError(f"no issue {issue!r} in {store.path} (see `argmap issues`)")
    return known_analyst(store, analyst)


def open_store(db_path: Path | None, create: bool = False) -> Store:
    """The store for a command. Only ingest creates one; a read command on a path with no store
    says so (a mistyped --db would otherwise show an empty store)."""
    return Store(db_path, create=create)


class Ticker:
    """Progress where no bar shows: a line on stderr at most every ``every`` seconds."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self.last = time.monotonic()

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            click.echo(f"argmap: {text}", err=True)
            self.last = now


def iter_progress(label, ticker: Ticker | None = None):
    """Wraps an iterable in a progress bar on a terminal; when stderr is piped, a periodic line."""
    def wrap(items):
        items = list(items)
        if not sys.stderr.isatty() or len(items) < 2:
            tick = ticker or Ticker()
            for n, item in enumerate(items):
                tick(f"{label.lower()}: {n:,} of {len(items):,} done, now {item}")
                yield item
            return
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield from bar
    return wrap
