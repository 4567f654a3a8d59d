"""The public Python API: open an index directory, search it, ask it questions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import InputError
from index.library import Filters, Index, IngestReport, Snapshot, Stats
from index.model import Article
from index.naming import check_text, normalize_page, parse_date

from .answers import AnswerSettings, candidate_sentences, is_supported, score_sentences, select_quotes
from .citation import cite
from .crosslingual import translated
from .language import content_terms, is_chinese
from .retrieval import RetrievalSettings, ScoredChunk, best_per_article, rank_chunks
from .types import Answer, Hit

MAX_QUESTION_CHARS = 1000
_QUERY_EMBEDDING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="baoku-query")


@dataclass
class Archive:
    """An opened index. Use `qa.open(path)` to get one.

    Example:
        >>> archive = qa.open("~/baoku-index")
        >>> answer = archive.ask("高新大厦楼高多少米？")
        >>> answer.quotes[0].text
        '高新大厦，是曾经的株洲“第一高”，楼高达168米，…'
    """

    index: Index
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnswerSettings = field(default_factory=AnswerSettings)

    @property
    def path(self) -> Path:
        return self.index.path

    def search(self, question: str, k: int = 10, date_from: str | None = None, date_to: str | None = None,
               paper: str | None = None, page: str | None = None) -> list[Hit]:
        """The `k` best passages, at most one per article, best first."""
        question = clean_question(question)
        filters = make_filters(date_from, date_to, paper, page)
        vector = self._query_vector(question)
        with self.index.snapshot() as snapshot:
            wording = translated(question, snapshot, self.retrieval.bm25_max_share)
            chunks = rank_chunks(snapshot, wording, vector.result, filters, self.retrieval)
            return self._hits(snapshot, best_per_article(chunks, _check_k(k)))

    def ask(self, question: str, k: int = 5, date_from: str | None = None, date_to: str | None = None,
            paper: str | None = None, page: str | None = None) -> Answer:
        """Quote the sentences that answer `question`, or say the archive has no answer.

        Every quote is checked to be an exact substring of its article at its offsets.
        """
        question = clean_question(question)
        filters = make_filters(date_from, date_to, paper, page)
        vector = self._query_vector(question)
        with self.index.snapshot() as snapshot:
            # an English question also searches with Chinese words for its words
            wording = translated(question, snapshot, self.retrieval.bm25_max_share)
            chunks = rank_chunks(snapshot, wording, vector.result, filters, self.retrieval)
            hits = self._hits(snapshot, best_per_article(chunks, _check_k(k)))
            articles = snapshot.articles(sorted({c.article_id for c in chunks[: self.answering.candidate_chunks]}))
            candidates = candidate_sentences(wording, chunks, articles, self.answering)
            scored = score_sentences(wording, candidates, vector.result(), self.index.embedder, self.answering)
            quotes = select_quotes(scored, articles, self.answering)
            rarity = snapshot.term_rarity(content_terms(question))
        found = is_supported(question, quotes, articles, rarity, self.answering)
        if not found:
            return Answer(False, _no_answer_text(question, hits), [], hits)
        return Answer(True, _answer_text(quotes), quotes, hits)

    def article(self, article_id: int) -> Article:
        """The full stored article."""
        return self.index.article(article_id)

    def ingest(self, paths: Sequence[str | Path], *, paper: str | None = None, date: str | None = None,
               page: str | None = None, progress: bool = False) -> IngestReport:
        """Add issue files, folders or JSONL exports, as `baoku ingest` does."""
        return self.index.ingest(paths, paper=paper, date=date, page=page, progress=progress)

    def stats(self) -> Stats:
        """Counts, date range, embedder and size of the index."""
        return self.index.stats()

    def _query_vector(self, question: str) -> Future[np.ndarray | None]:
        """The question's vector, computed in a background thread while the BM25 search runs."""
        if self.retrieval.mode == "bm25":
            done: Future[np.ndarray | None] = Future()
            done.set_result(None)
            return done
        return _QUERY_EMBEDDING.submit(lambda: self.index.embedder.embed_queries([question])[0])

    def _hits(self, snapshot: Snapshot, chunks: list[ScoredChunk]) -> list[Hit]:
        articles = snapshot.articles([c.article_id for c in chunks])
        return [
            Hit(article_id=c.article_id, source_id=articles[c.article_id].source_id,
                title=articles[c.article_id].headline, paper=articles[c.article_id].paper,
                date=articles[c.article_id].date, page=articles[c.article_id].page, text=c.text,
                start=c.start, end=c.end, score=round(c.score, 6))
            for c in chunks
        ]


def open(path: str | Path | None = None, *, embedder: str | None = None, create: bool = True) -> Archive:
    """Open (or create) the index directory at `path`; None means BAOKU_HOME or the per-user data folder."""
    return Archive(Index.open(path, embedder=embedder, create=create))


def clean_question(question: str) -> str:
    """Strip control characters and check that something askable is left."""
    if not isinstance(question, str):
        raise InputError("question: expected text")
    text = "".join(ch for ch in question if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(f"question: {len(text)} characters is over the {MAX_QUESTION_CHARS}-character limit")
    if not re.search(r"\w", text):
        raise InputError("question: empty or only punctuation; ask in words")
    return text


def make_filters(date_from: str | None, date_to: str | None, paper: str | None, page: str | None) -> Filters:
    """Validated filters; dates accept 2023-12-23, 2023/12/23 and 2023年12月23日."""
    start = parse_date(date_from, "date_from") if date_from else None
    end = parse_date(date_to, "date_to") if date_to else None
    if start and end and start > end:
        raise InputError(f"date range: {start} is after {end}")
    return Filters(paper=check_text(str(paper), "paper") if paper else None, date_from=start, date_to=end,
                   page=normalize_page(check_text(str(page), "page")) if page not in (None, "") else None)


def _check_k(k: int) -> int:
    if not isinstance(k, int) or k < 1 or k > 100:
        raise InputError(f"k: {k!r} must be a whole number from 1 to 100")
    return k


def _answer_text(quotes) -> str:
    return "\n\n".join(f"“{q.text}”\n—— {cite(q)}" for q in quotes)


def _no_answer_text(question: str, hits: list[Hit]) -> str:
    if is_chinese(question):
        head = "报库中没有找到能回答这个问题的内容。"
        if hits:
            head += "以下是最接近的文章（并未回答该问题）：\n" + "\n".join(f"- {cite(h)}" for h in hits)
        return head
    head = "The archive has no answer to this question."
    if hits:
        head += " The nearest articles (they do not answer it):\n" + "\n".join(f"- {cite(h)}" for h in hits)
    return head
