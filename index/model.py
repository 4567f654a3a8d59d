"""Plain data records shared by the parser, the store and the question answering layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ParsedArticle:
    """One article recovered from raw issue text or a JSONL export, before indexing.

    `lines` is the first and last 1-based line number in the raw file (None for JSONL).
    `date` is ISO `YYYY-MM-DD`; `page` is a string such as "1" or "A3".
    """

    body: str
    title: str | None = None
    kicker: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    dateline: str | None = None
    truncated: bool = False
    paper: str | None = None
    date: str | None = None
    page: str | None = None
    lines: tuple[int, int] | None = None
    source_id: str | None = None

    @property
    def headline(self) -> str:
        """The title, else the kicker, else the opening words of the body."""
        return self.title or self.kicker or self.body[:24]


@dataclass(frozen=True)
class ParsedIssue:
    """What one input file yields: its articles and the lines that belong to none (page furniture)."""

    path: str
    articles: tuple[ParsedArticle, ...]
    discarded: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Article:
    """An article as stored in the index; `id` is its stable integer id."""

    id: int
    source_id: str | None
    paper: str | None
    date: str | None
    page: str | None
    kicker: str | None
    title: str | None
    subtitle: str | None
    byline: str | None
    dateline: str | None
    body: str
    truncated: bool

    @property
    def headline(self) -> str:
        """The title, else the kicker, else the opening words of the body."""
        return self.title or self.kicker or self.body[:24]


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned slice `body[start:end]` of one article."""

    article_index: int
    start: int
    end: int
    text: str
