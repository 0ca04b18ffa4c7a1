"""HTML pages: the report body, its <table>s, and the page's title/date/URL.

A saved government page is mostly chrome (menus, breadcrumbs, share bars,
footers). The report body is the smallest element holding both the first
part (总体情况) and the last (其他需要报告); everything outside it is ignored.
Tables follow Word's text-export conventions: a colspan cell appears once,
a rowspan continuation appears as "". A table whose cells hold tables only
lays out the page, so the reader descends into it instead.
"""
from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..document import Document, Paragraph, Table
from ..errors import ReaderError
from .text import decode_bytes, labelled_date, match_to_iso

MAX_HTML_BYTES = 20 * 1024 * 1024
DROPPED_TAGS = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
                "iframe", "select", "button", "svg", "object", "embed", "head"}
CHROME = re.compile(r"nav|menu|header|footer|breadcrumb|crumb|share|sidebar|side-bar|toolbar", re.IGNORECASE)
# Never the report, whatever text they hold (a script may quote the headings).
NEVER_CONTENT = {"script", "style", "template", "head", "svg", "object", "embed", "iframe", "select", "button"}
HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
              "pre", "center", "address", "figure", "figcaption", "tr", "td", "th", "thead", "tbody",
              "tfoot", "caption", "hr", "body", "html"}
HEADINGS = {f"h{i}": i for i in range(1, 7)}
FIRST_PART, LAST_PART = "总体情况", "其他需要报告"
MAX_HEADING_CHARS = 40
MAX_HEADING_PREFIX = 8
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
DATE_META_NAMES = {"pubdate", "publishdate", "firstpublishedtime", "article:published_time", "publishtime"}
# The meta set the national government-site platform (政府网站集约化平台) and TRS/Hanweb
# templates write: the article's own title and address, beside the site's <title>.
TITLE_META_NAMES = {"articletitle"}
URL_META_NAMES = {"og:url", "url"}
MAX_SPAN = 1000
# A source line break in a cell, with the spaces and &nbsp; padding around it (Word pasted
# into a CMS editor wraps labels as "<span>社会公益</span>\n &nbsp; &nbsp; 组织"): layout, not text.
SPACE_WITH_NEWLINE = re.compile(r"[ \t\r\f\v\u00a0]*\n[ \t\r\n\f\v\u00a0]*")
ASCII_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def read_html(path: str | Path) -> Document:
    """Read a saved HTML page into the report's paragraphs and tables.

    :raises ReaderError: unreadable or unparsable page.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_HTML_BYTES:
        raise ReaderError(path, f"HTML file too large ({size // 1_048_576} MB; an annual report page is under 5 MB)")
    return html_to_document(decode_html(path.read_bytes(), path), path)


def html_to_document(text: str, path: Path, fmt: str = "html") -> Document:
    """A decoded page's report: its paragraphs and tables, and its title/date/URL (``fmt``: the
    file's own format, "mhtml" for a page saved as one file).

    :raises ReaderError: an empty or unparsable page.
    """
    if not text.strip():
        raise ReaderError(path, "empty HTML page")
    try:
        root = lxml.html.document_fromstring(XML_DECLARATION.sub("", text) or "<html></html>")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as e:
        raise ReaderError(path, f"unreadable HTML ({e.__class__.__name__})") from None
    meta = page_meta(root)
    _drop_chrome(root)
    if "published" not in meta:
        published = printed_date(root)
        if published:
            meta["published"] = published
    blocks = page_to_blocks(root)
    return Document(path=str(path), format=fmt, blocks=blocks, meta=meta)


def decode_html(data: bytes, path) -> str:
    """BOM first, then the page's declared charset, then the text decoder's guesses."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data, path)
    declared = META_CHARSET.search(data[:8192])
    if declared:
        name = codec_of(declared.group(1).decode("ascii"))
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, path)


def codec_of(charset: str) -> str:
    """The codec to decode a declared charset with: GB18030 for the GB2312 family (the superset:
    pages and Word files labelled GB2312 hold GBK characters)."""
    name = charset.strip().lower()
    return "gb18030" if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk") else name


