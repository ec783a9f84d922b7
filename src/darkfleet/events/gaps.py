"""AIS gaps ("going dark"): consecutive positions of a vessel more than ``min_gap_h`` apart.

Defaults follow Global Fishing Watch's published AIS-disabling definition (Welch et al. 2022,
"Hot spots of unseen fishing vessels", Science Advances 8(44); GFW "AIS gap events" data
documentation and the ``pipe-gaps`` repository): a gap is at least 12 h between positions, and
GFW flags it as a *likely intentional disabling* when

* it starts at least 50 nm from shore,
* the 1° cell where it starts has good reception (≥ 10 satellite positions a day; darkfleet
  cannot tell satellite from terrestrial in a plain positions table and counts all positions),
  in the month it starts (GFW's reception maps are monthly: ``gfw_period``),
* the vessel sent at least 14 positions in the 12 h before the gap (it was transmitting
  regularly).

That rule ignores coastal waters by construction, which is where sanctioned shuttle trade such as
Najin–Dunai runs. darkfleet adds a second reason, ``coastal_reception``: the gap starts in a
0.25° cell where vessels are normally heard densely **in the period the gap starts in** (ISO week
by default, ``coastal_period``): ≥ ``coastal_min_positions_per_vessel_h`` fixes per hour of
vessel presence, seen over ≥ ``coastal_min_vessel_days`` vessel-days of that period, from the
reception map built from the lake itself (:mod:`darkfleet.events.reception`) — and the vessel was
transmitting regularly before it, so the silence is unlikely to be lack of coverage. A corridor
heard densely one week and not the next (a receiver down, a feed lost) gives the reason only
in the dense week.

Two stages so engines can split the work: :func:`gap_candidates` per vessel (the gaps and what
the vessel's own track says), :func:`classify_gaps` once the reception map of all the data is
known (the reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from darkfleet.events.base import Tracks, rows_within_before, tracks_of
from darkfleet.events.reception import PERIODS, ReceptionParams, cell_of, period_of, reception_map
from darkfleet.events.schema import TS, empty_events, finish
from darkfleet.geo.shore import ShoreDistance
from darkfleet.geo.units import M_PER_NM, haversine_m, m_per_s_to_knots

DETECTOR = "gaps/2"


@dataclass(frozen=True)
class GapParams:
    min_gap_h: float = 12.0  # GFW
    offshore_min_shore_nm: float = 50.0  # GFW
    offshore_min_cell_positions_per_day: float = 10.0  # GFW (1° cell)
    min_positions_before: int = 14  # GFW
    before_window_h: float = 12.0  # GFW
    gfw_cell_deg: float = 1.0  # GFW
    gfw_period: str = "month"  # GFW: monthly reception maps
    coastal_cell_deg: float = 0.25  # darkfleet: about 25 km, the range of a coastal receiver
    coastal_period: str = "week"  # darkfleet: a receiver outage of days shows
    coastal_min_positions_per_vessel_h: float = 6.0  # darkfleet: one fix per 10 min, well above satellite rates
    coastal_min_vessel_days: int = 5  # darkfleet: dense reception seen repeatedly, not once

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0 or self.before_window_h <= 0 or self.min_positions_before < 0:
            raise ValueError("min_gap_h > 0, before_window_h > 0, min_positions_before ≥ 0 required")
        for name in ("gfw_period", "coastal_period"):
            if getattr(self, name) not in PERIODS:
                raise ValueError(f"{name} must be one of {list(PERIODS)}, not {getattr(self, name)!r}")

    def reception(self) -> tuple[ReceptionParams, ReceptionParams]:
        """The two maps' parameters (GFW's, the coastal rule's)."""
        return (ReceptionParams(self.gfw_cell_deg, period=self.gfw_period),
                ReceptionParams(self.coastal_cell_deg, period=self.coastal_period))


@dataclass(frozen=True, eq=False)
class ReceptionMaps:
    """The maps both rules need (built once over all the data and handed to :func:`classify_gaps`)."""

    gfw: pl.DataFrame
    coastal: pl.DataFrame

    @classmethod
    def from_positions(cls, positions: pl.DataFrame | Tracks, params: GapParams) -> ReceptionMaps:
        gfw, coastal = params.reception()
        return cls(reception_map(positions, gfw), reception_map(positions, coastal))


CANDIDATE_SCHEMA: dict[str, Any] = {
    "kind": pl.String, "mmsi": pl.Int64, "start": TS, "end": TS, "lon": pl.Float64, "lat": pl.Float64,
    "end_lon": pl.Float64, "end_lat": pl.Float64, "source_rows": pl.List(pl.String), "duration_h": pl.Float64,
    "distance_m": pl.Float64, "implied_speed_kn": pl.Float64, "start_shore_km": pl.Float64,
    "positions_before": pl.Int64,
}


EARLIER_SCHEMA: dict[str, Any] = {"key": pl.Int64, "t_us": pl.Int64}


