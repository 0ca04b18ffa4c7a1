"""OCR records cached by the file's sha256: <data>/ocr/<sha256>.json.gz (docs/data-directory.md).

A record made by an older OCR step (another RECORD_VERSION) is not used; a damaged one
is OCR'd again rather than trusted. The scanned pages of a PDF that mixes text and scans
are stored with their page numbers (``pdf_pages``), and used only for those same pages.
"""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path


def _path(cache_dir: Path, sha256: str) -> Path:
    return Path(cache_dir) / f"{sha256}.json.gz"


def load(cache_dir: Path, sha256: str, version: int, pdf_pages: list[int] | None = None) -> list[dict] | None:
    """The stored records, or None (none, damaged, another version, or other pages than ``pdf_pages``:
    None means every page of the file)."""
    try:
        with gzip.open(_path(cache_dir, sha256), "rt", encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(stored, dict) or stored.get("v") != version or not isinstance(stored.get("pages"), list):
        return None
    if stored.get("pdf_pages") != pdf_pages or (pdf_pages is not None and len(stored["pages"]) != len(pdf_pages)):
        return None
    return stored["pages"]


def save(cache_dir: Path, sha256: str, pages: list[dict], pdf_pages: list[int] | None = None) -> None:
    """Written to a temporary name and renamed: two workers OCR'ing the same bytes never leave half a file.

    :param pdf_pages: the numbers (from 0) of the PDF pages ``pages`` are, if not all of the file's.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = _path(cache_dir, sha256)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    version = pages[0]["v"] if pages else 0
    with gzip.open(temporary, "wt", encoding="utf-8") as f:
        stored: dict = {"v": version, "pages": pages}
        if pdf_pages is not None:
            stored["pdf_pages"] = pdf_pages
        json.dump(stored, f, ensure_ascii=False, separators=(",", ":"))
    os.replace(temporary, target)
