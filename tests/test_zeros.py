"""Zeros of most figure keys are listed in the ``zero`` field instead of their fast field
(index.zeros_elided): comparisons and sorts must not be able to tell.

Checked against the figures themselves on generated reports, some edited to hold
negative, fractional and blank values, for every operator and several values.
"""
from __future__ import annotations

import operator
from dataclasses import replace

import pytest

from indexer.generate import generate_corpus
from indexer.index import FLOAT_FIELDS, ZERO_FIELD, prepare, zeros_elided
from indexer.parse import parse_file
from indexer.search import search, search_ids
from search_helpers import build_index

# figure keys with zeros, other values and blanks among the reports below
KEYS = ("t3.new.natural", "t3.granted.natural", "t4.review.corrected", "t2.licensing.change")
OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
       "!=": operator.ne}


@pytest.fixture(scope="module")
def reports(tmp_path_factory, config):
    folder = tmp_path_factory.mktemp("zeros")
    parsed = [parse_file(path, config, synthetic=True)
              for path in generate_corpus(24, folder, formats=("txt",), seed=5)]
    edits = [{"t3.new.natural": -2}, {"t3.new.natural": 1.5}, {"t3.new.natural": None},
             {"t3.granted.natural": -1, "t4.review.corrected": None}, {"t2.licensing.change": 0},
             {"t4.review.corrected": 3}, {"t4.review.corrected": 1}]
    return [replace(r, figures={**r.figures, **edit}) for r, edit in zip(parsed, edits)] + parsed[len(edits):]


@pytest.fixture(scope="module")
def index(tmp_path_factory, reports):
    return build_index(tmp_path_factory.mktemp("zeros-index") / "index", reports)


def test_the_keys_hold_zeros_values_and_blanks(reports):
    for key in KEYS:
        assert zeros_elided(key)
        values = [r.figures.get(key) for r in reports]
        assert 0 in values and any(v not in (0, None) for v in values), key
    assert None in [r.figures.get("t3.new.natural") for r in reports]
    assert any(v < 0 for v in (r.figures.get("t3.new.natural") for r in reports) if v is not None)


def test_zeros_go_to_the_zero_field_and_not_to_the_fast_fields(reports):
    report = reports[-1]
    prepared = prepare(report)
    zeros = dict(prepared.text)[ZERO_FIELD].split()
    floats = {FLOAT_FIELDS[n] for n in prepared.float_fields}
    assert zeros == [k for k, v in report.figures.items() if v == 0 and zeros_elided(k)]
    assert all(f"f_{k.replace('.', '__')}" not in floats for k in zeros)
    assert "a_applications" in floats  # aliases keep their zeros (statistics aggregate them)


@pytest.mark.parametrize("key", KEYS)
def test_every_comparison_matches_what_the_figures_say(index, reports, key):
    for op, holds in OPS.items():
        for value in (-2, -1, 0, 1, 1.5, 2):
            expected = {r.id for r in reports if r.figures.get(key) is not None and holds(r.figures[key], value)}
            q = f"{key}{op}{value}"
            assert {h["id"] for h in search(index, q, per_page=100)["hits"]} == expected, q
            assert search(index, q)["total"] == len(expected), q


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_a_key_orders_zeros_among_the_values_and_blanks_last(index, reports, key, descending):
    value_of = {r.id: r.figures.get(key) for r in reports}
    sort = ("-" if descending else "") + key
    paged = []
    for page in range(1, 6):
        paged += [h["id"] for h in search(index, "", sort=sort, page=page, per_page=7)["hits"]]
    assert sorted(paged) == sorted(value_of)  # every report once, across pages
    values = [value_of[i] for i in paged]
    known = [v for v in values if v is not None]
    assert values == known + [None] * (len(values) - len(known))  # blanks last either way
    assert known == sorted(known, reverse=descending)
    assert search_ids(index, "", sort=sort) == paged  # export: the same order in one go
