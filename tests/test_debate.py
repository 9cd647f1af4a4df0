"""argmap debate: relevance, FOR/AGAINST split, strength order, clashes, questions, handout, errors."""
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from argmap import cli_views
from argmap.debate import prepare_debate, slug
from argmap.errors import ArgmapError
from argmap.handout import html_handout, markdown
from argmap.models import Claim, Document, Issue, Relation
from argmap.store import Store

MOTION = "China is back at the centre of Korean diplomacy"
DOCS = {"one": Document("one", "one.md", "Kim in Beijing", "Outlet One", "2018-03-28", "https://example.org/one"),
        "two": Document("two", "two.md", "Summit season", "Outlet Two", "2018-04-02", "")}
CLAIMS = [
    Claim("f1", "China is back at the centre of Korean diplomacy after the visit.", "D", "one", 1, 0, 10),
    Claim("f2", "The visit put China back at the centre of Korean diplomacy.", "F", "two", 1, 0, 10),
    Claim("a1", "China is not at the centre of Korean diplomacy; Washington is.", "E", "one", 2, 0, 10),
    Claim("a2", "Korean diplomacy does not run through China at all.", "G", "two", 2, 0, 10),
    Claim("n1", "Korean diplomacy is at the centre of the neutral news.", "H", "two", 3, 0, 10),
    Claim("x1", "Cats sleep all day.", "D", "one", 4, 0, 10),
]
ISSUES = [Issue("issue-1", "China's role", (), "f1", ("f1", "a1", "f2", "a2", "n1"))]
RELATIONS = [Relation("a1", "f1", "disagree", 0.9, "issue-1"), Relation("f1", "f2", "agree", 0.8, "issue-1")]


def fake_stance(texts, motions):
    """+1 unless the text says "not"; 0 for "neutral" (a stand-in for StanceModel.stance)."""
    assert all(m == motions[0] for m in motions)
    return np.array([0.0 if "neutral" in t else -0.9 if " not " in t else 0.8 for t in texts], dtype=np.float32)


def pack_for(motion, embedder, **kw):
    kw.setdefault("min_relevance", 0.35)  # the fake embedder's word-overlap cosine, not the question encoder's scale
    vecs = embedder.encode([c.text for c in CLAIMS])
    return prepare_debate(motion, CLAIMS, DOCS, ISSUES, RELATIONS, vecs, embedder.encode([motion])[0],
                          fake_stance, prepared="2024-01-01", **kw)


def test_split_strength_clashes_questions(fake_embedder):
    pack = pack_for(MOTION, fake_embedder)
    assert [d.claim.id for d in pack.pro] == ["f1", "f2"] and [d.ref for d in pack.pro] == ["F1", "F2"]
    assert {d.claim.id for d in pack.con} == {"a1", "a2"}
    assert pack.neutral == 1 and all(d.claim.id != "x1" for d in pack.pro + pack.con)
    f1 = pack.pro[0]
    assert f1.backers == ("F",) and f1.centrality == 1.0
    assert f1.strength == pytest.approx(f1.relevance * 0.8 * 1.5 * 1.0, rel=1e-5)
    assert all(a.strength >= b.strength for a, b in zip(pack.con, pack.con[1:]))
    first = pack.clashes[0]
    assert (first.pro.claim.id, first.con.claim.id, first.reason) == ("f1", "a1", "stored disagreement")
    assert {c.reason for c in pack.clashes[1:]} <= {"closest opposing claim"}
    asked = {q.asked_by for q in pack.questions}
    assert asked == {"for", "against"}
    for q in pack.questions:  # built from the other side's own words, never invented
        assert q.target.side != q.asked_by and q.target.claim.text[:40] in q.text
    assert [d.id for d in pack.sources] == ["one", "two"]


def test_nothing_bears_on_the_motion(fake_embedder):
    with pytest.raises(ArgmapError, match="nothing in the corpus bears on the motion"):
        pack_for("Cats make better pets than dogs", fake_embedder)


