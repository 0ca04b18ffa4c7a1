"""Reports side by side: the compare page (/compare?ids=a,b) and its JSON twin (/api/compare)."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request

from indexer.aliases import RATES
from indexer.compare import MAX_REPORTS, MIN_REPORTS, CompareError, Comparison, UnknownReportsError, parse_ids

from .collection import get_collection
from .i18n import alias_label
from .links import current_language, link

bp = Blueprint("compare", __name__)


def requested_ids(args) -> list[str]:
    """The ids of ``ids=a,b,c`` or of repeated ``ids=`` (the search page's checkboxes without JS)."""
    return parse_ids(",".join(args.getlist("ids")))


def run_compare(ids: list[str]) -> tuple[Comparison | None, dict | None, int]:
    """(comparison, None, 200) or (None, error, status): 400 for too few or too many ids, 404 for unknown ones."""
    try:
        return get_collection().compare(ids), None, 200
    except CompareError as e:
        return None, {"error": str(e)}, 404 if isinstance(e, UnknownReportsError) else 400


@bp.get("/compare")
def page():
    """The chosen reports' figures side by side, differences marked, each column linking to its report."""
    ids = requested_ids(request.args)
    if len(request.args.getlist("ids")) > 1:  # checkboxes: one canonical address, ids=a,b
        return redirect(link("compare.page", ids=",".join(ids)), 303)
    comparison, error, status = run_compare(ids)
    lang = current_language()
    labels = {}
    if comparison is not None:
        labels = {row.key: alias_label(row.key, lang) if group.group == "aliases" else row.label
                  for group in comparison.groups for row in group.rows}
    return render_template("compare.html", ids=ids, comparison=comparison, error=error, labels=labels,
                           rates=RATES, min_reports=MIN_REPORTS, max_reports=MAX_REPORTS), status


@bp.get("/api/compare")
def api_compare():
    """The comparison as JSON; 400 for fewer than 2 or more than 6 ids, 404 for unknown ones."""
    comparison, error, status = run_compare(requested_ids(request.args))
    if error:
        return jsonify(error), status
    return jsonify(comparison.to_builtins())
