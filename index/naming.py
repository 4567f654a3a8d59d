"""Paper, date and page from file names such as `株洲日报_2023-12-23_01.txt` or `株洲日报/2023-12-23/01.txt`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

_DATE = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")
_PAGE = re.compile(r"^(?:第)?([A-Za-z]?)0*(\d{1,3})(?:版)?$")


@dataclass(frozen=True)
class Origin:
    """Where an issue file says it comes from; any part may be unknown."""

    paper: str | None = None
    date: str | None = None
    page: str | None = None


def parse_date(value: str, source: str = "--date") -> str:
    """Return `value` as an ISO date, accepting 2023-12-23, 2023/12/23, 20231223 and 2023年12月23日.

    A time of day after the date (`2023-08-02 07:59`, `2023-08-02T07:59:00`) is ignored.
    """
    match = re.fullmatch(r"\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?"
                         r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\s*", value)
    try:
        if not match:
            raise ValueError
        return dt.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        raise InputError(f"{source}: {value!r} is not a date (expected YYYY-MM-DD)") from None


def check_text(value: str, source: str) -> str:
    """`value` unchanged, or InputError when it cannot be stored as UTF-8: lone surrogates come from bytes that
    were not UTF-8 (a command-line argument in another encoding) or from a bad `\\ud800` escape in JSON."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value[:60].encode("utf-8", "backslashreplace").decode("utf-8").replace("\n", "\\n").replace("\r", "\\r")
        raise InputError(f"{source}: '{shown}' is not valid Unicode text") from None
    return value


def normalize_page(value: str | int) -> str:
    """Page labels without leading zeros: `01` -> `1`, `A03` -> `A3`."""
    text = str(value).strip()
    match = _PAGE.match(text)
    return f"{match.group(1).upper()}{int(match.group(2))}" if match else text


def origin_from_path(path: Path) -> Origin:
    """Guess paper, date and page from the file name and its parent folders."""
    parts = [*path.parent.parts[-2:], path.stem]
    paper = date = page = None
    for part in parts:
        for token in re.split(r"[_\s]+", part):
            if not token:
                continue
            found = _DATE.fullmatch(token)
            if found and date is None:
                try:
                    date = dt.date(*(int(g) for g in found.groups())).isoformat()
                    continue
                except ValueError:
                    pass
            if date is not None and _PAGE.match(token) and page is None:
                page = normalize_page(token)
            elif date is None and re.search(r"[\u4e00-\u9fff]", token):
                paper = token
    return Origin(paper, date, page)
