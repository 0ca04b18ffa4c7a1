"""One page image -> its OCR record (JSON-able, cached) -> document blocks.

``ocr_page`` does the costly part once: straighten the page, find its ruled tables,
detect and read its text lines, and read by crop every table cell whose ink no
detected line covers (a lone "0" is easily missed by the detector). ``page_blocks``
turns a record into Paragraphs and Tables in reading order; it is cheap and is
rerun on the cached record whenever the parser changes.
"""
from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np

from ..document import Paragraph, Table
from . import engine
from .grid import binarise, deskew, find_tables, ink_box

# A detected line belongs to a cell when this share of it lies inside.
INSIDE = 0.7
CROP_MARGIN = 4
# Page pixels of white left and right of a cell's ink in a strip, which adds engine.STRIP_GAP of
# its own between cells: the rest was width the recogniser paid for (a third of a strip of zeros).
STRIP_SIDE_MARGIN = 1
RECORD_VERSION = 4


def _overlaps(boxes: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """The share of each box (rows; x0, y0, x1, y1) that lies in each rect (columns)."""
    w = np.clip(np.minimum(boxes[:, None, 2], rects[None, :, 2]) - np.maximum(boxes[:, None, 0], rects[None, :, 0]), 0, None)
    h = np.clip(np.minimum(boxes[:, None, 3], rects[None, :, 3]) - np.maximum(boxes[:, None, 1], rects[None, :, 1]), 0, None)
    area = np.maximum(1, (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return w * h / area[:, None]


def _cell_rect(table: dict, cell: list[int]) -> tuple[int, int, int, int]:
    r, c, rows, cols = cell
    return table["xs"][c], table["ys"][r], table["xs"][c + cols], table["ys"][r + rows]


def _rect(quad: np.ndarray) -> list[int]:
    return [int(quad[:, 0].min()), int(quad[:, 1].min()), int(quad[:, 0].max()), int(quad[:, 1].max())]


def _crop(image: np.ndarray, box: list[int], side: int | None = None) -> np.ndarray:
    """A cell's ink with a margin in proportion to its height: a "0" cropped to its own
    outline, with no white around it, reads as a "。". ``side``: the margin left and right
    instead (a strip puts its own white between cells)."""
    x0, y0, x1, y1 = box
    margin = max(CROP_MARGIN, (y1 - y0) // 4)
    side = margin if side is None else side
    return np.ascontiguousarray(image[max(0, y0 - margin):y1 + margin, max(0, x0 - side):x1 + side])


def ocr_page(image: np.ndarray) -> dict:
    """The OCR record of one page: its size, tables, and text boxes ({"text", "box", "conf",
    "cell": [table, cell] or None outside tables})."""
    image = deskew(image)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    tables = find_tables(gray)
    ink = binarise(gray)
    quads = engine.detect(image)
    rects = [_rect(q) for q in quads]
    heights = sorted(r[3] - r[1] for r in rects) or [40]
    line_height = heights[len(heights) // 2]
    owner: list[list[int] | None] = [None] * len(quads)  # the cell a detected line lies in
    dropped: set[int] = set()
    strips: dict[tuple[int, int], list[tuple[int, list[int]]]] = {}  # (table, grid row) -> cells to read
    singles: list[tuple[int, int, list[int]]] = []
    lines = np.array(rects, dtype=np.int64).reshape(-1, 4)
    for ti, table in enumerate(tables):
        bounds = np.array([[table["xs"][0], table["ys"][0], table["xs"][-1], table["ys"][-1]]])
        cells = [_cell_rect(table, cell) for cell in table["cells"]]
        covered: dict[int, list[int]] = {}
        in_table = np.flatnonzero(_overlaps(lines, bounds)[:, 0] >= 0.5)
        shares = _overlaps(lines[in_table], np.array(cells, dtype=np.int64).reshape(-1, 4)) >= INSIDE
        for qi, inside in zip(in_table.tolist(), shares):
            if inside.any():
                ci = int(inside.argmax())  # the first cell that holds it
                owner[qi] = [ti, ci]
                covered.setdefault(ci, []).append(qi)
            else:
                dropped.add(qi)  # across cells: each cell is read on its own
        for ci, cell in enumerate(cells):
            found = ink_box(ink, *cell)
            if found is None:
                dropped.update(covered.get(ci, []))  # a detection on an empty cell is noise
                continue
            x0, y0, x1, y1 = found
            single_line = y1 - y0 <= 1.8 * line_height
            short = x1 - x0 <= 6 * line_height
            if single_line and short:
                dropped.update(covered.get(ci, []))
                strips.setdefault((ti, table["cells"][ci][0]), []).append((ci, [x0, y0, x1, y1]))
            elif single_line and ci not in covered:
                singles.append((ti, ci, [x0, y0, x1, y1]))  # a label the detector missed
    boxes = []
    keep = [qi for qi in range(len(quads)) if qi not in dropped]
    for qi, (text, conf) in zip(keep, engine.read_lines(image, [quads[qi] for qi in keep])):
        boxes.append({"text": text, "box": rects[qi], "conf": conf, "cell": owner[qi]})
    for (ti, _row), cells in sorted(strips.items()):
        crops = [_crop(image, box, side=STRIP_SIDE_MARGIN) for _ci, box in cells]
        for (ci, box), (text, conf) in zip(cells, engine.read_strip(crops)):
            if text:
                boxes.append({"text": text, "box": box, "conf": conf, "cell": [ti, ci]})
            else:
                singles.append((ti, ci, box))  # read on its own, out of the strip's context
    for (ti, ci, box), (text, conf) in zip(singles, engine.read_crops([_crop(image, box) for _t, _c, box in singles])):
        # ink that reads as nothing is kept, empty: the cell is unreadable, not blank
        boxes.append({"text": text, "box": box, "conf": conf if text else 0.0, "cell": [ti, ci]})
    return {"v": RECORD_VERSION, "size": [int(image.shape[1]), int(image.shape[0])], "tables": tables, "boxes": boxes}


# -- record -> blocks -----------------------------------------------------------------

# Characters a recogniser confuses with digits, in a cell that is otherwise a number.
LOOKALIKES = {"O": "0", "o": "0", "〇": "0", "○": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
              "丨": "1", "i": "1", "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9",
              # Cyrillic and Greek letters the recogniser's alphabet holds
              "。": "0", "°": "0", "О": "0", "о": "0", "Ο": "0", "ο": "0", "З": "3", "з": "3", "б": "6", "Б": "6"}
NUMBER_LIKE = re.compile(r"[\d.,]*")
SEPARATORS = re.compile(r"[\s]+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalise_value(text: str) -> tuple[str, bool]:
    """A cell's text with look-alike letters read as digits, and whether any had to be.

    Only a cell that is a number but for those letters is touched: labels keep their text.
    """
    clean = SEPARATORS.sub("", _nfkc(text))
    if not clean or NUMBER_LIKE.fullmatch(clean):
        return clean if clean else text.strip(), False
    swapped = "".join(LOOKALIKES.get(ch, ch) for ch in clean)
    if NUMBER_LIKE.fullmatch(swapped) and any(ch.isdigit() for ch in swapped):
        return swapped, True
    return text.strip(), False


def _join(parts: list[dict]) -> str:
    """Text lines of one cell, in reading order, joined (Chinese needs no spaces; numbers do)."""
    parts = sorted(parts, key=lambda b: (b["box"][1] + b["box"][3]) / 2)
    lines: list[list[dict]] = []
    for b in parts:
        mid = (b["box"][1] + b["box"][3]) / 2
        if lines and abs(mid - (lines[-1][0]["box"][1] + lines[-1][0]["box"][3]) / 2) < (b["box"][3] - b["box"][1]) / 2:
            lines[-1].append(b)
        else:
            lines.append([b])
    out = ""
    for line in lines:
        for b in sorted(line, key=lambda b: b["box"][0]):
            text = b["text"].strip()
            if out and text and out[-1].isdigit() and text[0].isdigit():
                out += " "
            out += text
    return out


def table_block(table: dict, boxes: list[dict]) -> Table:
    """A ruled table's rows as Table rows, each cell's OCR confidence beside it.

    A merged cell appears once in its first row; in the rows below it spans, its
    first column holds "" (the layout the other readers produce).
    """
    by_cell: dict[int, list[dict]] = {}
    for b in boxes:
        by_cell.setdefault(b["cell"][1], []).append(b)
    grid_rows = len(table["ys"]) - 1
    starts: dict[int, list[tuple[int, int]]] = {r: [] for r in range(grid_rows)}
    for ci, (r, c, rows, _cols) in enumerate(table["cells"]):
        starts[r].append((c, ci))
        for below in range(r + 1, r + rows):
            starts[below].append((c, -1))  # continuation of a vertically merged cell
    rows: list[list[str]] = []
    confidence: list[list[dict | None]] = []
    for r in range(grid_rows):
        row, conf = [], []
        for _c, ci in sorted(starts[r]):
            parts = by_cell.get(ci, []) if ci >= 0 else []
            text, info = "", None
            if parts:
                raw = _join(parts)
                text, swapped = normalise_value(raw) if raw else ("", False)
                info = {"conf": round(min(p["conf"] for p in parts), 4), "read": raw, "normalised": swapped}
            row.append(text)
            conf.append(info)
        rows.append(row)
        confidence.append(conf)
    # rows with nothing in them (a ruling drawn twice) are no table rows
    kept = [i for i, row in enumerate(rows) if any(cell for cell in row)]
    return Table([rows[i] for i in kept], ocr=[confidence[i] for i in kept])


def _line_groups(boxes: list[dict]) -> list[list[dict]]:
    """Text boxes grouped into lines (boxes that overlap vertically by half their height)."""
    lines: list[list[dict]] = []
    for b in sorted(boxes, key=lambda b: (b["box"][1] + b["box"][3]) / 2):
        mid = (b["box"][1] + b["box"][3]) / 2
        if lines:
            # against the line's first box, not the union of its boxes: a union grows
            # with every slightly lower box until it swallows the next row
            first = lines[-1][0]["box"]
            if abs(mid - (first[1] + first[3]) / 2) <= min(first[3] - first[1], b["box"][3] - b["box"][1]) / 2:
                lines[-1].append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b["box"][0]) for line in lines]


def _numeric_tokens(line: list[dict]) -> int:
    return sum(1 for b in line for token in b["text"].split() if normalise_value(token)[0].replace(".", "").isdigit())


def text_blocks(boxes: list[dict], page_width: int) -> list[tuple[float, object]]:
    """Text outside ruled tables: paragraphs (lines joined until one ends short or the next is
    indented), and lines of three or more numbers as rows of an unruled table."""
    lines = _line_groups(boxes)
    if not lines:
        return []
    left = min(line[0]["box"][0] for line in lines)
    right = max(line[-1]["box"][2] for line in lines)
    char = sorted(b["box"][3] - b["box"][1] for line in lines for b in line)[len(lines) // 2]
    out: list[tuple[float, object]] = []
    paragraph: list[str] = []
    para_y = 0.0
    table_rows: list[list[str]] = []
    table_conf: list[list[dict | None]] = []
    table_y = 0.0

    def flush_paragraph():
        if paragraph:
            out.append((para_y, Paragraph("".join(paragraph))))
            paragraph.clear()

    def flush_table():
        if table_rows:
            out.append((table_y, Table([list(r) for r in table_rows], ocr=[list(c) for c in table_conf])))
            table_rows.clear()
            table_conf.clear()

    previous_end = None
    for line in lines:
        y = line[0]["box"][1]
        if _numeric_tokens(line) >= 3:
            flush_paragraph()
            if not table_rows:
                table_y = y
            row, conf = [], []
            for b in line:
                for token in b["text"].split() if _numeric_tokens([b]) else [b["text"]]:
                    text, swapped = normalise_value(token)
                    row.append(text)
                    conf.append({"conf": b["conf"], "read": token, "normalised": swapped})
            table_rows.append(row)
            table_conf.append(conf)
            previous_end = None
            continue
        flush_table()
        text = "".join(b["text"] for b in line).strip()
        starts_indented = line[0]["box"][0] - left > 1.2 * char
        if previous_end is None or starts_indented or previous_end < right - 2 * char:
            flush_paragraph()
            para_y = y
        paragraph.append(text)
        previous_end = line[-1]["box"][2]
    flush_paragraph()
    flush_table()
    return out


PAGE_NUMBER = re.compile(r"[-—–－\s]*(?:第\s*)?\d{1,3}\s*(?:页)?(?:\s*/\s*\d{1,3}|\s*共\s*\d{1,3}\s*页)?[-—–－\s]*")
MARGIN_SHARE = 0.1  # a page number stands in the top or bottom tenth of the page


def _is_page_number(box: dict, page_height: int) -> bool:
    """A page number ("- 3 -", "第3页") in the page's margin: no part of the report's text
    (its digits would be taken for a table's values)."""
    top, bottom = box["box"][1], box["box"][3]
    in_margin = bottom < page_height * MARGIN_SHARE or top > page_height * (1 - MARGIN_SHARE)
    return in_margin and bool(PAGE_NUMBER.fullmatch(_nfkc(box["text"])))


def page_blocks(record: dict) -> list:
    """A page's blocks in reading order (top to bottom; tables where they stand)."""
    placed: list[tuple[float, object]] = []
    loose = [b for b in record["boxes"] if b["cell"] is None and not _is_page_number(b, record["size"][1])]
    for ti, table in enumerate(record["tables"]):
        inside = [b for b in record["boxes"] if b["cell"] is not None and b["cell"][0] == ti]
        block = table_block(table, inside)
        if block.rows:
            placed.append((table["ys"][0], block))
    placed += text_blocks(loose, record["size"][0])
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]
