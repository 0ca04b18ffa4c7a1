"""Run a query against the index: one page of hits with snippets, facets, statistics.

    search(index, q)   SPEC §3's result object (hits, facets, paging)
    stats(index, q)    counts, sums and medians per year and per type, outcomes
    search_ids(index, q)  every matching id, no snippets (export)

Ranking is BM25 over the section words; facet counts, sums and medians come
from tantivy aggregations over every hit of the query, never from Python
loops over hits. tantivy lets go of the GIL while it searches, so a request's
aggregations run on a worker thread beside its own search (two cores).
Snippets are cut from the ORIGINAL section text, with the matched words
wrapped in <mark> and everything else HTML-escaped (report text is untrusted).
"""
from __future__ import annotations

import html
import math
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import tantivy

from .aliases import ALIASES
from .errors import XxgkError
from .index import DENIED_TOTALS, FIGURE_KEYS, ZERO_FIELD, ReportIndex, decode_hit, figure_field, zeros_elided
from .query import (Plan, TextTerms, comparable_keys, compile_plan, parse_query, plan_to_query, ranked_plan,
                    text_terms)
from .tokenize import normalize, tokenize_around, unit_columns

SNIPPET_CHARS = 120
FACETS = {"year": "year", "type": "type", "province": "province", "level": "level",
          "template": "template", "flags": "flags"}
BUCKETS = 1000
MAX_PER_PAGE = 1000
OUTCOMES = {"granted": "granted", "partial": "partial",
            **DENIED_TOTALS,
            "unable": "unable", "rejected": "rejected", "other": "other_handling"}
_SPACE = re.compile(r"\s+")
MEMO_SIZE = 256


class SearchError(XxgkError):
    """A search parameter (sort, page, per_page) is out of range."""


# -- worker threads ------------------------------------------------------------------

def _new_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="xxgk-search")


_POOL = _new_pool()  # its threads start on first use


def _reset_pool() -> None:
    global _POOL
    _POOL = _new_pool()  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_reset_pool)


def _in_background(func, *args) -> Future:
    """``func(*args)`` on a worker thread (for tantivy calls, which let go of the GIL)."""
    return _POOL.submit(func, *args)


# -- sorting ----------------------------------------------------------------------

def sort_order(sort: str) -> tuple[str, tantivy.Order] | None:
    """(fast field, order) for a sort value; None for relevance.

    :param sort: "relevance", "year", "-year", or an alias / figure key, "-" first for descending.
    :raises SearchError: an unknown sort.
    """
    if sort in ("", "relevance"):
        return None
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    order = tantivy.Order.Desc if descending else tantivy.Order.Asc
    if key == "year":
        return "year", order
    if key not in comparable_keys():
        raise SearchError(f"unknown sort {sort!r}: use relevance, year, -year, or an alias or figure key "
                          f"(e.g. -applications)")
    return figure_field(key), order


# -- highlighting ------------------------------------------------------------------

def _word_spans(text: str, words: frozenset[str]) -> list[tuple[int, int, str]]:
    return [(t.start, t.end, t.text) for t in tokenize_around(text, words) if t.text in words]


@lru_cache(maxsize=256)
def _cjk_phrase_pattern(phrase) -> re.Pattern | None:
    """A regex for a phrase of Chinese characters without gaps (spaces may stand between them).

    Each Chinese character is a unit whatever surrounds it, so this finds
    exactly what the unit matching below finds, at C speed.
    """
    if any(rel != i or unit.isascii() or len(unit) != 1 for i, (rel, unit) in enumerate(phrase)):
        return None
    return re.compile(r"\s*".join(re.escape(unit) for _, unit in phrase))


def _phrase_spans(text: str, phrases, norm: str | None = None) -> list[tuple[int, int, str]]:
    """``norm``: ``normalize(text)`` if the caller has it."""
    norm = normalize(text) if norm is None else norm
    spans = []
    slow = []
    for phrase in phrases:
        pattern = _cjk_phrase_pattern(phrase)
        if pattern is None:
            slow.append(phrase)
            continue
        label = "".join(unit for _, unit in phrase)
        spans += [(m.start(), m.end(), label) for m in pattern.finditer(norm)]
    return spans + (_unit_phrase_spans(text, slow) if slow else [])


