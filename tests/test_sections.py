"""Finding the six parts: every corpus file against its golden headings, then the hard cases."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexer.document import Document, Paragraph, Table
from indexer.sections import (CANONICAL_HEADINGS, chinese_numeral_value, document_to_sections,
                              normalise_spaces)
from meta_helpers import GOLDEN_FILES, ROOT, golden_ids, load_golden, read_corpus_file


def doc(*blocks, fmt="txt") -> Document:
    return Document(path="test." + fmt, format=fmt,
                    blocks=[Paragraph(b) if isinstance(b, str) else b for b in blocks])


def headings(document: Document) -> list[tuple[int, str]]:
    return [(s.n, s.heading) for s in document_to_sections(document)]


def assert_offsets(document: Document) -> None:
    text = document.text()
    sections = document_to_sections(document)
    for section in sections:
        assert section.text == text[section.start:section.end]
    for before, after in zip(sections, sections[1:]):
        assert before.n < after.n and before.end <= after.start


@pytest.mark.parametrize("golden_path", GOLDEN_FILES, ids=golden_ids())
def test_corpus_headings_and_offsets(golden_path):
    golden = load_golden(golden_path)
    document = read_corpus_file(golden)
    sections = document_to_sections(document)
    assert [(s.n, s.heading) for s in sections] == [(s["n"], s["heading"]) for s in golden["sections"]]
    assert_offsets(document)


def test_every_corpus_file_has_a_golden():
    stems = {p.stem for p in GOLDEN_FILES}
    real = json.loads((ROOT / "corpus" / "real" / "expected.json").read_text(encoding="utf-8"))
    assert {Path(e["file"]).stem for e in real} <= stems
    assert len(stems) == 5 + len(real)
    assert {"fj_pingtan_2019_page", "sh_kewei_2024_source", "js_huaian_hongze_2023_hzq2023_working"} <= stems


def test_seed_sections_run_to_the_next_heading():
    golden = load_golden(next(p for p in GOLDEN_FILES if p.stem.startswith("000_")))
    sections = document_to_sections(read_corpus_file(golden))
    part1, part5 = sections[0], sections[4]
    assert part1.text.startswith("一、总体情况\n（一）加强组织领导。")
    assert part1.text.endswith("提高信访工作服务党委、政府决策和服务群众的水平。")
    assert part5.text.splitlines()[1].startswith("（一）主要问题。")


PREAMBLE = ("平潭综合实验区2019年政府信息公开工作年度报告 本报告包括总体情况、主动公开政府信息情况、"
            "收到和处理政府信息公开申请情况、因政府信息公开申请行政复议、提起行政诉讼的情况、"
            "政府信息公开工作存在的主要问题及改进情况和其他需要报告的事项等六个部分。请与办公室联系。")


def test_inline_headings_in_one_paragraph_and_preamble_is_no_heading():
    body = (PREAMBLE + "一、总体情况2019年，我区认真贯彻落实《条例》。二、主动公开政府信息情况 第二十条第（一）项"
            "规章000三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：…）一、本年新收政府信息公开申请数量230"
            "四、结转下年度继续办理 0 0 四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼000 "
            "五、存在的主要问题及改进情况2019年，仍存在不足。六、其他需要报告的事项 无其他需要报告的事项")
    document = doc(body)
    assert headings(document) == [(n, CANONICAL_HEADINGS[n]) for n in range(1, 7)]
    sections = document_to_sections(document)
    assert sections[0].start == body.index("一、总体情况2019年")
    assert sections[0].text == "一、总体情况2019年，我区认真贯彻落实《条例》。"
    assert sections[3].start == body.index("四、政府信息公开行政复议")
    assert sections[5].text == "六、其他需要报告的事项 无其他需要报告的事项"
    assert_offsets(document)


def test_preamble_listing_the_parts_is_not_part_one():
    document = doc("XX局2020年度政府信息公开工作年度报告",
                   "本报告包括总体情况、主动公开政府信息情况等六个部分。",
                   "总体情况良好，我局认真落实。",  # a sentence starting with a title word
                   "一、总体情况", "正文。", "六、其他需要报告的事项", "无")
    sections = document_to_sections(document)
    assert [(s.n, s.heading) for s in sections] == [(1, "一、总体情况"), (6, "六、其他需要报告的事项")]
    assert sections[0].text == "一、总体情况\n正文。"


def test_renumbered_headings_and_variant_wordings():
    document = doc("一、总体情况", "甲", "二、主动公开政府信息情况", "3、收到和处理政府信息公开申请情况",
                   "四、因政府信息公开申请行政复议、提起行政诉讼的情况",
                   "5、 政府信息公开工作存在的主要问题及改进情况", "乙", "6、 其他需要报告的事项", "无")
    assert headings(document) == [
        (1, "一、总体情况"), (2, "二、主动公开政府信息情况"), (3, "3、收到和处理政府信息公开申请情况"),
        (4, "四、因政府信息公开申请行政复议、提起行政诉讼的情况"),
        (5, "5、政府信息公开工作存在的主要问题及改进情况"), (6, "6、其他需要报告的事项")]
    assert_offsets(document)


@pytest.mark.parametrize("heading", ["五、存在问题及改进情况", "五、存在的问题和改进措施", "五、工作中存在的主要问题及改进措施",
                                     "五、主要问题及改进情况"])
def test_part_five_heading_wordings(heading):
    document = doc("四、政府信息公开行政复议、行政诉讼情况", "维持纠正", heading, "一是存在问题。",
                   "六、其他需要报告的事项", "无")
    assert headings(document) == [(4, "四、政府信息公开行政复议、行政诉讼情况"), (5, heading), (6, "六、其他需要报告的事项")]
    assert_offsets(document)


@pytest.mark.parametrize("first, last", [("一、总体工作情况", "六、其他需要报告事项"), ("一、基本情况", "六、其他事项"),
                                         ("一、概述", "六、需要说明的其他事项"), ("一、工作概况", "六、其他需要说明的事项")])
def test_part_one_and_six_heading_wordings(first, last):
    document = doc("标题", first, "甲", "二、主动公开政府信息情况", "乙", "五、存在的主要问题及改进情况", "丙", last, "无")
    assert headings(document) == [(1, first), (2, "二、主动公开政府信息情况"), (5, "五、存在的主要问题及改进情况"), (6, last)]
    assert_offsets(document)


def test_a_sentence_on_problems_is_no_part_five_heading():
    document = doc("一、总体情况", "存在问题及时整改。", "二、主动公开政府信息情况", "甲")
    assert [n for n, _ in headings(document)] == [1, 2]


def test_part_four_heading_with_tiqi_before_review():
    # Seen in generated and real reports: 提起 stands before 行政复议, not before 行政诉讼.
    document = doc("三、收到和处理政府信息公开申请情况", "甲",
                   "四、因政府信息公开申请提起行政复议、行政诉讼的情况", "乙", "五、存在的主要问题及改进情况", "丙")
    assert headings(document) == [(3, "三、收到和处理政府信息公开申请情况"),
                                  (4, "四、因政府信息公开申请提起行政复议、行政诉讼的情况"),
                                  (5, "五、存在的主要问题及改进情况")]
    assert_offsets(document)


def test_part_markers():
    assert headings(doc("第一部分 总体情况", "甲", "第六部分：其他需要报告的事项", "无")) == \
        [(1, "第一部分总体情况"), (6, "第六部分：其他需要报告的事项")]
    assert headings(doc("一．总体情况", "甲", "6. 其他需要报告的事项")) == [(1, "一．总体情况"), (6, "6.其他需要报告的事项")]


def test_typo_in_part_four_heading_still_found():
    document = doc("三、收到和处理政府信息公开申请情况 一、本年新收 四、结转下年度继续办理 0000000 "
                   "四、政府信息公开行政法复议、行政诉讼情况行政复议 0 1 1 0 2")
    assert headings(document) == [(3, "三、收到和处理政府信息公开申请情况"),
                                  (4, "四、政府信息公开行政法复议、行政诉讼情况")]


def test_missing_part_two_heading_recovered_from_its_table_text():
    body = ("一、总体情况 概述。第二十条第（一）项信息内容本年制发件数规章000"
            "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为…）")
    sections = document_to_sections(doc(body))
    assert [(s.n, s.heading) for s in sections] == [
        (1, "一、总体情况"), (2, CANONICAL_HEADINGS[2]), (3, "三、收到和处理政府信息公开申请情况")]
    assert sections[1].start == body.index("第二十条")
    assert sections[0].text == "一、总体情况 概述。"


def test_missing_part_two_heading_recovered_from_a_table_block():
    document = doc("一、总体情况", "概述。", Table([["第二十条第（一）项"], ["规章", "0", "0", "0"]]),
                   "三、收到和处理政府信息公开申请情况")
    sections = document_to_sections(document)
    assert [s.n for s in sections] == [1, 2, 3]
    assert sections[1].heading == CANONICAL_HEADINGS[2]
    assert sections[0].text == "一、总体情况\n概述。"
    assert sections[1].start == sections[2].start  # the table itself is not in the text
    assert_offsets(document)


def test_missing_part_five_heading_recovered_from_its_first_subheading():
    document = doc("三、政府信息公开行政复议、行政诉讼情况", "维持纠正", "（一）主要问题", "人手不足。",
                   "（二）改进情况", "加强培训。", "五、其他需要报告的事项", "无")
    sections = document_to_sections(document)
    assert [(s.n, s.heading) for s in sections] == [
        (4, "三、政府信息公开行政复议、行政诉讼情况"), (5, CANONICAL_HEADINGS[5]), (6, "五、其他需要报告的事项")]
    assert sections[1].text.startswith("（一）主要问题")


@pytest.mark.parametrize("first", ["（一）2024 年工作中存在问题的改进情况", "（一）上年度存在问题的改进情况",
                                   "（一）2024年度存在的主要问题整改情况"])
def test_missing_part_five_heading_recovered_from_a_look_back_at_last_year(first):
    """The 2021 format's part 5 often opens with last year's problems; a conversion that lost the
    part's heading (上海市人民政府办公厅 2025, as converted to markdown) keeps that subheading."""
    document = doc("四、政府信息公开行政复议、行政诉讼情况", "维持纠正", first, "加强解读。",
                   "（二）2025 年工作中存在的主要问题", "人手不足。", "六、其他需要报告的事项", "无")
    sections = document_to_sections(document)
    assert [s.n for s in sections] == [4, 5, 6]
    assert sections[1].heading == CANONICAL_HEADINGS[5] and sections[1].text.startswith(first)
    assert_offsets(document)


