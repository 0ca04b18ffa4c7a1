"""Run a query against the index: one page of hits with snippets, facets, statistics.

    search(index, q)   a SearchResult (hits, facets, paging; docs/query-language.md)
    on_request_facets(index, q)  the agency and rate facets alone
    stats(index, q)    counts, sums and medians per year and per type, outcomes
    search_ids(index, q)  every matching id, no snippets (export)

Ranking is BM25 over the section words; facet counts, sums and medians come
from tantivy aggregations over every hit of the query, never from Python
loops over hits. tantivy lets go of the GIL while it searches, so a request's
aggregations run on a worker thread beside its own search (two cores).
Snippets: indexer/highlight.py.
"""
from __future__ import annotations

import json
import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import tantivy

from .aliases import ALIASES, RATES, is_rate
from .errors import XxgkError
from .highlight import hit_sections, snippet_to_text
from .index import (DENIED_TOTALS, ReportIndex, and_query, count_matches, decode_hit, figure_field, hit_id,
                    holds_deleted, without_query)
from .query import Plan, TextTerms, comparable_keys, compile_plan, parse_query, plan_to_query, ranked_plan, text_terms
from .results import Hit, SearchResult
from .vocabulary import FACETS, facet_index_field

BUCKETS = 1000
# The agency facet has about one value for two reports: only the most frequent are counted out
# (each bucket is a Python object made per request; the page shows 30).
AGENCY_FACET_SIZE = 100
# Facets counted only when asked for: one bucket an agency is the dearest terms count of all (68,637
# keys at 100,000 reports doubled the facets' aggregation; docs/benchmarks.md, "Load at 100,000:
# this round's changes, old against new").
ON_REQUEST_FACETS = ("agency",)
MAX_PER_PAGE = 1000
OUTCOMES = {"granted": "granted", "partial": "partial",
            **DENIED_TOTALS,
            "unable": "unable", "rejected": "rejected", "other": "other_handling"}
# What a searcher's memo keeps until the next commit, each kind in a budget of its own: a page of
# hits with its snippets weighs tens of KB and costs milliseconds, while counts (facets, statistics,
# which words every report holds) weigh a few KB and cost up to a second at 1,000,000 reports; in one
# budget the pages pushed the counts out.
MEMO_SIZES = {"page": 256, "counts": 1024}
# The rates' range buckets (facets and the statistics' distribution): [0, 0.1) … [0.9, 1), then
# [1, ∞) on its own: 1 (every request granted) is common, and a rate above 1 means the table's
# figures disagree (see its flags). A bucket's key is its range as the query language's year
# ranges write it ("0.1..0.2", "1.."); the comparisons it stands for are ``rate_bucket_tokens``.
RATE_EDGES = tuple(round(i / 10, 1) for i in range(11))


class SearchError(XxgkError):
    """A search parameter (sort, page, per_page) is out of range."""


class TooManyReports(SearchError):
    """The query matches more reports than the caller reads at once (``search_ids``' ``max_reports``)."""


# -- worker threads ------------------------------------------------------------------

# Forked children (ingest's parse workers) get a fresh pool: a fork copies none of the parent's threads.
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


# -- search -----------------------------------------------------------------------

def _edge(value: float) -> str:
    return f"{value:g}"


def rate_bucket_key(low: float, high: float | None) -> str:
    """The key of a rate bucket [low, high) ("0.1..0.2"; high None: "1..")."""
    return f"{_edge(low)}..{'' if high is None else _edge(high)}"


def rate_buckets() -> list[tuple[float, float | None]]:
    """Every rate bucket, lowest first, as [low, high) (high None: no upper bound)."""
    return [*zip(RATE_EDGES, RATE_EDGES[1:]), (RATE_EDGES[-1], None)]


def rate_bucket_tokens(rate: str, key: str) -> list[str]:
    """The comparisons (query-language tokens) that select one rate bucket: ``rate>=low`` [``rate<high``].

    :raises SearchError: ``rate`` is no rate or ``key`` no bucket of it.
    """
    for low, high in rate_buckets():
        if rate in RATES and rate_bucket_key(low, high) == key:
            return [f"{rate}>={_edge(low)}"] + ([] if high is None else [f"{rate}<{_edge(high)}"])
    raise SearchError(f"unknown rate bucket {rate} {key!r}")


def _rate_aggs() -> dict[str, Any]:
    ranges = [{"from": low, **({} if high is None else {"to": high})} for low, high in rate_buckets()]
    return {f"rate__{rate}": {"range": {"field": figure_field(rate), "ranges": ranges}} for rate in RATES}


