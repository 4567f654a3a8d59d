"""Sentence choice and quote boundaries: units, sentences that lean on the one before, joined quotes."""

from __future__ import annotations

from index.model import Article
from qa.answers import AnswerSettings, candidate_sentences, score_sentences, select_quotes
from qa.context import answer_units, leans_back, with_context
from qa.retrieval import ScoredChunk


def article(body: str, title: str | None = None, article_id: int = 1) -> Article:
    return Article(id=article_id, source_id=f"s{article_id}", paper="测试报", date="2024-03-01", page="1",
                   kicker=None, title=title, subtitle=None, byline=None, dateline=None, body=body,
                   truncated=False)


def whole(a: Article, rank_score: float = 1.0) -> ScoredChunk:
    return ScoredChunk(a.id, a.id, 0, len(a.body), a.body, rank_score, None, None)


def best_sentence(question: str, articles: list[Article]) -> str:
    """The text of the best-scored candidate (before runner-ups are joined to it)."""
    settings = AnswerSettings()
    by_id = {a.id: a for a in articles}
    candidates = candidate_sentences(question, [whole(a) for a in articles], by_id, settings)
    return score_sentences(question, candidates, None, None, settings)[0][1].text


def test_units_join_clauses_ending_in_semicolons_while_short() -> None:
    body = "红杉（学名：'；英语：redwood）。树高可达100米；寿命很长。\n" + "甲；" * 100 + "乙。"
    units = [body[s:e] for s, e in answer_units(body)]
    assert units[:2] == ["红杉（学名：'；英语：redwood）。", "树高可达100米；寿命很长。"]
    assert all(len(u) <= 160 for u in units)


def test_linking_words_and_pronouns_lean_back() -> None:
    assert leans_back("因此它有时也被称为笨蛋水果。")
    assert leans_back("“这次会议是第一次。”")
    assert leans_back("However, the plan failed.")
    assert not leans_back("株洲市召开会议。")
    assert not leans_back("Hebei province reported growth.")


def test_a_sentence_that_leans_back_is_quoted_with_the_one_before() -> None:
    body = "去年市里新建了三座桥。因此通勤时间缩短了一半。"
    units = answer_units(body)
    assert body[slice(*with_context(body, units, 1))] == body
    assert body[slice(*with_context(body, units, 0))] == "去年市里新建了三座桥。"


def test_a_sentence_without_its_subject_wins_through_the_headline() -> None:
    text = article("株洲新火车站是湖南省的重点交通工程，位于石峰区。车站于2024年通车。站房采用钢结构，外形像一列动车。",
                   title="株洲新火车站")
    assert best_sentence("株洲新火车站的站房有什么特点？", [text]) == "站房采用钢结构，外形像一列动车。"


def test_the_sentence_before_lends_its_terms_to_the_next() -> None:
    text = article("株洲新火车站是湖南省的重点交通工程，位于石峰区。站房采用钢结构，外形像一列动车。车站于2024年通车。")
    assert best_sentence("株洲新火车站的站房有什么特点？", [text]) == "站房采用钢结构，外形像一列动车。"


def test_touching_runner_up_sentences_become_one_quote() -> None:
    text = article("株洲高新大厦楼高168米。株洲高新大厦曾是株洲第一高楼。另一篇内容与此无关。")
    settings = AnswerSettings(second_quote_ratio=0.0)
    by_id = {1: text}
    candidates = candidate_sentences("株洲高新大厦有多高？", [whole(text)], by_id, settings)
    question = "株洲高新大厦有多高？"
    quotes = select_quotes(question, score_sentences(question, candidates, None, None, settings), by_id, settings)
    assert quotes[0].text.startswith("株洲高新大厦楼高168米。株洲高新大厦曾是株洲第一高楼。")
    assert quotes[0].start == 0 and text.body[quotes[0].start:quotes[0].end] == quotes[0].text


def test_without_a_question_vector_the_wording_alone_scores_sentences() -> None:
    text = article("高新大厦楼高168米，曾是株洲第一高楼。")
    settings = AnswerSettings()
    candidates = candidate_sentences("高新大厦楼高多少米？", [whole(text)], {1: text}, settings)
    [(score, _)] = score_sentences("高新大厦楼高多少米？", candidates, None, None, settings)
    assert score == candidates[0].lexical > settings.found_threshold
