"""One synthetic report as an ordered list of blocks (paragraphs and grids), the
shape every writer renders, plus what it is about (agency, year, figures)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..vocabulary import CANONICAL_HEADINGS, SECTION_NUMBERS
from . import grids, narrative
from .figures import FigureSet, make_figures
from .regions import Agency, Gazetteer, pick_agency

HEADINGS = tuple(CANONICAL_HEADINGS.values())
# Wordings real reports use instead (part number -> heading), and Word's renumbering.
HEADING_VARIANTS = {
    4: ("四、因政府信息公开申请行政复议、提起行政诉讼的情况", "四、政府信息公开行政复议和行政诉讼情况"),
    5: ("五、政府信息公开工作存在的主要问题及改进情况", "五、存在的主要问题和改进情况"),
}
ARABIC_RENUMBERED = {n: f"{n}、" + heading.split("、", 1)[1] for n, heading in enumerate(HEADINGS, 1)}
# Formats whose files commonly break a long title over two lines (seed 003).
SPLIT_TITLE_FORMATS = ("txt", "docx")
FIRST_YEAR, LAST_YEAR = 2019, 2025


@dataclass
class Para:
    text: str
    role: str = "body"        # title | heading | body | signature
    n: int | None = None      # a heading's part number


Block = Para | grids.Grid


@dataclass
class SyntheticReport:
    agency: Agency
    year: int
    template: str
    title: str
    published: str | None                 # ISO date printed at the end, if any
    figures: FigureSet
    blocks: list[Block] = field(default_factory=list)
    page_date: str | None = None          # a web page's own publication date (<meta name="PubDate">)
    url: str | None = None                # a web page's canonical address

    @property
    def publication_date(self) -> str | None:
        """The date a reader of the file learns: the printed one, else the page's."""
        return self.published or self.page_date

    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Para)]

    def closing_count(self) -> int:
        """How many paragraphs at the end are the signature and date."""
        return sum(1 for b in self.blocks if isinstance(b, Para) and b.role == "signature")

    def heading_indexes(self) -> dict[int, int]:
        """Section number -> index of its heading among the paragraphs."""
        paragraphs = [b for b in self.blocks if isinstance(b, Para)]
        return {p.n: i for i, p in enumerate(paragraphs) if p.role == "heading"}


def template_for(year: int) -> str:
    """国办公开办函〔2019〕60号 for 2019-2020, 〔2021〕30号 from 2021 on."""
    return "2019" if year <= 2020 else "2021"


def _place_name(agency: Agency) -> str:
    place = agency.place
    return {"province": place.province, "city": place.city}.get(agency.level) or place.county


def _title(rng: random.Random, agency: str, year: int) -> str:
    return rng.choices((f"{agency}{year}年政府信息公开工作年度报告",
                        f"{agency}{year}年度政府信息公开工作年度报告",
                        f"{agency}政府信息公开工作{year}年度报告",
                        f"{year}年{agency}政府信息公开工作年度报告"), (5, 3, 2, 1))[0]


def _title_lines(rng: random.Random, title: str, agency: str, fmt: str) -> list[str]:
    """The title as printed: one line, or (a share of txt/docx files) broken in two
    before 年度报告 or after the agency."""
    if fmt not in SPLIT_TITLE_FORMATS or rng.random() >= 0.12:
        return [title]
    if title.startswith(agency) and rng.random() < 0.5:
        return [agency, title[len(agency):]]
    return [title[:-4], title[-4:]]


def _page_address(rng: random.Random, agency: Agency, year: int, published: str | None) -> tuple[str | None, str | None]:
    """A page's PubDate (most pages have one; the same day as the printed date or a few
    days later) and, for a share, its canonical address on the government site."""
    page_date = None
    if rng.random() < 0.7:
        if published:
            y, m, d = (int(part) for part in published.split("-"))
            page_date = f"{y}-{m:02d}-{min(d + rng.randint(0, 3), 28):02d}"
        else:
            page_date = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    if rng.random() >= 0.5:
        return page_date, None
    from pypinyin import lazy_pinyin  # on use: its dictionaries load only for the reports given a URL

    place = agency.place.county or agency.place.city or agency.place.province
    host = "".join(lazy_pinyin(place[:-1] if len(place) > 2 else place))
    stamp = (page_date or f"{year + 1}-01-15").replace("-", "")
    url = f"https://www.{host}.gov.cn/zwgk/zfxxgk/zfxxgknb/{stamp[:6]}/t{stamp}_{rng.randint(100000, 999999)}.html"
    return page_date, url


def _headings(rng: random.Random) -> list[str]:
    """The six headings of one report: mostly canonical, some in other wordings."""
    if rng.random() < 0.05:
        return [ARABIC_RENUMBERED[n] for n in SECTION_NUMBERS]
    headings = list(HEADINGS)
    for n, variants in HEADING_VARIANTS.items():
        if rng.random() < 0.1:
            headings[n - 1] = rng.choice(variants)
    if rng.random() < 0.05:
        headings[4] = ARABIC_RENUMBERED[5]     # Word renumbered one list item (seed 000)
    return headings


def compose_report(rng: random.Random, gazetteer: Gazetteer, fault_share: float, fmt: str = "txt") -> SyntheticReport:
    """Draw one whole report: who, when, the figures, the text, in reading order.

    :param fmt: the format it will be written in (some layouts belong to some formats).
    """
    agency = pick_agency(rng, gazetteer)
    year = rng.randint(FIRST_YEAR, LAST_YEAR)
    template = template_for(year)
    figures = make_figures(rng, template, agency.level, agency.kind, fault_share)
    place = _place_name(agency)
    platform = rng.choice((f"{place}人民政府门户网站", f"{place}人民政府网站政府信息公开专栏", "政府信息公开专栏",
                           f"{agency.name}门户网站"))
    voice = narrative.Voice(agency.name, agency.self_name, place, year, agency.kind, platform)
    published = None
    if rng.random() < 0.45:
        month, day = rng.randint(1, 3), rng.randint(1, 28)
        published = f"{year + 1}-{month:02d}-{day:02d}"
    report = SyntheticReport(agency, year, template, _title(rng, agency.name, year), published, figures)
    if fmt == "html":
        report.page_date, report.url = _page_address(rng, agency, year, published)
    blocks = report.blocks
    blocks.extend(Para(line, "title") for line in _title_lines(rng, report.title, agency.name, fmt))
    if rng.random() < 0.4:
        blocks.append(Para(narrative.preamble(rng, voice)))
    sections = (
        narrative.overview(rng, voice, figures.stated),
        grids.table_two(template, figures.raw, rng.random() < 0.15),
        grids.table_three(template, figures.raw, rng.random() < 0.15),
        grids.table_four(figures.raw),
        narrative.problems_and_improvements(rng, voice),
        narrative.other_matters(rng, voice),
    )
    for n, (heading, body) in enumerate(zip(_headings(rng), sections), 1):
        blocks.append(Para(heading, "heading", n))
        if isinstance(body, grids.Grid):
            blocks.append(body)
        else:
            blocks.extend(Para(text) for text in body)
    if published:
        y, m, d = (int(part) for part in published.split("-"))
        blocks.append(Para(agency.name, "signature"))
        blocks.append(Para(f"{y}年{m}月{d}日", "signature"))
    return report
