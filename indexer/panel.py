"""The export's two research shapes (docs/report-format.md#panel-export).

- panel: one row per agency_key and year, the report the agency panel chooses for that year
  (indexer/agencies.py ``agency_panel``, the one duplicate rule), ``duplicate_year`` and the
  other report ids when a year has several, then every alias and rate. Reports without an
  agency_key or a year have no place in a panel and are left out.
- long: one row per report and alias, rate or figure key (report_id, agency_key, year, key,
  value); a blank value is an empty cell / null, never 0.
"""
from __future__ import annotations

from itertools import groupby
from typing import Any, Iterable, Iterator

from .agencies import agency_panel
from .aliases import ALIASES, report_aliases
from .figure_keys import all_figure_keys
from .report import Report

PANEL_META = ("agency_key", "agency", "province", "city", "county", "level", "agency_type", "year",
              "report_id", "duplicate_year", "other_report_ids")
LONG_COLUMNS = ("report_id", "agency_key", "year", "key", "value")
LONG_KEYS = tuple(ALIASES) + tuple(all_figure_keys())


def panel_columns() -> list[str]:
    """Every column of a panel export, in order."""
    return list(PANEL_META) + list(ALIASES)


def panel_records(reports: Iterable[Report]) -> list[dict[str, Any]]:
    """One record per agency_key and year, ordered by key then year."""
    return list(panel_records_in_key_order(sorted((r for r in reports if r.agency_key), key=_agency_key)))


def _agency_key(report: Report) -> str:
    return report.agency_key


def panel_records_in_key_order(reports: Iterable[Report]) -> Iterator[dict[str, Any]]:
    """``panel_records`` of reports given in agency_key order (each agency's together), made as they
    come: one agency's reports are held at a time."""
    for key, group in groupby(reports, key=_agency_key):
        dated = [r for r in group if r.year is not None]
        if not key or not dated:
            continue
        by_id = {r.id: r for r in dated}
        for year in agency_panel(key, dated).years:
            chosen = by_id[year.report_id]
            region = chosen.region or {}
            yield {"agency_key": key, "agency": chosen.agency, "province": region.get("province"),
                   "city": region.get("city"), "county": region.get("county"), "level": chosen.level,
                   "agency_type": chosen.agency_type, "year": year.year, "report_id": year.report_id,
                   "duplicate_year": year.duplicate_year, "other_report_ids": list(year.others),
                   **year.figures}


def long_records(reports: Iterable[Report]) -> Iterator[dict[str, Any]]:
    """Every report's aliases, rates and figure keys, one record each (None for a blank)."""
    for report in reports:
        figures = report.figures or {}
        values = {**report_aliases(figures), **{key: figures.get(key) for key in LONG_KEYS if key not in ALIASES}}
        for key in LONG_KEYS:
            yield {"report_id": report.id, "agency_key": report.agency_key, "year": report.year,
                   "key": key, "value": values[key]}
