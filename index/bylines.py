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
_ROLE = r"(?:全媒体|融媒体|首席|特约|见习|实习)?(?:记者|通讯员|实习生|评论员|摄影|摄像|文|图|文/图|文图)"
_ROLE_TOKEN = re.compile(rf"^(?:{_PAPER})?{_ROLE}$")
_NAME_TOKEN = re.compile(rf"^[{_HAN}·]{{1,4}}$")
_SHORT_CREDIT = re.compile(rf"^(?:{_PAPER})?{_ROLE}[{_HAN}、]{{2,9}}报道$")
_COMMENTATOR = re.compile(rf"^(?:新华社|{_PAPER})?(?:特约)?评论员$")  # 本报评论员: the role is the byline
# Decorations set before a byline or signature (`■ 记者 李明`, `□ 石岩`); they are not part of it.
_ORNAMENT = re.compile(r"^\s*[□■●◆◇○◎☆★]+\s*")
_SIGNATURE_MARK = re.compile(r"^\s*[□■]")  # bullets such as ● and ◆ mostly mark list items, often place names
# Common surnames, leaving out characters that often start a rubric word (时评, 金句), and compound ones: a
# signature after an ornament is a bare name, not a rubric such as `■ 链接`.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤施牛樊葛邢乔伍"
    "庞颜倪庄聂章鲁岳翟殷詹申欧耿俞柳祝符舒阮柯纪梅凌毕季裴霍涂苗翁冉骆蓝辛靳柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓吉"
    "缪芦麦褚娄窦戚岑费卜晏柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "夏侯", "尉迟", "公孙", "慕容", "长孙",
                      "宇文", "司徒", "端木", "西门", "独孤", "南宫")
CONTINUATION = re.compile(r"^(?:通讯员|实习生|见习记者|摄影|摄像)\s*[/／:：]?")

_FURNITURE = re.compile(
    r"责任编辑|责编|美术编辑|美编|版式|校对|组版|值班编辑"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*星期[一二三四五六日天]"
    r"|(?:^|\s)(?:[A-Z]\d{1,2}|第\s*\d{1,3}\s*版)(?:\s|$)"
)
_CONTACT = re.compile(r"(?:(?:新闻|广告|发行|订阅|读者|服务)热线|(?:本版|投稿|编辑部|电子)邮箱|E-?mail)\s*[:：]",
                      re.IGNORECASE)
_RUBRIC = re.compile(
    r"^[□■●◆◇○◎☆★\s]*(?:新闻|本地|要闻)?(?:简讯|快讯|短讯|速递|速览|速读|集锦|一句话新闻)[□■●◆◇○◎☆★\s]*$"
)
_MAX_FURNITURE_WIDTH = 40
# Photo captions: a credit at the end of the caption's last line, and marks that open a caption.
_PHOTO_CREDIT = re.compile(
    rf"(?:[{_HAN}]{{0,8}}[/／])?[{_HAN}·]{{2,8}}(?:[\s、/／][{_HAN}·]{{2,8}})*\s+摄"
    rf"|[（(](?:图片由[^（）()]{{1,30}}提供|图片来源[:：][^（）()]{{1,30}}|资料图片?|[{_HAN}]{{0,8}}供图)[）)]"
    rf"|新华社(?:记者\s*[{_HAN}·]{{2,4}}\s+摄|发)"
)
_PHOTO_CREDIT_END = re.compile(rf"(?:^|\s|[。！）)])(?:{_PHOTO_CREDIT.pattern})\s*$")
_CAPTION_START = re.compile(r"^\s*(?:[▲△▼▽↑↓←→]|图为|上图|下图|左图|右图|图\s*[①②③④⑤⑥])")
_MAX_CAPTION_LINES = 4
_MAX_CAPTION_WIDTH = 80
JUMP_MARK = re.compile(r"[（(](?:下转|转|接|上接|续)第?\s*[A-Z0-9一二三四五六七八九十]{1,3}\s*版[）)]")


@dataclass(frozen=True)
class Opening:
    """The byline or dateline that starts an article and the body text after it on the same line."""

    byline: str | None
    dateline: str | None
    rest: str


