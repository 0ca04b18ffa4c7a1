"""Shared by test_sections / test_metadata / test_narrative: the corpus files and their goldens.

tests/golden_meta/<file stem>.json holds, per corpus file, the metadata and
section headings checked by hand against the document (see NOTES.md there),
plus the table figures its narrative restates (read by hand from its tables)
and the narrative flags they must give.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.document import Document
from indexer.errors import UnsupportedFormat
from indexer.readers import read_document

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = Path(__file__).resolve().parent / "golden_meta"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.json"))


def load_golden(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_corpus_file(golden: dict) -> Document:
    """The document a golden describes; skipped while its format has no reader."""
    try:
        return read_document(ROOT / golden["file"])
    except UnsupportedFormat as e:
        pytest.skip(f"no reader yet: {e}")


def golden_ids() -> list[str]:
    return [p.stem for p in GOLDEN_FILES]
