"""Every report matching a query as one table (`xxgk export`, the web's download links).

Three shapes: ``reports`` (one row per report: metadata columns, then every alias in
aliases.ALIASES order, then every figure key in figure_keys.all_figure_keys() order), and the
research shapes ``panel`` and ``long`` of indexer/panel.py. A blank cell is an empty
CSV cell / JSON null, never 0. CSV is UTF-8 with a BOM so Excel reads the Chinese.

Report text is untrusted: a CSV text cell that a spreadsheet would run as a
formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading
apostrophe (``csv_safe_cell``); numbers are written as numbers, untouched.
"""
from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .aliases import ALIASES, report_aliases
from .errors import XxgkError
from .figure_keys import all_figure_keys
from .panel import LONG_COLUMNS, long_records, panel_columns, panel_records
from .report import Report

if TYPE_CHECKING:
    from .collection import Collection

FORMATS = ("csv", "json")
SHAPES = ("reports", "panel", "long")
FIGURE_KEYS = tuple(all_figure_keys())
META_COLUMNS = ("id", "agency", "agency_key", "year", "province", "city", "county", "adcode", "level", "agency_type",
                "template", "title", "published", "synthetic", "flags")


class ExportFormatError(XxgkError):
    """The export format is not one of csv, json, or the shape not one of reports, panel, long."""


def export_columns() -> list[str]:
    """Every column of an export, in order."""
    return list(META_COLUMNS) + list(ALIASES) + list(FIGURE_KEYS)


def report_to_record(report: Report) -> dict[str, Any]:
    """One export row: None for every blank or unknown value; flags as a sorted list of codes."""
    record: dict[str, Any] = {**report.metadata_columns(), "flags": report.flag_codes()}
    record.update(report_aliases(report.figures))
    record.update(zip(FIGURE_KEYS, map(report.figures.get, FIGURE_KEYS)))
    return record


# What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: Any) -> str:
    """One CSV cell: "" for None, numbers as written, text that could start a formula
    prefixed with an apostrophe (a spreadsheet shows it as text, and shows no apostrophe)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def records_to_csv(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """CSV bytes in UTF-8 with a BOM, header row first, every cell through ``csv_safe_cell``.

    :param columns: the columns in order (default: the export's, ``export_columns()``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = export_columns() if columns is None else columns
    writer.writerow(columns)
    for record in records:
        # a blank, a whole number or text that starts no formula is what csv_safe_cell would give
        # (csv writes None as ""): only the other cells take the call, ~260 cells a row
        writer.writerow([value if value is None or value.__class__ is int
                         or (value.__class__ is str and not value.startswith(FORMULA_STARTS))
                         else csv_safe_cell(value) for value in map(record.__getitem__, columns)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def records_to_json(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """A JSON list of objects, keys in column order, one object per line.

    :param columns: the columns in order (default: the export's, ``export_columns()``).
    """
    columns = export_columns() if columns is None else columns
    # One dumps per row, without indent: json's C encoder only runs without indent.
    rows = (json.dumps({c: record[c] for c in columns}, ensure_ascii=False) for record in records)
    return ("[\n" + ",\n".join(rows) + "\n]\n").encode("utf-8")


def export_reports(collection: Collection, q: str, fmt: str, shape: str = "reports",
                   max_reports: int | None = None) -> bytes:
    """Every report matching ``q`` as CSV or JSON bytes, in one of ``SHAPES``.

    :param collection: where the reports are.
    :param q: a query in the search language (docs/query-language.md); "" matches every report.
    :param fmt: "csv" or "json".
    :param shape: "reports" (a row per report), "panel" (a row per agency and year) or
        "long" (a row per report and key); see indexer/panel.py.
    :param max_reports: refuse a query matching more reports than this (None: no bound).
    :raises ExportFormatError: ``fmt`` is not csv or json, or ``shape`` not one of ``SHAPES``.
    :raises QuerySyntaxError: the query is malformed.
    :raises TooManyReports: more matches than ``max_reports``.
    """
    if fmt not in FORMATS:
        raise ExportFormatError(f"unknown export format {fmt!r} (use csv or json)")
    if shape not in SHAPES:
        raise ExportFormatError(f"unknown export shape {shape!r} (use {', '.join(SHAPES)})")
    reports = collection.light_reports(collection.search_ids(q, max_reports))
    if shape == "panel":
        records, columns = panel_records(reports), panel_columns()
    elif shape == "long":
        records, columns = long_records(reports), list(LONG_COLUMNS)
    else:
        records, columns = map(report_to_record, reports), export_columns()
    return records_to_csv(records, columns) if fmt == "csv" else records_to_json(records, columns)
