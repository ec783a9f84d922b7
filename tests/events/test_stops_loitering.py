import json

import numpy as np
import polars as pl
import pytest

from darkfleet.events.anchorages import AnchorageParams, infer_anchorages
from darkfleet.events.loitering import LoiteringParams, detect_loitering
from darkfleet.events.stops import StopParams, detect_stops
from darkfleet.geo.shore import ShoreDistance, synthetic_mask
from tests.events.factories import make_track, north_of


def _stay(mmsi: int, hours: float, lon: float = 130.0, lat: float = 42.0, sog: float = 0.0,
          spread_m: float = 20.0) -> pl.DataFrame:
    n = int(hours * 6) + 1
    rng = np.random.default_rng(mmsi)
    jitter = rng.normal(0, spread_m / 111_200, (2, n))
    before = make_track(mmsi, [-60, -30], lon, [north_of(lat, -20), north_of(lat, -10)], 12.0)
    stay = make_track(mmsi, np.arange(n) * 10.0, lon + jitter[0], lat + jitter[1], sog)
    return pl.concat([before, stay]).with_columns(line=pl.int_range(pl.len()) + mmsi * 1000)


def test_stop_duration_and_diameter() -> None:
    ev = detect_stops(_stay(1, 3.0), StopParams())
    assert ev.height == 1
    a = json.loads(ev["attributes"][0])
    assert a["duration_h"] == pytest.approx(3.0)
    assert a["diameter_m"] < 200
    assert detect_stops(_stay(2, 1.5), StopParams()).height == 0  # shorter than 2 h
    assert detect_stops(_stay(3, 3.0, spread_m=2000), StopParams()).height == 0  # wider than 1 km


def test_slow_drift_is_not_a_stop_but_loitering_far_offshore() -> None:
    drift = _stay(4, 6.0, sog=1.2)
    assert detect_stops(drift, StopParams()).height == 0
    land = np.zeros((100, 100), bool)
    land[:, :5] = True  # coast near 120.25 E
    shore = ShoreDistance.from_mask(synthetic_mask(land, 120.0, 37.0, 0.1))
    far = detect_loitering(_stay(4, 6.0, lon=128.0, lat=40.0, sog=1.2), LoiteringParams(), shore)
    assert far.height == 1 and json.loads(far["attributes"][0])["mean_shore_km"] > 37
    near = detect_loitering(_stay(4, 6.0, lon=120.6, lat=40.0, sog=1.2), LoiteringParams(), shore)
    assert near.height == 0  # ~20 km from shore: under 20 nm
    assert detect_loitering(_stay(5, 3.0, sog=1.2), LoiteringParams()).height == 0  # under 4 h


def test_inferred_anchorages() -> None:
    stays = [_stay(10 + k, 3.0, lon=130.0 + k * 0.001) for k in range(4)]  # four vessels within ~300 m
    stays.append(_stay(20, 3.0, lon=131.0))  # a lone stop elsewhere
    stops = detect_stops(pl.concat(stays), StopParams())
    assert stops.height == 5
    anch = infer_anchorages(stops, AnchorageParams())
    assert anch.height == 1
    row = anch.row(0, named=True)
    assert row["vessels"] == 4 and row["kind"] == "anchorage"
    assert row["lon"] == pytest.approx(130.0015, abs=1e-3) and row["radius_m"] < 300
