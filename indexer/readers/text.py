"""Plain text and markdown: decoding, then lines -> paragraphs and tables.

Layouts that occur in real files:
- Word documents exported to text: each table cell on its own line starting
  with a tab, rows separated by blank lines (the seeds);
- markdown pipe tables (PDF converted to markdown), possibly split in two, and the tables of
  the tools that take a page's text (trafilatura's bar rows, html2text's);
- a browser's text of a page: tab-separated rows, or a cell's paragraphs a line each;
- crawled web pages: a header block (标题: …, 发布时间: …, 原文链接: …) then the page text, or
  trafilatura's metadata block (--- / title: … / url: … / date: … / ---) then its text of the page.
"""
from __future__ import annotations

import hashlib
import os
import re
from itertools import islice
from pathlib import Path

from charset_normalizer import from_bytes

from ..document import Document, Paragraph, Table
from ..errors import DecodeError, ReaderError

BOOKMARK = re.compile(r"\[bookmark: [^\]\n]*\]")  # within one line
MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# (the same crawler on a site's 繁體 pages writes its labels in traditional characters)
CRAWLER_FIELDS = {"标题": "title", "发布时间": "published", "原文链接": "url",
                  "標題": "title", "發佈時間": "published", "發布時間": "published", "原文鏈接": "url"}
CRAWLER_BODY = re.compile(r"^=+\s*正文\s*=+$")
DATE_VALUE = r"\s*[:：|]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
# A page's publication date as its header prints it: publication labels first; a bare 日期/时间
# only when no label says 发布 (either also in the traditional characters of a site's 繁體 pages).
DATE_LABELS = [re.compile(r"(?:[发發][布佈](?:时间|時間|日期)|[发發]文日期|公[开開]日期|成文日期)" + DATE_VALUE),
               re.compile(r"(?:日期|时间|時間)" + DATE_VALUE)]
# In a copied page's lines the bare label must stand alone (来源：… 时间：2025-03-10), never end
# another word (统计时间：2023年1月1日 is the period reported on).
TEXT_DATE_LABELS = [DATE_LABELS[0], re.compile(r"(?:^|(?<=\s))(?:日期|时间|時間)" + DATE_VALUE, re.M)]
# A copied page's header: the lines holding text before part 一.
HEADER_LINES = 80  # markdownify of the real Pingtan page: its date on the 65th line
FIRST_PART_LINE = re.compile(r"^\s*[一壹]\s*[、.．]")
# trafilatura's --with-metadata block: the page's <title>, its address and its date.
FRONT_MATTER_FIELDS = {"title": "title", "url": "url", "date": "published"}
MAX_TEXT_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 4096


