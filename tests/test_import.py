"""argmap import and ingest of what people have: saved pages, URLs, PDFs, .docx, transcripts,
comment CSVs. No network: the URL tests use a closed local port or a stand-in fetch."""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from argmap import sources
from argmap.cli import cli
from argmap.corpus import find_files, parse_file, parse_text
from argmap.errors import InputError
from argmap.sources import (Block, Source, from_csv, from_transcript, is_transcript, reading_order, source_markdown,
                            speaker_name, to_markdown)
from argmap.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
PAGE = FIXTURES / "news-page.html"
TWO_COLUMN = FIXTURES / "two-column.pdf"
IMAGE_ONLY = FIXTURES / "image-only.pdf"

TRANSCRIPT = """Senate Foreign Relations Committee: Hearing on North Korea Policy

MODERATOR: Senator Smith, does the Beijing visit change the calculus for the summit?

SEN. SMITH (R-TX): It does. China has shown that it still holds the keys to sanctions enforcement, and Kim went to Beijing to remind Washington of that.

I would add that the administration has been too slow to coordinate with Seoul.

MODERATOR: Dr. Lee, do you agree that Beijing holds the keys to sanctions enforcement?

DR. JANE LEE: I don't. The visit was mostly symbolic, and the sanctions will hold regardless of a banquet in the Great Hall.

Q: Should Congress fund the State Department's North Korea office properly before the summit takes place?

SEN. SMITH: Congress should fund the office before the summit. "We are sending diplomats to a negotiation with no staff behind them," said Victor Cha when he testified last year.
"""

