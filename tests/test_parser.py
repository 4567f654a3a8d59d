"""Parser behaviour: normalisation, segmentation invariants, file reading and bad input."""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import InputError
from index.normalize import HAN_CHAR, normalize_text
from index.parsing import parse_path, parse_text
from index.reading import read_text
from qa.cli import main

SAMPLE = Path(__file__).parents[1] / "index" / "sample" / "株洲日报_2023-12-23.txt"

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PIECES = st.one_of(
    st.text(HAN, min_size=1, max_size=18),
    st.sampled_from(["，", "。", "、", "！", "？", "“", "”", "：", " ", "  ", "\n", "\n\n", "2023", "IGBT 5G",
                     "（", "）"]),
    st.sampled_from(["株洲日报讯（全媒体记者/张三）", "本报讯", "新华社北京3月5日电 ", "记者 张三 报道",
                     "株洲日报全媒体记者/李四\n通讯员/王五", "——副题", "（下转第2版）",
                     "2024年3月6日 星期三 责任编辑：王某"]),
)
PAGE_TEXT = st.lists(PIECES, max_size=60).map("".join)


def han_counts(*texts: str | None) -> Counter[str]:
    return Counter(ch for text in texts if text for ch in HAN_CHAR.findall(text))


@given(st.text(max_size=300) | PAGE_TEXT)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(PAGE_TEXT)
def test_every_chinese_character_lands_in_exactly_one_place(text: str) -> None:
    issue = parse_text(text)
    fields = [value for a in issue.articles
              for value in (a.kicker, a.title, a.subtitle, a.byline, a.dateline, a.body)]
    assert han_counts(*fields, *issue.discarded) == han_counts(text)


@settings(max_examples=150)
@given(st.text(max_size=400) | PAGE_TEXT)
def test_arbitrary_text_raises_nothing_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_text(text)


def test_spaces_between_chinese_characters_are_removed_and_latin_spaces_kept() -> None:
    text = "城 发 集 团 相 关 负 责 人 介 绍 ，\nZhuzhou Daily 报道了 IGBT 一期\n项目。"
    assert normalize_text(text) == "城发集团相关负责人介绍，Zhuzhou Daily报道了IGBT一期项目。"


def test_hard_wrapped_lines_join_and_paragraph_breaks_stay() -> None:
    text = "这是第一段的第一行文字，\n\n它在这里结束。\n\n第二段从这里开始，\n到这里结束。"
    assert normalize_text(text) == "这是第一段的第一行文字，它在这里结束。\n第二段从这里开始，到这里结束。"


def test_paper_date_and_page_come_from_file_name_or_arguments(tmp_path: Path) -> None:
    folder = tmp_path / "岳阳日报" / "2024-03-06"
    folder.mkdir(parents=True)
    path = folder / "A02.txt"
    path.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    article = parse_path(path).articles[0]
    assert (article.paper, article.date, article.page) == ("岳阳日报", "2024-03-06", "A2")
    article = parse_path(path, paper="湘江晚报", date="2024/3/7", page="5").articles[0]
    assert (article.paper, article.date, article.page) == ("湘江晚报", "2024-03-07", "5")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(SAMPLE.read_text(encoding="utf-8").encode(encoding, errors="replace"))
    assert read_text(path).startswith(" 株洲日报全媒体记者/高晓燕")


def test_jsonl_articles_keep_their_source_ids(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    rows = [{"id": "cms-1", "title": "标题一", "text": "第一篇文章的正文。", "date": "2024-01-02", "paper": "某报",
             "page": "03"}, {"text": "只有正文的文章。"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    first, second = parse_path(path).articles
    assert (first.source_id, first.title, first.date, first.page, first.body) == (
        "cms-1", "标题一", "2024-01-02", "3", "第一篇文章的正文。")
    assert second.source_id is None and second.body == "只有正文的文章。"


BAD_INPUTS = {
    "empty.txt": (b"", "file is empty"),
    "blank.txt": (b"  \n\n ", "file is empty"),
    "binary.bin": (bytes(range(256)) * 4, "binary"),
    "soup.txt": (b"\x81\xff\xfa" * 10 + b"\x81", "not valid UTF-8 or GB18030"),
    "badbom.txt": (b"\xff\xfe\x00\xd8", "invalid utf-16"),
    "broken.jsonl": (b'{"text": "ok"}\n{"text": \n', "broken.jsonl:2: invalid JSON"),
    "notext.jsonl": (b'{"title": "x"}\n', "missing or empty \"text\""),
    "baddate.jsonl": ('{"text": "正文。", "date": "明天"}\n'.encode(), "is not a date"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line_naming_the_file(tmp_path: Path, name: str) -> None:
    data, problem = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["parse", str(path)])
    assert result.exit_code == 1
    message = result.output.strip()
    assert "\n" not in message and message.startswith("error: ") and str(path) in message and problem in message


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("新闻" * 600, encoding="utf-8")
    with pytest.raises(InputError, match=r"big\.txt: file is 3,600 bytes, over the 1,000-byte limit"):
        parse_path(path, max_bytes=1000)


def test_parse_json_output_has_the_documented_keys() -> None:
    result = CliRunner().invoke(main, ["parse", str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 8
    assert set(rows[0]) == {"kicker", "title", "subtitle", "byline", "dateline", "body", "truncated", "paper",
                            "date", "page", "lines"}
    assert rows[1]["title"] == "“武广地标”转型记" and rows[1]["date"] == "2023-12-23"
    first, last = rows[1]["lines"]
    raw = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert re.sub(r"\s", "", raw[first - 1]).startswith("株洲日报全媒体记者/廖喜张")
    assert "汇聚地" in raw[last - 1] or "汇聚地" in raw[last - 2]


def test_names_get_pinyin_keys_so_english_questions_find_them() -> None:
    from index.tokenize import match_query, name_keys, query_terms

    assert "pychenhuiqing" in name_keys("市委副书记、市长陈恢清会见来株调研的客人。")
    assert "pychenhuiqing" in (match_query(query_terms("Who met Chen Huiqing?")) or "")
