"""Page geometry for the PDF reader, in small stages: chars -> words -> text lines,
and rulings -> edges -> intersections -> cells -> tables -> cell texts.

The stages follow pdfplumber's default text extraction (x/y tolerance 3) and its
"lines" table strategy (snap, join and intersection tolerance 3, edges of 3 points
or more), so a report reads the same as it did when pdfplumber read it; they work
on plain objects that the reader fills from PDFium (see docs/architecture.md).
Coordinates are points from the page's top-left corner, y growing downwards.
"""
from __future__ import annotations

import itertools
from bisect import bisect_left
from operator import attrgetter

TOLERANCE = 3  # text: between words and between lines; tables: snap, join and intersect
EDGE_MIN_LENGTH = 3
EDGE_MIN_LENGTH_PREFILTER = 1
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"})
_X0, _X1, _TOP, _BOTTOM = attrgetter("x0"), attrgetter("x1"), attrgetter("top"), attrgetter("bottom")
_UPRIGHT = attrgetter("upright")


class Char:
    """One glyph of the text layer and its box."""
    __slots__ = ("text", "x0", "x1", "top", "bottom", "size", "upright")

    def __init__(self, text: str, x0: float, x1: float, top: float, bottom: float, size: float, upright: bool):
        self.text, self.x0, self.x1, self.top, self.bottom = text, x0, x1, top, bottom
        self.size, self.upright = size, upright


class Word:
    __slots__ = ("text", "x0", "x1", "top", "bottom", "chars")

    def __init__(self, chars: list[Char]):
        self.chars = chars
        self.text = "".join([c.text for c in chars]).translate(LIGATURES)
        self.x0, self.top, self.x1, self.bottom = bbox_of(chars)


class TextLine:
    """A line of words joined by single spaces, with the characters it holds."""
    __slots__ = ("text", "x0", "x1", "top", "bottom", "chars")

    def __init__(self, words: list[Word]):
        self.text = " ".join(w.text for w in words)
        self.chars = [c for w in words for c in w.chars]
        self.x0, self.top, self.x1, self.bottom = bbox_of(self.chars)


class Edge:
    """A horizontal ("h") or vertical ("v") ruling; orientation None for a slanted one."""
    __slots__ = ("x0", "x1", "top", "bottom", "width", "height", "orientation")

    def __init__(self, x0, x1, top, bottom, width, height, orientation):
        self.x0, self.x1, self.top, self.bottom = x0, x1, top, bottom
        self.width, self.height, self.orientation = width, height, orientation

    def bbox(self) -> tuple:
        return (self.x0, self.top, self.x1, self.bottom)

    def moved(self, dx: float = 0, dy: float = 0) -> Edge:
        return Edge(self.x0 + dx, self.x1 + dx, self.top + dy, self.bottom + dy, self.width, self.height,
                    self.orientation)


def bbox_of(objects) -> tuple[float, float, float, float]:
    return min(map(_X0, objects)), min(map(_TOP, objects)), max(map(_X1, objects)), max(map(_BOTTOM, objects))


# -- clustering ---------------------------------------------------------------------------

def cluster_values(values, tolerance: float) -> dict[float, int]:
    """Each distinct value -> its cluster's number; a value within ``tolerance`` of the
    previous one (in sorted order) joins its cluster."""
    ordered = sorted(set(values))
    clusters: dict[float, int] = {}
    number, last = -1, None
    for value in ordered:
        if last is None or value > last + tolerance:
            number += 1
        clusters[value] = number
        last = value
    return clusters


def cluster_objects(objects: list, key, tolerance: float, preserve_order: bool = False) -> list[list]:
    """Group objects whose ``key`` values chain within ``tolerance``: in cluster order, or,
    with ``preserve_order``, as consecutive runs of the objects' own order."""
    if len(objects) < 2:
        return [objects] if objects else []
    keys = list(map(key, objects))
    ids = cluster_values(keys, tolerance)
    tagged = [(o, ids[k]) for o, k in zip(objects, keys)]
    if not preserve_order:
        tagged.sort(key=lambda t: t[1])
    return [[o for o, _ in run] for _, run in itertools.groupby(tagged, key=lambda t: t[1])]


# -- chars -> words -> lines ------------------------------------------------------------

def _line_words(chars: list[Char], upright: bool) -> list[Word]:
    """Cut a line's sorted chars into words: at blanks, and where a char starts before
    the previous one, beyond its end plus the tolerance, or off its line."""
    words: list[Word] = []
    current: list[Char] = []
    prev = None
    for char in chars:
        if char.text.isspace():
            if current:
                words.append(Word(current))
            current, prev = [], None
            continue
        if prev is not None:
            if upright:  # left to right, lines top to bottom
                new_word = (char.x0 < prev.x0 or char.x0 > prev.x1 + TOLERANCE
                            or abs(char.top - prev.top) > TOLERANCE)
            else:  # rotated text reads top to bottom, lines left to right
                new_word = (char.top < prev.top or char.top > prev.bottom + TOLERANCE
                            or abs(char.x0 - prev.x0) > TOLERANCE)
            if new_word:
                words.append(Word(current))
                current = []
        current.append(char)
        prev = char
    if current:
        words.append(Word(current))
    return words


