"""PDF with a text layer: paragraphs from text lines, tables from rulings.

PDFium (pypdfium2) reads the file: each page's characters with their boxes,
and its paths, which become rulings; indexer/readers/pdf_layout.py turns them
into text lines and ruled tables.

Word/WPS exports paint a white rectangle behind every line and cell; those
are invisible, so they are dropped before looking for tables (otherwise each
page of running text looks like a one-column table). Tables come from the
visible rulings; a page with no rulings but rows of numbers falls back to
runs of lines ending in numbers. Merged cells follow Word's text export: a cell
spanning columns appears once, a continuation of a cell spanning rows
appears as "", and a label wrapped inside its cell is joined without a
separator. A table broken by a page stays two tables.
"""
from __future__ import annotations

import ctypes
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..document import Document, Paragraph, Table
from ..errors import NoTextLayer, ReaderError
from .pdf_layout import Char, Edge, TextLine, chars_to_lines, curve_edges, find_tables, line_edge, rect_edges

NUMBER = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?(?:%|万元|元|件|个|项)?$")
# Consecutive lines ending in two or more numbers, this many or more: an unruled table.
MIN_UNRULED_ROWS = 3
MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PAGES = 500
# Fewer extracted characters per page than this: the pages are images.
MIN_CHARS_PER_PAGE = 20
PAGE_NUMBER = re.compile(r"^[-—–―\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d+\s*页)?[-—–―\s]*$")
HEADING_START = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]"
                           r"|\d{1,2}\s*[、．]|第[一二三四五六七八九十\d]+[章节部分条])")
TOLERANCE = 1.5
# A fill this light (0-255, every channel) is white paper: the background behind text, not a ruling.
WHITE = 242
# PDFium's load errors (FPDF_ERR_*) by code; 4 and 5 are a password and an unknown security handler.
LOAD_ERRORS = {1: "UnknownError", 2: "FileError", 3: "FormatError", 6: "PageError"}
ENCRYPTED = (4, 5)


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    size: float
    page: int


def read_pdf(path: str | Path) -> Document:
    """Read a PDF report's text layer into paragraphs and tables.

    :raises NoTextLayer: a scanned (image-only) PDF, or one whose text cannot be
        decoded: the pages must be OCR'd first.
    :raises ReaderError: damaged, encrypted or oversized PDF.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_PDF_BYTES:
        raise ReaderError(path, f"PDF too large ({size // 1_048_576} MB)")
    with open(path, "rb") as f:
        if b"%PDF" not in f.read(1024):
            raise ReaderError(path, "damaged PDF (no %PDF header)")
    import pypdfium2  # a native library; only PDF reading needs it

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code in ENCRYPTED:
            raise ReaderError(path, "password-protected or encrypted PDF; save it without a password") from None
        raise ReaderError(path, f"damaged or truncated PDF ({LOAD_ERRORS.get(code, 'PdfiumError')})") from None
    try:
        page_count = len(pdf)
        if page_count > MAX_PAGES:
            raise ReaderError(path, f"PDF has {page_count} pages; an annual report has far fewer")
        items, lines, total_chars, unmapped = _read_pages(pdf)
        title = _metadata_title(pdf.get_metadata_value("Title"))
    except ReaderError:
        raise
    except MemoryError:
        raise ReaderError(path, "PDF too large to read") from None
    except Exception as e:  # PDFium fails on a broken page as PdfiumError, ctypes as others
        raise ReaderError(path, f"damaged or truncated PDF ({type(e).__name__})") from None
    finally:
        pdf.close()
    if page_count == 0:
        raise ReaderError(path, "PDF has no pages")
    if total_chars < MIN_CHARS_PER_PAGE * page_count:
        raise NoTextLayer(path, "scanned PDF, no text layer (OCR it first)")
    if unmapped > total_chars / 2:
        raise NoTextLayer(path, "PDF text layer is unreadable (fonts without a Unicode map; OCR it first)")
    blocks = items_to_blocks(items, lines, page_count)
    meta = {"title": title} if title else {}
    return Document(path=str(path), format="pdf", blocks=blocks, meta=meta)


def _metadata_title(title: str | None) -> str | None:
    if isinstance(title, str):
        title = title.strip()
        # Broken producers write UTF-16 bytes as Latin-1 (ÿþ...): useless as a title.
        if title and not title.startswith(("ÿþ", "þÿ")) and "\x00" not in title:
            return title
    return None


# -- the page as PDFium sees it ---------------------------------------------------------------

class _View:
    """User space -> the page as displayed: the page's rotation undone, y from the top.

    ``turn`` is the display rotation as a matrix (a, b, c, d), applied after a
    character's own matrix to tell upright text from rotated text.
    """

    def __init__(self, mediabox: tuple[float, float, float, float], quarter_turns: int):
        x0, y0, x1, y1 = mediabox
        self.quarter = quarter_turns % 4
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.height = (y1 - y0) if self.quarter in (0, 2) else (x1 - x0)
        self.turn = ((1, 0, 0, 1), (0, -1, 1, 0), (-1, 0, 0, -1), (0, 1, -1, 0))[self.quarter]

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point on the displayed page: x from its left, y up from its bottom."""
        q = self.quarter
        if q == 0:
            return x - self.x0, y - self.y0
        if q == 1:
            return y - self.y0, self.x1 - x
        if q == 2:
            return self.x1 - x, self.y1 - y
        return self.y1 - y, x - self.x0

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """A user-space box as displayed: (x0, x1, top, bottom), y from the top."""
        (ax, ay), (bx, by) = self.point(left, bottom), self.point(right, top)
        return min(ax, bx), max(ax, bx), self.height - max(ay, by), self.height - min(ay, by)


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _plain(kind):
    """A pointer to one of PDFium's opaque handle structs becomes a plain address."""
    target = getattr(kind, "_type_", None)
    return ctypes.c_void_p if getattr(target, "__name__", "").startswith("struct_fpdf_") else kind


