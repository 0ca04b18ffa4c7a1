"""A SQLite file that several processes share, each entry filed under the collection's commit.

A server's workers keep in such files what they computed from the data, for the others to
read instead of computing it again: whole answers (web/response_cache.py) and counts
(indexer/shared_counts.py). What is kept holds until the next commit, so entries of older
commits are dropped, then the oldest, to keep the file under its bound. A cache never decides a
result: the callers treat any sqlite3.Error (a locked or damaged file) as nothing kept.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

# A process waits at most this long for another's write, then does without the file.
BUSY_MILLISECONDS = 50
# How many entries a process stores between two checks of the file's size.
STORES_PER_SIZE_CHECK = 64


class SharedFile:
    """One table ``(key BLOB PRIMARY KEY, version TEXT, <columns>, size INTEGER)`` in a file.

    :param path: the file (its directory is made if missing).
    :param table: the table's name; ``columns``: its value columns, as SQL.
    :param max_bytes: the bound on the entries' summed sizes.
    """

    def __init__(self, path: Path, table: str, columns: str, max_bytes: int):
        self.path = Path(path)
        self.table = table
        self.columns = columns
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._stores = 0
        self._lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (WAL, no fsync: a lost write is only a miss)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise sqlite3.OperationalError(str(error)) from None
            connection = sqlite3.connect(self.path, timeout=BUSY_MILLISECONDS / 1000, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key BLOB PRIMARY KEY, version TEXT, "
                               f"{self.columns}, size INTEGER)")
            self._local.connection = connection
        return connection

    def get(self, key: bytes, columns: str) -> tuple | None:
        """The ``columns`` of the entry under ``key``, or None. :raises sqlite3.Error:"""
        return self.connection().execute(f"SELECT {columns} FROM {self.table} WHERE key = ?", (key,)).fetchone()

    def put(self, key: bytes, version: str, values: tuple, size: int) -> None:
        """Keep an entry, now and then trimming the file. :raises sqlite3.Error:"""
        connection = self.connection()
        marks = ", ".join("?" * (len(values) + 3))
        connection.execute(f"INSERT OR REPLACE INTO {self.table} VALUES ({marks})", (key, version, *values, size))
        with self._lock:
            self._stores += 1
            check = self._stores % STORES_PER_SIZE_CHECK == 1
        if check:
            self._trim(connection, version)

    def _trim(self, connection: sqlite3.Connection, version: str) -> None:
        """Drop the entries of older commits, then the oldest until the file is under its bound."""
        connection.execute(f"DELETE FROM {self.table} WHERE version != ?", (version,))
        total = connection.execute(f"SELECT COALESCE(SUM(size), 0) FROM {self.table}").fetchone()[0]
        if total > self.max_bytes:
            count = connection.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0]
            connection.execute(f"DELETE FROM {self.table} WHERE rowid IN "
                               f"(SELECT rowid FROM {self.table} ORDER BY rowid LIMIT ?)", (max(1, count // 4),))
