"""Split normalised text into sentences, as character spans so quotes keep exact offsets."""

from __future__ import annotations

import re

# A sentence ends at 。！？；… (or ! ? ;) plus any closing quotes/brackets, or at a paragraph break.
_END = re.compile(r"(?:[。！？；!?;]|…+)[”’」』）)\]》\"']*|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in `text`, without surrounding whitespace; spans never overlap."""
    spans = []
    start = 0
    for match in _END.finditer(text):
        _add(spans, text, start, match.end())
        start = match.end()
    _add(spans, text, start, len(text))
    return spans


def _add(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
