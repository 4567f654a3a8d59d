"""Question analysis: language, content terms and the kind of answer asked for."""

from __future__ import annotations

import re

from index.similarity import bigrams
from index.tokenize import tokenize

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_QUESTION_WORDS = {
    "什么", "多少", "哪些", "哪个", "哪里", "哪儿", "哪种", "哪支", "哪位", "哪家", "哪年", "哪天", "哪几天", "哪",
    "谁", "几", "如何", "怎么", "怎样", "为什么", "是否", "是不是", "吗", "呢", "了", "的", "是", "在", "有", "和",
    "与", "及", "对", "把", "被", "从", "到", "由", "于", "为", "也", "都", "还", "就", "一共", "共", "请问", "what",
    "who", "when", "where", "which", "how", "many", "much", "why", "is", "are", "was", "were", "the", "a", "an",
    "of", "in", "on", "at", "to", "for", "and", "or", "did", "does", "do", "as", "by", "with", "between",
}
_NUMBER_QUESTION = re.compile(r"多少|几|哪年|哪天|何时|什么时候|how many|how much|how tall|when|what year", re.I)


def is_chinese(text: str) -> bool:
    """Whether a question is written in Chinese (otherwise answers are phrased in English)."""
    return bool(_HAN.search(text))


def content_terms(question: str) -> dict[str, float]:
    """Terms of the question that an answer sentence should share, weighted by how telling they are."""
    terms: dict[str, float] = {}
    for token in tokenize(question):
        token = token.strip().lower()
        if not token or token in _QUESTION_WORDS or not re.search(r"\w", token):
            continue
        terms[token] = 2.0 if token.isascii() else min(len(token), 4) * 1.0
    return terms


def term_overlap(terms: dict[str, float], text: str) -> float:
    """Weighted share of the question's terms that occur in `text` (0..1)."""
    total = sum(terms.values())
    if not total:
        return 0.0
    lowered = text.lower()
    return sum(weight for term, weight in terms.items() if term in lowered) / total


def bigram_overlap(question: str, text: str) -> float:
    """Share of the question's character bigrams that occur in `text` (robust to word segmentation)."""
    asked = {g for g in bigrams(question) if not (set(g) & set("什么多少哪谁几吗呢"))}
    if not asked:
        return 0.0
    return len(asked & bigrams(text)) / len(asked)


def asks_for_number(question: str) -> bool:
    """Questions such as 多少 / 几 / how many expect a number in the answer."""
    return bool(_NUMBER_QUESTION.search(question))
