"""Recognise the lines that open an article (bylines, datelines) and page furniture."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import clean_line, clean_phrase, width

_HAN = r"\u4e00-\u9fff"
_PAPER = rf"(?:本报|[{_HAN}]{{1,8}}?(?:日报|晚报|早报|时报|商报|都市报|青年报|导报|快报|新闻网|网|报|台))"
_CREDIT = r"(?:[（(][^）)]{0,80}[）)])?"
_XUN = re.compile(rf"^{_PAPER}(?:[{_HAN}]{{0,6}}\d{{1,2}}月\d{{1,2}}日)?讯{_CREDIT}")
_DIAN = re.compile(
    rf"^(?:新华社|中新社|中新网|人民日报|央视新闻|{_PAPER})?[{_HAN}]{{0,10}}?\d{{1,2}}月\d{{1,2}}日电{_CREDIT}"
)
_WIRE_EN = re.compile(r"^[A-Z][A-Za-z0-9 .,'-]{1,40}\((?:Xinhua|Reuters|AP|AFP|CNS|China Daily)\)\s*[-—–]+")
_BY_EN = re.compile(r"^By (?:[A-Z][\w.'-]+ ?){1,4}(?:(?:,|and|&) ?(?:[A-Z][\w.'-]+ ?){1,4})*$")
_ROLE = r"(?:全媒体|融媒体|首席|特约|见习|实习)?(?:记者|通讯员|实习生|摄影|摄像|文|图|文/图|文图)"
_ROLE_TOKEN = re.compile(rf"^(?:{_PAPER})?{_ROLE}$")
_NAME_TOKEN = re.compile(rf"^[{_HAN}·]{{1,4}}$")
_SHORT_CREDIT = re.compile(rf"^(?:{_PAPER})?{_ROLE}[{_HAN}、]{{2,9}}报道$")
CONTINUATION = re.compile(r"^(?:通讯员|实习生|见习记者|摄影|摄像)\s*[/／:：]?")

_FURNITURE = re.compile(
    r"责任编辑|责编|美术编辑|美编|版式|校对|组版|值班编辑"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*星期[一二三四五六日天]"
    r"|(?:^|\s)(?:[A-Z]\d{1,2}|第\s*\d{1,3}\s*版)(?:\s|$)"
)
_MAX_FURNITURE_WIDTH = 40
JUMP_MARK = re.compile(r"[（(](?:下转|转|接|上接|续)第?\s*[A-Z0-9一二三四五六七八九十]{1,3}\s*版[）)]")


@dataclass(frozen=True)
class Opening:
    """The byline or dateline that starts an article and the body text after it on the same line."""

    byline: str | None
    dateline: str | None
    rest: str


def match_opening(raw: str) -> Opening | None:
    """Return the byline/dateline a raw line opens with, or None."""
    line = clean_line(raw)
    for pattern, kind in ((_XUN, "byline"), (_DIAN, "dateline"), (_WIRE_EN, "dateline")):
        found = pattern.match(line)
        if found:
            head, rest = _split_raw(raw, found.end())
            text = clean_phrase(head)
            return Opening(text if kind == "byline" else None, text if kind == "dateline" else None,
                           clean_line(rest))
    if is_reporter_line(raw):
        return Opening(clean_phrase(raw), None, "")
    return None


def is_reporter_line(raw: str) -> bool:
    """A whole line of reporter credits: `株洲日报全媒体记者/高晓燕`, `本报记者 张三 李四 报道`, `By Li Wei`."""
    phrase = clean_phrase(raw)
    if _BY_EN.match(phrase) or _SHORT_CREDIT.match(clean_line(raw)):
        return True
    tokens = [t for t in re.split(r"[\s/／:：、，,]+", phrase) if t]
    if not tokens or not _ROLE_TOKEN.match(tokens[0]) or len(tokens) < 2:
        return False
    if tokens[-1] == "报道":
        tokens = tokens[:-1]
    names = [t for t in tokens[1:] if not _ROLE_TOKEN.match(t)]
    return bool(names) and all(_NAME_TOKEN.match(t) for t in names)


def is_furniture(raw: str) -> bool:
    """Page furniture: running heads, dates with weekdays, page numbers, editor credits."""
    text = " ".join(raw.split())
    return width(text) <= _MAX_FURNITURE_WIDTH and bool(_FURNITURE.search(text)) and "。" not in text


def _split_raw(raw: str, cleaned_length: int) -> tuple[str, str]:
    """Split a raw line after the character that is at `cleaned_length` in its cleaned form."""
    target = clean_line(raw)[:cleaned_length]
    for cut in range(len(raw) + 1):
        if clean_line(raw[:cut]) == target:
            return raw[:cut], raw[cut:]
    return raw, ""
