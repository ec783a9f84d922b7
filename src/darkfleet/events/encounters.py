"""Encounters (ship-to-ship): two vessels within ``max_distance_m`` for ``min_duration_h``,
both slower than ``max_speed_kn``, at least ``min_port_distance_km`` from a port.

Global Fishing Watch's encounter event definition (GFW "Encounter events" documentation;
Miller et al. 2018, "Identifying global patterns of transshipment behavior", Frontiers in Marine
Science 5:240): within 500 m for at least 2 h, median speed below 2 knots, at least 10 km from a
coastal anchorage. Like GFW, positions are first interpolated onto a common time grid
(``grid_step_min`` = 10 min).

Three stages, each a kernel an engine can partition on its own key — never an all-pairs loop:

1. :func:`grid_positions` (per vessel): interpolate each vessel onto the time grid, between
   consecutive fixes at most ``max_interpolation_h`` apart, keeping points next to a slow fix.
2. :func:`close_pairs` (per time slot): bucket the grid points into space-time cells of
   ``max_distance_m`` and pair points in the same or neighbouring cells only.
3. :func:`encounters_from_pairs` (per pair): run-length the consecutive slots of each pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events.base import Tracks, tracks_of
from darkfleet.events.schema import empty_events, finish
from darkfleet.geo.places import near_places, nearest_place
from darkfleet.geo.units import M_PER_DEG_LAT, haversine_expr

DETECTOR = "encounters/1"

GRID_SCHEMA = {"mmsi": pl.Int64, "slot": pl.Int64, "lon": pl.Float64, "lat": pl.Float64,
               "sog_kn": pl.Float64, "ref": pl.String}
PAIR_SCHEMA = {"mmsi": pl.Int64, "other_mmsi": pl.Int64, "slot": pl.Int64, "lon": pl.Float64,
               "lat": pl.Float64, "distance_m": pl.Float64, "sog_kn": pl.Float64, "ref": pl.String,
               "other_ref": pl.String}


@dataclass(frozen=True)
class EncounterParams:
    max_distance_m: float = 500.0  # GFW
    min_duration_h: float = 2.0  # GFW
    max_speed_kn: float = 2.0  # GFW
    min_port_distance_km: float = 10.0  # GFW
    grid_step_min: int = 10  # GFW interpolation step
    max_interpolation_h: float = 4.0  # darkfleet: do not invent positions across longer silences

    def __post_init__(self) -> None:
        if self.max_distance_m <= 0 or self.min_duration_h <= 0 or self.grid_step_min <= 0:
            raise ValueError("max_distance_m, min_duration_h and grid_step_min must be > 0")


def grid_positions(positions: pl.DataFrame | Tracks, params: EncounterParams,
                   places: pl.DataFrame | None = None) -> pl.DataFrame:
    """Slow positions of every vessel at the grid times (slot · step) between its fixes, away from
    ports (points within ``min_port_distance_km`` of a place are dropped here, so vessels at
    berth never reach the pairing stage)."""
    tr = tracks_of(positions)
    if tr.n < 2:
        return pl.DataFrame(schema=GRID_SCHEMA)
    step_s = params.grid_step_min * 60
    t = tr.t_s
    sog = tr.sog_kn
    # segment i runs from row i to row i+1 of the same vessel; only those touching a slow fix matter
    slow_fix = sog < params.max_speed_kn
    seg = np.flatnonzero(tr.same[1:] & (tr.dt_s[1:] <= params.max_interpolation_h * 3600)
                         & (slow_fix[1:] | slow_fix[:-1]))
    a, b = seg, seg + 1
    k0 = np.ceil(t[a] / step_s).astype(np.int64)
    k1 = np.ceil(t[b] / step_s).astype(np.int64)  # slots in [t_a, t_b)
    n = np.maximum(k1 - k0, 0)
    rep = np.repeat(np.arange(len(seg)), n)
    slot = k0[rep] + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    ia, ib = a[rep], b[rep]
    dt = t[ib] - t[ia]
    f = np.where(dt > 0, (slot * step_s - t[ia]) / np.where(dt > 0, dt, 1), 0.0)
    lon = tr.lon[ia] + f * (tr.lon[ib] - tr.lon[ia])
    lat = tr.lat[ia] + f * (tr.lat[ib] - tr.lat[ia])
    v = sog[ia] + f * (sog[ib] - sog[ia])
    # A candidate if either bracketing fix is slow: sparse (satellite) reception must not cut the
    # slow-down and speed-up out of an encounter; the run's median speed is tested in stage 3.
    slow = np.minimum(sog[ia], sog[ib]) < params.max_speed_kn
    if places is not None and places.height:
        reach_m = params.min_port_distance_km * 1000
        near, port_m = near_places(places, lon, lat, reach_m)  # a grid look-up, exact within reach
        slow &= ~((near >= 0) & (port_m < reach_m))
    keep = np.flatnonzero(slow)
    return pl.DataFrame({"mmsi": tr.vessel[ia][keep], "slot": slot[keep], "lon": lon[keep], "lat": lat[keep],
                         "sog_kn": v[keep], "ref": tr.refs(ia[keep])}, schema=GRID_SCHEMA)


def close_pairs(grid: pl.DataFrame, params: EncounterParams) -> pl.DataFrame:
    """Pairs (mmsi < other_mmsi) of grid points in one slot within ``max_distance_m``."""
    if grid.height < 2:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    # Cells at least max_distance_m wide everywhere in the data: the longitude step is set by the
    # highest latitude present (a point's own cos(lat) would shift cells by more than one cell
    # between neighbours, 10⁷ m · Δcos). Pairs are then checked exactly, so the cell size only
    # changes the work, never the result. (Pairs across the antimeridian are not sought.)
    cell_m = params.max_distance_m
    top = min(float(grid["lat"].abs().max()), 85.0)  # type: ignore[arg-type]
    lat_step = cell_m / M_PER_DEG_LAT
    lon_step = lat_step / np.cos(np.radians(top))
    cy = np.floor(grid["lat"].to_numpy() / lat_step).astype(np.int64)
    cx = np.floor(grid["lon"].to_numpy() / lon_step).astype(np.int64)
    slot = grid["slot"].to_numpy()
    # one integer key per (slot, cell): 20 bits of column, 17 of row, the rest for the slot
    x0, y0, s0 = cx.min() - 1, cy.min() - 1, slot.min()
    if cx.max() - x0 + 1 >= 1 << 20 or cy.max() - y0 + 1 >= 1 << 17 or slot.max() - s0 >= 1 << 26:
        raise ValueError("encounter grid too wide for one pairing partition; partition it by time")
    key = ((slot - s0) << 37) | ((cy - y0) << 20) | (cx - x0)
    g = grid.with_columns(_key=pl.Series(key))
    # Each point meets the points of its own cell and of four of the eight neighbouring ones: every
    # pair of neighbouring cells once. (The same cell gives both orders: mmsi < other keeps one.)
    half = pl.DataFrame({"_d": [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1]})
    other = (g.join(half, how="cross")
             .select((pl.col("_key") + pl.col("_d")).alias("_key"), "_d", pl.col("mmsi").alias("o_mmsi"),
                     pl.col("lon").alias("o_lon"), pl.col("lat").alias("o_lat"), pl.col("sog_kn").alias("o_sog"),
                     pl.col("ref").alias("o_ref")))
    a_first = pl.col("mmsi") < pl.col("o_mmsi")

    def pick(mine: str, theirs: str) -> pl.Expr:  # the lower MMSI's value first
        return pl.when(a_first).then(pl.col(mine)).otherwise(pl.col(theirs))

    pairs = (g.join(other, on="_key")
             .filter((pl.col("mmsi") != pl.col("o_mmsi")) & ((pl.col("_d") != 0) | a_first))
             .with_columns(distance_m=haversine_expr(pl.col("lon"), pl.col("lat"), pl.col("o_lon"), pl.col("o_lat")))
             .filter(pl.col("distance_m") <= params.max_distance_m)
             .select(pick("mmsi", "o_mmsi").alias("mmsi"), pick("o_mmsi", "mmsi").alias("other_mmsi"), "slot",
                     ((pl.col("lon") + pl.col("o_lon")) / 2).alias("lon"),
                     ((pl.col("lat") + pl.col("o_lat")) / 2).alias("lat"), "distance_m",
                     pl.max_horizontal("sog_kn", "o_sog").alias("sog_kn"),
                     pick("ref", "o_ref").alias("ref"), pick("o_ref", "ref").alias("other_ref")))
    return pairs.select(list(PAIR_SCHEMA)).unique(["mmsi", "other_mmsi", "slot"], keep="first").sort(
        "mmsi", "other_mmsi", "slot")


def encounters_from_pairs(pairs: pl.DataFrame, params: EncounterParams, places: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive slots per pair, long enough and far enough from every port."""
    if pairs.height == 0:
        return empty_events()
    step_s = params.grid_step_min * 60
    p = pairs.sort("mmsi", "other_mmsi", "slot")
    brk = ((pl.col("mmsi") != pl.col("mmsi").shift(1)) | (pl.col("other_mmsi") != pl.col("other_mmsi").shift(1))
           | (pl.col("slot") - pl.col("slot").shift(1) != 1)).fill_null(True)
    runs = (p.with_columns(_run=brk.cum_sum())
            .group_by("_run", maintain_order=True)
            .agg(pl.col("mmsi").first(), pl.col("other_mmsi").first(),
                 pl.col("slot").first().alias("k0"), pl.col("slot").last().alias("k1"),
                 pl.col("lon").first(), pl.col("lat").first(),
                 pl.col("lon").last().alias("end_lon"), pl.col("lat").last().alias("end_lat"),
                 pl.col("lon").mean().alias("mean_lon"), pl.col("lat").mean().alias("mean_lat"),
                 pl.col("distance_m").median().alias("median_distance_m"),
                 pl.col("sog_kn").median().alias("median_sog_kn"),
                 pl.concat_list(pl.col("ref").first(), pl.col("other_ref").first(),
                                pl.col("ref").last(), pl.col("other_ref").last()).alias("source_rows"))
            .with_columns(duration_h=(pl.col("k1") - pl.col("k0")) * step_s / 3600)
            .filter((pl.col("duration_h") >= params.min_duration_h) & (pl.col("median_sog_kn") < params.max_speed_kn)))
    if runs.height == 0:
        return empty_events()
    _, dist_m = nearest_place(places, runs["mean_lon"].to_numpy(), runs["mean_lat"].to_numpy())  # for the record
    runs = runs.with_columns(port_distance_km=pl.Series(dist_m / 1000).replace(np.inf, None))
    runs = runs.with_columns(
        start=pl.from_epoch(pl.col("k0") * step_s, time_unit="s").dt.replace_time_zone("UTC"),
        end=pl.from_epoch(pl.col("k1") * step_s, time_unit="s").dt.replace_time_zone("UTC"),
    )
    attrs = ["duration_h", "median_distance_m", "median_sog_kn", "port_distance_km"]
    return finish(runs, "encounter", DETECTOR, params, attrs)


def detect_encounters(positions: pl.DataFrame | Tracks, params: EncounterParams, places: pl.DataFrame) -> pl.DataFrame:
    return encounters_from_pairs(close_pairs(grid_positions(positions, params, places), params), params, places)
