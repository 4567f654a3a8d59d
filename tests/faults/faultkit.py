"""Helpers of the fault-injection suite: small indexes, what is on disk, and checks that nothing was lost."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from support import HashEmbedder, write_jsonl

import index.library
import index.parsing
import qa
from index import store, vectors
from index.config import Settings
from index.library import Index

Area = Literal["fault", "input", "fuzz", "security", "load"]
Note = Callable[[Area, str, str, str], None]
BAOKU = str(Path(sys.executable).with_name("baoku"))  # the installed command, as users run it
PAPER = "测试日报"
TOPICS = ["株洲轨道交通", "醴陵陶瓷出口", "湘江风光带", "园区体制改革", "城市数智中心", "高新大厦招商"]


@dataclass(frozen=True)
class Case:
    """One injected fault or bad input: where it went in, what it was and what the tool did."""

    area: Area
    entry: str
    injected: str
    outcome: str


def issue_records(day: int, articles: int = 2, marker: str = "") -> list[dict[str, str]]:
    """The JSONL records of one dated issue whose articles each have their own topic and title."""
    date = f"2024-03-{day:02d}"
    return [{"id": f"{date}-{n}", "title": f"{TOPICS[(day + n) % len(TOPICS)]}{marker}第{day}期{n}号",
             "text": f"{TOPICS[(day + n) % len(TOPICS)]}{marker}消息第{day}期第{n}篇。" * 3 + "记者报道了详细情况。",
             "paper": PAPER, "date": date, "page": "1"} for n in range(articles)]


_GOOD_LINE = '{"id": "g1", "title": "好文章", "text": "这是一篇完整的文章。", "date": "2024-05-01"}\n'
# file name -> (content, words the one error must contain)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "file is empty"),
    "whitespace.txt": (b" \n\t\r\n   ", "file is empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "looks like a binary file"),
    "utf16-without-bom.txt": ("株洲日报讯 今天天气晴朗。".encode("utf-16-le"), "looks like a binary file"),
    "latin1.txt": ("Café crème, naïve façade, ÿ über alles.".encode("latin-1"), "not valid UTF-8 or GB18030"),
    "control-characters.txt": (b"\x01\x02\x07\x1b[31m\x7f" * 200, "not valid UTF-8 or GB18030"),
    "broken-line.jsonl": ((_GOOD_LINE + '{"text": "半行\n').encode(), "broken-line.jsonl:2: invalid JSON"),
    "missing-text.jsonl": (b'{"title": "no body", "date": "2024-05-01"}\n', 'missing or empty "text" field'),
    "invisible-text.jsonl": (b'{"text": "\\u001b\\u200b\\u0007"}\n', 'missing or empty "text" field'),
    "wrong-type.jsonl": ('{"text": "正文。", "title": ["a", "b"]}\n'.encode(), 'field "title" must be a string'),
    "bad-date.jsonl": ('{"text": "正文。", "date": "2024-02-30"}\n'.encode(), "'2024-02-30' is not a date"),
    "not-an-object.jsonl": (b"[1, 2, 3]\n", "expected a JSON object, got list"),
    "deep.jsonl": (b"[" * 100_000 + b"]" * 100_000 + b"\n", "deep.jsonl:1: invalid JSON (nested too deeply)"),
    "long-number.jsonl": (b'{"text": "x", "id": ' + b"7" * 5000 + b"}\n", "a number with thousands of digits"),
    "lone-surrogate.jsonl": (b'{"text": "\\ud800\xe6\xad\xa3\xe6\x96\x87"}\n', "is not valid Unicode text"),
    "corrupt.jsonl.gz": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40, "cannot read file"),
    "good-lines-then-a-bad-one.jsonl": ((_GOOD_LINE * 3 + "{oops}\n").encode(), ":4: invalid JSON"),
}


def write_bad_files(folder: Path) -> dict[str, Path]:
    """Write every file of BAD_FILES into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (data, _) in BAD_FILES.items():
        written[name] = folder / name
        written[name].write_bytes(data)
    return written


def hash_index(path: Path, days: int = 3, **settings: object) -> Path:
    """An index with the fast fake embedder holding `days` issues of two articles each."""
    source = write_jsonl(path.parent / f"{path.name}-source.jsonl",
                         [r for day in range(1, days + 1) for r in issue_records(day)])
    with Index.open(path, embedder=HashEmbedder(), settings=Settings.resolve(**settings)) as opened:
        report = opened.ingest([source])
    assert report.count("added") == days
    return path


def copy_index(template: Path, target: Path) -> Path:
    """A private copy of an index folder."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("write.lock"))
    return target


def counts(path: Path) -> tuple[int, int, int]:
    """(issues, articles, chunks) as SQLite holds them."""
    conn = store.connect(path)
    try:
        found = store.counts(conn)
        return int(found["issues"]), int(found["articles"]), int(found["chunks"])
    finally:
        conn.close()


def sqlite_ids(path: Path) -> list[int]:
    """Chunk ids in SQLite."""
    conn = store.connect(path)
    try:
        return store.chunk_ids(conn).tolist()
    finally:
        conn.close()


def disk_ids(path: Path) -> list[int] | None:
    """Chunk ids in the FAISS file of the current generation, None if that file is missing or unreadable."""
    conn = store.connect(path)
    try:
        generation, dim = store.generation(conn), int(store.read_meta(conn)["dim"])
    finally:
        conn.close()
    loaded, found, _ = vectors.load(path, generation, dim)
    return sorted(vectors.ids_of(loaded).tolist()) if found == generation else None


def check_whole(archive: qa.Archive, k: int = 3) -> int:
    """Every stored article is found by a search for its headline, and SQLite, FTS and FAISS agree.

    Returns the number of articles checked.
    """
    stats = archive.stats()
    assert stats.consistent and stats.vectors == stats.chunks, stats
    with archive.index.snapshot() as snap:
        ids = sorted(a for _, ids in store.article_ids_by_issue(snap._conn) for a in ids)
    for article_id in ids:
        headline = archive.article(article_id).headline
        assert article_id in [hit.article_id for hit in archive.search(headline, k=k)], headline
    return len(ids)


def forbid_parsing_and_embedding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any parse or embedder load fail, to prove that a repair works from the stored rows alone."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("repair must not parse or embed")

    monkeypatch.setattr(index.parsing, "parse_path", refuse)
    monkeypatch.setattr(index.library, "parse_path", refuse)
    monkeypatch.setattr(index.library, "load_embedder", refuse)
    monkeypatch.setattr(HashEmbedder, "embed_passages", refuse)


def enospc(*args: object, **kwargs: object) -> None:
    """Stands in for a write on a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@contextmanager
def small_filesystem(parent: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted under `parent` for the block; skips the test where mounting is not allowed."""
    mount_point = parent / f"tmpfs-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
    try:
        mounted = subprocess.run(command, capture_output=True, text=True, check=False)
        problem = (mounted.stderr.strip() or f"exit status {mounted.returncode}") if mounted.returncode else ""
    except FileNotFoundError:
        problem = "no mount command"
    if problem:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a {size} tmpfs to fill up (needs root where mount is allowed): {problem}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)
        mount_point.rmdir()


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill the file system holding `directory` until at most `leave` bytes are free; returns the filler."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:
        while (free := shutil.disk_usage(directory).free) > leave:
            try:
                handle.write(b"\0" * min(1 << 20, free - leave))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler
