"""Units of ingest: the articles of one issue (paper/date/page, or one undated file), hashed and chunked."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .chunking import chunk_spans, embedding_text
from .model import ParsedArticle, ParsedIssue


@dataclass(frozen=True)
class Unit:
    """The articles that are added, replaced or skipped together, under one issue key."""

    key: str
    paper: str | None
    date: str | None
    page: str | None
    source_path: str
    articles: tuple[ParsedArticle, ...]

    @property
    def content_hash(self) -> str:
        """Hash over the articles' content, in order: equal hashes mean nothing to re-index."""
        return _digest("\n".join(article_hash(article) for article in self.articles))


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk ready to store: its span of the body, its text, and what is embedded for it."""

    start: int
    end: int
    text: str
    embed_text: str
    embed_hash: str


@dataclass(frozen=True)
class PreparedArticle:
    """An article with its content hash and its chunks."""

    article: ParsedArticle
    content_hash: str
    chunks: tuple[PreparedChunk, ...]


def split_units(parsed: ParsedIssue) -> list[Unit]:
    """Group a file's articles by (paper, date, page) into issues.

    An issue is known by paper, date and page. Without a paper, or without a date, nothing says that two
    files hold the same issue, so such groups are also keyed by the file name: two exports of different
    papers that both leave the paper out cannot replace each other.
    """
    name = Path(parsed.path).name
    groups: dict[tuple[str | None, str | None, str | None], list[ParsedArticle]] = {}
    for article in parsed.articles:
        groups.setdefault((article.paper, article.date, article.page), []).append(article)
    undated = sum(1 for _, date, _ in groups if not date)
    units = []
    for (paper, date, page), articles in groups.items():
        if date and paper:
            key = "/".join(part for part in (paper, date, page) if part)
        elif date:
            key = f"file:{name}:{date}" + (f"/{page}" if page else "")
        elif undated == 1:
            key = f"file:{name}"
        else:
            key = f"file:{name}:{paper or ''}/{page or ''}"
        units.append(Unit(key, paper, date, page, parsed.path, tuple(articles)))
    return units


def article_hash(article: ParsedArticle) -> str:
    """Hash of every field of a parsed article (body, headline parts, metadata, line numbers)."""
    return _digest(json.dumps(dataclasses.asdict(article), ensure_ascii=False, sort_keys=True))


def heading(kicker: str | None, title: str | None, subtitle: str | None) -> str:
    """An article's kicker, title and subtitle joined by spaces (empty when it has none)."""
    return " ".join(part for part in (kicker, title, subtitle) if part)


def embed_hash(embedder: str, text: str) -> str:
    """Identity of a vector: the embedder's name and the exact text embedded."""
    return _digest(f"{embedder}\0{text}")


def prepare_chunks(body: str, title: str, embedder: str, chunk_chars: int, overlap: int
                   ) -> tuple[PreparedChunk, ...]:
    """Chunk a body and compute what each chunk embeds (title line + text) for the given embedder."""
    chunks = []
    for start, end in chunk_spans(body, chunk_chars, overlap):
        text = body[start:end]
        embedded = embedding_text(title, text)
        chunks.append(PreparedChunk(start, end, text, embedded, embed_hash(embedder, embedded)))
    return tuple(chunks)


def prepare_article(article: ParsedArticle, embedder: str, chunk_chars: int, overlap: int) -> PreparedArticle:
    """Hash and chunk a parsed article."""
    title = heading(article.kicker, article.title, article.subtitle)
    chunks = prepare_chunks(article.body, title, embedder, chunk_chars, overlap)
    return PreparedArticle(article, article_hash(article), chunks)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
