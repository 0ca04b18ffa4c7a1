"""Reports for the search tests, built by hand from the seed files.

The section texts are the seeds' own text (split at the six canonical
headings); metadata and the figures below were read off each seed by hand.
This keeps tests/test_search.py independent of the parsing pipeline; the
corpus tests there parse the same files with indexer.parse when it is ready.
"""
from __future__ import annotations

import re
from pathlib import Path

from indexer.index import ReportIndex
from indexer.report import Flag, Report, Section
from indexer.vocabulary import CANONICAL_HEADINGS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus" / "seeds"

# the canonical headings without their numbers (一、)
HEADINGS = tuple(heading.split("、", 1)[1] for heading in CANONICAL_HEADINGS.values())
_HEADING = re.compile(r"^\s*(?:[一二三四五六]|[1-6])[、.．]\s*(.+?)\s*$")


def split_sections(text: str) -> list[Section]:
    """The six parts of a report text, found by their canonical headings."""
    found: list[tuple[int, str, int, int]] = []  # (n, heading, heading start, text start)
    offset = 0
    for line in text.split("\n"):
        m = _HEADING.match(line)
        if m and m.group(1) in HEADINGS:
            n = HEADINGS.index(m.group(1)) + 1
            if not found or n > found[-1][0]:
                found.append((n, line.strip(), offset, offset + len(line) + 1))
        offset += len(line) + 1
    sections = []
    for i, (n, heading, _, start) in enumerate(found):
        end = found[i + 1][2] if i + 1 < len(found) else len(text)
        sections.append(Section(n, heading, text[start:end], start, end))
    return sections


def _t3(new=None, granted=None, total=None, natural=None):
    figures = {"t3.new.total": new, "t3.granted.total": granted, "t3.total.total": total}
    if natural is not None:
        figures["t3.new.natural"] = natural
    return figures


SEED_REPORTS = {
    "000_7eb9f2b2a221df7d.txt": dict(
        agency="市中区信访局", agency_key="370402/市中区信访局", year=2020, template="2019", level="county",
        region={"province": "山东省", "city": "枣庄市", "county": "市中区", "adcode": "370402"},
        figures={"t2.procurement.count": 6, "t2.procurement.amount_wan": 63.2, **_t3(0, 0, 0),
                 "t4.review.total": 0, "t4.review.corrected": 0},
        flags=[]),
    "001_c79327e4fbc2ded3.txt": dict(
        agency="市民政局", agency_key="361100/市民政局", year=2019, template="2019", level="city",
        region={"province": "江西省", "city": "上饶市", "county": None, "adcode": "361100"},
        figures={"t2.procurement.count": 0, "t2.procurement.amount_wan": 0, **_t3(5, 0, 5, natural=5),
                 "t4.review.total": 1, "t4.review.corrected": 1, "t3.denied.state_secret.total": 2},
        flags=[Flag("blank_cells", "t3", "36 blank cells")]),
    "002_64f6c83b9150245c.txt": dict(
        agency="卫辉市信访局", agency_key="410781/卫辉市信访局", year=2021, template="2021", level="county",
        region={"province": "河南省", "city": "新乡市", "county": "卫辉市", "adcode": "410781"},
        figures={"t2.fees.amount_wan": None, **_t3(0, 0, 0), "t4.review.total": 0},
        flags=[Flag("blank_cells", "t2", "fees amount blank")]),
    "003_b184471cafab89da.txt": dict(
        agency="铁东区政务服务局", agency_key="铁东区/铁东区政务服务局", year=2020, template="2019", level="county",
        region={"province": None, "city": None, "county": "铁东区", "adcode": None},
        figures={"t2.procurement.count": 0, "t2.procurement.amount_wan": 0, **_t3(0, 0, 0)},
        flags=[Flag("region_ambiguous", "region", "铁东区 is in 鞍山市 and 四平市")]),
    "004_b780817e18a3daa1.txt": dict(
        agency="重庆市合川区信访办", agency_key="500117/重庆市合川区信访办", year=2019, template="2019", level="county",
        region={"province": "重庆市", "city": "重庆市", "county": "合川区", "adcode": "500117"},
        figures={"t2.procurement.count": 2, "t2.procurement.amount_wan": 6.8, **_t3(0, 0, 0),
                 "t4.review.total": 0},
        flags=[Flag("unit_assumed", "t2.procurement.amount_wan", "68000元")]),
}

SYNTHETIC_TEXT = {
    1: "本机关在政务公开中发现 <script>alert('x')</script> 这样的文字，应当原样显示。政府信息公开工作平稳。",
    3: "本年新收申请12件，全部办结。",
    5: "存在问题：信访渠道不够通畅，工作人员不足。改进：加强培训，Open Data 平台上线。",
}


def seed_reports(config) -> list[Report]:
    """The five seeds as reports (text from the files, metadata by hand)."""
    reports = []
    for name, meta in SEED_REPORTS.items():
        text = (SEEDS / name).read_text(encoding="utf-8")
        title = next(line.strip() for line in text.splitlines() if line.strip())
        meta = dict(meta)
        reports.append(Report(
            id=name.split("_")[1][:16].replace(".txt", ""), source={"path": str(SEEDS / name), "synthetic": False},
            title=title, agency_type=config.classify_agency(meta["agency"]),
            sections=split_sections(text), **meta))
    return reports


def synthetic_report(config) -> Report:
    """A generated 2021-format report with hostile text (HTML) and ASCII words."""
    offset, sections = 0, []
    for n in range(1, 7):
        text = SYNTHETIC_TEXT.get(n, "无。")
        sections.append(Section(n, f"{'一二三四五六'[n - 1]}、{HEADINGS[n - 1]}", text, offset, offset + len(text)))
        offset += len(text) + 1
    return Report(
        id="5e5e5e5e5e5e5e5e", source={"path": "synthetic/0001.txt", "synthetic": True},
        title="示例市教育局2022年政府信息公开工作年度报告", agency="示例市教育局", year=2022, template="2021",
        agency_key="示例省-示例市/示例市教育局",
        region={"province": "示例省", "city": "示例市", "county": None, "adcode": None}, level="city",
        agency_type=config.classify_agency("示例市教育局"), sections=sections,
        figures={"t2.fees.amount_wan": 1.5, **_t3(12, 7, 12), "t3.partial.total": 3,
                 "t3.denied.state_secret.total": 2, "t4.review.total": 3, "t4.review.corrected": 2,
                 "t4.review.maintained": 1},
        flags=[Flag("t3_balance", "natural", "12+0 != 10+0"), Flag("blank_cells", "t2", "")])


def build_index(index_dir: Path | None, reports) -> ReportIndex:
    """An index in ``index_dir`` (None: in memory) holding ``reports``, committed."""
    index = ReportIndex.open(index_dir)
    with index.batch() as batch:
        for report in reports:
            batch.add(report)
    return index


def hand_reports(config) -> list[Report]:
    return seed_reports(config) + [synthetic_report(config)]
