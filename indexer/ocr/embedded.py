"""Table images inside a Word document or a saved web page, read by OCR into Tables.

Some reports paste their tables as pictures. Each picture that has ruled tables
(a photo or a logo has none, and is not OCR'd) is read like a scanned page, and its
blocks are put into the document after the paragraph that precedes the picture, so
the tables stand where the report printed them.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

import cv2
import numpy as np

from ..document import Document, Paragraph
from ..errors import ReaderError
from . import cache, pages
from .engine import ENGINE_NAME
from .grid import find_tables
from .scan import RECORD_VERSION, ocr_page, page_blocks

MAX_IMAGES = 20  # pictures OCR'd per document at most
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
SPACES = re.compile(r"\s+")
IMG_SRC = re.compile(rb"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)""", re.I)

Picture = tuple[str, bytes]  # (the text of the paragraph before it, the image's bytes)


def _key(text: str) -> str:
    return SPACES.sub("", unicodedata.normalize("NFKC", text))


def docx_pictures(path: Path) -> list[Picture]:
    """The pictures of a .docx body in order, each with the text that precedes it."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if not any(n.startswith("word/media/") for n in names):
            return []
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
        targets = {r.get("Id"): posixpath.normpath(posixpath.join("word", r.get("Target", "")))
                   for r in rels.iter(REL)}
        body = etree.fromstring(z.read("word/document.xml"))
        out: list[Picture] = []
        before = ""
        for paragraph in body.iter(f"{W}p"):
            for blip in paragraph.iter(A_BLIP):
                target = targets.get(blip.get(R_EMBED))
                if target in names:
                    out.append((before, z.read(target)))
            text = "".join(t.text or "" for t in paragraph.iter(f"{W}t")).strip()
            if text:
                before = text
        return out


def pictures_of(fmt: str, path: Path) -> list[Picture]:
    """The pictures of a .docx, a saved page or a page saved as one file, each with the text before it."""
    if fmt == "docx":
        return docx_pictures(path)
    return html_pictures(path) if fmt == "html" else mhtml_pictures(path)


def html_pictures(path: Path) -> list[Picture]:
    """The pictures of a saved page that lie beside it on disk, each with the text before it."""
    from ..readers.html import decode_html

    data = path.read_bytes()

    def on_disk(src: str) -> bytes | None:
        parsed = urlparse(src)
        if parsed.scheme not in ("", "file") or not parsed.path:
            return None  # a web address: not fetched
        local = (path.parent / unquote(parsed.path)).resolve()
        return local.read_bytes() if local.is_file() else None

    # most pages have no picture on disk beside them: tell so without parsing the page again
    sources = (unquote(urlparse(m.decode("latin-1")).path) for m in IMG_SRC.findall(data))
    if not any(s and (path.parent / s).is_file() for s in sources):
        return []
    return _page_pictures(decode_html(data, path), on_disk)


def mhtml_pictures(path: Path) -> list[Picture]:
    """The pictures a page saved as one file carries inside, each with the text before it."""
    from ..readers.mhtml import saved_page

    page = saved_page(path)
    return _page_pictures(page.html, page.resource) if page.has_pictures() else []


def _page_pictures(html: str, fetch: Callable[[str], bytes | None]) -> list[Picture]:
    """Every <img> of a page whose bytes ``fetch`` finds for its src, with the text before it."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    out: list[Picture] = []
    for img in soup.find_all("img"):
        data = fetch(img.get("src") or "")
        if not data:
            continue
        previous = img.find_previous(string=lambda s: s.strip() and s.parent.name not in ("script", "style"))
        out.append((previous.strip() if previous else "", data))
    return out


def _ruled(data: bytes, where: Path) -> np.ndarray | None:
    """The picture as RGB if it is big enough to be a table and has ruled tables, else None."""
    try:
        frames = list(pages.image_pages(where, data))
    except ReaderError:
        return None  # too small (a logo), too large, or not an image we read
    if len(frames) != 1 or not find_tables(cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY)):
        return None
    return frames[0]


def add_picture_tables(document: Document, pictures: list[Picture], cache_dir: Path | None) -> Document:
    """Insert the OCR'd blocks of every picture with ruled tables after the paragraph before it."""
    path = Path(document.path)
    records = []
    for before, data in pictures[:MAX_IMAGES]:
        sha256 = hashlib.sha256(data).hexdigest()
        stored = cache.load(cache_dir, sha256, RECORD_VERSION) if cache_dir else None
        if stored is None:
            image = _ruled(data, path)
            if image is None:
                continue
            stored = [ocr_page(image)]
            if cache_dir:
                cache.save(cache_dir, sha256, stored)
        records.append((before, stored[0]))
    if not records:
        return document
    blocks = list(document.blocks)
    for before, record in reversed(records):  # from the end: earlier positions stay valid
        wanted = _key(before)
        position = len(blocks)
        if wanted:
            for i in range(len(blocks) - 1, -1, -1):
                if isinstance(blocks[i], Paragraph) and wanted in _key(blocks[i].text):
                    position = i + 1
                    break
        blocks[position:position] = page_blocks(record)
    confidences = [b["conf"] for _, record in records for b in record["boxes"]] or [0.0]
    document.blocks = blocks
    document.ocr = {"engine": ENGINE_NAME, "pages": len(records),
                    "mean_confidence": round(sum(confidences) / len(confidences), 3)}
    return document
