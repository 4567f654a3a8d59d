"""Sentence choice and quote boundaries: units, sentences that lean on the one before, joined quotes."""

from __future__ import annotations

from pathlib import Path

from support import HashEmbedder

from index.library import Index
from index.model import Article, ParsedArticle, ParsedIssue
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


def test_the_best_quote_comes_first_with_its_neighbours_and_other_runners_up_follow_in_reading_order() -> None:
    text = article("株洲高新大厦位于天元区。这里与此无关，只谈天气。株洲高新大厦楼高168米。"
                   "株洲高新大厦曾是株洲第一高楼。另一句与此无关的话。")
    settings = AnswerSettings(second_quote_ratio=0.0)
    by_id = {1: text}
    question = "株洲高新大厦楼高多少米？"
    candidates = candidate_sentences(question, [whole(text)], by_id, settings)
    quotes = select_quotes(score_sentences(question, candidates, None, None, settings), by_id, settings)
    assert quotes[0].text == "株洲高新大厦楼高168米。株洲高新大厦曾是株洲第一高楼。"  # the best and its neighbour
    assert quotes[1].text == "株洲高新大厦位于天元区。"  # then the others, in reading order
    assert [q.start for q in quotes[1:]] == sorted(q.start for q in quotes[1:])
    assert all(text.body[q.start:q.end] == q.text for q in quotes)


def test_the_next_sentence_is_quoted_when_it_leans_back_on_the_best() -> None:
    text = article("甲。株洲高新大厦楼高168米。因此它曾是株洲第一高楼。乙。")
    by_id = {1: text}
    settings = AnswerSettings()
    question = "株洲高新大厦楼高多少米？"
    candidates = candidate_sentences(question, [whole(text)], by_id, settings)
    quotes = select_quotes(score_sentences(question, candidates, None, None, settings), by_id, settings)
    assert quotes[0].text == "株洲高新大厦楼高168米。因此它曾是株洲第一高楼。"


def test_without_a_question_vector_the_wording_alone_scores_sentences() -> None:
    text = article("高新大厦楼高168米，曾是株洲第一高楼。")
    settings = AnswerSettings()
    candidates = candidate_sentences("高新大厦楼高多少米？", [whole(text)], {1: text}, settings)
    [(score, _)] = score_sentences("高新大厦楼高多少米？", candidates, None, None, settings)
    assert score == candidates[0].lexical > settings.found_threshold


def test_coverage_counts_each_stretch_of_the_question_once() -> None:
    from qa.language import coverage

    weights = {"株洲": 1.0, "最多时": 4.0, "最多": 4.0, "干部": 2.0}
    assert coverage(weights, "株洲的干部") == (1.0 + 2.0) / (1.0 + 4.0 + 2.0)  # 最多时/最多 counted once
    assert coverage({"研究成果": 3.0, "研究": 1.0, "成果": 2.0}, "研究") == 0.5  # half its inner words
    assert coverage({"杨昊现": 5.0}, "杨昊（），中国足球运动员") == 0.5  # a name glued to the next character
    assert coverage({}, "任何文字") == 0.0


def test_a_best_sentence_scoring_below_zero_is_still_quoted() -> None:
    far = article("与问题无关的一句话。", article_id=2)
    settings = AnswerSettings()
    by_id = {2: far}
    candidates = candidate_sentences("火星上有多少座城市？", [whole(far)], by_id, settings)
    scored = [(-0.05, c) for c in candidates]  # what a lower-ranked article's rank penalty can leave
    quotes = select_quotes(scored, by_id, settings)
    assert [q.text for q in quotes] == ["与问题无关的一句话。"]


def test_english_words_bring_chinese_words_from_the_dictionary(tmp_path: Path) -> None:
    from qa.crosslingual import chinese_words, translated

    words = chinese_words("Who attended the meeting with the mayor?")
    assert "市长" in words and "会议" in words
    assert not {"谁", "的"} & set(words)  # function words are not looked up
    assert chinese_words("Zzzz qqqq") == []
    with Index.open(tmp_path / "ix", embedder=HashEmbedder()) as index:
        index.ingest_issues([ParsedIssue("a.txt", tuple(
            ParsedArticle(body=body, paper="测试报", date="2024-03-01") for body in
            ("市委召开会议。", "全市防汛会议举行。", "市长调研交通。")))])
        with index.snapshot() as snapshot:
            assert translated("高新大厦楼高多少米？", snapshot, 0.5) == "高新大厦楼高多少米？"
            wording = translated("Who attended the meetings with the mayor?", snapshot, 0.5)
            assert wording.startswith("Who attended the meetings with the mayor? ")  # plural found too
            assert "市长" in wording and "会议" not in wording  # in two chunks of three: too common
