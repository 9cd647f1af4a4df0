import sqlite3
from pathlib import Path

import pytest

from argmap.fake import FakeEmbedder


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def bundled_db(tmp_path_factory) -> tuple[Path, str]:
    """The bundled corpus ingested (store only, --no-analyze) through the CLI once per test
    session: (db path, that first ingest's stdout). Tests that write to it use a copy (copy_db)."""
    from click.testing import CliRunner

    from argmap.cli import cli

    base = tmp_path_factory.getbasetemp()
    db, out = base / "bundled-corpus.db", base / "bundled-corpus.out"
    if not out.exists():
        result = CliRunner().invoke(cli, ["ingest", str(CORPUS), "--db", str(db), "--no-analyze"])
        assert result.exit_code == 0, result.output
        out.write_text(result.stdout, encoding="utf-8")
    return db, out.read_text(encoding="utf-8")


def copy_db(src: Path, dst: Path) -> Path:
    a, b = sqlite3.connect(str(src)), sqlite3.connect(str(dst))
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()
    return dst


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    """(db path, stdout of the ingest that filled it)."""
    return bundled_db(tmp_path_factory)
