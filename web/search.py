"""The search page, its JSON twin, the stats view and the export downloads.

Views parse the request, call the collection, and render. The HTML page and
its JSON twins (/search.json, /api/search) run the query through the same
``api.run_search``; the page adds links (facets, chips, paging) around it.
"""
from __future__ import annotations

import math
from functools import lru_cache

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request
from markupsafe import Markup

from indexer.agencies import key_name
from indexer.aliases import ALIASES, RATES, is_rate
from indexer.export import FORMATS, ExportFormatError
from indexer.groups import MAX_RANK, GroupError
from indexer.figure_keys import all_figure_keys
from indexer.search import ON_REQUEST_FACETS, rate_bucket_tokens
from indexer.vocabulary import FACETS, HEADLINE_ALIASES

from .api import REQUEST_ERRORS, api_search, api_stats, asks_for, query_error, run_search
from .cell_links import hit_cell_links
from .collection import get_collection
from .downloads import attachment_response
from .flag_text import explain_flag
from .groups import group_params, group_results, group_view
from .htmx import template_for
from .i18n import LEVEL_LABELS, OUTCOME_LABELS, alias_label, label_of, translate
from .limits import read_bound
from .links import current_language, link
from .query_state import (OPERATORS, ComparisonError, active_chips, add_token, comparison_token, facet_token,
                          query_tokens, remove_token)
from .report_view import key_aliases_for

bp = Blueprint("search", __name__)

SEARCH_FRAGMENTS = {"results": "_results.html", "search-page": "_search.html"}
MAX_FACET_VALUES = 30


def page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def sort_options(lang: str) -> list[tuple[str, str]]:
    """(value, label) of every sort the page offers."""
    options = [("relevance", translate("sort_relevance", lang)), ("-year", translate("sort_year_desc", lang)),
               ("year", translate("sort_year_asc", lang))]
    options += [(f"-{alias}", f"{translate('sort_by_figure', lang)}{': ' if lang == 'en' else '：'}{alias_label(alias, lang)}")
                for alias in HEADLINE_ALIASES]
    return options


def _facet_values(facet: str, counts: dict, q: str, sort: str, lang: str) -> list[dict]:
    tokens = set(query_tokens(q))
    values = []
    # Collection.search() orders the values (year newest first, others by count).
    for value, count in list(counts.items())[:MAX_FACET_VALUES]:
        token = facet_token(facet, value)
        active = token in tokens
        target_q = remove_token(q, token) if active else add_token(q, token)
        label, title = str(value), ""
        if facet == "level":
            label = label_of(LEVEL_LABELS, str(value), lang)
        elif facet == "flags":
            title = explain_flag(str(value), lang)
        elif facet == "agency":  # the key's name, the whole key (its region) on hover
            label, title = key_name(str(value)), str(value)
        values.append({"value": str(value), "label": label, "count": count, "active": active, "title": title,
                       "url": link("search.index", q=target_q, **({"sort": sort} if sort != "relevance" else {}))})
    return values


def _rate_facet_values(rate: str, counts: dict, q: str, sort: str) -> list[dict]:
    """A rate's buckets as facet links: each adds (or, when active, removes) its two comparisons."""
    tokens = set(query_tokens(q))
    values = []
    for key, count in counts.items():
        bucket = rate_bucket_tokens(rate, key)
        active = all(token in tokens for token in bucket)
        target_q = q
        for token in bucket:
            target_q = remove_token(target_q, token) if active else add_token(target_q, token)
        label = key.replace("..", "–") if not key.endswith("..") else "≥" + key[:-2]
        values.append({"value": key, "label": label, "count": count, "active": active, "title": " ".join(bucket),
                       "url": link("search.index", q=target_q, **({"sort": sort} if sort != "relevance" else {}))})
    return values


def facet_sections(names, facets: dict, q: str, sort: str, lang: str) -> list[dict]:
    """The sidebar sections of the facets ``names`` that have counts in ``facets``."""
    return [{"name": name, "label": translate(f"facet_{name}", lang),
             "values": _facet_values(name, facets[name], q, sort, lang)} for name in names if facets.get(name)]


def on_request_sections(facets: dict, q: str, sort: str, lang: str) -> list[dict]:
    """The sidebar sections of the facets counted on request (the agency keys, then the rates)."""
    return facet_sections(ON_REQUEST_FACETS, facets, q, sort, lang) + [
        {"name": rate, "label": alias_label(rate, lang), "values": _rate_facet_values(rate, facets[rate], q, sort)}
        for rate in RATES if facets.get(rate)]


