"""Document + sections -> title, agency, year, publication date, region, level, type.

Steps, each a small function: ``document_to_title`` -> ``title_to_agency`` ->
``report_year`` (+ ``year_mismatch``) -> ``document_to_published`` ->
``resolve_region`` (region.py) -> ``agency_to_level`` -> the configured
agency-type taxonomy.

Level rules (``agency_to_level``), first match wins:
- central: a State Council organ (国务院…, 国家…局, 中华人民共和国…, a bare
  …部 / …总局 / …总署 naming no place);
- township: a 乡/镇/街道 organ (…镇人民政府, …街道办事处, 佛堂镇政府), or a town or street
  named alone (义乌市佛堂镇: its 人民政府), the name read as its agency key writes it
  (agencies.py ``normalize_agency_name``);
- from the unit the agency's own name starts with: a province, autonomous
  region or municipality (上海市科委, 重庆市财政局) -> province; a
  prefecture-level city -> city; a district, county or county-level city
  (卫辉市信访局) -> county; a zone that is no division (平潭综合实验区) is
  treated as county level;
- an agency naming no place by its first character: 省… -> province,
  市… -> city (province when the text places it in a municipality),
  区…/县… -> county.

Agency type (``agency_to_type``): the configured taxonomy is matched against the
organ's own name, after its place names (平潭综合实验区社会事业局 -> 社会事业局), so
that a place name never decides the type (公安县人民政府 is judged on 人民政府). The name is
first read as its agency key writes it (agencies.py ``normalize_agency_name``): 晋安区政府 is
晋安区人民政府, and a division, town or street named alone is that place's government
(福州市晋安区 -> 福州市晋安区人民政府, 佛堂镇 -> 佛堂镇人民政府, region.py
``place_government``); a zone alone (平潭综合实验区) is matched whole. A department named after
its government (大足区人民政府外事办公室) is judged on its own name (外事办公室), not as the government. An organ the taxonomy does not know is ``其他`` (listed
by the ingest summary, so that config.toml can be extended), never a guess.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .config import Config
from .document import Document
from .agencies import normalize_agency_name
from .region import place_and_organ, resolve_region
from .report import REGION_KEYS, Flag, Section
from .sections import PAGE_NUMBER_LINE, normalise_spaces, paragraph_offsets
from .vocabulary import GOVERNMENT

TITLE_SCAN_PARAGRAPHS = 8
# A whole page copied as text: its menus before the title (the real Pingtan page's: 25 to 60 lines).
HEADER_SCAN_PARAGRAPHS = 80
MAX_TITLE_LENGTH = 80
YEAR_RANGE = range(2000, 2100)
CN_YEAR_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}

_YEAR = r"((?:19|20)\d{2}|[〇○零Ｏ一二三四五六七八九]{4})"
_TITLE_YEAR = re.compile(_YEAR + r"\s*年")
_TITLE_BOILERPLATE = re.compile(r"政府信息公开|政务公开|信息公开|年度报告|工作报告|年报")
# How a title ends: …年度报告, or the short form …政府信息公开年报 many sites use.
_TITLE_END = re.compile(r"报告|年报(?!告)")
# A preamble that names the report it opens, on pages whose title line is lost or says no more
# than 政府信息公开工作年度报告: 现公布周至县人民政府办公室2021年政府信息公开工作年度报告。
_REPORT_WORDS = r"(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)"
_TITLE_IN_PREAMBLE = re.compile(r"(?:公布|发布)《?(?P<title>[^，。；：:、“”\"《》\s]{2,40}?" + _YEAR
                                + r"\s*年度?" + _REPORT_WORDS + "|" + _YEAR + r"\s*年度?[^，。；：:、“”\"《》\s\d]{2,40}?"
                                + _REPORT_WORDS + ")")
# (以下简称“佛山市税务局”) between an organ's name and the rest of the sentence
_SHORT_NAME = re.compile(r"[（(]以下简称[^（）()]*[）)]")
_BOOK_TITLE = re.compile(r"《[^《》]*》")
# 报告 inside a longer name, not a report's title ending: …年度报告格式 (the national template),
# …年度报告编制工作的通知, …年度报告(的)解读. (关于印发…年度报告的通知 does name the report it publishes.)
_REPORT_AS_A_WORD = re.compile(r"格式|模板|编制|的?解读|图解")
# What stands before the agency whose report a title names: its issuer (…办公室关于), or the
# notice that publishes it (关于印发…).
_ISSUED = re.compile(r"^(?:.*?关于)?(?:印发|公布|发布|转发)?")
_ORGAN_END = re.compile(r"(?:政府|局|委|办|厅|院|会|室|处|中心|所|站|队|馆|部|署|行|司|区|县|市|镇|乡|街道|办事处|委员会|机关)$")
# Never a title, though it may end in one: a page's navigation trail (首页 > 政务公开 > … >
# 政府信息公开年报: arrows between spaces, or after 首页), its catalogue labels (组配分类 政府信息公开年报)
# and its menus' links as markdown writes them (* [政府信息公开年报](../ "…")).
_NOT_A_TITLE = re.compile(r"(?:\s[>＞»›]\s.*){2}|^[>＞»›]\s|^(?:网站)?首页\s*-?[>＞»›]|^(?:当前位置|您的位置|"
                          r"您现在的位置|您当前的位置|您现在所在的位置|所在位置)|^(?:组配分类|公开目录|主题分类|所属分类|信息分类|所属栏目)"
                          r"|^(?:[*+-]\s+)?\[[^\]]*\]\(")
# What stands before the title on its line: a page's metadata label (标 题 | …, 名  称 …, 标题：…)
# or a page-turning viewer's page (Page 2 - …).
_TITLE_LABEL = re.compile(r"^(?:(?:标\s*题|名\s*称|文章标题|信息名称)(?:\s*[|:：]\s*|\s+)|Page\s*\d+\s*-\s*)")
_SENTENCE_MARKS = re.compile(r"[。，；：！？,;:!?《》]")
_STATS_PERIOD = re.compile(r"统计(?:期限|周期|时限|时间|区间|范围|期)?\s*(?:为|是|自|从|：|:)?\s*(?:自|从)?\s*"
                           + _YEAR + r"\s*年\s*1\s*月\s*1\s*日")
_YEAR_DU = re.compile(_YEAR + r"\s*年度")
_OPENING_YEAR = re.compile(r"^\s*" + _YEAR + r"\s*年\s*[，,、]")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,2})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
_META_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CENTRAL = re.compile(r"^(?:国务院|国家|中华人民共和国|中国)|^[\u4e00-\u9fff]{1,10}(?:部|总局|总署)$")
OTHER_AGENCY_TYPE = "其他"
_TOWNSHIP = re.compile(r"(?:乡|镇|街道)(?:人民政府|办事处|党委|党工委|便民服务中心)|街道$|^[^市县区]{1,8}[乡镇]$")


@dataclass
class Metadata:
    """What a report says about itself, outside the tables."""
    title: str | None = None
    agency: str | None = None
    year: int | None = None
    published: str | None = None
    url: str | None = None
    region: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(REGION_KEYS))
    level: str | None = None
    agency_type: str | None = None
    flags: list[Flag] = field(default_factory=list)


def year_to_int(text: str) -> int | None:
    """'2020' or '二〇二〇' -> 2020; None outside 2000-2099."""
    digits = "".join(CN_YEAR_DIGITS.get(c, c) for c in text)
    if not digits.isdigit():
        return None
    year = int(digits)
    return year if year in YEAR_RANGE else None


def _small_cn_number(text: str) -> int | None:
    """一..三十一 -> int (months and days)."""
    digits = "一二三四五六七八九"
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        value = (digits.index(tens) + 1 if tens else 1) * 10
        return value + (digits.index(units) + 1 if units else 0)
    return digits.index(text) + 1 if len(text) == 1 and text in digits else None


def _looks_like_title(text: str) -> bool:
    return bool(_TITLE_END.search(text)) and len(text) <= MAX_TITLE_LENGTH and not _SENTENCE_MARKS.search(text)


def document_to_title(document: Document, sections: list[Section]) -> str | None:
    """The report's own title: the line(s) before part 1 ending in 报告 (or 年报), joined when broken
    (铁东区政务服务局2020年度政府信息公开工作 / 年度报告); else the container's title.

    In a run-together page the title is the text up to the first 报告 (or 年报) of the first paragraph.
    """
    first_part = min((s.start for s in sections), default=None)
    header = [_TITLE_LABEL.sub("", _unquoted(p.text.strip()))
              for offset, p in paragraph_offsets(document)[:HEADER_SCAN_PARAGRAPHS]
              if first_part is None or offset < first_part]
    header = ["" if _NOT_A_TITLE.search(line) else line for line in header]
    lines = header[:TITLE_SCAN_PARAGRAPHS]
    title = next(_titles_in(lines), None)
    if title:
        return title if title_to_agency(title) else _title_in_preamble(lines) or title
    # a whole page copied: its menus come first, the title after them
    title = next((t for t in _titles_in(header) if title_to_agency(t)), None)
    if title:
        return title
    meta_title = document.meta.get("title")
    if meta_title:  # a page's <title> goes on with its column and site: …年度报告_政府信息公开年报_…管委会
        meta_title = normalise_spaces(_title_prefix(meta_title) or meta_title)
        if title_to_agency(meta_title):
            return meta_title
    return _title_in_preamble(lines) or meta_title


def _titles_in(lines: list[str]):
    """The title lines among ``lines``, in order: each ending in 报告 (or 年报) and naming
    政府信息公开 / 政务公开 / 信息公开, joined with the line before where the title is broken."""
    for i, line in enumerate(lines):
        candidate = _title_prefix(line)
        if candidate is None:
            continue
        j = i
        # a title broken over lines: its first line holds the agency, the last ends in 报告
        while j > 0 and _is_title_start_missing(candidate, lines[j - 1]):
            candidate = lines[j - 1] + candidate
            j -= 1
        title = normalise_spaces(candidate)
        if re.search(r"政府信息公开|政务公开|信息公开", title):
            yield title


def _title_in_preamble(lines: list[str]) -> str | None:
    """The report's title as its preamble names it (现公布…年度报告, 现发布《…年度报告》), where it
    names an organ (not 我单位…), and not from inside another document's title (《…关于发布…的通知》)."""
    for line in lines:
        line = _SHORT_NAME.sub("", line)
        quoted = [m.span() for m in _BOOK_TITLE.finditer(line)]
        for match in _TITLE_IN_PREAMBLE.finditer(line):
            if any(start < match.start() < end for start, end in quoted):
                continue
            title = normalise_spaces(match.group("title"))
            agency = title_to_agency(title)
            if agency and not agency.startswith(("我", "本", "该")) and _ORGAN_END.search(agency):
                return title
    return None


