"""The SQLite store: the source of truth every other view (the tantivy index,
the web pages, exports) is derived from (docs/data-directory.md).

``data_dir/reports.sqlite`` is meant to be opened by researchers with
``sqlite3`` or Datasette, so the schema is plain and readable:

``reports``
    one row per distinct report (distinct file bytes). ``id`` is the report id
    (first 16 hex chars of the file's sha256), then the metadata columns a
    researcher filters on (agency, year, template, province, city, county,
    adcode, level, agency_type, title, published), ``synthetic`` (1 for
    generated reports), ``format``, ``flags`` (comma-separated flag codes,
    sorted), ``figures_json`` (the report's figures as one JSON object, key ->
    number or null) and ``json`` (the full canonical report, docs/report-format.md,
    compressed: see ``dictionaries``).

``figures``
    a view: the long (tidy) form of every report's figures, ``(report_id, key,
    value)``, one row per figure key the report's template has, read from
    ``figures_json``. ``value`` is NULL for a blank cell (never 0). A view, not
    a table: two hundred rows a report would cost ingest more than the rest of the store.
    Example: reports with nonzero procurement::

        SELECT r.agency, r.year, f.value FROM reports r JOIN figures f ON f.report_id = r.id
        WHERE f.key = 't2.procurement.count' AND f.value > 0;

    or, without the view, ``WHERE figures_json ->> '$."t2.procurement.count"' > 0``.

``sources``
    every ingested file path -> its bytes: ``(path, sha256, report_id, size,
    mtime, ingested_at)``. Several paths may share one report (the same bytes
    under another name); a report whose every source path is gone is dropped
    by ``xxgk ingest --prune``.

``originals``
    the bytes of every stored report's file, by sha256 (a content-addressed
    copy): a link to the original never breaks when the user moves or deletes
    files. In the database rather than one file each: a row costs ingest far less
    system time than creating a file (docs/benchmarks.md), and the copy commits
    with its report, all or nothing. Get one out with ``xxgk`` or from the
    report's web page (the bytes are compressed, see below).

``dictionaries``
    the zstd dictionaries ``reports.json`` and ``originals.bytes`` are compressed
    with: ``(id, kind, bytes, trained_at)``. Both columns hold one zstd frame each,
    whose header names its dictionary by ``id`` (0: none); ``figures_json`` stays
    plain JSON for SQL (docs/data-directory.md). The first dictionaries are
    trained on a store's first ``DICTIONARY_SAMPLE`` values once it holds that
    many; values written before that are compressed without one. Every read goes through
    ``decompress``.

The tantivy index, derived from this store and rebuildable from it
(``ingest.rebuild_index``), lives in ``data_dir/index``.

The database runs in WAL mode: readers (the web server) see committed batches
only, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import msgspec
import zstandard

from .errors import XxgkError
from .paths import path_text
from .report import REGION_KEYS, Flag, Report
from .vocabulary import report_id

DB_NAME = "reports.sqlite"
# The data format of the store (PRAGMA user_version, kept in the file's header): raised when a
# change to the tables needs new code to read them, so that an older xxgk refuses a newer store
# instead of misreading it (docs/data-directory.md). Stores stamped 0 (none) predate the stamp.
SCHEMA_VERSION = 2
# Format 2 compressed reports.json and originals.bytes (see _compress_old_rows).
COMPRESSED_SINCE = 2
# zstd's level: 3 costs ~40 µs of CPU a report against ~120 µs at 6 for 20% fewer bytes (docs/benchmarks.md).
ZSTD_LEVEL = 3
# How many values of a kind train its first dictionary: enough for zstd's training to generalise,
# ~0.3 s of CPU for both kinds (docs/benchmarks.md).
DICTIONARY_SAMPLE = 2000
DICTIONARY_BYTES = 112_640
# fastCOVER with fixed parameters (no search over k and d): deterministic, bounded in time,
# within 5% of the searched dictionary's ratio on generated reports (docs/benchmarks.md).
_TRAINING = dict(k=2048, d=8, f=20, accel=2, threads=1)
# The kinds of compressed values: the dictionary each is trained on.
KIND_JSON = "json"
KIND_ORIGINAL = "original"
# A zstd frame's first four bytes: no JSON text and no accepted file format starts with them.
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# where earlier versions kept the copies of the files, one file each (see _migrate)
OLD_FILES_DIR = "files"
INDEX_DIRNAME = "index"
# SQLite's largest page size, for a new store (see Store.open).
PAGE_SIZE = 65536
# SQLite's page cache of ingest's connection, in KiB: a maximum, filled only as pages are
# touched. It holds a whole batch (ingest.MAX_BATCH_BYTES of report JSON, with the figures and
# the file copies) until its commit, and keeps the indexes' pages between batches; with SQLite's
# default 2 MB the batch spilled into the WAL and every insert read index pages again.
BULK_CACHE_KIB = 1_048_576
# ... and of each parse worker's read-only connection: the two lookups a file makes
# (sources by path, reports by sha256) find their index pages cached.
LOOKUP_CACHE_KIB = 65_536
# Ids per SELECT … WHERE id IN (…): well under SQLite's variable limit.
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id          TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    agency      TEXT,
    agency_key  TEXT,
    year        INTEGER,
    template    TEXT,
    province    TEXT,
    city        TEXT,
    county      TEXT,
    adcode      TEXT,
    level       TEXT,
    agency_type TEXT,
    title       TEXT,
    published   TEXT,
    synthetic   INTEGER NOT NULL DEFAULT 0,
    format      TEXT,
    flags       TEXT NOT NULL DEFAULT '',
    figures_json TEXT NOT NULL DEFAULT '{}',
    json        BLOB NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_agency_year ON reports (agency, year);
CREATE INDEX IF NOT EXISTS reports_year ON reports (year);
CREATE INDEX IF NOT EXISTS reports_agency_key ON reports (agency_key, year);
CREATE VIEW IF NOT EXISTS figures (report_id, key, value) AS
    SELECT reports.id, figure.key, figure.value FROM reports, json_each(reports.figures_json) AS figure;
CREATE TABLE IF NOT EXISTS sources (
    path        TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    report_id   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime       REAL NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_report ON sources (report_id);
CREATE TABLE IF NOT EXISTS originals (
    sha256      TEXT PRIMARY KEY,
    bytes       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dictionaries (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    trained_at  TEXT NOT NULL
);
"""


