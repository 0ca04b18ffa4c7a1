"""`xxgk serve`: the app under gunicorn, run in-process (one process tree).

Why gunicorn (docs/serving.md): it is well kept, and its pre-forked workers
suit the index. Each worker opens the data directory itself after the fork;
tantivy's segments are read-only, memory-mapped files, so every worker reads
them through the one page cache, and each sees the commits of a running
`xxgk ingest` on its own (``web.collection``). The limits below are gunicorn's
first line against oversized requests; the app adds a body limit and a
per-request deadline (``web.limits``).
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from indexer.errors import XxgkError

from .collection import warm_up

# Request line (method, path and query string): room for a long query, ~900 Chinese characters
# once percent-encoded; gunicorn's maximum.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELDS = 50
LIMIT_REQUEST_FIELD_SIZE = 8190
# The last resort after the app's own deadline (web.limits.REQUEST_SECONDS): a worker silent this
# long is killed and replaced.
WORKER_TIMEOUT = 60
# Threads per worker: slow clients on a LAN do not hold a whole worker.
THREADS = 4
KEEPALIVE = 5
# Apache's combined format, then the time taken (ms), the worker's pid and whether the answer was
# shared by another request (web/response_cache.py: hit, miss, or - when not kept).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s %({x-cache}o)s'


# Each worker holds its own jieba dictionary and index reader: past this, more workers cost memory
# for no gain on a machine that size would be shared with.
MAX_DEFAULT_WORKERS = 8


class CannotListen(XxgkError):
    """The address and port given cannot be listened on."""


# What a failed bind means for the one who asked, by errno
_BIND_PROBLEMS = {
    errno.EADDRINUSE: "the port is in use, perhaps by another xxgk serve: stop that program or pick another --port",
    errno.EACCES: "permission denied (ports below 1024 need root): pick another --port",
    errno.EADDRNOTAVAIL: "no network interface of this machine has that address (--host 0.0.0.0 listens on all)",
}


def address_text(host: str, port: int) -> str:
    """host:port as a server binds it and a URL writes it ([::1]:5000 for an IPv6 address)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_listen(host: str, port: int) -> None:
    """Bind ``host``:``port`` once, as the server will, and let it go: a failure is one line here,
    where gunicorn would retry for five seconds, log ten lines and exit.

    :raises CannotListen: the address is unknown, taken or not this machine's.
    """
    where = address_text(host, port)
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as e:
        raise CannotListen(f"cannot listen on {where}: unknown host ({getattr(e, 'strerror', None) or e})") from None
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn and werkzeug bind
            probe.bind(address)
    except OSError as e:
        raise CannotListen(f"cannot listen on {where}: {_BIND_PROBLEMS.get(e.errno, e.strerror or str(e))}") from None


def default_workers() -> int:
    """Two workers per core plus one (gunicorn's rule of thumb), at most MAX_DEFAULT_WORKERS."""
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


class StderrAccessLogger(Logger):
    """gunicorn's logger with the access log on stderr beside the error log (stdout stays free)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.access_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)


class GunicornServer(BaseApplication):
    """gunicorn with its settings given here rather than read from a command line or file."""

    def __init__(self, make_app: Callable[[], Flask], options: dict):
        self.make_app = make_app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # a setting newer than the installed gunicorn is left out
                self.cfg.set(key, value)

    def load(self) -> Flask:
        # Called in each worker after the fork: no SQLite connection or index reader is shared. The
        # worker accepts requests only once this returns, so none waits behind its start-up.
        app = self.make_app()
        warm_up(app)
        return app


def gunicorn_options(host: str, port: int, workers: int) -> dict:
    """The settings `xxgk serve` runs gunicorn with (docs/serving.md)."""
    return {
        "bind": [address_text(host, port)],
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": 10,
        "keepalive": KEEPALIVE,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": StderrAccessLogger,
        "proc_name": "xxgk-serve",
        "preload_app": False,
        # gunicorn 24+ opens a control socket in the user's home (~/.gunicorn) by default: we
        # use none, and two servers on one machine would share its path.
        "control_socket_disable": True,
    }


def run_gunicorn(make_app: Callable[[Path | None], Flask], host: str, port: int, workers: int,
                 response_cache: bool = True) -> None:
    """Serve ``make_app(cache_dir)`` (built once per worker) until interrupted.

    :param response_cache: share answers between the workers (web/response_cache.py) in a
        directory made for this server and removed when it stops: a restart, which may bring
        new code or a new config.toml, starts with none kept.
    """
    cache_dir = Path(tempfile.mkdtemp(prefix="xxgk-responses-")) if response_cache else None
    master = os.getpid()
    try:
        GunicornServer(lambda: make_app(cache_dir), gunicorn_options(host, port, workers)).run()
    finally:
        if cache_dir and os.getpid() == master:  # a worker leaves through here too, and the others still use it
            shutil.rmtree(cache_dir, ignore_errors=True)
