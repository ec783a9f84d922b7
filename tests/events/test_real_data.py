"""Real AIS (the NOAA sample and the NMEA captures) through ingest, cleaning and every detector."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from darkfleet.engines.run import detect_lake
from darkfleet.lake.ingest import ingest
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake

NMEA_SUFFIXES = (".nmea", ".nm4", ".log", ".aivdm", ".txt", ".ais")


@pytest.fixture(scope="module")
def real_events(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, pl.DataFrame]:
    files = [shared_data / "ais/csv/noaa_marinecadastre_2023-01-01_sample.csv"]
    files += sorted(p for p in (shared_data / "ais/nmea").rglob("*") if p.is_file() and p.suffix in NMEA_SUFFIXES)
    lake = Lake.open(tmp_path_factory.mktemp("real"))
    ingest(lake, files)
    return lake, detect_lake(lake)


def test_pipeline_runs_and_events_are_plausible(real_events: tuple[Lake, pl.DataFrame]) -> None:
    lake, ev = real_events
    con = connect(lake)
    mmsis = {r[0] for r in con.sql("SELECT DISTINCT mmsi FROM positions UNION SELECT DISTINCT mmsi FROM statics")
             .fetchall()}
    assert ev.height > 0 and set(ev["mmsi"]) <= mmsis  # every event is about a vessel in the data
    assert ev["id"].n_unique() == ev.height
    assert ev.filter(pl.col("end") < pl.col("start")).height == 0
    visits = ev.filter(pl.col("kind") == "port_visit")
    assert visits.height > 0
    # the NOAA sample (rows of 2023-01-11, US waters) is one snapshot per vessel: no visit, gap or stop there
    noaa_day = ev.filter(pl.col("start").dt.date() == pl.date(2023, 1, 11), pl.col("kind") != "identity_change")
    assert noaa_day.height == 0
    # captures years apart never join into one call
    assert visits.filter((pl.col("end") - pl.col("start")) > pl.duration(days=7)).height == 0
    for a in visits["attributes"]:
        assert json.loads(a)["min_distance_km"] <= 3.0
    # snapshots a day apart in captures years apart are gaps, never "likely disabled" without a regular track
    gaps = ev.filter(pl.col("kind") == "gap")
    assert all(not json.loads(a)["likely_disabled"] for a in gaps["attributes"])


def test_no_spoofing_flagged_in_river_ports(real_events: tuple[Lake, pl.DataFrame]) -> None:
    _, ev = real_events
    assert ev.filter(pl.col("kind") == "spoofing").height == 0
