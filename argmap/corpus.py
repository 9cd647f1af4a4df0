"""Parse stage: corpus files in, documents and paragraphs (with exact spans) out.

Two formats load:
* Markdown (``.md``) with YAML front matter (title, outlet, date, url, authors, note).
  A line ``<!-- analyst: NAME -->`` marks the start of one analyst's contribution;
  ``<!-- context: NAME -->`` the start of text kept as context, never claims (a moderator's
  questions); ``#`` headings are structure and never become claims; ``- `` items are paragraphs;
  a backslash at the start of a paragraph escapes it (it is plain text) and is not part of it.
* Plain text (``.txt``): the first non-empty line is the title, paragraphs are
  separated by blank lines; lines starting with a bullet are items.

Saved web pages, PDFs, .docx, comment CSVs and .txt transcripts are converted to that Markdown
first (sources.py); spans then index into the converted text.

Every paragraph keeps its character span in the file's text, so each claim can be
traced back with ``text[start:end]``.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from .errors import InputError, lone_surrogate
from .models import Document, Paragraph

CONVERTED = (".html", ".htm", ".pdf", ".docx", ".csv")  # read through sources.py
SUFFIXES = (".md", ".markdown", ".txt") + CONVERTED
READ_TYPES = ".md, .txt, .html, .pdf, .docx or a comment .csv"  # for messages
MAX_FILE_BYTES = 2_000_000  # about 12,000 claims: within the speed targets (docs/performance.md)
MAX_PARAGRAPH = 100_000  # characters; spaCy needs about 1 GB per 100,000 (its own limit is 1,000,000)
FRONT_KEYS = {"title", "outlet", "date", "url", "authors", "note"}
_MARKER = re.compile(r"^<!--\s*analyst:\s*(?P<name>.+?)\s*-->$")
_MARKER_ATTEMPT = re.compile(r"^<!--\s*analyst\b", re.I)  # a comment that opens like a marker is meant as one
_CONTEXT = re.compile(r"^<!--\s*context(?::\s*(?P<name>.*?))?\s*-->$")
_ESCAPE = "\\"  # a paragraph starting with a backslash: the rest is plain text
_BULLET = re.compile(r"^[ \t]*(?:[-*+]|•)[ \t]+")
_BLOCK_SEP = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class ParsedDocument:
    document: Document
    text: str  # the whole file's text: claim spans index into it
    paragraphs: tuple[Paragraph, ...] = field(default=())

    @property
    def default_analyst(self) -> str:
        return default_analyst(self.document)


def default_analyst(doc: Document) -> str:
    """Who speaks in text with no marker and no quote: the authors, else the outlet."""
    if doc.authors:
        return " and ".join(doc.authors)
    return doc.outlet or doc.title


def document_id(path: Path | str) -> str:
    """A slug of the file name without extension, or of a URL's last path segment (its host
    when the path is empty): ``corpus/RFA dual.md`` -> ``rfa-dual``."""
    if is_url(path):
        rest = re.sub(r"^https?://", "", str(path), flags=re.I).split("?")[0].split("#")[0].rstrip("/")
        host, _, tail = rest.partition("/")
        stem = re.sub(r"\.(?:html?|php|aspx?|pdf)$", "", tail.rsplit("/", 1)[-1] if tail else host, flags=re.I)
    else:
        stem = Path(path).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug or "document"


def stored_path(path: Path | str) -> str:
    """A file's absolute path as the store keeps it: the bytes of a name that is not UTF-8 (a
    Latin-1 ``caf\\xe9.md``) written as ``\\xe9`` escapes, since no UTF-8 text can hold them."""
    text = str(Path(path).resolve())
    return os.fsencode(text).decode("utf-8", "backslashreplace") if lone_surrogate(text) else text


def is_url(source: Path | str) -> bool:
    """An http(s) URL given where a file could be (a ``str``: a Path would have lost its '//')."""
    return isinstance(source, str) and re.match(r"^https?://", source, re.I) is not None


def read_text(path: Path) -> tuple[str, str]:
    """Return (text, sha256 of bytes). Only regular files are read (a FIFO would block), up to
    MAX_FILE_BYTES. UTF-8, or UTF-16/32 with a byte-order mark; InputError for anything else."""
    data = read_bytes(path)
    return decode(path, data), hashlib.sha256(data).hexdigest()


def decode(path: Path, data: bytes) -> str:
    """The text of a file's bytes (see read_text), CRLF as LF and a byte-order mark dropped."""
    if not data.strip():
        raise InputError(path, "empty document: the file has no text")
    text = _decode(path, data)
    if text.startswith("\ufeff"):
        text = text[1:]  # spans count characters after the BOM; keep it simple and documented
    return text.replace("\r\n", "\n") if "\r\n" in text else text


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, checked on the open descriptor (no FIFO, device or folder),
    up to ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        raise InputError(path, "is a folder, not a file")
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, "not a regular file (a pipe, socket or device); argmap reads only files")
        if info.st_size > limit:
            what = "corpus files" if limit == MAX_FILE_BYTES else f"{path.suffix} files"
            raise InputError(path, f"file is {info.st_size / 1e6:.1f} MB; argmap reads {what} up to {limit / 1e6:.0f} MB "
                                   "(about 12,000 claims of text): split it into several files")
        try:
            return f.read(limit + 1)
        except OSError as e:
            raise InputError(path, f"cannot read: {e.strerror}") from None


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decode(path: Path, data: bytes) -> str:
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    head = data[:8192]
    if encoding == "utf-8" and b"\x00" in head:
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if len(head) >= 8 and max(odd, even) > 0.6 * len(head) / 2 and min(odd, even) < 0.05 * len(head) / 2:
            raise InputError(path, "UTF-16 text without a byte-order mark; save it as UTF-8")
        raise InputError(path, "binary file, not text")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        name = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise InputError(path, f"not {name} text (bad byte at offset {e.start})") from None


