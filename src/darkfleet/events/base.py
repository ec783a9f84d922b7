"""Shared columnar helpers for the detectors: ordering, per-vessel neighbours, run-length ids.

A detector's input is a positions table (the lake's ``positions`` columns; ``source`` and
``line`` optional) sorted by (mmsi, ts). Helpers here compute, over all vessels at once, the
previous/next row of the same vessel and run ids of consecutive rows sharing a state.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from darkfleet.geo.units import haversine_m, m_per_s_to_knots

REQUIRED = ("mmsi", "ts", "lon", "lat")


def prepare(positions: pl.DataFrame) -> pl.DataFrame:
    """Check columns, add missing provenance, and sort by (mmsi, ts) unless already sorted."""
    missing = [c for c in REQUIRED if c not in positions.columns]
    if missing:
        raise ValueError(f"positions table lacks column(s) {missing}; has {positions.columns}")
    df = positions
    if "source" not in df.columns:
        df = df.with_columns(source=pl.lit("mem"))
    if "line" not in df.columns:
        df = df.with_row_index("line").with_columns(pl.col("line").cast(pl.Int64))
    if "sog_kn" not in df.columns:
        df = df.with_columns(sog_kn=pl.lit(None, pl.Float32))
    if "segment" in df.columns:
        # a cleaned table (darkfleet.tracks.clean): each (mmsi, segment) is its own track
        df = df.with_columns(_key=pl.col("mmsi") * 64 + pl.col("segment").clip(0, 63).cast(pl.Int64))
        if df.height > 1 and not is_sorted(df, "_key"):
            df = df.sort(["_key", "ts"], maintain_order=True)
    elif df.height > 1 and not is_sorted(df):
        df = df.sort(["mmsi", "ts"], maintain_order=True)
    return df


def is_sorted(df: pl.DataFrame, key: str = "mmsi") -> bool:
    m = df[key].to_numpy()
    t = df["ts"].dt.epoch("us").to_numpy()
    dm = np.diff(m)
    return bool(np.all((dm > 0) | ((dm == 0) & (np.diff(t) >= 0))))


def same_vessel_as_prev(mmsi: NDArray[np.int64]) -> NDArray[np.bool_]:
    out = np.zeros(len(mmsi), bool)
    out[1:] = mmsi[1:] == mmsi[:-1]
    return out


class Steps(dict):  # type: ignore[type-arg]
    """Per-row step arrays; ``dist_m`` and ``speed_kn`` (great-circle work) are computed on first use."""

    def __missing__(self, key: str) -> NDArray:
        if key not in ("dist_m", "speed_kn"):
            raise KeyError(key)
        lon, lat, same, dt_s = self["lon"], self["lat"], self["same"], self["dt_s"]
        dist_m = np.full(len(lon), np.nan)
        if len(lon) > 1:
            dist_m[1:] = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        dist_m[~same] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = m_per_s_to_knots(np.where(dt_s > 0, dist_m / dt_s, np.where(dist_m > 0, np.inf, 0.0)))
        speed[~same] = np.nan
        self["dist_m"], self["speed_kn"] = dist_m, speed
        return self[key]


def step_arrays(df: pl.DataFrame) -> Steps:
    """Per row: seconds, metres and implied knots from the previous row of the same vessel (NaN at a
    vessel's first row), and whether the previous row is the same vessel's.

    ``mmsi`` is the track key (the MMSI, or MMSI and segment in a cleaned table) and ``vessel``
    the MMSI itself."""
    mmsi = df["_key" if "_key" in df.columns else "mmsi"].to_numpy()
    t_s = df["ts"].dt.epoch("us").to_numpy() / 1e6
    same = same_vessel_as_prev(mmsi)
    dt_s = np.full(len(df), np.nan)
    if len(df) > 1:
        dt_s[1:] = np.diff(t_s)
    dt_s[~same] = np.nan
    return Steps(mmsi=mmsi, vessel=df["mmsi"].to_numpy(), t_s=t_s, lon=df["lon"].to_numpy(),
                 lat=df["lat"].to_numpy(), same=same, dt_s=dt_s)


def run_ids(mmsi: NDArray[np.int64], state: NDArray) -> NDArray[np.int64]:
    """Id of each run of consecutive rows of one vessel sharing ``state``."""
    new = np.ones(len(mmsi), bool)
    if len(mmsi) > 1:
        new[1:] = (mmsi[1:] != mmsi[:-1]) | (state[1:] != state[:-1])
    return np.cumsum(new) - 1


def last_of_vessel(mmsi: NDArray[np.int64]) -> NDArray[np.bool_]:
    out = np.ones(len(mmsi), bool)
    if len(mmsi) > 1:
        out[:-1] = mmsi[:-1] != mmsi[1:]
    return out


def rows_within_before(mmsi: NDArray[np.int64], t_s: NDArray[np.float64], window_s: float,
                       at: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
    """For each row (or each row index in ``at``), how many rows of the same vessel lie in
    (t - window, t], itself included."""
    if len(mmsi) == 0:
        return np.zeros(0, np.int64)
    rank = np.cumsum(~same_vessel_as_prev(mmsi)).astype(np.int64)
    # Vessels far apart on one sorted integer axis: rank · 2^40 ms (34 years) + ms since the first row.
    ms = np.round((t_s - t_s.min()) * 1000).astype(np.int64)
    key = (rank << 40) + ms
    rows = np.arange(len(key)) if at is None else at
    return rows - np.searchsorted(key, key[rows] - int(window_s * 1000), side="right") + 1


def hysteresis(key: NDArray[np.int64], set_: NDArray[np.bool_], reset: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """A latch per vessel, vectorised: on where ``set_``, off where ``reset`` (reset wins), else
    the previous row's value; off at each vessel's first row unless set there.

    Forward fill of the last decisive row's value, restarted at each vessel boundary.
    """
    n = len(key)
    decisive = set_ | reset
    value = set_ & ~reset
    first = ~same_vessel_as_prev(key)
    idx = np.where(decisive | first, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)
    return np.where(decisive[idx], value[idx], False)


def open_since(mmsi: NDArray[np.int64], t_s: NDArray[np.float64], active: NDArray[np.bool_],
               vessel: NDArray[np.int64] | None = None) -> pl.DataFrame:
    """Per vessel, the time from which a later batch must replay it: the start of the run of
    ``active`` rows that reaches the track's last row, else the last row's time (the earliest
    over a vessel's segments)."""
    runs = run_ids(mmsi, active)
    last = last_of_vessel(mmsi)
    first_of_run = np.ones(len(mmsi), bool)
    first_of_run[1:] = runs[1:] != runs[:-1]
    run_start = t_s[np.maximum.accumulate(np.where(first_of_run, np.arange(len(mmsi)), 0))]
    since = np.where(active[last], run_start[last], t_s[last])
    who = (vessel if vessel is not None else mmsi)[last]
    return pl.DataFrame({"mmsi": who, "since_s": since}).group_by("mmsi").agg(pl.col("since_s").min()).sort("mmsi")


def run_table(df: pl.DataFrame, runs: NDArray[np.int64], keep: NDArray[np.bool_], s: dict[str, NDArray],
              extra: dict[str, pl.Expr] | None = None) -> pl.DataFrame:
    """Aggregate rows flagged ``keep`` by run id: mmsi, start/end times and positions, row
    references, duration, the sum of time steps inside the run, and any ``extra`` aggregates."""
    inner_dt = np.where(np.r_[False, runs[1:] == runs[:-1]], np.nan_to_num(s["dt_s"]), 0.0)
    rows = df.with_columns(_run=pl.Series(runs), _dt=pl.Series(inner_dt)).filter(pl.Series(keep))
    aggs = [
        pl.col("mmsi").first(), pl.col("ts").first().alias("start"), pl.col("ts").last().alias("end"),
        pl.col("lon").first(), pl.col("lat").first(),
        pl.col("lon").last().alias("end_lon"), pl.col("lat").last().alias("end_lat"),
        pl.col("lon").mean().alias("mean_lon"), pl.col("lat").mean().alias("mean_lat"),
        pl.len().alias("positions"),
        pl.col("source").first().alias("_s0"), pl.col("line").first().alias("_l0"),
        pl.col("source").last().alias("_s1"), pl.col("line").last().alias("_l1"),
        *[e.alias(k) for k, e in (extra or {}).items()],
    ]
    out = rows.group_by("_run", maintain_order=True).agg(aggs)
    # row references built for the runs only, not for every row
    refs = pl.concat_list(pl.concat_str([pl.col("_s0"), pl.col("_l0").cast(pl.String)], separator=":"),
                          pl.concat_str([pl.col("_s1"), pl.col("_l1").cast(pl.String)], separator=":"))
    return out.with_columns(source_rows=refs,
                            duration_h=(pl.col("end") - pl.col("start")).dt.total_seconds() / 3600
                            ).drop("_s0", "_l0", "_s1", "_l1")
