"""Table 四 (行政复议、行政诉讼): items -> t4.<block>.<col> figures.

The table is 2-3 header rows and one row of 15 values: 行政复议, 未经复议直接起诉,
复议后起诉, each 结果维持 结果纠正 其他结果 尚未审结 总计. The values may sit in 15
cells, in one cell separated by spaces, or run together (`000000000000000`);
run-together digits are split with each block's total.

Some reports print it as three small tables, one per block, each titled with its
block (行政复议 / 未经复议直接起诉 / 复议后起诉) above its own five-column header:
each block's values are then read from the rows under its own title.
"""
from __future__ import annotations

from ..figure_keys import T4_BLOCKS, T4_COLUMNS
from ..report import Flag
from .digits import Reading, Segment, TooManyReadings, digit_candidates, to_int
from .items import Item
from .result import TablePart, join_raw, unreadable, values_unplaced_flag

KEYS = [f"t4.{b}.{c}" for b, _ in T4_BLOCKS for c, _ in T4_COLUMNS]
N = len(KEYS)
BLOCK = len(T4_COLUMNS)
# What names each block in a title; 未经复议 and 复议后 before 行政复议, whose word
# the other two titles may hold (复议后起诉 follows 行政复议 in a row of titles).
_BLOCK_WORDS = (("litigation_direct", ("未经复议", "直接起诉")), ("litigation_after_review", ("复议后",)),
                ("review", ("行政复议",)))


def _fits(reading: Reading) -> bool:
    values = [to_int(v) for v in reading]
    for b in range(0, len(values), BLOCK):
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


def _block_named(label: str) -> str | None:
    """The one block a label names as its title, else None (a header naming several)."""
    named = set()
    rest = label
    for block, words in _BLOCK_WORDS:
        if any(word in rest for word in words):
            named.add(block)
            for word in words:
                rest = rest.replace(word, "")
    return named.pop() if len(named) == 1 else None


def _split_value_items(items: list[Item]) -> dict[str, list[Item]] | None:
    """Table 四 as three small tables: each block's value rows, found under its own title.

    None unless every block has a title (the part's heading may name 行政复议 first)
    and value rows under it, each block's once.
    """
    blocks: dict[str, list[Item]] = {}
    current = None
    for item in items:
        named = _block_named(item.norm)
        if named is not None:
            if blocks.get(named):
                return None  # a block titled again after its values: not this layout
            current = named
            blocks.setdefault(named, [])
        if item.has_values():
            if current is None:
                return None
            blocks[current].append(item)
    if len(blocks) != len(T4_BLOCKS) or not all(blocks.values()):
        return None
    return blocks


def items_to_t4(items: list[Item]) -> TablePart:
    """Table 四's figures from the items of its region (its header to part 五)."""
    part = TablePart(figures=dict.fromkeys(KEYS))
    taken = _value_items(items)
    if not taken:
        return part
    part.found = True
    split = _split_value_items(items) if sum(i.capacity() for i in taken) < N else None
    if split is None:
        _read_values(part, KEYS, taken, "t4")
        return part
    for block, _ in T4_BLOCKS:
        keys = [f"t4.{block}.{c}" for c, _ in T4_COLUMNS]
        _read_values(part, keys, split[block], f"t4.{block}")
    return part


def _read_values(part: TablePart, keys: list[str], taken: list[Item], where: str) -> None:
    """The values of ``taken`` into ``keys``: run-together digits split by the blocks' sums,
    left null with ``digits_ambiguous`` at ``where`` unless exactly one reading fits."""
    n = len(keys)
    segments: list[Segment] = [s for item in taken for s in item.segments]
    raws = [r for item in taken for r in item.raws]
    if any(item.blanks_dropped for item in taken) and 0 < len(segments) != n:
        values_unplaced_flag(part, keys, where, raws)
        return
    try:
        readings = digit_candidates(segments, n, _fits)
    except TooManyReadings:
        readings = []
    if len(readings) != 1:
        part.unread.update(keys)
        for key in keys:
            part.cells[key] = {"raw": join_raw(raws), "note": "ambiguous run-together digits"}
        part.flags.append(Flag("digits_ambiguous", where, f"'{join_raw(raws)}' has "
                               f"{len(readings) or 'no or too many'} readings as {n} values"))
        return
    reading = readings[0]
    if len(segments) < n:
        run = " ".join(r for r in raws if r)
        cells = [{"raw": run, "note": f"split from run-together digits '{run}'"}] * n
    else:
        start = next(s for s in range(len(segments) - n + 1) if tuple(segments[s:s + n]) == reading)
        cells = [{"raw": r} for r in raws[start:start + n]]
    for key, segment, cell in zip(keys, reading, cells):
        part.figures[key] = to_int(segment)
        part.cells[key] = dict(cell)
        if segment is not None and part.figures[key] is None:
            unreadable(part, key, cell["raw"])
