"""Cleaning a positions table: duplicates, positions on land, impossible jumps, shared MMSIs.

Nothing is dropped silently: :func:`clean` returns the kept rows (with a ``segment`` column)
and the removed rows with their ``reason``; kept + removed = input.

1. ``duplicate``: the same report (MMSI, time, position) heard by several receivers.
2. ``on_land``: on land even with ``land_tolerance_m`` of coastal tolerance (the land mask is
   about 1 km: berths read as land in it), away from known places (river ports).
3. Segmentation, for impossible jumps and for MMSIs shared by two transmitters at once (as
   GFW's segmenter does): each fix is linked to the most recent of the previous
   ``lookback_positions`` fixes it can be reached from — at ``max_speed_kn`` from the previous
   fix; from older ones (within ``max_link_h``) also at no more than ``reported_speed_factor``
   times the higher reported SOG plus a margin — with ``position_slack_m`` of position error.
   Connected fixes form segments (scipy's connected components: no per-row loop). A segment of
   fewer than ``min_segment_positions`` fixes beside a larger one of the same MMSI is an
   ``impossible_jump`` and removed; the others are kept, numbered per MMSI from 0 in order of
   their first fix, and detectors treat each (MMSI, segment) as its own track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from darkfleet.events.base import prepare
from darkfleet.events.spoofing import on_land
from darkfleet.geo.shore import LandMask
from darkfleet.geo.units import haversine_m, knots_to_m_per_s


@dataclass(frozen=True)
class CleanParams:
    max_speed_kn: float = 50.0
    land_tolerance_m: float = 3000.0
    land_port_exemption_km: float = 30.0  # river ports lie "inland" on a 1 km mask
    lookback_positions: int = 16
    position_slack_m: float = 500.0
    # a link across several fixes must also fit the speeds the vessel reported (GFW's segmenter
    # likewise checks implied against reported speed): at most factor · max(SOG) + margin
    reported_speed_factor: float = 1.5
    reported_speed_margin_kn: float = 3.0
    # links past the previous fix only within this time (the previous fix itself: any time)
    max_link_h: float = 3.0
    min_segment_positions: int = 10

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.lookback_positions < 1 or self.min_segment_positions < 1:
            raise ValueError("max_speed_kn > 0, lookback_positions ≥ 1, min_segment_positions ≥ 1 required")


@dataclass(frozen=True, eq=False)
class CleanResult:
    kept: pl.DataFrame
    removed: pl.DataFrame

    def counts(self) -> dict[str, int]:
        return dict(self.removed.group_by("reason").len().sort("reason").iter_rows())


def clean(positions: pl.DataFrame, params: CleanParams, land: LandMask | None = None,
          places: pl.DataFrame | None = None) -> CleanResult:
    df = prepare(positions).drop("segment", strict=False).drop("_key", strict=False)
    if df.height == 0:
        return CleanResult(df.with_columns(segment=pl.lit(0, pl.Int32)), df.with_columns(reason=pl.lit("")).clear())
    dup = df.select(pl.struct("mmsi", "ts", "lon", "lat").is_duplicated()
                    & (pl.int_range(pl.len()).over("mmsi", "ts", "lon", "lat") > 0)).to_series()
    reason = np.where(dup.to_numpy(), "duplicate", "")
    if land is not None:
        landed = on_land(df["lon"].to_numpy(), df["lat"].to_numpy(), land, params.land_tolerance_m, places,
                         params.land_port_exemption_km)
        reason = np.where((reason == "") & landed, "on_land", reason)
    df, removed = _split(df, reason)
    seg = segments(df, params)
    df = df.with_columns(_comp=pl.Series(seg))
    size = df.select(pl.len().over("_comp")).to_series()
    biggest = df.select(pl.len().over("_comp").max().over("mmsi")).to_series()
    outlier = ((size < params.min_segment_positions) & (biggest > size)).to_numpy()
    df, removed2 = _split(df, np.where(outlier, "impossible_jump", ""))
    df = df.with_columns(segment=(pl.col("_comp").rank("dense").over("mmsi") - 1).cast(pl.Int32)).drop("_comp")
    return CleanResult(df, pl.concat([removed, removed2.drop("_comp")], how="diagonal_relaxed"))


def segments(df: pl.DataFrame, params: CleanParams) -> np.ndarray:
    """Component label per row (labels increase with each component's first row)."""
    n = df.height
    if n == 0:
        return np.zeros(0, np.int64)
    m = df["mmsi"].to_numpy()
    t = df["ts"].dt.epoch("us").to_numpy() / 1e6
    lon, lat = df["lon"].to_numpy(), df["lat"].to_numpy()
    link = np.full(n, -1)
    sog = df["sog_kn"].cast(pl.Float64).fill_null(np.inf).fill_nan(np.inf).to_numpy()
    for k in range(params.lookback_positions, 0, -1):  # nearest plausible predecessor wins (k = 1 last)
        i = np.arange(k, n)
        j = i - k
        v_kn = np.minimum(params.max_speed_kn, params.reported_speed_factor * np.maximum(sog[i], sog[j])
                          + params.reported_speed_margin_kn)
        if k == 1:
            v_kn = np.full(len(i), params.max_speed_kn)
        reach_m = knots_to_m_per_s(v_kn) * (t[i] - t[j]) + params.position_slack_m
        ok = (m[i] == m[j]) & (haversine_m(lon[j], lat[j], lon[i], lat[i]) <= reach_m)
        if k > 1:
            ok &= t[i] - t[j] <= params.max_link_h * 3600
        link[i[ok]] = j[ok]
    src = np.flatnonzero(link >= 0)
    graph = coo_matrix((np.ones(len(src)), (src, link[src])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, n)
    np.minimum.at(first, labels, np.arange(n))
    return np.argsort(np.argsort(first))[labels]


def _split(df: pl.DataFrame, reason: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    r = pl.Series("reason", reason)
    return df.filter(r == ""), df.with_columns(r).filter(r != "")
