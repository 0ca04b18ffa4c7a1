"""`xxgk serve` as it runs in production: a real gunicorn on a free loopback port over a data
directory ingested from corpus/, plus the in-app limits (deadline, body, error pages) through
the Flask test client."""
from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from indexer.cli import cli
from indexer.collection import Collection
from indexer.config import load_config
from web import create_app
from web.serving import LIMIT_REQUEST_LINE, default_workers, gunicorn_options

from server_helpers import request, running_server
from web_helpers import build_web_data

ROOT = Path(__file__).resolve().parent.parent

ACCESS_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "(?P<request>[^"]*)" (?P<status>\d{3}) \S+ "[^"]*" "[^"]*" '
                         r'(?P<ms>\d+)ms <(?P<pid>\d+)> (?P<cache>hit|miss|-)$', re.M)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    build_web_data(root / "data")
    return root


@pytest.fixture(scope="module")
def server(data):
    log = data / "serve.log"
    with running_server(data / "data", log) as port:
        yield port, log


def test_pages_json_and_csv_are_gzipped(server):
    port, _ = server
    for path, mimetype in (("/?q=信访", "text/html"), ("/api/search?q=", "application/json"),
                           ("/export.csv?q=", "text/csv")):
        status, headers, body = request(port, "GET", path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["content-encoding"] == "gzip", path
        assert headers["content-type"].startswith(mimetype)
        text = gzip.decompress(body).decode("utf-8")
        if mimetype == "application/json":
            assert json.loads(text)["total"] > 0
    status, headers, body = request(port, "GET", "/api/search?q=")
    assert "content-encoding" not in headers and json.loads(body)["total"] > 0


def test_static_files_have_hashed_urls_cached_for_a_year(server):
    port, _ = server
    page = BeautifulSoup(request(port, "GET", "/")[2], "html.parser")
    urls = [tag.get("href") or tag.get("src") for tag in page.select("link[rel=stylesheet], script[src]")]
    assert urls and all(re.search(r"^/static/.+\?v=[0-9a-f]{12}$", url) for url in urls), urls
    for url in urls:
        status, headers, _ = request(port, "GET", url)
        assert status == 200
        assert "max-age=31536000" in headers["cache-control"] and "immutable" in headers["cache-control"]
        status, headers, body = request(port, "GET", url, {"Accept-Encoding": "gzip"})
        assert headers["content-encoding"] == "gzip" and gzip.decompress(body)
    bare = urls[0].split("?")[0]
    status, headers, _ = request(port, "GET", bare)
    assert status == 200 and "max-age=31536000" not in headers.get("cache-control", "")
    status, headers, _ = request(port, "GET", bare + "?v=000000000000")  # a stale hash is not kept
    assert status == 200 and "max-age=31536000" not in headers.get("cache-control", "")


def test_access_log_has_one_line_per_request_on_stderr(server):
    port, log = server
    marker = "/api/search?q=access-log-marker"
    assert request(port, "GET", marker)[0] == 200
    assert request(port, "GET", "/no-such-page")[0] == 404
    # gunicorn writes the line after the response has gone: the client may read the log first.
    wanted = {f"GET {marker} HTTP/1.1", "GET /no-such-page HTTP/1.1"}
    deadline = time.monotonic() + 30
    while True:
        lines = {m["request"]: m for m in ACCESS_LINE.finditer(log.read_text(errors="replace"))}
        if wanted <= lines.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert lines[f"GET {marker} HTTP/1.1"]["status"] == "200"
    assert lines[f"GET {marker} HTTP/1.1"]["cache"] == "miss"  # computed, and kept for the next asker
    assert lines["GET /no-such-page HTTP/1.1"]["status"] == "404"
    assert lines["GET /no-such-page HTTP/1.1"]["cache"] == "-"  # an error is never kept


def test_workers_share_answers_until_the_data_changes(server):
    """The same search asked again, on new connections that the master hands to either worker,
    is answered from what the first asking kept (web/response_cache.py)."""
    port, _ = server
    path = "/?q=" + "%E4%BF%A1%E8%AE%BF+shared-answer-marker"
    answers = [request(port, "GET", path, {"Connection": "close", "Accept-Encoding": "gzip"}) for _ in range(6)]
    assert [status for status, _, _ in answers] == [200] * 6
    assert [headers["x-cache"] for _, headers, _ in answers] == ["miss"] + ["hit"] * 5
    assert len({body for _, _, body in answers}) == 1


def test_oversize_request_line_is_refused_and_the_server_lives_on(server):
    port, _ = server
    status, _, _ = request(port, "GET", "/?q=" + "x" * LIMIT_REQUEST_LINE)
    assert status == 414
    assert request(port, "GET", "/api/search?q=")[0] == 200


def test_too_many_or_too_large_headers_are_refused(server):
    port, _ = server
    many = {f"X-Filler-{i}": "1" for i in range(gunicorn_options("127.0.0.1", 1, 1)["limit_request_fields"] + 10)}
    assert request(port, "GET", "/", many)[0] in (400, 431)
    assert request(port, "GET", "/", {"X-Big": "y" * 9000})[0] in (400, 431)
    assert request(port, "GET", "/api/search?q=")[0] == 200


def test_oversize_body_is_refused(server):
    port, _ = server
    status, headers, body = request(port, "GET", "/api/search?q=", {"Content-Type": "text/plain"}, b"a" * 100_000)
    assert status == 413
    assert headers["content-type"] == "application/json" and "error" in json.loads(body)
    status, headers, body = request(port, "GET", "/", {"Content-Type": "text/plain"}, b"a" * 100_000)
    assert status == 413 and headers["content-type"].startswith("text/html")
    assert request(port, "GET", "/api/search?q=", {"Content-Type": "text/plain"}, b"a" * 1000)[0] == 200


def test_default_workers_and_loopback_binding():
    assert 1 <= default_workers() <= 8
    assert gunicorn_options("127.0.0.1", 8000, 3)["bind"] == ["127.0.0.1:8000"]
    assert gunicorn_options("::1", 8000, 3)["bind"] == ["[::1]:8000"]


@pytest.mark.parametrize("args, problem", [(["--port", "99999"], "'--port': 99999 is not in the range 1<=x<=65535"),
                                           (["--port", "0"], "'--port': 0 is not in the range 1<=x<=65535"),
                                           (["--workers", "0"], "'--workers': 0 is not in the range x>=1")])
def test_a_port_or_worker_count_out_of_range_is_a_usage_error_not_a_traceback(args, problem):
    """Port 99999 once reached gunicorn's bind() and ended in an OverflowError's traceback."""
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 2
    assert f"Error: Invalid value for {problem}." in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("dev", [False, True])
def test_a_port_in_use_or_an_unknown_host_is_one_line_at_once(data, dev):
    """gunicorn retried a taken port for five seconds, logged ten lines and exited; the failure is
    now found before it starts, and named."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["--data", str(data / "data")] + (["--dev"] if dev else [])
        for where, problem in [(["--port", str(port)], f"cannot listen on 127.0.0.1:{port}: the port is in use, "
                                                       "perhaps by another xxgk serve: stop that program or pick another --port"),
                               (["--host", "no-such-host.invalid", "--port", "8123"],
                                "cannot listen on no-such-host.invalid:8123: unknown host (")]:
            served = subprocess.run([sys.executable, "-m", "indexer.cli", "serve", *where, *args], cwd=ROOT,
                                    capture_output=True, text=True, timeout=60)
            assert served.returncode == 1
            assert served.stderr.startswith("Error: " + problem) and served.stderr.count("\n") == 1, served.stderr


# --- the app's own limits, through the test client -------------------------------------------

def _app(data, **settings):
    config = replace(load_config(), data_dir=data / "data")
    return create_app({"XXGK_CONFIG": config, **settings})


@pytest.fixture
def overdue_threads_joined():
    """Joins, at the test's end, the threads in which its overdue requests went on: one left
    running into the next test once logged its failure there, and Python 3.11's traceback module
    (ast.parse, for the ^^^ marks) then raced that test's own ast.parse (werkzeug building its
    routes), which CPython 3.11 does not survive (gh-106905: "AST constructor recursion depth
    mismatch")."""
    yield
    for thread in threading.enumerate():
        if thread.name == "xxgk-request":  # web/limits.py's, one a request
            thread.join(timeout=60)


def test_a_runaway_search_gets_a_503_and_the_worker_serves_on(data, monkeypatch, overdue_threads_joined):
    release = threading.Event()
    real_search = Collection.search

    def runaway(self, q, *args, **kwargs):
        if q == "runaway":
            release.wait(60)  # until the test lets it go: far past the deadline below
        return real_search(self, q, *args, **kwargs)

    monkeypatch.setattr(Collection, "search", runaway)
    client = _app(data, XXGK_REQUEST_SECONDS=0.5).test_client()
    try:
        response = client.get("/api/search?q=runaway")
        assert response.status_code == 503 and response.mimetype == "application/json"
        assert "too long" in response.get_json()["error"] and response.headers["Retry-After"]
        response = client.get("/?q=runaway&lang=en")
        assert response.status_code == 503 and response.mimetype == "text/html"
        page = BeautifulSoup(response.data, "html.parser")
        assert "503" in page.h1.text and "too long" in page.select_one(".error-page .error").text
        assert response.headers["Content-Security-Policy"]  # the after_request hooks ran
        # the worker still answers other requests while the runaway ones go on
        assert client.get("/api/search?q=信访").get_json()["total"] > 0
    finally:
        release.set()
    assert client.get("/api/search?q=runaway").status_code == 200


def test_too_many_overdue_requests_are_refused_at_once(data, monkeypatch, overdue_threads_joined):
    release = threading.Event()
    real_search = Collection.search

    def stuck(self, *args, **kwargs):
        release.wait(60)
        return real_search(self, *args, **kwargs)  # then an answer no one waits for any more

    monkeypatch.setattr(Collection, "search", stuck)
    app = _app(data, XXGK_REQUEST_SECONDS=0.2)
    client = app.test_client()
    try:
        for _ in range(4):
            assert client.get("/api/search?q=x").status_code == 503
        monkeypatch.setattr(Collection, "search", lambda self, *a, **k: pytest.fail("work piled on"))
        assert client.get("/api/search?q=y").status_code == 503  # refused without running
    finally:
        release.set()


def test_a_500_shows_no_details(data, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("secret internal detail /etc/xxgk")

    monkeypatch.setattr(Collection, "search", broken)
    client = _app(data).test_client()
    for settings in ({}, {"DEBUG": True}):  # FLASK_DEBUG set by mistake changes nothing
        for path in ("/?q=信访", "/api/search?q=信访"):
            response = _app(data, **settings).test_client().get(path)
            assert response.status_code == 500
            body = response.get_data(as_text=True)
            assert "secret internal detail" not in body and "Traceback" not in body and "/etc/xxgk" not in body
    assert client.get("/api/search?q=信访").get_json() == {"error": "The server could not answer this request."}
    assert "500" in BeautifulSoup(client.get("/?q=信访").data, "html.parser").h1.text


@pytest.mark.parametrize("path", [
    "/reports/../../etc/passwd", "/reports/..%2F..%2Fetc%2Fpasswd", "/static/../../etc/passwd",
    "/static/..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/..%5c..%5cetc%5cpasswd",
    "/static/%252e%252e/%252e%252e/etc/passwd", "/reports/0000000000000000/source/..%2f..%2f..%2fetc%2fpasswd",
])
def test_path_traversal_against_the_real_server(server, path):
    port, _ = server
    status, _, body = request(port, "GET", path)
    assert status in (400, 404), path
    assert b"root:" not in body


def test_errors_follow_what_the_client_accepts(data):
    client = _app(data).test_client()
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.mimetype == "application/json" and response.get_json()["error"]
    response = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404 and response.mimetype == "application/json"
