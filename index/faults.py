"""Fault injection for crash tests: kill this process at a named point when BAOKU_FAULT_AT names it."""

from __future__ import annotations

import os
import signal

ENV_FAULT = "BAOKU_FAULT_AT"


def checkpoint(name: str) -> None:
    """SIGKILL the current process if the environment variable BAOKU_FAULT_AT equals `name`."""
    if os.environ.get(ENV_FAULT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
