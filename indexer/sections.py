"""Document -> the six parts of the national template, with offsets.

The pipeline is ``document_to_sections`` = find heading candidates
(``text_to_heading_candidates``) -> keep the best ordered run
(``candidates_to_headings``) -> recover parts whose heading is missing from the
table that opens them (``_recover_from_tables``) -> cut the text between
consecutive parts (``headings_to_sections``).

A heading candidate is the title of a part (总体情况, 主动公开政府信息情况 …, in
the wordings real reports use) either

- with a numbering marker (一、 / 5、 / 2. / 第一部分 …) anywhere in a paragraph: Word
  renumbers headings and crawled pages run every heading into one paragraph
  (…联系。一、总体情况2019年，…); or
- without a marker at the start of a paragraph that is itself a heading (a
  markdown ``##`` or a short line holding only the title).

A title without a marker inside running text is never a heading: the preamble
of many reports lists all six part names in one sentence (本报告包括总体情况、主动
公开政府信息情况…等六个部分).

The parts must come in order. When a title occurs several times, the chosen
run is the one finding the most parts, then the one whose markers agree with
the canonical numbering. Reports with a narrative numbered in their own way
(上海市科委 2024: 一、总体情况 二、工作机制保障 … 六、政府信息公开平台建设, then
an annex 一、主动公开政府信息情况 二、收到和处理…) therefore come out as: part 1
from 总体情况 over the whole narrative, parts 2-4 where the template titles
are (whatever their numbers), part 5 from the 存在的主要问题… title or, where
that heading is lost, its first sub-heading (（一）主要问题), part 6 from
其他需要报告的事项.

A part whose heading is missing but whose table is there (第二十条第（一）项 for
part 2, 勾稽关系 … for part 3, 行政复议/行政诉讼 for part 4) starts where that
table starts; its heading is then the canonical one (docs/report-format.md), since the
document writes none.

Only found parts are returned. Part 6 runs to the end of the text, less a
closing signature and date (XX局 / 2021年1月20日) when they stand on their own
lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .document import Document, Paragraph, Table
from .report import Section
from .vocabulary import CANONICAL_HEADINGS

# Titles of the six parts, in the wordings seen in real reports. Spaces may
# fall anywhere inside a title in PDF text, so each literal character is
# allowed to be followed by whitespace (see _spaced).
_TITLE_SOURCES = {
    1: r"(?:总体(?:工作)?|基本)情况|(?:总体|工作)?概况|概述",
    2: r"主动公开政府信息(?:的)?情况",
    3: r"收到和处理政府信息公开申请(?:的)?情况",
    4: r"(?:因)?(?:政府信息公开)?(?:申请)?(?:提起)?行政法?复议[、和及与,，]?(?:提起)?行政诉讼(?:的)?(?:情况)?",
    5: r"(?:政府信息公开工作)?(?:工作中)?(?:存在的?主要问题(?:及|和|与|以及)?(?:改进)?|存在的?问题(?:及|和|与|以及)改进"
       r"|主要问题(?:及|和|与|以及)改进)(?:情况|措施)?",
    6: r"其他需要(?:报告|说明)的?事项|需要(?:报告|说明)的其他事项|其他事项",
}

CN_DIGITS = "一二三四五六七八九十"
MAX_CANDIDATES_PER_PART = 40
# The lookahead only says what a marker starts with: the engine tries the marker at
# every character of a paragraph, and this fails at most of them three times faster.
_MARKER = r"(?=[第一二三四五六七八九十\d])(?:第\s*)?(?P<num>[一二三四五六七八九十]{1,2}|(?<!\d)\d{1,2})\s*(?:部分\s*[、:：.．]?|[、.．])\s*"

# Where a part's heading is lost, the table (or first sub-heading) that opens it.
_TEXT_ANCHORS = {
    2: r"第\s*二\s*十\s*条\s*第\s*[（(]\s*一\s*[）)]\s*项",
    3: r"[（(]\s*本列数据的勾稽关系",
    4: r"行政复议\s*行政诉讼",
    # （一）存在的主要问题, or the 2021 format's look back first: （一）2024年工作中存在问题的改进情况
    5: r"(?:^|\n)[（(]\s*一\s*[）)]\s*(?:(?:\d{4}|上一?)\s*年度?\s*(?:工作中)?\s*存在的?(?:主要)?问题|(?:存在的?)?主要问题)",
}
_TABLE_ANCHORS = {2: "第二十条", 3: "勾稽关系", 4: "行政复议"}

_DATE_LINE = re.compile(r"^\s*(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,2}\s*月"
                        r"\s*[\d一二三四五六七八九十]{1,3}\s*日\s*$")
_SIGNATURE_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}$")
PAGE_NUMBER_LINE = re.compile(r"^\s*[-—－]\s*\d+\s*[-—－]\s*$")


def _spaced(pattern: str) -> str:
    """Let whitespace come before every CJK literal of a title pattern (not inside [...])."""
    out, in_class = [], False
    for char in pattern:
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif not in_class and "\u4e00" <= char <= "\u9fff" and out:
            out.append(r"\s*")
        out.append(char)
    return "".join(out)


TITLE_PATTERNS = {n: re.compile(_spaced(p)) for n, p in _TITLE_SOURCES.items()}
MARKED_TITLE_PATTERNS = {n: re.compile(_MARKER + "(?P<title>" + _spaced(p) + ")") for n, p in _TITLE_SOURCES.items()}
TEXT_ANCHOR_PATTERNS = {n: re.compile(p) for n, p in _TEXT_ANCHORS.items()}

# Characters one of which every wording of a title holds (none of its optional words): a
# paragraph without them cannot hold the title; this test costs far less than any search.
_TITLE_CHARS = {1: "总基概", 2: "动", 3: "申", 4: "讼", 5: "题", 6: "项"}
# Titles 4 and 5 open with optional words, and 1 and 6 are alternatives, which keeps the
# regex engine from skipping ahead to them (it tries the pattern at every character). A
# paragraph holding such a title holds words every wording has, which open on a few fixed
# characters the engine jumps to: those are searched for first.
_TITLE_REQUIRED = {
    1: (r"总体(?:工作)?情况", r"基本情况", r"概[况述]"),
    4: (r"行政法?复议[、和及与,，]?(?:提起)?行政诉讼",),
    5: (r"存在的?主要问题", r"存在的?问题(?:及|和|与|以及)改进", r"主要问题(?:及|和|与|以及)改进"),
    6: (r"事项",),
}
TITLE_SEARCHES = TITLE_PATTERNS | {n: re.compile("|".join(map(_spaced, required)))
                                    for n, required in _TITLE_REQUIRED.items()}

_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
# a space with a CJK character on either side (the literal space first lets the
# engine jump from space to space)
_SPACE_BY_CJK = re.compile(" (?:(?=" + _CJK + ")|(?<=" + _CJK + " ))")


def normalise_spaces(text: str) -> str:
    """Collapse whitespace, and drop it next to CJK characters and punctuation
    (PDF and markdown conversions put spaces in "2024 年", "5、 存在…")."""
    text = " ".join(text.split())  # str.split() and regex \s agree on what whitespace is
    return _SPACE_BY_CJK.sub("", text) if " " in text else text


def chinese_numeral_value(numeral: str) -> int | None:
    """一..九十九 (and arabic digits) -> int; None for anything else."""
    if numeral.isdigit():
        return int(numeral)
    if not numeral or any(c not in CN_DIGITS for c in numeral):
        return None
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + CN_DIGITS.index(numeral[1]) + 1
    if numeral.endswith("十"):
        return (CN_DIGITS.index(numeral[0]) + 1) * 10
    if "十" in numeral:
        tens, units = numeral.split("十")
        return (CN_DIGITS.index(tens) + 1) * 10 + CN_DIGITS.index(units) + 1
    return CN_DIGITS.index(numeral) + 1 if len(numeral) == 1 else None


@dataclass(frozen=True)
class HeadingCandidate:
    """A place where part ``n`` may start; ``number`` is its marker's value (None without one)."""
    n: int
    start: int
    end: int
    heading: str
    number: int | None


