"""Character-bigram overlap between a headline and article bodies, weighted by rarity on the page."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[A-Za-z0-9]+")


def bigrams(text: str) -> set[str]:
    """Chinese character bigrams (single characters for one-character runs) and Latin/digit words."""
    grams: set[str] = set()
    for run in _HAN_RUN.findall(text):
        if run.isascii():
            grams.add(run.lower())
        elif len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i: i + 2] for i in range(len(run) - 1))
    return grams


class PageVocabulary:
    """Bigram sets of a page's article bodies with inverse document frequencies."""

    def __init__(self, bodies: Sequence[str]) -> None:
        self.sets = [bigrams(body) for body in bodies]
        counts = Counter(gram for grams in self.sets for gram in grams)
        n = len(self.sets)
        self.idf = {gram: math.log(1 + n / df) for gram, df in counts.items()}
        self._unseen = math.log(1 + n) if n else 1.0

    def coverage(self, text: str, article: int) -> float:
        """Share of the text's bigram weight found in one article's body (0..1)."""
        grams = bigrams(text)
        total = sum(self.idf.get(g, self._unseen) for g in grams)
        if not total:
            return 0.0
        return sum(self.idf[g] for g in grams if g in self.sets[article]) / total

    def overlap(self, text: str, other: str) -> float:
        """Share of the text's bigram weight that also occurs in `other` (0..1)."""
        grams, known = bigrams(text), bigrams(other)
        total = sum(self.idf.get(g, self._unseen) for g in grams)
        if not total:
            return 0.0
        return sum(self.idf.get(g, self._unseen) for g in grams if g in known) / total
