"""The flags a correct parser must raise for a synthetic report, recomputed from
what was written (never from what was planted), and the section offsets of its text."""
from __future__ import annotations

from functools import lru_cache

from ..figure_keys import T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS
from .figures import UNIT_ASSUMED, FigureSet

# The figure key a narrative restatement is about.
STATED_KEYS = {"applications": "t3.new.total", "procurement_count": "t2.procurement.count",
               "procurement_amount_wan": "t2.procurement.amount_wan"}


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def table_flags(figures: FigureSet) -> list[dict]:
    """Findings of the table reader: money written without a unit."""
    flags = []
    for key, note in figures.notes.items():
        if note == UNIT_ASSUMED:
            flags.append({"code": "unit_assumed", "where": key,
                          "detail": f"'{figures.raw[key]}' has no unit; taken as 万元"})
    return flags


def cells_of(figures: FigureSet, keys: list[str]) -> dict[str, dict]:
    """The raw text of every figure cell as written (blank: ""), with the note of a money cell."""
    cells = {}
    for key in keys:
        cell = {"raw": figures.raw[key].strip()}
        if key in figures.notes:
            cell["note"] = figures.notes[key]
        cells[key] = cell
    return cells


@lru_cache(maxsize=None)
def _sum_checks(template: str) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """Every sum rule of a template as (code, where, left keys, right keys): sum(left) must equal sum(right)."""
    def t3(row: str, col: str) -> str:
        return f"t3.{row}.{col}"

    checks = []
    for col, _ in T3_COLUMNS:
        checks.append(("t3_balance", col, (t3("new", col), t3("carried_over", col)),
                       (t3("total", col), t3("carried_forward", col))))
    for col, _ in T3_COLUMNS:
        checks.append(("t3_outcomes", col, tuple(t3(row, col) for row in T3_OUTCOME_ROWS[template]),
                       (t3("total", col),)))
    for row, _ in T3_ROWS[template]:
        checks.append(("t3_row_total", row, tuple(t3(row, col) for col in T3_APPLICANT_COLUMNS),
                       (t3(row, "total"),)))
    for block, _ in T4_BLOCKS:
        checks.append(("t4_total", block, tuple(f"t4.{block}.{col}" for col, _ in T4_COLUMNS[:-1]),
                       (f"t4.{block}.total",)))
    return tuple(checks)


def check_flags(figures: FigureSet) -> list[dict]:
    """The 勾稽关系 (docs/flags.md) over the written figures (a check with a blank term is
    skipped), then one blank_cells flag per table with blank cells."""
    values = figures.values
    flags = []
    for code, where, left_keys, right_keys in _sum_checks(figures.template):
        left = [values[k] for k in left_keys]
        right = [values[k] for k in right_keys]
        if None in left or None in right:
            continue
        if sum(left) != sum(right):
            shown = "+".join(map(str, left)) + " != " + "+".join(map(str, right))
            flags.append({"code": code, "where": where, "detail": shown})
    for table, name in (("t2", "二"), ("t3", "三"), ("t4", "四")):
        blank = [key for key, value in values.items() if value is None and key.startswith(table + ".")]
        if blank:
            flags.append({"code": "blank_cells", "where": table, "detail": f"{len(blank)} blank cell"
                          f"{'s' if len(blank) > 1 else ''} in table {name}: {', '.join(blank)}"})
    return flags


def narrative_flags(figures: FigureSet) -> list[dict]:
    """Where the narrative restates a table figure and the two disagree."""
    flags = []
    for name, said in figures.stated.items():
        key = STATED_KEYS[name]
        table = figures.values[key]
        if table is not None and abs(said - table) > 1e-9:
            flags.append({"code": "narrative_mismatch", "where": key,
                          "detail": f"narrative says {_fmt(said)}, table says {_fmt(table)}"})
    return flags


def sections_of(paragraphs: list[str], headings: dict[int, int], closing: int = 0) -> list[dict]:
    """Section offsets into "\\n".join(paragraphs).

    :param headings: section number -> index of its heading paragraph.
    :param closing: how many paragraphs at the end are the closing signature and
        date, which belong to no part.
    A section runs from its heading to the end of the last paragraph before the
    next heading (the last one to the end of the text, less the closing).
    """
    starts, offset = [], 0
    for text in paragraphs:
        starts.append(offset)
        offset += len(text) + 1
    full = "\n".join(paragraphs)
    order = sorted(headings.items(), key=lambda item: item[1])
    sections = []
    for i, (n, index) in enumerate(order):
        last = order[i + 1][1] - 1 if i + 1 < len(order) else len(paragraphs) - 1 - closing
        start, end = starts[index], starts[last] + len(paragraphs[last])
        sections.append({"n": n, "heading": paragraphs[index], "text": full[start:end], "start": start, "end": end})
    return sections