class _AddressApi:
    """pypdfium2.raw, its functions taking and returning PDFium's handles (pages, text
    pages, objects, segments) as plain addresses: ctypes passes an int faster than a
    pointer object, and an address compares as itself. Thousands of calls a page."""

    def __init__(self, raw):
        self._raw = raw

    def __getattr__(self, name: str):
        value = getattr(self._raw, name)
        if hasattr(value, "argtypes") and hasattr(value, "restype"):
            prototype = ctypes.CFUNCTYPE(_plain(value.restype), *map(_plain, value.argtypes))
            value = prototype(ctypes.cast(value, ctypes.c_void_p).value)
        setattr(self, name, value)
        return value


_API: _AddressApi | None = None


def _api() -> _AddressApi:
    global _API
    if _API is None:
        import pypdfium2.raw

        _API = _AddressApi(pypdfium2.raw)
    return _API


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The affine matrix (a, b, c, d, e, f) applying ``inner`` then ``outer``."""
    a1, b1, c1, d1, e1, f1 = inner
    a0, b0, c0, d0, e0, f0 = outer
    return (a1 * a0 + b1 * c0, a1 * b0 + b1 * d0, c1 * a0 + d1 * c0, c1 * b0 + d1 * d0,
            e1 * a0 + f1 * c0 + e0, e1 * b0 + f1 * d0 + f0)


class _Objects:
    """A page's paths in content order (forms entered), with how each is painted.

    ``text_objects``: the page's text objects already seen (their characters), skipped.
    """

    def __init__(self, raw, page, text_objects: set[int]):
        self.raw = raw
        self.paths: list[tuple[list[tuple[str, tuple[float, float]]], bool, bool]] = []
        self._matrix = raw.FS_MATRIX()
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()
        self._rgba = [ctypes.c_uint() for _ in range(4)]
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        get_type, get_object, path = raw.FPDFPageObj_GetType, raw.FPDFPage_GetObject, raw.FPDF_PAGEOBJ_PATH
        for k in range(raw.FPDFPage_CountObjects(page)):
            obj = get_object(page, k)
            if obj in text_objects:
                continue  # known from its characters: most of a page's objects
            kind = get_type(obj)
            if kind == path:
                self._add_path(obj, None)
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                self._walk_form(obj, None)

    def _object_matrix(self, obj) -> tuple:
        m = self._matrix
        self.raw.FPDFPageObj_GetMatrix(obj, m)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def _walk_form(self, form, outer: tuple | None) -> None:
        raw = self.raw
        matrix = self._object_matrix(form)
        inner = matrix if outer is None else _compose(matrix, outer)
        for k in range(raw.FPDFFormObj_CountObjects(form)):
            obj = raw.FPDFFormObj_GetObject(form, k)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_PATH:
                self._add_path(obj, inner)
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                self._walk_form(obj, inner)

    def _add_path(self, obj, outer: tuple | None) -> None:
        raw = self.raw
        raw.FPDFPath_GetDrawMode(obj, self._fill, self._stroke)
        stroke, fill = bool(self._stroke.value), self._fill.value != 0
        coloured = fill
        if fill and not stroke:
            r, g, b, a = self._rgba
            coloured = not (raw.FPDFPageObj_GetFillColor(obj, r, g, b, a) and min(r.value, g.value, b.value) >= WHITE)
        get_segment, get_type = raw.FPDFPath_GetPathSegment, raw.FPDFPathSegment_GetType
        segments = [get_segment(obj, s) for s in range(raw.FPDFPath_CountSegments(obj))]
        kinds = [get_type(segment) for segment in segments]
        moves = [i for i, kind in enumerate(kinds) if kind == raw.FPDF_SEGMENT_MOVETO] + [len(kinds)]
        spans = list(zip(moves, moves[1:]))
        if not (stroke or coloured):
            # unpainted but for a line: only a subpath of two or three points can be one
            spans = [(i, j) for i, j in spans if j - i <= 3]
        if not spans:
            return
        a_, b_, c_, d_, e_, f_ = self._object_matrix(obj) if outer is None else _compose(self._object_matrix(obj), outer)
        x, y = self._x, self._y
        get_point, get_close, bezier = raw.FPDFPathSegment_GetPoint, raw.FPDFPathSegment_GetClose, raw.FPDF_SEGMENT_BEZIERTO
        ops: list[tuple[str, tuple[float, float]]] = []
        for i, j in spans:
            start = None
            beziers = 0
            for segment, kind in zip(segments[i:j], kinds[i:j]):
                get_point(segment, x, y)
                point = (a_ * x.value + c_ * y.value + e_, b_ * x.value + d_ * y.value + f_)
                if start is None:
                    ops.append(("m", point))
                    start = point
                elif kind == bezier:
                    beziers += 1
                    if beziers % 3:
                        continue  # a control point: a curve's segment is counted by its end
                    ops.append(("c", point))
                else:
                    ops.append(("l", point))
                if get_close(segment):
                    ops.append(("h", start))
        self.paths.append((ops, stroke, coloured))


def _subpath_shapes(ops: list[tuple[str, tuple[float, float]]]):
    """Each subpath as a line, a rectangle or a curve, with its points (user space).

    The classification is pdfminer's: a move and a line (closed or not) is a line;
    four sides whose corners square up and close is a rectangle; anything else a curve.
    """
    for subpath in _split_subpaths(ops):
        shape = "".join(op for op, _ in subpath)
        points = [p for _, p in subpath]
        if len(shape) < 2:
            continue
        if len(shape) > 3 and shape.endswith("lh") and points[-2] == points[0]:
            shape = shape[:-2] + "h"  # a closing line drawn back to the start, then closed
            points.pop()
        if shape in ("ml", "mlh"):
            yield "line", points[:2]
        elif shape in ("mlllh", "mllll"):
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
            square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
            yield ("rect" if points[0] == points[4] and square else "curve"), points
        else:
            yield "curve", points


def _split_subpaths(ops):
    current: list = []
    for op in ops:
        if op[0] == "m":
            if current:
                yield current
            current = [op]
        elif current:
            current.append(op)
    if current:
        yield current


def _page_edges(objects: _Objects, view: _View) -> list[Edge]:
    """The visible rulings as edges: every line; rectangles and curves that are
    stroked, or filled with a colour other than white."""
    lines, rects, curves = [], [], []
    for ops, stroke, coloured_fill in objects.paths:
        for kind, points in _subpath_shapes(ops):
            if kind != "line" and not (stroke or coloured_fill):
                continue
            shown = [view.point(x, y) for x, y in points]
            xs = [p[0] for p in shown]
            ys = [p[1] for p in shown]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            top, bottom = view.height - y1, view.height - y0
            if kind == "line":
                lines.append(line_edge(x0, x1, top, bottom, x1 - x0, y1 - y0))
            elif kind == "rect":
                rects += rect_edges(x0, x1, top, bottom, x1 - x0, y1 - y0)
            else:
                curves += curve_edges([(x, view.height - y) for x, y in shown])
    return lines + rects + curves


def _page_chars(raw, page, textpage, view: _View) -> tuple[list[Char], int, set[int]]:
    """The page's characters, how many have no Unicode mapping, and the text objects
    they belong to. Spaces PDFium inserts between words and lines are dropped."""
    count = raw.FPDFText_CountChars(textpage)
    box, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    turned = view.quarter != 0
    indexed: list[tuple[int, Char]] = []
    unmapped = 0
    rotated = False
    last_object = font_em = upright = None
    objects: set[int] = set()
    page_text = _page_text(raw, textpage, count)
    text_object, map_error = raw.FPDFText_GetTextObject, raw.FPDFText_HasUnicodeMapError
    loose_box, left_edge, page_top = raw.FPDFText_GetLooseCharBox, view.x0, view.y1
    for i in range(count):
        code = ord(page_text[i]) if page_text is not None else raw.FPDFText_GetUnicode(textpage, i)
        text = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if (code <= 32 or text.isspace()) and raw.FPDFText_IsGenerated(textpage, i):
            continue
        obj = text_object(textpage, i)
        if obj != last_object:  # the characters of one text object share its font size and matrix
            raw.FPDFText_GetMatrix(textpage, i, matrix)
            a, b, c, d = matrix.a, matrix.b, matrix.c, matrix.d
            if turned:
                a, b, c, d = _compose((a, b, c, d, 0, 0), (*view.turn, 0, 0))[:4]
            font_em = raw.FPDFText_GetFontSize(textpage, i) * math.hypot(c, d)
            upright = a * d > 0 and b * c <= 0
            last_object = obj
            objects.add(obj)
        em = font_em
        if map_error(textpage, i) == 1:
            unmapped += 1
        loose_box(textpage, i, box)
        left, high, right, low = box.left, box.top, box.right, box.bottom
        if turned:
            x0, x1, top, bottom = view.box(left, low, right, high)
        else:
            x0, x1, top, bottom = left - left_edge, right - left_edge, page_top - high, page_top - low
        if upright and bottom - top > 2 * em:
            # a vertical font (Identity-V): PDFium's box spans the whole column; the glyph
            # is an em square hanging from its origin
            raw.FPDFText_GetCharOrigin(textpage, i, ox, oy)
            x0, y = view.point(ox.value, oy.value)
            x1, bottom = x0 + em, view.height - y
            top = bottom - em
        elif upright:
            top = bottom - em  # the em box standing on the font's descent
        else:
            em = bottom - top
            rotated = True
        indexed.append((i, Char(text, x0, x1, top, bottom, em, upright)))
    if rotated:
        indexed = _in_content_order(raw, page, textpage, indexed)
    return [char for _, char in indexed], unmapped, objects


def _page_text(raw, textpage, count: int) -> str | None:
    """The text page's characters in one call, or None unless it holds exactly one
    UTF-16 unit per character (a character beyond the BMP takes two: ask one by one)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = raw.FPDFText_GetText(textpage, 0, count, buffer)
    text = bytes(buffer)[: 2 * max(written - 1, 0)].decode("utf-16-le", "surrogatepass")
    return text if len(text) == count else None


