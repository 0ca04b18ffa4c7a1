"""Answers shared by every worker of one server until the data changes (docs/serving.md).

A page, an API answer or an export depends on its URL, on a few request headers (the language
cookie, htmx's, whether gzip is accepted) and on the collection, which changes only when an
ingest commits. So the whole answer to a GET — status 200, no cookie set — is kept in a SQLite
file that all the server's workers share, under a key made of the collection's commit
(``Collection.version``) and those request parts. The same request from anyone, to any
worker, is then answered without searching or rendering again; the first request after a
commit names another version and misses. Like Elasticsearch's request cache, but for whole
responses, and in front of the app rather than inside the engine.

The cache never decides an answer: a lookup or store that fails (a locked or damaged file)
is skipped and the app answers as if there were no cache. It is a WSGI middleware, so a hit
costs no Flask request, no deadline thread and no compression.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Callable

from werkzeug.http import parse_cookie

from indexer.shared_file import SharedFile

from .limits import collect

FILE_NAME = "responses.sqlite"
# The file's size bound: past it, the oldest answers go (a search page is ~20 KB gzipped).
MAX_BYTES = 256 * 1024 * 1024
# A larger answer (a big export, an original file) is served, not kept.
MAX_ENTRY_BYTES = 2 * 1024 * 1024
# Paths answered from files on disk (cheap, and static files carry their own cache headers).
NOT_KEPT_PREFIXES = ("/static/",)
NOT_KEPT_SUFFIXES = ("/source",)
# What an answer varies on besides the path and query string: the links made with the host, scheme
# and mount point (the OpenAPI server URL, a citation's URL), and htmx's headers (web/htmx.py).
VARY_KEYS = ("HTTP_HOST", "wsgi.url_scheme", "SCRIPT_NAME", "HTTP_HX_REQUEST", "HTTP_HX_HISTORY_RESTORE_REQUEST",
             "HTTP_HX_TARGET")
# Says "hit" on an answer given again, "miss" on one just computed and kept; absent otherwise.
CACHE_HEADER = "X-Cache"


class ResponseCache:
    """WSGI middleware: answer a GET from the shared file, or ask ``app`` and keep its answer.

    :param app: the WSGI app (whose answers are collected whole, ``web.limits``).
    :param directory: where the shared file lives (one per server, made by its master).
    :param version: the collection's current commit, a string; None (or an exception) to
        answer without the cache.
    """

    def __init__(self, app: Callable, directory: Path, version: Callable[[], str | None],
                 max_bytes: int = MAX_BYTES):
        self.app = app
        self.path = Path(directory) / FILE_NAME
        self.version = version
        self.file = SharedFile(self.path, "responses", "status TEXT, headers TEXT, body BLOB", max_bytes)

    def __call__(self, environ, start_response):
        key, version = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        kept = self._lookup(key)
        if kept is not None:
            status, headers, body = kept
            start_response(status, headers + [(CACHE_HEADER, "hit")])
            return [body]
        status, headers, body = collect(self.app, environ)
        if _keepable(status, headers, body) and self._store(key, version, status, headers, body):
            headers = headers + [(CACHE_HEADER, "miss")]
        start_response(status, headers)
        return [body]

    def _key(self, environ) -> tuple[bytes | None, str | None]:
        """The request's key, or None for a request whose answer is not kept."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("CONTENT_LENGTH") not in (None, "", "0") \
                or "HTTP_TRANSFER_ENCODING" in environ:
            return None, None  # a GET with a body is refused by the app (web/limits.py), never answered here
        path = environ.get("PATH_INFO", "")
        if path.startswith(NOT_KEPT_PREFIXES) or path.endswith(NOT_KEPT_SUFFIXES):
            return None, None
        try:
            version = self.version()
        except Exception:  # a data directory that cannot be opened: the app answers with the error
            return None, None
        if version is None:
            return None, None
        language = parse_cookie(environ.get("HTTP_COOKIE", "")).get("lang", "")
        gzip = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "").lower()
        parts = [version, path, environ.get("QUERY_STRING", ""), language, str(gzip)]
        parts += [str(environ.get(name, "")) for name in VARY_KEYS]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).digest(), version

    def _lookup(self, key: bytes) -> tuple[str, list, bytes] | None:
        try:
            row = self.file.get(key, "status, headers, body")
        except sqlite3.Error:
            return None
        if row is None:
            return None
        status, headers, body = row
        return status, [tuple(pair) for pair in json.loads(headers)], body

    def _store(self, key: bytes, version: str, status: str, headers: list, body: bytes) -> bool:
        """Keep an answer; False when it could not be (a locked or damaged file)."""
        try:
            self.file.put(key, version, (status, json.dumps(headers), body), len(body))
        except sqlite3.Error:
            return False
        return True


def _keepable(status: str, headers: list, body: bytes) -> bool:
    """Only a whole 200 that sets no cookie (a ``?lang=`` answer sets one) and is not too large."""
    if not status.startswith("200") or len(body) > MAX_ENTRY_BYTES:
        return False
    return not any(name.lower() == "set-cookie" for name, _value in headers)
