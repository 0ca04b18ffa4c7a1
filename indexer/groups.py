"""The stats view's grouping and ranking over every report matching a query
(docs/query-language.md#group-and-rank).

- ``group_stats``: reports grouped by one field (province, city, level, type, year) or two
  (a pivot), each group with its count and the count, sum, mean and median of one alias or
  rate. Blank values are left out of the sum, mean and median (null when none is known); a
  rate is never summed (its sum is null). Medians are exact (the middle value, or the mean of
  the two middle values). Each group carries the query filters that select it, so a search for
  ``q`` plus them finds exactly the group's reports; reports with no value for a field form a
  group of their own (value null) that no filter selects. Counted by one index aggregation:
  each group's values with how many reports hold each (``group_values``), from which every
  statistic is exact.
- ``rank_agencies``: agencies (agency_key) top or bottom N by one alias or rate, each by its
  latest year with a value in the agency panel (indexer/agencies.py: one report per agency-year),
  the reports read in the measure's order until the top N is proved (``rank_reports`` reads them all).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Iterable

import tantivy

from .aliases import ALIASES, RATE_DIGITS, is_rate
from .index import ReportIndex, decode_hit, figure_field, hit_id
from .panel import panel_records
from .query import Plan, compile_plan, parse_query, plan_to_query
from .report import Report
from .search import EVERY_VALUE, TOTAL_AGG, SearchError, counting_plan, search_ids, total_of
from .vocabulary import FILTER_FIELDS, filter_token

# group-by name -> the query-language field that filters it (docs/query-language.md)
GROUP_FIELDS = ("province", "city", "level", "type", "year")
STATS = ("count", "sum", "mean", "median")
ORDERS = ("desc", "asc")
MAX_RANK = 100


class GroupError(SearchError):
    """A group-by field, measure, statistic, order or ranking size the stats view does not know."""


def _field_value(report: Report, field: str) -> Any:
    if field == "type":
        return report.agency_type
    if field in ("level", "year"):
        return getattr(report, field)
    return (report.region or {}).get(field)


def check_measure(measure: str) -> None:
    if measure not in ALIASES:
        raise GroupError(f"unknown measure {measure!r} (use an alias or rate, e.g. applications, grant_rate)")


def check_group(by: str | None, by2: str | None = None, stat: str = "sum") -> None:
    """:raises GroupError: an unknown field or statistic, or ``by2`` without ``by`` or equal to it."""
    for name in (by, by2):
        if name is not None and name not in GROUP_FIELDS:
            raise GroupError(f"unknown group-by field {name!r} (use {', '.join(GROUP_FIELDS)})")
    if by2 is not None and (by is None or by2 == by):
        raise GroupError("by2 needs by, and another field than by")
    if stat not in STATS:
        raise GroupError(f"unknown statistic {stat!r} (use {', '.join(STATS)})")


def summarize(counts: Counter, rate: bool) -> dict[str, Any]:
    """n (the known values), sum (None for a rate), mean and median of the known values, given as
    value -> how many reports hold it."""
    n = sum(counts.values())
    if not n:
        return {"n": 0, "sum": None, "mean": None, "median": None}
    total = math.fsum(value * times for value, times in counts.items())
    return {"n": n, "sum": None if rate else _clean(total), "mean": _clean(total / n),
            "median": _clean(_median(counts, n))}


def _median(counts: Counter, n: int) -> float:
    """The middle of ``n`` values (the mean of the two middle ones when ``n`` is even)."""
    low_rank, high_rank = (n - 1) // 2, n // 2  # 0-based ranks of the middle value(s)
    low, seen = None, 0
    for value in sorted(counts):
        seen += counts[value]  # the values of ranks seen - counts[value] … seen - 1
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            return value if n % 2 else (low + value) / 2
    raise ValueError("counts hold fewer than n values")


def _clean(number: float | int) -> float | int:
    number = round(number, RATE_DIGITS)
    return int(number) if float(number).is_integer() else number


def group_stats(index: ReportIndex, q: str, by: str, measure: str, by2: str | None = None) -> list[dict[str, Any]]:
    """One row per group (per pair of values for a pivot) of the reports matching ``q``, largest
    count first.

    Each row: ``by`` (and ``by2``) the values, ``filters`` the query tokens that select the group
    (None when a value is null), ``count`` the reports, then ``summarize`` of the measure.

    :raises QuerySyntaxError: the query is malformed.
    :raises GroupError: an unknown field or measure.
    """
    check_group(by, by2)
    check_measure(measure)
    fields = (by,) if by2 is None else (by, by2)
    searcher = index.searcher
    plan = counting_plan(searcher, index.schema, compile_plan(parse_query(q or "")), index.memo(searcher))
    rows = []
    for values, (count, summary) in _summaries(searcher, index.schema, plan, fields, measure).items():
        known = all(v is not None for v in values)
        rows.append({**dict(zip(fields, values)), "filters": [filter_token(f, str(v)) for f, v in zip(fields, values)]
                     if known else None, "count": count, **summary})
    return sorted(rows, key=lambda r: (-r["count"], *(str(r[f]) for f in fields)))


# tantivy's bucket limit: an aggregation holding more buckets fails. One asking for each group's
# values (value -> reports) stays under it; past it the groups are counted one by one (a test lowers it).
VALUE_BUCKETS = 65_000
# Where one group alone holds more distinct values, its median is found by cutting the range of its
# values into this many parts, keeping the part that holds the middle, until one part fits.
RANGE_PARTS = 1_000


class _TooManyValues(Exception):
    """More (group, value) pairs than one aggregation may hold."""


def _aggregate(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, request: dict[str, Any]) -> dict:
    try:
        return searcher.aggregate(plan_to_query(plan, schema), request)
    except ValueError as e:
        if "bucket limit" in str(e):
            raise _TooManyValues from None
        raise


def _counted(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, request: dict[str, Any]) -> dict:
    """An aggregation of values: ``_TooManyValues`` past ``VALUE_BUCKETS`` buckets, as past tantivy's limit."""
    result = _aggregate(searcher, schema, plan, request)
    if _buckets(result) > VALUE_BUCKETS:
        raise _TooManyValues
    return result


