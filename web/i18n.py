"""Interface strings in Chinese (the default) and English.

The language comes from ``?lang=`` (kept in every link the app builds, so it
works without cookies or JavaScript), else the ``lang`` cookie, else Chinese.
"""
from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# key -> (Chinese, English)
STRINGS = {
    "app_name": ("政府信息公开年报检索", "Open-government annual report search"),
    "nav_search": ("检索", "Search"),
    "nav_stats": ("统计", "Statistics"),
    "nav_api": ("API", "API"),
    "other_language": ("English", "中文"),
    "search_label": ("检索式", "Query"),
    "search_placeholder": ("例如：type:信访 year:2020 procurement_count>0", "e.g. type:信访 year:2020 procurement_count>0"),
    "search_button": ("检索", "Search"),
    "query_help": ("词语、\"短语\"、OR、-排除；year:2020、year:2019..2021、type:、province:、level:、template:、flag:、section:5；比较如 applications>=10",
                   "words, \"phrases\", OR, -exclude; year:2020, year:2019..2021, type:, province:, level:, template:, flag:, section:5; comparisons like applications>=10"),
    "sort": ("排序", "Sort"),
    "sort_relevance": ("相关度", "Relevance"),
    "sort_year_desc": ("年度（新→旧）", "Year (newest first)"),
    "sort_year_asc": ("年度（旧→新）", "Year (oldest first)"),
    "sort_by_figure": ("按数字（大→小）", "By figure (largest first)"),
    "results_total": ("共 {total} 份报告", "{total} reports"),
    "no_results": ("没有找到符合条件的报告。", "No report matches."),
    "query_error": ("检索式有误", "Query error"),
    "facets": ("筛选", "Filters"),
    "facet_year": ("年度", "Year"),
    "facet_type": ("机关类型", "Agency type"),
    "facet_province": ("省份", "Province"),
    "facet_level": ("层级", "Level"),
    "facet_template": ("模板", "Template"),
    "facet_flags": ("数据质量提示", "Data-quality flags"),
    "active_filters": ("已选条件", "Active filters"),
    "remove_filter": ("移除条件", "remove filter"),
    "add_comparison": ("按数字筛选", "Filter on a figure"),
    "comparison_field": ("数字项", "Figure"),
    "comparison_op": ("比较", "Operator"),
    "comparison_value": ("数值", "Value"),
    "add": ("添加", "Add"),
    "aliases": ("常用项", "Common figures"),
    "comparison_error": ("请选择数字项、比较符并填写数值。", "Pick a figure and an operator, and enter a number."),
    "prev_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "page_of": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "export": ("导出", "Export"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_json": ("导出 JSON", "Export JSON"),
    "show_stats": ("统计图表", "Statistics"),
    "agency": ("机关", "Agency"),
    "year": ("年度", "Year"),
    "region": ("地区", "Region"),
    "agency_type": ("类型", "Type"),
    "level": ("层级", "Level"),
    "template": ("模板", "Template"),
    "published": ("发布日期", "Published"),
    "source": ("原始文件", "Original file"),
    "download_source": ("下载原始文件", "Download the original file"),
    "synthetic": ("合成数据", "synthetic"),
    "flags": ("数据质量提示", "Data-quality flags"),
    "no_flags": ("未发现问题。", "No problems found."),
    "blank_cell": ("未填写", "not filled in"),
    "flagged_cell": ("勾稽关系不符", "fails a consistency check"),
    "cells_marked": ("相关单元格已在表中标出", "the cells involved are marked in the table"),
    "section_missing": ("报告中未找到这一部分。", "This part was not found in the report."),
    "table_missing": ("报告中未找到这张表。", "This table was not found in the report."),
    "section_text": ("原文", "Original text"),
    "contents": ("目录", "Contents"),
    "other_years": ("同一机关的历年报告", "The same agency in other years"),
    "change": ("同比变化", "Change on previous year"),
    "figure": ("数字项", "Figure"),
    "this_report": ("本报告", "this report"),
    "not_found": ("未找到", "Not found"),
    "not_found_text": ("没有这份报告或这个页面。", "There is no such report or page."),
    "server_error": ("服务器出错", "Server error"),
    "back_to_search": ("返回检索", "Back to search"),
    "stats_title": ("统计", "Statistics"),
    "stats_for": ("检索式：", "Query: "),
    "all_reports": ("全部报告", "all reports"),
    "per_year": ("按年度", "Per year"),
    "per_type": ("按机关类型", "Per agency type"),
    "count": ("报告数", "Reports"),
    "sum": ("合计", "Sum"),
    "median": ("中位数", "Median"),
    "median_note": ("中位数：一至两份报告或数值全同时为精确值，否则为检索引擎的估计（误差约 1%）。",
                    "Medians are exact for one or two reports or equal values, else the engine's estimate (about 1% error)."),
    "outcomes": ("申请办理结果", "Outcomes of applications"),
    "outcome": ("办理结果", "Outcome"),
    "number": ("数量", "Number"),
    "chart_note": ("图表需要 JavaScript；下表列出同样的数字。", "The chart needs JavaScript; the table lists the same numbers."),
    "key_figures": ("主要数字", "Key figures"),
    "blank": ("空", "blank"),
    "matching_sections": ("命中段落", "Matching sections"),
    "part": ("第{n}部分", "Part {n}"),
    "none": ("无", "none"),
}

