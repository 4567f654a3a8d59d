"""kill -9 during the maintenance writes that tests/test_crash.py does not cover: rebuild, remove and repair.

After each kill the index opens, holds only whole issues, every article is answerable, SQLite and FAISS agree,
`repair` makes the files on disk match without parsing or embedding, and running the command again completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faultkit import Note, check_whole, counts, disk_ids, forbid_parsing_and_embedding, hash_index, sqlite_ids
from support import HashEmbedder

import qa
from index import store
from index.faults import ENV_FAULT
from index.library import Index

ROOT = Path(__file__).parents[2]
CHILD = """
import sys
from index.library import Index
from support import HashEmbedder

operation, path = sys.argv[1], sys.argv[2]
with Index.open(path) as index:
    if operation == "rebuild":
        index.rebuild(HashEmbedder(name="other-hash", dim=16))
    elif operation == "remove":
        index.remove(date="2024-03-02")
    else:
        index.repair()
print("done", flush=True)
"""
# operation -> the fault points it passes
KILLS = [("rebuild", "mid-embed"), ("rebuild", "after-sqlite-commit"), ("remove", "before-faiss-rename"),
         ("repair", "before-faiss-rename")]


def run_child(operation: str, path: Path, fault: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    env.pop(ENV_FAULT, None)
    if fault:
        env[ENV_FAULT] = fault
    return subprocess.run([sys.executable, "-c", CHILD, operation, str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def open_archive(path: Path) -> qa.Archive:
    """The index with the fake embedder it now records (the rebuild switches it)."""
    conn = store.connect(path)
    meta = store.read_meta(conn)
    conn.close()
    return qa.Archive(Index.open(path, embedder=HashEmbedder(name=meta["embedder"], dim=int(meta["dim"])),
                                 create=False))


@pytest.mark.parametrize(("operation", "fault"), KILLS)
def test_kill_during_maintenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str, fault: str,
                                 reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=3)
    if operation == "repair":
        next(path.glob("vectors-*.faiss")).write_bytes(b"damaged")
    before = counts(path)
    killed = run_child(operation, path, fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    issues, articles, _ = counts(path)
    assert articles == 2 * issues and (issues, articles) in (before[:2], (2, 4))
    archive = open_archive(path)
    answerable = check_whole(archive)
    embedder = archive.index.settings.embedder
    archive.index.close()
    with monkeypatch.context() as patched:
        forbid_parsing_and_embedding(patched)
        with Index.open(path, create=False) as opened:
            opened.repair()
    assert disk_ids(path) == sqlite_ids(path)

    finished = run_child(operation, path, None)
    assert finished.returncode == 0 and finished.stdout == "done\n", finished.stderr
    archive = open_archive(path)
    assert check_whole(archive) and archive.stats().problems == []
    archive.index.close()
    state = "old" if (issues, articles) == before[:2] and embedder == "test-hash" else "new"
    reliability("fault", f"{operation} (child process)", f"kill -9 at {fault}",
                f"opens in the {state} state ({issues} whole issues, {answerable} articles answerable, SQLite ="
                " FAISS); repair rewrites the files without parsing or embedding; the re-run completes")
