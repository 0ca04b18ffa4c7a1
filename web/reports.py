"""The report page and the download of its original file."""
from __future__ import annotations

import mimetypes
from pathlib import PurePath

from flask import Blueprint, abort, render_template, request, url_for

from indexer.citation import citation_text, citation_to_bibtex, citation_to_ris, report_citation
from indexer.report import Report
from indexer.vocabulary import REPORT_ID

from .cell_links import matched_cells
from .collection import get_collection
from .downloads import attachment_response
from .flag_text import explain_flag
from .links import current_language
from .report_view import (T3_APPLICANT_HEADERS, T4_BLOCK_HEADERS, T4_COLUMN_HEADERS, agency_years,
                          cells_by_flag, report_parts, table2_model, table3_model, table4_model)
from .urls import REPORT_ROUTE

bp = Blueprint("reports", __name__)


def get_report(report_id: str) -> Report:
    """The report with this id, or a 404 (an id of the wrong form is not worth a lookup)."""
    report = get_collection().get(report_id) if REPORT_ID.fullmatch(report_id) else None
    if report is None:
        abort(404, f"no report with id {report_id}")
    return report


def source_download_name(report: Report) -> str:
    """The original file's name (the last part of its path, either separator), for the download."""
    name = PurePath((report.source.get("path") or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())
    return name or f"{report.id}.{report.source.get('format') or 'bin'}"


@bp.get(REPORT_ROUTE)
def report_page(report_id: str):
    """One report: metadata, the six parts (query terms marked), tables 二/三/四, flags, other years."""
    lang = current_language()
    report = get_report(report_id)
    q = (request.args.get("q") or "").strip()
    parts = report_parts(report, get_collection().highlighter(q))
    others = get_collection().reports_by_agency(report.agency) if report.agency else []
    flagged = cells_by_flag(report)
    matched = matched_cells(q, report)
    citation = cite(report)
    return render_template(
        "report.html", report=report, q=q, parts=parts,
        table2=table2_model(report, matched), table3=table3_model(report, matched),
        table4=table4_model(report, matched),
        t3_applicant_headers=T3_APPLICANT_HEADERS, t4_block_headers=T4_BLOCK_HEADERS,
        t4_column_headers=T4_COLUMN_HEADERS,
        has_tables={n: f"missing_table_{n}" not in report.flag_codes()
                    and any(k.startswith(f"t{n}.") for k in report.figures) for n in (2, 3, 4)},
        flags=[{"code": f.code, "where": f.where, "detail": f.detail, "text": explain_flag(f.code, lang),
                "marks_cells": any(f.code in codes for codes in flagged.values())} for f in report.flags],
        years=agency_years(others, report.id) if len(others) > 1 else None,
        download_name=source_download_name(report),
        has_source=get_collection().has_original(report.id),
        citation=citation, citation_text=citation_text(citation),
    )


def cite(report: Report):
    """The report's citation, its permalink the page's full address."""
    return report_citation(report, url_for("reports.report_page", report_id=report.id, _external=True))


CITATION_FORMATS = {"bib": (citation_to_bibtex, "application/x-bibtex"),
                    "ris": (citation_to_ris, "application/x-research-info-systems")}


@bp.get(REPORT_ROUTE + ".<any(bib, ris):fmt>")
def report_citation_file(report_id: str, fmt: str):
    """The report's citation as a BibTeX or RIS file (named by the report id: hex digits only)."""
    report = get_report(report_id)
    write, mimetype = CITATION_FORMATS[fmt]
    return attachment_response(write(cite(report)).encode("utf-8"), mimetype, f"xxgk-{report.id}.{fmt}")


@bp.get(REPORT_ROUTE + "/source")
def report_source(report_id: str):
    """The stored copy of the report's original file, under its original name."""
    report = get_report(report_id)
    original = get_collection().original(report.id)
    if original is None:
        abort(404, f"the original file of report {report.id} is not stored")
    name = source_download_name(report)
    return attachment_response(original, mimetypes.guess_type(name)[0] or "application/octet-stream", name,
                               fallback=report.id)