# Short labels of the aliases shown on result cards, the report page and the stats view.
ALIAS_LABELS = {
    "applications": ("新收申请", "Applications"),
    "carried_over": ("上年结转", "Carried over"),
    "granted": ("予以公开", "Granted"),
    "partial": ("部分公开", "Partly granted"),
    "denied": ("不予公开", "Denied"),
    "unable": ("无法提供", "Unable to provide"),
    "rejected": ("不予处理", "Not processed"),
    "other_handling": ("其他处理", "Other handling"),
    "handled": ("办理总计", "Handled"),
    "carried_forward": ("结转下年", "Carried forward"),
    "review": ("行政复议", "Administrative review"),
    "litigation": ("行政诉讼", "Litigation"),
    "procurement_count": ("集中采购项目", "Procurement projects"),
    "procurement_amount": ("集中采购金额（万元）", "Procurement amount (10k yuan)"),
    "fees_amount": ("收费金额（万元）", "Fees (10k yuan)"),
}

# Outcome rows of table 三 as Collection.stats() names them (the totals are the aliases' own labels).
OUTCOME_LABELS = {
    "granted": ALIAS_LABELS["granted"],
    "partial": ALIAS_LABELS["partial"],
    "denied": ALIAS_LABELS["denied"],
    "denied.state_secret": ("不予公开：国家秘密", "Denied: state secret"),
    "denied.law_prohibited": ("不予公开：法律行政法规禁止", "Denied: prohibited by law"),
    "denied.safety_stability": ("不予公开：危及“三安全一稳定”", "Denied: security and stability"),
    "denied.third_party": ("不予公开：保护第三方合法权益", "Denied: third-party rights"),
    "denied.internal_affairs": ("不予公开：内部事务信息", "Denied: internal affairs"),
    "denied.process_info": ("不予公开：过程性信息", "Denied: process information"),
    "denied.enforcement_file": ("不予公开：行政执法案卷", "Denied: enforcement file"),
    "denied.query_matter": ("不予公开：行政查询事项", "Denied: query matter"),
    "unable": ALIAS_LABELS["unable"],
    "rejected": ALIAS_LABELS["rejected"],
    "other": ALIAS_LABELS["other_handling"],
}

LEVEL_LABELS = {
    "central": ("中央", "central"), "province": ("省级", "province"), "city": ("市级", "city"),
    "county": ("县级", "county"), "township": ("乡镇", "township"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English member of a (zh, en) pair."""
    return pair[1] if lang == "en" else pair[0]


def translate(key: str, lang: str, **values) -> str:
    """The interface string ``key`` in ``lang``, with ``{name}`` fields filled in."""
    text = pick(STRINGS[key], lang)
    return text.format(**values) if values else text


def label_of(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """A label from one of the tables above, or the key itself when it has none."""
    pair = table.get(key)
    return pick(pair, lang) if pair else key


def resolve_language(arg: str | None, cookie: str | None) -> str:
    """The language of this request: the URL first, then the cookie, then Chinese."""
    for candidate in (arg, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
