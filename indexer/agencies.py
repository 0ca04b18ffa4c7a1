"""One agency across years: the stable ``agency_key`` of a report, and an agency's year-by-year panel.

The key is ``<region>/<name>`` (docs/report-format.md#agency-key):

- region: the report's adcode, followed by the names of any settled units below the level the
  adcode stands for (a special zone such as 平潭综合实验区 carries its province's adcode), joined
  by ``-``; without an adcode, the settled province/city/county names joined by ``-``; ``-`` when
  nothing of the place is settled. So 市中区信访局 of 枣庄 (370402) and of 济南 (370103) stay two.
  The name then starts at the deepest place it names when the region settles them all
  (江苏省淮安市洪泽区教育局 -> 洪泽区教育局).
- name: the agency name normalised by ``normalize_agency_name``: NFKC, no whitespace or quotes,
  the abbreviations of ``ABBREVIATIONS`` written out, a place named alone written as its
  government (福州市晋安区 -> 福州市晋安区人民政府, region.py ``place_government``), then the alias table of config.toml
  (``[agency_aliases]``, variant = canonical name) applied. So 平潭综合实验区管委会,
  平潭综合实验区管理委员会 and (by the shipped alias) 平潭综合实验区 are one name.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Mapping

from .aliases import report_aliases
from .region import leading_places, place_government
from .report import Report
from .results import AgencyPanel, AgencyReport, AgencyYear
from .vocabulary import GOVERNMENT

NO_REGION = "-"
# (pattern, replacement): abbreviations agencies write either way, spelled out
ABBREVIATIONS = (
    (re.compile(r"管委会"), "管理委员会"),
    # 城口县人民政府机关: the government and its office reporting as one (重庆's counties)
    (re.compile(r"(?<=政府)机关$"), ""),
    # 区政府 and 区人民政府 name the same government
    (re.compile(r"(?<!人民)政府(?=办公室|办公厅|$)"), GOVERNMENT),
)
_DROPPED = re.compile(r"[\s\"'“”‘’《》「」『』]+")


def _rules(name: str) -> str:
    name = _DROPPED.sub("", unicodedata.normalize("NFKC", name))
    for pattern, replacement in ABBREVIATIONS:
        name = pattern.sub(replacement, name)
    return place_government(name) or name  # 福州市晋安区 is 福州市晋安区人民政府


def normalize_aliases(aliases: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The alias table (variant -> canonical name) with both sides normalised by the rules."""
    return {_rules(variant): _rules(canonical) for variant, canonical in aliases}


def normalize_agency_name(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The agency name as the key holds it: the rules, then the (normalised) alias table."""
    name = _rules(name)
    return (aliases or {}).get(name, name)


def _adcode_depth(adcode: str) -> int:
    """1 for a province's code (xx0000), 2 for a city's (xxxx00), 3 for a county's."""
    if adcode.endswith("0000"):
        return 1
    return 2 if adcode.endswith("00") else 3


def region_key(region: Mapping[str, str | None] | None) -> str:
    """The region part of an agency key (see the module docstring)."""
    region = region or {}
    names = [region.get("province"), region.get("city"), region.get("county")]
    adcode = region.get("adcode")
    if adcode:
        deeper = [name for name in names[_adcode_depth(adcode):] if name]
        return "-".join([adcode, *deeper])
    return "-".join(name for name in names if name) or NO_REGION


def agency_key(agency: str | None, region: Mapping[str, str | None] | None,
               aliases: Mapping[str, str] | None = None) -> str | None:
    """``<region>/<name>`` of an agency; None when the agency name is unknown (nothing to group by).

    :param aliases: ``normalize_aliases`` of the config's table.
    """
    if not agency or not agency.strip():
        return None
    name = normalize_agency_name(agency, aliases)
    return f"{region_key(region)}/{_from_deepest_place(name, region or {})}" if name else None


def _from_deepest_place(name: str, region: Mapping[str, str | None]) -> str:
    """The name from the deepest place it starts with, where the region settles every place it
    names: 江苏省淮安市洪泽区教育局 and 淮安市洪泽区教育局 -> 洪泽区教育局, as that bureau writes
    itself other years. A place the region does not settle (a shared 市中区 left ambiguous) keeps
    the whole name."""
    places = leading_places(name)
    if len(places) < 2:
        return name
    settled = [unit for unit in (region.get("province"), region.get("city"), region.get("county")) if unit]
    if all(any(unit.startswith(place) for unit in settled) for place in places):
        return name[sum(map(len, places[:-1])):]
    return name


def key_name(key: str) -> str:
    """The agency name a key holds (its part after the region)."""
    return key.split("/", 1)[1] if "/" in key else key


# -- the panel ------------------------------------------------------------------------------

def panel_choice_order(report: Report) -> tuple:
    """How the panel picks one of an agency's reports for one year, first the best
    (docs/report-format.md#agency-panel): fewest flags, then the latest published
    (an unknown date last), then the smallest id."""
    return (len(report.flag_codes()), _negated_date(report.published), report.id)


def _negated_date(published: str | None) -> tuple:
    # latest first: compare the negated code points; None sorts after every date
    return (1, ()) if not published else (0, tuple(-ord(c) for c in published))


def agency_panel(key: str, reports: list[Report]) -> AgencyPanel | None:
    """Every report of one agency (one ``agency_key``), and one row a year for the panel.

    Where a year has several reports (a revised report, the same report in two formats), the
    row uses the first by ``panel_choice_order`` and is marked ``duplicate_year``, naming the others.
    None when there is no report.
    """
    if not reports:
        return None
    ordered = sorted(reports, key=lambda r: (r.year is None, r.year or 0, panel_choice_order(r)))
    by_year: dict[int, list[Report]] = {}
    for report in ordered:
        if report.year is not None:
            by_year.setdefault(report.year, []).append(report)
    years = []
    for year, group in by_year.items():
        chosen, others = group[0], group[1:]
        years.append(AgencyYear(year=year, report_id=chosen.id, duplicate_year=bool(others),
                                others=[r.id for r in others], flags=chosen.flag_codes(),
                                figures=report_aliases(chosen.figures or {})))
    latest = max(ordered, key=lambda r: (r.year or 0, r.published or ""))
    return AgencyPanel(
        key=key, name=key_name(key), agencies=sorted({r.agency for r in ordered if r.agency}),
        region=dict(latest.region), level=latest.level, agency_type=latest.agency_type,
        years=years,
        reports=[AgencyReport(id=r.id, year=r.year, title=r.title, agency=r.agency, published=r.published,
                              format=(r.source or {}).get("format"), flags=r.flag_codes(),
                              chosen=any(y.report_id == r.id for y in years))
                 for r in ordered])
