"""Where OCR looks: the page's skew from its rulings, and detection on the inked bands of the
page only (indexer/ocr/grid.py, indexer/ocr/engine.py; docs/ocr.md, "Speed")."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from indexer.ocr import engine, grid
from indexer.ocr.copier import scan_pages

ROOT = Path(__file__).resolve().parent.parent
HONGZE = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"


def gray(page) -> np.ndarray:
    return np.asarray(page.convert("L"))


@pytest.mark.parametrize("angle", [-2.5, -1.0, -0.3, 0.8, 1.7])
def test_the_skew_of_a_ruled_page_is_measured_within_a_twentieth_of_a_degree(angle):
    table_page = scan_pages(HONGZE, dpi=200, angle=angle)[2]
    assert grid.skew_angle(gray(table_page)) == pytest.approx(-angle, abs=0.05)


def test_a_page_without_rulings_is_left_as_it_is():
    text_page = scan_pages(HONGZE, dpi=200, angle=0.8)[0]
    assert grid.skew_angle(gray(text_page)) == 0.0


def test_ink_bands_leave_out_the_blank_paper_between_and_around_the_text():
    page = np.full((1000, 700, 3), 255, dtype=np.uint8)
    page[100:130, 200:500] = 0      # a line
    page[150:170, 220:400] = 0      # the next, closer than twice the margin: the same band
    page[800:820, 330:360] = 0      # a page number far below: a band of its own
    bands, (left, right) = engine.ink_bands(page)
    margin = engine.DET_MARGIN
    assert bands == [(100 - margin, 170 + margin), (800 - margin, 820 + margin)]
    assert (left, right) == (200 - margin, 500 + margin)
    assert engine.ink_bands(np.full((300, 300, 3), 255, dtype=np.uint8))[0] == []


def _rect(quad: np.ndarray) -> tuple[float, float, float, float]:
    return quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()


def _iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def test_detection_on_the_inked_bands_finds_the_lines_the_whole_page_shows():
    """The boxes RapidOCR finds on the whole page, in page pixels, are found on the stacked
    bands too (a band's offset wrong by a pixel row would lose them all)."""
    found = whole = 0
    for page in scan_pages(HONGZE, dpi=200, angle=0.8):
        image = grid.deskew(np.asarray(page.convert("RGB")))
        height, width = image.shape[:2]
        scale = engine.DET_SIDE / max(height, width)
        small = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        ocr = engine.engine()
        reference = [_rect(np.asarray(q) / scale) for q in ocr.text_det(small)[0]]
        stacked = [_rect(q) for q in engine.detect(image)]
        whole += len(reference)
        found += sum(any(_iou(r, s) > 0.5 for s in stacked) for r in reference)
        assert abs(len(stacked) - len(reference)) <= max(2, len(reference) // 10)
    assert whole > 200 and found >= 0.95 * whole


def test_body_text_read_narrowed_reads_as_at_full_width(monkeypatch):
    """Body lines go to the recogniser at LINE_WIDTH_SHARE of their width (~40% fewer columns
    on the real report's narrative page) and read the same text as at full width."""
    page = grid.deskew(np.asarray(scan_pages(HONGZE, dpi=200, angle=0.8)[0].convert("RGB")))
    quads = engine.detect(page)
    widths = {"narrowed": 0, "full": 0}
    line_input = engine._line_input

    def counted(crop, share):
        line = line_input(crop, share)
        widths["narrowed" if share < 1 else "full"] += line.shape[1]
        return line

    monkeypatch.setattr(engine, "_line_input", counted)
    narrowed = [text for text, _ in engine.read_lines(page, quads)]
    narrowed_columns = widths["narrowed"] + widths["full"]
    widths.update(narrowed=0, full=0)
    monkeypatch.setattr(engine, "LINE_WIDTH_SHARE", 1.0)
    full = [text for text, _ in engine.read_lines(page, quads)]
    assert len(full) > 20 and narrowed == full
    assert narrowed_columns < 0.75 * widths["full"]
