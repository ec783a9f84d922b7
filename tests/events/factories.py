"""Tiny hand-built tracks for detector tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from darkfleet.geo.places import PLACES
from darkfleet.geo.units import M_PER_DEG_LAT

T0 = datetime(2023, 8, 15, tzinfo=UTC)


def make_track(mmsi: int, minutes: Sequence[float], lon: Sequence[float] | float, lat: Sequence[float] | float,
               sog_kn: Sequence[float] | float | None = None, t0: datetime = T0) -> pl.DataFrame:
    n = len(minutes)
    return pl.DataFrame({
        "mmsi": [mmsi] * n,
        "ts": [t0 + timedelta(minutes=float(m)) for m in minutes],
        "lon": np.broadcast_to(np.asarray(lon, float), n).copy(),
        "lat": np.broadcast_to(np.asarray(lat, float), n).copy(),
        "sog_kn": (np.broadcast_to(np.asarray(sog_kn, np.float32), n).copy() if sog_kn is not None
                   else np.full(n, np.nan, np.float32)),
        "source": ["test"] * n,
        "line": np.arange(1, n + 1) + mmsi % 1000 * 100_000,
    }, schema_overrides={"ts": pl.Datetime("us", "UTC")}).with_columns(pl.col("sog_kn").fill_nan(None))


def north_of(lat: float, km: float) -> float:
    return lat + km * 1000 / M_PER_DEG_LAT


def places(*rows: tuple[str, float, float]) -> pl.DataFrame:
    return pl.DataFrame([{"place_id": pid, "name": pid.upper(), "kind": "port", "lon": lon, "lat": lat,
                          "radius_m": None, "source": "test"} for pid, lon, lat in rows], schema=PLACES)
