"""OFD (GB/T 33190-2016, 版式文档): China's own fixed-layout format, which government offices
publish beside or instead of PDF.

An OFD file is a zip of XML: ``OFD.xml`` names the document (``DocRoot``), its ``Document.xml``
the pages (and the template pages drawn under or over them), and each page's ``Content.xml``
holds layers of objects placed in millimetres from the page's top-left corner:

- a ``TextObject`` (a ``Boundary`` box, a font ``Size``, an optional ``CTM``) holds
  ``TextCode``s: a run of characters, the first at (X, Y) on the baseline, each next one
  ``DeltaX`` further (``g N d`` repeats d N times);
- a ``PathObject`` draws ``AbbreviatedData`` ("M x y L x y … C"): the rulings of tables;
- a ``PageBlock`` groups objects.

The characters become boxes and the paths rulings, in points as the PDF reader has them, and
readers/pdf.py makes paragraphs and tables of them as it does of a PDF page's
(readers/pdf_layout.py). Images (a scanned OFD) are not read.
"""
from __future__ import annotations

import math
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..document import Block, Document
from ..errors import ReaderError
from .pdf import MAX_PAGES, MIN_CHARS_PER_PAGE, ScannedPage, items_to_blocks, place_page
from .pdf_page import SCAN_AREA
from .pdf_layout import Char, Edge, compose, paths_to_edges

MAX_OFD_BYTES = 100 * 1024 * 1024
# The most read from the zip in all (XML and pictures): a report's pages are a few MB; a zip bomb is not read.
MAX_XML_BYTES = 200 * 1024 * 1024
POINTS_PER_MM = 72 / 25.4
# Where a glyph stands on its baseline, as a share of its size (the PDF reader's boxes: an em
# tall, standing on the descent).
ASCENT, DESCENT = 0.88, 0.12
# The widest a Latin glyph is in the fonts reports use (Times New Roman's widths, the widest of
# theirs and the Chinese fonts' half-width 0.5), as a share of the em: a wider advance is a gap.
LATIN_WIDTHS = {**dict.fromkeys("mw", 0.78), **dict.fromkeys("MW@%", 0.94),
                **dict.fromkeys("ABCDEFGHIJKLNOPQRSTUVXYZ&", 0.72)}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
# Reads the scanned pages of an OFD (each page's picture's bytes, by number from 0): each page's
# blocks, and the OCR summary (Document.ocr).
ScannedPictures = Callable[[dict[int, bytes]], tuple[dict[int, list[Block]], dict]]


def read_ofd(path: str | Path, scanned_pages: ScannedPictures | None = None) -> Document:
    """Read an OFD report's text into paragraphs and tables; its scanned pages (a page that is a
    picture, without text) by ``scanned_pages``, where given.

    :raises ReaderError: not an OFD, damaged, too large, or no text (a scanned OFD, read without
        ``scanned_pages``, or pictures it cannot read).
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_OFD_BYTES:
        raise ReaderError(path, f"OFD too large ({size // 1_048_576} MB)")
    try:
        with zipfile.ZipFile(path) as package:
            ofd = _OfdPackage(path, package)
            pages, title = ofd.read()
            pictured = {n: ofd.unpacked(page.picture) for n, page in enumerate(pages)
                        if page.picture and sum(1 for c in page.chars if not c.text.isspace()) < MIN_CHARS_PER_PAGE}
    except zipfile.BadZipFile as e:
        problem = "not a zip archive" if str(e) == "File is not a zip file" else f"zip: {_one_line(e)}"
        raise ReaderError(path, f"damaged OFD ({problem})") from None
    except etree.XMLSyntaxError as e:  # libxml2's message may run over lines ("…range\n, line 1")
        raise ReaderError(path, f"damaged OFD (unreadable XML: {_one_line(e.msg)})") from None
    if not pages:
        raise ReaderError(path, "OFD has no pages")
    total_chars = sum(1 for page in pages for c in page.chars if not c.text.isspace())
    if total_chars < MIN_CHARS_PER_PAGE * len(pages) and not (pictured and scanned_pages):
        if pictured:
            raise ReaderError(path, "scanned OFD (its pages are pictures, and OCR was not asked for)")
        raise ReaderError(path, "OFD without text (its pages hold neither text nor a picture of a page)")
    items: list = []
    lines: list = []
    for number, page in enumerate(pages):
        if page.chars and number not in pictured:
            place_page(number, page.chars, page.edges, items, lines)
    ocr = None
    if pictured and scanned_pages:
        by_page, ocr = scanned_pages(pictured)
        if len(pictured) < len(pages):  # some pages from their text: the flag names those OCR read
            ocr = dict(ocr, total_pages=len(pages))
        else:  # a scan, every page read by OCR, as an image-only PDF's flag says
            ocr = {key: ocr[key] for key in ("engine", "pages", "mean_confidence")}
        items += [(number, float("-inf"), ScannedPage(blocks)) for number, blocks in by_page.items()]
    items.sort(key=lambda item: (item[0], item[1]))
    meta = {"title": title} if title else {}
    return Document(path=str(path), format="ofd", blocks=items_to_blocks(items, lines, len(pages)), meta=meta,
                    ocr=ocr)


def _one_line(message) -> str:
    return " ".join(str(message).split())


@dataclass
class _Page:
    chars: list[Char]
    edges: list[Edge]
    picture: str | None  # the part holding the largest picture that could be a scan of the page


def _local(element) -> str:
    """An element's name without its namespace (producers write ofd: or none)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _numbers(text: str | None) -> list[float]:
    """The numbers of an attribute; one too large for a float (1e400) is left out, not infinite."""
    return [value for value in map(float, NUMBER.findall(text or "")) if math.isfinite(value)]


