"""Readers: one small module per format, each turning a file into a Document."""
from __future__ import annotations

from pathlib import Path

from ..document import Document
from ..errors import ReaderError, UnsupportedFormat
from .text import read_text

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}


def read_document(path: str | Path) -> Document:
    """Read any supported file into a Document.

    :raises ReaderError: unreadable, unsupported or damaged file (message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise ReaderError(path, "no such file")
    if path.stat().st_size == 0:
        raise ReaderError(path, "empty file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_text(path)
    raise UnsupportedFormat(path, f"unsupported format '{suffix or '(none)'}' (supported: .txt .md .docx .html .pdf)")
