"""Result records returned by the public API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Excerpt:
    """Text taken word for word from an article: `text == article.body[start:end]`, with its citation."""

    text: str
    article_id: int
    source_id: str | None
    title: str
    paper: str | None
    date: str | None
    page: str | None
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit(Excerpt):
    """A retrieved passage (a chunk of an article)."""


@dataclass(frozen=True)
class Quote(Excerpt):
    """A sentence quoted as (part of) an answer."""


@dataclass(frozen=True)
class Answer:
    """Quotes that answer a question, or `found=False` with the nearest articles in `hits`."""

    found: bool
    text: str
    quotes: list[Quote] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "text": self.text, "quotes": [q.to_dict() for q in self.quotes],
                "hits": [h.to_dict() for h in self.hits]}
