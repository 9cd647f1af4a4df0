"""`argmap import`: saved pages, URLs, PDFs, .docx, transcripts and comment CSVs into corpus
Markdown files (sources.py converts; this layer names, refuses to overwrite, writes, reports)."""
from __future__ import annotations

from pathlib import Path

import click

from .cli_options import json_option
from .errors import ArgmapError, InputError
from .output import echo, json_lines, make_folder, table, write_atomic


@click.command("import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("corpus"),
              show_default=True, help="Folder for the Markdown files (made if missing).")
@click.option("--as", "as_", type=click.Choice(["auto", "transcript", "text"]), default="auto", show_default=True,
              help="How a .txt is read: a transcript (each 'NAME:' speaker an analyst, a moderator's questions "
                   "kept as context), plain text, or auto (a transcript when most paragraphs start with a "
                   "speaker label and there are two speakers or more).")
@click.option("--force", is_flag=True, help="Overwrite Markdown files that already exist (they may hold your corrections).")
@json_option
def import_command(sources, out_dir, as_, force, as_json):
    """Turn each SOURCE into a corpus Markdown file that you can read, correct and ingest.

    SOURCE is a saved web page (.html, .htm), an http(s) URL, a .pdf with a text layer, a .docx,
    a transcript or plain text (.txt), a CSV of comments (Talk to the City, Polis), or a folder of
    such files (its .md files are left alone: they are corpus files already). The file is
    named after the source (report.pdf -> OUT/report.md), which is also the document id that
    `argmap ingest` gives it. A source that cannot be read gets one
    line and the others are still imported; the exit status is non-zero when nothing was.
    """
    from .corpus import document_id, parse_text
    from .sources import source_markdown

    written, failed = [], 0
    claimed: dict[Path, str] = {}
    found, problems = expand(sources)
    for problem in problems:
        echo(f"argmap: {problem}", err=True)
    for source in found:
        try:
            target = out_dir / f"{document_id(source)}.md"
            if target in claimed:
                raise InputError(source, f"{target} is already written from {claimed[target]} in this run; "
                                         "import one of them on its own with another --out")
            if target.exists() and not force:
                raise InputError(source, f"{target} already exists (it may hold your corrections); "
                                         "pass --force to overwrite it")
            text, digest = source_markdown(source, as_)
            parsed = parse_text(target, text, digest)  # what ingest will read: checked before writing
            make_folder(out_dir)
            write_atomic(target, text.encode("utf-8"))
        except ArgmapError as e:
            echo(f"argmap: {e}", err=True)
            failed += 1
            continue
        except OSError as e:
            echo(f"argmap: {e.filename or out_dir}: {e.strerror or e}", err=True)
            failed += 1
            continue
        claimed[target] = source
        pars = [p for p in parsed.paragraphs if p.kind != "heading"]
        analysts = sorted({p.analyst or parsed.default_analyst for p in pars if p.kind != "context"})
        written.append({"source": str(source), "file": str(target), "analysts": len(analysts),
                        "paragraphs": len(pars), "context": sum(p.kind == "context" for p in pars)})
    if as_json:
        json_lines(written)
    elif written:
        table([(w["source"], w["file"], w["analysts"], w["paragraphs"]) for w in written],
              ["source", "file", "analysts", "paragraphs"])
    if not written:
        raise SystemExit(1)


def expand(sources) -> tuple[list[str], list[InputError]]:
    """The sources to import, in one order whatever the order given (URLs, then files by absolute
    path), a folder replaced by the files in it that import reads; and the paths that are not there
    or hold nothing to import, each as a problem."""
    from .corpus import is_url
    from .sources import IMPORTABLE

    urls, files, problems = set(), set(), []
    for source in sources:
        path = Path(source)
        if is_url(source):
            urls.add(source)
        elif not path.exists():
            problems.append(InputError(path, "no such file or folder"))
        elif not path.is_dir():
            files.add(path)
        else:
            inside = [f for f in path.rglob("*") if f.is_file()
                      and not any(part.startswith(".") for part in f.relative_to(path).parts)]
            mine = [f for f in inside if f.suffix.lower() in IMPORTABLE]
            if not mine:
                problems.append(InputError(path, f"folder has no files argmap imports ({', '.join(IMPORTABLE)})"))
            files.update(mine)
    return sorted(urls) + [str(f) for f in sorted(files, key=lambda f: str(f.resolve()))], problems
