"""Claims stage: clutter, segmentation, compound splitting, attribution, ids, spans, context."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from argmap.corpus import parse_file
from argmap.models import Paragraph

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


def _extract(parsed):
    from argmap.claims import extract_claims

    return extract_claims(parsed)


@pytest.fixture(scope="module")
def corpus_claims():
    """{doc id: (parsed, claims)} for the bundled corpus, extracted once for this module."""
    out = {}
    for f in sorted(CORPUS.glob("*.md")):
        parsed = parse_file(f)
        out[parsed.document.id] = (parsed, _extract(parsed))
    return out


@pytest.fixture(scope="module")
def rfa(corpus_claims):
    return corpus_claims["rfa-dual-message"][1]


def ws(text: str) -> str:
    return " ".join(text.split())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- segmentation

SEG = """---
title: Seg
authors: [Writer One]
---

The first sentence makes a clear point. The second sentence adds another point. Is this a question that should be dropped? The fourth sentence closes the paragraph.

What should Beijing do now?

The ministry announced new rules on Monday, and the banks reacted quickly to the change; markets fell sharply after the news.
"""


def test_one_claim_per_sentence_and_no_questions(tmp_path):
    parsed = parse_file(write(tmp_path / "seg.md", SEG))
    claims = _extract(parsed)
    assert [(c.paragraph, c.analyst, c.text) for c in claims] == [
        (1, "Writer One", "The first sentence makes a clear point."),
        (1, "Writer One", "The second sentence adds another point."),
        (1, "Writer One", "The fourth sentence closes the paragraph."),
        (3, "Writer One", "The ministry announced new rules on Monday"),
        (3, "Writer One", "the banks reacted quickly to the change"),
        (3, "Writer One", "markets fell sharply after the news."),
    ]
    for c in claims:
        assert parsed.text[c.start:c.end] == c.text


def test_editors_questions_are_not_claims(corpus_claims):
    claims = corpus_claims["chinafile-kim-visits-beijing"][1]
    assert [c.text for c in claims if c.analyst == "ChinaFile editors"] == [
        "After two days of rumors, on Wednesday March 28, the official news agencies of China and North Korea "
        "announced that North Korea’s leader Kim Jong-un had just completed a visit to Beijing.",
        "The “unofficial visit,” as Xinhua put it, was Kim’s first international trip since assuming power "
        "and an apparent surprise to much of the world.",
        "Amid much pageantry and with their wives taking part in the visit, Kim and Chinese Communist Party "
        "Secretary Xi Jinping both expressed commitment to the denuclearization of the Korean peninsula.",
    ]


def test_no_questions_anywhere(corpus_claims):
    for doc_id, (_, claims) in corpus_claims.items():
        for c in claims:
            assert not c.text.rstrip("”\"’') .").endswith("?"), (doc_id, c.text)
            assert "Why now" not in c.text and "How could Kim be sure" not in c.text


def test_compound_sentence_split(corpus_claims):
    claims = corpus_claims["chinafile-kim-visits-beijing"][1]
    d = [c for c in claims if c.analyst == "ChinaFile contributor D"]
    par = [c for c in d if c.paragraph == 21]
    assert [c.text for c in par] == [
        "Kim’s trip to Beijing may generate a couple of days of media interest.",
        "in the end, it is not going to make much of a dent in the dynamics.",
        "The drivers of the train of geopolitics on the Korean peninsula continue to be Pyongyang, Seoul, and Washington.",
    ]
    assert all(c.context for c in par)


def test_no_claim_starts_with_a_conjunction(corpus_claims):
    for doc_id, (_, claims) in corpus_claims.items():
        for c in claims:
            assert not re.match(r"(?i)(but|and|yet|or|nor)\b", c.text), (doc_id, c.text)
            assert not re.search(r"(?i)[\s,](but|and)$", c.text), (doc_id, c.text)


# ---------------------------------------------------------------- clutter

# Raw lines from the saved RFA, IPP Review and Diplomat pages (page clutter around article text).
RAW_CLUTTER = """Kim Jong-un’s Beijing Trip: China-North Korea Relationship is Still “Special”
Photo Credit: Getty Images
By Jaewoo Choo

Kim Jong-un’s Beijing Trip: China-North Korea Relationship is Still “Special”

