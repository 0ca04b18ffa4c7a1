"""The stats view's grouping and ranking over every report matching a query
(docs/query-language.md#group-and-rank).

- ``group_stats``: reports grouped by one field (province, city, level, type, year) or two
  (a pivot), each group with its count and the count, sum, mean and median of one alias or
  rate. Blank values are left out of the sum, mean and median (null when none is known); a
  rate is never summed (its sum is null). Medians are exact (the middle value, or the mean of
  the two middle values). Each group carries the query filters that select it, so a search for
  ``q`` plus them finds exactly the group's reports; reports with no value for a field form a
  group of their own (value null) that no filter selects.
- ``rank_agencies``: agencies (agency_key) top or bottom N by one alias or rate, each by its
  latest year with a value in the agency panel (indexer/agencies.py: one report per agency-year).
"""
from __future__ import annotations

import statistics
from typing import Any, Iterable

from .aliases import ALIASES, RATE_DIGITS, is_rate
from .panel import panel_records
from .report import Report
from .search import SearchError
from .vocabulary import filter_token

# group-by name -> the query-language field that filters it (docs/query-language.md)
GROUP_FIELDS = ("province", "city", "level", "type", "year")
STATS = ("count", "sum", "mean", "median")
ORDERS = ("desc", "asc")
MAX_RANK = 100


class GroupError(SearchError):
    """A group-by field, measure, statistic, order or ranking size the stats view does not know."""


def _field_value(report: Report, field: str) -> Any:
    if field == "type":
        return report.agency_type
    if field in ("level", "year"):
        return getattr(report, field)
    return (report.region or {}).get(field)


def check_measure(measure: str) -> None:
    if measure not in ALIASES:
        raise GroupError(f"unknown measure {measure!r} (use an alias or rate, e.g. applications, grant_rate)")


def check_group(by: str | None, by2: str | None = None, stat: str = "sum") -> None:
    """:raises GroupError: an unknown field or statistic, or ``by2`` without ``by`` or equal to it."""
    for name in (by, by2):
        if name is not None and name not in GROUP_FIELDS:
            raise GroupError(f"unknown group-by field {name!r} (use {', '.join(GROUP_FIELDS)})")
    if by2 is not None and (by is None or by2 == by):
        raise GroupError("by2 needs by, and another field than by")
    if stat not in STATS:
        raise GroupError(f"unknown statistic {stat!r} (use {', '.join(STATS)})")


def summarize(values: list, rate: bool) -> dict[str, Any]:
    """n (the known values), sum (None for a rate), mean and median of the known values."""
    known = [v for v in values if v is not None]
    if not known:
        return {"n": 0, "sum": None, "mean": None, "median": None}
    total = sum(known)
    return {"n": len(known), "sum": None if rate else _clean(total),
            "mean": _clean(total / len(known)), "median": _clean(statistics.median(known))}


def _clean(number: float | int) -> float | int:
    number = round(number, RATE_DIGITS)
    return int(number) if float(number).is_integer() else number


def group_stats(reports: Iterable[Report], by: str, measure: str, by2: str | None = None) -> list[dict[str, Any]]:
    """One row per group (per pair of values for a pivot), largest count first.

    Each row: ``by`` (and ``by2``) the values, ``filters`` the query tokens that select the group
    (None when a value is null), ``count`` the reports, then ``summarize`` of the measure.

    :raises GroupError: an unknown field or measure.
    """
    check_group(by, by2)
    check_measure(measure)
    fields = [by] if by2 is None else [by, by2]
    value_of = ALIASES[measure][1]
    groups: dict[tuple, list] = {}
    for report in reports:
        groups.setdefault(tuple(_field_value(report, f) for f in fields), []).append(value_of(report.figures or {}))
    rows = []
    for values, measured in groups.items():
        known = all(v is not None for v in values)
        rows.append({**dict(zip(fields, values)), "filters": [filter_token(f, str(v)) for f, v in zip(fields, values)]
                     if known else None, "count": len(measured), **summarize(measured, is_rate(measure))})
    return sorted(rows, key=lambda r: (-r["count"], *(str(r[f]) for f in fields)))


def rank_agencies(reports: Iterable[Report], measure: str, order: str = "desc", n: int = 20) -> list[dict[str, Any]]:
    """The top (``desc``) or bottom (``asc``) ``n`` agencies by ``measure``, ties by agency_key.

    Each row: rank, agency_key, agency, year and report_id (the panel's report of the agency's
    latest year with a value), value. Agencies with no value in any year are left out.

    :raises GroupError: an unknown measure or order, or ``n`` outside 1..MAX_RANK.
    """
    check_measure(measure)
    if order not in ORDERS:
        raise GroupError(f"unknown order {order!r} (use desc or asc)")
    if not 1 <= n <= MAX_RANK:
        raise GroupError(f"n must be between 1 and {MAX_RANK}")
    latest: dict[str, dict[str, Any]] = {}
    for row in panel_records(reports):  # ordered by key then year: the last one kept is the latest
        if row[measure] is not None:
            latest[row["agency_key"]] = {"agency_key": row["agency_key"], "agency": row["agency"], "year": row["year"],
                                         "report_id": row["report_id"], "value": row[measure]}
    sign = -1 if order == "desc" else 1
    ranked = sorted(latest.values(), key=lambda r: (sign * r["value"], r["agency_key"]))[:n]
    return [{"rank": i, **row} for i, row in enumerate(ranked, 1)]
