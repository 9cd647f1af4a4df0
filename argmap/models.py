"""Plain dataclasses passed between argmap's stages and printed as JSON lines."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Document:
    """One source file of the corpus, its metadata and its body text."""

    id: str  # file stem, e.g. "rfa-dual-message"
    path: str  # path of the source file as given
    title: str
    outlet: str = ""
    date: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    note: str = ""
    content_hash: str = ""  # sha256 of the raw file bytes

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a document body with its character span in the source file."""

    number: int  # 1-based, counting only text paragraphs (not headings or markers)
    start: int
    end: int
    text: str
    analyst: str | None = None  # contribution marker in force, if any
    kind: str = "text"  # "text" | "heading" | "item" | "context" (kept for reading, never claims)


@dataclass(frozen=True)
class Claim:
    """One assertion, attributed to the analyst who made it and traceable to its source."""

    id: str  # stable: hash of document id and text
    text: str  # exactly source[start:end]
    analyst: str
    document: str  # Document.id
    paragraph: int  # Paragraph.number
    start: int  # character offsets into the source file's text
    end: int
    context: str = ""  # the surrounding sentence
    lead: str = ""  # the sentence before, when the claim opens with a pronoun ("it", "that illusion")
    reading: str = ""  # the claim as it reads on its own, for the stance model (readings.py); "" = text

    @property
    def stance_text(self) -> str:
        """What the stance model reads: the reading, else the text."""
        return self.reading or self.text

    @property
    def embed_text(self) -> str:
        """What is embedded: the claim, preceded by its lead so that "it" has a referent."""
        return f"{self.lead} {self.text}" if self.lead else self.text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Issue:
    """A question with sides: claims grouped by similarity and by their relations (issues.py)."""

    id: str  # "issue-1", ... numbered by size
    label: str  # the question in the claims' words: the pivot's reading, shortened
    keyphrases: tuple[str, ...] = ()  # extractive key phrases (search, export), never the label
    central_claim: str = ""  # Claim.id of the most central claim (by vectors)
    claim_ids: tuple[str, ...] = ()  # most central first
    pivot: str = ""  # the claim the others most agree or disagree with (central_claim without relations)
    backing: tuple[str, ...] = ()  # the pivot and the claims on its side
    disputing: tuple[str, ...] = ()  # the claims against the pivot

    def side(self, claim_id: str) -> int:
        """+1 backs the pivot, -1 disputes it, 0 on the question without a side."""
        return 1 if claim_id in self.backing else -1 if claim_id in self.disputing else 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Relation:
    """Agreement or disagreement between two claims by different analysts."""

    a: str  # Claim.id (a < b)
    b: str
    kind: str  # "agree" | "disagree"
    score: float  # the stance model's probability of that kind, in [0, 1]
    issue: str = ""  # the issue holding both claims; "" when they are in different issues

    def to_dict(self) -> dict:
        return asdict(self)