def match_opening(raw: str) -> Opening | None:
    """Return the byline/dateline a raw line opens with, or None."""
    ornament = _ORNAMENT.match(raw)
    raw = raw[ornament.end():] if ornament else raw
    line = clean_line(raw)
    for pattern, kind in ((_XUN, "byline"), (_DIAN, "dateline"), (_WIRE_EN, "dateline")):
        found = pattern.match(line)
        if found:
            head, rest = _split_raw(raw, found.end())
            text = clean_phrase(head)
            return Opening(text if kind == "byline" else None, text if kind == "dateline" else None,
                           clean_line(rest))
    if is_reporter_line(raw) or (ornament and _SIGNATURE_MARK.match(ornament.group()) and is_signature(raw)):
        return Opening(clean_phrase(raw), None, "")
    return None


def is_reporter_line(raw: str) -> bool:
    """A whole line of reporter credits: `株洲日报全媒体记者/高晓燕`, `本报记者 张三 李四 报道`, `By Li Wei`."""
    phrase = clean_phrase(_ORNAMENT.sub("", raw))
    if _BY_EN.match(phrase) or _SHORT_CREDIT.match(clean_line(phrase)) or _COMMENTATOR.match(clean_line(phrase)):
        return True
    tokens = [t for t in re.split(r"[\s/／:：、，,]+", phrase) if t]
    if not tokens or not _ROLE_TOKEN.match(tokens[0]) or len(tokens) < 2:
        return False
    if tokens[-1] == "报道":
        tokens = tokens[:-1]
    names = [t for t in tokens[1:] if not _ROLE_TOKEN.match(t)]
    return bool(names) and all(_NAME_TOKEN.match(t) for t in names)


def is_signature(raw: str) -> bool:
    """One to three personal names and nothing else, as signed under or after a commentary: `石 岩`, `周慧敏`."""
    names = clean_phrase(raw).split(" ")
    return len(names) <= 3 and all(_is_name(name) for name in names)


def _is_name(token: str) -> bool:
    if not _NAME_TOKEN.match(token) or len(token) < 2:
        return False
    if token.startswith(_COMPOUND_SURNAMES):
        return len(token) <= 4
    return token[0] in _SURNAMES and len(token) <= 3


def is_furniture(raw: str) -> bool:
    """Page furniture: running heads, dates with weekdays, page numbers, editor credits, contacts, rubrics."""
    text = " ".join(raw.split())
    if _RUBRIC.match(text):
        return True
    if width(text) > _MAX_FURNITURE_WIDTH or "。" in text:
        return False
    return bool(_FURNITURE.search(text)) or (bool(_CONTACT.search(text)) and "，" not in text)


def caption_lines(raws: list[str]) -> set[int]:
    """Indices of the raw lines that are photo captions.

    A caption ends with a photo credit (`记者 张三 摄`, `（图片由…提供）`). It starts at a caption mark
    (`图为`, `▲`) a few lines up, else at the top of its block of lines when that block is short,
    else it is that one line.
    """
    found: set[int] = set()
    for end, raw in enumerate(raws):
        if _PHOTO_CREDIT_END.search(raw) and width(raw) <= _MAX_CAPTION_WIDTH:
            found.update(range(_caption_start(raws, end), end + 1))
    return found


def _caption_start(raws: list[str], end: int) -> int:
    """First line of the caption whose credit is on line `end`."""
    start = end
    while start > 0 and end - start < _MAX_CAPTION_LINES - 1 and raws[start - 1].strip():
        start -= 1
    for first in range(start, end + 1):
        if _CAPTION_START.match(raws[first]):
            return first
    block_ends = end + 1 == len(raws) or not raws[end + 1].strip()
    block_starts = start == 0 or not raws[start - 1].strip()
    return start if block_ends and block_starts else end


def _split_raw(raw: str, cleaned_length: int) -> tuple[str, str]:
    """Split a raw line after the character that is at `cleaned_length` in its cleaned form."""
    target = clean_line(raw)[:cleaned_length]
    for cut in range(len(raw) + 1):
        if clean_line(raw[:cut]) == target:
            return raw[:cut], raw[cut:]
    return raw, ""