def _unquoted(line: str) -> str:
    """A line wholly inside title marks without it: 《…年度报告》 -> …年度报告."""
    if line.startswith("《") and line.endswith("》") and line.count("《") == 1 and line.count("》") == 1:
        return line[1:-1].strip()
    return line


def _title_prefix(line: str) -> str | None:
    """The title part of a line: the whole line, or the words up to the first 报告 (or 年报)."""
    if _looks_like_title(line) and line.rstrip().endswith(("报告", "年报")):
        return line
    end = _TITLE_END.search(line)
    if end and 0 < end.start() <= MAX_TITLE_LENGTH and not _REPORT_AS_A_WORD.match(line, end.end()):
        prefix = line[: end.end()]
        if not _SENTENCE_MARKS.search(prefix) and not prefix.startswith(("本报告", "报告", "本年报", "年报")):
            return prefix
    return None


def _is_title_start_missing(title: str, previous: str) -> bool:
    """Should the previous line be joined in front of ``title``?"""
    previous = previous.strip()
    if not previous or len(previous) > MAX_TITLE_LENGTH // 2 or _SENTENCE_MARKS.search(previous):
        return False
    head = normalise_spaces(title)
    if head.startswith(("年度报告", "报告", "年报", "工作")):
        return True
    if _TITLE_YEAR.match(head) or head.startswith(("政府信息公开", "政务公开")):
        return bool(_ORGAN_END.search(normalise_spaces(previous)) or _TITLE_YEAR.search(previous))
    return False


