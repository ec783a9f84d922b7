"""AIS gaps ("going dark"): consecutive positions of a vessel more than ``min_gap_h`` apart.

Defaults follow Global Fishing Watch's published AIS-disabling definition (Welch et al. 2022,
"Hot spots of unseen fishing vessels", Science Advances 8(44); GFW "AIS gap events" data
documentation and the ``pipe-gaps`` repository): a gap is at least 12 h between positions, and
GFW flags it as a *likely intentional disabling* when

* it starts at least 50 nm from shore,
* the 1° cell where it starts has good reception (≥ 10 satellite positions a day; darkfleet
  cannot tell satellite from terrestrial in a plain positions table and counts all positions),
* the vessel sent at least 14 positions in the 12 h before the gap (it was transmitting
  regularly).

That rule ignores coastal waters by construction, which is where sanctioned shuttle trade such as
Najin–Dunai runs. darkfleet adds a second reason, ``coastal_reception``: the gap starts in a
cell where vessels are normally heard densely (≥ ``coastal_min_positions_per_vessel_h`` fixes per
hour of vessel presence, seen over ≥ ``coastal_min_vessel_days`` vessel-days, from the reception
map built from the lake itself, see :mod:`darkfleet.events.reception`), and the vessel was
transmitting regularly before it, so the silence is unlikely to be lack of coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from darkfleet.events.base import prepare, rows_within_before, step_arrays
from darkfleet.events.reception import ReceptionParams, cell_of, reception_map
from darkfleet.events.schema import empty_events, finish, row_ref
from darkfleet.geo.shore import ShoreDistance
from darkfleet.geo.units import M_PER_NM, haversine_m, m_per_s_to_knots

DETECTOR = "gaps/1"


@dataclass(frozen=True)
class GapParams:
    min_gap_h: float = 12.0  # GFW
    offshore_min_shore_nm: float = 50.0  # GFW
    offshore_min_cell_positions_per_day: float = 10.0  # GFW (1° cell)
    min_positions_before: int = 14  # GFW
    before_window_h: float = 12.0  # GFW
    gfw_cell_deg: float = 1.0  # GFW
    coastal_cell_deg: float = 0.25  # darkfleet: about 25 km, the range of a coastal receiver
    coastal_min_positions_per_vessel_h: float = 6.0  # darkfleet: one fix per 10 min, well above satellite rates
    coastal_min_vessel_days: int = 5  # darkfleet: dense reception seen repeatedly, not once

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0 or self.before_window_h <= 0 or self.min_positions_before < 0:
            raise ValueError("min_gap_h > 0, before_window_h > 0, min_positions_before ≥ 0 required")


@dataclass(frozen=True, eq=False)
class ReceptionMaps:
    """The maps both rules need (built once over all the data and handed to the kernel)."""

    gfw: pl.DataFrame
    coastal: pl.DataFrame

    @classmethod
    def from_positions(cls, positions: pl.DataFrame, params: GapParams) -> ReceptionMaps:
        return cls(reception_map(positions, ReceptionParams(params.gfw_cell_deg)),
                   reception_map(positions, ReceptionParams(params.coastal_cell_deg)))


def detect_gaps(positions: pl.DataFrame, params: GapParams, reception: ReceptionMaps | None = None,
                shore: ShoreDistance | None = None) -> pl.DataFrame:
    """One event per gap. Without ``reception`` it is built from ``positions``; without ``shore``
    the distance from shore is unknown and GFW's offshore rule cannot fire."""
    if positions.height < 2:
        return empty_events()
    df = prepare(positions)
    s = step_arrays(df)
    is_end = s["same"] & (s["dt_s"] >= params.min_gap_h * 3600)
    if not is_end.any():
        return empty_events()
    end = np.flatnonzero(is_end)
    start = end - 1
    if reception is None:
        reception = ReceptionMaps.from_positions(df, params)
    # everything below is computed for the gap rows only
    before = rows_within_before(s["mmsi"], s["t_s"], params.before_window_h * 3600, at=start)
    lon, lat = s["lon"], s["lat"]
    dist_m = haversine_m(lon[start], lat[start], lon[end], lat[end])
    dt_s = s["dt_s"][end]
    shore_km = shore.distance_km(lon[start], lat[start]) if shore is not None else np.full(len(start), np.nan)
    gaps = pl.DataFrame({
        "mmsi": s["vessel"][start], "start": df["ts"].gather(start), "end": df["ts"].gather(end),
        "lon": lon[start], "lat": lat[start], "end_lon": lon[end], "end_lat": lat[end],
        "duration_h": dt_s / 3600, "distance_m": dist_m, "implied_speed_kn": m_per_s_to_knots(dist_m / dt_s),
        "start_shore_km": pl.Series(shore_km, dtype=pl.Float64).fill_nan(None), "positions_before": before,
        "source": df["source"].gather(start), "line": df["line"].gather(start),
        "end_source": df["source"].gather(end), "end_line": df["line"].gather(end),
    }).with_columns(source_rows=pl.concat_list(
        row_ref(), pl.concat_str([pl.col("end_source"), pl.col("end_line").cast(pl.String)], separator=":")))
    gaps = _join_cell(gaps, reception.gfw, params.gfw_cell_deg, "gfw_cell_positions_per_day", "positions_per_day")
    gaps = _join_cell(gaps, reception.coastal, params.coastal_cell_deg, "cell_positions_per_vessel_h",
                      "positions_per_vessel_h", "cell_vessel_days", "vessel_days")
    regular = pl.col("positions_before") >= params.min_positions_before
    offshore = (regular & (pl.col("start_shore_km") >= params.offshore_min_shore_nm * M_PER_NM / 1000)
                & (pl.col("gfw_cell_positions_per_day") >= params.offshore_min_cell_positions_per_day))
    coastal = (regular & (pl.col("cell_positions_per_vessel_h") >= params.coastal_min_positions_per_vessel_h)
               & (pl.col("cell_vessel_days") >= params.coastal_min_vessel_days))
    gaps = gaps.with_columns(
        reason=pl.when(offshore.fill_null(False)).then(pl.lit("offshore_gfw"))
        .when(coastal.fill_null(False)).then(pl.lit("coastal_reception")).otherwise(pl.lit(None, pl.String)),
    ).with_columns(likely_disabled=pl.col("reason").is_not_null())
    attrs = ["duration_h", "distance_m", "implied_speed_kn", "start_shore_km", "positions_before",
             "gfw_cell_positions_per_day", "cell_positions_per_vessel_h", "cell_vessel_days",
             "likely_disabled", "reason"]
    return finish(gaps, "gap", DETECTOR, params, attrs)


def _join_cell(gaps: pl.DataFrame, cells: pl.DataFrame, cell_deg: float, name: str, col: str,
               name2: str | None = None, col2: str | None = None) -> pl.DataFrame:
    cx, cy = cell_of(pl.col("lon"), pl.col("lat"), cell_deg)
    keep = [pl.col("cx"), pl.col("cy"), pl.col(col).alias(name)]
    if name2 and col2:
        keep.append(pl.col(col2).alias(name2))
    return (gaps.with_columns(cx=cx, cy=cy)
            .join(cells.select(keep), on=["cx", "cy"], how="left", maintain_order="left").drop("cx", "cy"))
