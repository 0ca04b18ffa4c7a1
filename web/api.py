"""The JSON API (/api/search, /api/reports/<id>) and its OpenAPI 3.1 description.

The description's schemas are generated from the types the API returns
(msgspec Structs and the report's dataclasses), so it cannot drift from them.
"""
from __future__ import annotations

from typing import Annotated

import msgspec
from flask import Blueprint, jsonify, request

from indexer.query import QuerySyntaxError, comparable_keys
from indexer.report import Report
from indexer.search import SearchError
from indexer.vocabulary import REPORT_ID

from .collection import get_collection
from .urls import LinkedSearchResult, with_links

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 200

# What a user can get wrong in a request: the query, or the sort/page of a hand-edited URL.
REQUEST_ERRORS = (QuerySyntaxError, SearchError)


class Error(msgspec.Struct):
    """What went wrong with a request."""
    error: str
    position: Annotated[int | None, msgspec.Meta(
        description="1-based column (in characters) of the problem in q; null when it is not in q")] = None


def query_error(error: Exception) -> dict:
    """A malformed query (or sort, or page) as the page and the API show it; position is a 1-based column."""
    return msgspec.to_builtins(Error(str(error), getattr(error, "position", None)))


def run_search(q: str, page: int, sort: str, per_page: int | None = None
               ) -> tuple[LinkedSearchResult | None, dict | None]:
    """(result, None) or (None, error) for one page of a query: what the page and /api/search show."""
    collection = get_collection()
    try:
        result = collection.search(q, page=page, per_page=per_page or collection.config.page_size, sort=sort)
    except REQUEST_ERRORS as error:
        return None, query_error(error)
    return with_links(result), None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@bp.get("/search")
def api_search():
    """One page of results and facets for ``q`` (docs/query-language.md); 400 with the position for a malformed query."""
    collection = get_collection()
    q = (request.args.get("q") or "").strip()
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", collection.config.page_size, 1, MAX_PER_PAGE)
    sort = request.args.get("sort") or "relevance"
    result, error = run_search(q, page, sort, per_page)
    if error:
        return jsonify(error), 400
    return jsonify(result.to_builtins())


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    """The canonical report (docs/report-format.md) with this id; 404 JSON for an unknown id."""
    report = get_collection().get(report_id) if REPORT_ID.fullmatch(report_id) else None
    if report is None:
        return jsonify({"error": f"no report with id {report_id}"}), 404  # an Error without a position
    return jsonify(report.to_dict())


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/")))


def sort_values() -> list[str]:
    """Every value ``sort`` takes (search.sort_order): what the document lists, so that a client
    (or a schema-driven tester) never sends one the server must refuse."""
    keys = ["year", *(key for key in comparable_keys() if key != "year")]
    return ["relevance", *(sign + key for key in keys for sign in ("", "-"))]


def openapi_document(server_url: str) -> dict:
    """The API's OpenAPI 3.1 description, pointing at ``server_url``."""
    _, schemas = msgspec.json.schema_components((LinkedSearchResult, Report, Error),
                                                ref_template="#/components/schemas/{name}")

    def json_response(name: str, text: str) -> dict:
        return {"description": text, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}

    return {
        "openapi": "3.1.0",
        "info": {"title": "xxgk-search API", "version": "1",
                 "description": "Full-text and faceted search over 政府信息公开工作年度报告. "
                                "q takes the same query language as the search box and `xxgk search`."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search reports",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "query, e.g. type:信访 year:2020 procurement_count>0", "example": "type:信访 year:2020"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_PER_PAGE}},
                    {"name": "sort", "in": "query",
                     "schema": {"type": "string", "default": "relevance", "enum": sort_values()},
                     "description": "relevance, year, -year, or an alias or figure key (prefix - for descending)"}],
                "responses": {"200": json_response("LinkedSearchResult", "one page of results"),
                              "400": json_response("Error", "malformed query, sort or page")}}},
            "/api/reports/{id}": {"get": {
                "summary": "One canonical report",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "first 16 hex characters of the file's sha256"}],
                "responses": {"200": json_response("Report", "the report"),
                              "404": json_response("Error", "unknown id")}}},
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
        "components": {"schemas": schemas},
    }