def decode_bytes(data: bytes, path) -> str:
    """Decode report bytes: BOMs, UTF-16 by its zero bytes, UTF-8, GB18030, then detection.

    :raises ReaderError: the bytes are not text at all.
    :raises DecodeError: text in an encoding we cannot tell.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        if _plausible_text(text):
            return text
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ReaderError(path, "binary data, not a text file")
    # A file cut mid-character, or with a stray bad byte, is still in its
    # encoding: a handful of replacement characters is tolerated, mojibake is not.
    for encoding in ("utf-8", "gb18030"):
        text = data.decode(encoding, errors="replace")
        if text.count("\ufffd") <= 3 + len(data) // 1000 and _plausible_text(text):
            return text
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        text = data.decode(best.encoding, errors="replace")
        if _plausible_text(text):
            return text
    if not _plausible_text(data[:SNIFF_BYTES].decode("latin-1")):
        raise ReaderError(path, "binary data, not a text file")
    raise DecodeError(path, "cannot tell the text encoding (tried UTF-8, UTF-16, GB18030); "
                            "re-save the file as UTF-8")


def _utf16_without_bom(data: bytes) -> str | None:
    """ASCII characters (digits, spaces, newlines) in UTF-16 leave zero bytes on one side only."""
    sample = data[:SNIFF_BYTES] if len(data) % 2 == 0 or len(data) > SNIFF_BYTES else data[:-1]
    sample = sample[: len(sample) - len(sample) % 2]
    if 0 not in sample:
        return None  # the usual case, decided without splitting the sample
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs == 0 or even + odd < max(4, pairs // 20):
        return None
    if odd and even <= odd // 20:
        return "utf-16-le"
    if even and odd <= even // 20:
        return "utf-16-be"
    return None


# Printable ASCII, CJK and punctuation (a character class, not a Python loop per
# character: the check runs over every file).
_IMPLAUSIBLE_CHAR = re.compile("[^\t\n\r\f\x20-\x7e\xa0-\u2fff\u3000-\u9fff\uac00-\ud7af"
                               "\uf900-\ufaff\ufe30-\uffef]")


def _plausible_text(text: str) -> bool:
    """Mostly printable ASCII, CJK and punctuation: random bytes decoded as GB18030 are not."""
    sample = text[:20_000]
    if not sample:
        return True
    good = len(sample) - len(_IMPLAUSIBLE_CHAR.findall(sample))
    return good >= 0.95 * len(sample)


def read_text(path: str | Path, fmt: str | None = None, data: bytes | None = None) -> Document:
    """Read a .txt or .md report into paragraphs and tables.

    :param data: the file's bytes, if already read (the file is then not opened).
    """
    path = Path(path)
    if data is not None:
        size = len(data)
    else:
        with open(path, "rb", buffering=0) as f:  # one open, its size from the open file
            size = os.fstat(f.fileno()).st_size
            if size <= MAX_TEXT_BYTES:
                data = f.read()
    if size > MAX_TEXT_BYTES:
        # Decided from the size alone: a 50 MB file is never read into memory.
        raise ReaderError(path, f"text file too large ({size // 1_048_576} MB; an annual report is under 1 MB)")
    text = decode_bytes(data, path)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = fmt or ("md" if path.suffix.lower() in (".md", ".markdown") else "txt")
    text, meta = _strip_front_matter(text) if text.startswith("---\n") else _strip_crawler_header(text)
    if "published" not in meta:  # a page's text copied whole: its header's 发布时间
        published = labelled_date(_page_header(text), TEXT_DATE_LABELS)
        if published:
            meta["published"] = published
    return Document(path=str(path), format=fmt, blocks=text_to_blocks(text), meta=meta,
                    sha256=hashlib.sha256(data).hexdigest())


def labelled_date(text: str, labels: list[re.Pattern] = DATE_LABELS) -> str | None:
    """The ISO date a 发布时间/发布日期/公开日期 … label prints in ``text`` (a page's), or None."""
    for label in labels:
        for match in label.finditer(text):
            date = match_to_iso(match)
            if date:
                return date
    return None


def match_to_iso(match) -> str | None:
    """A (year, month, day) match as an ISO date, None if no real date."""
    year, month, day = (int(g) for g in match.groups())
    if not (1949 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _page_header(text: str) -> str:
    """The lines before part 一 among the first HEADER_LINES that hold text."""
    header = []
    for line in text[:20_000].split("\n"):
        if FIRST_PART_LINE.match(line) or len(header) == HEADER_LINES:
            break
        if line.strip():
            header.append(line)
    return "\n".join(header)


def _strip_front_matter(text: str) -> tuple[str, dict[str, str]]:
    """A metadata block (--- … ---, its first 30 lines) naming a title or an address becomes metadata."""
    lines = text.split("\n", 31)
    end = next((i for i, line in enumerate(lines[1:31], 1) if line.strip() == "---"), None)
    if end is None:
        return text, {}
    meta = {}
    for line in lines[1:end]:
        key, _, value = line.partition(":")
        value = value.strip().strip("\"'").strip()
        if key.strip() in FRONT_MATTER_FIELDS and value:
            meta[FRONT_MATTER_FIELDS[key.strip()]] = value
    if "title" not in meta and "url" not in meta:
        return text, {}
    return "\n".join(lines[end + 1:]), meta


def _strip_crawler_header(text: str) -> tuple[str, dict[str, str]]:
    """A crawler's header block (标题: … until ==== 正文 ====) within the first 30 lines becomes metadata."""
    if "正文" not in text:
        return text, {}
    lines = text.split("\n", 30)  # the first 30 lines, then the rest in one piece
    for i, line in enumerate(lines[:30]):
        if CRAWLER_BODY.match(line.strip()):
            meta = {}
            for header in lines[:i]:
                key, _, value = header.partition(":")
                if key.strip() in CRAWLER_FIELDS and value.strip():
                    meta[CRAWLER_FIELDS[key.strip()]] = value.strip()
            return "\n".join(lines[i + 1:]), meta
    return text, {}


# A Word-export table: rows of tab-led cell lines, one blank line between rows; a cell
# may run on over lines without a tab (本年新\n制作数量). It ends at the first line that
# continues neither (a second blank line, or text after a blank line). A table is
# matched whole: its hundreds of cell lines are never looked at one by one. The
# repeats are possessive (*+): the kinds of line exclude each other, so there is
# nothing to backtrack into, and the engine keeps no memory per line matched.
_CELL_LINE = r"\t[^\n]*"
_RUN_ON_LINE = r"(?!\t)[^\S\n]*\S[^\n]*"
_BLANK_LINE = r"(?!\t)[^\S\n]*"
_TAB_ROW = _CELL_LINE + r"(?:\n(?:" + _CELL_LINE + "|" + _RUN_ON_LINE + r"))*+"
TAB_TABLE = re.compile(_TAB_ROW + r"(?:\n" + _BLANK_LINE + r"\n" + _TAB_ROW + r")*+")
TAB_ROW_BREAK = re.compile(r"\n" + _BLANK_LINE + r"\n")
TAB_RUN_ON = re.compile(r"\n" + _RUN_ON_LINE)
# Table rows written with bars: markdown's (a line whose first non-blank character is | with
# another | after it) and trafilatura's before 2.1, a bar after every cell and none before the
# first (规章 | 0 | 0 | 0 |), the two mixed in 2.0. A run of such lines is one table.
_MD_ROW = r"[^\S\n]*(?:\|[^\n]*\|[^\n]*|[^\s|][^\n]*\|[^\S\n]*)(?=\n|$)"
MD_TABLE = re.compile(_MD_ROW + r"(?:\n" + _MD_ROW + r")*+")
# html2text's tables: no outer bars (规章| 0| | 6), a ---|--- line under the first row, rows (one
# cell rows without a bar among them) up to a blank line. The first row and the rule line:
_PLAIN_SEPARATOR = r"[^\S\n]*:?-{3,}:?(?:[^\S\n]*\|[^\S\n]*:?-{3,}:?)*[^\S\n]*"
PLAIN_TABLE_START = re.compile(r"[^\S\n]*[^|\s][^\n]*\n" + _PLAIN_SEPARATOR + r"\n(?=[^\n]*\|)")
PLAIN_TABLE = re.compile(r"[^\n]*\n" + _PLAIN_SEPARATOR + r"(?:\n[^\S\n]*\S[^\n]*)*+")


def text_to_blocks(text: str) -> list[Paragraph | Table]:
    """Group lines into paragraphs, Word-export tables, markdown and bar tables, and tab-separated rows."""
    if "[" in text:
        text = BOOKMARK.sub("", text)
    if "\t" in text:
        text = _cells_between_tab_lines(text)
    blocks: list[Paragraph | Table] = []
    bar_tables: list[tuple[Table, str]] = []  # and how its rows are written
    start, end = 0, len(text)
    while start <= end:  # start: where a line begins
        if text.startswith("\t", start):
            table = TAB_TABLE.match(text, start)
            blocks.append(_tab_table(table.group(0)))
            start = table.end() + 1
            continue
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop
        stripped = text[start:stop].strip()
        match = found = None
        if stripped and text.startswith("-", stop + 1) and PLAIN_TABLE_START.match(text, start):
            match = PLAIN_TABLE.match(text, start)
            lines = match.group(0).split("\n")
            # html2text's: blanks kept in their columns
            found = Table([line.rstrip().split("|") for i, line in enumerate(lines) if i != 1]), "markdown"
        elif "\t" in stripped and (match := TSV_TABLE.match(text, start)):
            # every cell, blank or not, in its column
            found = Table([line.strip(" \u00a0").split("\t") for line in match.group(0).split("\n")]), "markdown"
        elif "|" in stripped and (match := MD_TABLE.match(text, start)):
            every_line = match.group(0).split("\n")
            lines = [line for line in every_line if not MD_SEPARATOR.match(line)]
            table = _bar_table(lines)
            if isinstance(table, Table):
                found = table, ("markdown" if len(lines) < len(every_line) else
                                "barred" if all(line.lstrip().startswith("|") for line in lines) else "unbarred")
            else:
                blocks.extend(table)
        if match:
            if found:
                blocks.append(found[0])
                bar_tables.append(found)
            start = match.end() + 1
            continue
        if stripped and stripped not in ("\u2002", "\u3000"):
            heading = MD_HEADING.match(stripped)
            if heading:
                blocks.append(Paragraph(heading.group(2).strip(), level=len(heading.group(1))))
            else:
                blocks.append(Paragraph(stripped))
        start = stop + 1
    _mark_dropped_blanks(bar_tables)
    return blocks


# A page's text as a browser gives it, rewritten (_cells_between_tab_lines): a table row a line, its cells
# between tabs, blanks in place (规章\t0\t\t6). Two such lines or more, one of three cells or more
# (a numbered heading written 一、\t总体情况 is two cells); none led by a tab (Word's export).
_TSV_ROW = r"[^\S\n\t]*[^\s][^\n\t]*\t[^\n]*"
TSV_TABLE = re.compile(r"(?=[^\n]*\t[^\n]*\t|[^\n]*\n[^\n]*\t[^\n]*\t)" + _TSV_ROW
                       + r"(?:\n" + _TSV_ROW + r")+")
# A browser's text of a page (a select-all copy, innerText, what Selenium and Playwright scrapers
# take): a tab between a row's cells, a line break after the row. A cell holding paragraphs gives
# one a line, an empty line between (and then tabs stand on lines of their own); two empty lines or
# more, or a line break alone, end a row. Such text is rewritten a row a line (TSV_TABLE reads it).
_CELL_BREAK = re.compile(r"[ \u00a0]*(?:\n[ \u00a0]*)*\t[ \u00a0]*(?:\n[ \u00a0]*)*|[ \u00a0]*(?:\n[ \u00a0]*)+")
_CONTENT_THEN_TAB = re.compile(r"\S[ \u00a0]*\t")
_TAB_ALONE = re.compile(r"\n[ \u00a0]*\n[ \u00a0]*\t[ \u00a0]*\n[ \u00a0]*\n")
# Word's export: a row's cells on consecutive lines, each led by a tab.
_WORD_CELLS = re.compile(r"^\t[^\n]*\n\t", re.M)
# A line of a cell cut in its width (三、本 / 年度办 / 理结果), told from a paragraph around the table.
_FRAGMENT = re.compile(r"[^。；：:!?！？]{1,8}")
_LOOSE_VALUE = re.compile(r"[+-]?\d[\d.,]*\s*(?:万元|元)?")
_UNFINISHED = ("、", "，", ",", "（", "(")


def _cells_between_tab_lines(text: str) -> str:
    """A browser's text of a page with each table row rewritten a line, its cells between tabs
    (a cell's paragraphs joined); any other text as it is, Word's export too (its cells on
    consecutive lines led by tabs, a heading 一、\t总体情况 among them or not)."""
    if _at_least(3, _WORD_CELLS, text) or not _CONTENT_THEN_TAB.search(text) and not _at_least(3, _TAB_ALONE, text):
        return text
    tokens = _CELL_BREAK.split(text)
    breaks = _CELL_BREAK.findall(text)
    out: list[str] = []
    pending: list[str] = []    # paragraphs since the last row: the next row's first cell, or text
    cells: list[str] = []      # the row's cells so far
    cell: list[str] = []       # the paragraphs of the cell being read
    in_row = False

    def end_row() -> None:
        nonlocal cells, cell, in_row
        if in_row:
            out.append("\t".join(cells + ["".join(cell)]))
        cells, cell, in_row = [], [], False

    for index, content in enumerate(tokens):
        content = content.strip(" \u00a0")
        if content:
            (cell if in_row else pending).append(content)
        if index == len(tokens) - 1:
            break
        gap = breaks[index]
        if "\t" in gap:
            if not in_row:  # the row's first cell: the last paragraphs a narrow cell makes
                take = _trailing_fragments(pending)
                out.extend(pending[:len(pending) - take])
                cell, pending, in_row = pending[len(pending) - take:], [], True
            cells.append("".join(cell))
            cell = []
            continue
        newlines = gap.count("\n")
        if not in_row:
            if newlines != 2:  # an empty line between paragraphs may still be inside a first cell
                out.extend(pending)
                pending = []
        elif newlines != 2 or (cell and _LOOSE_VALUE.fullmatch(cell[-1])):
            end_row()  # a line break alone, two empty lines, or a value then an empty line
    end_row()
    out.extend(pending)
    return "\n".join(out)


def _at_least(n: int, pattern: re.Pattern, text: str) -> bool:
    """Whether ``pattern`` occurs ``n`` times in ``text`` (the search stops there)."""
    return next(islice(pattern.finditer(text), n - 1, None), None) is not None


def _trailing_fragments(part: list[str]) -> int:
    """How many of the last paragraphs make one cell: the last, and before it the short ones and
    those a 、 or ， leaves unfinished (2.申请人逾期未按收费通知要求缴纳费用、 / 行政机关不再处理…)."""
    if not part:
        return 0
    take = 1
    while take < len(part) and not _LOOSE_VALUE.fullmatch(part[-take - 1]) and \
            (_FRAGMENT.fullmatch(part[-take - 1]) or part[-take - 1].endswith(_UNFINISHED)):
        take += 1
    return take


def _mark_dropped_blanks(bar_tables: list[tuple[Table, str]]) -> None:
    """Mark the bar tables whose blank cells may have been dropped (moved to their rows' ends).

    trafilatura's text before 2.3 drops blank cells and pads the row at its end (规章 | 0 | 6 | |
    for 0, blank, 6), its rows with or without a leading bar ("unbarred", "barred"), never with
    markdown's |---| line under a header. Markdown writers keep every cell in its column; so does
    trafilatura 2.3, whose sign is a blank cell before a filled one in some row (a header row's
    leading blanks, a blank middle cell). Where the document shows neither sign, trailing blanks
    may be moved ones; rows lacking a leading bar are trafilatura's before 2.3 whatever else.
    """
    in_place = any(written == "markdown" for _, written in bar_tables) or \
        any(_blank_before_filled(row) for table, _ in bar_tables for row in table.rows)
    for table, written in bar_tables:
        table.blanks_dropped = written == "unbarred" or not in_place


def _blank_before_filled(row: list[str]) -> bool:
    seen_blank = False
    for cell in row:
        if not cell.strip():
            seen_blank = True
        elif seen_blank:
            return True
    return False


def _tab_table(text: str) -> Table:
    """A matched TAB_TABLE -> rows of cells."""
    rows = [row[1:].split("\n\t") for row in TAB_ROW_BREAK.split(text)]  # each cell line starts with a tab
    if TAB_RUN_ON.search(text):  # a line without a tab continues the cell above it
        rows = [[cell.replace("\n", "") for cell in row] for row in rows]
    return Table(rows)


def _bar_table(lines: list[str]) -> Table | list[Paragraph]:
    """A run of bar rows as a table, unless no row has two filled cells: then each row is the
    line of text it holds (a page's title or date set in a layout table: 卓尼县人民政府2020年度
    …年度报告 | |||; a lone heading a bar ends: 一、总体情况 |)."""
    rows = [_md_cells(line) for line in lines]
    if any(sum(1 for cell in row if cell.strip()) >= 2 for row in rows):
        return Table(rows)
    texts = (" ".join(cell.strip() for cell in row if cell.strip()) for row in rows)
    return [Paragraph(text) for text in texts if text]


def _md_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return s.split("|")
