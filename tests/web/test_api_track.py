"""The track GeoJSON kernel on tiny hand-built tracks (no lake needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from darkfleet.web.track import MAX_PIECE_POINTS, DarkLeg, split_runs, track_geojson, vertex_count

T0 = datetime(2023, 8, 15, tzinfo=UTC)


def make_track(n: int, step_s: float = 60.0, wiggle_deg: float = 0.0, start_s: float = 0.0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` fixes ``step_s`` apart heading east along 42° N, with a sine wiggle in latitude."""
    t = T0.timestamp() + start_s + np.arange(n) * step_s
    lon = 130.0 + np.arange(n) * 0.001
    lat = 42.0 + wiggle_deg * np.sin(np.arange(n) / 7.0)
    return t, lon, lat


def coords(fc: dict) -> list[list[float]]:  # type: ignore[type-arg]
    return [c for f in fc["features"] for c in f["geometry"]["coordinates"]]


def leg(hours: float, start_h: float = 0.0, event_id: str = "g1") -> DarkLeg:
    start = T0 + timedelta(hours=start_h)
    return DarkLeg(event_id, start, start + timedelta(hours=hours), 130.0, 42.0, 131.0, 42.5, True, "coastal_reception")


def test_split_at_silences_longer_than_six_hours() -> None:
    t = np.array([0, 60, 120, 120 + 6 * 3600 + 1, 120 + 6 * 3600 + 61], dtype=float)
    runs = split_runs(t, np.zeros(5), np.zeros(5))
    assert [len(r) for r in runs] == [3, 2]
    assert split_runs(np.array([0.0, 6 * 3600.0]), np.zeros(2), np.zeros(2))[0].shape == (2, 3)  # exactly 6 h: one run


def test_straight_line_collapses_and_keeps_its_ends() -> None:
    t, lon, lat = make_track(500)
    fc = track_geojson(1, t, lon, lat, [], max_points=10)
    (f,) = fc["features"]
    assert f["geometry"]["coordinates"] == [[130.0, 42.0], [round(130.0 + 499 * 0.001, 5), 42.0]]
    assert f["properties"]["t0"] == int(t[0]) and f["properties"]["t1"] == int(t[-1])
    assert f["properties"]["start"] == "2023-08-15T00:00:00Z"


@pytest.mark.parametrize("budget", [10, 50, 150, 1000, 5000])
def test_budget_is_kept_and_pieces_are_short_and_connected(budget: int) -> None:
    t, lon, lat = make_track(3000, wiggle_deg=0.01)
    fc = track_geojson(7, t, lon, lat, [leg(20)], max_points=budget)
    assert len(coords(fc)) <= budget
    observed = [f for f in fc["features"] if f["properties"]["kind"] == "observed"]
    assert all(2 <= len(f["geometry"]["coordinates"]) <= MAX_PIECE_POINTS for f in observed)
    for a, b in zip(observed, observed[1:], strict=False):  # one run: each piece starts where the last ended
        assert a["geometry"]["coordinates"][-1] == b["geometry"]["coordinates"][0]
        assert a["properties"]["t1"] == b["properties"]["t0"]
    assert observed[0]["properties"]["t0"] == int(t[0]) and observed[-1]["properties"]["t1"] == int(t[-1])
    if budget >= 3002:
        assert fc["properties"]["tolerance_deg"] == 0.0
    elif budget >= 150:  # (a tiny budget can fall below the wiggle: Douglas-Peucker then keeps the ends alone)
        assert len(coords(fc)) >= budget * 0.5, "the budget is used, not wasted"


def test_dark_legs() -> None:
    t, lon, lat = make_track(100)
    fc = track_geojson(273990001, t, lon, lat, [leg(456.2, event_id="d06e")], max_points=2000)
    (dark,) = [f for f in fc["features"] if f["properties"]["kind"] == "dark"]
    p = dark["properties"]
    assert dark["geometry"]["coordinates"] == [[130.0, 42.0], [131.0, 42.5]]
    assert p["event_id"] == "d06e" and p["hours"] == 456.2 and p["likely_disabled"] is True
    assert p["t1"] - p["t0"] == int(456.2 * 3600)
    assert fc["bbox"] == [130.0, 42.0, 131.0, 42.5]


def test_more_gaps_than_the_budget_holds_keeps_the_longest() -> None:
    legs = [leg(10 + i, start_h=100 * i, event_id=f"g{i}") for i in range(20)]
    fc = track_geojson(1, *make_track(50), legs, max_points=10)
    assert len(coords(fc)) <= 10
    kept = sorted(f["properties"]["event_id"] for f in fc["features"] if f["properties"]["kind"] == "dark")
    assert kept == sorted(f"g{i}" for i in range(15, 20))


def test_lone_fixes_and_many_runs() -> None:
    # 30 runs of one fix each, 7 hours apart: each a zero-length piece; a budget of 20 keeps the 10 longest-lived
    t = T0.timestamp() + np.arange(30) * 7 * 3600.0
    fc = track_geojson(1, t, np.linspace(130, 131, 30), np.full(30, 42.0), [], max_points=1000)
    assert len(fc["features"]) == 30 and all(len(f["geometry"]["coordinates"]) == 2 for f in fc["features"])
    small = track_geojson(1, t, np.linspace(130, 131, 30), np.full(30, 42.0), [], max_points=20)
    assert len(coords(small)) <= 20


def test_empty_track() -> None:
    fc = track_geojson(1, np.array([]), np.array([]), np.array([]), [], max_points=100)
    assert fc["features"] == [] and fc["bbox"] is None


def test_vertex_count_matches_the_pieces() -> None:
    for n in (1, 2, 99, 100, 101, 198, 199, 1000):
        t, lon, lat = make_track(n, wiggle_deg=0.05)
        fc = track_geojson(1, t, lon, lat, [], max_points=100_000)
        assert len(coords(fc)) == vertex_count(split_runs(t, lon, lat)), n
