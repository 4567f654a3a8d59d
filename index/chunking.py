"""Sentence-aligned chunks of an article body, as character spans of the normalised body.

Sentences are those of `index.sentences`, the same the answer layer quotes from.
"""

from __future__ import annotations

import re

from .sentences import sentence_spans

_SOFT_BREAK = re.compile(r"[，、：,:\s]")

Span = tuple[int, int]


def _fit(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than `max_chars` at commas or spaces where possible, else hard."""
    start, end = span
    pieces = []
    while end - start > max_chars:
        window = text[start + max_chars // 2: start + max_chars]
        breaks = [m.end() for m in _SOFT_BREAK.finditer(window)]
        cut = start + max_chars // 2 + breaks[-1] if breaks else start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return [(s, e - (len(text[s:e]) - len(text[s:e].rstrip()))) for s, e in pieces if text[s:e].strip()]


def chunk_spans(text: str, max_chars: int, overlap: int = 1) -> list[Span]:
    """Greedy chunks of whole sentences up to `max_chars`, each repeating the last `overlap` sentences before it."""
    if max_chars < 1 or overlap < 0:
        raise ValueError("max_chars must be positive and overlap non-negative")
    pieces = [piece for span in sentence_spans(text) for piece in _fit(text, span, max_chars)]
    chunks: list[Span] = []
    first = 0
    while first < len(pieces):
        stop = first + 1
        while stop < len(pieces) and pieces[stop][1] - pieces[first][0] <= max_chars:
            stop += 1
        chunks.append((pieces[first][0], pieces[stop - 1][1]))
        if stop == len(pieces):
            break
        # Step back `overlap` sentences, but always move forward and leave room for the next sentence.
        first = max(stop - overlap, first + 1)
        while first < stop and pieces[stop][1] - pieces[first][0] > max_chars:
            first += 1
    return chunks


def embedding_text(title: str | None, text: str) -> str:
    """What is embedded for a chunk: the article's title on its own line, then the chunk text."""
    return f"{title}\n{text}" if title else text
