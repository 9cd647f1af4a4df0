"""A claim's reading (what the stance model reads), on spaCy's real parse."""
import pytest

from argmap.claims import nlp
from argmap.readings import reading


@pytest.fixture(scope="module")
def parse():
    pipe = nlp()
    return lambda text: pipe(text)[:] if text else None


@pytest.mark.parametrize("lead, text, expected", [
    # a pronoun subject takes the previous sentence's subject; the connective goes
    ("Kim’s trip to Beijing may generate a couple of days of media interest.",
     "But in the end, it is not going to make much of a dent in the dynamics.",
     "Kim’s trip to Beijing is not going to make much of a dent in the dynamics."),
    ("The sanctions hurt the regime.", "They are working.", "The sanctions are working."),
    ("The sanctions hurt the regime.", "They want to isolate Pyongyang.", "The sanctions want to isolate Pyongyang."),
    # number must match: "it" does not stand for "the sanctions"
    ("The sanctions hurt the regime.", "It is working.", "It is working."),
    # "this" points at a whole statement, not at the subject
    ("Xi hosted Kim.", "However, this does not mean much.", "This does not mean much."),
    # impersonal "it" is not a reference
    ("The summit was held.", "It is clear that China wants influence.", "It is clear that China wants influence."),
    ("The summit was held.", "For Pyongyang, it always pays to provoke.", "For Pyongyang, it always pays to provoke."),
    # a short anaphoric frame gives way to the clause it frames; a frame with content of its own stays
    ("", "That illusion vanished when Kim rolled into town for a summit that put China back in center stage.",
     "Kim rolled into town for a summit that put China back in center stage."),
    ("", "This changed after the summit ended.", "The summit ended."),
    ("", "This proves nothing when the data are missing.", "This proves nothing when the data are missing."),
    ("", "It rained because the clouds came.", "It rained because the clouds came."),
    ("", "Kim left when Xi arrived.", "Kim left when Xi arrived."),
    # no lead: only the connective goes; a plain claim is left as it is
    ("", "In the end, the visit mattered.", "The visit mattered."),
    ("", "And Beijing wants calm.", "Beijing wants calm."),
    ("", "For a few weeks in March, China looked sidelined.", "For a few weeks in March, China looked sidelined."),
    ("", "Interestingly, the treaty did not come up.", "The treaty did not come up."),
    ("", "In the 1960s, the relationship froze.", "In the 1960s, the relationship froze."),
    ("", "Without any evidence, we are left to speculate.", "Without any evidence, we are left to speculate."),
])
def test_reading(parse, lead, text, expected):
    assert reading(parse(text), parse(lead)) == expected


def test_the_corpus_claim_of_contributor_d_reads_on_its_own(ingested):
    from argmap.store import Store

    store = Store(ingested[0])
    [d] = [c for c in store.claims(analyst="ChinaFile contributor D") if "make much of a dent" in c.text]
    assert d.text == "in the end, it is not going to make much of a dent in the dynamics."  # the source span, untouched
    assert d.stance_text == "Kim’s trip to Beijing is not going to make much of a dent in the dynamics."
    store.close()
