"""Short aliases (docs/report-format.md: procurement_count, applications, …), derived from figure keys.

A blank reported total falls back to the sum of its parts, so that a report
whose 总计 cell was left empty still answers `applications>0`.
"""
from __future__ import annotations

from .figure_keys import T3_APPLICANT_COLUMNS, T3_ROWS, T4_COLUMNS

Figures = dict[str, float | int | None]


def _sum(values) -> float | int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _filled(figures: Figures, keys) -> list[str]:
    return [k for k in keys if figures.get(k) is not None]


def _t3_row_total(figures: Figures, row: str) -> list[str]:
    total = f"t3.{row}.total"
    if figures.get(total) is not None:
        return [total]
    return _filled(figures, (f"t3.{row}.{col}" for col in T3_APPLICANT_COLUMNS))


# group -> its rows in both templates (the group row of 2019, the sub-rows of 2021), sorted
GROUP_ROWS = {group: sorted({r for template_rows in T3_ROWS.values() for r, _ in template_rows
                             if r == group or r.startswith(group + ".")})
              for group in ("denied", "unable", "rejected", "other")}


def _t3_group(figures: Figures, group: str) -> list[str]:
    return [key for r in GROUP_ROWS[group] for key in _t3_row_total(figures, r)]


def _t4_total(figures: Figures, block: str) -> list[str]:
    total = f"t4.{block}.total"
    if figures.get(total) is not None:
        return [total]
    return _filled(figures, (f"t4.{block}.{col}" for col, _ in T4_COLUMNS[:-1]))


# alias -> (description, the filled figure keys its value is the sum of)
ALIASES = {
    "procurement_count": ("政府集中采购项目数量 (2019 template)", lambda f: _filled(f, ("t2.procurement.count",))),
    "procurement_amount": ("政府集中采购总金额, 万元 (2019 template)",
                           lambda f: _filled(f, ("t2.procurement.amount_wan",))),
    "fees_amount": ("行政事业性收费金额, 万元 (2021 template)", lambda f: _filled(f, ("t2.fees.amount_wan",))),
    "applications": ("本年新收申请 (t3.new.total)", lambda f: _t3_row_total(f, "new")),
    "carried_over": ("上年结转申请 (t3.carried_over.total)", lambda f: _t3_row_total(f, "carried_over")),
    "granted": ("予以公开", lambda f: _t3_row_total(f, "granted")),
    "partial": ("部分公开", lambda f: _t3_row_total(f, "partial")),
    "denied": ("不予公开 (all reasons)", lambda f: _t3_group(f, "denied")),
    "unable": ("无法提供 (all reasons)", lambda f: _t3_group(f, "unable")),
    "rejected": ("不予处理 (all reasons)", lambda f: _t3_group(f, "rejected")),
    "other_handling": ("其他处理", lambda f: _t3_group(f, "other")),
    "handled": ("总计 (t3.total.total)", lambda f: _t3_row_total(f, "total")),
    "carried_forward": ("结转下年度继续办理", lambda f: _t3_row_total(f, "carried_forward")),
    "review": ("行政复议 (t4.review.total)", lambda f: _t4_total(f, "review")),
    "litigation": ("行政诉讼 (direct + after review)",
                   lambda f: _t4_total(f, "litigation_direct") + _t4_total(f, "litigation_after_review")),
}


def alias_sources(alias: str, figures: Figures) -> list[str]:
    """The figure keys ``alias``'s value is the sum of in a report (its total cell, else the filled
    parts); [] when nothing is filled in. A figure key stands for itself."""
    if alias not in ALIASES:
        return _filled(figures, (alias,))
    return ALIASES[alias][1](figures)


def report_aliases(figures: Figures) -> dict[str, float | int | None]:
    """Every alias computed from a report's figures (None where nothing was filled in)."""
    return {name: _sum(figures[key] for key in sources(figures)) for name, (_, sources) in ALIASES.items()}
