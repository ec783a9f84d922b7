"""A reception map built from the AIS itself: how densely vessels are heard, per grid cell.

Two uses in :mod:`darkfleet.events.gaps`: GFW's offshore rule needs the positions a day in the
gap's 1° cell, and darkfleet's coastal rule needs to know whether a cell is one where vessels are
normally heard densely (terrestrial receivers in range), so that silence there is unlikely to be
coverage.

The map is additive so engines can build it from any split of the data (day partitions, vessel
groups): :func:`reception_partials` gives per (cell, day, mmsi) counts, and :func:`combine`
sums them. Time between fixes counts only between consecutive fixes of one vessel in the same
cell and the same UTC day, so every split gives the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events.base import prepare, same_vessel_as_prev


@dataclass(frozen=True)
class ReceptionParams:
    """``cell_deg``: the grid (1° is GFW's cell for its reception quality test).
    ``max_step_h``: steps longer than this between fixes are silence, not time observed."""

    cell_deg: float = 1.0
    max_step_h: float = 2.0

    def __post_init__(self) -> None:
        if not (0 < self.cell_deg <= 10) or self.max_step_h <= 0:
            raise ValueError("0 < cell_deg ≤ 10 and max_step_h > 0 required")


PARTIAL_SCHEMA = {"cx": pl.Int32, "cy": pl.Int32, "day": pl.Date, "mmsi": pl.Int64,
                  "positions": pl.Int64, "observed_s": pl.Float64}


def cell_of(lon: pl.Expr, lat: pl.Expr, cell_deg: float) -> tuple[pl.Expr, pl.Expr]:
    return (lon / cell_deg).floor().cast(pl.Int32), (lat / cell_deg).floor().cast(pl.Int32)


def reception_partials(positions: pl.DataFrame, params: ReceptionParams) -> pl.DataFrame:
    if positions.height == 0:
        return pl.DataFrame(schema=PARTIAL_SCHEMA)
    df = prepare(positions)
    cx, cy = cell_of(pl.col("lon"), pl.col("lat"), params.cell_deg)
    df = df.select("mmsi", "ts", cx.alias("cx"), cy.alias("cy"), pl.col("ts").dt.date().alias("day"))
    t = df["ts"].dt.epoch("us").to_numpy() / 1e6
    same = same_vessel_as_prev(df["mmsi"].to_numpy())
    same[1:] &= (df["cx"].to_numpy()[1:] == df["cx"].to_numpy()[:-1]) & (
        df["cy"].to_numpy()[1:] == df["cy"].to_numpy()[:-1]) & (
        df["day"].to_numpy()[1:] == df["day"].to_numpy()[:-1])
    dt = np.zeros(len(t))
    dt[1:] = np.diff(t)
    observed = np.where(same & (dt <= params.max_step_h * 3600), dt, 0.0)
    return (df.with_columns(observed_s=pl.Series(observed))
            .group_by("cx", "cy", "day", "mmsi")
            .agg(positions=pl.len().cast(pl.Int64), observed_s=pl.col("observed_s").sum())
            .select(list(PARTIAL_SCHEMA)).sort("cx", "cy", "day", "mmsi"))


def combine(partials: pl.DataFrame) -> pl.DataFrame:
    """Cells with ``positions``, ``vessel_days``, ``positions_per_day`` (over the days the input
    covers) and ``positions_per_vessel_h`` (fixes per hour of vessel presence in the cell)."""
    parts = partials.group_by("cx", "cy", "day", "mmsi").agg(pl.col("positions").sum(), pl.col("observed_s").sum())
    n_days = max(parts["day"].n_unique(), 1)
    return (parts.group_by("cx", "cy")
            .agg(positions=pl.col("positions").sum(), observed_h=pl.col("observed_s").sum() / 3600,
                 vessel_days=pl.len().cast(pl.Int64))
            .with_columns(positions_per_day=pl.col("positions") / n_days,
                          positions_per_vessel_h=pl.col("positions") / pl.col("observed_h").clip(lower_bound=1.0))
            .sort("cx", "cy"))


def reception_map(positions: pl.DataFrame, params: ReceptionParams | None = None) -> pl.DataFrame:
    return combine(reception_partials(positions, params or ReceptionParams()))