def chars_to_words(chars: list[Char]) -> list[Word]:
    """Words in reading order: runs of upright (or rotated) chars, each cut into lines
    by their tops, each line sorted left to right and cut at spaces and gaps."""
    tops = list(map(_TOP, chars))
    if tops and max(tops) - min(tops) <= TOLERANCE and all(map(_UPRIGHT, chars)):
        return _line_words(sorted(chars, key=_X0), True)  # one line (most table cells)
    words: list[Word] = []
    for upright, run in itertools.groupby(chars, key=_UPRIGHT):
        if upright:
            lines = cluster_objects(list(run), _TOP, TOLERANCE)
            for line in lines:
                words += _line_words(sorted(line, key=_X0), True)
        else:
            lines = cluster_objects(list(run), _X0, TOLERANCE)
            for line in lines:
                words += _line_words(sorted(line, key=lambda c: (c.top, c.bottom)), False)
    return words


def chars_to_lines(chars: list[Char]) -> list[TextLine]:
    """Text lines: consecutive words whose tops chain within the tolerance."""
    words = chars_to_words(chars)
    return [TextLine(group) for group in cluster_objects(words, _TOP, TOLERANCE, preserve_order=True)]


def chars_to_text(chars: list[Char]) -> str:
    """A cell's text: its words grouped into lines by their tops, lines joined by newlines."""
    if not chars:
        return ""
    words = chars_to_words(chars)
    if len(words) == 1:
        return words[0].text
    lines = cluster_objects(words, _TOP, TOLERANCE)
    return "\n".join(" ".join(w.text for w in line) for line in lines)


# -- rulings -> edges ------------------------------------------------------------------------

def line_edge(x0: float, x1: float, top: float, bottom: float, width: float, height: float) -> Edge:
    """A straight line's edge: horizontal when level, else counted as vertical."""
    return Edge(x0, x1, top, bottom, width, height, "h" if top == bottom else "v")


def rect_edges(x0: float, x1: float, top: float, bottom: float, width: float, height: float) -> list[Edge]:
    """A rectangle's four sides: top, bottom, left, right."""
    return [Edge(x0, x1, top, top, width, 0, "h"),
            Edge(x0, x1, top + height, bottom, width, 0, "h"),
            Edge(x0, x0, top, bottom, 0, height, "v"),
            Edge(x1, x1, top, bottom, 0, height, "v")]


def curve_edges(points: list[tuple[float, float]]) -> list[Edge]:
    """Each segment between consecutive points of a curve (points as (x, top))."""
    edges = []
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        orientation = "v" if xa == xb else ("h" if ya == yb else None)
        edges.append(Edge(min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb), abs(xa - xb), abs(ya - yb),
                          orientation))
    return edges


def subpath_shapes(ops: list[tuple[str, tuple[float, float]]]):
    """Each subpath as a line, a rectangle or a curve, with its points (user space).

    The classification is pdfminer's: a move and a line (closed or not) is a line;
    four sides whose corners square up and close is a rectangle; anything else a curve.
    """
    for subpath in split_subpaths(ops):
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


def split_subpaths(ops):
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


def compose(inner: tuple, outer: tuple) -> tuple:
    """The affine matrix (a, b, c, d, e, f) applying ``inner`` then ``outer``."""
    a1, b1, c1, d1, e1, f1 = inner
    a0, b0, c0, d0, e0, f0 = outer
    return (a1 * a0 + b1 * c0, a1 * b0 + b1 * d0, c1 * a0 + d1 * c0, c1 * b0 + d1 * d0,
            e1 * a0 + f1 * c0 + e0, e1 * b0 + f1 * d0 + f0)


# A path: its ops ("m" move, "l" line, "c" a curve's end, "h" close, each with its point), whether
# it is stroked, and whether it is filled with a colour other than white.
PaintedPath = tuple[list[tuple[str, tuple[float, float]]], bool, bool]


