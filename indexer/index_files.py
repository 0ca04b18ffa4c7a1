"""tantivy's files on disk, checked without opening the index (docs/data-directory.md, "Faults
and recovery").

A commit's ``meta.json`` names its segments; each segment is six files (and a ``.del`` file
once reports were deleted from it). Every one of them ends with a footer: a JSON object that
holds the CRC-32 of the bytes before it, then the object's length (u32) and 1337 (u32), little-
endian. A file cut short lacks the number; bytes changed anywhere else no longer match the CRC.
tantivy itself reads neither: a changed byte in a postings list makes it panic, or answer
wrongly, only when a query reaches it. So the checksums are read here, before anything is
opened, and each file once: segment files never change after they are written, so a file whose
size, time and inode are those of its last good check is not read again (``VERIFIED_NAME``).
"""
from __future__ import annotations

import contextlib
import json
import os
import zlib
from pathlib import Path

# tantivy's files per segment (a segment with deletes has a .del file too, named in meta.json)
SEGMENT_FILES = ("fast", "fieldnorm", "idx", "pos", "store", "term")
FOOTER_MAGIC = (1337).to_bytes(4, "little")
_FOOTER_END = 8  # the footer's length and the magic number
_CHUNK = 1 << 22
# The files whose checksum matched, by name: [size, mtime_ns, inode]. Kept in the index
# directory, so a rebuilt index starts without it; tantivy leaves files it did not make alone.
VERIFIED_NAME = "verified.json"
# The same record, kept by this process too: where verified.json cannot be written (a read-only
# copy of the data directory), a server's workers, forked after its own check, read nothing again.
_verified_here: dict[str, dict[str, list[int]]] = {}
# A commit made while the files were read (an ingest beside a server) may delete a segment's
# files merged into another: the check starts again from the new meta.json this many times.
_ATTEMPTS = 5


class IndexFileProblem(Exception):
    """A file of the index is missing, cut short or changed: ``str()`` says which and how."""


def segment_file_names(meta: dict) -> list[str]:
    """The files of every segment ``meta`` (a parsed meta.json) names."""
    names = []
    for segment in meta["segments"]:
        name = segment["segment_id"].replace("-", "")
        names += [f"{name}.{ext}" for ext in SEGMENT_FILES]
        deletes = segment.get("deletes")
        if deletes:
            names.append(f"{name}.{deletes['opstamp']}.del")
    return names


def file_problem(path: Path) -> str | None:
    """What is wrong with the tantivy file at ``path`` ("is cut short", "does not match its
    checksum"), or None.

    :raises FileNotFoundError: there is no such file.
    """
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size < _FOOTER_END:
            return "is cut short"
        f.seek(size - _FOOTER_END)
        end = f.read(_FOOTER_END)
        footer_size = int.from_bytes(end[:4], "little")
        if end[4:] != FOOTER_MAGIC or footer_size > size - _FOOTER_END:
            return "is cut short"
        body = size - _FOOTER_END - footer_size
        f.seek(body)
        try:
            expected = json.loads(f.read(footer_size))["crc"]
        except (ValueError, KeyError, TypeError):
            return "has a damaged footer"
        f.seek(0)
        crc = 0
        while body:
            chunk = f.read(min(body, _CHUNK))
            crc = zlib.crc32(chunk, crc)
            body -= len(chunk)
    return None if crc == expected else "does not match its checksum"


def _identity(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _read_verified(index_dir: Path) -> dict[str, list[int]]:
    try:
        verified = json.loads((index_dir / VERIFIED_NAME).read_bytes())
    except (OSError, ValueError):
        return {}
    return verified if isinstance(verified, dict) else {}


def _write_verified(index_dir: Path, verified: dict[str, list[int]]) -> None:
    """Best effort: a read-only copy of the data directory is checked afresh by every process.

    Written beside and renamed over the record; one left by a process killed meanwhile goes too
    (another process's, caught mid-write, only fails its own rename: its files are read again).
    """
    temporary = index_dir / f".{VERIFIED_NAME}.{os.getpid()}"
    try:
        temporary.write_text(json.dumps(verified, sort_keys=True), encoding="utf-8")
        os.replace(temporary, index_dir / VERIFIED_NAME)
        for left in index_dir.glob(f".{VERIFIED_NAME}.*"):
            left.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):  # on a read-only disk unlink fails too (EROFS, not ENOENT)
            temporary.unlink(missing_ok=True)


def _check_files(index_dir: Path, names: list[str], known: dict[str, list[int]]) -> None:
    """Read whole each of ``names`` that ``known`` does not hold as it is now, and add it there.

    :raises IndexFileProblem: a file is cut short or does not match its checksum.
    :raises FileNotFoundError: a file is missing.
    """
    for name in names:
        path = index_dir / name
        identity = _identity(path.stat())
        if known.get(name) != identity:
            problem = file_problem(path)
            if problem:
                raise IndexFileProblem(f"{name} {problem}")
            known[name] = identity


def read_meta(index_dir: Path) -> dict | None:
    """The parsed meta.json of the last commit; None where there is none.

    :raises OSError, ValueError: it cannot be read or parsed.
    """
    try:
        return json.loads((index_dir / "meta.json").read_bytes())
    except FileNotFoundError:
        return None


def checked_meta(index_dir: Path) -> dict | None:
    """The last commit's parsed meta.json, once every file it names is there and whole, or None
    where there is no index (no meta.json).

    :raises IndexFileProblem: a file is missing, cut short or does not match its checksum.
    :raises OSError, ValueError, KeyError, TypeError, AttributeError: meta.json cannot be read.
    """
    recorded = _read_verified(index_dir)
    known = {**recorded, **_verified_here.get(str(index_dir), {})}
    meta = read_meta(index_dir)
    for attempt in range(1, _ATTEMPTS + 1):
        if meta is None:
            return None
        names = segment_file_names(meta)
        try:
            _check_files(index_dir, names, known)
            break
        except FileNotFoundError as e:
            newer = read_meta(index_dir)
            if attempt == _ATTEMPTS or newer == meta:
                raise IndexFileProblem(f"{Path(e.filename).name} is missing") from None
            meta = newer  # a commit since: its files are checked instead
    now = {name: known[name] for name in names}
    _verified_here[str(index_dir)] = now
    if now != recorded:
        _write_verified(index_dir, now)
    return meta
