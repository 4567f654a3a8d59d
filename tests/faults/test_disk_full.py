"""A full disk: a real one (a small tmpfs filled up) and writes that fail with ENOSPC through a patched file layer.

Either the write is refused whole with a StorageError that says what to do, or what SQLite committed is kept,
readers see it, and `baoku repair` rewrites the vector file and manifest from the stored rows.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np
import pytest
from click.testing import CliRunner
from faultkit import (
    Note,
    check_whole,
    counts,
    disk_ids,
    enospc,
    fill,
    forbid_parsing_and_embedding,
    hash_index,
    issue_records,
    small_filesystem,
    sqlite_ids,
)
from support import HashEmbedder, write_jsonl

import index.library
import qa
from index import store, vectors
from index.errors import StorageError
from index.library import Index
from qa.cli import main

BIG = 8


def open_archive(path: Path) -> qa.Archive:
    return qa.Archive(Index.open(path, embedder=HashEmbedder(), create=False))


def big_issue(folder: Path) -> Path:
    """An issue of eight long articles: more than the filled-up disk can take."""
    records = [{**r, "id": f"big-{n}", "title": f"bigq{n:02d}", "text": r["text"] * 20}
               for n, r in enumerate(issue_records(20, BIG))]
    return write_jsonl(folder / "big.jsonl", records)


def test_a_full_disk_refuses_the_write_whole_and_keeps_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  reliability: Note) -> None:
    monkeypatch.setattr(index.library, "load_embedder", lambda spec: HashEmbedder())  # for the CLI
    with small_filesystem(tmp_path, "2m") as disk:
        path = hash_index(disk / "index")
        before, ids = counts(path), sqlite_ids(path)
        source = big_issue(tmp_path)
        filler = fill(disk, leave=40_000)
        with Index.open(path, embedder=HashEmbedder()) as opened, pytest.raises(StorageError) as raised:
            opened.ingest([source])
        message = str(raised.value)
        assert "database or disk is full" in message and "free space" in message
        assert counts(path) == before and sqlite_ids(path) == ids == disk_ids(path)
        assert not list(path.glob("*.tmp"))
        archive = open_archive(path)
        articles = check_whole(archive)
        assert archive.stats().problems == []
        archive.index.close()

        result = CliRunner().invoke(main, ["ingest", str(source), "--index", str(path), "--no-progress"])
        assert result.exit_code == 1 and result.output.count("\n") == 1
        assert result.output.startswith("error: cannot use the index database") and "disk is full" in result.output
        filler.unlink()
        with Index.open(path, embedder=HashEmbedder()) as opened:
            assert opened.ingest([source]).count("added") == 1
        archive = open_archive(path)
        assert check_whole(archive) == articles + BIG and sqlite_ids(path) == disk_ids(path)
        archive.index.close()
    shown = message.replace(str(path), "…/index")
    reliability("fault", "ingest (API and CLI)", "the disk fills up (2 MB tmpfs) during an ingest",
                f"StorageError, CLI exit 1 with one line: “{shown}”; counts, FAISS and SQLite unchanged,"
                f" all {articles} articles answerable; after freeing space the same ingest completes")


def test_vector_file_on_a_full_disk_is_an_error_not_a_truncated_file(tmp_path: Path, reliability: Note) -> None:
    index_ = vectors.empty(8)
    vectors.add(index_, np.arange(3), np.eye(8, dtype=np.float32)[:3])
    with small_filesystem(tmp_path, "64k") as disk:
        fill(disk)
        with pytest.raises(OSError) as raised:
            vectors.save(index_, disk, 7)
        assert raised.value.errno == errno.ENOSPC
        assert not vectors.file_for(disk, 7).exists() and not list(disk.glob("*.tmp"))
    reliability("fault", "vector file save", "the disk is already full when a small FAISS file is saved",
                "OSError ENOSPC and no file left behind (FAISS's own writer used to leave a 0-byte file and"
                " report success)")


WRITE_FAILURES = {
    "FAISS write": ("index.vectors.faiss.write_index", "vectors-"),
    "fsync": ("os.fsync", "vectors-"),
    "manifest write": ("index.library.write_manifest", "manifest.json"),
}


@pytest.mark.parametrize("where", sorted(WRITE_FAILURES))
def test_enospc_after_the_commit_is_repaired_from_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          where: str, reliability: Note) -> None:
    target, problem_about = WRITE_FAILURES[where]
    path = hash_index(tmp_path / "index", days=2)
    new_issue = write_jsonl(tmp_path / "new.jsonl", issue_records(9))
    with Index.open(path, embedder=HashEmbedder()) as opened, monkeypatch.context() as patched:
        patched.setattr(target, enospc)
        with pytest.raises(StorageError) as raised:
            opened.ingest([new_issue])
    message = str(raised.value)
    assert "No space left on device" in message and "baoku repair" in message
    assert counts(path)[0] == 3, "the commit before the failed save is kept"
    assert not list(path.glob("*.tmp"))

    archive = open_archive(path)
    articles = check_whole(archive)
    problems = archive.stats().problems
    assert any(problem_about in p for p in problems), problems
    archive.index.close()

    forbid_parsing_and_embedding(monkeypatch)
    result = CliRunner().invoke(main, ["repair", "--index", str(path)])
    assert result.exit_code == 0, result.output
    assert "fixed: " in result.output
    assert disk_ids(path) == sqlite_ids(path)
    archive = open_archive(path)
    assert archive.stats().problems == [] and check_whole(archive) == articles
    archive.index.close()
    reliability("fault", "ingest, after the SQLite commit", f"ENOSPC from {where} (patched file layer)",
                f"StorageError “…{message[message.index('('):][:60]}…”; the issue stays committed and answerable;"
                f" stats names {problem_about}…; `baoku repair` rewrites it without parsing or embedding")


def test_enospc_while_saving_a_removal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=3)
    with Index.open(path, embedder=HashEmbedder()) as opened, monkeypatch.context() as patched:
        patched.setattr(faiss, "write_index", enospc)
        with pytest.raises(StorageError):
            opened.remove(date="2024-03-02")
    assert counts(path)[:2] == (2, 4)
    forbid_parsing_and_embedding(monkeypatch)
    with Index.open(path, embedder=HashEmbedder()) as opened:
        assert opened.repair().problems
    assert disk_ids(path) == sqlite_ids(path)
    reliability("fault", "remove", "ENOSPC while the FAISS file of a removal is saved",
                "StorageError; the removal stays committed; repair rewrites the vector file from SQLite")


def test_a_failed_commit_does_not_name_the_next_vector_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=2)
    saved, ids = sorted(p.name for p in path.glob("vectors-*.faiss")), sqlite_ids(path)
    real = store.transaction

    @contextmanager
    def commit_fails_when_generation_moves(conn: sqlite3.Connection) -> Iterator[None]:
        before = store.generation(conn)
        with real(conn):
            yield
            if store.generation(conn) != before:  # as COMMIT fails on a full disk: rolled back, then raised
                full = sqlite3.OperationalError("database or disk is full")
                full.sqlite_errorname = "SQLITE_FULL"
                raise full

    monkeypatch.setattr(store, "transaction", commit_fails_when_generation_moves)
    with Index.open(path, embedder=HashEmbedder()) as opened, pytest.raises(StorageError, match="disk is full"):
        opened.ingest([write_jsonl(tmp_path / "new.jsonl", issue_records(9))])
    assert sorted(p.name for p in path.glob("vectors-*.faiss")) == saved, "no file for a generation never committed"
    assert disk_ids(path) == sqlite_ids(path) == ids
    reliability("fault", "ingest, at COMMIT", "the COMMIT of an issue fails (disk full)",
                "rolled back and reported; the vector file of the committed generation is kept (it used to be"
                " replaced by one named after the generation that never committed)")
