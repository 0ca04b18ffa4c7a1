"""The JSON API (/api/search, /api/reports/<id>) and its OpenAPI 3 description."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .collection import get_collection
from .reports import REPORT_ID
from .search import run_search

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 200


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@bp.get("/search")
def api_search():
    """One page of results and facets for ``q`` (SPEC §3); 400 with the position for a malformed query."""
    collection = get_collection()
    q = (request.args.get("q") or "").strip()
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", collection.config.page_size, 1, MAX_PER_PAGE)
    sort = request.args.get("sort") or "relevance"
    result, error = run_search(q, page, sort, per_page)
    if error:
        return jsonify(error), 400
    return jsonify(result)


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    """The canonical report (SPEC §2) with this id; 404 JSON for an unknown id."""
    report = get_collection().get(report_id) if REPORT_ID.fullmatch(report_id) else None
    if report is None:
        return jsonify({"error": f"no report with id {report_id}"}), 404
    return jsonify(report.to_dict())


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document describing this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/")))


def openapi_document(server_url: str) -> dict:
    """The API's OpenAPI 3.0 description, pointing at ``server_url``."""
    error = {"type": "object", "required": ["error"],
             "properties": {"error": {"type": "string"},
                            "position": {"type": "integer", "nullable": True,
                                         "description": "0-based character position of the problem in q"}}}
    number = {"type": "number", "nullable": True, "description": "null for a blank cell (never 0)"}
    region = {"type": "object", "properties": {k: {"type": "string", "nullable": True}
                                                for k in ("province", "city", "county", "adcode")}}
    hit = {"type": "object", "properties": {
        "id": {"type": "string"}, "agency": {"type": "string", "nullable": True},
        "year": {"type": "integer", "nullable": True}, "region": region,
        "agency_type": {"type": "string", "nullable": True}, "level": {"type": "string", "nullable": True},
        "score": {"type": "number"}, "title": {"type": "string", "nullable": True},
        "template": {"type": "string", "nullable": True}, "flags": {"type": "array", "items": {"type": "string"}},
        "synthetic": {"type": "boolean"}, "url": {"type": "string"},
        "sections": {"type": "array", "items": {"type": "object", "properties": {
            "n": {"type": "integer"},
            "snippet": {"type": "string", "description": "HTML-escaped text with <mark> around matches"}}}},
        "figures": {"type": "object", "additionalProperties": number}}}
    search_result = {"type": "object", "properties": {
        "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "sort": {"type": "string"},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"type": "object", "description": "facet name (year, type, province, level, template, flags) "
                                                    "-> value -> number of matching reports",
                   "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}}}}}
    report = {"type": "object", "description": "The canonical report of SPEC §2", "properties": {
        "id": {"type": "string"}, "source": {"type": "object"}, "title": {"type": "string", "nullable": True},
        "agency": {"type": "string", "nullable": True}, "year": {"type": "integer", "nullable": True},
        "template": {"type": "string", "nullable": True, "enum": ["2019", "2021", None]}, "region": region,
        "level": {"type": "string", "nullable": True}, "agency_type": {"type": "string", "nullable": True},
        "published": {"type": "string", "nullable": True},
        "sections": {"type": "array", "items": {"type": "object", "properties": {
            "n": {"type": "integer"}, "heading": {"type": "string"}, "text": {"type": "string"},
            "start": {"type": "integer"}, "end": {"type": "integer"}}}},
        "figures": {"type": "object", "additionalProperties": number},
        "cells": {"type": "object", "additionalProperties": {"type": "object"}},
        "flags": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "where": {"type": "string", "nullable": True}, "detail": {"type": "string"}}}}}}
    json_response = lambda ref, text: {"description": text, "content": {"application/json": {"schema": {"$ref": ref}}}}
    return {
        "openapi": "3.0.3",
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
                    {"name": "sort", "in": "query", "schema": {"type": "string", "default": "relevance"},
                     "description": "relevance, year, -year, or an alias or figure key (prefix - for descending)"}],
                "responses": {"200": json_response("#/components/schemas/SearchResult", "one page of results"),
                              "400": json_response("#/components/schemas/Error", "malformed query")}}},
            "/api/reports/{id}": {"get": {
                "summary": "One canonical report",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "first 16 hex characters of the file's sha256"}],
                "responses": {"200": json_response("#/components/schemas/Report", "the report"),
                              "404": json_response("#/components/schemas/Error", "unknown id")}}},
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI 3 document"}}}},
        },
        "components": {"schemas": {"Error": error, "Hit": hit, "SearchResult": search_result, "Report": report}},
    }
