"""Figures read by OCR: each keeps its confidence, and an uncertain one is confirmed by the
table's own sums (勾稽关系) or left null with the flag ``ocr_uncertain`` (docs/ocr.md, docs/flags.md).

Which figure came from which OCR'd cell is found by mapping the document a second
time with every numeric OCR cell replaced by a unique marker number: the key that
receives a marker came from that cell. A key whose value changes without receiving
a marker was computed from OCR'd cells (split or completed by the mapper), counts
as uncertain too, and carries the lowest confidence of its table's cells.

A reading is uncertain when its confidence is below CONFIDENT or a look-alike letter
had to be read as a digit. It is kept when
- the identities it takes part in that can be evaluated (no cell null) all hold with it,
  and there is at least one, or
- the identities in which it is the only unknown all give its value: that value equals
  the reading (confirmed), or the reading is missing or contradicted by two or more
  identities (repaired; the cell's note says so).
A reading under SURE confidence in a sum that does not hold, and in none that does,
is left null too: one of that sum's cells is misread, and nothing says which.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from ..document import Document, Table
from ..figure_keys import T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS
from ..report import Flag
from .digits import clean_value, to_int
from .figures import FigureResult, document_to_figures

CONFIDENT = 0.9
# Below this, a reading in a broken sum is suspect (PP-OCR's rare confident misreads score lower).
SURE = 0.98
MARKER = 7_000_000_000  # far above any count a report prints

Identity = tuple[tuple[str, ...], tuple[str, ...]]  # sum(left) == sum(right)


@lru_cache(maxsize=None)
def identities(template: str | None) -> tuple[Identity, ...]:
    """The table sums of a template: row totals, column balances and outcomes (table 三), block totals (四)."""
    out: list[Identity] = []
    cols = [c for c, _ in T3_COLUMNS]
    for row, _ in T3_ROWS.get(template or "2021", ()):
        out.append((tuple(f"t3.{row}.{c}" for c in T3_APPLICANT_COLUMNS), (f"t3.{row}.total",)))
    for col in cols:
        out.append(((f"t3.new.{col}", f"t3.carried_over.{col}"), (f"t3.total.{col}", f"t3.carried_forward.{col}")))
        outcome_rows = T3_OUTCOME_ROWS[template or "2021"]
        out.append((tuple(f"t3.{r}.{col}" for r in outcome_rows), (f"t3.total.{col}",)))
    parts = [c for c, _ in T4_COLUMNS if c != "total"]
    for block, _ in T4_BLOCKS:
        out.append((tuple(f"t4.{block}.{c}" for c in parts), (f"t4.{block}.total",)))
    return tuple(out)


def _marked(document: Document) -> tuple[Document, dict[int, dict]]:
    """The document with every numeric OCR'd cell replaced by its marker number."""
    markers: dict[int, dict] = {}
    blocks = []
    for block in document.blocks:
        if not isinstance(block, Table) or block.ocr is None:
            blocks.append(block)
            continue
        rows = []
        for row, infos in zip(block.rows, block.ocr):
            new_row = []
            for text, info in zip(row, infos):
                # a number, or ink the engine could not read (blank for the mapper, but not blank)
                if info is not None and (to_int(clean_value(text)) is not None or not info["read"]):
                    marker = MARKER + len(markers)
                    markers[marker] = dict(info, text=text)
                    text = str(marker)
                new_row.append(text)
            rows.append(new_row)
        blocks.append(Table(rows, ocr=block.ocr))
    return replace(document, blocks=blocks), markers


def _holds(identity: Identity, values: dict) -> bool | None:
    left, right = identity
    vals = [values.get(k) for k in left + right]
    if any(v is None for v in vals):
        return None
    return sum(vals[:len(left)]) == sum(vals[len(left):])


