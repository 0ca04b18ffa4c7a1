"""The query language's filters and comparisons, any combination of them, against the reports
themselves: hypothesis builds a query of field filters, year ranges and figure comparisons joined
by AND, OR, NOT and parentheses; the reports it must match are worked out here in Python from
each report's metadata and figures (docs/query-language.md, "Field filters" and "Comparisons"),
and the index must return exactly those.

The reports are generated ones, some edited to hold blanks, zeros, negatives and fractions, so
that the index's zero elision, blank handling and rates all take part.
"""
from __future__ import annotations

import operator
import statistics
from collections import Counter
from dataclasses import replace

import pytest
from pytest import approx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.aliases import ALIASES, RATES, report_aliases
from indexer.generate import generate_corpus
from indexer.parse import parse_file
from indexer.search import OUTCOMES, rate_bucket_key, rate_buckets, search, search_ids, stats
from indexer.tokenize import query_terms, tokenize
from search_helpers import build_index

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
       "!=": operator.ne}
# aliases and figure keys of both templates, some with zeros elided from the index, and rates
NAMES = ("applications", "procurement_count", "granted", "denied", "review", "litigation", "fees_amount",
         "grant_rate", "correction_rate", "t3.new.natural", "t4.review.corrected", "t2.licensing.change",
         "t3.total.total")
# words in every report, in most, in some and in none (each one word to jieba, as a query cuts it)
WORDS = ("公开", "政府", "年度报告", "依申请公开", "工作人员", "三是", "取得", "坚持", "方便群众", "民政", "清单", "主渠道",
         "视频", "信访", "航天")
EDITS = [{"t3.new.natural": -2}, {"t3.new.natural": 1.5}, {"t3.new.natural": None},
         {"t3.granted.natural": None, "t4.review.corrected": None}, {"t2.licensing.change": 0},
         {"t4.review.corrected": 3}, {"t3.total.total": None}, {"t3.new.total": 0}]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, config):
    folder = tmp_path_factory.mktemp("differential")
    parsed = [parse_file(path, config, synthetic=True)
              for path in generate_corpus(60, folder, formats=("txt",), seed=11)]
    return [replace(r, figures={**r.figures, **edit}) for r, edit in zip(parsed, EDITS)] + parsed[len(EDITS):]


@pytest.fixture(scope="module")
def index(tmp_path_factory, reports):
    return build_index(tmp_path_factory.mktemp("differential-index") / "index", reports)


def _value(report, name):
    return report_aliases(report.figures).get(name, report.figures.get(name))


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) or abs(value) < 1e6 else str(value)


def atom_table(reports) -> list[tuple[str, frozenset[str]]]:
    """Every filter and comparison this test draws from, with the ids of the reports it matches."""
    table = []

    def add(text, keep):
        table.append((text, frozenset(r.id for r in reports if keep(r))))

    years = sorted({r.year for r in reports if r.year})
    for year in years + [1999]:
        add(f"year:{year}", lambda r, year=year: r.year == year)
    for low in years:
        for high in (y for y in years if y >= low):
            add(f"year:{low}..{high}", lambda r, low=low, high=high: r.year is not None and low <= r.year <= high)
        add(f"year:{low}..", lambda r, low=low: r.year is not None and r.year >= low)
        add(f"year:..{low}", lambda r, low=low: r.year is not None and r.year <= low)
    fields = [("type", lambda r: r.agency_type), ("level", lambda r: r.level), ("template", lambda r: r.template),
              ("province", lambda r: (r.region or {}).get("province")),
              ("city", lambda r: (r.region or {}).get("city")), ("agency_key", lambda r: r.agency_key)]
    for name, get in fields:
        for value in sorted({get(r) for r in reports if get(r)}):
            add(f'{name}:"{value}"', lambda r, get=get, value=value: get(r) == value)
    for code in sorted({f.code for r in reports for f in r.flags}):
        add(f"flag:{code}", lambda r, code=code: any(f.code == code for f in r.flags))
    for value in (True, False):
        add(f"synthetic:{str(value).lower()}", lambda r, value=value: bool(r.source.get("synthetic")) == value)
    for name in NAMES:
        present = sorted({_value(r, name) for r in reports if _value(r, name) is not None})
        numbers = {0, -1, 1, 2.5, *present[:4], *present[-2:]} | ({0.25, 0.5} if name in RATES else set())
        for number in sorted(numbers):
            for op, compare in OPS.items():
                add(f"{name}{op}{_number(number)}",
                    lambda r, name=name, compare=compare, number=float(_number(number)):
                        _value(r, name) is not None and compare(_value(r, name), number))
    return table


