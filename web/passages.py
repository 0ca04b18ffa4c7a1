"""The passages page (keyword in context), its JSON twin and its CSV: every sentence where the query's words stand."""
from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, render_template, request

from .api import MAX_PAGE, REQUEST_ERRORS, ParameterError, int_param, query_error
from .collection import get_collection
from .downloads import attachment_response
from .htmx import template_for
from .limits import read_bound
from .links import link
from .search import page_number
from .urls import passage_anchor, passage_url, passages_with_links

bp = Blueprint("passages", __name__)

PASSAGE_FRAGMENTS = {"passage-results": "_passage_results.html"}


def passages_context(args) -> dict:
    """Everything the passages page shows for these request arguments."""
    q = (args.get("q") or "").strip()
    page = page_number(args.get("page"))
    context = {"q": q, "page": page, "error": None, "result": None, "pages": 0,
               # the page's links keep the language (link()); the JSON's and CSV's are plain paths
               "passage_url": lambda p: link("reports.report_page", report_id=p.id, q=q,
                                             _anchor=passage_anchor(p.part, p.offset)),
               "page_url": lambda n: link("passages.page", q=q, page=n)}
    if q:
        try:
            context["result"] = get_collection().passages(q, page=page, max_reports=read_bound(many_rows=True))
        except REQUEST_ERRORS as e:
            context["error"] = query_error(e)
    if context["result"] is not None:
        result = context["result"]
        context["pages"] = max(1, math.ceil(result.total / result.per_page))
    return context


@bp.get("/passages")
def page():
    """Every passage of the query's reports, a page at a time; the results alone for htmx."""
    template = template_for(request, PASSAGE_FRAGMENTS, "passages.html")
    return render_template(template, oob_nav=template != "passages.html", **passages_context(request.args))


@bp.get("/passages.json")
@bp.get("/api/passages")
def passages_json():
    """The passages page's data as JSON, each passage with its ``url``; 400 for a malformed query or page."""
    try:
        int_param(request.args, "page", 1, 1, MAX_PAGE)
    except ParameterError as e:
        return jsonify(query_error(e)), 400
    context = passages_context(request.args)
    if context["error"]:
        return jsonify(context["error"]), 400
    result = context["result"]
    if result is None:
        return jsonify({"error": "no query: give q, e.g. q=section:3 不予公开", "position": None}), 400
    return jsonify(passages_with_links(result, context["q"]).to_builtins())


@bp.get("/passages.csv")
def passages_csv():
    """Every passage of the query as CSV (UTF-8 with a BOM): the bytes of `xxgk export QUERY --passages`
    but with full addresses."""
    q = (request.args.get("q") or "").strip()
    try:
        body = get_collection().passages_csv(q, lambda p: request.host_url.rstrip("/") + passage_url(p, q),
                                             max_reports=read_bound(many_rows=True))
    except REQUEST_ERRORS as e:
        return Response(str(e) + "\n", status=400, mimetype="text/plain")
    return attachment_response(body, "text/csv", "xxgk-passages.csv")
