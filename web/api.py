"""The JSON API (/api/search, /api/stats, /api/reports/<id>, /api/agencies/<key>; /api/compare is web/compare.py's) and its OpenAPI 3.1 description.

The description's schemas are generated from the types the API returns
(msgspec Structs and the report's dataclasses), so it cannot drift from them.
"""
from __future__ import annotations

import re
from typing import Annotated, Mapping

import msgspec
from flask import Blueprint, jsonify, request

from indexer.compare import MAX_REPORTS, MIN_REPORTS, Comparison
from indexer.errors import XxgkError
from indexer.groups import MAX_RANK
from indexer.query import QuerySyntaxError, comparable_keys
from indexer.report import Report
from indexer.results import AgencyPanel
from indexer.search import SearchError
from indexer.vocabulary import REPORT_ID

from .collection import get_collection
from .groups import (DEFAULT_MEASURE, DEFAULT_RANK_SIZE, OPTIONAL_CHOICES, REQUIRED_CHOICES, group_params,
                     group_results)
from .urls import LinkedPassagePage, LinkedSearchResult, with_links

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 200
MAX_PAGE = 10**6


class ParameterError(XxgkError):
    """A JSON request's parameter outside the values /api/openapi.json gives it."""


# What a user can get wrong in a request: the query, or the sort/page of a hand-edited URL.
REQUEST_ERRORS = (QuerySyntaxError, SearchError, ParameterError)


class Error(msgspec.Struct):
    """What went wrong with a request."""
    error: str
    position: Annotated[int | None, msgspec.Meta(
        description="1-based column (in characters) of the problem in q; null when it is not in q")] = None


def query_error(error: Exception) -> dict:
    """A malformed query (or sort, or page) as the page and the API show it; position is a 1-based column."""
    return msgspec.to_builtins(Error(str(error), getattr(error, "position", None)))


def run_search(q: str, page: int, sort: str, per_page: int | None = None, rates: bool = False,
               agencies: bool = False) -> tuple[LinkedSearchResult | None, dict | None]:
    """(result, None) or (None, error) for one page of a query: what the page and /api/search show."""
    collection = get_collection()
    try:
        result = collection.search(q, page=page, per_page=per_page or collection.config.page_size, sort=sort,
                                   rates=rates, agencies=agencies)
    except REQUEST_ERRORS as error:
        return None, query_error(error)
    return with_links(result), None


def asks_for(args, name: str) -> bool:
    """Whether the request asks for a facet counted only on request (``rates=1``, ``agencies=1``;
    docs/query-language.md)."""
    return args.get(name, "").lower() in ("1", "true", "yes")


# The JSON requests check their numbers and switches as their document states them: a value
# outside is a 400 naming it, not quietly replaced (the pages, edited by hand, are more forgiving).
# As JSON writes them: "1" or "True" is not a boolean (the pages take rates=1; the API true).
BOOLEANS = {"true": True, "false": False}


def repeated_parameter(args) -> str | None:
    """What is wrong when a parameter is given more than once (None: each once)."""
    for name in args:
        times = len(args.getlist(name))
        if times > 1:
            return f"{name} is given {times} times: give it once"
    return None


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """``name``'s whole number in ``low..high`` (``default`` when absent).

    :raises ParameterError: anything else.
    """
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"0|[1-9][0-9]{0,8}", raw) or not low <= int(raw) <= high:
        raise ParameterError(f"{name} must be a whole number from {low:,} to {high:,}, not {raw!r}")
    return int(raw)


def bool_param(args: Mapping[str, str], name: str) -> bool:
    """``name``'s switch: true or false; false when absent.

    :raises ParameterError: anything else.
    """
    raw = args.get(name)
    if raw is None:
        return False
    if raw not in BOOLEANS:
        raise ParameterError(f"{name} must be true or false, not {raw!r}")
    return BOOLEANS[raw]


@bp.get("/search")
def api_search():
    """One page of results and facets for ``q`` (docs/query-language.md); 400 with the position for a malformed query."""
    collection, args = get_collection(), request.args
    q = (args.get("q") or "").strip()
    try:
        page = int_param(args, "page", 1, 1, MAX_PAGE)
        per_page = int_param(args, "per_page", collection.config.page_size, 1, MAX_PER_PAGE)
        rates, agencies = bool_param(args, "rates"), bool_param(args, "agencies")
        if args.get("sort") == "":
            raise ParameterError("sort must not be empty (leave it out for relevance)")
    except ParameterError as e:
        return jsonify(query_error(e)), 400
    result, error = run_search(q, page, args.get("sort", "relevance"), per_page, rates=rates, agencies=agencies)
    if error:
        return jsonify(error), 400
    return jsonify(result.to_builtins())


