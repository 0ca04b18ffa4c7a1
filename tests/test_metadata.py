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
from meta_helpers import GOLDEN_FILES, ROOT, golden_ids, load_golden, read_corpus_file

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
    # an office issuing its district's report, a notice publishing it
    ("洪泽区人民政府办公室关于洪泽区2020年政府信息公开工作年度报告", "洪泽区"),
    ("关于印发洪泽区2020年政府信息公开工作年度报告的通知", "洪泽区"),
    ("关于公布XX局2020年度政府信息公开工作年度报告", "XX局"),
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


def test_a_name_with_characters_glued_before_a_county_is_not_that_county():
    """雕宁县 (an OCR slip for 睢宁县) holds 甘肃's 宁县, but is not it: null, never a wrong place.
    A province's short name before a place is no slip."""
    assert resolve_region("雕宁县金山镇人民政府", None, "江苏省徐州市").region == dict.fromkeys(
        ("province", "city", "county", "adcode"))
    assert resolve_region("睢宁县金山镇人民政府", None, "").region["adcode"] == "320324"
    assert resolve_region("河北雄安新区管理委员会", None, "").region["province"] == "河北省"


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


# --- misspelt places, areas without a division code ------------------------------------------

def test_misspelt_county_confirmed_by_its_city_or_province():
    # 沐阳县 for 沭阳县: 宿迁市 holds both 沭阳县 and 泗阳县, one character from 沐阳县 each;
    # only 沭 looks like 沐 (四角号码 3319 / 3419), so the city settles it
    for agency, text in (("沐阳县教育局", "“宿迁市沐阳县教育局”微信公众号"), ("沐阳县教育局", "根据《江苏省政府信息公开规定》"),
                         ("江苏省宿迁市沐阳县教育局", "本局认真落实条例。")):
        located = resolve_region(agency, None, text)
        assert located.region == {"province": "江苏省", "city": "宿迁市", "county": "沭阳县", "adcode": "321322"}
        (flag,) = located.flags
        assert (flag.code, flag.where) == ("region_fuzzy", "county")
        assert "沐阳县" in flag.detail and "321322" in flag.detail
    # a sound-alike slip (四 for 泗) is read the same way
    assert resolve_region("四阳县财政局", None, "宿迁市财政局").region["adcode"] == "321323"


def test_misspelt_county_without_confirmation_stays_null():
    located = resolve_region("沐阳县教育局", None, "本局认真落实条例，全年公开信息120条。")
    assert located.region == {"province": None, "city": None, "county": None, "adcode": None}
    assert located.flags == []
    # named provinces that hold no look-alike: still null
    assert resolve_region("沐阳县教育局", None, "根据《山东省政府信息公开办法》").region["county"] is None


@pytest.mark.parametrize("agency, region", [
    ("平潭综合实验区社会事业局", {"province": "福建省", "city": None, "county": "平潭综合实验区", "adcode": "350000"}),
    ("福建省平潭综合实验区经济发展局", {"province": "福建省", "city": None, "county": "平潭综合实验区", "adcode": "350000"}),
    ("四川天府新区成都管委会", {"province": "四川省", "city": None, "county": "四川天府新区", "adcode": "510000"}),
    ("天府新区管委会", {"province": "四川省", "city": None, "county": "四川天府新区", "adcode": "510000"}),
    ("湖南湘江新区管理委员会", {"province": "湖南省", "city": "长沙市", "county": "湖南湘江新区", "adcode": "430100"}),
    # in the division table itself (133100, 320576): no entry needed
    ("河北雄安新区管理委员会", {"province": "河北省", "city": "雄安新区", "county": None, "adcode": "133100"}),
    ("苏州工业园区管理委员会", {"province": "江苏省", "city": "苏州市", "county": "苏州工业园区", "adcode": "320576"}),
])
def test_areas_without_a_code_of_their_own_are_placed(agency, region):
    located = resolve_region(agency, None, "本单位认真落实条例。")
    assert located.region == region and located.flags == []


def test_special_areas_file_names_real_provinces_and_cities_with_a_source(tmp_path):
    from indexer.region import GazetteerError, load_special_areas
    areas = load_special_areas()
    assert {"平潭综合实验区", "四川天府新区"} <= {a.name for a in areas}
    assert all(a.source and a.province.kind == "province" for a in areas)
    assert all(a.city is None or a.city.province_code == a.province.code for a in areas)
    bad = tmp_path / "areas.toml"
    bad.write_text('[[area]]\nname = "某新区"\nprovince = "福建省"\ncity = "长沙市"\nsource = "x"\n', encoding="utf-8")
    with pytest.raises(GazetteerError, match="area 1 \\(某新区\\): 长沙市 is no prefecture of 福建省"):
        load_special_areas(bad)
    bad.write_text('[[area]]\nname = "某新区"\nprovince = "福建省"\n', encoding="utf-8")
    with pytest.raises(GazetteerError, match="needs name, province and source"):
        load_special_areas(bad)


