"""Normalise extracted newspaper text: drop spurious spaces, join hard-wrapped lines into paragraphs."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WIDE = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003ffff"
    "\u2014\u2015\u2018\u2019\u201c\u201d\u2026\u00b7"
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
WIDE_CHAR = re.compile(f"[{_WIDE}]")
HAN_CHAR = re.compile(f"[{_HAN}]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+")
_SPACE_NEXT_TO_WIDE = re.compile(f"(?<=[{_WIDE}]) | (?=[{_WIDE}])")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# A paragraph can end with these, optionally followed by closing quotes or brackets.
_TERMINAL = re.compile(r"(?:[。！？!?…]|(?<=[A-Za-z])\.)[”’」』）)\]】》\"']*$")
SENTENCE_PUNCT = re.compile(r"[，。；：！？、,;:!?]")
# A paragraph wholly in brackets is a note that stands on its own: `（作者系…教授）`, `（完）`, `（据新华社）`;
# a bracketed number such as `（一）` opens a numbered point instead.
_NOTE = re.compile(r"^[（(](?![一二三四五六七八九十\d]{1,3}[）)])[^（）()]{1,80}[）)]$")
_HEADING_MARGIN = 4.0
_MIN_FULL_WIDTH = 6.0
_MIN_FULL_LINES = 3
_OVER_COLUMN = 2.0


def clean_line(line: str) -> str:
    """Strip a line, collapse spaces and remove those that touch a Chinese character or punctuation."""
    line = _INVISIBLE.sub("", line)
    line = _SPACES.sub(" ", line).strip()
    return _SPACE_NEXT_TO_WIDE.sub("", line)


def clean_phrase(line: str) -> str:
    """Clean a headline or byline line, keeping single spaces between multi-character phrases."""
    line = _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()
    tokens = line.split(" ")
    if sum(len(t) == 1 for t in tokens) * 2 > len(tokens):  # letter-spaced: "陈 恢 清 会 见"
        return clean_line(line)
    return " ".join(clean_line(t) for t in tokens)


def width(line: str) -> float:
    """Printed width in em: Chinese characters and full-width punctuation 1, everything else 1/2."""
    wide = len(WIDE_CHAR.findall(line))
    return wide + (len(line) - wide) / 2


def ends_paragraph(line: str) -> bool:
    """True when a line ends with sentence-final punctuation or is a whole note in brackets."""
    return bool(_TERMINAL.search(line)) or is_note(line)


def is_note(paragraph: str) -> bool:
    """A paragraph wholly in brackets, which may be wrapped over several lines."""
    return bool(_NOTE.match(paragraph))


def column_width(lines: Sequence[str]) -> float:
    """The typical printed width of full lines in a block (80th percentile of line widths)."""
    widths = sorted(width(line) for line in lines if line)
    if not widths:
        return 0.0
    return widths[min(len(widths) - 1, int(len(widths) * 0.8))]


def local_column_widths(lines: Sequence[str], radius: int = 8) -> list[float]:
    """Column width around each line, so that articles set in different widths each get their own."""
    return [column_of(lines[max(0, i - radius): i + radius + 1]) for i in range(len(lines))]


def column_of(lines: Sequence[str]) -> float:
    """The column width of a block of lines.

    Lines of running text that run on into the next line fill their column, so their median width is
    the column (lines without any punctuation are left out: they may be headings); with too few of
    them, the 80th percentile of all widths stands in.
    """
    full = sorted(width(line) for line in lines
                  if not ends_paragraph(line) and width(line) >= _MIN_FULL_WIDTH and SENTENCE_PUNCT.search(line))
    if len(full) >= _MIN_FULL_LINES:
        return full[len(full) // 2]
    return column_width(lines)


def is_heading(line: str, column: float) -> bool:
    """A line with no sentence punctuation clearly narrower or wider than the column it sits in.

    Such a line cannot be a wrapped line of body text (those fill the column, less a two-character
    indent on a paragraph's first line and some extraction jitter), so at the start of a
    paragraph it is a subhead or headline.
    """
    if SENTENCE_PUNCT.search(line) or ends_paragraph(line):
        return False
    return width(line) <= column - _HEADING_MARGIN or width(line) > column + _OVER_COLUMN


def join_lines(left: str, right: str) -> str:
    """Join two hard-wrapped pieces: no space unless they are Latin words on both sides."""
    if left and right and right[0].isascii() and right[0].isalnum() and left[-1].isascii() and (
            left[-1].isalnum() or left[-1] in ",;:)\"'"):
        return f"{left} {right}"
    return left + right


def paragraphs(lines: Sequence[str]) -> list[str]:
    """Join cleaned, non-empty hard-wrapped lines into paragraphs; a multi-line subhead becomes one paragraph."""
    columns = local_column_widths(lines)
    result: list[str] = []
    current = ""
    previous_heading = False
    for line, column in zip(lines, columns, strict=True):
        heading = not current and is_heading(line, column)
        if heading and previous_heading:
            result[-1] = join_lines(result[-1], line)
            continue
        current = join_lines(current, line) if current else line
        previous_heading = heading
        if heading or ends_paragraph(line) or is_note(current):
            result.append(current)
            current = ""
    if current:
        result.append(current)
    return result


def normalize_lines(lines: Sequence[str]) -> list[str]:
    """Paragraphs of already-cleaned lines, joined until nothing more joins (so the result is stable)."""
    lines = [line for line in lines if line]
    while True:
        joined = paragraphs(lines)
        if joined == lines:
            return joined
        lines = joined


def normalize_text(text: str) -> str:
    """Return `text` as clean paragraphs separated by newlines; normalising twice changes nothing."""
    return "\n".join(normalize_lines([clean_line(line) for line in text.splitlines()]))
