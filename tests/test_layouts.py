"""Segmentation of raw extracted page text into articles, checked against hand-made expectations.

Each case is a raw issue file plus an expected JSON (format: tests/fixtures/layouts/README.md). The
invented fixtures cover one page layout each; the real sample issue is checked against the shared gold
segmentation. Titles, bylines etc. are compared ignoring all whitespace; bodies through their opening
(`first`) and closing (`last`) words; `contains` entries are exact substrings of the normalised body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from index.model import ParsedArticle

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "layouts"
SAMPLE = HERE.parent / "index" / "sample" / "株洲日报_2023-12-23.txt"
SHARED = Path(__file__).parents[2] / "shared"
GOLD = SHARED / "corpus" / "gold_articles.json"

HEAD_FIELDS = ("kicker", "title", "subtitle", "byline", "dateline")


def _squash(text: str | None) -> str | None:
    return None if text is None else "".join(text.split())


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cases() -> list:
    cases = []
    for expected in sorted(FIXTURES.glob("*.expected.json")):
        name = expected.name.removesuffix(".expected.json")
        cases.append(pytest.param(name, FIXTURES / f"{name}.txt", expected, id=name))
    missing = not SHARED.is_dir()
    marks = [pytest.mark.skip(reason=f"shared folder {SHARED} not found; the gold file for the sample is there")]
    cases.append(pytest.param("sample_zhuzhou", SAMPLE, GOLD, id="sample_zhuzhou", marks=marks if missing else []))
    return cases


CASES = _cases()


def _head_readings(want: dict, lenient_titles: bool) -> list[tuple[str | None, str | None]]:
    """Accepted (title, subtitle) pairs, squashed.

    The gold file accepts a multi-line main title read as title + subtitle (type sizes are lost in
    extraction), so for that case a split at any printed line break of the title is also accepted, the
    rest going to the front of the subtitle.
    """
    title, subtitle = want["title"], want["subtitle"]
    readings = [(_squash(title), _squash(subtitle))]
    if lenient_titles and title:
        lines = title.split()
        for k in range(1, len(lines)):
            rest = " ".join(lines[k:] + ([subtitle] if subtitle else []))
            readings.append((_squash(" ".join(lines[:k])), _squash(rest)))
    return readings


def _article_problems(got: ParsedArticle, want: dict, where: str, lenient_titles: bool) -> list[str]:
    problems = []
    for field in HEAD_FIELDS:
        if field in ("title", "subtitle"):
            continue
        if _squash(getattr(got, field)) != _squash(want[field]):
            problems.append(f"{where}: {field} is {getattr(got, field)!r}, expected {want[field]!r}")
    readings = _head_readings(want, lenient_titles)
    if (_squash(got.title), _squash(got.subtitle)) not in readings:
        problems.append(
            f"{where}: title/subtitle are {got.title!r} / {got.subtitle!r}, "
            f"expected {want['title']!r} / {want['subtitle']!r}"
        )
    body = _squash(got.body) or ""
    if not body.startswith(_squash(want["first"])):
        problems.append(f"{where}: body should start with {want['first']!r}, starts with {got.body[:40]!r}")
    if not body.endswith(_squash(want["last"])):
        problems.append(f"{where}: body should end with {want['last']!r}, ends with {got.body[-40:]!r}")
    paragraphs = {_squash(line) for line in got.body.split("\n")}
    for subhead in want.get("subheads", []):
        if _squash(subhead) not in paragraphs:
            problems.append(f"{where}: subhead {subhead!r} is not a paragraph of its own in the body")
    for text in want.get("contains", []):
        if text not in got.body:
            problems.append(f"{where}: normalised body lacks the exact text {text!r}")
    if got.truncated != want["truncated"]:
        problems.append(f"{where}: truncated is {got.truncated}, expected {want['truncated']}")
    return problems


@pytest.fixture(scope="module")
def parse_path():
    # Imported lazily so the cases (and the fixture self-check) collect even when the parser cannot be imported.
    from index.parsing import parse_path

    return parse_path


@pytest.mark.parametrize(("name", "raw", "expected"), CASES)
def test_segmentation(parse_path, name: str, raw: Path, expected: Path) -> None:
    spec = json.loads(expected.read_text(encoding="utf-8"))
    issue = parse_path(raw)
    got, want = list(issue.articles), spec["articles"]
    assert len(got) == len(want), (
        f"[{name}] {len(got)} articles, expected {len(want)}\n"
        f"  got:      {[a.title or a.body[:16] for a in got]}\n"
        f"  expected: {[a['title'] for a in want]}"
    )
    lenient = name == "sample_zhuzhou"
    problems = []
    for i, (article, wanted) in enumerate(zip(got, want, strict=True)):
        where = f"[{name}] article {i} ({wanted['title']})"
        problems += _article_problems(article, wanted, where, lenient)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "raw", "expected"), CASES)
def test_furniture_stays_out_of_articles(parse_path, name: str, raw: Path, expected: Path) -> None:
    furniture = json.loads(expected.read_text(encoding="utf-8")).get("furniture", [])
    if not furniture:
        pytest.skip(f"{name} has no page furniture")
    issue = parse_path(raw)
    problems = []
    for i, article in enumerate(issue.articles):
        fields = [getattr(article, field) for field in (*HEAD_FIELDS, "body")]
        text = "".join(_squash(value) for value in fields if value)
        problems += [
            f"[{name}] article {i} ({article.title}) contains furniture {line!r}"
            for line in furniture
            if _squash(line) in text
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "raw", "expected"), CASES)
def test_fixture_is_consistent(name: str, raw: Path, expected: Path) -> None:
    """Guards edits to the fixtures themselves: every expected string must be printed in the raw text."""
    spec = json.loads(expected.read_text(encoding="utf-8"))
    page = _squash(_decode(raw))
    problems = [
        f"[{name}] furniture {line!r} not in the raw text"
        for line in spec.get("furniture", [])
        if _squash(line) not in page
    ]
    for i, article in enumerate(spec["articles"]):
        where = f"[{name}] article {i} ({article['title']})"
        if len(article["first"]) < 15 or len(article["last"]) < 10:
            problems.append(f"{where}: `first` needs >= 15 characters and `last` >= 10")
        strings = [article[field] for field in HEAD_FIELDS if article[field]]
        strings += [article["first"], article["last"], *article.get("subheads", []), *article.get("contains", [])]
        problems += [f"{where}: {text!r} not in the raw text" for text in strings if _squash(text) not in page]
    assert not problems, "\n".join(problems)
