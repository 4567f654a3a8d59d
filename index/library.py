"""The public index: open, ingest, remove, rebuild, repair and stats, and snapshots for readers.

Example::

    from index.library import Index, Filters
    index = Index.open()                      # $BAOKU_HOME/index or the per-user data folder
    index.ingest(["株洲日报_2023-12-23.txt"])
    with index.snapshot() as snap:
        hits = snap.bm25("轨道交通", k=5, filters=Filters(paper="株洲日报"))
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from . import store, vectors
from .config import Settings, index_dir
from .embedders import Embedder, canonical_spec, load_embedder
from .errors import (
    EmbedderMismatchError,
    IndexBusyError,
    IndexCorruptError,
    InputError,
    NotFoundError,
    StorageError,
)
from .faults import checkpoint
from .locking import write_lock
from .manifest import read_manifest, write_manifest
from .model import Article, ParsedIssue
from .parsing import iter_input_files, parse_path, shown_path
from .records import (
    ChunkRecord,
    Filters,
    IngestReport,
    IssueInfo,
    IssueOutcome,
    RebuildReport,
    RemoveReport,
    RepairReport,
    Stats,
)
from .snapshot import Allowed, Snapshot
from .tokenize import TOKENIZER_VERSION
from .units import PreparedArticle, PreparedChunk, Unit, heading, prepare_article, prepare_chunks, split_units

__all__ = ["ChunkRecord", "Filters", "Index", "IngestReport", "IssueInfo", "Snapshot", "Stats"]

FORMAT_VERSION = 1
_log = logging.getLogger(__name__)
ProgressCallback = Callable[[str, int, int], None]
_ALLOWED_CACHE = 32
_Plan = tuple[Unit, store.StoredIssue | None, list[PreparedArticle]]


@dataclass
class _Loaded:
    """A FAISS index reconciled to one generation, with what was wrong with the files on disk."""

    generation: int
    index: faiss.IndexIDMap2
    problems: tuple[str, ...]


@dataclass
class _Session:
    """A writer's FAISS copy: kept in step with each commit, saved every `save_interval` and at the end."""

    vectors: faiss.IndexIDMap2
    generation: int
    dirty: bool
    last_save: float
    problems: tuple[str, ...]


