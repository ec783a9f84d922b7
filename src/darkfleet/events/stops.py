"""Stops: a vessel staying within ``max_diameter_m`` for at least ``min_duration_h``, anywhere.

This is movingpandas' ``TrajectoryStopDetector`` definition (a stop is a part of the track that
stays within a circle of a given diameter for at least a given duration), computed in columns:
rows whose speed (reported SOG, else implied) is at most ``max_speed_kn`` form still runs; a run
is a stop if it lasts ``min_duration_h`` and its extent (bounding-box diagonal, an upper bound
of its diameter) is at most ``max_diameter_m``. ``max_speed_kn`` = 0.5 kn is GFW's
``stopped_end_speed_knots``; ``max_diameter_m`` = 1 km and ``min_duration_h`` = 2 h are
darkfleet's defaults (movingpandas has none; GFW counts an anchorage stop from a vessel still in a
~0.5 km S2 cell).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events.base import (
    Tracks,
    open_run_since,
    open_since_arrays,
    reduce_runs,
    run_table,
    runs_of,
    tracks_of,
)
from darkfleet.events.schema import empty_events, finish
from darkfleet.geo.units import M_PER_DEG_LAT

DETECTOR = "stops/1"


@dataclass(frozen=True)
class StopParams:
    max_diameter_m: float = 1000.0
    min_duration_h: float = 2.0
    max_speed_kn: float = 0.5  # GFW stopped_end_speed_knots

    def __post_init__(self) -> None:
        if self.max_diameter_m <= 0 or self.min_duration_h <= 0 or self.max_speed_kn < 0:
            raise ValueError("max_diameter_m > 0, min_duration_h > 0, max_speed_kn ≥ 0 required")


def detect_stops(positions: pl.DataFrame | Tracks, params: StopParams) -> pl.DataFrame:
    return stops_and_since(positions, params)[0]


def stops_and_since(positions: pl.DataFrame | Tracks,
                    params: StopParams) -> tuple[pl.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """The stops, and per track (vessel, time in µs) the time a later batch must replay from: the
    start of the still run reaching the track's last row, else its last row."""
    tr = tracks_of(positions)
    if tr.n == 0:
        return empty_events(), (tr.vessel[:0], tr.t_us[:0])
    starts, ends = runs_of(tr.same, tr.sog_kn <= params.max_speed_kn)
    since = open_run_since(tr, starts, ends)
    long = tr.t_us[ends] - tr.t_us[starts] >= params.min_duration_h * 3.6e9
    starts, ends = starts[long], ends[long]
    lat_span = reduce_runs(np.maximum, tr.lat, starts, ends) - reduce_runs(np.minimum, tr.lat, starts, ends)
    lon_span = reduce_runs(np.maximum, tr.lon, starts, ends) - reduce_runs(np.minimum, tr.lon, starts, ends)
    stops = run_table(tr, starts, ends)
    dy = lat_span * M_PER_DEG_LAT
    dx = lon_span * M_PER_DEG_LAT * np.cos(np.radians(stops["mean_lat"].to_numpy()))
    stops = stops.with_columns(diameter_m=pl.Series(np.sqrt(dy**2 + dx**2)))
    stops = stops.filter(pl.col("diameter_m") <= params.max_diameter_m)
    stops = stops.with_columns(pl.col("mean_lon").alias("lon"), pl.col("mean_lat").alias("lat"))
    return finish(stops, "stop", DETECTOR, params, ["duration_h", "diameter_m", "positions"]), since


def stops_open_since(positions: pl.DataFrame | Tracks, params: StopParams) -> tuple[np.ndarray, np.ndarray]:
    """Per track: the vessel, and the time (µs) a later batch must replay from."""
    tr = tracks_of(positions)
    return open_since_arrays(tr.key, tr.t_us, tr.sog_kn <= params.max_speed_kn, tr.vessel)
