"""Errors a user can meet, each naming the file and the problem in one line."""
from __future__ import annotations

from .paths import path_text


class XxgkError(Exception):
    """Base of every error the command line turns into one clear line."""


class ReaderError(XxgkError):
    """A file could not be read as a document."""

    def __init__(self, path, problem: str):
        self.path = path_text(path)  # one line whatever the file's name holds
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnsupportedFormat(ReaderError):
    """The file's format is not one we read (yet)."""


class DecodeError(ReaderError):
    """A text file in an encoding we could not detect."""


class NotAReport(ReaderError):
    """The file reads fine but is not a government information-disclosure annual report."""


class NoTextLayer(ReaderError):
    """A PDF without readable text (scanned pages, or fonts without a Unicode map): OCR can read it."""
