"""The figure keys (docs/report-format.md) of both template versions: the one list every
stage (table mapper, generator, index schema, web tables) shares.

Each row is (key prefix, canonical Chinese label); each column is (key suffix,
canonical Chinese header).
"""
from __future__ import annotations

from functools import lru_cache

TEMPLATES = ("2019", "2021")

# Table 二 (主动公开): rows grouped as printed, each with its own columns.
T2_2019_COLUMNS = {
    "doc": (("new_made", "本年新制作数量"), ("new_published", "本年新公开数量"), ("total_published", "对外公开总数量")),
    "item": (("prev_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量")),
    "fee": (("prev_items", "上一年项目数量"), ("change", "本年增/减")),
    "procurement": (("count", "采购项目数量"), ("amount_wan", "采购总金额")),
}
T2_2019_ROWS = (
    ("第二十条第（一）项", "doc", (("regulations", "规章"), ("normative_docs", "规范性文件"))),
    ("第二十条第（五）项", "item", (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项"))),
    ("第二十条第（六）项", "item", (("penalty", "行政处罚"), ("coercion", "行政强制"))),
    ("第二十条第（八）项", "fee", (("fees", "行政事业性收费"),)),
    ("第二十条第（九）项", "procurement", (("procurement", "政府集中采购"),)),
)
T2_2021_COLUMNS = {
    "doc": (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")),
    "decisions": (("decisions", "本年处理决定数量"),),
    "fee": (("amount_wan", "本年收费金额（单位：万元）"),),
}
T2_2021_ROWS = (
    ("第二十条第（一）项", "doc", (("regulations", "规章"), ("normative_docs", "行政规范性文件"))),
    ("第二十条第（五）项", "decisions", (("licensing", "行政许可"),)),
    ("第二十条第（六）项", "decisions", (("penalty", "行政处罚"), ("coercion", "行政强制"))),
    ("第二十条第（八）项", "fee", (("fees", "行政事业性收费"),)),
)

# Table 三 (依申请公开).
T3_COLUMNS = (
    ("natural", "自然人"), ("commercial", "商业企业"), ("research", "科研机构"), ("social", "社会公益组织"),
    ("legal", "法律服务机构"), ("other_org", "其他"), ("total", "总计"),
)
T3_APPLICANT_COLUMNS = tuple(c for c, _ in T3_COLUMNS[:-1])
_T3_HEAD = (
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("granted", "（一）予以公开"),
    ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("denied.state_secret", "1.属于国家秘密"),
    ("denied.law_prohibited", "2.其他法律行政法规禁止公开"),
    ("denied.safety_stability", "3.危及“三安全一稳定”"),
    ("denied.third_party", "4.保护第三方合法权益"),
    ("denied.internal_affairs", "5.属于三类内部事务信息"),
    ("denied.process_info", "6.属于四类过程性信息"),
    ("denied.enforcement_file", "7.属于行政执法案卷"),
    ("denied.query_matter", "8.属于行政查询事项"),
    ("unable.not_held", "1.本机关不掌握相关政府信息"),
    ("unable.needs_creation", "2.没有现成信息需要另行制作"),
    ("unable.unclear", "3.补正后申请内容仍不明确"),
    ("rejected.complaint", "1.信访举报投诉类申请"),
    ("rejected.duplicate", "2.重复申请"),
    ("rejected.publication", "3.要求提供公开出版物"),
    ("rejected.mass_repeat", "4.无正当理由大量反复申请"),
    ("rejected.confirm_reissue", "5.要求行政机关确认或重新出具已获取信息"),
)
_T3_TAIL = (("total", "（七）总计"), ("carried_forward", "四、结转下年度继续办理"))
T3_ROWS = {
    "2019": _T3_HEAD + (("other", "（六）其他处理"),) + _T3_TAIL,
    "2021": _T3_HEAD + (
        ("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("other.no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("other.other", "3.其他"),
    ) + _T3_TAIL,
}
# Rows whose sum per column is （七）总计 (every outcome row).
T3_OUTCOME_ROWS = {t: tuple(r for r, _ in rows if r not in ("new", "carried_over", "total", "carried_forward"))
                   for t, rows in T3_ROWS.items()}
T3_GROUPS = {"denied": "（三）不予公开", "unable": "（四）无法提供", "rejected": "（五）不予处理", "other": "（六）其他处理"}

# Table 四 (行政复议、行政诉讼).
T4_BLOCKS = (("review", "行政复议"), ("litigation_direct", "未经复议直接起诉"), ("litigation_after_review", "复议后起诉"))
T4_COLUMNS = (("maintained", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结"), ("total", "总计"))


# The keys are constant: each list is built once, and callers get a copy they may change.
def t2_keys(template: str) -> list[str]:
    return list(_t2_keys(template))


def t3_keys(template: str) -> list[str]:
    return list(_t3_keys(template))


def t4_keys() -> list[str]:
    return list(_t4_keys())


def figure_keys(template: str) -> list[str]:
    """Every figure key of a template, in table order."""
    return list(_figure_keys(template))


def all_figure_keys() -> list[str]:
    """The union over both templates, in a stable order (index schema, CSV columns)."""
    return list(_all_figure_keys())


@lru_cache(maxsize=None)
def _t2_keys(template: str) -> tuple[str, ...]:
    rows, columns = (T2_2019_ROWS, T2_2019_COLUMNS) if template == "2019" else (T2_2021_ROWS, T2_2021_COLUMNS)
    return tuple(f"t2.{row}.{col}" for _, kind, group in rows for row, _ in group for col, _ in columns[kind])


@lru_cache(maxsize=None)
def _t3_keys(template: str) -> tuple[str, ...]:
    return tuple(f"t3.{row}.{col}" for row, _ in T3_ROWS[template] for col, _ in T3_COLUMNS)


@lru_cache(maxsize=None)
def _t4_keys() -> tuple[str, ...]:
    return tuple(f"t4.{block}.{col}" for block, _ in T4_BLOCKS for col, _ in T4_COLUMNS)


@lru_cache(maxsize=None)
def _figure_keys(template: str) -> tuple[str, ...]:
    return _t2_keys(template) + _t3_keys(template) + _t4_keys()


@lru_cache(maxsize=None)
def _all_figure_keys() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for template in TEMPLATES:
        seen.update(dict.fromkeys(_figure_keys(template)))
    return tuple(seen)


def blank_figures(template: str, table: str | None = None) -> dict[str, None]:
    """Every figure key of a template (of one table: "t3"), each null: a new dict the caller fills in."""
    return dict(_blank_figures(template, table))


# Built once per template and copied for each report: copying a dict of two hundred keys
# costs a tenth of building it.
@lru_cache(maxsize=None)
def _blank_figures(template: str, table: str | None) -> dict[str, None]:
    return dict.fromkeys(_t3_keys(template) if table == "t3" else _figure_keys(template))


MONEY_KEYS = frozenset({"t2.procurement.amount_wan", "t2.fees.amount_wan"})


def figure_label(key: str) -> str:
    """A figure key's Chinese label: its row's label and its column's header (t2.procurement.count ->
    政府集中采购 · 采购项目数量); the key itself when it is not one."""
    return _figure_labels().get(key, key)


@lru_cache(maxsize=None)
def _figure_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for rows, columns in ((T2_2019_ROWS, T2_2019_COLUMNS), (T2_2021_ROWS, T2_2021_COLUMNS)):
        for _, kind, group in rows:
            for row, row_label in group:
                labels.update({f"t2.{row}.{col}": f"{row_label} · {header}" for col, header in columns[kind]})
    groups = {**T3_GROUPS}
    for template_rows in T3_ROWS.values():
        for row, row_label in template_rows:
            group = groups.get(row.split(".")[0]) if "." in row else None
            label = f"{group}{row_label}" if group else row_label
            labels.update({f"t3.{row}.{col}": f"{label} · {header}" for col, header in T3_COLUMNS})
    for block, block_label in T4_BLOCKS:
        labels.update({f"t4.{block}.{col}": f"{block_label} · {header}" for col, header in T4_COLUMNS})
    return labels