def paths_to_edges(paths: list[PaintedPath], on_page) -> list[Edge]:
    """The visible rulings as edges: every line; rectangles and curves that are stroked, or
    filled with a colour other than white. ``on_page`` maps a path's point to the page's
    (x from the left, y from the top)."""
    lines, rects, curves = [], [], []
    for ops, stroke, coloured_fill in paths:
        for kind, points in subpath_shapes(ops):
            if kind != "line" and not (stroke or coloured_fill):
                continue
            shown = [on_page(x, y) for x, y in points]
            xs = [p[0] for p in shown]
            ys = [p[1] for p in shown]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            if kind == "line":
                lines.append(line_edge(x0, x1, top, bottom, x1 - x0, bottom - top))
            elif kind == "rect":
                rects += rect_edges(x0, x1, top, bottom, x1 - x0, bottom - top)
            else:
                curves += curve_edges(shown)
    return lines + rects + curves


def _long_enough(edge: Edge, min_length: float) -> bool:
    return (edge.height if edge.orientation == "v" else edge.width) >= min_length


def _snap(edges: list[Edge], key: str, tolerance: float) -> list[Edge]:
    """Move edges within ``tolerance`` of one another to their average position."""
    out = []
    for cluster in cluster_objects(edges, attrgetter(key), tolerance):
        average = sum(getattr(e, key) for e in cluster) / len(cluster)
        if key == "x0":
            out += [e.moved(dx=average - e.x0) for e in cluster]
        else:
            out += [e.moved(dy=average - e.top) for e in cluster]
    return out


def _join(edges: list[Edge], orientation: str, tolerance: float) -> list[Edge]:
    """Join edges along one line whose ends are within ``tolerance``."""
    low, high = ("x0", "x1") if orientation == "h" else ("top", "bottom")
    ordered = sorted(edges, key=attrgetter(low))
    joined = [ordered[0]]
    for edge in ordered[1:]:
        last = joined[-1]
        if getattr(edge, low) <= getattr(last, high) + tolerance:
            if getattr(edge, high) > getattr(last, high):
                grown = last.moved()
                if orientation == "h":
                    grown.x1, grown.width = edge.x1, edge.x1 - last.x0
                else:
                    grown.bottom, grown.height = edge.bottom, last.height + (edge.bottom - last.bottom)
                joined[-1] = grown
        else:
            joined.append(edge)
    return joined


def merge_edges(edges: list[Edge]) -> list[Edge]:
    """Snap near-coincident rulings together, then join the pieces of each line."""
    snapped = (_snap([e for e in edges if e.orientation == "v"], "x0", TOLERANCE)
               + _snap([e for e in edges if e.orientation == "h"], "top", TOLERANCE))

    def line_of(edge: Edge):
        return ("h", edge.top) if edge.orientation == "h" else ("v", edge.x0)

    merged = []
    for (orientation, _), group in itertools.groupby(sorted(snapped, key=line_of), key=line_of):
        merged += _join(list(group), orientation, TOLERANCE)
    return merged


def table_edges(edges: list[Edge], explicit_horizontal: list[Edge]) -> list[Edge]:
    """The rulings a table is found from: the page's level and upright edges (a point
    long at least), the extra horizontal lines given, merged, 3 points long at least."""
    vertical = [e for e in edges if e.orientation == "v" and _long_enough(e, EDGE_MIN_LENGTH_PREFILTER)]
    horizontal = [e for e in edges if e.orientation == "h" and _long_enough(e, EDGE_MIN_LENGTH_PREFILTER)]
    merged = merge_edges(vertical + horizontal + explicit_horizontal)
    return [e for e in merged if _long_enough(e, EDGE_MIN_LENGTH)]


# -- edges -> intersections -> cells -> tables --------------------------------------------

def edges_to_intersections(edges: list[Edge]) -> dict[tuple, tuple[list[Edge], list[Edge]]]:
    """Points where a vertical and a horizontal edge meet (within the tolerance),
    each with the vertical and horizontal edges through it."""
    vertical = sorted((e for e in edges if e.orientation == "v"), key=lambda e: (e.x0, e.top))
    horizontal = sorted((e for e in edges if e.orientation == "h"), key=lambda e: (e.top, e.x0))
    points: dict[tuple, tuple[list[Edge], list[Edge]]] = {}
    for v in vertical:
        for h in horizontal:
            if (v.top <= h.top + TOLERANCE and v.bottom >= h.top - TOLERANCE
                    and v.x0 >= h.x0 - TOLERANCE and v.x0 <= h.x1 + TOLERANCE):
                through = points.setdefault((v.x0, h.top), ([], []))
                through[0].append(v)
                through[1].append(h)
    return points


