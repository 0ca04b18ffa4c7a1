"""The figure cells a query points at: links from its hits down to them, marks on the report page.

A figure comparison (``procurement_count>0``, ``t4.review.corrected>0``) points at the
cells its value comes from; a ``flag:`` filter at the cells the flag's ``where`` names
(``report_view.cells_by_flag``), or at the flag list when it names none.
"""
from __future__ import annotations

from indexer.figure_keys import all_figure_keys, figure_label
from indexer.matches import figure_matches, query_targets
from indexer.report import Report

from .collection import get_collection
from .i18n import ALIAS_LABELS, alias_label
from .links import link
from .report_view import cells_by_flag


def key_label(key: str, lang: str) -> str:
    """An alias's short label, or a figure key's Chinese row and column labels."""
    return alias_label(key, lang) if key in ALIAS_LABELS else figure_label(key)


def _flag_cells(report: Report, code: str) -> list[str]:
    """The cells a flag of this code marks on the report page, in table order."""
    flagged = cells_by_flag(report)
    return [key for key in all_figure_keys() if code in flagged.get(key, ())]


def hit_cell_links(q: str, hits, lang: str) -> dict[str, list[dict]]:
    """report id -> what the query's comparisons and flag filters matched in it: label, the
    comparison or flag code, the value (None for a flag), and the link to the first cell."""
    compares, flags = query_targets(q)
    if not hits or not (compares or flags):
        return {}
    ids = [hit["id"] for hit in hits]
    links: dict[str, list[dict]] = {}
    if compares:
        for report in get_collection().light_reports(ids):
            for match in figure_matches(compares, report.figures):
                links.setdefault(report.id, []).append({
                    "label": key_label(match.key, lang), "test": match.test, "value": match.value,
                    "url": link("reports.report_page", report_id=report.id, q=q, _anchor=match.first_cell(report.figures))})
    for report_id in ids if flags else ():
        report = get_collection().get(report_id)
        for code in flags:
            if report is not None and code in report.flag_codes():
                cells = _flag_cells(report, code)
                links.setdefault(report_id, []).append({
                    "label": code, "test": f"flag:{code}", "value": None,
                    "url": link("reports.report_page", report_id=report_id, q=q, _anchor=cells[0] if cells else "flags")})
    return links


def matched_cells(q: str, report: Report) -> dict[str, list[str]]:
    """figure key -> the comparisons and flag filters of ``q`` that point at its cell in ``report``."""
    compares, flags = query_targets(q)
    marked: dict[str, list[str]] = {}
    for match in figure_matches(compares, report.figures):
        for key in match.cells:
            marked.setdefault(key, []).append(match.test)
    for code in flags:
        for key in _flag_cells(report, code):
            marked.setdefault(key, []).append(f"flag:{code}")
    return marked