def _buckets(result: dict[str, Any]) -> int:
    """How many buckets an aggregation's result holds, at every depth."""
    count = 0
    for part in result.values():
        if isinstance(part, dict) and "buckets" in part:
            count += len(part["buckets"]) + sum(_buckets(bucket) for bucket in part["buckets"])
    return count


def _terms(field: str, aggs: dict[str, Any] | None = None) -> dict[str, Any]:
    terms = {"terms": {"field": field, "size": EVERY_VALUE, "segment_size": EVERY_VALUE}}
    return {**terms, "aggs": aggs} if aggs else terms


def _values(bucket: dict[str, Any]) -> Counter:
    return Counter({value["key"]: value["doc_count"] for value in bucket["values"]["buckets"]})


def _key(field: str, key) -> Any:
    return int(key) if field == "year" else key


def _and(plan: Plan, *more: Plan) -> Plan:
    return Plan("bool", children=tuple(("must", p) for p in (plan, *more)))


def _summaries(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, fields: tuple[str, ...],
               measure: str) -> dict[tuple, tuple[int, dict[str, Any]]]:
    """group -> (reports, ``summarize`` of their measure) for the reports ``plan`` matches.

    One aggregation counts every group's values; where they are too many, the first field's
    groups are counted one by one, and a single group with too many values has its median
    found by ranges (``_summary_by_ranges``).
    """
    rate = is_rate(measure)
    try:
        return {key: (count, summarize(values, rate))
                for key, (count, values) in _group_values(searcher, schema, plan, fields, measure).items()}
    except _TooManyValues:
        pass
    if not fields:
        return {(): _summary_by_ranges(searcher, schema, plan, measure)}
    field, rest = FILTER_FIELDS[fields[0]], fields[1:]
    result = _aggregate(searcher, schema, plan, {"by": _terms(field), **TOTAL_AGG})
    found: dict[tuple, tuple[int, dict[str, Any]]] = {}
    parts = [(_key(field, b["key"]), _value_plan(field, _key(field, b["key"]))) for b in result["by"]["buckets"]]
    if total_of(result) > sum(b["doc_count"] for b in result["by"]["buckets"]):
        parts.append((None, Plan("bool", children=(("must", Plan("all")), ("must_not", Plan("exists", field))))))
    for value, part in parts:
        for key, cell in _summaries(searcher, schema, _and(plan, part), rest, measure).items():
            found[(value, *key)] = cell
    return found


