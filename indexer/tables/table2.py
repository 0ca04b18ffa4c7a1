"""Table 二 (主动公开): items -> t2.<row>.<col> figures.

Rows are found by label; their cells are read left to right (a merged layout
leaves the unused right-hand columns blank). Money goes to 万元. Table 二 has no
sums to check a split against, so digits that ran together are taken only when
a single reading exists (`000` -> 0 0 0); otherwise the cells stay null.
"""
from __future__ import annotations

from functools import lru_cache

from ..figure_keys import MONEY_KEYS, T2_2019_COLUMNS, T2_2019_ROWS, T2_2021_COLUMNS, T2_2021_ROWS, t2_keys
from ..report import Flag
from .digits import Reading, TooManyReadings, split_segments, to_int, windows
from .items import Item, values_unplaced
from .labels import match_t2_row
from .money import money_to_wan
from .result import TablePart, join_raw, unreadable, values_unplaced_flag

HEADER_WORDS = ("第二十条", "信息内容", "主动公开政府信息情况", "表二")


@lru_cache(maxsize=None)
def _row_figures(template: str) -> dict[str, tuple[str, ...]]:
    """Row key -> its figure keys t2.<row>.<col>, in printed order (built once per template)."""
    rows, columns = (T2_2019_ROWS, T2_2019_COLUMNS) if template == "2019" else (T2_2021_ROWS, T2_2021_COLUMNS)
    return {row: tuple(f"t2.{row}.{c}" for c, _ in columns[kind]) for _, kind, group in rows for row, _ in group}


def _readings(item: Item, n: int) -> list[Reading]:
    segments = item.segments
    if len(segments) == n:
        return [tuple(segments)]
    if len(segments) > n:
        found = windows(segments, n)
        return found[:1] if found else [tuple(segments[:n])]  # leftmost: unused columns are on the right
    try:
        return list(dict.fromkeys(split_segments(segments, n)))
    except TooManyReadings:
        return []


def _window_raws(item: Item, reading: Reading) -> list[str]:
    n = len(reading)
    for start in range(len(item.segments) - n + 1):
        if tuple(item.segments[start:start + n]) == tuple(reading):
            return item.raws[start:start + n]
    return [join_raw(item.raws)] * n


def items_to_t2(items: list[Item], template: str) -> TablePart:
    """Table 二's figures from the items of its region.

    :param items: the items from table 二's first header to table 三.
    :param template: "2019" or "2021".
    """
    part = TablePart()
    rows = _row_figures(template)
    part.figures = dict.fromkeys(t2_keys(template))
    header_says_wan = any("金额" in it.norm and "万元" in it.norm for it in items)
    chosen: dict[str, Item] = {}
    first_row = None
    for i, item in enumerate(items):
        key = match_t2_row(item.label, template, at_end=item.text) if item.label.strip() else None
        if key is None:
            if first_row is not None and item.in_table and item.label.strip() and \
                    not any(w in item.norm for w in HEADER_WORDS) and not item.norm.startswith("表"):
                part.cells[f"extra.t2.{item.label.strip()}"] = {"raw": join_raw(item.raws)}
            continue
        if first_row is None:
            first_row = i
        if key not in chosen or (not chosen[key].has_values() and item.has_values()):
            chosen[key] = item
    if not chosen:
        return part
    part.found = True
    unfound = [row for row in rows if row not in chosen]
    if unfound:
        part.flags.append(Flag("rows_missing", "t2",
                               f"{len(unfound)} row(s) of table 二 not found: {', '.join(unfound)}"))
    for row, keys in rows.items():
        item = chosen.get(row)
        if item is None:
            part.unread.update(keys)
            continue
        if values_unplaced(item, len(keys)):
            values_unplaced_flag(part, keys, f"t2.{row}", item.raws)
            continue
        readings = _readings(item, len(keys))
        if len(readings) != 1:
            part.unread.update(keys)
            for key in keys:
                part.cells[key] = {"raw": join_raw(item.raws), "note": "ambiguous run-together digits"}
            part.flags.append(Flag("digits_ambiguous", f"t2.{row}", f"'{join_raw(item.raws)}' has "
                                   f"{len(readings) or 'too many'} readings as {len(keys)} values"))
            continue
        reading = readings[0]
        split = len(item.segments) < len(keys)
        raws = [join_raw(item.raws)] * len(keys) if split else _window_raws(item, reading)
        for key, segment, raw in zip(keys, reading, raws):
            cell = {"raw": raw}
            if split:
                cell["note"] = f"split from run-together digits '{join_raw(item.raws)}'"
            if key in MONEY_KEYS:
                money = money_to_wan(segment, header_says_wan=header_says_wan) if segment is not None else None
                part.figures[key] = money.wan if money else None
                if money and money.note:
                    cell["note"] = f"{cell['note']}; {money.note}" if "note" in cell else money.note
                if money and money.assumed:
                    part.flags.append(Flag("unit_assumed", key, f"'{raw}' has no unit; taken as 万元"))
                if segment is not None and money is None:
                    unreadable(part, key, raw)
            else:
                part.figures[key] = to_int(segment)
                if segment is not None and part.figures[key] is None:
                    unreadable(part, key, raw)
            part.cells[key] = cell
    return part
