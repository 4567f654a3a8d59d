"""Crash safety: a child process ingesting a batch is SIGKILLed at named fault points and at timed points.

After every kill the index must open, be consistent (SQLite chunks == FAISS vectors == FTS rows), hold only
whole issues, and the re-run must complete. The child uses a fast fake embedder so the kills land mid-ingest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import HashEmbedder, write_jsonl

from index import store
from index.config import Settings
from index.errors import IndexBusyError
from index.faults import ENV_FAULT
from index.library import Index

ROOT = Path(__file__).parents[1]
DATES = [f"2024-{month:02d}-{day:02d}" for month in (1, 2) for day in range(1, 21)]
PER_ISSUE = 3
FAULTS = ["after-parse", "mid-embed", "after-sqlite-commit", "before-faiss-rename", "during-manifest-write"]
CHILD = """
import sys
from index.config import Settings
from index.library import Index
from support import HashEmbedder

settings = Settings.resolve(save_interval=0.1, embed_batch=4)
with Index.open(sys.argv[1], embedder=HashEmbedder(delay=0.02), settings=settings) as index:
    report = index.ingest([sys.argv[2]], on_progress=lambda key, done, total: print(key, done, flush=True))
print("done", report.count("added"), flush=True)
"""
PHRASES = ["株洲轨道交通产业", "醴陵陶瓷出口", "湘江风光带建设", "园区体制机制改革", "城市数智中心", "高新大厦招商"]


def corpus(path: Path) -> Path:
    records = []
    for d, date in enumerate(DATES):
        for n in range(PER_ISSUE):
            sentences = [f"{PHRASES[(d + n + i) % len(PHRASES)]}第{d * 10 + n}号消息，第{i}句内容。" for i in range(14)]
            records.append({"id": f"{date}-{n}", "title": f"新闻{d}-{n}", "text": "".join(sentences),
                            "paper": "测试日报", "date": date, "page": "1"})
    return write_jsonl(path, records)


def start_child(index_dir: Path, source: Path, fault: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    env.pop(ENV_FAULT, None)
    if fault:
        env[ENV_FAULT] = fault
    return subprocess.Popen([sys.executable, "-c", CHILD, str(index_dir), str(source)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check(index_dir: Path) -> int:
    """The index opens, is consistent and holds only whole issues; returns the number of issues."""
    with Index.open(index_dir) as index:
        stats = index.stats()
        assert stats.consistent, stats.problems
        assert stats.chunks == stats.vectors and stats.articles == stats.issues * PER_ISSUE
        assert all(info.articles == PER_ISSUE for info in index.issues())
        if stats.issues:
            with index.snapshot() as snap:
                assert snap.bm25("陶瓷出口", 3)
        return stats.issues


@pytest.fixture
def crash_setup(tmp_path: Path) -> tuple[Path, Path]:
    index_dir = tmp_path / "index"
    Index.open(index_dir, embedder=HashEmbedder(), settings=Settings.resolve()).close()
    return index_dir, corpus(tmp_path / "batch.jsonl")


def test_kill_at_fault_points_and_at_timed_points(crash_setup: tuple[Path, Path]) -> None:
    index_dir, source = crash_setup
    issues = 0
    for fault in FAULTS:
        child = start_child(index_dir, source, fault)
        _, err = child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL, f"{fault}: {err}"
        now = check(index_dir)
        assert now >= issues, fault
        issues = now
        if fault == "before-faiss-rename":
            assert list(index_dir.glob("vectors-*.faiss.tmp"))
        if fault == "during-manifest-write":
            assert (index_dir / "manifest.json.tmp").exists()
    assert issues >= 1

    for lines_before_kill in (6, 20):
        child = start_child(index_dir, source)
        assert child.stdout is not None
        for _ in range(lines_before_kill):
            assert child.stdout.readline(), child.stderr.read() if child.stderr else ""
        with pytest.raises(IndexBusyError, match="index is busy"), Index.open(index_dir) as second:
            second.remove(paper="测试日报")
        check(index_dir)  # a reader while the child writes
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"
        now = check(index_dir)
        assert now > issues
        issues = now

    child = start_child(index_dir, source)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.splitlines()[-1] == f"done {len(DATES) - issues}"
    assert check(index_dir) == len(DATES)
    with Index.open(index_dir) as index:
        assert index.stats().problems == []
    assert len(list(index_dir.glob("vectors-*.faiss"))) == 1 and not list(index_dir.glob("*.tmp"))
    conn = store.connect(index_dir)
    assert conn.execute("SELECT count(*) FROM vector_cache").fetchone()[0] == 0
    conn.close()


def test_an_interrupted_embedding_is_not_repeated(crash_setup: tuple[Path, Path]) -> None:
    index_dir, source = crash_setup
    child = start_child(index_dir, source, "mid-embed")
    child.communicate(timeout=120)
    conn = store.connect(index_dir)
    cached = conn.execute("SELECT count(*) FROM vector_cache").fetchone()[0]
    conn.close()
    assert cached > 0  # the first batch survived the kill
    embedder = HashEmbedder()
    with Index.open(index_dir, embedder=embedder) as index:
        report = index.ingest([source])
        assert report.embedded == embedder.embedded == index.stats().chunks - cached
