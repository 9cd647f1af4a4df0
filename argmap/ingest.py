"""Ingest: corpus files into the store. Unchanged files are skipped; changed ones replaced atomically."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from .corpus import find_files, parse_file
from .errors import InputError
from .store import Store


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str  # added | replaced | unchanged | error
    document: str = ""
    claims: int = 0
    problem: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def ingest(paths: Iterable[Path | str], store: Store,
           progress: Callable[[Iterable], Iterable] | None = None) -> list[IngestResult]:
    """Parse, extract and store each corpus file. Bad files are reported, good ones still stored."""
    from .claims import EXTRACTOR, extract_claims

    files, problems = find_files(paths)
    results = [IngestResult(e.path, "error", problem=e.problem) for e in problems]
    seen: dict[str, str] = {}
    counts = store.claim_counts()
    for path in (progress(files) if progress else files):
        try:
            parsed = parse_file(path)
            doc = parsed.document
            if doc.id in seen:
                raise InputError(path, f"document id {doc.id!r} is already used by {seen[doc.id]}; rename one file")
            seen[doc.id] = str(path)
            state = store.document_state(doc.id)
            if state == (doc.content_hash, EXTRACTOR):
                results.append(IngestResult(str(path), "unchanged", doc.id, counts.get(doc.id, 0)))
                continue
            claims = extract_claims(parsed)
            if not claims:
                raise InputError(path, "no claims found: the text has no complete sentences")
            store.replace_document(doc, parsed.text, claims, EXTRACTOR)
            results.append(IngestResult(str(path), "replaced" if state else "added", doc.id, len(claims)))
        except InputError as e:
            results.append(IngestResult(e.path, "error", problem=e.problem))
    return results
