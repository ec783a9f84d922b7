"""A small case for the report tests: a lake from a generated NOAA-format CSV, events, SAR
detections, a case store with places, sightings and counts, a tiny sanctions list and findings.

Everything here is generated test data. ANGARA and MARIA carry their real IMO numbers and the
public OFAC link (ANGARA → M LEASING LLC); their tracks, sightings and counts are invented.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from darkfleet.cases.store import CaseStore, store_url
from darkfleet.events.schema import EVENT_SCHEMA
from darkfleet.events.store import write_events
from darkfleet.imagery.lakeio import DETECTIONS
from darkfleet.lake.ingest import ingest
from darkfleet.lake.store import Lake

CASE = "orient-express"
T0 = datetime(2023, 8, 15, tzinfo=UTC)
ANGARA_MMSI, MARIA_MMSI = 273111110, 273222220
DUNAI = (132.355, 42.885)
NAJIN = (130.300, 42.233)
HEADER = ("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
          "Length,Width,Draft,Cargo,TransceiverClass")


def _leg(mmsi: int, name: str, imo: str, start: datetime, a: tuple[float, float], b: tuple[float, float],
         hours: float, heard_until: float) -> list[str]:
    """Positions every 10 min along a straight leg, heard only for the first ``heard_until`` share."""
    rows = []
    n = int(hours * 6)
    for i in range(int(n * heard_until) + 1):
        f = i / n
        lon, lat = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        ts = (start + timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        rows.append(f"{mmsi},{ts},{lat:.5f},{lon:.5f},10.5,245.0,245,{name},IMO{imo},UBRH7,70,0,120,18,6.5,70,A")
    return rows


def write_csv(path: Path) -> Path:
    rows = [HEADER]
    rows += _leg(ANGARA_MMSI, "ANGARA", "9179842", T0, DUNAI, NAJIN, 16, 0.35)
    rows += _leg(ANGARA_MMSI, "ANGARA", "9179842", T0 + timedelta(days=4), NAJIN, DUNAI, 16, 0.25)
    rows += _leg(MARIA_MMSI, "MARIA", "8517839", T0 + timedelta(days=1), DUNAI, (131.5, 42.4), 8, 1.0)
    path.write_text("\n".join(rows) + "\n")
    return path


def write_lake_events(lake: Lake) -> None:
    rows = [
        dict(id="gap0000000000001", kind="gap", mmsi=ANGARA_MMSI, start=T0 + timedelta(hours=5.5),
             end=T0 + timedelta(days=4), lon=131.64, lat=42.66, end_lon=130.30, end_lat=42.233),
        dict(id="visit00000000001", kind="port_visit", mmsi=ANGARA_MMSI, start=T0 + timedelta(days=2),
             end=T0 + timedelta(days=3, hours=20), lon=NAJIN[0], lat=NAJIN[1], end_lon=NAJIN[0], end_lat=NAJIN[1],
             place_id="case:Najin", attributes=json.dumps({"place_name": "Najin"})),
    ]
    base = dict(other_mmsi=None, place_id=None, attributes="{}", detector="test/1", params="{}", source_rows=[])
    write_events(lake, pl.DataFrame([{**base, **r} for r in rows], schema=EVENT_SCHEMA))


def write_detections(lake: Lake) -> None:
    acquired = T0 + timedelta(days=2, hours=21)
    rows = []
    for i, (lon, lat) in enumerate([(130.31, 42.24), (130.45, 42.30)]):
        rows.append({f.name: None for f in DETECTIONS} | dict(
            detection_id=f"det-{i}", scene_id="S1A_TEST_SCENE", source="abcdef0123456789", sha256="ab" * 32,
            source_path="S1A_TEST_SCENE.tif", band="VV", acquired_at=acquired, detector_version="cfar/1",
            params_json="{}", row=float(i), col=float(i), lon=lon, lat=lat, length_m=121.0))
    path = lake.root / "detections" / "day=2023-08-17" / "part-test.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=DETECTIONS), path)


def write_sanctions(lake: Lake, tmp: Path) -> None:
    from darkfleet.sanctions.service import load_into_lake

    entities = [
        {"id": "ofac-angara", "schema": "Vessel", "target": True,
         "properties": {"name": ["ANGARA"], "imoNumber": ["IMO9179842"], "flag": ["ru"], "topics": ["sanction"]}},
        {"id": "ofac-m-leasing", "schema": "Company", "target": True,
         "properties": {"name": ["M LEASING LLC"], "taxNumber": ["9701173086"], "topics": ["sanction"]}},
        {"id": "ofac-adler", "schema": "Vessel", "target": True,
         "properties": {"name": ["ADLER"], "imoNumber": ["IMO9179854"], "topics": ["sanction"]}},
        {"id": "link-angara", "schema": "UnknownLink",
         "properties": {"subject": ["ofac-angara"], "object": ["ofac-m-leasing"], "role": ["Linked To"]}},
        {"id": "link-adler", "schema": "UnknownLink",
         "properties": {"subject": ["ofac-adler"], "object": ["ofac-m-leasing"], "role": ["Linked To"]}},
    ]
    path = tmp / "test_sdn_2024-05-03.ftm.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in entities))
    load_into_lake(lake.root, [path], None, datetime(2024, 5, 3, tzinfo=UTC))


def write_case(lake: Lake) -> None:
    store = CaseStore.open(store_url(lake.root))
    store.create_case(CASE, "tester", "test fixture", title="The Orient Express (test case)",
                      description="Generated test data shaped like the public reference case.")
    store.upsert_place("Najin", "port", *NAJIN, "tester", "World Port Index", radius_m=2500, aliases=("Rajin",))
    store.upsert_place("Dunai", "military_port", *DUNAI, "tester", "test fixture", radius_m=2000)
    store.upsert_place("Tumangang", "rail_facility", 130.65, 42.42, "tester", "Beyond Parallel", radius_m=1000)
    store.upsert_place("Tikhoretsk depot", "depot", 40.13, 45.85, "tester", "RUSI", radius_m=3000)
    for day, place, name in ((2, "Najin", "ANGARA"), (5, "Dunai", "ANGARA"), (2, "Najin", "MARIA")):
        store.add_sighting("tester", "test imagery", T0 + timedelta(days=day, hours=2), case=CASE, place=place,
                           vessel_name=name, image_id=f"img-{place}-{day}", provider="test",
                           image_sha256=f"{day:02d}" * 32, confidence="highly likely")
    for day, place, n in ((1, "Najin", 120), (3, "Najin", 40), (4, "Dunai", 10), (6, "Dunai", 85)):
        store.add_count("tester", "test imagery", T0 + timedelta(days=day), "container", n, case=CASE, place=place,
                        size_class="20ft", colour="green", site="quay", image_id=f"img-count-{place}-{day}")
    for day, n in ((0, 18), (7, 73)):
        store.add_count("tester", "test imagery", T0 + timedelta(days=day), "railcar", n, case=CASE,
                        place="Tumangang", site="rail siding", image_id=f"img-rail-{day}")


def _ev(kind: str, id_: str, time: datetime, place: str, summary: str) -> dict[str, object]:
    return {"kind": kind, "id": id_, "source": f"{kind} source", "sha256": "cd" * 32,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "place": place, "summary": summary}


def findings() -> list[dict[str, object]]:
    angara = {"name": "ANGARA", "imo": "9179842", "mmsi": ANGARA_MMSI}
    common = {"params": {"min_gap_h": 12.0}, "version": "analysis/test"}
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return [
        {"id": "f-round-trips", "claim": "ANGARA made 1 round trip Dunai–Najin with AIS off on every leg.",
         "kind": "round_trips", "vessel": angara, "places": ["Dunai", "Najin"], "start": T0.strftime(iso),
         "end": (T0 + timedelta(days=5)).strftime(iso), "count": 1, "confidence": "highly likely",
         "evidence": [_ev("sighting", "sight-1", T0 + timedelta(days=2, hours=2), "Najin", "ANGARA seen at berth"),
                      _ev("port_visit", "visit00000000001", T0 + timedelta(days=2), "Najin", "AIS port visit"),
                      _ev("sar_match", "det-0", T0 + timedelta(days=2, hours=21), "Najin", "SAR detection, 121 m")],
         **common},
        {"id": "f-dark-leg", "claim": "ANGARA sailed Dunai to Najin with AIS off for 3.8 days.", "kind": "dark_leg",
         "vessel": angara, "places": ["Dunai", "Najin"], "start": (T0 + timedelta(hours=5.5)).strftime(iso),
         "end": (T0 + timedelta(days=2)).strftime(iso), "count": None, "confidence": "likely",
         "evidence": [_ev("gap", "gap0000000000001", T0 + timedelta(hours=5.5), "Dunai", "AIS gap of 90 h")],
         **common},
        {"id": "f-sanctions", "claim": "ANGARA is linked to M LEASING LLC, on the OFAC SDN list.",
         "kind": "sanctions_exposure", "vessel": {"name": "ANGARA", "imo": "9179842", "mmsi": None}, "places": [],
         "start": T0.strftime(iso), "end": (T0 + timedelta(days=5)).strftime(iso), "count": None,
         "confidence": "almost certainly", "evidence": [
             _ev("sanctions_list", "ofac-angara", datetime(2024, 5, 3, tzinfo=UTC), "", "SDN record")], **common},
        {"id": "f-cargo", "claim": "Containers left Najin and arrived at Dunai after ANGARA's call.",
         "kind": "cargo_flow", "vessel": None, "places": ["Najin", "Dunai", "Tikhoretsk depot"],
         "start": (T0 + timedelta(days=1)).strftime(iso), "end": (T0 + timedelta(days=6)).strftime(iso),
         "count": None, "confidence": "realistic possibility",
         "evidence": [_ev("count", "count-1", T0 + timedelta(days=1), "Najin", "120 × container 20ft green"),
                      _ev("count", "count-2", T0 + timedelta(days=6), "Dunai", "85 × container 20ft green")],
         **common},
        {"id": "f-rail", "claim": "Railcars at Tumangang rose from 18 to 73 <within a week> & more.",
         "kind": "site_activity", "vessel": None, "places": ["Tumangang"], "start": T0.strftime(iso),
         "end": (T0 + timedelta(days=7)).strftime(iso), "count": None, "confidence": "highly likely",
         "evidence": [_ev("count", "rail-0", T0, "Tumangang", "18 railcars"),
                      _ev("count", "rail-7", T0 + timedelta(days=7), "Tumangang", "73 railcars")], **common},
    ]


@pytest.fixture(scope="session")
def case_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(lake directory, findings file) of the test case."""
    tmp = tmp_path_factory.mktemp("report-case")
    lake = Lake.open(tmp / "lake")
    ingest(lake, [write_csv(tmp / "noaa_test.csv")])
    write_lake_events(lake)
    write_detections(lake)
    write_sanctions(lake, tmp)
    write_case(lake)
    path = tmp / "findings.json"
    path.write_text(json.dumps(findings(), indent=1))
    return lake.root, path


@pytest.fixture(scope="session")
def report_dir(case_lake: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    from darkfleet.report import write_report

    out = tmp_path_factory.mktemp("report-out")
    write_report(case_lake[0], CASE, out, case_lake[1])
    return out
