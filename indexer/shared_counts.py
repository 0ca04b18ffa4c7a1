"""Counts shared by the processes that read one collection, until its next commit (docs/serving.md).

A searcher keeps what it counted (facets, statistics, which words every report holds) in its memo
until the next commit (``indexer/search.py``). A server runs several workers, each with its own
searcher and memo, so without this each worker counted the same queries again: at 1,000,000
reports a word's statistics cost ~1 s. Here the counts go to a file the workers share
(``indexer/shared_file.py``), under the commit they were counted on; a worker asked for a count
another has made reads it instead of counting.

It never decides a result: a lookup or store that fails is skipped, and the count is made as if
nothing were kept. Values are JSON, never pickles: the file is read back by every worker.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from .shared_file import SharedFile

FILE_NAME = "counts.sqlite"
# The file's size bound: past it, the oldest counts go (a search's facets are a few KB).
MAX_BYTES = 128 * 1024 * 1024


class SharedCounts:
    """Key -> JSON value, each under the commit (``version``) it was counted on.

    :param directory: where the file lives (one per server, made by its master).
    """

    def __init__(self, directory: Path, max_bytes: int = MAX_BYTES):
        self.file = SharedFile(Path(directory) / FILE_NAME, "counts", "value TEXT", max_bytes)

    @staticmethod
    def _key(version: str, key: str) -> bytes:
        return hashlib.sha256(f"{version}\0{key}".encode("utf-8", "surrogateescape")).digest()

    def get(self, version: str, key: str) -> Any | None:
        """The value kept under ``key`` for the commit ``version``, or None."""
        try:
            row = self.file.get(self._key(version, key), "value")
            return None if row is None else json.loads(row[0])
        except (sqlite3.Error, ValueError):
            return None

    def put(self, version: str, key: str, value: Any) -> None:
        """Keep ``value`` (JSON-able) under ``key`` for the commit ``version``; skipped on failure."""
        try:
            text = json.dumps(value, ensure_ascii=False)
            self.file.put(self._key(version, key), version, (text,), len(text))
        except (sqlite3.Error, TypeError, ValueError):
            return
