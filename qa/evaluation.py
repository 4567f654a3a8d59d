"""Measure retrieval and answer quality on a question set (`baoku eval`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from index.errors import InputError
from index.jsonl import json_line

from .archive import Archive

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One evaluation item; `expected` is None for questions the archive cannot answer."""

    id: str
    question: str
    expected: str | None
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """Aggregate quality and latency figures of one run."""

    questions: int
    invalid_questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_5: float
    mrr: float
    answer_in_quote: float
    found_when_answerable: float
    refused_when_unanswerable: float
    latency_p50_ms: float
    latency_p95_ms: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def load_questions(path: Path) -> list[Question]:
    """Read JSONL questions: `question`, expected `passage_id`/`article` (or null), `answers`."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read question file ({exc})") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = json_line(line, path, number)
        if not isinstance(record.get("question"), str):
            raise InputError(f"{path}:{number}: missing \"question\"")
        expected = record.get("passage_id", record.get("article"))
        questions.append(Question(str(record.get("id", number)), record["question"],
                                  None if expected is None else str(expected),
                                  tuple(str(a) for a in record.get("answers") or ())))
    if not questions:
        raise InputError(f"{path}: no questions")
    return questions


def evaluate(archive: Archive, questions: list[Question],
             on_result: Callable[[Question, object], None] | None = None) -> Report:
    """Ask every question; a hit counts when its source id (or article id) equals the expected id.

    Questions that cannot be asked (empty, only punctuation) are counted apart and left out of the rates.
    """
    ranks: list[int | None] = []
    in_quote, found_answerable, refused, latencies = [], [], [], []
    invalid = 0
    for item in questions:
        started = time.perf_counter()
        try:
            answer = archive.ask(item.question, k=10)
        except InputError:
            invalid += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        if on_result:
            on_result(item, answer)
        if item.expected is None:
            refused.append(not answer.found)
            continue
        ids = [hit.source_id if hit.source_id is not None else str(hit.article_id) for hit in answer.hits]
        ranks.append(next((i for i, hit in enumerate(answer.hits)
                           if item.expected in (ids[i], str(hit.article_id))), None))
        found_answerable.append(answer.found)
        quoted = _squash("".join(q.text for q in answer.quotes))
        in_quote.append(any(_squash(a) in quoted for a in item.answers if a))
    return Report(
        questions=len(questions), invalid_questions=invalid, answerable=len(ranks), unanswerable=len(refused),
        hit_at_1=_share([r == 0 for r in ranks]), hit_at_5=_share([r is not None and r < 5 for r in ranks]),
        mrr=round(sum(1 / (r + 1) for r in ranks if r is not None) / len(ranks), 4) if ranks else 0.0,
        answer_in_quote=_share(in_quote), found_when_answerable=_share(found_answerable),
        refused_when_unanswerable=_share(refused),
        latency_p50_ms=_percentile(latencies, 50), latency_p95_ms=_percentile(latencies, 95),
    )


def _squash(text: str) -> str:
    return _WHITESPACE.sub("", text).lower()


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)
