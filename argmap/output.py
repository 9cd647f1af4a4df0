"""Output for people (aligned tables) and for machines (JSON lines), and the hygiene every file
argmap writes shares: clean text, safe links, inert spreadsheet cells."""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import secrets
import shutil
import textwrap
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import quote, urlsplit

import click


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo for text that may hold corpus text: terminal escapes and bidi overrides dropped."""
    click.echo(clean_text(text), err=err, nl=nl)


def find_name(given: str, names: Iterable[str]) -> str | None:
    """The stored name a user means by ``given``: the same name in any case, else the name as
    argmap prints it (``clean_text``: a name stored with bidi or control characters is printed
    without them, and typed as printed). None when there is none."""
    names = list(names)
    for form in (lambda n: n.strip().casefold(), lambda n: clean_text(n).strip().casefold()):
        want = form(given)
        match = next((n for n in names if form(n) == want), None)
        if match is not None:
            return match
    return None


def json_lines(objects: Iterable[dict]) -> None:
    for obj in objects:
        click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def table(rows: Sequence[Sequence[object]], headers: Sequence[str], wrap: str | None = None,
          width: int | None = None) -> None:
    """Print an aligned table; the column named ``wrap`` takes the remaining width and wraps.
    Cells are clean text (no terminal escapes or bidi overrides from the corpus), one line each."""
    if not rows:
        return
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[("" if v is None else clean_text(v).replace("\n", " ")) for v in row] for row in rows]
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


# --- corpus text leaving argmap: clean text, safe links, inert spreadsheet cells ---------------

# C0/C1 controls but tab and newline, bidi embeddings/overrides/isolates and marks, lone
# surrogates, and the XML noncharacters: invisible, they can reorder or break what a reader sees.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                           "\ud800-\udfff\ufffe\uffff]")
LINK_SCHEMES = ("http", "https")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


# terminal escape sequences: CSI (colours, clearing the screen) and OSC (window titles, links)
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]")


def clean_text(text: str) -> str:
    """Corpus text fit for any file or terminal argmap writes to: CR/CRLF become newlines;
    terminal escape sequences, control characters (but tab and newline) and bidi overrides such
    as U+202E are dropped."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE_CHARS.sub("", _ESCAPES.sub("", text) if "\x1b" in text or "\x9b" in text else text)


def safe_url(url: str | None) -> str:
    """``url`` when it is an absolute http(s) link (characters that could end a quoted string
    percent-encoded), else "": the only corpus URLs argmap turns into links."""
    url = (url or "").strip()
    if not url or any(c.isspace() or _UNSAFE_CHARS.match(c) for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
        return ""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def csv_cell(value):
    """A spreadsheet cell that cannot run or mislead: clean text (no control characters or bidi
    overrides); text starting with = + - @ tab or CR gets a leading ' (OWASP); numbers, and text
    that is just a number such as -0.50, are kept."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START)) \
            and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """CSV text (header row first) with every cell passed through ``csv_cell``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def make_folder(folder: Path) -> None:
    """``mkdir -p`` for an output folder; where a part of the path is a file, the OSError says so
    (mkdir's own words, "File exists", named neither the file nor the problem)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise NotADirectoryError(errno.ENOTDIR, f"{blocker} is a file, not a folder") from None


def write_atomic(path: Path, payload: bytes) -> None:
    """Write a temporary file beside ``path`` (mode 0666 less umask), then os.replace it."""
    write_all_atomic([(path, payload)])


def temporary_beside(path: Path) -> Path:
    """A fresh hidden name in ``path``'s folder, for a file that replaces ``path`` when complete."""
    return path.with_name(f".{path.name[:180]}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def write_all_atomic(files: Iterable[tuple[Path, bytes]]) -> list[Path]:
    """All or nothing: each (path, payload), taken one at a time (a generator keeps one payload in
    memory), is written to a temporary file beside its path, and only when all are complete do
    they replace their paths (renames need no disk space). A failure (a full disk) removes the
    temporary files and leaves every path as it was. A symlink's target is what is replaced; a
    path that is a device or a FIFO (``--out /dev/stdout``) is written to, never replaced by a
    file. Returns the paths written."""
    done: list[tuple[Path, Path, Path]] = []  # (temporary file, the file it replaces, the path as given)
    written: list[Path] = []
    try:
        for path, payload in files:
            if os.path.exists(path) and not os.path.isfile(path):  # a device (/dev/null, /dev/stdout), a FIFO,
                with open(path, "wb") as f:                          # or a link to one: written to, not replaced
                    f.write(payload)
                written.append(Path(path))
                continue
            target = Path(os.path.realpath(path))  # through a symlink to a file: its target is replaced
            tmp = temporary_beside(target)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            done.append((tmp, target, Path(path)))
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
        while done:
            tmp, target, path = done[0]
            os.replace(tmp, target)
            written.append(path)  # as the caller named it
            done.pop(0)
        return written
    except BaseException:
        for tmp, *_ in done:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
