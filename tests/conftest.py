import pytest

from argmap.fake import FakeEmbedder


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()
