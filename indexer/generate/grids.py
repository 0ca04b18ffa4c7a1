"""The three tables of the national template as grids with merged cells.

One grid per table; each writer renders it its own way (Word merges, HTML
rowspan/colspan, reportlab spans, Word's text export, markdown).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..figure_keys import (T2_2019_COLUMNS, T2_2019_ROWS, T2_2021_COLUMNS, T2_2021_ROWS, T3_COLUMNS, T3_GROUPS,
                           T3_ROWS, T4_BLOCKS, T4_COLUMNS)

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(frozen=True)
class Cell:
    """A cell: fixed text (a header), or the figure ``key`` whose written value it shows."""
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    key: str | None = None


@dataclass(frozen=True)
class Shape:
    """A table's fixed layout as a full matrix: an anchor Cell where a cell starts,
    None where a merged cell covers the position."""
    ncols: int
    rows: tuple[tuple[Cell | None, ...], ...]

    @cached_property
    def word_layout(self) -> tuple[tuple[Cell | None, ...], ...]:
        """Rows as Word's text export writes them: a horizontally merged cell once,
        a vertically merged continuation as one empty cell (None here)."""
        owner: dict[tuple[int, int], tuple[int, int]] = {}
        for r, row in enumerate(self.rows):
            for c, cell in enumerate(row):
                if cell is not None:
                    owner.update(((r + dr, c + dc), (r, c)) for dr in range(cell.rowspan)
                                 for dc in range(cell.colspan))
        out = []
        for r in range(len(self.rows)):
            row, c = [], 0
            while c < self.ncols:
                ar, ac = owner[(r, c)]
                cell = self.rows[ar][ac]
                row.append(cell if ar == r else None)
                c = ac + cell.colspan
            out.append(tuple(row))
        return tuple(out)


    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The figure keys the table shows, in reading order."""
        return tuple(cell.key for row in self.rows for cell in row if cell is not None and cell.key)

    @cached_property
    def word_pieces(self) -> tuple[tuple[bool, str], ...]:
        """Word's text layout as (is fixed text, text or figure key) pieces, so that a
        report's table is one join (text files are written by the ten thousand)."""
        pieces: list[tuple[bool, str]] = []
        for row in self.word_layout:
            for cell in row:
                pieces.append((True, "\t"))
                if cell is not None and cell.key:
                    pieces.append((False, cell.key))
                else:
                    pieces.append((True, cell.text if cell is not None else ""))
                pieces.append((True, "\n"))
            pieces.append((True, "\n"))
        return tuple(pieces)


@dataclass(frozen=True)
class Grid:
    """A table of one report: its shape and the written text of its figure cells."""
    shape: Shape
    values: dict[str, str]

    @property
    def ncols(self) -> int:
        return self.shape.ncols

    @property
    def rows(self):
        return self.shape.rows

    def text(self, cell: Cell | None) -> str:
        if cell is None:
            return ""
        return self.values[cell.key] if cell.key else cell.text

    def anchors(self):
        """(row, column, cell) of every cell, in reading order."""
        for r, row in enumerate(self.shape.rows):
            for c, cell in enumerate(row):
                if cell is not None:
                    yield r, c, cell

    def word_text(self, padded: frozenset[str] = frozenset()) -> str:
        """The table in Word's text layout: each cell a tab-led line, a blank line after each row.

        :param padded: figure keys whose value Word wrote with an en space beside it (seed 000).
        """
        values = self.values
        return "".join(piece if is_text else ("\u2002" + values[piece] if piece in padded else values[piece])
                       for is_text, piece in self.shape.word_pieces)

    def matrix(self) -> list[list[str]]:
        """Every position, merged continuations empty (markdown, reportlab)."""
        text = self.text
        return [[text(cell) for cell in row] for row in self.shape.rows]