def word_table(reports) -> list[tuple[str, frozenset[str]]]:
    """Each word of WORDS with the ids of the reports it matches."""
    return [(word, frozenset(r.id for r in reports if _holds_word(r, word))) for word in WORDS]


def _holds_word(report, word: str) -> bool:
    """A word matches where jieba made it a word of the title, the agency name or a part, or where
    its characters stand together in a part (whitespace between them ignored): its fallback."""
    texts = [report.title or "", report.agency or ""] + [s.text for s in report.sections]
    return (any(t.text == word for text in texts for t in tokenize(text))
            or any(word in "".join(s.text.split()) for s in report.sections))


# The table and the set of every report, filled by the fixture: the strategies below look them up
# by position, so hypothesis never prints (or copies) the reports themselves.
ATOMS: list[tuple[str, frozenset[str]]] = []
WORD_ATOMS: list[tuple[str, frozenset[str]]] = []
EVERYONE: list[frozenset[str]] = []


def _atom(position: int) -> tuple[str, frozenset[str]]:
    return ATOMS[position % len(ATOMS)]


def _word(position: int) -> tuple[str, frozenset[str]]:
    return WORD_ATOMS[position % len(WORD_ATOMS)]


def _and(pair):
    (a, left), (b, right) = pair
    return f"{a} {b}", left & right


def _or(pair):
    (a, left), (b, right) = pair
    return f"({a} OR {b})", left | right


def _minus(child):
    return f"-({child[0]})", EVERYONE[0] - child[1]


def _not(child):
    text = child[0] if " " not in child[0] else f"({child[0]})"
    return f"NOT {text}", EVERYONE[0] - child[1]


# (query text, expected ids): atoms joined by AND, OR and NOT, in parentheses
# a word as often as a filter: the facets of a word in most reports are counted another way
queries = st.recursive(st.one_of(st.integers(min_value=0, max_value=10 ** 6).map(_atom),
                                 st.integers(min_value=0, max_value=10 ** 3).map(_word)),
                       lambda children: st.one_of(st.tuples(children, children).map(_and),
                                                  st.tuples(children, children).map(_or),
                                                  children.map(_minus), children.map(_not)),
                       max_leaves=6)


@pytest.fixture(scope="module")
def atoms(reports):
    ATOMS[:] = atom_table(reports)
    WORD_ATOMS[:] = word_table(reports)
    EVERYONE[:] = [frozenset(r.id for r in reports)]
    return ATOMS + WORD_ATOMS


def test_the_atoms_are_not_vacuous(reports):
    """Each kind of filter has reports on both sides of it in this corpus."""
    assert len({r.agency_type for r in reports}) > 3 and len({r.year for r in reports}) > 2
    assert len({r.template for r in reports}) == 2 and {f.code for r in reports for f in r.flags}
    for name in NAMES:
        values = [_value(r, name) for r in reports]
        assert any(v == 0 for v in values) and any(v not in (None, 0) for v in values), name
        # a blank where the report has no such cell: the figure keys, the 2019 or 2021 template's
        # own aliases, a rate whose divisor is 0
        assert any(v is None for v in values) or not ("." in name or name in ("procurement_count", "fees_amount")
                                                      or name in RATES), name


def test_the_words_are_each_one_word_and_not_vacuous(atoms, reports):
    assert all([t.text for t in query_terms(word)] == [word] for word in WORDS)
    matched = {text: len(ids) for text, ids in atoms if text in WORDS}
    assert matched["公开"] == len(reports) and matched["航天"] == 0
    assert sum(0 < count < len(reports) for count in matched.values()) >= 5


def test_the_table_has_matches_and_misses(atoms, reports):
    sizes = [len(ids) for _text, ids in atoms]
    assert len(atoms) > 400 and sum(0 < size < len(reports) for size in sizes) > 0.6 * len(atoms)
    # words in every report, in most (their facets counted from what they leave out), in some, in none
    words = [len(ids) for text, ids in atoms if text in WORDS]
    assert len(reports) in words and 0 in words and sum(len(reports) / 2 <= n < len(reports) for n in words) >= 4