# Stores written before figures became a view hold a ``figures`` table instead (and no
# ``figures_json`` column): rebuilt from each report's JSON when opened.
_FIGURES_TABLE_TO_VIEW = """
ALTER TABLE reports ADD COLUMN figures_json TEXT NOT NULL DEFAULT '{}';
UPDATE reports SET figures_json = json_extract(json, '$.figures');
DROP TABLE figures;
"""


def _migrate(connection: sqlite3.Connection, data_dir: Path) -> None:
    """Bring a store written by an earlier version to the current schema (before _SCHEMA runs)."""
    kind = connection.execute("SELECT type FROM sqlite_master WHERE name = 'figures'").fetchone()
    if kind is not None and kind[0] == "table":
        connection.executescript("BEGIN IMMEDIATE;" + _FIGURES_TABLE_TO_VIEW + "COMMIT;")
    columns = {row[1] for row in connection.execute("PRAGMA table_info(reports)")}
    if columns and "agency_key" not in columns:
        # filled in by `xxgk ingest --reindex` (ingest.rebuild_index), which recomputes every key
        connection.execute("ALTER TABLE reports ADD COLUMN agency_key TEXT")
    if "stored_path" in columns:
        _move_files_into_originals(connection, data_dir)


def _move_files_into_originals(connection: sqlite3.Connection, data_dir: Path) -> None:
    """Stores written before ``originals`` kept each copy as a file under ``files/`` (path in
    ``reports.stored_path``): read them into the table, then remove the folder."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS originals (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL)")
        rows = connection.execute("SELECT sha256, stored_path FROM reports WHERE stored_path IS NOT NULL").fetchall()
        for sha256, stored_path in rows:
            try:
                data = (data_dir / stored_path).read_bytes()
            except OSError:
                continue  # already missing: the report page says the original is not stored
            connection.execute("INSERT OR IGNORE INTO originals (sha256, bytes) VALUES (?, ?)", (sha256, data))
        connection.execute("ALTER TABLE reports DROP COLUMN stored_path")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    shutil.rmtree(data_dir / OLD_FILES_DIR, ignore_errors=True)


class StoreError(XxgkError):
    """The data directory's SQLite store cannot be opened or written."""


def is_compressed(value) -> bool:
    """Whether a stored value is a zstd frame (format 2) rather than the plain bytes of format 1."""
    return isinstance(value, bytes) and value[:4] == _ZSTD_MAGIC


