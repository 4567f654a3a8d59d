"""Markdown and HTML for the web chat: quoted answers, source lists, article views and library tables.

Pure functions of their arguments; every piece of article text is escaped before it is inserted.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.model import Article
from index.records import IngestReport, IssueInfo, Stats

from .citation import cite
from .language import is_chinese
from .types import Answer

Span = tuple[int, int]

_LATIN = re.compile(r"[A-Za-z]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&])")
_STATUS = {"added": "新增 added", "replaced": "替换 replaced", "skipped": "跳过 skipped", "failed": "失败 failed"}
ISSUE_HEADERS = ["报纸 Paper", "日期 Date", "版面 Page", "文章 Articles", "段落 Chunks", "索引时间 Indexed", "键 Key"]


@dataclass(frozen=True)
class Source:
    """One entry of the sources panel: an article, how it is labelled, and the spans to highlight in it."""

    article_id: int
    label: str
    spans: tuple[Span, ...]


def md_escape(text: str) -> str:
    """Backslash-escape Markdown syntax so article text shows literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def english(question: str) -> bool:
    """Whether replies to `question` should be in English: it has Latin letters and no Chinese."""
    return bool(_LATIN.search(question)) and not is_chinese(question)


def answer_markdown(answer: Answer, question: str, scope: str = "") -> str:
    """The chat reply: numbered block quotes with citations, or the no-answer notice with the nearest articles."""
    if answer.found:
        parts = []
        for number, quote in enumerate(answer.quotes, start=1):
            block = "\n".join(f"> {md_escape(line)}" for line in quote.text.splitlines() if line.strip())
            parts.append(f"{block}\n\n\\[{number}\\] {md_escape(cite(quote))}")
        return "\n\n".join(parts)
    en = english(question)
    blocks = ["### No answer in the archive" if en else "### 报库中没有找到答案"]
    if scope:
        blocks.append(scope)
    if answer.hits:
        blocks.append("The nearest articles below do **not** answer the question:" if en
                      else "以下是最接近的文章，但它们**并未回答**这个问题：")
        blocks.append("\n".join(f"- {md_escape(cite(hit))}" for hit in answer.hits))
    else:
        blocks.append("No article matches." if en else "没有相关的文章。")
    return "\n\n".join(blocks)


def scope_note(question: str, paper: str = "", date_from: str = "", date_to: str = "") -> str:
    """A line naming the active filters, so an empty result can be traced to them."""
    if not (paper or date_from or date_to):
        return ""
    en = english(question)
    parts = []
    if paper:
        parts.append(f"{'paper' if en else '报纸'} {paper}")
    if date_from or date_to:
        parts.append(f"{date_from or '…'} – {date_to or '…'}")
    return ("Searched only: " if en else "仅检索：") + md_escape("; ".join(parts))


def error_markdown(message: str, question: str) -> str:
    """A one-line chat notice for a question that could not be asked."""
    head = "Cannot answer:" if english(question) else "无法回答："
    return f"⚠️ **{head}** {md_escape(message)}"


def question_preview(question: str, limit: int = 300) -> str:
    """The question as shown in the user's chat bubble, shortened if it is enormous."""
    text = question.strip()
    return md_escape(text if len(text) <= limit else text[:limit] + "…")


def sources(answer: Answer, question: str) -> list[Source]:
    """Cited articles (numbered as in the reply) or, without an answer, the nearest articles marked as such."""
    if not answer.found:
        note = " (does not answer it)" if english(question) else "（未回答此问题）"
        return [Source(hit.article_id, cite(hit) + note, ()) for hit in answer.hits]
    numbers: dict[int, list[int]] = {}
    spans: dict[int, list[Span]] = {}
    labels: dict[int, str] = {}
    for number, quote in enumerate(answer.quotes, start=1):
        numbers.setdefault(quote.article_id, []).append(number)
        spans.setdefault(quote.article_id, []).append((quote.start, quote.end))
        labels.setdefault(quote.article_id, cite(quote))
    return [Source(article_id, "".join(f"[{n}]" for n in numbers[article_id]) + " " + labels[article_id],
                   tuple(spans[article_id])) for article_id in numbers]


def chinese_date(iso: str | None) -> str:
    """2023-12-23 -> 2023年12月23日 (empty for no date)."""
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def issue_line(article: Article) -> str:
    """《株洲日报》2023年12月23日 第1版 — where an article appeared."""
    parts = [f"《{article.paper}》" if article.paper else "", chinese_date(article.date),
             f" 第{article.page}版" if article.page else ""]
    return "".join(parts).strip()


