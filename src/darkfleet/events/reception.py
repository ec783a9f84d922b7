"""A reception map built from the AIS itself: how densely vessels are heard, per grid cell and period.

Two uses in :mod:`darkfleet.events.gaps`: GFW's offshore rule needs the positions a day in the
gap's 1° cell, and darkfleet's coastal rule needs to know whether a cell is one where vessels are
normally heard densely (terrestrial receivers in range), so that silence there is unlikely to be
coverage. Reception changes — a receiver fails, a provider drops a feed, traffic moves — so the
map is kept **per period** (``period``: ``day``, ``week`` — ISO weeks, from Monday 00:00 UTC — or
``month``) and a gap is judged by the map of the period it starts in.

The map is additive so engines can build it from any split of the data that keeps each vessel's
UTC day in one part (day partitions, vessel groups): :func:`reception_partials` gives per
(cell, day) counts of positions, vessels and time observed, and :func:`combine` sums them per
(cell, period). Time between fixes counts only between consecutive fixes of one vessel in the
same cell and the same UTC day, so every such split gives the same map. The partials are
computed over runs of consecutive rows of one vessel in one cell and day (a vessel stays in a cell
for many fixes), so the grouping works on runs, not rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events import kernels
from darkfleet.events.base import Tracks, reduce_runs, tracks_of

PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}


@dataclass(frozen=True)
class ReceptionParams:
    """``cell_deg``: the grid (1° is GFW's cell for its reception quality test).
    ``max_step_h``: steps longer than this between fixes are silence, not time observed.
    ``period``: the map's time step (GFW's reception maps are monthly)."""

    cell_deg: float = 1.0
    max_step_h: float = 2.0
    period: str = "month"

    def __post_init__(self) -> None:
        if not (0 < self.cell_deg <= 10) or self.max_step_h <= 0:
            raise ValueError("0 < cell_deg ≤ 10 and max_step_h > 0 required")
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {list(PERIODS)}, not {self.period!r}")


PARTIAL_SCHEMA = {"cx": pl.Int32, "cy": pl.Int32, "day": pl.Date, "vessels": pl.Int64,
                  "positions": pl.Int64, "observed_s": pl.Float64}
MAP_SCHEMA = {"cx": pl.Int32, "cy": pl.Int32, "period": pl.Date, "positions": pl.Int64, "observed_h": pl.Float64,
              "vessel_days": pl.Int64, "days": pl.Int64, "positions_per_day": pl.Float64,
              "positions_per_vessel_h": pl.Float64}


def cell_of(lon: pl.Expr, lat: pl.Expr, cell_deg: float) -> tuple[pl.Expr, pl.Expr]:
    return (lon / cell_deg).floor().cast(pl.Int32), (lat / cell_deg).floor().cast(pl.Int32)


def period_of(day: pl.Expr, period: str) -> pl.Expr:
    """The first day of the period a date falls in."""
    return day.dt.truncate(PERIODS[period])


def reception_partials(positions: pl.DataFrame | Tracks, params: ReceptionParams) -> pl.DataFrame:
    return reception_partials_many(positions, [params])[0]


def reception_partials_many(positions: pl.DataFrame | Tracks, grids: list[ReceptionParams],
                            counted: np.ndarray | None = None) -> list[pl.DataFrame]:
    """:func:`reception_partials` for several grids, sharing the per-row work. ``counted``: which
    rows to count (default all); an uncounted row is as if absent (the local engine's carried rows,
    counted with their own day)."""
    tr = tracks_of(positions)
    ok = np.ones(tr.n, bool) if counted is None else np.asarray(counted, bool)
    if not ok.any():
        return [pl.DataFrame(schema=PARTIAL_SCHEMA) for _ in grids]
    out: dict[int, pl.DataFrame] = {}
    runs: dict[float, _Runs] = {}
    for i in sorted(range(len(grids)), key=lambda i: grids[i].cell_deg):
        p = grids[i]
        finer = next((r for c, r in runs.items() if _nests(c, p.cell_deg) and r.max_step_h == p.max_step_h), None)
        r = _coarsen(finer, p.cell_deg) if finer is not None else _runs(tr, p, ok)
        runs.setdefault(p.cell_deg, r)
        out[i] = r.partials()
    return [out[i] for i in range(len(grids))]


def _nests(fine: float, coarse: float) -> bool:
    """Whether cells of ``coarse`` degrees are whole blocks of ``fine`` ones, with both divisions
    exact in floating point (powers of two): then floor(floor(x / fine) / m) = floor(x / coarse)."""
    m = coarse / fine
    return (fine < coarse and m == int(m) and np.log2(fine) == int(np.log2(fine))
            and np.log2(coarse) == int(np.log2(coarse)))


@dataclass(frozen=True, eq=False)
class _Runs:
    """Runs of consecutive fixes of one vessel in one cell and day."""

    cx: np.ndarray
    cy: np.ndarray
    day: np.ndarray
    mmsi: np.ndarray
    positions: np.ndarray
    observed_s: np.ndarray
    start_dt: np.ndarray  # seconds from the previous fix to the run's first (NaN: another vessel or day)
    cell_deg: float
    max_step_h: float

    def partials(self) -> pl.DataFrame:
        day = (self.day * kernels.US_PER_DAY).astype("datetime64[us]").astype("datetime64[D]")
        runs = pl.DataFrame({"cx": self.cx, "cy": self.cy, "day": day, "mmsi": self.mmsi,
                             "positions": self.positions, "observed_s": self.observed_s})
        return (runs.group_by("cx", "cy", "day").agg(pl.col("mmsi").n_unique().alias("vessels"),
                                                      pl.col("positions").sum(), pl.col("observed_s").sum())
                .select(list(PARTIAL_SCHEMA)).cast(PARTIAL_SCHEMA)  # type: ignore[arg-type]
                .sort("cx", "cy", "day"))


def _runs(tr: Tracks, params: ReceptionParams, counted: np.ndarray) -> _Runs:
    cx, cy, day, mmsi, positions, observed_s, start_dt = kernels.cell_runs(
        tr.key, tr.vessel, tr.t_us, tr.lon, tr.lat, counted, params.cell_deg, params.max_step_h * 3600)
    return _Runs(cx, cy, day, mmsi, positions, observed_s, start_dt, params.cell_deg, params.max_step_h)


def _coarsen(fine: _Runs, cell_deg: float) -> _Runs:
    """The runs of a coarser nested grid from a finer one's: consecutive fine runs of one vessel and
    day in the same coarse cell join, with the step between them observed too."""
    m = int(round(cell_deg / fine.cell_deg))
    cx, cy = np.floor_divide(fine.cx, m), np.floor_divide(fine.cy, m)
    new = np.isnan(fine.start_dt)
    new[1:] |= (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])
    new[0] = True
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, len(new) - 1]
    step = np.where(~new & (fine.start_dt >= 0) & (fine.start_dt <= fine.max_step_h * 3600), fine.start_dt, 0.0)
    return _Runs(cx[starts], cy[starts], fine.day[starts], fine.mmsi[starts],
                 reduce_runs(np.add, fine.positions, starts, ends),
                 reduce_runs(np.add, fine.observed_s + step, starts, ends), fine.start_dt[starts], cell_deg,
                 fine.max_step_h)


def combine(partials: pl.DataFrame, period: str = "month") -> pl.DataFrame:
    """Cells per period with ``positions``, ``vessel_days``, ``days`` (days of the period with any
    data, in any cell), ``positions_per_day`` (over those days) and ``positions_per_vessel_h``
    (fixes per hour of vessel presence in the cell)."""
    if partials.height == 0:
        return pl.DataFrame(schema=MAP_SCHEMA)
    parts = partials.with_columns(period=period_of(pl.col("day"), period))
    days = parts.select("period", "day").unique().group_by("period").agg(days=pl.len().cast(pl.Int64))
    return (parts.group_by("cx", "cy", "period")
            .agg(positions=pl.col("positions").sum(), observed_h=pl.col("observed_s").sum() / 3600,
                 vessel_days=pl.col("vessels").sum().cast(pl.Int64))
            .join(days, on="period")
            .with_columns(positions_per_day=pl.col("positions") / pl.col("days"),
                          positions_per_vessel_h=pl.col("positions") / pl.col("observed_h").clip(lower_bound=1.0))
            .select(list(MAP_SCHEMA)).sort("cx", "cy", "period"))


def reception_map(positions: pl.DataFrame | Tracks, params: ReceptionParams | None = None) -> pl.DataFrame:
    p = params or ReceptionParams()
    return combine(reception_partials(positions, p), p.period)
