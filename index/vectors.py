"""The FAISS index of chunk vectors: one file per generation, atomic saves, reconciliation with SQLite."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from .faults import checkpoint

_FILE = re.compile(r"^vectors-(\d+)\.faiss$")


def empty(dim: int) -> faiss.IndexIDMap2:
    """An empty exact inner-product index keyed by chunk id (cosine on normalised vectors)."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def ids_of(index: faiss.IndexIDMap2) -> np.ndarray:
    """The chunk ids held by an index."""
    return faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)


def add(index: faiss.IndexIDMap2, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Add vectors under the given chunk ids."""
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))


def remove(index: faiss.IndexIDMap2, ids: np.ndarray) -> None:
    """Remove the given chunk ids (ids not present are ignored)."""
    if len(ids):
        index.remove_ids(np.asarray(ids, dtype=np.int64))


def reconcile(index: faiss.IndexIDMap2, want: np.ndarray,
              fetch: Callable[[np.ndarray], np.ndarray]) -> tuple[int, int]:
    """Make the index hold exactly the ids in `want`, fetching missing vectors; returns (added, removed)."""
    have = ids_of(index)
    extra = np.setdiff1d(have, want)
    missing = np.setdiff1d(want, have)
    remove(index, extra)
    if missing.size:
        add(index, missing, fetch(missing))
    return int(missing.size), int(extra.size)


def file_for(directory: Path, generation: int) -> Path:
    """The vector file that matches a generation."""
    return directory / f"vectors-{generation}.faiss"


def generations_on_disk(directory: Path) -> list[int]:
    """Generations of the vector files present, newest first."""
    found = (_FILE.match(name) for name in os.listdir(directory))
    return sorted((int(m.group(1)) for m in found if m), reverse=True)


def load(directory: Path, generation: int, dim: int) -> tuple[faiss.IndexIDMap2 | None, int | None, list[str]]:
    """Read the file for `generation`, else the newest readable one; returns (index, its generation, problems)."""
    problems = []
    on_disk = generations_on_disk(directory)
    if generation not in on_disk:
        problems.append(missing_problem(directory, generation))
    for candidate in sorted(on_disk, key=lambda g: (g != generation, -g)):
        path = file_for(directory, candidate)
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            if path.exists():  # otherwise a writer just replaced it: not a problem
                problems.append(f"{path.name} is unreadable ({str(exc).splitlines()[0][:120]})")
            continue
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            problems.append(f"{path.name} is not a {dim}-dimensional id-mapped index")
            continue
        return index, candidate, problems
    return None, None, problems


def save(index: faiss.IndexIDMap2, directory: Path, generation: int) -> Path:
    """Write the index for `generation` beside the old files, rename it into place, then delete the old ones.

    The bytes go through Python's file layer: FAISS's own file writer only prints a failed close (a full disk)
    and returns as if the file were whole. A failed write raises OSError and leaves no partial file behind.
    """
    target = file_for(directory, generation)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            faiss.write_index(index, faiss.PyCallbackIOWriter(handle.write))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    checkpoint("before-faiss-rename")
    os.replace(tmp, target)
    _fsync_dir(directory)
    for name in os.listdir(directory):
        match = _FILE.match(name)
        stale_tmp = name.startswith("vectors-") and name.endswith(".faiss.tmp")
        if (match and int(match.group(1)) != generation) or stale_tmp:
            (directory / name).unlink(missing_ok=True)
    return target


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def missing_problem(directory: Path, generation: int) -> str:
    """How a missing vector file for the current generation is reported."""
    return (f"{file_for(directory, generation).name} is not written yet (a write is in progress or was"
            " interrupted); readers rebuild it in memory, the next write or `baoku repair` saves it")
