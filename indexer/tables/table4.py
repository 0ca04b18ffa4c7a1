"""Table 四 (行政复议、行政诉讼): items -> t4.<block>.<col> figures.

The table is 2-3 header rows and one row of 15 values: 行政复议, 未经复议直接起诉,
复议后起诉, each 结果维持 结果纠正 其他结果 尚未审结 总计. The values may sit in 15
cells, in one cell separated by spaces, or run together (`000000000000000`);
run-together digits are split with each block's total.
"""
from __future__ import annotations

from ..figure_keys import T4_BLOCKS, T4_COLUMNS
from ..report import Flag
from .digits import Reading, Segment, TooManyReadings, digit_candidates, to_int
from .items import Item
from .result import TablePart, join_raw, unreadable

KEYS = [f"t4.{b}.{c}" for b, _ in T4_BLOCKS for c, _ in T4_COLUMNS]
N = len(KEYS)
BLOCK = len(T4_COLUMNS)


def _fits(reading: Reading) -> bool:
    values = [to_int(v) for v in reading]
    for b in range(0, N, BLOCK):
        block = values[b:b + BLOCK]
        if None not in block and sum(block[:-1]) != block[-1]:
            return False
    return True


def _value_items(items: list[Item]) -> list[Item]:
    """The first run of consecutive value rows after the headers, up to 15 values."""
    taken: list[Item] = []
    for item in items:
        if item.has_values():
            taken.append(item)
            if sum(i.capacity() for i in taken) >= N:
                break
        elif taken:
            break
    return taken


def items_to_t4(items: list[Item]) -> TablePart:
    """Table 四's figures from the items of its region (its header to part 五)."""
    part = TablePart(figures=dict.fromkeys(KEYS))
    taken = _value_items(items)
    if not taken:
        return part
    part.found = True
    segments: list[Segment] = [s for item in taken for s in item.segments]
    raws = [r for item in taken for r in item.raws]
    try:
        readings = digit_candidates(segments, N, _fits)
    except TooManyReadings:
        readings = []
    if len(readings) != 1:
        part.unread.update(KEYS)
        for key in KEYS:
            part.cells[key] = {"raw": join_raw(raws), "note": "ambiguous run-together digits"}
        part.flags.append(Flag("digits_ambiguous", "t4", f"'{join_raw(raws)}' has "
                               f"{len(readings) or 'no or too many'} readings as {N} values"))
        return part
    reading = readings[0]
    if len(segments) < N:
        run = " ".join(r for r in raws if r)
        cells = [{"raw": run, "note": f"split from run-together digits '{run}'"}] * N
    else:
        start = next(s for s in range(len(segments) - N + 1) if tuple(segments[s:s + N]) == reading)
        cells = [{"raw": r} for r in raws[start:start + N]]
    for key, segment, cell in zip(KEYS, reading, cells):
        part.figures[key] = to_int(segment)
        part.cells[key] = dict(cell)
        if segment is not None and part.figures[key] is None:
            unreadable(part, key, cell["raw"])
    return part
