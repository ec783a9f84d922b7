"""The read endpoints against the demo lake, checked against the lake itself (DuckDB, the case store)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import auth, make_token

ANGARA, MARIA = 273990001, 273990002


@pytest.fixture(scope="module")
def client(demo_lake: Path) -> TestClient:
    from darkfleet.web.app import create_app

    c = TestClient(create_app(demo_lake), raise_server_exceptions=True)
    c.headers.update(auth(make_token(demo_lake, "viewer")))
    return c


@pytest.fixture(scope="module")
def con(demo_lake: Path) -> duckdb.DuckDBPyConnection:
    from darkfleet.lake.query import connect
    from darkfleet.lake.store import Lake

    return connect(Lake.open(demo_lake, create=False))


def all_pages(client: TestClient, url: str, limit: int, **params: Any) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    offset, total = 0, None
    while True:
        page = client.get(url, params={**params, "limit": limit, "offset": offset}).json()
        assert page["limit"] == limit and page["offset"] == offset
        total = page["total"] if total is None else total
        assert page["total"] == total, "the total does not change from page to page"
        items += page["items"]
        if len(page["items"]) < limit:
            return items, total
        offset += limit


def test_health_needs_no_token(demo_lake: Path) -> None:
    from darkfleet.web.app import create_app

    r = TestClient(create_app(demo_lake)).get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["version"]


def test_me(client: TestClient) -> None:
    me = client.get("/api/me").json()
    assert me["role"] == "viewer" and me["user"].startswith("test-viewer-")


def test_vessel_search_finds_angara_by_name_imo_and_mmsi(client: TestClient) -> None:
    for q in ("ANGARA", "angar", "9179842", "IMO 9179842", str(ANGARA)):
        page = client.get("/api/vessels", params={"q": q}).json()
        assert [v["mmsi"] for v in page["items"]] == [ANGARA], q
        assert page["total"] == 1
    v = client.get("/api/vessels", params={"q": "ANGARA"}).json()["items"][0]
    assert v["name"] == "ANGARA" and v["imo"] == 9179842 and v["sanctioned"] is True and v["score"] >= 0.9
    assert v["flag"] == "Russian Federation" and v["positions"] > 1000
    assert v["first_seen"].endswith("Z") and v["first_seen"] < v["last_seen"]


def test_vessel_paging_totals_match_the_lake(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    expected = con.sql("SELECT count(*) FROM (SELECT mmsi FROM positions UNION SELECT mmsi FROM statics)").fetchone()
    items, total = all_pages(client, "/api/vessels", 37)
    assert expected is not None and total == expected[0] == len(items)
    assert len({v["mmsi"] for v in items}) == total, "no vessel twice across pages"
    positions = con.sql("SELECT count(*) FROM positions").fetchone()
    assert positions is not None and sum(v["positions"] for v in items) == positions[0]
    assert items[0]["sanctioned"], "sanctioned vessels come first"


def test_paging_limits_are_enforced(client: TestClient) -> None:
    assert client.get("/api/vessels", params={"limit": 1001}).status_code == 422
    assert client.get("/api/vessels", params={"offset": -1}).status_code == 422
    page = client.get("/api/vessels", params={"offset": 100000}).json()
    assert page["items"] == [] and page["total"] > 0


def test_vessel_detail(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    v = client.get(f"/api/vessels/{ANGARA}").json()
    assert v["name"] == "ANGARA"
    name = next(i for i in v["identity"] if i["field"] == "name")
    assert name["value"] == "ANGARA" and name["start"] <= name["end"]
    alerts = [m for m in v["sanctions"]["matches"] if m["alert"]]
    assert any(m["list"] == "us_ofac_sdn" and m["name"] == "ANGARA" for m in alerts)
    assert any("imo_match" in m["explanation"] for m in alerts)
    assert any("RUSSIA-EO14024" in m["programs"] for m in alerts if m["list"] == "us_ofac_sdn")
    names = [[s["name"] for s in p["path"]] for p in v["sanctions"]["exposure"]]
    assert ["ANGARA", "M LEASING LLC"] in names
    assert all(p["path"][0]["name"] == "ANGARA" for p in v["sanctions"]["exposure"])
    gaps = con.sql(f"SELECT count(*) FROM events WHERE kind = 'gap' AND mmsi = {ANGARA}").fetchone()
    assert gaps is not None and v["events"]["gap"] == gaps[0] > 0


def test_unknown_vessel_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/vessels/123")
    assert r.status_code == 404
    assert r.json() == {"error": {"status": 404, "message": "no vessel with MMSI 123 in this lake"}}


def _coords(fc: dict[str, Any]) -> list[list[float]]:
    return [c for f in fc["features"] for c in f["geometry"]["coordinates"]]


def test_track_has_dark_legs_and_keeps_the_vertex_budget(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    fc = client.get(f"/api/vessels/{ANGARA}/track").json()
    assert fc["type"] == "FeatureCollection"
    dark = [f for f in fc["features"] if f["properties"]["kind"] == "dark"]
    observed = [f for f in fc["features"] if f["properties"]["kind"] == "observed"]
    gap_ids = {r[0] for r in con.sql(f"SELECT id FROM events WHERE kind = 'gap' AND mmsi = {ANGARA}").fetchall()}
    assert {f["properties"]["event_id"] for f in dark} == gap_ids and gap_ids
    for f in dark:
        p = f["properties"]
        assert len(f["geometry"]["coordinates"]) == 2 and p["hours"] >= 12 and p["t0"] < p["t1"]
        assert p["start"].endswith("Z") and p["mmsi"] == ANGARA
    assert len(_coords(fc)) <= 2000
    assert all(2 <= len(f["geometry"]["coordinates"]) <= 100 for f in observed)
    assert all(f["properties"]["t0"] <= f["properties"]["t1"] for f in observed)
    xs, ys = zip(*_coords(fc), strict=True)
    assert fc["bbox"] == [min(xs), min(ys), max(xs), max(ys)]
    n = con.sql(f"SELECT count(*) FROM positions WHERE mmsi = {ANGARA}").fetchone()
    assert n is not None and fc["properties"]["positions"] == n[0] > 2000, "only this vessel's positions were read"
    for budget in (10, 60, 500):
        small = client.get(f"/api/vessels/{ANGARA}/track", params={"max_points": budget}).json()
        assert len(_coords(small)) <= budget, budget


def test_track_time_window(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    start, end = "2023-09-01T00:00:00Z", "2023-09-15T00:00:00Z"
    fc = client.get(f"/api/vessels/{ANGARA}/track", params={"start": start, "end": end}).json()
    t0, t1 = 1693526400, 1694736000
    observed = [f["properties"] for f in fc["features"] if f["properties"]["kind"] == "observed"]
    assert observed and all(t0 <= p["t0"] <= p["t1"] < t1 for p in observed)
    dark = [f["properties"] for f in fc["features"] if f["properties"]["kind"] == "dark"]
    assert all(p["t1"] > t0 and p["t0"] < t1 for p in dark)
    n = con.sql(f"SELECT count(*) FROM positions WHERE mmsi = {ANGARA} AND ts >= TIMESTAMPTZ '{start}' "
                f"AND ts < TIMESTAMPTZ '{end}'").fetchone()
    assert n is not None and fc["properties"]["positions"] == n[0]
    assert client.get(f"/api/vessels/{ANGARA}/track", params={"start": end, "end": start}).status_code == 400


def test_events_filters_and_paging(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    gaps, total = all_pages(client, "/api/events", 5, kind="gap", mmsi=ANGARA)
    expected = con.sql(f"SELECT count(*) FROM events WHERE kind = 'gap' AND (mmsi = {ANGARA} OR other_mmsi = {ANGARA})")
    assert total == len(gaps) == expected.fetchone()[0] > 0  # type: ignore[index]
    assert all(e["kind"] == "gap" and e["mmsi"] == ANGARA for e in gaps)
    g = gaps[0]
    assert {"id", "kind", "mmsi", "other_mmsi", "start", "end", "lon", "lat", "end_lon", "end_lat", "place",
            "attributes"} <= g.keys() and "duration_h" in g["attributes"]
    both = client.get("/api/events", params=[("kind", "gap"), ("kind", "port_visit"), ("mmsi", ANGARA),
                                              ("limit", 1000)]).json()
    assert {e["kind"] for e in both["items"]} == {"gap", "port_visit"}
    visits = [e for e in both["items"] if e["kind"] == "port_visit"]
    assert any(e["place"] == "Dunai port facility" for e in visits)
    window = client.get("/api/events", params={"start": "2023-09-01T00:00:00Z", "end": "2023-09-02T00:00:00Z",
                                               "limit": 1000}).json()
    assert window["items"] and all(e["end"] >= "2023-09-01T00:00:00Z" and e["start"] < "2023-09-02T00:00:00Z"
                                   for e in window["items"])
    every = client.get("/api/events", params={"limit": 1}).json()["total"]
    assert every == con.sql("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]


def test_detections(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    page = client.get("/api/detections", params={"limit": 1000}).json()
    expected = con.sql("SELECT count(DISTINCT detection_id) FROM sar_matches WHERE detection_id IS NOT NULL")
    assert page["total"] == len(page["items"]) == expected.fetchone()[0] > 0  # type: ignore[index]
    dark = [d for d in page["items"] if d["dark"]]
    matched = [d for d in page["items"] if d["match"]]
    assert dark and all(d["match"] is None for d in dark)
    assert any(d["candidate"] and d["candidate"]["name"] == "ANGARA" for d in dark)
    assert all(d["match"]["mmsi"] for d in matched)
    scene = dark[0]["scene_id"]
    one = client.get("/api/detections", params={"scene": scene}).json()
    assert one["items"] and all(d["scene_id"] == scene for d in one["items"])


def test_places(client: TestClient) -> None:
    items = client.get("/api/places").json()["items"]
    names = {p["name"]: p for p in items}
    assert {"Najin (Rajin) port", "Dunai port facility", "Tumangang rail facility", "Tikhoretsk depot"} <= set(names)
    najin = names["Najin (Rajin) port"]
    assert najin["kind"] == "port" and najin["radius_m"] > 0 and abs(najin["lon"] - 130.3) < 0.01


def test_basemap_is_land(client: TestClient) -> None:
    from shapely.geometry import Point, shape

    fc = client.get("/api/basemap", params={"bbox": "129.5,41.5,133.5,43.5"}).json()
    land = [shape(f["geometry"]) for f in fc["features"]]
    assert land
    on_land = Point(131.95, 43.40)  # north of Vladivostok, inland
    at_sea = Point(131.0, 42.0)  # the Sea of Japan
    assert any(g.contains(on_land) for g in land)
    assert not any(g.contains(at_sea) for g in land)
    assert fc["bbox"][0] <= 129.5 and fc["bbox"][2] >= 133.5
    for bad in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,0,200,1", "nan,0,1,1"):
        r = client.get("/api/basemap", params={"bbox": bad})
        assert r.status_code == 400 and "bbox" in r.json()["error"]["message"], bad


def test_cases_and_case_detail(client: TestClient, demo_lake: Path) -> None:
    cases = client.get("/api/cases").json()
    assert [c["name"] for c in cases["items"]] == ["reference"] and cases["total"] == 1
    case = client.get("/api/cases/reference").json()
    found = json.loads((demo_lake / "findings.json").read_text())
    assert [f["id"] for f in case["findings"]] == [f["id"] for f in found]
    trips = [f for f in case["findings"] if f["kind"] == "round_trips" and f["vessel"]["name"] == "ANGARA"]
    assert trips and trips[0]["evidence"] and trips[0]["confidence"]
    assert {"kind", "id", "time", "place", "summary", "source", "sha256"} <= trips[0]["evidence"][0].keys()
    assert {v["name"] for v in case["vessels"]} == {"ANGARA", "MARIA"}
    times = [t["time"] for t in case["timeline"]]
    assert times == sorted(times) and len(times) > 20
    assert any(t["kind"] == "ais_gap" and t["mmsi"] == ANGARA for t in case["timeline"])
    assert client.get("/api/cases/nope").status_code == 404


def test_evidence_chain(client: TestClient, demo_lake: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url

    items, total = all_pages(client, "/api/cases/reference/evidence", 50)
    assert total == len(items)
    keys = [(i["kind"], i["id"]) for i in items]
    assert len(set(keys)) == len(keys), "each piece of evidence once"
    times = [i["time"] for i in items if i["time"]]
    assert times == sorted(times, reverse=True), "newest first"
    store = CaseStore.open(store_url(demo_lake))
    sightings = {s.uid for s in store.sightings("reference")}
    counts = {c.uid for c in store.counts("reference")}
    assert sightings <= {i["id"] for i in items if i["kind"] == "sighting"}
    assert counts <= {i["id"] for i in items if i["kind"] == "count"}
    assert all(i["created_by"] == "darkfleet demo" for i in items if i["kind"] in ("sighting", "count"))
    assert any(i["kind"] == "ais_gap" for i in items)
    only = client.get("/api/cases/reference/evidence", params={"kind": "ais_gap", "limit": 1000}).json()
    assert only["items"] and {i["kind"] for i in only["items"]} == {"ais_gap"}


def test_sightings_and_counts_lists(client: TestClient, demo_lake: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url

    store = CaseStore.open(store_url(demo_lake))
    page = client.get("/api/sightings", params={"case": "reference", "limit": 1000}).json()
    assert page["total"] == len(store.sightings("reference")) == len(page["items"])
    counts = client.get("/api/counts", params={"case": "reference", "limit": 5}).json()
    assert counts["total"] == len(store.counts("reference")) and len(counts["items"]) == 5
    c = counts["items"][0]
    assert {"object_class", "count", "place", "observed_at", "image_id", "created_by"} <= c.keys()
    assert client.get("/api/sightings", params={"case": "nope"}).status_code == 404
