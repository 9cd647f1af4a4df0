"""Import: what people have (saved web pages, URLs, PDFs, .docx, transcripts, comment CSVs) into
corpus Markdown.

Each ``from_*`` function turns one format into a ``Source``: metadata and a list of blocks
(analyst or None, kind, text). ``to_markdown`` renders a Source as an ordinary corpus file
(corpus.py reads it), so ``argmap import`` writes what ``argmap ingest`` would read, and
ingest converts the same way in memory. Only ``read_source`` and ``fetch_url`` do I/O.

Everything taken from a source is data: the front matter is written by a YAML dumper, and a
paragraph that would read as Markdown structure (``#``, ``<!--``, ``---``, ``>``, a bullet) starts
with a backslash, which corpus.py drops, so no source can inject an analyst marker.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .errors import InputError
from .output import clean_text

MAX_BINARY_BYTES = 20_000_000  # .pdf, .docx and saved pages (inline scripts and images) as files
FETCH_TIMEOUT = 10  # seconds, for one attempt: no retries
KINDS = ("text", "heading", "item", "context")
ESCAPED_START = re.compile(r"^(?:[#>\\]|<!--|---|[-*+•][ \t])")


@dataclass(frozen=True)
class Block:
    analyst: str | None  # the speaker; None: the document's authors (or outlet)
    kind: str  # one of KINDS; "context" is kept for reading but yields no claims
    text: str


@dataclass
class Source:
    title: str
    outlet: str = ""
    date: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    note: str = ""
    blocks: list[Block] = field(default_factory=list)


def _line(text: str | None) -> str:
    """One clean line: control characters and bidi overrides dropped, whitespace collapsed."""
    return " ".join(clean_text(text or "").split())


def _title_from(path: Path | str) -> str:
    stem = Path(str(path).rstrip("/")).stem if "://" not in str(path) else str(path).rstrip("/").rsplit("/", 1)[-1]
    return _line(re.sub(r"[-_]+", " ", stem)) or "Untitled"


def _name(name: str) -> str:
    """A speaker's name fit for a marker line: one line, no '<' or '>' (which could close it)."""
    return _line(name).replace("<", "").replace(">", "")[:200]


# ---------------------------------------------------------------- rendering

def to_markdown(source: Source) -> str:
    """The Source as corpus Markdown: YAML front matter, then blocks, with a marker wherever the
    speaker or the context state changes (``<!-- analyst: NAME -->``, ``<!-- context: NAME -->``)."""
    meta = {"title": _line(source.title) or "Untitled", "outlet": _line(source.outlet), "date": _line(source.date),
            "url": _line(source.url), "authors": [a for a in map(_line, source.authors) if a]}
    if source.note:
        meta["note"] = _line(source.note)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=float("inf"), default_flow_style=None)
    parts = [f"---\n{front}---"]
    state: tuple[bool, str | None] = (False, None)  # (context?, analyst) in force
    for block in source.blocks:
        text = _line(block.text)
        if not text:
            continue
        if block.kind != "heading":
            want = (block.kind == "context", _name(block.analyst or "") or None)
            if want == (False, None) and state != want:  # back to the document's own voice, named
                want = (False, " and ".join(meta["authors"]) or meta["outlet"] or meta["title"])
            if want != state:
                marker = "context" if want[0] else "analyst"
                parts.append(f"<!-- {marker}: {want[1]} -->" if want[1] else f"<!-- {marker} -->")
                state = want
        if block.kind == "heading":
            parts.append(f"## {text}")
        elif block.kind == "item":
            if parts[-1].startswith("- "):
                parts[-1] += f"\n- {text}"  # a list stays together
            else:
                parts.append(f"- {text}")
        else:
            parts.append("\\" + text if ESCAPED_START.match(text) else text)
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- web pages