Apr. 03, 2018  |     |  0 comments

By Eugene Whong
Share on WhatsApp
Share on WhatsApp

kim-china-2019-jan A vehicle in the motorcade of North Korean leader Kim Jong Un is seen in Beijing on Jan. 8, 2019, after Kim arrived in the Chinese capital on an unannounced visit for talks with President Xi Jinping, as preparations ramp up for an expected second summit with US President Donald Trump.

People walk past a public TV screen showing a footage of North Korean leader Kim Jong Un and Chinese President Xi Jinping during a news program in Tokyo (March 28, 2018).

Credit: AP Photo/Eugene Hoshiko

The special character of China-North Korea relationship is that the rift in the relationship can be patched overnight. This is possible because of the unique governance structure of both countries’ power systems.

The recently concluded China-North Korea summit only had one message: the two countries will cover each other’s backs and will not to succumb to any pressure or diplomatic offensives by the US or South Korea.

Across the pond

The recently concluded China-North Korea summit only had one message: the two countries will cover each other’s backs and will not to succumb to any pressure or diplomatic offensives by the US or South Korea. Chinese assurance has allowed North Korea to change its stance on the denuclearization question. In other words, the ball is now in the court of these two countries.

Additional Reporting by Sangmin Lee and Yong Jae Mok for RFA’s Korean Service. Translated by Yewon Ji.

Add your comment by filling out the form below in plain text. Comments are approved by a moderator and can be edited in accordance with RFAs Terms of Use. Comments will not appear in real time. RFA is not responsible for the content of the postings. Please, be respectful of others' point of view and stick to the facts.

Leave a Reply

Your email address will not be published. Required fields are marked *

