"""Voyage kernels on tiny hand-built observations: calls, legs, feasibility, AIS cover, round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from darkfleet.analysis.params import CallParams, LegParams
from darkfleet.analysis.voyages import (
    OBS_SCHEMA,
    calls,
    classify_legs,
    legs,
    required_speed_kn,
    round_trips,
    searoute_m,
)
from darkfleet.geo.units import M_PER_NM

T0 = datetime(2023, 8, 15, tzinfo=UTC)
PTS = {"A": (132.3375, 42.88028), "B": (130.3, 42.233333), "C": (131.883333, 43.116667)}


def make_obs(rows: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    """(vessel, place, start hours after T0, end hours after T0) → observations."""
    return pl.DataFrame([{"obs_id": f"o{i}", "kind": "sighting", "vessel": v, "place": p, "lon": PTS[p][0],
                          "lat": PTS[p][1], "start": T0 + timedelta(hours=s), "end": T0 + timedelta(hours=e)}
                         for i, (v, p, s, e) in enumerate(rows)], schema=OBS_SCHEMA)


def flat_route(distance_nm: float):  # noqa: ANN201
    return lambda *_: distance_nm * M_PER_NM


def test_required_speed_known_values() -> None:
    assert required_speed_kn(1852 * 120, 12.0) == pytest.approx(10.0)  # 120 nm in 12 h is 10 kn
    assert required_speed_kn(1000, 0.0) == float("inf")


def test_searoute_dunai_najin_distance() -> None:
    # Dunai (Wikipedia) to Najin (WPI) by sea: longer than the 94 nm great circle, well under 200 nm
    nm = searoute_m(*PTS["A"], *PTS["B"]) / M_PER_NM
    assert 100 < nm < 170


def test_calls_merge_same_place_and_split_on_place_change() -> None:
    obs = make_obs([("V", "A", 0, 10), ("V", "A", 20, 30), ("V", "B", 50, 60), ("V", "B", 400, 410)])
    c = calls(obs, CallParams(max_merge_gap_h=168))
    assert c["place"].to_list() == ["A", "B", "B"]  # B twice: 340 h of silence between them
    assert c["n_obs"].to_list() == [2, 1, 1]


@pytest.mark.parametrize(("hours", "feasible"), [(13.0, True), (8.0, False)])
def test_leg_feasibility(hours: float, feasible: bool) -> None:
    obs = make_obs([("V", "A", 0, 10), ("V", "B", 10 + hours, 30 + hours)])
    lg = legs(calls(obs, CallParams()), LegParams(max_speed_kn=16), flat_route(130.0), PTS)
    row = lg.row(0, named=True)
    assert row["sea_distance_nm"] == pytest.approx(130.0)
    assert row["required_speed_kn"] == pytest.approx(130.0 / hours)
    assert row["feasible"] is feasible and row["distance_by"] == "searoute"


def test_leg_ais_classes() -> None:
    obs = make_obs([("V", "A", 0, 10), ("V", "B", 30, 40), ("V", "A", 60, 70), ("V", "B", 90, 100)])
    lg = legs(calls(obs, CallParams()), LegParams(), flat_route(130.0), PTS)
    gaps = pl.DataFrame({"vessel": ["V", "V"], "gap_id": ["g1", "g2"],
                         "start": [T0 + timedelta(hours=10), T0 + timedelta(hours=70)],
                         "end": [T0 + timedelta(hours=60), T0 + timedelta(hours=80)], "likely_disabled": [True, False]})
    out = classify_legs(lg.with_columns(ais_positions=pl.Series([5, 5, 5])), gaps, LegParams())
    assert out["ais"].to_list() == ["dark", "dark", "partly_dark"]
    assert out["gap_ids"].to_list() == [["g1"], ["g1"], ["g2"]]
    silent = classify_legs(lg.with_columns(ais_positions=pl.Series([0, 0, 0])), gaps.head(0), LegParams())
    assert silent["ais"].to_list() == ["dark"] * 3
    covered = classify_legs(lg.with_columns(ais_positions=pl.Series([9, 9, 9])), gaps.head(0), LegParams())
    assert covered["ais"].to_list() == ["ais_covered"] * 3


def test_round_trips_need_both_ends_and_no_call_elsewhere() -> None:
    obs = make_obs([
        ("V", "A", 0, 10), ("V", "B", 30, 40), ("V", "A", 60, 70), ("V", "B", 90, 100), ("V", "A", 120, 130),
        ("W", "A", 0, 10), ("W", "C", 30, 40), ("W", "B", 60, 70), ("W", "A", 90, 100),  # via C: not a shuttle
        ("X", "B", 0, 10), ("X", "A", 30, 40),  # one way
    ])
    c = calls(obs, CallParams())
    trips = round_trips(c, "A", "B")
    assert trips.group_by("vessel").len().sort("vessel").rows() == [("V", 2)]
    assert trips["anchor"].unique().to_list() == ["A"]
    windowed = round_trips(c, "A", "B", (T0, T0 + timedelta(hours=80)))
    assert windowed.height == 1


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        LegParams(max_speed_kn=0)
    with pytest.raises(ValueError):
        CallParams(max_merge_gap_h=-1)
