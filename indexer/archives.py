"""Zip archives of reports, as researchers download them in bulk (一键下载, a year's reports in
one .zip): each report file inside is ingested as if it lay in a folder named after the archive,
``…/reports-2023.zip/市中区信访局.pdf`` (docs/data-directory.md#archives).

The members are read from the archive, never extracted beside it. A member's name is decoded as
its archive says (UTF-8 where flagged), else as Chinese Windows writes it (GBK), and cleaned of
absolute and parent parts, so a name never reaches outside the archive's own path. Bounds: at
most MAX_MEMBERS members are looked at, and a member larger than any reader takes
(``MAX_FILE_BYTES``) is refused by its declared size before it is read.
"""
from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ReaderError
from .readers import MAX_FILE_BYTES

ARCHIVE_SUFFIXES = frozenset({".zip"})
MAX_MEMBERS = 20_000
# Bit 11 of a member's flags: its name is UTF-8 (else the archive's own code page: cp437 by the
# standard, GBK from Chinese Windows in practice).
UTF8_NAME = 0x800


@dataclass(frozen=True)
class Member:
    """One file inside an archive: its raw name (to read it by) and its clean path (to show)."""
    raw: str
    name: str
    size: int


def is_archive_name(name: str) -> bool:
    return Path(name).suffix.lower() in ARCHIVE_SUFFIXES


def decoded_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it: as flagged UTF-8, else UTF-8 or GBK bytes that
    Python read as cp437 (the standard's default, which no Chinese archiver uses)."""
    if info.flag_bits & UTF8_NAME:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def clean_member_path(name: str) -> str:
    """A member's path inside its archive, without a drive, a root, "." or "..": never outside it."""
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".", "..")]
    if parts and parts[0].endswith(":"):
        parts = parts[1:]  # a Windows drive ("C:")
    return "/".join(parts)


def archive_members(archive: Path) -> list[Member]:
    """The files inside a zip archive, in the archive's order (folders and empty names left out).

    :raises ReaderError: not a zip archive, damaged, or holding more than MAX_MEMBERS members.
    """
    try:
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ReaderError(archive, f"damaged zip archive ({' '.join(str(e).split())})") from None
    if len(infos) > MAX_MEMBERS:
        raise ReaderError(archive, f"zip archive of {len(infos):,} members; at most {MAX_MEMBERS:,} are read")
    members = []
    for info in infos:
        name = clean_member_path(decoded_name(info))
        if info.is_dir() or not name:
            continue
        members.append(Member(info.filename, name, info.file_size))
    return members


def read_member(archive: Path, member: Member, shown: Path) -> bytes:
    """A member's bytes.

    :param shown: the member's path as the report knows it (errors name it).
    :raises ReaderError: too large, encrypted, damaged, or gone from the archive.
    """
    if member.size > MAX_FILE_BYTES:
        raise ReaderError(shown, f"file too large ({member.size // 1_048_576:,} MB; no format is read past "
                                 f"{MAX_FILE_BYTES // 1_048_576} MB)")
    try:
        with _opened(archive).open(member.raw) as f:
            data = f.read(MAX_FILE_BYTES + 1)  # the declared size may lie
    except KeyError:
        raise ReaderError(shown, "no longer in its zip archive") from None
    except RuntimeError as e:  # zipfile: "File ... is encrypted, password required for extraction"
        raise ReaderError(shown, f"cannot read it from its zip archive ({' '.join(str(e).split())})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise ReaderError(shown, f"cannot read it from its zip archive ({type(e).__name__}: "
                                 f"{' '.join(str(e).split())})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ReaderError(shown, f"file too large (over {MAX_FILE_BYTES // 1_048_576} MB unpacked)")
    return data


# The archive a process read a member of last, kept open: its members come one after another,
# and opening the zip for each would read its whole directory again each time (quadratic). Kept
# by process: a forked parse worker must not read through its parent's file (one shared offset).
_last_opened: list[tuple[tuple, zipfile.ZipFile]] = []


def _opened(archive: Path) -> zipfile.ZipFile:
    status = archive.stat()
    key = (os.getpid(), str(archive), status.st_ino, status.st_size, status.st_mtime_ns)
    if _last_opened and _last_opened[0][0] == key:
        return _last_opened[0][1]
    opened = zipfile.ZipFile(archive)
    for _, old in _last_opened:
        old.close()
    _last_opened[:] = [(key, opened)]
    return opened


@contextlib.contextmanager
def member_copy(shown: Path, data: bytes) -> Iterator[Path]:
    """A member's bytes as a file of its own name in a temporary folder, while it is read
    (PDFium, python-docx and LibreOffice read files, not bytes); removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="xxgk-member-") as folder:
        copy = Path(folder) / shown.name
        copy.write_bytes(data)
        yield copy


def member_at(path: Path) -> tuple[Path, Member] | None:
    """The archive and member that ``path`` names (``archive.zip/member``, a report's
    ``source.path``), or None where no archive is on the way.

    :raises ReaderError: the archive cannot be opened, or holds no such member.
    """
    for archive, wanted in _archives_above(path):
        if archive.is_file():
            found = next((m for m in archive_members(archive) if m.name == wanted), None)
            if found is None:
                raise ReaderError(path, f"no such file in the zip archive {archive.name}")
            return archive, found
    return None


def member_exists(path: Path, listings: dict[Path, set[str] | None]) -> bool:
    """Whether ``path`` names a file inside a zip archive that still holds it (``archive.zip/member``).

    :param listings: each archive's member paths, filled as archives are looked at (None: the
        archive is gone or unreadable), so that a prune opens each archive once.
    """
    for archive, wanted in _archives_above(path):
        if archive not in listings:
            try:
                listings[archive] = {m.name for m in archive_members(archive)} if archive.is_file() else None
            except ReaderError:
                listings[archive] = None
        names = listings[archive]
        if names is not None:
            return wanted in names
    return False


def _archives_above(path: Path) -> Iterator[tuple[Path, str]]:
    """Each folder above ``path`` named as an archive, nearest first, with the member path it
    would hold ``path`` under."""
    for archive in path.parents:
        if is_archive_name(archive.name):
            yield archive, posixpath.normpath(path.relative_to(archive).as_posix())