def test_handout_markdown_and_html(fake_embedder):
    pack = pack_for(MOTION, fake_embedder)
    md = markdown(pack, "debate-map.svg")
    assert md.startswith(f"# Debate pack: {MOTION}")
    assert "## Arguments FOR the motion" in md and "## Arguments AGAINST the motion" in md
    assert "> China is not at the centre of Korean diplomacy; Washington is." in md
    assert "Outlet One, 2018-03-28" in md and "<https://example.org/one>" in md
    html = html_handout(pack, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert "@page" in html and "data:image/svg+xml;base64," in html and "Prepared 2024-01-01" in html
    assert html.count('class="claim"') == 4


def test_slug():
    assert slug("Kim's visit put China back at the centre of Korean diplomacy") == "kim-s-visit-put-china-back-at-the-centre-of"
    assert slug("!!!") == "motion"


def _store(path):
    store = Store(path)
    for doc in DOCS.values():
        store.replace_document(Document(**{**doc.to_dict(), "content_hash": doc.id}), "t",
                               [c for c in CLAIMS if c.document == doc.id], "test")
    store.save_analysis(ISSUES, RELATIONS, {})
    return store


def test_cli_pack_and_error(tmp_path, monkeypatch, fake_embedder):
    _store(tmp_path / "d.db").close()
    calls = []
    monkeypatch.setattr(cli_views, "load_embedder", lambda name=None: fake_embedder)
    monkeypatch.setattr(cli_views, "load_question_encoder", lambda: fake_embedder)
    monkeypatch.setattr(cli_views, "load_stance", lambda: calls.append(1) or fake_stance)
    out = tmp_path / "pack"
    res = CliRunner().invoke(cli_views.debate_command,
                             [MOTION, "--db", str(tmp_path / "d.db"), "--out", str(out), "--no-pdf", "--json",
                              "--min-relevance", "0.35"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {"debate.md", "debate.html"}
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[0]["type"] == "motion" and (lines[0]["for"], lines[0]["against"]) == (2, 2)
    assert {x["side"] for x in lines if x["type"] == "claim"} == {"for", "against"}
    n = len(fake_embedder.calls)
    res = CliRunner().invoke(cli_views.debate_command,
                             ["Cats make better pets than dogs", "--db", str(tmp_path / "d.db"), "--no-pdf"])
    assert res.exit_code != 0 and "nothing in the corpus bears on the motion" in str(res.exception)
    assert len(fake_embedder.calls) == n + 1  # only the motion was embedded: claim vectors came from the store
    assert calls == [1]  # the stance model was not loaded for the unrelated motion


def _debate(tmp_path, monkeypatch, fake_embedder, *args):
    from argmap.cli import cli

    if not (tmp_path / "d.db").exists():
        _store(tmp_path / "d.db").close()
    monkeypatch.setattr(cli_views, "load_embedder", lambda name=None: fake_embedder)
    monkeypatch.setattr(cli_views, "load_question_encoder", lambda: fake_embedder)
    monkeypatch.setattr(cli_views, "load_stance", lambda: fake_stance)
    return CliRunner().invoke(cli, ["debate", MOTION, "--db", str(tmp_path / "d.db"), "--min-relevance", "0.35", *args])


def test_cli_out_folder_that_cannot_be_made_is_one_line(tmp_path, monkeypatch, fake_embedder):
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile" / "pack", Path("/proc/argmap-cannot-write-here")):
        res = _debate(tmp_path, monkeypatch, fake_embedder, "--out", str(out), "--no-pdf")
        assert res.exit_code == 1 and res.exception is not None and "Traceback" not in res.output
        err = [line for line in res.stderr.splitlines() if line.strip()]
        assert len(err) == 1 and err[0].startswith(f"Error: {out}: cannot write the debate pack there")


def test_cli_says_when_it_makes_no_pdf(tmp_path, monkeypatch, fake_embedder):
    from argmap import handout

    monkeypatch.setattr(handout, "find_pdf_maker", lambda: None)
    res = _debate(tmp_path, monkeypatch, fake_embedder, "--out", str(tmp_path / "pack"))
    assert res.exit_code == 0, res.output
    assert "debate.pdf not written: no PDF maker found" in res.stderr
    assert not (tmp_path / "pack" / "debate.pdf").exists()
    quiet = _debate(tmp_path, monkeypatch, fake_embedder, "--out", str(tmp_path / "pack"), "--no-pdf")
    assert "debate.pdf" not in quiet.stderr


def test_handout_names_carry_the_map_colours(fake_embedder):
    from argmap.render import analyst_border, analyst_palette
    from argmap.style import ANALYST_CSS_BORDER

    pack = pack_for(MOTION, fake_embedder)
    palette = analyst_palette(c.analyst for c in CLAIMS)
    page = html_handout(pack, None, palette)
    for name in {d.claim.analyst for d in pack.pro + pack.con}:
        chip = f'background:{palette[name]};border:{ANALYST_CSS_BORDER[analyst_border(palette, name)]}'
        assert chip in page, name
    assert 'class="chip"' not in html_handout(pack)  # no palette: names only


@pytest.mark.parametrize("printed, kept", [(b"%PDF-1.7\n...cut off", False), (b"", False),
                                           (b"%PDF-1.7\n1 0 obj\n%%EOF\n", True)])
def test_a_pdf_replaces_the_last_one_only_when_whole(tmp_path, monkeypatch, printed, kept):
    """A PDF cut off (a full disk) or not written (Chromium failed) is not reported as written, and
    an older debate.pdf, of another motion, is not left beside the new handout."""
    from argmap import handout

    html, target = tmp_path / "debate.html", tmp_path / "debate.pdf"
    html.write_text("<p>handout</p>", encoding="utf-8")
    target.write_bytes(b"%PDF-1.7\nthe motion before\n%%EOF\n")
    monkeypatch.setattr(handout, "_print_pdf", lambda src, out: out.write_bytes(printed) or bool(printed))
    assert handout.write_pdf(html, target) is kept
    assert (target.read_bytes() == printed) if kept else not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["debate.html"] + (["debate.pdf"] if kept else [])