_HTML_BLOCKS = ("head", "p", "item", "quote")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _xml_safe_refs(data: bytes | str) -> bytes | str:
    """``data`` with character references to what XML cannot hold (C0 controls but tab and
    newlines, surrogates, U+FFFE/U+FFFF, past U+10FFFF) made spaces: trafilatura's XML tree
    loses the whole article over one ``&#x1b;``. Raw control characters it copes with."""
    def safe(m) -> bytes:
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        bad = (code < 0x20 and code not in (9, 10, 13)) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) \
            or code > 0x10FFFF
        return b" " if bad else m.group(0)

    if isinstance(data, str):
        return _CHAR_REF.sub(safe, data.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
    return _CHAR_REF.sub(safe, data)


def from_html(path: Path | str, data: bytes | str, url: str = "") -> Source:
    """A saved page's article text (trafilatura: no navigation, ads, comments or share bars), with
    the title, authors, date, site name and canonical URL from the page's metadata."""
    import trafilatura
    from lxml import etree

    data = _xml_safe_refs(data)
    xml = trafilatura.extract(data, url=url or None, output_format="xml", include_comments=False,
                              include_tables=False, include_images=False, with_metadata=False)
    blocks = []
    root = etree.fromstring(xml.encode("utf-8")) if xml else etree.Element("doc")
    for br in root.iter("lb"):
        br.tail = " " + (br.tail or "")
    for el in root.iter(*_HTML_BLOCKS):
        if any(a.tag in _HTML_BLOCKS for a in el.iterancestors()):
            continue  # its text is in the enclosing block's
        text = _line("".join(el.itertext()))
        if text:
            blocks.append(Block(None, {"head": "heading", "item": "item"}.get(el.tag, "text"), text))
    if not any(b.kind != "heading" for b in blocks):
        raise InputError(path, "no article text found in the page (empty, or only navigation and scripts)")
    meta = trafilatura.extract_metadata(data, default_url=url or None)
    authors = tuple(a.strip() for a in re.split(r";|\band\b", (meta.author if meta else "") or "") if a.strip())
    return Source(title=(meta.title if meta else "") or _title_from(path), outlet=(meta.sitename if meta else "") or "",
                  date=(meta.date if meta else "") or "", url=(meta.url if meta else "") or url, authors=authors,
                  blocks=blocks)


def fetch_url(url: str, timeout: float = FETCH_TIMEOUT) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of one GET; InputError at once when it cannot be had."""
    import socket
    import urllib.error
    import urllib.request

    import time

    request = urllib.request.Request(url, headers={"User-Agent": "argmap-import/0.1 (+offline argument mapping)"})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            chunks, size = [], 0
            while size <= MAX_BINARY_BYTES:  # the timeout is for the whole download, not each read
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = response.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            body = b"".join(chunks)
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and size < int(expected):
                raise InputError(url, f"cannot fetch: the download stopped after {size:,} of {int(expected):,} bytes")
            ctype, final = response.headers.get_content_type(), response.geturl()
    except urllib.error.HTTPError as e:
        raise InputError(url, f"cannot fetch: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
        raise InputError(url, f"cannot fetch (no network, or the site cannot be reached): {reason}") from None
    except (socket.timeout, TimeoutError):
        raise InputError(url, f"cannot fetch: no answer in {timeout:.0f} s") from None
    except (OSError, ValueError) as e:
        raise InputError(url, f"cannot fetch: {e}") from None
    if len(body) > MAX_BINARY_BYTES:
        raise InputError(url, f"the page is over {MAX_BINARY_BYTES / 1e6:.0f} MB; save what you need and import that")
    return body, ctype, final


# ---------------------------------------------------------------- PDF

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_TERMINAL = (".", "!", "?", "”", '"', "’", ":", ")")


def from_pdf(path: Path | str, data: bytes) -> Source:
    """A text PDF's paragraphs in reading order (columns read one after the other), without page
    numbers and running headers; Title, Author and CreationDate from the PDF's Info."""
    import logging

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings on odd fonts are not the user's problem
    try:
        info = PDFDocument(PDFParser(io.BytesIO(data))).info
        pages = [[(*el.bbox, _pdf_text(el.get_text())) for el in page if isinstance(el, LTTextContainer)]
                 for page in extract_pages(io.BytesIO(data), laparams=LAParams(boxes_flow=None))]
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise InputError(path, "the PDF is encrypted; save an unprotected copy first") from None
    except PDFSyntaxError as e:
        raise InputError(path, f"not a readable PDF ({e})") from None
    except Exception as e:  # pdfminer raises many kinds on damaged files
        raise InputError(path, f"not a readable PDF ({type(e).__name__}: {e})") from None
    texts = [[t for *_, t in page if t] for page in pages]
    if not any(texts):
        raise InputError(path, "no text layer (a scanned or image-only PDF); run OCR first")
    repeated = _running_lines(texts)
    paragraphs: list[str] = []
    try:
        ordered = [reading_order([b for b in page if b[4]]) for page in pages]
    except RecursionError:
        raise InputError(path, "the page layout is too deeply nested to put in reading order "
                               "(thousands of staggered text boxes); export the text another way") from None
    for page in ordered:
        for *_, text in page:
            if _PAGE_NUMBER.match(text) or text in repeated:
                continue
            if paragraphs and not paragraphs[-1].endswith(_TERMINAL) and text[:1].islower():
                paragraphs[-1] += " " + text  # a paragraph running on into the next column or page
            else:
                paragraphs.append(text)
    meta = info[0] if info else {}
    return Source(title=_pdf_meta(meta.get("Title")) or _title_from(path), date=_pdf_date(meta.get("CreationDate")),
                  authors=tuple(a.strip() for a in re.split(r";|\band\b", _pdf_meta(meta.get("Author"))) if a.strip()),
                  blocks=[Block(None, "text", p) for p in paragraphs])


def _pdf_text(text: str) -> str:
    text = re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", text)  # a word hyphenated at a line end
    return _line(text)


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Short lines on most pages of a document of 3 pages or more: running headers and footers."""
    if len(pages) < 3:
        return set()
    counts: dict[str, int] = {}
    for page in pages:
        for text in set(page):
            if len(text) < 80:
                counts[text] = counts.get(text, 0) + 1
    return {t for t, n in counts.items() if n > len(pages) / 2}


def _pdf_meta(value) -> str:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, bytes):
        value = decode_text(value)
    return _line(value) if isinstance(value, str) else ""


def _pdf_date(value) -> str:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", _pdf_meta(value))
    return "-".join(g for g in m.groups() if g) if m else ""


def reading_order(boxes: list[tuple]) -> list[tuple]:
    """Text boxes (x0, y0, x1, y1, ...) in reading order, by recursive cuts: where a vertical gap
    splits the boxes into columns, the left column is read before the right; otherwise bands
    separated by horizontal gaps are read top to bottom, consecutive bands that share a column gap
    (a column layout under a full-width title) read as one."""
    if len(boxes) < 2:
        return list(boxes)
    cut = _column_gap(boxes)
    if cut is not None:
        return (reading_order([b for b in boxes if b[2] <= cut])
                + reading_order([b for b in boxes if b[2] > cut]))
    bands = _bands(boxes)
    if len(bands) == 1:
        return sorted(boxes, key=lambda b: (-b[3], b[0]))
    out, group = [], bands[0]
    for band in bands[1:]:
        if _column_gap(group + band) is not None:
            group = group + band
        else:
            out += reading_order(group)
            group = band
    return out + reading_order(group)


def _column_gap(boxes: list[tuple], min_gap: float = 6.0) -> float | None:
    """The x of the widest vertical gap of at least ``min_gap`` points between the boxes, or None."""
    spans = sorted((b[0], b[2]) for b in boxes)
    best, right = None, spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - right >= min_gap and (best is None or x0 - right > best[0]):
            best = (x0 - right, right)
        right = max(right, x1)
    return best[1] if best else None


def _bands(boxes: list[tuple]) -> list[list[tuple]]:
    """Boxes grouped into horizontal bands separated by empty space, top to bottom."""
    bands: list[list[tuple]] = []
    bottom = None
    for b in sorted(boxes, key=lambda b: -b[3]):
        if bands and b[3] > bottom:
            bands[-1].append(b)
            bottom = min(bottom, b[1])
        else:
            bands.append([b])
            bottom = b[1]
    return bands


# ---------------------------------------------------------------- Word

def from_docx(path: Path | str, data: bytes) -> Source:
    """A .docx: headings become ``##`` headings, list paragraphs items, the rest paragraphs;
    title, author and created date from its core properties."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputError(path, f"not a readable .docx file ({type(e).__name__})") from None
    if unpacked > DOCX_MAX_UNPACKED:
        raise InputError(path, f"the .docx unpacks to {unpacked / 1e6:,.0f} MB; argmap reads .docx files that "
                               f"unpack to at most {DOCX_MAX_UNPACKED / 1e6:,.0f} MB")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise InputError(path, f"not a readable .docx file ({type(e).__name__})") from None
    except Exception as e:  # a damaged zip or XML
        raise InputError(path, f"not a readable .docx file ({type(e).__name__}: {e})") from None
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph as DocxParagraph

    blocks, title = [], ""
    body, run_text = document.element.body, qn("w:t")
    for element in body.iterchildren(qn("w:p")):  # document.paragraphs, without a wrapper per empty one
        if element.find(f".//{run_text}") is None:
            continue  # no text (a file of a million empty paragraphs cost 1.5 ms each)
        par = DocxParagraph(element, document._body)
        text = _line(par.text)
        style = (par.style.name if par.style is not None else "") or ""
        if not text:
            continue
        if style == "Title":
            title = title or text
            continue
        numbered = par._p.pPr is not None and par._p.pPr.numPr is not None
        kind = "heading" if style.startswith("Heading") else "item" if style.startswith("List") or numbered else "text"
        blocks.append(Block(None, kind, text))
    props = document.core_properties
    author, created = props.author or "", props.created
    if (author, created and created.isoformat()) == _DOCX_TEMPLATE:
        author, created = "", None  # python-docx's own template values: the file's maker set none
    return Source(title=_line(props.title) or title or _title_from(path),
                  date=created.date().isoformat() if created else "",
                  authors=tuple(a.strip() for a in re.split(r";", author) if a.strip()), blocks=blocks)


DOCX_MAX_UNPACKED = 256_000_000  # bytes a .docx may unpack to (its XML is read whole): a zip bomb is refused

# The core properties of python-docx's default template, which a file made with it keeps unless set
_DOCX_TEMPLATE = ("python-docx", "2013-12-23T23:15:00+00:00")


# ---------------------------------------------------------------- plain text and transcripts

_SPEAKER = re.compile(
    r"^[ \t]*(?:\[?\d{1,2}:\d{2}(?::\d{2})?\]?[ \t]+)?"  # an optional time stamp
    r"(?P<label>(?:[A-Z][\w'’.\-]*)(?:[ \t]+(?:[A-Z][\w'’.\-]*|of|the|de|van|von|da|al|bin|OF|THE)){0,4})"
    r"(?:[ \t]*\([^()\n]{1,40}\))?[ \t]*:(?:[ \t]+|$)")
_PARTICLES = ("of", "the", "de", "van", "von", "da", "al", "bin")
NOT_SPEAKERS = {
    "note", "notes", "update", "updated", "editor's note", "editor’s note", "source", "sources", "photo", "correction",
    "related", "disclaimer", "summary", "warning", "tags", "posted", "published", "read more", "see also", "contact",
    "email", "e-mail", "phone", "tel", "fax", "web", "website", "url", "subject", "date", "time", "location", "place",
    "re", "cc", "to", "from", "transcript", "participants", "panelists", "panellists", "present", "witnesses", "ps",
    "p.s", "nb", "caption", "credit", "image", "video", "audio", "title", "by", "keywords", "abstract", "topic",
}
HONORIFICS = {"senator", "sen", "mr", "mrs", "ms", "dr", "president", "governor", "gov", "secretary", "ambassador",
              "professor", "prof", "rep", "representative", "minister", "general", "judge", "mayor"}
MODERATOR_LABELS = {"moderator", "moderators", "q", "question", "interviewer", "host", "co-host", "chair", "chairman",
                    "chairwoman", "chairperson", "the chair", "the chairman", "the chairwoman", "presiding officer"}
# "MODERATOR: Chris Wallace (Fox News)" on a line of its own, "Moderated by Chris Wallace"; not
# "MODERATOR: Jane Doe, welcome to the show", where the moderator addresses a guest
_MODERATOR_NAMED = re.compile(r"(?i:\bmoderat(?:ors?\b:?|ed by\b))\s+"
                              r"(?P<names>[A-Z][\w'’.\-]*(?:(?:[ \t]+|,[ \t]*|[ \t]+and[ \t]+)[A-Z][\w'’.\-]*){1,7})"
                              r"(?=[ \t]*(?:\(|$))", re.M)


def _speaker(line: str, caps: bool = False) -> tuple[str, str] | None:
    """(label, the rest of the line) where a line starts with a speaker label, else None.
    With ``caps``, only labels in capitals count ("Look: we need ..." is then speech)."""
    m = _SPEAKER.match(line)
    if not m or len(m.group("label")) > 40 or m.group("label").casefold().rstrip(".") in NOT_SPEAKERS:
        return None
    if caps and not _in_caps(m.group("label")):
        return None
    return m.group("label"), line[m.end():]


def _in_caps(label: str) -> bool:
    return not any(c.islower() for w in label.split() if w not in _PARTICLES for c in w)


def _turns(text: str) -> list[tuple[str | None, str]]:
    """(label or None, text) for each paragraph; a labelled line inside a block starts a new turn.
    Where speakers are labelled in capitals (as in most debate and hearing transcripts: two such
    labels or more, and no label in mixed case used twice), a line opening with a word in mixed
    case and a colon ("Look: ...") is speech, not a new turn."""
    labels = [found[0] for found in map(_speaker, text.split("\n")) if found]
    mixed = [label for label in labels if not _in_caps(label)]
    caps = len({label for label in labels if len(label) > 1} - set(mixed)) >= 2 and len(set(mixed)) == len(mixed)
    turns: list[tuple[str | None, str]] = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        for n, ln in enumerate(lines):
            found = _speaker(ln, caps)
            if found:
                turns.append(found)
            elif n and turns:
                turns[-1] = (turns[-1][0], turns[-1][1] + "\n" + ln)
            else:
                turns.append((None, ln))
    return turns


def _title_line(text: str) -> tuple[str, str]:
    """(title, the rest) where the text opens with a title: a line of its own, under 200 characters,
    not ending like a sentence ("Hearing: North Korea Policy", not "MODERATOR: Welcome.")."""
    m = re.match(r"\s*(?P<line>[^\n]{1,200})\n[ \t]*(?:\n|$)", text)
    if m and not m.group("line").rstrip().endswith(_TERMINAL[:-2]):
        return _line(m.group("line")), text[m.end():]
    return "", text


def is_transcript(text: str) -> bool:
    """Most paragraphs (more than half, a title line not counted) start with a speaker label,
    and there are at least two distinct speakers."""
    turns = _turns(_title_line(text)[1])
    labelled = [label for label, _ in turns if label]
    return len(labelled) * 2 > len(turns) and len({speaker_name(x) for x in labelled}) >= 2


def speaker_name(label: str) -> str:
    """A label as a readable name: "SEN. SMITH" -> "Sen. Smith", "MCCAIN" -> "McCain"; a label
    already in mixed case, and one letter ("Q"), are kept as written."""
    label = " ".join(label.split())
    if any(c.islower() for c in label) or len(label) < 2:
        return label

    def word(w: str) -> str:
        if w.casefold() in _PARTICLES:
            return w.lower()
        w = re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), w)
        return re.sub(r"^(Ma?c)([a-z])", lambda m: m.group(1) + m.group(2).upper(), w) if len(w) > 4 else w
    return " ".join(word(w) for w in label.split())