def paragraph_offsets(document: Document) -> list[tuple[int, Paragraph]]:
    """Each paragraph with its start offset in ``document.text()``."""
    offsets, position = [], 0
    for paragraph in document.paragraphs:
        offsets.append((position, paragraph))
        position += len(paragraph.text) + 1
    return offsets


def text_to_heading_candidates(paragraphs: list[tuple[int, Paragraph]]) -> list[HeadingCandidate]:
    """Every marked title anywhere, and every markerless title heading a paragraph."""
    candidates: list[HeadingCandidate] = []
    for offset, paragraph in paragraphs:
        text = paragraph.text
        # Both kinds hold the title: most paragraphs have none, and looking for the
        # title alone is far cheaper than trying a marker at every character.
        titles = [n for n, chars in _TITLE_CHARS.items()
                  if any(map(text.__contains__, chars)) and TITLE_SEARCHES[n].search(text) is not None]
        for n in titles:
            for match in MARKED_TITLE_PATTERNS[n].finditer(text):
                if match.start() > 0 and not _inline_marker_allowed(text, match.start()):
                    continue
                candidates.append(HeadingCandidate(
                    n, offset + match.start(), offset + match.end(),
                    normalise_spaces(match.group(0)), chinese_numeral_value(match.group("num"))))
        for n in titles:
            match = TITLE_PATTERNS[n].match(text)
            # a heading line holds the title alone (a sentence may start with a title word)
            if match and (paragraph.level is not None or len(text) <= match.end() + 2):
                candidates.append(HeadingCandidate(n, offset, offset + match.end(),
                                                   normalise_spaces(match.group(0)), None))
    return sorted(set(candidates), key=lambda c: (c.start, c.n))


