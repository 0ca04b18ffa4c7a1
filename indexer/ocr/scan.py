"""One page image -> its OCR record (JSON-able, cached) -> document blocks.

``ocr_page`` does the costly part once: straighten the page, find its ruled tables,
detect and read the text lines outside them, and read each table cell from its own
ink (a lone "0" is easily missed by the detector). ``page_blocks``
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
from .grid import binarise, deskew, find_tables, flattened_sheet, ink_marks, mark_rows, text_lines, without_dark_margins

# Marks of a cell's ink that together are no taller than this many times the tables' line
# height are one line of text (TEXT_QUANTILE: most cells hold digits, shorter than characters).
LINE_JOIN = 1.25
TEXT_QUANTILE = 0.9
# Paper wider than this many line heights between a cell's marks parts two texts (the detector
# too finds the figures of a row apart where the grid lost the rulings between them).
WORD_GAP = 1.5
# A line of a cell at most this many line heights wide is read in its row's strip: the recogniser
# reads a line no narrower than engine.REC_MIN_WIDTH, so short lines cost less side by side.
SHORT_CELL = 9
RULING_WIDTH = 4  # pixels either side of a ruling's position that its ink may take
CROP_MARGIN = 4
# Page pixels of white left and right of a cell's ink in a strip, which adds engine.STRIP_GAP of
# its own between cells: the rest was width the recogniser paid for (a third of a strip of zeros).
STRIP_SIDE_MARGIN = 1
RECORD_VERSION = 6
# A page is on its side when at least SIDEWAYS_LEAST of its detected lines stand (height over
# SIDEWAYS_RATIO times width) and they outnumber the lying ones SIDEWAYS_RATIO to 1; which way to
# turn it is read from its DIRECTION_LINES longest lines.
SIDEWAYS_RATIO = 2.0
SIDEWAYS_LEAST = 4
DIRECTION_LINES = 6
# A page whose lines read this unsurely (median) is read again upside down, and the surer kept: an
# upright page reads at ~0.99, the first Hongze page upside down at 0.0, its table page at 0.43.
UPSIDE_DOWN_CONFIDENCE = 0.6


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


def ocr_page(image: np.ndarray, turned: bool = False) -> dict:
    """The OCR record of one page: its size, tables, and text boxes ({"text", "box", "conf",
    "cell": [table, cell] or None outside tables}).

    The detector is given the page with its ruled tables blanked out: a table's cells are read
    from their own ink (one line of short text, most often a figure, in its row's strip; longer
    or wrapped text line by line), so the detector's cost is the text outside tables.

    A page scanned on its side (a landscape table page fed in upright) is turned first, the
    way its lines read best (``_turned_upright``), and one read as nonsense is read again upside
    down; ``turned``: it has been turned already.
    """
    image = deskew(without_dark_margins(flattened_sheet(image)))
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    tables = find_tables(gray)
    ink = binarise(gray)
    quads = engine.detect(_without_tables(image, tables))
    marks = {(ti, ci): ink_marks(ink, *_cell_rect(table, cell))
             for ti, table in enumerate(tables) for ci, cell in enumerate(table["cells"])}
    if not turned and _on_its_side(quads, marks.values()):
        return ocr_page(_turned_upright(image), turned=True)
    lines: list[tuple[list[int], list[int] | None]] = [(_rect(q), None) for q in quads]  # (box, cell)
    crops = engine.line_crops(image, quads)
    height = _text_height(list(marks.values()))
    strips: dict[tuple[int, int, bool], list[tuple[int, list[int]]]] = {}  # (table, grid row, wrapped) -> lines to read
    for (ti, ci), cell_marks in marks.items():
        found = text_lines(cell_marks, LINE_JOIN * height, WORD_GAP * height)
        wrapped = len({top for _x0, top, _x1, _y1 in found}) > 1
        for box in found:
            if box[2] - box[0] <= SHORT_CELL * height:
                # a wrapped label's lines in a strip of their own: a figure reads less surely
                # beside them than beside other short cells
                strip = (ti, tables[ti]["cells"][ci][0], wrapped)
                strips.setdefault(strip, []).append((ci, list(box)))
            else:
                lines.append((list(box), [ti, ci]))
                crops.append(_crop(image, box))
    boxes = [{"text": text, "box": box, "conf": conf, "cell": cell}
             for (box, cell), (text, conf) in zip(lines, engine.read_lines(crops))]
    singles: list[tuple[int, int, list[int]]] = []
    for (ti, _row, _wrapped), cells in sorted(strips.items()):
        strip = [_crop(image, box, side=STRIP_SIDE_MARGIN) for _ci, box in cells]
        for (ci, box), (text, conf) in zip(cells, engine.read_strip(strip)):
            if text:
                boxes.append({"text": text, "box": box, "conf": conf, "cell": [ti, ci]})
            else:
                singles.append((ti, ci, box))  # read on its own, out of the strip's context
    for (ti, ci, box), (text, conf) in zip(singles, engine.read_crops([_crop(image, box) for _t, _c, box in singles])):
        # ink that reads as nothing is kept, empty: the cell is unreadable, not blank
        boxes.append({"text": text, "box": box, "conf": conf if text else 0.0, "cell": [ti, ci]})
    record = {"v": RECORD_VERSION, "size": [int(image.shape[1]), int(image.shape[0])], "tables": tables, "boxes": boxes}
    if not turned and len(boxes) >= SIDEWAYS_LEAST and _median_confidence(record) < UPSIDE_DOWN_CONFIDENCE:
        # read as unsure nonsense: perhaps upside down (a stack fed into the copier the wrong way)
        other = ocr_page(cv2.rotate(image, cv2.ROTATE_180), turned=True)
        if _median_confidence(other) > _median_confidence(record):
            return other
    return record


def _median_confidence(record: dict) -> float:
    return float(np.median([box["conf"] for box in record["boxes"]])) if record["boxes"] else 0.0


def _on_its_side(quads: list[np.ndarray], cells) -> bool:
    """Whether the page's text stands rather than lies: a page turned a quarter, its detected lines
    tall boxes, and the ink of its table cells of several marks taller than wide. A few that stand
    (a vertical label, a stamp) do not make a page."""
    sides = [(float(np.ptp(q[:, 0])), float(np.ptp(q[:, 1]))) for q in quads]
    for marks in cells:
        if len(marks) >= 2:  # one mark (a lone digit) stands as well as it lies
            sides.append((float(marks[:, 2].max() - marks[:, 0].min()), float(marks[:, 3].max() - marks[:, 1].min())))
    standing = sum(height > SIDEWAYS_RATIO * width for width, height in sides)
    lying = sum(width > SIDEWAYS_RATIO * height for width, height in sides)
    return standing >= SIDEWAYS_LEAST and standing > SIDEWAYS_RATIO * lying


def _turned_upright(image: np.ndarray) -> np.ndarray:
    """A page on its side turned a quarter either way, whichever way the recogniser reads its
    longest lines more surely (upside-down text reads as unsure nonsense)."""
    best, best_confidence = image, -1.0
    for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE):
        candidate = cv2.rotate(image, turn)
        quads = engine.detect(candidate)
        longest = sorted(quads, key=lambda q: -float(np.ptp(q[:, 0])))[:DIRECTION_LINES]
        read = engine.read_lines(engine.line_crops(candidate, longest))
        confidence = float(np.mean([conf for _text, conf in read])) if read else 0.0
        if confidence > best_confidence:
            best, best_confidence = candidate, confidence
    return best


def _without_tables(image: np.ndarray, tables: list[dict]) -> np.ndarray:
    """The page with each ruled table (rulings included) painted white."""
    if not tables:
        return image
    blank = image.copy()
    for table in tables:
        blank[max(0, table["ys"][0] - RULING_WIDTH):table["ys"][-1] + RULING_WIDTH + 1,
              max(0, table["xs"][0] - RULING_WIDTH):table["xs"][-1] + RULING_WIDTH + 1] = 255
    return blank


def _text_height(marks: list[np.ndarray]) -> float:
    """The height of a line of the tables' text: each cell's tallest run of marks, at TEXT_QUANTILE
    over the cells (most cells hold figures, whose digits are shorter than characters)."""
    tallest = [max(bottom - top for top, bottom in mark_rows(m)) for m in marks if len(m)]
    return float(np.quantile(tallest, TEXT_QUANTILE)) if tallest else 0.0


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
