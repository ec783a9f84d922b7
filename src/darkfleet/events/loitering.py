"""Loitering: one vessel slower than ``max_speed_kn`` for ``min_duration_h``, far from shore.

Global Fishing Watch's loitering event definition (GFW "Loitering events" documentation,
carrier-vessel portal methods): speed below 2 knots for at least 4 hours, at least 20 nautical
miles from shore (GFW uses the average distance from shore over the event; so does darkfleet).
Without a shore-distance raster the distance test cannot be made and every slow run of the
duration counts (``mean_shore_km`` is then null).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from darkfleet.events.base import open_since, prepare, run_ids, run_table, step_arrays
from darkfleet.events.port_visits import speed_kn
from darkfleet.events.schema import empty_events, finish
from darkfleet.geo.shore import ShoreDistance
from darkfleet.geo.units import M_PER_NM

DETECTOR = "loitering/1"


@dataclass(frozen=True)
class LoiteringParams:
    max_speed_kn: float = 2.0  # GFW
    min_duration_h: float = 4.0  # GFW
    min_shore_nm: float = 20.0  # GFW

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.min_duration_h <= 0 or self.min_shore_nm < 0:
            raise ValueError("max_speed_kn > 0, min_duration_h > 0, min_shore_nm ≥ 0 required")


def detect_loitering(positions: pl.DataFrame, params: LoiteringParams,
                     shore: ShoreDistance | None = None) -> pl.DataFrame:
    if positions.height == 0:
        return empty_events()
    df = prepare(positions)
    s = step_arrays(df)
    slow = speed_kn(df, s) < params.max_speed_kn
    shore_km = (pl.Series(shore.distance_km(s["lon"], s["lat"])) if shore is not None
                else pl.Series([None] * df.height, dtype=pl.Float64))
    df = df.with_columns(_shore_km=shore_km)
    runs = run_table(df, run_ids(s["mmsi"], slow), slow, s, {"mean_shore_km": pl.col("_shore_km").mean(),
                                                             "mean_sog_kn": pl.col("sog_kn").mean()})
    runs = runs.filter((pl.col("duration_h") >= params.min_duration_h)
                       & (pl.col("mean_shore_km").is_null()
                          | (pl.col("mean_shore_km") >= params.min_shore_nm * M_PER_NM / 1000)))
    return finish(runs, "loitering", DETECTOR, params, ["duration_h", "mean_shore_km", "mean_sog_kn", "positions"])


def loitering_open_since(positions: pl.DataFrame, params: LoiteringParams) -> pl.DataFrame:
    df = prepare(positions)
    s = step_arrays(df)
    return open_since(s["mmsi"], s["t_s"], speed_kn(df, s) < params.max_speed_kn, s["vessel"])
