"""Options and error handling shared by every `baoku` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from index.errors import BaokuError

INDEX_OPTION = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index directory (default: $BAOKU_HOME/index or the per-user data folder).")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn Baoku's own errors into one line on stderr and exit status 1."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BaokuError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    return wrapper


def echo_json(value: object) -> None:
    """Print a value as indented JSON with Chinese kept readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
