"""Model integrity: every file argmap loads for a bundled model is checked against its SHA-256,
and the model is built from the very bytes that were checked.

The bundled all-MiniLM-L6-v2's hashes are constants in ``embed.py`` (a fixed third-party
release); those of argmap's own adapters (``resources/stance``, ``resources/question``) are in
``resources/manifest.json``, written by ``scripts/write_manifest.py`` after training. Loaders
read each file once (``read_files``) and build the model from those bytes: directly (the numpy
encoder, JSON configs) or, for libraries that load from a directory (sentence-transformers,
PEFT), from a private temporary copy of them (``private_copy``). So a file changed after its
check is never loaded, and a file not in the manifest is never read.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from .errors import ModelError

MANIFEST = Path(__file__).parent / "resources" / "manifest.json"
REINSTALL = "reinstall argmap (after training: scripts/write_manifest.py)"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(adapter: str) -> dict[str, str]:
    """File name -> SHA-256 of every file argmap loads from ``resources/<adapter>/``."""
    try:
        entry = json.loads(MANIFEST.read_text(encoding="utf-8"))[adapter]
        if not isinstance(entry, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{MANIFEST}: no valid entry for the {adapter} model ({e}); {REINSTALL}") from None
    return entry


def read_files(directory: Path, names: Iterable[str], what: str, fix: str,
               expected: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """Each named file's bytes, read once; with ``expected`` (name -> SHA-256) each is checked.
    A missing, unreadable or changed file is a ModelError naming it, ``what`` and ``fix``."""
    files = {}
    for name in names:
        path = Path(directory) / name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ModelError(f"{path}: {what} file is missing or unreadable ({e.strerror or e}); {fix}") from None
        if expected is not None:
            digest, want = hashlib.sha256(data).hexdigest(), expected.get(name) or "?"
            if digest != want:
                raise ModelError(f"{path}: SHA-256 {digest[:16]}... does not match the genuine {what} "
                                 f"({want[:16]}...); {fix}")
        files[name] = data
    return files


def adapter_files(adapter: str, path: Path, shipped: Path, names: Iterable[str], what: str) -> dict[str, bytes]:
    """``names`` in ``path``, each read once; checked against the manifest when ``path`` is the
    shipped adapter ``shipped`` (another path is the user's own: a training run, an experiment)."""
    if Path(path).resolve() == Path(shipped).resolve():
        return read_files(path, names, what, REINSTALL, manifest(adapter))
    return read_files(path, names, what, f"run scripts/train_{adapter}.py or reinstall argmap")


@contextmanager
def private_copy(files: Mapping[str, bytes]) -> Iterator[Path]:
    """``files`` (relative name -> bytes) written into a new private directory (mode 0700),
    removed on exit: what a library that loads from a directory gets to read."""
    root = Path(tempfile.mkdtemp(prefix="argmap-model-"))
    try:
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