def title_to_agency(title: str | None) -> str | None:
    """The agency as the title names it: the words before the year or the 政府信息公开… boilerplate.

    市民政局政府信息公开工作2019年度报告 -> 市民政局; 2024年上海市科委… -> 上海市科委. A title
    in which one organ issues another's report names that other: 洪泽区人民政府办公室关于洪泽区2020年…
    -> 洪泽区 (the district's report, its office issuing it); 关于印发洪泽区2020年…的通知 -> 洪泽区.
    """
    if not title:
        return None
    text = normalise_spaces(title)
    text = re.sub(r"^[（(]?" + _YEAR + r"\s*年度?[）)]?", "", text)
    cut = len(text)
    for pattern in (_TITLE_YEAR, _TITLE_BOILERPLATE):
        match = pattern.search(text)
        if match:
            cut = min(cut, match.start())
    agency = re.sub(r"(?:关于|的|[（(]|\s)+$", "", text[:cut]).strip()
    agency = _ISSUED.sub("", agency)
    return agency or None


def title_year(title: str | None) -> int | None:
    if not title:
        return None
    for match in _TITLE_YEAR.finditer(title):
        year = year_to_int(match.group(1))
        if year:
            return year
    return None


def text_year_evidence(text: str, sections: list[Section]) -> tuple[int, str] | None:
    """The year the text says it covers, with the words saying so: the statistics period
    (统计期限自2019年1月1日), else the opening of part 1 (2019年，…)."""
    match = _STATS_PERIOD.search(text)
    if match and year_to_int(match.group(1)):
        return year_to_int(match.group(1)), normalise_spaces(match.group(0))
    part1 = next((s for s in sections if s.n == 1), None)
    if part1:
        body = part1.text[len(part1.heading):] if part1.text.startswith(part1.heading) else part1.text
        match = _OPENING_YEAR.match(body.lstrip())
        if match and year_to_int(match.group(1)):
            return year_to_int(match.group(1)), normalise_spaces(match.group(0))
    return None


