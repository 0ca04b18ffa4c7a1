"""Consistency checks (勾稽关系) on plain figure dicts: each check, its where and detail."""
from __future__ import annotations

from indexer.checks import (check_blank_cells, check_figures, check_t3_balance, check_t3_outcomes,
                            check_t3_row_totals, check_t4_totals)
from indexer.figure_keys import T3_APPLICANT_COLUMNS, figure_keys


def zeros(template: str = "2019") -> dict:
    return dict.fromkeys(figure_keys(template), 0)


def set_row(figures: dict, row: str, values: list) -> None:
    for col, v in zip(list(T3_APPLICANT_COLUMNS) + ["total"], values):
        figures[f"t3.{row}.{col}"] = v


def test_all_zero_report_is_clean():
    assert check_figures(zeros("2019"), "2019") == []
    assert check_figures(zeros("2021"), "2021") == []


def test_balance_per_column_shows_both_sides():
    f = zeros()
    set_row(f, "new", [5, 0, 0, 0, 0, 0, 5])
    set_row(f, "total", [4, 0, 0, 0, 0, 0, 4])
    set_row(f, "granted", [4, 0, 0, 0, 0, 0, 4])
    flags = check_t3_balance(f)
    assert [(x.code, x.where, x.detail) for x in flags] == [
        ("t3_balance", "natural", "5+0 != 4+0 (off by 1)"), ("t3_balance", "total", "5+0 != 4+0 (off by 1)")]


def test_outcomes_per_column():
    f = zeros()
    set_row(f, "total", [3, 0, 0, 0, 0, 0, 3])
    set_row(f, "granted", [1, 0, 0, 0, 0, 0, 1])
    flags = check_t3_outcomes(f, "2019")
    assert [(x.where, x.detail) for x in flags] == [
        ("natural", "sum of outcome rows 1 != total 3 (off by 2)"),
        ("total", "sum of outcome rows 1 != total 3 (off by 2)")]


def test_outcomes_use_the_2021_sub_rows():
    f = zeros("2021")
    set_row(f, "other.no_fee", [2, 0, 0, 0, 0, 0, 2])
    set_row(f, "total", [2, 0, 0, 0, 0, 0, 2])
    set_row(f, "new", [2, 0, 0, 0, 0, 0, 2])
    assert check_figures(f, "2021") == []


def test_row_total_names_the_row():
    f = zeros()
    set_row(f, "denied.third_party", [2, 1, 0, 0, 0, 0, 4])
    flags = check_t3_row_totals(f, "2019")
    assert [(x.code, x.where, x.detail) for x in flags] == [
        ("t3_row_total", "denied.third_party", "2+1+0+0+0+0 = 3 != 4 (off by 1)")]


def test_t4_block_total():
    f = zeros()
    f.update({"t4.review.maintained": 10, "t4.review.corrected": 1})
    flags = check_t4_totals(f)
    assert [(x.code, x.where, x.detail) for x in flags] == [("t4_total", "review", "10+1+0+0 = 11 != 0 (off by 11)")]


def test_null_inputs_skip_the_check_and_count_as_blank():
    f = zeros()
    set_row(f, "new", [5, 0, 0, 0, 0, 0, None])   # total blank, parts filled: not a mismatch
    set_row(f, "total", [5, 0, 0, 0, 0, 0, 5])
    set_row(f, "granted", [5, 0, 0, 0, 0, 0, 5])
    flags = check_figures(f, "2019")
    assert [x.code for x in flags] == ["blank_cells"]
    assert flags[0].where == "t3" and flags[0].detail == "1 blank cell in table 三: t3.new.total"


def test_blank_cells_one_flag_per_table():
    f = zeros()
    f["t2.regulations.new_made"] = None
    f["t4.review.total"] = None
    flags = check_blank_cells(f, "2019")
    assert [(x.where, x.detail) for x in flags] == [
        ("t2", "1 blank cell in table 二: t2.regulations.new_made"), ("t4", "1 blank cell in table 四: t4.review.total")]


def test_unread_cells_are_not_blank_and_a_missing_table_is_not_listed():
    f = zeros()
    t4 = [k for k in f if k.startswith("t4.")]
    for k in t4 + ["t2.fees.change"]:
        f[k] = None
    assert check_blank_cells(f, "2019", unread=set(t4) | {"t2.fees.change"}) == []


def test_no_template_no_checks():
    assert check_figures({}, None) == []