def _inline_marker_allowed(text: str, position: int) -> bool:
    """A marker inside a paragraph counts after a character that cannot be part of its
    numeral (十一、 is not 一、, 15、 is not 5、). A Chinese numeral may follow a digit:
    crawled pages run a heading onto the table before it (…尚未审结总计1020…00五、存在的…)."""
    before = text[position - 1]
    if before in CN_DIGITS or ("a" <= before.lower() <= "z"):
        return False
    return not before.isdigit() or text[position] in CN_DIGITS or text[position] == "第"


def candidates_to_headings(candidates: list[HeadingCandidate]) -> list[HeadingCandidate]:
    """The in-order run of candidates with the most parts, then the most canonical numbers.

    A small dynamic programme: parts and positions must both increase along
    the run. Each part keeps at most MAX_CANDIDATES_PER_PART candidates, so a
    pathological text costs no more than a real one.
    """
    per_part: dict[int, int] = {}
    ordered = []
    for candidate in sorted(candidates, key=lambda c: (c.start, c.n)):
        per_part[candidate.n] = per_part.get(candidate.n, 0) + 1
        if per_part[candidate.n] <= MAX_CANDIDATES_PER_PART:
            ordered.append(candidate)
    scores: list[tuple[int, int, int]] = []
    previous: list[int | None] = []
    for i, candidate in enumerate(ordered):
        own = (1, int(candidate.number == candidate.n), -candidate.start)
        best, best_previous = own, None
        for j in range(i):
            if ordered[j].n < candidate.n and ordered[j].end <= candidate.start:
                total = (scores[j][0] + own[0], scores[j][1] + own[1], scores[j][2] + own[2])
                if total > best:
                    best, best_previous = total, j
        scores.append(best)
        previous.append(best_previous)
    if not ordered:
        return []
    index: int | None = max(range(len(ordered)), key=lambda k: scores[k])
    run = []
    while index is not None:
        run.append(ordered[index])
        index = previous[index]
    return run[::-1]


def _block_offsets(document: Document) -> list[tuple[int, Paragraph | Table]]:
    """Each block with the text offset where it stands (a table: where the next paragraph starts)."""
    result, position = [], 0
    for block in document.blocks:
        result.append((position, block))
        if isinstance(block, Paragraph):
            position += len(block.text) + 1
    return result


def _recover_from_tables(document: Document, text: str,
                         headings: list[HeadingCandidate]) -> list[HeadingCandidate]:
    """Add parts 2-5 whose heading is missing but whose opening table or sub-heading is there."""
    found = {h.n: h for h in headings}
    blocks = None  # rarely needed: built on first use, once
    for n in (2, 3, 4, 5):
        if n in found:
            continue
        low = max((h.end for h in found.values() if h.n < n), default=0)
        high = min((h.start for h in found.values() if h.n > n), default=len(text))
        anchor = None
        match = TEXT_ANCHOR_PATTERNS[n].search(text, low, high)
        if match:
            anchor = match.start() + (1 if match.group(0).startswith("\n") else 0)
        elif n in _TABLE_ANCHORS:
            blocks = _block_offsets(document) if blocks is None else blocks
            for position, block in blocks:
                if (isinstance(block, Table) and low <= min(position, len(text)) <= high
                        and _TABLE_ANCHORS[n] in "".join("".join(row) for row in block.rows[:3])):
                    anchor = min(position, len(text))
                    break
        if anchor is not None:
            found[n] = HeadingCandidate(n, anchor, anchor, CANONICAL_HEADINGS[n], None)
    return sorted(found.values(), key=lambda h: (h.start, h.n))


def _closing_start(text: str, start: int, end: int) -> int:
    """Where a closing signature/date block begins in text[start:end] (else ``end``)."""
    lines = text[start:end].split("\n")
    keep = len(lines)
    while keep > 1 and (not lines[keep - 1].strip() or PAGE_NUMBER_LINE.match(lines[keep - 1])):
        keep -= 1
    if keep > 1 and _DATE_LINE.match(lines[keep - 1]):
        keep -= 1
        if keep > 1 and _SIGNATURE_LINE.match(lines[keep - 1].strip()):
            keep -= 1
    return start + len("\n".join(lines[:keep]))


def headings_to_sections(text: str, headings: list[HeadingCandidate]) -> list[Section]:
    """Cut the text from each heading to the next one (the last to the end, less the signature)."""
    sections = []
    for i, heading in enumerate(headings):
        end = headings[i + 1].start if i + 1 < len(headings) else _closing_start(text, heading.start, len(text))
        while end > heading.start and text[end - 1].isspace():
            end -= 1
        sections.append(Section(heading.n, heading.heading, text[heading.start:end], heading.start, end))
    return sections


def document_to_sections(document: Document) -> list[Section]:
    """Find the six parts of an annual report.

    :param document: what a reader made of the file.
    :returns: the parts found, in order; ``text == document.text()[start:end]``.
    """
    text = document.text()
    paragraphs = paragraph_offsets(document)
    headings = candidates_to_headings(text_to_heading_candidates(paragraphs))
    headings = _recover_from_tables(document, text, headings)
    return headings_to_sections(text, headings)