def _value_plan(field: str, value) -> Plan:
    return Plan("range", field, (value, value, True, True)) if field == "year" else Plan("term", field, value)


def _group_values(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, fields: tuple[str, ...],
                  measure: str) -> dict[tuple, tuple[int, Counter]]:
    """Each group's count and values (value -> reports), from one aggregation.

    The engine counts the values of the groups it finds; the reports without a value for a
    field are what is left of the query's (or the enclosing group's) reports and values once
    the groups found are taken away, so no stand-in value is ever mistaken for a real one.

    :raises _TooManyValues: more (group, value) pairs than ``VALUE_BUCKETS``.
    """
    values = {"values": _terms(figure_field(measure))}
    index_fields = [FILTER_FIELDS[f] for f in fields]
    request = {**values, **TOTAL_AGG}
    if fields:
        request["by"] = _terms(index_fields[0], values if len(fields) == 1 else {**values, "by2": _terms(index_fields[1], values)})
    if len(fields) == 2:
        request["by2"] = _terms(index_fields[1], values)
    result = _counted(searcher, schema, plan, request)
    whole = (total_of(result), _values(result))
    cells: dict[tuple, tuple[int, Counter]] = {}
    if not fields:
        return {(): whole}
    first = {}
    for bucket in result["by"]["buckets"]:
        value = _key(fields[0], bucket["key"])
        first[value] = (bucket["doc_count"], _values(bucket))
        if len(fields) == 1:
            cells[(value,)] = first[value]
            continue
        inside = {(value, _key(fields[1], b["key"])): (b["doc_count"], _values(b)) for b in bucket["by2"]["buckets"]}
        cells.update(inside)
        cells[(value, None)] = _rest(first[value], inside.values())
    if len(fields) == 1:
        cells[(None,)] = _rest(whole, first.values())
        return _nonempty(cells)
    second_blank = {}
    for bucket in result["by2"]["buckets"]:
        value = _key(fields[1], bucket["key"])
        second_blank[(None, value)] = _rest((bucket["doc_count"], _values(bucket)),
                                            [cell for key, cell in cells.items() if key[1] == value])
    cells.update(second_blank)
    cells[(None, None)] = _rest(whole, [*first.values(), *second_blank.values()])
    return _nonempty(cells)


def _rest(whole: tuple[int, Counter], parts: Iterable[tuple[int, Counter]]) -> tuple[int, Counter]:
    """What ``whole`` holds beyond its ``parts`` (reports and values)."""
    count, values = whole[0], Counter(whole[1])
    for part_count, part_values in parts:
        count -= part_count
        values.subtract(part_values)
    return count, +values


def _nonempty(cells: dict[tuple, tuple[int, Counter]]) -> dict[tuple, tuple[int, Counter]]:
    return {key: cell for key, cell in cells.items() if cell[0]}


