"""Output for people (aligned tables) and for machines (JSON lines)."""
from __future__ import annotations

import json
import shutil
import textwrap
from typing import Iterable, Sequence

import click


def json_lines(objects: Iterable[dict]) -> None:
    for obj in objects:
        click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def table(rows: Sequence[Sequence[object]], headers: Sequence[str], wrap: str | None = None,
          width: int | None = None) -> None:
    """Print an aligned table; the column named ``wrap`` takes the remaining width and wraps."""
    if not rows:
        return
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    wi = headers.index(wrap) if wrap in headers else None
    if wi is not None:
        fixed = sum(w for i, w in enumerate(widths) if i != wi) + 2 * (len(headers) - 1)
        widths[wi] = max(30, min(widths[wi], width - fixed))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        parts = [textwrap.wrap(c, widths[i]) or [""] if i == wi else [c] for i, c in enumerate(row)]
        for k in range(max(len(p) for p in parts)):
            click.echo("  ".join((p[k] if k < len(p) else "").ljust(widths[i]) for i, p in enumerate(parts)).rstrip())
