"""The files an ingest is given: folders walked for report files, zip archives opened for the
report files inside them (indexer/archives.py), and generated files told from real ones.

``collect_files`` is ingest's first step: it reads no report, only names (and an archive's list
of members), so that ingest knows how many files there are before the workers start.
"""
from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .archives import ARCHIVE_SUFFIXES, Member, archive_members, is_archive_name
from .errors import ReaderError, XxgkError
from .readers import IMAGE_SUFFIXES, MHTML_SUFFIXES

# What a folder's walk takes (a file named on the command line is read whatever its name).
REPORT_SUFFIXES = frozenset({".txt", ".md", ".docx", ".doc", ".dot", ".wps", ".rtf", ".html", ".htm", ".pdf",
                             ".ofd"}) | MHTML_SUFFIXES | IMAGE_SUFFIXES  # images: scans and photos, by OCR
# What a folder's walk looks for: report files, and zip archives of them (archives.py).
WALKED_SUFFIXES = REPORT_SUFFIXES | ARCHIVE_SUFFIXES
# `xxgk generate` leaves this file in every folder it writes.
SYNTHETIC_MARKER = ".xxgk-synthetic"


class NoSuchPath(XxgkError):
    """A path given to ingest does not exist."""


@dataclass(frozen=True)
class CandidateFile:
    """A file to ingest. One inside a zip archive has ``archive`` and ``member`` too, and its
    ``path`` is the archive's path followed by the member's (archives.py); ``problem`` says why
    an archive itself could not be opened. A stored report parsed again (``xxgk ingest
    --reparse``) has its ``report_id``: its bytes are the store's copy, its path its source's."""
    path: Path
    synthetic: bool
    archive: Path | None = None
    member: Member | None = None
    problem: str | None = None
    report_id: str | None = None


def is_report_name(name: str) -> bool:
    """Whether a file found while walking a directory (or an archive) is a report to ingest."""
    if name.startswith(".") or name.upper().startswith("README"):
        return False
    return os.path.splitext(name)[1].lower() in REPORT_SUFFIXES  # Path(name).suffix, without the object


class _SyntheticDetector:
    """Marks generated files: a ``.xxgk-synthetic`` marker in the file's folder
    or any folder above it, or a sibling ground-truth ``<stem>.json`` whose
    ``source.synthetic`` is true.

    Folders are strings, each looked at once: a Path object per file cost
    ``collect_files`` a second at 100,000 files.
    """

    def __init__(self):
        self._marked: dict[str, bool] = {}

    def _folder_marked(self, folder: str) -> bool:
        if folder not in self._marked:
            parent = os.path.dirname(folder)
            self._marked[folder] = os.path.exists(os.path.join(folder, SYNTHETIC_MARKER)) or (
                parent != folder and self._folder_marked(parent))
        return self._marked[folder]

    def __call__(self, path: str) -> bool:
        """Whether the file at ``path`` (absolute) is generated."""
        if self._folder_marked(os.path.dirname(path)):
            return True
        truth = os.path.splitext(path)[0] + ".json"
        if not os.path.isfile(truth):
            return False
        try:
            with open(truth, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and isinstance(data.get("source"), dict) and data["source"].get("synthetic") is True


def _path_order(path: str) -> list[str]:
    """The order of Path objects (component by component), without making one per file to sort."""
    return path.split(os.sep)


def collect_files(paths: Iterable[str | Path], exclude: str | Path | None = None) -> list[CandidateFile]:
    """Every report file under ``paths``, absolute, sorted, without repeats.

    Directories recurse (hidden folders skipped); inside them only report
    extensions are taken, never README* or *.json. A file named explicitly is
    always taken, so an unsupported one is reported as failed, not ignored.

    :param exclude: a folder never walked into (the data directory: nothing in
        it is a report to ingest, and a data directory of an earlier version
        still holds copies of the files in ``files/``).
    :raises NoSuchPath: a path does not exist.
    """
    detect = _SyntheticDetector()
    skip = str(Path(exclude).expanduser().absolute()) if exclude else None
    found: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            for folder, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames
                                     if not d.startswith(".") and os.path.join(folder, d) != skip)
                found.update(os.path.join(folder, name) for name in filenames
                             if is_report_name(name) or (is_archive_name(name) and not name.startswith(".")))
        elif path.exists():
            # a file, or a pipe or device named as one: its parse says it is not a regular file
            found.add(str(path))
        else:
            raise NoSuchPath(f"{raw}: no such file or directory")
    candidates = []
    for p in sorted(found, key=_path_order):
        if is_archive_name(p) and os.path.isfile(p):
            candidates += _archive_candidates(Path(p), detect(p))
        else:
            candidates.append(CandidateFile(Path(p), detect(p)))
    return candidates


def _archive_candidates(archive: Path, synthetic: bool) -> list[CandidateFile]:
    """The report files inside a zip archive, each under the archive's path; an archive that
    cannot be opened is one candidate that fails with the reason."""
    try:
        members = archive_members(archive)
    except ReaderError as e:
        return [CandidateFile(archive, synthetic, problem=e.problem)]
    taken: dict[str, Member] = {}
    for member in members:  # two names cleaned to one path ("a/../b.txt", "b.txt"): the first
        if is_report_name(Path(member.name).name) and not member.name.startswith("__MACOSX/"):
            taken.setdefault(member.name, member)
    # `xxgk generate`'s marker zipped with its reports marks them as it does in a folder
    marked = {posixpath.dirname(m.name) for m in members if posixpath.basename(m.name) == SYNTHETIC_MARKER}

    def generated(name: str) -> bool:
        folder = posixpath.dirname(name)
        while True:
            if folder in marked:
                return True
            if not folder:
                return False
            folder = posixpath.dirname(folder)
    return [CandidateFile(archive / member.name, synthetic or generated(member.name), archive, member)
            for member in taken.values()]
