"""Question answering on the real sample index: the dev questions, verified quotes, filters, bad questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa
from qa.cli import main
from qa.language import is_chinese

SHARED = Path(__file__).parents[2] / "shared"
SEED_DEV = SHARED / "eval" / "seed_dev.jsonl"
GOLD = SHARED / "corpus" / "gold_articles.json"
needs_shared = pytest.mark.skipif(not SEED_DEV.exists(), reason=f"shared eval data not found at {SHARED}")


def squash(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def archive(sample_template: Path) -> qa.Archive:
    return qa.open(sample_template, create=False)


@pytest.fixture(scope="module")
def gold_ids(archive: qa.Archive) -> dict[str, int]:
    """Gold article letters mapped to index article ids by title (the parser reproduces the gold titles)."""
    stored = [archive.article(article_id) for article_id in range(1, archive.stats().articles + 1)]
    return {g["id"]: next(a.id for a in stored if squash(a.title or "") == squash(g["title"]))
            for g in json.loads(GOLD.read_text(encoding="utf-8"))["articles"]}


@pytest.fixture(scope="module")
def dev_answers(archive: qa.Archive) -> list[tuple[dict, qa.Answer]]:
    questions = [json.loads(line) for line in SEED_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(q, archive.ask(q["question"])) for q in questions]


@needs_shared
def test_answerable_dev_questions_hit_their_article_and_quote_an_answer(dev_answers, gold_ids) -> None:
    failures = []
    for question, answer in dev_answers:
        if question["article"] is None or not is_chinese(question["question"]):
            continue
        top = answer.hits[0].article_id if answer.hits else None
        quoted = squash("".join(q.text for q in answer.quotes))
        if top != gold_ids[question["article"]] or not answer.found or not any(
                squash(s) in quoted for s in question["answers"]):
            failures.append((question["id"], question["question"], top, answer.found, quoted[:80]))
    assert failures == []


@needs_shared
def test_english_dev_questions_hit_their_article_and_quote_an_answer(dev_answers, gold_ids) -> None:
    english = [(q, a) for q, a in dev_answers if q["article"] is not None and not is_chinese(q["question"])]
    assert english
    for question, answer in english:
        quoted = squash("".join(q.text for q in answer.quotes))
        assert answer.hits[0].article_id == gold_ids[question["article"]]
        assert answer.found and any(squash(s) in quoted for s in question["answers"])


@needs_shared
def test_unanswerable_dev_questions_are_refused_with_nearest_articles(dev_answers) -> None:
    refused = [(q["id"], a.found) for q, a in dev_answers if q["article"] is None]
    assert refused and all(not found for _, found in refused)
    for question, answer in dev_answers:
        if question["article"] is None:
            assert answer.quotes == [] and answer.hits and "没有找到" in answer.text


@needs_shared
def test_every_quote_is_the_article_text_at_its_offsets(archive: qa.Archive, dev_answers) -> None:
    quotes = [quote for _, answer in dev_answers for quote in answer.quotes]
    assert quotes
    for quote in quotes:
        article = archive.article(quote.article_id)
        assert article.body[quote.start:quote.end] == quote.text
        assert (quote.title, quote.paper, quote.date) == (article.headline, "株洲日报", "2023-12-23")


def test_search_gives_one_hit_per_article_in_a_stable_order(archive: qa.Archive) -> None:
    first = archive.search("曹慧泉主持会议", k=8)
    assert len({hit.article_id for hit in first}) == len(first) == 8
    assert [h.article_id for h in first] == [h.article_id for h in archive.search("曹慧泉主持会议", k=8)]
    for hit in first:
        assert archive.article(hit.article_id).body[hit.start:hit.end] == hit.text


def test_filters_exclude_what_they_should(archive: qa.Archive) -> None:
    assert archive.search("高新大厦", date_from="2020-01-01", date_to="2020-12-31") == []
    answer = archive.ask("高新大厦楼高多少米？", date_from="2020-01-01", date_to="2020-12-31")
    assert not answer.found and answer.hits == []
    assert archive.search("高新大厦", paper="人民日报") == []
    assert archive.search("高新大厦", paper="株洲日报", date_from="2023-12-23", date_to="2023-12-23")


@pytest.mark.parametrize(("question", "problem"), [
    ("", "empty or only punctuation"), ("  \t\n", "empty or only punctuation"), ("？？！。…", "empty or only"),
    ("问" * 1001, "over the 1000-character limit"),
])
def test_bad_questions_are_refused_clearly(archive: qa.Archive, question: str, problem: str) -> None:
    with pytest.raises(qa.InputError, match=problem):
        archive.ask(question)


def test_control_characters_are_ignored(archive: qa.Archive) -> None:
    assert archive.search("高新\x00大厦\x1b楼高", k=1)[0].title == archive.search("高新大厦楼高", k=1)[0].title


def test_cli_ask_prints_quotes_with_citations_and_json(sample_template: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["ask", "高新大厦楼高多少米？", "--index", str(sample_template)])
    assert result.exit_code == 0, result.output
    assert "168" in result.output and "《株洲日报》2023年12月23日《“武广地标”转型记》" in result.output
    data = json.loads(runner.invoke(main, ["ask", "高新大厦楼高多少米？", "--index", str(sample_template),
                                          "--json"]).output)
    assert data["found"] and {"text", "article_id", "source_id", "title", "paper", "date", "page", "start", "end",
                              "score"} == set(data["quotes"][0])
    result = runner.invoke(main, ["search", "高新大厦", "--index", str(sample_template), "-k", "2", "--json"])
    assert len(json.loads(result.output)) == 2


def test_cli_reports_bad_dates_in_one_line(sample_template: Path) -> None:
    result = CliRunner().invoke(main, ["ask", "高新大厦", "--index", str(sample_template), "--date-from", "昨天"])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "is not a date" in result.output


def test_cli_eval_indexes_passages_and_reports_every_figure(tmp_path: Path) -> None:
    passages = tmp_path / "passages.jsonl"
    passages.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in [
        {"id": "p1", "title": "湘江大桥", "text": "湘江大桥全长1650米，于1996年建成通车。大桥连接河东与河西两个城区。"},
        {"id": "p2", "title": "神农公园", "text": "神农公园占地面积约120公顷，园内有神农塔和人工湖。"},
        {"id": "p3", "title": "醴陵瓷器", "text": "醴陵釉下五彩瓷烧成温度高达1380摄氏度。醴陵被称为瓷城。"},
    ]), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in [
        {"id": "q1", "question": "湘江大桥全长多少米？", "passage_id": "p1", "answers": ["1650米"]},
        {"id": "q2", "question": "神农公园占地面积有多大？", "passage_id": "p2", "answers": ["120公顷"]},
        {"id": "q3", "question": "火星基地有几座发射塔？", "passage_id": None, "answers": []},
        {"id": "q4", "question": "？？", "passage_id": "p1", "answers": []},
    ]), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(questions), "--passages", str(passages), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["questions"] == 4 and report["invalid_questions"] == 1
    assert report["answerable"] == 2 and report["unanswerable"] == 1
    assert report["hit_at_1"] == report["hit_at_5"] == report["mrr"] == 1.0
    assert report["answer_in_quote"] == 1.0 and report["found_when_answerable"] == 1.0
    assert report["refused_when_unanswerable"] == 1.0
    assert 0 < report["latency_p50_ms"] <= report["latency_p95_ms"]
    text = CliRunner().invoke(main, ["eval", str(questions), "--passages", str(passages)]).output
    assert "answer_in_quote: 1.0" in text and "latency_p95_ms" in text
