"""Plain text and markdown: decoding, then lines -> paragraphs and tables.

Three layouts occur in real files:
- Word documents exported to text: each table cell on its own line starting
  with a tab, rows separated by blank lines (the seeds);
- markdown pipe tables (PDF converted to markdown), possibly split in two;
- crawled web pages: a header block (标题: …, 发布时间: …, 原文链接: …) then the page text.
"""
from __future__ import annotations

import re
from pathlib import Path

from charset_normalizer import from_bytes

from ..document import Document, Paragraph, Table
from ..errors import DecodeError, ReaderError

BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
CRAWLER_FIELDS = {"标题": "title", "发布时间": "published", "原文链接": "url"}
CRAWLER_BODY = re.compile(r"^=+\s*正文\s*=+$")
MAX_TEXT_BYTES = 20 * 1024 * 1024


def decode_bytes(data: bytes, path) -> str:
    """Decode report bytes: BOMs first, then UTF-8, then GB18030, then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise DecodeError(path, "cannot tell the text encoding (tried UTF-8, UTF-16, GB18030); "
                                "re-save the file as UTF-8")
    return data.decode(best.encoding, errors="replace")


def read_text(path: str | Path, fmt: str | None = None) -> Document:
    """Read a .txt or .md report into paragraphs and tables."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) > MAX_TEXT_BYTES:
        raise ReaderError(path, f"text file too large ({len(data) // 1_048_576} MB; an annual report is under 1 MB)")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReaderError(path, "binary data, not a text file")
    text = decode_bytes(data, path).replace("\r\n", "\n").replace("\r", "\n")
    fmt = fmt or ("md" if path.suffix.lower() in (".md", ".markdown") else "txt")
    lines, meta = _strip_crawler_header(text.split("\n"))
    return Document(path=str(path), format=fmt, blocks=lines_to_blocks(lines), meta=meta)


def _strip_crawler_header(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """A crawler's header block (标题: … until ==== 正文 ====) becomes metadata."""
    for i, line in enumerate(lines[:30]):
        if CRAWLER_BODY.match(line.strip()):
            meta = {}
            for header in lines[:i]:
                key, _, value = header.partition(":")
                if key.strip() in CRAWLER_FIELDS and value.strip():
                    meta[CRAWLER_FIELDS[key.strip()]] = value.strip()
            return lines[i + 1:], meta
    return lines, {}


def _clean(line: str) -> str:
    return BOOKMARK.sub("", line)


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t")


def _is_md_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 2


def _md_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c for c in s.split("|")]


def lines_to_blocks(lines: list[str]) -> list[Paragraph | Table]:
    """Group lines into paragraphs, Word-export tables and markdown tables."""
    blocks: list[Paragraph | Table] = []
    i, n = 0, len(lines)
    while i < n:
        line = _clean(lines[i])
        if _is_cell_line(line):
            i = _read_tab_table(lines, i, blocks)
        elif _is_md_row(line):
            i = _read_md_table(lines, i, blocks)
        else:
            stripped = line.strip()
            if stripped and stripped not in ("\u2002", "\u3000"):
                heading = MD_HEADING.match(stripped)
                if heading:
                    blocks.append(Paragraph(heading.group(2).strip(), level=len(heading.group(1))))
                else:
                    blocks.append(Paragraph(stripped))
            i += 1
    return blocks


def _read_tab_table(lines: list[str], i: int, blocks: list) -> int:
    """Tab-led cell lines; a blank line ends a row, a non-cell text line ends the table.

    A cell may continue on following lines without a tab (本年新\\n制作数量).
    """
    rows: list[list[str]] = []
    row: list[str] = []
    n = len(lines)
    while i < n:
        line = _clean(lines[i])
        if _is_cell_line(line):
            row.append(line[1:])
            i += 1
        elif line.strip() == "":
            if row:
                rows.append(row)
                row = []
            i += 1
            # two blank lines or a non-cell line after a blank ends the table
            if i < n and not _is_cell_line(_clean(lines[i])):
                break
        elif row:
            row[-1] = row[-1] + line  # a wrapped cell
            i += 1
        else:
            break
    if row:
        rows.append(row)
    if rows:
        blocks.append(Table(rows))
    return i


def _read_md_table(lines: list[str], i: int, blocks: list) -> int:
    rows: list[list[str]] = []
    n = len(lines)
    while i < n and _is_md_row(_clean(lines[i])):
        line = _clean(lines[i])
        if not MD_SEPARATOR.match(line):
            rows.append(_md_cells(line))
        i += 1
    if rows:
        blocks.append(Table(rows))
    return i
