"""Files -> reports in the store and the index (`xxgk ingest`).

    collect_files     paths -> report files (directories recurse), each marked synthetic or not
    parse_files       files -> outcomes, in a pool of processes (one bad file never stops the batch):
                      each file is hashed there and skipped (same path, same bytes), a duplicate
                      (bytes already stored), failed with its reason, or parsed
    _BatchWriter      each report -> the tantivy writer and the open store transaction as it
                      arrives; every batch commits the index FIRST, THEN the SQLite store

Why that commit order: the index is derived from the store. A kill between the
two commits leaves documents in the index that the store does not know yet; the
store has no source row for their files, so a rerun parses them again and
``batch.add`` replaces each document by id. The other way round, the store would
say "done" for reports the index never received. Killing ingest at any moment
therefore leaves the index exactly as after its last commit, still searchable,
and a rerun finishes the job.

The workers look files up in the store read-only, so they see committed
batches only; a file with the same bytes as one parsed earlier in the same run
is settled in the main process, which knows what it stored.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import hashlib
import json
import os
import shutil
import signal
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .agencies import agency_key
from .archives import member_copy, member_exists, read_member
from .candidates import CandidateFile, collect_files
from .config import Config
from .errors import ReaderError, XxgkError
from .metadata import OTHER_AGENCY_TYPE
from .paths import path_text, text_path
from .index import IndexDamaged, PreparedDoc, ReportIndex, check_data_dir, indexed_count
from .index import prepare as prepare_document
from .parse import check_regular_file, parse_file
from .report import Report
from .store import BULK_CACHE_KIB, INDEX_DIRNAME, PreparedPut, Store, StoreError, index_dir, prepare_put
from .tokenize import warm_up_segmenter
from .workers import map_unordered

# Where ingest keeps scans' OCR output by sha256, in the data directory (docs/data-directory.md).
OCR_DIRNAME = "ocr"
# Reports per commit. Each commit leaves a segment, and fewer, larger segments cost fewer
# merges and make aggregations faster (figures: docs/benchmarks.md); a kill loses at most one batch.
DEFAULT_BATCH_SIZE = 10_000
# ... or fewer, once a batch holds this much report JSON (long reports: a kill loses less work).
MAX_BATCH_BYTES = 256_000_000
PARSE_PROCESSES = 2
WORKER_NICENESS = 5
# Seconds one file may take to parse before it is given up (a pathological PDF).
PARSE_TIMEOUT = 300
# A worker busy on one file for PARSE_TIMEOUT + STALL_GRACE seconds has hung (the alarm did not stop it).
STALL_GRACE = 60

Progress = Callable[..., None]  # progress(done, total) or, from ingest, progress(done, total, pages=OCR'd pages)


class WriteFailed(XxgkError):
    """The store or the index could not be written (a full disk, most often)."""


# What SQLite and tantivy say when the disk is full.
_DISK_FULL = ("database or disk is full", "no space left on device", f"os error {errno.ENOSPC}")


# Less free space than this where a write failed: the disk is full, whatever the error said.
# tantivy's writer thread may die of ENOSPC while the error raised says only that it died.
_FULL_BELOW = 16 * 1024 * 1024


def _nearly_full(data_dir: Path) -> bool:
    try:
        return shutil.disk_usage(data_dir).free < _FULL_BELOW
    except OSError:
        return False


def _disk_full(error: BaseException, data_dir: Path) -> bool:
    """Whether a failed write failed for want of space: by its errno, its words, or the disk."""
    return ((isinstance(error, OSError) and error.errno == errno.ENOSPC)
            or any(words in " ".join(str(error).split()).lower() for words in _DISK_FULL)
            or _nearly_full(data_dir))


@contextlib.contextmanager
def _writes_to(data_dir: Path) -> Iterator[None]:
    """Turn a failed write into one line (see docs/data-directory.md, "Disk full").

    tantivy reports its I/O errors as ValueError; a panic in it (pyo3's PanicException) is a
    BaseException and is left alone (a bug, not a fault of the disk).
    """
    try:
        yield
    except (sqlite3.Error, OSError, ValueError) as e:
        detail = " ".join(str(e).split())
        full = _disk_full(e, data_dir)
        problem = f"the disk is full ({detail})" if full else f"cannot write the store or the index ({detail})"
        raise WriteFailed(f"{data_dir}: {problem} while writing a batch; the batches committed before are "
                          "kept: free some space and run the same command again"
                          if full else f"{data_dir}: {problem}") from None


class IngestBusy(XxgkError):
    """Another ingest is writing to the same data directory."""


# Locked by the one process writing a data directory; the kernel drops the lock when that
# process ends in any way, kill -9 included, so it can never go stale (docs/data-directory.md).
# A POSIX record lock (lockf), not flock: a flock is shared with forked children, so parse
# workers outliving a killed ingest would hold it; a record lock belongs to one process.
LOCK_NAME = "ingest.lock"


@contextlib.contextmanager
def ingest_lock(data_dir: str | Path) -> Iterator[None]:
    """Hold the data directory's write lock for the block; refuse at once if another process holds it.

    :raises IngestBusy: another ingest (or --reindex, --prune) is running on ``data_dir``.
    :raises StoreError: the lock file cannot be created.
    """
    data_dir = Path(data_dir)
    path = data_dir / LOCK_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StoreError(f"{path}: cannot create the ingest lock: {e.strerror or e}") from None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EAGAIN):
                raise StoreError(f"{path}: cannot take the ingest lock: {e.strerror or e}") from None
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise IngestBusy(f"{data_dir}: another xxgk ingest is writing to this data directory"
                             f"{f' (pid {holder})' if holder.isdigit() else ''}; wait for it to finish") from None
        # who holds it, for the message above (informative only: the record lock is the lock)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@dataclass
class IngestSummary:
    """What one ingest run did. ``failed`` holds (path, reason) for every file that could not be parsed;
    ``untyped`` counts the reports of each agency the agency-type taxonomy does not know (type 其他)."""
    ingested: int = 0
    skipped: int = 0
    flagged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    pruned: int = 0
    files: int = 0
    untyped: dict[str, int] = field(default_factory=dict)


def batch_size_from_env(default: int = DEFAULT_BATCH_SIZE) -> int:
    """Reports per commit: ``XXGK_BATCH_SIZE`` if set to a positive whole number, else ``default``."""
    try:
        value = int(os.environ.get("XXGK_BATCH_SIZE", default))
    except ValueError:
        return default
    return value if value > 0 else default


# -- parsing ------------------------------------------------------------------

_worker_config: Config | None = None
# The store, read-only, in each parse worker: which files are known already.
_worker_store: Store | None = None


class ParseTimeout(BaseException):
    """Parsing one file took longer than PARSE_TIMEOUT seconds.

    A BaseException, so that no ``except Exception`` inside a parser swallows it.
    """


def _on_alarm(signum, frame):
    raise ParseTimeout(f"parsing took longer than {PARSE_TIMEOUT} s (gave up on this file)")


def _init_worker(config: Config, with_timeout: bool = False) -> None:
    global _worker_config, _worker_store
    _worker_config = config
    try:
        _worker_store = Store.open_readonly(config.data_dir)
    except StoreError:
        _worker_store = None  # no store yet: every file is new
    if with_timeout:
        signal.signal(signal.SIGALRM, _on_alarm)
        # Ctrl-C reaches the whole process group: the main process stops the
        # pool (keeping every committed batch); workers must not die mid-file with tracebacks.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # The main process (index and store, serial) is the bottleneck; when the
        # cores are contended it should win, the workers run ahead anyway.
        os.nice(WORKER_NICENESS)
        # What the worker inherited (modules, the segmenter, caches) lives as long as it does:
        # the garbage collector need not scan it again after every few thousand allocations.
        gc.freeze()


def failure_reason(error: BaseException) -> str:
    """One line saying why a file could not be ingested."""
    if isinstance(error, ReaderError):
        reason = error.problem
    elif isinstance(error, (XxgkError, ParseTimeout)):
        reason = str(error)
    else:
        reason = f"{type(error).__name__}: {error}"
    return " ".join(reason.split())


# What became of a file (Parsed.outcome); UNCHANGED: a stored report parsed again to the same JSON.
PARSED, SKIPPED, DUPLICATE, FAILED, UNCHANGED = "parsed", "skipped", "duplicate", "failed", "unchanged"


@dataclass
class Parsed:
    """One file's outcome: a report (with its store row and index document prepared), a file
    the store holds already (``skipped``: this path with these bytes; ``duplicate``: these
    bytes under another path), or the reason it failed.

    ``report`` comes without its sections, cells and figures: they are in
    ``prepared`` (the store's JSON) and ``document`` (the index's) already, and
    unpickling them a third time in the main process would be wasted work.
    """
    candidate: CandidateFile
    outcome: str
    sha256: str | None = None  # None: the file could not be read
    report: Report | None = None
    prepared: PreparedPut | None = None
    reason: str | None = None
    document: PreparedDoc | None = None
    pages: int = 0  # pages read by OCR
    changed_figures: int = 0  # a stored report parsed again: how many of its figures differ now


def _parse_one(candidate: CandidateFile, timeout: int = 0) -> Parsed:
    # Caught per file, whatever it is: one bad file must never stop the batch.
    if candidate.problem:
        return Parsed(candidate, FAILED, reason=candidate.problem)
    try:
        if candidate.report_id is not None:
            data = _worker_store.original(candidate.report_id) if _worker_store is not None else None
            if data is None:
                return Parsed(candidate, FAILED, reason="its original file is not in the store")
        elif candidate.archive is not None:
            data = read_member(candidate.archive, candidate.member, candidate.path)
        else:
            check_regular_file(candidate.path)
            data = candidate.path.read_bytes()
    except ReaderError as e:
        return Parsed(candidate, FAILED, reason=failure_reason(e))
    except OSError as e:
        return Parsed(candidate, FAILED, reason=f"cannot read the file: {e.strerror or e}")
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        if _worker_store is not None and candidate.report_id is None:
            if _worker_store.known_source(candidate.path, sha256):
                return Parsed(candidate, SKIPPED, sha256)
            if _worker_store.known_sha(sha256):
                return Parsed(candidate, DUPLICATE, sha256)
        signal.alarm(timeout)
        info: dict = {}
        try:
            with _readable_copy(candidate, data) as readable:
                report = parse_file(readable, _worker_config, synthetic=candidate.synthetic, data=data,
                                    ocr_cache=_worker_config.data_dir / OCR_DIRNAME, info=info,
                                    source_path=candidate.path)
        finally:
            signal.alarm(0)
        if report.source["sha256"] != sha256:
            raise StoreError(f"{candidate.path}: the file changed while it was being ingested; ingest it again")
        # The file copy, the JSON and the index document's tokens are made here too,
        # off the main process, which indexes and commits serially and is the bottleneck.
        prepared = prepare_put(report, candidate.path, data)
        changed_figures = 0
        if candidate.report_id is not None:
            stored = _worker_store.report_json(candidate.report_id)
            if stored == prepared.report_json:
                return Parsed(candidate, UNCHANGED, sha256, pages=info.get("ocr_pages", 0))
            before = json.loads(stored)["figures"] if stored else {}
            changed_figures = sum(before.get(k) != v for k, v in report.figures.items())
        document = prepare_document(report)
        return Parsed(candidate, PARSED, sha256, replace(report, sections=[], cells={}, figures={}), prepared,
                      document=document, pages=info.get("ocr_pages", 0), changed_figures=changed_figures)
    except (Exception, ParseTimeout) as e:  # noqa: BLE001 - the reason is reported, the batch goes on
        return Parsed(candidate, FAILED, sha256, reason=failure_reason(e))


@contextlib.contextmanager
def _readable_copy(candidate: CandidateFile, data: bytes) -> Iterator[Path]:
    """The file to read: the candidate's own, or a copy of an archive member's or a stored
    report's bytes named as its source is (archives.member_copy)."""
    if candidate.archive is None and candidate.report_id is None:
        yield candidate.path
        return
    with member_copy(candidate.path, data) as copy:
        yield copy


def _parse_one_with_timeout(candidate: CandidateFile) -> Parsed:
    return _parse_one(candidate, PARSE_TIMEOUT)


def parse_files(candidates: list[CandidateFile], config: Config,
                processes: int = PARSE_PROCESSES) -> Iterator[Parsed]:
    """Hash, look up and parse files in a pool of processes; yield each outcome as it
    finishes (in no set order).

    A file whose parse outlasts PARSE_TIMEOUT fails with that reason. If a
    worker process dies (crash, out of memory) or stops answering, the file
    it was parsing fails with a reason saying so, and a new worker goes on with the rest.
    """
    global _worker_store
    if not candidates:
        return
    if len(candidates) == 1 or processes <= 1:
        _init_worker(config)
        try:
            yield from map(_parse_one, candidates)
        finally:
            if _worker_store is not None:
                _worker_store.close()
                _worker_store = None
        return
    # Built once here, before the fork, the workers share the segmenter instead of
    # each loading jieba's dictionary again. The workers are forked
    # before the index is opened (the first result comes before it is), so no index
    # thread is forked.
    warm_up_segmenter()
    yield from map_unordered(_parse_one_with_timeout, candidates, processes=processes,
                             stall_seconds=PARSE_TIMEOUT + STALL_GRACE, lost=_lost,
                             initializer=_init_worker, initargs=(config, True))


def _lost(candidate: CandidateFile) -> Parsed:
    return Parsed(candidate, FAILED,
                  reason="a parser process died (crash or out of memory) before returning this file")


# -- committing ---------------------------------------------------------------

class _BatchWriter:
    """Writes each report as it arrives: to the index writer and inside an open store
    transaction; ``commit`` makes a batch durable, the index first, then the store (see the
    module docstring).

    Adding as they arrive, not all at once at the commit, keeps the parse workers busy: the
    tantivy writer indexes on its own thread while the next results come in, and the main
    process never stops reading results for the seconds a whole batch took to add and store
    (the workers stalled once their backlog was full, leaving a core idle).

    The index writer is opened with the first report: a run that only skips files leaves the index as it was.
    """

    def __init__(self, open_writer: Callable[[], object], store: Store):
        self._open_writer = open_writer
        self._writer = None
        self._store = store
        self._data_dir = store.data_dir
        self.pending = 0
        self.pending_bytes = 0

    def _begin(self) -> None:
        if not self._store.in_transaction:
            self._store.begin()

    def add(self, parsed: Parsed) -> None:
        """Add a parsed report: to the index and the store."""
        self._write(parsed, lambda: self._store.put(parsed.report, parsed.candidate.path, parsed.prepared))

    def replace(self, parsed: Parsed) -> None:
        """Rewrite a stored report parsed again: its index document and its store row."""
        self._write(parsed, lambda: self._store.update(parsed.report, parsed.prepared))

    def _write(self, parsed: Parsed, to_store: Callable[[], None]) -> None:
        if self._writer is None:
            self._writer = self._open_writer()
        with _writes_to(self._data_dir):
            self._begin()
            self._writer.add_prepared(parsed.document)  # replaces the document with its id
            to_store()
        self.pending += 1
        self.pending_bytes += len(parsed.prepared.report_json)

    def commit_if_full(self, batch_size: int) -> None:
        """Commit once the batch holds ``batch_size`` reports or MAX_BATCH_BYTES of JSON."""
        if self.pending >= batch_size or self.pending_bytes >= MAX_BATCH_BYTES:
            self.commit()

    def add_source(self, path: Path, sha256: str) -> None:
        """Record another path of a stored (or this batch's) report."""
        with _writes_to(self._data_dir):
            self._begin()
            self._store.add_source(path, sha256)

    def commit(self) -> None:
        """Commit what was added since the last commit: the index, then the store."""
        with _writes_to(self._data_dir):
            if self.pending:
                self._writer.commit()
            if self._store.in_transaction:
                self._store.commit()
        self.pending = self.pending_bytes = 0

    def rollback(self) -> None:
        """Drop the store's uncommitted rows (the index writer rolls back with its batch)."""
        if self._store.in_transaction:
            self._store.rollback()


def _open_index(data_dir: Path) -> ReportIndex:
    return ReportIndex.open(index_dir(data_dir))


@contextlib.contextmanager
def _parsing_into(candidates: list[CandidateFile], config: Config,
                  store: Store) -> Iterator[tuple[Iterator[Parsed], _BatchWriter, list[ReportIndex]]]:
    """The outcomes of parsing ``candidates``, the batch writer they go to, and (once a report
    is written) the index it writes. On the way out of an error the store's open transaction
    rolls back first; the caller commits the last batch."""
    opened: list[ReportIndex] = []
    with contextlib.ExitStack() as writing:
        outcomes = writing.enter_context(contextlib.closing(parse_files(candidates, config)))

        def open_writer():
            opened.append(_open_index(config.data_dir))  # opened after the workers have forked (see parse_files)
            # one writer for the whole run, committing every batch: merges go on in between
            return writing.enter_context(opened[0].batch())

        batch = _BatchWriter(open_writer, store)
        writing.callback(batch.rollback)
        yield outcomes, batch, opened


def ingest_paths(paths: Iterable[str | Path], config: Config, *, prune: bool = False,
                 progress: Progress | None = None, batch_size: int | None = None) -> IngestSummary:
    """Add or update the reports under ``paths`` in ``config.data_dir``.

    Unchanged files (same path, same bytes) are skipped; the same bytes under
    another name count as a duplicate of the stored report (the path is
    recorded, the report is not repeated); every other file is parsed and
    stored. A file that cannot be parsed is listed in ``failed`` with its
    reason; the others go on.

    :param paths: files and directories (directories recurse).
    :param config: settings; ``config.data_dir`` holds the store and the index.
    :param prune: afterwards, drop reports whose every source file is gone.
    :param progress: called as ``progress(done, total, pages=…)`` after each file (pages: read by OCR so far).
    :param batch_size: reports per commit (default: ``XXGK_BATCH_SIZE`` or 10,000; fewer if they
        hold over MAX_BATCH_BYTES of JSON).
    :raises NoSuchPath: a path does not exist (nothing is done).
    :raises IngestBusy: another ingest is running on the same data directory (nothing is done).
    """
    batch_size = batch_size or batch_size_from_env()
    candidates = collect_files(paths, exclude=config.data_dir)
    with ingest_lock(config.data_dir):
        if (index_dir(config.data_dir) / "meta.json").exists():  # else a rebuild's leftovers may be all there is
            _remove_left_rebuilds(config.data_dir)
        return _ingest(candidates, config, prune, progress, batch_size)


def _remove_left_rebuilds(data_dir: Path) -> None:
    """The index.rebuild/ (and index.old/) of an `ingest --reindex` killed before it ended: a
    rebuild runs under the same lock, so with it held no rebuild is running, and these only take
    the space of a whole index."""
    target = index_dir(data_dir)
    for left in (target.with_name(INDEX_DIRNAME + ".rebuild"), target.with_name(INDEX_DIRNAME + ".old")):
        shutil.rmtree(left, ignore_errors=True)


def _ingest(candidates: list[CandidateFile], config: Config, prune: bool, progress: Progress | None,
            batch_size: int) -> IngestSummary:
    summary = IngestSummary(files=len(candidates))
    check_data_dir(config.data_dir)
    store = Store.open(config.data_dir, cache_kib=BULK_CACHE_KIB)
    try:
        # before any work: adding to a missing or damaged index would leave it short of the store
        check_data_dir(config.data_dir, store.count())
        # the path stored for each file's bytes this run (the workers only see committed batches)
        stored: dict[str, Path] = {}
        failed_by_sha: dict[str, list[int]] = {}
        with _parsing_into(candidates, config, store) as (outcomes, batch, opened):
            pages = 0
            for done, parsed in enumerate(outcomes, 1):
                pages += parsed.pages
                path, sha256 = parsed.candidate.path, parsed.sha256
                if parsed.outcome == SKIPPED:
                    summary.skipped += 1
                elif parsed.outcome == DUPLICATE or (sha256 in stored and parsed.outcome != SKIPPED):
                    summary.duplicates += 1
                    batch.add_source(path, sha256)
                elif parsed.outcome == FAILED:
                    if sha256 is not None:
                        failed_by_sha.setdefault(sha256, []).append(len(summary.failed))
                    summary.failed.append((path_text(path), parsed.reason))
                else:
                    summary.ingested += 1
                    summary.flagged += 1 if parsed.report.flags else 0
                    if parsed.report.agency_type == OTHER_AGENCY_TYPE:
                        summary.untyped[parsed.report.agency] = summary.untyped.get(parsed.report.agency, 0) + 1
                    stored[sha256] = path
                    batch.add(parsed)
                    batch.commit_if_full(batch_size)
                if progress:
                    progress(done, len(candidates), pages=pages)
            _settle_failed_copies(summary, failed_by_sha, stored, batch)
            batch.commit()
        if prune:
            summary.pruned = prune_missing(opened[0] if opened else _open_index(config.data_dir), store)
        # the files this run wrote, read for their checksums while in the page cache: then
        # the next start reads none of them (index_files.py)
        indexed_count(index_dir(config.data_dir))
    finally:
        store.close()
    return summary


def _settle_failed_copies(summary: IngestSummary, failed_by_sha: dict[str, list[int]],
                          stored: dict[str, Path], batch: _BatchWriter) -> None:
    """Copies of a file that failed fail with it: the first path in order keeps its reason and
    the others get it too, naming that file (whichever copy a worker happened to finish first).
    A failed copy of bytes that another copy stored after all (its worker died or timed out
    on the first) is a duplicate of that report."""
    dropped = set()
    for sha256, positions in failed_by_sha.items():
        if sha256 in stored:
            for i in positions:
                batch.add_source(Path(summary.failed[i][0]), sha256)
                summary.duplicates += 1
                dropped.add(i)
            continue
        positions.sort(key=lambda i: summary.failed[i][0])
        first_path, reason = summary.failed[positions[0]]
        for i in positions[1:]:
            summary.failed[i] = (summary.failed[i][0], f"{reason} (same bytes as {Path(first_path).name})")
    if dropped:
        summary.failed = [f for i, f in enumerate(summary.failed) if i not in dropped]


@dataclass
class ReparseSummary:
    """What ``reparse_stored`` did. ``changed`` holds (source path, how many figures differ) for
    every report whose JSON came out differently; ``failed`` (source path, reason) for every
    report that could not be parsed again, which stays as it was."""
    reports: int = 0
    unchanged: int = 0
    changed: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def reparse_stored(config: Config, *, progress: Progress | None = None,
                   batch_size: int | None = None) -> ReparseSummary:
    """Parse every stored report again, from the copy of its file the store keeps, with this
    version's parser; rewrite each that comes out differently (its store row and its index
    document, in batches committed as ingest commits them), and leave the others as they are.

    A collection ingested before the parser read some layout better keeps its old figures,
    since ingest skips files it has seen: this brings it up to date without its files
    (docs/data-directory.md#parsing-again).

    :raises IngestBusy: another ingest is running on the same data directory (nothing is done).
    """
    batch_size = batch_size or batch_size_from_env()
    with ingest_lock(config.data_dir):
        check_data_dir(config.data_dir)
        store = Store.open(config.data_dir, cache_kib=BULK_CACHE_KIB)
        try:
            check_data_dir(config.data_dir, store.count())
            candidates = [CandidateFile(text_path(r.source["path"]), bool(r.source.get("synthetic")), report_id=r.id)
                          for r in store.all_reports()]
            summary = ReparseSummary(reports=len(candidates))
            with _parsing_into(candidates, config, store) as (outcomes, batch, _):
                pages = 0
                for done, parsed in enumerate(outcomes, 1):
                    pages += parsed.pages
                    shown = path_text(parsed.candidate.path)
                    if parsed.outcome == UNCHANGED:
                        summary.unchanged += 1
                    elif parsed.outcome == FAILED:
                        summary.failed.append((shown, parsed.reason))
                    else:
                        summary.changed.append((shown, parsed.changed_figures))
                        batch.replace(parsed)
                        batch.commit_if_full(batch_size)
                    if progress:
                        progress(done, len(candidates), pages=pages)
                batch.commit()
            indexed_count(index_dir(config.data_dir))
        finally:
            store.close()
    return summary


def prune_missing(index, store: Store) -> int:
    """Drop reports whose every source file is gone (from the index first, then the store).

    :returns: how many reports were dropped.
    """
    listings: dict = {}  # each archive's members, read once
    missing = [s for s in store.sources()
               if not text_path(s.path).exists() and not member_exists(text_path(s.path), listings)]
    missing_paths = {s.path for s in missing}
    orphans = set(store.unsourced_report_ids())
    for report_id in {s.report_id for s in missing}:
        if all(s.path in missing_paths for s in store.sources(report_id)):
            orphans.add(report_id)
    if orphans:
        with index.batch() as writer:
            for report_id in sorted(orphans):
                writer.delete(report_id)
    with store.transaction():
        for source in missing:
            store.remove_source(source.path)
        for report_id in sorted(orphans):
            store.delete(report_id)
    return len(orphans)


def rebuild_index(config: Config, *, progress: Progress | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Rebuild the tantivy index from the SQLite store (the index is derived and rebuildable).

    The new index is built beside the old one and swapped in at the end, so a
    failed rebuild leaves the old index untouched.

    :returns: how many reports were indexed.
    :raises IngestBusy: an ingest is running on the same data directory.
    """
    with ingest_lock(config.data_dir):
        return _rebuild_index(config, progress, batch_size)


def _build_index(config: Config, fresh: Path, progress: Progress | None, batch_size: int) -> int:
    """A new index in ``fresh`` from every stored report; the agency keys recomputed as it goes."""
    store = Store.open(config.data_dir)
    try:
        total = store.count()
        index = ReportIndex.open(fresh)
        done = 0
        aliases = dict(config.agency_aliases)
        in_columns = store.agency_keys()
        changed_keys: dict[str, str | None] = {}
        with index.batch() as writer:
            for report in store.all_reports():  # streamed from the store
                # the alias table may have changed since the report was parsed (or the store
                # predates agency keys): the key is recomputed, and written back below
                key = agency_key(report.agency, report.region, aliases)
                if key != report.agency_key or key != in_columns.get(report.id):
                    report.agency_key = changed_keys[report.id] = key
                writer.add(report)
                done += 1
                if done % batch_size == 0:
                    writer.commit()
                if progress:
                    progress(done, total)
        store.set_agency_keys(changed_keys)
    finally:
        store.close()
    return done


def _rebuild_index(config: Config, progress: Progress | None, batch_size: int) -> int:
    target = index_dir(config.data_dir)
    fresh = target.with_name(INDEX_DIRNAME + ".rebuild")
    _remove_left_rebuilds(config.data_dir)
    try:
        done = _build_index(config, fresh, progress, batch_size)
        indexed_count(fresh)  # whole before it replaces the old one (and its checksums read while in the page cache)
    except BaseException as e:
        # seen before the half index is removed: that frees the space
        full = isinstance(e, (XxgkError, OSError, ValueError, sqlite3.Error)) and _disk_full(e, config.data_dir)
        shutil.rmtree(fresh, ignore_errors=True)  # no half index left taking the space
        if full:  # the problem alone: the repair IndexDamaged names is the command that just failed
            detail = " ".join((e.problem if isinstance(e, IndexDamaged) else str(e)).split())
            raise WriteFailed(f"{config.data_dir}: the disk is full ({detail}) while rebuilding the index; the "
                              "index there before is left as it was: free about as much space as it takes and "
                              "run the same command again") from None
        raise
    old = target.with_name(INDEX_DIRNAME + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
    return done