def _apply(m: tuple, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


class _OfdPackage:
    """One OFD zip: its first document's pages as (chars, edges), and its title."""

    def __init__(self, path: Path, package: zipfile.ZipFile):
        self.path = path
        self.package = package
        self.names = {name.lstrip("/"): name for name in package.namelist()}
        self.read_bytes = 0

    def unpacked(self, name: str) -> bytes:
        """A part's bytes, within the bound on all the package unpacks (MAX_XML_BYTES: XML and
        pictures alike)."""
        info = self.package.getinfo(self.names[name])
        self.read_bytes += info.file_size
        if self.read_bytes > MAX_XML_BYTES:
            raise ReaderError(self.path, f"OFD too large ({self.read_bytes // 1_048_576} MB unpacked)")
        return self.package.read(info)

    def xml(self, name: str):
        """A part of the package, parsed (no entities, no network: the text is untrusted)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
        return etree.fromstring(self.unpacked(name), parser)

    def resolve(self, base: str, location: str) -> str:
        """A part's name from a location in the part ``base`` (relative to its folder, or to the
        package where it starts with /, or where only that names a part)."""
        location = (location or "").strip().replace("\\", "/")
        if not location:
            raise ReaderError(self.path, "damaged OFD (a part without a location)")
        candidates = [location.lstrip("/")] if location.startswith("/") else [
            posixpath.normpath(posixpath.join(posixpath.dirname(base), location)), posixpath.normpath(location)]
        for name in candidates:
            if name in self.names:
                return name
        raise ReaderError(self.path, f"damaged OFD (missing part {location!r})")

    def read(self) -> tuple[list[_Page], str | None]:
        if "OFD.xml" not in self.names:
            raise ReaderError(self.path, "not an OFD file (no OFD.xml in the zip)")
        body = _child(self.xml("OFD.xml"), "DocBody")
        root_location = _child(body, "DocRoot") if body is not None else None
        if root_location is None:
            raise ReaderError(self.path, "damaged OFD (OFD.xml names no document)")
        info = _child(body, "DocInfo")
        title_element = _child(info, "Title") if info is not None else None
        title = (title_element.text or "").strip() if title_element is not None else ""
        document_name = self.resolve("OFD.xml", root_location.text)
        document = self.xml(document_name)
        common = _child(document, "CommonData")
        default_box = self._box(common)
        templates = {}
        for declared in _children(common, "TemplatePage") if common is not None else []:
            templates[declared.get("ID")] = self.resolve(document_name, declared.get("BaseLoc"))
        parsed: dict[str, object] = {}

        def template(name: str):
            """A template page, parsed once however many pages are drawn on it."""
            if name not in parsed:
                parsed[name] = self.xml(name)
            return parsed[name]

        self.media_files = self._media_files(document_name, common)
        listed = _child(document, "Pages")
        page_parts = _children(listed, "Page") if listed is not None else []
        if len(page_parts) > MAX_PAGES:
            raise ReaderError(self.path, f"OFD has {len(page_parts)} pages; an annual report has far fewer")
        pages = []
        for part in page_parts:
            name = self.resolve(document_name, part.get("BaseLoc"))
            page = self.xml(name)
            layers = [template(templates[t.get("TemplateID")]) for t in _children(page, "Template")
                      if t.get("TemplateID") in templates]
            layers.append(page)
            pages.append(self._page_objects(layers, self._box(page) or default_box))
        return pages, title or None

    def _media_files(self, document_name: str, common) -> dict[str, str]:
        """The package part of every picture (MultiMedia) the document's resources list, by ID."""
        files: dict[str, str] = {}
        locations = [_child(common, name) for name in ("PublicRes", "DocumentRes")] if common is not None else []
        for location in locations:
            if location is None or not (location.text or "").strip():
                continue
            res_name = self.resolve(document_name, location.text)
            res = self.xml(res_name)
            folder = posixpath.join(posixpath.dirname(res_name), res.get("BaseLoc") or "")
            for media in res.iter():
                if _local(media) != "MultiMedia" or media.get("Type", "Image") != "Image":
                    continue
                media_file = _child(media, "MediaFile")
                if media_file is not None and (media_file.text or "").strip():
                    try:
                        files[media.get("ID")] = self.resolve(posixpath.join(folder, "_"), media_file.text)
                    except ReaderError:
                        continue  # a picture missing from the package: a page without it
        return files

    @staticmethod
    def _box(element) -> tuple[float, float, float, float] | None:
        area = _child(element, "Area") if element is not None and _local(element) == "Page" else None
        area = area if area is not None else (_child(element, "PageArea") if element is not None else None)
        physical = _child(area, "PhysicalBox") if area is not None else None
        numbers = _numbers(physical.text) if physical is not None else []
        return tuple(numbers[:4]) if len(numbers) >= 4 else None

    def _page_objects(self, layers: list, box) -> _Page:
        """The characters and rulings of a page and its templates, in points from the top-left,
        and the part of its largest picture if that could be the page scanned."""
        chars: list[Char] = []
        paths: list = []
        pictures: list[tuple[float, str]] = []
        origin = box[:2] if box else (0.0, 0.0)
        for layer_root in layers:
            content = _child(layer_root, "Content")
            for layer in _children(content, "Layer") if content is not None else []:
                self._objects(layer, IDENTITY, chars, paths, pictures)
        picture = None
        if pictures and box:
            area, picture = max(pictures)
            if area < SCAN_AREA * box[2] * box[3]:
                picture = None  # a logo or a seal, not a page

        def on_page(x: float, y: float) -> tuple[float, float]:
            return (x - origin[0]) * POINTS_PER_MM, (y - origin[1]) * POINTS_PER_MM
        for char in chars:
            char.x0, char.top = on_page(char.x0, char.top)
            char.x1, char.bottom = on_page(char.x1, char.bottom)
            char.size *= POINTS_PER_MM
        return _Page(chars, paths_to_edges(paths, on_page), picture)

    def _objects(self, block, outer: tuple, chars: list[Char], paths: list, pictures: list) -> None:
        for element in block:
            kind = _local(element)
            if kind == "PageBlock":
                self._objects(element, outer, chars, paths, pictures)
                continue
            if kind not in ("TextObject", "PathObject", "ImageObject"):
                continue
            boundary = _numbers(element.get("Boundary"))
            if len(boundary) < 4:
                continue
            if kind == "ImageObject":
                if element.get("ResourceID") in self.media_files:
                    pictures.append((boundary[2] * boundary[3], self.media_files[element.get("ResourceID")]))
                continue
            ctm = _numbers(element.get("CTM"))
            # object space -> the boundary's (its CTM) -> the page's (the boundary's corner)
            placed = (ctm[:6] if len(ctm) >= 6 else IDENTITY)
            placed = compose(compose(placed, (1.0, 0.0, 0.0, 1.0, boundary[0], boundary[1])), outer)
            if kind == "TextObject":
                chars += _text_chars(element, placed)
            elif element.get("Stroke", "true").lower() != "false" or element.get("Fill", "false").lower() == "true":
                ops = _path_ops(_child(element, "AbbreviatedData"), placed)
                if ops:
                    paths.append((ops, element.get("Stroke", "true").lower() != "false",
                                  element.get("Fill", "false").lower() == "true"))