class Index:
    """One index folder: SQLite (source of truth), FAISS vectors derived from it, and a manifest."""

    def __init__(self, path: Path, conn: sqlite3.Connection, meta: dict[str, str], configured: Settings,
                 embedder: Embedder | None) -> None:
        self.path = path
        self._conn = conn
        self._meta = meta
        self._configured = configured
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._cache: _Loaded | None = None
        self._cache_lock = threading.Lock()
        self._allowed: dict[tuple[int, Filters], Allowed] = {}

    @classmethod
    def open(cls, path: str | Path | None = None, *, embedder: str | Embedder | None = None,
             create: bool = True, settings: Settings | None = None) -> Index:
        """Open the index at `path` (default: BAOKU_HOME or the per-user data folder), creating it if allowed.

        `embedder` None uses the index's own; a different one raises EmbedderMismatchError. `settings` apply
        to a new index and to `rebuild`; an existing index keeps its recorded chunking.
        """
        directory = index_dir(path)
        configured = settings or Settings.resolve()
        if not (directory / store.DB_NAME).exists():
            if not create:
                raise NotFoundError(f"no index at {directory}: run `baoku ingest` to create one")
            directory.mkdir(parents=True, exist_ok=True)
        with _sqlite_errors(directory):
            conn = store.connect(directory)
            try:
                store.migrate(conn)
                store.check_schema(conn)
                meta = store.read_meta(conn)
                loaded = embedder if not isinstance(embedder, str) else None
                created = "embedder" not in meta
                if created:
                    loaded = loaded or load_embedder(embedder or configured.embedder)
                    meta = _initialise(conn, loaded, configured)
                _check_meta(directory, meta, embedder)
            except BaseException:
                conn.close()
                raise
        index = cls(directory, conn, meta, configured, loaded)
        if created:
            index._try_first_save()
        return index

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings(self) -> Settings:
        """The settings in force: the index's embedder and chunking over the configured defaults."""
        return replace(self._configured, embedder=self._meta["embedder"],
                       chunk_chars=int(self._meta["chunk_chars"]),
                       overlap_sentences=int(self._meta["overlap_sentences"]))

    @property
    def dim(self) -> int:
        """Vector dimension of the index's embedder."""
        return int(self._meta["dim"])

    @property
    def embedder(self) -> Embedder:
        """The index's embedder, loaded on first use."""
        with self._embedder_lock:
            if self._embedder is None:
                loaded = load_embedder(self._meta["embedder"])
                if loaded.dim != self.dim:
                    raise IndexCorruptError(f"embedder {loaded.name} gives {loaded.dim}-dimensional vectors but"
                                            f" the index holds {self.dim}; run `baoku rebuild`")
                self._embedder = loaded
            return self._embedder

    # ---- writing -------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], *, paper: str | None = None, date: str | None = None,
               page: str | None = None, progress: bool = False, on_progress: ProgressCallback | None = None
               ) -> IngestReport:
        """Parse and index files, folders (recursively) and JSONL exports; each issue is added, replaced,
        skipped (same content) or failed (reported, nothing lost).

        `on_progress(issue key, chunks embedded so far, chunks to embed)` is called as work advances.
        """
        started = time.monotonic()
        with self._writing() as session:
            parsed, failed = [], []
            for given in paths:
                try:
                    files = iter_input_files([given])
                    if not files:
                        raise InputError(f"{shown_path(given)}: no issue text or JSONL files in this folder")
                except InputError as exc:
                    failed.append(IssueOutcome(shown_path(given), shown_path(given), "failed", error=str(exc)))
                    continue
                for file in files:
                    try:
                        parsed.append(parse_path(file, paper=paper, date=date, page=page))
                    except InputError as exc:
                        failed.append(IssueOutcome(shown_path(file), shown_path(file), "failed", error=str(exc)))
            checkpoint("after-parse")
            outcomes = self._ingest(session, parsed, progress, on_progress)
        return IngestReport(tuple(failed) + outcomes, time.monotonic() - started)

    def ingest_issues(self, issues: Iterable[ParsedIssue], *, progress: bool = False,
                      on_progress: ProgressCallback | None = None) -> IngestReport:
        """Index already-parsed issues (same rules as `ingest`)."""
        started = time.monotonic()
        with self._writing() as session:
            outcomes = self._ingest(session, list(issues), progress, on_progress)
        return IngestReport(outcomes, time.monotonic() - started)

    def remove(self, *, paper: str | None = None, date: str | None = None, page: str | None = None,
               article_id: int | None = None, key: str | None = None) -> RemoveReport:
        """Remove the issues matching paper/date/page (or `key`), or one article by id.

        A removed article stays removed when its unchanged issue is ingested again.
        """
        fields = (paper, date, page, key)
        if article_id is None and all(value is None for value in fields):
            raise InputError("say what to remove: --paper, --date, --page, --key or --article")
        if article_id is not None and any(value is not None for value in fields):
            raise InputError("--article cannot be combined with --paper, --date, --page or --key")
        removed_keys, articles, chunk_ids = [], 0, []
        with self._writing() as session:
            with store.transaction(self._conn):
                if article_id is not None:
                    if store.issue_of_article(self._conn, article_id) is None:
                        raise NotFoundError(f"no article {article_id} in the index")
                    chunk_ids, articles = store.delete_article(self._conn, article_id), 1
                else:
                    for issue in store.select_issues(self._conn, paper=paper, date=date, page=page, key=key):
                        ids, old_articles = store.delete_issue(self._conn, issue.id)
                        removed_keys.append(issue.key)
                        chunk_ids.extend(ids)
                        articles += len(old_articles)
                generation = store.bump_generation(self._conn) if articles else session.generation
            if articles:
                vectors.remove(session.vectors, np.asarray(chunk_ids, dtype=np.int64))
                session.generation, session.dirty = generation, True
                store.reclaim_space(self._conn)
        return RemoveReport(tuple(removed_keys), articles, len(chunk_ids))

    def rebuild(self, embedder: str | Embedder | None = None, *, progress: bool = False) -> RebuildReport:
        """Re-chunk every article with the configured chunking and re-embed it with `embedder` (default: the
        index's own); vectors of unchanged chunks under the same embedder are reused.

        Interrupted rebuilds leave the index as it was and resume from the vectors already computed.
        """
        started = time.monotonic()
        with self._writing() as session:
            if embedder is None:
                name = self._meta["embedder"]
            else:
                name = canonical_spec(embedder) if isinstance(embedder, str) else embedder.name
            chunk_chars, overlap = self._configured.chunk_chars, self._configured.overlap_sentences
            missing: dict[str, str] = {}
            for article in self._all_articles():
                for chunk in self._article_chunks(article, name, chunk_chars, overlap):
                    missing[chunk.embed_hash] = chunk.embed_text
            for known in store.known_hashes(self._conn, missing):
                del missing[known]
            same = name == self._meta["embedder"]
            target = self._target_embedder(embedder) if missing or not same else None
            if target:
                with _bar(len(missing), progress) as bar:
                    self._embed(target, missing, bar.update)
            total = 0
            with store.transaction(self._conn):
                for article in self._all_articles():
                    chunks = self._article_chunks(article, name, chunk_chars, overlap)
                    total += len(chunks)
                    old = store.article_chunk_rows(self._conn, article.id)
                    if [row[1:] for row in old] == [(c.start, c.end, c.embed_hash) for c in chunks]:
                        continue
                    store.delete_article_chunks(self._conn, article.id)
                    found = store.find_vectors(self._conn, [c.embed_hash for c in chunks])
                    title = heading(article.kicker, article.title, article.subtitle)
                    store.insert_chunks(self._conn, article.id, title, chunks, found)
                store.forget_cached(self._conn)
                store.write_meta(self._conn, {"embedder": name, "dim": target.dim if target else self.dim,
                                              "chunk_chars": chunk_chars, "overlap_sentences": overlap})
                generation = store.bump_generation(self._conn)
            session.generation = generation
            checkpoint("after-sqlite-commit")
            self._refresh_meta(self._conn, target)
            session.vectors = self._vectors_from_sqlite(self._conn)
            session.dirty = True
            store.reclaim_space(self._conn)
        return RebuildReport(name, total, len(missing), total - len(missing), time.monotonic() - started)

    def repair(self) -> RepairReport:
        """Check the database, rebuild the full-text rows if their count is off, and rewrite the FAISS file
        and manifest from SQLite."""
        with self._cache_lock:
            self._cache = None  # look at the files on disk, not at what this process remembers
        with self._writing() as session:
            result = [row[0] for row in self._conn.execute("PRAGMA quick_check").fetchall()]
            if result != ["ok"]:
                raise IndexCorruptError(f"the SQLite database in {self.path} is damaged ({result[0]});"
                                        " re-ingest the archive into a new index")
            problems = [*session.problems, *self._manifest_problems(session.generation)]
            counts = store.counts(self._conn)
            if counts["fts_rows"] != counts["chunks"]:
                problems.append(f"full-text table has {counts['fts_rows']} rows for {counts['chunks']} chunks")
            stale = _stale_tokenizer(store.read_meta(self._conn))
            problems.extend(stale)
            fts_rebuilt = counts["fts_rows"] != counts["chunks"] or bool(stale)
            if fts_rebuilt:
                with store.transaction(self._conn):
                    store.rebuild_fts(self._conn)
                    store.write_meta(self._conn, {"tokenizer": TOKENIZER_VERSION})
            session.vectors = self._vectors_from_sqlite(self._conn)
            session.dirty = True
        return RepairReport(tuple(dict.fromkeys(problems)), int(session.vectors.ntotal), fts_rebuilt)

    # ---- reading -------------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A consistent read view: one SQLite read transaction plus the FAISS index of its generation."""
        with self._reading() as conn:
            self._refresh_meta(conn)
            generation = store.generation(conn)
            yield Snapshot(conn, generation, self.dim, lambda: self._vectors(conn, generation).index,
                           lambda filters: self._allowed_ids(conn, generation, filters))

    def stats(self) -> Stats:
        """Counts, date range, embedder, size on disk, and whether SQLite, FTS and FAISS agree."""
        with self._reading() as conn:
            self._refresh_meta(conn)
            generation = store.generation(conn)
            counts = store.counts(conn)
            loaded = self._vectors(conn, generation)
            problems = list(loaded.problems)
            if not vectors.file_for(self.path, generation).exists():
                problems.append(vectors.missing_problem(self.path, generation))
            bad = store.bad_vector_count(conn, self.dim)
        if counts["fts_rows"] != counts["chunks"]:
            problems.append(f"full-text table has {counts['fts_rows']} rows for {counts['chunks']} chunks")
        if bad:
            problems.append(f"{bad} chunks have vectors of the wrong size")
        problems.extend(self._manifest_problems(generation))
        problems.extend(_stale_tokenizer(self._meta))
        consistent = loaded.index.ntotal == counts["chunks"] == counts["fts_rows"] and not bad
        return Stats(
            papers=counts["papers"], issues=counts["issues"], articles=counts["articles"],
            chunks=counts["chunks"], vectors=int(loaded.index.ntotal), date_from=counts["date_from"],
            date_to=counts["date_to"], embedder=self._meta["embedder"], dim=self.dim,
            size_bytes=sum(p.stat().st_size for p in self.path.iterdir() if p.is_file()),
            generation=generation, consistent=consistent, problems=list(dict.fromkeys(problems)),
        )

    def issues(self) -> list[IssueInfo]:
        """Every indexed issue with its article and chunk counts."""
        with self._reading() as conn:
            return store.issue_infos(conn)

    def article(self, article_id: int) -> Article:
        """One stored article; NotFoundError if there is none with that id."""
        with self._reading() as conn:
            found = store.articles(conn, [article_id])
        if article_id not in found:
            raise NotFoundError(f"no article {article_id} in the index")
        return found[article_id]

    # ---- internals -----------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with _sqlite_errors(self.path):
            conn = store.connect(self.path)
            try:
                with store.read_transaction(conn):
                    yield conn
            finally:
                conn.close()

    @contextmanager
    def _writing(self) -> Iterator[_Session]:
        """Hold the writer lock; afterwards save the FAISS file and manifest for what was committed."""
        with write_lock(self.path), _sqlite_errors(self.path):
            self._refresh_meta(self._conn)
            generation = store.generation(self._conn)
            loaded = self._vectors(self._conn, generation)
            session = _Session(faiss.clone_index(loaded.index), generation, dirty=bool(loaded.problems),
                               last_save=time.monotonic(), problems=loaded.problems)
            try:
                yield session
            except BaseException:
                try:
                    self._finish(session)
                except StorageError as exc:  # the write's own error is the one to report
                    _log.warning("%s: %s", self.path, exc)
                raise
            self._finish(session)

    def _finish(self, session: _Session) -> None:
        """Save the FAISS file and manifest of what the session committed, if they are not on disk yet."""
        stale = not vectors.file_for(self.path, session.generation).exists()
        if session.dirty or stale or self._manifest_problems(session.generation):
            self._save(session)
        with self._cache_lock:
            self._cache = _Loaded(session.generation, session.vectors, ())

    def _save(self, session: _Session) -> None:
        try:
            vectors.save(session.vectors, self.path, session.generation)
            write_manifest(self.path, self._manifest(session.generation))
        except OSError as exc:
            raise StorageError(f"cannot save the vector file or manifest in {self.path} ({exc.strerror or exc});"
                               " the database holds every committed issue: free space and run `baoku repair`"
                               ) from exc
        session.dirty = False
        session.last_save = time.monotonic()

    def _ingest(self, session: _Session, parsed: Sequence[ParsedIssue], progress: bool,
                on_progress: ProgressCallback | None) -> tuple[IssueOutcome, ...]:
        settings = self.settings
        outcomes, plans = self._plan(parsed, settings)
        texts = {c.embed_hash: c.embed_text for _, _, prepared in plans for a in prepared for c in a.chunks}
        known = store.known_hashes(self._conn, texts)
        total, done = len(texts) - len(known), 0
        with _bar(total, progress) as bar:
            for unit, stored, prepared in plans:
                todo = {h: texts[h] for a in prepared for c in a.chunks if (h := c.embed_hash) not in known}

                def advance(count: int, key: str = unit.key) -> None:
                    nonlocal done
                    done += count
                    bar.update(count)
                    if on_progress:
                        on_progress(key, done, total)

                if todo:
                    self._embed(self.embedder, todo, advance)
                known.update(todo)
                outcomes.append(self._write_unit(session, unit, stored, prepared, len(todo)))
                if on_progress:
                    on_progress(unit.key, done, total)
                if time.monotonic() - session.last_save >= settings.save_interval:
                    self._save(session)
        return tuple(outcomes)

    def _plan(self, parsed: Sequence[ParsedIssue], settings: Settings) -> tuple[list[IssueOutcome], list[_Plan]]:
        """Split files into issues; skip unchanged ones, refuse repeated keys, chunk the rest."""
        outcomes: list[IssueOutcome] = []
        plans: list[_Plan] = []
        seen: dict[str, str] = {}
        for issue in parsed:
            units = split_units(issue)
            if not units:
                outcomes.append(IssueOutcome(issue.path, issue.path, "failed", error=f"{issue.path}: no articles"))
            for unit in units:
                if unit.key in seen:
                    outcomes.append(IssueOutcome(unit.key, unit.source_path, "failed", error=(
                        f"{unit.source_path}: issue {unit.key} was already read from {seen[unit.key]}")))
                    continue
                seen[unit.key] = unit.source_path
                stored = store.find_issue(self._conn, unit.key)
                if stored and stored.content_hash == unit.content_hash:
                    outcomes.append(IssueOutcome(unit.key, unit.source_path, "skipped", len(unit.articles)))
                    continue
                prepared = [prepare_article(a, settings.embedder, settings.chunk_chars, settings.overlap_sentences)
                            for a in unit.articles]
                plans.append((unit, stored, prepared))
        return outcomes, plans

    def _write_unit(self, session: _Session, unit: Unit, stored: store.StoredIssue | None,
                    prepared: list[PreparedArticle], embedded: int) -> IssueOutcome:
        """Replace (or add) one issue in a single transaction, then update the writer's FAISS copy."""
        hashes = [c.embed_hash for a in prepared for c in a.chunks]
        removed: list[int] = []
        with store.transaction(self._conn):
            old_hashes, previous = [], []
            if stored:
                old_hashes = store.stash_issue_vectors(self._conn, stored.id)
                removed, previous = store.delete_issue(self._conn, stored.id)
            found = store.find_vectors(self._conn, hashes)
            added = store.insert_issue(self._conn, unit, prepared, found, previous)
            store.forget_cached(self._conn, old_hashes + hashes)
            generation = store.bump_generation(self._conn)
        session.generation = generation  # only once committed: a failed commit must not name the next FAISS file
        checkpoint("after-sqlite-commit")
        vectors.remove(session.vectors, np.asarray(removed, dtype=np.int64))
        matrix = np.frombuffer(b"".join(found[h] for h in hashes), dtype="<f4").reshape(-1, self.dim)
        vectors.add(session.vectors, np.asarray(added, dtype=np.int64), matrix)
        session.dirty = True
        _log.info("%s %s: %d articles, %d chunks (%d embedded)", "replaced" if stored else "added", unit.key,
                  len(prepared), len(hashes), embedded)
        return IssueOutcome(unit.key, unit.source_path, "replaced" if stored else "added",
                            len(prepared), len(hashes), embedded)

    def _embed(self, embedder: Embedder, texts: dict[str, str], on_batch: Callable[[int], object]) -> None:
        """Embed `texts` (by embed hash) in batches, keeping each batch in the vector cache as it completes."""
        items = list(texts.items())
        size = self._configured.embed_batch
        for start in range(0, len(items), size):
            batch = items[start:start + size]
            store.cache_vectors(self._conn, [h for h, _ in batch],
                                embedder.embed_passages([text for _, text in batch]))
            checkpoint("mid-embed")
            on_batch(len(batch))

    def _target_embedder(self, spec: str | Embedder | None) -> Embedder:
        if not isinstance(spec, str | None):
            return spec
        if spec is None or canonical_spec(spec) == self._meta["embedder"]:
            return self.embedder
        return load_embedder(spec)

    def _all_articles(self) -> Iterator[Article]:
        for _, article_ids in store.article_ids_by_issue(self._conn):
            yield from store.articles(self._conn, article_ids).values()

    @staticmethod
    def _article_chunks(article: Article, embedder: str, chunk_chars: int, overlap: int
                        ) -> tuple[PreparedChunk, ...]:
        title = heading(article.kicker, article.title, article.subtitle)
        return prepare_chunks(article.body, title, embedder, chunk_chars, overlap)

    def _vectors(self, conn: sqlite3.Connection, generation: int) -> _Loaded:
        """The FAISS index for `generation` (cached), reconciled with SQLite as seen by `conn`."""
        with self._cache_lock:
            if self._cache is not None and self._cache.generation == generation:
                return self._cache
            index, from_generation, problems = vectors.load(self.path, generation, self.dim)
            if index is None:
                index = vectors.empty(self.dim)
            added, removed = vectors.reconcile(index, store.chunk_ids(conn),
                                               lambda ids: store.chunk_vectors(conn, ids, self.dim))
            if (added or removed) and from_generation == generation:
                problems.append(f"{vectors.file_for(self.path, generation).name} disagreed with SQLite"
                                f" ({added} vectors missing, {removed} extra)")
            missing = vectors.missing_problem(self.path, generation)
            for problem in problems:
                # A reader often arrives between a writer's commit and its file write: expected, not a fault.
                _log.log(logging.INFO if problem == missing else logging.WARNING, "%s: %s", self.path, problem)
            self._cache = _Loaded(generation, index, tuple(problems))
            return self._cache

    def _refresh_meta(self, conn: sqlite3.Connection, embedder: Embedder | None = None) -> None:
        """Re-read the metadata; if another process rebuilt the index with another embedder, switch to it."""
        meta = store.read_meta(conn)
        with self._embedder_lock:
            if embedder is not None:
                self._embedder = embedder
            elif self._embedder is not None and self._embedder.name != meta["embedder"]:
                self._embedder = None
            self._meta = meta

    def _allowed_ids(self, conn: sqlite3.Connection, generation: int, filters: Filters) -> Allowed:
        """Chunk ids passing `filters` at `generation`, cached: the UI repeats the same filters."""
        key = (generation, filters)
        with self._cache_lock:
            found = self._allowed.get(key)
        if found is None:
            ids = store.filtered_chunk_ids(conn, filters)
            total = store.chunk_count(conn)
            found = Allowed(None if len(ids) == total else ids, len(ids) / total if total else 1.0)
            with self._cache_lock:
                if len(self._allowed) >= _ALLOWED_CACHE:
                    del self._allowed[next(iter(self._allowed))]
                self._allowed[key] = found
        return found

    def _vectors_from_sqlite(self, conn: sqlite3.Connection) -> faiss.IndexIDMap2:
        index = vectors.empty(int(store.read_meta(conn)["dim"]))
        ids = store.chunk_ids(conn)
        vectors.add(index, ids, store.chunk_vectors(conn, ids, index.d))
        return index

    def _manifest(self, generation: int) -> dict[str, object]:
        return {"format_version": FORMAT_VERSION, "embedder": self._meta["embedder"], "dim": self.dim,
                "chunking": self.settings.chunking(), "generation": generation}

    def _manifest_problems(self, generation: int) -> list[str]:
        current = read_manifest(self.path)
        expected = self._manifest(generation)
        if current == expected:
            return []
        return ["manifest.json is missing or unreadable" if current is None else "manifest.json is out of date"]

    def _try_first_save(self) -> None:
        """Write the empty vector file and manifest of a new index, unless another writer is at it."""
        try:
            with write_lock(self.path):
                if not vectors.generations_on_disk(self.path):
                    vectors.save(vectors.empty(self.dim), self.path, 0)
                write_manifest(self.path, self._manifest(store.generation(self._conn)))
        except IndexBusyError:
            pass