def from_transcript(path: Path | str, text: str) -> Source:
    """Each speaker an analyst; a moderator's turns (MODERATOR, Q, HOST, CHAIR, ..., and whoever the
    transcript names as moderator) kept as context, not claims. Paragraphs without a label continue
    the turn before; those before the first label belong to the document."""
    title, body = _title_line(text)
    turns = _turns(body)
    if not any(label for label, _ in turns):
        raise InputError(path, "unknown speaker format: no paragraph starts with a label like 'NAME:'")
    moderators = _named_moderators(title, turns)
    blocks, current = [], (None, "text")
    for label, said in turns:
        if label:
            name = speaker_name(label)
            current = (name, "context" if _is_moderator(name, moderators) else "text")
        if said.strip():
            blocks.append(Block(current[0], current[1], said))
    return Source(title=title or _title_from(path), blocks=blocks)


def _is_moderator(name: str, named: set[str] = frozenset()) -> bool:
    words = name.casefold().split()
    return name.casefold() in MODERATOR_LABELS or words[0] in MODERATOR_LABELS \
        or name.casefold() in named or words[-1] in named


def _named_moderators(title: str, turns: list[tuple[str | None, str]]) -> set[str]:
    """Names and surnames of those a transcript names as moderator ("MODERATOR: Chris Wallace",
    "Moderated by Chris Wallace"): in its title, unlabelled text and moderators' turns, never in
    what a speaker says ("... was moderated by Mary Jones" makes no one a moderator)."""
    text = "\n".join([title] + [f"{label}: {said}" if label else said for label, said in turns
                                 if not label or _is_moderator(speaker_name(label))])
    names = set()
    for m in _MODERATOR_NAMED.finditer(text):
        for name in re.split(r",|\band\b", m.group("names")):
            words = name.split()
            if 2 <= len(words) <= 4 and words[0].casefold().rstrip(".") not in HONORIFICS:
                names |= {" ".join(words).casefold(), words[-1].casefold()}
    return names


