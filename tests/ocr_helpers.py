"""What the OCR tests assert of a report read from scans: the original's figures, or null with
ocr_uncertain, never another number (docs/ocr.md)."""
from __future__ import annotations

# The share of figures a scan must give exactly; the rest may only be null with ocr_uncertain.
EXACT_SHARE = 0.85


def uncertain_keys(report) -> set[str]:
    return {f.where for f in report.flags if f.code == "ocr_uncertain"}


def assert_no_wrong_figure(original, scanned) -> float:
    """Every figure of the scan equals the original's or is null with ocr_uncertain; the share exact."""
    flagged = uncertain_keys(scanned)
    for key, value in original.figures.items():
        got = scanned.figures.get(key)
        assert got == value or (got is None and key in flagged), (key, value, got, scanned.cells.get(key))
    return sum(scanned.figures.get(k) == v for k, v in original.figures.items()) / len(original.figures)
