"""Document -> template, every figure key, raw cells and table flags (docs/report-format.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..document import Document
from ..figure_keys import all_figure_keys, blank_figures, t3_keys, t4_keys
from ..report import Flag
from .items import Item, cells_spaced_apart, document_to_items, find_regions
from .labels import detect_template_normalised
from .result import TablePart, Value
from .table2 import items_to_t2
from .table3 import items_to_t3
from .table4 import items_to_t4


@dataclass
class FigureResult:
    """The tables of one report.

    ``figures`` holds every key of the template (null where blank or unread);
    ``unread`` the keys that are null because the document could not be read
    there (missing table, ambiguous digits, unaligned rows) rather than blank;
    ``found_tables`` which of tables 2, 3, 4 were found.
    """
    template: str | None
    figures: dict[str, Value] = field(default_factory=dict)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    found_tables: set[int] = field(default_factory=set)
    unread: set[str] = field(default_factory=set)


def _region(items: list[Item], span: tuple[int, int] | None) -> list[Item]:
    return items[span[0]:span[1]] if span else []


def document_to_figures(document: Document) -> FigureResult:
    """Find tables 二, 三, 四 by their content and map their cells to figure keys.

    :param document: what a reader made of the file.
    :returns: the template ("2019"/"2021"/None), figures, cells and flags
        (template_unknown, missing_table_<n>, digits_ambiguous, rows_unaligned, unit_assumed).
    """
    items = document_to_items(document)
    regions = find_regions(items)
    cells_spaced_apart(items, regions)
    in_tables = _region(items, regions.t2) + _region(items, regions.t3)
    template = detect_template_normalised([item.norm for item in items], [item.norm for item in in_tables])
    result = FigureResult(template)
    if template is None:
        result.flags.append(Flag("template_unknown", None,
                                 "neither table 二's headers nor other wording tell the 2019 from the 2021 format"))
        return _figures_without_template(result, items, regions)
    parts: dict[int, TablePart] = {
        2: items_to_t2(_region(items, regions.t2), template),
        3: items_to_t3(_region(items, regions.t3), template),
        4: items_to_t4(_region(items, regions.t4)),
    }
    result.figures = blank_figures(template)
    for n, part in parts.items():
        if not part.found:
            result.flags.append(Flag(f"missing_table_{n}", f"t{n}", f"table {'二三四'[n - 2]} not found"))
            result.unread.update(k for k in result.figures if k.startswith(f"t{n}."))
            continue
        result.found_tables.add(n)
        result.figures.update(part.figures)  # keyed by the template's keys, as the result is
        result.cells.update(part.cells)
        result.flags.extend(part.flags)
        result.unread.update(part.unread)
    return result


def _figures_without_template(result: FigureResult, items: list[Item], regions) -> FigureResult:
    """Template unknown: still read what both formats share (table 三 but its 其他处理
    rows, table 四); every other key stays null and unread."""
    common = (set(t3_keys("2019")) & set(t3_keys("2021"))) | set(t4_keys())
    result.figures = dict.fromkeys(all_figure_keys())
    result.unread = set(result.figures) - common
    for n, part in ((3, items_to_t3(_region(items, regions.t3), "2021")), (4, items_to_t4(_region(items, regions.t4)))):
        if not part.found:
            if regions.t3 or regions.t4:
                result.flags.append(Flag(f"missing_table_{n}", f"t{n}", f"table {'二三四'[n - 2]} not found"))
            result.unread.update(k for k in common if k.startswith(f"t{n}."))
            continue
        result.found_tables.add(n)
        result.figures.update({k: v for k, v in part.figures.items() if k in common})
        result.cells.update({k: v for k, v in part.cells.items() if k in common})
        result.flags.extend(f for f in part.flags if not (f.where or "").startswith("t3.other"))
        result.unread.update(k for k in part.unread if k in common)
    return result