def apply_ocr_confidence(document: Document, result: FigureResult) -> FigureResult:
    """Confidence in ``cells`` for every OCR'd figure; uncertain readings confirmed, repaired or nulled."""
    if not result.figures:
        return result
    marked_document, markers = _marked(document)
    if not markers:
        return result
    marked = document_to_figures(marked_document)
    uncertain: dict[str, str] = {}  # key -> what was read, for the note
    confidence: dict[str, float] = {}
    derived: list[str] = []
    for key, value in result.figures.items():
        seen = marked.figures.get(key)
        if seen in markers:
            info = markers[seen]
            cell = result.cells.setdefault(key, {"raw": info["text"]})
            cell["confidence"] = confidence[key] = info["conf"]
            if not info["read"]:
                uncertain[key] = "OCR found ink in the cell but could not read it"
            elif info["normalised"] or info["conf"] < CONFIDENT:
                uncertain[key] = f"OCR read '{info['read']}' (confidence {info['conf']:.2f})"
        elif seen != value and value is not None:
            uncertain[key] = f"computed by the mapper from OCR'd cells ({value})"
            derived.append(key)
    # a figure computed from several cells carries the lowest confidence of its table's cells
    for key in derived:
        table = key.split(".", 1)[0] + "."
        lowest = min((c for k, c in confidence.items() if k.startswith(table)), default=None)
        if lowest is not None:
            result.cells.setdefault(key, {"raw": ""})["confidence"] = lowest
    suspect = {key: note for key, note in _in_broken_sums(result, confidence).items() if key not in uncertain}
    if not uncertain and not suspect:
        return result
    _settle(result, uncertain)
    for key in sorted(suspect):
        _leave_null(result, key, suspect[key])
    return result


def _in_broken_sums(result: FigureResult, confidence: dict[str, float]) -> dict[str, str]:
    """OCR'd figures read with less than SURE confidence that sit in a sum that does not hold
    and in no sum that does: one of them may be misread, and nothing says which."""
    ids = identities(result.template)
    verdicts: dict[str, list[bool | None]] = {}
    for identity in ids:
        verdict = _holds(identity, result.figures)
        for key in identity[0] + identity[1]:
            verdicts.setdefault(key, []).append(verdict)
    return {key: f"OCR read confidence {conf:.2f} in a sum that does not hold"
            for key, conf in confidence.items()
            if conf < SURE and False in verdicts.get(key, []) and True not in verdicts.get(key, [])}


def _settle(result: FigureResult, uncertain: dict[str, str]) -> None:
    values = result.figures
    ids = identities(result.template)
    involved: dict[str, list[Identity]] = {}
    for identity in ids:
        for key in identity[0] + identity[1]:
            involved.setdefault(key, []).append(identity)
    open_keys = set()
    for key in uncertain:
        checked = [_holds(i, values) for i in involved.get(key, [])]
        if values.get(key) is not None and True in checked and False not in checked:
            _note(result, key, f"{uncertain[key]}; confirmed by the table's sums")
        else:
            open_keys.add(key)
    known = {k: v for k, v in values.items() if k not in open_keys}
    changed = True
    while changed and open_keys:
        changed = False
        derived: dict[str, list[int]] = {}
        for identity in ids:
            keys = identity[0] + identity[1]
            unknown = [k for k in keys if k in open_keys]
            if len(unknown) != 1 or any(known.get(k) is None for k in keys if k not in open_keys):
                continue
            key = unknown[0]
            left = sum(known[k] for k in identity[0] if k != key)
            right = sum(known[k] for k in identity[1] if k != key)
            derived.setdefault(key, []).append(right - left if key in identity[0] else left - right)
        for key, found in derived.items():
            if len(set(found)) != 1 or found[0] < 0:
                continue
            value, reading = found[0], values.get(key)
            if reading == value:
                _note(result, key, f"{uncertain[key]}; confirmed by the table's sums")
            elif reading is None or len(found) >= 2:
                values[key] = value
                _note(result, key, f"{uncertain[key]}; repaired from the table's sums: {value} is the only value "
                                   f"that makes {len(found)} of them hold")
            else:
                continue
            known[key] = value
            open_keys.discard(key)
            changed = True
    for key in sorted(open_keys):
        _leave_null(result, key, f"{uncertain[key]}, not confirmed by the table's sums")


def _leave_null(result: FigureResult, key: str, why: str) -> None:
    result.figures[key] = None
    result.unread.add(key)
    _note(result, key, f"{why}: left null")
    result.flags.append(Flag("ocr_uncertain", key, why))


def _note(result: FigureResult, key: str, note: str) -> None:
    cell = result.cells.setdefault(key, {"raw": ""})
    cell["note"] = f"{cell['note']}; {note}" if cell.get("note") else note
