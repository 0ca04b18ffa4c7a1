"""Scanned reports: image-only PDFs and page images, read by OCR (docs/ocr.md).

    pages.py   the file's page images, within pixel and page limits
    engine.py  RapidOCR, its models inside the installed wheel
    models.py  those models with their arithmetic folded, as run
    grid.py    ruled tables: deskew, rulings, merged cells
    scan.py    page image -> OCR record (cached) -> Paragraph and Table blocks
    cache.py   OCR records by file sha256 in the data directory

The OCR itself runs once per file's bytes where a cache directory is given;
turning records into blocks runs on every parse, so a parser change re-maps
the cached output without OCR.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from ..document import Document
from ..errors import ReaderError
from . import cache, pages
from .engine import ENGINE_NAME
from .scan import RECORD_VERSION, ocr_page, page_blocks

# Seconds of OCR a file may take: a pathological scan fails clearly (ingest also bounds a whole parse).
TIME_LIMIT = 240


def read_scan(path: str | Path, kind: str, data: bytes | None = None, cache_dir: Path | None = None) -> Document:
    """OCR a scanned report into a Document (format: the file's own, pdf/png/jpg/tif).

    :param kind: "pdf" or "image".
    :param data: the file's bytes, if read already.
    :param cache_dir: where OCR records are kept by sha256 (None: OCR without caching).
    :raises ReaderError: too many pages or pixels, an unreadable image, OCR over its time limit,
        or nothing legible.
    """
    path = Path(path)
    if data is None:
        data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = "pdf" if kind == "pdf" else pages.image_format(path, data)
    records = cache.load(cache_dir, sha256, RECORD_VERSION) if cache_dir else None
    if records is None:
        records = _ocr_pages(path, kind, data)
        if cache_dir:
            cache.save(cache_dir, sha256, records)
    blocks = [block for record in records for block in page_blocks(record)]
    confidences = [b["conf"] for record in records for b in record["boxes"]]
    if not confidences:
        raise ReaderError(path, f"no legible text found by OCR in {len(records)} page(s)")
    document = Document(str(path), fmt, blocks, sha256=sha256)
    document.ocr = {"engine": ENGINE_NAME, "pages": len(records),
                    "mean_confidence": round(sum(confidences) / len(confidences), 3)}
    return document


def _ocr_pages(path: Path, kind: str, data: bytes) -> list[dict]:
    began = time.monotonic()
    images = pages.pdf_pages(path) if kind == "pdf" else pages.image_pages(path, data)
    records = []
    for number, image in enumerate(images, 1):
        if time.monotonic() - began > TIME_LIMIT:
            raise ReaderError(path, f"OCR gave up after {TIME_LIMIT} s at page {number} (a scan this slow to read "
                                    "is damaged or not a report)")
        records.append(ocr_page(image))
    return records
