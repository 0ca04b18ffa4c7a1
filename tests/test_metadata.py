"""Title, agency, year, date, region, level, type: every corpus file against its golden, then unit cases.

Regenerating a golden is deliberate: XXGK_REGEN_GOLDEN=1 pytest tests/test_metadata.py
rewrites tests/golden_meta/*.json from the current code (keeping the hand-read
narrative figures); review the diff by reading the documents before keeping it.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

from indexer.config import load_config
from indexer.document import Document, Paragraph
from indexer.metadata import (agency_to_level, document_to_metadata, document_to_published,
                              document_to_title, report_year, title_to_agency, year_to_int)
from indexer.narrative import check_narrative
from indexer.region import load_gazetteer, resolve_region
from indexer.sections import document_to_sections
from meta_helpers import GOLDEN_FILES, golden_ids, load_golden, read_corpus_file

FIELDS = ("title", "agency", "year", "published", "url", "region", "level", "agency_type")
CONFIG = load_config()


def doc(*paragraphs: str, meta: dict | None = None) -> Document:
    return Document(path="t.txt", format="txt", blocks=[Paragraph(p) for p in paragraphs], meta=meta or {})


def metadata_of(document: Document):
    return document_to_metadata(document, document_to_sections(document), CONFIG)


@pytest.mark.parametrize("golden_path", GOLDEN_FILES, ids=golden_ids())
def test_corpus_metadata(golden_path):
    golden = load_golden(golden_path)
    document = read_corpus_file(golden)
    sections = document_to_sections(document)
    metadata = document_to_metadata(document, sections, CONFIG)
    if os.environ.get("XXGK_REGEN_GOLDEN") == "1":
        golden.update({field: getattr(metadata, field) for field in FIELDS})
        golden["sections"] = [{"n": s.n, "heading": s.heading} for s in sections]
        golden["flags"] = [asdict(f) for f in metadata.flags]
        golden["narrative_flags"] = [asdict(f) for f in check_narrative(sections, golden["narrative_figures"])]
        golden_path.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for field in FIELDS:
        assert getattr(metadata, field) == golden[field], field
    assert [asdict(f) for f in metadata.flags] == golden["flags"]


# --- title and agency ------------------------------------------------------

def test_title_broken_over_two_lines_is_joined():
    document = doc("铁东区政务服务局2020年度政府信息公开工作", "年度报告", "一、总体情况", "正文")
    assert document_to_title(document, document_to_sections(document)) == "铁东区政务服务局2020年度政府信息公开工作年度报告"
    document = doc("正文", "2024 年上海市科委政府信息公开工作", "年度报告", "根据《条例》，编制本报告。", "一、总体情况")
    assert document_to_title(document, document_to_sections(document)) == "2024年上海市科委政府信息公开工作年度报告"
    document = doc("洪泽区人民政府", "2023 年政府信息公开工作年度报告", "本报告由…编制。", "一、总体情况")
    assert document_to_title(document, document_to_sections(document)) == "洪泽区人民政府2023年政府信息公开工作年度报告"


def test_title_from_a_run_together_page_and_fallback_to_container():
    document = doc("平潭综合实验区2019年政府信息公开工作年度报告 根据《条例》要求，编制完成了本报告。一、总体情况2019年…",
                   meta={"title": "平潭综合实验区2019年度政府信息公开工作年度报告"})
    assert document_to_title(document, document_to_sections(document)) == "平潭综合实验区2019年政府信息公开工作年度报告"
    document = doc("本报告根据《条例》编制。 一、总体情况 2022年…", meta={"title": "平潭综合实验区2022年度政府信息公开工作年度报告"})
    assert document_to_title(document, document_to_sections(document)) == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert document_to_title(doc("一、总体情况", "无"), []) is None


@pytest.mark.parametrize("title, agency", [
    ("市中区信访局2020年度政府信息公开工作年度报告", "市中区信访局"),
    ("市民政局政府信息公开工作2019年度报告", "市民政局"),
    ("2024年上海市科委政府信息公开工作年度报告", "上海市科委"),
    ("洪泽区人民政府 2023年政府信息公开工作年度报告", "洪泽区人民政府"),
    ("重庆市合川区信访办2019年政府信息公开工作年度报告", "重庆市合川区信访办"),
    ("XX区人民政府政府信息公开工作年度报告", "XX区人民政府"),
    ("XX局关于2020年度政府信息公开工作年度报告", "XX局"),
    ("（2021年）XX局政务公开工作年度报告", "XX局"),
])
def test_title_to_agency(title, agency):
    assert title_to_agency(title) == agency


# --- year ------------------------------------------------------------------

def test_year_from_title_else_from_statistics_period():
    assert report_year("XX局2020年度政府信息公开工作年度报告", "", []) == (2020, [])
    assert report_year("XX局政府信息公开工作年度报告", "本报告所列数据的统计期限自2019年1月1日起至2019年12月31日止。", [])[0] == 2019
    assert report_year(None, "数据的统计周期为 2024 年 1 月 1 日至 12 月 31 日", [])[0] == 2024
    assert report_year(None, "本单位2018年度工作", [])[0] == 2018
    assert report_year(None, "没有年份", []) == (None, [])
    assert year_to_int("二〇二〇") == 2020 and year_to_int("1899") is None


def test_year_mismatch_flag_names_both_years():
    year, flags = report_year("XX局2021年政府信息公开工作年度报告",
                              "本报告中所列数据统计期限自2020年1月1日起至2020年12月31日止。", [])
    assert year == 2021
    (flag,) = flags
    assert (flag.code, flag.where) == ("year_mismatch", "title")
    assert "2021" in flag.detail and "2020" in flag.detail and "统计期限自2020年1月1日" in flag.detail


def test_year_mismatch_from_the_opening_of_part_one():
    document = doc("XX局2021年政府信息公开工作年度报告", "一、总体情况", "2020年，我局认真贯彻《条例》。")
    flags = metadata_of(document).flags
    assert [f.code for f in flags] == ["year_mismatch"]


# --- publication date ------------------------------------------------------

def test_published_from_closing_line_then_container():
    assert document_to_published(doc("六、其他需要报告的事项", "无", "XX局", "2021年1月20日"),
                                 "六、其他需要报告的事项\n无\nXX局\n2021年1月20日") == "2021-01-20"
    text = "无\nXX局\n2021年1月20日\n- 5 -"
    assert document_to_published(doc(text), text) == "2021-01-20"
    text = "无\n二〇二一年一月二十日"
    assert document_to_published(doc(text), text) == "2021-01-20"
    assert document_to_published(doc("无", meta={"published": "2020-01-20 15:22"}), "无") == "2020-01-20"
    assert document_to_published(doc("截至2021年1月20日共发布信息。"), "截至2021年1月20日共发布信息。") is None
    assert document_to_published(doc("无", meta={"published": "2020-02-30"}), "无") is None


# --- region ----------------------------------------------------------------

def test_gazetteer_codes_and_levels():
    gazetteer = load_gazetteer()
    zaozhuang = [u for u in gazetteer.by_name["市中区"] if u.code == "370402"][0]
    assert gazetteer.region_of(zaozhuang) == {"province": "山东省", "city": "枣庄市", "county": "市中区", "adcode": "370402"}
    assert len(gazetteer.by_name["市中区"]) >= 4
    (shanghai,) = gazetteer.by_name["上海市"]
    assert shanghai.kind == "province"


def test_shared_county_name_left_ambiguous_without_evidence():
    located = resolve_region("市中区信访局", None, "本局认真落实条例。")
    assert located.region == {"province": None, "city": None, "county": "市中区", "adcode": None}
    (flag,) = located.flags
    assert (flag.code, flag.where) == ("region_ambiguous", "county")
    assert "370402" in flag.detail and "370103" in flag.detail


def test_shared_county_name_settled_by_text():
    assert resolve_region("市中区信访局", None, "“枣庄市市中区信访局”微信平台").region["adcode"] == "370402"
    assert resolve_region("铁东区政务服务局", None, "网站（http://tdq.siping.gov.cn/）").region == \
        {"province": "吉林省", "city": "四平市", "county": "铁东区", "adcode": "220303"}
    assert resolve_region("铁东区政务服务局", None, "鞍山市委").region["adcode"] == "210302"
    # a province narrows 市中区 to two cities: province known, city still open, flagged
    located = resolve_region("市中区信访局", None, "山东省")
    assert located.region["province"] == "山东省" and located.region["city"] is None
    assert [f.code for f in located.flags] == ["region_ambiguous"]


def test_municipality_convention_city_is_null():
    assert resolve_region("重庆市合川区信访办", None, "").region == \
        {"province": "重庆市", "city": None, "county": "合川区", "adcode": "500117"}
    assert resolve_region("上海市科委", None, "").region == \
        {"province": "上海市", "city": None, "county": None, "adcode": "310000"}


def test_county_name_ending_in_a_doubled_suffix():
    # 津市市 (a county-level city of 常德市): the name's own 市 is not the end of the place.
    assert resolve_region("常德市津市市司法局", None, "").region == \
        {"province": "湖南省", "city": "常德市", "county": "津市市", "adcode": "430781"}


def test_agency_without_place_uses_the_one_city_named():
    located = resolve_region("市民政局", None, "充分利用上饶市政府信息公开平台")
    assert located.region == {"province": "江西省", "city": "上饶市", "county": None, "adcode": "361100"}
    located = resolve_region("市民政局", None, "上饶市和南昌市")
    assert located.region["city"] is None and [f.where for f in located.flags] == ["city"]


def test_zone_keeps_its_name_and_takes_the_province():
    located = resolve_region("平潭综合实验区", None, "《福建省政府信息公开办法》")
    assert located.region == {"province": "福建省", "city": None, "county": "平潭综合实验区", "adcode": "350000"}
    # no province named: 平潭 is the stem of 平潭县 in 福建省
    assert resolve_region("平潭综合实验区", None, "无").region["province"] == "福建省"


# --- level -----------------------------------------------------------------

@pytest.mark.parametrize("agency, level", [
    ("国家统计局", "central"), ("教育部", "central"), ("国务院办公厅", "central"),
    ("上海市科委", "province"), ("江苏省财政厅", "province"), ("重庆市合川区信访办", "county"),
    ("上饶市民政局", "city"), ("市民政局", "city"), ("卫辉市信访局", "county"), ("洪泽区人民政府", "county"),
    ("平潭综合实验区", "county"), ("城关镇人民政府", "township"), ("XX区XX街道办事处", "township"),
    ("县教育局", "county"), ("市委宣传部", "city"), ("常德市津市市司法局", "county"),
])
def test_level(agency, level):
    located = resolve_region(agency, None, "")
    assert agency_to_level(agency, located.agency_unit_kind, located.region) == level


def test_agency_type_from_config():
    document = doc("市中区信访局2020年度政府信息公开工作年度报告", "一、总体情况", "“枣庄市市中区信访局”")
    assert metadata_of(document).agency_type == "信访"
