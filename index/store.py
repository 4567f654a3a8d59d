"""SQLite storage: schema migrations, whole-issue writes, and the read queries behind searches."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError
from .model import Article
from .naming import normalize_page
from .records import ChunkRecord, Filters, IssueInfo
from .tokenize import index_text
from .units import PreparedArticle, PreparedChunk, Unit, heading

DB_NAME = "baoku.sqlite"
_BATCH = 500  # ids per IN (...) list, well under SQLite's variable limit

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("m001_initial", (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE issues (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            paper TEXT, date TEXT, page TEXT,
            source_path TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            ingested_at TEXT NOT NULL)""",
        "CREATE INDEX issues_by_date ON issues(date, paper, page)",
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            source_id TEXT, paper TEXT, date TEXT, page TEXT,
            kicker TEXT, title TEXT, subtitle TEXT, byline TEXT, dateline TEXT,
            body TEXT NOT NULL,
            truncated INTEGER NOT NULL,
            line_first INTEGER, line_last INTEGER,
            content_hash TEXT NOT NULL)""",
        "CREATE INDEX articles_by_issue ON articles(issue_id, ordinal)",
        "CREATE INDEX articles_by_paper ON articles(paper, date)",
        "CREATE INDEX articles_by_date ON articles(date)",
        "CREATE INDEX articles_by_page ON articles(page)",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            embed_hash TEXT NOT NULL,
            vector BLOB NOT NULL)""",
        "CREATE INDEX chunks_by_article ON chunks(article_id)",
        "CREATE INDEX chunks_by_embed_hash ON chunks(embed_hash)",
        # Vectors embedded but not yet stored with a chunk, so an interrupted ingest or rebuild resumes.
        "CREATE TABLE vector_cache (embed_hash TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID",
        "CREATE VIRTUAL TABLE chunks_fts USING fts5(heading, text, tokenize='unicode61')",
    )),
)


@dataclass(frozen=True)
class StoredIssue:
    """An issue row: its id, key and content hash."""

    id: int
    key: str
    content_hash: str


def connect(directory: Path) -> sqlite3.Connection:
    """Open (creating if needed) the index database in WAL mode with foreign keys on; no implicit transactions."""
    conn = sqlite3.connect(directory / DB_NAME, isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        # Both take effect only on a new, empty database. A chunk row (float32 vector + text) is ~2.5 kB, so
        # 4 kB pages would hold one row each; 8 kB pages hold three.
        conn.execute("PRAGMA page_size = 8192")
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
    # Per-connection view of how many chunks hold each full-text term (question term weights, query pruning).
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, 'chunks_fts', 'row')")
    return conn


def reclaim_space(conn: sqlite3.Connection) -> None:
    """Return free pages to the file system after deletions (outside any transaction)."""
    conn.executescript("PRAGMA incremental_vacuum;")  # executescript steps the pragma to completion


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction (BEGIN IMMEDIATE), rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A read transaction: every query inside sees the same committed state."""
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()  # WAL snapshots start at the first read
        yield
    finally:
        conn.execute("ROLLBACK")


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this database has not had yet, recording the schema in `PRAGMA user_version`."""
    if _user_version(conn) == len(MIGRATIONS):
        return
    with transaction(conn):
        version = _user_version(conn)
        if version > len(MIGRATIONS):
            raise IndexCorruptError(
                f"index schema version {version} is newer than this baoku understands; upgrade baoku"
            )
        for number, (name, statements) in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                for statement in statements:
                    conn.execute(statement)
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorname", "") != "SQLITE_ERROR":
                    raise
                raise IndexCorruptError(
                    f"cannot upgrade the index database from schema {version} to {number} ({name}): {exc};"
                    " it was made by another program or an unreleased baoku: ingest the archive into a new index"
                ) from exc
            conn.execute(f"PRAGMA user_version = {number}")
            write_meta(conn, {"migration": name})


def check_schema(conn: sqlite3.Connection) -> None:
    """Raise IndexCorruptError naming the tables and columns of the current schema that the database lacks."""
    problems = []
    for table, columns in _schema(MIGRATIONS).items():
        present = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        missing = [column for column in columns if column not in present]
        if not present:
            problems.append(f"table {table} is missing")
        elif missing:
            problems.append(f"table {table} lacks {', '.join(missing)}")
    if problems:
        raise IndexCorruptError(
            f"the index database is not at schema {_user_version(conn)} as it claims: {'; '.join(problems)};"
            " it was changed by another program or an unreleased baoku: ingest the archive into a new index")


