"""Parse stage: front matter, markers, headings/items, paragraph spans, .txt loading, file discovery.

No spaCy here: everything in this module runs in milliseconds.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from argmap.corpus import document_id, find_files, parse_file, read_text
from argmap.errors import InputError

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

BUNDLED = {
    "chinafile-kim-visits-beijing": ("Kim Jong-un Visits Beijing — A ChinaFile Conversation",
                                     "ChinaFile (Asia Society)", "2018-03-28", ()),
    "csis-mr-and-mrs-kim": ("Mr. and Mrs. Kim Go to Beijing", "CSIS (Korea Chair, Beyond Parallel)",
                            "2018-03-28", ("Victor Cha", "Sue Mi Terry")),
    "diplomat-traditional-friendship": (
        "China, North Korea Extol ‘Traditional Friendship’ After Kim Jong-un’s Beijing Visit",
        "The Diplomat (China Power)", "2018-03", ()),
    "ippreview-still-special": (
        "Kim Jong-un’s Beijing Trip: China-North Korea Relationship is Still “Special”",
        "IPP Review", "2018-04-03", ("Jaewoo Choo",)),
    "rfa-dual-message": ("Experts: Kim Jong Un’s Visit to China Sends Dual Message to US",
                         "Radio Free Asia", "2019-01-08", ("Eugene Whong",)),
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def check_spans(parsed):
    for par in parsed.paragraphs:
        assert parsed.text[par.start:par.end] == par.text, par


# ---------------------------------------------------------------- front matter

FULL = """---
title: "  A Full Title  "
outlet: Example Outlet
date: 2018-03-28
url: https://example.org/a
authors: ["Ann Author", "Bob Writer"]
note: Some note about provenance.
---

First paragraph of the body says something.
"""


def test_front_matter_all_fields(tmp_path):
    p = parse_file(write(tmp_path / "Full Doc_v2.md", FULL))
    d = p.document
    assert d.id == "full-doc-v2"
    assert d.title == "A Full Title"
    assert d.outlet == "Example Outlet"
    assert d.date == "2018-03-28"  # an unquoted YAML date becomes ISO text
    assert d.url == "https://example.org/a"
    assert d.authors == ("Ann Author", "Bob Writer")
    assert d.note == "Some note about provenance."
    assert d.path == str(tmp_path / "Full Doc_v2.md")
    assert len(d.content_hash) == 64
    assert p.default_analyst == "Ann Author and Bob Writer"
    assert [par.text for par in p.paragraphs] == ["First paragraph of the body says something."]
    check_spans(p)


def test_front_matter_optional_fields_and_single_author(tmp_path):
    p = parse_file(write(tmp_path / "a.md", "---\ntitle: T\nauthors: Solo Writer\ndate: \"2018-03\"\n---\n\nBody text is here.\n"))
    assert p.document.authors == ("Solo Writer",)
    assert p.document.date == "2018-03"
    assert (p.document.outlet, p.document.url, p.document.note) == ("", "", "")
    p2 = parse_file(write(tmp_path / "b.md", "---\ntitle: T\noutlet: The Outlet\n---\n\nBody text is here.\n"))
    assert p2.document.authors == ()
    assert p2.default_analyst == "The Outlet"  # no authors: the outlet speaks
    p3 = parse_file(write(tmp_path / "c.md", "---\ntitle: Only Title\n---\n\nBody text is here.\n"))
    assert p3.default_analyst == "Only Title"


def test_content_hash_is_sha256_of_bytes(tmp_path):
    import hashlib

    f = write(tmp_path / "h.md", FULL)
    assert parse_file(f).document.content_hash == hashlib.sha256(f.read_bytes()).hexdigest()
    f2 = write(tmp_path / "h.md", FULL + "\nAnother paragraph appears here.\n")
    assert parse_file(f2).document.content_hash != hashlib.sha256(FULL.encode()).hexdigest()


@pytest.mark.parametrize("front, problem", [
    ("title: [unclosed\n", "malformed front matter"),
    ("outlet: X\n", "'title' is missing or empty"),
    ("title: '   '\n", "'title' is missing or empty"),
    ("title: T\nauthor: Bob\n", "unknown key 'author'"),
    ("title: T\nauthors: [\"\"]\n", "'authors' must be a list of names"),
    ("- just\n- a list\n", "expected 'key: value' lines"),
])
def test_bad_front_matter(tmp_path, front, problem):
    f = write(tmp_path / "bad.md", f"---\n{front}---\n\nSome text that says something.\n")
    with pytest.raises(InputError) as e:
        parse_file(f)
    assert problem in e.value.problem
    assert e.value.path == str(f)
    assert str(e.value).startswith(str(f) + ": ")


def test_missing_and_unclosed_front_matter(tmp_path):
    with pytest.raises(InputError, match="missing YAML front matter"):
        parse_file(write(tmp_path / "n.md", "Just text.\n\nMore text here.\n"))
    with pytest.raises(InputError, match="no closing '---' line"):
        parse_file(write(tmp_path / "u.md", "---\ntitle: T\n\nBody text.\n"))


def test_front_matter_only_is_empty_document(tmp_path):
    with pytest.raises(InputError, match="empty document"):
        parse_file(write(tmp_path / "e.md", "---\ntitle: T\n---\n"))
    with pytest.raises(InputError, match="empty document"):
        parse_file(write(tmp_path / "h.md", "---\ntitle: T\n---\n\n## Only a heading\n"))


def test_unsupported_suffix(tmp_path):
    with pytest.raises(InputError, match="unsupported file type '.rtf'"):
        parse_file(write(tmp_path / "x.rtf", "text"))


# ---------------------------------------------------------------- body structure

BODY = """---
title: Structure
authors: [Reporter Person]
---

