"""The OCR engine: RapidOCR (PP-OCRv4 Chinese detection and recognition models, shipped
inside the rapidocr-onnxruntime wheel, run by ONNX Runtime on the CPU).

Nothing is downloaded: the models are files of the installed package, and the
engine is built from the package's own config.yaml, whose model paths point into it
(docs/ocr.md compares it with Tesseract).

The economies over calling RapidOCR whole (docs/ocr.md measures them):
- both models run folded (models.py) on one ONNX Runtime thread that never spins;
- the recogniser reads one line per call: a padded batch costs more CPU than its
  lines one by one;
- detection runs on the page scaled down to DET_SIDE pixels (text lines stay
  ~15 px high at 200 dpi, which the detector finds as well), recognition on the
  full-resolution crops; the detector is given only the page's inked bands, and
  no tables (scan.py reads their cells from their own ink);
- the recogniser costs about the same for a lone "0" as for a line of text, so a
  table row's short cells are read in one strip: their ink side by side with white
  gaps, each recognised character assigned back to the cell it lies over.
"""
from __future__ import annotations

import inspect
import math
import os
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from . import models
from .grid import binarise

ENGINE_NAME = "rapidocr-onnxruntime PP-OCRv4"
# The page's longer side for the detector. At 1280 px the detector cost 60% more, for the same
# figures and text (docs/ocr.md, "Speed"); lower, it merged the close lines of a table's cells,
# which it is no longer given.
DET_SIDE = 1024
# White kept around ink (detection pixels) when only the page's inked bands are detected:
# the detector sees a line with its surroundings, and blank paper costs nothing.
DET_MARGIN = 32
DET_MULTIPLE = 32  # the detector's input sides are multiples of this
REC_HEIGHT = 48
# The recogniser's narrowest input (RapidOCR pads a shorter line to it), in pixels at REC_HEIGHT.
REC_MIN_WIDTH = 320
# Body text lines are read narrowed to this share of their width: a character then spans ~4 output
# columns instead of ~6, which reads the same text (docs/ocr.md, "Speed") for 40% less CPU;
# the recogniser's cost is linear in its input's width. Table strips (digits) keep their width.
LINE_WIDTH_SHARE = 0.6
# Only body text is narrowed: a title's large characters narrowed lose strokes. A line is body
# text up to this many times the median height of the page's lines.
BODY_LINE_SLACK = 1.3
# A narrowed line with a character read less surely than this is read again at full width
# (a narrowed 自 was read as 目 at 0.60, where the full width read 自 at 0.72).
SURE_CHARACTER = 0.9
UNSURE_CONTEXT = 3  # characters each side of an unsure one read again with it
STRIP_GAP = 8  # white pixels between two cells in a strip (at REC_HEIGHT)
# The recogniser's output has one column per this many input pixels.
REC_STRIDE = 8


