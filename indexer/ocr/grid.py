"""Ruled tables in a page image: straighten the page, find the ruling lines, recover the grid.

Lines are found by morphology (an opening with a long thin kernel keeps only
long horizontal, resp. vertical, strokes: text strokes are short). A table is a
connected set of ruling lines; its rows and columns lie between the line
positions, and two neighbouring cells are one merged cell where the ruling
between them is missing.
"""
from __future__ import annotations

import cv2
import numpy as np

# Kernel lengths as a share of the page width: a stroke that long is a ruling, not text.
H_KERNEL = 1 / 25
V_KERNEL = 1 / 30  # longer than a digit 1 is tall, shorter than a table row
# A ruling is present between two cells where this share of the boundary is ink.
RULED = 0.5
MIN_TABLE = 1 / 8   # a table spans at least this share of the page width
MAX_SKEW = 3.0      # degrees; more is not a copier's skew (and is left alone)
# The coarse skew of a page whose rulings lean too far to be found (``coarse_skew``)
COARSE_SKEW = 12.0
COARSE_STEP = 0.5
COARSE_GAIN = 1.1
# A frame around the sheet: edge rows or columns mostly of grey under DARK_LEVEL, in a run of
# at least DARK_MARGIN_LEAST of the side (1% of an A4 page at 200 dpi is ~23 px; a ruling is 2-5)
DARK_LEVEL = 100
DARK_MARGIN_LEAST = 0.01
# A photographed sheet (``flattened_sheet``): the paper, brighter than the ground it lies on, is at
# least SHEET_LEAST of the photo, and a corner stands off its square box by more than SHEET_SLANT
# of the box's side (seen at an angle: a sheet lying square is a frame, cut by ``without_dark_margins``).
SHEET_LEAST = 0.3
SHEET_SLANT = 0.01
SHEET_LOOK_SIDE = 1000  # the photo is looked at this long, at most
# The ground a photographed sheet lies on: its edge's median under this share of the middle's.
GROUND_DARKER = 0.75


def binarise(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0; adaptive, so a grey copier background is not ink."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def line_masks(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = ink.shape
    h_len = max(20, int(width * H_KERNEL))
    v_len = max(15, int(width * V_KERNEL))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    return horizontal, vertical


def skew_angle(gray: np.ndarray) -> float:
    """The page's skew in degrees, from its long horizontal rulings (0 when it has none)."""
    angle = _rulings_skew(gray)
    return 0.0 if angle is None else angle


def _rulings_skew(gray: np.ndarray) -> float | None:
    """The page's skew in degrees, from its long horizontal rulings (None when it has none).

    Measured on the page at half size: half a pixel's error over a ruling hundreds of
    pixels long is far under the 0.05° that matter. Each ruling is one connected stroke of
    the opened mask (a skewed ruling is a staircase of touching steps); its angle is the
    least-squares line through its pixels, and the page's is the median weighted by length.
    (A Hough transform cost six times as much, every ink pixel voting for 1,800 angles, and
    read a page turned by 0.8° as 0.75–0.84°: docs/benchmarks.md.)
    """
    ink = binarise(cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA))
    width = ink.shape[1]
    # a shorter kernel than line_masks': a skewed ruling breaks into steps
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (width // 40, 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(horizontal, connectivity=8)
    angles = []
    weights = []
    for label in range(1, count):
        x, y, w, h, _area = stats[label]
        if w < width // 6:
            continue
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == label)
        angle = float(np.degrees(np.arctan(np.polyfit(xs, ys, 1)[0])))
        if abs(angle) <= MAX_SKEW:
            angles.append(angle)
            weights.append(w)
    if not angles:
        return None
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])  # weighted median