@bp.get("/stats")
def api_stats():
    """The statistics of ``q`` and, with ``by``/``by2``/``rank``, its groups and agency ranking
    (docs/query-language.md#group-and-rank); 400 for a malformed query or parameter."""
    q = (request.args.get("q") or "").strip()
    try:
        params = group_params(request.args)
        return jsonify({**get_collection().stats(q), **group_results(q, params)})
    except REQUEST_ERRORS as e:
        return jsonify(query_error(e)), 400


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    """The canonical report (docs/report-format.md) with this id; 404 JSON for an unknown id."""
    report = get_collection().get(report_id) if REPORT_ID.fullmatch(report_id) else None
    if report is None:
        return jsonify({"error": f"no report with id {report_id}"}), 404  # an Error without a position
    return jsonify(report.to_dict())


@bp.get("/agencies/<path:key>")
def api_agency(key: str):
    """One agency across years (the agency page's data); 404 JSON for an unknown key."""
    panel = get_collection().agency(key)
    if panel is None:
        return jsonify({"error": f"no agency with key {key}"}), 404  # an Error without a position
    return jsonify(panel.to_builtins())


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/")))


def sort_values() -> list[str]:
    """Every value ``sort`` takes (search.sort_order): what the document lists, so that a client
    (or a schema-driven tester) never sends one the server must refuse."""
    keys = ["year", *(key for key in comparable_keys() if key != "year")]
    return ["relevance", *(sign + key for key in keys for sign in ("", "-"))]


# MIN_REPORTS to MAX_REPORTS report ids (indexer/vocabulary.py REPORT_ID), spaces allowed after a comma;
# that they differ no pattern says (a repeated id counts once)
COMPARE_IDS_PATTERN = rf"^{REPORT_ID.pattern}(, *{REPORT_ID.pattern}){{{MIN_REPORTS - 1},{MAX_REPORTS - 1}}}$"


