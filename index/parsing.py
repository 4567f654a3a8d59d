"""Turn an input file (issue text or JSONL export) into a ParsedIssue."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError
from .jsonl import read_jsonl
from .model import ParsedArticle, ParsedIssue
from .naming import check_text, normalize_page, origin_from_path, parse_date
from .normalize import clean_phrase
from .reading import DEFAULT_MAX_BYTES, read_text
from .segment import body_paragraphs, looks_truncated, segment

TEXT_SUFFIXES = {".txt", ".text", ""}
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


def is_jsonl(path: Path) -> bool:
    """Whether a path names a JSONL export (by its suffix)."""
    return path.name.lower().endswith(JSONL_SUFFIXES)


def iter_input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders recursively into the text and JSONL files they hold, sorted; files are kept as given."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_input(p)))
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{shown_path(path)}: no such file or folder")
    return found


def shown_path(path: str | Path) -> str:
    """A path as printable text: bytes of a file name that are not UTF-8 appear as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_input(path: Path) -> bool:
    return not path.name.startswith(".") and (is_jsonl(path) or path.suffix.lower() in TEXT_SUFFIXES)


def parse_path(path: str | Path, *, paper: str | None = None, date: str | None = None,
               page: str | int | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedIssue:
    """Parse one file; arguments override what the file name says about paper, date and page."""
    path = Path(path)
    if shown_path(path) != str(path):
        raise InputError(f"{shown_path(path)}: the file name is not UTF-8 (an archive from another system?);"
                         " rename the file, e.g. with `convmv -f gbk -t utf-8`")
    for value, source in ((paper, "--paper"), (page, "--page")):
        if isinstance(value, str):
            check_text(value, source)
    origin = origin_from_path(path)
    paper = paper or origin.paper
    date = parse_date(date) if date else origin.date
    page = normalize_page(page) if page not in (None, "") else origin.page
    if is_jsonl(path):
        articles = read_jsonl(path, max_bytes=max_bytes, defaults={"paper": paper, "date": date, "page": page})
        return ParsedIssue(str(path), tuple(articles))
    return parse_text(read_text(path, max_bytes=max_bytes), name=str(path), paper=paper, date=date, page=page)


def parse_text(text: str, *, name: str = "<text>", paper: str | None = None, date: str | None = None,
               page: str | None = None) -> ParsedIssue:
    """Segment the text of one extracted page or issue into articles."""
    result = segment(text)
    articles = []
    discarded = list(result.discarded)
    for index, draft in enumerate(result.drafts, start=1):
        body = "\n".join(body_paragraphs(draft))
        if not body:
            discarded.extend(clean_phrase(line.raw) for line in draft.credit_lines)
            discarded.extend(draft.headline or [])
            continue
        headline = _split(draft.headline)
        numbers = [line.number for line in draft.credit_lines + draft.body]
        articles.append(ParsedArticle(
            body=body, kicker=headline[0], title=headline[1], subtitle=headline[2],
            byline=draft.byline, dateline=draft.dateline, truncated=looks_truncated(draft),
            paper=paper, date=date, page=page, lines=(min(numbers), max(numbers)),
            source_id=f"{Path(name).name}#{index}",
        ))
    return ParsedIssue(name, tuple(articles), tuple(discarded))


def _split(headline: list[str] | None) -> tuple[str | None, str | None, str | None]:
    from .headlines import split_headline

    if not headline:
        return None, None, None
    parts = split_headline(headline)
    return parts.kicker, parts.title, parts.subtitle
