"""Negate an English sentence's main clause, for training data augmentation.

Stance between claims must flip when one claim denies the other ("X matters" /
"X does not matter"); the labelled argument data rarely shows that contrast, so
scripts/train_stance.py adds (sentence, negated sentence) pairs labelled
"disagree". Rules, on spaCy's parse of the first sentence:
* a negated main verb loses its negation ("is not" -> "is", "don't want" -> "do want");
* a main verb with an auxiliary or copula gets "not" after it ("will help" -> "will not help");
* a plain present/past verb gets do-support ("helps" -> "does not help").
Returns None when no rule applies (no main verb, a question, ...).
"""
from __future__ import annotations

NEGATORS = {"not", "n't", "never", "no longer"}


def negate(text: str, nlp=None) -> str | None:
    if nlp is None:
        from .claims import nlp as load

        nlp = load()
    doc = nlp(text)
    sent = next(iter(doc.sents), None)
    if sent is None or sent.text.rstrip().endswith("?"):
        return None
    root = sent.root
    if root.pos_ not in ("VERB", "AUX"):
        return None
    negs = [t for t in root.children if t.dep_ == "neg"]
    if negs:
        t = negs[0]
        if t.lower_ == "n't":  # "don't" -> "do", "can't" -> "can", "won't" -> "will"
            head = doc[t.i - 1]
            fixed = {"ca": "can", "wo": "will", "sha": "shall"}.get(head.lower_, head.text)
            start, end = head.idx, t.idx + len(t.text)
            return text[:start] + fixed + text[end:]
        start = t.idx
        end = t.idx + len(t.text)
        while end < len(text) and text[end] == " ":
            end += 1
        return text[:start] + text[end:]
    auxes = [t for t in root.children if t.dep_ in ("aux", "auxpass") and t.i < root.i]
    if auxes:
        anchor = auxes[0]
    elif root.lemma_ == "be" or root.pos_ == "AUX":
        anchor = root
    else:
        do = {"VBZ": "does", "VBP": "do", "VBD": "did"}.get(root.tag_)
        if do is None:
            return None
        lemma = root.lemma_
        return text[: root.idx] + f"{do} not {lemma}" + text[root.idx + len(root.text):]
    if anchor.lower_ == "can":
        return text[: anchor.idx] + anchor.text + "not" + text[anchor.idx + len(anchor.text):]
    cut = anchor.idx + len(anchor.text)
    return text[:cut] + " not" + text[cut:]