def _initialise(conn: sqlite3.Connection, embedder: Embedder, settings: Settings) -> dict[str, str]:
    """Record the embedder, dimension, chunking and format of a new index (unless another process did)."""
    with store.transaction(conn):
        if "embedder" not in store.read_meta(conn):
            store.write_meta(conn, {"format_version": FORMAT_VERSION, "embedder": embedder.name,
                                    "dim": embedder.dim, "generation": 0, "tokenizer": TOKENIZER_VERSION,
                                    **settings.chunking()})
    return store.read_meta(conn)


def _stale_tokenizer(meta: dict[str, str]) -> list[str]:
    """A problem when the full-text rows were made by another tokenizer version than this baoku's."""
    made_by = int(meta.get("tokenizer", 1))
    if made_by == TOKENIZER_VERSION:
        return []
    return [f"full-text rows were made by tokenizer version {made_by}, this baoku uses {TOKENIZER_VERSION}:"
            " run `baoku repair` to re-create them"]


def _check_meta(directory: Path, meta: dict[str, str], embedder: str | Embedder | None) -> None:
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise IndexCorruptError(f"index {directory} has format {meta['format_version']}, newer than this baoku"
                                f" reads ({FORMAT_VERSION}); upgrade baoku")
    if embedder is None:
        return
    if not isinstance(embedder, str) and embedder.dim != int(meta["dim"]):
        raise EmbedderMismatchError(f"embedder {embedder.name} gives {embedder.dim}-dimensional vectors but index"
                                    f" {directory} holds {meta['dim']}-dimensional ones")
    wanted = canonical_spec(embedder) if isinstance(embedder, str) else embedder.name
    if wanted != meta["embedder"]:
        raise EmbedderMismatchError(
            f"index {directory} was built with embedder '{meta['embedder']}', not '{wanted}';"
            f" run `baoku rebuild --embedder {wanted}` to re-embed it, or open it without --embedder")


@contextmanager
def _sqlite_errors(directory: Path) -> Iterator[None]:
    """Report a damaged database as IndexCorruptError and one that cannot be written as StorageError."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorname", "")
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise IndexCorruptError(f"{directory / store.DB_NAME} is damaged or is not a Baoku index ({exc});"
                                    " restore it from a backup or ingest the archive into a new index") from exc
        if code.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
            raise StorageError(f"cannot use the index database in {directory} ({exc}); nothing half-written is"
                               " kept: free space or fix permissions, then try again") from exc
        raise


@contextmanager
def _bar(total: int, enabled: bool) -> Iterator[tqdm]:
    """A chunk progress bar on stderr; off unless enabled (and then only on a terminal)."""
    with tqdm(total=total, unit="chunk", desc="embedding", disable=None if enabled else True) as bar:
        yield bar