def from_text(path: Path | str, text: str) -> Source:
    """Plain text as corpus.py reads it: the first non-empty line is the title, paragraphs are
    separated by blank lines, bulleted lines are items."""
    m = re.search(r"\S[^\n]*", text)
    if not m:
        raise InputError(path, "empty document: no text")
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text[m.end():]):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if any(re.match(r"^[ \t]*(?:[-*+]|•)[ \t]+", ln) for ln in lines):
            blocks += [Block(None, "item", re.sub(r"^[ \t]*(?:[-*+]|•)[ \t]+", "", ln)) for ln in lines]
        elif lines:
            blocks.append(Block(None, "text", " ".join(lines)))
    return Source(title=m.group(0).strip(), blocks=blocks)


# ---------------------------------------------------------------- comment CSVs

TEXT_COLUMNS = ("comment-body", "comment", "comment-text", "text", "body", "content", "message", "response")
SPEAKER_COLUMNS = ("speaker", "author", "name", "participant", "interview", "author-id", "participant-id",
                   "respondent", "user", "username", "voter-id")
DATE_COLUMNS = ("date", "datetime", "timestamp", "time", "created", "created-at")
URL_COLUMNS = ("url", "source", "link")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [re.sub(r"[\s_]+", "-", h.strip().lower()) for h in header]
    return next((keys.index(n) for n in names if n in keys), None)