def _rate_counts(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{rate: {bucket key: count}} in bucket order, empty buckets left out."""
    counts = {}
    for rate in RATES:
        buckets = result.get(f"rate__{rate}", {}).get("buckets", [])
        counts[rate] = {rate_bucket_key(b.get("from", 0.0), b.get("to")): b["doc_count"]
                        for b in buckets if b["doc_count"]}
    return counts


# How many reports match, counted by the aggregation that goes over them anyway: a count of its
# own evaluates the query once more, as dear as the facets for a phrase found in every report.
# Every report has a year slot (a blank one counts as "missing"), so every hit is counted once.
TOTAL_AGG = {"total__": {"value_count": {"field": "year", "missing": 0}}}


def total_of(result: dict[str, Any]) -> int:
    return int(result["total__"]["value"])


def _terms_agg(name: str) -> dict[str, Any]:
    return {"terms": {"field": facet_index_field(name), "size": BUCKETS}}


def _facet_names(agencies: bool) -> list[str]:
    return [name for name in FACETS if agencies or name not in ON_REQUEST_FACETS]


def _facet_request(rates: bool) -> dict[str, Any]:
    """Every facet but the agency's (``_agency_facet``), the rates too with ``rates``, and the total."""
    # the rates' eight range aggregations cost more than every other facet together, and the agency
    # keys as much again (docs/benchmarks.md, 2026-12-06): each counted only when asked
    return {**{name: _terms_agg(name) for name in _facet_names(False)},
            **(_rate_aggs() if rates else {}), **TOTAL_AGG}


def _bucket_key(key) -> str:
    return str(int(key)) if isinstance(key, float) and key.is_integer() else str(key)


def _facet_counts(result: dict[str, Any], name: str) -> dict[str, int]:
    """One facet's {value: count}: year newest first, the others by count then value."""
    buckets = [(_bucket_key(b["key"]), b["doc_count"]) for b in result.get(name, {}).get("buckets", [])]
    if name == "year":
        buckets.sort(key=lambda b: b[0], reverse=True)
    else:
        buckets.sort(key=lambda b: (-b[1], b[0]))
    return dict(buckets)


def facets_from_aggregation(result: dict[str, Any], rates: bool, agencies: bool) -> dict[str, dict[str, int]]:
    """{facet: {value: count}} in ``FACETS`` order (the agency keys only with ``agencies``), then
    (``rates``) each rate's buckets (lowest first, empty ones left out)."""
    facets = {name: _facet_counts(result, name) for name in _facet_names(agencies)}
    if rates:
        facets.update(_rate_counts(result))
    return facets


def _hit(stored: dict[str, Any], score, terms: TextTerms) -> Hit:
    return Hit(id=stored["id"], agency=stored["agency"], agency_key=stored.get("agency_key"), year=stored["year"], region=stored["region"],
               agency_type=stored["agency_type"], level=stored["level"], score=score,
               sections=hit_sections(stored["sections"], terms), figures=stored["figures"], title=stored["title"],
               template=stored["template"], flags=stored["flags"], synthetic=stored["synthetic"])


def _memo_kind(key) -> str:
    """Which budget of MEMO_SIZES a memo key counts against: "page" or "counts"."""
    return "page" if key[0] == "page" else "counts"


def _memo_part(memo: dict, key) -> dict:
    return memo.setdefault(_memo_kind(key), {})


def _shared_key(key) -> str:
    """A count's memo key as text that every process writes alike (a frozenset's order is not)."""
    return json.dumps([sorted(part) if isinstance(part, frozenset) else repr(part) if isinstance(part, Plan)
                       else part for part in key], ensure_ascii=False)


def _recall(memo: dict, key):
    """What a searcher's memo keeps under ``key``, or None; a count not kept here may have been
    made by another worker of the server (``indexer/shared_counts.py``)."""
    found = _memo_part(memo, key).get(key)
    if found is None and _memo_kind(key) == "counts" and "shared" in memo:
        shared, version = memo["shared"]
        found = shared.get(version, _shared_key(key))
        if found is not None:
            _keep(memo, key, found)
    return found


def _keep(memo: dict, key, value) -> None:
    part = _memo_part(memo, key)
    size = MEMO_SIZES[_memo_kind(key)]
    if len(part) >= size:
        for old in list(part)[:len(part) - size + 1]:  # list(): another thread may add meanwhile
            part.pop(old, None)
    part[key] = value


def _remember(memo: dict, key, value) -> None:
    """Keep ``value`` under ``key`` in a searcher's memo, the oldest of its kind dropped when full,
    and a count for the other workers too."""
    _keep(memo, key, value)
    if _memo_kind(key) == "counts" and "shared" in memo:
        shared, version = memo["shared"]
        shared.put(version, _shared_key(key), value)


# -- the plan counts are taken over ---------------------------------------------------

def _most_matches(searcher: tantivy.Searcher, plan: Plan) -> float:
    """An upper bound on how many reports ``plan`` matches, from the term dictionary alone
    (a term's document frequency counts deleted reports too: still a bound); inf where none is known."""
    if plan.kind == "term":
        return searcher.doc_freq(plan.field, plan.value)
    if _is_and(plan):
        return min(_most_matches(searcher, child) for occur, child in plan.children if occur == "must")
    if _is_or(plan):
        return sum(_most_matches(searcher, child) for _, child in plan.children)
    return math.inf


def _is_and(plan: Plan) -> bool:
    """An AND: a bool with at least one must (a NOT's is an AND of every report)."""
    return plan.kind == "bool" and any(occur == "must" for occur, _ in plan.children)


def _is_or(plan: Plan) -> bool:
    return plan.kind == "bool" and bool(plan.children) and all(occur == "should" for occur, _ in plan.children)


def _terms_only(plan: Plan) -> bool:
    return plan.kind == "term" or (plan.kind == "bool" and all(_terms_only(child) for _, child in plan.children))


def _in_every_report(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan) -> bool:
    """Whether the text plan ``plan`` surely matches every report, from counts of terms alone.

    A term is counted when its document frequency allows it; an OR is in every report when one
    of its parts is, or, made of terms alone, when counted so; an AND when each part is. A phrase
    is never counted here: its positions are read for every report holding its characters, which
    for a word's fallback (docs/query-language.md, "Words") costs more than the counts it would
    save.
    """
    reports = searcher.num_docs
    if plan.kind == "term":
        return _most_matches(searcher, plan) >= reports and _counted_as_every_report(searcher, schema, plan)
    if _is_or(plan):
        return any(_in_every_report(searcher, schema, child) for _, child in plan.children) or (
            _terms_only(plan) and _most_matches(searcher, plan) >= reports
            and _counted_as_every_report(searcher, schema, plan))
    if plan.kind == "bool" and plan.children and all(occur == "must" for occur, _ in plan.children):
        return all(_in_every_report(searcher, schema, child) for _, child in plan.children)
    return False


def _remembered_in_every_report(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, memo: dict) -> bool:
    """``_in_every_report``, kept until the next commit (one entry a word: the memo holds the dear
    facets and statistics too). A filter or the whole collection is no word: never kept."""
    if plan.kind not in ("term", "bool"):
        return False
    key = ("in every report", plan)
    found = _recall(memo, key)
    if found is None:
        found = _in_every_report(searcher, schema, plan)
        _remember(memo, key, found)
    return found


def _counted_as_every_report(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan) -> bool:
    # a document frequency still counts a deleted report: only the count of those there are decides,
    # or a term's frequency where no deleted report is held (then it is the term's count)
    if plan.kind == "term" and not holds_deleted(searcher):
        return searcher.doc_freq(plan.field, plan.value) == searcher.num_docs
    return count_matches(searcher, plan_to_query(plan, schema)) == searcher.num_docs


def _parts(plan: Plan) -> tuple[Plan, ...]:
    """The parts every match of ``plan`` must match: its AND's musts, or itself."""
    if _is_and(plan):
        return tuple(child for occur, child in plan.children if occur == "must")
    return (plan,)


def _without(plan: Plan, dropped: frozenset[Plan]) -> Plan:
    """``plan`` without the parts (``_parts``) in ``dropped``."""
    if plan in dropped:
        return Plan("all")
    if not _is_and(plan):
        return plan
    kept = tuple((occur, child) for occur, child in plan.children if occur != "must" or child not in dropped)
    if not any(occur == "must" for occur, _ in kept):
        kept = (("must", Plan("all")),) + kept
    return kept[0][1] if len(kept) == 1 else Plan("bool", children=kept)


def _replaced(plan: Plan, part: Plan, by: Plan) -> Plan:
    """``plan`` with its part (``_parts``) ``part`` replaced by ``by``."""
    if plan == part:
        return by
    return Plan("bool", children=tuple((occur, by if occur == "must" and child == part else child)
                                       for occur, child in plan.children))


def counting_plan(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, memo: dict) -> Plan:
    """A plan matching the same reports as ``plan``, without the words every report holds, and
    with a word whose fallback finds nothing its words miss counted as its words alone.

    Facet counts, totals and statistics are taken over it. The words of the national template
    (申请, 行政复议, 政府信息公开 …) stand in every report, so a search for one of them, alone or
    with filters, counts what the filters alone count: computed once and kept per commit
    (docs/query-language.md, "Counting"). Exact: only a word found in every report of this
    searcher is left out, and the hits, their order and their scores are ``plan``'s.
    """
    everywhere = frozenset(part for part in _parts(plan) if _remembered_in_every_report(searcher, schema, part, memo))
    return _fallbacks_left_out(searcher, schema, _without(plan, everywhere) if everywhere else plan, memo)


def _fallbacks_left_out(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, memo: dict) -> Plan:
    """``plan`` with each word whose fallback finds no report of the collection that its words
    miss counted as its words alone: the same reports, without reading the phrase for each
    (``_fallback_apart``). Asked of the whole collection, not of the plan's reports: once per
    word and commit (the search path asks at every request), and without the plan's other
    words, whose own phrases the intersection would read through."""
    for part in _parts(plan):
        split = _word_and_fallback(part)
        if split is None:
            continue
        key = ("fallback adds nothing", part)
        adds_nothing = _recall(memo, key)
        if adds_nothing is None:
            adds_nothing = not _missed_by_words(searcher, schema, Plan("all"), *split, first_only=True)
            _remember(memo, key, adds_nothing)
        if adds_nothing:
            plan = _replaced(plan, part, split[0])
    return plan


# -- facets counted from what a broad word leaves out -------------------------------------

# A word whose terms stand in at least this share of the reports has its facets counted from the
# reports it leaves out: the counts without it less those of the reports without it. Its phrase
# fallback is then read only where its words are missing, instead of everywhere (docs/query-language.md,
# "Counting"; at 1,000,000 reports 政务公开's facets 308 -> 20 ms, 答复's 65 -> 12 ms).
BROAD_SHARE = 0.5
# Inclusion-exclusion over k broad words takes 2^k aggregations: more than two words stay as they are.
MOST_BROAD_WORDS = 2


def _breadth(searcher: tantivy.Searcher, part: Plan) -> float:
    """How many reports a text part's words may match, from the term dictionary (0 for no text)."""
    if _terms_only(part):
        return _most_matches(searcher, part)
    if _is_or(part):
        return max(_breadth(searcher, child) for _, child in part.children)
    return 0


def _broad_parts(searcher: tantivy.Searcher, plan: Plan) -> tuple[Plan, ...]:
    """The parts of ``plan`` whose words may stand in at least ``BROAD_SHARE`` of the reports."""
    least = max(1, BROAD_SHARE * searcher.num_docs)
    return tuple(part for part in _parts(plan) if _breadth(searcher, part) >= least)


def _exclusions(part: Plan) -> list[Plan]:
    """Plans whose union is ``part``: a report outside it is outside each. An OR of terms stays
    whole (one union of postings, cheap); other ORs are taken apart, so that each phrase is read
    only for the reports every exclusion before it left."""
    if _is_or(part) and not _terms_only(part):
        return [e for _, child in part.children for e in _exclusions(child)]
    return [part]


def _outside(searcher: tantivy.Searcher, schema: tantivy.Schema, rest: Plan,
             parts: tuple[Plan, ...]) -> list[tuple[int, tantivy.Query]]:
    """The reports of ``rest`` outside every one of ``parts``, as (sign, query) pairs whose
    counts, added up with their signs, are theirs.

    The words are excluded first, then the phrases (a word's fallback) among the reports still
    left, each exclusion nested in the one before (in one boolean query the must-nots form a
    union, read over every report). A phrase none of those reports holds is not excluded at all,
    and where one phrase is left, the reports holding it are subtracted: tantivy checks a phrase
    report by report inside an intersection, while an exclusion reads the phrase's postings on to
    its next match, to their end when there is none (at 1,000,000 reports, the 2 reports without
    the words of 年度报告 took 36-42 ms to rule its fallback out; docs/benchmarks.md, "A word's
    fallback looked for where its words are not").
    """
    query = plan_to_query(rest, schema)
    phrases = []
    for part in parts:
        for exclusion in _exclusions(part):
            if _terms_only(exclusion):
                query = without_query(query, plan_to_query(exclusion, schema))
            else:
                phrases.append(plan_to_query(exclusion, schema))
    held = _held_among(searcher, query, phrases)
    if len(held) == 1:
        return [(1, query), (-1, and_query(query, held[0]))]
    for phrase in held:
        query = without_query(query, phrase)
    return [(1, query)]


def _combined(terms: list[tuple[int, dict[str, Any]]]) -> dict[str, Any] | None:
    """Σ sign × aggregation result, bucket by bucket; None where a terms count left values out."""
    combined: dict[str, Any] = {}
    for name, first in terms[0][1].items():
        if "value" in first:
            combined[name] = {"value": sum(sign * result[name]["value"] for sign, result in terms)}
            continue
        if any(result[name].get("sum_other_doc_count") for _, result in terms):
            return None
        buckets: dict[Any, dict[str, Any]] = {}
        for sign, result in terms:
            for bucket in result[name]["buckets"]:
                kept = buckets.setdefault(bucket["key"], {**bucket, "doc_count": 0})
                kept["doc_count"] += sign * bucket["doc_count"]
        # an empty bucket is left out, as a terms count leaves out a value no report has
        combined[name] = {"buckets": [bucket for bucket in buckets.values() if bucket["doc_count"]]}
    return combined


def _facet_aggregation(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, rates: bool,
                       memo: dict) -> dict[str, Any]:
    """The facet request's aggregation result over ``plan``, kept until the next commit.

    Up to ``MOST_BROAD_WORDS`` broad words (``BROAD_SHARE``) are counted by inclusion-exclusion:
    facets(rest ∧ W) = facets(rest) − facets(rest outside W), and for two words
    facets(rest) − facets(outside W1) − facets(outside W2) + facets(outside both). Exact. Not the
    agency facet: its counts are cut at its most frequent values (``_agency_facet``).
    """
    key = ("aggregation", plan, rates)
    found = _recall(memo, key)
    if found is not None:
        return found
    request = _facet_request(rates)
    broad = _broad_parts(searcher, plan)[:MOST_BROAD_WORDS]
    if broad:
        rest = _without(plan, frozenset(broad))
        terms = [(1, _facet_aggregation(searcher, schema, rest, rates, memo))]
        for chosen in range(1, 2 ** len(broad)):
            parts = tuple(part for i, part in enumerate(broad) if chosen >> i & 1)
            terms += [((-1) ** len(parts) * sign, searcher.aggregate(query, request))
                      for sign, query in _outside(searcher, schema, rest, parts)]
        found = _combined(terms)
    if found is None and plan == Plan("all"):
        found = _whole_collection_facets(searcher, request)
    if found is None:
        found = _fallback_apart(searcher, schema, plan, rates, memo)
    if found is None:
        found = searcher.aggregate(plan_to_query(plan, schema), request)
    _remember(memo, key, found)
    return found


def _word_and_fallback(part: Plan) -> tuple[Plan, Plan] | None:
    """(its words, its fallback) where ``part`` is a Chinese word's plan: an OR of its terms and
    of the phrase of its characters (docs/query-language.md, "Words"); else None."""
    if _is_or(part) and len(part.children) == 2:
        (_, words), (_, fallback) = part.children
        if _terms_only(words) and not _terms_only(fallback):
            return words, fallback
    return None


def _has_phrase(plan: Plan) -> bool:
    return plan.kind == "phrase" or any(_has_phrase(child) for _, child in plan.children)


def _missed_by_words(searcher: tantivy.Searcher, schema: tantivy.Schema, rest: Plan, words: Plan, fallback: Plan,
                     first_only: bool = False) -> list[tantivy.Query]:
    """The reports of ``rest`` that a word (``_word_and_fallback``) matches by its fallback alone:
    one intersection for each part's phrase that finds some (all of them in one query where several
    do), or, with ``first_only``, the first found. Each phrase apart: in an intersection tantivy
    checks a phrase only for the reports the words miss, but a union of phrases is read through."""
    outside_words = without_query(plan_to_query(rest, schema), plan_to_query(words, schema))
    held = _held_among(searcher, outside_words, [plan_to_query(phrase, schema) for phrase in _exclusions(fallback)],
                       first_only)
    if len(held) > 1:
        return [and_query(outside_words, plan_to_query(fallback, schema))]
    return [and_query(outside_words, phrase) for phrase in held]


def _held_among(searcher: tantivy.Searcher, reports: tantivy.Query, phrases: list[tantivy.Query],
                first_only: bool = False) -> list[tantivy.Query]:
    """Those of ``phrases`` that some of ``reports`` hold (with ``first_only``, the first found),
    each looked for by an intersection: tantivy checks a phrase there report by report, while as
    a must-not, or inside a union, it reads the phrase on to its next match."""
    held = []
    for phrase in phrases:
        if count_matches(searcher, and_query(reports, phrase)):
            held.append(phrase)
            if first_only:
                break
    return held


def _fallback_apart(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, rates: bool,
                    memo: dict) -> dict[str, Any] | None:
    """The facets of ``plan`` with its first word counted apart from its fallback:
    facets(rest ∧ (words ∨ fallback)) = facets(rest ∧ words) + facets(rest ∧ fallback, outside the words).

    The second part is an intersection, in which tantivy checks the phrase only for the reports
    its words miss; counted as one query, the phrase is read for every report holding its
    characters (at 1,000,000 reports 主动公开基本目录's facets took 74 ms, its words' 14 and the
    rest 4.5: docs/benchmarks.md, "A word's fallback looked for where its words are not").
    Exact; None where the plan holds no such word, or a terms count left values out. Not where
    the rest of the plan holds a phrase of its own: read through inside the intersection.
    """
    # a word's fallback is a phrase: the word qualifies where no other part holds one (found in
    # one pass over the parts, not one per part: a query may have a thousand)
    with_phrase = [part for part in _parts(plan) if _has_phrase(part)]
    split = _word_and_fallback(with_phrase[0]) if len(with_phrase) == 1 else None
    if split is None:
        return None
    part = with_phrase[0]
    rest = _without(plan, frozenset([part]))
    terms = [(1, _facet_aggregation(searcher, schema, _replaced(plan, part, split[0]), rates, memo))]
    terms += [(1, searcher.aggregate(missed, _facet_request(rates)))
              for missed in _missed_by_words(searcher, schema, rest, *split)]
    return _combined(terms)


def _whole_collection_facets(searcher: tantivy.Searcher, request: dict[str, Any]) -> dict[str, Any] | None:
    """``request``'s result over every report, its terms counts of text fields read from the term
    dictionary: where no deleted report is held, a value's document frequency is its count. Over
    1,000,000 reports ~1 ms for those against ~35 ms counted; the year (a number) and the rates are
    still counted. None where a deleted report is held."""
    if holds_deleted(searcher):
        return None
    from_dictionary = {name for name in request if name in FACETS and name != "year"}
    result = searcher.aggregate(tantivy.Query.all_query(),
                                {name: agg for name, agg in request.items() if name not in from_dictionary})
    for name in from_dictionary:
        # the dictionary's order is the terms count's: most reports first, then by value
        values = searcher.terms_with_prefix(request[name]["terms"]["field"], "")
        size = request[name]["terms"]["size"]
        result[name] = {"buckets": [{"key": value, "doc_count": count} for value, count in values[:size]],
                        "sum_other_doc_count": sum(count for _, count in values[size:])}
    return result


# -- the agency facet ----------------------------------------------------------------

# The agency facet of a query with a broad word is counted among candidates: the agencies with the
# most reports in the rest of the query (its filters; kept per commit), AGENCY_CANDIDATES of them.
# Exact where proven: a report of the query is a report of the rest, so an agency outside the
# candidates has at most as many reports as the last candidate has in the rest; when the query's
# 100th agency has more, no other can take its place. Counting only the candidates' reports skips
# what makes the whole count dear (every value of every segment: ~0.5 s over 1,000,000 reports), but
# finding them costs ~35-45 ms at 1,000,000 whatever the hits: worth it for a rest of
# CANDIDATES_SHARE of the reports or more (docs/benchmarks.md, "The agency facet among candidates").
AGENCY_CANDIDATES = 1000
CANDIDATES_SHARE = 0.05


# A terms count keeps, in each index segment, only that segment's most frequent values (tantivy's
# segment_size, by default ten times the size) before adding the segments up: a value frequent
# overall but not in one segment is then undercounted, silently. Every other facet has fewer values
# than that; the agency keys have about one value for two reports, so at 1,000,000 reports 90 of the
# 100 agency counts shown were short, by up to 48. Counting every value of a segment makes them exact,
# dearer for a broad query (~0.5 s over 1,000,000 reports, once per commit: docs/benchmarks.md,
# "The agency facet counted exactly").
EVERY_VALUE = 2 ** 31 - 1


def _agency_agg(size: int, **options) -> dict[str, Any]:
    return {"agency": {"terms": {"field": facet_index_field("agency"), "size": size, "segment_size": EVERY_VALUE,
                                 **options}}}


def _by_count(buckets: list[dict[str, Any]]) -> list[list]:
    """[[key, count], …] most reports first, then by key: the facet's order (tantivy's too)."""
    return sorted(([b["key"], b["doc_count"]] for b in buckets), key=lambda kc: (-kc[1], kc[0]))


def _agency_leaders(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, memo: dict) -> dict[str, Any]:
    """{"total": reports of ``plan``, "leaders": its AGENCY_CANDIDATES agencies with the most reports
    as [[key, count], …]}, kept until the next commit."""
    key = ("agency leaders", plan)
    found = _recall(memo, key)
    if found is None:
        result = searcher.aggregate(plan_to_query(plan, schema), {**_agency_agg(AGENCY_CANDIDATES), **TOTAL_AGG})
        found = {"total": total_of(result), "leaders": _by_count(result["agency"]["buckets"])}
        _remember(memo, key, found)
    return found


def _counted_among_leaders(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan,
                           leaders: list[list]) -> list[list] | None:
    """The agency facet of ``plan`` counted among ``leaders`` (those of a plan matching every report
    of ``plan``, and more); None where that does not prove it exact."""
    size = AGENCY_FACET_SIZE
    if not leaders:
        return []
    # the candidates' reports alone: tantivy's terms "include" option, which matches the list against
    # every segment's values, took twice the time
    candidates = tantivy.Query.term_set_query(schema, facet_index_field("agency"), [key for key, _ in leaders])
    query = and_query(plan_to_query(plan, schema), candidates)
    result = searcher.aggregate(query, _agency_agg(len(leaders)))
    counted = _by_count(result["agency"]["buckets"])[:size]
    if len(leaders) < AGENCY_CANDIDATES:
        return counted  # every agency of the rest is a candidate
    most_outside = leaders[-1][1]
    return counted if len(counted) == size and counted[-1][1] > most_outside else None


def _agency_facet(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, memo: dict) -> dict[str, Any]:
    """The agency facet of ``plan`` as an aggregation result ({"buckets": […]}), kept until the
    next commit: counted among candidates (``AGENCY_CANDIDATES``) where ``plan`` has a broad word
    and that proves the counts, else counted directly."""
    key = ("agency", plan)
    found = _recall(memo, key)
    if found is not None:
        return found
    counted = None
    broad = frozenset(_broad_parts(searcher, plan))
    if broad:
        rest = _agency_leaders(searcher, schema, _without(plan, broad), memo)
        if rest["total"] >= CANDIDATES_SHARE * searcher.num_docs:
            counted = _counted_among_leaders(searcher, schema, plan, rest["leaders"])
    if counted is None:
        result = searcher.aggregate(plan_to_query(plan, schema), _agency_agg(AGENCY_FACET_SIZE))
        counted = _by_count(result["agency"]["buckets"])
    found = {"buckets": [{"key": agency, "doc_count": count} for agency, count in counted]}
    _remember(memo, key, found)
    return found


def check_paging(page: int, per_page: int) -> None:
    """:raises SearchError: page is below 1 or per_page outside 1..MAX_PER_PAGE."""
    if not isinstance(page, int) or page < 1:
        raise SearchError(f"page must be 1 or more, not {page!r}")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page!r}")


