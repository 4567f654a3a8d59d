"""`manifest.json`: a readable copy of the index metadata, replaced atomically by writers."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .faults import checkpoint

MANIFEST_NAME = "manifest.json"


def write_manifest(directory: Path, data: dict[str, object]) -> None:
    """Write the manifest to a temporary file, fsync it and rename it over the old one."""
    payload = (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    target = directory / MANIFEST_NAME
    tmp = target.with_name(MANIFEST_NAME + ".tmp")
    with open(tmp, "wb") as handle:
        half = len(payload) // 2
        handle.write(payload[:half])
        handle.flush()
        checkpoint("during-manifest-write")
        handle.write(payload[half:])
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def read_manifest(directory: Path) -> dict[str, object] | None:
    """The manifest's contents, or None when it is missing or unreadable."""
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