def test_own_narrative_numbering_then_annex():
    """上海市科委 2024: the narrative numbers its own topics; the template parts come in an annex."""
    document = doc("一、总体情况", "概述。", "二、工作机制保障", "甲", "三、主动公开工作情况", "乙",
                   "四、政府信息公开申请情况", "丙", "一、主动公开政府信息情况", "表二",
                   "二、收到和处理政府信息公开申请情况", "表三", "三、政府信息公开行政复议、行政诉讼情况", "表四",
                   "五、其他需要报告的事项", "无")
    sections = document_to_sections(document)
    assert [(s.n, s.heading) for s in sections] == [
        (1, "一、总体情况"), (2, "一、主动公开政府信息情况"), (3, "二、收到和处理政府信息公开申请情况"),
        (4, "三、政府信息公开行政复议、行政诉讼情况"), (6, "五、其他需要报告的事项")]
    assert "四、政府信息公开申请情况" in sections[0].text


def test_canonical_number_wins_between_two_occurrences():
    document = doc("一、总体情况", "1、主动公开政府信息情况", "概述里的小标题。", "二、主动公开政府信息情况", "表")
    sections = document_to_sections(document)
    assert [(s.n, s.heading) for s in sections] == [(1, "一、总体情况"), (2, "二、主动公开政府信息情况")]


