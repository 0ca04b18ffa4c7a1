"""The OCR engine: RapidOCR (PP-OCRv4 Chinese detection and recognition models, shipped
inside the rapidocr-onnxruntime wheel, run by ONNX Runtime on the CPU).

Nothing is downloaded: the models are files of the installed package, and the
engine is built from the package's own config.yaml, whose model paths point into it
(docs/ocr.md compares it with Tesseract).
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

ENGINE_NAME = "rapidocr-onnxruntime PP-OCRv4"
# The recogniser's detection-score floor: lower-scored boxes are kept (a faint "0" is
# still a cell's content) and left to the confidence checks of the figure mapper.
MIN_SCORE = 0.3


@lru_cache(maxsize=1)
def engine():
    """One engine per process, single-threaded: ingest runs one per worker, one per core."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from rapidocr_onnxruntime import RapidOCR

    threads = {f"{part}_{kind}_op_num_threads": 1 for part in ("det", "rec") for kind in ("intra", "inter")}
    return RapidOCR(use_cls=False, text_score=MIN_SCORE, **threads)


def detect_and_read(image: np.ndarray) -> list[dict]:
    """Every text line of a page: {"text", "box": [x0, y0, x1, y1], "conf"} (box in page pixels)."""
    result, _ = engine()(image, use_cls=False)
    boxes = []
    for quad, text, conf in result or []:
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        boxes.append({"text": text, "box": [round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys))],
                      "conf": round(float(conf), 4)})
    return boxes


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition alone, on small images each holding one line of text (a table cell's ink)."""
    if not crops:
        return []
    results, _ = engine().text_rec(crops)
    return [(text, round(float(conf), 4)) for text, conf in results]
