""".docx: the real Word tables and paragraphs, in document order.

Rows come out like Word's own text export (what the seeds are): a cell
merged across columns (gridSpan) appears once, a vertically merged
continuation cell (vMerge without "restart") appears as "", and the
paragraphs inside one cell are joined without a separator
(本年新 / 制作数量 -> 本年新制作数量).

The zip is checked before python-docx opens it: a damaged zip, an encrypted
document (an OLE container), a Word 97 file or a zip bomb each get their
own one-line error.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from ..document import Document, Paragraph, Table
from ..errors import ReaderError, UnsupportedFormat
from .magic import OLE_MAGIC

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Ratios are only meaningful for big members: a tiny XML part of repeated
# tags can compress 100x and still be harmless.
RATIO_CHECK_MIN_BYTES = 1024 * 1024

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, R, T = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("r"), _w("t")
SDT, SDT_CONTENT, CUSTOM_XML = _w("sdt"), _w("sdtContent"), _w("customXml")
# Elements that only wrap content: their children are read as if in place.
WRAPPERS = {SDT, SDT_CONTENT, CUSTOM_XML, _w("smartTag"), _w("ins"), _w("hyperlink"), _w("fldSimple")}
SKIPPED = {f"{{{MC}}}Fallback", _w("del"), _w("moveFrom"), _w("pPr"), _w("rPr"), _w("tcPr"),
           _w("trPr"), _w("tblPr"), _w("tblGrid"), _w("sectPr"), _w("instrText"), _w("delText")}
HEADING_NAME = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def read_docx(path: str | Path) -> Document:
    """Read a Word .docx report into paragraphs and tables.

    :raises ReaderError: damaged, encrypted, Word 97, or suspiciously large file.
    """
    path = Path(path)
    check_docx_container(path)
    try:
        import docx  # python-docx; imported here so text-only use stays light

        word = docx.Document(str(path))
        levels = _style_levels(word)
        blocks = body_to_blocks(word.element.body, levels)
    except ReaderError:
        raise
    except MemoryError:
        raise ReaderError(path, "damaged .docx (too large to read)") from None
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors, zip errors...
        raise ReaderError(path, f"damaged .docx (not a valid Word file: {type(e).__name__})") from None
    meta = {}
    title = (word.core_properties.title or "").strip()
    if title:
        meta["title"] = title
    return Document(path=str(path), format="docx", blocks=blocks, meta=meta)


def check_docx_container(path: Path) -> None:
    """Refuse what python-docx should never open: OLE files, broken zips, zip bombs."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        if is_word97(path):
            raise UnsupportedFormat(path, "a Word 97 .doc, not a .docx (read it with read_doc)")
        raise ReaderError(path, "password-protected or encrypted .docx; save it without a password")
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            names = {m.filename for m in members}
            types = z.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            content_types = z.read(types) if types is not None and types.file_size < 1_000_000 else b""
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        raise ReaderError(path, "damaged .docx (not a valid Word file)") from None
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    big = [m for m in members if m.file_size >= RATIO_CHECK_MIN_BYTES]
    if (total > MAX_UNCOMPRESSED_BYTES
            or (total >= RATIO_CHECK_MIN_BYTES and total / packed > MAX_COMPRESSION_RATIO)
            or any(m.file_size / max(m.compress_size, 1) > MAX_COMPRESSION_RATIO for m in big)):
        raise ReaderError(path, f"suspicious .docx: expands to {total // (1024 * 1024)} MB (zip bomb?)")
    if "word/document.xml" not in names:
        if "content.xml" in names:
            raise UnsupportedFormat(path, "OpenDocument (.odt) is not supported; save it as .docx")
        raise ReaderError(path, "damaged .docx (not a valid Word file: no word/document.xml)")
    if b"macroEnabled.main" in content_types or b"template.main" in content_types:
        raise UnsupportedFormat(path, "macro-enabled or template Word file (.docm/.dotx) is not supported; "
                                      "save it as .docx")


def is_word97(path: Path) -> bool:
    """An OLE container with a WordDocument stream and no EncryptedPackage: a renamed .doc.

    Anything else in an OLE container named .docx is what Word writes when a
    password is set (EncryptedInfo + EncryptedPackage streams).
    """
    with open(path, "rb") as f:
        head = f.read(4 * 1024 * 1024)
    return ("WordDocument".encode("utf-16-le") in head
            and "EncryptedPackage".encode("utf-16-le") not in head)


def _style_levels(word) -> dict[str, int]:
    """style id -> heading level, from the style name (Heading 2, 标题 2) or its outline level."""
    levels: dict[str, int] = {}
    for style in word.styles:
        try:
            name = (style.name or "").strip()
            style_id = style.style_id
        except (AttributeError, KeyError, ValueError):
            continue
        m = HEADING_NAME.match(name)
        if m:
            levels[style_id] = int(m.group(1))
        elif name.lower() == "title":
            levels[style_id] = 1
        else:
            outline = style.element.find(f"{_w('pPr')}/{_w('outlineLvl')}")
            level = _outline_level(outline)
            if level:
                levels[style_id] = level
    return levels