@given(query=queries)
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_combination_of_filters_matches_exactly_the_reports_it_describes(index, atoms, query):
    q, expected = query
    assert set(search_ids(index, q)) == expected, q


def _facets_of(reports) -> dict[str, Counter]:
    """The facet counts of these reports, worked out from each report."""
    facets = {"year": Counter(str(r.year) for r in reports if r.year is not None),
              "type": Counter(r.agency_type for r in reports if r.agency_type),
              "province": Counter(r.region.get("province") for r in reports if (r.region or {}).get("province")),
              "level": Counter(r.level for r in reports if r.level),
              "template": Counter(r.template for r in reports if r.template),
              "flags": Counter(code for r in reports for code in {f.code for f in r.flags}),
              "agency": Counter(r.agency_key for r in reports if r.agency_key)}
    for rate in RATES:
        facets[rate] = Counter()
        for r in reports:
            value = _value(r, rate)
            for low, high in rate_buckets():
                if value is not None and low <= value and (high is None or value < high):
                    facets[rate][rate_bucket_key(low, high)] += 1
    return facets


@given(query=queries)
@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_total_and_every_facet_count_what_the_matching_reports_hold(index, atoms, reports, query):
    """The facets are counted by several routes (among the hits, or as the whole collection less
    what a word found in most reports leaves out; the agency keys among candidates): each must
    give what the matching reports hold."""
    q, expected = query
    result = search(index, q, rates=True, agencies=True)
    assert result.total == len(expected), q
    want = _facets_of([r for r in reports if r.id in expected])
    for name, counts in want.items():
        assert result.facets[name] == dict(counts), (q, name)


def _group(reports) -> dict:
    """A group's count, sums, means and the bounds of its medians, worked out from its reports."""
    sums, means, medians = {}, {}, {}
    for alias in ALIASES:
        values = sorted(v for v in (_value(r, alias) for r in reports) if v is not None)
        sums[alias] = None if not values or alias in RATES else sum(values)
        means[alias] = sum(values) / len(values) if values else None
        medians[alias] = (values[0], values[-1], statistics.median(values)) if values else None
    return {"count": len(reports), "sums": sums, "means": means, "medians": medians}


# the statistics give numbers to 4 decimals (a rate is kept to 6)
SHOWN = 0.5e-4 + 1e-9  # and the float error of rounding a half


def _same_group(got: dict, want: dict, where) -> None:
    assert got["count"] == want["count"], where
    for alias in ALIASES:
        for kind in ("sums", "means"):
            value = want[kind][alias]
            assert got[kind][alias] == (None if value is None else approx(value, abs=SHOWN)), (where, kind, alias)
        if want["medians"][alias] is None:
            assert got["medians"][alias] is None, (where, alias)
            continue
        low, high, exact = want["medians"][alias]
        # the engine's percentile estimate (DDSketch), kept within the group's values; exact where
        # they settle it (all the same)
        assert low - SHOWN <= got["medians"][alias] <= high + SHOWN, (where, alias)
        if low == high:
            assert got["medians"][alias] == approx(exact, abs=SHOWN), (where, alias)


@given(query=queries)
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_statistics_of_any_filter_and_word_query_are_those_of_the_matching_reports(index, atoms, reports, query):
    q, expected = query
    matching = [r for r in reports if r.id in expected]
    found = stats(index, q)
    assert found["total"] == len(matching), q
    for name, key_of, groups in (("per_year", lambda r: str(r.year) if r.year is not None else None, found["per_year"]),
                                 ("per_type", lambda r: r.agency_type, found["per_type"])):
        keys = {key_of(r) for r in matching} - {None}
        assert set(groups) == keys, (q, name)
        for key in keys:
            _same_group(groups[key], _group([r for r in matching if key_of(r) == key]), (q, name, key))
    for outcome, figure in OUTCOMES.items():
        values = [v for v in (_value(r, figure) for r in matching) if v is not None]
        assert found["outcomes"][outcome] == (approx(sum(values), abs=SHOWN) if values else None), (q, outcome)
    want_rates = _facets_of(matching)
    assert found["rates"] == {rate: dict(want_rates[rate]) for rate in RATES}, q
