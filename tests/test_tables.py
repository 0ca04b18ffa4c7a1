"""The table -> figure mapper, step by step on plain data: labels, digit splitting,
money, text tokenising, row alignment, and whole small documents."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2
import pytest

from indexer.document import Document, Paragraph, Table
from indexer.figure_keys import T3_GROUPS, T3_ROWS, T4_COLUMNS, figure_keys
from indexer.tables import document_to_figures
from indexer.tables.digits import TooManyReadings, digit_candidates, split_segments, to_int, windows
from indexer.tables.items import row_to_items, text_to_items
from indexer.tables.labels import detect_template, match_t2_row, match_t3_row, normalise
from indexer.tables.money import money_to_wan
from indexer.tables.table3 import _complete_missing, _row_fits

CORPUS_REAL = Path(__file__).resolve().parent.parent / "corpus" / "real"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

# ---------------------------------------------------------------- labels


@pytest.mark.parametrize("label, key", [
    ("1.属于国家秘密", "denied.state_secret"),
    ("（三）不予公开 1.属于国家秘密", "denied.state_secret"),
    ("开 2.其他法律行政法规禁止公开", "denied.law_prohibited"),          # torn 不予公开 cell
    ("2.其他法律行政止公开", "denied.law_prohibited"),                     # OCR slip in the PDF
    ("3.危及“三安全一稳定”", "denied.safety_stability"),
    ("(四) 无法提供 1.本机关不掌握相关政府信息", "unable.not_held"),
    ("1、信访举报投诉类申请", "rejected.complaint"),
    ("１．信访举报投诉类申请", "rejected.complaint"),
    ("5.要求行政机关确认或重 新出具\n已获取信息", "rejected.confirm_reissue"),
    ("4.无正当理由大量反复 申请", "rejected.mass_repeat"),
    ("（二）部分公开（区分处理的，只计这一情 形，不计其他情形）", "partial"),
    ("三、本年度办理结果 （一）予以公开", "granted"),
    ("(六) 其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other.no_correction"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other.no_fee"),
    ("3.其他", "other.other"),
    ("（七）总计", "total"),
    ("四、结转下年度继续办理", "carried_forward"),
    ("一、本年新收[bookmark: _GoBack]政府信息公开申请数量", "new"),
])
def test_t3_labels_match_by_their_core(label, key):
    assert match_t3_row(label, "2021") == key


def test_generic_other_needs_its_number_or_group():
    assert match_t3_row("其他", "2021") is None                       # the 其他 applicant column
    assert match_t3_row("其他", "2021", previous="other.no_fee") == "other.other"
    assert match_t3_row("（六）其他处理", "2019") == "other"
    assert match_t3_row("（六）其他处理", "2021") == "other"        # a 2019-style group row


@pytest.mark.parametrize("label, template, key", [
    ("规范性文件", "2021", "normative_docs"),                        # 规范性文件 vs 行政规范性文件
    ("行政规范性文件", "2021", "normative_docs"),
    ("规章", "2019", "regulations"),
    ("其他对外管理服务事项", "2019", "other_services"),
    ("政府集中采购", "2019", "procurement"),
    ("政府集中采购", "2021", None),
])
def test_t2_labels(label, template, key):
    assert match_t2_row(label, template) == key


def test_running_text_must_end_with_the_label():
    # a sentence merely mentioning 行政许可 is not the table row
    assert match_t2_row("行政许可类信息", "2019", at_end=True) is None
    assert match_t2_row("第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量行政许可", "2019",
                        at_end=True) == "licensing"


def test_normalise_unifies_widths_spaces_and_quotes():
    assert normalise("（四） 无法提供\u3000") == "(四)无法提供"
    assert normalise("3.危及“三安全一稳定”") == "3.危及三安全一稳定"


@pytest.mark.parametrize("labels, template", [
    (["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"], "2019"),
    (["信息内容", "本年制发件数", "本年度止件数", "现行有效件数"], "2021"),      # OCR slip
    (["第二十条第(九)项", "政府集中采购"], "2019"),
    (["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"], "2021"),
    (["一、本年新收政府信息公开申请数量"], None),
])
def test_template_from_wording(labels, template):
    assert detect_template(labels) == template


def test_a_report_from_before_the_template_has_none():
    """Pingtan's 2018 report (the format before 2019) names 政府集中采购 in its narrative and has no
    table 二 or 三: the weaker evidence counts only inside those tables, so the template is unknown,
    and its narrative counts (文件90份) are no table 四 either."""
    paragraphs = ["平潭综合实验区2018年度政府信息公开工作年度报告",
                  "本报告由概述、主动公开政府信息情况、因政府信息公开申请行政复议、提起行政诉讼的情况、"
                  "政府信息公开工作存在的主要问题及改进措施共五个部分组成。",
                  "一、概述", "截至发文之日，共主动公开政策性文件90份。",
                  "二、主动公开政府信息情况", "主要类别有：行政事业性收费信息3条，政府集中采购项目类信息55条。",
                  "四、因政府信息公开申请行政复议、提起行政诉讼的情况", "2018年未收到有关申请。",
                  "五、主要问题和改进措施", "下一步，我区将加强队伍建设。"]
    result = document_to_figures(Document(path="p.txt", format="txt", blocks=[Paragraph(p) for p in paragraphs]))
    assert result.template is None
    assert all(value is None for value in result.figures.values())
    assert {f.code for f in result.flags} == {"template_unknown", "missing_table_3", "missing_table_4"}
    assert detect_template(paragraphs, []) is None and detect_template(paragraphs) == "2019"


# ---------------------------------------------------------------- digits


def test_split_unique_and_ambiguous():
    assert split_segments(["000"], 3) == [("0", "0", "0")]
    assert len(split_segments(["898989"], 3)) > 1
    assert ("89", "89", "89") in split_segments(["898989"], 3)


def test_split_keeps_spaces_as_boundaries_and_no_leading_zeros():
    readings = [r for r in split_segments(["230", "000023"], 7) if _row_fits(r)]
    assert readings == [("23", "0", "0", "0", "0", "0", "23")]
    assert all(not (len(v) > 1 and v[0] == "0") for r in split_segments(["0023"], 2) for v in r)


def test_split_decimal_and_unit_stay_with_the_last_value():
    readings = split_segments(["135753.52元"], 2)
    assert ("135", "753.52元") in readings
    assert all(r[-1].endswith(".52元") for r in readings)


def test_row_identity_picks_the_unique_split():
    assert digit_candidates(["713000074"], 7, _row_fits) == [("71", "3", "0", "0", "0", "0", "74")]
    assert len(digit_candidates(["110000011"], 7, _row_fits)) == 2  # 1 10 … 11 and 11 0 … 11


def test_fifteen_zeros_read_one_way():
    assert split_segments(["000000000000000"], 15) == [("0",) * 15]


def test_too_many_readings_is_reported():
    with pytest.raises(TooManyReadings):
        split_segments(["1" * 40], 15, limit=1000)


def test_windows_drop_only_blank_surplus_cells():
    assert windows([None, "0", "1"], 2) == [("0", "1")]
    assert windows(["5", "0", "1"], 2) == []


def test_missing_cell_completed_from_the_row_total():
    zeros = digit_candidates(["0"] * 6, 7, _row_fits, missing_cell=_complete_missing)
    assert zeros == [("0",) * 7]
    several = digit_candidates(["1", "0", "0", "0", "0", "1"], 7, _row_fits, missing_cell=_complete_missing)
    assert len(several) > 1


def test_to_int():
    assert to_int("12") == 12 and to_int("-3") == -3 and to_int(None) is None and to_int("1.5") == 1.5


# ---------------------------------------------------------------- money


@pytest.mark.parametrize("raw, wan, note, assumed", [
    ("68000元", 6.8, "converted from 元", False),
    ("6.8万元", 6.8, None, False),
    ("63.2", 63.2, "unit assumed 万元", True),
    ("75394432.52元", 7539.443252, "converted from 元", False),
    ("1,234.5", 1234.5, "unit assumed 万元", True),
    ("0", 0.0, None, False),
])
def test_money_to_wan(raw, wan, note, assumed):
    money = money_to_wan(raw)
    assert (money.wan, money.note, money.assumed) == (wan, note, assumed)


def test_money_currency_sign():
    assert money_to_wan("￥68000元").wan == 6.8


def test_unreadable_cell_is_flagged_not_dropped():
    t2 = Table([["第二十条第（一）项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
                ["规章", "1.2.3", "0", "0"]])
    result = document_to_figures(_doc(t2))
    assert result.figures["t2.regulations.new_made"] is None
    assert ("cell_unreadable", "t2.regulations.new_made") in {(f.code, f.where) for f in result.flags}


def test_money_unit_from_the_header():
    assert money_to_wan("9116.36", header_says_wan=True).assumed is False
    assert money_to_wan("元") is None


# ---------------------------------------------------------------- items


def test_text_items_split_numbering_from_values():
    items = text_to_items("1.属于国家秘密00000002.其他法律行政法规禁止公开 0000000")
    assert [(i.label.strip(), i.segments) for i in items] == [
        ("1.属于国家秘密", ["0000000"]), ("2.其他法律行政法规禁止公开", ["0000000"])]


def test_a_signed_value_in_running_text_starts_a_value_of_its_own():
    items = text_to_items("行政事业性收费35-15第二十条 其他 12 −3 4")
    assert [(i.label.strip(), i.segments) for i in items][:2] == [("行政事业性收费", ["35", "-15"]),
                                                                   ("第二十条 其他", ["12", "-3", "4"])]


def test_crawled_2019_table_two_with_a_negative_change():
    """The real 2019 page with its fees row as Pingtan's 2020 page prints one (35 last year, -15 this
    year, run together as 35-15): 35 and -15, not 3 and 5 with -15 dropped. A row whose signed part
    still runs two values together stays null."""
    page = (CORPUS_REAL / "fj_pingtan_2019_page.txt").read_text(encoding="utf-8")
    assert "行政事业性收费350第二十条" in page and "行政处罚26480430行政强制" in page
    page = page.replace("行政事业性收费350第二十条", "行政事业性收费35-15第二十条")
    page = page.replace("行政处罚26480430行政强制", "行政处罚2648-18538行政强制")
    paragraphs = [Paragraph(line) for line in page.split("\n")]
    part = document_to_figures(Document(path="p.txt", format="txt", blocks=paragraphs))
    assert (part.figures["t2.fees.prev_items"], part.figures["t2.fees.change"]) == (35, -15)
    assert [part.figures[f"t2.penalty.{c}"] for c in ("prev_items", "change", "decisions")] == [None] * 3
    assert any(f.code == "digits_ambiguous" and f.where == "t2.penalty" for f in part.flags)
    golden = json.loads((GOLDEN_DIR / "fj_pingtan_2019_page.json").read_text(encoding="utf-8"))["figures"]
    changed = {k for k in golden if k.startswith(("t2.fees.", "t2.penalty."))}
    assert {k: v for k, v in part.figures.items() if k not in changed} == \
        {k: v for k, v in golden.items() if k not in changed}


def test_text_items_skip_narrative_counts():
    items = text_to_items("集中公开现行有效行政规范性文件698件，制发88件")
    assert all(not i.segments for i in items)


def test_table_row_values_follow_the_last_label_cell():
    item, = row_to_items(["", "（三）不予公开", "1.属于国家秘密", "\u20020", "\u20020", "0\u2002", "\u3000", "", "0", "0"], 0)
    assert item.segments == ["0", "0", "0", None, None, "0", "0"]
    assert "国家秘密" in item.label


# ---------------------------------------------------------------- whole documents


T3_HEAD = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"]]


def _t3_rows(template: str, values: dict[str, list[str]]) -> list[list[str]]:
    return [[label] + values.get(key, ["0"] * 7) for key, label in T3_ROWS[template]]


def _doc(*blocks) -> Document:
    return Document("test.txt", "txt", list(blocks))


def test_blank_cells_are_null_never_zero():
    t2 = Table([["第二十条第（一）项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
                ["规章", "\u3000", "1", ""]])
    result = document_to_figures(_doc(t2))
    assert result.figures["t2.regulations.new_made"] is None
    assert result.figures["t2.regulations.new_published"] == 1
    assert result.figures["t2.regulations.total_published"] is None
    assert {f.code for f in result.flags} >= {"missing_table_3", "missing_table_4"}
    assert set(result.figures) == set(figure_keys("2019"))


def test_split_table_and_torn_labels_align_by_order():
    rows = _t3_rows("2021", {"denied.third_party": ["1", "0", "0", "0", "0", "0", "1"],
                             "total": ["1", "0", "0", "0", "0", "0", "1"], "new": ["1", "0", "0", "0", "0", "0", "1"]})
    first, second = rows[:6], rows[6:]
    second[0] = ["开"] + second[0][1:]          # the label of 3.危及 lost
    second[1] = [""] + second[1][1:]            # the label of 4.第三方 lost too
    doc = _doc(Paragraph("本年制发件数"), Table(T3_HEAD + first), Table(second))
    result = document_to_figures(doc)
    assert result.figures["t3.denied.third_party.natural"] == 1
    assert result.figures["t3.denied.safety_stability.natural"] == 0
    assert not [f for f in result.flags if f.code == "rows_unaligned"]


def test_unalignable_rows_are_flagged_not_guessed():
    rows = _t3_rows("2021", {})
    rows[6] = ["", *rows[6][1:]]
    rows[7] = ["", *rows[7][1:]]
    rows.insert(7, ["", "9", "0", "0", "0", "0", "0", "9"])   # an extra unlabelled row
    result = document_to_figures(_doc(Paragraph("本年制发件数"), Table(T3_HEAD + rows)))
    assert any(f.code == "rows_unaligned" for f in result.flags)
    assert result.figures["t3.denied.safety_stability.natural"] is None
    assert "t3.denied.safety_stability.natural" in result.unread


def test_column_sums_choose_between_row_readings():
    text = ("第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
            "一、本年新收政府信息公开申请数量110000011二、上年结转政府信息公开申请数量0000000"
            "（一）予以公开1000001（二）部分公开100000010（三）不予公开1.属于国家秘密0000000")
    result = document_to_figures(_doc(Paragraph(text)))
    # 一 = 1 10 0 0 0 0 11 or 11 0 0 0 0 0 11; only the first balances 予以公开 1 + 部分公开 10 …
    # but the other outcome rows are missing, so the column sums cannot be evaluated: stays null
    assert result.figures["t3.new.natural"] is None and result.figures["t3.new.commercial"] is None
    assert result.figures["t3.new.total"] == 11 and result.figures["t3.new.research"] == 0  # same in both readings
    assert {"t3.new.natural", "t3.new.commercial"} <= result.unread and "t3.new.total" not in result.unread
    assert any(f.code == "digits_ambiguous" and f.where == "t3.new" for f in result.flags)


def test_column_sums_resolve_a_row_when_the_table_is_complete():
    parts = []
    for key, label in T3_ROWS["2019"]:
        run = {"new": "110000011", "granted": "11 0 0 0 0 0 11", "total": "11 0 0 0 0 0 11"}.get(key, "0000000")
        parts.append(label + run)
    text = "第二十条第（九）项 政府集中采购（本列数据的勾稽关系为：…）" + "".join(parts)
    result = document_to_figures(_doc(Paragraph(text)))
    assert result.template == "2019"
    # 一 reads 1 10 0 0 0 0 11 or 11 0 0 0 0 0 11; only the second balances 一+二 = (七)+四 per column
    assert [result.figures[f"t3.new.{c}"] for c in ("natural", "commercial", "total")] == [11, 0, 11]
    assert result.cells["t3.new.natural"]["note"].endswith("chosen by the column sums")


def test_extra_local_rows_kept_in_cells():
    t2 = Table([["第二十条第（一）项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
                ["规章", "0", "0", "0"], ["本年政府信息公开发布总数量", "120"]])
    result = document_to_figures(_doc(t2))
    assert result.cells["extra.t2.本年政府信息公开发布总数量"] == {"raw": "120"}


def test_table_four_space_separated_in_one_cell():
    t4 = Table([["行政复议", "行政诉讼"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
                ["0 1 1 0 2 1 0 0 0 1 0 0 0 0 0"]])
    result = document_to_figures(_doc(Paragraph("本年新制作数量"), Paragraph("勾稽关系"), t4))
    assert result.figures["t4.review.total"] == 2 and result.figures["t4.litigation_direct.maintained"] == 1


def test_unknown_template_is_flagged():
    result = document_to_figures(_doc(Paragraph("没有表格的文字")))
    assert result.template is None and [f.code for f in result.flags] == ["template_unknown"]


def test_placeholders_and_bookmarks_in_cells():
    item, = row_to_items(["规章", "—", "0[bookmark: _GoBack]", "／"], 0)
    assert item.label == "规章" and item.segments == [None, "0", None]


def test_pdf_read_as_text_lines_gives_the_same_figures_as_its_tables():
    """The PDF's table 三 as plain text lines (values sometimes on the line before their
    label) maps to the same figures as the reader's real tables."""
    root = Path(__file__).resolve().parent.parent
    pdf = root / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
    document = pypdfium2.PdfDocument(pdf)
    lines = [line for page in document for line in page.get_textpage().get_text_range().splitlines()]
    document.close()
    result = document_to_figures(_doc(*[Paragraph(line) for line in lines]))
    golden = json.loads((root / "tests" / "golden" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
    assert result.figures == golden["figures"]


def test_a_header_naming_zongji_is_not_the_total_row():
    rows = _t3_rows("2019", {"total": ["", "", "", "", "", "", ""]})
    header = [["申请人情况", "", "", "总计", "", ""]]
    result = document_to_figures(_doc(Paragraph("本年新制作数量"), Table(T3_HEAD + header + rows)))
    assert result.figures["t3.new.natural"] == 0
    assert result.figures["t3.total.natural"] is None
    assert "t3.total.natural" not in result.unread          # blank, not unread
    assert not [f for f in result.flags if f.code.startswith("rows_")]


def test_unknown_template_still_reads_the_shared_tables():
    rows = [r for r in _t3_rows("2019", {"new": ["2", "0", "0", "0", "0", "0", "2"]})]
    t4 = Table([["行政复议", "行政诉讼"], ["1", "0", "0", "0", "1"] + ["0"] * 10])
    result = document_to_figures(_doc(Table(T3_HEAD + rows), Paragraph("四、行政复议、行政诉讼情况"), t4))
    assert result.template is None and result.found_tables == {3, 4}
    assert result.figures["t3.new.natural"] == 2 and result.figures["t4.review.total"] == 1
    assert result.figures["t3.other.natural"] is None and result.figures["t3.other.other.natural"] is None
    assert "t3.other.natural" in result.unread


def test_word_merged_cells_repeated_in_every_grid_cell():
    """python-docx repeats a merged cell's text in each cell it spans."""
    rows = []
    for key, label in T3_ROWS["2021"]:
        group = T3_GROUPS.get(key.split(".")[0], label) if "." in key else label
        first = label if key in ("new", "carried_over", "carried_forward") else "三、本年度办理结果"
        values = ["3", "0", "0", "0", "0", "0", "3"] if key in ("new", "total", "other.other") else ["0"] * 7
        rows.append([first, group, label] + values)
    t2 = Table([["第二十条第（五）项"] * 4, ["信息内容"] + ["本年处理决定数量"] * 3, ["行政许可", "550", "550", "550"]])
    t3 = Table([["（本列数据的勾稽关系为：…）"] * 3 + ["申请人情况"] * 7] + rows)
    result = document_to_figures(_doc(t2, t3))
    assert result.template == "2021"
    assert result.figures["t2.licensing.decisions"] == 550
    assert result.figures["t3.other.other.natural"] == 3 and result.figures["t3.other.no_fee.natural"] == 0
    assert not [f for f in result.flags if f.code.startswith("rows_") and f.where != "t2"]


def test_row_missing_a_cell_keeps_only_the_certain_cells():
    rows = _t3_rows("2019", {})
    rows[0] = rows[0][:1] + ["1", "0", "0", "0", "0", "1"]       # 一、本年新收: six values for seven columns
    result = document_to_figures(_doc(Paragraph("本年新制作数量"), Table(T3_HEAD + rows)))
    new = [result.figures[f"t3.new.{c}"] for c in ("natural", "commercial", "research", "social", "legal")]
    # readings 0 1 0 0 0 0 1 | 1 0 0 0 0 0 1 | 1 0 0 0 0 1 2; none balances against the all-zero
    # rows (the document contradicts itself), so only the cells all readings share are kept
    assert new[2:] == [0, 0, 0] and new[:2] == [None, None]
    assert any(f.code == "digits_ambiguous" and f.where == "t3.new" for f in result.flags)


# ---------------------------------------------------------------- table 四 as three small tables

T4_HEADER = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def _pingtan_2024_with_table_4(replacement: list) -> Document:
    """The real 2024 page with its one table 四 swapped for ``replacement`` blocks."""
    from indexer.readers import read_document
    document = read_document(CORPUS_REAL / "fj_pingtan_2024_page.html")
    index = next(i for i, b in enumerate(document.blocks) if isinstance(b, Table) and b.rows[0][0] == "行政复议")
    document.blocks[index:index + 1] = replacement
    return document


def _t4(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k.startswith("t4.")}


@pytest.mark.parametrize("titles", [
    ("行政复议", "未经复议直接起诉", "复议后起诉"),
    ("行政复议情况", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"),
])
def test_t4_printed_as_three_small_tables(titles):
    golden = json.loads((GOLDEN_DIR / "fj_pingtan_2024_page.json").read_text(encoding="utf-8"))["figures"]
    values = (["2", "1", "3", "1", "7"], ["0", "0", "0", "0", "0"], ["13", "2", "4", "0", "19"])
    # each title in a row of its own above its header (a Word table), or as a paragraph
    as_rows = [Table([[title], T4_HEADER, row]) for title, row in zip(titles, values)]
    as_paragraphs = [b for title, row in zip(titles, values) for b in (Paragraph(title), Table([T4_HEADER, row]))]
    for blocks in (as_rows, as_paragraphs):
        result = document_to_figures(_pingtan_2024_with_table_4(blocks))
        assert _t4(result.figures) == _t4(golden)
        assert not [f for f in result.flags if f.where and f.where.startswith("t4")]


def test_t4_three_small_tables_in_crawled_text():
    """The 2022 page's table 四 as three titled tables, run into text the way its crawler runs tables."""
    page = (CORPUS_REAL / "fj_pingtan_2022_page.txt").read_text(encoding="utf-8")
    one = re.search(r"行政复议 行政诉讼 结果维持.*? 0 1 1 0 2 1 0 0 0 1 0 0 0 0 0 ", page).group(0)
    header = "结果维持结果纠正其他结果尚未审结总计"
    three = f"行政复议{header} 0 1 1 0 2 未经复议直接起诉{header} 1 0 0 0 1 复议后起诉{header} 0 0 0 0 0 "
    paragraphs = [Paragraph(line) for line in page.replace(one, three).split("\n")]
    figures = document_to_figures(Document(path="p.txt", format="txt", blocks=paragraphs)).figures
    assert [figures[f"t4.{b}.total"] for b in ("review", "litigation_direct", "litigation_after_review")] == [2, 1, 0]
    assert [figures[f"t4.review.{c}"] for c in ("maintained", "corrected", "other", "pending")] == [0, 1, 1, 0]


def test_t4_three_small_tables_with_run_together_digits_split_per_block():
    blocks = [Paragraph("行政复议"), Table([T4_HEADER, ["21317"]]), Paragraph("未经复议直接起诉"),
              Table([T4_HEADER, ["00000"]]), Paragraph("复议后起诉"), Table([T4_HEADER, ["1324019"]])]
    result = document_to_figures(_pingtan_2024_with_table_4(blocks))
    assert [result.figures[f"t4.review.{c}"] for c, _ in T4_COLUMNS] == [2, 1, 3, 1, 7]
    assert [result.figures[f"t4.litigation_after_review.{c}"] for c, _ in T4_COLUMNS] == [13, 2, 4, 0, 19]
    # a block whose digits allow several readings stays null, flagged at that block only
    blocks[5] = Table([T4_HEADER, ["11111113"]])
    result = document_to_figures(_pingtan_2024_with_table_4(blocks))
    assert result.figures["t4.litigation_after_review.total"] is None
    assert [(f.code, f.where) for f in result.flags if f.where and f.where.startswith("t4")] == \
        [("digits_ambiguous", "t4.litigation_after_review")]
    assert result.figures["t4.review.total"] == 7
