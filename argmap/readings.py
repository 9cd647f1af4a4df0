"""A claim's *reading*: the claim as the stance model reads it, standing on its own.

In an article a claim leans on its neighbours: "But in the end, it is not going to make
much of a dent in the dynamics." The stance model sees one claim at a time, so it gets
the claim with three light edits (the stored text and its source span never change):

* a leading discourse connective is dropped ("But", "And", "Yet", "In the end,", "However,"),
  since it relates the claim to the previous sentence, not to the other claim;
* a short anaphoric frame gives way to the clause it frames ("That illusion vanished when
  Kim rolled into town for a summit that ..." reads "Kim rolled into town for a summit that ...");
* a personal pronoun subject of the main clause ("it", "they"; not an impersonal "it is
  clear that ...", "it pays to ...") is replaced by the subject of the previous sentence of
  the same speaker when that subject is a noun phrase of a matching number ("Kim's trip to
  Beijing is not going to ...").

Anything less certain is left alone; the reading is then the claim text itself. Works on
spaCy spans (``claims.py`` has them), so there is no second parse.
"""
from __future__ import annotations

# personal pronouns only: "this" / "that" mostly point at the whole previous statement
PRONOUNS_SINGULAR = {"it"}
PRONOUNS_PLURAL = {"they"}
CONNECTIVE_WORDS = {"but", "and", "yet", "so", "still", "however", "indeed", "thus", "hence", "meanwhile",
                    "moreover", "furthermore", "nevertheless", "nonetheless", "instead", "also", "then"}
SUBORDINATORS = {"when", "as", "after", "once", "because", "since"}
DEMONSTRATIVES = {"this", "that", "these", "those"}
MAX_FRAME_TOKENS = 5  # "That illusion vanished" / "This changed"
MAX_INTRO_TOKENS = 4  # "At the same time,"
DISCOURSE_PHRASES = {
    "in the end", "in turn", "in other words", "of course", "after all", "at a minimum", "at a maximum",
    "in that sense", "in this sense", "in the meantime", "against this background", "as a result",
    "at this juncture", "in fact", "in short", "above all", "for example", "for instance", "by contrast",
    "in contrast", "on the other hand", "at the same time", "in addition", "in any case", "at least",
    "to be sure", "by the same token", "on balance", "in sum", "all in all", "even so", "that said"}
MAX_SUBJECT_TOKENS = 10


def _strip_connective(span) -> int:
    """Index (in span) of the first token after leading connectives: connective words, sentence
    adverbs closed by a comma ("Interestingly,", "Quite conceivably,") and listed discourse
    phrases ("In the end,"). Phrases that carry content ("In the 1960s,", "Without any
    evidence,") stay."""
    i = 0
    n = len(span)
    while i < n:
        t = span[i]
        if t.lower_ in CONNECTIVE_WORDS and t.pos_ in ("CCONJ", "ADV", "SCONJ"):
            i += 1
            if i < n and span[i].text == ",":
                i += 1
            continue
        comma = next((k for k in range(i, min(n, i + MAX_INTRO_TOKENS + 2)) if span[k].text == ","), None)
        if comma is not None and comma > i and (
                all(span[k].pos_ == "ADV" for k in range(i, comma))
                or " ".join(span[k].lower_ for k in range(i, comma)) in DISCOURSE_PHRASES):
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


def _framed(body):
    """The subordinate clause of a short anaphoric frame, or None: in "That illusion vanished
    when Kim rolled into town for a summit that put China back in center stage" the frame
    only points back at the previous sentence, and the claim proper is the "when" clause."""
    subj = _subject(body)
    if subj is None or subj.i - body.start > 2:
        return None
    if not (subj.lower_ in DEMONSTRATIVES
            or any(c.dep_ == "det" and c.lower_ in DEMONSTRATIVES for c in subj.children)):
        return None
    root = body.root
    clauses = [c for c in root.children if c.dep_ == "advcl" and c.i > root.i]
    if len(clauses) != 1:
        return None
    clause = clauses[0]
    marks = [c for c in clause.children if c.dep_ in ("mark", "advmod") and c.i < clause.i]
    if not marks or marks[0].lower_ not in SUBORDINATORS or marks[0].i - body.start > MAX_FRAME_TOKENS:
        return None
    if any(t.dep_ in ("dobj", "attr", "acomp", "ccomp", "xcomp") and t.head == root for t in body[:marks[0].i - body.start]):
        return None  # the frame says something of its own ("This proves it when ...")
    return body.doc[marks[0].i + 1:body.end]


def _plural(tok) -> bool:
    return "Plur" in tok.morph.get("Number")


def reading(span, lead=None) -> str:
    """The claim of ``span`` as it reads on its own; ``lead`` is the span of the sentence before."""
    text = span.text
    start = _strip_connective(span)
    body = span[start:] if start < len(span) else span
    framed = _framed(body)
    if framed is not None:
        out = framed.text
        return out[:1].upper() + out[1:]
    subj = _subject(body)
    replace = None
    if subj is not None and lead is not None and subj.pos_ == "PRON" and not list(subj.children):
        word = subj.lower_
        root = body.root
        heads = [root] + [c for c in root.children if c.dep_ in ("acomp", "attr")]
        impersonal = word == "it" and (  # "it is clear that ...", "it pays to ..."; not "it is going to ..."
            any(c.dep_ in ("ccomp", "csubj") for h in heads for c in h.children)
            or (root.lemma_ != "go" and any(c.dep_ == "xcomp" for c in root.children)))
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
