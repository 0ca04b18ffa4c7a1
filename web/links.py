"""The request's language and links that keep it.

A search page holds ~200 links (facet values, hits, snippets, pages): through ``url_for`` each
cost ~31 µs, 6 ms a page (docs/benchmarks.md, "Load at 100,000: this round's changes, old against
new"). ``link`` asks ``url_for`` for the path of an endpoint only once per request and path values,
and encodes the query string itself, the way werkzeug encodes it (tests/test_web.py compares the two).
"""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, quote_plus

from flask import current_app, g, request, url_for

from .i18n import resolve_language

# What werkzeug leaves unescaped in a query string and Flask in an anchor (werkzeug.urls._urlencode,
# Flask.url_for): the same characters, so a link is the same string url_for gives.
QUERY_SAFE = "!$'()*,/:;?@"
ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def current_language() -> str:
    """The language of the current request (URL, then cookie, then Chinese)."""
    if "language" not in g:
        g.language = resolve_language(request.args.get("lang"), request.cookies.get("lang"))
    return g.language


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # the same query text recurs in most links of a page (and of the next page)
    return quote_plus(text, safe=QUERY_SAFE)


def _query(pairs) -> str:
    """(name, value) pairs as a query string, each text quoted as werkzeug quotes it."""
    return "&".join(f"{_quoted(name)}={_quoted(str(value))}" for name, value in pairs)


def _path_arguments(endpoint: str) -> frozenset[str]:
    """The values that go into the endpoint's path (``report_id`` of /reports/<report_id>)."""
    known = current_app.extensions.setdefault("xxgk_path_arguments", {})
    if endpoint not in known:
        known[endpoint] = frozenset().union(*(rule.arguments for rule in current_app.url_map.iter_rules(endpoint)))
    return known[endpoint]


def this_page_with(**changes: str) -> str:
    """The URL of the page being answered, its query values as sent but for ``changes``
    (the language switch).

    The query's names never reach ``url_for`` as arguments: a name of the path (``?fmt=`` on
    /export.xlsx) or of url_for's own options (``?_method=``) would otherwise fail the page.
    """
    if request.endpoint is None:  # a URL no route matched: switch on the search page
        path = url_for("search.index")
    else:
        path = url_for(request.endpoint, **(request.view_args or {}))
    pairs = [(name, value) for name, value in request.args.items(multi=True) if name not in changes]
    return f"{path}?{_query(pairs + list(changes.items()))}"


def link(endpoint: str, **values) -> str:
    """url_for that keeps ``lang=en`` in every link, so English survives without cookies."""
    if current_language() == "en":
        values.setdefault("lang", "en")
    anchor = values.pop("_anchor", None)
    arguments = _path_arguments(endpoint)
    path_values = tuple(sorted((name, values.pop(name)) for name in arguments & values.keys()))
    paths = g.setdefault("link_paths", {})
    key = (endpoint, path_values)
    if key not in paths:
        paths[key] = url_for(endpoint, **dict(path_values))
    url = paths[key]
    # urllib.parse.urlencode(..., safe=QUERY_SAFE), what werkzeug does, with each text quoted once
    query = _query((name, value) for name, value in values.items() if value is not None)
    if query:
        url = f"{url}?{query}"
    return url if anchor is None else f"{url}#{quote(anchor, safe=ANCHOR_SAFE)}"
