"""Document blocks -> a flat list of labelled value rows ("items"), and where each table lies.

Every table row becomes one Item (its label cells joined, then its value cells);
running text is cut into label chunks each followed by its run of digits, so a
crawled page (`规章000规范性文件898989…`) yields the same kind of items as a
real table. Items keep document order: a table broken across pages, or labels
and values torn apart by a conversion, are put back together by the table
assemblers from that order.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from ..document import Document, Paragraph, Table
from .digits import Segment, clean_value, digit_count, is_blank
from .labels import nfkc, normalise

VALUE_CELL = re.compile(r"[+-]?\d[\d\s.,]*(?:万元|元)?")
# A digit that can be a value: not a numbering digit (2.其他…), which is no value even
# glued to the values before it.
_DIGIT = r"(?:\d(?![.．、]\s*[\u4e00-\u9fff“\"(（]))"
# A sign inside a run starts the next value: 行政事业性收费35-15 is 35 and -15 (table 二's 本年增/减
# of the 2019 format), never 3 5 with -15 left over.
_SIGNED = r"[-+\u2212](?=\d)"
RUN = re.compile(rf"{_DIGIT}(?:{_DIGIT}|[ \t]|{_SIGNED}|[.](?={_DIGIT})|,(?={_DIGIT}{{3}}(?!{_DIGIT})))*"
                 r"(?:\s*(?:万元|元))?")
_PIECE_BREAK = re.compile(rf"\s+|(?={_SIGNED})")
TRAILING_RUN = re.compile(r"\d\s*(?:万元|元)?\s*$")
PLACEHOLDER = re.compile(r"[-—–－―/／\\、]+|无")
# Matched at the end of a digit run (pattern.match(text, end)).
COUNTER_AFTER = re.compile(r"\s*[件条个项次篇份家%％年月日号期名位所起余多场天人户]")


@dataclass(slots=True)
class Item:
    """One row of label and values, from a table row or from running text.

    ``segments`` are the value cells in order (None for a blank cell); in running
    text they are the space-separated pieces of a digit run, which may hold several
    values run together (``text`` is True). ``raws`` holds each segment's cell as written.
    ``norm`` is the label as matched (labels.normalise). ``blanks_dropped``: the row's blank
    cells were dropped by its converter (document.Table), so ``segments`` are its values
    alone, in their columns only if there are exactly as many as the columns (``values_unplaced``).
    """
    label: str
    segments: list[Segment] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    text: bool = False
    in_table: bool = False
    block: int = 0
    blanks_dropped: bool = False
    spaced: bool = False  # running text whose values are each set apart by a space (cells_spaced_apart)
    norm: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.norm = normalise(self.label)  # every label is searched for anchors anyway

    def has_values(self) -> bool:
        return self.segments.count(None) < len(self.segments)  # some cell is not blank

    def capacity(self) -> int:
        """The most values the segments can hold (run-together digits counted one each)."""
        return digit_count(self.segments) if self.text else len(self.segments)


def _is_value_cell(cell: str) -> bool:
    return bool(VALUE_CELL.fullmatch(clean_value(cell))) or _is_placeholder(cell)


def _is_placeholder(cell: str) -> bool:
    """A dash, slash or 无 in a value cell: not filled in, so null like a blank."""
    return bool(PLACEHOLDER.fullmatch(clean_value(cell)))


class Cell(NamedTuple):
    """What a table cell's text says, read once per distinct text."""
    text: str                      # as written, without surrounding spaces
    blank: bool
    label: bool                    # filled and not a value: part of the row's label
    segments: tuple[Segment, ...]  # as a value cell: its pieces, or None if blank or a placeholder
    raws: tuple[str, ...]          # the text once for each segment


# The same few cell texts ("", "0", the template's labels) recur in every report.
@lru_cache(maxsize=16384)
def read_cell(cell: str | None) -> Cell:
    text = "" if cell is None else cell.strip()
    blank = is_blank(cell)
    if blank or _is_placeholder(cell):
        return Cell(text, blank, False, (None,), (text,))
    if not _is_value_cell(cell):
        return Cell(text, False, True, (), ())
    pieces = tuple(_run_pieces(clean_value(cell)))
    return Cell(text, False, False, pieces, (text,) * len(pieces))