def intersections_to_cells(points: dict[tuple, tuple[list[Edge], list[Edge]]]) -> list[tuple]:
    """Each intersection's smallest cell: the nearest points below and to the right
    joined to it by an edge, and the corner opposite joined to both."""
    on_v = {p: {e.bbox() for e in through[0]} for p, through in points.items()}
    on_h = {p: {e.bbox() for e in through[1]} for p, through in points.items()}

    def connects(a, b) -> bool:
        return (a[0] == b[0] and not on_v[a].isdisjoint(on_v[b])) or \
            (a[1] == b[1] and not on_h[a].isdisjoint(on_h[b]))

    ordered = sorted(points)
    below: dict[float, list] = {}
    right: dict[float, list] = {}
    place: dict[tuple, tuple[int, int]] = {}  # a point's place in its column and in its row
    for point in ordered:
        column = below.setdefault(point[0], [])
        row = right.setdefault(point[1], [])
        place[point] = (len(column), len(row))
        column.append(point)
        row.append(point)
    cells = []
    for point in ordered:
        in_column, in_row = place[point]
        cell = None
        for down in below[point[0]][in_column + 1:]:
            if not connects(point, down):
                continue
            for across in right[point[1]][in_row + 1:]:
                if not connects(point, across):
                    continue
                corner = (across[0], down[1])
                if corner in points and connects(corner, across) and connects(corner, down):
                    cell = (point[0], point[1], corner[0], corner[1])
                    break
            if cell:
                break
        if cell:
            cells.append(cell)
    return cells


def cells_to_groups(cells: list[tuple]) -> list[list[tuple]]:
    """Cells grouped into tables: a cell sharing a corner with a group joins it;
    groups of two cells or more, top to bottom then left to right."""
    corners = [((c[0], c[1]), (c[0], c[3]), (c[2], c[1]), (c[2], c[3])) for c in cells]
    remaining = list(range(len(cells)))
    groups = []
    current: list[tuple] = []
    current_corners: set = set()
    while remaining:  # passes over the cells left, in order, until the group stops growing
        before = len(current)
        left = []
        for k in remaining:
            if not current or not current_corners.isdisjoint(corners[k]):
                current_corners.update(corners[k])
                current.append(cells[k])
            else:
                left.append(k)
        remaining = left
        if len(current) == before:
            groups.append(current)
            current, current_corners = [], set()
    if current:
        groups.append(current)
    groups.sort(key=lambda g: min((c[1], c[0]) for c in g))
    return [g for g in groups if len(g) > 1]


class Row:
    """A table row: one slot per column start, None where no cell starts."""
    __slots__ = ("cells", "bbox")

    def __init__(self, cells: list[tuple | None]):
        self.cells = cells
        present = [c for c in cells if c is not None]
        self.bbox = (min(c[0] for c in present), min(c[1] for c in present),
                     max(c[2] for c in present), max(c[3] for c in present))


class GridTable:
    """A ruled table: its cells, its rows, and the text inside each cell."""

    def __init__(self, cells: list[tuple]):
        self.cells = cells
        self.bbox = (min(c[0] for c in cells), min(c[1] for c in cells),
                     max(c[2] for c in cells), max(c[3] for c in cells))
        xs = sorted({c[0] for c in cells})
        self.rows = []
        for _, row_cells in itertools.groupby(sorted(cells, key=lambda c: (c[1], c[0])), key=lambda c: c[1]):
            starts = {c[0]: c for c in row_cells}
            self.rows.append(Row([starts.get(x) for x in xs]))

    def extract(self, chars: list[Char]) -> list[list[str | None]]:
        """Each cell's text (None where no cell starts); a char belongs to the cell holding its centre."""
        x0, top, x1, bottom = self.bbox
        inside = []  # (centre y, centre x, order on the page, char), by height
        for order, c in enumerate(chars):
            x, y = (c.x0 + c.x1) / 2, (c.top + c.bottom) / 2
            if x0 <= x < x1 and top <= y < bottom:
                inside.append((y, x, order, c))
        inside.sort(key=lambda t: t[0])
        heights = [t[0] for t in inside]
        out = []
        for row in self.rows:
            rx0, rtop, rx1, rbottom = row.bbox
            band = inside[bisect_left(heights, rtop):bisect_left(heights, rbottom)]
            in_row = sorted((t for t in band if rx0 <= t[1] < rx1), key=lambda t: t[1])
            xs = [t[1] for t in in_row]
            texts = []
            for cell in row.cells:
                if cell is None:
                    texts.append(None)
                    continue
                _, ctop, _, cbottom = cell
                hits = [t for t in in_row[bisect_left(xs, cell[0]):bisect_left(xs, cell[2])] if ctop <= t[0] < cbottom]
                hits.sort(key=lambda t: t[2])  # back in page order
                texts.append(chars_to_text([t[3] for t in hits]))
            out.append(texts)
        return out


def find_tables(edges: list[Edge], explicit_horizontal: list[Edge]) -> list[GridTable]:
    """Ruled tables on a page, top to bottom."""
    cells = intersections_to_cells(edges_to_intersections(table_edges(edges, explicit_horizontal)))
    return [GridTable(group) for group in cells_to_groups(cells)]