# --- agency type: the organ's own name ----------------------------------------------------------

@pytest.mark.parametrize("agency, organ, agency_type", [
    ("平潭综合实验区社会事业局", "社会事业局", "其他"),     # not 人民政府: 综合实验区 is its place
    ("平潭综合实验区", "平潭综合实验区", "人民政府"),       # the zone itself: its 管委会
    ("平潭综合实验区党工委管委会", "党工委管委会", "人民政府"),
    ("福建省平潭综合实验区公安局", "公安局", "公安"),
    ("重庆市合川区信访办", "信访办", "信访"),
    ("洪泽区人民政府", "人民政府", "人民政府"),
    ("市民政局", "民政局", "民政"),
    ("沭阳县市场监督管理局", "市场监督管理局", "市场监管"),
    ("洪泽区地方志办公室", "地方志办公室", "其他"),
    # departments named after their government are not the government
    ("重庆市大足区人民政府外事办公室", "人民政府外事办公室", "外事"),
    ("沈阳市人民政府国有资产监督管理委员会", "人民政府国有资产监督管理委员会", "国有资产"),
    ("福州市人民政府研究室", "人民政府研究室", "其他"),
    ("上海市人民政府办公厅", "人民政府办公厅", "政府办公室"),
])
def test_agency_type_from_the_organ_after_its_place(agency, organ, agency_type):
    from indexer.metadata import agency_to_type
    from indexer.region import place_and_organ
    assert (place_and_organ(agency)[1] or agency) == organ
    assert agency_to_type(agency, CONFIG) == agency_type


# A report in the name of a place alone is that place's government's (region.py place_government).
@pytest.mark.parametrize("title_agency, agency_type, level, key_name", [
    ("上海市", "人民政府", "province", "上海市人民政府"),
    ("福州市晋安区", "人民政府", "county", "晋安区人民政府"),  # the key starts at the deepest place
    ("宿迁市", "人民政府", "city", "宿迁市人民政府"),
    ("湘西土家族苗族自治州", "人民政府", "city", "湘西土家族苗族自治州人民政府"),
    ("公安县", "人民政府", "county", "公安县人民政府"),          # the place's name never decides: not 公安
    ("义乌市佛堂镇", "乡镇街道", "township", "义乌市佛堂镇人民政府"),
    ("佛堂镇", "乡镇街道", "township", "佛堂镇人民政府"),
    ("长沙县星沙街道", "乡镇街道", "township", "长沙县星沙街道办事处"),
    # a committee governs these, and 浦东新区 has a 人民政府: no government is assumed
    ("上海市浦东新区", "其他", "county", "上海市浦东新区"),
    ("苏州工业园区", "其他", "county", "苏州工业园区"),
    # an organ of its own is judged as before
    ("晋安区地方志办公室", "其他", "county", "晋安区地方志办公室"),
    ("泰州市人民政府", "人民政府", "city", "泰州市人民政府"),
    # 政府 for 人民政府, as the agency key reads it
    ("晋安区政府", "人民政府", "county", "晋安区人民政府"),
    ("义乌市佛堂镇政府", "乡镇街道", "township", "义乌市佛堂镇人民政府"),
])
def test_a_place_named_alone_is_its_government(title_agency, agency_type, level, key_name):
    from indexer.agencies import agency_key
    document = doc(f"{title_agency}2021年政府信息公开工作年度报告", "一、总体情况", "2021年，本机关认真贯彻《条例》。")
    metadata = metadata_of(document)
    assert (metadata.agency, metadata.agency_type, metadata.level) == (title_agency, agency_type, level)
    assert agency_key(metadata.agency, metadata.region).endswith("/" + key_name)


@pytest.mark.parametrize("line, title", [
    ("福州市晋安区人民政府2020年政府信息公开年报",) * 2,
    ("福州市晋安区人民政府政府信息公开工作2020年年报",) * 2,
    ("《福州市晋安区人民政府2020年政府信息公开工作年度报告》", "福州市晋安区人民政府2020年政府信息公开工作年度报告"),
])
def test_titles_in_short_forms_and_title_marks(line, title):
    metadata = metadata_of(doc(line, "一、总体情况", "2020年，本机关认真贯彻《条例》。"))
    assert (metadata.title, metadata.agency, metadata.year) == (title, "福州市晋安区人民政府", 2020)