def _unit_phrase_spans(text: str, phrases) -> list[tuple[int, int, str]]:
    texts, positions, starts, ends = unit_columns(text)
    index_at = {p: i for i, p in enumerate(positions)}
    spans = []
    for phrase in phrases:
        first = phrase[0][1]
        rest = phrase[1:]
        i = -1
        while True:
            try:
                i = texts.index(first, i + 1)
            except ValueError:
                break
            base = positions[i]
            last = i
            for rel, unit in rest:
                last = index_at.get(base + rel)
                if last is None or texts[last] != unit:
                    break
            else:
                spans.append((starts[i], ends[last], "".join(t for _, t in phrase)))
    return spans


def match_spans(text: str, terms: TextTerms) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word and phrase of ``terms`` in ``text`` (character offsets)."""
    norm = normalize(text)
    words = frozenset(w for w in terms.words if w in norm)
    phrases = tuple(p for p in terms.phrases if p[0][1] in norm)
    spans = []
    if words:
        spans += _word_spans(text, words)
    if phrases:
        spans += _phrase_spans(text, phrases, norm)
    return sorted(spans)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _window(spans: list[tuple[int, int]], length: int, width: int) -> tuple[int, int]:
    """The ``width`` characters holding the most matches, centred on them."""
    best, best_i, best_k = -1, 0, 0
    k = 0
    for i, (start, _) in enumerate(spans):
        k = max(k, i)
        while k + 1 < len(spans) and spans[k + 1][1] - start <= width:
            k += 1
        if k - i + 1 > best:
            best, best_i, best_k = k - i + 1, i, k
    cluster_start, cluster_end = spans[best_i][0], spans[best_k][1]
    if spans[best_i][1] - cluster_start > width:
        return cluster_start, spans[best_i][1]  # one match longer than the window: show it whole
    pad = max(0, (width - (cluster_end - cluster_start)) // 2)
    start = max(0, cluster_start - pad)
    end = min(length, start + width)
    return max(0, end - width), end


def _clean(piece: str) -> str:
    return html.escape(_SPACE.sub(" ", piece))


def make_snippet(text: str, spans: list[tuple[int, int, str]], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around the densest cluster of ``spans``.

    Matches are wrapped in <mark>…</mark>; all text is HTML-escaped; runs of
    whitespace become one space; … marks a cut.
    """
    if not spans:
        start, end = 0, min(len(text), width)
        marked: list[tuple[int, int]] = []
    else:
        merged = _merge(spans)
        start, end = _window(merged, len(text), width)
        marked = [(s, e) for s, e in merged if s >= start and e <= end]
    out = ["…" if start > 0 else ""]
    cursor = start
    for s, e in marked:
        out.append(_clean(text[cursor:s]))
        out.append(f"<mark>{_clean(text[s:e])}</mark>")
        cursor = e
    out.append(_clean(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out).strip()


def hit_sections(sections: list, terms: TextTerms) -> list[dict[str, Any]]:
    """The sections where the query's text terms occur, best first, each with a snippet."""
    if terms.empty:
        return []
    found = []
    for n, heading, text in sections:
        if terms.sections and n not in terms.sections:
            continue
        spans = match_spans(text, terms)
        if spans:
            distinct = len({term for _, _, term in spans})
            found.append((-distinct, -len(spans), n, heading, text, spans))
    found.sort(key=lambda f: f[:3])
    return [{"n": n, "heading": heading, "snippet": make_snippet(text, spans)}
            for _, _, n, heading, text, spans in found]


# -- search -----------------------------------------------------------------------

def _facet_request() -> dict[str, Any]:
    return {name: {"terms": {"field": field, "size": BUCKETS}} for name, field in FACETS.items()}


def _bucket_key(key) -> str:
    return str(int(key)) if isinstance(key, float) and key.is_integer() else str(key)


def facets_from_aggregation(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{facet: {value: count}}: year newest first, the others by count then value."""
    facets = {}
    for name in FACETS:
        buckets = [(_bucket_key(b["key"]), b["doc_count"]) for b in result.get(name, {}).get("buckets", [])]
        if name == "year":
            buckets.sort(key=lambda b: b[0], reverse=True)
        else:
            buckets.sort(key=lambda b: (-b[1], b[0]))
        facets[name] = dict(buckets)
    return facets


def _hit(stored: dict[str, Any], score, terms: TextTerms) -> dict[str, Any]:
    sections = hit_sections(stored["sections"], terms)
    url = f"/reports/{stored['id']}" + (f"#s{sections[0]['n']}" if sections else "")
    return {
        "id": stored["id"],
        "agency": stored["agency"],
        "year": stored["year"],
        "region": stored["region"],
        "agency_type": stored["agency_type"],
        "level": stored["level"],
        "score": score,
        "sections": sections,
        "figures": stored["figures"],
        "title": stored["title"],
        "template": stored["template"],
        "flags": stored["flags"],
        "synthetic": stored["synthetic"],
        "url": url,
    }


def _remember(memo: dict, key, value) -> None:
    """Keep ``value`` under ``key`` in a searcher's memo, the oldest entry dropped when full."""
    if len(memo) >= MEMO_SIZE:
        for old in list(memo)[:len(memo) - MEMO_SIZE + 1]:  # list(): another thread may add meanwhile
            memo.pop(old, None)
    memo[key] = value


def _check_paging(page: int, per_page: int) -> None:
    if not isinstance(page, int) or page < 1:
        raise SearchError(f"page must be 1 or more, not {page!r}")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page!r}")


def search(index: ReportIndex, q: str, *, page: int = 1, per_page: int = 20,
           sort: str = "relevance") -> dict[str, Any]:
    """One page of reports matching ``q``, with snippets and facet counts over every hit.

    :param index: the open index.
    :param q: a query in the language of SPEC §3 ("" matches every report).
    :param page: 1-based page number.
    :param per_page: hits per page (1..1000).
    :param sort: "relevance" (BM25), "year", "-year", or an alias / figure key ("-" for descending);
        reports without the value come last.
    :raises QuerySyntaxError: the query is malformed.
    :raises SearchError: a bad sort, page or per_page.
    """
    q = q or ""
    node = parse_query(q)
    _check_paging(page, per_page)
    order = sort_order(sort)
    plan = compile_plan(node)
    query = plan_to_query(plan, index.schema)
    searcher = index.searcher
    # The total and the facets depend on the query alone, not on the page or the sort, and
    # stay right until the next commit: kept per searcher, so paging and re-sorting a
    # broad query only pay for the page.
    memo = index.memo(searcher)
    counted = memo.get(("facets", plan))
    # the total and the facet counts are counted on worker threads meanwhile (no scores needed there)
    counting = None if counted is not None else (_in_background(count_matches, searcher, query),
                                                  _in_background(searcher.aggregate, query, _facet_request()))
    total = (lambda: counted[0]) if counted is not None else counting[0].result
    offset = (page - 1) * per_page
    if order is None:
        page_hits = relevance_page(searcher, index.schema, node, plan, query, per_page, offset, total)
    else:
        page_hits = sorted_hits(searcher, index.schema, query, order, per_page, offset)
    terms = text_terms(node)
    hits = []
    for key, address in page_hits:
        stored = decode_hit(searcher.doc(address).get_first("hit"))
        score = round(float(key), 4) if order is None else None
        hits.append(_hit(stored, score, terms))
    if counted is None:
        counted = (counting[0].result(), facets_from_aggregation(counting[1].result()))
        _remember(memo, ("facets", plan), counted)
    total, facets = counted
    return {"query": q, "total": total, "page": page, "per_page": per_page, "sort": sort or "relevance",
            "hits": hits, "facets": {name: dict(counts) for name, counts in facets.items()}}


def count_matches(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many reports match, counted without scores (BM25 over every hit of a broad query costs more)."""
    return searcher.search(tantivy.Query.const_score_query(query, 1.0), 1, count=True).count


# the fast fields that leave out zeros, and their figure keys (index.zeros_elided)
_ZEROS_ELSEWHERE = {figure_field(key): key for key in FIGURE_KEYS if zeros_elided(key)}


def sorted_hits(searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query,
                order: tuple[str, tantivy.Order], limit: int, offset: int) -> list[tuple[Any, tantivy.DocAddress]]:
    """``limit`` hits from ``offset`` on, by a fast field's value, the reports without one last.

    A figure key whose zeros are listed in the zero field rather than in its fast field
    (index.zeros_elided) is read in four runs, each counted first so that only the runs the
    page reaches are read: the values before 0 in the order, the zeros, the values after 0,
    the reports without a value.
    """
    field, direction = order
    key = _ZEROS_ELSEWHERE.get(field)
    if key is None:
        return searcher.search(query, limit, count=False, order_by_field=field, offset=offset, order=direction).hits
    zero = Plan("term", ZERO_FIELD, key)
    below = Plan("range", field, (None, 0, True, False))
    above = Plan("range", field, (0, None, False, True))
    missing = Plan("bool", children=(("must", Plan("all")), ("must_not", Plan("exists", field)), ("must_not", zero)))
    first, last = (below, above) if direction == tantivy.Order.Asc else (above, below)
    hits: list = []
    for run, by_value in ((first, True), (zero, False), (last, True), (missing, False)):
        if len(hits) >= limit:
            break
        within = tantivy.Query.boolean_query([(tantivy.Occur.Must, query),
                                              (tantivy.Occur.Must, plan_to_query(run, schema))])
        count = count_matches(searcher, within)
        if offset >= count:
            offset -= count
            continue
        take = min(limit - len(hits), count - offset)
        if by_value:
            hits += searcher.search(within, take, count=False, order_by_field=field, offset=offset,
                                    order=direction).hits
        else:  # the same value (or none) for all: in index order, as tantivy orders ties
            hits += searcher.search(tantivy.Query.const_score_query(within, 0.0), take, count=False,
                                    offset=offset).hits
        offset = 0
    return hits


def relevance_page(searcher: tantivy.Searcher, schema: tantivy.Schema, node, plan, query: tantivy.Query,
                   limit: int, offset: int, total) -> list[tuple[float, tantivy.DocAddress]]:
    """``limit`` hits from ``offset`` on, in relevance order, as (score, address).

    The reports the query's words match come first, by BM25 (``query.ranked_plan``);
    then those only the fallback of a word matches (its characters standing
    together where jieba cut the text otherwise), with score 0.

    :param total: a function giving how many reports the whole query matches (called only if needed).
    """
    ranked = ranked_plan(node)
    if ranked == plan:
        return searcher.search(query, limit, count=False, offset=offset).hits
    ranked_query = plan_to_query(ranked, schema)
    first = searcher.search(ranked_query, limit, count=True, offset=offset)
    hits = list(first.hits)
    if len(hits) < limit and total() > first.count:
        rest = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)),
            (tantivy.Occur.MustNot, ranked_query)])
        hits += searcher.search(rest, limit - len(hits), count=False, offset=max(0, offset - first.count)).hits
    return hits


def search_ids(index: ReportIndex, q: str, *, sort: str = "relevance") -> list[str]:
    """The id of every report matching ``q`` in result order, without snippets (export).

    :raises QuerySyntaxError: the query is malformed.
    """
    node = parse_query(q or "")
    order = sort_order(sort)
    plan = compile_plan(node)
    query = plan_to_query(plan, index.schema)
    searcher = index.searcher
    total = count_matches(searcher, query)
    if total == 0:
        return []
    if order is None:
        hits = relevance_page(searcher, index.schema, node, plan, query, total, 0, lambda: total)
    else:
        hits = sorted_hits(searcher, index.schema, query, order, total, 0)
    return [decode_hit(searcher.doc(address).get_first("hit"))["id"] for _, address in hits]


# -- statistics -------------------------------------------------------------------

def _clean_number(value) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if float(value).is_integer():
        return int(value)
    return round(value, 4)


MONEY_ALIASES = frozenset({"procurement_amount", "fees_amount"})


def _median(alias: str, stat: dict[str, Any], estimate) -> float | int | None:
    """The median of a group's values.

    Exact where the group's stats settle it (one value, two values, or all
    equal); otherwise the engine's percentile estimate (DDSketch, ~1% relative
    error) kept within [min, max] and rounded to what the figure can be: a
    count's median is a whole or half number, money keeps its decimals.
    """
    count = stat.get("count") or 0
    if not count:
        return None
    low, high = stat["min"], stat["max"]
    if count == 1 or low == high:
        return _clean_number(low)
    if count == 2:
        return _clean_number(stat["sum"] / 2)
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return None
    estimate = min(max(estimate, low), high)
    if alias in MONEY_ALIASES:
        return _clean_number(round(estimate, 2))
    return _clean_number(round(estimate * 2) / 2)


def _figure_aggs() -> dict[str, Any]:
    aggs = {}
    for alias in ALIASES:
        field = figure_field(alias)
        aggs[f"{alias}__stats"] = {"stats": {"field": field}}
        aggs[f"{alias}__p50"] = {"percentiles": {"field": field, "percents": [50]}}
    return aggs


def _group_figures(bucket: dict[str, Any]) -> dict[str, Any]:
    sums, medians = {}, {}
    for alias in ALIASES:
        stat = bucket.get(f"{alias}__stats", {})
        sums[alias] = _clean_number(stat.get("sum")) if stat.get("count") else None
        values = bucket.get(f"{alias}__p50", {}).get("values", {})
        medians[alias] = _median(alias, stat, next(iter(values.values()), None))
    return {"count": bucket["doc_count"], "sums": sums, "medians": medians}


def stats(index: ReportIndex, q: str) -> dict[str, Any]:
    """Counts, sums and medians of every alias per year and per agency type, and the
    outcome totals (table 三) over every report matching ``q``.

    Sums and medians leave blank figures out (null, never 0); a group with no
    value for an alias has null there. Medians are the engine's percentile
    estimate.

    :raises QuerySyntaxError: the query is malformed.
    """
    q = q or ""
    plan = compile_plan(parse_query(q))
    searcher = index.searcher
    # the percentiles make this the dearest request; it holds until the next commit
    memo = index.memo(searcher)
    found = memo.get(("stats", plan))
    if found is None:
        found = _stats_of(searcher, plan_to_query(plan, index.schema))
        _remember(memo, ("stats", plan), found)
    return {"query": q, **_copy_stats(found)}


def _copy_stats(found: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without changing the memo (a third of deepcopy's time)."""
    def groups(by: dict[str, Any]) -> dict[str, Any]:
        return {key: {"count": g["count"], "sums": dict(g["sums"]), "medians": dict(g["medians"])}
                for key, g in by.items()}
    return {"total": found["total"], "per_year": groups(found["per_year"]), "per_type": groups(found["per_type"]),
            "outcomes": dict(found["outcomes"])}