@lru_cache(maxsize=1)
def engine():
    """One engine per process, single-threaded: ingest runs one per worker, one per core."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)  # OpenCV's own pool would oversubscribe the cores beside the other worker
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.utils import read_yaml

    # RapidOCR copies its global thread counts over the per-model ones (det_intra_op_num_threads
    # is overwritten), so only the global ones hold; its sessions are replaced below all the same.
    threads = {"intra_op_num_threads": 1, "inter_op_num_threads": 1}
    ocr = RapidOCR(use_cls=False, **threads)  # its recogniser's session is run here line by line
    # The same models with their arithmetic folded, on one thread that never spins (models.py)
    package = Path(inspect.getfile(RapidOCR)).parent
    config = read_yaml(str(package / "config.yaml"))
    ocr.text_det.infer.session = models.session(str(package / config["Det"]["model_path"]))
    ocr.text_rec.session.session = models.session(str(package / config["Rec"]["model_path"]))
    return ocr


def detect(image: np.ndarray) -> list[np.ndarray]:
    """The text lines of a page as quadrilaterals (4×2 arrays, page pixels), top to bottom.

    The detector is given the page's inked bands stacked one under the other, the blank
    paper between and around them left out: its cost goes with the pixels it is given.
    They stay one image because the detector weighs what it finds against the whole of its
    input (a lone page number is found on a page, not on a band of its own).
    """
    height, width = image.shape[:2]
    scale = min(1.0, DET_SIDE / max(height, width))
    small = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA) \
        if scale < 1 else image
    bands, (left, right) = ink_bands(small)
    if not bands:
        return []
    stacked = _pad_to_multiple(np.concatenate([small[top:bottom, left:right] for top, bottom in bands]))
    ocr = engine()
    detector = ocr.text_det
    found, _ = detector.postprocess_op(detector.infer(_as_tensor(stacked))[0], stacked.shape[:2])
    if not len(found):
        return []
    found = detector.filter_tag_det_res(found, stacked.shape[:2])
    # back to page pixels: each box moves by the blank cut out above the band it lies in
    starts = np.cumsum([0] + [bottom - top for top, bottom in bands])
    boxes = []
    for box in found:
        band = min(int(np.searchsorted(starts, box[:, 1].mean(), side="right")) - 1, len(bands) - 1)
        boxes.append(box + np.float32([left, bands[band][0] - starts[band]]))
    return [np.asarray(b, dtype=np.float32) / scale for b in ocr.sorted_boxes(np.asarray(boxes))]


def ink_bands(image: np.ndarray) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """(top, bottom) of each horizontal band of the page that holds ink and (left, right) of
    all its ink, each with DET_MARGIN of paper around it; bands closer than twice the margin
    are one."""
    ink = binarise(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)) > 0
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    if not len(rows):
        return [], (0, 0)
    height, width = ink.shape
    breaks = np.flatnonzero(np.diff(rows) > 2 * DET_MARGIN)
    bands = [(max(0, first - DET_MARGIN), min(height, last + 1 + DET_MARGIN))
             for first, last in zip(np.r_[rows[0], rows[breaks + 1]], np.r_[rows[breaks], rows[-1]])]
    columns = np.flatnonzero(ink[rows].any(axis=0))
    return bands, (max(0, columns[0] - DET_MARGIN), min(width, columns[-1] + 1 + DET_MARGIN))


def _as_tensor(image: np.ndarray) -> np.ndarray:
    """An RGB image as both models take it: 1×3×H×W, scaled to [-1, 1] (RapidOCR's mean and std of 0.5)."""
    return ((image.astype(np.float32).transpose(2, 0, 1) / 255 - 0.5) / 0.5)[np.newaxis]


def _pad_to_multiple(image: np.ndarray) -> np.ndarray:
    """White added right and below up to the detector's multiple (not resized: lines keep their size)."""
    height, width = image.shape[:2]
    return cv2.copyMakeBorder(image, 0, -height % DET_MULTIPLE, 0, -width % DET_MULTIPLE,
                              cv2.BORDER_CONSTANT, value=(255, 255, 255))


def line_crops(image: np.ndarray, quads: list[np.ndarray]) -> list[np.ndarray]:
    """Each detected line cropped and straightened from the full-resolution page."""
    return engine().get_crop_img_list(image, [q.copy() for q in quads]) if quads else []


def read_lines(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognise each line of text (one crop each).

    Body text is read narrowed (LINE_WIDTH_SHARE), and where the recogniser is unsure of a
    character there, that stretch of the line again at full width (``_read_body_line``).
    """
    if not crops:
        return []
    body = float(np.median([crop.shape[0] for crop in crops]))
    return [_text_and_confidence(_read_body_line(crop) if crop.shape[0] <= BODY_LINE_SLACK * body
                                 else _read_line(crop, 1.0)) for crop in crops]


def _read_body_line(crop: np.ndarray) -> list[tuple[str, float, float]]:
    """A line of running text read narrowed; where a character reads less surely than
    SURE_CHARACTER, the stretch around it (UNSURE_CONTEXT characters each side, cut where a
    column of paper parts two characters) read again at full width and put in its place; the
    whole line again at full width when no such column is found."""
    line = _line_input(crop, LINE_WIDTH_SHARE)
    characters = _recognised(line, min_width=REC_MIN_WIDTH)
    unsure = [n for n, (_c, _x, p) in enumerate(characters) if p < SURE_CHARACTER]
    if not unsure:
        return characters
    scale = crop.shape[1] / line.shape[1]
    centres = [x * scale for _c, x, _p in characters]  # in crop pixels
    paper = _paper_columns(crop)
    stretches: list[list[int]] = []
    for n in unsure:
        first, last = max(0, n - UNSURE_CONTEXT), min(len(characters) - 1, n + UNSURE_CONTEXT)
        if stretches and first <= stretches[-1][1] + 1:
            stretches[-1][1] = last
        else:
            stretches.append([first, last])
    kept: list[tuple[str, float, float]] = []
    done = 0
    for first, last in stretches:
        left = 0 if first == 0 else _paper_between(paper, centres[first - 1], centres[first])
        right = crop.shape[1] if last == len(characters) - 1 else _paper_between(paper, centres[last], centres[last + 1])
        if left is None or right is None:
            return _read_line(crop, 1.0)
        stretch = crop[:, left:right]
        stretch_line = _line_input(stretch, 1.0)
        again = _recognised(stretch_line, min_width=REC_MIN_WIDTH)
        to_crop = stretch.shape[1] / stretch_line.shape[1]
        kept += characters[done:first]
        kept += [(c, (left + x * to_crop) / scale, p) for c, x, p in again]  # x as in the narrowed input
        done = last + 1
    return kept + characters[done:]


def _paper_columns(crop: np.ndarray) -> np.ndarray:
    """Which columns of a line crop hold no ink in its middle rows (Otsu's threshold; the top and
    bottom tenth left out, where a neighbouring line may reach in)."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    height = ink.shape[0]
    return ~(ink[height // 10:height - height // 10] > 0).any(axis=0)


def _paper_between(paper: np.ndarray, left: float, right: float) -> int | None:
    """The column of paper nearest the middle of two characters' centres, or None."""
    columns = np.flatnonzero(paper[int(math.ceil(left)):int(right) + 1]) + int(math.ceil(left))
    if not len(columns):
        return None
    return int(columns[np.argmin(np.abs(columns - (left + right) / 2))])


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition alone, at full width, on images each holding one line of text."""
    return [_text_and_confidence(_read_line(crop, 1.0)) for crop in crops]


def _read_line(crop: np.ndarray, share: float) -> list[tuple[str, float, float]]:
    """``_recognised`` of one line crop at ``share`` of its width (RapidOCR's own reading at 1.0).

    One line per recogniser call: a batch of six padded lines costs ~40% more CPU than the six
    lines one by one (docs/ocr.md, "Speed")."""
    return _recognised(_line_input(crop, share), min_width=REC_MIN_WIDTH)


def _text_and_confidence(characters: list[tuple[str, float, float]]) -> tuple[str, float]:
    """A reading's text and the mean of its characters' probabilities (0 when it read nothing)."""
    probs = [p for _c, _x, p in characters]
    return "".join(c for c, _x, _p in characters), round(float(np.mean(probs)), 4) if probs else 0.0


def _line_input(crop: np.ndarray, share: float) -> np.ndarray:
    """``crop`` scaled to REC_HEIGHT and to ``share`` of its width there, never narrower than
    REC_MIN_WIDTH unless it is so at full width (RapidOCR's sizes and rounding at 1.0)."""
    h, w = crop.shape[:2]
    at_height = REC_HEIGHT * (w / max(h, 1))
    full = int(at_height) if at_height > REC_MIN_WIDTH else math.ceil(at_height)  # RapidOCR's rounding
    width = max(1, min(full, max(math.ceil(full * share), REC_MIN_WIDTH)))
    return cv2.resize(crop, (width, REC_HEIGHT), interpolation=cv2.INTER_AREA if width < full else cv2.INTER_LINEAR)


def _recognised(line: np.ndarray, min_width: int = 0) -> list[tuple[str, float, float]]:
    """The recogniser's reading of an image REC_HEIGHT high: (character, x of its output column's
    centre in the image, probability) for each character (CTC: repeats and blanks dropped).
    ``min_width``: the input right-padded to this width with 0 after scaling to [-1, 1], as
    RapidOCR pads a short line."""
    ocr = engine()
    tensor = _as_tensor(line)
    if tensor.shape[3] < min_width:
        tensor = np.pad(tensor, ((0, 0), (0, 0), (0, 0), (0, min_width - tensor.shape[3])))
    preds = ocr.text_rec.session(tensor)[0][0]  # (columns, classes)
    index = preds.argmax(axis=1)
    prob = preds.max(axis=1)
    characters = ocr.text_rec.postprocess_op.character
    column_width = tensor.shape[3] / len(index)
    found = []
    previous = 0
    for column, (i, p) in enumerate(zip(index, prob)):
        if i != 0 and i != previous:
            found.append((characters[i], (column + 0.5) * column_width, float(p)))
        previous = i
    return found


def _to_height(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    width = max(1, round(w * REC_HEIGHT / max(h, 1)))
    return cv2.resize(crop, (width, REC_HEIGHT), interpolation=cv2.INTER_AREA if h > REC_HEIGHT else cv2.INTER_CUBIC)


def read_strip(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Several one-line crops read in one pass: (text, confidence) for each."""
    if not crops:
        return []
    parts = [_to_height(c) for c in crops]
    gap = np.full((REC_HEIGHT, STRIP_GAP, 3), 255, dtype=np.uint8)
    pieces, spans, x = [gap], [], STRIP_GAP
    for part in parts:
        spans.append((x, x + part.shape[1]))
        pieces += [part, gap]
        x += part.shape[1] + STRIP_GAP
    cells: list[list[tuple[str, float, float]]] = [[] for _ in crops]
    for reading in _recognised(np.concatenate(pieces, axis=1)):
        # the cell whose span (widened by half a gap each side) holds the character
        for n, (start, end) in enumerate(spans):
            if start - STRIP_GAP / 2 <= reading[1] < end + STRIP_GAP / 2:
                cells[n].append(reading)
                break
    return [(text.strip(), conf) for text, conf in map(_text_and_confidence, cells)]