def search(index: ReportIndex, q: str, *, page: int = 1, per_page: int = 20,
           sort: str = "relevance", rates: bool = False, agencies: bool = False) -> SearchResult:
    """One page of reports matching ``q``, with snippets and facet counts over every hit.

    :param index: the open index.
    :param q: a query in the language of docs/query-language.md ("" matches every report).
    :param page: 1-based page number.
    :param per_page: hits per page (1..1000).
    :param sort: "relevance" (BM25), "year", "-year", or an alias / figure key ("-" for descending);
        reports without the value come last.
    :param rates: also count each rate's buckets as a facet (docs/query-language.md).
    :param agencies: also count the agency keys (the ``agency`` facet).
    :raises QuerySyntaxError: the query is malformed.
    :raises SearchError: a bad sort, page or per_page.
    """
    q = q or ""
    node = parse_query(q)
    check_paging(page, per_page)
    order = sort_order(sort)
    plan = compile_plan(node)
    query = plan_to_query(plan, index.schema)
    searcher = index.searcher
    # The total and the facets depend on the reports matched alone, not on the page or the
    # sort, and stay right until the next commit: kept per searcher, so paging and re-sorting
    # a broad query only pay for the page.
    memo = index.memo(searcher)
    counted_plan = counting_plan(searcher, index.schema, plan, memo)
    counted = _recall(memo, ("aggregation", counted_plan, rates))
    # the total and the facet counts are counted on worker threads meanwhile (no scores needed there)
    counting = None if counted is not None else _in_background(
        _facet_aggregation, searcher, index.schema, counted_plan, rates, memo)
    agency_counting = _in_background(_agency_facet, searcher, index.schema, counted_plan, memo) if agencies else None
    total = (lambda: total_of(counted)) if counted is not None else (lambda: total_of(counting.result()))
    offset = (page - 1) * per_page
    # A page of hits with its snippets (a third of a search's CPU) holds until the next commit
    # too: a query asked again (another reader, the back button, a language switch) costs nothing.
    page_key = ("page", q, order, per_page, offset)
    hits = _recall(memo, page_key)
    if hits is None:
        hits = tuple(_page_hits(index, searcher, node, plan, query, order, per_page, offset, total))
        _remember(memo, page_key, hits)
    counted = counted if counted is not None else counting.result()
    if agency_counting is not None:
        counted = {**counted, "agency": agency_counting.result()}
    return SearchResult(query=q, total=total_of(counted), page=page, per_page=per_page, sort=sort or "relevance",
                        hits=list(hits), facets=facets_from_aggregation(counted, rates, agencies))