@pytest.mark.parametrize("paragraphs, title", [
    # no title line: the preamble names the report it opens
    (("根据《条例》规定，现公布周至县人民政府办公室2021年政府信息公开工作年度报告。本报告所列数据的统计期限为2021年1月1日至2021年12月31日。",),
     "周至县人民政府办公室2021年政府信息公开工作年度报告"),
    # a title line naming no agency: the preamble's title is taken
    (("政府信息公开工作年度报告", "现向社会公布保康县农业农村局2021年度政府信息公开工作年度报告。"),
     "保康县农业农村局2021年度政府信息公开工作年度报告"),
    # a pronoun, or a notice's title inside 《》, names no agency
    (("根据《条例》规定，编制并公布我单位2021年政府信息公开工作年度报告。",), None),
    (("根据《平武县人民政府办公室关于发布2021年度政府信息公开工作年度报告的通知》要求，现将2021年度工作情况报告如下：",), None),
    # the report's own title inside 《》
    (("根据《中华人民共和国政府信息公开条例》要求，现发布《白银区人民路街道2021年政府信息公开工作年度报告》。",),
     "白银区人民路街道2021年政府信息公开工作年度报告"),
])
def test_a_title_named_in_the_preamble(paragraphs, title):
    metadata = metadata_of(doc(*paragraphs, "一、总体情况", "2021年，本机关认真贯彻《条例》。"))
    assert metadata.title == (title or (paragraphs[0] if len(paragraphs) > 1 else None))
    assert metadata.agency == (title[:title.index("2021")] if title else None)


def test_a_place_and_its_government_are_one_agency():
    from indexer.agencies import normalize_agency_name, normalize_aliases
    assert normalize_agency_name("福州市晋安区") == normalize_agency_name("福州市晋安区人民政府") \
        == normalize_agency_name("福州市晋安区政府") == "福州市晋安区人民政府"
    assert normalize_agency_name("佛堂镇") == "佛堂镇人民政府"
    assert normalize_agency_name("福州市晋安区人民政府新店镇") == "福州市晋安区人民政府新店镇"  # an organ before the town
    # an alias written with the place alone matches the reports so titled
    aliases = normalize_aliases([("晋安区", "福州市晋安区人民政府")])
    assert normalize_agency_name("晋安区", aliases) == normalize_agency_name("晋安区人民政府", aliases) \
        == "福州市晋安区人民政府"
    # the shipped alias of a zone named alone is untouched
    assert normalize_agency_name("平潭综合实验区", dict(CONFIG.agency_aliases)) == "平潭综合实验区管理委员会"


def test_real_page_of_a_bureau_the_taxonomy_does_not_know(tmp_path):
    """The real 2024 pingtan page, retitled as its 社会事业局's report."""
    from indexer.parse import parse_file
    page = (ROOT / "corpus" / "real" / "fj_pingtan_2024_page.html").read_text(encoding="utf-8")
    path = tmp_path / "shiye.html"
    path.write_text(page.replace("平潭综合实验区2024年度", "平潭综合实验区社会事业局2024年度"), encoding="utf-8")
    report = parse_file(path)
    assert (report.agency, report.agency_type, report.level) == ("平潭综合实验区社会事业局", "其他", "county")
    assert report.region == {"province": "福建省", "city": None, "county": "平潭综合实验区", "adcode": "350000"}


