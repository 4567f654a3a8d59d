"""Read already-segmented articles from a JSONL export: one {"id", "title", "text", "date", "paper", "page"} a line."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

from .errors import InputError
from .model import ParsedArticle
from .naming import check_text, normalize_page, parse_date
from .normalize import normalize_text
from .reading import DEFAULT_MAX_BYTES, decode_bytes

_TEXT_FIELDS = ("id", "title", "paper", "date", "page")


def read_jsonl(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, defaults: dict[str, str | None] | None = None
               ) -> list[ParsedArticle]:
    """Parse every line of a JSONL (or .jsonl.gz) file; any bad line fails the whole file, naming the line."""
    data = _read_bytes(path, max_bytes)
    text = decode_bytes(data, str(path))
    defaults = defaults or {}
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            articles.append(_article(json_line(line, path, number), path, number, defaults))
    if not articles:
        raise InputError(f"{path}: no articles in JSONL file")
    return articles


def json_line(line: str, path: Path, number: int) -> dict:
    """Decode one JSONL line into an object, or raise InputError naming file and line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise InputError(f"{path}:{number}: invalid JSON (a number with thousands of digits)") from None
    except RecursionError:
        raise InputError(f"{path}:{number}: invalid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise InputError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
    return record


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        if path.stat().st_size > max_bytes:
            raise InputError(f"{path}: file is {path.stat().st_size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
        if path.suffix == ".gz":
            with gzip.open(path) as handle:
                data = handle.read(max_bytes * 8 + 1)
            if len(data) > max_bytes * 8:
                raise InputError(f"{path}: decompressed size is over the {max_bytes * 8:,}-byte limit")
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{path}: cannot read file ({exc})") from None
    return data


def _article(record: dict, path: Path, number: int, defaults: dict[str, str | None]) -> ParsedArticle:
    where = f"{path}:{number}"
    text = record.get("text")
    body = normalize_text(check_text(text, f"{where}: field \"text\"")) if isinstance(text, str) else ""
    if not body:  # also when only spaces, control or invisible characters were left out
        raise InputError(f"{where}: missing or empty \"text\" field")
    for key in _TEXT_FIELDS:
        value = record.get(key)
        if value is not None and not isinstance(value, str | int):
            raise InputError(f"{where}: field \"{key}\" must be a string")
        if isinstance(value, str):
            check_text(value, f"{where}: field \"{key}\"")
    date = record.get("date") or defaults.get("date")
    page = record.get("page") or defaults.get("page")
    title = str(record["title"]).strip() if record.get("title") else None
    return ParsedArticle(
        body=body,
        title=title or None,
        paper=str(record.get("paper") or defaults.get("paper") or "") or None,
        date=parse_date(str(date), where) if date else None,
        page=normalize_page(page) if page not in (None, "") else None,
        source_id=str(record["id"]) if record.get("id") not in (None, "") else None,
    )
