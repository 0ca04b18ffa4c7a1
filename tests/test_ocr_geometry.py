"""Where OCR looks: the page's skew from its rulings, detection on the inked bands of the page
outside its tables only, and a table cell's lines from its own ink (indexer/ocr/grid.py,
indexer/ocr/engine.py, indexer/ocr/scan.py; docs/ocr.md, "Speed")."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer.generate.binary import CJK_FONT_FILES
from indexer.ocr import engine, grid, scan
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
    assert grid.page_skew(gray(text_page)) == 0.0  # a copier's skew: the coarse measure leaves it


@pytest.mark.parametrize("angle", [-11.0, -5.0, 4.0, 8.0])
def test_a_page_leaning_past_a_copiers_skew_is_measured_coarsely_then_by_its_rulings(angle):
    """Past 3° the rulings break into steps too short to be found: a hand-fed page at 5° had no
    table and gave no figure at all."""
    table_page = scan_pages(HONGZE, dpi=200, angle=angle)[2]
    assert grid.skew_angle(gray(table_page)) == 0.0
    assert grid.page_skew(gray(table_page)) == pytest.approx(-angle, abs=0.1)


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
    """Body lines go to the recogniser at LINE_WIDTH_SHARE of their width and read the same text
    as at full width, through ≥ 15% fewer columns on the real report's narrative page, the lines
    read twice included (40% fewer for a line read once)."""
    page = grid.deskew(np.asarray(scan_pages(HONGZE, dpi=200, angle=0.8)[0].convert("RGB")))
    quads = engine.detect(page)
    widths = {"narrowed": 0, "full": 0}
    line_input = engine._line_input

    def counted(crop, share):
        line = line_input(crop, share)
        widths["narrowed" if share < 1 else "full"] += line.shape[1]
        return line

    monkeypatch.setattr(engine, "_line_input", counted)
    narrowed = [text for text, _ in engine.read_lines(engine.line_crops(page, quads))]
    narrowed_columns = widths["narrowed"] + widths["full"]
    widths.update(narrowed=0, full=0)
    monkeypatch.setattr(engine, "LINE_WIDTH_SHARE", 1.0)
    full = [text for text, _ in engine.read_lines(engine.line_crops(page, quads))]
    assert len(full) > 20 and narrowed == full
    assert narrowed_columns < 0.85 * widths["full"]


def _cell_marks(lines: list[str], size: int = 28) -> np.ndarray:
    """The ink marks of a cell holding ``lines`` of text, set at ``size`` px with 30% leading."""
    font = ImageFont.truetype(str(next(p for p in CJK_FONT_FILES if p.exists())), size)
    image = Image.new("L", ((max(map(len, lines)) + 2) * size, round((len(lines) + 2) * 1.3 * size)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((size, round((n + 1) * 1.3 * size)), line, fill=0, font=font)
    return grid.ink_marks(grid.binarise(np.asarray(image)), 0, 0, image.width, image.height)


@pytest.mark.parametrize("lines, parts", [(["三"], 1), (["宁"], 1), (["二、"], 1), (["（一）予以公开"], 1),
                                          (["商业企", "业"], 2), (["结果", "维持"], 2),
                                          (["三、", "本年", "度办", "理结", "果"], 5),
                                          (["12" + " " * 12 + "行政事业性收费" + " " * 12 + "3"], 3)])
def test_a_cells_ink_is_cut_into_its_lines_of_text(lines, parts):
    """The strokes of 三 or 宁 lie in runs of rows of their own and are one line; a label
    wrapped onto several lines gives each, in order; a row held in one cell (its rulings lost)
    gives each text apart. The line height is measured as ocr_page measures it, over a table's
    cells, most of them figures."""
    cells = [_cell_marks(["0"])] * 6 + [_cell_marks(["12"]), _cell_marks(["本年度"]), _cell_marks(lines)]
    height = scan._text_height(cells)
    found = grid.text_lines(cells[-1], scan.LINE_JOIN * height, scan.WORD_GAP * height)
    assert len(found) == parts
    ruling = np.array([[found[-1][2] + 40, 0, found[-1][2] + 43, found[-1][3] + 40]])  # a lost ruling's stub
    assert grid.text_lines(np.concatenate([cells[-1], ruling]), scan.LINE_JOIN * height, scan.WORD_GAP * height) == found
    assert len({top for _x0, top, _x1, _y1 in found}) == len(lines)
    assert found == sorted(found, key=lambda box: (box[1], box[0]))


def test_the_detector_is_not_given_the_tables_whose_cells_are_read_from_their_ink():
    """On the real report's table page the detector sees no table (its lines come from the
    cells' own ink) and every figure cell of the page is still read."""
    page = grid.deskew(np.asarray(scan_pages(HONGZE, dpi=200, angle=0.8)[2].convert("RGB")))
    tables = grid.find_tables(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY))
    assert tables
    for quad in engine.detect(scan._without_tables(page, tables)):
        x0, y0, x1, y1 = _rect(quad)
        assert not any(t["xs"][0] <= (x0 + x1) / 2 <= t["xs"][-1] and t["ys"][0] <= (y0 + y1) / 2 <= t["ys"][-1]
                       for t in tables)
    record = scan.ocr_page(page)
    read = [b for b in record["boxes"] if b["cell"] is not None and b["text"].isdigit()]
    assert len(read) >= 100


