import json

import numpy as np
import polars as pl

from darkfleet.events.spoofing import SpoofParams, detect_cloned_tracks, detect_spoofing
from darkfleet.geo.shore import synthetic_mask
from tests.events.factories import make_track


def _transit(mmsi: int, n: int = 40) -> pl.DataFrame:
    return make_track(mmsi, np.arange(n) * 5.0, 130.0 + np.arange(n) * 0.02, 40.0, 12.0)


def test_impossible_excursion() -> None:
    df = _transit(1)
    lat = df["lat"].to_numpy().copy()
    lat[10:14] += 3.0  # four fixes 330 km north
    ev = detect_spoofing(df.with_columns(lat=pl.Series(lat)), SpoofParams())
    assert ev.height == 1
    a = json.loads(ev["attributes"][0])
    assert a["reasons"] == ["impossible_jump"] and a["jump_positions"] == 4
    assert ev["start"][0] == df["ts"][10] and ev["end"][0] == df["ts"][13]


def test_a_real_track_is_not_spoofing() -> None:
    assert detect_spoofing(_transit(1), SpoofParams()).height == 0


def test_positions_on_land() -> None:
    land = np.zeros((100, 100), bool)
    land[50:, :] = True  # land north of 40.5 N
    mask = synthetic_mask(land, 129.5, 40.0, 0.01)
    df = make_track(2, [0, 10, 20, 30, 40], 130.0, [40.1, 40.9, 40.91, 40.92, 40.1], 0.0)
    ev = detect_spoofing(df, SpoofParams(), mask)
    assert ev.height == 1
    assert "on_land" in json.loads(ev["attributes"][0])["reasons"]


def test_cloned_track() -> None:
    a = _transit(1)
    ghost = a.with_columns(mmsi=pl.lit(9, pl.Int64), ts=pl.col("ts") + pl.duration(seconds=2), line=pl.col("line") + 7)
    other = make_track(3, np.arange(40) * 5.0, 131.0, 41.0, 0.0)
    ev = detect_cloned_tracks(pl.concat([a, ghost, other]), SpoofParams())
    assert ev.height == 1
    assert (ev["mmsi"][0], ev["other_mmsi"][0]) == (1, 9)
    assert json.loads(ev["attributes"][0])["shared_positions"] == 40