class Codec:
    """The zstd dictionaries of one store connection: compresses new values with the newest
    dictionary of their kind, and reads any value with the dictionary its frame names."""

    def __init__(self, connection: sqlite3.Connection):
        self._db = connection
        self._dictionaries: dict[int, zstandard.ZstdCompressionDict] = {}
        self._newest: dict[str, int] = {}  # kind -> id of its newest dictionary
        # python-zstandard's (de)compressor objects must not be used by two threads at once (the
        # web server's threads share one store: a shared decompressor returned corrupt-data
        # errors under load), so each thread builds its own from the shared dictionaries.
        self._local = threading.local()
        self.load()

    def load(self) -> None:
        """(Re)read the dictionaries table: another connection may have added one."""
        try:
            rows = self._db.execute("SELECT id, kind, bytes FROM dictionaries ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # a store from before the table: no dictionaries yet
            return
        for dict_id, kind, data in rows:
            self._register(dict_id, kind, zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT))

    def _register(self, dict_id: int, kind: str, dictionary: zstandard.ZstdCompressionDict) -> None:
        self._dictionaries[dict_id] = dictionary
        if kind not in self._newest or self._newest[kind] < dict_id:
            self._newest[kind] = dict_id

    def _thread_cache(self, name: str) -> dict:
        cache = getattr(self._local, name, None)
        if cache is None:
            cache = {}
            setattr(self._local, name, cache)
        return cache

    def _compressor(self, dict_id: int) -> zstandard.ZstdCompressor:
        compressors = self._thread_cache("compressors")
        if dict_id not in compressors:
            compressors[dict_id] = zstandard.ZstdCompressor(level=ZSTD_LEVEL, **(
                {"dict_data": self._dictionaries[dict_id]} if dict_id else {}))
        return compressors[dict_id]

    def _decompressor(self, dict_id: int) -> zstandard.ZstdDecompressor | None:
        if dict_id and dict_id not in self._dictionaries:
            return None
        decompressors = self._thread_cache("decompressors")
        if dict_id not in decompressors:
            decompressors[dict_id] = zstandard.ZstdDecompressor(**(
                {"dict_data": self._dictionaries[dict_id]} if dict_id else {}))
        return decompressors[dict_id]

    def has_dictionary(self, kind: str) -> bool:
        return kind in self._newest

    def compress(self, kind: str, data: bytes) -> bytes:
        """One zstd frame of ``data``, its header naming the dictionary used (0 for none)."""
        return self._compressor(self._newest.get(kind, 0)).compress(data)

    def decompress(self, value, what: str) -> bytes:
        """The bytes a stored value holds. Every read of ``reports.json`` and ``originals.bytes``
        comes here.

        :param what: the value, for the error ("report 1a2b…'s JSON").
        :raises StoreError: the value is not a zstd frame this store can read.
        """
        try:
            if not is_compressed(value):
                raise zstandard.ZstdError("not a zstd frame")
            dict_id = zstandard.get_frame_parameters(value).dict_id
            if dict_id and dict_id not in self._dictionaries:
                self.load()
            reader = self._decompressor(dict_id)
            if reader is None:
                raise zstandard.ZstdError(f"its dictionary {dict_id} is not in the store")
            return reader.decompress(value)
        except zstandard.ZstdError as e:
            db = self._db.execute("PRAGMA database_list").fetchone()[2]
            raise StoreError(damaged_store_message(Path(db), f"{what} cannot be decompressed: {e}")) from None

    def train(self, kind: str, samples: list[bytes]) -> int:
        """Train a dictionary of ``kind`` on ``samples``, store it (in the open transaction, if
        any) and use it for new values of that kind; return its id."""
        dict_id = self._db.execute("SELECT coalesce(max(id), 0) + 1 FROM dictionaries").fetchone()[0]
        dictionary = zstandard.train_dictionary(DICTIONARY_BYTES, samples, dict_id=dict_id, **_TRAINING)
        self._db.execute("INSERT INTO dictionaries (id, kind, bytes, trained_at) VALUES (?, ?, ?, ?)",
                         (dict_id, kind, dictionary.as_bytes(), _now()))
        self._register(dict_id, kind, dictionary)
        return dict_id


# kind -> the table and column of its compressed values
_COMPRESSED = {KIND_JSON: ("reports", "json"), KIND_ORIGINAL: ("originals", "bytes")}


def _train_on_first_rows(connection: sqlite3.Connection, codec: Codec, kind: str) -> None:
    """Train the first dictionary of ``kind`` on the store's first DICTIONARY_SAMPLE values of it
    (plain, or frames made without a dictionary), if it holds that many."""
    table, column = _COMPRESSED[kind]
    sample = [codec.decompress(value, f"a stored {kind}") if is_compressed(value) else _as_bytes(value)
              for (value,) in connection.execute(f"SELECT {column} FROM {table} ORDER BY rowid LIMIT ?",
                                                 (DICTIONARY_SAMPLE,))]
    if len(sample) < DICTIONARY_SAMPLE:
        return
    try:
        codec.train(kind, sample)
    except zstandard.ZstdError:
        pass  # too little to learn from (zstd: "Src size is incorrect"): values stay tagged "none"


