"""Bad input through the CLI: one clear line per bad file, no traceback, good files still ingested."""
from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from argmap.cli import cli
from argmap.errors import InputError

from conftest import copy_db  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

GOOD = """---
title: A Good Document
authors: [Good Writer]
---

The first sentence makes a clear point. The second sentence adds another point.
"""


def _ingest_flags() -> list[str]:
    return ["--no-analyze"]  # store only: the analysis step is tested in test_analysis/test_integration


def ingest(*paths, db):
    result = CliRunner().invoke(cli, ["ingest", *map(str, paths), "--db", str(db), *_ingest_flags()])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result




def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def counts(db: Path) -> tuple:
    conn = sqlite3.connect(str(db))
    try:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("documents", "claims", "analysts"))
    finally:
        conn.close()


def make(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


BAD_FILES = {
    "binary": ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file, not text"),
    "non-utf8": ("latin1.md", "---\ntitle: Café\n---\n\nLe texte dit quelque chose.\n".encode("latin-1"),
                 "not UTF-8 text"),
    "bad yaml": ("badyaml.md", "---\ntitle: [unclosed\nauthors: x\n---\n\nSome text that says something.\n",
                 "malformed front matter"),
    "missing title": ("notitle.md", "---\noutlet: Somewhere\n---\n\nSome text that says something.\n",
                      "'title' is missing or empty"),
    "unknown key": ("unknownkey.md", "---\ntitle: T\nauthor: Bob\n---\n\nSome text that says something.\n",
                    "unknown key 'author'"),
    "front matter only": ("frontonly.md", "---\ntitle: Only front matter\n---\n", "empty document"),
    "no front matter": ("nofront.md", "Just text without front matter.\n", "missing YAML front matter"),
    "no sentences": ("fragments.md", "---\ntitle: Fragments\n---\n\nJust words\n", "no claims found"),
    "wrong suffix": ("slides.key", b"PK\x03\x04", "unsupported file type '.key'"),
    "broken pdf": ("slides.pdf", b"%PDF-1.4\n", "not a readable PDF"),
}


def check_one_error(result, path: Path, problem: str):
    err = error_lines(result)
    assert len(err) == 1, err
    assert str(path) in err[0]
    assert problem in err[0]
    assert err[0] == f"argmap: {path}: {err[0].split(f'{path}: ', 1)[1]}"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_alone(tmp_path, case):
    name, content, problem = BAD_FILES[case]
    path = make(tmp_path, name, content)
    db = tmp_path / "s.db"
    result = ingest(path, db=db)
    assert result.exit_code == 1
    check_one_error(result, path, problem)
    assert result.stdout == ""
    assert counts(db) == (0, 0, 0)


def test_missing_path(tmp_path):
    path = tmp_path / "does-not-exist.md"
    result = ingest(path, db=tmp_path / "s.db")
    assert result.exit_code == 1
    check_one_error(result, path, "no such file or folder")


def test_empty_folder(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = ingest(folder, db=tmp_path / "s.db")
    assert result.exit_code == 1
    check_one_error(result, folder, "folder has no files argmap reads")


def test_folder_of_only_other_files(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    make(folder, "a.png", b"\x89PNG")
    make(folder, "README.md", GOOD)  # README files are not corpus documents
    result = ingest(folder, db=tmp_path / "s.db")
    assert result.exit_code == 1
    check_one_error(result, folder, "folder has no files argmap reads")


def test_good_and_bad_in_one_run(tmp_path):
    good = make(tmp_path, "good.md", GOOD)
    bad = make(tmp_path, "bad.md", BAD_FILES["unknown key"][1])
    db = tmp_path / "s.db"
    result = ingest(good, bad, tmp_path / "missing.txt", db=db)
    assert result.exit_code == 0
    err = error_lines(result)
    assert len(err) == 2
    assert any(str(bad) in e and "unknown key 'author'" in e for e in err)
    assert any(str(tmp_path / "missing.txt") in e and "no such file" in e for e in err)
    rows = result.stdout.splitlines()[2:]
    assert [r.split()[:3] for r in rows] == [["good", "added", "2"]]
    assert counts(db) == (1, 2, 1)


def test_good_and_bad_in_one_folder_json(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    make(folder, "good.md", GOOD)
    for case in ("binary", "non-utf8", "front matter only"):
        name, content, _ = BAD_FILES[case]
        make(folder, name, content)
    db = tmp_path / "s.db"
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--db", str(db), "--json", *_ingest_flags()])
    assert result.exit_code == 0
    assert [json.loads(line)["document"] for line in result.stdout.splitlines()] == ["good"]
    err = error_lines(result)
    assert len(err) == 3
    assert all(e.startswith(f"argmap: {folder}/") for e in err)
    assert "Traceback" not in result.output


def test_duplicate_document_id(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make(tmp_path / "a", "same.md", GOOD)
    second = make(tmp_path / "b", "same.md", GOOD.replace("clear point", "different point"))
    db = tmp_path / "s.db"
    result = ingest(first, second, db=db)
    assert result.exit_code == 0
    err = error_lines(result)
    assert len(err) == 1 and str(second) in err[0] and "already used" in err[0]
    assert counts(db)[0] == 1


def test_bad_run_loses_nothing_stored(tmp_path, ingested):
    db = copy_db(ingested[0], tmp_path / "s.db")  # the bundled corpus, ingested
    before = counts(db)
    assert before[0] == 5 and before[1] > 200

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    for case in ("binary", "bad yaml", "front matter only"):
        name, content, _ = BAD_FILES[case]
        make(bad_dir, name, content)
    result = ingest(bad_dir, tmp_path / "missing.md", db=db)
    assert result.exit_code == 1
    assert len(error_lines(result)) == 4
    assert counts(db) == before

    # a bad version of a stored document keeps the stored version
    copy = tmp_path / "copy" / "rfa-dual-message.md"
    copy.parent.mkdir()
    copy.write_text("---\ntitle: Broken\nauthr: x\n---\n\nText.\n", encoding="utf-8")
    result = ingest(copy, db=db)
    assert result.exit_code == 1
    check_one_error(result, copy, "unknown key 'authr'")
    assert counts(db) == before
    docs = CliRunner().invoke(cli, ["documents", "--db", str(db), "--json"])
    titles = {json.loads(line)["id"]: json.loads(line)["title"] for line in docs.stdout.splitlines()}
    assert titles["rfa-dual-message"] == "Experts: Kim Jong Un’s Visit to China Sends Dual Message to US"


# ---------------------------------------------------------------- hostile input and faults (issue 10)

def read(db: Path, *args):
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def test_another_file_with_a_stored_id_is_refused_not_replaced(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = make(tmp_path / "a", "x.md", GOOD)
    b = make(tmp_path / "b", "x.md", GOOD.replace("first sentence", "other sentence"))
    db = tmp_path / "s.db"
    assert ingest(a, db=db).exit_code == 0
    before = read(db, "claims", "--json").stdout
    result = ingest(b, db=db)
    assert result.exit_code == 1
    check_one_error(result, b, "document id 'x' is already stored from another file")
    assert str(a) in error_lines(result)[0] and "--replace" in error_lines(result)[0]
    assert read(db, "claims", "--json").stdout == before  # a's document is intact
    # the same file changed still replaces its own document; --replace lets another file do it
    a.write_text(GOOD.replace("second sentence", "new sentence"), encoding="utf-8")
    assert "replaced" in ingest(a, db=db).stdout
    forced = CliRunner().invoke(cli, ["ingest", str(b), "--db", str(db), "--no-analyze", "--replace"])
    assert forced.exit_code == 0 and "replaced" in forced.stdout
    assert "other sentence" in read(db, "claims").stdout


def test_an_over_long_paragraph_refuses_its_file_and_the_rest_are_ingested(tmp_path):
    from argmap.corpus import MAX_PARAGRAPH

    (tmp_path / "c").mkdir()
    long = make(tmp_path / "c", "long.md", "---\ntitle: Long\n---\n\n" + "A sentence goes on. " * (MAX_PARAGRAPH // 10) + "\n")
    good = make(tmp_path / "c", "zgood.md", GOOD)
    result = ingest(tmp_path / "c", db=tmp_path / "s.db")
    assert result.exit_code == 0
    check_one_error(result, long, "the paragraph at line 5 is")
    assert "zgood" in result.stdout and str(good.name) in result.stdout


def test_an_over_size_file_is_refused_at_once(tmp_path):
    from argmap.corpus import MAX_FILE_BYTES

    big = make(tmp_path, "big.txt", "Title\n\n" + "Short line of text here.\n\n" * (MAX_FILE_BYTES // 25 + 10))
    result = ingest(big, make(tmp_path, "good.md", GOOD), db=tmp_path / "s.db")
    assert result.exit_code == 0
    check_one_error(result, big, "argmap reads corpus files up to 2 MB")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import subprocess
    import sys

    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for target, problem in ((fifo, "not a regular file"), (tmp_path, "not a regular file: pipe.md")):
        result = subprocess.run([sys.executable, "-m", "argmap", "ingest", "--no-analyze", "--db",
                                 str(tmp_path / "s.db"), str(target), str(make(tmp_path, "good.md", GOOD))],
                                capture_output=True, text=True, timeout=60, cwd=REPO)
        assert result.returncode == 0 and "Traceback" not in result.stderr
        assert problem in result.stderr


def test_progress_lines_when_piped(tmp_path, monkeypatch):
    from argmap import cli_options

    monkeypatch.setattr(cli_options.Ticker, "__init__", lambda self, every=0.0: setattr(self, "every", 0.0)
                        or setattr(self, "last", 0.0))
    pars = "\n\n".join(f"Point number {i} is a sentence with a verb." for i in range(5))
    f = make(tmp_path, "p.md", f"---\ntitle: P\n---\n\n{pars}\n")
    result = ingest(f, db=tmp_path / "s.db")
    assert result.exit_code == 0
    assert f"argmap: {f}: 4 of 5 paragraphs read" in result.stderr


@pytest.mark.parametrize("name,content,problem", [
    ("empty.md", "", "empty document: the file has no text"),
    ("blank.md", "\n \n", "empty document: the file has no text"),
    ("nobom16.md", "---\ntitle: T\n---\n\nText here.\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
])
def test_messages_say_what_is_wrong(tmp_path, name, content, problem):
    f = make(tmp_path, name, content)
    check_one_error(ingest(f, db=tmp_path / "s.db"), f, problem)


def test_utf16_with_a_bom_and_a_numeric_title_are_read(tmp_path):
    u16 = make(tmp_path, "u16.md", ("\ufeff" + GOOD).encode("utf-16-le"))
    num = make(tmp_path, "num.md", GOOD.replace("title: A Good Document", "title: 12345"))
    db = tmp_path / "s.db"
    result = ingest(u16, num, db=db)
    assert result.exit_code == 0 and error_lines(result) == []
    titles = {d["id"]: d["title"] for d in map(json.loads, read(db, "documents", "--json").stdout.splitlines())}
    assert titles == {"u16": "A Good Document", "num": "12345"}


def test_read_commands_do_not_create_a_store(tmp_path):
    db = tmp_path / "typo.db"
    for command in ("documents", "claims", "issues", "map"):
        result = read(db, command)
        assert result.exit_code == 1 and "no argmap store here" in result.stderr
    assert not db.exists()


def test_a_foreign_sqlite_file_is_left_alone(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(str(db))
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for args in (["documents"], ["ingest", str(make(tmp_path, "good.md", GOOD)), "--no-analyze"]):
        result = read(db, *args)
        assert result.exit_code == 1 and "not an argmap database" in result.stderr
    assert db.read_bytes() == before and not Path(f"{db}-wal").exists()


def test_files_a_folder_skips_are_counted(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    make(corpus, "good.md", GOOD)
    for name in ("a.odt", "b.pages", "c.rtf", "d.epub"):
        make(corpus, name, "x")
    result = ingest(corpus, db=tmp_path / "s.db")
    assert result.exit_code == 0
    assert error_lines(result) == [f"argmap: {corpus}: skipped 4 files that argmap does not read "
                                   "(not .md, .txt, .html, .pdf, .docx or a comment .csv): a.odt, b.pages, c.rtf "
                                   "and 1 more"]


def test_terminal_escapes_from_the_corpus_are_not_printed(tmp_path):
    f = make(tmp_path, "esc.md", GOOD.replace("The first", "<!-- analyst: Evil \x1b[2J\x1b[31mWriter\u202e -->\n\nThe first"))
    db = tmp_path / "s.db"
    assert ingest(f, db=db).exit_code == 0
    for command in ("analysts", "claims"):
        out = read(db, command).stdout
        assert "Evil Writer" in out and "\x1b" not in out and "\u202e" not in out


# --- a second round (issue 27): each of these ended in a traceback and lost the rest of the run --


@pytest.mark.parametrize("front, problem", [
    ("date: 2021-02-29", "malformed front matter: day is out of range for month"),
    ("note: " + "[" * 3000 + "]" * 3000, "malformed front matter: values nested too deeply"),
    ('outlet: "\\ud800"', "'outlet' is not Unicode text"),
])
def test_front_matter_yaml_cannot_build_is_one_line_and_the_next_file_is_stored(tmp_path, front, problem):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make(corpus, "a-bad.md", f"---\ntitle: Bad\n{front}\n---\n\nA sentence that makes a point here.\n")
    make(corpus, "b-good.md", GOOD)
    db = tmp_path / "s.db"
    result = ingest(corpus, db=db)
    lines = error_lines(result)
    assert len(lines) == 1 and "a-bad.md" in lines[0] and problem in lines[0], lines
    assert counts(db)[0] == 1  # the good file after it is stored


def test_a_file_name_that_is_not_utf8_is_ingested_with_its_bytes_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(os.path.join(os.fsencode(corpus), b"caf\xe9.md"), "w", encoding="utf-8") as f:
        f.write(GOOD)
    make(corpus, "later.md", GOOD.replace("Good Writer", "Other Writer"))
    db = tmp_path / "s.db"
    result = ingest(corpus, db=db)
    assert result.exit_code == 0 and error_lines(result) == [], result.stderr
    conn = sqlite3.connect(str(db))
    paths = sorted(p for (p,) in conn.execute("SELECT path FROM documents"))
    conn.close()
    assert len(paths) == 2 and paths[0].endswith("caf\\xe9.md")
    again = ingest(corpus, db=db)  # the same file again: unchanged, not "another file with this id"
    assert again.exit_code == 0 and error_lines(again) == [] and counts(db)[0] == 2


@pytest.mark.parametrize("args", [["search", "caf\udce9"], ["relate", "caf\udce9", "b"], ["debate", "caf\udce9"],
                                  ["claims", "--analyst", "caf\udce9"]])
def test_command_line_bytes_that_are_not_utf8_are_one_line(tmp_path, args):
    """A shell passes such bytes through; Python keeps them as lone surrogates (surrogateescape)."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    n = args.index("caf\udce9") + 1
    assert error_lines(result) == [f"Error: argument {n}, caf\\xe9, is not UTF-8 text"], result.stderr


def test_a_listing_piped_to_head_ends_quietly(ingested):
    """The reader stops after one line: argmap exits as `cat` does (141), printing nothing more."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "argmap", "claims", "--json", "--db", str(ingested[0])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert json.loads(proc.stdout.readline())["id"]
    proc.stdout.close()  # more than a pipe holds is still to come
    assert proc.wait(timeout=60) == 141 and proc.stderr.read() == b""


def test_relate_file_reads_lines_at_newlines_only_and_refuses_half_characters(tmp_path):
    from argmap.errors import InputError
    from argmap.relations import read_pairs

    raw = json.dumps({"a": "one\u2028line", "b": "another\u2029paragraph\x85"}, ensure_ascii=False)
    assert [p["a"] for p in read_pairs("p.jsonl", raw + "\r\n")] == ["one\u2028line"]
    with pytest.raises(InputError, match=r"p.jsonl: line 2: not Unicode text"):
        read_pairs("p.jsonl", raw + '\n{"a": "x\\ud800", "b": "y"}\n')


def test_the_same_sentence_from_several_participants_is_a_claim_of_each(tmp_path):
    """Agreement by repetition (a form letter, many participants saying the same) is what a
    consultation is about: nobody's claim is dropped because somebody else said it first."""
    same = "We need far more protected bike lanes in the city centre."
    rows = [f'{i},{p},0,0,1,"{same}"' for i, p in enumerate((11, 22, 33), start=1)]
    rows.append('4,44,0,0,1,"Parking in the centre should cost more at peak hours."')
    path = make(tmp_path, "consultation.csv", "comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
                + "\n".join(rows) + "\n")
    db = tmp_path / "s.db"
    result = ingest(path, db=db)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(str(db))
    said = sorted(conn.execute("SELECT a.name FROM claims c JOIN analysts a ON a.id = c.analyst_id "
                               "WHERE c.text = ?", (same,)).fetchall())
    conn.close()
    assert len(said) == 3 and len({name for (name,) in said}) == 3, said
    assert counts(db)[1:] == (4, 4)  # claims, analysts: participants 22 and 33 are analysts too


def test_short_paragraphs_ending_in_a_mark_after_the_sentence_are_read(tmp_path):
    """A one-sentence paragraph ending in a footnote mark, an ellipsis, a semicolon or an emoji
    is text, not a heading: each gives its claim (a heading still gives none)."""
    endings = ["[1]", "¹", "*", "…", ";", " 🙂", "†", "."]
    body = "\n\n".join(f"The {w} council should fund the night buses{e}" for w, e in zip(
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"], endings))
    path = make(tmp_path, "notes.md", f"---\ntitle: Notes\nauthors: [Ann Writer]\n---\n\n## A heading\n\n{body}\n")
    db = tmp_path / "s.db"
    assert ingest(path, db=db).exit_code == 0
    assert counts(db)[1] == 8


def _damage_table(db: Path, table: str) -> None:
    """Overwrite the root page of ``table`` (not the file's header) with garbage, as a failing
    disk or an interrupted copy would."""
    conn = sqlite3.connect(str(db))
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert root > 1
    with open(db, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(bytes(range(256)) * (size // 256))


@pytest.mark.parametrize("table, args", [("claims", ["analysts"]), ("claims", ["claims"]), ("documents", ["documents"]),
                                         ("documents", ["ingest", str(CORPUS / "rfa-dual-message.md"), "--no-analyze"])])
def test_a_damaged_store_is_one_line_naming_it(tmp_path, ingested, table, args):
    db = copy_db(ingested[0], tmp_path / "s.db")
    _damage_table(db, table)
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert error_lines(result)[-1:] == [f"Error: {db}: the store is damaged (database disk image is malformed); "
                                        "argmap changed nothing: restore it from a copy, or ingest the corpus "
                                        "into a new --db"], result.stderr


def test_a_plain_text_file_whose_first_line_is_a_paragraph_still_maps(tmp_path, monkeypatch):
    """A .txt's title is its first line: 17,400 characters of it passed Graphviz's 16,384-character
    limit in every tooltip, and map and report failed naming no document. Tooltips are cut."""
    from conftest import use_fake_models

    use_fake_models(monkeypatch)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = " ".join(f"Clause {i} says that the sanctions work and the council should keep them." for i in range(250))
    assert len(line) > 17_000
    make(corpus, "long.txt", line + "\n\nThe sanctions are working and China enforces them at the border.\n")
    make(corpus, "other.md", GOOD.replace("The first sentence makes a clear point.",
                                          "The sanctions are not working and China does not enforce them."))
    db = tmp_path / "s.db"
    assert CliRunner().invoke(cli, ["ingest", str(corpus), "--db", str(db)]).exit_code == 0
    result = CliRunner().invoke(cli, ["map", "--db", str(db), "--out", str(tmp_path / "maps"), "--format", "svg"])
    assert result.exit_code == 0, result.output
    titles = re.findall(r'xlink:title="([^"]*)"', "".join(p.read_text() for p in (tmp_path / "maps").glob("*.svg")))
    assert titles and max(map(len, titles)) < 5_000


def test_importing_a_source_with_a_name_near_the_limit(tmp_path):
    """A 236-byte name is a valid file name; the hidden temporary file beside the Markdown is cut
    to fit too (it was 'File name too long' about that temporary file)."""
    src = make(tmp_path, "a" * 236 + ".txt", "ANN: We should fund the night buses every day of the week.\n"
                                              "BO: No, the night buses cost far too much for the city.\n")
    result = CliRunner().invoke(cli, ["import", str(src), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0 and error_lines(result) == [], result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a" * 236 + ".md"]


@pytest.mark.parametrize("ref", ["&#x1b;", "&#27;", "&#xD800;", "&#0;"])
def test_a_page_with_a_reference_to_a_control_character_is_read(tmp_path, ref):
    page = make(tmp_path, "page.html", (
        "<html><head><title>Council votes on buses</title></head><body><article><h1>Council votes on buses</h1>"
        "<p>The council voted on Tuesday to fund the night buses for another year, after a long debate.</p>"
        f"<p>Ann Writer said the buses had cut late-night drunk driving by a third{ref} the figures were clear.</p>"
        "<p>Opponents said the money would be better spent on daytime routes that carry more passengers.</p>"
        "</article></body></html>"))
    result = CliRunner().invoke(cli, ["import", str(page), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0 and error_lines(result) == [], result.output
    assert "drunk driving by a third" in (tmp_path / "out" / "page.md").read_text(encoding="utf-8")


def test_names_as_printed_filters_that_match_nobody_and_comments_that_mention_analysts(tmp_path, monkeypatch):
    """`analysts` prints names without bidi characters, and that printed name is accepted back;
    --analyst naming nobody is an error in search as in claims and compare; an HTML comment that
    mentions analysts is a comment, not a malformed marker."""
    from conftest import use_fake_models

    use_fake_models(monkeypatch)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make(corpus, "a.md", "---\ntitle: A\n---\n\n<!-- TODO: check the analyst names -->\n\n"
                         "<!-- analyst: Ann \u202eWriter -->\n\nThe council should fund the night buses every day.\n\n"
                         "<!-- analyst: Bo Writer -->\n\nThe council should not fund the night buses at all.\n")
    db = str(tmp_path / "s.db")
    assert CliRunner().invoke(cli, ["ingest", str(corpus), "--db", db]).exit_code == 0
    listed = CliRunner().invoke(cli, ["analysts", "--db", db]).stdout
    assert "Ann Writer" in listed and "\u202e" not in listed
    for args in (["claims", "--analyst", "ann writer"], ["compare", "Ann Writer", "Bo Writer", "--no-map"]):
        result = CliRunner().invoke(cli, [*args, "--db", db])
        assert result.exit_code == 0, (args, result.output)
    for args in (["search", "night buses", "--analyst", "nobody"], ["claims", "--analyst", "nobody"]):
        result = CliRunner().invoke(cli, [*args, "--db", db])
        assert result.exit_code == 1 and error_lines(result) == [f"Error: no analyst 'nobody' in {db} (see `argmap analysts`)"]


def test_an_output_path_through_a_file_says_so(tmp_path, ingested):
    (tmp_path / "somefile").write_text("not a folder")
    db = copy_db(ingested[0], tmp_path / "s.db")
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "--db", str(db), "--out", str(tmp_path / "somefile" / "x.csv")])
    assert result.exit_code == 1
    assert error_lines(result) == [f"Error: {tmp_path / 'somefile' / 'x.csv'}: cannot write "
                                   f"({tmp_path / 'somefile'} is a file, not a folder)"], result.stderr


def test_no_drawing_library_talks_to_the_terminal(tmp_path, capfd):
    """A glyph the font lacks (matplotlib) and a warning of Graphviz's own stay off stderr."""
    import graphviz

    from argmap import matrix as mx
    from argmap.render import export

    from argmap.models import Claim, Issue

    name = "\u0905\u0928\u0941 \U0001F5F3\ufe0f \u13a0\u13a1"  # Devanagari, an emoji, Cherokee
    claims = [Claim("c1", "Night buses cut drunk driving.", name, "d", 1, 0, 30)]
    fig = mx.stance_figure(mx.stance_matrix(claims, [Issue("issue-1", "buses", (), "c1", ("c1",))], [], [name]))
    assert mx.figure_bytes(fig, "png").startswith(b"\x89PNG")
    g = graphviz.Digraph()
    g.node("a", shape="no-such-shape")
    assert export(g, "svg").startswith(b"<?xml")
    assert capfd.readouterr().err == ""


def test_importers_bound_their_work_by_the_content(tmp_path):
    """A 52 KB .docx of 1.75 million empty paragraphs (1.5 ms each: minutes) and a 9 KB PDF of
    3,000 small text boxes (pdfminer grouped boxes pairwise: 110 s) are read in seconds; a .docx
    that unpacks past the bound is refused in one line."""
    import sys
    import time
    import zipfile

    sys.path.insert(0, str(REPO / "scripts"))
    import docx
    from make_test_pdf import _pdf, _stream

    from argmap import sources

    d = docx.Document()
    d.add_paragraph("The council should fund the night buses every day of the week.")
    plain = io.BytesIO()
    d.save(plain)
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as zin, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * 1_750_000, 1)
            zout.writestr(item, data)
    ops = "\n".join(f"BT /F1 4 Tf {20 + (i * 37) % 560} {20 + (i * 53) % 750} Td (w{i}) Tj ET" for i in range(3000))
    pdf = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>",
                _stream(zlib.compress(ops.encode("latin-1")), "/Filter /FlateDecode "),
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", b"<< /Title (Boxes) >>"])
    assert len(packed.getvalue()) < 100_000 and len(pdf) < 30_000
    t = time.perf_counter()
    assert [b.text for b in sources.from_docx("many.docx", packed.getvalue()).blocks] == [
        "The council should fund the night buses every day of the week."]
    assert sources.from_pdf("boxes.pdf", pdf).blocks
    assert time.perf_counter() - t < 30  # about 5 s
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sources, "DOCX_MAX_UNPACKED", 1_000_000)
        with pytest.raises(InputError, match=r"many.docx: the .docx unpacks to 11 MB; argmap reads .docx files that "
                                             r"unpack to at most 1 MB"):
            sources.from_docx("many.docx", packed.getvalue())


# --- a third round (a helper session as a hostile user): what broke, fixed -----------------------


def test_an_output_that_is_a_device_or_a_link_is_written_to_not_replaced(tmp_path, ingested):
    """--out on a device (/dev/full, /dev/null) or a link to one (/dev/stdout) was replaced by a
    regular file (as root, the system's own /dev/null); a link to a file has its target replaced."""
    db = str(copy_db(ingested[0], tmp_path / "s.db"))
    full = tmp_path / "full"
    os.symlink("/dev/full", full)  # a link to the device: the device is written to, and it is full
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "--db", db, "--out", str(full)])
    assert result.exit_code == 1 and "No space left on device" in error_lines(result)[-1]
    assert full.is_symlink() and os.readlink(full) == "/dev/full"
    null = tmp_path / "null"
    os.symlink("/dev/null", null)
    assert CliRunner().invoke(cli, ["export", "--format", "csv", "--db", db, "--out", str(null)]).exit_code == 0
    assert null.is_symlink() and not Path("/dev/null").is_file()
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("old")
    os.symlink(target, link)
    assert CliRunner().invoke(cli, ["export", "--format", "csv", "--db", db, "--out", str(link)]).exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8-sig").startswith("claim_id,")


def test_an_empty_path_is_not_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "here.md", GOOD)
    result = ingest("", db=tmp_path / "s.db")
    assert result.exit_code == 1 and "an empty path" in error_lines(result)[0]


def test_too_many_threads_are_capped(monkeypatch):
    from argmap.onnx_models import threads
    from argmap.workers import cores

    monkeypatch.setenv("ARGMAP_THREADS", "99999")  # hung past 300 s
    assert threads() == 4 * cores()
    monkeypatch.setenv("ARGMAP_THREADS", "1")
    assert threads() == 1


def test_search_filters_that_name_nothing_are_errors(ingested):
    db = str(ingested[0])
    for flag, value, what in (("--document", "nodoc", "document"), ("--issue", "issue-999", "issue")):
        result = CliRunner().invoke(cli, ["search", "China", flag, value, "--db", db])
        assert result.exit_code == 1 and error_lines(result) == [
            f"Error: no {what} {value!r} in {db} (see `argmap {what}s`)"], result.output
