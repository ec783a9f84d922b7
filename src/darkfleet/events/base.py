"""Shared columnar helpers for the detectors: the prepared track table, runs and their aggregates.

A detector's input is a positions table (the lake's ``positions`` columns; ``source`` and
``line`` optional) sorted by (mmsi, ts). :func:`tracks_of` checks and sorts it once and holds the
flat NumPy arrays every kernel needs (track key, times, positions, the step from the previous row
of the same track, speeds), so that several detectors over one batch share that work. Everything
here works on all vessels at once: a vessel is a range of rows, a run a range inside it, and
aggregates over runs are ``ufunc.reduceat`` over those ranges — no loop per vessel or per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray

from darkfleet.events import kernels
from darkfleet.geo.units import haversine_m, m_per_s_to_knots
from darkfleet.tracks.clean import with_provenance

REQUIRED = ("mmsi", "ts", "lon", "lat")
# a track key is mmsi · SEGMENTS + segment (darkfleet.tracks.clean numbers segments per MMSI)
SEGMENTS = 4096

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _complete(positions: pl.DataFrame) -> pl.DataFrame:
    """Check columns and add missing provenance (``source``, ``line``) and ``sog_kn``."""
    missing = [c for c in REQUIRED if c not in positions.columns]
    if missing:
        raise ValueError(f"positions table lacks column(s) {missing}; has {positions.columns}")
    return with_provenance(positions)


def prepare(positions: pl.DataFrame) -> pl.DataFrame:
    """Check columns, add missing provenance, and sort by (track, ts) unless already sorted."""
    df = _complete(positions)
    if "_key" not in df.columns:
        if "segment" in df.columns:
            # a cleaned table (darkfleet.tracks.clean): each (mmsi, segment) is its own track
            df = df.with_columns(_key=pl.col("mmsi") * SEGMENTS + pl.col("segment").clip(0, SEGMENTS - 1)
                                 .cast(pl.Int64))
        else:
            df = df.with_columns(_key=pl.col("mmsi"))
    if df.height > 1 and not is_sorted(df["_key"].to_numpy(), df["ts"].dt.epoch("us").to_numpy()):
        df = df.sort(["_key", "ts"], maintain_order=True)
    return df


def is_sorted(key: IntArray, t: IntArray) -> bool:
    return bool(kernels.order_ties(key, t)[0])


def same_vessel_as_prev(mmsi: NDArray) -> BoolArray:
    out = np.zeros(len(mmsi), bool)
    out[1:] = mmsi[1:] == mmsi[:-1]
    return out


@dataclass(eq=False)
class Tracks:
    """A prepared positions table and its per-row arrays (see the module docstring).

    ``key`` is the track (the MMSI, or MMSI and segment in a cleaned table), ``vessel`` the MMSI;
    ``same`` whether the previous row is the same track's, ``dt_s`` the seconds since it (NaN at a
    track's first row). ``dist_m``/``speed_kn`` (implied) and ``sog_kn`` (reported, with fallbacks)
    are computed on first use."""

    df: pl.DataFrame
    key: IntArray
    vessel: IntArray
    t_us: IntArray
    lon: FloatArray
    lat: FloatArray
    same: BoolArray
    dt_s: FloatArray
    _cache: dict[str, NDArray] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.key)

    @property
    def t_s(self) -> FloatArray:
        if "t_s" not in self._cache:
            self._cache["t_s"] = self.t_us / 1e6
        return self._cache["t_s"]

    @property
    def dist_m(self) -> FloatArray:
        if "dist_m" not in self._cache:
            d = np.full(self.n, np.nan)
            if self.n > 1:
                d[1:] = haversine_m(self.lon[:-1], self.lat[:-1], self.lon[1:], self.lat[1:])
            d[~self.same] = np.nan
            self._cache["dist_m"] = d
        return self._cache["dist_m"]

    @property
    def speed_kn(self) -> FloatArray:
        """Speed implied by the step from the previous fix (NaN at a track's first row)."""
        if "speed_kn" not in self._cache:
            d, dt = self.dist_m, self.dt_s
            with np.errstate(divide="ignore", invalid="ignore"):
                v = m_per_s_to_knots(np.where(dt > 0, d / dt, np.where(d > 0, np.inf, 0.0)))
            v[~self.same] = np.nan
            self._cache["speed_kn"] = v
        return self._cache["speed_kn"]

    @property
    def reported_kn(self) -> FloatArray:
        """Reported SOG (NaN where missing), rounded to 0.001 kn: SOG is stored as float32 (0.2 reads
        back as 0.2000000030), and thresholds must compare as written (AIS reports 0.1 kn steps)."""
        if "reported_kn" not in self._cache:
            sog = self.df["sog_kn"].to_numpy()  # nulls read as NaN
            self._cache["reported_kn"] = np.round(sog.astype(np.float64), 3)
        return self._cache["reported_kn"]

    @property
    def sog_kn(self) -> FloatArray:
        """Reported SOG where present; where it is missing, the track's previous reported SOG if at
        most 30 min old, else the speed implied by the previous fix (noisy over short steps: 20 m of
        GPS scatter in a minute reads as 0.6 kn, so it is only the last resort)."""
        if "sog_kn" not in self._cache:
            sog = self.reported_kn
            missing = np.isnan(sog)
            if missing.any():
                last = np.where(~missing | ~self.same, np.arange(self.n), 0)
                np.maximum.accumulate(last, out=last)  # the latest row with a SOG (or the track's first row)
                recent = ~missing[last] & (self.t_us - self.t_us[last] <= 1_800_000_000)
                implied = np.nan_to_num(self.speed_kn, nan=0.0, posinf=1e3)
                sog = np.where(missing, np.where(recent, sog[last], implied), sog)
            self._cache["sog_kn"] = sog
        return self._cache["sog_kn"]

    def first_rows(self) -> IntArray:
        """Index of each track's first row."""
        return np.flatnonzero(~self.same)

    def last_rows(self) -> IntArray:
        return np.r_[np.flatnonzero(~self.same)[1:] - 1, self.n - 1] if self.n else np.zeros(0, np.int64)

    def refs(self, rows: IntArray) -> pl.Series:
        """``<source>:<line>`` of the given rows."""
        idx = pl.Series(rows, dtype=pl.UInt32) if len(rows) else pl.Series([], dtype=pl.UInt32)
        picked = self.df.select("source", "line").gather(idx)
        return picked.select(pl.concat_str([pl.col("source"), pl.col("line").cast(pl.String)], separator=":")
                             .alias("ref")).to_series()

    def ref_pairs(self, a: IntArray, b: IntArray) -> pl.Series:
        """``[<source>:<line> of a, of b]`` per event (its first and last rows)."""
        both = np.empty(2 * len(a), np.int64)
        both[0::2], both[1::2] = a, b
        # one look-up, cut into pairs (a third of the time of joining two lists)
        return self.refs(both).reshape((len(a), 2)).arr.to_list().alias("source_rows")


def tracks_of(positions: pl.DataFrame | Tracks) -> Tracks:
    """The prepared table (see :class:`Tracks`); a ``Tracks`` is returned as it is."""
    if isinstance(positions, Tracks):
        return positions
    df = _complete(positions)
    key, t_us = _key(df), df["ts"].dt.epoch("us").to_numpy()
    ordered, same, dt_s = kernels.track_steps(key, t_us)
    if not ordered:
        df = df.with_columns(_order=pl.Series(key)).sort("_order", "ts", maintain_order=True).drop("_order")
        key, t_us = _key(df), df["ts"].dt.epoch("us").to_numpy()
        _, same, dt_s = kernels.track_steps(key, t_us)
    return Tracks(df, key, df["mmsi"].to_numpy(), t_us, df["lon"].to_numpy(), df["lat"].to_numpy(), same, dt_s)


def _key(df: pl.DataFrame) -> IntArray:
    """The track key: the MMSI, or in a cleaned table MMSI · SEGMENTS + segment."""
    m = df["mmsi"].to_numpy()
    if "segment" not in df.columns:
        return m
    return m * SEGMENTS + np.clip(df["segment"].fill_null(0).to_numpy().astype(np.int64), 0, SEGMENTS - 1)


# -- runs -------------------------------------------------------------------------------------

def run_ids(mmsi: IntArray, state: NDArray) -> IntArray:
    """Id of each run of consecutive rows of one vessel sharing ``state``."""
    new = np.ones(len(mmsi), bool)
    if len(mmsi) > 1:
        new[1:] = (mmsi[1:] != mmsi[:-1]) | (state[1:] != state[:-1])
    return np.cumsum(new) - 1


def runs_of(same: BoolArray, on: BoolArray) -> tuple[IntArray, IntArray]:
    """First and last row of every run of consecutive ``on`` rows within one track (``same``: the
    previous row is the same track's)."""
    n = len(on)
    prev_on = np.zeros(n, bool)
    next_on = np.zeros(n, bool)
    if n > 1:
        prev_on[1:] = on[:-1] & same[1:]
        next_on[:-1] = on[1:] & same[1:]
    return np.flatnonzero(on & ~prev_on), np.flatnonzero(on & ~next_on)


def reduce_runs(ufunc: np.ufunc, values: NDArray, starts: IntArray, ends: IntArray) -> NDArray:
    """``ufunc`` over ``values[start:end + 1]`` for each run (runs ordered and disjoint)."""
    if len(starts) == 0:
        return np.zeros(0, values.dtype)
    idx = np.empty(2 * len(starts), np.int64)
    idx[0::2] = starts
    idx[1::2] = ends + 1
    if idx[-1] >= len(values):
        idx = idx[:-1]  # the last run reaches the end: reduceat's last slice does too
    return ufunc.reduceat(values, idx)[0::2]  # type: ignore[no-any-return]


def run_rows(starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
    """The rows inside the runs, and the run each belongs to."""
    count = ends - starts + 1
    run = np.repeat(np.arange(len(starts)), count)
    rows = starts[run] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    return rows, run


def last_of_vessel(mmsi: NDArray) -> BoolArray:
    out = np.ones(len(mmsi), bool)
    if len(mmsi) > 1:
        out[:-1] = mmsi[:-1] != mmsi[1:]
    return out


def rows_within_before(mmsi: IntArray, t_s: FloatArray, window_s: float,
                       at: IntArray | None = None) -> IntArray:
    """For each row (or each row index in ``at``), how many rows of the same vessel lie in
    (t - window, t], itself included."""
    if len(mmsi) == 0:
        return np.zeros(0, np.int64)
    if at is not None and len(at) * 16 < len(mmsi):
        return _rows_within_before_at(mmsi, t_s, window_s, at)
    rank = np.cumsum(~same_vessel_as_prev(mmsi)).astype(np.int64)
    # Vessels far apart on one sorted integer axis: rank · 2^40 ms (34 years) + ms since the first row.
    ms = np.round((t_s - t_s.min()) * 1000).astype(np.int64)
    key = (rank << 40) + ms
    rows = np.arange(len(key)) if at is None else at
    return rows - np.searchsorted(key, key[rows] - int(window_s * 1000), side="right") + 1


def _rows_within_before_at(mmsi: IntArray, t_s: FloatArray, window_s: float, at: IntArray) -> IntArray:
    """:func:`rows_within_before` for a few rows: a binary search in each row's own vessel
    (the same millisecond times and comparison, computed for the probed rows only)."""
    t0 = t_s.min()
    w = int(window_s * 1000)

    def ms(i: IntArray) -> IntArray:
        return np.round((t_s[i] - t0) * 1000).astype(np.int64)

    first = np.flatnonzero(~same_vessel_as_prev(mmsi))
    lo = first[np.searchsorted(first, at, side="right") - 1]
    hi = np.asarray(at, np.int64).copy()
    target = ms(hi) - w  # the first row of the vessel later than this is the first counted
    while True:
        open_ = np.flatnonzero(lo < hi)
        if open_.size == 0:
            break
        mid = (lo[open_] + hi[open_]) // 2
        later = ms(mid) > target[open_]
        hi[open_[later]] = mid[later]
        lo[open_[~later]] = mid[~later] + 1
    return at - lo + 1


def open_run_since(tr: Tracks, starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
    """Per track: the vessel, and the time (µs) a later batch must replay from: the first row of
    the run (``starts``/``ends``: first and last rows of runs inside one track, ascending) that
    ends at the track's last row, else the last row (:func:`open_since_arrays` from the runs)."""
    end = tr.last_rows()
    since = tr.t_us[end].copy()
    if len(ends):
        at = np.minimum(np.searchsorted(ends, end), len(ends) - 1)
        open_ = ends[at] == end
        since[open_] = tr.t_us[starts[at[open_]]]
    return tr.vessel[end], since


def open_since(mmsi: IntArray, t_s: FloatArray, active: BoolArray,
               vessel: IntArray | None = None) -> pl.DataFrame:
    """Per vessel, the time from which a later batch must replay it: the start of the run of
    ``active`` rows that reaches the track's last row, else the last row's time (the earliest
    over a vessel's segments)."""
    who, since = open_since_arrays(mmsi, t_s, active, vessel)
    return pl.DataFrame({"mmsi": who, "since_s": since}).group_by("mmsi").agg(pl.col("since_s").min()).sort("mmsi")


def open_since_arrays(key: NDArray, t: NDArray, active: BoolArray,
                      vessel: NDArray | None = None) -> tuple[NDArray, NDArray]:
    """:func:`open_since` per track, as arrays (vessel of each track, since)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, t.dtype)
    first = ~same_vessel_as_prev(key)
    brk = first.copy()
    brk[1:] |= active[1:] != active[:-1]
    run_start = np.maximum.accumulate(np.where(brk, np.arange(n), 0))
    last = last_of_vessel(key)
    since = np.where(active[last], t[run_start[last]], t[last])
    return (vessel if vessel is not None else key)[last], since


def run_table(tr: Tracks, starts: IntArray, ends: IntArray,
              extra: dict[str, NDArray | pl.Series] | None = None) -> pl.DataFrame:
    """One row per run: mmsi, start/end times and positions, mean position, positions, row
    references of the first and last row, duration, and any ``extra`` per-run columns."""
    s_idx = pl.Series(starts, dtype=pl.UInt32)
    e_idx = pl.Series(ends, dtype=pl.UInt32)
    count = ends - starts + 1
    return pl.DataFrame({
        "mmsi": tr.vessel[starts], "start": tr.df["ts"].gather(s_idx), "end": tr.df["ts"].gather(e_idx),
        "lon": tr.lon[starts], "lat": tr.lat[starts], "end_lon": tr.lon[ends], "end_lat": tr.lat[ends],
        "mean_lon": reduce_runs(np.add, tr.lon, starts, ends) / np.maximum(count, 1),
        "mean_lat": reduce_runs(np.add, tr.lat, starts, ends) / np.maximum(count, 1),
        "positions": count.astype(np.int64),
        "source_rows": tr.ref_pairs(starts, ends),
        "duration_h": (tr.t_us[ends] - tr.t_us[starts]) / 3.6e9,
        **(extra or {}),
    })
