"""Bounded fuzzing of everything that reads user input: bytes in, a result or InputError out, nothing else.

Each property runs a fixed number of examples with no deadline, so the time in CI stays bounded (a few
seconds each). tests/test_parser.py fuzzes the segmenter with text; these start from bytes and files.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import Note
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import InputError
from index.jsonl import read_jsonl
from index.naming import parse_date
from index.parsing import parse_path
from qa.archive import MAX_QUESTION_CHARS, clean_question, make_filters

EXAMPLES = 200
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = ["text", "title", "date", "paper", "page", "id"]
# any characters, lone surrogates included (st.text leaves them out): JSON carries them as \\ud800 escapes
ANY_TEXT = st.lists(st.characters() | st.characters(categories=["Cs"]), max_size=40).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
# records shaped like an export (string or number fields), and JSON objects of any shape
EXPORTS = st.fixed_dictionaries({"text": ANY_TEXT}, optional={name: ANY_TEXT | st.integers() for name in FIELDS[1:]})
RECORDS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), JSON_VALUES, max_size=7)
LINES = (st.lists(EXPORTS.map(json.dumps), min_size=1, max_size=3)
         | st.lists(RECORDS.map(json.dumps) | EXPORTS.map(json.dumps) | st.text(max_size=60), min_size=1, max_size=4))
GOOD_LINE = json.dumps({"id": "a", "title": "标题", "text": "株洲新闻正文。", "date": "2024-01-02"},
                       ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def outcome(call: Callable[[], object], seen: Counter[str]) -> object | None:
    """Run `call`, counting results and InputErrors; any other exception fails the property."""
    try:
        result = call()
    except InputError as exc:
        assert "\n" not in str(exc), "errors are one line"
        seen["InputError"] += 1
        return None
    seen["result"] += 1
    return result


def summary(seen: Counter[str]) -> str:
    return f"{seen['result']} read, {seen['InputError']} InputError, nothing else"


def mutate(data: bytes, position: int, insert: bytes, cut: int) -> bytes:
    position %= len(data) + 1
    return data[:position] + insert + data[position + cut:]


@pytest.mark.parametrize("suffix", [".txt", ".jsonl"])
def test_random_bytes_as_a_file(scratch: Path, suffix: str, reliability: Note) -> None:
    seen: Counter[str] = Counter()
    path = scratch / f"fuzz{suffix}"

    @BOUNDED
    @given(st.binary(max_size=3000) | st.text(max_size=600).map(lambda t: t.encode("utf-8", "surrogatepass")))
    def run(data: bytes) -> None:
        path.write_bytes(data)
        outcome(lambda: parse_path(path), seen)

    run()
    reliability("fuzz", f"parse_path ({suffix})", f"{EXAMPLES} random byte strings up to 3 kB", summary(seen))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gb18030", "big5"])
def test_text_in_other_encodings(scratch: Path, encoding: str, reliability: Note) -> None:
    seen: Counter[str] = Counter()
    path = scratch / "encoded.txt"

    @BOUNDED
    @given(st.text(st.characters(codec=encoding), max_size=400))
    def run(text: str) -> None:
        path.write_bytes(text.encode(encoding))
        outcome(lambda: parse_path(path), seen)

    run()
    reliability("fuzz", "parse_path (.txt)", f"{EXAMPLES} random texts encoded as {encoding}", summary(seen))


def test_jsonl_records_of_any_shape(scratch: Path, reliability: Note) -> None:
    seen: Counter[str] = Counter()
    path = scratch / "records.jsonl"

    @BOUNDED
    @given(LINES)
    def run(lines: list[str]) -> None:
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        articles = outcome(lambda: read_jsonl(path), seen)
        for article in articles or []:
            assert article.body.strip() and article.body.encode("utf-8")
            assert article.date is None or parse_date(article.date) == article.date

    run()
    reliability("fuzz", "JSONL reader", f"{EXAMPLES} files of JSON values of any shape and stray lines",
                summary(seen))


def test_mutated_jsonl(scratch: Path, reliability: Note) -> None:
    seen: Counter[str] = Counter()
    path = scratch / "mutated.jsonl"

    @BOUNDED
    @given(st.integers(0, 400), st.binary(max_size=12), st.integers(0, 8), st.integers(1, 3))
    def run(position: int, insert: bytes, cut: int, copies: int) -> None:
        path.write_bytes(mutate(b"\n".join([GOOD_LINE] * copies), position, insert, cut))
        outcome(lambda: read_jsonl(path), seen)

    run()
    reliability("fuzz", "JSONL reader", f"{EXAMPLES} valid files with bytes inserted and cut at random",
                summary(seen))


def test_dates_questions_and_filters(reliability: Note) -> None:
    seen: Counter[str] = Counter()

    @BOUNDED
    @given(st.text(max_size=40) | st.from_regex(r"\s*\d{1,5}[-/.年]\d{1,3}[-/.月]\d{1,3}日?.{0,12}", fullmatch=True))
    def dates(text: str) -> None:
        parsed = outcome(lambda: parse_date(text), seen)
        assert parsed is None or (isinstance(parsed, str) and parse_date(parsed) == parsed)

    @BOUNDED
    @given(st.text(max_size=1200))
    def questions(text: str) -> None:
        cleaned = outcome(lambda: clean_question(text), seen)
        assert cleaned is None or (isinstance(cleaned, str) and 0 < len(cleaned) <= MAX_QUESTION_CHARS
                                   and cleaned.isprintable())

    @BOUNDED
    @given(*[st.none() | st.text(max_size=20)] * 4)
    def filters(date_from: str | None, date_to: str | None, paper: str | None, page: str | None) -> None:
        outcome(lambda: make_filters(date_from, date_to, paper, page), seen)

    for run in (dates, questions, filters):
        run()
    reliability("fuzz", "dates, questions and search filters", f"{3 * EXAMPLES} random strings", summary(seen))
