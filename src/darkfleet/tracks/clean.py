"""Cleaning a positions table: duplicates, positions on land, impossible jumps, shared MMSIs.

Nothing is dropped silently: :func:`clean` returns the kept rows (with a ``segment`` column), the
removed rows with their ``reason``, and the kept rows *re-assigned* to another segment than their
MMSI's first (reason ``reassigned``); kept + removed = input. Engines store removed and
re-assigned rows in the lake (``cleaned_out``, :mod:`darkfleet.events.store`).

1. ``duplicate``: the same report (MMSI, time, position) heard by several receivers.
2. ``on_land``: on land even with ``land_tolerance_m`` of coastal tolerance (the land mask is
   about 1 km: berths read as land in it), away from known places (river ports).
3. Segmentation, for impossible jumps and for MMSIs shared by two transmitters at once (as
   GFW's segmenter does): each fix is linked to the most recent of the previous
   ``lookback_positions`` fixes it can be reached from — at ``max_speed_kn`` from the previous
   fix; from older ones (within ``max_link_h``) also at no more than ``reported_speed_factor``
   times the higher reported SOG plus a margin — with ``position_slack_m`` of position error.
   A fix with no such predecessor starts a segment; every other fix joins its predecessor's.
   A fix's segment therefore depends only on the fixes before it, which is what lets an engine
   split the data by day and carry the last fixes over: the same segments come out however the
   data is split. A segment's id (``seg_id``) is its first fix's time in µs · 64 plus its rank
   among segments of that MMSI starting in the same microsecond.
4. A segment of fewer than ``min_segment_positions`` fixes beside a larger one of the same MMSI
   is an ``impossible_jump`` and removed; the others are kept, numbered per MMSI from 0 in order
   of their first fix, and detectors treat each (MMSI, segment) as its own track. Sizes are over
   all the data (:func:`segment_table`): an engine that sees the data in batches counts them
   first (:func:`segment_sizes` per batch, summed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from darkfleet.geo.places import nearest_place
from darkfleet.geo.shore import LandMask
from darkfleet.geo.units import haversine_m, knots_to_m_per_s

TS = pl.Datetime("us", "UTC")
OUT_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "ts": TS, "lon": pl.Float64, "lat": pl.Float64,
                              "reason": pl.String, "segment": pl.Int32, "source": pl.String, "line": pl.Int64}
SIZE_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "seg_id": pl.Int64, "positions": pl.Int64}
SEGMENT_SCHEMA: dict[str, Any] = {**SIZE_SCHEMA, "outlier": pl.Boolean, "segment": pl.Int32}
REASONS = ("duplicate", "on_land", "impossible_jump", "reassigned")


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
    kept: pl.DataFrame  # kept rows with ``segment`` (and ``_seg``, the segment id)
    removed: pl.DataFrame  # removed rows with ``reason``
    reassigned: pl.DataFrame  # kept rows in a segment > 0, ``reason`` = "reassigned"
    rows: pl.DataFrame  # every input row, sorted, with ``_seg`` (a land run's id for rows on land, null for duplicates)

    def counts(self) -> dict[str, int]:
        out = dict(self.removed.group_by("reason").len().iter_rows())
        if self.reassigned.height:
            out["reassigned"] = self.reassigned.height
        return dict(sorted(out.items()))

    def out_rows(self) -> pl.DataFrame:
        """Removed and re-assigned rows in ``OUT_SCHEMA`` (rows carried in from an earlier batch,
        ``_carried``, excluded: their batch reported them)."""
        parts = [self.removed.with_columns(segment=pl.lit(None, pl.Int32)), self.reassigned]
        out = pl.concat([p.filter(~pl.col("_carried")) if "_carried" in p.columns else p for p in parts],
                        how="diagonal_relaxed")
        return out.select(list(OUT_SCHEMA)).cast(OUT_SCHEMA)  # type: ignore[arg-type]


def on_land(lon: NDArray[np.float64], lat: NDArray[np.float64], land: LandMask | None, tolerance_m: float,
            places: pl.DataFrame | None, exemption_km: float) -> NDArray[np.bool_]:
    """Fixes on land beyond the tolerance and away from every known place."""
    if land is None or len(lon) == 0:
        return np.zeros(len(lon), bool)
    out = land.is_land(lon, lat, tolerance_m)
    if places is not None and places.height and out.any():
        idx = np.flatnonzero(out)
        _, d = nearest_place(places, lon[idx], lat[idx])
        out[idx[d <= exemption_km * 1000]] = False
    return out


def with_provenance(df: pl.DataFrame) -> pl.DataFrame:
    """Positions given without provenance (tests, in-memory tables) get ``source`` "mem", their row
    number as ``line``, and a null ``sog_kn`` when they have none."""
    if "source" not in df.columns:
        df = df.with_columns(source=pl.lit("mem"))
    if "line" not in df.columns:
        df = df.with_row_index("line").with_columns(pl.col("line").cast(pl.Int64))
    if "sog_kn" not in df.columns:
        df = df.with_columns(sog_kn=pl.lit(None, pl.Float32))
    return df


def _sorted_rows(positions: pl.DataFrame) -> pl.DataFrame:
    df = with_provenance(positions.drop("segment", "_key", strict=False))
    if "_seg" not in df.columns:
        df = df.with_columns(_seg=pl.lit(None, pl.Int64))
    m = df["mmsi"].to_numpy()
    t = df["ts"].dt.epoch("us").to_numpy()
    dm = np.diff(m)
    if df.height > 1 and not np.all((dm > 0) | ((dm == 0) & (np.diff(t) >= 0))):
        df = df.sort("mmsi", "ts", "source", "line")
    return df


def _duplicates(df: pl.DataFrame) -> NDArray[np.bool_]:
    """Later copies of a report (MMSI, time, position); only rows sharing (MMSI, time) are compared."""
    m = df["mmsi"].to_numpy()
    t = df["ts"].dt.epoch("us").to_numpy()
    tie = np.zeros(df.height, bool)
    if df.height > 1:
        tie[1:] = (m[1:] == m[:-1]) & (t[1:] == t[:-1])
    group = tie.copy()
    group[:-1] |= tie[1:]
    out = np.zeros(df.height, bool)
    rows = np.flatnonzero(group)
    if len(rows):
        sub = df.select("mmsi", "ts", "lon", "lat").gather(rows)
        later = sub.select(pl.int_range(pl.len()).over("mmsi", "ts", "lon", "lat") > 0).to_series().to_numpy()
        out[rows] = later
    return out


def segment_ids(positions: pl.DataFrame, params: CleanParams, land: LandMask | None = None,
                places: pl.DataFrame | None = None) -> tuple[pl.DataFrame, NDArray[np.str_]]:
    """The rows sorted by (mmsi, ts, source, line) with ``_seg`` (see the module docstring), and
    each row's removal reason before segment sizes are known (``duplicate``, ``on_land`` or "").

    Rows arriving with ``_seg`` set (carried from an earlier batch) keep it: they are not linked
    again (their own predecessors may not be in this batch), but later rows may link to them."""
    df = _sorted_rows(positions)
    n = df.height
    reason = np.where(_duplicates(df), "duplicate", "")
    if land is not None and n:
        landed = on_land(df["lon"].to_numpy(), df["lat"].to_numpy(), land, params.land_tolerance_m, places,
                         params.land_port_exemption_km)
        reason = np.where((reason == "") & landed, "on_land", reason)
    given = df["_seg"].fill_null(_NONE).to_numpy()
    seg = np.full(n, _NONE, np.int64)
    cand = np.flatnonzero(reason == "")
    if len(cand):
        seg[cand] = _link_ids(df, cand, np.where(given[cand] >= 0, given[cand], -1), params)
    on = np.flatnonzero(reason == "on_land")
    if len(on):
        seg[on] = _land_runs(df, reason, given)[on]
    return df.with_columns(_seg=pl.Series(seg).replace(_NONE, None)), reason


_NONE = np.iinfo(np.int64).min  # no segment (a duplicate)


def _land_runs(df: pl.DataFrame, reason: NDArray[np.str_], given: NDArray[np.int64]) -> NDArray[np.int64]:
    """Ids of runs of consecutive fixes on land (duplicates skipped): −1 − (first fix's µs · 64 +
    rank), negative so they never meet a segment id. Carried rows keep theirs."""
    nd = np.flatnonzero(reason != "duplicate")
    m = df["mmsi"].to_numpy()[nd]
    t_us = df["ts"].dt.epoch("us").to_numpy()[nd]
    land = reason[nd] == "on_land"
    g = given[nd]
    prev_land = np.zeros(len(nd), bool)
    prev_land[1:] = land[:-1] & (m[1:] == m[:-1])
    start = land & ~prev_land
    tie = np.zeros(len(nd), bool)
    tie[1:] = start[1:] & start[:-1] & (m[1:] == m[:-1]) & (t_us[1:] == t_us[:-1])
    rank = np.arange(len(nd)) - np.maximum.accumulate(np.where(~tie, np.arange(len(nd)), 0))
    defined = land & ((g < 0) & (g != _NONE) | start)
    ids = np.where((g < 0) & (g != _NONE), g, -1 - (t_us * 64 + np.minimum(rank, 63)))
    fill = np.maximum.accumulate(np.where(defined, np.arange(len(nd)), 0))
    out = np.full(len(reason), _NONE, np.int64)
    out[nd] = np.where(land, ids[fill], _NONE)
    return out


def _link_ids(df: pl.DataFrame, cand: NDArray[np.int64], given: NDArray[np.int64],
              params: CleanParams) -> NDArray[np.int64]:
    m = df["mmsi"].to_numpy()[cand]
    t_us = df["ts"].dt.epoch("us").to_numpy()[cand]
    t = t_us / 1e6
    lon, lat = df["lon"].to_numpy()[cand], df["lat"].to_numpy()[cand]
    sog = df["sog_kn"].cast(pl.Float64).fill_null(np.inf).fill_nan(np.inf).to_numpy()[cand]
    n = len(cand)
    link = np.full(n, -1)
    todo = np.flatnonzero(given < 0)  # rows to link: the nearest plausible predecessor wins
    for k in range(1, params.lookback_positions + 1):
        todo = todo[todo >= k]
        j = todo - k
        todo = todo[m[j] == m[todo]]  # sorted by MMSI: no predecessor of the same MMSI further back either
        if len(todo) == 0:
            break
        j = todo - k
        v_kn: NDArray[np.float64] | float = params.max_speed_kn
        if k > 1:
            v_kn = np.minimum(params.max_speed_kn, params.reported_speed_factor * np.maximum(sog[todo], sog[j])
                              + params.reported_speed_margin_kn)
        reach_m = knots_to_m_per_s(v_kn) * (t[todo] - t[j]) + params.position_slack_m
        ok = haversine_m(lon[j], lat[j], lon[todo], lat[todo]) <= reach_m
        if k > 1:
            ok &= t[todo] - t[j] <= params.max_link_h * 3600
        link[todo[ok]] = j[ok]
        todo = todo[~ok]
    # Blocks: rows linked to the row before them. Only block heads link elsewhere (or nowhere).
    head = (link != np.arange(n) - 1) | (link < 0)
    block = np.cumsum(head) - 1
    heads = np.flatnonzero(head)
    parent = np.where(link[heads] >= 0, block[np.maximum(link[heads], 0)], np.arange(len(heads)))
    while True:  # pointer jumping over blocks (few: one per segment start or long link)
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    root = heads[parent]  # root row of each block
    # ids of roots: carried ones keep theirs; new ones from their time and rank in the microsecond
    is_root = head & (link < 0)
    roots = np.flatnonzero(is_root)
    tie = np.zeros(len(roots), bool)
    tie[1:] = (m[roots][1:] == m[roots][:-1]) & (t_us[roots][1:] == t_us[roots][:-1])
    start = np.maximum.accumulate(np.where(~tie, np.arange(len(roots)), 0))
    rank = np.arange(len(roots)) - start
    ids = np.full(n, -1, np.int64)
    ids[roots] = np.where(given[roots] >= 0, given[roots], t_us[roots] * 64 + np.minimum(rank, 63))
    return ids[root[block]]


def segment_sizes(rows: pl.DataFrame) -> pl.DataFrame:
    """Fixes per (mmsi, seg_id) among ``rows`` (from :func:`segment_ids`; ``_carried`` rows skipped)."""
    r = rows.filter(pl.col("_seg") >= 0)
    if "_carried" in r.columns:
        r = r.filter(~pl.col("_carried"))
    return (r.group_by("mmsi", pl.col("_seg").alias("seg_id")).agg(positions=pl.len().cast(pl.Int64))
            .select(list(SIZE_SCHEMA)).cast(SIZE_SCHEMA))  # type: ignore[arg-type]


def segment_table(sizes: pl.DataFrame, params: CleanParams) -> pl.DataFrame:
    """Per segment of all the data: its size, whether it is an outlier, and its number in its MMSI."""
    s = sizes.group_by("mmsi", "seg_id").agg(pl.col("positions").sum())
    s = s.with_columns(outlier=(pl.col("positions") < params.min_segment_positions)
                       & (pl.col("positions").max().over("mmsi") > pl.col("positions")))
    return (s.sort("mmsi", "seg_id")
            .with_columns(segment=pl.when(~pl.col("outlier"))
                          .then((~pl.col("outlier")).cum_sum().over("mmsi") - 1).cast(pl.Int32))
            .select(list(SEGMENT_SCHEMA)).cast(SEGMENT_SCHEMA))  # type: ignore[arg-type]


def clean(positions: pl.DataFrame, params: CleanParams, land: LandMask | None = None,
          places: pl.DataFrame | None = None, segments: pl.DataFrame | None = None) -> CleanResult:
    """Clean ``positions`` (see the module docstring). ``segments``: :func:`segment_table` of all
    the data when ``positions`` is one batch of it (by default, of ``positions`` itself)."""
    rows, reason = segment_ids(positions, params, land, places)
    if segments is None:
        segments = segment_table(segment_sizes(rows.drop("_carried", strict=False)), params)
    seg = rows.select("mmsi", "_seg").join(
        segments.select("mmsi", pl.col("seg_id").alias("_seg"), "outlier", "segment"),
        on=["mmsi", "_seg"], how="left", maintain_order="left")
    outlier = (seg["outlier"].fill_null(False) & (seg["_seg"] >= 0).fill_null(False)).to_numpy()
    reason = np.where((reason == "") & outlier, "impossible_jump", reason)
    tagged = rows.with_columns(segment=seg["segment"], reason=pl.Series(reason))
    kept = tagged.filter(pl.col("reason") == "").drop("reason")
    removed = tagged.filter(pl.col("reason") != "").drop("segment")
    reassigned = kept.filter(pl.col("segment") > 0).with_columns(reason=pl.lit("reassigned"))
    return CleanResult(kept, removed, reassigned, rows)
