#!/usr/bin/env python3
"""Check the bundled corpus against the saved source articles.

Usage: check_corpus.py SEEDS_DIR [CORPUS_DIR]

For every corpus file this checks that
  * the file is UTF-8 without BOM, uses LF line endings and ends with exactly one newline;
  * the YAML front matter (between the first two ``---`` lines) loads with
    ``yaml.safe_load`` and has string title/outlet/date/url, a list ``authors`` and an
    optional string ``note``; ``date`` is ``YYYY-MM-DD`` (or ``YYYY-MM`` with a note);
  * the body is one-line paragraphs separated by exactly one blank line;
  * every body paragraph -- the text after ``## `` for headings, after ``- `` for list
    items, marker lines ``<!-- analyst: NAME -->`` excluded -- occurs verbatim
    (character for character) as a substring of the article's seed file.

It prints, per file, the number of paragraphs checked and every problem found, and exits
with status 1 if anything is wrong.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

# corpus file name -> seed file prefix in SEEDS_DIR (seed files are named NNN_<hash>.txt)
SEEDS = {
    "chinafile-kim-visits-beijing.md": "000",
    "csis-mr-and-mrs-kim.md": "001",
    "diplomat-traditional-friendship.md": "002",
    "ippreview-still-special.md": "003",
    "rfa-dual-message.md": "004",
}

MARKER_RE = re.compile(r"^<!-- analyst: (\S(?:.*\S)?) -->$")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def find_seed(seeds_dir: Path, prefix: str) -> Path | None:
    hits = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return hits[0] if len(hits) == 1 else None


def split_front_matter(text: str) -> tuple[str, str] | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        return None
    return text[4:end + 1], text[end + len("\n---\n"):]


def check_meta(meta: object) -> list[str]:
    errs: list[str] = []
    if not isinstance(meta, dict):
        return ["front matter is not a mapping"]
    allowed = {"title", "outlet", "date", "url", "authors", "note"}
    for key in sorted(set(meta) - allowed):
        errs.append(f"unknown front-matter key {key!r}")
    for key in ("title", "outlet", "date", "url"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            errs.append(f"front matter: {key!r} missing or not a non-empty string")
    authors = meta.get("authors")
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        errs.append("front matter: 'authors' must be a list of non-empty strings")
    if "note" in meta and (not isinstance(meta["note"], str) or not meta["note"].strip()):
        errs.append("front matter: 'note' must be a non-empty string when present")
    date = meta.get("date")
    if isinstance(date, str):
        m = DATE_RE.match(date)
        if not m:
            errs.append(f"front matter: date {date!r} is not YYYY-MM-DD or YYYY-MM")
        elif not m.group(1) and "note" not in meta:
            errs.append(f"front matter: partial date {date!r} needs a note explaining it")
    return errs


def body_paragraphs(body: str) -> tuple[list[str], list[str]]:
    """Return (paragraph texts to verify, structural errors)."""
    errs: list[str] = []
    if not body.startswith("\n") or body.startswith("\n\n"):
        errs.append("body must start after exactly one blank line following the front matter")
    body = body[1:] if body.startswith("\n") else body
    if not body.endswith("\n") or body.endswith("\n\n"):
        errs.append("file must end with exactly one newline")
    body = body.rstrip("\n")
    paras: list[str] = []
    for n, block in enumerate(body.split("\n\n"), 1):
        if block == "" or "\n" in block:
            errs.append(f"block {n}: paragraphs must be single lines separated by exactly one "
                        f"blank line: {block[:60]!r}")
            continue
        if block.startswith("<!--"):
            if not MARKER_RE.match(block):
                errs.append(f"block {n}: malformed marker line {block!r}")
            continue
        if block.startswith("## "):
            paras.append(block[3:])
        elif block.startswith("- "):
            paras.append(block[2:])
        elif block.startswith("#"):
            errs.append(f"block {n}: only '## ' headings are allowed: {block[:60]!r}")
        else:
            paras.append(block)
    return paras, errs


def check_file(path: Path, seed: Path) -> tuple[int, list[str]]:
    raw = path.read_bytes()
    errs: list[str] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        errs.append("file starts with a UTF-8 BOM")
    if b"\r" in raw:
        errs.append("file contains CR characters")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 0, [f"not UTF-8: {exc}"]
    parts = split_front_matter(text)
    if parts is None:
        return 0, errs + ["no front matter between '---' lines"]
    fm, body = parts
    try:
        meta = yaml.safe_load(fm)
    except yaml.YAMLError as exc:
        errs.append(f"front matter is not valid YAML: {exc}")
    else:
        errs += check_meta(meta)
    paras, structure_errs = body_paragraphs(body)
    errs += structure_errs
    seed_text = seed.read_text(encoding="utf-8")
    for n, p in enumerate(paras, 1):
        if p not in seed_text:
            errs.append(f"paragraph {n} not verbatim in {seed.name}: {p[:80]!r}")
    return len(paras), errs


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    seeds_dir = Path(argv[1])
    corpus_dir = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent / "corpus"
    failed = False
    present = {p.name for p in corpus_dir.glob("*.md")}
    for extra in sorted(present - set(SEEDS)):
        print(f"{extra}: FAIL: no seed mapping for this corpus file")
        failed = True
    for name, prefix in SEEDS.items():
        path = corpus_dir / name
        seed = find_seed(seeds_dir, prefix)
        if not path.is_file():
            print(f"{name}: FAIL: missing")
            failed = True
            continue
        if seed is None:
            print(f"{name}: FAIL: no unique seed {prefix}_*.txt in {seeds_dir}")
            failed = True
            continue
        count, errs = check_file(path, seed)
        status = "ok" if not errs else "FAIL"
        print(f"{name}: {count} paragraphs, {status}")
        for e in errs:
            print(f"    {e}")
        failed = failed or bool(errs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
