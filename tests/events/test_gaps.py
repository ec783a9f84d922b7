import json

import numpy as np
import polars as pl
import pytest

from darkfleet.events.gaps import GapParams, ReceptionMaps, detect_gaps
from darkfleet.geo.shore import ShoreDistance, synthetic_mask
from tests.events.factories import make_track


def _attrs(ev: pl.DataFrame) -> list[dict]:
    return [json.loads(a) for a in ev["attributes"]]


def test_gap_found_with_fields() -> None:
    minutes = np.r_[np.arange(0, 600, 5), 600 + 14 * 60]  # every 5 min for 10 h, then 14 h of silence
    track = make_track(1, minutes, 130.0 + np.arange(len(minutes)) * 0.001, 40.0, 12.0)
    ev = detect_gaps(track, GapParams())
    assert ev.height == 1
    a = _attrs(ev)[0]
    assert a["duration_h"] == pytest.approx(14 + 5 / 60, abs=0.01)
    assert a["positions_before"] == 120  # 10 h at one fix per 5 min, all inside the 12 h window
    assert a["implied_speed_kn"] < 1
    assert ev["source_rows"][0].to_list() == ["test:100120", "test:100121"]  # the fixes either side


def test_short_silence_is_no_gap_and_vessels_are_separate() -> None:
    a = make_track(1, [0, 60, 11 * 60], 130.0, 40.0)
    b = make_track(2, [13 * 60, 14 * 60], 130.0, 40.0)  # vessel 1 ends, vessel 2 starts 2 h later
    assert detect_gaps(pl.concat([a, b]), GapParams()).height == 0


def _regular_then_gap(mmsi: int, lon: float) -> pl.DataFrame:
    minutes = np.r_[np.arange(0, 720, 5), 720 + 20 * 60]
    return make_track(mmsi, minutes, lon, 40.0, 10.0)


def test_gfw_offshore_rule_needs_shore_distance() -> None:
    land = np.zeros((200, 200), bool)
    land[:, :10] = True  # coast at 120.1 E; 130.x is hundreds of km offshore
    shore = ShoreDistance.from_mask(synthetic_mask(land, 120.0, 35.0, 0.05))
    track = _regular_then_gap(1, 128.0)
    no_shore = _attrs(detect_gaps(track, GapParams()))[0]
    assert no_shore["start_shore_km"] is None and no_shore["reason"] is None
    with_shore = _attrs(detect_gaps(track, GapParams(), shore=shore))[0]
    assert with_shore["start_shore_km"] > 50 * 1.852
    assert with_shore["reason"] == "offshore_gfw" and with_shore["likely_disabled"] is True


def test_coastal_reception_rule() -> None:
    # five other vessels heard every 2 min in the same 0.25° cell: dense terrestrial reception
    others = pl.concat([make_track(100 + k, np.arange(0, 600, 2), 128.01, 40.01) for k in range(5)])
    track = _regular_then_gap(1, 128.02)
    both = pl.concat([others, track])
    a = _attrs(detect_gaps(both, GapParams()))[0]
    assert a["reason"] == "coastal_reception"
    assert a["cell_vessel_days"] >= 5
    # the same gap where only this vessel is heard, sparsely: no reason to suspect disabling
    sparse = make_track(1, np.r_[np.arange(0, 720, 50), 720 + 20 * 60], 128.02, 40.0)
    assert _attrs(detect_gaps(sparse, GapParams(), ReceptionMaps.from_positions(sparse, GapParams())))[0][
        "likely_disabled"] is False


def test_nan_shore_never_counts_as_far() -> None:
    ev = detect_gaps(_regular_then_gap(1, 128.0), GapParams(offshore_min_shore_nm=0.0))
    assert _attrs(ev)[0]["reason"] != "offshore_gfw"
