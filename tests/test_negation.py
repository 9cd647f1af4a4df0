import pytest

from argmap.negation import negate


@pytest.mark.parametrize("text, expected", [
    ("Cars pollute the air.", "Cars do not pollute the air."),
    ("Cars do not pollute the air.", "Cars do pollute the air."),
    ("China is back at center stage.", "China is not back at center stage."),
    ("Kim wants China’s support.", "Kim does not want China’s support."),
    ("Assisted suicide should be a criminal offence", "Assisted suicide should not be a criminal offence"),
    ("It won't make a dent.", "It will make a dent."),
    ("People can't afford it", "People can afford it"),
    ("Children have been harmed by advertising", "Children have not been harmed by advertising"),
    ("The visit will not make a dent in the dynamics.", "The visit will make a dent in the dynamics."),
])
def test_negate(text, expected):
    assert negate(text) == expected


@pytest.mark.parametrize("text", ["China is back at center stage.", "The visit will make a dent in the dynamics.",
                                  "Children have been harmed by advertising"])
def test_negating_twice_gives_the_sentence_back(text):
    assert negate(negate(text)) == text


def test_questions_are_not_negated():
    assert negate("Why now?") is None