def _stats_of(searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, Any]:
    """``stats`` without the query string.

    Two aggregation requests of about equal cost, per type on a worker thread
    while per year and the outcomes run here; then the total, counted without
    scores (BM25 over every hit of a broad query costs more than the counting).
    """
    figure_aggs = _figure_aggs()
    by_type = _in_background(searcher.aggregate, query,
                             {"per_type": {"terms": {"field": "type", "size": BUCKETS}, "aggs": figure_aggs}})
    result = searcher.aggregate(query, {
        "per_year": {"terms": {"field": "year", "size": BUCKETS}, "aggs": figure_aggs},
        **{f"outcome__{name}": {"stats": {"field": figure_field(key)}} for name, key in OUTCOMES.items()},
    })
    total = count_matches(searcher, query)
    per_year = {_bucket_key(b["key"]): _group_figures(b) for b in result["per_year"]["buckets"]}
    per_type = {_bucket_key(b["key"]): _group_figures(b) for b in by_type.result()["per_type"]["buckets"]}
    outcomes = {}
    for name in OUTCOMES:
        stat = result[f"outcome__{name}"]
        outcomes[name] = _clean_number(stat["sum"]) if stat.get("count") else None
    return {
        "total": total,
        "per_year": dict(sorted(per_year.items())),
        "per_type": dict(sorted(per_type.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
        "outcomes": outcomes,
    }


# -- plain text (the CLI) ------------------------------------------------------------

_MARK = re.compile(r"</?mark>")


def snippet_to_text(snippet: str) -> str:
    """A snippet for a terminal: <mark>…</mark> as 【…】, entities unescaped."""
    return html.unescape(_MARK.sub(lambda m: "】" if m.group().startswith("</") else "【", snippet))


def results_to_text(result: dict[str, Any]) -> str:
    """A search result as plain text: total, facet counts, then each hit with its snippets."""
    total, page, per_page = result["total"], result["page"], result["per_page"]
    first = (page - 1) * per_page + 1
    shown = f"{first}-{first + len(result['hits']) - 1}" if result["hits"] else "none"
    lines = [f"{total} report(s) match {result['query']!r} (showing {shown}, sorted by {result['sort']})"]
    for name, counts in result["facets"].items():
        if counts:
            lines.append(f"  {name}: " + ", ".join(f"{value} ({count})" for value, count in counts.items()))
    for hit in result["hits"]:
        region = "".join(filter(None, ((hit["region"] or {}).get(k) for k in ("province", "city", "county"))))
        score = "" if hit["score"] is None else f"  score {hit['score']}"
        lines.append("")
        lines.append(f"{hit['agency'] or hit['title'] or hit['id']}  {hit['year'] or '?'}  {region or '-'}  "
                     f"{hit['agency_type'] or '-'}{score}  [{hit['id']}]")
        for section in hit["sections"]:
            lines.append(f"  §{section['n']}: {snippet_to_text(section['snippet'])}")
    return "\n".join(lines)
