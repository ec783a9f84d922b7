"""Refusals: no token, wrong role, revoked token, hashed storage, path traversal, SQL injection."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import auth, make_token

ANGARA = 273990001


@pytest.fixture(scope="module")
def app(demo_lake: Path):  # type: ignore[no-untyped-def]
    from darkfleet.web.app import create_app

    return create_app(demo_lake)


@pytest.fixture(scope="module")
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


@pytest.fixture(scope="module")
def viewer(demo_lake: Path) -> dict[str, str]:
    return auth(make_token(demo_lake, "viewer"))


def _concrete(path: str) -> str:
    return (path.replace("{mmsi}", str(ANGARA)).replace("{row_id}", "1").replace("{name}", "reference")
            .replace("{finding_id}", "24a38c4ada7c770c").replace("{report_id}", "0" * 32))


def _operations(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    spec = app.openapi()
    return [(method.upper(), _concrete(path)) for path, ops in spec["paths"].items() for method in ops]


def test_every_endpoint_but_health_needs_a_token(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    ops = _operations(app)
    assert len(ops) >= 25
    for method, path in ops:
        for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
            r = client.request(method, path, headers=headers)
            if path == "/api/health":
                assert r.status_code == 200
                continue
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.json()["error"]["status"] == 401 and r.headers["www-authenticate"] == "Bearer"


WRITES = [("POST", "/api/sightings"), ("PATCH", "/api/sightings/1"), ("DELETE", "/api/sightings/1"),
          ("POST", "/api/counts"), ("PATCH", "/api/counts/1"), ("DELETE", "/api/counts/1"),
          ("POST", "/api/cases/reference/notes"), ("POST", "/api/findings/24a38c4ada7c770c/judgements"),
          ("POST", "/api/cases/reference/report")]
ADMIN = [("POST", "/api/admin/ingest"), ("POST", "/api/admin/detect")]


def test_roles(client: TestClient, viewer: dict[str, str], demo_lake: Path) -> None:
    analyst = auth(make_token(demo_lake, "analyst"))
    for method, path in WRITES + ADMIN:
        r = client.request(method, path, headers=viewer, json={})
        assert r.status_code == 403, (method, path)
        assert "viewer" in r.json()["error"]["message"]
    for method, path in ADMIN:
        assert client.request(method, path, headers=analyst, content=b"x").status_code == 403, path
    assert client.get("/api/me", headers=analyst).json()["role"] == "analyst"


def test_revoked_token_is_refused(client: TestClient, demo_lake: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.web.auth import revoke_token

    token = make_token(demo_lake, "analyst", "leaver")
    assert client.get("/api/me", headers=auth(token)).status_code == 200
    revoke_token(CaseStore.open(store_url(demo_lake)), "leaver")
    r = client.get("/api/me", headers=auth(token))
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def test_tokens_are_stored_hashed(demo_lake: Path) -> None:
    token = make_token(demo_lake, "admin", "hash-check")
    db = demo_lake / "cases.sqlite"
    rows = sqlite3.connect(db).execute("SELECT name, role, token_sha256 FROM api_tokens").fetchall()
    row = next(r for r in rows if r[0] == "hash-check")
    assert row[1] == "admin" and row[2] == hashlib.sha256(token.encode()).hexdigest()
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert token not in dump and token.encode() not in db.read_bytes()
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[2]) for r in rows)


TRAVERSALS = ["/api/reports/..%2f..%2fetc%2fpasswd", "/api/reports/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "/api/reports/..", "/api/reports/....//....//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
              "/..%2f..%2fetc%2fpasswd", "/static/..%2f..%2f..%2fcases.sqlite", "/%2e%2e%2fcases.sqlite",
              "/app.js/..%2f..%2f..%2f..%2fcases.sqlite", "/api/reports/..%2f..%2fcases.sqlite"]


def test_path_traversal_is_refused(client: TestClient, viewer: dict[str, str]) -> None:
    for path in TRAVERSALS:
        r = client.get(path, headers=viewer)
        assert r.status_code in (400, 404), (path, r.status_code)
        assert "root:" not in r.text and "SQLite format" not in r.text, path


def test_injection_strings_are_values_not_sql(client: TestClient, viewer: dict[str, str]) -> None:
    attacks = ["' OR '1'='1", "ANGARA' --", "1; DROP TABLE positions; --", "%' OR 1=1 --", "\" OR \"\"=\"",
               "1 UNION SELECT * FROM sources", "'); SELECT * FROM read_csv('/etc/passwd'); --"]
    for a in attacks:
        page = client.get("/api/vessels", params={"q": a}, headers=viewer)
        assert page.status_code == 200 and page.json()["total"] == 0, a
        for url, params in (("/api/events", {"kind": a}), ("/api/events", {"mmsi": a}),
                            ("/api/vessels/x/track", {}), ("/api/events", {"start": a})):
            r = client.get(url.replace("x", a.replace("/", "")), params=params, headers=viewer)
            assert 400 <= r.status_code < 500, (url, a)
        scene = client.get("/api/detections", params={"scene": a}, headers=viewer)
        assert scene.status_code == 200 and scene.json()["total"] == 0
        assert client.get("/api/sightings", params={"case": a}, headers=viewer).status_code == 404
        assert client.get(f"/api/cases/{a.replace('/', '')}", headers=viewer).status_code == 404
        ev = client.get("/api/cases/reference/evidence", params={"kind": a}, headers=viewer)
        assert (ev.status_code == 200 and ev.json()["total"] == 0) or ev.status_code == 422  # longer than a kind
    # the lake is intact
    assert client.get("/api/vessels", params={"q": "ANGARA"}, headers=viewer).json()["total"] == 1
    assert client.get("/api/events", params={"limit": 1}, headers=viewer).json()["total"] > 0


def test_errors_are_json(client: TestClient, viewer: dict[str, str]) -> None:
    for path, status in (("/api/nothing", 404), ("/api/vessels/abc", 422), ("/api/events?kind=x", 422),
                         ("/api/me", 401)):
        r = client.get(path, headers=viewer if status != 401 else {})
        assert r.status_code == status
        body = r.json()
        assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]


def test_ingest_filename_is_a_label_only() -> None:
    from darkfleet.web.routers.admin import safe_label

    assert safe_label("../../x") == "x"
    assert safe_label("..\\..\\windows\\system.ini") == "system.ini"
    assert safe_label("/etc/passwd") == "passwd"
    assert safe_label("..") == "upload" and safe_label("") == "upload" and safe_label(None) == "upload"
    assert safe_label("a b;rm -rf $(x).csv.gz") == "a_b_rm_-rf_x_.csv.gz"
    assert safe_label(".hidden") == "hidden"
    assert len(safe_label("x" * 5000)) == 100
