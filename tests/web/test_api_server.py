"""The real server: ``darkfleet serve`` in a subprocess on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import make_token

DARKFLEET = Path(sys.executable).with_name("darkfleet")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """A GET with the request target sent as is (no client-side normalisation of ``..``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture(scope="module")
def server(demo_lake: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([str(DARKFLEET), "serve", "--lake", str(demo_lake), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"darkfleet serve did not come up on port {port}:\n{out}")
            time.sleep(0.3)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow
def test_serve_answers_health_and_api(server: int, demo_lake: Path) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{server}/api/health", timeout=10) as r:
        body = json.loads(r.read())
    assert body["status"] == "ok"
    token = make_token(demo_lake, "viewer")
    req = urllib.request.Request(f"http://127.0.0.1:{server}/api/vessels?q=ANGARA",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert [v["name"] for v in json.loads(r.read())["items"]] == ["ANGARA"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{server}/api/vessels", timeout=10)
    assert refused.value.code == 401


@pytest.mark.slow
def test_serve_refuses_raw_traversal(server: int) -> None:
    for target in ("/../../etc/passwd", "/static/../../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
                   "/../cases.sqlite", "/api/reports/../../../../etc/passwd"):
        status, body = raw_get(server, target)
        assert status in (400, 404), (target, status)
        assert b"root:" not in body and b"SQLite format" not in body, target
