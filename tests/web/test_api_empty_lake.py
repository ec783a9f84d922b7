"""A new, empty lake: every read endpoint answers (empty lists, 404s), none fails."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import auth, make_token


def test_every_read_on_an_empty_lake(tmp_path: Path) -> None:
    from darkfleet.web.app import create_app

    lake = tmp_path / "lake"
    lake.mkdir()
    client = TestClient(create_app(lake), raise_server_exceptions=True)
    client.headers.update(auth(make_token(lake, "admin")))
    for url in ("/api/vessels", "/api/vessels?q=ANGARA", "/api/events", "/api/events?kind=gap&mmsi=1",
                "/api/detections", "/api/places", "/api/cases", "/api/sightings", "/api/counts"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.json()["items"] == [] and r.json()["total"] == 0, url
    for url in ("/api/vessels/273990001", "/api/vessels/273990001/track", "/api/cases/reference",
                "/api/cases/reference/evidence", f"/api/reports/{'a' * 32}"):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/findings/abc/judgements", json={"verdict": "accepted"}).status_code == 404
    r = client.post("/api/admin/detect")
    assert r.status_code == 409 and "no positions" in r.json()["error"]["message"]
    assert str(lake) not in r.json()["error"]["message"]
    assert client.get("/api/me").json()["role"] == "admin"


def test_ui_bundle_is_served_compressed(tmp_path: Path) -> None:
    from darkfleet.web.app import STATIC_DIR, create_app

    if not (STATIC_DIR / "app.js").is_file():
        import pytest

        pytest.skip("the UI bundle is not built into this checkout")
    lake = tmp_path / "lake"
    lake.mkdir()
    client = TestClient(create_app(lake))
    r = client.get("/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.num_bytes_downloaded < (STATIC_DIR / "app.js").stat().st_size / 2
    assert r.content == (STATIC_DIR / "app.js").read_bytes()  # the client decompresses it again