def search_page_context(args) -> dict:
    """Everything the search page shows for these request arguments."""
    lang = current_language()
    q = (args.get("q") or "").strip()
    sort = args.get("sort") or "relevance"
    page = page_number(args.get("page"))
    # the agency and rate facets: counted with the page when asked (agencies=1&rates=1, the link
    # shown without scripts), else fetched by the sidebar after the results (``more_facets``)
    inline = asks_for(args, "agencies") and asks_for(args, "rates")
    result, error = run_search(q, page, sort, rates=inline, agencies=inline)
    sort_args = {"sort": sort} if sort != "relevance" else {}
    context = {"q": q, "sort": sort, "page": page, "error": error, "result": result,
               "sort_options": sort_options(lang), "facets": [], "pages": 0, "more_facets_url": None,
               "chips": [{"token": c.token, "url": link("search.index", q=c.remove_query, **sort_args)}
                         for c in active_chips(q)],
               "comparison_options": comparison_options(lang), "operators": OPERATORS,
               "comparison_error": None, "key_aliases_for": key_aliases_for, "hit_cells": {}}
    if result is not None:
        per_page = result.get("per_page") or get_collection().config.page_size
        context["pages"] = max(1, math.ceil(result["total"] / per_page))
        plain = [name for name in FACETS if name not in ON_REQUEST_FACETS]
        context["facets"] = facet_sections(plain, result["facets"], q, sort, lang)
        if inline:
            context["facets"] += on_request_sections(result["facets"], q, sort, lang)
        else:
            context["more_facets_url"] = link("search.more_facets", q=q, **sort_args)
            context["more_facets_open"] = any(token.startswith("agency_key:") or token.lstrip("-").startswith(tuple(RATES))
                                              for token in query_tokens(q))
            context["more_facets_page"] = link("search.index", q=q, agencies=1, rates=1, **sort_args)
        context["page_url"] = lambda n: link("search.index", q=q, page=n, **sort_args)
        context["hit_cells"] = hit_cell_links(q, result["hits"], lang)
    return context