def text_to_items(text: str, block: int = 0, *, in_table: bool = False) -> list[Item]:
    """Running text -> items: each label chunk with the digit run that follows it.

    A run followed by a counting word (21件, 2599条) is narrative, not a cell: its
    item keeps the label but no values.
    """
    text = nfkc(text)
    items: list[Item] = []
    start = 0
    for m in RUN.finditer(text):
        chunk = text[start:m.start()]
        run = text[m.start():m.end()].strip()
        start = m.end()
        if COUNTER_AFTER.match(text, m.end()):
            items.append(Item(chunk + run, text=True, in_table=in_table, block=block))
            continue
        pieces = _run_pieces(run)
        gaps = _VALUE_GAP.findall(run) if len(pieces) > 1 else []
        spaced = len(pieces) > 1 and len(gaps) == len(pieces) - 1
        items.append(Item(chunk, pieces, list(pieces), text=True, in_table=in_table, block=block,
                          blanks_dropped=spaced and _in_columns(gaps), spaced=spaced))
    tail = text[start:]
    if tail.strip():
        items.append(Item(tail, text=True, in_table=in_table, block=block))
    return items


# The space between two values of a run (not the space before a unit: 6.8 万元).
_VALUE_GAP = re.compile(r"(?<=\S)\s+(?=[\d+\-\u2212])")


def _in_columns(gaps: list[str]) -> bool:
    """Whether a run's values stand in columns: each apart from the next by two spaces or more, or
    a tab (a document's text in columns: pandoc, pdftotext -layout, a row copied from a page).
    They are then cells, a blank among them lost with its column (规章   5   24 is blank, 5, 24,
    never 5, 2, 4): Item.blanks_dropped. A crawl's spaces are single and stray (230 000023)."""
    return all(len(gap) >= 2 or "\t" in gap for gap in gaps)


# Digits that can only be several values run together: a number is never written 00 or 012.
_GLUED = re.compile(r"[+-]?0\d")


def cells_spaced_apart(items: list[Item], regions: "Regions") -> None:
    """Where no table of the document runs values together, its values set apart by single spaces
    are cells too (Item.blanks_dropped): Selenium's text of a page writes 行政强制 　 0 84 for blank,
    0, 84, never 0, 8, 4. A crawl that lost the cell borders glues digits somewhere in its tables
    (规章000, 0000000), and there a space may be a stray one (230 000023)."""
    spans = [span for span in (regions.t2, regions.t3, regions.t4) if span]
    tables = [item for start, end in spans for item in items[start:end]]
    if any(_GLUED.match(raw) for item in tables if item.text for raw in item.raws):
        return
    for item in tables:
        if item.spaced:
            item.blanks_dropped = True


def _run_pieces(run: str) -> list[str]:
    pieces = [piece.replace("\u2212", "-") for piece in _PIECE_BREAK.split(run) if piece]
    if len(pieces) > 1 and pieces[-1] in ("元", "万元"):  # "6.8 万元": the unit belongs to the amount
        pieces = pieces[:-2] + [pieces[-2] + pieces[-1]]
    return pieces


def row_to_items(row: list[str], block: int, *, blanks_dropped: bool = False) -> list[Item]:
    """A table row -> one item: label cells joined, then the cells after the last label cell.

    A row with a single filled cell holding label and digits (a text line a PDF
    extractor took for a table) is read as running text. A row whose blanks were dropped
    (``Item.blanks_dropped``) keeps its values alone, without the blanks padding its end.
    """
    read = _read_row(tuple(row))
    if isinstance(read, str):
        return text_to_items(read, block, in_table=True)
    label, segments, raws = read
    if blanks_dropped:
        kept = len(segments)
        while kept and not raws[kept - 1].strip():
            kept -= 1
        segments, raws = segments[:kept], raws[:kept]
    return [Item(label, list(segments), list(raws), in_table=True, block=block, blanks_dropped=blanks_dropped)]


def values_unplaced(item: Item, n: int) -> bool:
    """Whether a row whose blanks were dropped has values that cannot be placed in its ``n``
    columns: too few (规章 | 0 | 6 | | may be 0, blank, 6 or 0, 6, blank), or too many (a cell a line
    in a PDF's reading order: 行政处罚 / 行政强制 / 4119 / 195 gives 行政强制 both values)."""
    return item.blanks_dropped and 0 < len(item.segments) != n


# Header rows, label rows and rows of zeros recur in nearly every report: a row is
# read once per distinct content.
@lru_cache(maxsize=16384)
def _read_row(row: tuple[str, ...]) -> tuple[str, tuple[Segment, ...], tuple[str, ...]] | str:
    """A row's (label, segments, raws), or the text of its one cell when it is a line of running text."""
    cells = list(map(read_cell, row))
    filled = [i for i, c in enumerate(cells) if not c.blank]
    if len(filled) == 1 and cells[filled[0]].label and TRAILING_RUN.search(row[filled[0]]):
        return row[filled[0]]
    label_positions = [i for i in filled if cells[i].label]
    last = label_positions[-1] if label_positions else -1
    label = " ".join(cells[i].text for i in label_positions)
    segments: tuple[Segment, ...] = ()
    raws: tuple[str, ...] = ()
    for cell in cells[last + 1:]:
        segments += cell.segments
        raws += cell.raws
    return label, segments, raws