def _outline_level(element) -> int | None:
    if element is None:
        return None
    try:
        value = int(element.get(_w("val")))
    except (TypeError, ValueError):
        return None
    return value + 1 if 0 <= value <= 8 else None


def body_to_blocks(body, levels: dict[str, int]) -> list[Paragraph | Table]:
    """Paragraphs and tables of a body or table cell, in document order."""
    blocks: list[Paragraph | Table] = []
    for element in _block_elements(body):
        if element.tag == P:
            blocks += _paragraph_blocks(element, levels)
        elif _is_layout_table(element):
            for cell in _layout_cells(element):
                blocks += body_to_blocks(cell, levels)
        else:
            table = table_to_rows(element)
            if table:
                blocks.append(Table(table))
    return blocks


def _block_elements(parent):
    """w:p and w:tbl children, looking through content controls and custom XML."""
    for child in parent:
        if child.tag in (P, TBL):
            yield child
        elif child.tag in WRAPPERS:
            yield from _block_elements(child)


def _paragraph_blocks(p, levels: dict[str, int]) -> list[Paragraph]:
    level = _paragraph_level(p, levels)
    lines = [line.strip() for line in paragraph_text(p).split("\n")]
    return [Paragraph(line, level) for line in lines if line]


def _paragraph_level(p, levels: dict[str, int]) -> int | None:
    ppr = p.find(_w("pPr"))
    if ppr is None:
        return None
    direct = _outline_level(ppr.find(_w("outlineLvl")))
    if direct:
        return direct
    style = ppr.find(_w("pStyle"))
    return levels.get(style.get(_w("val"))) if style is not None else None


def paragraph_text(p) -> str:
    """The visible text of one w:p; line breaks as "\\n", tabs as a space."""
    parts: list[str] = []
    _collect_text(p, parts)
    return "".join(parts)


def _collect_text(element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIPPED:
            continue
        if tag == T:
            parts.append(child.text or "")
        elif tag == _w("tab"):
            parts.append(" ")
        elif tag in (_w("br"), _w("cr")):
            if child.get(_w("type")) not in ("page", "column"):
                parts.append("\n")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
        elif tag == P:  # a paragraph inside a text box: its own line
            parts.append("\n")
            _collect_text(child, parts)
            parts.append("\n")
        else:
            _collect_text(child, parts)


def _children(element, tag):
    """Children with ``tag``, looking through the WRAPPERS (sdt, customXml, ins …) around them."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in WRAPPERS:
            yield from _children(child, tag)


def _rows(tbl):
    return _children(tbl, TR)


def _cells(tr):
    return _children(tr, TC)


def _is_layout_table(tbl) -> bool:
    """A table holding tables, or of one column, only frames the real content."""
    rows = [list(_cells(tr)) for tr in _rows(tbl)]
    if all(len(cells) <= 1 for cells in rows):
        return True
    return any(any(e.tag == TBL for e in _block_elements(tc)) for cells in rows for tc in cells)


def _layout_cells(tbl):
    for tr in _rows(tbl):
        yield from _cells(tr)


def _merge_continues(tc, tag: str) -> bool:
    """Is this cell the continuation of a merge (w:vMerge, or old-style w:hMerge)?"""
    tcpr = tc.find(_w("tcPr"))
    if tcpr is None:
        return False
    merge = tcpr.find(_w(tag))
    return merge is not None and merge.get(_w("val"), "continue") != "restart"


def _vmerge_continues(tc) -> bool:
    return _merge_continues(tc, "vMerge")


def _hmerge_continues(tc) -> bool:
    """Old-style horizontal merge: the continuation cells are dropped."""
    return _merge_continues(tc, "hMerge")


def cell_text(tc) -> str:
    """A cell's text, its paragraphs and line breaks joined without a separator."""
    parts: list[str] = []
    for element in _block_elements(tc):
        if element.tag == P:
            parts.append(paragraph_text(element).replace("\n", ""))
        else:  # a table nested in a data cell: its text, in reading order
            parts.extend(cell_text(inner) for tr in _rows(element) for inner in _cells(tr))
    return "".join(parts)


def table_to_rows(tbl) -> list[list[str]]:
    """A w:tbl as rows of raw cell strings (Word text-export conventions)."""
    rows: list[list[str]] = []
    for tr in _rows(tbl):
        row = []
        for tc in _cells(tr):
            if _hmerge_continues(tc):
                continue
            row.append("" if _vmerge_continues(tc) else cell_text(tc))
        if row:
            rows.append(row)
    return rows