class _Builder:
    """Fills a grid row by row, skipping positions a merged cell above already covers."""

    def __init__(self, ncols: int):
        self.ncols = ncols
        self.rows: list[list[Cell | None]] = []
        self._covered: set[tuple[int, int]] = set()

    def add_row(self, *cells: Cell) -> None:
        r = len(self.rows)
        self.rows.append([None] * self.ncols)
        c = 0
        for cell in cells:
            while (r, c) in self._covered:
                c += 1
            self.rows[r][c] = cell
            self._covered.update((r + dr, c + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            c += cell.colspan

    def shape(self) -> Shape:
        return Shape(self.ncols, tuple(tuple(row) for row in self.rows))


def _h(text: str, rowspan: int = 1, colspan: int = 1) -> Cell:
    return Cell(text, rowspan, colspan, header=True)


# Header wordings real reports use besides the template's (seed 002).
FEE_HEADER_VARIANT = "本年收费金额（单位：万元，保留4位小数）"
SOCIAL_HEADER_VARIANT = "社会组织"


def table_two(template: str, raw: dict[str, str], variant: bool = False) -> Grid:
    """Table 二 (主动公开) of ``template`` showing the written values ``raw``.

    :param variant: use the header wordings some reports have instead of the template's.
    """
    return Grid(_table_two_shape(template, variant), raw)


def table_three(template: str, raw: dict[str, str], variant: bool = False) -> Grid:
    """Table 三 (依申请公开) of ``template`` showing the written values ``raw``."""
    return Grid(_table_three_shape(template, variant), raw)


def table_four(raw: dict[str, str]) -> Grid:
    """Table 四 (行政复议、行政诉讼) showing the written values ``raw``."""
    return Grid(_table_four_shape(), raw)


def _v(key: str, colspan: int = 1) -> Cell:
    return Cell("", 1, colspan, key=key)


@lru_cache(maxsize=None)
def _table_two_shape(template: str, variant: bool) -> Shape:
    rows, columns = (T2_2019_ROWS, T2_2019_COLUMNS) if template == "2019" else (T2_2021_ROWS, T2_2021_COLUMNS)
    b = _Builder(4)
    for item, kind, group in rows:
        b.add_row(_h(item, colspan=4))
        cols = columns[kind]
        if variant and kind == "fee" and template == "2021":
            cols = ((cols[0][0], FEE_HEADER_VARIANT),)
        spans = [1] * len(cols)
        spans[-1] = 4 - len(cols)
        b.add_row(_h("信息内容"), *[_h(header, colspan=span) for (_, header), span in zip(cols, spans)])
        for row_key, label in group:
            b.add_row(Cell(label), *[_v(f"t2.{row_key}.{col}", span) for (col, _), span in zip(cols, spans)])
    return b.shape()


@lru_cache(maxsize=None)
def _table_three_shape(template: str, variant: bool) -> Shape:
    b = _Builder(10)
    b.add_row(_h(T3_NOTE, rowspan=3, colspan=3), _h("申请人情况", colspan=7))
    b.add_row(_h("自然人", rowspan=2), _h("法人或其他组织", colspan=5), _h("总计", rowspan=2))
    b.add_row(*[_h(SOCIAL_HEADER_VARIANT if variant and col == "social" else header)
                for col, header in T3_COLUMNS[1:6]])
    rows = T3_ROWS[template]
    outcome_count = sum(1 for key, _ in rows if key not in ("new", "carried_over", "carried_forward"))

    def values(key: str) -> list[Cell]:
        return [_v(f"t3.{key}.{col}") for col, _ in T3_COLUMNS]

    group_sizes: dict[str, int] = {}
    for key, _ in rows:
        if "." in key:
            group_sizes[key.split(".")[0]] = group_sizes.get(key.split(".")[0], 0) + 1
    first_outcome = True
    seen_groups: set[str] = set()
    for key, label in rows:
        if key in ("new", "carried_over", "carried_forward"):
            b.add_row(_h(label, colspan=3), *values(key))
            continue
        lead = [_h("三、本年度办理结果", rowspan=outcome_count)] if first_outcome else []
        first_outcome = False
        group = key.split(".")[0] if "." in key else None
        if group is None:
            b.add_row(*lead, _h(T3_GROUPS["other"] if key == "other" else label, colspan=2), *values(key))
        elif group not in seen_groups:
            seen_groups.add(group)
            b.add_row(*lead, _h(T3_GROUPS[group], rowspan=group_sizes[group]), _h(label), *values(key))
        else:
            b.add_row(_h(label), *values(key))
    return b.shape()


@lru_cache(maxsize=None)
def _table_four_shape() -> Shape:
    b = _Builder(15)
    b.add_row(_h("行政复议", colspan=5), _h("行政诉讼", colspan=10))
    b.add_row(*[_h(header, rowspan=2) for _, header in T4_COLUMNS], _h(T4_BLOCKS[1][1], colspan=5),
              _h(T4_BLOCKS[2][1], colspan=5))
    b.add_row(*[_h(header) for _ in range(2) for _, header in T4_COLUMNS])
    b.add_row(*[_v(f"t4.{block}.{col}") for block, _ in T4_BLOCKS for col, _ in T4_COLUMNS])
    return b.shape()