def highlight(body: str, spans: Sequence[Span]) -> str:
    """The body as HTML paragraphs with each span wrapped in <mark> (text escaped, marks split at line breaks)."""
    marked = [False] * len(body)
    for start, end in spans:
        for position in range(max(start, 0), min(end, len(body))):
            marked[position] = True
    paragraphs = []
    offset = 0
    for line in body.split("\n"):
        flags = marked[offset:offset + len(line)]
        pieces, position = [], 0
        for is_marked, group in itertools.groupby(flags):
            length = len(list(group))
            text = html.escape(line[position:position + length])
            pieces.append(f"<mark>{text}</mark>" if is_marked else text)
            position += length
        if line.strip():
            paragraphs.append(f"<p>{''.join(pieces)}</p>")
        offset += len(line) + 1
    return "\n".join(paragraphs)


def article_html(article: Article, spans: Sequence[Span] = ()) -> str:
    """The full article: kicker, title, subtitle, byline, dateline, paper/date/page, body with quotes marked."""
    def line(css: str, value: str | None, tag: str = "p") -> str:
        return f'<{tag} class="{css}">{html.escape(value)}</{tag}>' if value else ""

    credits = " · ".join(part for part in (article.byline, article.dateline) if part)
    parts = [
        line("kicker", article.kicker), line("title", article.headline, "h2"), line("subtitle", article.subtitle),
        line("byline", credits), line("issue", issue_line(article)),
        f'<div class="body">{highlight(article.body, spans)}</div>',
        line("truncated", "（原文在此中断 / the text breaks off here）" if article.truncated else None),
    ]
    return f'<article class="baoku-article" data-article-id="{article.id}">' + "".join(parts) + "</article>"


def notice_html(message: str) -> str:
    """A short message in the article panel."""
    return f'<p class="baoku-notice">{html.escape(message)}</p>'


def stats_markdown(stats: Stats, papers: Sequence[str]) -> str:
    """The index statistics as a two-column table."""
    dates = f"{stats.date_from} – {stats.date_to}" if stats.date_from else "—"
    rows = [
        ("报纸 Papers", f"{stats.papers}" + (f"（{'、'.join(papers)}）" if papers else "")),
        ("期/版 Issues", str(stats.issues)), ("日期 Dates", dates), ("文章 Articles", str(stats.articles)),
        ("段落 Chunks", str(stats.chunks)), ("向量模型 Embedder", f"{stats.embedder} ({stats.dim}d)"),
        ("大小 Size", f"{stats.size_bytes / 1_048_576:.1f} MB"),
    ]
    table = "| 报库 Index | |\n|---|---|\n" + "\n".join(f"| {name} | {md_escape(value)} |" for name, value in rows)
    if not stats.consistent:
        table += "\n\n⚠️ " + md_escape("; ".join(stats.problems) or "index files disagree") + " — `baoku repair`"
    return table


def paper_names(issues: Sequence[IssueInfo]) -> list[str]:
    """The papers the index holds, sorted."""
    return sorted({info.paper for info in issues if info.paper})


def issue_rows(issues: Sequence[IssueInfo]) -> list[list[str | int]]:
    """Rows for the issue table, in ISSUE_HEADERS order."""
    return [[info.paper or "", info.date or "", info.page or "", info.articles, info.chunks,
             info.ingested_at[:19].replace("T", " "), info.key] for info in issues]


def ingest_markdown(report: IngestReport, name: str, staged: str) -> str:
    """What an upload added, replaced, skipped or failed; the staging path is shown as the uploaded name."""
    if report.outcomes and all(o.status == "failed" for o in report.outcomes):
        return upload_error(unstage("; ".join(dict.fromkeys(o.error or o.key for o in report.outcomes)), name, staged))
    summary = " · ".join(f"{_STATUS[status]} {report.count(status)}"
                         for status in ("added", "replaced", "skipped", "failed") if report.count(status))
    head = f"**{md_escape(name)}**：{summary or '没有内容 nothing to index'}（{report.seconds:.1f} s）"
    rows = [f"| {md_escape(unstage(o.key, name, staged))} | {_STATUS[o.status]} | {o.articles} | {o.chunks} |"
            f" {md_escape(unstage(o.error or '', name, staged))} |" for o in report.outcomes]
    table = "| 期/版 Issue | 结果 Result | 文章 Articles | 段落 Chunks | 错误 Error |\n|---|---|---|---|---|\n"
    return head + ("\n\n" + table + "\n".join(rows) if rows else "")


def unstage(text: str, name: str, staged: str) -> str:
    """Replace the staging path (and its file name) in `text` by the name the user uploaded."""
    return text.replace(staged, name).replace(staged.rsplit("/", 1)[-1], name)


def upload_error(message: str) -> str:
    """A one-line upload failure."""
    return f"⚠️ **上传失败 Upload failed:** {md_escape(message)}"


def example_questions(titles: Sequence[str]) -> list[str]:
    """Questions about headlines the index holds, for the example list."""
    return [f"《{title}》报道了什么？" for title in dict.fromkeys(t.strip() for t in titles if t.strip())]
