"""Scans made from text-layer PDFs, as a copier would: rendered, skewed, blurred, JPEG'd.

The tests and `xxgk bench` read these with OCR and compare with the original's figures.
"""
from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
from PIL import Image, ImageFilter


def scan_pages(pdf_path: Path, *, dpi: int = 200, angle: float = 0.0, blur: float = 0.6,
               quality: int = 60) -> list[Image.Image]:
    """Every page of a PDF as a copier's image: greyscale, turned by ``angle`` degrees,
    slightly blurred, JPEG-compressed at ``quality``."""
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    images = []
    try:
        for i in range(len(pdf)):
            page = pdf[i].render(scale=dpi / 72).to_pil().convert("L")
            page = page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
            page = page.filter(ImageFilter.GaussianBlur(blur))
            buffer = io.BytesIO()
            page.save(buffer, "JPEG", quality=quality)
            images.append(Image.open(io.BytesIO(buffer.getvalue())))
    finally:
        pdf.close()
    return images


def make_scan_pdf(pdf_path: Path, out: Path, **options) -> Path:
    """An image-only PDF of ``pdf_path``'s pages (see scan_pages for the options)."""
    images = scan_pages(pdf_path, **options)
    dpi = options.get("dpi", 200)
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out