def _summary_by_ranges(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan,
                       measure: str) -> tuple[int, dict[str, Any]]:
    """(reports, ``summarize``) of one group whose values are too many to count one by one: n and
    the sum from the engine's stats, the median's value(s) found by ranges (``_value_at_rank``)."""
    field = figure_field(measure)
    result = _aggregate(searcher, schema, plan, {"stats": {"stats": {"field": field}}, **TOTAL_AGG})
    stats, count = result["stats"], total_of(result)
    n = int(stats["count"])
    if not n:
        return count, summarize(Counter(), is_rate(measure))
    low = _value_at_rank(searcher, schema, plan, field, (n - 1) // 2, stats["min"], stats["max"])
    high = low if n % 2 else _value_at_rank(searcher, schema, plan, field, n // 2, stats["min"], stats["max"])
    total = stats["sum"]
    return count, {"n": n, "sum": None if is_rate(measure) else _clean(total), "mean": _clean(total / n),
                   "median": _clean(low if n % 2 else (low + high) / 2)}


def _value_at_rank(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, field: str, rank: int,
                   low: float, high: float) -> float:
    """The value of 0-based ``rank`` among ``plan``'s values of ``field``, all within [low, high]."""
    inclusive_high = True
    while True:
        window = _and(plan, Plan("range", field, (low, high, True, inclusive_high)))
        try:
            values = _values(_counted(searcher, schema, window, {"values": _terms(field)}))
        except _TooManyValues:
            values = None
        if values is not None:
            for value in sorted(values):
                if rank < values[value]:
                    return value
                rank -= values[value]
            raise ValueError(f"no value of rank {rank} in [{low}, {high}]")
        edges = sorted({low + (high - low) * i / RANGE_PARTS for i in range(1, RANGE_PARTS)} - {low})
        ranges = [{"to": edges[0]}, *({"from": a, "to": b} for a, b in zip(edges, edges[1:])), {"from": edges[-1]}]
        parts = _aggregate(searcher, schema, window, {"parts": {"range": {"field": field, "ranges": ranges}}})
        bounds = [low, *edges, high]
        for i, bucket in enumerate(parts["parts"]["buckets"]):
            if rank < bucket["doc_count"]:
                low, high = bounds[i], bounds[i + 1]
                inclusive_high = inclusive_high and i == len(edges)
                break
            rank -= bucket["doc_count"]


def _check_rank(measure: str, order: str, n: int) -> None:
    check_measure(measure)
    if order not in ORDERS:
        raise GroupError(f"unknown order {order!r} (use desc or asc)")
    if not 1 <= n <= MAX_RANK:
        raise GroupError(f"n must be between 1 and {MAX_RANK}")


def _latest_values(reports: Iterable[Report], measure: str) -> dict[str, dict[str, Any]]:
    """agency_key -> its ranking row without the rank: the panel's report of its latest year with
    a value of ``measure``. Agencies with no value in any year are left out."""
    latest: dict[str, dict[str, Any]] = {}
    for row in panel_records(reports):  # ordered by key then year: the last one kept is the latest
        if row[measure] is not None:
            latest[row["agency_key"]] = {"agency_key": row["agency_key"], "agency": row["agency"], "year": row["year"],
                                         "report_id": row["report_id"], "value": row[measure]}
    return latest


def _ranked(rows: Iterable[dict[str, Any]], order: str, n: int) -> list[dict[str, Any]]:
    sign = -1 if order == "desc" else 1
    ranked = sorted(rows, key=lambda r: (sign * r["value"], r["agency_key"]))[:n]
    return [{"rank": i, **row} for i, row in enumerate(ranked, 1)]


def rank_reports(reports: Iterable[Report], measure: str, order: str = "desc", n: int = 20) -> list[dict[str, Any]]:
    """``rank_agencies`` over these reports, every one read.

    :raises GroupError: an unknown measure or order, or ``n`` outside 1..MAX_RANK.
    """
    _check_rank(measure, order, n)
    return _ranked(_latest_values(reports, measure).values(), order, n)


# The ranking reads the reports in the measure's order, RANK_FIRST_READ per agency asked for, then
# four times as many each round, until it can prove its top n (``rank_agencies``). Past
# RANK_MOST_READ reports (ties on one value across many agencies: every 0 of an ascending ranking)
# it settles the ties by key, valuing at most RANK_MOST_READ agencies, and failing that reads
# every matching report.
RANK_FIRST_READ = 4
RANK_MOST_READ = 4096


def rank_agencies(index: ReportIndex, q: str, measure: str, order: str, n: int,
                  read_reports: Callable[[list[str]], Iterable[Report]],
                  max_reports: int | None = None) -> list[dict[str, Any]]:
    """The top (``desc``) or bottom (``asc``) ``n`` agencies (agency_key) of the reports matching
    ``q`` by ``measure``, ties by agency_key.

    Each row: rank, agency_key, agency, year and report_id (the panel's report of the agency's
    latest year with a value; indexer/agencies.py), value. Agencies with no value in any year are
    left out.

    An agency's value is one of its reports' values, so once the reports are read in the
    measure's order down to some value v, every agency whose value lies strictly before v has
    been met: each agency met is valued as its panel values it (``_Ranking._value_of``), and when n
    of them lie strictly before v they are the top n. Where ties at v stall the reading, the rest
    are the agencies valued v, the first by key: each has a report of value v, so the agencies with
    such a report are valued in key order until enough are found (``_Ranking.tied_at``). The same as reading
    every report, without doing so; only when neither proves the ranking is every report read.

    :param read_reports: the reports with these ids (the store's).
    :param max_reports: where every matching report must be read, refuse past this many (None: no bound).
    :raises QuerySyntaxError: the query is malformed.
    :raises GroupError: an unknown measure or order, or ``n`` outside 1..MAX_RANK.
    :raises TooManyReports: every report must be read and they are more than ``max_reports``.
    """
    _check_rank(measure, order, n)
    searcher = index.searcher
    # the same reports as the query's plan, counted more cheaply (words every report holds left out)
    plan = counting_plan(searcher, index.schema, compile_plan(parse_query(q or "")), index.memo(searcher))
    ranking = _Ranking(index, searcher, plan, measure, read_reports)
    sign = -1 if order == "desc" else 1
    direction = tantivy.Order.Desc if order == "desc" else tantivy.Order.Asc
    read: list[tuple[float, str]] = []  # (sort key, agency_key) of each report read, in order
    proven: list[dict[str, Any]] = []
    limit = n * RANK_FIRST_READ
    while limit <= RANK_MOST_READ:
        read += ranking.reports_in_order(direction, sign, len(read), limit - len(read))
        complete = len(read) < limit
        # the sort key of the last report read: every report before it has been read
        edge = None if complete else read[-1][0]
        # each agency met, at its best report read: its value lies there or after
        best: dict[str, float] = {}
        for sort_key, key in read:
            if edge is None or sort_key < edge:
                best.setdefault(key, sort_key)
        waiting = [key for key in best if key not in ranking.valued]
        while True:
            proven = sorted((row for row in ranking.valued.values()
                             if row is not None and (edge is None or sign * row["value"] < edge)),
                            key=lambda row: (sign * row["value"], row["agency_key"]))
            # valued in the order of their best reports, until no agency left can come before the n-th
            if len(proven) >= n and (not waiting or sign * proven[n - 1]["value"] < best[waiting[0]]):
                return _ranked(proven, order, n)
            if not waiting:
                break
            ranking.value(waiting[:n])
            waiting = waiting[n:]
        if complete:
            return _ranked(proven, order, n)
        limit *= 4
    if read:
        tied = ranking.tied_at(sign * read[-1][0], n - len(proven))
        if tied is not None:
            return _ranked(proven + tied, order, n)
    return rank_reports(read_reports(search_ids(index, q, max_reports=max_reports)), measure, order, n)


# How many of an agency's reports the ranking asks for at once (more are asked for again).
AGENCY_REPORTS = 64


class _Ranking:
    """What ``rank_agencies`` reads from the index and the store for one query and measure."""

    def __init__(self, index: ReportIndex, searcher: tantivy.Searcher, plan: Plan, measure: str,
                 read_reports: Callable[[list[str]], Iterable[Report]]) -> None:
        self.index, self.searcher, self.schema = index, searcher, index.schema
        self.plan, self.measure, self.read_reports = plan, measure, read_reports
        self.field, self.key_field = figure_field(measure), FILTER_FIELDS["agency_key"]
        self.valued: dict[str, dict[str, Any] | None] = {}  # agency_key -> its row (None: no value)

    def _query(self, *more: Plan) -> tantivy.Query:
        return plan_to_query(_and(self.plan, *more, Plan("exists", self.key_field), Plan("exists", "year")),
                             self.schema)

    def reports_in_order(self, direction: tantivy.Order, sign: int, offset: int, limit: int) -> list[tuple[float, str]]:
        """(sort key, agency_key) of ``limit`` reports with a value, from ``offset`` on in the measure's order."""
        hits = self.index.sorted_hits(self.searcher, self._query(Plan("exists", self.field)), self.field, direction,
                                      limit, offset)
        found = []
        for _, address in hits:
            hit = decode_hit(self.searcher.doc(address).get_first("hit"))
            found.append((sign * hit["figures"][self.measure], hit["agency_key"]))
        return found

    def value(self, keys: Iterable[str]) -> None:
        """Value the agencies not yet valued (``_value_of``)."""
        for key in sorted(set(keys) - set(self.valued)):
            self.valued[key] = self._value_of(key)

    def _value_of(self, key: str) -> dict[str, Any] | None:
        """An agency's ranking row without the rank, as ``_latest_values`` makes it from all its
        reports, but reading only those of its latest years: the years come from the index, and
        each year's reports are read from the store (the panel's choice among several) until a
        year's chosen report has a value."""
        query = self._query(Plan("term", self.key_field, key))
        found = self.searcher.search(query, AGENCY_REPORTS, count=True)  # an agency's reports: a few a year
        if found.count > AGENCY_REPORTS:
            found = self.searcher.search(query, found.count, count=False)
        addresses = [address for _, address in found.hits]
        by_year: dict[int, list[tantivy.DocAddress]] = {}
        for address, year in zip(addresses, self.searcher.fast_field_values("year", addresses)):
            by_year.setdefault(year, []).append(address)
        for year in sorted(by_year, reverse=True):
            ids = [hit_id(self.searcher.doc(address).get_first("hit")) for address in by_year[year]]
            # the panel's row of that year: its choice among the year's reports, by the panel's own rule
            row = _latest_values(self.read_reports(ids), self.measure).get(key)
            if row is not None:
                return row
        return None

    def tied_at(self, value: float, wanted: int) -> list[dict[str, Any]] | None:
        """The first ``wanted`` agencies by key whose value is ``value``; None when fewer are, or
        when proving it would mean valuing more than RANK_MOST_READ agencies.

        The agencies with a report of that value are listed in key order (an aggregation ordered
        by key keeps exactly the smallest keys of every segment) and valued a batch at a time.
        """
        query = self._query(Plan("range", self.field, (value, value, True, True)))
        size = wanted * RANK_FIRST_READ
        while size <= RANK_MOST_READ:
            result = self.searcher.aggregate(query, {"keys": {"terms": {"field": self.key_field, "size": size + 1,
                                                                        "order": {"_key": "asc"}}}})
            keys = [bucket["key"] for bucket in result["keys"]["buckets"]]
            every = len(keys) <= size
            keys = keys[:size]
            self.value(keys)
            tied = [self.valued[key] for key in keys if self.valued[key] is not None
                    and self.valued[key]["value"] == value]
            if len(tied) >= wanted:
                return tied[:wanted]
            if every:
                return None
            size *= 4
        return None
