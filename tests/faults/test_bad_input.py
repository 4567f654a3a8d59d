"""Bad input at every entry point: the CLI (in process and as the installed `baoku`), the Python API, the web app.

Each bad file or question gets one clear error naming the problem, a non-zero exit where there is one, nothing
indexed (counts unchanged), and the server keeps answering. tests/test_parser.py and tests/test_app.py cover
`baoku parse` and a first set of uploads and questions; these add ingest, ask and search, the Python API,
undecodable names and arguments, and the inputs those do not try.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from click.testing import CliRunner
from faultkit import BAD_FILES, BAOKU, Note, counts, hash_index, issue_records, write_bad_files
from gradio_client import Client, handle_file
from support import HashEmbedder, write_jsonl

import index.library
import qa
from index.library import Index
from qa.cli import main

if TYPE_CHECKING:
    from app_fixtures import Server

pytest_plugins = ["app_fixtures"]

HUGE = 21 * 1024 * 1024
BAD_QUESTIONS = {
    "empty": ("", "empty or only punctuation"),
    "only whitespace": (" \t\n\u3000 ", "empty or only punctuation"),
    "only punctuation": ("？！。……，、“”", "empty or only punctuation"),
    "only control characters": ("\x00\x01\x07\x1b[\x7f", "empty or only punctuation"),
    "only lone surrogates": ("\ud800\udfff", "empty or only punctuation"),
    "1,001 characters": ("问" * 1001, "over the 1000-character limit"),
    "a megabyte": ("报" * 1_000_000, "over the 1000-character limit"),
}
BAD_FILTERS = {
    "date that does not exist": ({"date_from": "2023-02-30"}, "is not a date"),
    "date in words": ({"date_to": "next Tuesday"}, "is not a date"),
    "dates the wrong way round": ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "is after"),
    "paper with undecodable bytes": ({"paper": "株洲\udcff"}, "is not valid Unicode text"),
}


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small index that every bad input here is thrown at (none may change it)."""
    return hash_index(tmp_path_factory.mktemp("bad-input") / "index", days=3)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files = write_bad_files(tmp_path_factory.mktemp("bad-files"))
    files["huge.txt"] = files["empty.txt"].with_name("huge.txt")
    with open(files["huge.txt"], "wb") as handle:
        handle.truncate(HUGE)  # sparse: costs no disk
    return files


def expected_error(name: str) -> str:
    return "over the 20,971,520-byte limit" if name == "huge.txt" else BAD_FILES[name][1]


def test_cli_ingest_refuses_each_bad_file_with_one_line(shared_index: Path, bad_files: dict[str, Path],
                                                       reliability: Note) -> None:
    before = counts(shared_index)
    for name, path in bad_files.items():
        result = CliRunner().invoke(main, ["ingest", str(path), "--index", str(shared_index), "--no-progress"])
        lines = result.output.splitlines()
        assert result.exit_code == 1, (name, result.output)
        assert len(lines) == 2 and lines[0].startswith("failed    ") and lines[1].startswith("0 added"), lines
        assert str(path) in lines[0] and expected_error(name) in lines[0], lines[0]
        assert "Traceback" not in result.output and counts(shared_index) == before
        reliability("input", "CLI `baoku ingest`", name,
                    f"exit 1, one line: “{lines[0].removeprefix('failed    ').replace(str(path.parent), '…')}”;"
                    " nothing indexed")


def test_cli_ingest_options_and_names_that_are_not_text(shared_index: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, reliability: Note) -> None:
    monkeypatch.setattr(index.library, "load_embedder", lambda spec: HashEmbedder())
    good = write_jsonl(tmp_path / "good.jsonl", issue_records(20))
    folder = tmp_path / "gbk-names"
    folder.mkdir()
    write_jsonl(folder / "ok.jsonl", issue_records(21))
    (folder / os.fsdecode("株洲日报_2023-12-23.txt".encode("gbk"))).write_text("株洲日报讯 今天天气晴朗。\n",
                                                                           encoding="utf-8")
    before = counts(shared_index)
    cases = {
        "--date 2023-13-45": (["ingest", str(good), "--date", "2023-13-45"], "--date: '2023-13-45' is not a date"),
        "--paper with undecodable bytes": (["ingest", str(good), "--paper", "报\udcff"],
                                           "--paper: '报\\udcff' is not valid Unicode text"),
        "no such file": (["ingest", str(tmp_path / "missing.txt")], "no such file or folder"),
    }
    for case, (args, expected) in cases.items():
        result = CliRunner().invoke(main, [*args, "--index", str(shared_index), "--no-progress"])
        assert result.exit_code == 1 and expected in result.output, (case, result.output)
        assert counts(shared_index) == before
        reliability("input", "CLI `baoku ingest`", case, f"exit 1: “{expected}”; nothing indexed")

    result = CliRunner().invoke(main, ["ingest", str(folder), "--index", str(shared_index), "--no-progress", "--json"])
    assert result.exit_code == 1
    shown_name = json.dumps("\\xd6\\xea")[1:-1]  # 株 in GBK, shown as \xd6\xea, then escaped by JSON
    assert "the file name is not UTF-8" in result.output and shown_name in result.output, result.output
    assert counts(shared_index)[0] == before[0] + 1, "the other file of the folder is indexed"
    reliability("input", "CLI `baoku ingest` of a folder", "a file whose name is GBK bytes, beside a good file",
                "that file refused (“the file name is not UTF-8 …; rename the file”), the good one indexed, exit 1"
                " (it used to stop the whole folder with a UnicodeEncodeError traceback)")


