"""OCR records cached by the file's sha256: <data>/ocr/<sha256>.json.gz (docs/data-directory.md).

A record made by an older OCR step (another RECORD_VERSION) is not used; a damaged one
is OCR'd again rather than trusted.
"""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path


def _path(cache_dir: Path, sha256: str) -> Path:
    return Path(cache_dir) / f"{sha256}.json.gz"


def load(cache_dir: Path, sha256: str, version: int) -> list[dict] | None:
    try:
        with gzip.open(_path(cache_dir, sha256), "rt", encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(stored, dict) or stored.get("v") != version or not isinstance(stored.get("pages"), list):
        return None
    return stored["pages"]


def save(cache_dir: Path, sha256: str, pages: list[dict]) -> None:
    """Written to a temporary name and renamed: two workers OCR'ing the same bytes never leave half a file."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = _path(cache_dir, sha256)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    version = pages[0]["v"] if pages else 0
    with gzip.open(temporary, "wt", encoding="utf-8") as f:
        json.dump({"v": version, "pages": pages}, f, ensure_ascii=False, separators=(",", ":"))
    os.replace(temporary, target)
