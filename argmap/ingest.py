"""Ingest: corpus files into the store. Unchanged files are skipped; changed ones replaced atomically."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from .corpus import find_files, is_url, parse_file
from .errors import InputError
from .store import Store


STORED = ("added", "replaced", "unchanged")


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str  # added | replaced | unchanged | error | skipped (a folder's note: files not read, and why)
    document: str = ""
    claims: int = 0
    problem: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def ingest(paths: Iterable[Path | str], store: Store,
           progress: Callable[[Iterable], Iterable] | None = None, replace: bool = False,
           tick: Callable[[Path, int, int], None] | None = None) -> list[IngestResult]:
    """Parse, extract and store each corpus file. Bad files are reported, good ones still stored.

    A changed file replaces its own earlier version. A *different* file whose document id is
    already stored (``a/x.md``, then ``b/x.md``) is refused unless ``replace`` is set.
    ``tick(path, paragraphs done, paragraphs)`` reports progress inside a long file."""
    from .claims import EXTRACTOR, content_paragraphs, extract_claims, parse_paragraphs

    files, problems, notes = find_files(paths)
    results = [IngestResult(e.path, "error", problem=e.problem) for e in problems]
    results += [IngestResult(e.path, "skipped", problem=e.problem) for e in notes]
    seen: dict[str, str] = {}
    counts = store.claim_counts()
    slots: list[IngestResult | None] = [None] * len(files)  # results in the order of the files
    todo = []  # (slot, path, parsed, stored state, its content paragraphs): spaCy reads them in one stream
    for slot, path in enumerate(files):
        try:
            parsed = parse_file(path)
            doc = parsed.document
            if doc.id in seen:
                raise InputError(path, f"document id {doc.id!r} is already used by {seen[doc.id]}; rename one file")
            seen[doc.id] = str(path)
            state = store.document_state(doc.id)
            if state == (doc.content_hash, EXTRACTOR):
                slots[slot] = IngestResult(str(path), "unchanged", doc.id, counts.get(doc.id, 0))
                continue
            source = store.document_source(doc.id)
            if state and not replace and source != (doc.path if is_url(doc.path) else Path(doc.path)):
                raise InputError(path, f"document id {doc.id!r} is already stored from another file ({source}); "
                                       "rename this file, or pass --replace to replace that document with it")
            todo.append((slot, path, parsed, state, content_paragraphs(parsed)))
        except InputError as e:
            slots[slot] = IngestResult(e.path, "error", problem=e.problem)
    total = sum(len(pars) for *_, pars in todo)
    docs = parse_paragraphs((p.text for *_, pars in todo for p in pars), total) if todo else iter(())  # no spaCy when nothing changed
    paths_read = [path for _, path, *_ in todo]
    try:
        for path, (slot, _, parsed, state, pars) in zip(progress(paths_read) if progress else paths_read, todo):
            try:
                claims = extract_claims(parsed, (lambda done, n, path=path: tick(path, done, n)) if tick else None,
                                        docs=docs, pars=pars)
                if not claims:
                    raise InputError(path, "no claims found: the text has no complete sentences")
                store.replace_document(parsed.document, parsed.text, claims, EXTRACTOR)
                slots[slot] = IngestResult(str(path), "replaced" if state else "added", parsed.document.id, len(claims))
            except InputError as e:
                slots[slot] = IngestResult(e.path, "error", problem=e.problem)
    finally:
        getattr(docs, "close", lambda: None)()  # spaCy's worker processes stop now, not at exit
    return results + [r for r in slots if r is not None]
