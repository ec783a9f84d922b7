"""Hand-built tracks and detections for the AIS-at-time, assignment and dark-candidate kernels."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import shapely

from darkfleet.imagery.match.ais_at import KN_TO_M_S, M_PER_NM, haversine_m, positions_at
from darkfleet.imagery.match.assign import MatchParams, doppler_shift_m, match
from darkfleet.imagery.match.dark import DarkParams, dark_candidates

T = datetime(2023, 8, 20, 21, 0, tzinfo=UTC)
DEG_LAT_M = math.pi / 180 * 6_371_008.8  # 111.2 km


def make_track(mmsi, fixes):
    """fixes: (seconds from T, lon, lat, sog_kn, cog_deg)"""
    return pl.DataFrame(
        [(mmsi, T + timedelta(seconds=s), lo, la, sog, cog, None) for s, lo, la, sog, cog in fixes],
        schema={
            "mmsi": pl.Int64,
            "ts": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog_kn": pl.Float32,
            "cog_deg": pl.Float32,
            "heading_deg": pl.Int16,
        },
        orient="row",
    )


def test_units():
    assert pytest.approx(0.5144, abs=1e-4) == KN_TO_M_S
    assert M_PER_NM == 1852.0
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)  # a degree of latitude


def test_interpolation_and_dead_reckoning():
    tracks = pl.concat(
        [
            make_track(1, [(-60, 130.0, 42.0, 10, 0), (60, 130.0, 42.01, 10, 0)]),  # either side
            make_track(2, [(-300, 130.0, 42.0, 10, 0)]),  # 5 min before, 10 kn north
            make_track(3, [(120, 130.0, 42.0, 10, 90)]),  # 2 min after, 10 kn east: reckoned back
            make_track(4, [(-900, 130.0, 42.0, 10, 0)]),  # too old to carry at speed
            make_track(5, [(-1500, 130.0, 42.0, 0.1, 0)]),  # at anchor 25 min ago: kept
        ]
    )
    at = {r["mmsi"]: r for r in positions_at(tracks, T).iter_rows(named=True)}
    assert sorted(at) == [1, 2, 3, 5]
    assert at[1]["method"] == "interpolated" and at[1]["lat"] == pytest.approx(42.005)
    north = (at[2]["lat"] - 42.0) * DEG_LAT_M
    assert at[2]["method"] == "dead_reckoned" and north == pytest.approx(300 * 10 * KN_TO_M_S, rel=1e-3)
    east = (at[3]["lon"] - 130.0) * DEG_LAT_M * math.cos(math.radians(42.0))
    assert east == pytest.approx(-120 * 10 * KN_TO_M_S, rel=1e-3)
    assert at[2]["uncertainty_m"] == pytest.approx(30 + 0.1 * 300 * 10 * KN_TO_M_S)
    assert at[5]["fix_age_s"] == 1500
    with pytest.raises(ValueError, match="timezone"):
        positions_at(tracks, datetime(2023, 8, 20, 21, 0))  # noqa: DTZ001


def test_doppler_shift_known_value():
    # 10 kn straight away from the radar (ground range east, flight north) at 37° incidence
    e, n, along = doppler_shift_m(
        *[pl.Series([x]).to_numpy() for x in (10 * KN_TO_M_S, 0.0, 0.0, 90.0, 37.0)], MatchParams()
    )
    expected = -693_000 * math.tan(math.radians(37)) / 7590 * 10 * KN_TO_M_S  # −354 m
    assert along[0] == pytest.approx(expected) and n[0] == pytest.approx(expected)
    assert abs(e[0]) < 1e-9


def _dets(rows):
    return pl.DataFrame(rows, schema=["lon", "lat", "length_m", "heading_deg"], orient="row")


def _vessels(rows):
    df = pl.DataFrame(rows, schema=["mmsi", "lon", "lat", "length_m", "heading_deg"], orient="row")
    return df.with_columns(
        sog_kn=0.0, cog_deg=None, ve_m_s=0.0, vn_m_s=0.0, uncertainty_m=30.0, method=pl.lit("interpolated")
    ).cast({"cog_deg": pl.Float64})


def off(m_east, m_north, lat=42.0):
    return 130.0 + m_east / (DEG_LAT_M * math.cos(math.radians(lat))), lat + m_north / DEG_LAT_M


@pytest.mark.parametrize(
    ("case", "dets", "vessels", "pairs"),
    [
        # two ships 150 m apart, AIS of each nearer the other's detection: length decides
        (
            "length",
            [(*off(0, 0), 200, 0), (*off(150, 0), 60, 0)],
            [(1, *off(110, 0), 200, 0), (2, *off(40, 0), 60, 0)],
            {0: 1, 1: 2},
        ),
        # heading decides between two equal-length ships at equal distance
        (
            "heading",
            [(*off(0, 0), 100, 90), (*off(0, 400), 100, 0)],
            [(1, *off(0, 200), 100, 0), (2, *off(0, 200.1), 100, 90)],
            {0: 2, 1: 1},
        ),
        # beyond the 2 km gate: no match
        ("gate", [(*off(0, 0), 100, 0)], [(1, *off(2500, 0), 100, 0)], {}),
        # a detection and no AIS at all
        ("empty", [(*off(0, 0), 100, 0)], [], {}),
    ],
)
def test_assignment(case, dets, vessels, pairs):
    ves = _vessels(vessels) if vessels else _vessels([(0, 0.0, 0.0, 0, 0)]).clear()
    res = match(_dets(dets), ves, MatchParams(coregister=False))
    got = dict(zip(res.matches["det_index"].to_list(), res.matches["mmsi"].to_list(), strict=True))
    assert got == pairs, case
    assert res.dark.height == len(dets) - len(pairs)
    for expl in res.matches["explanation"].to_list():
        assert [f["feature"] for f in expl] == ["distance", "length", "heading"]


def test_undetected_only_inside_footprint_and_coregistration():
    # five ships all imaged 300 m east of their AIS (a scene offset) and one AIS vessel outside
    dets = _dets([(*off(300 + 2000 * k, 0), 100, 0) for k in range(5)])
    ves = _vessels([(k, *off(2000 * k, 0), 100, 0) for k in range(5)] + [(9, *off(0, 9000), 50, 0)])
    footprint = shapely.box(*off(-1000, -1000), *off(10_000, 1000))
    res = match(dets, ves, MatchParams(), footprint)
    assert res.matches.height == 5 and res.undetected.height == 0
    assert res.offset_east_m == pytest.approx(300, abs=1) and res.offset_pairs == 5
    assert res.matches["distance_m"].max() < 1.0
    res = match(dets.head(4), ves, MatchParams(), footprint)
    assert res.undetected["mmsi"].to_list() == [4]  # mmsi 9 is outside the footprint


def test_dark_candidates_rank_reachable_and_fitting():
    dark = pl.DataFrame(
        {"det_index": [0], "lon": [130.0], "lat": [42.0], "length_m": [120.0]},
        schema_overrides={"det_index": pl.UInt32},
    )
    nm = 1 / 60  # a nautical mile of latitude in degrees
    watch = pl.DataFrame(
        {
            "mmsi": [1, 2, 3, 4],
            "name": ["FITS", "TOO FAR", "TOO SHORT", "NO FIX"],
            "length_m": [118.0, 120.0, 80.0, 120.0],
            "max_speed_kn": [None, None, None, None],
            "last_ts": [T - timedelta(hours=10), T - timedelta(hours=10), T - timedelta(hours=10), None],
            "last_lon": [130.0, 130.0, 130.0, None],
            "last_lat": [42.0 - 100 * nm, 42.0 - 200 * nm, 42.0 - 100 * nm, None],
        },
        schema_overrides={"max_speed_kn": pl.Float64, "last_lon": pl.Float64, "last_lat": pl.Float64},
    )
    calls = []

    def route(lo1, la1, lo2, la2):  # a sea route 10 % longer than the great circle
        calls.append(1)
        return 1.1 * haversine_m(lo1, la1, lo2, la2)

    c = dark_candidates(dark, watch, T, DarkParams(), route)
    assert c["mmsi"].to_list() == [1, 3]  # 2 needs 22 kn > 16 kn; 4 has no fix
    first = c.row(0, named=True)
    assert first["rank"] == 1 and first["reachable"]
    assert first["route_distance_nm"] == pytest.approx(110, rel=1e-3)
    assert first["required_speed_kn"] == pytest.approx(11.0, rel=1e-3)
    assert any("needs 11.0 kn" in r for r in first["reasons"]) and calls


def test_searoute_distance_is_a_sea_route():
    from darkfleet.imagery.match.dark import searoute_distance_m

    najin, dunai = (130.35, 42.25), (132.43, 43.1)
    gc = haversine_m(*najin, *dunai)
    sea = searoute_distance_m(*najin, *dunai)
    assert gc < sea < 2 * gc  # around the coast, not across it
