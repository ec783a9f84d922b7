"""The coastal ``likely_disabled`` reason reads the reception map of the period the gap starts in.

A generated world (seed 11, 14 days) whose coastal receivers around Pusan go down for the second
ISO week (2023-08-07 to 08-13): there the traffic is heard by satellite only. A vessel goes
silent for 18 h in the densest coastal cell there, once in each week, transmitting regularly
before (every 2 min in the first week, every 15 min — satellite — in the second). The first
silence is suspicious, the second is what the outage explains; a map of the whole month would
call both suspicious.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
import pytest

from darkfleet.events.gaps import GapParams, ReceptionMaps, detect_gaps
from darkfleet.scenario import ScenarioParams, World, generate
from tests.events.factories import make_track

BOX = (128.6, 34.6, 129.8, 35.6)  # the approaches to Pusan and Ulsan
WEEK1, WEEK2 = date(2023, 7, 31), date(2023, 8, 7)
OUTAGE = ScenarioParams(seed=11, days=14.0, n_vessels=40, n_encounter_pairs=2, n_loiterers=2, n_gaps=2,
                        n_jump_spoofs=0, n_land_spoofs=0, n_clones=0, n_renames=0, n_reflags=0, n_bad_imo=0,
                        terrestrial_outages=((*BOX, 6.0, 13.0),))
MMSI = 273999999


@pytest.fixture(scope="module")
def world() -> World:
    return generate(OUTAGE)


def _cell(world: World) -> tuple[int, int]:
    """The coastal cell in the box with the most vessel-days of dense reception in week 1."""
    coastal = ReceptionMaps.from_positions(world.positions, GapParams()).coastal
    g = GapParams()
    x0, y0, x1, y1 = (int(np.floor(v / g.coastal_cell_deg)) for v in BOX)
    dense = coastal.filter(pl.col("period") == WEEK1, pl.col("cx").is_between(x0, x1), pl.col("cy").is_between(y0, y1),
                           pl.col("positions_per_vessel_h") >= g.coastal_min_positions_per_vessel_h,
                           pl.col("vessel_days") >= g.coastal_min_vessel_days)
    assert dense.height > 0, "the world must have a densely received coastal cell near Pusan in week 1"
    best = dense.sort("vessel_days", "cx", "cy", descending=[True, False, False]).row(0, named=True)
    return best["cx"], best["cy"]


def _silent_vessel(lon: float, lat: float) -> pl.DataFrame:
    day = datetime(2023, 8, 1, tzinfo=UTC)
    week1 = np.r_[np.arange(2 * 1440, 2 * 1440 + 720, 2), np.arange(3 * 1440 + 360, 3 * 1440 + 720, 2)]
    week2 = np.r_[np.arange(8 * 1440, 8 * 1440 + 720, 15), np.arange(9 * 1440 + 360, 9 * 1440 + 720, 15)]
    minutes = np.r_[week1, week2].astype(float)
    drift = np.sin(minutes / 90) * 0.002  # slow, inside the cell
    return make_track(MMSI, minutes, lon + drift, lat + drift, 0.4, t0=day)


def _gaps(world: World, params: GapParams) -> list[dict]:
    cx, cy = _cell(world)
    step = params.coastal_cell_deg
    vessel = _silent_vessel((cx + 0.5) * step, (cy + 0.5) * step)
    rows = pl.concat([world.positions.select(vessel.columns), vessel.cast(vessel.schema)])  # type: ignore[arg-type]
    ev = detect_gaps(rows, params, ReceptionMaps.from_positions(rows, params), world.shore)
    ev = ev.filter(pl.col("mmsi") == MMSI).sort("start")
    gaps = [json.loads(a) | {"start": s} for a, s in zip(ev["attributes"], ev["start"], strict=True)]
    return [g for g in gaps if 17 < g["duration_h"] < 19]  # the two silences, not the days between the weeks


def test_the_cell_is_dense_in_one_week_and_not_the_next(world: World) -> None:
    cx, cy = _cell(world)
    coastal = ReceptionMaps.from_positions(world.positions, GapParams()).coastal
    rate = dict(coastal.filter(pl.col("cx") == cx, pl.col("cy") == cy).select("period", "positions_per_vessel_h")
                .iter_rows())
    assert rate[WEEK1] >= 6 > rate[WEEK2]


def test_gap_judged_by_its_own_week(world: World) -> None:
    first, second = _gaps(world, GapParams())
    assert first["coastal_period_start"] == str(WEEK1) and second["coastal_period_start"] == str(WEEK2)
    assert first["positions_before"] >= 14 and second["positions_before"] >= 14  # regular before both
    assert first["reason"] == "coastal_reception" and first["likely_disabled"] is True
    assert second["reason"] is None and second["likely_disabled"] is False


def test_one_map_for_the_month_would_miss_the_outage(world: World) -> None:
    first, second = _gaps(world, GapParams(coastal_period="month"))
    assert first["reason"] == second["reason"] == "coastal_reception"
