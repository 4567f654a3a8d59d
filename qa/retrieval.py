"""Hybrid retrieval: dense (FAISS) and BM25 (FTS5) rankings fused by reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from index.library import Filters, Snapshot

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class RetrievalSettings:
    """How rankings are fused; defaults chosen on the dev sets (see benchmarks/results/retrieval.md)."""

    mode: Mode = "hybrid"
    depth: int = 30
    rrf_k: int = 2
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    bm25_max_share: float = 0.1


@dataclass(frozen=True)
class ScoredChunk:
    """A fused candidate with the evidence behind it."""

    chunk_id: int
    article_id: int
    start: int
    end: int
    text: str
    score: float
    cosine: float | None
    bm25: float | None


def rank_chunks(snapshot: Snapshot, question: str, query_vector: Callable[[], np.ndarray | None],
                filters: Filters, settings: RetrievalSettings) -> list[ScoredChunk]:
    """All candidate chunks, best first, ties broken by chunk id.

    The BM25 ranking is taken first and the question's vector asked for only then, so that a vector
    being computed in another thread is ready by the time the dense search needs it.
    """
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    if settings.mode != "dense":
        lexical = snapshot.bm25(question, settings.depth, filters, settings.bm25_max_share)
    vector = query_vector() if settings.mode != "bm25" else None
    if vector is not None:
        dense = snapshot.dense(vector.reshape(1, -1), settings.depth, filters)[0]
    fused: dict[int, float] = {}
    for ranking, weight in ((dense, settings.dense_weight), (lexical, settings.bm25_weight)):
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (settings.rrf_k + rank + 1)
    cosines, bm25s = dict(dense), dict(lexical)
    records = snapshot.chunks(list(fused))
    ranked = sorted((cid for cid in fused if cid in records), key=lambda cid: (-fused[cid], cid))
    return [
        ScoredChunk(cid, records[cid].article_id, records[cid].start, records[cid].end, records[cid].text,
                    fused[cid], cosines.get(cid), bm25s.get(cid))
        for cid in ranked
    ]


def best_per_article(chunks: list[ScoredChunk], k: int) -> list[ScoredChunk]:
    """The top chunk of each of the first `k` articles, so that one article cannot fill the results."""
    seen: set[int] = set()
    result = []
    for chunk in chunks:
        if chunk.article_id not in seen:
            seen.add(chunk.article_id)
            result.append(chunk)
            if len(result) == k:
                break
    return result
