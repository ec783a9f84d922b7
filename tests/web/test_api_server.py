"""The real server: ``darkfleet serve`` in a subprocess on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import make_token, running_server


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
    with running_server(demo_lake) as base:
        yield int(base.rsplit(":", 1)[1])


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
