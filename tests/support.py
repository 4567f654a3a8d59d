"""Test helpers: the sample issue, JSONL writing, and a fast fake embedder for logic tests.

The real embedders are covered by test_embedders, test_ingest and test_st_embedder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).parents[1] / "index" / "sample" / "株洲日报_2023-12-23.txt"


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    """Write records as a JSONL file (Chinese kept readable) and return its path."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


class HashEmbedder:
    """A fast, deterministic stand-in for a real embedder (for logic tests and scale benchmarks).

    Character bigrams are hashed into `dim` buckets and L2-normalised, so texts sharing words land close
    together; the vectors have a real model's shape but not its meaning.
    """

    def __init__(self, name: str = "test-hash", dim: int = 32, delay: float = 0.0) -> None:
        self.name = name
        self.dim = dim
        self.delay = delay
        self.calls: list[int] = []

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        if self.delay:
            time.sleep(self.delay)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            if len(codes) > 1:
                buckets = (codes[:-1] * np.uint64(1_000_003) + codes[1:]) % np.uint64(self.dim)
                out[row] = np.bincount(buckets.astype(np.int64), minlength=self.dim)
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-6)
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed chunks."""
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (same as passages)."""
        return self._embed(texts)

    @property
    def embedded(self) -> int:
        """How many texts this embedder has embedded."""
        return sum(self.calls)


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp and tcp6 write them) with a listening socket on `port`."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found