@lru_cache(maxsize=4)
def _schema(migrations: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    """Tables and their columns after `migrations`, from a scratch database (FTS5's shadow tables left out)."""
    scratch = sqlite3.connect(":memory:")
    try:
        for _, statements in migrations:
            for statement in statements:
                scratch.execute(statement)
        rows = scratch.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                               " AND name NOT LIKE 'sqlite_%'").fetchall()
        virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
        tables = [name for name, _ in rows if not any(name.startswith(v + "_") for v in virtual)]
        return {t: tuple(row[1] for row in scratch.execute(f'PRAGMA table_info("{t}")')) for t in tables}
    finally:
        scratch.close()


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """All metadata as strings."""
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def write_meta(conn: sqlite3.Connection, values: Mapping[str, object]) -> None:
    """Insert or update metadata values (stored as text)."""
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(key, str(value)) for key, value in values.items()],
    )


def generation(conn: sqlite3.Connection) -> int:
    """The number of committed writes; names the matching FAISS file."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def bump_generation(conn: sqlite3.Connection) -> int:
    """Count one more committed write (inside its transaction) and return the new generation."""
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    return generation(conn)


def find_issue(conn: sqlite3.Connection, key: str) -> StoredIssue | None:
    """The issue stored under `key`, if any."""
    row = conn.execute("SELECT id, key, content_hash FROM issues WHERE key = ?", (key,)).fetchone()
    return StoredIssue(*row) if row else None


def select_issues(conn: sqlite3.Connection, *, paper: str | None = None, date: str | None = None,
                  page: str | None = None, key: str | None = None) -> list[StoredIssue]:
    """Issues matching every given field."""
    clauses, params = [], []
    for column, value in (("paper", paper), ("date", date), ("page", page), ("key", key)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(normalize_page(value) if column == "page" else value)
    where = " AND ".join(clauses) or "1"
    rows = conn.execute(f"SELECT id, key, content_hash FROM issues WHERE {where} ORDER BY id", params)
    return [StoredIssue(*row) for row in rows]


def issue_of_article(conn: sqlite3.Connection, article_id: int) -> int | None:
    """The id of the issue an article belongs to."""
    row = conn.execute("SELECT issue_id FROM articles WHERE id = ?", (article_id,)).fetchone()
    return int(row[0]) if row else None


def stash_issue_vectors(conn: sqlite3.Connection, issue_id: int) -> list[str]:
    """Copy an issue's chunk vectors into the vector cache before it is replaced; returns their hashes."""
    conn.execute(
        "INSERT OR IGNORE INTO vector_cache (embed_hash, vector) SELECT c.embed_hash, c.vector FROM chunks c"
        " JOIN articles a ON a.id = c.article_id WHERE a.issue_id = ?", (issue_id,))
    return [row[0] for row in conn.execute(
        "SELECT c.embed_hash FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.issue_id = ?",
        (issue_id,))]


def delete_issue(conn: sqlite3.Connection, issue_id: int) -> tuple[list[int], list[tuple[int, str, str | None]]]:
    """Delete an issue with its articles, chunks and full-text rows.

    Returns the removed chunk ids and the removed articles as (id, content hash, source id), for id reuse.
    """
    old_articles = conn.execute("SELECT id, content_hash, source_id FROM articles WHERE issue_id = ?"
                                " ORDER BY ordinal", (issue_id,)).fetchall()
    chunk_ids = _delete_chunks(conn, "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id"
                                     " WHERE a.issue_id = ?", (issue_id,))
    conn.execute("DELETE FROM issues WHERE id = ?", (issue_id,))
    return chunk_ids, old_articles


def delete_article(conn: sqlite3.Connection, article_id: int) -> list[int]:
    """Delete one article with its chunks and full-text rows (and its issue if it was the last article)."""
    issue_id = issue_of_article(conn, article_id)
    chunk_ids = _delete_chunks(conn, "SELECT id FROM chunks WHERE article_id = ?", (article_id,))
    conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    conn.execute("DELETE FROM issues WHERE id = ? AND NOT EXISTS (SELECT 1 FROM articles WHERE issue_id = ?)",
                 (issue_id, issue_id))
    return chunk_ids


