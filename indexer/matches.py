"""What a query's figure comparisons and ``flag:`` filters point at in one report: the figures
they matched, with the table cells behind them (docs/query-language.md#links-down-to-the-cell).

An alias points at the cells its value is summed from (``aliases.alias_sources``);
a figure key at its own cell. Only what holds for the report is returned, so in
``a>0 OR b>0`` a report shows the comparison that let it in.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import lru_cache

from .aliases import ALIASES, alias_sources
from .figure_keys import all_figure_keys
from .query import And, Compare, Filter, Node, Or, QuerySyntaxError, parse_query

_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
              "!=": operator.ne}


@dataclass(frozen=True)
class FigureMatch:
    """One comparison of the query that holds for a report."""
    key: str                   # the alias or figure key compared
    test: str                  # the comparison as written in the query, e.g. procurement_count>0
    value: float | int         # the report's value
    cells: tuple[str, ...]     # the figure keys of the cells the value comes from, in table order

    def first_cell(self, figures: dict) -> str:
        """The cell to land on: the first of them with a nonzero value (a sum's zero parts tell little)."""
        return next((key for key in self.cells if figures.get(key)), self.cells[0])


def query_targets(q: str) -> tuple[list[Compare], list[str]]:
    """The figure comparisons (the year's left out) and ``flag:`` codes of ``q`` that a report must or
    may satisfy (negated ones left out); ([], []) for a malformed query."""
    try:
        node = parse_query(q or "")
    except QuerySyntaxError:
        return [], []
    compares: list[Compare] = []
    flags: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, (And, Or)):
            for child in n.children:
                walk(child)
        elif isinstance(n, Compare) and n.key != "year":
            compares.append(n)
        elif isinstance(n, Filter) and n.field == "flag":
            flags.append(n.value)

    walk(node)
    return list(dict.fromkeys(compares)), list(dict.fromkeys(flags))


@lru_cache(maxsize=1)
def _table_order() -> dict[str, int]:
    return {key: i for i, key in enumerate(all_figure_keys())}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def figure_matches(compares: list[Compare], figures: dict) -> list[FigureMatch]:
    """The comparisons that hold for a report with these figures, each with its cells."""
    found = []
    for compare in compares:
        if compare.key in ALIASES:
            value = ALIASES[compare.key][1](figures)  # only the alias asked for, not all of them
        else:
            value = figures.get(compare.key)
        if value is None or not _OPERATORS[compare.op](value, compare.value):
            continue
        cells = sorted(alias_sources(compare.key, figures), key=_table_order().get)
        found.append(FigureMatch(compare.key, f"{compare.key}{compare.op}{_number_text(compare.value)}", value,
                                 tuple(cells)))
    return found
