"""Table 三 (依申请公开): items -> t3.<row>.<col> figures.

Rows come in the template's fixed order. Labelled rows anchor; value rows whose
label was lost (torn apart by a conversion) fill the gaps between anchors in
order, but only when their number equals the number of rows missing there.
Cells that ran together are split by the row's own sum (总计 = the six applicant
columns), then by the column sums (一+二 = (七)+四; (七) = every outcome row).
"""
from __future__ import annotations

from itertools import product

from ..figure_keys import T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, blank_figures
from ..report import Flag
from .digits import Reading, TooManyReadings, digit_candidates, to_int
from .items import Item, values_unplaced
from .labels import match_t3_row
from .result import TablePart, join_raw, unreadable, values_unplaced_flag

COLUMNS = [c for c, _ in T3_COLUMNS]
N = len(COLUMNS)
# row key -> its figure keys t3.<row>.<col>, in column order
ROW_FIGURES = {row: tuple(f"t3.{row}.{col}" for col in COLUMNS) for rows in T3_ROWS.values() for row, _ in rows}
MAX_COMBINATIONS = 200_000
# Words of the applicant columns' header rows, never of a row's label (自然人 | 法人或其他组织 |
# 总计 names 总计 but is no total row, whatever blank cells a converter pads it with).
COLUMN_HEADER_WORDS = ("自然人", "法人或其他组织", "申请人情况")


def _row_fits(reading: Reading) -> bool:
    values = [to_int(v) for v in reading]
    if any(v is None for v in values):
        return True
    return sum(values[:-1]) == values[-1]


def _complete_missing(cells: Reading, position: int) -> Reading | None:
    """A row with one cell missing: the missing value from the row-total identity."""
    values = [to_int(v) for v in cells]
    if any(v is None for v in values):
        return None
    if position == N - 1:
        missing = sum(values)
    else:
        missing = values[-1] - sum(values[:-1])
        if missing < 0:
            return None
    return tuple(cells[:position]) + (str(missing),) + tuple(cells[position:])


def _value_rows(items: list[Item], template: str) -> list[tuple[str | None, Item]]:
    """(row key or None, item) for every item that can be a row of values.

    A labelled table row with no values followed, in the same table, by a row of
    values with no label is one row (a label cell the converter put on a line of its own).
    """
    rows: list[tuple[str | None, Item]] = []
    previous = None
    pending: tuple[str, Item] | None = None

    def flush() -> None:
        nonlocal pending
        if pending and len(pending[1].segments) >= N - 1:
            rows.append(pending)  # a labelled row whose cells are all blank (not a header naming 总计)
        pending = None

    for item in items:
        key = match_t3_row(item.label, template, previous=previous, at_end=item.text) if item.label.strip() else None
        if not item.has_values():
            if key and item.in_table and not item.text and not any(w in item.norm for w in COLUMN_HEADER_WORDS):
                flush()
                pending = (key, item)
                previous = key
            continue
        if key is None and (item.capacity() < N - 1 or (item.text and item.capacity() < N)):
            continue  # a stray number, not a row of seven
        if key is None and pending and pending[1].block == item.block:
            key, pending = pending[0], None
        flush()
        rows.append((key, item))
        if key:
            previous = key
    flush()
    return rows


