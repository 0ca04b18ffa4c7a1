"""PDF with a text layer: paragraphs from text lines, tables from rulings.

PDFium (pypdfium2) reads the file: each page's characters with their boxes,
and its paths, which become rulings (indexer/readers/pdf_page.py);
indexer/readers/pdf_layout.py turns them into text lines and ruled tables.

Word/WPS exports paint a white rectangle behind every line and cell; those
are invisible, so they are dropped before looking for tables (otherwise each
page of running text looks like a one-column table). Tables come from the
visible rulings; a page with no rulings but rows of numbers falls back to
runs of lines ending in numbers. Merged cells follow Word's text export: a cell
spanning columns appears once, a continuation of a cell spanning rows
appears as "", and a label wrapped inside its cell is joined without a
separator. A table broken by a page stays two tables.

A page with (almost) no characters but a page- or table-sized picture is a
scanned page inside a text PDF: the caller may read it by OCR
(``scanned_pages``), and its blocks stand where the page stands
(docs/ocr.md, "PDFs that mix text and scanned pages").
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..document import Block, Document, Paragraph, Table
from ..errors import NoTextLayer, ReaderError
from .pdf_layout import Char, Edge, TextLine, chars_to_lines, find_tables, line_edge
from .pdf_page import has_outlined_text, has_scanned_image, read_page

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
# PDFium's load errors (FPDF_ERR_*) by code; 4 and 5 are a password and an unknown security handler.
LOAD_ERRORS = {1: "UnknownError", 2: "FileError", 3: "FormatError", 6: "PageError"}
ENCRYPTED = (4, 5)


# Reads the scanned pages of a PDF (numbers from 0): each page's blocks, and the OCR summary
# (Document.ocr).
ScannedPages = Callable[[list[int]], tuple[dict[int, list[Block]], dict]]


@dataclass
class ScannedPage:
    blocks: list[Block]


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    size: float
    page: int


def read_pdf(path: str | Path, scanned_pages: ScannedPages | None = None) -> Document:
    """Read a PDF report's text layer into paragraphs and tables.

    :param scanned_pages: reads the pages that are pictures without text (OCR); without it
        those pages give nothing.
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
        items, lines, total_chars, unmapped, pictured = _read_pages(pdf)
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
    ocr = None
    if pictured and scanned_pages is not None:
        by_page, ocr = scanned_pages(pictured)
        ocr = dict(ocr, total_pages=page_count)
        # the page's few characters (a page number stamped on the scan) give way to its OCR
        items = [item for item in items if item[0] not in by_page]
        lines = [line for line in lines if line.page not in by_page]
        items += [(number, float("-inf"), ScannedPage(blocks)) for number, blocks in by_page.items()]
        items.sort(key=lambda item: (item[0], item[1]))
    blocks = items_to_blocks(items, lines, page_count)
    meta = {"title": title} if title else {}
    return Document(path=str(path), format="pdf", blocks=blocks, meta=meta, ocr=ocr)


def _metadata_title(title: str | None) -> str | None:
    if isinstance(title, str):
        title = title.strip()
        # Broken producers write UTF-16 bytes as Latin-1 (ÿþ...): useless as a title.
        if title and not title.startswith(("ÿþ", "þÿ")) and "\x00" not in title:
            return title
    return None


def _read_pages(pdf):
    """Per page: tables (with their top) and text lines outside them; and the pages
    that are pictures without text (scanned pages, by number from 0)."""
    items: list[tuple[int, float, object]] = []  # (page, top, Table | _Line | ScannedPage)
    lines: list[_Line] = []
    pictured: list[int] = []
    total_chars = unmapped = 0
    for number in range(len(pdf)):
        page = pdf[number]
        try:
            chars, page_unmapped, edges = read_page(page)
            page_chars = sum(1 for c in chars if c.text.strip())
            if page_chars - page_unmapped < MIN_CHARS_PER_PAGE and (has_scanned_image(page) or has_outlined_text(page)):
                pictured.append(number)
        finally:
            page.close()
        total_chars += page_chars
        unmapped += page_unmapped
        if chars:
            place_page(number, chars, edges, items, lines)
    items.sort(key=lambda item: (item[0], item[1]))
    return items, lines, total_chars, unmapped, pictured


def place_page(number: int, chars: list[Char], edges: list[Edge], items: list, lines: list[_Line]) -> None:
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
        if isinstance(item, (Table, ScannedPage)):
            flush()
            previous = None
            blocks.extend(item.blocks if isinstance(item, ScannedPage) else [item])
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