POLIS = '''comment-id,author-id,agrees,disagrees,moderated,comment-body
1,17,12,3,1,"Sanctions should stay in place until North Korea takes verifiable steps, even if that slows talks."
2,23,4,9,1,"China will never enforce sanctions fully, because a collapse of the regime would send refugees across the border."
3,17,2,1,-1,"spam spam buy now at the best price"
4,31,7,2,1,"I think the summit is a distraction; real progress needs ""a regional framework"", with Seoul, Tokyo and Beijing at the table."
'''


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def front(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


def claims_of(markdown: str, name: str = "doc.md"):
    from argmap.claims import extract_claims

    return extract_claims(parse_text(Path(name), markdown, "0" * 64))


# ---------------------------------------------------------------- saved web pages

def test_saved_page_keeps_the_article_and_its_metadata(tmp_path):
    result = run("import", PAGE, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "news-page.md").read_text(encoding="utf-8")
    for clutter in ("World news desk", "Subscribe", "SuperPhone", "Share on Facebook", "Email this story",
                    "TrollFace99", "fake news", "Great article", "Leave a reply", "All rights reserved",
                    "Privacy policy", "dataLayer"):
        assert clutter not in text, clutter
    assert "North Korean leader Kim Jong Un arrived in Beijing on Tuesday" in text
    assert "along the Yalu River." in text
    assert "\n## Sanctions remain in force\n" in text
    assert front(text) == {"title": "Kim Jong Un's Beijing trip: what it means for the summit",
                           "outlet": "The Korea Ledger", "date": "2019-01-09",
                           "url": "https://korealedger.example/2019/01/kim-beijing-trip", "authors": ["Jane Park"]}
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["source", "file", "analysts", "paragraphs"]
    assert lines[2].split() == [str(PAGE), str(tmp_path / "news-page.md"), "1", "5"]


def test_quoted_speech_in_a_page_is_attributed_to_the_speaker():
    markdown, _ = source_markdown(PAGE)
    claims = claims_of(markdown)
    yun = [c for c in claims if c.analyst == "Joseph Yun"]
    assert [c.text for c in yun] == ["China is back at center stage in the diplomacy over the Korean Peninsula, "
                                     "and Kim wants Washington to know it"]
    assert {c.analyst for c in claims} == {"Joseph Yun", "Jane Park"}
    assert all(markdown[c.start:c.end] == c.text for c in claims)


def test_an_empty_page_gets_one_line_and_nothing_is_written(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<html><head><title>Nothing here</title></head><body><nav><a href='/'>Home</a></nav>"
                    "</body></html>", encoding="utf-8")
    out = tmp_path / "out"
    result = run("import", page, "--out", out)
    assert result.exit_code == 1
    assert errors(result) == [f"argmap: {page}: no article text found in the page (empty, or only navigation "
                              "and scripts)"]
    assert not out.exists() or list(out.iterdir()) == []


def test_source_text_cannot_inject_markers_or_break_the_front_matter(tmp_path):
    page = tmp_path / "hostile.html"
    body = "".join(f"<p>{p}</p>" for p in (
        "The first paragraph of this article says that the talks will resume in the spring.",
        "&lt;!-- analyst: Mallory --&gt;", "---", "# Not a heading, just a line that starts with a hash.",
        "- not a list item but a sentence that starts with a dash and says something.",
        "The last paragraph says that nobody expects a breakthrough before the summer."))
    page.write_text(f'<html><head><title>A "quoted": title\n---\nsecond line</title>'
                    f'<meta name="author" content="Ann Writer"></head><body><article>{body}</article></body></html>',
                    encoding="utf-8")
    assert run("import", page, "--out", tmp_path).exit_code == 0
    parsed = parse_file(tmp_path / "hostile.md")
    assert parsed.document.title == 'A "quoted": title --- second line'
    assert parsed.document.authors == ("Ann Writer",)
    assert {p.analyst for p in parsed.paragraphs} == {None}
    assert [(p.kind, p.text) for p in parsed.paragraphs][1:5] == [
        ("text", "<!-- analyst: Mallory -->"), ("text", "---"),
        ("text", "# Not a heading, just a line that starts with a hash."),
        ("text", "- not a list item but a sentence that starts with a dash and says something.")]
    assert all(parsed.text[p.start:p.end] == p.text for p in parsed.paragraphs)


def test_speaker_names_from_a_csv_cannot_close_a_marker():
    src = Source("T", blocks=[Block("Bob --> <!-- analyst: Eve", "text", "Bob says the plan will work.")])
    parsed = parse_text(Path("t.md"), to_markdown(src), "0")
    assert [p.analyst for p in parsed.paragraphs] == ["Bob -- !-- analyst: Eve"]


# ---------------------------------------------------------------- URLs

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


def test_a_url_without_network_gets_one_line_fast(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/news/kim-visit.html"
    t = time.monotonic()
    result = run("import", url, "--out", tmp_path)
    assert time.monotonic() - t < 10
    assert result.exit_code == 1
    [line] = errors(result)
    assert line.startswith(f"argmap: {url}: cannot fetch (no network, or the site cannot be reached): ")
    assert list(tmp_path.iterdir()) == []


def _serve_once(reply) -> str:
    """A one-request HTTP server on the loopback interface; ``reply(conn)`` answers it."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(10)

    def answer():
        try:
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)
                reply(conn)
        except OSError:
            pass
        finally:
            server.close()
    threading.Thread(target=answer, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/page.html"


def test_a_slow_server_gets_the_whole_download_within_the_timeout():
    def dribble(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(8):  # a byte every 0.6 s: each read is quick, the whole is not
            time.sleep(0.6)
            conn.sendall(b"x")
    t = time.monotonic()
    with pytest.raises(InputError, match="no answer in 2 s"):
        sources.fetch_url(_serve_once(dribble), timeout=2)
    assert time.monotonic() - t < 4


def test_a_download_cut_short_is_not_imported():
    def cut(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html><p>Half")
    with pytest.raises(InputError, match="the download stopped after 13 of 5,000 bytes"):
        sources.fetch_url(_serve_once(cut), timeout=5)


def test_a_url_is_fetched_once_and_named_after_its_path(tmp_path, monkeypatch):
    calls = []

    def fetch(url, timeout=sources.FETCH_TIMEOUT):
        calls.append(url)
        return PAGE.read_bytes(), "text/html", url

    monkeypatch.setattr(sources, "fetch_url", fetch)
    url = "https://korealedger.example/2019/01/kim-beijing-trip.html?utm_source=x"
    result = run("import", url, "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    assert calls == [url]
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row == {"source": url, "file": str(tmp_path / "kim-beijing-trip.md"), "analysts": 1, "paragraphs": 5,
                   "context": 0}
    assert front((tmp_path / "kim-beijing-trip.md").read_text(encoding="utf-8"))["outlet"] == "The Korea Ledger"


# ---------------------------------------------------------------- PDF

def test_two_column_pdf_reads_the_left_column_first():
    markdown, _ = source_markdown(TWO_COLUMN)
    meta = front(markdown)
    assert (meta["title"], meta["authors"], meta["date"]) == ("Two Views on the Beijing Visit", ["Mina Cho"],
                                                              "2019-01-10")
    pars = [p.text for p in parse_text(Path("t.md"), markdown, "0").paragraphs]
    starts = [p.split(".")[0] for p in pars]
    assert starts == ["Two Views on the Beijing Visit"] + [
        f"{side} column {n} paragraph" for side in ("Left", "Right") for n in ("first", "second", "third")]
    # whole sentences, not lines of the two columns interleaved; the page number is gone
    assert ("Left column first paragraph. The visit to Beijing strengthened the hand of Pyongyang before the "
            "second summit with Washington, and officials in Seoul noticed it at once.") in pars
    assert "1" not in pars


def test_reading_order_with_a_full_width_title_a_column_heading_and_a_footer():
    box = lambda x0, y0, x1, y1, name: (x0, y0, x1, y1, name)  # noqa: E731
    boxes = [box(72, 740, 540, 760, "title"), box(72, 650, 290, 720, "L1"), box(320, 640, 540, 720, "R1"),
             box(72, 600, 150, 612, "L-heading"), box(72, 500, 290, 590, "L2"), box(320, 480, 540, 620, "R2"),
             box(72, 60, 540, 100, "footer")]
    assert [b[4] for b in reading_order(boxes[::-1])] == ["title", "L1", "L-heading", "L2", "R1", "R2", "footer"]


def test_image_only_pdf_says_it_has_no_text_layer(tmp_path):
    result = run("import", IMAGE_ONLY, "--out", tmp_path)
    assert result.exit_code == 1
    assert errors(result) == [f"argmap: {IMAGE_ONLY}: no text layer (a scanned or image-only PDF); run OCR first"]
    db = tmp_path / "s.db"
    result = run("ingest", IMAGE_ONLY, "--db", db, "--no-analyze")
    assert result.exit_code == 1 and "no text layer" in result.stderr


def test_a_layout_too_deep_to_order_is_one_line_and_the_run_goes_on(tmp_path, monkeypatch):
    def too_deep(boxes):
        raise RecursionError
    monkeypatch.setattr(sources, "reading_order", too_deep)
    result = run("import", TWO_COLUMN, PAGE, "--out", tmp_path)
    assert result.exit_code == 0
    assert errors(result) == [f"argmap: {TWO_COLUMN}: the page layout is too deeply nested to put in reading order "
                              "(thousands of staggered text boxes); export the text another way"]
    assert [p.name for p in tmp_path.iterdir()] == ["news-page.md"]


# ---------------------------------------------------------------- Word

def make_docx(path: Path) -> Path:
    import datetime

    import docx

    d = docx.Document()
    props = d.core_properties
    props.title, props.author, props.created = "Options after the visit", "Policy Staff", datetime.datetime(2019, 1, 12)
    d.add_paragraph("Options after the visit", style="Title")
    d.add_heading("Summary", 1)
    d.add_paragraph("The visit to Beijing strengthened Kim's position before the second summit.")
    d.add_heading("Options", 2)
    d.add_paragraph("Keep sanctions in place until verifiable steps are taken.", style="List Bullet")
    d.add_paragraph("Open a liaison office in Pyongyang to keep channels open.", style="List Number")
    d.add_paragraph("<!-- analyst: Mallory --> This sentence tries to become someone else's claim.")
    d.save(str(path))
    return path


def test_docx_headings_items_paragraphs_and_properties(tmp_path):
    doc = make_docx(tmp_path / "Options Memo.docx")
    assert run("import", doc, "--out", tmp_path).exit_code == 0
    text = (tmp_path / "options-memo.md").read_text(encoding="utf-8")
    assert front(text) == {"title": "Options after the visit", "outlet": "", "date": "2019-01-12", "url": "",
                           "authors": ["Policy Staff"]}
    assert text.split("---\n", 2)[2] == (
        "\n## Summary\n\nThe visit to Beijing strengthened Kim's position before the second summit.\n\n"
        "## Options\n\n- Keep sanctions in place until verifiable steps are taken.\n"
        "- Open a liaison office in Pyongyang to keep channels open.\n\n"
        "\\<!-- analyst: Mallory --> This sentence tries to become someone else's claim.\n")
    parsed = parse_file(tmp_path / "options-memo.md")
    assert [p.kind for p in parsed.paragraphs] == ["heading", "text", "heading", "item", "item", "text"]
    assert {p.analyst for p in parsed.paragraphs} == {None}


def test_docx_template_placeholders_are_not_metadata(tmp_path):
    import docx

    d = docx.Document()  # python-docx's template: author "python-docx", created 2013-12-23
    d.add_paragraph("The visit to Beijing strengthened Kim's position before the second summit.")
    d.save(str(tmp_path / "memo.docx"))
    assert run("import", tmp_path / "memo.docx", "--out", tmp_path).exit_code == 0
    meta = front((tmp_path / "memo.md").read_text(encoding="utf-8"))
    assert meta["authors"] == [] and meta["date"] == ""


def test_a_damaged_docx_gets_one_line(tmp_path):
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run("import", bad, "--out", tmp_path)
    assert result.exit_code == 1
    assert errors(result)[0].startswith(f"argmap: {bad}: not a readable .docx file")


# ---------------------------------------------------------------- transcripts

def test_transcript_detection():
    assert is_transcript(TRANSCRIPT)
    plain = ("A title line\n\nNote: this is an ordinary text file.\n\nIt has paragraphs that say things, "
             "and one of them starts with a label.\n\nAnother paragraph follows here.\n")
    assert not is_transcript(plain)
    one_speaker = "Title\n\nSMITH: I think so.\n\nSMITH: And more.\n"
    assert not is_transcript(one_speaker)


@pytest.mark.parametrize("label,name", [("SEN. SMITH", "Sen. Smith"), ("DR. JANE LEE", "Dr. Jane Lee"),
                                        ("MODERATOR", "Moderator"), ("Sen. Smith", "Sen. Smith"), ("Q", "Q"),
                                        ("MCCAIN", "McCain"), ("O'BRIEN", "O'Brien"), ("JEAN-PIERRE", "Jean-Pierre"),
                                        ("SECRETARY OF STATE", "Secretary of State")])
def test_speaker_names_read_naturally(label, name):
    assert speaker_name(label) == name


def test_transcript_markdown_marks_speakers_and_context():
    markdown = to_markdown(from_transcript("hearing.txt", TRANSCRIPT))
    assert front(markdown)["title"] == "Senate Foreign Relations Committee: Hearing on North Korea Policy"
    parsed = parse_text(Path("hearing.md"), markdown, "0")
    assert [(p.analyst, p.kind) for p in parsed.paragraphs] == [
        ("Moderator", "context"), ("Sen. Smith", "text"), ("Sen. Smith", "text"), ("Moderator", "context"),
        ("Dr. Jane Lee", "text"), ("Q", "context"), ("Sen. Smith", "text")]


def test_transcript_moderators_make_no_claims_and_panellists_are_attributed(tmp_path):
    path = tmp_path / "hearing.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    db = tmp_path / "s.db"
    result = run("ingest", path, "--db", db, "--no-analyze")
    assert result.exit_code == 0, result.output
    claims = Store(db, create=False).claims()
    by = {}
    for c in claims:
        by.setdefault(c.analyst, []).append(c.text)
    assert set(by) == {"Sen. Smith", "Dr. Jane Lee", "Victor Cha"}
    assert "China has shown that it still holds the keys to sanctions enforcement" in by["Sen. Smith"]
    assert "The visit was mostly symbolic" in by["Dr. Jane Lee"]
    assert by["Victor Cha"] == ["We are sending diplomats to a negotiation with no staff behind them"]
    assert not any("Beijing holds the keys" in t or "Congress fund" in t for t in sum(by.values(), []))
    stored = Store(db, create=False).document_text("hearing")
    assert all(stored[c.start:c.end] == c.text for c in claims)


def test_the_named_moderator_of_a_debate_is_context():
    text = ("PARTICIPANTS:\nJoe Biden (D) and\nDonald Trump (R)\n\nMODERATOR:\nChris Wallace (Fox News)\n\n"
            "WALLACE: Good evening. The first question is about the Supreme Court.\n\n"
            "TRUMP: We won the election and elections have consequences.\n\n"
            "BIDEN: The American people have a right to have a say in who the nominee is.\n")
    blocks = from_transcript("debate.txt", text).blocks
    assert [(b.analyst, b.kind) for b in blocks if b.analyst] == [
        ("Moderator", "context"), ("Wallace", "context"), ("Trump", "text"), ("Biden", "text")]


def test_a_moderator_mentioned_in_a_speech_does_not_silence_a_speaker():
    text = ("Debate on sanctions\n\nMODERATOR: Welcome. Mr. Smith, you open.\n\n"
            "SMITH: My opponent's panel last year was moderated by Mary Jones\nand it was a disgrace.\n\n"
            "JONES: Sanctions are not working, and everyone on this stage knows it.\n")
    blocks = from_transcript("debate.txt", text).blocks
    assert [(b.analyst, b.kind) for b in blocks] == [("Moderator", "context"), ("Smith", "text"), ("Jones", "text")]


def test_plain_text_stays_plain_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Notes on the visit\n\nNote: the visit lasted two days.\n\n"
                    "Officials said the talks were productive and that more meetings would follow.\n",
                    encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.text == path.read_text(encoding="utf-8")  # not converted: spans index the file itself
    assert parsed.document.title == "Notes on the visit"
    assert [p.kind for p in parsed.paragraphs] == ["text", "text"]


def test_forcing_a_transcript_without_labels_gets_one_line(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_text("A speech\n\nwe shall fight on the beaches, we shall fight on the landing grounds.\n",
                    encoding="utf-8")
    result = run("import", path, "--as", "transcript", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert errors(result) == [f"argmap: {path}: unknown speaker format: no paragraph starts with a label like 'NAME:'"]
    assert run("import", path, "--as", "text", "--out", tmp_path / "out").exit_code == 0


# ---------------------------------------------------------------- CSV

def test_polis_csv_rows_by_participant_with_quotes_and_commas():
    src = from_csv("polis.csv", POLIS)
    assert [(b.analyst, b.text) for b in src.blocks] == [
        ("participant 17", "Sanctions should stay in place until North Korea takes verifiable steps, even if that "
                           "slows talks."),
        ("participant 23", "China will never enforce sanctions fully, because a collapse of the regime would send "
                           "refugees across the border."),
        ("participant 31", 'I think the summit is a distraction; real progress needs "a regional framework", '
                           "with Seoul, Tokyo and Beijing at the table.")]


def test_talk_to_the_city_csv(tmp_path):
    path = tmp_path / "town hall.csv"
    path.write_text('comment-id,comment-body,interview\na1,"Transit is unreliable, and buses skip stops.",Alice Moreno\n'
                    'a2,"We need bike lanes, but the council delays the vote.",Bob Chen\n', encoding="utf-8")
    result = run("import", path, "--out", tmp_path)
    assert result.exit_code == 0
    parsed = parse_file(tmp_path / "town-hall.md")
    assert [(p.analyst, p.text) for p in parsed.paragraphs] == [
        ("Alice Moreno", "Transit is unreliable, and buses skip stops."),
        ("Bob Chen", "We need bike lanes, but the council delays the vote.")]


def test_a_csv_without_a_text_column_names_its_columns(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text("participant,comment-id,vote\n17,1,-1\n", encoding="utf-8")
    result = run("import", path, "--out", tmp_path)
    assert result.exit_code == 1
    assert errors(result) == [f"argmap: {path}: no text column (one of {', '.join(sources.TEXT_COLUMNS)}); "
                              "its columns are: participant, comment-id, vote"]
    # in a folder, such a CSV is skipped with the other files argmap does not read
    (tmp_path / "ok.csv").write_text(POLIS, encoding="utf-8")
    files, problems, notes = find_files([tmp_path])
    assert files == [tmp_path / "ok.csv"] and problems == []
    assert "votes.csv" in notes[0].problem


# ---------------------------------------------------------------- writing files

def test_an_existing_file_is_not_overwritten_without_force(tmp_path):
    target = tmp_path / "news-page.md"
    target.write_text("my corrected version", encoding="utf-8")
    result = run("import", PAGE, "--out", tmp_path)
    assert result.exit_code == 1
    assert errors(result) == [f"argmap: {PAGE}: {target} already exists (it may hold your corrections); "
                              "pass --force to overwrite it"]
    assert target.read_text(encoding="utf-8") == "my corrected version"
    assert run("import", PAGE, "--out", tmp_path, "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("---\ntitle: ")


def test_one_bad_source_does_not_stop_the_others(tmp_path):
    result = run("import", IMAGE_ONLY, PAGE, tmp_path / "missing.pdf", "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["news-page.md"]
    assert len(errors(result)) == 2


# ---------------------------------------------------------------- round trip

def test_import_then_ingest_attributes_claims_as_a_reader_would(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hearing.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (src / "polis.csv").write_text(POLIS, encoding="utf-8")
    make_docx(src / "memo.docx")
    out = tmp_path / "corpus"
    result = run("import", src / "hearing.txt", src / "polis.csv", src / "memo.docx", PAGE, TWO_COLUMN, "--out", out)
    assert result.exit_code == 0, result.output
    db = tmp_path / "s.db"
    result = run("ingest", out, "--db", db, "--no-analyze")
    assert result.exit_code == 0, result.output
    store = Store(db, create=False)
    analysts = {}
    for c in store.claims():
        analysts.setdefault(c.document, set()).add(c.analyst)
    assert analysts == {"hearing": {"Sen. Smith", "Dr. Jane Lee", "Victor Cha"},
                        "polis": {"participant 17", "participant 23", "participant 31"},
                        "memo": {"Policy Staff"}, "news-page": {"Jane Park", "Joseph Yun"}, "two-column": {"Mina Cho"}}

    # ingesting the sources themselves gives the same claims, and a second run finds them unchanged
    db2 = tmp_path / "direct.db"
    for status in ("added", "unchanged"):
        result = run("ingest", src, PAGE, TWO_COLUMN, "--db", db2, "--no-analyze", "--json")
        assert result.exit_code == 0, result.output
        assert {json.loads(line)["status"] for line in result.stdout.splitlines()} == {status}
    direct = Store(db2, create=False)
    assert sorted((c.document, c.analyst, c.text) for c in direct.claims()) == \
        sorted((c.document, c.analyst, c.text) for c in store.claims())
    assert direct.document_text("news-page") == (out / "news-page.md").read_text(encoding="utf-8")


def test_import_refuses_a_corpus_markdown_file(tmp_path):
    md = tmp_path / "a.md"
    md.write_text("---\ntitle: T\n---\n\nText.\n", encoding="utf-8")
    result = run("import", md, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "unsupported file type '.md'" in errors(result)[0]


def test_converted_text_is_held_to_the_corpus_size_limit(monkeypatch):
    monkeypatch.setattr("argmap.corpus.MAX_FILE_BYTES", 500)
    with pytest.raises(InputError, match="the text extracted is 0.0 MB; argmap reads up to 0 MB"):
        source_markdown(TWO_COLUMN)


def test_ingest_reads_a_url_directly_with_the_import_file_name_as_its_id(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "fetch_url", lambda url, timeout=10: (PAGE.read_bytes(), "text/html", url))
    url = "https://korealedger.example/2019/01/kim-beijing-trip/"
    db = tmp_path / "s.db"
    for status in ("added", "unchanged"):
        result = run("ingest", url, "--db", db, "--no-analyze", "--json")
        assert result.exit_code == 0, result.output
        [row] = [json.loads(line) for line in result.stdout.splitlines()]
        assert (row["document"], row["status"], row["path"]) == ("kim-beijing-trip", status, url)
    [doc] = Store(db, create=False).documents()
    assert (doc.path, doc.outlet) == (url, "The Korea Ledger")
    monkeypatch.undo()  # the real fetch: a closed port is one line, as a file that cannot be read is
    result = run("ingest", f"http://127.0.0.1:{_closed_port()}/x", "--db", tmp_path / "t.db", "--no-analyze")
    assert result.exit_code == 1 and "cannot fetch" in result.stderr


def test_a_changed_page_at_the_same_url_replaces_its_document(tmp_path, monkeypatch):
    page = PAGE.read_bytes()
    monkeypatch.setattr(sources, "fetch_url", lambda url, timeout=10: (page, "text/html", url))
    url, db = "https://korealedger.example/2019/01/kim-beijing-trip/", tmp_path / "s.db"
    assert run("ingest", url, "--db", db, "--no-analyze").exit_code == 0
    page = page.replace(b"more cautious", b"far more cautious")
    result = run("ingest", url, "--db", db, "--no-analyze", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "replaced"


def test_a_speaker_cell_with_no_name_in_it_is_an_unknown_participant(tmp_path):
    path = tmp_path / "angle.csv"
    path.write_text("comment-body,author\nSanctions are working at the border.,Alice\n"
                    "Sanctions are not working at all.,<>\nTrade across the border is recovering quickly this year.,\u202e\n", encoding="utf-8")
    result = run("import", path, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    from argmap.claims import extract_claims

    claims = extract_claims(parse_file(tmp_path / "angle.md"))
    assert [c.analyst for c in claims] == ["Alice", "unknown participant", "unknown participant"]


def test_import_gives_the_same_files_in_any_order_and_names_what_is_missing(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "empty").mkdir()
    (tmp_path / "a" / "x.txt").write_text("A title\n\nThe visit changed nothing at all in Seoul.\n", encoding="utf-8")
    (tmp_path / "b" / "x.csv").write_text("comment,author\nThe visit changed everything in Seoul.,Ann\n",
                                          encoding="utf-8")
    outs = []
    for k, order in enumerate(([tmp_path / "a", tmp_path / "b"], [tmp_path / "b", tmp_path / "a"])):
        out = tmp_path / f"out{k}"
        result = run("import", *order, tmp_path / "empty", tmp_path / "nowhere", "--out", out)
        assert result.exit_code == 0
        assert sorted(errors(result)) == sorted([
            f"argmap: {tmp_path / 'b' / 'x.csv'}: {out / 'x.md'} is already written from {tmp_path / 'a' / 'x.txt'} "
            "in this run; import one of them on its own with another --out",
            f"argmap: {tmp_path / 'empty'}: folder has no files argmap imports (.html, .htm, .pdf, .docx, .csv, .txt)",
            f"argmap: {tmp_path / 'nowhere'}: no such file or folder"])
        outs.append((out / "x.md").read_text(encoding="utf-8"))
    assert outs[0] == outs[1]


def test_a_source_imported_beside_itself_is_read_once_as_its_markdown(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news-page.html").write_bytes(PAGE.read_bytes())
    assert run("import", corpus / "news-page.html", "--out", corpus).exit_code == 0
    db = tmp_path / "s.db"
    result = run("ingest", corpus, "--db", db, "--no-analyze", "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == [str(corpus / "news-page.md")]
    assert errors(result) == [f"argmap: {corpus}: skipped 1 source imported as Markdown beside it "
                              "(the .md is read): news-page.html"]


def test_a_semicolon_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffauthor;comment\nAnn Lee;\"Rents are too high; wages have not kept up.\"\n".encode("utf-8"))
    parsed = parse_file(path)
    assert [(p.analyst, p.text) for p in parsed.paragraphs] == [("Ann Lee", "Rents are too high; wages have not kept up.")]
    assert find_files([tmp_path])[0] == [path]


def test_in_a_transcript_labelled_in_capitals_a_mixed_case_word_and_colon_is_speech():
    text = ("MODERATOR: What is the plan?\n\nSMITH: We will cut taxes.\n\n"
            "Look: the plan is simple, and it works.\n\nJONES: It does not work.\n")
    blocks = from_transcript("t.txt", text).blocks
    assert [(b.analyst, b.text) for b in blocks] == [
        ("Moderator", "What is the plan?"), ("Smith", "We will cut taxes."),
        ("Smith", "Look: the plan is simple, and it works."), ("Jones", "It does not work.")]


def test_a_folder_of_sources_is_imported_file_by_file(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hearing.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (src / "polis.csv").write_text(POLIS, encoding="utf-8")
    (src / "done.md").write_text("---\ntitle: T\n---\n\nText.\n", encoding="utf-8")
    result = run("import", src, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["source"] for line in result.stdout.splitlines()] == [
        str(src / "hearing.txt"), str(src / "polis.csv")]


def test_text_after_a_speaker_goes_back_to_the_documents_own_voice():
    src = Source("T", authors=("Ann Writer",), blocks=[
        Block(None, "text", "The writer opens the piece with a claim of her own."),
        Block("Moderator", "context", "What do you think?"),
        Block(None, "text", "The writer closes the piece with another claim.")])
    parsed = parse_text(Path("t.md"), to_markdown(src), "0")
    assert [(p.analyst or parsed.default_analyst, p.kind) for p in parsed.paragraphs] == [
        ("Ann Writer", "text"), ("Moderator", "context"), ("Ann Writer", "text")]