def document_to_items(document: Document) -> list[Item]:
    """Every block of the document as items, in reading order.

    In a document whose tables were flattened one cell a line, a line of label followed by
    lines that are each one value is that table row (``_cells_one_a_line``).
    """
    blocks = document.blocks
    one_a_line = _cells_one_a_line(blocks)
    items: list[Item] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if isinstance(block, Table):
            for row in block.rows:
                items.extend(row_to_items(row, index, blanks_dropped=block.blanks_dropped))
        elif isinstance(block, Paragraph):
            line_items = text_to_items(block.text, index)
            end = _value_lines_end(blocks, index + 1) if one_a_line else index + 1
            if end > index + 1 and not _is_value_cell(block.text) and not any(i.segments for i in line_items):
                items.extend(row_to_items([block.text] + [b.text for b in blocks[index + 1:end]], index,
                                          blanks_dropped=True))
                index = end
                continue
            items.extend(line_items)
        index += 1
    return items


# Tables flattened one cell a line, blank cells gone (trafilatura's text before 1.12, html-text,
# Selenium's text of cells holding blocks, a PDF's text in reading order; so a row's blanks count
# as dropped): 信息内容 / 本年制发件数 / … / 规章 / 0 / 0 / 0. Told by a header's cells on lines of
# their own: table 二's 信息内容 then a column's name, or table 三's 申请人情况 then 自然人. Only then
# is a line holding one value taken as a cell of the row above: elsewhere it may be a page number.
_HEADER_CELL_PAIRS = (("信息内容", re.compile(r"本年|上一年|采购")), ("申请人情况", re.compile(r"自然人")))


def _cells_one_a_line(blocks: list) -> bool:
    """Whether the document's tables were flattened one cell a line (a header so)."""
    for block, following in zip(blocks, blocks[1:]):
        if not (isinstance(block, Paragraph) and isinstance(following, Paragraph)):
            continue
        for header, next_cell in _HEADER_CELL_PAIRS:
            if header[-2:] in block.text and normalise(block.text) == header and \
                    next_cell.match(following.text.strip()):
                return True
    return False


def _value_lines_end(blocks: list, start: int) -> int:
    """The index after the run of paragraphs from ``start`` that are each one value cell."""
    end = start
    while end < len(blocks) and isinstance(blocks[end], Paragraph) and _is_value_cell(blocks[end].text):
        end += 1
    return end


@dataclass
class Regions:
    """Item index ranges [start, end) of tables 二, 三, 四 (None where not found)."""
    t2: tuple[int, int] | None
    t3: tuple[int, int] | None
    t4: tuple[int, int] | None


T2_ANCHORS = ("第二十条", "信息内容")
T3_ANCHORS = ("勾稽关系", "申请人情况")
T3_FALLBACK_ANCHORS = ("本年新收",)
T4_ANCHORS = ("复议",)
T4_END = ("主要问题", "改进情况", "其他需要报告")


class _Labels:
    """Every item's normalised label on a line of its own (a normalised label has no
    line breaks), so that one search finds the first item naming an anchor."""

    def __init__(self, items: list[Item]) -> None:
        norms = [item.norm for item in items]
        self.text = "\n".join(norms)
        self.starts = list(accumulate((len(norm) + 1 for norm in norms), initial=0))

    def first(self, words: tuple[str, ...], start: int = 0) -> int | None:
        """The index of the first item from ``start`` whose label holds one of the words."""
        found = [at for at in (self.text.find(w, self.starts[start]) for w in words) if at >= 0]
        return bisect_right(self.starts, min(found)) - 1 if found else None


def find_regions(items: list[Item]) -> Regions:
    """Locate the three tables by their own headers (not by section numbering:
    some reports repeat the tables in an annex under another numbering)."""
    labels = _Labels(items)
    t2_start = labels.first(T2_ANCHORS)
    t3_start = labels.first(T3_ANCHORS)
    if t3_start is None:
        t3_start = labels.first(T3_FALLBACK_ANCHORS)
    after_t3 = t3_start if t3_start is not None else (t2_start or 0)
    t4_start = labels.first(T4_ANCHORS, after_t3)
    t4_end = labels.first(T4_END, t4_start + 1) if t4_start is not None else None
    n = len(items)
    t2 = None
    t2_from = t2_start if t2_start is not None else 0
    t2_to = t3_start if t3_start is not None and t3_start > t2_from else (t4_start or n)
    if t2_start is not None or t3_start is not None:
        t2 = (t2_from, t2_to)
    t3 = (t3_start, t4_start if t4_start is not None else n) if t3_start is not None else None
    t4 = (t4_start, t4_end if t4_end is not None else n) if t4_start is not None else None
    return Regions(t2, t3, t4)
