"""Extractive answers: pick the sentences of the top passages that answer the question, quote them verbatim."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.embedders import Embedder
from index.model import Article
from index.sentences import sentence_spans

from .language import asks_for_number, bigram_overlap, content_terms, term_overlap
from .retrieval import ScoredChunk
from .types import Quote

_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿两]")


@dataclass(frozen=True)
class AnswerSettings:
    """Knobs of sentence selection; the thresholds were chosen on the dev sets (benchmarks/results/)."""

    candidate_chunks: int = 6
    embedded_sentences: int = 10
    max_quotes: int = 2
    second_quote_ratio: float = 0.9
    dense_weight: float = 0.5
    found_threshold: float = 0.45
    cosine_floor: float = 0.75
    cosine_span: float = 0.15


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved chunk, located in its article's body."""

    article_id: int
    start: int
    end: int
    text: str
    rank: int
    lexical: float


def candidate_sentences(question: str, chunks: list[ScoredChunk], settings: AnswerSettings) -> list[Candidate]:
    """Sentences of the top chunks, each scored by term overlap with the question, best first."""
    terms = content_terms(question)
    wants_number = asks_for_number(question)
    seen: set[tuple[int, int]] = set()
    found = []
    for rank, chunk in enumerate(chunks[: settings.candidate_chunks]):
        for start, end in sentence_spans(chunk.text):
            where = (chunk.article_id, chunk.start + start)
            if where in seen:
                continue
            seen.add(where)
            text = chunk.text[start:end]
            lexical = 0.6 * term_overlap(terms, text) + 0.4 * bigram_overlap(question, text)
            if wants_number and _DIGIT.search(text):
                lexical += 0.1
            found.append(Candidate(chunk.article_id, chunk.start + start, chunk.start + end, text, rank, lexical))
    return sorted(found, key=lambda c: (-c.lexical, c.rank, c.start))


def score_sentences(candidates: list[Candidate], query_vector: np.ndarray | None, embedder: Embedder | None,
                    settings: AnswerSettings) -> list[tuple[float, Candidate]]:
    """Blend term overlap with the embedder's similarity for the most promising sentences."""
    shortlist = candidates[: settings.embedded_sentences]
    if not shortlist:
        return []
    dense = np.zeros(len(shortlist), dtype=np.float32)
    if query_vector is not None and embedder is not None:
        vectors = embedder.embed_passages([c.text for c in shortlist])
        cosines = vectors @ query_vector.reshape(-1)
        dense = np.clip((cosines - settings.cosine_floor) / settings.cosine_span, 0.0, 1.0)
    scored = [
        ((1 - settings.dense_weight) * c.lexical + settings.dense_weight * float(d) - 0.02 * c.rank, c)
        for c, d in zip(shortlist, dense, strict=True)
    ]
    return sorted(scored, key=lambda item: (-item[0], item[1].rank, item[1].start))


def select_quotes(scored: list[tuple[float, Candidate]], articles: dict[int, Article],
                  settings: AnswerSettings) -> list[Quote]:
    """The best sentence and any close runner-up, each checked to be an exact substring of its article."""
    if not scored:
        return []
    best = scored[0][0]
    quotes = []
    for score, candidate in scored:
        if len(quotes) == settings.max_quotes or score < best * settings.second_quote_ratio:
            break
        article = articles[candidate.article_id]
        quote = verified_quote(article, candidate, score)
        if quote is not None:
            quotes.append(quote)
    return quotes


def verified_quote(article: Article, candidate: Candidate, score: float) -> Quote | None:
    """A Quote, only if the text is exactly the article body at its offsets."""
    if article.body[candidate.start: candidate.end] != candidate.text:
        return None
    return Quote(
        text=candidate.text, article_id=article.id, source_id=article.source_id, title=article.headline,
        paper=article.paper, date=article.date, page=article.page, start=candidate.start, end=candidate.end,
        score=round(score, 4),
    )
