"""Row labels: normalising them and matching them to figure keys, and telling the template.

Labels vary (half/full-width parentheses, spaces inside, numbering 1./1、/１．,
OCR slips, torn cells), so a row is recognised by a distinctive core of its
label (国家秘密, 第三方, 逾期不补正 …), never by its number: 1.2.3. repeat in every group.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..figure_keys import T2_2019_ROWS, T2_2021_ROWS, T3_ROWS

BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# One character at a time, not a run (``+``): a pattern opening on a bare character
# class lets the engine skip ahead by that class.
SPACES_AND_QUOTES = re.compile(r"[\s\u200b\ufeff“”\"'‘’「」『』]")
# Full-width ASCII and the ideographic space: the only characters NFKC changes in
# most reports; each maps to the ASCII it fully decomposes to.
FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
FULL_WIDTH_TO_ASCII = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000)}

# Distinctive cores of every row label; the first core is the canonical one.
T2_CORES = {
    "regulations": ("规章",),
    "normative_docs": ("规范性文件",),
    "licensing": ("行政许可",),
    "other_services": ("其他对外管理服务事项", "对外管理服务"),
    "penalty": ("行政处罚",),
    "coercion": ("行政强制",),
    "fees": ("行政事业性收费", "事业性收费"),
    "procurement": ("政府集中采购", "集中采购"),
}
T3_CORES = {
    "new": ("本年新收",),
    "carried_over": ("上年结转",),
    "granted": ("予以公开",),
    "partial": ("部分公开",),
    "denied.state_secret": ("国家秘密",),
    "denied.law_prohibited": ("禁止公开", "其他法律", "行政法规禁"),
    "denied.safety_stability": ("三安全一稳定", "三安全", "危及"),
    "denied.third_party": ("第三方",),
    "denied.internal_affairs": ("内部事务",),
    "denied.process_info": ("过程性",),
    "denied.enforcement_file": ("执法案卷",),
    "denied.query_matter": ("查询事项",),
    "unable.not_held": ("不掌握",),
    "unable.needs_creation": ("另行制作", "没有现成"),
    "unable.unclear": ("仍不明确", "补正后"),
    "rejected.complaint": ("信访举报", "举报投诉"),
    "rejected.duplicate": ("重复申请",),
    "rejected.publication": ("公开出版物", "出版物"),
    "rejected.mass_repeat": ("大量反复",),
    "rejected.confirm_reissue": ("确认或重新出具", "重新出具"),
    "other": ("其他处理",),
    "other.no_correction": ("逾期不补正", "无正当理由逾期"),
    "other.no_fee": ("缴纳费用", "收费通知"),
    "total": ("总计",),
    "carried_forward": ("结转下年度", "下年度继续"),
}
# 3.其他 under （六）其他处理 (2021): known only by its number or its group, as the
# applicant column 其他 has the same name; a merged-cell layout may repeat the group first.
GENERIC_OTHER_AT_END = re.compile(r"(3[.、])其他$|(?:^|[^\u4e00-\u9fff])其他$")

TEMPLATE_EVIDENCE = {
    "2019": (("本年新制作数量", "本年新公开数量", "对外公开总数量"),
             ("第二十条第(九)项", "政府集中采购", "采购项目数量", "采购总金额")),
    "2021": (("本年制发件数", "本年废止件数", "本年度止件数", "现行有效件数"),
             ("逾期不补正", "缴纳费用", "本年处理决定数量", "本年收费金额")),
}
TEXT_SLACK = 2  # characters a text chunk may run on past the end of a canonical label


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text.

    NFKC of full-width punctuation is slow; replacing those characters by their
    decomposition first gives the same NFKC, which is then usually the text itself.
    Text already in NFKC (a label cut from normalised text) is told by a quick check
    that stops at the first full-width character of any other text.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    for char in set(FULL_WIDTH.findall(text)):  # a few distinct ones, each replaced in one pass
        text = text.replace(char, FULL_WIDTH_TO_ASCII[char])
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=4096)
def normalise(label: str) -> str:
    """Label text for matching: NFKC (full-width to half-width), no markers, spaces or quotes."""
    text = BOOKMARK.sub("", nfkc(label))
    return SPACES_AND_QUOTES.sub("", text)


@lru_cache(maxsize=None)
def _canonical_labels(template: str) -> dict[str, str]:
    labels = {row: normalise(text) for row, text in T3_ROWS[template]}
    for _, _, group in (T2_2019_ROWS if template == "2019" else T2_2021_ROWS):
        labels.update({f"t2:{row}": normalise(text) for row, text in group})
    return labels


def _allowed_tail(canonical: str | None, core: str) -> int:
    """How far past the core a label may go: the rest of the canonical label plus slack."""
    if canonical and core in canonical:
        return len(canonical) - (canonical.rfind(core) + len(core)) + TEXT_SLACK
    return TEXT_SLACK


def match_row(label: str, cores: dict[str, tuple[str, ...]], *, canonical: dict[str, str] | None = None,
              at_end: bool = False) -> str | None:
    """The row whose core ends furthest right in the label (labels run group -> item).

    :param label: the row's label text (raw).
    :param cores: row key -> cores.
    :param canonical: row key -> canonical normalised label, for ``at_end``.
    :param at_end: the label is a chunk of running text: the core must sit at its end
        (no more than the rest of the canonical label after it), so a sentence
        merely mentioning 行政许可 is not a table row.
    """
    text = normalise(label)
    best: tuple[int, int, str] | None = None
    for key, key_cores in cores.items():
        for core in key_cores:
            pos = text.rfind(core)
            if pos < 0:
                continue
            end = pos + len(core)
            if at_end and len(text) - end > _allowed_tail((canonical or {}).get(key), core):
                continue
            candidate = (end, len(core), key)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else None


# The cores and canonical labels a template's rows are matched against: fixed per
# template, so built once, not for every table row.
@lru_cache(maxsize=None)
def _t2_matching(template: str) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    rows = T2_2019_ROWS if template == "2019" else T2_2021_ROWS
    keys = [row for _, _, group in rows for row, _ in group]
    canonical = {k[3:]: v for k, v in _canonical_labels(template).items() if k.startswith("t2:")}
    return {k: T2_CORES[k] for k in keys}, canonical


@lru_cache(maxsize=None)
def _t3_cores(template: str) -> dict[str, tuple[str, ...]]:
    keys = [row for row, _ in T3_ROWS[template]]
    if template == "2021":
        keys.append("other")  # （六）其他处理 alone: the group row of a 2019-style table
    return {k: T3_CORES[k] for k in keys if k in T3_CORES}


@lru_cache(maxsize=8192)
def match_t2_row(label: str, template: str, *, at_end: bool = False) -> str | None:
    """The table 二 row key (regulations, licensing …) a label names, or None."""
    cores, canonical = _t2_matching(template)
    return match_row(label, cores, canonical=canonical, at_end=at_end)


def match_t3_row(label: str, template: str, *, previous: str | None = None, at_end: bool = False) -> str | None:
    """The table 三 row key a label names, or None.

    :param previous: the row key matched just before, the group context of 3.其他.
    """
    text = normalise(label)
    if template == "2021" and text.endswith("其他"):  # only then can GENERIC_OTHER_AT_END match
        generic = GENERIC_OTHER_AT_END.search(text)
        if generic and (generic.group(1) or (previous or "").startswith("other.")):
            return "other.other"
    return _match_t3_labelled(label, template, at_end)


@lru_cache(maxsize=8192)
def _match_t3_labelled(label: str, template: str, at_end: bool) -> str | None:
    return match_row(label, _t3_cores(template), canonical=_canonical_labels(template), at_end=at_end)


def detect_template(labels: list[str], table_labels: list[str] | None = None) -> str | None:
    """The template version from the labels' wording: table 二's headers first, then other evidence
    (from ``table_labels`` alone when given: the labels of tables 二 and 三)."""
    return detect_template_normalised([normalise(label) for label in labels],
                                      None if table_labels is None else [normalise(label) for label in table_labels])


def detect_template_normalised(norms: list[str], table_norms: list[str] | None = None) -> str | None:
    """detect_template for labels already normalised (``Item.norm``).

    The weaker evidence (政府集中采购, 逾期不补正 …) is looked for in ``table_norms`` when given: a
    report of the years before the template (2018) names 政府集中采购 in its narrative.
    """
    whole = "".join(norms)
    texts = (whole, whole if table_norms is None else "".join(table_norms))
    for strength in (0, 1):
        text = texts[strength]
        hits = {t: sum(word in text for word in evidence[strength]) for t, evidence in TEMPLATE_EVIDENCE.items()}
        if hits["2019"] and not hits["2021"]:
            return "2019"
        if hits["2021"] and not hits["2019"]:
            return "2021"
    return None