def gap_candidates(positions: pl.DataFrame | Tracks, params: GapParams, shore: ShoreDistance | None = None,
                   earlier: pl.DataFrame | None = None) -> pl.DataFrame:
    """Stage 1 (per vessel): every gap, with what the vessel's own track says about it.

    ``earlier`` (``EARLIER_SCHEMA``: track key, time in µs): times of the tracks' fixes before
    these rows, counted in ``positions_before`` (a batched engine keeps them instead of the rows)."""
    tr = tracks_of(positions)
    if tr.n < 2:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    end = np.flatnonzero(tr.same & (tr.dt_s >= params.min_gap_h * 3600))
    if len(end) == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    start = end - 1
    before = rows_within_before(tr.key, tr.t_s, params.before_window_h * 3600, at=start)
    if earlier is not None and earlier.height:
        window_us = int(params.before_window_h * 3.6e9)
        extra = (pl.DataFrame({"key": tr.key[start], "t": tr.t_us[start]}).with_row_index("_g")
                 .join(earlier, on="key")
                 .filter((pl.col("t_us") > pl.col("t") - window_us) & (pl.col("t_us") <= pl.col("t")))
                 .group_by("_g").len())
        add = np.zeros(len(start), np.int64)
        add[extra["_g"].to_numpy()] = extra["len"].to_numpy()
        before = before + add
    lon, lat = tr.lon, tr.lat
    dist_m = haversine_m(lon[start], lat[start], lon[end], lat[end])
    dt_s = tr.dt_s[end]
    shore_km = shore.distance_km(lon[start], lat[start]) if shore is not None else np.full(len(start), np.nan)
    s_idx, e_idx = pl.Series(start, dtype=pl.UInt32), pl.Series(end, dtype=pl.UInt32)
    return pl.DataFrame({
        "kind": "gap", "mmsi": tr.vessel[start], "start": tr.df["ts"].gather(s_idx),
        "end": tr.df["ts"].gather(e_idx), "lon": lon[start], "lat": lat[start], "end_lon": lon[end],
        "end_lat": lat[end], "source_rows": tr.ref_pairs(start, end),
        "duration_h": dt_s / 3600, "distance_m": dist_m, "implied_speed_kn": m_per_s_to_knots(dist_m / dt_s),
        "start_shore_km": pl.Series(shore_km, dtype=pl.Float64).fill_nan(None), "positions_before": before,
    }).select(list(CANDIDATE_SCHEMA)).cast(CANDIDATE_SCHEMA)  # type: ignore[arg-type]


def classify_gaps(candidates: pl.DataFrame, reception: ReceptionMaps, params: GapParams) -> pl.DataFrame:
    """Stage 2: the ``likely_disabled`` reasons, from the reception maps of the gaps' periods."""
    if candidates.height == 0:
        return empty_events()
    day = pl.col("start").dt.date()
    gaps = _join_cell(candidates, reception.gfw, params.gfw_cell_deg, period_of(day, params.gfw_period),
                      {"positions_per_day": "gfw_cell_positions_per_day"})
    gaps = _join_cell(gaps, reception.coastal, params.coastal_cell_deg, period_of(day, params.coastal_period),
                      {"positions_per_vessel_h": "cell_positions_per_vessel_h", "vessel_days": "cell_vessel_days"})
    regular = pl.col("positions_before") >= params.min_positions_before
    offshore = (regular & (pl.col("start_shore_km") >= params.offshore_min_shore_nm * M_PER_NM / 1000)
                & (pl.col("gfw_cell_positions_per_day") >= params.offshore_min_cell_positions_per_day))
    coastal = (regular & (pl.col("cell_positions_per_vessel_h") >= params.coastal_min_positions_per_vessel_h)
               & (pl.col("cell_vessel_days") >= params.coastal_min_vessel_days))
    gaps = gaps.with_columns(
        reason=pl.when(offshore.fill_null(False)).then(pl.lit("offshore_gfw"))
        .when(coastal.fill_null(False)).then(pl.lit("coastal_reception")).otherwise(pl.lit(None, pl.String)),
        coastal_period_start=period_of(day, params.coastal_period).cast(pl.String),
    ).with_columns(likely_disabled=pl.col("reason").is_not_null())
    attrs = ["duration_h", "distance_m", "implied_speed_kn", "start_shore_km", "positions_before",
             "gfw_cell_positions_per_day", "cell_positions_per_vessel_h", "cell_vessel_days",
             "coastal_period_start", "likely_disabled", "reason"]
    return finish(gaps, "gap", DETECTOR, params, attrs)


def detect_gaps(positions: pl.DataFrame | Tracks, params: GapParams, reception: ReceptionMaps | None = None,
                shore: ShoreDistance | None = None) -> pl.DataFrame:
    """One event per gap. Without ``reception`` it is built from ``positions``; without ``shore``
    the distance from shore is unknown and GFW's offshore rule cannot fire."""
    tr = tracks_of(positions)
    candidates = gap_candidates(tr, params, shore)
    if candidates.height == 0:
        return empty_events()
    return classify_gaps(candidates, reception or ReceptionMaps.from_positions(tr, params), params)


def _join_cell(gaps: pl.DataFrame, cells: pl.DataFrame, cell_deg: float, period: pl.Expr,
               columns: dict[str, str]) -> pl.DataFrame:
    cx, cy = cell_of(pl.col("lon"), pl.col("lat"), cell_deg)
    keep = cells.select("cx", "cy", pl.col("period").alias("_period"),
                        *[pl.col(c).alias(name) for c, name in columns.items()])
    return (gaps.with_columns(cx=cx, cy=cy, _period=period)
            .join(keep, on=["cx", "cy", "_period"], how="left", maintain_order="left").drop("cx", "cy", "_period"))