def _delimiter(first_line: str) -> str:
    """Comma, or the semicolon or tab a spreadsheet in another locale used for the header row."""
    return max((",", ";", "\t"), key=first_line.count)


def has_text_column(first_line: str) -> bool:
    """Does this CSV header row name a comment-text column?"""
    header = next(csv.reader([first_line], delimiter=_delimiter(first_line)), [])
    return _column(header, TEXT_COLUMNS) is not None


def from_csv(path: Path | str, text: str) -> Source:
    """Comments as Talk to the City (comment-id, comment-body, interview) and Polis
    (comment-id, author-id, comment-body, moderated, ...) export them: each row a paragraph by its
    speaker. Rows Polis moderated out (moderated = -1) are left out. A numeric speaker id is
    shown as "participant N"."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=_delimiter(text.split("\n", 1)[0])))
    except csv.Error as e:
        raise InputError(path, f"not a readable CSV file ({e})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(path, "empty CSV file: no header row")
    header, rows = rows[0], rows[1:]
    text_col = _column(header, TEXT_COLUMNS)
    if text_col is None:
        raise InputError(path, f"no text column (one of {', '.join(TEXT_COLUMNS)}); its columns are: "
                               + ", ".join(_line(h) for h in header))
    speaker_col, date_col = _column(header, SPEAKER_COLUMNS), _column(header, DATE_COLUMNS)
    url_col, moderated_col = _column(header, URL_COLUMNS), _column(header, ("moderated",))

    def cell(row, col):
        return row[col].strip() if col is not None and col < len(row) else ""
    blocks, dates, urls = [], set(), set()
    for row in rows:
        if not cell(row, text_col) or cell(row, moderated_col) == "-1":
            continue
        speaker = _name(cell(row, speaker_col))  # "<>" or a lone control character: no name at all
        if speaker.isdigit():
            speaker = f"participant {speaker}"
        blocks.append(Block(speaker or ("unknown participant" if speaker_col is not None else None), "text",
                            cell(row, text_col)))
        dates.add(_csv_date(cell(row, date_col)))
        urls.add(cell(row, url_col))
    dates.discard("")
    urls.discard("")
    return Source(title=_title_from(path), date=min(dates) if dates else "",
                  url=urls.pop() if len(urls) == 1 else "", blocks=blocks)


def _csv_date(value: str) -> str:
    if re.fullmatch(r"\d{10}(?:\d{3})?", value):  # Unix time, in seconds or milliseconds
        return datetime.fromtimestamp(int(value[:10]), timezone.utc).date().isoformat()
    m = re.match(r"\d{4}-\d{2}-\d{2}", value)
    return m.group(0) if m else ""


# ---------------------------------------------------------------- I/O: any source to Markdown

BINARY = (".pdf", ".docx", ".html", ".htm")
IMPORTABLE = (".html", ".htm", ".pdf", ".docx", ".csv", ".txt")
AS_CHOICES = ("auto", "transcript", "text")


def read_source(source: Path | str, as_: str = "auto") -> tuple[Source, str]:
    """(Source, sha256 of the source's bytes) for a file or an http(s) URL. ``as_`` forces how a
    .txt is read: "transcript", "text", or "auto" (a transcript when is_transcript says so)."""
    import hashlib

    from .corpus import MAX_FILE_BYTES, decode, is_url, read_bytes

    if is_url(source):
        data, ctype, final = fetch_url(str(source))
        kind = "pdf" if ctype == "application/pdf" or data[:5] == b"%PDF-" else "html"
        src = from_pdf(source, data) if kind == "pdf" else from_html(source, data, url=final)
        if kind == "pdf" and not src.url:
            src.url = final
        return src, hashlib.sha256(data).hexdigest()
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in IMPORTABLE:
        raise InputError(path, f"unsupported file type {suffix or '(none)'!r} (import reads "
                               f"{', '.join(IMPORTABLE)} files and http(s) URLs)")
    data = read_bytes(path, MAX_BINARY_BYTES if suffix in BINARY else MAX_FILE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        return from_pdf(path, data), digest
    if suffix == ".docx":
        return from_docx(path, data), digest
    if suffix in (".html", ".htm"):
        return from_html(path, data), digest
    text = decode(path, data)
    if suffix == ".csv":
        return from_csv(path, text), digest
    if as_ == "transcript" or as_ == "auto" and is_transcript(text):
        return from_transcript(path, text), digest
    return from_text(path, text), digest


def source_markdown(source: Path | str, as_: str = "auto") -> tuple[str, str]:
    """(corpus Markdown, sha256 of the source's bytes), the Markdown held to corpus.MAX_FILE_BYTES."""
    src, digest = read_source(source, as_)
    return checked_markdown(source, src), digest


def checked_markdown(source: Path | str, src: Source) -> str:
    """``to_markdown(src)``; InputError when it has no text or more than corpus.MAX_FILE_BYTES."""
    from .corpus import MAX_FILE_BYTES

    if not any(b.kind != "heading" for b in src.blocks):
        raise InputError(source, "empty document: no text paragraphs")
    text = to_markdown(src)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise InputError(source, f"the text extracted is {size / 1e6:.1f} MB; argmap reads up to "
                                 f"{MAX_FILE_BYTES / 1e6:.0f} MB of text per document: split the source")
    return text