def test_markdown_headings_without_numbers():
    document = doc(Paragraph("总体情况", level=2), "概述。", Paragraph("其他需要报告的事项", level=2), "无", fmt="md")
    assert headings(document) == [(1, "总体情况"), (6, "其他需要报告的事项")]


def test_part_six_stops_before_signature_and_date():
    document = doc("六、其他需要报告的事项", "无", "重庆市合川区信访办公室", "2020年1月22日")
    (part6,) = document_to_sections(document)
    assert part6.text == "六、其他需要报告的事项\n无"
    document = doc("六、其他需要报告的事项", "本年度无收费。", "二〇二一年一月二十日")
    assert document_to_sections(document)[0].text == "六、其他需要报告的事项\n本年度无收费。"


def test_a_numeral_is_read_whole():
    assert headings(doc("附：十一、总体情况")) == [(1, "十一、总体情况")]
    assert headings(doc("截至2021、总体情况")) == []  # the end of a year is no marker


def test_no_parts_no_sections():
    assert document_to_sections(doc()) == []
    assert document_to_sections(doc("随便一段文字，没有任何标题。")) == []


def test_normalise_spaces_and_numerals():
    assert normalise_spaces("2024 年上海市科委政府信息公开工作 年度报告") == "2024年上海市科委政府信息公开工作年度报告"
    assert normalise_spaces("5、 存在的主要问题") == "5、存在的主要问题"
    assert normalise_spaces("a  b") == "a b"
    assert [chinese_numeral_value(x) for x in ("一", "五", "十", "十一", "二十", "二十三", "5", "甲")] == \
        [1, 5, 10, 11, 20, 23, 5, None]


@pytest.mark.parametrize("page", ["fj_pingtan_2019_page.txt", "fj_pingtan_2022_page.txt"])
def test_part_heading_run_onto_the_table_digits_before_it(page):
    """Crawled pages of this kind often lose the space before 五、 (…尚未审结总计10203120001200000五、存在…):
    the corpus pages keep it, so the same page is read with and without it."""
    text = (ROOT / "corpus" / "real" / page).read_text(encoding="utf-8")
    squeezed = re.sub(r"(\d) +(五、存在的主要问题)", r"\1\2", text)
    assert squeezed != text
    paragraphs = [Paragraph(line) for line in squeezed.split("\n")]
    sections = document_to_sections(Document(path=page, format="txt", blocks=paragraphs))
    assert [s.n for s in sections] == [1, 2, 3, 4, 5, 6]
    assert sections[4].heading == "五、存在的主要问题及改进情况"
    assert sections[3].text.endswith("0") and sections[4].text.startswith("五、存在的主要问题及改进情况")


def test_run_on_heading_after_digits_keeps_numerals_whole():
    text = "尚未审结总计10203120001200000五、存在的主要问题及改进情况（一）存在问题。六、其他需要报告的事项无"
    sections = document_to_sections(Document(path="t", format="txt", blocks=[Paragraph(text)]))
    assert [(s.n, s.heading) for s in sections] == [(5, "五、存在的主要问题及改进情况"), (6, "六、其他需要报告的事项")]
    # an arabic marker glued to digits is still no marker (15、 is not 5、)
    text = "总计105、存在的主要问题及改进情况 无"
    assert document_to_sections(Document(path="t", format="txt", blocks=[Paragraph(text)])) == []
