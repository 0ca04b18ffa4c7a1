"""A real `xxgk serve` (gunicorn) in a child process, on a free loopback port."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
XXGK = Path(sys.executable).parent / "xxgk"
# How long a server may take to start on a loaded 2-core machine before the test gives up.
START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 60) -> tuple[int, dict, bytes]:
    """(status, headers with lower-case names, body) of one request; ``path`` is sent as written
    (only non-ASCII characters are percent-encoded, as a browser does)."""
    path = "".join(ch if ord(ch) < 128 else quote(ch) for ch in path)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@contextmanager
def running_server(data_dir: Path, log_path: Path, workers: int = 2, env: dict | None = None):
    """Yield the port of `xxgk serve --data data_dir` (its stderr, the access log, in ``log_path``);
    stop it (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(XXGK), "serve", "--data", str(data_dir), "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                if request(port, "GET", "/api/search?q=", timeout=10)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "xxgk serve did not start:\n" + log_path.read_text(errors="replace")
            time.sleep(0.2)
        yield port
    finally:
        stop(process)


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """SIGTERM (gunicorn stops its workers and exits), then SIGKILL past ``seconds``."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
