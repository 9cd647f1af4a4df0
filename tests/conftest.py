import os
import sqlite3
from pathlib import Path

import pytest

from argmap.fake import FakeEmbedder


@pytest.fixture(autouse=True, scope="session")
def _session_model_cache(tmp_path_factory):
    """Models quantized at load time are cached (argmap/onnx_models.py) in the test session's
    folder, not the user's ~/.cache."""
    before = os.environ.get("ARGMAP_CACHE")
    os.environ["ARGMAP_CACHE"] = str(tmp_path_factory.mktemp("model-cache"))
    yield
    if before is None:
        os.environ.pop("ARGMAP_CACHE", None)
    else:
        os.environ["ARGMAP_CACHE"] = before


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


def use_fake_models(mp: pytest.MonkeyPatch) -> None:
    """Every model the CLI loads replaced by argmap/fake.py's (no torch, exact scores)."""
    import argmap.embed
    import argmap.services
    from argmap import cli_views
    from argmap.fake import FakeStance

    embedder, question = FakeEmbedder(), FakeEmbedder(dim=64, name="fake-question")
    mp.setattr(argmap.embed, "load_embedder", lambda model=None: embedder)
    mp.setattr(argmap.services, "question_encoder", lambda: question)
    mp.setattr(argmap.services, "relation_scorer", lambda method, vectors_for=None, model=None: FakeStance())
    mp.setattr(argmap.services, "pair_model_name", lambda method: "fake")
    mp.setattr(cli_views, "load_embedder", lambda name=None: embedder)
    mp.setattr(cli_views, "load_question_encoder", lambda: question)
    mp.setattr(cli_views, "load_stance", lambda: FakeStance().stance)


@pytest.fixture(scope="session")
def fake_analysed(tmp_path_factory):
    """The bundled corpus with an analysis by the fake models (issues, sides, relations): a copy
    of the session's store, analysed once. Read-only for tests."""
    from click.testing import CliRunner

    from argmap.cli import cli

    src, _ = bundled_db(tmp_path_factory)
    db = copy_db(src, tmp_path_factory.mktemp("fake-analysed") / "argmap.db")
    with pytest.MonkeyPatch.context() as mp:
        use_fake_models(mp)
        result = CliRunner().invoke(cli, ["ingest", str(CORPUS), "--db", str(db)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return db
