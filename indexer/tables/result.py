"""What each table assembler hands back, and the flag codes the mapper raises."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..report import Flag

Value = int | float | None


@dataclass
class TablePart:
    """The figures of one table: values, raw cells, findings, and the keys left
    null because the document could not be read there (not because they are blank)."""
    found: bool = False
    figures: dict[str, Value] = field(default_factory=dict)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    unread: set[str] = field(default_factory=set)


def join_raw(raws: list[str]) -> str:
    return " | ".join(r for r in raws)


def values_unplaced_flag(part: TablePart, keys: list[str] | tuple[str, ...], where: str, raws: list[str]) -> None:
    """A row whose converter dropped its blank cells and left it more or fewer values than
    columns (items.values_unplaced): its keys null, unread, flagged ``blanks_dropped``."""
    raw = join_raw(raws)
    part.unread.update(keys)
    for key in keys:
        part.cells[key] = {"raw": raw, "note": "the row's blank cells dropped by its converter"}
    values = sum(1 for r in raws if r.strip())
    part.flags.append(Flag("blanks_dropped", where, f"'{raw}': {values} value(s) for {len(keys)} columns, "
                                                  "its blank cells dropped by its converter"))


def unreadable(part: TablePart, key: str, raw: str) -> None:
    """A value cell that is not a number (1.2.3, ¥ 5 …): null, unread, flagged."""
    part.unread.add(key)
    part.flags.append(Flag("cell_unreadable", key, f"'{raw}' is not a number"))
