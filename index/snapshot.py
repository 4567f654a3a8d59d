"""A consistent read view of an index: one SQLite read transaction and the FAISS index of that generation."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import faiss
import numpy as np

from . import store
from .errors import InputError
from .model import Article
from .records import ChunkRecord, Filters
from .tokenize import match_query, query_terms

NO_FILTERS = Filters()
_FEW_QUERIES = 8
COMMON_MIN_CHUNKS = 1000  # BM25 leaves a common term out only when it is in more chunks than this
_BROAD = 0.2  # filters letting through at least this share of chunks are applied after an unfiltered BM25 search


@dataclass(frozen=True)
class Allowed:
    """The chunk ids a filter lets through (None: all of them) and their share of all chunks."""

    ids: np.ndarray | None
    share: float


class Snapshot:
    """Searches and look-ups that all see the same committed generation of the index."""

    def __init__(self, conn: sqlite3.Connection, generation: int, dim: int,
                 load_vectors: Callable[[], faiss.IndexIDMap2], allowed: Callable[[Filters], Allowed]) -> None:
        self.generation = generation
        self._conn = conn
        self._dim = dim
        self._load_vectors = load_vectors
        self._allowed = allowed
        self._vectors: faiss.IndexIDMap2 | None = None

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
        allowed = self._allowed(filters).ids if filters.active else None
        if allowed is not None:
            # A bitmap over chunk ids: much faster for FAISS to test than a hash set. Keep it referenced.
            mask = np.zeros(int(allowed.max(initial=0)) + 1, dtype=bool)
            mask[allowed] = True
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))  # its size in bytes
            params, limit = faiss.SearchParameters(sel=selector), len(allowed)
        if limit == 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        scores, ids = _search(index, queries, min(k, limit), params)
        return [[(int(i), float(s)) for s, i in zip(row_s, row_i, strict=True) if i >= 0]
                for row_s, row_i in zip(scores, ids, strict=True)]

    def bm25(self, query: str, k: int, filters: Filters = NO_FILTERS, max_share: float = 1.0
             ) -> list[tuple[int, float]]:
        """The `k` best chunks for the jieba terms of `query` (OR), as (chunk id, -bm25), best first.

        Terms held by more than `max_share` of all chunks are left out of the query (unless all are):
        they barely move BM25 scores but make FTS5 score most of the index.
        """
        _check_k(k)
        match = match_query(self.selective(query_terms(query), max_share))
        if not match:
            return []
        allowed = self._allowed(filters) if filters.active else Allowed(None, 1.0)
        if allowed.ids is None:
            return store.bm25(self._conn, match, k, NO_FILTERS)
        if allowed.share >= _BROAD:
            # Cheaper than joining every match to its article: most of the best unfiltered hits pass a broad filter.
            limit = int(2 * k / allowed.share) + 1
            rows = store.bm25(self._conn, match, limit, NO_FILTERS)
            passed = np.isin(np.array([chunk_id for chunk_id, _ in rows], dtype=np.int64), allowed.ids)
            kept = [row for row, ok in zip(rows, passed, strict=True) if ok]
            if len(kept) >= k or len(rows) < limit:
                return kept[:k]
        return store.bm25(self._conn, match, k, filters)

    def selective(self, terms: list[str], max_share: float, min_chunks: int | None = None) -> list[str]:
        """`terms` without those held by more than `max_share` of the chunks (and by over `min_chunks`
        chunks, by default COMMON_MIN_CHUNKS: in a small index every term is cheap, and a name in a few
        of its chunks is not common); the rarest is kept if all are common."""
        if max_share >= 1.0 or not terms:
            return terms
        floor = COMMON_MIN_CHUNKS if min_chunks is None else min_chunks
        limit = max(max_share * store.chunk_count(self._conn), floor)
        counts = store.term_documents(self._conn, terms)
        kept = [term for term in terms if counts.get(term, 0) <= limit]
        return kept or [min(terms, key=lambda term: counts.get(term, 0))]

    def term_rarity(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term over this snapshot's chunks (rare terms weigh more)."""
        total = store.chunk_count(self._conn)
        counts = store.term_documents(self._conn, terms)
        return {term: math.log((total - counts.get(term, 0) + 0.5) / (counts.get(term, 0) + 0.5) + 1)
                for term in dict.fromkeys(terms)}

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


def _search(index: faiss.IndexIDMap2, queries: np.ndarray, k: int, params: faiss.SearchParameters | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """FAISS search; a few queries run on one OpenMP thread (per calling thread), which measured several times
    faster on a busy 2-core machine than fork/join over both cores."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1 if len(queries) < _FEW_QUERIES else threads)
    try:
        return index.search(queries, k, params=params)
    finally:
        faiss.omp_set_num_threads(threads)


def _check_k(k: int) -> None:
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
