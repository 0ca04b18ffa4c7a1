"""What the report page shows, built from a Report as plain data: tables 二/三/四
laid out as the template prints them, the cells each failed check involves,
the query's terms marked on the original text, and the agency's other years.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from indexer.aliases import report_aliases
from indexer.figure_keys import (T2_2019_COLUMNS, T2_2019_ROWS, T2_2021_COLUMNS, T2_2021_ROWS, T3_APPLICANT_COLUMNS,
                                 T3_COLUMNS, T3_GROUPS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS, TEMPLATES,
                                 figure_keys)
from indexer.highlight import Highlighter
from indexer.passages import mark_range, marked_sentences, section_body
from indexer.report import Flag, Report
from indexer.vocabulary import CANONICAL_HEADINGS, SECTION_NUMBERS

from .urls import passage_anchor


# Figures shown on result cards and compared across years; procurement only
# exists in the 2019 template, fees in the 2021 one.
KEY_ALIASES = ("applications", "granted", "partial", "denied", "unable", "rejected", "review", "litigation",
               "procurement_count", "procurement_amount", "fees_amount")
TEMPLATE_ONLY = {"procurement_count": "2019", "procurement_amount": "2019", "fees_amount": "2021"}
# Findings about the whole report or a whole table, not about particular cells.
NON_CELL_FLAGS = frozenset({"blank_cells", "region_ambiguous", "region_fuzzy", "template_unknown", "year_mismatch"})
_T3_BALANCE_ROWS = ("new", "carried_over", "total", "carried_forward")


@dataclass
class Cell:
    """One figure of a table: its value (None = blank), raw text and the flags touching it."""
    key: str
    value: float | int | None
    raw: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)
    # the query's comparisons and flag filters that point at this cell (web/cell_links.py)
    matched: list[str] = field(default_factory=list)


@dataclass
class Label:
    """A row-label cell of table 三, spanning rows or columns as the template does."""
    text: str
    rowspan: int = 1
    colspan: int = 1


def key_aliases_for(template: str | None) -> list[str]:
    """The key figures that exist in a template (all of them when it is unknown)."""
    return [a for a in KEY_ALIASES if template is None or TEMPLATE_ONLY.get(a, template) == template]


def flag_keys(flag: Flag, template: str | None) -> set[str]:
    """The figure keys a flag's ``where`` points at: a key, a table-三 column or row, a table-四 block."""
    if flag.code in NON_CELL_FLAGS or flag.code.startswith("missing_"):
        return set()
    keys = set(figure_keys(template)) if template in TEMPLATES else set(figure_keys("2019")) | set(figure_keys("2021"))
    found: set[str] = set()
    for where in re.split(r"[,\s]+", flag.where or ""):
        if not where:
            continue
        if where in keys:
            found.add(where)
        elif flag.code == "t3_balance" and where in dict(T3_COLUMNS):
            found |= {f"t3.{row}.{where}" for row in _T3_BALANCE_ROWS}
        elif flag.code == "t3_outcomes" and where in dict(T3_COLUMNS):
            outcome_rows = T3_OUTCOME_ROWS.get(template, T3_OUTCOME_ROWS["2019"])
            found |= {f"t3.{row}.{where}" for row in outcome_rows + ("total",)}
        elif flag.code == "t3_row_total":
            row = where.removeprefix("t3.")
            found |= {k for k in keys if k.startswith(f"t3.{row}.") and k.count(".") == row.count(".") + 2}
        elif flag.code == "t4_total":
            block = where.removeprefix("t4.")
            found |= {k for k in keys if k.startswith(f"t4.{block}.")}
        else:  # a table (t4), a row with or without its table (denied.state_secret, t2.procurement)
            prefixes = (where, *(f"{table}.{where}" for table in ("t2", "t3", "t4")))
            found |= {k for k in keys for p in prefixes if k == p or k.startswith(p + ".")}
    return found & keys


def cells_by_flag(report: Report) -> dict[str, list[str]]:
    """figure key -> codes of the flags that involve it."""
    marked: dict[str, list[str]] = {}
    for flag in report.flags:
        for key in flag_keys(flag, report.template):
            marked.setdefault(key, []).append(flag.code)
    return marked


def _cell(report: Report, key: str, marked: dict[str, list[str]], matched: dict[str, list[str]] | None) -> Cell:
    raw = report.cells.get(key) or {}
    return Cell(key, report.figures.get(key), raw.get("raw"), raw.get("note"), marked.get(key, []),
                (matched or {}).get(key, []))


def table2_model(report: Report, matched: dict[str, list[str]] | None = None) -> list[dict]:
    """Table 二 as printed: groups (第二十条第…项), each with its header row and rows of cells.

    :param matched: figure key -> what of the query points at it (web/cell_links.py).
    """
    if report.template == "2021":
        rows, columns = T2_2021_ROWS, T2_2021_COLUMNS
    else:
        rows, columns = T2_2019_ROWS, T2_2019_COLUMNS
    marked = cells_by_flag(report)
    groups = []
    for caption, kind, group in rows:
        headers = [label for _, label in columns[kind]]
        body = [(label, [_cell(report, f"t2.{row}.{col}", marked, matched) for col, _ in columns[kind]]) for row, label in group]
        groups.append({"caption": caption, "headers": headers, "rows": body})
    return groups