def page_meta(root) -> dict[str, str]:
    """<title> (or ArticleTitle), canonical/og:url/Url, and a publication date from the page's <meta> tags."""
    meta: dict[str, str] = {}
    title = root.find(".//title")
    if title is not None and (title.text_content() or "").strip():
        meta["title"] = ASCII_SPACES.sub(" ", title.text_content()).strip()
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower() and link.get("href"):
            meta["url"] = link.get("href").strip()
            break
    for tag in root.iter("meta"):
        key = (tag.get("property") or tag.get("name") or "").strip().lower()
        content = (tag.get("content") or "").strip()
        if not content:
            continue
        if key in URL_META_NAMES and "url" not in meta and re.match(r"https?://", content):
            meta["url"] = content
        elif key in TITLE_META_NAMES:
            meta["title"] = ASCII_SPACES.sub(" ", content).strip()
        elif key in DATE_META_NAMES and "published" not in meta:
            date = re.match(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", content)
            if date and match_to_iso(date):
                meta["published"] = match_to_iso(date)
    return meta


def printed_date(root) -> str | None:
    """The date printed by a 发布时间/发布日期 label, once menus and footers are gone."""
    body = root.find("body")
    return labelled_date(_visible_text(body if body is not None else root))


def _visible_text(element) -> str:
    parts = []
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style"):
            if node.tail:
                parts.append(node.tail)
            continue
        if node.text:
            parts.append(node.text)
        if node.tail:
            parts.append(node.tail)
    return "".join(parts)


def page_to_blocks(root) -> list[Paragraph | Table]:
    """Find the report body of a page (chrome already dropped) and flow it into blocks."""
    body = find_report_body(root)
    blocks: list[Paragraph | Table] = []
    title = _title_before(root, body)
    if title:
        blocks.append(Paragraph(title, 1))
    if body.tag == "table":
        _table_blocks(body, blocks)
        return blocks
    line: list[str] = []
    _flow(body, blocks, line)
    _flush(line, blocks)
    return blocks


def _has_report_parts(element) -> bool:
    text = element.text_content()
    return FIRST_PART in text and LAST_PART in text


def _drop_chrome(root) -> None:
    """Remove scripts, menus, footers... but never an element holding the report itself.

    A chrome-named element holding most of the page's text is a wrapper
    (id="nav-wrapper" around everything), not chrome, and stays too.
    """
    for element in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove_keep_tail(element)
    doomed = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body"):
            continue
        marks = f"{element.get('id') or ''} {element.get('class') or ''}"
        if (element.tag in DROPPED_TAGS or CHROME.search(marks)
                or HIDDEN.search(element.get("style") or "")):
            doomed.append(element)
    body = root.find("body")
    page_chars = len(body.text_content()) if body is not None else 0
    for element in doomed:
        if element.getparent() is None:
            continue
        if element.tag not in NEVER_CONTENT and (_has_report_parts(element) or _holds_report_title(element)
                                                 or len(element.text_content()) > page_chars / 2):
            continue
        _remove_keep_tail(element)


def _holds_report_title(element) -> bool:
    """A page header that carries the report's own title heading is kept."""
    return any("报告" in h.text_content() for h in element.iter("h1", "h2", "h3"))


def _remove_keep_tail(element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def find_report_body(root):
    """The element spanning the report: from its 总体情况 heading to its 其他需要报告 heading.

    Headings are short blocks holding the part's name; an introduction that
    lists all six parts in one sentence is not one. Without both headings,
    the smallest element still holding both names, else <body>.
    """
    body = root.find("body")
    body = body if body is not None else root
    first = _part_heading(body, FIRST_PART, last=False)
    last = _part_heading(body, LAST_PART, last=True)
    if first is not None and last is not None:
        current = _common_ancestor(first, last)
    elif _has_report_parts(body):
        current = body
        while True:
            holders = [c for c in current if isinstance(c.tag, str) and _has_report_parts(c)]
            if not holders:
                break
            current = max(holders, key=lambda c: len(c.text_content()))
    else:
        return body
    while current.tag in ("tr", "tbody", "thead", "tfoot") and current.getparent() is not None:
        current = current.getparent()  # the parts sit in different rows: the table is the body
    return current


def _part_heading(body, name: str, *, last: bool):
    """The first (or last) short block whose text names a part."""
    found = None
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        own = (element.text or "") + "".join(child.tail or "" for child in element)
        if name not in own:
            continue
        block = element
        while block.tag not in BLOCK_TAGS and block.tag not in HEADINGS and block.getparent() is not None:
            block = block.getparent()
        text = block.text_content().strip()
        # a heading starts with its part's name (after a number such as 一、 or （六）)
        if len(text) <= MAX_HEADING_CHARS and text.find(name) <= MAX_HEADING_PREFIX:
            if not last:
                return block
            found = block
    return found


def _common_ancestor(a, b):
    # Hold the proxies: lxml may reuse a freed proxy's id() for another element.
    ancestors = [a, *a.iterancestors()]
    for element in [b, *b.iterancestors()]:
        if any(element is candidate for candidate in ancestors):
            return element
    return b


def _title_before(root, body) -> str | None:
    """The report's own title heading when it sits outside the body element."""
    if body.tag == "body":
        return None
    title = None
    for element in root.iter():
        if element is body:
            break
        if not isinstance(element.tag, str):
            continue
        is_heading = element.tag in HEADINGS or "title" in (element.get("class") or "").lower()
        if is_heading:
            text = ASCII_SPACES.sub(" ", element.text_content()).strip()
            if "报告" in text and len(text) <= 80:
                title = text
    return title


def _flush(line: list[str], blocks: list) -> None:
    text = ASCII_SPACES.sub(" ", "".join(line)).strip()
    line.clear()
    if text:
        blocks.append(Paragraph(text))


def _flow(element, blocks: list, line: list[str]) -> None:
    """Inline text gathers into ``line``; block elements and <br> end a paragraph."""
    if element.text:
        line.append(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            _flush(line, blocks)
        elif tag == "table":
            _flush(line, blocks)
            _table_blocks(child, blocks)
        elif tag in HEADINGS:
            _flush(line, blocks)
            inner: list[Paragraph | Table] = []
            _flow(child, inner, line)
            _flush(line, inner)
            for block in inner:
                if isinstance(block, Paragraph) and block.level is None:
                    block.level = HEADINGS[tag]
            blocks.extend(inner)
        elif tag in BLOCK_TAGS:
            _flush(line, blocks)
            _flow(child, blocks, line)
            _flush(line, blocks)
        elif tag:
            _flow(child, blocks, line)
        if child.tail:
            line.append(child.tail)


def _own_rows(table):
    """The rows of this table, not of tables nested in its cells."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


def _own_cells(tr):
    return [td for td in tr if td.tag in ("td", "th")]


def _is_layout_table(table) -> bool:
    """A table holding tables, or of one column, only frames the real content."""
    rows = [_own_cells(tr) for tr in _own_rows(table)]
    if all(len(cells) <= 1 for cells in rows):
        return True
    return any(td.find(".//table") is not None for cells in rows for td in cells)


def _table_blocks(table, blocks: list) -> None:
    if _is_layout_table(table):
        for tr in _own_rows(table):
            for td in _own_cells(tr):
                line: list[str] = []
                _flow(td, blocks, line)
                _flush(line, blocks)
        return
    rows = table_to_rows(table)
    if rows:
        blocks.append(Table(rows))


def _span(cell, name: str, limit: int) -> int:
    try:
        value = int(re.match(r"\s*(\d+)", cell.get(name) or "1").group(1))
    except (AttributeError, ValueError):
        return 1
    return max(1, min(value, limit))


def cell_text(cell) -> str:
    """Raw cell text: line breaks in the cell (and source newlines, with their &nbsp; padding)
    joined without a separator; other &nbsp;s kept as written (an &nbsp; cell is a blank,
    not the "" of a merged continuation)."""
    text = "".join(t for t in cell.itertext() if isinstance(t, str))
    text = SPACE_WITH_NEWLINE.sub("", text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return text.strip(" \t\r\n\f\v")


def table_to_rows(table) -> list[list[str]]:
    """An HTML table as rows of raw cell strings; colspan once, rowspan continuations as ""."""
    rows_el = list(_own_rows(table))
    pending: dict[int, tuple[int, int]] = {}  # grid column -> (rows still covered, colspan)
    rows: list[list[str]] = []
    for r, tr in enumerate(rows_el):
        cells = iter(_own_cells(tr))
        row: list[str] = []
        col = 0
        next_cell = next(cells, None)
        while next_cell is not None or any(c >= col for c in pending):
            if col in pending:
                left, width = pending[col]
                row.append("")
                if left <= 1:
                    del pending[col]
                else:
                    pending[col] = (left - 1, width)
                col += width
                continue
            if next_cell is None:
                col = min(c for c in pending if c >= col)
                continue
            colspan = _span(next_cell, "colspan", MAX_SPAN)
            rowspan = _span(next_cell, "rowspan", len(rows_el) - r)
            row.append(cell_text(next_cell))
            if rowspan > 1:
                pending[col] = (rowspan - 1, colspan)
            col += colspan
            next_cell = next(cells, None)
        if row:
            rows.append(row)
    return rows
