"""One PDF page as PDFium (pypdfium2) sees it: its characters with their boxes, and the
rulings its paths draw, in the page's displayed orientation with y from the top.

The boxes and rulings are those pdfminer gave the reader before (a character's box is its
advance by its em, standing on the font's descent; a path is a line, a rectangle or a curve
by pdfminer's rules), so the stages in indexer/readers/pdf_layout.py read them the same way.
"""
from __future__ import annotations

import ctypes
import functools
import math

from .pdf_layout import Char, Edge, compose, paths_to_edges, split_subpaths

# A fill this light (0-255, every channel) is white paper: the background behind text, not a ruling.
WHITE = 242
# A picture is a scanned page or a scanned table (docs/ocr.md, "PDFs that mix text and scanned
# pages") when it spans half the page's width or height, covers a tenth of its area, and holds
# as many pixels as the smallest image OCR reads as a page (300 x 300): not a logo, a seal or a
# stretched background tint.
SCAN_SPAN = 0.5
SCAN_AREA = 0.1
SCAN_PIXELS = 300 * 300
# A page of text turned into outlines draws each glyph as filled curves: Hongze's table page so
# turned holds ~1,400 such shapes. Its table rulings hold none, a drawn seal a few dozen.
OUTLINED_SUBPATHS = 300


def read_page(page) -> tuple[list[Char], int, list[Edge]]:
    """A pypdfium2 page's characters, how many of them have no Unicode mapping, and
    its visible rulings as edges (every line; rectangles and curves that are stroked
    or filled with a colour other than white)."""
    raw = _api()
    textpage = page.get_textpage()
    try:
        page_address, textpage_address = _address(page.raw), _address(textpage.raw)
        view = _View(page.get_mediabox(), _reading_quarter(raw, textpage_address, page.get_rotation() // 90))
        chars, unmapped, text_objects = _page_chars(raw, page_address, textpage_address, view)
        objects = _Objects(raw, page_address, text_objects)
    finally:
        textpage.close()
    return chars, unmapped, _page_edges(objects, view)


def has_scanned_image(page) -> bool:
    """Whether a pypdfium2 page carries a page-sized or table-sized picture (SCAN_SPAN,
    SCAN_AREA, SCAN_PIXELS), drawn directly or inside a form. Asked only of pages with
    (almost) no characters: a picture beside text is an illustration."""
    import pypdfium2
    import pypdfium2.raw as raw

    left, bottom, right, top = page.get_mediabox()
    width, height = right - left, top - bottom
    if width <= 0 or height <= 0:
        return False
    for obj in page.get_objects(max_depth=0):
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            pictures = [obj]
        elif obj.type == raw.FPDF_PAGEOBJ_FORM:
            pictures = list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], form=obj, level=1))
        else:
            continue
        if not pictures:
            continue
        # a form's bounds are on the page; a picture inside it has them in the form's own space
        x0, y0, x1, y1 = obj.get_bounds()
        w, h = min(x1, right) - max(x0, left), min(y1, top) - max(y0, bottom)
        if w <= 0 or h <= 0 or max(w / width, h / height) < SCAN_SPAN or w * h < SCAN_AREA * width * height:
            continue
        for picture in pictures:
            try:
                px_w, px_h = picture.get_px_size()
            except pypdfium2.PdfiumError:  # an image PDFium cannot size is no page to OCR
                continue
            if px_w * px_h >= SCAN_PIXELS:
                return True
    return False


def has_outlined_text(page) -> bool:
    """Whether a pypdfium2 page draws its text as outlines (text "turned into curves", 转曲, so
    that it cannot be edited): at least OUTLINED_SUBPATHS filled shapes that curve, as glyphs do.
    A table's rulings and shading are straight; a chart or a drawn seal curves in far fewer shapes.
    Asked only of pages with (almost) no characters, as ``has_scanned_image`` is."""
    raw = _api()
    objects = _Objects(raw, _address(page.raw), set())
    curved = 0
    for ops, _stroke, filled in objects.paths:
        if filled:
            curved += sum(1 for subpath in split_subpaths(ops) if any(op == "c" for op, _ in subpath))
            if curved >= OUTLINED_SUBPATHS:
                return True
    return False


# A page is read turned the way most of its text runs when at least this share of its characters
# runs that way and less than 1 - it the way the page is displayed.
TURNED_TEXT_SHARE = 0.6
# How many of a page's characters, evenly spaced, tell which way its text runs
TURN_SAMPLE = 200


def _reading_quarter(raw, textpage, displayed: int) -> int:
    """The quarter turns to read the page at: as displayed (its /Rotate), unless most of its text
    runs another way, as on a page whose /Rotate is wrong or whose text is drawn turned. Read as
    displayed, such a page's text all stood on its side or upside down and none of it was read."""
    count = raw.FPDFText_CountChars(textpage)
    matrix = raw.FS_MATRIX()
    runs = [0, 0, 0, 0]  # characters by the quarter turn their text object's matrix gives them
    last_object, quarter = None, 0
    for i in range(0, count, max(1, count // TURN_SAMPLE)):  # a sample is as telling, and cheaper
        obj = raw.FPDFText_GetTextObject(textpage, i)
        if obj != last_object:
            raw.FPDFText_GetMatrix(textpage, i, matrix)
            quarter = round(math.degrees(math.atan2(matrix.b, matrix.a)) / 90) % 4
            last_object = obj
        runs[quarter] += 1
    most = max(range(4), key=runs.__getitem__)
    total = sum(runs)
    if total and runs[most] >= TURNED_TEXT_SHARE * total and runs[displayed % 4] < (1 - TURNED_TEXT_SHARE) * total:
        return most
    return displayed


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


@functools.lru_cache(maxsize=1)
def _api() -> _AddressApi:
    import pypdfium2.raw

    return _AddressApi(pypdfium2.raw)


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
        inner = matrix if outer is None else compose(matrix, outer)
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
        a_, b_, c_, d_, e_, f_ = self._object_matrix(obj) if outer is None else compose(self._object_matrix(obj), outer)
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


def _page_edges(objects: _Objects, view: _View) -> list[Edge]:
    """The visible rulings as edges (pdf_layout.paths_to_edges), on the page as displayed."""
    def on_page(x: float, y: float) -> tuple[float, float]:
        shown_x, shown_y = view.point(x, y)
        return shown_x, view.height - shown_y
    return paths_to_edges(objects.paths, on_page)


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
                a, b, c, d = compose((a, b, c, d, 0, 0), (*view.turn, 0, 0))[:4]
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
