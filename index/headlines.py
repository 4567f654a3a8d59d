"""Split a group of headline lines into kicker (引题), title (主题) and subtitle (副题)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .normalize import width

_KICKER_END = re.compile(
    r"(?:强调|指出|表示|要求|提出|时说|寄语|致辞|说|宣布|披露|透露|召开|举行|举办|开幕|闭幕|启动|印发|出台|[:：])$"
)
_OPEN_END = re.compile(r"[的和与及在为将把对向从是了之而并或、—]$")
_SUBTITLE_VERB = re.compile(r"(?:出席|主持|参加|讲话|陪同|会见|致辞|部署|督导)")
_DASH = re.compile(r"^[—–-]{1,2}")
_KICKER_RATIO = 1.5
_SUBTITLE_RATIO = 1.4
_SUBTITLE_MIN_WIDTH = 14


@dataclass(frozen=True)
class Headline:
    """The three printed parts of a headline; a multi-line part is joined with single spaces."""

    kicker: str | None
    title: str | None
    subtitle: str | None


def split_headline(lines: Sequence[str]) -> Headline:
    """Assign each line of a headline group to kicker, title or subtitle, judging by wording and length."""
    lines = list(lines)
    subtitle = kicker = None
    if len(lines) >= 2 and _is_subtitle(lines[-1], lines[-2]):
        subtitle = lines.pop()
    if len(lines) >= 2 and _is_kicker(lines[0], lines[1:]):
        kicker = lines.pop(0)
    return Headline(kicker, " ".join(lines) or None, subtitle)


def _is_subtitle(last: str, previous: str) -> bool:
    if _DASH.match(last):
        return True
    if _SUBTITLE_VERB.search(last) and not _SUBTITLE_VERB.search(previous):
        return True
    return width(last) >= _SUBTITLE_MIN_WIDTH and (
        width(last) >= _SUBTITLE_RATIO * width(previous) or "、" in last or "，" in last
    )


def _is_kicker(first: str, rest: Sequence[str]) -> bool:
    if _OPEN_END.search(first):
        return False
    if _KICKER_END.search(first):
        return True
    return width(first) >= _KICKER_RATIO * max(width(line) for line in rest)
