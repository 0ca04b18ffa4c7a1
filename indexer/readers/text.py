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
SNIFF_BYTES = 4096


def decode_bytes(data: bytes, path) -> str:
    """Decode report bytes: BOMs, UTF-16 by its zero bytes, UTF-8, GB18030, then detection.

    :raises ReaderError: the bytes are not text at all.
    :raises DecodeError: text in an encoding we cannot tell.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        if _plausible_text(text):
            return text
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ReaderError(path, "binary data, not a text file")
    # A file cut mid-character, or with a stray bad byte, is still in its
    # encoding: a handful of replacement characters is tolerated, mojibake is not.
    for encoding in ("utf-8", "gb18030"):
        text = data.decode(encoding, errors="replace")
        if text.count("\ufffd") <= 3 + len(data) // 1000 and _plausible_text(text):
            return text
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        text = data.decode(best.encoding, errors="replace")
        if _plausible_text(text):
            return text
    if not _plausible_text(data[:SNIFF_BYTES].decode("latin-1")):
        raise ReaderError(path, "binary data, not a text file")
    raise DecodeError(path, "cannot tell the text encoding (tried UTF-8, UTF-16, GB18030); "
                            "re-save the file as UTF-8")


def _utf16_without_bom(data: bytes) -> str | None:
    """ASCII characters (digits, spaces, newlines) in UTF-16 leave zero bytes on one side only."""
    sample = data[:SNIFF_BYTES] if len(data) % 2 == 0 or len(data) > SNIFF_BYTES else data[:-1]
    sample = sample[: len(sample) - len(sample) % 2]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs == 0 or even + odd < max(4, pairs // 20):
        return None
    if odd and even <= odd // 20:
        return "utf-16-le"
    if even and odd <= even // 20:
        return "utf-16-be"
    return None


# Printable ASCII, CJK and punctuation (a character class, not a Python loop per
# character: this check ran over every file and was a fifth of parsing a text report).
_IMPLAUSIBLE_CHAR = re.compile("[^\t\n\r\f\x20-\x7e\xa0-\u2fff\u3000-\u9fff\uac00-\ud7af"
                               "\uf900-\ufaff\ufe30-\uffef]")


def _plausible_text(text: str) -> bool:
    """Mostly printable ASCII, CJK and punctuation: random bytes decoded as GB18030 are not."""
    sample = text[:20_000]
    if not sample:
        return True
    good = len(sample) - len(_IMPLAUSIBLE_CHAR.findall(sample))
    return good >= 0.95 * len(sample)


def read_text(path: str | Path, fmt: str | None = None) -> Document:
    """Read a .txt or .md report into paragraphs and tables."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        # Decided from the size alone: a 50 MB file is never read into memory.
        raise ReaderError(path, f"text file too large ({size // 1_048_576} MB; an annual report is under 1 MB)")
    data = path.read_bytes()
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
    return BOOKMARK.sub("", line) if "[" in line else line


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
