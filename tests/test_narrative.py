"""narrative_mismatch: statements in the narrative against the table figures."""
from __future__ import annotations

from dataclasses import asdict

import pytest

from indexer.narrative import chinese_number, check_narrative, parse_number
from indexer.report import Section
from indexer.sections import document_to_sections
from meta_helpers import GOLDEN_FILES, golden_ids, load_golden, read_corpus_file


def sections(*texts: str) -> list[Section]:
    result, start = [], 0
    for n, text in enumerate(texts, 1):
        result.append(Section(n, "", text, start, start + len(text)))
        start += len(text) + 1
    return result


def mismatches(text: str, figures: dict) -> list[tuple[str, str]]:
    return [(f.where, f.detail) for f in check_narrative(sections(text), figures)]


@pytest.mark.parametrize("golden_path", GOLDEN_FILES, ids=golden_ids())
def test_corpus_narrative_against_hand_read_figures(golden_path):
    golden = load_golden(golden_path)
    found = document_to_sections(read_corpus_file(golden))
    assert [asdict(f) for f in check_narrative(found, golden["narrative_figures"])] == golden["narrative_flags"]


def test_corpus_narrative_disagreement_is_caught():
    """The same real narratives, against wrong tables: every restated figure is flagged."""
    golden = load_golden(next(p for p in GOLDEN_FILES if p.stem == "sh_kewei_2024_source"))
    found = document_to_sections(read_corpus_file(golden))
    wrong = {"t3.new.total": 30, "t3.carried_over.total": 0, "t3.granted.total": 8, "t3.partial.total": 1,
             "t3.carried_forward.total": 0, "t4.review.total": 0, "t4.litigation_direct.total": 1,
             "t4.litigation_after_review.total": 0}
    flags = check_narrative(found, wrong)
    assert [f.where for f in flags] == ["t3.new.total", "t3.carried_over.total", "t3.granted.total",
                                        "t3.partial.total", "t3.carried_forward.total", "t4.review.total",
                                        "litigation"]
    assert flags[0].detail.startswith("narrative says 34 (“…") and flags[0].detail.endswith("”), table says 30")
    golden = load_golden(next(p for p in GOLDEN_FILES if p.stem == "js_huaian_hongze_2023_hzq2023_working"))
    found = document_to_sections(read_corpus_file(golden))
    assert [f.where for f in check_narrative(found, {"t3.new.total": 20})] == ["t3.new.total"]


def test_applications_mismatch_detail():
    (flag,) = check_narrative(sections("2020年，我局受理政府信息公开申请21件，均按时答复。"), {"t3.new.total": 20})
    assert (flag.code, flag.where) == ("narrative_mismatch", "t3.new.total")
    assert flag.detail == "narrative says 21 (“2020年，我局受理政府信息公开申请21件，均…”), table says 20"


@pytest.mark.parametrize("text", [
    "全年共受理各类政府信息公开申请 21 件。",
    "全年收到政府信息公开\n申请 21 件，",
    "本年度新收政府信息公开申请二十一件。",
])
def test_applications_wordings(text):
    assert mismatches(text, {"t3.new.total": 21}) == []
    assert [w for w, _ in mismatches(text, {"t3.new.total": 5})] == ["t3.new.total"]


def test_received_may_include_carried_over():
    text = "全区收到政府信息公开申请75件。"
    assert mismatches(text, {"t3.new.total": 74, "t3.carried_over.total": 1}) == []
    assert mismatches(text, {"t3.new.total": 70, "t3.carried_over.total": 1}) != []


def test_carried_over_is_not_new():
    text = "上年结转政府信息公开申请2件，全年收到政府信息公开申请34件。"
    assert mismatches(text, {"t3.new.total": 34, "t3.carried_over.total": 2}) == []
    assert [w for w, _ in mismatches(text, {"t3.new.total": 34, "t3.carried_over.total": 3})] == ["t3.carried_over.total"]


def test_blank_table_value_is_never_compared():
    assert mismatches("受理政府信息公开申请21件，转下一年度办理的有1件。",
                      {"t3.new.total": None, "t3.carried_forward.total": None}) == []
    assert mismatches("受理政府信息公开申请21件。", {}) == []


def test_procurement_count_and_amount():
    text = "通过重庆市政府采购网公开采购项目2个，共计6.8万元。"
    assert mismatches(text, {"t2.procurement.count": 2, "t2.procurement.amount_wan": 6.8}) == []
    assert mismatches("公开采购项目两个，共计68000元。", {"t2.procurement.count": 2, "t2.procurement.amount_wan": 6.8}) == []
    assert mismatches(text, {"t2.procurement.count": 3, "t2.procurement.amount_wan": 63.2}) == [
        ("t2.procurement.count", "narrative says 2 (“通过重庆市政府采购网公开采购项目2个，共…”), table says 3"),
        ("t2.procurement.amount_wan", "narrative says 6.8 (“通过重庆市政府采购网公开采购项目2个，共计6.8万元。”), table says 63.2"),
    ]