def comparison_fields(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The comparison form's figure choices: the aliases, then every figure key by table."""
    groups = [(translate("aliases", lang), [(alias, f"{alias} — {alias_label(alias, lang)}") for alias in ALIASES])]
    for table in ("t2", "t3", "t4"):
        groups.append((f"{table}.*", [(key, key) for key in all_figure_keys() if key.startswith(table + ".")]))
    return groups


@lru_cache(maxsize=None)
def comparison_options(lang: str) -> Markup:
    """``comparison_fields`` as the <optgroup>s of the form's select, built once per language: 249
    options the same on every search page, 0.9 ms a page to render each time."""
    return Markup("").join(
        Markup('<optgroup label="{}">{}</optgroup>').format(
            group, Markup("").join(Markup('<option value="{}">{}</option>').format(value, label) for value, label in choices))
        for group, choices in comparison_fields(lang))


@bp.get("/")
def index():
    """The search page: the box, facets, results; a fragment of it for htmx."""
    args = request.args
    if "cmp_field" in args:
        try:
            token = comparison_token(args.get("cmp_field", ""), args.get("cmp_op", ""), args.get("cmp_value", ""))
        except ComparisonError:
            context = search_page_context(args)
            context["comparison_error"] = translate("comparison_error", current_language())
            template = template_for(request, SEARCH_FRAGMENTS, "search.html")
            return render_template(template, oob_nav=template != "search.html", **context)
        new_args = {"q": add_token(args.get("q", ""), token)}
        if args.get("sort") and args["sort"] != "relevance":
            new_args["sort"] = args["sort"]
        return redirect(link("search.index", **new_args), 303)
    context = search_page_context(args)
    template = template_for(request, SEARCH_FRAGMENTS, "search.html")
    return render_template(template, oob_nav=template != "search.html", **context)


@bp.get("/more-facets")
def more_facets():
    """The agency and rate facets' sidebar sections for ``q``, which the search page fetches after
    its results."""
    q = (request.args.get("q") or "").strip()
    sort = request.args.get("sort") or "relevance"
    try:
        facets = get_collection().on_request_facets(q)
    except REQUEST_ERRORS:
        facets = {}  # the page around it shows the query's error
    return render_template("_facet_list.html", facets=on_request_sections(facets, q, sort, current_language()))


@bp.get("/search.json")
def search_json():
    """The search page's result as JSON (the same object /api/search returns)."""
    return api_search()


@bp.get("/stats")
def stats():
    """Counts, sums and the outcome breakdown for the current query, as a chart and a table;
    with ``by``/``by2`` its groups or pivot, with ``rank`` its agency ranking."""
    lang = current_language()
    q = (request.args.get("q") or "").strip()
    error, data, found, params = None, None, {}, None
    try:
        params = group_params(request.args)
        data = get_collection().stats(q, PAGE_ALIASES_PER_YEAR, PAGE_ALIASES_PER_TYPE)
        found = group_results(q, params)
    except REQUEST_ERRORS as e:
        error = query_error(e)
        if isinstance(e, GroupError):
            params = None  # the form shows the defaults, not the value it cannot offer
    params = params or group_params({})
    return render_template("stats.html", q=q, error=error, stats=data, max_rank=MAX_RANK, **stats_view(data, lang),
                           **group_view(q, params, found, lang))


@bp.get("/stats.json")
def stats_json():
    """The stats view's numbers (Collection.stats, and the groups and ranking asked for) as JSON;
    400 for a malformed query or parameter."""
    return api_stats()


# The aliases the stats page shows (stats_view): the headline counts' sums and medians per year and
# per type, every rate's mean and median per year. Each alias costs a stats aggregation and a
# percentile sketch (the dearest part) per group; /stats.json asks for them all.
PAGE_ALIASES_PER_TYPE = frozenset(a for a in HEADLINE_ALIASES if not is_rate(a))
PAGE_ALIASES_PER_YEAR = PAGE_ALIASES_PER_TYPE | frozenset(RATES)


def stats_view(data: dict | None, lang: str) -> dict:
    """Rows of the stats tables and the chart's data, from Collection.stats()."""
    if not data:
        return {"year_rows": [], "type_rows": [], "outcome_rows": [], "chart": {}, "sum_aliases": [],
                "rate_rows": []}
    sum_aliases = [a for a in HEADLINE_ALIASES
                   if any((v.get("sums") or {}).get(a) is not None for v in data.get("per_year", {}).values())]
    year_rows = [{"key": year, **value} for year, value in sorted(data.get("per_year", {}).items(), key=lambda kv: str(kv[0]))]
    type_rows = [{"key": name, **value} for name, value in
                 sorted(data.get("per_type", {}).items(), key=lambda kv: -(kv[1].get("count") or 0))]
    outcomes = data.get("outcomes") or {}
    outcome_rows = [{"key": key, "label": label_of(OUTCOME_LABELS, key, lang), "value": value}
                    for key, value in outcomes.items()]
    chart = {
        "years": [str(r["key"]) for r in year_rows],
        "year_counts": [r.get("count") or 0 for r in year_rows],
        "year_applications": [(r.get("sums") or {}).get("applications") for r in year_rows],
        "outcome_labels": [r["label"] for r in outcome_rows],
        "outcome_values": [r["value"] or 0 for r in outcome_rows],
        "labels": {"count": translate("count", lang), "applications": alias_label("applications", lang),
                   "outcomes": translate("outcomes", lang)},
    }
    # each rate: its mean and median per year, and how many reports fall in each bucket
    rate_rows = [{"rate": rate, "label": alias_label(rate, lang),
                  "years": [((r.get("means") or {}).get(rate), (r.get("medians") or {}).get(rate)) for r in year_rows],
                  "distribution": (data.get("rates") or {}).get(rate) or {}}
                 for rate in RATES]
    return {"year_rows": year_rows, "type_rows": type_rows, "outcome_rows": outcome_rows, "chart": chart,
            "sum_aliases": sum_aliases, "rate_rows": rate_rows}


@bp.get("/export.<fmt>")
def export(fmt: str):
    """Every report matching the query as CSV or JSON: the bytes of `xxgk export`;
    ``shape=panel`` or ``shape=long`` those of `xxgk export --panel` / `--long`."""
    if fmt not in FORMATS:
        abort(404)
    q = (request.args.get("q") or "").strip()
    shape = request.args.get("shape") or "reports"
    try:
        body = get_collection().export(q, fmt, shape, read_bound(many_rows=shape == "long"))
    except (*REQUEST_ERRORS, ExportFormatError) as e:
        return Response(str(e) + "\n", status=400, mimetype="text/plain")
    name = "xxgk-export" if shape == "reports" else f"xxgk-{shape}"
    return attachment_response(body, "text/csv" if fmt == "csv" else "application/json", f"{name}.{fmt}")
