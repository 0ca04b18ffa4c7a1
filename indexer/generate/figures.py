"""The tables of a synthetic report: consistent figures, then a few planted faults.

Every figure is drawn so the 勾稽关系 hold (table 三 per column: new + carried_over =
total + carried_forward, total = the outcome rows; the total column = the applicant
columns; table 四 totals). A chosen share of reports then gets a wrong total, blank
cells or a narrative that restates a figure wrongly; the flags are recomputed from
what ends up written, so the ground truth says exactly what a correct parser finds.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

from ..figure_keys import (T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS,
                           t2_keys)

# How applicants split among the six applicant columns.
_APPLICANT_WEIGHTS = (("natural", 80), ("commercial", 10), ("research", 1), ("social", 2), ("legal", 4),
                      ("other_org", 3))
# How applications end, per outcome row (rows missing here are rarer still).
_OUTCOME_WEIGHTS = {
    "granted": 45, "partial": 10, "denied.state_secret": 0.3, "denied.law_prohibited": 0.5,
    "denied.safety_stability": 0.5, "denied.third_party": 2, "denied.internal_affairs": 1, "denied.process_info": 2,
    "denied.enforcement_file": 0.5, "denied.query_matter": 0.5, "unable.not_held": 20, "unable.needs_creation": 3,
    "unable.unclear": 2, "rejected.complaint": 3, "rejected.duplicate": 2, "rejected.publication": 0.5,
    "rejected.mass_repeat": 0.5, "rejected.confirm_reissue": 0.5, "other": 3, "other.no_correction": 2,
    "other.no_fee": 0.2, "other.other": 1,
}
# Typical yearly applications by level; some kinds draw many more.
_LEVEL_APPLICATIONS = {"province": 60, "city": 20, "county": 6, "township": 2}
_BUSY_KINDS = {"人民政府": 4.0, "自然资源": 3.0, "住建": 2.0, "公安": 1.5, "人社": 1.2, "政府办公室": 1.5}
# Kinds that license, fine and enforce (the others leave those rows at 0).
ENFORCING_KINDS = frozenset({"公安", "市场监管", "自然资源", "生态环境", "交通", "住建", "城市管理", "卫生健康",
                             "应急管理", "农业农村", "水利", "文化旅游", "人民政府", "教育", "人社"})
UNIT_ASSUMED = "unit assumed 万元"
CONVERTED_FROM_YUAN = "converted from 元"
FAULTS = ("t3_total", "t3_row_total", "t4_total", "blank", "narrative")


@dataclass
class FigureSet:
    """What the three tables say, cell by cell, and what the narrative restates."""
    template: str
    values: dict[str, int | float | None]
    raw: dict[str, str]                           # the cell text as written
    notes: dict[str, str]                         # what reading a money cell involves (unit assumed …)
    stated: dict[str, int | float | str] = field(default_factory=dict)   # narrative restatements
    faults: list[str] = field(default_factory=list)


def make_figures(rng: random.Random, template: str, level: str, kind: str, fault_share: float) -> FigureSet:
    """Draw every figure of ``template`` for an agency of ``level``/``kind``.

    :param fault_share: probability that this report gets planted faults.
    """
    values: dict[str, int | float | None] = {}
    values.update(_table_two(rng, template, level, kind))
    values.update(_table_three(rng, template, level, kind))
    values.update(_table_four(rng, values["t3.new.total"]))
    raw = {key: str(value) for key, value in values.items()}
    notes: dict[str, str] = {}
    for key in _money_keys(template):
        raw[key], values[key], note = _money_cell(rng, values[key], assume_unit=template == "2019")
        if note:
            notes[key] = note
    figure_set = FigureSet(template, values, raw, notes)
    figure_set.stated = _restated(values, raw, template)
    if rng.random() < fault_share:
        for fault in rng.sample(FAULTS, rng.choice((1, 1, 2))):
            _plant(rng, figure_set, fault)
    return figure_set


def _money_keys(template: str) -> tuple[str, ...]:
    return ("t2.procurement.amount_wan",) if template == "2019" else ("t2.fees.amount_wan",)


def _number_text(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _money_cell(rng: random.Random, yuan: int, *, assume_unit: bool) -> tuple[str, float | int, str | None]:
    """Write a yuan amount the ways reports do: 63.2 (the template's 万元), 68000元, 6.8万元.

    :param assume_unit: no header states the unit (2019's 采购总金额), so a bare
        amount other than 0 is read as 万元 by assumption.
    """
    wan = round(yuan / 10000, 4)
    wan_value = int(wan) if wan == int(wan) else wan
    wan_text = _number_text(float(wan))
    style = rng.random()
    if yuan and style < 0.25:
        written = f"{yuan:,}" if yuan >= 10000 and rng.random() < 0.3 else str(yuan)
        return f"{written}元", wan_value, CONVERTED_FROM_YUAN
    if yuan and style < 0.45:
        return f"{wan_text}万元", wan_value, None
    return wan_text, wan_value, UNIT_ASSUMED if assume_unit and yuan else None


def _small(rng: random.Random, mean: float) -> int:
    """A small non-negative count with the given mean, often 0."""
    if mean <= 0:
        return 0
    return int(rng.expovariate(1 / mean)) if rng.random() < 0.7 else 0


def _table_two(rng: random.Random, template: str, level: str, kind: str) -> dict[str, int]:
    government = kind in ("人民政府", "政府办公室")
    makes_rules = government and level in ("province", "city")
    scale = {"province": 8, "city": 4, "county": 2, "township": 1}[level]
    values: dict[str, int] = {}
    for key in t2_keys(template):
        values[key] = 0
    if template == "2019":
        for row, able in (("regulations", makes_rules), ("normative_docs", True)):
            made = _small(rng, scale * (1.5 if able else 0)) if row == "regulations" else _small(rng, scale)
            values[f"t2.{row}.new_made"] = made
            values[f"t2.{row}.new_published"] = made - (rng.random() < 0.2 and made > 0)
            values[f"t2.{row}.total_published"] = made + _small(rng, scale * 5)
        for row in ("licensing", "other_services", "penalty", "coercion"):
            prev = _small(rng, scale * 10) if kind in ENFORCING_KINDS or row == "other_services" else 0
            values[f"t2.{row}.prev_items"] = prev
            values[f"t2.{row}.change"] = rng.randint(-min(prev, 3), 3) if prev else 0
            values[f"t2.{row}.decisions"] = _small(rng, scale * 40) if kind in ENFORCING_KINDS else 0
        values["t2.fees.prev_items"] = _small(rng, 2)
        values["t2.fees.change"] = rng.choice((0, 0, 0, -1, 1)) if values["t2.fees.prev_items"] else 0
        count = _small(rng, scale * 1.5)
        values["t2.procurement.count"] = count
        # Yuan, in hundreds so the 万元 conversion stays exact.
        values["t2.procurement.amount_wan"] = rng.randint(5, 3000) * 100 * count if count else 0
    else:
        for row, able in (("regulations", makes_rules), ("normative_docs", True)):
            issued = _small(rng, scale * (1.5 if able else 0)) if row == "regulations" else _small(rng, scale)
            values[f"t2.{row}.issued"] = issued
            values[f"t2.{row}.repealed"] = _small(rng, scale * 0.5)
            values[f"t2.{row}.in_force"] = issued + _small(rng, scale * 5)
        for row in ("licensing", "penalty", "coercion"):
            values[f"t2.{row}.decisions"] = _small(rng, scale * 40) if kind in ENFORCING_KINDS else 0
        values["t2.fees.amount_wan"] = rng.randint(1, 5000) * 100 if rng.random() < 0.15 else 0
    return values


@lru_cache(maxsize=None)
def _t3_layout(template: str) -> tuple[tuple[str, str, str], ...]:
    """(row, column, figure key) of table 三 in figure-key order."""
    return tuple((row, col, f"t3.{row}.{col}") for row, _ in T3_ROWS[template] for col, _ in T3_COLUMNS)


def _table_three(rng: random.Random, template: str, level: str, kind: str) -> dict[str, int]:
    mean = _LEVEL_APPLICATIONS[level] * _BUSY_KINDS.get(kind, 1.0)
    applications = 0 if rng.random() < 0.35 else int(rng.expovariate(1 / mean)) + 1
    columns = [c for c, _ in _APPLICANT_WEIGHTS]
    new = dict.fromkeys(columns, 0)
    for column in rng.choices(columns, [w for _, w in _APPLICANT_WEIGHTS], k=applications):
        new[column] += 1
    outcome_rows = T3_OUTCOME_ROWS[template]
    weights = [_OUTCOME_WEIGHTS[r] for r in outcome_rows]
    by_column: dict[str, dict[str, int]] = {}
    for column in columns:
        carried_over = rng.choice((0, 0, 0, 1, 2)) if new[column] and rng.random() < 0.3 else 0
        carried_forward = min(new[column] + carried_over, rng.choice((0, 0, 0, 1, 2)))
        handled = new[column] + carried_over - carried_forward
        cells = dict.fromkeys(outcome_rows, 0)
        for row in rng.choices(outcome_rows, weights, k=handled):
            cells[row] += 1
        cells.update(new=new[column], carried_over=carried_over, total=handled, carried_forward=carried_forward)
        by_column[column] = cells
    by_column["total"] = {row: sum(by_column[c][row] for c in columns) for row in by_column["natural"]}
    return {key: by_column[col][row] for row, col, key in _t3_layout(template)}


def _table_four(rng: random.Random, applications: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for block, _ in T4_BLOCKS:
        count = _small(rng, 0.05 * applications + 0.2)
        parts = dict.fromkeys(("maintained", "corrected", "other", "pending"), 0)
        for part in rng.choices(list(parts), (60, 10, 15, 15), k=count):
            parts[part] += 1
        for column, _ in T4_COLUMNS:
            values[f"t4.{block}.{column}"] = count if column == "total" else parts[column]
    return values


def _restated(values: dict, raw: dict, template: str) -> dict:
    """The figures the narrative repeats, as the tables have them."""
    stated = {"applications": values["t3.new.total"]}
    if template == "2019" and values["t2.procurement.count"]:
        stated["procurement_count"] = values["t2.procurement.count"]
        stated["procurement_amount_wan"] = values["t2.procurement.amount_wan"]
    return stated


def _plant(rng: random.Random, figures: FigureSet, fault: str) -> None:
    """Spoil one thing, as real reports do."""
    values, raw = figures.values, figures.raw
    if fault == "t3_total":
        key = f"t3.total.{rng.choice(T3_APPLICANT_COLUMNS)}"
    elif fault == "t3_row_total":
        key = f"t3.{rng.choice(list(T3_OUTCOME_ROWS[figures.template])[:4])}.total"
    elif fault == "t4_total":
        key = f"t4.{rng.choice(T4_BLOCKS)[0]}.total"
    elif fault == "blank":
        if rng.random() < 0.5:
            candidates = [k for k in t2_keys(figures.template) if k not in _money_keys(figures.template)]
        else:
            # an applicant's cell left empty in table 三 (its checks are then skipped)
            candidates = [f"t3.{row}.{col}" for row in T3_OUTCOME_ROWS[figures.template] + ("carried_forward",)
                          for col in T3_APPLICANT_COLUMNS if row != "total"]
        for key in rng.sample(candidates, rng.randint(1, 3)):
            values[key] = None
            raw[key] = rng.choice(("", "　", " "))
        figures.faults.append(fault)
        return
    else:
        name = rng.choice(list(figures.stated))
        if name == "procurement_amount_wan":
            figures.stated[name] = round(figures.stated[name] + rng.choice((1, 2, 5)) * 0.1, 4)
        else:
            # never new + carried over: "received" may count both (平潭 2022), so that would agree
            agreeing = {values["t3.new.total"] + values["t3.carried_over.total"]}
            figures.stated[name] += next(d for d in rng.sample((1, 2, 3, 5), 4)
                                         if figures.stated[name] + d not in agreeing)
        figures.faults.append(f"narrative:{name}")
        return
    if values[key] is None:
        return
    values[key] = values[key] + rng.choice((1, 2, 3)) * rng.choice((1, -1)) if values[key] > 3 else values[key] + rng.choice((1, 2, 3))
    raw[key] = _number_text(values[key])
    figures.faults.append(f"{fault}:{key}")
