"""The fault-injection suite's recorder: every case notes what was injected and what happened.

Tests here call the `reliability` fixture once per case; the older reliability tests elsewhere (named in
`EXISTING`) are recorded from their outcome alone. With BAOKU_RELIABILITY_JSON=path set, the cases and each
test's outcome are written to that file when the run ends, and `python scripts/reliability_report.py` renders
them as docs/reliability.md. Without it nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from faultkit import Area, Case, Note

ENV_OUT = "BAOKU_RELIABILITY_JSON"
PLUGIN = "baoku-reliability"
_TEMPORARY = re.compile(r"/\S*?/pytest-\d+/(?:[^/\s“”]+/)*")  # pytest's temporary folders, which change every run

# Tests outside tests/faults that already prove part of the issue: test (without parameters) -> its case.
EXISTING: dict[str, Case] = {
    "tests/test_crash.py::test_kill_at_fault_points_and_at_timed_points": Case(
        "fault", "ingest (child process)", "kill -9 at after-parse, mid-embed, after-sqlite-commit,"
        " before-faiss-rename, during-manifest-write, then at two timed points",
        "after each kill the index opens consistent with whole issues only; a second writer is refused"
        " and a reader works meanwhile; the re-run completes"),
    "tests/test_crash.py::test_an_interrupted_embedding_is_not_repeated": Case(
        "fault", "ingest (child process)", "kill -9 mid-embedding",
        "the batches embedded before the kill are reused; only the rest is embedded"),
    "tests/test_store.py::test_vector_files_are_atomic_and_corruption_is_survived": Case(
        "fault", "index", "FAISS file cut in half", "readers rebuild it from SQLite; repair rewrites it"),
    "tests/test_store.py::test_repair_rebuilds_a_damaged_full_text_table": Case(
        "fault", "index", "a full-text row deleted", "stats reports the mismatch; repair rebuilds the FTS rows"),
    "tests/test_store.py::test_second_writer_gets_busy_error": Case(
        "fault", "index", "a second writer while the lock is held", "IndexBusyError at once; readers unaffected"),
    "tests/test_parser.py::test_bad_input_is_one_clear_line_naming_the_file": Case(
        "input", "CLI `baoku parse`", "bad file", "one line `error: …` naming the file, exit 1"),
    "tests/test_parser.py::test_arbitrary_text_raises_nothing_but_input_error": Case(
        "fuzz", "issue parser", "hypothesis: 150 random texts and page-like texts", "only InputError"),
    "tests/test_app.py::test_bad_uploads_get_one_clear_error": Case(
        "input", "web upload", "bad file", "one-line error, staging path hidden, server keeps serving"),
    "tests/test_app.py::test_bad_questions_get_a_clear_message": Case(
        "input", "web /ask", "bad question", "a clear message, no traceback"),
    "tests/test_app.py::test_no_file_outside_the_app_is_served": Case(
        "security", "web server", "GET of a file outside the app", "403 or 404, no file content"),
    "tests/test_app.py::test_index_files_are_not_served": Case(
        "security", "web server", "GET of the index database", "403 or 404"),
    "tests/test_app.py::test_upload_password": Case(
        "security", "web upload", "empty, partial and wrong-case passwords", "refused; the right one indexes"),
    "tests/test_app.py::test_upload_refuses_server_paths_it_was_not_sent": Case(
        "security", "web upload", "an upload naming a server path it did not send", "refused, nothing indexed"),
    "tests/test_app.py::test_oversized_uploads_are_refused_by_the_server": Case(
        "security", "web upload", "a file over the 20 MB limit", "HTTP 413; the server keeps serving"),
    "tests/test_app.py::test_stage_upload_never_uses_the_uploaded_name_as_a_path": Case(
        "security", "web upload", "names such as ../../etc/passwd",
        "staged under a content hash in the staging folder"),
    "tests/test_app.py::test_python_app_py_serves_on_loopback": Case(
        "security", "web server", "`python app.py` with no host set", "listens on 127.0.0.1 only"),
}


class Recorder:
    """Collects cases and test outcomes; writes them as JSON at the end of the run when asked to."""

    def __init__(self) -> None:
        self.cases: dict[str, list[Case]] = {}
        self.tests: dict[str, dict[str, Any]] = {}
        self.parameters: dict[str, str] = {}

    def note(self, nodeid: str, case: Case) -> None:
        self.cases.setdefault(nodeid, []).append(
            replace(case, injected=_TEMPORARY.sub("…/", case.injected), outcome=_TEMPORARY.sub("…/", case.outcome)))

    @staticmethod
    def tracked(nodeid: str) -> bool:
        return nodeid.startswith("tests/faults/") or nodeid.split("[")[0] in EXISTING

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            if callspec and item.nodeid.split("[")[0] in EXISTING:
                self.parameters[item.nodeid] = _shown(next(iter(callspec.params.values())))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.tracked(report.nodeid):
            return
        test = self.tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "outcome": "passed", "seconds": 0.0})
        test["seconds"] = round(test["seconds"] + report.duration, 2)
        if report.failed:
            test["outcome"] = "failed"
        elif report.skipped:
            test["outcome"] = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            test["reason"] = reason.removeprefix("Skipped: ")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = os.environ.get(ENV_OUT)
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(json.dumps(self.document(), ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")

    def document(self) -> dict[str, object]:
        rows = []
        for nodeid, test in self.tests.items():
            cases = self.cases.get(nodeid)
            if not cases and nodeid.split("[")[0] in EXISTING:
                known = EXISTING[nodeid.split("[")[0]]
                parameter = self.parameters.get(nodeid)
                cases = [Case(known.area, known.entry, f"{known.injected}: {parameter}" if parameter
                              else known.injected, known.outcome)]
            for case in cases or [Case("fault", "-", nodeid, str(test.get("reason", "")))]:
                rows.append({**asdict(case), "test": nodeid, "status": test["outcome"]})
        return {"generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(), "tests": list(self.tests.values()), "cases": rows}


def _shown(value: object) -> str:
    """A test parameter as a table cell: long values shortened, the empty string named."""
    if isinstance(value, str | bytes):
        if not value:
            return "(empty)"
        return repr(value)[:24] + f"… ({len(value):,} long)" if len(value) > 20 else repr(value)
    return str(value)


def pytest_configure(config: pytest.Config) -> None:
    # Registered as a plugin (not left as conftest hooks) so that it also sees the tests listed in EXISTING.
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.register(Recorder(), PLUGIN)


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Note:
    """`reliability(area, entry point, what was injected, what happened)` records one case of this test."""
    recorder: Recorder = request.config.pluginmanager.get_plugin(PLUGIN)

    def note(area: Area, entry: str, injected: str, outcome: str) -> None:
        recorder.note(request.node.nodeid, Case(area, entry, injected, outcome))

    return note