def _align(rows: list[tuple[str | None, Item]], template: str, part: TablePart) -> tuple[dict[str, Item], set[str]]:
    """Row key -> item: anchors by label, unlabelled rows by order between anchors;
    and the row keys of gaps that could not be filled (flagged rows_unaligned)."""
    order = [r for r, _ in T3_ROWS[template]]
    index = {k: i for i, k in enumerate(order)}
    assigned: dict[str, Item] = {}
    unaligned: set[str] = set()
    last = -1
    gap: list[Item] = []

    def fill(upto: int) -> None:
        if not gap:
            return
        missing = [order[i] for i in range(last + 1, upto) if order[i] not in assigned]
        if len(gap) == len(missing):
            assigned.update(zip(missing, gap))
        else:
            unaligned.update(missing)
            where = missing[0] if missing else order[min(upto, len(order) - 1)]
            part.flags.append(Flag("rows_unaligned", f"t3.{where}",
                                   f"{len(gap)} unlabelled value rows for {len(missing)} table rows "
                                   f"({', '.join(missing) or 'none'})"))
        gap.clear()

    for key, item in rows:
        if key is None:
            gap.append(item)
            continue
        if key not in index:  # （六）其他处理 alone in a 2021 table: closes the gap before its sub-rows
            fill(index["other.no_correction"])
            last = index["other.no_correction"] - 1
            continue
        if key in assigned or index[key] <= last:
            part.flags.append(Flag("rows_unaligned", f"t3.{key}",
                                   f"row {key} appears again or out of order; later one ignored"))
            continue
        fill(index[key])
        assigned[key] = item
        last = index[key]
    fill(len(order))
    return assigned, unaligned


def _column_identities_hold(values: dict[str, int | None], template: str) -> bool:
    outcome_rows = T3_OUTCOME_ROWS[template]
    for col in COLUMNS:
        get = lambda row: values.get(f"t3.{row}.{col}")  # noqa: E731
        balance = [get("new"), get("carried_over"), get("total"), get("carried_forward")]
        if None not in balance and balance[0] + balance[1] != balance[2] + balance[3]:
            return False
        outcomes = [get(r) for r in outcome_rows]
        if get("total") is not None and None not in outcomes and sum(outcomes) != get("total"):
            return False
    return True


def _set_row(part: TablePart, key: str, reading: Reading, raws: list[str], note: str | None) -> None:
    for fig, segment, raw in zip(ROW_FIGURES[key], reading, raws):
        value = to_int(segment)
        part.figures[fig] = value
        part.cells[fig] = {"raw": raw, "note": note} if note else {"raw": raw}
        if segment is not None and value is None:
            unreadable(part, fig, raw)


def items_to_t3(items: list[Item], template: str) -> TablePart:
    """Table 三's figures from the items of its region.

    :param items: the items between table 三's header and table 四.
    :param template: "2019" or "2021" (decides the 其他处理 rows).
    """
    part = TablePart()
    keys = [r for r, _ in T3_ROWS[template]]
    part.figures = blank_figures(template, "t3")
    rows = _value_rows(items, template)
    if not rows:
        return part
    part.found = True
    group_rows = [item for key, item in rows if key == "other" and template == "2021"]
    assigned, unaligned = _align(rows, template, part)
    ambiguous: dict[str, list[Reading]] = {}
    for key in keys:
        item = assigned.get(key)
        if item is None:
            part.unread.update(ROW_FIGURES[key])
            continue
        if values_unplaced(item, N):
            values_unplaced_flag(part, ROW_FIGURES[key], f"t3.{key}", item.raws)
            continue
        if len(item.segments) == N:  # a cell for each column: nothing to split or complete
            _set_row(part, key, tuple(item.segments), item.raws, None)
            continue
        try:
            readings = digit_candidates(item.segments, N, _row_fits,
                                        missing_cell=None if item.text else _complete_missing)
        except TooManyReadings:
            readings = []
        if len(readings) == 1:
            _set_row(part, key, readings[0], *_raws_and_note(item, readings[0]))
        elif readings:
            ambiguous[key] = readings
        else:
            part.unread.update(ROW_FIGURES[key])
            part.flags.append(Flag("digits_ambiguous", f"t3.{key}",
                                   f"'{join_raw(item.raws)}': no reading as {N} values fits the row total"))
    if ambiguous:
        _resolve_by_columns(part, ambiguous, assigned, template)
    if group_rows and not any(k.startswith("other.") for k in assigned):
        _other_from_group_row(part, group_rows[0])
        unaligned.update(k for k in keys if k.startswith("other."))  # reported by the group row
    unplaced = [k for k in keys if k not in assigned and k not in unaligned and f"t3.{k}.natural" in part.unread]
    if unplaced:
        part.flags.append(Flag("rows_missing", "t3",
                               f"{len(unplaced)} row(s) of table 三 not found: {', '.join(unplaced)}"))
    return part


