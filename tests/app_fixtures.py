"""Pytest plugin for the web app tests: real Gradio servers on free local ports over copies of the sample index.

Load it with `pytest_plugins = ["app_fixtures"]` and use its fixtures (importing the module directly would stop
pytest from rewriting its asserts); it builds on conftest's session `sample_template`.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

import app
import qa


@dataclass(frozen=True)
class Server:
    """A running app: its base URL, the archive it serves and the Gradio app."""

    url: str
    archive: qa.Archive
    demo: gr.Blocks


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_index(template: Path, target: Path) -> Path:
    """A private copy of an index folder."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("write.lock"))
    return target


@contextmanager
def running(archive: qa.Archive, **options: Any) -> Iterator[Server]:
    """Serve `archive` in this process (as `baoku serve` would, minus blocking) until the block ends."""
    demo = app.build_app(archive, **options)
    port = free_port()
    app.launch(demo, archive, "127.0.0.1", port, block=False)
    try:
        yield Server(f"http://127.0.0.1:{port}/", archive, demo)
    finally:
        demo.close()


@pytest.fixture(scope="session")
def serve_archive() -> Callable[..., AbstractContextManager[Server]]:
    """`with serve_archive(archive, **build_app_options) as server:` runs another server for one test."""
    return running


@pytest.fixture
def unused_port() -> int:
    """A free local TCP port."""
    return free_port()


@pytest.fixture(scope="session")
def app_server(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The chat over the sample issue, shared by tests that only read."""
    archive = qa.open(copy_index(sample_template, tmp_path_factory.mktemp("app") / "index"), create=False)
    with running(archive) as server:
        yield server
    archive.index.close()