View Full Site
"""

CLUTTER_MARKS = [
    "Share on", "WhatsApp", "kim-china-2019-jan", "motorcade", "Photo Credit", "Getty", "By Jaewoo",
    "Apr. 03", "comments", "Leave a Reply", "email address", "Hoshiko", "public TV screen",
    "Across the pond", "Additional Reporting", "Translated by", "moderator", "View Full Site", "Still “Special”",
]

ARTICLE_CLAIMS = [
    "The special character of China-North Korea relationship is that the rift in the relationship can be patched overnight.",
    "This is possible because of the unique governance structure of both countries’ power systems.",
    "The recently concluded China-North Korea summit only had one message: the two countries will cover each "
    "other’s backs and will not to succumb to any pressure or diplomatic offensives by the US or South Korea.",
    "Chinese assurance has allowed North Korea to change its stance on the denuclearization question.",
    "In other words, the ball is now in the court of these two countries.",
]


def test_raw_clutter_never_becomes_claims(tmp_path):
    parsed = parse_file(write(tmp_path / "raw-page.txt", RAW_CLUTTER))
    assert parsed.document.title == "Kim Jong-un’s Beijing Trip: China-North Korea Relationship is Still “Special”"
    claims = _extract(parsed)
    assert [c.text for c in claims] == ARTICLE_CLAIMS
    for c in claims:
        assert parsed.text[c.start:c.end] == c.text
        for mark in CLUTTER_MARKS:
            assert mark not in c.text
    # the pull quote is dropped and its text is claimed once, from the full paragraph after "Across the pond"
    pull = [c for c in claims if c.text.startswith("The recently concluded")]
    assert len(pull) == 1
    assert parsed.text[:pull[0].start].count("The recently concluded") == 1  # only the pull quote before it


def test_content_paragraphs_of_raw_page(tmp_path):
    from argmap.claims import content_paragraphs

    parsed = parse_file(write(tmp_path / "raw-page.txt", RAW_CLUTTER))
    kept = content_paragraphs(parsed)
    assert [p.text[:40] for p in kept] == [
        "The special character of China-North Kor",
        "The recently concluded China-North Korea",
    ]
    assert "Chinese assurance" in kept[1].text  # the long paragraph, not the pull quote


@pytest.mark.parametrize("line", [
    "Share on WhatsApp",
    "kim-china-2019-jan A vehicle in the motorcade of North Korean leader Kim Jong Un is seen in Beijing on Jan. 8, 2019.",
    "Photo Credit: Getty Images",
    "By Jaewoo Choo",
    "Apr. 03, 2018  |     |  0 comments",
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "Credit: AP Photo/Eugene Hoshiko",
    "View Full Site",
    "Additional Reporting by Sangmin Lee and Yong Jae Mok for RFA’s Korean Service. Translated by Yewon Ji.",
    "Add your comment by filling out the form below in plain text. Comments are approved by a moderator.",
    "China Power",
    "Recent Features",
    "Shop for visitors in North Korea",
    "+ posts",
    "Kim Jong-un Visits Beijing",  # the title, repeated
])
def test_clutter_reason_lines(line):
    from argmap.claims import clutter_reason

    par = Paragraph(1, 0, len(line), line)
    assert clutter_reason(par, "Kim Jong-un Visits Beijing") is not None


@pytest.mark.parametrize("line", [
    "Kim Jong Un’s fourth visit to China is an indication that North Korea’s leader is preparing for another summit.",
    "By saying the meeting was “unofficial,” China signaled that relations are frosty but fixable.",
    "Experts in South Korea seemed to agree with the assessments of their U.S. counterparts.",
])
def test_article_text_is_not_clutter(line):
    from argmap.claims import clutter_reason

    assert clutter_reason(Paragraph(1, 0, len(line), line), "Some Title") is None
    assert clutter_reason(Paragraph(0, 0, len(line), line, kind="heading"), "Some Title") == "heading"


# ---------------------------------------------------------------- attribution (RFA)

EXPERT_PARAGRAPHS = {
    "Joseph Yun": {7, 8, 9},
    "Kathleen Stephens": {10, 11, 12},
    "Christopher Hill": {13, 14, 15},
    "Bruce Bennett": {16, 17, 18},
    "Shin Sangjin": {20, 21},
    "Cho Han-Bum": {22, 23, 24},
}
REPORTER = "Eugene Whong"

EXPERT_CLAIMS = {
    "Joseph Yun": [
        "I have this big China card.",
        "Essentially this is pretty much the repeat of last year, when he went to China to get the green light "
        "from Xi Jinping that it is okay to have another summit, with Trump",
        # "..., he added."
        "I do think that a second summit will be arranged quite soon, probably at the end of February or early March",
    ],
    "Kathleen Stephens": [
        "the Kim-Xi meeting showed the importance of the U.S. working closely with other governments in dealing "
        "with North Korean issues.",
        "We need to deepen the process of consultations with Seoul and also with others in the region",
        # "..., she said."
        "Kim Jong Un going to China is a reminder, and probably a very explicit one, that China has both equity "
        "and influence in this",
    ],
    "Christopher Hill": [
        "China is not happy with the way the U.S. has pursued [the nuclear] issue.",
        "The U.S. has gone on the bilateral track and ignored other players in the region, especially China",
        # "Hill expressed concern that ..."
        "the Chinese may be pressing on Kim their view that the U.S. should remove its 28,000 troops from South "
        "Korea as part of any settlement",
        "they may attempt to encourage him to stick to that point in negotiations with Trump.",
    ],
    "Bruce Bennett": [
        "Kim has been clearly preparing for his second summit meeting with President Trump.",
        "I think that Kim is worried that the President will tell him ‘enough is enough’.",
        "Kim wants China’s support.",
        "Any action it takes to relax sanctions could make a major difference for North Korea",
    ],
    "Shin Sangjin": [
        "Kim’s visit to China indicates that another U.S.-North Korea summit will happen soon, especially since "
        "President Trump has been saying possible locations are being discussed.",
        "Kim wants to maximize his leverage in negotiations with the U.S.",
    ],
    "Cho Han-Bum": [
        "the visit is in line with themes discussed by Kim during his New Year’s address, in which he warned that "
        "Pyongyang may change its approach to nuclear talks if Washington persists with sanctions.",
        "[He] indicated multilateral agreements should be pursued to build a permanent peace regime, clearly "
        "implying the role of China",
        # the untagged last quote paragraph continues Cho's quote
        "North Korea is [through the visit] boasting its improved ties with China.",
    ],
}


@pytest.mark.parametrize("expert", sorted(EXPERT_PARAGRAPHS))
def test_rfa_expert_paragraphs(rfa, expert):
    mine = [c for c in rfa if c.analyst == expert]
    assert {c.paragraph for c in mine} == EXPERT_PARAGRAPHS[expert]
    # and nobody else has claims in the expert's paragraphs
    others = {c.analyst for c in rfa if c.paragraph in EXPERT_PARAGRAPHS[expert]}
    assert others == {expert}


@pytest.mark.parametrize("expert", sorted(EXPERT_CLAIMS))
def test_rfa_expert_claim_texts(rfa, expert):
    by_text = {c.text: c.analyst for c in rfa}
    for text in EXPERT_CLAIMS[expert]:
        assert by_text.get(text) == expert, text


def test_rfa_reporter_keeps_framing(rfa):
    whong = [c for c in rfa if c.analyst == REPORTER]
    paragraphs = {c.paragraph for c in whong}
    assert {1, 3, 4, 5, 6, 19} <= paragraphs <= {1, 2, 3, 4, 5, 6, 19}
    texts = [c.text for c in whong]
    assert any(t.startswith("Kim Jong Un’s fourth visit to China is an indication") for t in texts)
    assert texts[0].endswith("analysts said on Tuesday.")  # "analysts said": generic, the reporter's framing
    assert ("Experts say that this visit also underscores that China has a major role to play in U.S. negotiations "
            "with North Korea and that Chinese involvement in North Korean issues could be used by Beijing as a "
            "bargaining chip in tense trade negotiations between the U.S. and China.") in texts
    assert "Experts in South Korea seemed to agree with the assessments of their U.S. counterparts." in texts


def test_rfa_analysts(rfa):
    analysts = {c.analyst for c in rfa}
    assert set(EXPERT_PARAGRAPHS) | {REPORTER} <= analysts
    # any other source (e.g. the news agency KCNA) may only speak in the KCNA paragraph
    assert all(c.paragraph == 2 for c in rfa if c.analyst not in set(EXPERT_PARAGRAPHS) | {REPORTER})


def test_rfa_claims_exclude_speech_tags(rfa):
    tags = ["said Hill", "said Yun", "said Joseph Yun", "said Stephens", "said Bennett", "said Shin", "Cho said",
            "he said", "she said", "he added", "Hill expressed concern", "told the same panel", "told RFA",
            "said of the meeting", "University said", "Institute for Peace", "Senior Adviser", "researcher for"]
    for c in rfa:
        for tag in tags:
            assert tag not in c.text, (tag, c.text)


def test_rfa_every_content_paragraph_yields_claims(corpus_claims):
    """BUG: 'According to the state-run Korean Central News Agency (KCNA), Kim's sojourn ...' (paragraph 2)
    yields no claim at all: a speech tag without a clause or quote drops its whole sentence."""
    from argmap.claims import content_paragraphs

    parsed, claims = corpus_claims["rfa-dual-message"]
    have = {c.paragraph for c in claims}
    assert [p.number for p in content_paragraphs(parsed) if p.number not in have] == []


def test_according_to_sentences_are_kept(corpus_claims):
    """BUG: in The Diplomat, sentences whose only speech tag is 'According to X' / 'As X emphasized' are dropped."""
    texts = [c.text for c in corpus_claims["diplomat-traditional-friendship"][1]]
    assert any("this will not be a one-off event" in t for t in texts)
    assert any("avoiding that outcome seems to have been a major impetus" in t for t in texts)


def test_diplomat_tag_not_inside_claim(corpus_claims):
    """BUG: 'Kim agreed that “The DPRK-China friendship ... is unshakable,” according to Xinhua.' gives Kim a claim
    whose text ends with the tag ',” according to Xinhua.'"""
    for c in corpus_claims["diplomat-traditional-friendship"][1]:
        assert "according to Xinhua" not in c.text, c.text


# ---------------------------------------------------------------- ids, spans, context

def test_claim_ids_depend_only_on_document_analyst_and_text(corpus_claims):
    from argmap.claims import claim_id

    assert claim_id("a", "Ann", "Some text.") == claim_id("a", "Ann", "Some text.")
    assert claim_id("a", "Ann", "Some text.") != claim_id("b", "Ann", "Some text.")
    assert claim_id("a", "Ann", "Some text.") != claim_id("a", "Ann", "Some text!")
    assert claim_id("a", "Ann", "Some text.") != claim_id("a", "Bo", "Some text.")  # who said it
    assert len(claim_id("a", "Ann", "x")) == 16
    for doc_id, (_, claims) in corpus_claims.items():
        ids = [c.id for c in claims]
        assert len(ids) == len(set(ids)), doc_id
        for c in claims:
            assert c.document == doc_id
            assert c.id == claim_id(doc_id, c.analyst, c.text)


def test_claim_ids_stable_across_runs(corpus_claims):
    parsed, claims = corpus_claims["rfa-dual-message"]
    again = _extract(parse_file(CORPUS / "rfa-dual-message.md"))
    assert [(c.id, c.text, c.analyst, c.start, c.end) for c in again] == \
           [(c.id, c.text, c.analyst, c.start, c.end) for c in claims]


def test_claim_ids_survive_moving_text(tmp_path):
    body = "The first sentence makes a clear point. The second sentence adds another point.\n"
    v1 = _extract(parse_file(write(tmp_path / "doc.md", f"---\ntitle: T\n---\n\n{body}")))
    v2 = _extract(parse_file(write(tmp_path / "doc.md", f"---\ntitle: T\n---\n\nA new opening paragraph says more.\n\n{body}")))
    old = {c.text: c for c in v1}
    moved = [c for c in v2 if c.text in old]
    assert len(moved) == 2
    for c in moved:
        assert c.id == old[c.text].id
        assert c.start > old[c.text].start
    other = _extract(parse_file(write(tmp_path / "other.md", f"---\ntitle: T\n---\n\n{body}")))
    assert {c.id for c in other}.isdisjoint(old[t].id for t in old)


def test_every_claim_span_round_trips(corpus_claims):
    total = 0
    for doc_id, (parsed, claims) in corpus_claims.items():
        on_disk = (CORPUS / f"{doc_id}.md").read_text(encoding="utf-8")
        pars = {p.number: p for p in parsed.paragraphs if p.kind != "heading"}
        assert claims, doc_id
        for c in claims:
            assert parsed.text[c.start:c.end] == c.text
            assert on_disk[c.start:c.end] == c.text
            par = pars[c.paragraph]
            assert par.start <= c.start < c.end <= par.end
            assert c.text
            total += 1
        assert [c.start for c in claims] == sorted(c.start for c in claims)
    assert total > 200


def test_claim_texts_are_trimmed(corpus_claims):
    """BUG: claims ending a sentence followed by a no-break space (U+00A0) keep it: 'this month.\\xa0'
    (csis-mr-and-mrs-kim, 6 claims; diplomat-traditional-friendship, 1). _trim's STRIP_CHARS lacks \\xa0."""
    bad = [(doc_id, c.text[-20:]) for doc_id, (_, claims) in corpus_claims.items()
           for c in claims if c.text != c.text.strip()]
    assert bad == []


