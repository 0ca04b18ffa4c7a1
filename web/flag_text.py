"""One sentence per flag code (docs/flags.md), in Chinese and English."""
from __future__ import annotations

import re

from .i18n import pick

# code -> (Chinese, English)
FLAG_EXPLANATIONS = {
    "t3_balance": ("表三本列不平衡：本年新收＋上年结转应等于办理总计＋结转下年度继续办理。",
                   "Table 三 does not balance in this column: new + carried over should equal total handled + carried forward."),
    "t3_outcomes": ("表三本列的办理结果各项之和不等于（七）总计。",
                    "In this column of table 三 the outcome rows do not add up to the total (（七）总计)."),
    "t3_row_total": ("表三本行的总计不等于六类申请人之和。",
                     "In this row of table 三 the total column is not the sum of the six applicant columns."),
    "t4_total": ("表四本栏的总计不等于结果维持＋结果纠正＋其他结果＋尚未审结。",
                 "In this block of table 四 the total is not maintained + corrected + other + pending."),
    "narrative_mismatch": ("正文中复述的数字与表格中的数字不一致。",
                           "The narrative restates a table figure, and the two disagree."),
    "blank_cells": ("表格中有未填写的空白单元格（按空值处理，不计为 0）。",
                    "Some table cells were left blank (kept as empty, never counted as 0)."),
    "unit_assumed": ("金额没有写单位，按模板的单位（万元）处理。",
                     "An amount had no unit; the template's unit (10,000 yuan) was assumed."),
    "region_ambiguous": ("地名在多个地区都存在，报告中无法确定所属地区。",
                         "The place name exists in several regions and the report does not settle which."),
    "region_fuzzy": ("报告中的地名有一个形近或音近的错字，已按报告中提到的市、省确定为唯一对应的真实地区。",
                     "A place name was misspelt by one look- or sound-alike character; the city or province the report names settled the one real place meant."),
    "template_unknown": ("无法从表二的栏目判断使用的是 2019 还是 2021 版模板。",
                         "Table 二's column headers do not tell whether the 2019 or the 2021 template was used."),
    "blanks_dropped": ("把表格转成文字的工具去掉了空白单元格；该行数值与栏数不符，无法确定各自所在的栏，保留为空。",
                       "The tool that turned the table into text dropped its blank cells; this row's values do not "
                       "match its columns in number, so their columns cannot be known and they stay empty."),
    "digits_ambiguous": ("表格中的数字连在一起，无法唯一拆分成各个单元格，这些单元格保留为空。",
                         "Digits in the table run together and cannot be split into cells in only one way; those cells are left empty."),
    "rows_unaligned": ("表格的数字行与栏目行对不齐，无法确定数字属于哪一行。",
                       "The table's value rows do not line up with its labelled rows, so it is unclear which row some values belong to."),
    "script_converted": ("本报告以繁体字写成，已转为简体（OpenCC）后读取；正文按简体显示，原件保持原样。",
                         "This report is written in traditional characters; it was read as simplified (OpenCC), and its text is shown simplified. The original is as written."),
    "ocr": ("本报告全部或部分页面是扫描件（或表格是图片），其文字和表格由 OCR 识别（引擎、哪些页、平均置信度见说明）。",
            "This report, or some of its pages or table pictures, is a scan: read by OCR (engine, which pages and mean confidence in the detail)."),
    "ocr_uncertain": ("OCR 对该单元格的识别把握不足，且表格自身的勾稽关系无法确认，保留为空。",
                      "OCR's reading of this cell was uncertain and the table's own sums could not confirm it, so it is left empty."),
    "year_mismatch": ("标题中的年度与正文或表格所述年度不一致。",
                      "The year in the title disagrees with the year the text or tables report on."),
}
_MISSING_SECTION = ("报告中缺少第 {n} 部分。", "Part {n} of the report is missing.")
_MISSING_TABLE = ("报告中缺少表{cn}。", "Table {cn} is missing from the report.")
_UNKNOWN = ("数据质量提示：{code}。", "Data-quality flag: {code}.")
_CHINESE_NUMBERS = {"2": "二", "3": "三", "4": "四"}


def explain_flag(code: str, lang: str) -> str:
    """A sentence saying what a flag code means, in the interface language."""
    if code in FLAG_EXPLANATIONS:
        return pick(FLAG_EXPLANATIONS[code], lang)
    match = re.fullmatch(r"missing_(section|table)_(\d)", code)
    if match:
        kind, n = match.groups()
        template = _MISSING_SECTION if kind == "section" else _MISSING_TABLE
        return pick(template, lang).format(n=n, cn=_CHINESE_NUMBERS.get(n, n))
    return pick(_UNKNOWN, lang).format(code=code)
