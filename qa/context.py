"""Answer units of an article body and the context a quoted sentence needs to stand on its own."""

from __future__ import annotations

import re

from index.sentences import sentence_spans

MAX_UNIT_CHARS = 160

# A sentence that opens with a pronoun or a linking word continues the one before it:
# 「因此它有时也被称为笨蛋水果」 means nothing without the sentence that gives the reason.
_LEANS_BACK = re.compile(
    r"^(?:在此|在这|这|此|该|其|它|他|她|牠|彼|上述|前者|后者|对此|为此|因此|因而|所以|于是|从而|故而|但|而|然而|不过|"
    r"并且|同时|此外|另外|随后|之后|其后|此后|后来|最终|最后|不久|当时|届时|赛后|会后|事后|"
    r"(?:this|these|that|those|it|its|he|she|his|her|they|their|but|however|therefore|thus|so|then|later)\b)",
    re.I,
)
_CLAUSE_END = "；;：:"


def answer_units(body: str) -> list[tuple[int, int]]:
    """Sentence spans of `body`, with a clause ending in ；or ： joined to the next while it stays short."""
    units: list[tuple[int, int]] = []
    for start, end in sentence_spans(body):
        if units and body[units[-1][1] - 1] in _CLAUSE_END and end - units[-1][0] <= MAX_UNIT_CHARS:
            units[-1] = (units[-1][0], end)
        else:
            units.append((start, end))
    return units


def leans_back(sentence: str) -> bool:
    """Whether a sentence opens with a pronoun or linking word that points at the sentence before it."""
    return bool(_LEANS_BACK.match(sentence.lstrip("“「『\"'（(")))


def with_context(body: str, units: list[tuple[int, int]], position: int) -> tuple[int, int]:
    """The span of unit `position`, widened to the sentence before when it leans back on it."""
    start, end = units[position]
    if position > 0 and leans_back(body[start:end]) and end - units[position - 1][0] <= 2 * MAX_UNIT_CHARS:
        start = units[position - 1][0]
    return start, end
