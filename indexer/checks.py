"""Consistency checks (勾稽关系) over a report's figures -> flags (docs/flags.md).

Each flag's ``where`` names the cells involved so the web page can mark them:

- ``t3_balance``   where = a table 三 column key ("natural" … "total"): the cells
  t3.new.<col>, t3.carried_over.<col>, t3.total.<col>, t3.carried_forward.<col>.
- ``t3_outcomes``  where = a table 三 column key: t3.total.<col> and every outcome row's <col>.
- ``t3_row_total`` where = a table 三 row key ("denied.third_party"): t3.<row>.* .
- ``t4_total``     where = a table 四 block key ("review"): t4.<block>.* .
- ``blank_cells``  where = "t2" | "t3" | "t4": the blank cells of that table (listed in detail).
- ``unit_assumed`` where = the full figure key (raised by the table mapper, which sees the cell).

``detail`` shows both sides and how far off: "5+0 != 4+0 (off by 1)".
A check is skipped where any of its inputs is null: a blank total whose parts are
filled is reported by blank_cells, never as a mismatch.
"""
from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from .figure_keys import (T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS, t2_keys,
                          t3_keys, t4_keys)
from .report import Flag

Figures = dict[str, float | int | None]
T4_PARTS = tuple(c for c, _ in T4_COLUMNS if c != "total")
BALANCE_ROWS = ("new", "carried_over", "total", "carried_forward")

# The figure keys each check reads are fixed per template: built once, not for every report.
BALANCE_KEYS = tuple((col, tuple(f"t3.{r}.{col}" for r in BALANCE_ROWS)) for col, _ in T3_COLUMNS)
T4_TOTAL_KEYS = tuple((block, f"t4.{block}.total", tuple(f"t4.{block}.{c}" for c in T4_PARTS))
                      for block, _ in T4_BLOCKS)


@lru_cache(maxsize=None)
def _outcome_keys(template: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(column, its total key, its outcome rows' keys) per table 三 column."""
    return tuple((col, f"t3.total.{col}", tuple(f"t3.{r}.{col}" for r in T3_OUTCOME_ROWS[template]))
                 for col, _ in T3_COLUMNS)


@lru_cache(maxsize=None)
def _row_total_keys(template: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(row, its total key, its applicant columns' keys) per table 三 row."""
    return tuple((row, f"t3.{row}.total", tuple(f"t3.{row}.{c}" for c in T3_APPLICANT_COLUMNS))
                 for row, _ in T3_ROWS[template])


def _fmt(values: list) -> str:
    return "+".join(str(v) for v in values)


def _off(left: float, right: float) -> str:
    diff = left - right
    return f"off by {abs(diff):g}"


def check_t3_balance(figures: Figures) -> list[Flag]:
    """Per column: 一 new + 二 carried_over = (七) total + 四 carried_forward."""
    flags = []
    for col, keys in BALANCE_KEYS:
        new, carried, total, forward = map(figures.get, keys)
        if None in (new, carried, total, forward):
            continue
        if new + carried != total + forward:
            flags.append(Flag("t3_balance", col, f"{new}+{carried} != {total}+{forward} "
                                                 f"({_off(new + carried, total + forward)})"))
    return flags


def check_t3_outcomes(figures: Figures, template: str) -> list[Flag]:
    """Per column: (七) total = the sum of every outcome row."""
    flags = []
    for col, total_key, keys in _outcome_keys(template):
        total = figures.get(total_key)
        parts = list(map(figures.get, keys))
        if total is None or None in parts:
            continue
        if sum(parts) != total:
            flags.append(Flag("t3_outcomes", col, f"sum of outcome rows {sum(parts)} != total {total} "
                                                  f"({_off(sum(parts), total)})"))
    return flags


def _parts_flag(code: str, where: str, total, parts: list) -> Flag | None:
    """A flag when every part and the total are filled in and the parts do not add up."""
    if total is None or None in parts or sum(parts) == total:
        return None
    return Flag(code, where, f"{_fmt(parts)} = {sum(parts)} != {total} ({_off(sum(parts), total)})")


def check_t3_row_totals(figures: Figures, template: str) -> list[Flag]:
    """Per row: the 总计 column = the six applicant columns."""
    flags = (_parts_flag("t3_row_total", row, figures.get(total_key), list(map(figures.get, keys)))
             for row, total_key, keys in _row_total_keys(template))
    return [f for f in flags if f]


def check_t4_totals(figures: Figures) -> list[Flag]:
    """Per block: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    flags = (_parts_flag("t4_total", block, figures.get(total_key), list(map(figures.get, keys)))
             for block, total_key, keys in T4_TOTAL_KEYS)
    return [f for f in flags if f]


def check_blank_cells(figures: Figures, template: str, unread: Collection[str] = ()) -> list[Flag]:
    """One flag per table with blank cells, listing them (cells left null because the
    document could not be read there are not blank, and a table wholly unread is missing)."""
    flags = []
    tables = (("t2", "二", t2_keys(template)), ("t3", "三", t3_keys(template)), ("t4", "四", t4_keys()))
    for table, name, keys in tables:
        if keys and all(k in unread for k in keys):
            continue
        blank = [k for k in keys if figures.get(k) is None and k not in unread]
        if blank:
            flags.append(Flag("blank_cells", table, f"{len(blank)} blank cell{'s' if len(blank) > 1 else ''} "
                                                    f"in table {name}: {', '.join(blank)}"))
    return flags


def check_figures(figures: Figures, template: str | None, *, unread: Collection[str] = ()) -> list[Flag]:
    """Every consistency check (docs/flags.md) over one report's figures.

    :param figures: figure key -> value (null for blank).
    :param template: "2019" / "2021"; None skips the checks (the mapper flags template_unknown).
    :param unread: keys null because the document could not be read there (ambiguous
        digits, missing table), not because the cell was left blank.
    """
    if template is None:
        return []
    return (check_t3_balance(figures) + check_t3_outcomes(figures, template) + check_t3_row_totals(figures, template)
            + check_t4_totals(figures) + check_blank_cells(figures, template, unread))
