"""Writes through the API, each under the token's user: sightings, counts, notes, judgements, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import auth, make_token

SIGHTING = {"case": "reference", "observed_at": "2023-09-10T03:30:00Z", "lon": 130.301, "lat": 42.234,
            "place": "Najin (Rajin) port", "vessel_name": "ANGARA", "imo": 9179842, "source": "web test image",
            "confidence": "highly likely", "note": "seen at the container quay"}


@pytest.fixture
def lake(writable_lake: Path) -> Path:
    return writable_lake


@pytest.fixture
def client(lake: Path) -> TestClient:
    from darkfleet.web.app import create_app

    return TestClient(create_app(lake))


@pytest.fixture
def ana(lake: Path) -> dict[str, str]:
    return auth(make_token(lake, "analyst", "ana"))


def evidence(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get("/api/cases/reference/evidence", params={"limit": 1000}, headers=headers).json()["items"]


def test_sighting_lifecycle_is_recorded_under_the_token_user(client: TestClient, ana: dict[str, str],
                                                             lake: Path) -> None:
    before = client.get("/api/sightings", params={"case": "reference"}, headers=ana).json()["total"]
    r = client.post("/api/sightings", json=SIGHTING, headers=ana)
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["created_by"] == "ana" and row["case"] == "reference" and row["place"] == "Najin (Rajin) port"
    assert row["observed_at"] == "2023-09-10T03:30:00Z" and row["uid"] and row["id"]
    item = next(i for i in evidence(client, ana) if i["id"] == row["uid"])
    assert item["kind"] == "sighting" and item["created_by"] == "ana" and item["time"] == "2023-09-10T03:30:00Z"
    assert item["place"] == "Najin (Rajin) port" and "ANGARA" in item["summary"]
    assert client.get("/api/sightings", params={"case": "reference"}, headers=ana).json()["total"] == before + 1

    # the form's empty fields come as nulls: the source defaults to the web application
    form = {**SIGHTING, "source": None, "place": None, "mmsi": None, "note": "from the map form"}
    r = client.post("/api/sightings", json=form, headers=ana)
    assert r.status_code == 201 and r.json()["source"] == "darkfleet web", r.text
    client.delete(f"/api/sightings/{r.json()['id']}", headers=ana)

    # the same sighting again is one sighting
    again = client.post("/api/sightings", json=SIGHTING, headers=ana)
    assert again.status_code == 409 and str(row["id"]) in again.json()["error"]["message"]

    bo = auth(make_token(lake, "analyst", "bo"))
    r = client.patch(f"/api/sightings/{row['id']}", json={"confidence": "likely", "note": "re-read"}, headers=bo)
    assert r.status_code == 200, r.text
    assert r.json()["confidence"] == "likely" and r.json()["updated_by"] == "bo" and r.json()["created_by"] == "ana"
    assert r.json()["updated_at"].endswith("Z")

    r = client.delete(f"/api/sightings/{row['id']}", headers=bo)
    assert r.status_code == 200 and r.json()["deleted_by"] == "bo" and r.json()["deleted_at"]
    assert row["uid"] not in {i["id"] for i in evidence(client, ana)}
    assert client.get("/api/sightings", params={"case": "reference"}, headers=ana).json()["total"] == before
    assert client.delete(f"/api/sightings/{row['id']}", headers=bo).status_code == 404
    assert client.patch(f"/api/sightings/{row['id']}", json={"note": "x"}, headers=bo).status_code == 404

    from darkfleet.cases.models import Sighting
    from darkfleet.cases.store import CaseStore, store_url

    with CaseStore.open(store_url(lake)).session() as s:
        kept = s.get(Sighting, row["id"])
        assert kept is not None and (kept.created_by, kept.updated_by, kept.deleted_by) == ("ana", "bo", "bo")


def test_the_body_cannot_name_the_writer(client: TestClient, ana: dict[str, str]) -> None:
    for key in ("created_by", "analyst", "updated_by"):
        r = client.post("/api/sightings", json={**SIGHTING, key: "mallory"}, headers=ana)
        assert r.status_code == 422, key
    row = client.post("/api/sightings", json=SIGHTING, headers=ana).json()
    r = client.patch(f"/api/sightings/{row['id']}", json={"created_by": "mallory"}, headers=ana)
    assert r.status_code == 422
    assert "mallory" not in str(client.get("/api/sightings", params={"limit": 1000}, headers=ana).json())


def test_sighting_validation(client: TestClient, ana: dict[str, str]) -> None:
    bad = [{**SIGHTING, "observed_at": "2023-09-10T03:30:00"},  # no time zone
           {**SIGHTING, "lon": 181}, {**SIGHTING, "lat": None},  # half a position
           {k: v for k, v in SIGHTING.items() if k not in ("vessel_name", "imo")},  # no vessel
           {**SIGHTING, "confidence": "sure"}, {**SIGHTING, "imo": 12345678}, {**SIGHTING, "length_m": -1}]
    for body in bad:
        r = client.post("/api/sightings", json=body, headers=ana)
        assert r.status_code == 422, body
        assert r.json()["error"]["status"] == 422 and r.json()["error"]["message"]
    for body, words in (({**SIGHTING, "case": "nope"}, "no case"), ({**SIGHTING, "place": "Atlantis"}, "no place")):
        r = client.post("/api/sightings", json=body, headers=ana)
        assert r.status_code == 400 and words in r.json()["error"]["message"]
    row = client.post("/api/sightings", json=SIGHTING, headers=ana).json()
    for patch, status in (({"observed_at": None}, 422), ({}, 400), ({"lat": None}, 400), ({"case": "nope"}, 400)):
        assert client.patch(f"/api/sightings/{row['id']}", json=patch, headers=ana).status_code == status, patch


def test_count_lifecycle(client: TestClient, ana: dict[str, str]) -> None:
    body = {"case": "reference", "observed_at": "2023-09-12T02:00:00Z", "place": "Dunai port facility",
            "object_class": "container", "count": 42, "site": "quay", "size_class": "20ft", "colour": "dark green",
            "image_id": "TEST-IMAGE-1", "source": "analyst count in TEST-IMAGE-1"}
    r = client.post("/api/counts", json=body, headers=ana)
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["count"] == 42 and row["created_by"] == "ana" and row["object_class"] == "container"
    item = next(i for i in evidence(client, ana) if i["id"] == row["uid"])
    assert item["kind"] == "count" and item["created_by"] == "ana" and "42" in item["summary"]
    r = client.patch(f"/api/counts/{row['id']}", json={"count": 43}, headers=ana)
    assert r.json()["count"] == 43 and r.json()["updated_by"] == "ana"
    assert client.post("/api/counts", json={**body, "object_class": "tank"}, headers=ana).status_code == 422
    assert client.post("/api/counts", json={**body, "count": -1}, headers=ana).status_code == 422
    assert client.delete(f"/api/counts/{row['id']}", headers=ana).json()["deleted_by"] == "ana"


def test_notes_and_judgements(client: TestClient, ana: dict[str, str], lake: Path) -> None:
    r = client.post("/api/cases/reference/notes", json={"text": "check the Sept 2 SAR scene"}, headers=ana)
    assert r.status_code == 201 and r.json()["created_by"] == "ana" and r.json()["subject_id"] == "reference"
    notes = client.get("/api/cases/reference/notes", headers=ana).json()
    assert [n["text"] for n in notes["items"]] == ["check the Sept 2 SAR scene"]
    finding = client.get("/api/cases/reference", headers=ana).json()["findings"][0]
    r = client.post(f"/api/findings/{finding['id']}/judgements",
                    json={"verdict": "accepted", "text": "agree", "case": "reference"}, headers=ana)
    assert r.status_code == 201 and r.json()["created_by"] == "ana"
    judged = next(f for f in client.get("/api/cases/reference", headers=ana).json()["findings"]
                  if f["id"] == finding["id"])
    assert [(j["verdict"], j["created_by"]) for j in judged["judgements"]] == [("accepted", "ana")]
    assert client.post("/api/findings/0000/judgements", json={"verdict": "accepted"}, headers=ana).status_code == 404
    assert client.post(f"/api/findings/{finding['id']}/judgements", json={"verdict": "maybe"},
                       headers=ana).status_code == 422
    viewer = auth(make_token(lake, "viewer"))
    assert client.post("/api/cases/reference/notes", json={"text": "x"}, headers=viewer).status_code == 403


def test_report_generation_and_serving(client: TestClient, ana: dict[str, str], lake: Path) -> None:
    r = client.post("/api/cases/reference/report", headers=ana)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["url"] == f"/api/reports/{made['id']}" and made["created_by"] == "ana"
    viewer = auth(make_token(lake, "viewer"))
    page = client.get(made["url"], headers=viewer)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "ANGARA" in page.text and "Najin" in page.text
    assert "sandbox" in page.headers["content-security-policy"]
    assert (lake / "cache" / "web" / "reports" / made["id"] / "report.html").is_file()
    assert client.get(f"/api/reports/{'0' * 32}", headers=viewer).status_code == 404
    assert client.post("/api/cases/reference/report", headers=viewer).status_code == 403
    assert client.post("/api/cases/nope/report", headers=ana).status_code == 404


def _ais_sample(demo_lake: Path, lines: int = 2000) -> bytes:
    raw = sorted((demo_lake / "raw" / "ais").glob("*"))[0]
    with raw.open("rb") as fh:
        return b"".join(fh.readline() for _ in range(lines))


def test_admin_ingest(client: TestClient, lake: Path, demo_lake: Path) -> None:
    admin = auth(make_token(lake, "admin", "root"))
    sample = _ais_sample(demo_lake)
    before = len(list((lake / "sources").glob("*.parquet")))
    r = client.post("/api/admin/ingest", params={"filename": "../../sample.csv"}, content=sample,
                    headers={**admin, "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["read"] == 1999 and s["accepted"] + s["rejected"] == s["read"] and s["accepted"] > 0
    assert s["label"] == "sample.csv" and s["by"] == "root"
    saved = lake / "uploads" / f"{s['sha256'][:16]}-sample.csv"
    assert saved.read_bytes() == sample
    assert not (lake.parent / "sample.csv").exists() and not (lake.parent.parent / "sample.csv").exists()
    assert len(list((lake / "sources").glob("*.parquet"))) == before + 1
    # the same bytes again add nothing; multipart works too
    r = client.post("/api/admin/ingest", files={"file": ("again.csv", sample, "text/csv")}, headers=admin)
    assert r.status_code == 200 and r.json()["already_ingested"] is True
    assert len(list((lake / "sources").glob("*.parquet"))) == before + 1


def test_admin_ingest_refusals(client: TestClient, lake: Path, ana: dict[str, str]) -> None:
    admin = auth(make_token(lake, "admin"))
    assert client.post("/api/admin/ingest", content=b"x", headers=ana).status_code == 403
    assert client.post("/api/admin/ingest", content=b"", headers=admin).status_code == 400
    r = client.post("/api/admin/ingest", params={"filename": "junk.txt"}, content=b"hello world\nnot ais\n",
                    headers=admin)
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "junk.txt" in message and str(lake) not in message, "the error names the label, not a server path"
    assert not any((lake / "uploads").glob("*junk*")), "a refused upload is not kept"
    r = client.post("/api/admin/ingest", files={"other": ("a.csv", b"x")}, headers=admin)
    assert r.status_code == 400


@pytest.mark.slow
def test_admin_detect_reruns_with_the_same_event_ids(client: TestClient, lake: Path) -> None:
    import duckdb

    def ids() -> set[str]:
        return {r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet('{lake}/events/*.parquet')").fetchall()}

    before = ids()
    admin = auth(make_token(lake, "admin"))
    assert client.post("/api/admin/detect", headers=auth(make_token(lake, "analyst"))).status_code == 403
    r = client.post("/api/admin/detect", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["events"]["gap"] > 0 and r.json()["events"]["port_visit"] > 0
    assert ids() == before, "the store's places keep the ids the demo's places gave"
