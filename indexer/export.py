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
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from .aliases import ALIASES, report_aliases
from .errors import XxgkError
from .figure_keys import all_figure_keys
from .panel import LONG_COLUMNS, long_records, panel_columns, panel_records_in_key_order
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


# Rows written before their bytes are handed on (``csv_chunks``, ``json_chunks``): an export of a
# million reports then holds a few megabytes at a time, not the whole file.
CHUNK_ROWS = 1000


def records_to_csv(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """CSV bytes in UTF-8 with a BOM, header row first, every cell through ``csv_safe_cell``.

    :param columns: the columns in order (default: the export's, ``export_columns()``).
    """
    return b"".join(csv_chunks(records, columns))


def csv_chunks(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> Iterator[bytes]:
    """``records_to_csv``'s bytes, ``CHUNK_ROWS`` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = export_columns() if columns is None else columns
    buffer.write("\ufeff")
    writer.writerow(columns)
    for n, record in enumerate(records, 1):
        # a blank, a whole number or text that starts no formula is what csv_safe_cell would give
        # (csv writes None as ""): only the other cells take the call, ~260 cells a row
        writer.writerow([value if value is None or value.__class__ is int
                         or (value.__class__ is str and not value.startswith(FORMULA_STARTS))
                         else csv_safe_cell(value) for value in map(record.__getitem__, columns)])
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def records_to_json(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """A JSON list of objects, keys in column order, one object per line.

    :param columns: the columns in order (default: the export's, ``export_columns()``).
    """
    return b"".join(json_chunks(records, columns))


def json_chunks(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> Iterator[bytes]:
    """``records_to_json``'s bytes, ``CHUNK_ROWS`` rows at a time."""
    columns = export_columns() if columns is None else columns
    parts = ["[\n"]
    for n, record in enumerate(records):
        # One dumps per row, without indent: json's C encoder only runs without indent.
        parts.append(("" if n == 0 else ",\n") + json.dumps({c: record[c] for c in columns}, ensure_ascii=False))
        if len(parts) >= CHUNK_ROWS:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("\n]\n")
    yield "".join(parts).encode("utf-8")


def export_reports(collection: Collection, q: str, fmt: str, shape: str = "reports",
                   max_reports: int | None = None) -> bytes:
    """``export_chunks`` joined: the whole file's bytes."""
    return b"".join(export_chunks(collection, q, fmt, shape, max_reports))


def export_chunks(collection: Collection, q: str, fmt: str, shape: str = "reports",
                  max_reports: int | None = None) -> Iterator[bytes]:
    """Every report matching ``q`` as CSV or JSON bytes, in one of ``SHAPES``, a chunk of rows at a
    time: the reports are read from the store as the rows are written, so the memory an export
    holds does not grow with it (a panel holds one agency's reports at a time).

    The errors below are raised by the call, before any chunk.

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
    ids = collection.search_ids(q, max_reports)
    if shape == "panel":
        # each agency's reports together, in agency_key order: its rows are made and written, then dropped
        records, columns = panel_records_in_key_order(collection.light_reports(
            collection.store.ids_in_agency_order(ids))), panel_columns()
    elif shape == "long":
        records, columns = long_records(collection.light_reports(ids)), list(LONG_COLUMNS)
    else:
        records, columns = map(report_to_record, collection.light_reports(ids)), export_columns()
    return csv_chunks(records, columns) if fmt == "csv" else json_chunks(records, columns)
