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
ALIAS_SOURCES = {
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


def _count(sources):
    return lambda figures: _sum(figures[key] for key in sources(figures))


# alias -> (description, its value as a function of the figures): the counts, then the rates
ALIASES = {name: (description, _count(sources)) for name, (description, sources) in ALIAS_SOURCES.items()}
COUNT_ALIASES = tuple(ALIASES)

# Rates are rounded so that the same report gives the same value in the index, the export and the page.
RATE_DIGITS = 6


def _ratio(numerator: float | int | None, denominator: float | int | None) -> float | None:
    """numerator / denominator, None when either is blank or the denominator is 0 (never 0 or infinity)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, RATE_DIGITS)


def _litigation_corrected(figures: Figures) -> float | int | None:
    direct = figures.get("t4.litigation_direct.corrected")
    after_review = figures.get("t4.litigation_after_review.corrected")
    if direct is None or after_review is None:
        return None  # a blank numerator part leaves the rate unknown, not lower
    return direct + after_review


def _carry_forward_base(figures: Figures) -> float | int | None:
    applications, carried_over = ALIASES["applications"][1](figures), ALIASES["carried_over"][1](figures)
    # both must be known: a blank carried_over would understate the base and overstate the share
    if applications is None or carried_over is None:
        return None
    return applications + carried_over


# rate -> (description, numerator, denominator, the aliases and figure keys whose cells it reads)
RATES = {
    "grant_rate": ("granted / handled", ALIASES["granted"][1], ALIASES["handled"][1], ("granted", "handled")),
    "partial_rate": ("partial / handled", ALIASES["partial"][1], ALIASES["handled"][1], ("partial", "handled")),
    "denial_rate": ("denied / handled", ALIASES["denied"][1], ALIASES["handled"][1], ("denied", "handled")),
    "unable_rate": ("unable / handled", ALIASES["unable"][1], ALIASES["handled"][1], ("unable", "handled")),
    "rejected_rate": ("rejected / handled", ALIASES["rejected"][1], ALIASES["handled"][1], ("rejected", "handled")),
    "correction_rate": ("t4.review.corrected / review", lambda f: f.get("t4.review.corrected"),
                        ALIASES["review"][1], ("t4.review.corrected", "review")),
    "litigation_loss_rate": ("(t4.litigation_direct.corrected + t4.litigation_after_review.corrected) / litigation",
                             _litigation_corrected, ALIASES["litigation"][1],
                             ("t4.litigation_direct.corrected", "t4.litigation_after_review.corrected", "litigation")),
    "carry_forward_share": ("carried_forward / (applications + carried_over)", ALIASES["carried_forward"][1],
                            _carry_forward_base, ("carried_forward", "applications", "carried_over")),
}

# The rates are aliases too (queries, sorting, the index, exports): one table of every name.
ALIASES.update({name: (f"rate: {description}", lambda f, num=numerator, den=denominator: _ratio(num(f), den(f)))
                for name, (description, numerator, denominator, _) in RATES.items()})


def is_rate(alias: str) -> bool:
    """Whether an alias is a rate (a share between 0 and 1, summed never, averaged instead)."""
    return alias in RATES


def alias_sources(alias: str, figures: Figures) -> list[str]:
    """The figure keys whose cells ``alias``'s value is read from in a report: a count's total cell,
    else its filled parts; a rate's numerator and denominator cells; [] when nothing is filled in.
    A figure key stands for itself."""
    if alias in RATES:
        return list(dict.fromkeys(key for part in RATES[alias][3] for key in alias_sources(part, figures)))
    if alias in ALIAS_SOURCES:
        return ALIAS_SOURCES[alias][1](figures)
    return _filled(figures, (alias,))


def report_aliases(figures: Figures) -> dict[str, float | int | None]:
    """Every alias computed from a report's figures (None where nothing was filled in).

    Each count once: a rate whose numerator or denominator is a count takes the count's value
    (an export computes this for every row it writes)."""
    values = {name: ALIASES[name][1](figures) for name in COUNT_ALIASES}
    counted = {ALIASES[name][1]: value for name, value in values.items()}
    for name, (_, numerator, denominator, _) in RATES.items():
        values[name] = _ratio(counted[numerator] if numerator in counted else numerator(figures),
                              counted[denominator] if denominator in counted else denominator(figures))
    return values