def openapi_document(server_url: str) -> dict:
    """The API's OpenAPI 3.1 description, pointing at ``server_url``."""
    _, schemas = msgspec.json.schema_components(
        (LinkedSearchResult, LinkedPassagePage, Report, Comparison, AgencyPanel, Error),
        ref_template="#/components/schemas/{name}")

    def json_response(name: str, text: str) -> dict:
        return {"description": text, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}

    def string_parameter(name: str, where: str, text: str, **extra) -> dict:
        return {"name": name, "in": where, "required": True, "schema": {"type": "string"}, "description": text, **extra}

    def operation(operation_id: str, summary: str, parameters: list, responses: dict) -> dict:
        return {"get": {"operationId": operation_id, "summary": summary, "parameters": parameters,
                        "responses": responses}}

    # where a search's hits lead: a client (or schemathesis's stateful phase) follows these
    hit_links = {
        "report": {"operationId": "getReport", "parameters": {"id": "$response.body#/hits/0/id"},
                   "description": "the first hit's report"},
        "agency": {"operationId": "getAgency", "parameters": {"key": "$response.body#/hits/0/agency_key"},
                   "description": "the first hit's agency across years"},
        "compare": {"operationId": "compareReports",
                    "parameters": {"ids": "{$response.body#/hits/0/id},{$response.body#/hits/1/id}"},
                    "description": "the first two hits side by side"}}

    document = {
        "openapi": "3.1.0",
        "info": {"title": "xxgk-search API", "version": "1",
                 "description": "Full-text and faceted search over 政府信息公开工作年度报告. "
                                "q takes the same query language as the search box and `xxgk search`."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {"get": {
                "operationId": "searchReports",
                "summary": "Search reports",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "query, e.g. type:信访 year:2020 procurement_count>0", "example": "type:信访 year:2020"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                                                "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_PER_PAGE}},
                    {"name": "sort", "in": "query",
                     "schema": {"type": "string", "default": "relevance", "enum": sort_values()},
                     "description": "relevance, year, -year, or an alias or figure key (prefix - for descending)"},
                    {"name": "rates", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": "also count each rate's buckets as a facet (facets.grant_rate, …); "
                                    "left out unless asked, as they cost more than the other facets together"},
                    {"name": "agencies", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": "also count the agency keys as a facet (facets.agency, the 100 most frequent); "
                                    "left out unless asked, as there are as many as there are agencies"}],
                "responses": {"200": {**json_response("LinkedSearchResult", "one page of results"), "links": hit_links},
                              "400": json_response("Error", "malformed query, sort or page")}}},
            "/api/stats": operation(
                "getStats", "Statistics of a query; its groups (one field or a pivot of two) and agency ranking",
                [{"name": "q", "in": "query", "schema": {"type": "string"}, "example": "type:信访"},
                 # "" is the stats form's "none": by, by2 and rank take it
                 *({"name": name, "in": "query", "schema": {"enum": ["", *OPTIONAL_CHOICES[name]]}, "description": text}
                   for name, text in (("by", "group by this field (adds `groups`)"),
                                      ("by2", "and by this one, another than by: a pivot, one group per pair of values"),
                                      ("rank", "rank agencies by this alias or rate (adds `ranking`)"))),
                 {"name": "measure", "in": "query",
                  "schema": {"enum": list(REQUIRED_CHOICES["measure"]), "default": DEFAULT_MEASURE},
                  "description": "the alias or rate summarised in each group"},
                 {"name": "stat", "in": "query", "schema": {"enum": list(REQUIRED_CHOICES["stat"])},
                  "description": "the number the page charts (every group has all four)"},
                 {"name": "order", "in": "query", "schema": {"enum": list(REQUIRED_CHOICES["order"]), "default": "desc"}},
                 {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RANK,
                                                         "default": DEFAULT_RANK_SIZE},
                  "description": "how many agencies the ranking lists"}],
                {"200": {"description": "total, per_year, per_type, outcomes, rates; groups and ranking when asked "
                                        "(docs/query-language.md#group-and-rank)",
                         "content": {"application/json": {"schema": {"type": "object"}}}},
                 "400": json_response("Error", "malformed query or parameter, or a ranking over more reports "
                                               "than the server reads at once (docs/serving.md#limits)")}),
            "/api/passages": operation(
                "getPassages", "Every sentence of the matching reports where the query's words stand, a page at a time",
                [{**string_parameter("q", "query", "a query with words or phrases, e.g. section:3 不予公开",
                                     example="不予公开"),
                  "schema": {"type": "string", "pattern": r"\S"}},  # a blank q is "no query"
                 {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                                             "default": 1}}],
                {"200": json_response("LinkedPassagePage", "one page of passages, each with its address"),
                 "400": json_response("Error", "no query, or a malformed one")}),
            "/api/reports/{id}": operation(
                "getReport", "One canonical report",
                [string_parameter("id", "path", "first 16 hex characters of the file's sha256")],
                {"200": json_response("Report", "the report"), "404": json_response("Error", "unknown id")}),
            "/api/compare": operation(
                "compareReports", "Reports side by side",
                [{**string_parameter("ids", "query", f"{MIN_REPORTS} to {MAX_REPORTS} different report ids, "
                                                     "comma-separated", example="e35090fd5ffeebf0,c79327e4fbc2ded3"),
                  "schema": {"type": "string", "pattern": COMPARE_IDS_PATTERN}}],
                {"200": json_response("Comparison", "every alias and figure key of the reports"),
                 "400": json_response("Error", f"fewer than {MIN_REPORTS} or more than {MAX_REPORTS} different ids"),
                 "404": json_response("Error", "an id no report has")}),
            "/api/agencies/{key}": operation(
                "getAgency", "One agency across years: its reports, and a row a year of aliases, rates and flags",
                [string_parameter("key", "path", "an agency_key, <region>/<name>, e.g. 370402/市中区信访局 "
                                                 "(its slash stays a slash)")],
                {"200": json_response("AgencyPanel", "the agency"),
                 "404": json_response("Error", "unknown agency key")}),
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
        "components": {"schemas": schemas},
    }
    # what any request may get, whatever its operation (docs/serving.md#limits)
    for path, item in document["paths"].items():
        responses = item["get"]["responses"]
        if path != "/api/openapi.json":
            responses.setdefault("400", json_response("Error", "a parameter given more than once"))
        responses["414"] = {"description": "a request line longer than the server takes (8,190 bytes)"}
        responses["503"] = json_response("Error", "the request outlived its time limit, or the server is busy: "
                                                  "try again (Retry-After)")
    return document
