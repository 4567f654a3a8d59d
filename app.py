"""The Baoku web chat: ask the archive, read the quoted sources, add new issues.

Run `python app.py` (or `baoku serve`); it listens on 127.0.0.1:7860 unless BAOKU_HOST / BAOKU_PORT say otherwise.
Set BAOKU_UPLOAD_PASSWORD to require a password for uploads. This module only wires Gradio to `qa`.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr

import index
import qa
from index.naming import origin_from_path, parse_date
from qa import crosslingual, render

log = logging.getLogger("baoku.app")

SAMPLE_DIR = Path(index.__file__).parent / "sample"
UPLOAD_SUFFIXES = (".jsonl.gz", ".jsonl", ".ndjson", ".txt")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = [".txt", ".text", ".jsonl", ".ndjson", ".gz"]
ENV_PASSWORD = "BAOKU_UPLOAD_PASSWORD"
ENV_ALLOWED_PATHS = "GRADIO_ALLOWED_PATHS"
EXAMPLE_COUNT = 4
CSS = """
.baoku-article {max-width: 46em; line-height: 1.9; font-family: "Noto Serif CJK SC", "Source Han Serif SC", serif;}
.baoku-article .kicker {color: #8a6d3b; margin: 0;}
.baoku-article h2.title {margin: .2em 0 .3em;}
.baoku-article .subtitle {font-size: 1.1em; margin: 0 0 .4em;}
.baoku-article .byline, .baoku-article .issue {color: #777; font-size: .9em; margin: .1em 0;}
.baoku-article .body p {text-indent: 2em; margin: .5em 0;}
.baoku-article mark {background: #ffe98a; color: inherit; padding: 0 .1em;}
"""


class Baoku:
    """The app's actions; the UI events and the named API endpoints call these same methods."""

    def __init__(self, archive: qa.Archive, upload_password: str | None = None,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.archive = archive
        self.upload_password = upload_password or None
        self.max_upload_bytes = max_upload_bytes

    def ask(self, question: str, paper: str = "", date_from: str = "", date_to: str = "") -> dict[str, Any]:
        """Answer a question with quoted sentences; `markdown` is the chat reply, `sources` the cited articles."""
        question = question if isinstance(question, str) else ""
        try:
            answer = self.archive.ask(question, paper=paper or None, date_from=date_from or None,
                                      date_to=date_to or None)
        except qa.BaokuError as exc:
            return _failed(render.error_markdown(str(exc), question), str(exc))
        except Exception:
            log.exception("question failed: %.200r", question)
            return _failed(render.error_markdown("internal error, see the server log", question), "internal error")
        scope = render.scope_note(question, paper, date_from, date_to)
        return {"found": answer.found, "markdown": render.answer_markdown(answer, question, scope), "error": None,
                "answer": answer.to_dict(), "sources": [asdict(s) for s in render.sources(answer, question)]}

    def article(self, article_id: int, spans: list[list[int]] | None = None) -> dict[str, Any]:
        """The full article as fields and as HTML, with the given [start, end) spans of its body highlighted."""
        try:
            found = self.archive.article(int(article_id))
        except (qa.BaokuError, TypeError, ValueError):
            return {"article": None, "html": render.notice_html(f"找不到这篇文章 no article {article_id!r}")}
        marks = [(int(s[0]), int(s[1])) for s in spans or [] if isinstance(s, list | tuple) and len(s) == 2]
        return {"article": asdict(found), "html": render.article_html(found, marks)}

    def stats(self) -> dict[str, Any]:
        """Index statistics, the indexed issues and the papers they belong to."""
        stats, issues = self.archive.stats(), self.archive.index.issues()
        return {"stats": asdict(stats), "issues": [asdict(i) for i in issues], "papers": render.paper_names(issues)}

    def upload(self, file: str | None, paper: str = "", date: str = "", page: str = "", password: str = "",
               progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008  (Gradio's documented idiom)
        """Index an uploaded issue (text or JSONL); report what was added, replaced, skipped or failed."""
        if self.upload_password and not hmac.compare_digest((password or "").encode(), self.upload_password.encode()):
            return render.upload_error("上传密码不正确 wrong upload password")
        if not file:
            return render.upload_error("请先选择文件 choose a file first")
        name = Path(file).name
        try:
            day = parse_date(date, "日期 date") if (date or "").strip() else None
            with tempfile.TemporaryDirectory(prefix="baoku-upload-") as scratch:
                staged = stage_upload(Path(file), name, Path(scratch), self.max_upload_bytes)
                return self._index(staged, name, (paper or "").strip(), day, (page or "").strip(), progress)
        except qa.BaokuError as exc:
            return render.upload_error(str(exc))
        except Exception:
            log.exception("upload failed: %r", name)
            return render.upload_error(f"{name}: internal error, see the server log")

    def _index(self, staged: Path, name: str, paper: str, day: str | None, page: str, progress: gr.Progress) -> str:
        """Ingest a staged upload, reporting progress under the uploaded name."""
        def advance(key: str, done: int, total: int) -> None:
            if total:
                progress((done, total), desc=f"索引 indexing {render.unstage(key, name, str(staged))}", unit="chunks")

        progress(0, desc=f"解析 parsing {name}")
        try:
            report = self.archive.index.ingest([staged], paper=paper or None, date=day, page=page or None,
                                               on_progress=advance)
        except qa.BaokuError as exc:
            return render.upload_error(render.unstage(str(exc), name, str(staged)))
        return render.ingest_markdown(report, name, str(staged))

    def pose(self, text: str, history: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, str]:
        """Show the question in the chat at once and clear the box; the reply follows."""
        if not (text or "").strip():
            return history, "", ""
        return [*history, {"role": "user", "content": render.question_preview(text)}], "", text

    def reply(self, text: str, history: list[dict[str, Any]], paper: str, date_from: str, date_to: str
              ) -> tuple[Any, ...]:
        """Append the answer to the chat and list its sources; the article view is cleared."""
        if not text:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        result = self.ask(text, paper, date_from, date_to)
        choices = [(s["label"], str(s["article_id"])) for s in result["sources"]]
        spans = {str(s["article_id"]): s["spans"] for s in result["sources"]}
        history = [*history, {"role": "assistant", "content": result["markdown"]}]
        return history, gr.Radio(choices=choices, value=None, visible=bool(choices)), spans, ""

    def read(self, choice: str | None, spans: dict[str, list[list[int]]]) -> str:
        """The chosen source's article, with that answer's quotes marked."""
        return self.article(int(choice), spans.get(choice))["html"] if choice else ""

    def refresh(self) -> tuple[Any, ...]:
        """Statistics, issue table, paper choices and example questions, as the index holds them now."""
        stats, issues = self.archive.stats(), self.archive.index.issues()
        papers = render.paper_names(issues)
        return (render.stats_markdown(stats, papers), render.issue_rows(issues),
                gr.Dropdown(choices=[("全部 All", ""), *[(p, p) for p in papers]]),
                gr.Dataset(samples=[[q] for q in self.examples()]))

    def examples(self) -> list[str]:
        """Example questions made from headlines the index holds."""
        with self.archive.index.snapshot() as snapshot:
            return render.example_questions(snapshot.sample_titles(EXAMPLE_COUNT))


def stage_upload(source: Path, name: str, folder: Path, limit: int) -> Path:
    """Copy an upload into the private `folder` under a cleaned-up form of its name, so that its articles
    are cited by the name the user gave it; the name is never used as a path."""
    size = source.stat().st_size
    if size > limit:
        raise qa.InputError(f"{name}: file is {size:,} bytes, over the {limit:,}-byte upload limit")
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    lowered = base.lower()
    known = next((ending for ending in UPLOAD_SUFFIXES if lowered.endswith(ending)), "")
    suffix = ".txt" if known in ("", ".txt") else (".jsonl.gz" if known == ".jsonl.gz" else ".jsonl")
    stem = _UNSAFE_NAME.sub("_", base[: len(base) - len(known)]).strip(" .")[:100] or "upload"
    target = folder / f"{stem}{suffix}"
    target.write_bytes(source.read_bytes())
    return target


def prefill(file: str | None) -> tuple[str, str, str]:
    """Paper, date and page guessed from an uploaded file's name."""
    if not file:
        return "", "", ""
    origin = origin_from_path(Path(Path(file).name))
    return origin.paper or "", origin.date or "", origin.page or ""


def _failed(markdown: str, error: str) -> dict[str, Any]:
    return {"found": False, "markdown": markdown, "error": error, "answer": None, "sources": []}


def build_app(archive: qa.Archive, *, upload_password: str | None = None,
              max_upload_bytes: int = MAX_UPLOAD_BYTES) -> gr.Blocks:
    """The chat tab (with filters, sources and article view) and the library tab (statistics, issues, upload)."""
    app = Baoku(archive, upload_password, max_upload_bytes)
    with gr.Blocks(title="报库 Baoku", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# 报库 Baoku\n每个回答都是报纸原文的摘录，并注明出处。 Every answer is quoted from the archive, "
                    "with its source.")
        asked, marks = gr.State(""), gr.State({})
        with gr.Tab("问答 / Ask"):
            with gr.Row():
                with gr.Column(scale=4):
                    chatbot = gr.Chatbot(label="报库 Baoku", height=420, feedback_options=None, buttons=["copy"],
                                         elem_id="chat")
                    cited = gr.Radio(label="来源 Sources — 点击阅读原文 click to read the article", choices=[],
                                     visible=False, elem_id="sources")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, placeholder="问报库一个问题 Ask a question …",
                                              scale=5, max_lines=4, elem_id="question")
                        send = gr.Button("提问 Ask", variant="primary", scale=1, elem_id="send")
                    examples = gr.Dataset(label="试试这些问题 Try asking", components=[question], samples=[])
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown("### 筛选 Filters")
                    paper = gr.Dropdown(label="报纸 Paper", choices=[("全部 All", "")], value="")
                    date_from = gr.Textbox(label="起始日期 From", placeholder="2023-12-01")
                    date_to = gr.Textbox(label="截止日期 To", placeholder="2023-12-31")
            reader = gr.HTML(elem_id="article")
        with gr.Tab("报库 / Library"):
            stats_view = gr.Markdown()
            issues_view = gr.Dataframe(headers=render.ISSUE_HEADERS, interactive=False, wrap=True)
            gr.Markdown("### 添加一期 Add an issue\n纯文本或 JSONL（每行一篇）。 Plain text or JSONL (one article a "
                        f"line), up to {max_upload_bytes // 1_048_576} MB.")
            upload_file = gr.File(label="文件 File", file_types=UPLOAD_TYPES, type="filepath", elem_id="upload-file")
            with gr.Row():
                up_paper = gr.Textbox(label="报纸 Paper")
                up_date = gr.Textbox(label="日期 Date", placeholder="YYYY-MM-DD")
                up_page = gr.Textbox(label="版面 Page")
            password = gr.Textbox(label="上传密码 Upload password", type="password", visible=bool(upload_password))
            index_button = gr.Button("索引 Index", variant="primary")
            upload_result = gr.Markdown(elem_id="upload-result")

        private: dict[str, Any] = {"api_visibility": "private"}
        chat_inputs = [asked, chatbot, paper, date_from, date_to]
        chat_outputs = [chatbot, cited, marks, reader]
        for trigger in (question.submit, send.click):
            trigger(app.pose, [question, chatbot], [chatbot, question, asked], queue=False, **private).then(
                app.reply, chat_inputs, chat_outputs, **private)
        examples.click(lambda sample: sample[0], examples, question, queue=False, **private).then(
            app.pose, [question, chatbot], [chatbot, question, asked], queue=False, **private).then(
            app.reply, chat_inputs, chat_outputs, **private)
        cited.change(app.read, [cited, marks], reader, **private).then(
            None, js="() => document.querySelector('#article mark')?.scrollIntoView({block: 'center'})", **private)
        library_outputs = [stats_view, issues_view, paper, examples]
        demo.load(app.refresh, None, library_outputs, **private)
        upload_file.upload(prefill, upload_file, [up_paper, up_date, up_page], queue=False, **private)
        index_button.click(app.upload, [upload_file, up_paper, up_date, up_page, password], upload_result,
                           api_name="upload", concurrency_id="index-writes", concurrency_limit=1).then(
            app.refresh, None, library_outputs, **private)
        gr.api(app.ask, api_name="ask")
        gr.api(app.article, api_name="article")
        gr.api(app.stats, api_name="stats")
    return demo


def ensure_sample(archive: qa.Archive) -> None:
    """On an empty index, index the bundled sample issue so the chat works from the first start."""
    if archive.stats().articles:
        return
    files = sorted(SAMPLE_DIR.glob("*.txt"))
    log.info("empty index at %s: indexing the bundled sample issue %s", archive.path, [f.name for f in files])
    shown = [-1]

    def report(key: str, done: int, total: int) -> None:
        quarter = 4 * done // total if total else 4
        if quarter > shown[0]:
            shown[0] = quarter
            log.info("indexing %s: %d of %d chunks embedded", key, done, total)

    result = archive.index.ingest(files, progress=True, on_progress=report)
    log.info("sample indexed: %d issue(s) added in %.0f s", result.count("added"), result.seconds)


def launch(demo: gr.Blocks, archive: qa.Archive, host: str = "127.0.0.1", port: int = 7860, *,
           block: bool = True) -> None:
    """Serve `demo`; no file outside Gradio's own upload cache is served, and uploads are size-limited."""
    demo.queue(default_concurrency_limit=2)
    # Gradio takes GRADIO_ALLOWED_PATHS from the environment whenever allowed_paths is empty, so it is hidden
    # while the server starts: no setting may make this app serve other files.
    allowed = os.environ.pop(ENV_ALLOWED_PATHS, None)
    if allowed is not None:
        log.warning("ignoring %s=%s: the app serves no files outside its own", ENV_ALLOWED_PATHS, allowed)
    try:
        demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, allowed_paths=[],
                    blocked_paths=[str(archive.path.resolve())], max_file_size=MAX_UPLOAD_BYTES, ssr_mode=False,
                    show_error=False, quiet=not block, css=CSS, theme=gr.themes.Soft(), footer_links=["api"])
    finally:
        if allowed is not None:
            os.environ[ENV_ALLOWED_PATHS] = allowed


def serve(index_dir: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Open the index (indexing the sample issue if it is empty) and serve the chat until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up probes
    archive = qa.open(index_dir)
    threading.Thread(target=crosslingual.prepare, name="baoku-dictionary", daemon=True).start()
    ensure_sample(archive)
    demo = build_app(archive, upload_password=os.environ.get(ENV_PASSWORD))
    log.info("serving %s on http://%s:%d", archive.path, host, port)
    launch(demo, archive, host, port)


if __name__ == "__main__":
    serve(host=os.environ.get("BAOKU_HOST", "127.0.0.1"), port=int(os.environ.get("BAOKU_PORT", "7860")))