def _other_from_group_row(part: TablePart, item: Item) -> None:
    """A 2021 report printing a single （六）其他处理 row (the 2019 layout): its three
    sub-rows are known only when the row is all zero (counts are never negative)."""
    sub_rows = ("other.no_correction", "other.no_fee", "other.other")
    try:
        readings = digit_candidates(item.segments, N, _row_fits)
    except TooManyReadings:
        readings = []
    if len(readings) == 1 and all(to_int(v) == 0 for v in readings[0]):
        raws = item.raws if len(item.raws) == N else [join_raw(item.raws)] * N
        for key in sub_rows:
            _set_row(part, key, readings[0], raws,
                     "the report prints one （六）其他处理 row, all 0, so each of its sub-rows is 0")
            part.unread.difference_update(ROW_FIGURES[key])
        return
    part.flags.append(Flag("rows_merged", "t3.other", f"one （六）其他处理 row ({join_raw(item.raws)}) for the three "
                                                   "sub-rows of the 2021 format; sub-rows left null"))


def _raws_and_note(item: Item, reading: Reading) -> tuple[list[str], str | None]:
    if len(item.segments) > N:  # a window of the cells: surplus blank cells dropped at an end
        for start in range(len(item.segments) - N + 1):
            if tuple(item.segments[start:start + N]) == tuple(reading):
                return item.raws[start:start + N], None
    run = " ".join(s for s in item.raws if s) if item.text else join_raw(item.raws)
    if item.text or any(len(s or "") > 1 for s in item.segments):
        return [run] * N, f"split from run-together digits '{run}'"
    return [run] * N, f"{len(item.segments)} values for {N} columns; completed from the row-total identity"


def _resolve_by_columns(part: TablePart, ambiguous: dict[str, list[Reading]], assigned: dict[str, Item],
                        template: str) -> None:
    """Choose among a row's readings with the column sums; take a row only where every
    surviving combination agrees on it."""
    keys = list(ambiguous)
    total = 1
    for k in keys:
        total *= len(ambiguous[k])
    surviving: list[tuple[Reading, ...]] = []
    if total <= MAX_COMBINATIONS:
        for combo in product(*(ambiguous[k] for k in keys)):
            values = dict(part.figures)
            for key, reading in zip(keys, combo):
                values.update({f"t3.{key}.{c}": to_int(v) for c, v in zip(COLUMNS, reading)})
            if _column_identities_hold(values, template):
                surviving.append(combo)
    for i, key in enumerate(keys):
        choices = {combo[i] for combo in surviving} or set(ambiguous[key])
        item = assigned[key]
        if len(choices) == 1:
            reading = choices.pop()
            raws, note = _raws_and_note(item, reading)
            _set_row(part, key, reading, raws, f"{note}; chosen by the column sums" if note
                     else "chosen by the column sums")
            continue
        # keep the cells every remaining reading agrees on; the others stay null
        raw = join_raw(item.raws)
        uncertain = []
        for position, col in enumerate(COLUMNS):
            values = {reading[position] for reading in choices}
            fig = f"t3.{key}.{col}"
            if len(values) == 1:
                part.figures[fig] = to_int(values.pop())
                part.cells[fig] = {"raw": raw, "note": f"the same in all {len(choices)} readings of '{raw}'"}
            else:
                uncertain.append(col)
                part.unread.add(fig)
                part.cells[fig] = {"raw": raw, "note": "ambiguous: " + " / ".join(sorted(str(v) for v in values))}
        part.flags.append(Flag("digits_ambiguous", f"t3.{key}",
                               f"'{raw}' has {len(choices)} readings as {N} values; "
                               f"{', '.join(uncertain)} left null"))
