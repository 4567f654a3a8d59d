"""Question analysis: language, content terms and the kind of answer a question asks for."""

from __future__ import annotations

import re
from enum import Enum

from index.similarity import bigrams
from index.tokenize import STOPWORDS, tagged, terms

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_QUESTION_WORD = re.compile(
    r"什么|多少|哪|谁|几|如何|怎么|怎样|为什么|何|吗$|^(?:what|who|when|where|which|how)$", re.I
)
_PUNCT = re.compile(r"[\s\W_]+")
_ANCHOR_CHARS = 8
_ANCHOR_FULL = 6.0
_QUESTION_CHARS = re.compile(r"哪|什么|几|多少|谁|怎|何|吗")
_FOCUS_WEIGHT = 2.0
_FOCUS_BEFORE = 3
_FOCUS_AFTER = 2
_ASKING = frozenset(["一共", "共", "多", "当时", "目前"])


class Kind(Enum):
    """What a question asks for, judged from its question word."""

    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    DOCUMENT = "document"


_KIND_PATTERNS = (
    (Kind.DATE, re.compile(r"哪年|哪天|哪几天|哪一天|何时|什么时候|几月|几号|哪个月|when|what year|what date",
                           re.I)),
    (Kind.NUMBER, re.compile(r"多少|几|多高|多长|多大|多远|多久|how many|how much|how tall|how long|how far", re.I)),
    (Kind.PERSON, re.compile(r"谁|哪位|什么人|哪些人|\bwho\b|\bwhom\b", re.I)),
    (Kind.PLACE, re.compile(r"哪里|哪儿|什么地方|哪个(?:省|市|县|国家|城市|地方)|\bwhere\b", re.I)),
    (Kind.DOCUMENT, re.compile(
        r"什么(?:文件|意见|规定|通知|办法|方案|报告|条例|书)|哪(?:份|部|本)|which (?:document|report)", re.I)),
)
_EVIDENCE = {
    Kind.NUMBER: re.compile(r"\d|[一二三四五六七八九十百千万亿两]+[个项家名人次年月日座所条米元倍%％]"),
    Kind.DATE: re.compile(r"\d{1,4}年|\d{1,2}月|\d{1,2}日|今年|去年|明年|昨天|今天|前天|星期|周[一二三四五六日]"),
    Kind.DOCUMENT: re.compile(r"《[^》]+》"),
}
_NAME_FLAGS = {Kind.PERSON: ("nr",), Kind.PLACE: ("ns",)}


def is_chinese(text: str) -> bool:
    """Whether a question is written in Chinese (otherwise answers are phrased in English)."""
    return bool(_HAN.search(text))


def content_terms(question: str) -> dict[str, float]:
    """Terms of the question that an answer sentence should share, weighted by how telling they are.

    Words next to the question word (审议通过了**什么**文件) say what is asked; the rest often only
    sets the scene (which meeting), which the article's lead may state in another sentence. The
    former weigh double.
    """
    focus = _focus_words(question)
    weights = {}
    for term in terms(question):
        if term in _ASKING or _QUESTION_CHARS.search(term):
            continue
        weight = 2.0 if term.isascii() else float(min(len(term), 4))
        weights[term] = weight * (_FOCUS_WEIGHT if any(term in word for word in focus) else 1.0)
    return weights


def _focus_words(question: str) -> list[str]:
    words = [word for word, _ in tagged(question)]
    asking = [i for i, word in enumerate(words) if _QUESTION_WORD.search(word)]
    if not asking:
        return []
    first = asking[0]
    return [w for w in words[max(0, first - _FOCUS_BEFORE): first + _FOCUS_AFTER + 1] if w not in STOPWORDS]


def term_overlap(weights: dict[str, float], text: str) -> float:
    """Weighted share of the question's terms that occur in `text` (0..1)."""
    total = sum(weights.values())
    if not total:
        return 0.0
    lowered = text.lower()
    return sum(weight for term, weight in weights.items() if term in lowered) / total


def coverage(weights: dict[str, float], text: str) -> float:
    """Weighted share of the question's terms found in `text` (0..1).

    The segmenter gives a compound and the words inside it (最多时, 最多); they stand for one stretch of
    the question, counted once with the weight of its rarest term, as found when the compound is, else
    by the share of its inner words that are. A term missing as a whole counts for the share of its
    character pairs that are there: the segmenter sometimes glues a name to the next character in a
    question (「杨昊现效力于哪里」 gives 「杨昊现」) but not in the article.
    """
    lowered = text.lower()
    stretches: dict[str, list[str]] = {}
    for term in sorted(weights, key=len, reverse=True):
        outer = next((longer for longer in stretches if term in longer), None)
        stretches.setdefault(outer or term, []).extend([term] if outer else [])
    total = found = 0.0
    for compound, inner in stretches.items():
        weight = max(weights[t] for t in (compound, *inner))
        share = _presence(compound, lowered)
        if inner and share < 1.0:
            share = max(share, sum(_presence(t, lowered) for t in inner) / len(inner))
        total += weight
        found += weight * share
    return found / total if total else 0.0


def _presence(term: str, lowered: str) -> float:
    if term in lowered:
        return 1.0
    pairs = [term[i:i + 2] for i in range(len(term) - 1)]
    return sum(pair in lowered for pair in pairs) / len(pairs) if pairs else 0.0


def bigram_overlap(question: str, text: str) -> float:
    """Share of the question's character bigrams that occur in `text` (robust to word segmentation)."""
    asked = {g for g in bigrams(question) if not (set(g) & set("什么多少哪谁几吗呢"))}
    if not asked:
        return 0.0
    return len(asked & bigrams(text)) / len(asked)


def anchor_overlap(question: str, sentence: str) -> float:
    """How much of the wording right around the question word recurs in the sentence (0..1).

    A statement that answers 「会议审议通过了什么文件」 usually repeats 「审议通过了」 and puts the
    answer where the question word was, so the longest piece of the question just before the question
    word, and just after it, found in the sentence tells the answering sentence from its neighbours.
    """
    found = _QUESTION_WORD.search(question)
    if not found:
        return 0.0
    before = _PUNCT.sub("", question[: found.start()])[-_ANCHOR_CHARS:]
    after = _PUNCT.sub("", question[found.end():])[:_ANCHOR_CHARS]
    left = next((n for n in range(len(before), 1, -1) if before[-n:] in sentence), 0)
    right = next((n for n in range(len(after), 1, -1) if after[:n] in sentence), 0)
    return min(1.0, (left + right) / _ANCHOR_FULL)


def answer_kinds(question: str) -> set[Kind]:
    """The kinds of answer the question word asks for (empty for open questions)."""
    return {kind for kind, pattern in _KIND_PATTERNS if pattern.search(question)}


def offers_answer(kinds: set[Kind], question: str, sentence: str) -> bool:
    """Whether the sentence holds something of an asked-for kind that the question does not already say."""
    for kind in kinds:
        if kind in _EVIDENCE:
            asked = set(_EVIDENCE[kind].findall(question))
            if set(_EVIDENCE[kind].findall(sentence)) - asked:
                return True
        else:
            flags = _NAME_FLAGS[kind]
            names = {word for word, flag in tagged(sentence) if flag.startswith(flags) and len(word) > 1}
            if names - {word for word, _ in tagged(question)}:
                return True
    return False