def flattened_sheet(image: np.ndarray) -> np.ndarray:
    """A sheet photographed at an angle, lying on a darker ground (a desk, a table), as if it had
    been scanned: its four corners found and the perspective undone. Anything else (a scan, whose
    paper fills the image; a sheet lying square in a frame; no four-cornered sheet) as it is."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = min(1.0, SHEET_LOOK_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    quad = _paper_quad(small)
    if quad is None and _on_a_darker_ground(small):
        quad = _edged_quad(small)  # light falling unevenly splits the paper by brightness: its edges hold
    if quad is None:
        return image
    x, y, w, h = cv2.boundingRect(quad)
    box = np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    corners = _clockwise_from_top_left(quad)
    if np.abs(corners - box).max() <= SHEET_SLANT * max(w, h):
        return image
    rows, columns = small.shape
    inside = SHEET_SLANT * max(rows, columns)
    if ((corners < inside) | (corners > np.float32([columns, rows]) - 1 - inside)).any():
        return image  # a corner on the photo's edge: the sheet runs out of the photo, its corners unknown
    corners /= scale
    width = int(max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3])))
    height = int(max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1])))
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))


def _paper_quad(small: np.ndarray) -> np.ndarray | None:
    """The four corners of the largest bright shape (Otsu's threshold), if it covers SHEET_LEAST."""
    _, paper = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # the text and rulings on the paper are holes in it: closed, so the sheet is one shape
    paper = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return _four_corners(max(contours, key=cv2.contourArea), small.size) if contours else None


def _edged_quad(small: np.ndarray) -> np.ndarray | None:
    """The four corners of the largest closed outline among the photo's edges (Canny), if it covers SHEET_LEAST."""
    edges = cv2.Canny(cv2.GaussianBlur(small, (5, 5), 0), 50, 150)
    edges = cv2.dilate(edges, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return _four_corners(max(contours, key=cv2.contourArea), small.size) if contours else None


def _four_corners(contour: np.ndarray, photo_area: int) -> np.ndarray | None:
    sheet = cv2.convexHull(contour)
    if cv2.contourArea(sheet) < SHEET_LEAST * photo_area:
        return None
    quad = cv2.approxPolyDP(sheet, 0.02 * cv2.arcLength(sheet, True), True).reshape(-1, 2).astype(np.float32)
    return quad if len(quad) == 4 else None


def _on_a_darker_ground(small: np.ndarray) -> bool:
    """Whether the photo's edge (its outer 2%) is much darker than its middle: paper on a desk, not
    a scan, whose edge is paper too."""
    rows, columns = small.shape
    ring = max(2, int(0.02 * min(rows, columns)))
    edge = np.concatenate([small[:ring].ravel(), small[-ring:].ravel(), small[:, :ring].ravel(), small[:, -ring:].ravel()])
    middle = small[rows // 4:rows - rows // 4, columns // 4:columns - columns // 4]
    return float(np.median(edge)) < GROUND_DARKER * float(np.median(middle))


def _clockwise_from_top_left(points: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left."""
    by_sum, by_difference = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.float32([points[np.argmin(by_sum)], points[np.argmin(by_difference)],
                       points[np.argmax(by_sum)], points[np.argmax(by_difference)]])


def without_dark_margins(image: np.ndarray) -> np.ndarray:
    """The page without the dark frame a scan may have around the sheet (the scanner's lid or bed
    beyond a smaller sheet, a photo's table): rows and columns at the edges that are mostly dark,
    in runs of at least DARK_MARGIN_LEAST of the side. A ruling is a few pixels thick and bright
    paper lies on both sides of it, so it is never taken for a frame."""
    dark = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) < DARK_LEVEL
    dark_rows = dark.mean(axis=1) > 0.5  # most of the row: its median is dark
    dark_columns = dark.mean(axis=0) > 0.5

    def margin(dark: np.ndarray) -> int:
        run = int(np.argmin(dark)) if not dark.all() else len(dark)
        return run if run >= DARK_MARGIN_LEAST * len(dark) else 0

    top, bottom = margin(dark_rows), margin(dark_rows[::-1])
    left, right = margin(dark_columns), margin(dark_columns[::-1])
    if not (top or bottom or left or right) or top + bottom >= len(dark_rows) or left + right >= len(dark_columns):
        return image
    return np.ascontiguousarray(image[top:len(dark_rows) - bottom, left:len(dark_columns) - right])


def deskew(image: np.ndarray) -> np.ndarray:
    """The page turned straight (rulings horizontal); as it was when it has no rulings.

    Past MAX_SKEW the rulings break into steps too short to be found, so a page without any is
    first measured coarsely by its lines of ink (``coarse_skew``); if it leans more than a
    copier's skew, it is turned by that much and its rulings then give the fine angle."""
    angle = page_skew(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    if abs(angle) < 0.05:
        return image
    return _turned(image, angle, (255, 255, 255))


def page_skew(gray: np.ndarray) -> float:
    """The turn (degrees) that straightens the page: its rulings' angle, or where it has none it
    can show, its coarse skew refined by the rulings found once turned by that (``deskew``)."""
    angle = _rulings_skew(gray)
    if angle is not None:
        return angle
    coarse = coarse_skew(gray)
    return coarse + skew_angle(_turned(gray, coarse, 255)) if abs(coarse) > MAX_SKEW else 0.0


def _turned(image: np.ndarray, angle: float, paper) -> np.ndarray:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=paper)


def coarse_skew(gray: np.ndarray) -> float:
    """The turn (degrees, up to COARSE_SKEW either way, in COARSE_STEP steps) that lines the
    page's ink up in rows best: the one whose row sums vary most (lines of text and rulings each
    fall into few rows), measured at a quarter of the size; 0 unless it beats none by COARSE_GAIN."""
    small = binarise(cv2.resize(gray, (gray.shape[1] // 4, gray.shape[0] // 4), interpolation=cv2.INTER_AREA))
    small = small.astype(np.float32) / 255

    def rows(angle: float) -> float:
        profile = _turned(small, angle, 0).sum(axis=1)
        return float(np.dot(profile, profile))

    straight = rows(0.0)
    best, score = 0.0, straight
    for angle in np.arange(-COARSE_SKEW, COARSE_SKEW + COARSE_STEP / 2, COARSE_STEP):
        value = rows(float(angle))
        if value > score:
            best, score = float(angle), value
    return best if score > straight * COARSE_GAIN else 0.0


def _positions(profile: np.ndarray, minimum: int) -> list[int]:
    """Centres of the runs where a projection profile reaches ``minimum``."""
    on = profile >= minimum
    positions = []
    start = None
    for i, flag in enumerate(np.append(on, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            positions.append((start + i - 1) // 2)
            start = None
    return positions


def _merge_close(positions: list[int], gap: int) -> list[int]:
    merged: list[list[int]] = []
    for p in positions:
        if merged and p - merged[-1][-1] <= gap:
            merged[-1].append(p)
        else:
            merged.append([p])
    return [sum(group) // len(group) for group in merged]


def find_tables(gray: np.ndarray) -> list[dict]:
    """Every ruled table of a straightened page: {"xs", "ys", "cells"}.

    ``xs``/``ys`` are the column and row rulings (page pixels); ``cells`` lists the
    merged cells as [row, col, rows, cols] spans over the elementary grid.
    """
    ink = binarise(gray)
    horizontal, vertical = line_masks(ink)
    height, width = ink.shape
    rulings = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(rulings)
    tables = []
    for x, y, w, h in _join_boxes([tuple(int(v) for v in stats[label][:4]) for label in range(1, count)], height):
        if w < width * MIN_TABLE or h < 40:
            continue
        h_crop = horizontal[y:y + h, x:x + w]
        v_crop = vertical[y:y + h, x:x + w]
        min_cell = max(12, width // 100)
        ys = _merge_close(_positions((h_crop > 0).sum(axis=1), min_cell * 3), min_cell)
        xs = _merge_close(_positions((v_crop > 0).sum(axis=0), min_cell * 2), min_cell)
        if not ys or len(xs) < 2:
            continue
        # a table cut by the page's edge has no closing ruling: its columns' rulings end it
        reach = np.nonzero((v_crop > 0).sum(axis=1) >= 2)[0]
        if len(reach) and reach[-1] - ys[-1] > min_cell * 2:
            ys.append(int(reach[-1]))
        if len(reach) and ys[0] - reach[0] > min_cell * 2:
            ys.insert(0, int(reach[0]))
        if len(ys) < 2:
            continue
        ys = [int(y + v) for v in ys]
        xs = [int(x + v) for v in xs]
        tables.append({"xs": xs, "ys": ys, "cells": _merged_cells(xs, ys, horizontal, vertical)})
    tables.sort(key=lambda t: t["ys"][0])
    return tables


def _join_boxes(boxes: list[tuple[int, int, int, int]], page_height: int) -> list[tuple[int, int, int, int]]:
    """Ruling components that continue one another (a row whose rulings do not quite touch
    the rest) joined into one table: side by side horizontally, a small gap apart vertically."""
    gap = page_height // 100
    boxes = sorted(boxes, key=lambda b: b[1])
    joined: list[list[int]] = []
    for x, y, w, h in boxes:
        for j in joined:
            jx, jy, jw, jh = j
            overlap = min(x + w, jx + jw) - max(x, jx)
            if overlap > 0.5 * min(w, jw) and y <= jy + jh + gap:
                right, bottom = max(x + w, jx + jw), max(y + h, jy + jh)
                j[0], j[1] = min(x, jx), min(y, jy)
                j[2], j[3] = right - j[0], bottom - j[1]
                break
        else:
            joined.append([x, y, w, h])
    return [tuple(j) for j in joined]


def _ruled(mask: np.ndarray, fixed: int, start: int, end: int, along_x: bool) -> bool:
    """Whether a ruling runs at ``fixed`` between ``start`` and ``end`` (the other axis)."""
    inset = max(2, (end - start) // 6)
    lo, hi = start + inset, end - inset
    if hi <= lo:
        return True
    band = mask[max(0, fixed - 4):fixed + 5, lo:hi] if along_x else mask[lo:hi, max(0, fixed - 4):fixed + 5]
    covered = band.max(axis=0 if along_x else 1) > 0
    return covered.mean() >= RULED


def _merged_cells(xs: list[int], ys: list[int], horizontal: np.ndarray, vertical: np.ndarray) -> list[list[int]]:
    """The grid's cells as [row, col, rows, cols]: elementary cells joined where no ruling divides them."""
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not _ruled(vertical, xs[c + 1], ys[r], ys[r + 1], along_x=False):
                parent[find(r * cols + c + 1)] = find(r * cols + c)
            if r + 1 < rows and not _ruled(horizontal, ys[r + 1], xs[c], xs[c + 1], along_x=True):
                parent[find((r + 1) * cols + c)] = find(r * cols + c)
    spans: dict[int, list[int]] = {}
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        span = spans.setdefault(find(i), [r, c, r, c])
        span[0], span[1] = min(span[0], r), min(span[1], c)
        span[2], span[3] = max(span[2], r), max(span[3], c)
    return sorted([int(r0), int(c0), int(r1 - r0 + 1), int(c1 - c0 + 1)] for r0, c0, r1, c1 in spans.values())


def ink_marks(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The boxes (x0, y0, x1, y1 in page pixels, one row each) of the ink marks inside a cell:
    its connected components, rulings and their shadows trimmed off, specks of copier noise left out."""
    pad_x = max(3, (x1 - x0) // 20)
    pad_y = max(3, (y1 - y0) // 10)
    crop = ink[y0 + pad_y:y1 - pad_y, x0 + pad_x:x1 - pad_x]
    if crop.size == 0:
        return np.zeros((0, 4), dtype=np.int64)
    _count, _, stats, _ = cv2.connectedComponentsWithStats(crop)
    stats = stats[1:].astype(np.int64)
    kept = stats[(stats[:, 4] >= 12) & (np.maximum(stats[:, 2], stats[:, 3]) >= 6)]
    left, top = kept[:, 0] + x0 + pad_x, kept[:, 1] + y0 + pad_y
    return np.stack([left, top, left + kept[:, 2], top + kept[:, 3]], axis=1)


def mark_rows(marks: np.ndarray) -> list[tuple[int, int]]:
    """(top, bottom) of each run of rows that marks cover, top to bottom."""
    runs: list[list[int]] = []
    for top, bottom in sorted(marks[:, [1, 3]].tolist()):
        if runs and top < runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], bottom)
        else:
            runs.append([top, bottom])
    return [(top, bottom) for top, bottom in runs]


def text_lines(marks: np.ndarray, line_height: float, gap: float) -> list[tuple[int, int, int, int]]:
    """A cell's marks as lines of text (boxes, top to bottom, left to right): runs of rows that
    together are no taller than ``line_height`` are one line (the strokes of 三, or 宀 over 丁, lie
    in runs of their own), so a label wrapped onto two lines gives two; a line is cut where its
    marks leave more than ``gap`` of paper between them (a cell whose rulings were not found holds
    a whole row: each figure apart, as the detector would find them). A thin mark taller than a
    line is a ruling, no text."""
    tall = marks[:, 3] - marks[:, 1] > line_height
    marks = marks[~(tall & ((marks[:, 2] - marks[:, 0]) * 4 < marks[:, 3] - marks[:, 1]))]  # rulings
    if not len(marks):
        return []
    bands: list[list[int]] = []
    for top, bottom in mark_rows(marks):
        if bands and bottom - bands[-1][0] <= line_height:
            bands[-1][1] = bottom
        else:
            bands.append([top, bottom])
    lines = []
    middles = (marks[:, 1] + marks[:, 3]) / 2
    for top, bottom in bands:
        inside = marks[(middles >= top) & (middles <= bottom)]
        inside = inside[np.argsort(inside[:, 0], kind="stable")]
        right = np.maximum.accumulate(inside[:, 2])
        cuts = np.flatnonzero(inside[1:, 0] - right[:-1] > gap) + 1
        for part in np.split(inside, cuts):
            lines.append((int(part[:, 0].min()), top, int(part[:, 2].max()), bottom))
    return lines
