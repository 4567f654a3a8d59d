"""Extractive answers: pick the sentences of the top passages that answer the question, quote them verbatim."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from index.embedders import Embedder
from index.model import Article

from .context import answer_units, leans_back, with_context
from .language import (
    Kind,
    anchor_overlap,
    answer_kinds,
    bigram_overlap,
    content_terms,
    coverage,
    is_chinese,
    offers_answer,
    term_overlap,
)
from .retrieval import ScoredChunk
from .types import Quote


@dataclass(frozen=True)
class AnswerSettings:
    """Knobs of sentence selection; the thresholds were chosen on the dev sets (benchmarks/results/)."""

    candidate_chunks: int = 6
    term_weight: float = 0.45
    bigram_weight: float = 0.25
    anchor_weight: float = 0.3
    answer_kind_bonus: float = 0.3
    context_weight: float = 0.9
    rank_penalty: float = 0.05
    embedded_sentences: int = 5
    max_quotes: int = 4
    second_quote_ratio: float = 0.5
    dense_weight: float = 0.6
    found_threshold: float = 0.61
    min_coverage: float = 0.5
    translated_threshold: float = 0.13
    cosine_floor: float = 0.75
    cosine_span: float = 0.15


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved chunk (with any sentence it leans on), located in its article's body."""

    article_id: int
    start: int
    end: int
    text: str
    rank: int  # of its article among the candidates' articles, in retrieval order
    lexical: float


def candidate_sentences(question: str, chunks: list[ScoredChunk], articles: dict[int, Article],
                        settings: AnswerSettings) -> list[Candidate]:
    """Sentences of the top chunks, each scored by term overlap with the question, best first.

    A sentence may leave out what it talks about (「树高可达55米」 after 「鸡毛松是……」), so the terms of
    the article's headline count for every sentence, and those of the sentence before it count too,
    discounted by `context_weight`.
    """
    terms = content_terms(question)
    kinds = answer_kinds(question)
    units_of: dict[int, list[tuple[int, int]]] = {}
    seen: set[tuple[int, int]] = set()
    found = []
    for chunk in chunks[: settings.candidate_chunks]:
        article = articles[chunk.article_id]
        body, topic = article.body, f"{article.title or ''}\n"
        ranked = list(units_of)
        rank = ranked.index(chunk.article_id) if chunk.article_id in units_of else len(ranked)
        units = units_of.setdefault(chunk.article_id, answer_units(body))
        for position, (start, end) in enumerate(units):
            if end <= chunk.start or start >= chunk.end or (chunk.article_id, start) in seen:
                continue
            seen.add((chunk.article_id, start))
            sentence = body[start:end]
            before = body[units[position - 1][0]:start] if position else ""
            lexical = max(_lexical(question, terms, kinds, topic + sentence, sentence, settings),
                          settings.context_weight
                          * _lexical(question, terms, kinds, topic + before + sentence, sentence, settings))
            quote_start, quote_end = with_context(body, units, position)
            found.append(Candidate(chunk.article_id, quote_start, quote_end, body[quote_start:quote_end], rank,
                                   lexical))
    return sorted(found, key=lambda c: (-c.lexical, c.rank, c.start))


def _lexical(question: str, terms: dict[str, float], kinds: set[Kind], scope: str, sentence: str,
             settings: AnswerSettings) -> float:
    """Term and bigram overlap over `scope`; wording around the question word and answer kind in `sentence`."""
    score = (settings.term_weight * term_overlap(terms, scope)
             + settings.bigram_weight * bigram_overlap(question, scope)
             + settings.anchor_weight * anchor_overlap(question, sentence))
    if kinds and offers_answer(kinds, question, sentence):
        score += settings.answer_kind_bonus
    return score


def score_sentences(question: str, candidates: list[Candidate], query_vector: np.ndarray | None,
                    embedder: Embedder | None, settings: AnswerSettings) -> list[tuple[float, Candidate]]:
    """Blend term overlap with the embedder's similarity for the most promising sentences.

    A question in another language than the archive's shares no terms with it, so only the
    multilingual embedder's similarity counts there.
    """
    shortlist = candidates[: settings.embedded_sentences]
    if not shortlist:
        return []
    dense = np.zeros(len(shortlist), dtype=np.float32)
    dense_weight = 0.0  # without a question vector (BM25-only search) the wording alone decides
    if query_vector is not None and embedder is not None:
        vectors = embedder.embed_passages([c.text for c in shortlist])
        cosines = vectors @ query_vector.reshape(-1)
        dense = np.clip((cosines - settings.cosine_floor) / settings.cosine_span, 0.0, 1.0)
        dense_weight = settings.dense_weight if is_chinese(question) else 1.0
    scored = [
        ((1 - dense_weight) * c.lexical + dense_weight * float(d) - settings.rank_penalty * c.rank, c)
        for c, d in zip(shortlist, dense, strict=True)
    ]
    return sorted(scored, key=lambda item: (-item[0], item[1].rank, item[1].start))


