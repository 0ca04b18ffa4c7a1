"""What one request may cost: its body size and its time (docs/serving.md).

The time limit lives in the app, not in the server: a request that runs past
its deadline gets a clear 503 (an HTML page, or JSON for /api/ and *.json)
and the worker goes on serving. Killing the worker instead (gunicorn's
--timeout, kept as the last resort) would drop the request without an answer.
"""
from __future__ import annotations

import threading
from typing import Callable

from flask import Flask, abort, current_app, request

# A search is a GET: no page reads a body, so anything larger is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024
# A query over the whole collection answers in well under a second (docs/benchmarks.md).
REQUEST_SECONDS = 20.0
# Exports read every matching report from the store, 0.1-0.15 ms each, and so does an agency
# ranking that ties leave unproven (holding them all, ~30 KB each, while it is built). Past this
# many, one request would outlive its deadline holding gigabytes, so it is refused with the reason.
MAX_READ_REPORTS = 100_000
# A long export writes a row per report and key (~200 a report): ~6 times the time a report, so
# it reads a sixth as many (docs/benchmarks.md, "The stats page's groups counted by the index").
# So do the passages, which cut every matching report into sentences (0.5-1.3 ms a report).
MANY_ROWS_SHARE = 6
# Requests past their deadline whose work still runs (a tantivy search cannot be interrupted):
# past this many in one worker, new requests are refused at once rather than piled on.
MAX_OVERDUE = 4


class RequestDeadline:
    """WSGI middleware: runs the app in a thread and answers ``on_timeout`` when it overruns.

    The app's whole response is collected in that thread (pages and downloads
    here are built in memory anyway), so a late response is never half sent.
    """

    def __init__(self, app: Callable, seconds: float, on_timeout: Callable, max_overdue: int = MAX_OVERDUE):
        self.app = app
        self.seconds = seconds
        self.on_timeout = on_timeout
        self.max_overdue = max_overdue
        self._overdue = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not self.seconds:
            return self.app(environ, start_response)
        if self._overdue >= self.max_overdue:
            return self.on_timeout(environ, start_response)
        outcome: dict = {}
        state = {"abandoned": False}

        def run():
            try:
                outcome["response"] = collect(self.app, environ)
            except BaseException as error:  # handed back to the request's own thread below
                outcome["error"] = error
            finally:
                with self._lock:
                    if state["abandoned"]:
                        self._overdue -= 1

        thread = threading.Thread(target=run, name="xxgk-request", daemon=True)
        thread.start()
        thread.join(self.seconds)
        with self._lock:
            if thread.is_alive():
                state["abandoned"] = True
                self._overdue += 1
        if state["abandoned"]:
            return self.on_timeout(environ, start_response)
        if "error" in outcome:
            raise outcome["error"]
        status, headers, body = outcome["response"]
        start_response(status, headers)
        return [body]


def collect(app: Callable, environ) -> tuple[str, list, bytes]:
    """A WSGI app's whole answer to ``environ``: (status, headers, body)."""
    started: list = []
    written: list[bytes] = []

    def capture(status, headers, exc_info=None):
        started[:] = [status, headers]
        return written.append

    iterable = app(environ, capture)
    try:
        body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return started[0], started[1], b"".join(written) + body


def init_app(app: Flask, timeout_response: Callable[[], object]) -> None:
    """Limit every request of ``app``: ``MAX_CONTENT_LENGTH`` bytes of body and
    ``XXGK_REQUEST_SECONDS`` of time (0 for none), past which ``timeout_response()``
    (called inside a request context) answers; exports and rankings read at most
    ``XXGK_MAX_READ_REPORTS`` reports (``read_bound()``)."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None, no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config.setdefault("XXGK_REQUEST_SECONDS", REQUEST_SECONDS)
    app.config.setdefault("XXGK_MAX_READ_REPORTS", MAX_READ_REPORTS)

    @app.before_request
    def _refuse_large_bodies():
        # Flask checks MAX_CONTENT_LENGTH only when a view reads the body, and none does.
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            abort(413)

    def on_timeout(environ, start_response):
        with app.request_context(environ):
            # through the after_request hooks: the security headers and compression apply too
            response = app.process_response(app.make_response(timeout_response()))
        return response(environ, start_response)

    app.wsgi_app = RequestDeadline(app.wsgi_app, app.config["XXGK_REQUEST_SECONDS"], on_timeout)


def read_bound(many_rows: bool = False) -> int:
    """How many reports one request may read from the store (``MAX_READ_REPORTS`` unless configured;
    a ``MANY_ROWS_SHARE``th of it for many rows a report: a long export, the passages)."""
    bound = current_app.config["XXGK_MAX_READ_REPORTS"]
    return max(1, bound // MANY_ROWS_SHARE) if many_rows else bound
