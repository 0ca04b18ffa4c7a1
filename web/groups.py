"""The stats view's group-by, pivot and ranking: URL parameters in, rows, links and chart data out
(docs/query-language.md#group-and-rank). The numbers come from Collection.group and Collection.rank."""
from __future__ import annotations

import re

from typing import Any, Mapping

from indexer.aliases import ALIASES, is_rate
from indexer.groups import GROUP_FIELDS, MAX_RANK, ORDERS, STATS, GroupError, check_group

from .collection import get_collection
from .i18n import LEVEL_LABELS, alias_label, label_of, translate
from .limits import read_bound
from .links import link
from .query_state import add_token

DEFAULT_MEASURE = "applications"
DEFAULT_RANK_SIZE = 20


# Each choice of the stats form and its values; "" (the form's "none") leaves an optional one out.
ALIAS_CHOICES = tuple(ALIASES)
OPTIONAL_CHOICES = {"by": GROUP_FIELDS, "by2": GROUP_FIELDS, "rank": ALIAS_CHOICES}
REQUIRED_CHOICES = {"measure": ALIAS_CHOICES, "stat": STATS, "order": ORDERS}


def group_params(args: Mapping[str, str]) -> dict[str, Any]:
    """The grouping and ranking parameters of a request, defaults filled in.

    Every value given is checked, used or not, so that a misspelt one is reported rather than
    ignored (the API documents each one's values: web/api.py ``openapi_document``); whether they
    go together (``by2`` needs ``by``) is the collection's to check.

    :raises GroupError: a value that is not one of its parameter's.
    """
    for name, allowed in (*OPTIONAL_CHOICES.items(), *REQUIRED_CHOICES.items()):
        value = args.get(name)
        if value is not None and value not in allowed and not (value == "" and name in OPTIONAL_CHOICES):
            hint = "an alias or rate, e.g. applications, grant_rate" if allowed is ALIAS_CHOICES else ", ".join(allowed)
            raise GroupError(f"unknown {name} {value!r} (use {hint})")
    measure = args.get("measure", DEFAULT_MEASURE)
    n = args.get("n", str(DEFAULT_RANK_SIZE))
    # nine digits at most before int(): Python refuses past 4,300 (a ValueError, a 500 before)
    if not re.fullmatch(r"[0-9]{1,9}", n) or not 1 <= int(n) <= MAX_RANK:
        raise GroupError(f"n must be a whole number between 1 and {MAX_RANK}")
    return {"by": args.get("by") or None, "by2": args.get("by2") or None, "measure": measure,
            "stat": args.get("stat", "mean" if is_rate(measure) else "sum"),
            "rank": args.get("rank") or None, "order": args.get("order", "desc"), "n": int(n)}


def group_results(q: str, params: dict[str, Any]) -> dict[str, Any]:
    """``groups`` (when ``by`` is given) and ``ranking`` (when ``rank`` is given) of ``q``.

    :raises QuerySyntaxError: the query is malformed.
    :raises GroupError: a bad parameter.
    """
    collection, found = get_collection(), {}
    if params["by"] or params["by2"]:
        check_group(params["by"], params["by2"], params["stat"])
        found["groups"] = collection.group(q, params["by"], params["measure"], params["by2"])
    if params["rank"]:
        found["ranking"] = collection.rank(q, params["rank"], params["order"], params["n"], read_bound())
    return found


def _value_label(field: str, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    return label_of(LEVEL_LABELS, str(value), lang) if field == "level" else str(value)


def _search_link(q: str, filters: list[str] | None) -> str | None:
    if filters is None:
        return None
    for token in filters:
        q = add_token(q, token)
    return link("search.index", q=q)


def group_view(q: str, params: dict[str, Any], found: dict[str, Any], lang: str) -> dict[str, Any]:
    """What stats.html shows of the groups and the ranking: the form's choices, the group table
    (one field) or the pivot (two), the bar chart's data, the ranking rows."""
    view: dict[str, Any] = {
        "params": params,
        "field_choices": [(f, translate(f"group_{f}", lang)) for f in GROUP_FIELDS],
        "measure_choices": [(a, f"{a} — {alias_label(a, lang)}") for a in ALIASES],
        "stat_choices": [(s, translate(s, lang)) for s in STATS],
        "order_choices": [(o, translate(f"order_{o}", lang)) for o in ORDERS],
        "group_rows": [], "pivot": None, "group_chart": None, "ranking": [],
    }
    groups, by, by2, stat = found.get("groups"), params["by"], params["by2"], params["stat"]
    if groups is not None:
        for row in groups:
            row["label"] = _value_label(by, row[by], lang)
            row["url"] = _search_link(q, row["filters"])
            row["shown"] = row["count"] if stat == "count" else row[stat]
        if by2 is None:
            view["group_rows"] = groups
            shown = groups
            view["group_chart"] = {"labels": [r["label"] for r in shown],
                                   "datasets": [{"label": _measure_caption(params, lang),
                                                 "data": [r["shown"] for r in shown]}]}
        else:
            view["pivot"] = _pivot(groups, by, by2, lang)
            view["group_chart"] = {"labels": [r["label"] for r in view["pivot"]["rows"]],
                                   "datasets": [{"label": column["label"],
                                                 "data": [(r["cells"][i] or {}).get("shown") for r in view["pivot"]["rows"]]}
                                                for i, column in enumerate(view["pivot"]["columns"])]}
    for row in found.get("ranking") or []:
        view["ranking"].append({**row, "agency_url": link("agencies.agency_page", key=row["agency_key"]),
                                "report_url": link("reports.report_page", report_id=row["report_id"])})
    view["measure_caption"] = _measure_caption(params, lang)
    return view


def _measure_caption(params: dict[str, Any], lang: str) -> str:
    if params["stat"] == "count":
        return translate("count", lang)
    return f"{alias_label(params['measure'], lang)} ({translate(params['stat'], lang)})"


def _pivot(groups: list[dict], by: str, by2: str, lang: str) -> dict[str, Any]:
    """Rows: the values of ``by`` (most reports first); columns: the values of ``by2`` (sorted)."""
    row_values = list(dict.fromkeys(g[by] for g in groups))
    column_values = sorted({g[by2] for g in groups}, key=lambda v: (v is None, str(v)))
    cells = {(g[by], g[by2]): g for g in groups}
    return {"columns": [{"value": v, "label": _value_label(by2, v, lang)} for v in column_values],
            "rows": [{"value": rv, "label": _value_label(by, rv, lang),
                      "cells": [cells.get((rv, cv)) for cv in column_values]} for rv in row_values]}