def test_an_unsure_character_is_read_again_with_its_neighbours_only(monkeypatch):
    """Where a narrowed line has a character read less surely than SURE_CHARACTER, the stretch
    around it, cut at columns of paper, is read again at full width and put in its place: the
    same text, for a fraction of the whole line's second reading."""
    page = grid.deskew(np.asarray(scan_pages(HONGZE, dpi=200, angle=0.8)[0].convert("RGB")))
    crops = engine.line_crops(page, engine.detect(page))

    def narrowed(crop):
        return engine._recognised(engine._line_input(crop, engine.LINE_WIDTH_SHARE), engine.REC_MIN_WIDTH)

    line = next(c for c in sorted(crops, key=lambda c: -c.shape[1])
                if all(p >= engine.SURE_CHARACTER for _c, _x, p in narrowed(c)))
    plain = engine._read_body_line(line)
    assert len(plain) > 20
    recognised = engine._recognised
    widths = []

    def doubting_the_tenth(image, min_width=0):
        found = recognised(image, min_width)
        if not widths:
            character, x, _p = found[10]
            found[10] = (character, x, 0.5)
        widths.append(max(image.shape[1], min_width))
        return found

    monkeypatch.setattr(engine, "_recognised", doubting_the_tenth)
    again = engine._read_body_line(line)
    assert [c for c, _x, _p in again] == [c for c, _x, _p in plain]
    assert len(widths) == 2 and widths[1] < engine._line_input(line, 1.0).shape[1] / 3


def _on_a_desk(page: np.ndarray, corners) -> np.ndarray:
    h, w = page.shape[:2]
    size = (int(w * 1.24), int(h * 1.24))
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]),
                                         np.float32([[size[0] * x, size[1] * y] for x, y in corners]))
    return cv2.warpPerspective(page, matrix, size, borderValue=(92, 84, 70))


def test_only_a_sheet_photographed_at_an_angle_is_flattened():
    """The view is undone where the sheet's four corners lie on the photo, off square; a scan, a
    sheet square in a dark frame, or a sheet that runs out of the photo is left as it is."""
    page = np.asarray(scan_pages(HONGZE, dpi=100, angle=0)[2].convert("RGB"))
    h, w = page.shape[:2]
    photo = _on_a_desk(page, [(0.14, 0.08), (0.86, 0.10), (0.93, 0.92), (0.07, 0.90)])
    flat = grid.flattened_sheet(photo)
    assert flat is not photo and abs(flat.shape[1] / flat.shape[0] - w / h) < 0.1
    # the page's rulings run level again: its skew is a copier's at most
    assert abs(grid.page_skew(cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY))) < 1.0
    # light falling unevenly (55% darker on the right): brightness splits the paper, its edges find it
    h_, w_ = photo.shape[:2]
    shade = np.linspace(1.0, 0.45, w_)[None, :, None] * np.linspace(1.0, 0.72, h_)[:, None, None]
    shaded = (photo * shade).astype(np.uint8)
    assert grid._paper_quad(cv2.cvtColor(cv2.resize(shaded, None, fx=0.5, fy=0.5), cv2.COLOR_RGB2GRAY)) is None
    flat = grid.flattened_sheet(shaded)
    assert flat is not shaded and abs(flat.shape[1] / flat.shape[0] - w / h) < 0.1
    assert abs(grid.page_skew(cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY))) < 1.0
    framed = cv2.copyMakeBorder(page, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    cut = _on_a_desk(page, [(0.14, 0.08), (0.86, 0.10), (1.1, 1.2), (-0.1, 1.2)])  # its foot out of the photo
    for left_alone in (page, framed, cut):
        assert grid.flattened_sheet(left_alone) is left_alone