def _compress_old_rows(connection: sqlite3.Connection) -> None:
    """Compress the plain ``reports.json`` and ``originals.bytes`` of a format-1 store in place
    (in the caller's transaction), with dictionaries trained on its first rows."""
    codec = Codec(connection)
    for kind, (table, column) in _COMPRESSED.items():
        if not codec.has_dictionary(kind):
            _train_on_first_rows(connection, codec, kind)
        last = 0
        while True:
            rows = connection.execute(f"SELECT rowid, {column} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 500",
                                      (last,)).fetchall()
            if not rows:
                break
            connection.executemany(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                                   [(codec.compress(kind, _as_bytes(value)), rowid) for rowid, value in rows
                                    if not is_compressed(_as_bytes(value))])
            last = rows[-1][0]


def _as_bytes(value) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _upgrade(connection: sqlite3.Connection) -> None:
    """Bring an older format to this one and stamp it, in one write transaction: a second
    process opening the store meanwhile waits, then finds it done."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version < COMPRESSED_SINCE:
            _compress_old_rows(connection)
        if version < SCHEMA_VERSION:
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def damaged_store_message(db: Path, problem: str) -> str:
    """What to say of a store that cannot be trusted: it is the source of truth, nothing rebuilds it."""
    data_dir = db.parent
    return (f"{db}: the store is damaged ({problem}); it cannot be rebuilt from the index: restore it "
            f"from a backup, or move {data_dir} aside and ingest the files again (xxgk ingest PATH --data {data_dir})")


def _damaged(db: Path, problem: str) -> StoreError:
    return StoreError(damaged_store_message(db, problem))


def _newer(db: Path, version: int) -> StoreError:
    return StoreError(f"{db}: written by a newer xxgk (data format {version}; this version reads up to "
                      f"{SCHEMA_VERSION}): upgrade xxgk-search (pip install -U xxgk-search), or use another --data")


def _read_only_uri(db: Path) -> str:
    """The URI that opens ``db`` for reading.

    Reading a WAL database takes its shared-memory file (``-shm``) beside it, which SQLite creates
    where it is missing. On a read-only disk it cannot, so a copy made after the last connection
    closed (no ``-wal``, no ``-shm``) would not open: there it is opened immutable, which needs
    neither and misses nothing, since no log holds anything. A copy with a log is read with it.

    :raises StoreError: a copy on a read-only disk with a log but no ``-shm`` (SQLite cannot read
        that log, and ignoring it would lose its commits).
    """
    uri = f"{db.absolute().as_uri()}?mode=ro"
    if os.access(db.parent, os.W_OK):
        return uri
    log, shared = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
    if not log.exists() or log.stat().st_size == 0:
        return uri + "&immutable=1"
    if not shared.exists():
        raise StoreError(f"{db}: a read-only copy with its write-ahead log ({log.name}) but not {shared.name}: "
                         f"copy the data directory again, with both or after sqlite3 {db.name} "
                         f"'PRAGMA wal_checkpoint(TRUNCATE)'")
    return uri


def _check_store(db: Path, connection: sqlite3.Connection) -> int:
    """Refuse a store from a newer version before anything else reads or writes it; return its
    data format. The first read of the file: one cut short or not SQLite at all fails here,
    SQLite saying so ("database disk image is malformed", "file is not a database").
    """
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise _newer(db, version)
    return version


@dataclass(frozen=True)
class SourceFile:
    """One ingested file path and the bytes it held when ingested."""
    path: str
    sha256: str
    report_id: str
    size: int
    mtime: float
    ingested_at: str


def commit_stamp(data_dir: str | Path) -> tuple[int, ...]:
    """What changes when the store commits, in any process: the modification time and size of its
    file and of its write-ahead log (a commit writes to the log, a checkpoint writes the file). An
    empty log counts as none: SQLite makes one when a connection first reads and removes it when
    the last one closes, and neither is a change of the data."""
    stamp: list[int] = []
    for name in (DB_NAME, DB_NAME + "-wal"):
        try:
            found = (Path(data_dir) / name).stat()
        except OSError:
            found = None
        stamp += [found.st_mtime_ns, found.st_size] if found and found.st_size else [0, 0]
    return tuple(stamp)


def index_dir(data_dir: str | Path) -> Path:
    """Where the tantivy index (derived from this store) lives inside a data directory."""
    return Path(data_dir) / INDEX_DIRNAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# msgspec writes a dataclass as the JSON object of its fields, as json.dumps(report.to_dict())
# would, at a fraction of the cost (docs/benchmarks.md): the JSON of every report is made in
# ingest's parse workers.
_JSON = msgspec.json.Encoder()
# and reads a report's figures back at under half json.loads' time (an export reads every row's)
_READ_JSON = msgspec.json.Decoder()


def report_to_json(report: Report) -> bytes:
    """The JSON of ``report.to_dict()`` (docs/report-format.md), UTF-8.

    Bytes all the way into the store (which compresses them, see ``Codec``): as a
    str it was encoded and decoded four times between the worker and the database.
    """
    return _JSON.encode(report)


def read_original(file_path: str | Path, sha256: str) -> bytes:
    """The bytes of the file a report was parsed from, checked against the hash it was parsed with.

    :raises StoreError: the file cannot be read, or changed since it was parsed.
    """
    try:
        data = Path(file_path).read_bytes()
    except OSError as e:
        raise StoreError(f"{file_path}: cannot read the file to keep a copy: {e.strerror or e}") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(f"{file_path}: the file changed while it was being ingested; ingest it again")
    return data


@dataclass(frozen=True)
class PreparedPut:
    """The costly half of ``Store.put`` that needs no database: done ahead, in a parse worker."""
    original: bytes
    report_json: bytes
    figures_json: bytes


def figures_to_json(figures: dict | None) -> bytes:
    return _JSON.encode(figures or {})


def prepare_put(report: Report, file_path: str | Path, original: bytes | None = None) -> PreparedPut:
    """Read the report's file and serialise the report (see ``Store.put``).

    :param original: the file's bytes, if the caller has read them and checked them against
        the report's sha256 already.
    """
    if original is None:
        original = read_original(file_path, report.source["sha256"])
    return PreparedPut(original, report_to_json(report), figures_to_json(report.figures))


def report_to_row(report: Report, ingested_at: str,
                  report_json: bytes | None = None, figures_json: bytes | None = None) -> dict:
    """The ``reports`` row of one canonical report (``report_json``, ``figures_json``: if already made)."""
    return {
        **report.metadata_columns(),
        "sha256": report.source["sha256"],
        "synthetic": 1 if report.source.get("synthetic") else 0,
        "format": report.source.get("format"),
        "flags": ",".join(report.flag_codes()),
        "figures_json": figures_json if figures_json is not None else figures_to_json(report.figures),
        "json": report_json if report_json is not None else report_to_json(report),
        "ingested_at": ingested_at,
    }


_REPORT_COLUMNS = ("id", "sha256", "agency", "agency_key", "year", "template", "province", "city", "county", "adcode",
                   "level", "agency_type", "title", "published", "synthetic", "format", "flags",
                   "figures_json", "json", "ingested_at")
# UTF-8 JSON comes as bytes, which sqlite3 would store as a BLOB: cast to TEXT (the same bytes),
# for SQL's json functions. ``json`` is a zstd frame: a BLOB.
_JSON_COLUMNS = frozenset({"figures_json"})
_INSERT_REPORT = (f"INSERT OR REPLACE INTO reports ({', '.join(_REPORT_COLUMNS)}) VALUES "
                  f"({', '.join('CAST(? AS TEXT)' if c in _JSON_COLUMNS else '?' for c in _REPORT_COLUMNS)})")
# A report parsed again (Store.update): every column but its identity and when it was ingested.
_UPDATED_COLUMNS = tuple(c for c in _REPORT_COLUMNS if c not in ("id", "sha256", "ingested_at"))
_UPDATE_REPORT = (f"UPDATE reports SET "
                  f"{', '.join(f'{c} = CAST(? AS TEXT)' if c in _JSON_COLUMNS else f'{c} = ?' for c in _UPDATED_COLUMNS)}"
                  f" WHERE id = ?")


def _light_report(row: sqlite3.Row) -> Report:
    return Report(
        id=row["id"],
        source={"sha256": row["sha256"], "format": row["format"], "synthetic": bool(row["synthetic"])},
        title=row["title"], agency=row["agency"], agency_key=row["agency_key"], year=row["year"], template=row["template"],
        region={key: row[key] for key in REGION_KEYS},
        level=row["level"], agency_type=row["agency_type"], published=row["published"],
        figures=_READ_JSON.decode(row["figures_json"]),
        flags=[Flag(code) for code in row["flags"].split(",") if code],
    )


class Store:
    """The reports, their figures and their source files in ``data_dir``.

    Writes outside ``with store.transaction():`` commit one by one; inside, they
    commit together when the block exits cleanly (and roll back otherwise).
    """

    def __init__(self, data_dir: Path, connection: sqlite3.Connection):
        self.data_dir = data_dir
        self._db = connection
        self._in_transaction = False
        self.codec = Codec(connection)
        # per kind still without a dictionary: how many values the store holds (counted once)
        self._untrained: dict[str, int | None] = {KIND_JSON: None, KIND_ORIGINAL: None}

    @classmethod
    def open(cls, data_dir: str | Path, *, cache_kib: int | None = None) -> "Store":
        """Open (creating if needed) the store in ``data_dir``.

        :param data_dir: the data directory; created if missing.
        :param cache_kib: the most memory SQLite may use to cache pages (default: SQLite's
            2 MB; ingest gives BULK_CACHE_KIB).
        :raises StoreError: the directory or database cannot be created or read.
        """
        data_dir = Path(data_dir)
        if data_dir.is_dir() and not os.access(data_dir, os.W_OK):
            return cls.open_readonly(data_dir)  # a copy on a read-only disk: served, never written
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(data_dir / DB_NAME, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            version = _check_store(data_dir / DB_NAME, connection)
            # Takes effect only for a new database (before its first table): a stored report is
            # ~40 KB: ten 4 KB overflow pages, or one 64 KB page (ingest writes far less; docs/benchmarks.md).
            connection.execute(f"PRAGMA page_size={PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=10000")
            if cache_kib is not None:
                connection.execute(f"PRAGMA cache_size=-{int(cache_kib)}")  # negative: in KiB
            _migrate(connection, data_dir)
            connection.executescript(_SCHEMA)
            if version < SCHEMA_VERSION:
                _upgrade(connection)
        except sqlite3.OperationalError as e:
            raise StoreError(f"{data_dir / DB_NAME}: cannot open the store: {e}") from None
        except sqlite3.DatabaseError as e:  # "file is not a database", "database disk image is malformed"
            raise _damaged(data_dir / DB_NAME, str(e)) from None
        except OSError as e:
            raise StoreError(f"{data_dir / DB_NAME}: cannot open the store: {e}") from None
        return cls(data_dir, connection)

    @classmethod
    def open_readonly(cls, data_dir: str | Path) -> "Store":
        """The existing store in ``data_dir``, for lookups only (ingest's parse workers, and every
        reader of a data directory that cannot be written).

        It sees committed writes only, never those of another connection's open transaction.

        :raises StoreError: there is no store there, or it cannot be read.
        """
        data_dir = Path(data_dir)
        try:
            connection = sqlite3.connect(_read_only_uri(data_dir / DB_NAME), uri=True,
                                         isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA busy_timeout=10000")
            connection.execute(f"PRAGMA cache_size=-{LOOKUP_CACHE_KIB}")
            version = _check_store(data_dir / DB_NAME, connection)
            connection.execute("SELECT 1 FROM sources LIMIT 1")
            if version < SCHEMA_VERSION:
                raise StoreError(f"{data_dir / DB_NAME}: data format {version} is older than this version's "
                                 f"{SCHEMA_VERSION}: upgrade it with xxgk ingest --reindex --data {data_dir}")
        except sqlite3.OperationalError as e:
            raise StoreError(f"{data_dir / DB_NAME}: cannot read the store: {e}") from None
        except sqlite3.DatabaseError as e:
            raise _damaged(data_dir / DB_NAME, str(e)) from None
        return cls(data_dir, connection)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self):
        """Group writes into one commit: all of them land, or none."""
        if self._in_transaction:
            yield self
            return
        self.begin()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def begin(self) -> None:
        """Start a transaction that stays open until ``commit`` or ``rollback``
        (ingest keeps one open while a batch arrives; ``transaction`` is the usual way)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._in_transaction = True

    def commit(self) -> None:
        """Commit the transaction ``begin`` opened."""
        self._db.execute("COMMIT")
        self._in_transaction = False

    def rollback(self) -> None:
        """Drop every write since ``begin``. SQLite may have rolled back already: a COMMIT that
        fails on a full disk ends the transaction itself."""
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._in_transaction = False
        # a dictionary trained in the transaction is gone with it, and the rows counted
        self.codec = Codec(self._db)
        self._untrained = {KIND_JSON: None, KIND_ORIGINAL: None}

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    # -- reading ----------------------------------------------------------

    def get(self, report_id: str) -> Report | None:
        """The canonical report with this id, or None."""
        row = self._db.execute("SELECT id, json FROM reports WHERE id = ?", (report_id,)).fetchone()
        return self._report(row) if row else None

    def _report_json(self, row: sqlite3.Row) -> bytes:
        return self.codec.decompress(row["json"], f"report {row['id']}'s JSON")

    def _report(self, row: sqlite3.Row) -> Report:
        return Report.from_dict(json.loads(self._report_json(row)))

    def report_json(self, report_id: str) -> bytes | None:
        """The canonical JSON of the report with this id as stored, or None."""
        row = self._db.execute("SELECT id, json FROM reports WHERE id = ?", (report_id,)).fetchone()
        return self._report_json(row) if row else None

    def original(self, report_id: str) -> bytes | None:
        """The bytes of the report's original file (None if the report or its copy is unknown)."""
        row = self._db.execute("SELECT o.bytes FROM reports r JOIN originals o ON o.sha256 = r.sha256"
                               " WHERE r.id = ?", (report_id,)).fetchone()
        return self.codec.decompress(row[0], f"report {report_id}'s original file") if row else None

    def has_original(self, report_id: str) -> bool:
        """Whether the original file of the report is stored (without reading it)."""
        row = self._db.execute("SELECT 1 FROM reports r JOIN originals o ON o.sha256 = r.sha256"
                               " WHERE r.id = ?", (report_id,)).fetchone()
        return row is not None

    def reports_by_agency(self, agency: str) -> list[Report]:
        """Every report of this agency (all years), oldest year first."""
        rows = self._db.execute(
            "SELECT id, json FROM reports WHERE agency = ? ORDER BY year IS NULL, year, id", (agency,))
        return [self._report(row) for row in rows]

    def reports_by_agency_key(self, key: str) -> list[Report]:
        """Every report with this agency_key (all years), oldest year first."""
        rows = self._db.execute(
            "SELECT id, json FROM reports WHERE agency_key = ? ORDER BY year IS NULL, year, id", (key,))
        return [self._report(row) for row in rows]

    def agency_keys(self) -> dict[str, str | None]:
        """Every report's id -> its agency_key column."""
        return dict(self._db.execute("SELECT id, agency_key FROM reports").fetchall())

    def set_agency_keys(self, keys: dict[str, str | None]) -> None:
        """Set the agency_key of reports by id, in the column and the report's JSON alike
        (ingest.rebuild_index recomputes them with the current alias table)."""
        with self.transaction():
            for report_id, key in keys.items():
                row = self._db.execute("SELECT id, json FROM reports WHERE id = ?", (report_id,)).fetchone()
                if row is None:
                    continue
                data = json.loads(self._report_json(row))
                data["agency_key"] = key
                self._db.execute("UPDATE reports SET agency_key = ?, json = ? WHERE id = ?",
                                 (key, self.codec.compress(KIND_JSON, _JSON.encode(data)), report_id))

    def light_reports(self, report_ids: list[str]) -> Iterator[Report]:
        """The reports with these ids, in that order, without sections and cells
        (metadata, figures and flag codes only: what an export needs, at a fraction of the cost).

        Unknown ids are left out.
        """
        for start in range(0, len(report_ids), _CHUNK):
            chunk = report_ids[start:start + _CHUNK]
            rows = self._db.execute(
                "SELECT id, sha256, agency, agency_key, year, template, province, city, county, adcode, level, agency_type,"
                " title, published, synthetic, format, flags, figures_json"
                f" FROM reports WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            by_id = {row["id"]: row for row in rows}
            for wanted in chunk:
                if wanted in by_id:
                    yield _light_report(by_id[wanted])

    def ids_in_agency_order(self, report_ids: list[str]) -> list[str]:
        """Those of these reports that have an agency_key, each agency's together, in agency_key
        order (a panel is then made one agency at a time). Unknown ids are left out."""
        keyed = []
        for start in range(0, len(report_ids), _CHUNK):
            chunk = report_ids[start:start + _CHUNK]
            keyed += self._db.execute("SELECT agency_key, id FROM reports WHERE agency_key IS NOT NULL AND agency_key != ''"
                                      f" AND id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
        keyed.sort(key=lambda row: row[0])  # Python's order of text, as the panel's rows are ordered
        return [row[1] for row in keyed]

    def known_sha(self, sha256: str) -> bool:
        """Whether a report with these file bytes is already stored."""
        return self._db.execute("SELECT 1 FROM reports WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def known_source(self, path: str | Path, sha256: str) -> bool:
        """Whether this exact path was ingested with these exact bytes."""
        row = self._db.execute("SELECT 1 FROM sources WHERE path = ? AND sha256 = ?",
                               (path_text(path), sha256)).fetchone()
        return row is not None

    def sources(self, report_id: str | None = None) -> list[SourceFile]:
        """Every ingested file path (or only those of one report), sorted by path."""
        if report_id is None:
            rows = self._db.execute("SELECT * FROM sources ORDER BY path")
        else:
            rows = self._db.execute("SELECT * FROM sources WHERE report_id = ? ORDER BY path", (report_id,))
        return [SourceFile(**dict(row)) for row in rows]

    def report_ids(self) -> list[str]:
        """Every report id, sorted."""
        return [row[0] for row in self._db.execute("SELECT id FROM reports ORDER BY id")]

    def unsourced_report_ids(self) -> list[str]:
        """Reports no source path points to any more (e.g. their file was edited)."""
        rows = self._db.execute(
            "SELECT id FROM reports WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.report_id = reports.id)"
            " ORDER BY id")
        return [row[0] for row in rows]

    def all_reports(self) -> Iterator[Report]:
        """Every stored report, in id order (streamed, not loaded at once)."""
        last = ""
        while True:
            rows = self._db.execute("SELECT id, json FROM reports WHERE id > ? ORDER BY id LIMIT 500",
                                    (last,)).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._report(row)
            last = rows[-1]["id"]

    def count(self) -> int:
        """How many reports are stored."""
        return self._db.execute("SELECT count(*) FROM reports").fetchone()[0]

    # -- writing ----------------------------------------------------------

    def put(self, report: Report, file_path: str | Path, prepared: PreparedPut | None = None) -> None:
        """Store a report, a copy of its file, and ``file_path`` as one of its sources.

        Replaces a stored report with the same id.

        :param report: the canonical report parsed from ``file_path``.
        :param file_path: the file it was parsed from (its bytes are kept in ``originals``).
        :param prepared: ``prepare_put``'s result if already made (by a parse worker).
        :raises StoreError: the file cannot be read or changed since it was parsed.
        """
        prepared = prepared or prepare_put(report, file_path)
        now = _now()
        row = report_to_row(report, now, prepared.report_json, prepared.figures_json)
        with self.transaction():
            row["json"] = self._compress(KIND_JSON, prepared.report_json)
            self._db.execute(_INSERT_REPORT, [row[c] for c in _REPORT_COLUMNS])
            if not self._db.execute("SELECT 1 FROM originals WHERE sha256 = ?", (report.source["sha256"],)).fetchone():
                self._db.execute("INSERT INTO originals (sha256, bytes) VALUES (?, ?)",
                                 (report.source["sha256"], self._compress(KIND_ORIGINAL, prepared.original)))
            self._record_source(file_path, report.source["sha256"], report.id, now)

    def update(self, report: Report, prepared: PreparedPut) -> None:
        """Rewrite a stored report as it was parsed again (``xxgk ingest --reparse``): its row
        only. Its original, its sources and when it was ingested stay as they are.

        :raises StoreError: no report with this id is stored.
        """
        row = report_to_row(report, "", prepared.report_json, prepared.figures_json)  # its ingested_at is kept
        with self.transaction():
            row["json"] = self._compress(KIND_JSON, prepared.report_json)
            cursor = self._db.execute(_UPDATE_REPORT, [*(row[c] for c in _UPDATED_COLUMNS), report.id])
            if cursor.rowcount != 1:
                raise StoreError(f"report {report.id} is not stored: nothing to update")

    def _compress(self, kind: str, data: bytes) -> bytes:
        """Compress a value to store. Once the store holds DICTIONARY_SAMPLE values of a kind
        without a dictionary, its first ones (by rowid: the same store trains the same dictionary,
        whichever ingest brought them) train one, in the open transaction, used from this value on."""
        if kind in self._untrained and not self.codec.has_dictionary(kind):
            table, column = _COMPRESSED[kind]
            held = self._untrained[kind]
            if held is None:
                held = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if held >= DICTIONARY_SAMPLE:
                del self._untrained[kind]  # one attempt a connection, so a failed one costs once
                _train_on_first_rows(self._db, self.codec, kind)
            else:
                self._untrained[kind] = held + 1
        return self.codec.compress(kind, data)

    def add_dictionary(self, kind: str, samples: list[bytes]) -> int:
        """Train a new dictionary of ``kind`` (KIND_JSON, KIND_ORIGINAL) on ``samples``: new values
        of that kind use it; values compressed with an older one stay readable. Returns its id."""
        with self.transaction():
            return self.codec.train(kind, samples)

    def add_source(self, file_path: str | Path, sha256: str) -> None:
        """Record another path holding the bytes of an already stored report."""
        with self.transaction():
            self._record_source(file_path, sha256, report_id(sha256), _now())

    def _record_source(self, file_path, sha256: str, report_id: str, now: str) -> None:
        path = Path(file_path)
        try:
            stat = path.stat()
            size, mtime = stat.st_size, stat.st_mtime
        except OSError:
            size, mtime = 0, 0.0
        self._db.execute(
            "INSERT OR REPLACE INTO sources (path, sha256, report_id, size, mtime, ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (path_text(path), sha256, report_id, size, mtime, now))

    def remove_source(self, path: str | Path) -> str | None:
        """Forget one source path; return the id of the report it pointed to (None if unknown)."""
        with self.transaction():
            row = self._db.execute("SELECT report_id FROM sources WHERE path = ?", (path_text(path),)).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM sources WHERE path = ?", (path_text(path),))
            return row["report_id"]

    def delete(self, report_id: str) -> None:
        """Remove a report (its figures with it), its source rows and its stored copy."""
        with self.transaction():
            self._db.execute("DELETE FROM originals WHERE sha256 = (SELECT sha256 FROM reports WHERE id = ?)",
                             (report_id,))
            self._db.execute("DELETE FROM sources WHERE report_id = ?", (report_id,))
            self._db.execute("DELETE FROM reports WHERE id = ?", (report_id,))
