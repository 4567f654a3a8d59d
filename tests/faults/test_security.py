"""Security checks that tests/test_app.py does not make.

test_app.py already refuses /etc/passwd and the index database over HTTP, checks the upload password, the
staging of uploaded names and that `python app.py` listens on 127.0.0.1. Here: nothing ever unpickles a file of
an index folder; no environment setting widens what the server serves or where it listens; the password is
compared with hmac.compare_digest; every way to start the server defaults to loopback.
"""

from __future__ import annotations

import hmac
import inspect
import pickle
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from faultkit import Note, check_whole, hash_index, issue_records
from support import HashEmbedder, listening_addresses, write_jsonl

import app
import qa
from index.library import Index
from qa.cli import main

if TYPE_CHECKING:
    from app_fixtures import Server

pytest_plugins = ["app_fixtures"]

ROOT = Path(__file__).parents[2]
UNPICKLING = re.compile(r"\b(?:pickle|cPickle|dill|joblib|shelve|marshal)\b|torch\.load|allow_pickle"
                        r"|\bn(?:um)?py?\.load\(")


class Trap:
    """Touches a marker file when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[Path], None], tuple[Path]]:
        return Path.touch, (self.marker,)


def test_no_product_code_can_unpickle(reliability: Note) -> None:
    sources = [*(ROOT / "index").rglob("*.py"), *(ROOT / "qa").rglob("*.py"), ROOT / "app.py"]
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}" for path in sources
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if UNPICKLING.search(line)]
    assert found == []
    reliability("security", "source of index/, qa/, app.py", "a search for pickle, dill, joblib, shelve, marshal,"
                " torch.load, numpy.load, allow_pickle", f"none in {len(sources)} files")


def test_pickles_in_an_index_folder_are_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     reliability: Note) -> None:
    path = hash_index(tmp_path / "index", days=2)
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(Trap(marker))
    pickle.loads(payload)
    assert marker.exists(), "the trap works"
    marker.unlink()
    (current,) = path.glob("vectors-*.faiss")
    planted = [current, path / "vectors-99.faiss", path / "vectors-3.faiss.tmp", path / "manifest.json",
               path / "index.pkl", path / "vectors.npy"]
    for file in planted:
        file.write_bytes(payload)
    unpickled: list[object] = []
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, lambda *args, **kwargs: unpickled.append(args))

    archive = qa.Archive(Index.open(path, embedder=HashEmbedder(), create=False))
    check_whole(archive)
    archive.ingest([write_jsonl(tmp_path / "more.jsonl", issue_records(9))])
    archive.index.remove(date="2024-03-01")
    archive.index.repair()
    archive.index.rebuild()
    assert check_whole(archive) == 4
    archive.index.close()
    assert unpickled == [] and not marker.exists()
    reliability("security", "index folder", f"pickles that touch a file when loaded, as {len(planted)} files"
                " (the current FAISS file, another generation, a .tmp, manifest.json, index.pkl, vectors.npy)",
                "open, search, ingest, remove, repair and rebuild never unpickle them: FAISS files are read by"
                " FAISS (unreadable, rebuilt from SQLite), the manifest as JSON, other files not at all")


def test_no_environment_setting_widens_what_is_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      serve_archive: Callable[..., AbstractContextManager[Server]],
                                                      reliability: Note) -> None:
    monkeypatch.setenv(app.ENV_ALLOWED_PATHS, "/")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # must not take effect either
    archive = qa.Archive(Index.open(hash_index(tmp_path / "index", days=1), embedder=HashEmbedder()))
    files = ["/etc/passwd", "/etc/hostname", str(ROOT / "app.py"), "app.py", "pyproject.toml",
             str(archive.path.resolve() / "manifest.json"), str(ROOT / "index" / "store.py")]
    with serve_archive(archive) as server:
        assert server.demo.allowed_paths == []
        port = int(server.url.rstrip("/").rsplit(":", 1)[1])
        assert listening_addresses(port) <= {"0100007F", "00000000000000000000000001000000"}
        for file in files:
            for route in ("gradio_api/file=", "file=", "gradio_api/file/"):
                response = httpx.get(f"{server.url}{route}{file}", timeout=30)
                assert response.status_code in (403, 404), (route, file, response.status_code)
    archive.index.close()
    assert app.os.environ[app.ENV_ALLOWED_PATHS] == "/", "the setting is restored for the rest of the process"
    reliability("security", "web server", "GRADIO_ALLOWED_PATHS=/ and GRADIO_SERVER_NAME=0.0.0.0 in the"
                f" environment, then GETs of {len(files)} files (system, source, index) by 3 routes",
                "allowed_paths stays empty, it listens on 127.0.0.1 only, every request gets 403/404 (the"
                " variable used to open the whole disk: /etc/passwd was served)")


def test_upload_password_is_compared_in_constant_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      reliability: Note) -> None:
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(app.hmac, "compare_digest", spy)
    archive = qa.Archive(Index.open(hash_index(tmp_path / "index", days=1), embedder=HashEmbedder()))
    baoku = app.Baoku(archive, upload_password="口令-s3cret")
    assert "wrong upload password" in baoku.upload(None, password="口令-s3creT")
    assert "wrong upload password" in baoku.upload(None, password=None)  # type: ignore[arg-type]
    assert "choose a file first" in baoku.upload(None, password="口令-s3cret")
    archive.index.close()
    secret = "口令-s3cret".encode()
    assert compared == [("口令-s3creT".encode(), secret), (b"", secret), (secret, secret)]
    reliability("security", "web upload", "a wrong, a missing and the right password (non-ASCII)",
                "each compared as UTF-8 bytes with hmac.compare_digest; only the right one gets past")


def test_every_way_to_start_the_server_defaults_to_loopback(reliability: Note) -> None:
    (host,) = [p for p in main.commands["serve"].params if p.name == "host"]
    defaults = {"baoku serve --host": host.default,
                "app.serve(host=…)": inspect.signature(app.serve).parameters["host"].default,
                "app.launch(host=…)": inspect.signature(app.launch).parameters["host"].default}
    assert set(defaults.values()) == {"127.0.0.1"}, defaults
    reliability("security", "CLI and Python", ", ".join(defaults), "all default to 127.0.0.1")
