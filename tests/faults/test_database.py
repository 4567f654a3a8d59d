"""The SQLite file itself: not a database, damaged, from an older or foreign schema, and schema migrations.

SQLite is the source of truth, so these cannot be repaired from anything else: the tool must say precisely
what is wrong (one line, exit status 1), and a database that only needs migrating must migrate on open.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from faultkit import BAOKU, Note, check_whole, counts, hash_index
from support import HashEmbedder

import qa
from index import store
from index.errors import IndexCorruptError
from index.library import Index
from qa.cli import main


def open_archive(path: Path) -> qa.Archive:
    return qa.Archive(Index.open(path, embedder=HashEmbedder(), create=False))


def execute(*statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        conn = sqlite3.connect(path / store.DB_NAME)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()
    return change


def random_bytes(path: Path) -> None:
    (path / store.DB_NAME).write_bytes(os.urandom(64 * 1024))


def cut_in_half(path: Path) -> None:
    database = path / store.DB_NAME
    os.truncate(database, database.stat().st_size // 2)


def pre_release(path: Path) -> None:
    """A database as a pre-release (one that kept no schema version) would have left it: no vectors, no FTS."""
    (path / store.DB_NAME).unlink()
    execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT, body TEXT NOT NULL)",
            "CREATE TABLE chunks (id INTEGER PRIMARY KEY, article_id INTEGER, text TEXT NOT NULL)",
            "INSERT INTO articles VALUES (1, '旧文章', '旧版本存下的正文。')")(path)


# what was done -> (change, words of the error)
BROKEN = {
    "random bytes instead of a database": (random_bytes, "is damaged or is not a Baoku index (file is not a database)"),
    "database cut in half": (cut_in_half, "is damaged or is not a Baoku index ("),  # malformed, as SQLite sees it
    "database of a pre-release without a schema version": (
        pre_release, "cannot upgrade the index database from schema 0 to 1 (m001_initial): table meta already exists"),
    "schema 1 without the chunks.vector column": (
        execute("ALTER TABLE chunks DROP COLUMN vector"), "is not at schema 1 as it claims: table chunks lacks vector"),
    "schema 1 without the full-text table": (
        execute("DROP TABLE chunks_fts"), "is not at schema 1 as it claims: table chunks_fts is missing"),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_a_broken_database_is_named_precisely(tmp_path: Path, broken: str, reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=6)
    change, expected = BROKEN[broken]
    change(path)
    with pytest.raises(IndexCorruptError) as raised:
        open_archive(path).search("株洲轨道交通", k=3)
    assert expected in str(raised.value)
    for command in (["stats"], ["repair"], ["ask", "株洲轨道交通有什么消息？"], ["ingest", str(tmp_path)]):
        result = CliRunner().invoke(main, [*command, "--index", str(path)])
        assert result.exit_code == 1, (command, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
        assert expected in result.output
    shown = str(raised.value).replace(str(path), "…/index")
    reliability("fault", "database (API and CLI)", broken,
                f"IndexCorruptError “{shown}”; `baoku stats/repair/ask/ingest` exit 1 with that one line")


def test_the_real_command_exits_1_without_a_traceback(tmp_path: Path, reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=1)
    random_bytes(path)
    done = subprocess.run([BAOKU, "stats", "--index", str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    reliability("fault", "`baoku stats` (subprocess)", "random bytes instead of a database",
                f"exit 1, stderr: “{done.stderr.strip().replace(str(path), '…/index')}”")


def test_an_older_schema_is_migrated_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=3)
    before = counts(path)
    migration = ("m002_article_section", ("ALTER TABLE articles ADD COLUMN section TEXT",
                                          "CREATE INDEX articles_by_section ON articles(section)"))
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, migration))
    archive = open_archive(path)
    conn = store.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert store.read_meta(conn)["migration"] == "m002_article_section"
    assert conn.execute("SELECT count(section) FROM articles").fetchone()[0] == 0
    conn.close()
    assert counts(path) == before
    articles = check_whole(archive)
    archive.index.close()
    reliability("fault", "database", "an index at schema 1 opened by a baoku with a schema-2 migration",
                f"migrated on open (user_version 2, meta records m002); all {articles} articles answerable,"
                " SQLite and FAISS agree")


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=3)
    before = counts(path)
    migration = ("m002_broken", ("ALTER TABLE articles ADD COLUMN section TEXT",
                                 "CREATE INDEX by_missing ON no_such_table(x)"))
    with monkeypatch.context() as patched:
        patched.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, migration))
        with pytest.raises(IndexCorruptError, match=r"from schema 1 to 2 \(m002_broken\): no such table"):
            Index.open(path, create=False)
    conn = store.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "section" not in [row[1] for row in conn.execute("PRAGMA table_info(articles)")]
    conn.close()
    archive = open_archive(path)
    assert counts(path) == before and check_whole(archive)
    archive.index.close()
    reliability("fault", "database", "a schema migration that fails half-way",
                "IndexCorruptError naming the migration and the SQL error; rolled back whole (user_version 1, no"
                " new column); the index opens as before with the old baoku")
