"""The document model every reader produces: ordered paragraphs and tables.

Readers know nothing of annual reports; they only turn a file into blocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Paragraph:
    """One paragraph of running text. ``level`` is the heading level when the
    format marks headings itself (markdown ``#``, HTML ``<h2>``, a Word heading
    style), else None."""
    text: str
    level: int | None = None


@dataclass
class Table:
    """A table as rows of raw cell text, in reading order.

    Cells keep their text as written (spaces, full-width spaces, units), so the
    figure mapper can tell a blank from a 0. A horizontally merged cell appears
    once; a vertically merged continuation appears as "" - the layout of Word's
    own text export, which the seeds are.

    ``ocr`` is set for a table read by OCR: beside each cell, what the engine read
    ({"conf", "read", "normalised"}) or None for a blank cell.

    ``blanks_dropped`` is set where the converter that wrote the table dropped its blank cells
    and padded each row at its end instead (trafilatura's text before 2.3): a row's values
    are then in their columns only when there are as many as the columns.
    """
    rows: list[list[str]]
    ocr: list[list[dict | None]] | None = None
    blanks_dropped: bool = False


Block = Paragraph | Table


@dataclass
class Document:
    """What a reader made of one file.

    ``meta`` holds what the container says about the report outside its body:
    ``title`` (HTML <title>, a crawler's 标题 line), ``published``, ``url``.
    ``sha256`` is the hex digest of the file's bytes where the reader read them
    whole (text), so that they need not be read again to be hashed; else None.
    ``ocr`` is set when the text came from OCR: {"engine", "pages", "mean_confidence"}; a PDF
    that mixes text and scanned pages adds "page_numbers" (those OCR read, from 1) and
    "total_pages", and its mean_confidence is None when OCR found nothing legible on them.
    """
    path: str
    format: str
    blocks: list[Block] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None
    ocr: dict | None = None

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def text(self) -> str:
        """The report text: paragraphs joined by newlines, tables left out.

        Section offsets and search snippets are character offsets into this.
        """
        return "\n".join(p.text for p in self.paragraphs)
