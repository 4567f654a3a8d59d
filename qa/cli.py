"""The `baoku` command line: parse, ingest, search, ask, evaluate, serve."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from index.parsing import parse_path

from . import archive as archive_module
from .citation import cite
from .cli_common import INDEX_OPTION, JSON_OPTION, echo_json, reports_errors
from .evaluation import evaluate, load_questions
from .retrieval import RetrievalSettings


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--paper, --date-from, --date-to, --page."""
    for option in reversed([
        click.option("--paper", default=None, help="Only this paper."),
        click.option("--date-from", default=None, help="Only issues on or after this date (YYYY-MM-DD)."),
        click.option("--date-to", default=None, help="Only issues on or before this date (YYYY-MM-DD)."),
        click.option("--page", default=None, help="Only this page."),
    ]):
        command = option(command)
    return command


@click.group()
@click.version_option(package_name="baoku")
def main() -> None:
    """Baoku (报库): ask a newspaper archive questions, get quoted and cited answers."""


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--paper", default=None, help="Paper name (default: from the file name).")
@click.option("--date", default=None, help="Issue date YYYY-MM-DD (default: from the file name).")
@click.option("--page", default=None, help="Page (default: from the file name).")
@JSON_OPTION
@reports_errors
def parse(file: Path, paper: str | None, date: str | None, page: str | None, as_json: bool) -> None:
    """Show the articles found in FILE, to check segmentation before indexing."""
    issue = parse_path(file, paper=paper, date=date, page=page)
    if as_json:
        rows = [{"kicker": a.kicker, "title": a.title, "subtitle": a.subtitle, "byline": a.byline,
                 "dateline": a.dateline, "body": a.body, "truncated": a.truncated, "paper": a.paper,
                 "date": a.date, "page": a.page, "lines": list(a.lines) if a.lines else None}
                for a in issue.articles]
        echo_json(rows)
        return
    for number, article in enumerate(issue.articles, start=1):
        where = f"lines {article.lines[0]}-{article.lines[1]}" if article.lines else ""
        click.secho(f"[{number}] {article.title or '(no headline)'}  {where}", bold=True)
        for label, value in (("kicker", article.kicker), ("subtitle", article.subtitle),
                             ("byline", article.byline), ("dateline", article.dateline)):
            if value:
                click.echo(f"    {label}: {value}")
        click.echo(f"    body: {len(article.body)} characters{' (truncated)' if article.truncated else ''}")
        click.echo(f"    {article.body[:60]}…")
    if issue.discarded:
        click.echo(f"page furniture left out: {' | '.join(issue.discarded)}")


@main.command()
@click.argument("question")
@click.option("-k", "k", default=10, show_default=True, help="Number of results.")
@filter_options
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def search(question: str, k: int, paper: str | None, date_from: str | None, date_to: str | None,
           page: str | None, index_dir: Path | None, as_json: bool) -> None:
    """Find the passages most relevant to QUESTION."""
    hits = archive_module.open(index_dir, create=False).search(
        question, k=k, date_from=date_from, date_to=date_to, paper=paper, page=page)
    if as_json:
        echo_json([h.to_dict() for h in hits])
        return
    if not hits:
        click.echo("no results")
    for number, hit in enumerate(hits, start=1):
        click.secho(f"[{number}] {cite(hit)}  (article {hit.article_id}, score {hit.score:.4f})", bold=True)
        click.echo(f"    {hit.text}")


@main.command()
@click.argument("question")
@click.option("-k", "k", default=5, show_default=True, help="Number of nearest articles listed.")
@filter_options
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def ask(question: str, k: int, paper: str | None, date_from: str | None, date_to: str | None,
        page: str | None, index_dir: Path | None, as_json: bool) -> None:
    """Answer QUESTION with quotes from the archive, or say that it has no answer."""
    answer = archive_module.open(index_dir, create=False).ask(
        question, k=k, date_from=date_from, date_to=date_to, paper=paper, page=page)
    if as_json:
        echo_json(answer.to_dict())
        return
    if not answer.found:
        click.echo(answer.text)
        return
    for number, quote in enumerate(answer.quotes, start=1):
        click.echo(f"[{number}] “{quote.text}”")
        click.secho(f"    —— {cite(quote)}  (article {quote.article_id}, characters {quote.start}-{quote.end})",
                    dim=True)


@main.command(name="eval")
@click.argument("questions", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--passages", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="JSONL passages to index into a temporary index first.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def eval_command(questions: Path, passages: Path | None, mode: str, index_dir: Path | None, as_json: bool) -> None:
    """Report hit@1, hit@5, MRR, answer-in-quote, refusals and latency on a question set."""
    items = load_questions(questions)
    with tempfile.TemporaryDirectory(prefix="baoku-eval-") as scratch:
        if passages is not None:
            archive = archive_module.open(Path(scratch) / "index")
            archive.ingest([passages], progress=not as_json)
        else:
            archive = archive_module.open(index_dir, create=False)
        archive.retrieval = RetrievalSettings(mode=mode)
        report = evaluate(archive, items)
    if as_json:
        echo_json(report.to_dict())
        return
    for key, value in report.to_dict().items():
        click.echo(f"{key:>28}: {value}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7860, show_default=True, help="Port to listen on.")
@INDEX_OPTION
@reports_errors
def serve(host: str, port: int, index_dir: Path | None) -> None:
    """Start the web chat (indexes the bundled sample issue on first start)."""
    import app

    app.serve(index_dir=index_dir, host=host, port=port)


def _register_index_commands() -> None:
    from .cli_index import register

    register(main)


_register_index_commands()
