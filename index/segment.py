"""Segment the lines of an extracted page into articles.

An article opens at a byline or dateline. Runs of short unpunctuated lines that end where the next
article opens are headline clusters; each cluster is split into headline groups and every group goes
to the article whose body it matches best in content, wherever it is printed. Headline-like lines in
the middle of a body are subheads when the text around them stays on one topic, otherwise they open
an article that has no byline.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from .bylines import (
    CONTINUATION,
    JUMP_MARK,
    Opening,
    caption_lines,
    is_furniture,
    is_reporter_line,
    match_opening,
)
from .normalize import (
    SENTENCE_PUNCT,
    clean_line,
    clean_phrase,
    column_of,
    ends_paragraph,
    is_heading,
    is_note,
    join_lines,
    local_column_widths,
    normalize_lines,
    width,
)
from .similarity import PageVocabulary

_MAX_HEADLINE_WIDTH = 40
_MAX_CLUSTER_LINES = 16
_CUT_END = re.compile(r"[，、：；,;:]$")
_SPLIT_COST = 0.35
_BLANK_SPLIT_COST = 0.15
_NEIGHBOUR_BONUS = 0.05
_MIN_HEADLINE_COVERAGE = 0.25
_SUBHEAD_RATIO = 0.5
_HEADLINE_RECALL = 0.35
_COLUMN_CHANGE = 3.0
_WINDOW = 10
_FULL_LINE_SLACK = 1.0
_TAIL_LINES = 17
_COLUMN_TOLERANCE = 2.5
_MAX_NOTE_LINES = 4
# A headline may end with one question or exclamation mark when it has no other punctuation.
_QUESTION_TITLE = re.compile(r"^[^，。；：！？、,;:!?]+[？！?!][”’\"]?$")


@dataclass
class Line:
    """One non-blank raw line: 1-based number, raw text, cleaned text."""

    number: int
    raw: str
    text: str
    blank_before: bool
    opening: Opening | None = None
    column: float = 0.0
    jump: bool = False


@dataclass
class Draft:
    """An article being assembled."""

    byline: str | None = None
    dateline: str | None = None
    body: list[Line] = field(default_factory=list)
    credit_lines: list[Line] = field(default_factory=list)
    headline: list[str] | None = None
    jump: bool = False

    def text(self) -> str:
        return "".join(line.text for line in self.body)


@dataclass
class Cluster:
    """Consecutive headline lines, with the article printed just before and just after them."""

    lines: list[Line]
    before: int | None
    after: int | None
    owner: int | None = None  # an article that this cluster opens (no byline)


@dataclass(frozen=True)
class Segmented:
    """Drafts in body order plus the text of lines that belong to no article."""

    drafts: list[Draft]
    discarded: list[str]


def segment(text: str) -> Segmented:
    """Split page text into article drafts with headlines assigned."""
    discarded: list[str] = []
    lines = _read_lines(text, discarded)
    columns = local_column_widths([line.text for line in lines])
    for line, column in zip(lines, columns, strict=True):
        line.column = column
    page = PageVocabulary(["".join(line.text for line in lines[i: i + _WINDOW])
                           for i in range(0, len(lines), _WINDOW)])
    drafts, clusters = _walk(lines, page)
    drafts = [d for d in drafts if d.body or d.byline or d.dateline]
    _assign_headlines(drafts, clusters, discarded)
    return Segmented(drafts, discarded)


def _read_lines(text: str, discarded: list[str]) -> list[Line]:
    lines: list[Line] = []
    blank = False
    raws = text.splitlines()
    captions = caption_lines(raws)
    for number, raw in enumerate(raws, start=1):
        cleaned = clean_line(raw)
        if not cleaned:
            blank = True
            continue
        if is_furniture(raw) or number - 1 in captions:
            discarded.append(cleaned)
            blank = True
            continue
        marks = JUMP_MARK.findall(cleaned)
        if marks:
            discarded.extend(marks)
            raw = cleaned = JUMP_MARK.sub("", cleaned)
            if not cleaned:
                if lines:
                    lines[-1].jump = lines[-1].jump or _jumps_forward(marks)
                continue
        lines.append(Line(number, raw, cleaned, blank, jump=_jumps_forward(marks)))
        blank = False
    return lines


def _jumps_forward(marks: list[str]) -> bool:
    """`（下转第2版）` says the article goes on elsewhere; `（上接第1版）` says it came from elsewhere."""
    return any(not mark[1:].startswith(("上接", "接", "续")) for mark in marks)


def _closes_paragraph(lines: list[Line], end: int) -> bool:
    """Whether `lines[end]` ends a paragraph, counting a note in brackets wrapped over a few lines."""
    return ends_paragraph(lines[end].text) or _note_start(lines, end) is not None


def _note_start(lines: list[Line], end: int) -> int | None:
    """Where a note in brackets (`（作者系…）`) that ends at `lines[end]` starts, else None."""
    text = ""
    for k in range(end, max(-1, end - _MAX_NOTE_LINES), -1):
        text = lines[k].text + text
        if is_note(text):
            return k
        if k < end and ends_paragraph(lines[k].text):
            return None
    return None


def _is_plausible_headline(line: Line) -> bool:
    """Could be a headline line: short, no sentence end, not a comma-bearing line that fills its column."""
    text = line.text
    if line.opening is not None or line.jump or width(text) > _MAX_HEADLINE_WIDTH:
        return False
    if re.search(r"[。；！？!?;]", text) or _CUT_END.search(text):
        return False
    fills_column = abs(width(text) - line.column) <= _COLUMN_TOLERANCE
    return text.startswith("——") or not (fills_column and re.search(r"[，、,]", text))


def _walk(lines: list[Line], page: PageVocabulary) -> tuple[list[Draft], list[Cluster]]:
    """One pass over the lines: openings start drafts, clusters are set aside, the rest is body."""
    for line in lines:
        line.opening = match_opening(line.raw)
    in_cluster = _trailing_clusters(lines)
    drafts: list[Draft] = []
    clusters: list[Cluster] = []
    current: Draft | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.opening is not None:
            if _signs_off(lines, i, current, in_cluster):
                _sign(current, line)
                i += 1
                continue
            current = _open_draft(line, drafts)
            i += 1
            while i < len(lines) and current.byline and _continues_credit(lines[i], current):
                i += 1
            continue
        if i in in_cluster:
            run = [lines[j] for j in range(i, in_cluster[i])]
            clusters.append(Cluster(run, len(drafts) - 1 if drafts else None, len(drafts)))
            i = in_cluster[i]
            continue
        heading_end = _heading_run_end(lines, i, current)
        if heading_end > i:
            run = lines[i:heading_end]
            after_end = _next_boundary(lines, heading_end, in_cluster)
            if current is None or not current.body or not _same_topic(page, lines, current, (i, heading_end),
                                                                      after_end):
                current = Draft()
                drafts.append(current)
                clusters.append(Cluster(run, len(drafts) - 2 if len(drafts) > 1 else None, len(drafts) - 1,
                                        owner=len(drafts) - 1))
                i = heading_end
                continue
        if current is None:
            current = Draft()
            drafts.append(current)
        _append_body(current, line)
        i += 1
    return drafts, clusters


def _signs_off(lines: list[Line], i: int, current: Draft | None, in_cluster: dict[int, int]) -> bool:
    """Whether the byline at `i` signs the finished, unsigned article before it (`□ 石岩` after a commentary).

    It does when it follows that article's last body line and no body text follows it: next comes the
    page end, another opening, or a headline.
    """
    opening = lines[i].opening
    if current is None or not current.body or current.byline or current.dateline:
        return False
    if opening is None or opening.rest or not opening.byline:
        return False
    if current.body[-1].number != lines[i - 1].number or not _closes_paragraph(lines, i - 1):
        return False
    after = i + 1
    return (after == len(lines) or lines[after].opening is not None or after in in_cluster
            or _heading_run_end(lines, after, current) > after)


def _sign(draft: Draft, line: Line) -> None:
    """Make a signature line the byline of the article it closes."""
    assert line.opening is not None
    draft.byline = line.opening.byline
    draft.credit_lines.append(line)


def _append_body(draft: Draft, line: Line) -> None:
    """Add a body line; the text after a dateline on its own line runs on into the next line."""
    draft.jump = draft.jump or line.jump
    previous = draft.body[-1] if draft.body else None
    if previous is not None and previous.opening is not None and not ends_paragraph(previous.text):
        previous.text = join_lines(previous.text, line.text)
        previous.opening = None
        previous.number = line.number
        return
    draft.body.append(line)


def _open_draft(line: Line, drafts: list[Draft]) -> Draft:
    opening = line.opening
    assert opening is not None
    draft = Draft(byline=opening.byline, dateline=opening.dateline, credit_lines=[line])
    drafts.append(draft)
    if opening.rest:
        draft.body.append(Line(line.number, opening.rest, opening.rest, False, opening, line.column))
    return draft


def _continues_credit(line: Line, draft: Draft) -> bool:
    """A second byline line such as `通讯员/谭龙 杨帆` right after a reporter line."""
    if draft.body or not CONTINUATION.match(line.text) or not is_reporter_line(line.raw):
        return False
    draft.byline = f"{draft.byline} {clean_phrase(line.raw)}"
    draft.credit_lines.append(line)
    return True


def _trailing_clusters(lines: list[Line]) -> dict[int, int]:
    """Headline runs that end right where an article opens (or the page ends): start index -> end index."""
    clusters: dict[int, int] = {}
    ends = [i for i, line in enumerate(lines) if line.opening is not None] + [len(lines)]
    for end in ends:
        start = end
        while start > 0 and end - start < _MAX_CLUSTER_LINES and _fits_cluster(lines, start - 1, end):
            start -= 1
        if start > 0 and end > start:
            before = lines[start - 1].text
            if not (_closes_paragraph(lines, start - 1) or _CUT_END.search(before) or lines[start - 1].opening
                    or lines[start - 1].jump):
                continue
        if end > start:
            clusters[start] = end
    return clusters


def _fits_cluster(lines: list[Line], k: int, end: int) -> bool:
    """Whether `lines[k]` can be part of a headline cluster that ends at `end`.

    A title may end with a question or exclamation mark (`医保异地备案怎么办？`) when it is set apart
    from the text above and only a subtitle or the opening follows it; otherwise such a line is read as
    a short paragraph of the body above.
    """
    line = lines[k]
    if line.blank_before and _QUESTION_TITLE.match(line.text) and width(line.text) < line.column - _COLUMN_TOLERANCE:
        return k + 1 == end or lines[k + 1].text.startswith("——")
    return _is_plausible_headline(line)


def _heading_run_end(lines: list[Line], i: int, current: Draft | None) -> int:
    """End of a run of heading lines starting a paragraph at `i` and followed by body text, else `i`."""
    previous = lines[i - 1] if i > 0 else None
    if previous is not None and current is not None:
        paragraph_open = current.body and not _closes_paragraph(current.body, len(current.body) - 1)
        if paragraph_open or (previous.opening is None and not _closes_paragraph(lines, i - 1)):
            return i
    end = i
    while end < len(lines) and _is_plausible_headline(lines[end]) and is_heading(lines[end].text,
                                                                                  lines[end].column):
        end += 1
    if end == len(lines) or lines[end].opening is not None:
        return i
    return end


def _next_boundary(lines: list[Line], start: int, in_cluster: dict[int, int]) -> int:
    end = start
    while end < len(lines) and lines[end].opening is None and end not in in_cluster:
        end += 1
    return end


def _same_topic(page: PageVocabulary, lines: list[Line], current: Draft, run: tuple[int, int],
                after_end: int) -> bool:
    """Whether a heading run is a subhead of the current article rather than the headline of a new one.

    A news headline restates the text under it, so most of its words recur there and fewer before it;
    a subhead is a catchphrase. Text set in a different column width after the run is another sign of
    a new article.
    """
    if _note_start(current.body, len(current.body) - 1) is not None:
        return False  # an article signs off with a note such as `（作者系…）`
    after = lines[run[1]:after_end]
    after_text = "".join(line.text for line in after)
    if not SENTENCE_PUNCT.search(after_text):
        return True
    heading = "".join(line.text for line in lines[run[0]:run[1]])
    own = page.overlap(heading, current.text())
    following = page.overlap(heading, after_text)
    if following >= _HEADLINE_RECALL and own < _SUBHEAD_RATIO * following:
        return False
    width_change = abs(current.body[-1].column - after[0].column) if after else 0.0
    return not (width_change >= _COLUMN_CHANGE and following > own)


def _assign_headlines(drafts: list[Draft], clusters: list[Cluster], discarded: list[str]) -> None:
    """Split clusters into groups and give each group to the article it matches best."""
    vocabulary = PageVocabulary([d.text() for d in drafts])
    candidates: list[tuple[float, int, int]] = []
    groups: list[tuple[Cluster, list[Line]]] = []
    for cluster in clusters:
        for group, scores in _split_cluster(cluster, vocabulary, len(drafts)):
            groups.append((cluster, group))
            candidates.extend((score, len(groups) - 1, article) for article, score in enumerate(scores))
    taken: dict[int, int] = {}
    used: set[int] = set()
    for score, group_index, article in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if score >= _MIN_HEADLINE_COVERAGE and group_index not in taken and article not in used:
            taken[group_index] = article
            used.add(article)
    _attach_leftovers(groups, taken)
    _attach_by_layout(groups, taken, used, len(drafts))
    for group_index, (_, group) in enumerate(groups):
        texts = [clean_phrase(line.raw) for line in group]
        if group_index in taken:
            draft = drafts[taken[group_index]]
            draft.headline = (draft.headline or []) + texts
        else:
            discarded.extend(texts)


def _attach_leftovers(groups: list[tuple[Cluster, list[Line]]], taken: dict[int, int]) -> None:
    """A group that won no article joins a neighbouring group of the same cluster, else stays unassigned."""
    for index, (cluster, _) in enumerate(groups):
        if index in taken:
            continue
        for neighbour in (index + 1, index - 1):
            if 0 <= neighbour < len(groups) and groups[neighbour][0] is cluster and neighbour in taken:
                taken[index] = taken[neighbour]
                break


def _attach_by_layout(groups: list[tuple[Cluster, list[Line]]], taken: dict[int, int], used: set[int],
                      n_articles: int) -> None:
    """A cluster that matched no article goes to its free neighbour on the side where this page's headlines sit.

    Commentary headlines often share few words with their text; the page's other clusters show whether
    headlines are printed before or after their bodies.
    """
    after = sum(article == groups[g][0].after for g, article in taken.items() if groups[g][0].owner is None)
    before = sum(article == groups[g][0].before for g, article in taken.items() if groups[g][0].owner is None)
    if after == before:
        return
    members_of: dict[int, list[int]] = {}
    for g, (cluster, _) in enumerate(groups):
        members_of.setdefault(id(cluster), []).append(g)
    for members in members_of.values():
        cluster = groups[members[0]][0]
        article = cluster.after if after > before else cluster.before
        if article is None or article >= n_articles or article in used or any(g in taken for g in members):
            continue
        taken.update(dict.fromkeys(members, article))
        used.add(article)


def _split_cluster(cluster: Cluster, vocabulary: PageVocabulary, n_articles: int):
    """Best split of a cluster into contiguous groups (dynamic programming over cut points)."""
    lines = cluster.lines
    scores = [[vocabulary.coverage(line.text, a) + _prior(cluster, a) for a in range(n_articles)]
              for line in lines]
    best: list[tuple[float, list[int]]] = [(0.0, [])]
    for end in range(1, len(lines) + 1):
        options = []
        for start in range(end):
            cost = 0.0 if start == 0 else (_BLANK_SPLIT_COST if lines[start].blank_before else _SPLIT_COST)
            value = max((sum(scores[k][a] for k in range(start, end)) for a in range(n_articles)), default=0.0)
            options.append((best[start][0] + value - cost, [*best[start][1], start]))
        best.append(max(options, key=lambda option: option[0]))
    cuts = [*best[-1][1], len(lines)]
    result = []
    for start, end in itertools.pairwise(cuts):
        group = lines[start:end]
        text = "".join(line.text for line in group)
        result.append((group, [vocabulary.coverage(text, a) + _prior(cluster, a) for a in range(n_articles)]))
    return result


def _prior(cluster: Cluster, article: int) -> float:
    if cluster.owner is not None:
        return 1.0 if article == cluster.owner else 0.0
    return _NEIGHBOUR_BONUS if article in (cluster.before, cluster.after) else 0.0


def body_paragraphs(draft: Draft) -> list[str]:
    """The draft's body as normalised paragraphs."""
    return normalize_lines([line.text for line in draft.body])


def looks_truncated(draft: Draft) -> bool:
    """Cut off at the page edge: a jump marker, or a last line that is not a finished, short line."""
    if draft.jump:
        return True
    if not draft.body:
        return False
    last = draft.body[-1].text
    column = column_of([line.text for line in draft.body[-_TAIL_LINES:]])
    return not _closes_paragraph(draft.body, len(draft.body) - 1) or width(last) >= column - _FULL_LINE_SLACK
