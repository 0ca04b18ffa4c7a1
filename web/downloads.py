"""Every download's response: the file name header and the CSV cell rule in one place.

A file name comes from untrusted input (an original file's name, a query);
``attachment_headers`` sends it as RFC 6266 ``filename*=UTF-8''…`` (RFC 5987
percent-encoding, so no quote, semicolon or line break can end the header
early) with a plain-ASCII ``filename=`` fallback for old clients. CSV built
anywhere in the app goes through ``indexer.export.csv_safe_cell`` so a text
cell cannot run as a spreadsheet formula (docs/serving.md).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from flask import Response

from indexer.export import csv_safe_cell

__all__ = ["attachment_headers", "attachment_response", "csv_safe_cell", "ascii_file_name"]

# RFC 5987 attr-char less the ones some browsers mishandle: everything else is %-encoded.
_ATTR_CHARS = "!#$&+-.^_`|~"
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_file_name(name: str, fallback: str) -> str:
    """``name`` reduced to letters, digits, ``.``, ``_`` and ``-``; ``fallback`` (plus
    ``name``'s extension) when nothing of its stem survives (a Chinese name)."""
    path = PurePosixPath(name)
    stem = _NOT_PLAIN.sub("_", path.stem).strip("._")
    suffix = _NOT_PLAIN.sub("", path.suffix[1:])
    if not stem or set(stem) == {"_"}:
        stem = _NOT_PLAIN.sub("_", fallback).strip("._") or "download"
    return f"{stem}.{suffix}" if suffix else stem


def attachment_headers(name: str, fallback: str = "download") -> dict[str, str]:
    """The Content-Disposition header that saves the response as ``name``.

    :param name: the wanted file name, any characters (control characters are dropped).
    :param fallback: an ASCII stem for clients that ignore ``filename*`` when ``name`` has none.
    """
    name = "".join(ch for ch in name if ch.isprintable()) or fallback
    plain = ascii_file_name(name, fallback)
    return {"Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"}


def attachment_response(body: bytes, mimetype: str, name: str, fallback: str = "download") -> Response:
    """``body`` as a download named ``name`` (see ``attachment_headers``)."""
    return Response(body, mimetype=mimetype, headers=attachment_headers(name, fallback))