# The headers of real report pages copied as text (their first lines, as the sites print them).
@pytest.mark.parametrize("lines, title, agency_key, published", [
    # a navigation trail ending in a column named …年度报告, then the report's title
    (["首页 > 政务公开 > 政府信息公开年报 > 2021 > 街道办事处政府信息公开工作年度报告",
      "2021年迎宾路街道政府信息公开工作年度报告", "迎宾路街道办事处", "2022年01月18日来源:1"],
     "2021年迎宾路街道政府信息公开工作年度报告", "-/迎宾路街道办事处", None),
    # the trail on two lines, a catalogue label ending in 年报, then a 发布日期
    (["当前位置: 首页", "> 政务公开 > 乡镇街道 > 下各镇 > 政府信息公开年报",
      "索 引 号 1133102400268125XW/2024-104757 公开方式 主动公开", "成文日期 2024-01-16 发布机构 下各镇",
      "组配分类 政府信息公开年报", "2023年下各镇政府信息公开工作年度报告", "发布日期: 2024-01-16 访问次数:"],
     "2023年下各镇政府信息公开工作年度报告", "-/下各镇人民政府", "2024-01-16"),
    # the page's metadata table (its title row labelled 标 题), then the title
    (["索 引 号 | 01425845-9/2021-00012 | 分 类 | 综合政务/其他 / 报告 |",
      "发布机构 | 宿城街道 | 发文日期 | 2022-01-04 |",
      "标 题 | 宿城街道办事处2021年政府信息公开工作年度报告 | ||", "文 号 | 无〔〕号 | 主 题 词 | |",
      "时 效 | 有效 |", "宿城街道办事处2021年政府信息公开工作年度报告"],
     "宿城街道办事处2021年政府信息公开工作年度报告", "-/宿城街道办事处", "2022-01-04"),
    # the page's metadata block as lines, the title labelled 名  称
    (["索 引 号 01606072-9-30/2021-0223004 发布机构 市政府办", "公开目录 县区政府信息公开年度报告 发布日期 2021-02-20 09:00",
      "名  称 山阳县人民政府2020年政府信息公开工作年度报告"],
     "山阳县人民政府2020年政府信息公开工作年度报告", "611024/山阳县人民政府", "2021-02-20"),
    # 重庆's counties report as the government's organs: the government's own key and type
    (["城口县人民政府机关", "2020年政府信息公开工作年度报告"],
     "城口县人民政府机关2020年政府信息公开工作年度报告", "500229/城口县人民政府", None),
    # a page-turning viewer's page title
    (["Page 2 - 省交通运输厅2019年度政府信息公开工作年度报告", "P. 2"],
     "省交通运输厅2019年度政府信息公开工作年度报告", "-/省交通运输厅", None),
    # no title line; the preamble names the report 信息公开年度报告
    (["根据《中华人民共和国政府信息公开条例》规定，特向社会公布螺洋街道2021年度信息公开年度报告。"],
     "螺洋街道2021年度信息公开年度报告", "-/螺洋街道办事处", None),
    # the preamble names the organ, then what it is called below, then the year (广东's tax bureaus) …
    (["根据《中华人民共和国政府信息公开条例》（以下简称《条例》），特向社会公布国家税务总局佛山市税务局"
      "（以下简称“佛山市税务局”）2020年政府信息公开工作报告。本报告包括总体情况。"],
     "国家税务总局佛山市税务局2020年政府信息公开工作报告", "440600/国家税务总局佛山市税务局", None),
    # … or the year first
    (["根据《中华人民共和国政府信息公开条例》，特向社会公布2020年度国家税务总局东莞市税务局政府信息公开工作报告。"],
     "2020年度国家税务总局东莞市税务局政府信息公开工作报告", "441900/国家税务总局东莞市税务局", None),
    # the period reported on is no publication date, a bare 时间 after the source is
    (["沧州市卫生健康委员会2023年政府信息公开工作年度报告", "本报告统计时间：2023年1月1日至2023年12月31日。"],
     "沧州市卫生健康委员会2023年政府信息公开工作年度报告", "130900/沧州市卫生健康委员会", None),
    (["杭州市卫生健康委员会2023年度政府信息公开工作年度报告", "时间:2024-01-22 17:28      来源:杭州市卫生健康委员会"],
     "杭州市卫生健康委员会2023年度政府信息公开工作年度报告", "330100/杭州市卫生健康委员会", "2024-01-22"),
    # a 发布时间 under the title
    (["利辛县望疃镇2023年政府信息公开工作年度报告", "发布时间:2024-01-19 11:04 来源:利辛县望疃镇人民政府 字体:[ ]"],
     "利辛县望疃镇2023年政府信息公开工作年度报告", "341623/利辛县望疃镇人民政府", "2024-01-19"),
])
def test_real_page_headers_copied_as_text(tmp_path, lines, title, agency_key, published):
    from indexer.parse import parse_file
    path = tmp_path / "page.txt"
    path.write_text("\n".join(lines + ["一、总体情况", "本年度，我单位认真贯彻《条例》。", "二、主动公开政府信息情况"]),
                    encoding="utf-8")
    report = parse_file(path)
    assert (report.title, report.agency_key, report.published) == (title, agency_key, published)
    if "税务局" in title:  # a vertical organ's city branch, not a central organ
        assert (report.agency_type, report.level) == ("税务", "city")
    if "城口县" in title:
        assert (report.agency, report.agency_type, report.level) == ("城口县人民政府机关", "人民政府", "county")