def test_every_claim_has_context(corpus_claims):
    for doc_id, (_, claims) in corpus_claims.items():
        for c in claims:
            assert c.context.strip(), c
            assert ws(c.text) in ws(c.context), (doc_id, c.text, c.context)


def test_default_analyst_without_authors(corpus_claims):
    diplomat = corpus_claims["diplomat-traditional-friendship"][1]
    assert sum(c.analyst == "The Diplomat (China Power)" for c in diplomat) > 20
    csis = corpus_claims["csis-mr-and-mrs-kim"][1]
    assert {c.analyst for c in csis} == {"Victor Cha and Sue Mi Terry"}
    assert "What this visit means" not in " ".join(c.text for c in csis)
    chinafile = corpus_claims["chinafile-kim-visits-beijing"][1]
    assert {c.analyst for c in chinafile} == {"ChinaFile editors"} | {f"ChinaFile contributor {x}" for x in "ABCDE"}


def test_a_claim_opening_with_a_quoted_word_keeps_both_quote_marks(tmp_path):
    text = """---
title: Quotes
authors: [Writer One]
---

"Denuclearization" means different things in Pyongyang and Washington, so talks will stall.

“China will not let North Korea collapse,” said Bonnie Glaser.
"""
    claims = _extract(parse_file(write(tmp_path / "q.md", text)))
    assert [(c.analyst, c.text) for c in claims] == [
        ("Writer One", '"Denuclearization" means different things in Pyongyang and Washington, so talks will stall.'),
        ("Bonnie Glaser", "China will not let North Korea collapse"),
    ]
