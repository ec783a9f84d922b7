"""Loitering: one vessel slower than ``max_speed_kn`` for ``min_duration_h``, far from shore.

Global Fishing Watch's loitering event definition (GFW "Loitering events" documentation,
carrier-vessel portal methods): speed below 2 knots for at least 4 hours, at least 20 nautical
miles from shore (GFW uses the average distance from shore over the event; so does darkfleet).
Without a shore-distance raster the distance test cannot be made and every slow run of the
duration counts (``mean_shore_km`` is then null).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events.base import Tracks, open_since_arrays, reduce_runs, run_rows, run_table, runs_of, tracks_of
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


def detect_loitering(positions: pl.DataFrame | Tracks, params: LoiteringParams,
                     shore: ShoreDistance | None = None) -> pl.DataFrame:
    tr = tracks_of(positions)
    if tr.n == 0:
        return empty_events()
    starts, ends = runs_of(tr.same, tr.sog_kn < params.max_speed_kn)
    long = tr.t_us[ends] - tr.t_us[starts] >= params.min_duration_h * 3.6e9
    starts, ends = starts[long], ends[long]
    count = ends - starts + 1
    rows, run = run_rows(starts, ends)
    if shore is not None:  # distances only for the rows of long slow runs
        mean_shore = np.bincount(run, shore.distance_km(tr.lon[rows], tr.lat[rows]), len(starts)) / count
    else:
        mean_shore = np.full(len(starts), np.nan)
    reported = tr.reported_kn
    heard = ~np.isnan(reported)
    n_sog = reduce_runs(np.add, heard.astype(np.int64), starts, ends)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sog = reduce_runs(np.add, np.where(heard, reported, 0.0), starts, ends) / n_sog
    runs = run_table(tr, starts, ends, {"mean_shore_km": pl.Series(mean_shore).fill_nan(None),
                                        "mean_sog_kn": pl.Series(mean_sog).fill_nan(None)})
    runs = runs.filter(pl.col("mean_shore_km").is_null()
                       | (pl.col("mean_shore_km") >= params.min_shore_nm * M_PER_NM / 1000))
    return finish(runs, "loitering", DETECTOR, params, ["duration_h", "mean_shore_km", "mean_sog_kn", "positions"])


def loitering_open_since(positions: pl.DataFrame | Tracks, params: LoiteringParams) -> tuple[np.ndarray, np.ndarray]:
    tr = tracks_of(positions)
    return open_since_arrays(tr.key, tr.t_us, tr.sog_kn < params.max_speed_kn, tr.vessel)
