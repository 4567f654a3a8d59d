"""The single-writer lock of an index folder (`write.lock`, held with flock)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexBusyError

LOCK_NAME = "write.lock"


@contextmanager
def write_lock(directory: Path) -> Iterator[None]:
    """Hold the writer lock for the block, or raise IndexBusyError at once if another writer holds it."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexBusyError(f"index is busy: another process is writing to {directory}") from None
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