@pytest.mark.parametrize("command", ["ask", "search"])
def test_cli_questions_and_filters(shared_index: Path, command: str, monkeypatch: pytest.MonkeyPatch,
                                   reliability: Note) -> None:
    monkeypatch.setattr(index.library, "load_embedder", lambda spec: HashEmbedder())
    cases = {**{name: ([question], words) for name, (question, words) in BAD_QUESTIONS.items()},
             **{name: (["有什么消息？", f"--{key.replace('_', '-')}", value], words)
                for name, (filters, words) in BAD_FILTERS.items() for key, value in filters.items()
                if len(filters) == 1},
             "k = 0": (["有什么消息？", "-k", "0"], "must be a whole number from 1 to 100"),
             "k = 101": (["有什么消息？", "-k", "101"], "must be a whole number from 1 to 100")}
    for name, (args, words) in cases.items():
        result = CliRunner().invoke(main, [command, *args, "--index", str(shared_index)])
        assert result.exit_code == 1, (name, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1 and words in result.output
        reliability("input", f"CLI `baoku {command}`", name, f"exit 1, one line: “{result.output.strip()[:90]}”")


def test_installed_command_exit_codes(shared_index: Path, bad_files: dict[str, Path], tmp_path: Path,
                                      reliability: Note) -> None:
    folder = tmp_path / "all-bad"
    folder.mkdir()
    for name, path in bad_files.items():
        if name != "huge.txt":
            (folder / name).write_bytes(path.read_bytes())
    (folder / os.fsdecode("报.txt".encode("gbk"))).write_text("本报讯 今天天气晴朗。", encoding="utf-8")
    before = counts(shared_index)
    at_index = ["--index", str(shared_index)]
    runs = {  # the longest argument Linux passes is 128 kB: 40,000 Chinese characters are 120 kB
        f"ingest of a folder of {len(BAD_FILES) + 1} bad files": (["ingest", str(folder), "--no-progress", *at_index],
                                                               None),
        "ask with only whitespace": (["ask", "   ", *at_index], "empty or only punctuation"),
        "search with 40,000 characters": (["search", "报" * 40_000, *at_index], "1000-character limit"),
        "parse of JSONL nested 100,000 deep": (["parse", str(bad_files["deep.jsonl"])], "nested too deeply"),
    }
    for name, (args, words) in runs.items():
        done = subprocess.run([BAOKU, *args], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (name, done.stderr[-2000:])
        if words:
            assert done.stderr.startswith("error: ") and words in done.stderr and done.stderr.count("\n") == 1
            shown = done.stderr.strip()
        else:
            failed = [line for line in done.stdout.splitlines() if line.startswith("failed ")]
            assert len(failed) == len(BAD_FILES) + 1, done.stdout
            shown = f"{len(failed)} lines “failed …”, one per file"
        assert counts(shared_index) == before
        reliability("input", "installed `baoku` command", name, f"exit 1, no traceback; {shown[:100]}")


def test_python_api(shared_index: Path, bad_files: dict[str, Path], reliability: Note) -> None:
    archive = qa.Archive(Index.open(shared_index, embedder=HashEmbedder(), create=False))
    before = counts(shared_index)
    report = archive.ingest(list(bad_files.values()))
    assert not report.ok and report.count("failed") == len(bad_files) == len(report.outcomes)
    for name, outcome in zip(bad_files, report.outcomes, strict=True):
        assert outcome.error and expected_error(name) in outcome.error
    assert counts(shared_index) == before
    reliability("input", "Python API `Archive.ingest`", f"all {len(bad_files)} bad files in one call",
                "one failed outcome per file, each with its one-line error; nothing indexed")

    calls: dict[str, Callable[[], object]] = {
        **{f"ask: {name}": (lambda q=question: archive.ask(q)) for name, (question, _) in BAD_QUESTIONS.items()},
        **{f"search: {name}": (lambda f=filters: archive.search("有什么消息？", **f))
           for name, (filters, _) in BAD_FILTERS.items()},
        "ask: None": lambda: archive.ask(None),  # type: ignore[arg-type]
        "ask: bytes": lambda: archive.ask("问题".encode()),  # type: ignore[arg-type]
        "search: k as text": lambda: archive.search("有什么消息？", k="5"),  # type: ignore[arg-type]
    }
    words = {**{f"ask: {n}": w for n, (_, w) in BAD_QUESTIONS.items()},
             **{f"search: {n}": w for n, (_, w) in BAD_FILTERS.items()},
             "ask: None": "expected text", "ask: bytes": "expected text", "search: k as text": "whole number"}
    for name, call in calls.items():
        with pytest.raises(qa.InputError, match=words[name]) as raised:
            call()
        reliability("input", "Python API", name, f"InputError: “{str(raised.value)[:90]}”")
    hits = archive.search("湘江\x00风光\x1b带\u200b消息")
    assert hits and "湘江风光带" in hits[0].text
    reliability("input", "Python API", "a question with control characters inside",
                "the control characters are dropped and the question is answered")
    archive.index.close()


@pytest.fixture(scope="module")
def web(shared_index: Path, tmp_path_factory: pytest.TempPathFactory,
        serve_archive: Callable[..., AbstractContextManager[Server]]) -> Iterator[Client]:
    """The web app over its own copy of the small index (uploads must not change it either)."""
    archive = qa.Archive(Index.open(hash_index(tmp_path_factory.mktemp("web") / "index", days=3),
                                    embedder=HashEmbedder(), create=False))
    with serve_archive(archive) as server:
        yield Client(server.url, verbose=False)
    archive.index.close()


def test_web_upload_refuses_each_bad_file(web: Client, bad_files: dict[str, Path], reliability: Note) -> None:
    before = web.predict(api_name="/stats")["stats"]
    for name, path in bad_files.items():
        if name == "huge.txt":
            continue  # the server refuses it before the app sees it: tests/test_app.py
        report = web.predict(handle_file(str(path)), "", "", "", "", api_name="/upload")
        assert report.startswith("⚠️ **上传失败 Upload failed:**") and "\n" not in report, (name, report)
        assert expected_error(name) in report.replace("\\", ""), report
        stats = web.predict(api_name="/stats")["stats"]
        assert (stats["issues"], stats["articles"], stats["chunks"]) == (
            before["issues"], before["articles"], before["chunks"]), name
        shown = report.split("**", 2)[2].replace("\\", "").strip()
        reliability("input", "web upload", name, f"one line: “{shown}”; nothing indexed")
    answer = web.predict("湘江风光带有什么消息？", api_name="/ask")
    assert answer["error"] is None and answer["sources"], "the server keeps answering"


def call_raw(client: Client, api: str, data: list[object]) -> dict[str, object]:
    """Call a named endpoint over plain HTTP with a body of \\u escapes: lone surrogates included, which
    gradio_client cannot send."""
    call = f"{client.src.rstrip('/')}/gradio_api/call/{api}"
    body = json.dumps({"data": data})  # ASCII only: "\\ud800" stays an escape
    event = httpx.post(call, content=body, headers={"content-type": "application/json"}, timeout=60).json()
    stream = httpx.get(f"{call}/{event['event_id']}", timeout=60).text
    completed = stream.split("event: complete\ndata: ", 1)
    assert len(completed) == 2, stream[:500]
    return json.loads(completed[1])[0]


def test_web_questions_and_fields(web: Client, reliability: Note) -> None:
    for name, (question, words) in {**BAD_QUESTIONS, "a megabyte": ("报" * 100_000, "1000")}.items():
        result = call_raw(web, "ask", [question, "", "", ""])
        assert result["error"] and str(result["markdown"]).startswith("⚠️"), result
        assert "Traceback" not in str(result["markdown"])
        assert words in str(result["markdown"]).replace("\\", ""), result["markdown"]
        reliability("input", "web /ask", name, f"a one-paragraph warning: “{str(result['error'])[:80]}”")
    result = call_raw(web, "ask", ["有什么消息？", "株洲\udcff", "", ""])
    assert result["error"] and "is not valid Unicode text" in str(result["error"]), result
    reliability("input", "web /ask", "paper filter with a lone surrogate",
                f"a clear message: “{str(result['error'])[:80]}” (it used to be “internal error”)")
    result = web.predict("湘江\x00风光\x1b带消息", api_name="/ask")
    assert result["error"] is None and result["sources"]
    reliability("input", "web /ask", "a question with control characters inside",
                "the control characters are dropped and the question is answered")