def table3_model(report: Report, matched: dict[str, list[str]] | None = None
                 ) -> list[tuple[list[Label], list[Cell]]]:
    """Table 三's rows: the label cells (with the template's row/column spans) and seven value cells."""
    template = report.template if report.template in T3_ROWS else "2019"
    rows = T3_ROWS[template]
    outcome_rows = T3_OUTCOME_ROWS[template]
    result_span = len(outcome_rows) + 1  # every outcome row plus （七）总计
    group_sizes: dict[str, int] = {}
    for row, _ in rows:
        if "." in row:
            group_sizes[row.split(".")[0]] = group_sizes.get(row.split(".")[0], 0) + 1
    marked = cells_by_flag(report)
    model, seen_groups = [], set()
    for row, label in rows:
        labels: list[Label] = []
        if row in ("new", "carried_over", "carried_forward"):
            labels.append(Label(label, colspan=3))
        else:
            if row == outcome_rows[0]:
                labels.append(Label("三、本年度办理结果", rowspan=result_span))
            group = row.split(".")[0] if "." in row else None
            if group:
                if group not in seen_groups:
                    seen_groups.add(group)
                    labels.append(Label(T3_GROUPS[group], rowspan=group_sizes[group]))
                labels.append(Label(label))
            else:
                labels.append(Label(label, colspan=2))
        model.append((labels, [_cell(report, f"t3.{row}.{col}", marked, matched) for col, _ in T3_COLUMNS]))
    return model


def table4_model(report: Report, matched: dict[str, list[str]] | None = None) -> list[Cell]:
    """Table 四's fifteen value cells, block by block (review, direct, after review)."""
    marked = cells_by_flag(report)
    return [_cell(report, f"t4.{block}.{col}", marked, matched) for block, _ in T4_BLOCKS for col, _ in T4_COLUMNS]


T3_APPLICANT_HEADERS = [label for col, label in T3_COLUMNS if col in T3_APPLICANT_COLUMNS]
T4_BLOCK_HEADERS = [label for _, label in T4_BLOCKS]
T4_COLUMN_HEADERS = [label for _, label in T4_COLUMNS]


def mark_terms(text: str, highlighter: Highlighter | None) -> Markup:
    """``text`` HTML-escaped, with every match of the query's terms wrapped in <mark>."""
    if not highlighter:
        return escape(text)
    pieces, last = [], 0
    for start, end in highlighter.spans(text):
        pieces.append(escape(text[last:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def mark_passages(text: str, highlighter: Highlighter | None, part: int, base: int) -> Markup:
    """``text`` (a part's text from offset ``base`` on) HTML-escaped, the query's terms in <mark>, and each
    sentence holding one wrapped in a span whose id is the passage's anchor (``p<part>-<offset>``)."""
    if not highlighter:
        return escape(text)
    spans = highlighter.spans(text)
    pieces, cursor = [], 0
    for start, end in marked_sentences(text, spans):
        pieces.append(mark_range(text, spans, cursor, start))
        pieces.append(f'<span class="passage" id="{passage_anchor(part, base + start)}">'
                      f'{mark_range(text, spans, start, end)}</span>')
        cursor = end
    pieces.append(mark_range(text, spans, cursor, len(text)))
    return Markup("".join(pieces))


def report_parts(report: Report, highlighter: Highlighter | None) -> list[dict]:
    """The six parts as the page shows them: heading and text HTML-escaped, the query's terms marked
    (only in the parts a ``section:`` filter names, if any); a part the report lacks has no text."""
    parts = []
    for n in SECTION_NUMBERS:
        section = report.section(n)
        part_terms = highlighter if highlighter and highlighter.marks_part(n) else None
        heading = section.heading if section else CANONICAL_HEADINGS[n]
        base, text = section_body(section) if section else (0, "")
        html = mark_passages(text, part_terms, n, base) if text.strip() else None
        parts.append({"n": n, "heading": mark_terms(heading, part_terms), "found": section is not None,
                      "html": html, "has_marks": bool(html and "<mark>" in html)})
    return parts


def agency_years(reports: list[Report], current_id: str) -> dict:
    """The agency's reports side by side: one column per report (by year), one row per key
    figure, each value with its change on the previous column (None when either is blank)."""
    ordered = sorted(reports, key=lambda r: (r.year is None, r.year or 0, r.id))
    columns = [{"id": r.id, "year": r.year, "template": r.template, "current": r.id == current_id}
               for r in ordered]
    values = [report_aliases(r.figures) for r in ordered]
    templates = {r.template for r in ordered}
    aliases = [a for a in KEY_ALIASES if TEMPLATE_ONLY.get(a) is None or TEMPLATE_ONLY[a] in templates]
    rows = []
    for alias in aliases:
        series, previous = [], None
        for figures in values:
            value = figures.get(alias)
            change = value - previous if value is not None and previous is not None else None
            series.append({"value": value, "change": change})
            previous = value
        rows.append({"alias": alias, "values": series})
    return {"columns": columns, "rows": rows}


def format_rate(value) -> str:
    """A rate (a share, 0-1) for display as a percentage with one decimal; blank for None."""
    return "" if value is None else f"{value * 100:.1f}%"


def format_number(value) -> str:
    """A figure for display: blank for None (never 0), whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