def _in_content_order(raw, page, textpage, indexed: list[tuple[int, Char]]) -> list[tuple[int, Char]]:
    """The characters in the order the page draws them.

    PDFium's text page moves a text object drawn later onto the line it sits on.
    Lines and words are sorted by position anyway, but text is read in runs of
    upright and of rotated characters, and those runs follow the drawing order.
    """
    order: dict[int, int] = {}

    def walk(count, get):
        for k in range(count):
            obj = get(k)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_TEXT:
                order[obj] = len(order)
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                walk(raw.FPDFFormObj_CountObjects(obj), lambda j, o=obj: raw.FPDFFormObj_GetObject(o, j))

    walk(raw.FPDFPage_CountObjects(page), lambda k: raw.FPDFPage_GetObject(page, k))
    drawn = [(order.get(raw.FPDFText_GetTextObject(textpage, i), -1), i, char) for i, char in indexed]
    drawn.sort(key=lambda t: (t[0], t[1]))
    return [(i, char) for _, i, char in drawn]


def _read_pages(pdf):
    """Per page: tables (with their top) and text lines outside them."""
    raw = _api()

    items: list[tuple[int, float, object]] = []  # (page, top, Table | _Line)
    lines: list[_Line] = []
    total_chars = unmapped = 0
    for number in range(len(pdf)):
        page = pdf[number]
        textpage = page.get_textpage()
        try:
            view = _View(page.get_mediabox(), page.get_rotation() // 90)
            page_address, textpage_address = _address(page.raw), _address(textpage.raw)
            chars, page_unmapped, text_objects = _page_chars(raw, page_address, textpage_address, view)
            objects = _Objects(raw, page_address, text_objects)
        finally:
            textpage.close()
            page.close()
        total_chars += sum(1 for c in chars if c.text.strip())
        unmapped += page_unmapped
        if chars:
            _place_page(number, chars, _page_edges(objects, view), items, lines)
    items.sort(key=lambda item: (item[0], item[1]))
    return items, lines, total_chars, unmapped


def _place_page(number: int, chars: list[Char], edges: list[Edge], items: list, lines: list[_Line]) -> None:
    """One page's tables and the text lines outside them, each with its top."""
    tables = [t for t in find_tables(edges, _closing_edges(edges)) if _is_real_table(t)]
    placed = [(t.bbox, table_to_rows(t, chars)) for t in tables]
    text_lines = None
    if not placed:
        text_lines = chars_to_lines(chars)
        placed = unruled_tables(text_lines)
    boxes = [bbox for bbox, _ in placed]
    for bbox, rows in placed:
        if rows:
            items.append((number, bbox[1], Table(rows)))
    if boxes or text_lines is None:
        text_lines = chars_to_lines(_outside(chars, boxes))
    for raw_line in text_lines:
        text = raw_line.text.strip()
        if not text:
            continue
        sizes = [c.size for c in raw_line.chars if c.text.strip()]
        line = _Line(text, raw_line.x0, raw_line.x1, raw_line.top, max(sizes) if sizes else 0, number)
        lines.append(line)
        items.append((number, raw_line.top, line))


def _closing_edges(edges: list[Edge]) -> list[Edge]:
    """Borders a table broken by a page never draws: where two or more rulings
    stop (or start) at the same height with no horizontal ruling there, close
    the table with a line, or its last row on the page is lost."""
    verticals = [e for e in edges if e.orientation == "v"]
    horizontals = [e for e in edges if e.orientation == "h"]
    closing = []
    for key in ("top", "bottom"):
        ends: dict[int, list[Edge]] = {}
        for edge in verticals:
            ends.setdefault(round(getattr(edge, key) / 2), []).append(edge)
        for group in ends.values():
            if len(group) < 2:
                continue
            y = sum(getattr(e, key) for e in group) / len(group)
            x0, x1 = min(e.x0 for e in group), max(e.x1 for e in group)
            covered = any(abs(h.top - y) <= 2 and h.x0 <= x0 + 2 and h.x1 >= x1 - 2 for h in horizontals)
            if not covered:
                closing.append(line_edge(x0, x1, y, y, x1 - x0, 0))
    return closing


def _outside(chars: list[Char], boxes: list[tuple]) -> list[Char]:
    """The chars whose centre lies in none of the boxes (x0, top, x1, bottom)."""
    kept = []
    for c in chars:
        x = (c.x0 + c.x1) / 2
        y = (c.top + c.bottom) / 2
        for x0, top, x1, bottom in boxes:
            if x0 <= x < x1 and top <= y < bottom:
                break
        else:
            kept.append(c)
    return kept


def _is_real_table(table) -> bool:
    """Two columns at least: a ruled box around running text is a frame, not a table.
    One row is enough: the last row of a table can spill onto the next page alone."""
    rows = table.rows
    return bool(rows) and max(len(r.cells) for r in rows) >= 2


def _words(chars: list[Char]) -> list[dict]:
    """Split a line's characters into words at spaces and at gaps wider than a third of an em."""
    words: list[dict] = []
    for ch in chars:
        text = ch.text
        if not text.strip():
            if words and words[-1]["text"]:
                words.append({"text": "", "x0": ch.x1, "x1": ch.x1})
            continue
        last = words[-1] if words else None
        gap_limit = (ch.size or 10) / 3
        if last is None or not last["text"] or ch.x0 - last["x1"] > gap_limit:
            words.append({"text": text, "x0": ch.x0, "x1": ch.x1})
        else:
            last["text"] += text
            last["x1"] = ch.x1
    return [w for w in words if w["text"]]


def _trailing_numbers(words: list[dict]) -> list[dict]:
    trailing = []
    for word in reversed(words):
        if not NUMBER.match(word["text"]):
            break
        trailing.append(word)
    return trailing[::-1]


def unruled_tables(text_lines: list[TextLine]) -> list[tuple[tuple, list[list[str]]]]:
    """Tables drawn without rulings: runs of lines that end in numbers.

    Columns are the clusters of the numbers' centres, so a number missing from
    one row leaves that row's cell "" rather than shifting the others left.
    """
    lines = [line for line in text_lines if line.text.strip()]
    parsed = [(line, _words(line.chars)) for line in lines]
    numeric = [len(_trailing_numbers(words)) >= 2 for _, words in parsed]
    found = []
    i = 0
    while i < len(parsed):
        if not numeric[i]:
            i += 1
            continue
        members, k = [i], i + 1
        # one line without numbers may sit between two rows: a wrapped label
        while k < len(parsed) and (numeric[k] or (k + 1 < len(parsed) and numeric[k + 1])):
            members.append(k)
            k += 1
        if sum(numeric[m] for m in members) >= MIN_UNRULED_ROWS:
            found.append(_region_to_table([parsed[m] for m in members]))
        i = k
    return found


def _region_to_table(region) -> tuple[tuple, list[list[str]]]:
    numbers = [w for _, words in region for w in _trailing_numbers(words)]
    em = max((c.size or 10) for line, _ in region for c in line.chars)
    columns: list[list[dict]] = []
    for word in sorted(numbers, key=lambda w: (w["x0"] + w["x1"]) / 2):
        centre = (word["x0"] + word["x1"]) / 2
        if columns and centre - (columns[-1][-1]["x0"] + columns[-1][-1]["x1"]) / 2 <= 1.2 * em:
            columns[-1].append(word)
        else:
            columns.append([word])
    spans = [(min(w["x0"] for w in col) - em / 2, max(w["x1"] for w in col) + em / 2) for col in columns]
    rows: list[list[str]] = []
    for line, words in region:
        trailing = _trailing_numbers(words)
        if not trailing:
            if rows:
                rows[-1][0] += line.text.strip()  # a label wrapped onto the next line
            else:
                rows.append([line.text.strip()])
            continue
        label = "".join(c.text for c in line.chars if c.x1 <= trailing[0]["x0"]).strip()
        values = []
        for x0, x1 in spans:
            hit = next((w["text"] for w in trailing if x0 <= (w["x0"] + w["x1"]) / 2 <= x1), "")
            values.append(hit)
        rows.append([label] + values)
    bbox = (min(line.x0 for line, _ in region), min(line.top for line, _ in region),
            max(line.x1 for line, _ in region) + 0.1, max(line.bottom for line, _ in region) + 0.1)
    return bbox, rows


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE


def _cell_string(text: str | None) -> str:
    """Wrapped lines inside a cell join without a separator (本年新\\n制作数量)."""
    if text is None:
        return ""
    return text.replace("\n", "")


def table_to_rows(table, chars: list[Char]) -> list[list[str]]:
    """A ruled table as rows of raw cell strings, Word text-export style.

    A row holds None wherever no cell starts; the cell covering that
    grid point tells a column span (skipped) from a row span ("").
    """
    cells = table.cells
    xs = sorted(set(c[0] for c in cells))
    rows = [_row_with_spans(row, texts, cells, xs) for row, texts in zip(table.rows, table.extract(chars))]
    return [r for r in rows if r]


def _row_with_spans(row, row_texts, cells, xs) -> list[str]:
    top = row.bbox[1]
    out: list[str] = []
    for x, bbox, text in zip(xs, row.cells, row_texts):
        if bbox is not None:
            out.append(_cell_string(text))
            continue
        cover = next((c for c in cells if c[0] - TOLERANCE <= x < c[2] - TOLERANCE
                      and c[1] - TOLERANCE <= top < c[3] - TOLERANCE), None)
        if cover is None:
            out.append("")  # a hole in the grid: keep the column
        elif _close(cover[1], top):
            continue  # the cell to the left spans this column
        elif _close(cover[0], x):
            out.append("")  # a cell from a row above spans down into this row
    return out


def items_to_blocks(items, lines: list[_Line], page_count: int) -> list[Paragraph | Table]:
    """Merge text lines into paragraphs and interleave the tables."""
    furniture = _page_furniture(lines, page_count)
    body = [line for line in lines if not _is_dropped(line, furniture)]
    left = _mode([round(line.x0) for line in body]) if body else 0
    right = _mode([round(line.x1) for line in body]) if body else 0
    body_size = _mode([round(line.size, 1) for line in body]) if body else 0
    blocks: list[Paragraph | Table] = []
    current: list[str] = []
    current_level: int | None = None
    previous: _Line | None = None

    def flush():
        nonlocal current, current_level
        if current:
            blocks.append(Paragraph(_join_lines(current), current_level))
        current, current_level = [], None

    for _, _, item in items:
        if isinstance(item, Table):
            flush()
            previous = None
            blocks.append(item)
            continue
        line = item
        if _is_dropped(line, furniture):
            continue
        level = 1 if body_size and line.size >= 1.2 * body_size else None
        em = line.size or 10
        starts_new = (previous is None or current_level != level
                      or _stopped_short(previous, line, right, em)
                      or line.x0 > left + 0.8 * em  # indented first line
                      or bool(HEADING_START.match(line.text)))
        if starts_new:
            flush()
            current_level = level
        current.append(line.text)
        previous = line
    flush()
    return blocks


FIRST_WORD = re.compile(r"^(?:[A-Za-z0-9.,:;%‰+\-/@_]+|.)")


def _stopped_short(previous: _Line, line: _Line, right: float, em: float) -> bool:
    """The previous line ended a paragraph: the next line's first word would have fit after it.

    A line that wraps before a long number (共计 / 121.62万元) stops short of the
    margin too, but only by less than that number's width.
    """
    first = FIRST_WORD.match(line.text)
    word = first.group(0) if first else ""
    width = sum(0.55 * em if ch.isascii() else em for ch in word) or em
    return right - previous.x1 > width + 0.5 * em


def _join_lines(parts: list[str]) -> str:
    text = parts[0]
    for part in parts[1:]:
        if text and part and text[-1].isascii() and text[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            text += " " + part
        else:
            text += part
    return text


def _mode(values):
    return Counter(values).most_common(1)[0][0]


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.replace(" ", ""))


def _page_furniture(lines: list[_Line], page_count: int) -> set[str]:
    """Header/footer texts: the same line (digits aside) on most pages."""
    if page_count < 3:
        return set()
    pages_with: dict[str, set[int]] = {}
    for line in lines:
        pages_with.setdefault(_furniture_key(line.text), set()).add(line.page)
    return {key for key, pages in pages_with.items() if len(pages) >= max(3, 0.6 * page_count)}


def _is_dropped(line: _Line, furniture: set[str]) -> bool:
    return bool(PAGE_NUMBER.match(line.text)) or _furniture_key(line.text) in furniture