def _page_hits(index: ReportIndex, searcher: tantivy.Searcher, node, plan, query: tantivy.Query, order,
               per_page: int, offset: int, total) -> list[Hit]:
    """``per_page`` hits from ``offset`` on, each with its snippets."""
    if offset >= searcher.num_docs:
        # past the last report there is nothing to show, and tantivy would first make room for
        # offset + per_page hits: page 10^12 asked for 320 TB, and the failed allocation aborted
        # the server's worker
        return []
    if order is None:
        page_hits = relevance_page(searcher, index.schema, node, plan, query, per_page, offset, total)
    else:
        page_hits = index.sorted_hits(searcher, query, *order, per_page, offset)
    terms = text_terms(node)
    hits = []
    for key, address in page_hits:
        stored = decode_hit(searcher.doc(address).get_first("hit"))
        score = round(float(key), 4) if order is None else None
        hits.append(_hit(stored, score, terms))
    return hits


def on_request_facets(index: ReportIndex, q: str) -> dict[str, dict[str, int]]:
    """The facets a plain search leaves out, over every report matching ``q``: the agency keys and
    each rate's buckets, what ``search(..., rates=True, agencies=True)`` adds, without a page of
    hits (the search page fetches them after its results).

    :raises QuerySyntaxError: the query is malformed.
    """
    searcher = index.searcher
    memo = index.memo(searcher)
    plan = counting_plan(searcher, index.schema, compile_plan(parse_query(q or "")), memo)
    agencies = _in_background(_agency_facet, searcher, index.schema, plan, memo)
    # the rates come with the other facets: a broad word's are then counted from what it leaves out
    rates = _rate_counts(_facet_aggregation(searcher, index.schema, plan, True, memo))
    return {"agency": _facet_counts({"agency": agencies.result()}, "agency"), **rates}


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
    # not counted along: a count visits every match, where the top hits alone let tantivy skip blocks
    hits = list(searcher.search(ranked_query, limit, count=False, offset=offset).hits)
    if len(hits) < limit:
        # the words' matches end on this page (or before it): how many there are
        ranked_count = offset + len(hits) if hits else count_matches(searcher, ranked_query)
        if total() > ranked_count:
            rest = without_query(tantivy.Query.const_score_query(query, 0.0), ranked_query)
            hits += searcher.search(rest, limit - len(hits), count=False, offset=max(0, offset - ranked_count)).hits
    return hits


