"""Typed results of index operations and queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["added", "replaced", "skipped", "failed"]


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk: `text` equals the article body's `[start:end]`."""

    id: int
    article_id: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class IssueOutcome:
    """What an ingest did with one issue (or, for `failed`, with one input file)."""

    key: str
    source: str
    status: Status
    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    error: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """Per-issue outcomes of one ingest call, with timing."""

    outcomes: tuple[IssueOutcome, ...]
    seconds: float

    def count(self, status: Status) -> int:
        """How many issues ended with `status`."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def embedded(self) -> int:
        """Chunks embedded by this call (vectors reused from the index are not counted)."""
        return sum(outcome.embedded for outcome in self.outcomes)

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks per second of wall time."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        """True when no input failed."""
        return self.count("failed") == 0


@dataclass(frozen=True)
class RemoveReport:
    """What `remove` deleted."""

    issues: tuple[str, ...]
    articles: int
    chunks: int


@dataclass(frozen=True)
class RebuildReport:
    """What `rebuild` did: chunks now in the index, how many were embedded and how many reused."""

    embedder: str
    chunks: int
    embedded: int
    reused: int
    seconds: float


@dataclass(frozen=True)
class RepairReport:
    """Problems `repair` found (and fixed) and the vector count it wrote."""

    problems: tuple[str, ...]
    vectors: int
    fts_rebuilt: bool


@dataclass(frozen=True)
class IssueInfo:
    """One indexed issue, for `baoku issues`."""

    key: str
    paper: str | None
    date: str | None
    page: str | None
    articles: int
    chunks: int
    ingested_at: str


@dataclass(frozen=True)
class Stats:
    """Counts and health of an index; `consistent` means SQLite, FTS and FAISS hold the same chunks."""

    papers: int
    issues: int
    articles: int
    chunks: int
    vectors: int
    date_from: str | None
    date_to: str | None
    embedder: str
    dim: int
    size_bytes: int
    generation: int
    consistent: bool
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    """Restrict a search to a paper, an inclusive date range (ISO; `2023-12` covers the month) and a page."""

    paper: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    page: str | None = None

    @property
    def active(self) -> bool:
        """True when any restriction is set."""
        return any((self.paper, self.date_from, self.date_to, self.page))
