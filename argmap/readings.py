"""A claim's *reading*: the claim as the stance model reads it, standing on its own.

In an article a claim leans on its neighbours: "But in the end, it is not going to make
much of a dent in the dynamics." The stance model sees one claim at a time, so it gets
the claim with two light edits (the stored text and its source span never change):

* a leading discourse connective is dropped ("But", "And", "Yet", "In the end,", "However,"),
  since it relates the claim to the previous sentence, not to the other claim;
* a personal pronoun subject of the main clause ("it", "they"; not an impersonal "it is clear that ...", "it pays to ...") is
  replaced by the subject of the previous sentence of the same speaker when that subject is
  a noun phrase of a matching number ("Kim's trip to Beijing is not going to ...").

Anything less certain is left alone; the reading is then the claim text itself. Works on
spaCy spans (``claims.py`` has them), so there is no second parse.
"""
from __future__ import annotations

# personal pronouns only: "this" / "that" mostly point at the whole previous statement
PRONOUNS_SINGULAR = {"it"}
PRONOUNS_PLURAL = {"they"}
CONNECTIVE_WORDS = {"but", "and", "yet", "so", "still", "however", "indeed", "thus", "hence", "meanwhile",
                    "moreover", "furthermore", "nevertheless", "nonetheless", "instead", "also", "then"}
MAX_INTRO_TOKENS = 3  # "In the end," / "Of course," / "At the same time," (4 with the comma)
MAX_SUBJECT_TOKENS = 10


def _strip_connective(span) -> int:
    """Index (in span) of the first token after leading connectives and short intro phrases."""
    i = 0
    n = len(span)
    while i < n:
        t = span[i]
        if t.lower_ in CONNECTIVE_WORDS and t.pos_ in ("CCONJ", "ADV", "SCONJ"):
            i += 1
            if i < n and span[i].text == ",":
                i += 1
            continue
        # a short intro phrase closed by a comma, with no verb or name in it ("in the end,")
        comma = next((k for k in range(i, min(n, i + MAX_INTRO_TOKENS + 1)) if span[k].text == ","), None)
        if comma is not None and comma > i and all(
                span[k].pos_ in ("ADP", "DET", "ADV", "NOUN", "ADJ") for k in range(i, comma)) \
                and span[i].pos_ in ("ADP", "ADV"):
            i = comma + 1
            continue
        break
    return i


def _subject(span):
    """The nominal subject token of the span's root, if any."""
    root = span.root
    for t in root.children:
        if t.dep_ in ("nsubj", "nsubjpass") and span.start <= t.i < span.end:
            return t
    return None


def _plural(tok) -> bool:
    return "Plur" in tok.morph.get("Number")


def reading(span, lead=None) -> str:
    """The claim of ``span`` as it reads on its own; ``lead`` is the span of the sentence before."""
    text = span.text
    start = _strip_connective(span)
    body = span[start:] if start < len(span) else span
    subj = _subject(body)
    replace = None
    if subj is not None and lead is not None and subj.pos_ == "PRON" and not list(subj.children):
        word = subj.lower_
        root = body.root
        heads = [root] + [c for c in root.children if c.dep_ in ("acomp", "attr")]
        impersonal = any(c.dep_ in ("ccomp", "csubj") for h in heads for c in h.children) or (
            root.lemma_ != "go" and any(c.dep_ == "xcomp" for c in root.children))
        if word in PRONOUNS_SINGULAR | PRONOUNS_PLURAL and not impersonal:
            ante = _subject(lead)
            if ante is not None and ante.pos_ in ("NOUN", "PROPN"):
                phrase = lead.doc[ante.left_edge.i:ante.right_edge.i + 1]
                if len(phrase) <= MAX_SUBJECT_TOKENS and _plural(ante) == (word in PRONOUNS_PLURAL) \
                        and not any(t.pos_ == "PRON" for t in phrase):
                    words = phrase.text
                    if subj.i > body.start and phrase[0].pos_ != "PROPN":
                        words = words[:1].lower() + words[1:]
                    replace = (subj, words)
    if start == 0 and replace is None:
        return text
    base = span.start_char
    out = text[body.start_char - base:]
    if replace is not None:
        tok, phrase = replace
        a = tok.idx - body.start_char
        out = out[:a] + phrase + out[a + len(tok.text):]
    return out[:1].upper() + out[1:]
