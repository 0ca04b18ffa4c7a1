"""Page images of a scanned report: a PDF's pages rendered, or an image file's frames.

Limits keep a pathological file a clear one-line error rather than a hang or an
exhausted memory: pixels per page (also PIL's decompression-bomb guard) and pages per file.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence

from ..errors import ReaderError

DPI = 200
# An A4 page at 200 dpi is 3.9 million pixels; 40 million allows an A3 page at 400 dpi.
MAX_PIXELS = 40_000_000
# A scanned annual report runs to 5-30 pages; an OCR'd page costs seconds.
MAX_PAGES = 60
# A logo or an icon (a saved page's folder is full of them) is no page: not worth an OCR pass.
MIN_SIDE = 300
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # PIL refuses larger images before decoding them

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "TIFF": "tif", "BMP": "bmp", "GIF": "gif", "WEBP": "webp", "HEIF": "heic"}


def _too_many_pages(path: Path, count: int) -> ReaderError:
    return ReaderError(path, f"scan of {count} pages; OCR reads at most {MAX_PAGES} pages a file")


def check_scanned_pages(path: Path, count: int) -> None:
    """:raises ReaderError: more scanned pages among a file's others than OCR reads (MAX_PAGES)."""
    if count > MAX_PAGES:
        raise ReaderError(path, f"{count} scanned pages; OCR reads at most {MAX_PAGES} pages a file")


def _as_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # a 16-bit (or 32-bit) grey scan: PIL's conversion clips it at 255 rather than scaling it, so
        # a page scanned at 16 bits came out nearly all white, and OCR found almost no text there
        values = np.asarray(image, dtype=np.float32)
        brightest = float(values.max()) if values.size else 0.0
        if brightest > 255:
            values *= 255.0 / brightest
        image = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L")
    return np.asarray(image.convert("RGB"))


def pdf_page_count(path: Path) -> int:
    import pypdfium2

    with pypdfium2.PdfDocument(str(path)) as pdf:
        return len(pdf)


def pdf_pages(path: Path, numbers: list[int] | None = None) -> Iterator[np.ndarray]:
    """A PDF's pages (or those of ``numbers``, from 0, bounded by the caller: ``check_scanned_pages``)
    rendered at DPI (less for a page so large it would pass MAX_PIXELS)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        if numbers is None:
            numbers = list(range(len(pdf)))
            if len(numbers) > MAX_PAGES:
                raise _too_many_pages(path, len(numbers))
        for number in numbers:
            page = pdf[number]
            width, height = page.get_size()  # points
            scale = min(DPI / 72, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            yield _as_rgb(page.render(scale=scale).to_pil())
    finally:
        pdf.close()


@functools.cache
def _register_heif() -> None:
    """Teach PIL HEIF (a phone's HEIC photo), once, on the first image opened: pillow-heif's
    libheif loads only where images are read."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def open_image(path: Path, data: bytes | None = None) -> Image.Image:
    """An image file, opened lazily; its format checked and its size bounded before decoding."""
    import io
    import warnings

    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data) if data is not None else path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ReaderError(path, f"image too large (over {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError):
        raise ReaderError(path, "not a readable image (damaged or of an unknown kind)") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ReaderError(path, f"image too large ({width}×{height} pixels; at most {MAX_PIXELS:,})")
    if min(width, height) < MIN_SIDE:
        raise ReaderError(path, f"image too small to be a report page ({width}×{height} pixels)")
    return image


def image_pages(path: Path, data: bytes | None = None) -> Iterator[np.ndarray]:
    """An image file's frames (a multi-page TIFF holds a scanned report's pages)."""
    image = open_image(path, data)
    count = getattr(image, "n_frames", 1)
    if count > MAX_PAGES:
        raise _too_many_pages(path, count)
    for frame in ImageSequence.Iterator(image):
        width, height = frame.size
        if width * height > MAX_PIXELS:
            raise ReaderError(path, f"image too large ({width}×{height} pixels; at most {MAX_PIXELS:,})")
        # a camera's or a scanner's JPEG may be stored sideways with its EXIF orientation saying how
        # to show it: turned as a viewer would, or OCR reads the page on its side and finds nothing
        yield _as_rgb(ImageOps.exif_transpose(frame))


def image_format(path: Path, data: bytes | None = None) -> str:
    """The file's own image format, as source.format names it (png, jpg, tif …)."""
    return IMAGE_FORMATS.get(open_image(path, data).format or "", path.suffix.lower().lstrip(".") or "image")