def delete_article_chunks(conn: sqlite3.Connection, article_id: int) -> list[int]:
    """Delete an article's chunks and full-text rows, keeping their vectors in the cache for reuse."""
    conn.execute("INSERT OR IGNORE INTO vector_cache (embed_hash, vector)"
                 " SELECT embed_hash, vector FROM chunks WHERE article_id = ?", (article_id,))
    return _delete_chunks(conn, "SELECT id FROM chunks WHERE article_id = ?", (article_id,))


def _delete_chunks(conn: sqlite3.Connection, select_ids: str, params: tuple[object, ...]) -> list[int]:
    ids = [row[0] for row in conn.execute(select_ids, params)]
    conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({select_ids})", params)
    conn.execute(f"DELETE FROM chunks WHERE id IN ({select_ids})", params)
    return ids


def insert_issue(conn: sqlite3.Connection, unit: Unit, articles: Sequence[PreparedArticle],
                 vectors: Mapping[str, bytes], previous: Sequence[tuple[int, str, str | None]] = ()) -> list[int]:
    """Insert an issue with its articles, chunks and full-text rows; returns the new chunk ids.

    Articles of the `previous` version of the issue keep their ids: matched by content hash, else by source id.
    """
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    issue_id = conn.execute(
        "INSERT INTO issues (key, paper, date, page, source_path, content_hash, ingested_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (unit.key, unit.paper, unit.date, unit.page, unit.source_path, unit.content_hash, now)).lastrowid
    ids = _reused_ids(articles, previous)
    chunk_ids = []
    for ordinal, prepared in enumerate(articles, start=1):
        a = prepared.article
        lines = a.lines or (None, None)
        article_id = conn.execute(
            "INSERT INTO articles (id, issue_id, ordinal, source_id, paper, date, page, kicker, title, subtitle,"
            " byline, dateline, body, truncated, line_first, line_last, content_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ids[ordinal - 1], issue_id, ordinal, a.source_id, a.paper, a.date, a.page, a.kicker, a.title,
             a.subtitle, a.byline, a.dateline, a.body, int(a.truncated), *lines, prepared.content_hash)).lastrowid
        title = heading(a.kicker, a.title, a.subtitle)
        chunk_ids.extend(insert_chunks(conn, article_id, title, prepared.chunks, vectors))
    return chunk_ids


def _reused_ids(articles: Sequence[PreparedArticle], previous: Sequence[tuple[int, str, str | None]]
                ) -> list[int | None]:
    """Old article ids for new articles: same content first, then same source id; None for a new id."""
    free = list(previous)
    ids: list[int | None] = [None] * len(articles)
    for field, wanted in ((1, lambda p: p.content_hash), (2, lambda p: p.article.source_id)):
        for position, prepared in enumerate(articles):
            match = next((old for old in free if ids[position] is None and wanted(prepared) is not None
                          and old[field] == wanted(prepared)), None)
            if match:
                ids[position] = match[0]
                free.remove(match)
    return ids


def insert_chunks(conn: sqlite3.Connection, article_id: int, title: str, chunks: Iterable[PreparedChunk],
                  vectors: Mapping[str, bytes]) -> list[int]:
    """Insert an article's chunks with their vectors and full-text rows; returns the new chunk ids."""
    title_terms = index_text(title)
    ids = []
    for chunk in chunks:
        vector = vectors.get(chunk.embed_hash)
        if vector is None:
            raise IndexCorruptError(f"no vector for chunk {chunk.embed_hash} of article {article_id}")
        chunk_id = conn.execute(
            'INSERT INTO chunks (article_id, start, "end", text, embed_hash, vector) VALUES (?, ?, ?, ?, ?, ?)',
            (article_id, chunk.start, chunk.end, chunk.text, chunk.embed_hash, vector)).lastrowid
        conn.execute("INSERT INTO chunks_fts (rowid, heading, text) VALUES (?, ?, ?)",
                     (chunk_id, title_terms, index_text(chunk.text)))
        ids.append(chunk_id)
    return ids