def report_year(title: str | None, text: str, sections: list[Section]) -> tuple[int | None, list[Flag]]:
    """The year reported on, from the title, else the text; a year_mismatch flag where the
    title's year and the statistics period (or the narrative's opening) differ."""
    from_title = title_year(title)
    evidence = text_year_evidence(text, sections)
    if from_title is None:
        if evidence:
            return evidence[0], []
        for match in _YEAR_DU.finditer(text):
            year = year_to_int(match.group(1))
            if year:
                return year, []
        return None, []
    flags = []
    if evidence and evidence[0] != from_title:
        flags.append(Flag("year_mismatch", "title",
                          f"title says {from_title}, the text says {evidence[0]} (“{evidence[1]}”)"))
    return from_title, flags


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _closing_date(text: str) -> str | None:
    """A date closing the report (its own last line, or the very end of a run-together page)."""
    lines = [line for line in text.rstrip()[-80:].split("\n") if line.strip()]
    while lines and PAGE_NUMBER_LINE.match(lines[-1]):
        lines.pop()  # a PDF's last page number (- 5 -)
    last = lines[-1] if lines else ""
    match = _DATE.search(last)
    if match and last.rstrip().endswith("日") and match.end() >= len(last.rstrip()) - 1:
        return _iso(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _CN_DATE.search(last)
    if match and last.rstrip().endswith("日"):
        year, month, day = year_to_int(match.group(1)), _small_cn_number(match.group(2)), _small_cn_number(match.group(3))
        if year and month and day:
            return _iso(year, month, day)
    return None


def document_to_published(document: Document, text: str) -> str | None:
    """The date printed at the end of the report, else the container's publication date (ISO)."""
    printed = _closing_date(text)
    if printed:
        return printed
    meta = document.meta.get("published", "")
    match = _META_DATE.search(meta)
    return _iso(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def agency_to_level(agency: str | None, unit_kind: str | None, region: dict[str, str | None]) -> str | None:
    """central / province / city / county / township (rules in the module docstring)."""
    if not agency:
        return None
    if unit_kind is None and agency[:1] not in "省市区县" and _CENTRAL.search(agency):
        return "central"
    if _TOWNSHIP.search(normalize_agency_name(agency)):  # 佛堂镇政府, 义乌市佛堂镇: a 镇人民政府
        return "township"
    if unit_kind == "zone":
        return "county"
    if unit_kind in ("province", "city", "county"):
        return unit_kind
    first = agency[:1]
    if first == "省" or agency.startswith("自治区"):
        return "province"
    if first == "市":
        province = region.get("province") or ""
        return "province" if province.endswith("市") and not region.get("county") else "city"
    if first in ("区", "县"):
        return "county"
    return None


def agency_to_type(agency: str | None, config: Config) -> str | None:
    """The taxonomy's type of the organ the agency names after its places, else 其他 (None: no agency).

    :param agency: the agency as the report names itself.
    :param config: settings holding the agency-type taxonomy.
    """
    if not agency:
        return None
    name = normalize_agency_name(agency)  # 晋安区政府, 福州市晋安区: 晋安区人民政府's
    organ = place_and_organ(name)[1] or name
    kind = config.classify_agency(organ)
    if organ.startswith(GOVERNMENT) and organ != GOVERNMENT and kind == config.classify_agency(GOVERNMENT):
        # a department named after its government (人民政府外事办公室, 人民政府研究室) is not the
        # government: it is judged on its own name (人民政府办公室 is judged whole: its type comes first)
        kind = config.classify_agency(organ[len(GOVERNMENT):])
    return kind or OTHER_AGENCY_TYPE


def document_to_metadata(document: Document, sections: list[Section], config: Config) -> Metadata:
    """Everything about a report but its figures.

    :param document: what a reader made of the file.
    :param sections: the parts found (document_to_sections).
    :param config: settings; its agency-type taxonomy classifies the agency.
    """
    text = document.text()
    title = document_to_title(document, sections)
    agency = title_to_agency(title)
    year, flags = report_year(title, text, sections)
    located = resolve_region(agency, title, text + "\n" + document.meta.get("url", ""))
    return Metadata(
        title=title,
        agency=agency,
        year=year,
        published=document_to_published(document, text),
        url=document.meta.get("url") or None,
        region=located.region,
        level=agency_to_level(agency, located.agency_unit_kind, located.region),
        agency_type=agency_to_type(agency, config),
        flags=flags + located.flags,
    )