Intro paragraph before any marker.

<!-- analyst: Alice Example -->

Alice's first paragraph.
It has a second line.

## A Heading

- first item
  continues here
- second item

<!-- just a comment, ignored -->

<!-- analyst: Bob Example -->

Bob's paragraph.

* star item
"""


def test_markers_headings_items_and_numbering(tmp_path):
    p = parse_file(write(tmp_path / "s.md", BODY))
    got = [(par.number, par.kind, par.analyst, par.text) for par in p.paragraphs]
    assert got == [
        (1, "text", None, "Intro paragraph before any marker."),
        (2, "text", "Alice Example", "Alice's first paragraph.\nIt has a second line."),
        (0, "heading", "Alice Example", "A Heading"),
        (3, "item", "Alice Example", "first item\n  continues here"),
        (4, "item", "Alice Example", "second item"),
        (5, "text", "Bob Example", "Bob's paragraph."),
        (6, "item", "Bob Example", "star item"),
    ]
    check_spans(p)


def test_malformed_marker_is_an_error(tmp_path):
    f = write(tmp_path / "m.md", "---\ntitle: T\n---\n\n<!-- analyst Alice -->\n\nText of a paragraph.\n")
    with pytest.raises(InputError, match="malformed analyst marker"):
        parse_file(f)


def test_marker_directly_above_its_paragraph(tmp_path):
    """BUG: a well-formed marker with no blank line before the text is rejected as 'malformed'."""
    f = write(tmp_path / "m.md", "---\ntitle: T\n---\n\n<!-- analyst: Alice -->\nAlice says the sky is blue.\n")
    p = parse_file(f)
    assert [(par.analyst, par.text) for par in p.paragraphs] == [("Alice", "Alice says the sky is blue.")]


def test_comment_directly_above_a_paragraph_keeps_the_paragraph(tmp_path):
    """BUG: an HTML comment followed on the next line by text silently drops that text."""
    f = write(tmp_path / "c.md", "---\ntitle: T\n---\n\nFirst paragraph here.\n\n<!-- editor's note -->\n"
                                 "This paragraph must not vanish.\n")
    p = parse_file(f)
    assert [par.text for par in p.paragraphs] == ["First paragraph here.", "This paragraph must not vanish."]


def test_heading_directly_above_a_paragraph(tmp_path):
    """BUG: '## Heading' followed on the next line by text turns the text into part of the heading."""
    f = write(tmp_path / "h.md", "---\ntitle: T\n---\n\n## Background\nThe text under the heading is a paragraph.\n")
    p = parse_file(f)
    assert [(par.kind, par.text) for par in p.paragraphs] == [
        ("heading", "Background"), ("text", "The text under the heading is a paragraph.")]
    check_spans(p)


# ---------------------------------------------------------------- plain text

TXT = """

  Raw Title Line