def search_ids(index: ReportIndex, q: str, *, sort: str = "relevance", max_reports: int | None = None) -> list[str]:
    """The id of every report matching ``q`` in result order, without snippets (export).

    :param max_reports: refuse a query matching more reports than this (None: no bound).
    :raises QuerySyntaxError: the query is malformed.
    :raises TooManyReports: more matches than ``max_reports``.
    """
    node = parse_query(q or "")
    order = sort_order(sort)
    plan = compile_plan(node)
    query = plan_to_query(plan, index.schema)
    searcher = index.searcher
    total = count_matches(searcher, query)
    if max_reports is not None and total > max_reports:
        raise TooManyReports(f"the query matches {total:,} reports, more than the {max_reports:,} read at once "
                             "here: narrow it (xxgk export on the command line has no such bound)")
    if total == 0:
        return []
    if order is None:
        hits = relevance_page(searcher, index.schema, node, plan, query, total, 0, lambda: total)
    else:
        hits = index.sorted_hits(searcher, query, *order, total, 0)
    return [hit_id(searcher.doc(address).get_first("hit")) for _, address in hits]


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
    if is_rate(alias):
        return _clean_number(estimate)
    return _clean_number(round(estimate * 2) / 2)


def _figure_aggs(aliases: frozenset[str]) -> dict[str, Any]:
    aggs = {}
    for alias in ALIASES:
        if alias in aliases:
            field = figure_field(alias)
            aggs[f"{alias}__stats"] = {"stats": {"field": field}}
            aggs[f"{alias}__p50"] = {"percentiles": {"field": field, "percents": [50]}}
    return aggs