def select_quotes(scored: list[tuple[float, Candidate]], articles: dict[int, Article],
                  settings: AnswerSettings) -> list[Quote]:
    """The best sentence and any close runner-up, each checked to be an exact substring of its article.

    The best sentence comes first and takes the next one along when that carries it on (see `carried_on`).
    Runners-up that overlap a chosen quote are skipped; the others follow in reading order, so that an
    answer running over two sentences reads on.
    """
    if not scored:
        return []
    best, first = scored[0]
    chosen = [(best, carried_on(first, articles[first.article_id].body))]
    for score, candidate in scored[1:]:
        if len(chosen) == settings.max_quotes or score < best * settings.second_quote_ratio:
            break
        if not any(_overlaps(candidate, other) for _, other in chosen):
            chosen.append((score, candidate))
    lead, others = _grow_lead(chosen, articles[first.article_id].body)
    ordered = [lead, *sorted(others, key=lambda item: _reading_order(item[1], lead[1]))]
    quotes = [verified_quote(articles[candidate.article_id], candidate, score) for score, candidate in ordered]
    return [quote for quote in quotes if quote is not None]


def _grow_lead(chosen: list[tuple[float, Candidate]], body: str
               ) -> tuple[tuple[float, Candidate], list[tuple[float, Candidate]]]:
    """The best quote joined with the runners-up right before and after it (only blanks between), and the rest.

    An answer often runs over the best sentence and its neighbour (「……投机案发生。在此背景下，……」).
    """
    (score, best), rest = chosen[0], []
    start, end = best.start, best.end
    for item in chosen[1:]:
        other = item[1]
        same = other.article_id == best.article_id
        if same and other.end <= best.start and not body[other.end:best.start].strip():
            start = other.start
        elif same and other.start >= best.end and not body[best.end:other.start].strip():
            end = other.end
        else:
            rest.append(item)
    return (score, replace(best, start=start, end=end, text=body[start:end])), rest


def carried_on(candidate: Candidate, body: str) -> Candidate:
    """The candidate with the sentence after it when that one leans back on it (「因此……」, 「他……」):
    the thought goes on there (+0.5% answers quoted on cmrc)."""
    following = next(((start, end) for start, end in answer_units(body) if start >= candidate.end), None)
    if following is None:
        return candidate
    after = body[following[0]:following[1]]
    if leans_back(after):
        return replace(candidate, end=following[1], text=body[candidate.start:following[1]])
    return candidate


def _reading_order(candidate: Candidate, best: Candidate) -> tuple[bool, int, int]:
    """Runners-up follow the best quote in reading order: its own article's first, by position."""
    return candidate.article_id != best.article_id, candidate.rank, candidate.start


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.article_id == b.article_id and a.start < b.end and b.start < a.end


def is_supported(question: str, quotes: list[Quote], articles: dict[int, Article], rarity: dict[str, float],
                 settings: AnswerSettings) -> bool:
    """Strong enough evidence: a good best sentence, in an article that mentions most of what is asked about.

    A question about something the archive never mentions (火星, 世界杯) still finds its nearest
    sentence; the share of the question's terms that its article contains gives it away. Terms count by
    `rarity` (their inverse document frequency in the index): missing a name matters, missing 「时候」 does
    not. A question in another language shares no terms with the archive; it is judged by its best
    sentence's score alone, against `translated_threshold` (its score rests on dictionary words).
    """
    if not quotes:
        return False
    if not is_chinese(question):
        return quotes[0].score >= settings.translated_threshold
    if quotes[0].score < settings.found_threshold:
        return False
    article = articles[quotes[0].article_id]
    return coverage(rarity, f"{article.title or ''}{article.body}") >= settings.min_coverage


def verified_quote(article: Article, candidate: Candidate, score: float) -> Quote | None:
    """A Quote, only if the text is exactly the article body at its offsets."""
    if article.body[candidate.start: candidate.end] != candidate.text:
        return None
    return Quote(
        text=candidate.text, article_id=article.id, source_id=article.source_id, title=article.headline,
        paper=article.paper, date=article.date, page=article.page, start=candidate.start, end=candidate.end,
        score=round(score, 4),
    )