def test_review_and_litigation():
    text = "2022年，共有行政诉讼案件1件、行政复议案件2件，均已结案。"
    figures = {"t4.review.total": 2, "t4.litigation_direct.total": 1, "t4.litigation_after_review.total": 0}
    assert mismatches(text, figures) == []
    assert [w for w, _ in mismatches(text, {**figures, "t4.litigation_direct.total": 0})] == ["litigation"]
    assert [w for w, _ in mismatches("市科委有 1 件涉及政府信息公开工作的行政复\n议。", {"t4.review.total": 0})] == \
        ["t4.review.total"]
    assert mismatches("行政复议一件。", {"t4.review.total": 1}) == []


def test_granted_partial_and_carried_forward():
    text = "同意公开答复 9 件，部分公开答复 0 件，不予公开答复 2 件，转下一年度办理答复的有 1 件。"
    figures = {"t3.granted.total": 9, "t3.partial.total": 0, "t3.carried_forward.total": 1}
    assert mismatches(text, figures) == []
    assert [w for w, _ in mismatches(text, {"t3.granted.total": 9, "t3.partial.total": 2,
                                            "t3.carried_forward.total": 0})] == ["t3.partial.total",
                                                                                 "t3.carried_forward.total"]


def test_partial_or_refused_is_not_granted():
    assert mismatches("部分同意公开2件，不同意公开3件。", {"t3.granted.total": 9}) == []


def test_one_agreeing_statement_is_enough():
    text = "受理政府信息公开申请10件（上年为8件）。2021年受理政府信息公开申请10件。"
    assert mismatches(text, {"t3.new.total": 10}) == []


def test_table_text_without_units_is_not_a_statement():
    text = "一、本年新收政府信息公开申请数量230 000023二、上年结转政府信息公开申请数量0000000（一）予以公开7000007"
    assert mismatches(text, {"t3.new.total": 23, "t3.carried_over.total": 0, "t3.granted.total": 7}) == []


def test_numbers():
    assert [chinese_number(x) for x in ("一", "两", "十", "十二", "二十", "二十一", "一百零五", "甲")] == \
        [1, 2, 10, 12, 20, 21, 105, None]
    assert parse_number("21") == 21 and parse_number("6.8") == 6.8 and parse_number("三") == 3


# --- the right sum, the right scope ---------------------------------------------------------------

# Real-shaped part 1 of a district government's report: the whole government's 95 applications,
# the government office's own share, and 予以公开 and 部分公开 restated together.
DISTRICT = ("（二）依申请公开方面。2023年，全区共收到政府信息公开申请95件，上年结转2件。区政府办代表区政府"
            "受理政府信息公开申请17件，均在法定期限内答复。办理结果中，予以公开及部分公开42件，不予公开5件，"
            "无法提供30件，不予处理8件，其他处理12件。")
DISTRICT_TABLE = {"t3.new.total": 95, "t3.carried_over.total": 2, "t3.granted.total": 22, "t3.partial.total": 20}


def test_combined_outcomes_and_one_offices_share_agree_with_the_table():
    assert mismatches(DISTRICT, DISTRICT_TABLE) == []


def test_combined_outcomes_compared_with_their_sum():
    flags = mismatches(DISTRICT, {**DISTRICT_TABLE, "t3.partial.total": 19})
    assert flags == [("t3.granted.total+t3.partial.total",
                      "narrative says 42 (“…期限内答复。办理结果中，予以公开及部分公开42件，不…”), table says 41")]
    # 部分公开 alone is still compared where it stands alone
    assert [w for w, _ in mismatches("其中予以公开22件，部分公开21件。", DISTRICT_TABLE)] == ["t3.partial.total"]
    assert mismatches("其中予以公开22件，部分公开20件。", DISTRICT_TABLE) == []


def test_a_share_is_not_the_total_but_the_total_still_counts():
    # the whole government's own statement disagreeing is still flagged, beside the share
    text = DISTRICT.replace("共收到政府信息公开申请95件", "共收到政府信息公开申请90件")
    assert [w for w, _ in mismatches(text, DISTRICT_TABLE)] == ["t3.new.total"]
    for share in ("其中区本级受理政府信息公开申请17件。", "其中通过网络平台收到政府信息公开申请17件。",
                  "各部门共受理政府信息公开申请17件。"):
        assert mismatches(share, DISTRICT_TABLE) == [], share
    # the same sentence without the share's wording is a statement of the total
    assert [w for w, _ in mismatches("区政府受理政府信息公开申请17件。", DISTRICT_TABLE)] == ["t3.new.total"]
