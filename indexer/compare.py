"""Two to six reports side by side: every alias and figure key, grouped by table, with the rows
where they differ (the web's /compare and /api/compare).

A blank figure is null, never 0: a row where one report has 0 and another a blank
differs. A figure key only one template has is shown when one of the reports uses it.
"""
from __future__ import annotations

from typing import Annotated

import msgspec

from .aliases import ALIASES, report_aliases
from .errors import XxgkError
from .figure_keys import TEMPLATES, all_figure_keys, figure_keys, figure_label
from .report import Report
from .results import Record

MIN_REPORTS, MAX_REPORTS = 2, 6
# group -> its Chinese caption, in the order shown
GROUPS = {"aliases": "主要数字", "t2": "二、主动公开政府信息情况", "t3": "三、收到和处理政府信息公开申请情况",
          "t4": "四、政府信息公开行政复议、行政诉讼情况"}


class CompareError(XxgkError):
    """The reports to compare are too few, too many or unknown."""


class UnknownReportsError(CompareError):
    """Some of the ids name no report."""

    def __init__(self, ids: list[str]):
        self.ids = ids
        super().__init__("no report with id " + ", ".join(ids))


class ComparedReport(Record):
    """One column of the comparison: the report it shows."""
    id: str
    agency: str | None
    year: int | None
    template: str | None
    title: str | None


class ComparedRow(Record):
    """One alias or figure key across the reports."""
    key: str
    # the alias's description or the figure's row and column labels, in Chinese
    label: str
    # one value per report, in the reports' order; null is a blank (never 0)
    values: list[float | int | None]
    differs: Annotated[bool, msgspec.Meta(description="the values are not all the same (a blank differs from 0)")]


class ComparedGroup(Record):
    """The rows of one table (or the aliases)."""
    group: str
    caption: str
    rows: list[ComparedRow]


class Comparison(Record):
    """Reports side by side (what /api/compare returns)."""
    reports: list[ComparedReport]
    groups: list[ComparedGroup]


def parse_ids(text: str) -> list[str]:
    """The report ids of ``a,b,c`` (spaces allowed), each once, in order."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def check_count(ids: list[str]) -> None:
    """:raises CompareError: fewer than two or more than six ids."""
    if len(ids) < MIN_REPORTS:
        raise CompareError(f"pick at least {MIN_REPORTS} reports to compare (got {len(ids)})")
    if len(ids) > MAX_REPORTS:
        raise CompareError(f"compare at most {MAX_REPORTS} reports at a time (got {len(ids)})")


def _shown_keys(reports: list[Report]) -> list[str]:
    templates = {r.template for r in reports}
    if templates - set(TEMPLATES):  # a report of unknown template: every key either template has
        templates = set(TEMPLATES)
    keys: set[str] = set()
    for template in templates:
        keys.update(figure_keys(template))
    return [k for k in all_figure_keys() if k in keys]


def _row(key: str, label: str, values: list) -> ComparedRow:
    return ComparedRow(key=key, label=label, values=values, differs=len(set(map(_same, values))) > 1)


def _same(value):
    """A value as compared: 5 and 5.0 are the same, a blank is not 0."""
    return ("blank",) if value is None else float(value)


def compare_reports(reports: list[Report]) -> Comparison:
    """``reports`` side by side: the aliases, then tables 二, 三 and 四 key by key.

    :raises CompareError: fewer than two or more than six reports.
    """
    check_count([r.id for r in reports])
    aliases = [report_aliases(r.figures) for r in reports]
    groups = [ComparedGroup("aliases", GROUPS["aliases"],
                            [_row(a, ALIASES[a][0], [values[a] for values in aliases]) for a in ALIASES])]
    keys = _shown_keys(reports)
    for table in ("t2", "t3", "t4"):
        rows = [_row(k, figure_label(k), [r.figures.get(k) for r in reports]) for k in keys if k.startswith(table + ".")]
        groups.append(ComparedGroup(table, GROUPS[table], rows))
    columns = [ComparedReport(id=r.id, agency=r.agency, year=r.year, template=r.template, title=r.title)
               for r in reports]
    return Comparison(reports=columns, groups=groups)