def _deltas(text: str | None, limit: int = 100_000) -> list[float]:
    """DeltaX/DeltaY: numbers, where "g N d" stands for N times d; at most ``limit`` of them
    (a run's characters: more are never used, and "g 1e9 1" must not fill the memory)."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < limit:
        if tokens[i] == "g" and i + 2 < len(tokens):
            count, value = _numbers(tokens[i + 1]), _numbers(tokens[i + 2])
            if count and value:
                out += [value[0]] * int(max(0.0, min(count[0], limit - len(out))))
            i += 3
            continue
        found = _numbers(tokens[i])
        if found:
            out.append(found[0])
        i += 1
    return out


def _widest_latin(ch: str) -> float:
    return LATIN_WIDTHS.get(ch, 0.5)


def _text_chars(element, placed: tuple) -> list[Char]:
    """A text object's characters, their boxes in millimetres on the page (scaled by ``placed``)."""
    size = (_numbers(element.get("Size")) or [3.5])[0]
    a, b, c, d = placed[:4]
    scale = abs(a * d - b * c) ** 0.5 or 1.0
    upright = abs(b) < 1e-6 and abs(c) < 1e-6 and a > 0 and d > 0
    out: list[Char] = []
    x = y = 0.0
    for code in _children(element, "TextCode"):
        text = code.text or ""
        x = (_numbers(code.get("X")) or [x])[0]
        y = (_numbers(code.get("Y")) or [y])[0]
        dx, dy = _deltas(code.get("DeltaX"), len(text)), _deltas(code.get("DeltaY"), len(text))
        for i, ch in enumerate(text):
            # OFD gives no glyph's width, only the advance to the next (DeltaX): that, up to an em
            # for a full-width character and WIDEST_ASCII for a Latin one, so that a wider advance
            # leaves the gap the page shows (between words, before a spaced-out 。)
            widest = size * (_widest_latin(ch) if ch.isascii() else 1.0)
            advance = dx[i] if i < len(dx) else 0.0
            width = min(advance, widest) if advance > 0 else widest
            (px, py), (qx, _) = _apply(placed, x, y), _apply(placed, x + width, y)
            glyph = size * scale
            # a space is kept: the layout cuts words at it (readers/pdf_layout.py)
            out.append(Char(ch, min(px, qx), max(px, qx), py - glyph * ASCENT, py + glyph * DESCENT, glyph, upright))
            x += dx[i] if i < len(dx) else (dx[-1] if dx else width)
            y += dy[i] if i < len(dy) else 0.0
    return out


_PATH_TOKEN = re.compile(r"[A-Za-z]|" + NUMBER.pattern)
_PATH_ARGS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _path_ops(data, placed: tuple) -> list[tuple[str, tuple[float, float]]]:
    """AbbreviatedData as the PDF reader's path ops: "m" a move, "l" a line, "c" a curve's end, "h" a close."""
    if data is None:
        return []
    tokens = _PATH_TOKEN.findall(data.text or "")
    ops: list[tuple[str, tuple[float, float]]] = []
    start = None
    i = 0
    while i < len(tokens):
        command = tokens[i]
        arity = _PATH_ARGS.get(command)
        if arity is None:
            i += 1
            continue
        values = [float(t) for t in tokens[i + 1:i + 1 + arity] if not t.isalpha()]
        i += 1 + arity
        if len(values) < arity or not all(map(math.isfinite, values)):
            break
        if command == "C":
            if start is not None:
                ops.append(("h", start))
            continue
        point = _apply(placed, values[-2], values[-1])
        if command in ("M", "S"):
            ops.append(("m", point))
            start = point
        elif not ops:
            continue  # a line or curve with no point to start from
        else:
            ops.append(("l" if command == "L" else "c", point))
    return ops
