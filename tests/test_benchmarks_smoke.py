"""The benchmark scripts run end to end on tiny inputs with the stand-in embedder, so they cannot rot.

Their numbers are meaningless here; the real runs are described in benchmarks/README.md.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from support import SAMPLE, write_jsonl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import common
import latency
import quality

TOPICS = [
    ("长江", "长江是中国第一长河，全长约6300千米。它发源于青藏高原的唐古拉山脉。"),
    ("黄河", "黄河是中国第二长河，全长约5464千米。黄河流域是中华文明的发祥地之一。"),
    ("泰山", "泰山位于山东省泰安市，主峰玉皇顶海拔1545米。泰山被誉为五岳之首。"),
    ("西湖", "西湖位于浙江省杭州市西部，面积约6.39平方千米。苏堤和白堤横贯湖面。"),
    ("长城", "长城是古代中国的军事防御工程，总长度超过两万千米。秦始皇统一六国后连接了各国长城。"),
    ("熊猫", "大熊猫主要生活在四川、陕西和甘肃的山区。成年大熊猫每天要吃十几千克竹子。"),
    ("故宫", "故宫位于北京中轴线的中心，是明清两代的皇家宫殿。故宫有房屋九千余间。"),
    ("桂林", "桂林山水甲天下，漓江是桂林山水的精华。桂林位于广西壮族自治区东北部。"),
    ("敦煌", "敦煌莫高窟始建于十六国的前秦时期。莫高窟现存洞窟735个。"),
    ("茶叶", "中国是茶的故乡，茶叶种植已有数千年历史。龙井茶产于杭州西湖一带。"),
]
QUESTIONS = [
    ("Q0", "长江全长约多少千米？", ["6300千米"], "P0"),
    ("Q2", "泰山主峰海拔多少米？", ["1545米"], "P2"),
    ("Q4", "谁连接了各国长城？", ["秦始皇"], "P4"),
    ("Q6", "故宫有多少间房屋？", ["九千余间"], "P6"),
    ("Q8", "莫高窟现存多少个洞窟？", ["735个"], "P8"),
]


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    """Ten passages, five questions, a few news articles with messy dates, and two seed_dev questions."""
    passages = write_jsonl(tmp_path / "passages.jsonl",
                           [{"id": f"P{i}", "title": title, "text": text} for i, (title, text) in enumerate(TOPICS)])
    questions = write_jsonl(tmp_path / "questions.jsonl",
                            [{"id": i, "question": q, "answers": a, "passage_id": p} for i, q, a, p in QUESTIONS])
    news = tmp_path / "news.jsonl.gz"
    dates = ["2023-08-08 21:57", "", "来源：央视网  |  2023年08月02日 11:10:08", "7-24 20:27", "2023/07/25  10:10"]
    with gzip.open(news, "wt", encoding="utf-8") as handle:
        for i, date in enumerate(dates):
            record = {"id": f"N{i}", "title": "", "date": date, "text": f"第{i}条新闻。今天天气晴朗，市民外出游玩。"}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    seed = write_jsonl(tmp_path / "seed.jsonl", [
        {"id": "d01", "question": "高新大厦楼高多少米？", "article": "B", "answers": ["168"]},
        {"id": "d13", "question": "火星上一共建了多少座城市？", "article": None, "answers": []},
    ])
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"articles": [{"id": "B", "title": "“武广地标”转型记"}]}, ensure_ascii=False),
                    encoding="utf-8")
    return {"passages": passages, "questions": questions, "news": news, "seed": seed, "gold": gold,
            "work": tmp_path / "work", "results": tmp_path / "results"}


def common_args(data: dict[str, Path]) -> list[str]:
    return ["--stand-in", "--work", str(data["work"]), "--results", str(data["results"])]


def test_quality_all(data: dict[str, Path]) -> None:
    written = quality.main([
        "all", *common_args(data), "--passages", str(data["passages"]), "--questions", str(data["questions"]),
        "--news", str(data["news"]), "--distractors", "5", "--with-distractors", "--seed-issue", str(SAMPLE),
        "--seed-questions", str(data["seed"]), "--gold", str(data["gold"]), "--rrf-k-values", "10",
        "--dense-weight-values", "2", "--depth-values", "20", "--bm25-max-share-values", "0.2",
        "--limit", "5"])
    names = {p.name for p in written}
    assert {"seed_dev.json", "quality.json", "retrieval.json", "threshold.json", "answers.json"} <= names
    results = data["results"]
    seed = json.loads((results / "seed_dev.json").read_text(encoding="utf-8"))
    assert seed["questions"] == 2 and "B" in seed["gold_to_article_id"]
    compared = json.loads((results / "quality.json").read_text(encoding="utf-8"))
    assert set(compared["sets"]) == {"cmrc", "cmrc+news5"}
    assert set(compared["sets"]["cmrc"]["modes"]) == {"dense", "bm25", "hybrid"}
    assert compared["sets"]["cmrc+news5"]["index"]["articles"] == 15
    assert len(json.loads((results / "retrieval.json").read_text(encoding="utf-8"))["runs"]) == 5
    half = json.loads((results / "threshold.json").read_text(encoding="utf-8"))["sets"]["cmrc-half"]
    assert half["index"]["articles"] == 5 and all(len(t) == 101 for t in half["tables"].values())
    assert half["answerable"] + half["unanswerable"] == 5


def test_latency(data: dict[str, Path]) -> None:
    written = latency.main(["--targets", "news20k", "--articles", "5", "--limit", "4", "--warmup", "1",
                            "--news", str(data["news"]), "--question-files", str(data["questions"]),
                            *common_args(data)])
    report = json.loads(written[0].read_text(encoding="utf-8"))
    target = report["targets"]["news20k"]
    assert target["index"]["articles"] == 5 and target["note"] == latency.NOTE_STAND_IN
    assert {"search", "ask"} <= set(target["timings"]) and report["queries"] == 4


def test_news_dates_are_made_acceptable() -> None:
    assert common.iso_date("来源：央视网  |  2023年08月02日 11:10:08") == "2023-08-02"
    assert common.iso_date("2023/07/25  10:10") == "2023-07-25"
    assert common.iso_date("7-24 20:27") is None
    assert common.iso_date("2023-02-30") is None


def test_half_split_is_fixed() -> None:
    ids = [f"P{i}" for i in range(10)]
    assert common.half_split(ids, 0) == common.half_split(ids, 0)
    assert len(common.half_split(ids, 0)) == 5
