"""Scanned reports: image-only PDFs, the scanned pages of a text PDF, and page images,
read by OCR (docs/ocr.md).

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
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..document import Block, Document
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


def read_pdf_pages(path: str | Path, numbers: list[int], data: bytes | None = None,
                   cache_dir: Path | None = None) -> tuple[dict[int, list[Block]], dict]:
    """OCR the scanned pages of a PDF that has a text layer elsewhere (docs/ocr.md).

    :param numbers: the pages to read, from 0.
    :returns: each page's blocks by number, and the OCR summary for Document.ocr: engine,
        pages (how many), page_numbers (from 1), mean_confidence (None when nothing legible
        was found).
    :raises ReaderError: more pages than OCR reads, or OCR over its time limit.
    """
    path = Path(path)
    return _read_numbered_pages(path, numbers, lambda: pages.pdf_pages(path, numbers), data, cache_dir)


def read_page_pictures(path: str | Path, pictures: dict[int, bytes], data: bytes | None = None,
                       cache_dir: Path | None = None) -> tuple[dict[int, list[Block]], dict]:
    """OCR the pages of a file that holds each scanned page as a picture (an OFD), as
    ``read_pdf_pages`` does a PDF's.

    :param pictures: each scanned page's picture (its first frame is the page), by number from 0.
    :raises ReaderError: a picture that is not an image read here (JBIG2, say), more pages than
        OCR reads, or OCR over its time limit.
    """
    path = Path(path)
    numbers = sorted(pictures)
    return _read_numbered_pages(path, numbers, lambda: (_page_picture(path, n, pictures[n]) for n in numbers),
                                data, cache_dir)


def _read_numbered_pages(path: Path, numbers: list[int], images: Callable[[], Iterator[np.ndarray]],
                         data: bytes | None, cache_dir: Path | None) -> tuple[dict[int, list[Block]], dict]:
    """Some pages of a file, by number from 0, OCR'd from ``images`` (made only where the cache
    holds no record of those pages) or their cached records: each page's blocks, and the summary."""
    pages.check_scanned_pages(path, len(numbers))
    if data is None:
        data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    records = cache.load(cache_dir, sha256, RECORD_VERSION, numbers) if cache_dir else None
    if records is None:
        records = _ocr_images(path, images(), numbers)
        if cache_dir:
            cache.save(cache_dir, sha256, records, numbers)
    return {n: page_blocks(record) for n, record in zip(numbers, records)}, _summary(records, numbers)


def _page_picture(path: Path, number: int, picture: bytes) -> np.ndarray:
    try:
        return next(pages.image_pages(path, picture))
    except ReaderError as e:
        raise ReaderError(path, f"page {number + 1}'s scanned picture: {e.problem}") from None


def _summary(records: list[dict], numbers: list[int]) -> dict:
    """Document.ocr of scanned pages read among others: engine, pages, page_numbers (from 1),
    mean_confidence (None where nothing legible was found)."""
    confidences = [b["conf"] for record in records for b in record["boxes"]]
    return {"engine": ENGINE_NAME, "pages": len(records), "page_numbers": [n + 1 for n in numbers],
            "mean_confidence": round(sum(confidences) / len(confidences), 3) if confidences else None}


def _ocr_pages(path: Path, kind: str, data: bytes) -> list[dict]:
    images = pages.pdf_pages(path) if kind == "pdf" else pages.image_pages(path, data)
    return _ocr_images(path, images)


def _ocr_images(path: Path, images: Iterator[np.ndarray], numbers: list[int] | None = None) -> list[dict]:
    """Each page image's OCR record, within TIME_LIMIT (``numbers``: the pages' numbers from 0, for the error)."""
    began = time.monotonic()
    records = []
    for i, image in enumerate(images):
        if time.monotonic() - began > TIME_LIMIT:
            number = numbers[i] + 1 if numbers else i + 1
            raise ReaderError(path, f"OCR gave up after {TIME_LIMIT} s at page {number} (a scan this slow to read "
                                    "is damaged or not a report)")
        records.append(ocr_page(image))
    return records
