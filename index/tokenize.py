"""jieba tokenisation for the BM25 full-text index: the same terms for indexed text and for queries."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

import jieba
from jieba import posseg
from pypinyin import lazy_pinyin

_WORD = re.compile(r"\w")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_NAME_FLAGS = frozenset({"nr", "ns", "nrfg", "nrt"})
_KEY_PREFIX = "py"
# What full-text rows hold: 1, jieba terms; 2, also pinyin keys of names. Indexes made by an older one need
# `baoku repair` to re-create their full-text rows.
TOKENIZER_VERSION = 2
_STOPWORDS = """
的 了 是 在 和 与 及 或 也 都 就 而 把 被 对 向 从 为 以 之 其 这 那 此 有 个 着 过 吗 呢 吧 啊 呀 么
什么 哪些 哪个 哪里 如何 怎么 怎样 为什么 多少 几 谁 是否 一个 这个 那个 我们 你们 他们 它们 请问 关于
the a an of to in on and or is are was were what which who how when where why
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """One initialised jieba tokenizer per process, with jieba's chatter turned down."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def tokenize(text: str) -> list[str]:
    """jieba's search-mode tokens of `text` (words plus the shorter words inside them), punctuation included."""
    return list(_tokenizer().cut_for_search(text))


def word_frequency(word: str) -> int:
    """How often jieba's dictionary has seen `word` (0 for words it does not know)."""
    return int(_tokenizer().FREQ.get(word, 0))


def terms(text: str) -> list[str]:
    """Search terms of `text`: tokens lower-cased, without punctuation, spaces and stopwords."""
    return [
        term for term in (token.strip().lower() for token in tokenize(text))
        if term and _WORD.search(term) and term not in STOPWORDS
    ]


def index_text(text: str) -> str:
    """The terms of `text` and the romanised keys of its names, joined by spaces, as stored for full-text search."""
    return " ".join([*terms(text), *name_keys(text)])


def query_terms(text: str) -> list[str]:
    """The distinct full-text terms of a question: its terms and the romanised keys of its names."""
    return list(dict.fromkeys([*terms(text), *name_keys(text)]))


def match_query(terms: Iterable[str]) -> str | None:
    """An FTS5 OR query over `terms`, or None when there is none."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " OR ".join(quoted) if quoted else None


def name_keys(text: str) -> list[str]:
    """Keys that let a name written in pinyin find the same name in Chinese characters.

    Person and place names in Chinese text become toneless pinyin (陈恢清 -> "chenhuiqing"); in Latin
    text, capitalised words and runs of two or three of them become the same kind of key
    ("Chen Huiqing" -> "chenhuiqing"). An English question can then reach a Chinese article by name.
    """
    if _HAN.search(text):
        names = {word for word, flag in tagged(text) if flag in _NAME_FLAGS and len(word) > 1}
        return sorted(_KEY_PREFIX + "".join(lazy_pinyin(name)) for name in names)
    words = _CAPITALISED.findall(text)
    runs = {"".join(words[i:i + n]).lower() for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    return sorted(_KEY_PREFIX + run for run in runs)


@lru_cache(maxsize=1)
def _tagger() -> posseg.POSTokenizer:
    return posseg.POSTokenizer(_tokenizer())


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs, e.g. ("宋玮", "nr") for a person name."""
    return [(pair.word, pair.flag) for pair in _tagger().cut(text)]