First paragraph after the title.
It continues on a second line.

  • A bullet item from a saved page
  • Another bullet item

Last paragraph.
"""


def test_txt_title_first_line(tmp_path):
    p = parse_file(write(tmp_path / "Raw Page.txt", TXT))
    d = p.document
    assert d.id == "raw-page"
    assert d.title == "Raw Title Line"
    assert (d.outlet, d.date, d.url, d.authors, d.note) == ("", "", "", (), "")
    assert [(par.number, par.kind, par.text) for par in p.paragraphs] == [
        (1, "text", "First paragraph after the title.\nIt continues on a second line."),
        (2, "item", "A bullet item from a saved page"),
        (3, "item", "Another bullet item"),
        (4, "text", "Last paragraph."),
    ]
    assert all(par.analyst is None for par in p.paragraphs)
    assert p.default_analyst == "Raw Title Line"
    check_spans(p)


def test_txt_empty_and_title_only(tmp_path):
    with pytest.raises(InputError, match="empty document"):
        parse_file(write(tmp_path / "e.txt", "\n  \n"))
    with pytest.raises(InputError, match="empty document"):
        parse_file(write(tmp_path / "t.txt", "Only a title\n"))


def test_txt_markdown_syntax_is_plain_text(tmp_path):
    p = parse_file(write(tmp_path / "m.txt", "Title\n\n<!-- analyst: X -->\n\n## Not a heading here.\n"))
    assert [(par.kind, par.analyst, par.text) for par in p.paragraphs] == [
        ("text", None, "<!-- analyst: X -->"), ("text", None, "## Not a heading here.")]


# ---------------------------------------------------------------- reading bytes

def test_read_text_bom_crlf_and_errors(tmp_path):
    f = tmp_path / "b.md"
    f.write_bytes(b"\xef\xbb\xbf---\r\ntitle: T\r\n---\r\n\r\nBody.\r\n")
    text, digest = read_text(f)
    assert text == "---\ntitle: T\n---\n\nBody.\n"
    assert len(digest) == 64
    p = parse_file(f)
    assert p.document.title == "T"
    check_spans(p)

    binf = tmp_path / "bin.md"
    binf.write_bytes(b"---\x00\x01\x02")
    with pytest.raises(InputError, match="binary file"):
        read_text(binf)
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"---\ntitle: Caf\xe9\n---\n\nText.\n")
    with pytest.raises(InputError, match=r"not UTF-8 text \(bad byte at offset 14\)"):
        read_text(latin)
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "missing.md")
    with pytest.raises(InputError, match="is a folder"):
        read_text(tmp_path)


def test_document_id_slug():
    assert document_id(Path("x/RFA Dual_Message (2019).md")) == "rfa-dual-message-2019"
    assert document_id(Path("___.md")) == "document"


# ---------------------------------------------------------------- finding files

def test_find_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ["b.md", "a.txt", "sub/c.markdown", "README.md", ".hidden.md", "notes.rtf", "sub/PROVENANCE.md"]:
        write(tmp_path / name, "x")
    files, problems, notes = find_files([tmp_path, tmp_path / "b.md"])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.txt", "b.md", "sub/c.markdown"]
    assert problems == []
    assert [(e.path, e.problem) for e in notes] == [
        (str(tmp_path), "skipped 1 file that argmap does not read (not .md, .txt, .html, .pdf, .docx or a comment .csv): "
                        "notes.rtf")]

    (tmp_path / "empty").mkdir()
    files, problems, _ = find_files([tmp_path / "nope", tmp_path / "empty"])
    assert files == []
    assert [(e.path, e.problem) for e in problems] == [
        (str(tmp_path / "nope"), "no such file or folder"),
        (str(tmp_path / "empty"), "folder has no files argmap reads (.md, .txt, .html, .pdf, .docx or a comment .csv)"),
    ]


def test_find_files_bundled_corpus():
    files, problems, notes = find_files([CORPUS])
    assert problems == [] and notes == []
    assert [f.stem for f in files] == sorted(BUNDLED)


# ---------------------------------------------------------------- the bundled corpus

@pytest.fixture(scope="module")
def bundled():
    return {f.stem: parse_file(f) for f in sorted(CORPUS.glob("*.md"))}


def test_bundled_documents_metadata(bundled):
    assert set(bundled) == set(BUNDLED)
    for doc_id, (title, outlet, date, authors) in BUNDLED.items():
        d = bundled[doc_id].document
        assert d.id == doc_id
        assert (d.title, d.outlet, d.date, d.authors) == (title, outlet, date, authors)
        assert d.url.startswith("http")


def test_bundled_paragraph_spans(bundled):
    for doc_id, p in bundled.items():
        on_disk = (CORPUS / f"{doc_id}.md").read_text(encoding="utf-8")
        assert p.text == on_disk
        assert p.paragraphs
        numbers = [par.number for par in p.paragraphs if par.kind != "heading"]
        assert numbers == list(range(1, len(numbers) + 1)), doc_id
        for par in p.paragraphs:
            assert on_disk[par.start:par.end] == par.text
            assert par.text == par.text.strip() and par.text
            assert "---" not in par.text[:3]  # nothing from the front matter


def test_bundled_structure(bundled):
    rfa = bundled["rfa-dual-message"]
    assert [par.text for par in rfa.paragraphs if par.kind == "heading"] == ["Across the pond"]
    assert len([par for par in rfa.paragraphs if par.kind == "text"]) == 24
    csis = bundled["csis-mr-and-mrs-kim"]
    assert [par.text for par in csis.paragraphs if par.kind == "heading"] == ["What this visit means:"]
    assert Counter(par.kind for par in csis.paragraphs) == Counter(text=1, heading=1, item=9)


def test_chinafile_analysts(bundled):
    p = bundled["chinafile-kim-visits-beijing"]
    assert p.document.authors == ()
    counts = Counter(par.analyst for par in p.paragraphs)
    assert counts == Counter({
        "ChinaFile editors": 1, "ChinaFile contributor A": 6, "ChinaFile contributor B": 7,
        "ChinaFile contributor C": 2, "ChinaFile contributor D": 5, "ChinaFile contributor E": 8,
    })
    first = {}
    for par in p.paragraphs:
        first.setdefault(par.analyst, par.text)
    assert first["ChinaFile editors"].startswith("After two days of rumors")
    assert first["ChinaFile contributor A"].startswith("While pundits have waxed nostalgic")
    assert first["ChinaFile contributor B"].startswith("President Trump’s team should take note")
    assert first["ChinaFile contributor C"].startswith("Quite conceivably, it was the appointment")
    assert first["ChinaFile contributor D"].startswith("The timing of Kim’s trip to China")
    assert first["ChinaFile contributor E"].startswith("For a few weeks in March")
    # analysts never interleave: each contribution is one contiguous run
    runs = [a for i, a in enumerate(par.analyst for par in p.paragraphs)
            if i == 0 or p.paragraphs[i - 1].analyst != a]
    assert len(runs) == len(set(runs)) == 6


def test_stored_paragraphs_are_those_read_at_ingest(tmp_path):
    from argmap.corpus import stored_paragraphs

    rule = tmp_path / "rule.txt"
    rule.write_text("---\nA Plain Text Title\n\nThe first paragraph says one thing.\n\nThe second says another.\n",
                    encoding="utf-8")
    transcript = tmp_path / "hearing.txt"
    transcript.write_text("Hearing\n\nMODERATOR: Is it working?\n\nSMITH: Sanctions are working at the border.\n\n"
                          "LEE: Sanctions are not working at all.\n", encoding="utf-8")
    for path in (rule, transcript, Path(__file__).resolve().parents[1] / "corpus" / "rfa-dual-message.md"):
        parsed = parse_file(path)
        assert stored_paragraphs(path, parsed.text) == list(parsed.paragraphs), path.name
