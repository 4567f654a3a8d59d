"""A consistent read view of an index: one SQLite read transaction and the FAISS index of that generation."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

import faiss
import numpy as np

from . import store
from .errors import InputError
from .model import Article
from .records import ChunkRecord, Filters
from .tokenize import match_query

NO_FILTERS = Filters()


class Snapshot:
    """Searches and look-ups that all see the same committed generation of the index."""

    def __init__(self, conn: sqlite3.Connection, generation: int, dim: int,
                 load_vectors: Callable[[], faiss.IndexIDMap2]) -> None:
        self.generation = generation
        self._conn = conn
        self._dim = dim
        self._load_vectors = load_vectors
        self._vectors: faiss.IndexIDMap2 | None = None
        self._selectors: dict[Filters, tuple[faiss.IDSelectorBatch, int]] = {}

    @property
    def vectors(self) -> faiss.IndexIDMap2:
        """The FAISS index holding exactly this snapshot's chunks (loaded on first use)."""
        if self._vectors is None:
            self._vectors = self._load_vectors()
        return self._vectors

    def dense(self, query_vectors: np.ndarray, k: int, filters: Filters = NO_FILTERS
              ) -> list[list[tuple[int, float]]]:
        """For each query vector, the `k` nearest chunks as (chunk id, cosine), best first."""
        _check_k(k)
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self._dim:
            raise InputError(f"query vectors must have shape (n, {self._dim}), got {queries.shape}")
        index = self.vectors
        params, limit = None, index.ntotal
        if filters.active:
            selector, allowed = self._selector(filters)  # the local name keeps the selector alive
            params = faiss.SearchParameters(sel=selector)
            limit = min(limit, allowed)
        if limit == 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        scores, ids = index.search(queries, min(k, limit), params=params)
        return [[(int(i), float(s)) for s, i in zip(row_s, row_i, strict=True) if i >= 0]
                for row_s, row_i in zip(scores, ids, strict=True)]

    def bm25(self, query: str, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        """The `k` best chunks for the jieba terms of `query` (OR), as (chunk id, -bm25), best first."""
        _check_k(k)
        match = match_query(query)
        return store.bm25(self._conn, match, k, filters) if match else []

    def chunks(self, chunk_ids: Iterable[int]) -> dict[int, ChunkRecord]:
        """Chunk records by id."""
        return store.chunks(self._conn, chunk_ids)

    def articles(self, article_ids: Iterable[int]) -> dict[int, Article]:
        """Articles by id."""
        return store.articles(self._conn, article_ids)

    def article_chunks(self, article_id: int) -> list[ChunkRecord]:
        """An article's chunks in body order."""
        return store.article_chunks(self._conn, article_id)

    def sample_titles(self, n: int) -> list[str]:
        """Up to `n` random article titles (for example questions)."""
        return store.sample_titles(self._conn, n)

    def _selector(self, filters: Filters) -> tuple[faiss.IDSelectorBatch, int]:
        if filters not in self._selectors:
            ids = store.filtered_chunk_ids(self._conn, filters)
            self._selectors[filters] = (faiss.IDSelectorBatch(ids), len(ids))
        return self._selectors[filters]


def _check_k(k: int) -> None:
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