def _group_figures(bucket: dict[str, Any], aliases: frozenset[str]) -> dict[str, Any]:
    sums, means, medians = {}, {}, {}
    for alias in ALIASES:
        if alias not in aliases:
            continue
        stat = bucket.get(f"{alias}__stats", {})
        # a sum of rates means nothing: a rate's sum is null, its mean is what to read
        sums[alias] = _clean_number(stat.get("sum")) if stat.get("count") and not is_rate(alias) else None
        means[alias] = _clean_number(stat.get("avg")) if stat.get("count") else None
        values = bucket.get(f"{alias}__p50", {}).get("values", {})
        medians[alias] = _median(alias, stat, next(iter(values.values()), None))
    return {"count": bucket["doc_count"], "sums": sums, "means": means, "medians": medians}


ALL_ALIASES = frozenset(ALIASES)


def stats(index: ReportIndex, q: str, per_year: frozenset[str] = ALL_ALIASES,
          per_type: frozenset[str] = ALL_ALIASES) -> dict[str, Any]:
    """Counts, sums, means and medians of the aliases per year and per agency type (every
    alias unless ``per_year`` / ``per_type`` name fewer), the outcome totals (table 三) and
    each rate's distribution (``rates``: bucket -> count) over every report matching ``q``.

    Sums, means and medians leave blank figures out (null, never 0); a group with no
    value for an alias has null there; a rate has no sum (null). Medians are the
    engine's percentile estimate, the dearest part. ``per_year`` and ``per_type`` name
    the aliases whose figures are wanted in each grouping (the others are absent from
    its sums, means and medians, not null): every alias's cost grows with the hits.

    :raises QuerySyntaxError: the query is malformed.
    """
    q = q or ""
    searcher = index.searcher
    # the percentiles make this the dearest request; it holds until the next commit
    memo = index.memo(searcher)
    plan = counting_plan(searcher, index.schema, compile_plan(parse_query(q)), memo)
    key = ("stats", plan, per_year, per_type)
    found = _recall(memo, key)
    if found is None:
        found = _stats_of(searcher, plan_to_query(plan, index.schema), per_year, per_type)
        _remember(memo, key, found)
    return {"query": q, **_copy_stats(found)}