def known_hashes(conn: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    """Those of `hashes` that already have a vector, on a chunk or in the cache."""
    found: set[str] = set()
    for batch in _batches(list(dict.fromkeys(hashes))):
        marks = ",".join("?" * len(batch))
        found.update(row[0] for row in conn.execute(
            f"SELECT embed_hash FROM chunks WHERE embed_hash IN ({marks})"
            f" UNION SELECT embed_hash FROM vector_cache WHERE embed_hash IN ({marks})", batch + batch))
    return found


def find_vectors(conn: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, bytes]:
    """Stored vectors (float32 bytes) for the given embed hashes, from chunks or the cache."""
    found: dict[str, bytes] = {}
    for batch in _batches(list(dict.fromkeys(hashes))):
        marks = ",".join("?" * len(batch))
        for table in ("vector_cache", "chunks"):
            found.update(conn.execute(
                f"SELECT embed_hash, vector FROM {table} WHERE embed_hash IN ({marks})", batch).fetchall())
    return found


def cache_vectors(conn: sqlite3.Connection, hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Keep freshly embedded vectors until the chunks that use them are stored (own transaction)."""
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO vector_cache (embed_hash, vector) VALUES (?, ?)",
                         [(h, np.asarray(v, dtype="<f4").tobytes()) for h, v in zip(hashes, vectors, strict=True)])


def forget_cached(conn: sqlite3.Connection, hashes: Iterable[str] | None = None) -> None:
    """Drop cache entries for the given hashes (all entries when None)."""
    if hashes is None:
        conn.execute("DELETE FROM vector_cache")
        return
    for batch in _batches(list(dict.fromkeys(hashes))):
        conn.execute(f"DELETE FROM vector_cache WHERE embed_hash IN ({','.join('?' * len(batch))})", batch)


def chunk_ids(conn: sqlite3.Connection) -> np.ndarray:
    """Every chunk id, ascending, as int64."""
    return np.fromiter((row[0] for row in conn.execute("SELECT id FROM chunks ORDER BY id")), dtype=np.int64)


def chunk_count(conn: sqlite3.Connection) -> int:
    """How many chunks the index holds."""
    return int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])


def chunk_vectors(conn: sqlite3.Connection, ids: Sequence[int], dim: int) -> np.ndarray:
    """The stored vectors of the given chunk ids, in that order, as an (n, dim) float32 matrix."""
    out = np.empty((len(ids), dim), dtype=np.float32)
    position = {int(chunk_id): row for row, chunk_id in enumerate(ids)}
    for batch in _batches([int(i) for i in ids]):
        query = f"SELECT id, vector FROM chunks WHERE id IN ({','.join('?' * len(batch))})"
        for chunk_id, blob in conn.execute(query, batch):
            out[position[chunk_id]] = _vector(blob, dim, chunk_id)
    return out


def article_chunk_rows(conn: sqlite3.Connection, article_id: int) -> list[tuple[int, int, int, str]]:
    """(id, start, end, embed_hash) of an article's chunks in body order."""
    return conn.execute('SELECT id, start, "end", embed_hash FROM chunks WHERE article_id = ? ORDER BY start, id',
                        (article_id,)).fetchall()


def _vector(blob: bytes, dim: int, chunk_id: int) -> np.ndarray:
    if len(blob) != dim * 4:
        raise IndexCorruptError(f"chunk {chunk_id} has a vector of {len(blob)} bytes, expected {dim * 4}")
    return np.frombuffer(blob, dtype="<f4")


def filtered_chunk_ids(conn: sqlite3.Connection, filters: Filters) -> np.ndarray:
    """Ids of the chunks whose article passes `filters`, as int64."""
    where, params = filter_sql(filters)
    rows = conn.execute(f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", params)
    return np.fromiter((row[0] for row in rows), dtype=np.int64)


def filter_sql(filters: Filters) -> tuple[str, list[str]]:
    """A WHERE condition on articles `a` for `filters`; `date_to` includes every date it prefixes."""
    clauses, params = [], []
    if filters.paper:
        clauses.append("a.paper = ?")
        params.append(filters.paper)
    if filters.date_from:
        clauses.append("a.date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("a.date <= ?")
        params.append(filters.date_to + "\uffff")
    if filters.page:
        clauses.append("a.page = ?")
        params.append(normalize_page(filters.page))
    return " AND ".join(clauses) or "1", params


def bm25(conn: sqlite3.Connection, match: str, k: int, filters: Filters) -> list[tuple[int, float]]:
    """The best `k` chunks for an FTS5 query, as (chunk id, -bm25) with ties broken by chunk id."""
    if filters.active:
        where, params = filter_sql(filters)
        query = ("SELECT chunks_fts.rowid, -bm25(chunks_fts) AS score FROM chunks_fts"
                 " JOIN chunks c ON c.id = chunks_fts.rowid JOIN articles a ON a.id = c.article_id"
                 f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score DESC, chunks_fts.rowid LIMIT ?")
        rows = conn.execute(query, [match, *params, k])
    else:
        rows = conn.execute("SELECT rowid, -bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ?"
                            " ORDER BY score DESC, rowid LIMIT ?", (match, k))
    return [(int(chunk_id), float(score)) for chunk_id, score in rows]


def term_documents(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """How many chunks hold each full-text term; terms that no chunk holds are left out."""
    wanted = list(dict.fromkeys(terms))
    found: dict[str, int] = {}
    for batch in _batches(wanted):
        query = f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({','.join('?' * len(batch))})"
        found.update(conn.execute(query, batch).fetchall())
    return found


def chunks(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, ChunkRecord]:
    """Chunk records by id (ids not in the index are left out)."""
    found = {}
    for batch in _batches([int(i) for i in ids]):
        query = f'SELECT id, article_id, start, "end", text FROM chunks WHERE id IN ({",".join("?" * len(batch))})'
        found.update((row[0], ChunkRecord(*row)) for row in conn.execute(query, batch))
    return found


def article_chunks(conn: sqlite3.Connection, article_id: int) -> list[ChunkRecord]:
    """An article's chunks in body order."""
    rows = conn.execute('SELECT id, article_id, start, "end", text FROM chunks WHERE article_id = ?'
                        " ORDER BY start, id", (article_id,))
    return [ChunkRecord(*row) for row in rows]


_ARTICLE_COLUMNS = "id, source_id, paper, date, page, kicker, title, subtitle, byline, dateline, body, truncated"


def articles(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Article]:
    """Articles by id (ids not in the index are left out)."""
    found = {}
    for batch in _batches([int(i) for i in ids]):
        query = f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({','.join('?' * len(batch))})"
        found.update((row[0], Article(*row[:-1], truncated=bool(row[-1]))) for row in conn.execute(query, batch))
    return found


def article_ids_by_issue(conn: sqlite3.Connection) -> Iterator[tuple[int, list[int]]]:
    """(issue id, its article ids in order) for every issue."""
    rows = conn.execute("SELECT issue_id, id FROM articles ORDER BY issue_id, ordinal").fetchall()
    current, ids = None, []
    for issue_id, article_id in rows:
        if issue_id != current and ids:
            yield current, ids
            ids = []
        current = issue_id
        ids.append(article_id)
    if ids:
        yield current, ids


def sample_titles(conn: sqlite3.Connection, n: int) -> list[str]:
    """Up to `n` random article titles."""
    rows = conn.execute("SELECT title FROM articles WHERE title IS NOT NULL AND title != ''"
                        " ORDER BY random() LIMIT ?", (n,))
    return [row[0] for row in rows]


def counts(conn: sqlite3.Connection) -> dict[str, object]:
    """Totals and the date range for `stats`."""
    papers, articles_, date_from, date_to = conn.execute(
        "SELECT count(DISTINCT paper), count(*), min(date), max(date) FROM articles").fetchone()
    return {
        "papers": papers, "articles": articles_, "date_from": date_from, "date_to": date_to,
        "issues": conn.execute("SELECT count(*) FROM issues").fetchone()[0],
        "chunks": conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
        "fts_rows": conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0],
    }


def bad_vector_count(conn: sqlite3.Connection, dim: int) -> int:
    """How many chunks have a vector blob of the wrong size."""
    return conn.execute("SELECT count(*) FROM chunks WHERE length(vector) != ?", (dim * 4,)).fetchone()[0]


def issue_infos(conn: sqlite3.Connection) -> list[IssueInfo]:
    """Every issue with its article and chunk counts, by date, paper and page."""
    rows = conn.execute(
        "SELECT i.key, i.paper, i.date, i.page,"
        " (SELECT count(*) FROM articles a WHERE a.issue_id = i.id),"
        " (SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.issue_id = i.id),"
        " i.ingested_at FROM issues i ORDER BY i.date IS NULL, i.date, i.paper, i.page, i.key")
    return [IssueInfo(*row) for row in rows]


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """Re-create every full-text row from the chunk texts and article headings (inside a transaction)."""
    conn.execute("DELETE FROM chunks_fts")
    rows = conn.execute("SELECT c.id, c.text, a.kicker, a.title, a.subtitle FROM chunks c"
                        " JOIN articles a ON a.id = c.article_id").fetchall()
    conn.executemany("INSERT INTO chunks_fts (rowid, heading, text) VALUES (?, ?, ?)",
                     [(chunk_id, index_text(heading(*parts)), index_text(text))
                      for chunk_id, text, *parts in rows])


def _batches(items: list, size: int = _BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