def _front_matter(path: Path, text: str) -> tuple[dict, int]:
    """Return (metadata, offset where the body starts)."""
    if not text.startswith("---\n"):
        raise InputError(path, "missing YAML front matter (the file must start with a '---' line)")
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise InputError(path, "malformed front matter: no closing '---' line")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(path, f"malformed front matter{where}: {problem}") from None
    except RecursionError:  # a value nested thousands deep
        raise InputError(path, "malformed front matter: values nested too deeply") from None
    except ValueError as e:  # a value YAML recognises but cannot build, as the date 2021-02-29
        raise InputError(path, f"malformed front matter: {str(e).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise InputError(path, "malformed front matter: expected 'key: value' lines")
    unknown = sorted(set(map(str, meta)) - FRONT_KEYS)
    if unknown:
        raise InputError(path, f"malformed front matter: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(FRONT_KEYS))})")
    title = meta.get("title")
    if isinstance(title, (int, float)) and not isinstance(title, bool):
        title = str(title)  # `title: 1984` is a title
    if title is None or isinstance(title, str) and not title.strip():
        raise InputError(path, "malformed front matter: 'title' is missing or empty")
    if not isinstance(title, str):
        raise InputError(path, f"malformed front matter: 'title' must be text, not a {type(title).__name__}")
    authors = meta.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        raise InputError(path, "malformed front matter: 'authors' must be a list of names")
    for key in ("outlet", "url", "note", "date"):
        value = meta.get(key)
        if value is not None and not isinstance(value, (str, int, float)) and not hasattr(value, "isoformat"):
            raise InputError(path, f"malformed front matter: '{key}' must be text")
    date = meta.get("date")
    texts = {k: str(meta.get(k) or "") for k in ("title", "outlet", "url", "note", "date")}
    texts["authors"] = " ".join(map(str, authors))
    bad = next((k for k, v in texts.items() if lone_surrogate(v)), None)
    if bad:
        raise InputError(path, f"malformed front matter: '{bad}' is not Unicode text (an escape such as \\ud800 "
                               "names half a character)")
    meta = {
        "title": title.strip(),
        "outlet": str(meta.get("outlet") or "").strip(),
        "date": date.isoformat() if hasattr(date, "isoformat") else str(date or "").strip(),
        "url": str(meta.get("url") or "").strip(),
        "authors": tuple(a.strip() for a in authors),
        "note": str(meta.get("note") or "").strip(),
    }
    body = end + 4
    return meta, body


def _blocks(text: str, start: int) -> Iterator[tuple[int, int]]:
    """Spans of blank-line-separated blocks of text[start:], trimmed of surrounding whitespace."""
    pos = start
    for m in list(_BLOCK_SEP.finditer(text, start)) + [None]:
        end = m.start() if m else len(text)
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            yield a, b
        if m:
            pos = m.end()


def _lines(text: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    pos = a
    while pos < b:
        nl = text.find("\n", pos, b)
        end = b if nl == -1 else nl
        yield pos, end
        pos = end + 1


def _paragraphs(path: Path, text: str, start: int, markdown: bool) -> list[Paragraph]:
    out: list[Paragraph] = []
    analyst = None
    context = False  # inside a <!-- context --> section: paragraphs are context, not claims
    number = 0

    def add(a: int, b: int, kind: str) -> None:
        nonlocal number
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a >= b:
            return
        if kind != "heading":
            number += 1
        if context and kind != "heading":
            kind = "context"
        out.append(Paragraph(number if kind != "heading" else 0, a, b, text[a:b], analyst, kind))

    for a, b in _blocks(text, start):
        if markdown:
            # marker, comment and heading lines may sit directly above their paragraph
            while a < b:
                nl = text.find("\n", a, b)
                line_end = b if nl == -1 else nl
                line = text[a:line_end].strip()
                marker = _MARKER.match(line)
                section = _CONTEXT.match(line)
                if marker:
                    analyst, context = marker.group("name").strip(), False
                elif section:
                    analyst, context = (section.group("name") or "").strip() or None, True
                elif line.startswith("<!--"):
                    if _MARKER_ATTEMPT.match(line):  # other comments (<!-- TODO: the analyst names -->) are comments
                        raise InputError(path, f"malformed analyst marker {line!r} (expected '<!-- analyst: NAME -->')")
                    close = text.find("-->", a, b)
                    if close == -1:
                        break  # an unclosed comment: treat the block as text
                    line_end = close + 3  # a comment may span lines; skip all of it
                elif line.startswith("#"):
                    m = re.match(r"[ \t]*#+[ \t]*", text[a:line_end])
                    add(a + m.end(), line_end, "heading")
                else:
                    break
                a = line_end
                while a < b and text[a].isspace():
                    a += 1
            if a >= b:
                continue
            if text.startswith(_ESCAPE, a) and b > a + 1:
                add(a + 1, b, "text")
                continue
        lines = list(_lines(text, a, b))
        if any(_BULLET.match(text[la:lb]) for la, lb in lines):
            for la, lb in lines:
                m = _BULLET.match(text[la:lb])
                if m:
                    add(la + m.end(), lb, "item")
                elif out and out[-1].kind == "item" and out[-1].end <= la:
                    # continuation line of the previous item: extend it
                    prev = out.pop()
                    number -= 1
                    add(prev.start, lb, "item")
                else:
                    add(la, lb, "text")
        else:
            add(a, b, "text")
    return out


def parse_file(path: Path | str) -> ParsedDocument:
    """A corpus file parsed. A saved page, PDF, .docx, CSV or .txt transcript is converted to corpus
    Markdown first (sources.py); its content hash is still that of the file's bytes."""
    if is_url(path):
        from .sources import source_markdown

        text, digest = source_markdown(path)
        return parse_text(path, text, digest)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(path, f"unsupported file type {path.suffix or '(none)'!r} "
                               f"(use {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]})")
    if suffix in CONVERTED:
        from .sources import source_markdown

        text, digest = source_markdown(path)
        return parse_text(path, text, digest)
    text, digest = read_text(path)
    if suffix == ".txt":
        from .sources import checked_markdown, from_transcript, is_transcript

        if is_transcript(text):
            return parse_text(path, checked_markdown(path, from_transcript(path, text)), digest)
    return parse_text(path, text, digest, markdown=suffix != ".txt")


def parse_text(path: Path | str, text: str, digest: str, markdown: bool = True) -> ParsedDocument:
    """Parse a file's (or a URL's converted) text: corpus Markdown, or plain text (``markdown=False``)."""
    if not markdown:
        m = re.search(r"\S[^\n]*", text)
        if not m:
            raise InputError(path, "empty document: no text")
        meta = {"title": m.group(0).strip(), "outlet": "", "date": "", "url": "", "authors": (), "note": ""}
        paragraphs = _paragraphs(path, text, m.end(), markdown=False)
    else:
        meta, body = _front_matter(path, text)
        paragraphs = _paragraphs(path, text, body, markdown=True)
    if not any(p.kind != "heading" for p in paragraphs):
        raise InputError(path, "empty document: no text paragraphs")
    long = next((p for p in paragraphs if p.end - p.start > MAX_PARAGRAPH), None)
    if long is not None:
        raise InputError(path, f"the paragraph at line {text.count(chr(10), 0, long.start) + 1} is "
                               f"{long.end - long.start:,} characters long; argmap reads paragraphs up to "
                               f"{MAX_PARAGRAPH:,} (separate paragraphs with blank lines)")
    doc = Document(id=document_id(path), path=path if is_url(path) else stored_path(path),
                   content_hash=digest, **meta)
    return ParsedDocument(doc, text, tuple(paragraphs))


def stored_paragraphs(path: Path | str, text: str) -> list[Paragraph]:
    """The paragraphs of a stored document's text (``Store.document_text``), numbered and spanned
    as when it was ingested, so that ``Claim.paragraph``/``start``/``end`` point into them. The
    stored text is corpus Markdown for every source but a plain ``.txt`` (a transcript was converted
    to Markdown, front matter first)."""
    txt = str(path).lower().endswith(".txt")
    try:
        return list(parse_text(path, text, "", markdown=not txt or text.startswith("---\n")).paragraphs)
    except InputError:
        if not txt:
            raise
        return list(parse_text(path, text, "", markdown=False).paragraphs)  # plain text that begins with '---'



def find_files(paths: Iterable[Path | str]) -> tuple[list[Path | str], list[InputError], list[InputError]]:
    """Expand files and folders into corpus files (and http(s) URLs given as ``str``), sorted.
    Returns (files, problems, notes):
    problems are paths that cannot be read; notes say which files in a folder were skipped and why
    (hidden files and README/PROVENANCE files are skipped by design, without a note)."""
    files: list[Path] = []
    problems: list[InputError] = []
    notes: list[InputError] = []
    for p in paths:
        if is_url(p):
            files.append(p)  # fetched when it is read
            continue
        if not str(p).strip():  # Path("") is ".": an unset shell variable would read the working folder
            problems.append(InputError("''", "an empty path (an unset variable?); name a file or folder"))
            continue
        p = Path(p)
        if not p.exists():
            problems.append(InputError(p, "no such file or folder"))
        elif p.is_dir():
            found, other_type, irregular = [], [], []
            for f in sorted(p.rglob("*")):
                if f.name.startswith(".") or f.is_dir() or f.name.upper() in {"README.MD", "PROVENANCE.MD"}:
                    continue
                if f.suffix.lower() not in SUFFIXES or f.suffix.lower() == ".csv" and not _is_comment_csv(f):
                    other_type.append(f)
                elif not f.is_file():
                    irregular.append(f)
                else:
                    found.append(f)
            # a source imported beside itself (corpus/x.pdf and corpus/x.md): the Markdown, which the
            # user may have corrected, is the document; the source is not read again
            markdown = {(f.parent, document_id(f)) for f in found if f.suffix.lower() in (".md", ".markdown")}
            imported = [f for f in found if f.suffix.lower() not in (".md", ".markdown")
                        and (f.parent, document_id(f)) in markdown]
            found = [f for f in found if f not in imported]
            skipped = []
            if imported:
                skipped.append(f"skipped {_count(imported, 'source')} imported as Markdown beside "
                               f"{'it' if len(imported) == 1 else 'them'} (the .md is read): {_names(imported)}")
            if other_type:
                skipped.append(f"skipped {_count(other_type, 'file')} that argmap does not read (not "
                               f"{READ_TYPES}): {_names(other_type)}")
            if irregular:
                skipped.append(f"skipped {_count(irregular, 'entry', 'entries')} that "
                               f"{'is' if len(irregular) == 1 else 'are'} not a regular file: {_names(irregular)}")
            if not found:
                problems.append(InputError(p, f"folder has no files argmap reads ({READ_TYPES})"
                                              + "".join(f"; {s}" for s in skipped)))
            else:
                notes.extend(InputError(p, s) for s in skipped)
            files.extend(found)
        else:
            files.append(p)
    unique = sorted(set(files), key=lambda f: f if isinstance(f, str) else str(f.resolve()))
    return unique, problems, notes


def _count(items: list, one: str, many: str | None = None) -> str:
    return f"{len(items)} {one if len(items) == 1 else many or one + 's'}"


def _names(paths: list[Path], shown: int = 3) -> str:
    names = ", ".join(f.name for f in paths[:shown])
    return names + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def _is_comment_csv(path: Path) -> bool:
    """Does a CSV in a folder have a comment-text column (a Talk to the City or Polis export)?
    Other CSVs (argmap's own exports, data) are skipped with the note, not reported as errors."""
    from .sources import has_text_column

    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            return has_text_column(f.readline(65536))
    except OSError:
        return True  # let the reading report the problem