def _copy_stats(found: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without changing the memo (cheaper than deepcopy)."""
    def groups(by: dict[str, Any]) -> dict[str, Any]:
        return {key: {"count": g["count"], "sums": dict(g["sums"]), "means": dict(g["means"]),
                      "medians": dict(g["medians"])} for key, g in by.items()}
    return {"total": found["total"], "per_year": groups(found["per_year"]), "per_type": groups(found["per_type"]),
            "outcomes": dict(found["outcomes"]),
            "rates": {rate: dict(counts) for rate, counts in found["rates"].items()}}


def _stats_of(searcher: tantivy.Searcher, query: tantivy.Query, per_year_aliases: frozenset[str],
              per_type_aliases: frozenset[str]) -> dict[str, Any]:
    """``stats`` without the query string.

    Two aggregation requests of about equal cost, per type on a worker thread
    while per year, the outcomes, the rates and the total run here.
    """
    by_type = _in_background(searcher.aggregate, query, {"per_type": {
        "terms": {"field": "type", "size": BUCKETS}, "aggs": _figure_aggs(per_type_aliases)}})
    result = searcher.aggregate(query, {
        "per_year": {"terms": {"field": "year", "size": BUCKETS}, "aggs": _figure_aggs(per_year_aliases)},
        **{f"outcome__{name}": {"stats": {"field": figure_field(key)}} for name, key in OUTCOMES.items()},
        **_rate_aggs(), **TOTAL_AGG,
    })
    total = total_of(result)
    per_year = {_bucket_key(b["key"]): _group_figures(b, per_year_aliases) for b in result["per_year"]["buckets"]}
    per_type = {_bucket_key(b["key"]): _group_figures(b, per_type_aliases)
                for b in by_type.result()["per_type"]["buckets"]}
    outcomes = {}
    for name in OUTCOMES:
        stat = result[f"outcome__{name}"]
        outcomes[name] = _clean_number(stat["sum"]) if stat.get("count") else None
    return {
        "total": total,
        "per_year": dict(sorted(per_year.items())),
        "per_type": dict(sorted(per_type.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
        "outcomes": outcomes,
        "rates": _rate_counts(result),
    }


# -- plain text (the CLI) ------------------------------------------------------------

def results_to_text(result: SearchResult) -> str:
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
