"""Voyages: observations → calls → legs (AIS cover, feasibility) → round trips. Pure kernels.

``observations`` (one row per observation of a vessel at a place, from any source)::

    obs_id, kind, vessel, place, lon, lat, start, end  (+ any other columns, ignored)

``vessel`` is the identity key (``IMO9179842``, else ``MMSI273...``); ``place`` a watched place's
name or another port's id. Calls are runs of a vessel's observations at one place (merged while
no more than ``max_merge_gap_h`` apart); legs join consecutive calls. A leg's AIS cover comes from
the vessel's gap events; its feasibility from the sea-route distance between the calls' places
(a function passed in, ``searoute`` by default) against the time between them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from darkfleet.analysis.params import CallParams, LegParams
from darkfleet.geo.units import M_PER_NM, haversine_expr

RouteDistance = Callable[[float, float, float, float], float]  # (lon1, lat1, lon2, lat2) → metres

OBS_SCHEMA: dict[str, Any] = {"obs_id": pl.String, "kind": pl.String, "vessel": pl.String, "place": pl.String,
              "lon": pl.Float64, "lat": pl.Float64, "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")}


@lru_cache(maxsize=8192)
def searoute_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Sea-route distance (m) on ``searoute``'s marine network, end legs included."""
    import searoute

    route = searoute.searoute([lon1, lat1], [lon2, lat2], units="m", append_orig_dest=True)
    return float(route["properties"]["length"])


def calls(observations: pl.DataFrame, params: CallParams) -> pl.DataFrame:
    """One row per call: vessel, call_no, place, lon, lat, start, end, obs_ids, kinds, n_obs."""
    if observations.height == 0:
        return pl.DataFrame(schema={"vessel": pl.String, "call_no": pl.UInt32, "place": pl.String,
                                    "lon": pl.Float64, "lat": pl.Float64, "start": OBS_SCHEMA["start"],
                                    "end": OBS_SCHEMA["end"], "obs_ids": pl.List(pl.String),
                                    "kinds": pl.List(pl.String), "n_obs": pl.UInt32})
    df = observations.sort("vessel", "start", "end", "obs_id")
    prev_end = pl.col("end").cum_max().over("vessel").shift(1).over("vessel")
    new = (pl.col("vessel") != pl.col("vessel").shift(1)).fill_null(True) | (
        pl.col("place") != pl.col("place").shift(1)).fill_null(True) | (
        (pl.col("start") - prev_end).dt.total_seconds() > params.max_merge_gap_h * 3600).fill_null(True)
    df = df.with_columns(_call=new.cast(pl.UInt32).cum_sum())
    out = df.group_by("_call", maintain_order=True).agg(
        pl.col("vessel").first(), pl.col("place").first(), pl.col("lon").mean(), pl.col("lat").mean(),
        pl.col("start").min(), pl.col("end").max(), pl.col("obs_id").alias("obs_ids"),
        pl.col("kind").unique(maintain_order=True).sort().alias("kinds"), pl.len().alias("n_obs"),
    )
    return out.with_columns(call_no=pl.int_range(pl.len(), dtype=pl.UInt32).over("vessel")).select(
        "vessel", "call_no", "place", "lon", "lat", "start", "end", "obs_ids", "kinds", "n_obs")


def legs(call_table: pl.DataFrame, params: LegParams, route: RouteDistance = searoute_m,
         place_points: dict[str, tuple[float, float]] | None = None) -> pl.DataFrame:
    """Consecutive calls of each vessel as legs, with sea distance, hours available and feasibility.

    ``place_points``: reference points of watched places (used instead of the calls' mean position)."""
    pts = place_points or {}
    c = call_table.with_columns(
        lon=pl.col("place").replace_strict(_col(pts, 0), default=pl.col("lon"), return_dtype=pl.Float64),
        lat=pl.col("place").replace_strict(_col(pts, 1), default=pl.col("lat"), return_dtype=pl.Float64),
    )
    nxt = [pl.col(x).shift(-1).over("vessel").alias(f"to_{x}") for x in ("call_no", "place", "lon", "lat", "start")]
    df = c.select("vessel", pl.col("call_no").alias("from_call_no"), pl.col("place").alias("from_place"),
                  pl.col("lon").alias("from_lon"), pl.col("lat").alias("from_lat"), pl.col("end").alias("depart"),
                  *[e for e in nxt]).filter(pl.col("to_call_no").is_not_null())
    df = df.rename({"to_start": "arrive"})
    # one route per distinct pair of end points (few), not one per leg
    # sea routes between watched places (few distinct pairs); other legs get the great circle
    watched = pl.col("from_place").is_in(list(pts)) & pl.col("to_place").is_in(list(pts))
    pairs = df.filter(watched).select("from_lon", "from_lat", "to_lon", "to_lat").unique(maintain_order=True)
    dist = [route(*(round(float(v), 5) for v in row)) for row in pairs.iter_rows()]
    df = df.join(pairs.with_columns(pl.Series("route_m", dist, dtype=pl.Float64)),
                 on=["from_lon", "from_lat", "to_lon", "to_lat"], how="left", maintain_order="left")
    gc = haversine_expr(pl.col("from_lon"), pl.col("from_lat"), pl.col("to_lon"), pl.col("to_lat"))
    df = df.with_columns(sea_distance_m=pl.coalesce("route_m", gc), distance_by=pl.when(
        pl.col("route_m").is_not_null()).then(pl.lit("searoute")).otherwise(pl.lit("great_circle"))).drop("route_m")
    hours = (pl.col("arrive") - pl.col("depart")).dt.total_seconds() / 3600
    need = pl.col("sea_distance_m") / M_PER_NM / pl.col("hours_available")
    return df.with_columns(hours_available=hours).with_columns(
        sea_distance_nm=pl.col("sea_distance_m") / M_PER_NM,
        required_speed_kn=pl.when(pl.col("hours_available") > 0).then(need).otherwise(float("inf")),
    ).with_columns(feasible=pl.col("required_speed_kn") <= params.max_speed_kn,
                   leg_no=pl.int_range(pl.len(), dtype=pl.UInt32).over("vessel"))


def _col(pts: dict[str, tuple[float, float]], i: int) -> dict[str, float]:
    return {k: v[i] for k, v in pts.items()}


def classify_legs(leg_table: pl.DataFrame, gaps: pl.DataFrame, params: LegParams) -> pl.DataFrame:
    """Add ``dark_h``, ``dark_share``, ``gap_ids``, ``likely_disabled`` and ``ais`` (``dark``,
    ``partly_dark``, ``ais_covered``). ``gaps``: vessel, gap_id, start, end, likely_disabled.
    ``leg_table`` may carry ``ais_positions`` (AIS positions heard during the leg); a leg with
    none is dark whatever the gaps say."""
    g = gaps.select("vessel", "gap_id", pl.col("start").alias("g_start"), pl.col("end").alias("g_end"),
                    "likely_disabled")
    keyed = leg_table.with_row_index("_leg")
    over = keyed.select("_leg", "vessel", "depart", "arrive").join(g, on="vessel").with_columns(
        overlap_s=(pl.min_horizontal("arrive", "g_end") - pl.max_horizontal("depart", "g_start")).dt.total_seconds()
    ).filter(pl.col("overlap_s") > 0).group_by("_leg").agg(
        (pl.col("overlap_s").sum() / 3600).alias("dark_h"), pl.col("gap_id").sort().alias("gap_ids"),
        pl.col("likely_disabled").any().alias("likely_disabled"))
    out = keyed.join(over, on="_leg", how="left", maintain_order="left").with_columns(
        pl.col("dark_h").fill_null(0.0), pl.col("gap_ids").fill_null([]), pl.col("likely_disabled").fill_null(False))
    share = (pl.col("dark_h") / pl.col("hours_available")).clip(0, 1).fill_nan(1.0)
    out = out.with_columns(dark_share=pl.when(pl.col("hours_available") > 0).then(share).otherwise(0.0))
    silent = pl.col("ais_positions") == 0 if "ais_positions" in out.columns else pl.lit(False)
    return out.with_columns(
        ais=pl.when(silent | (pl.col("dark_share") >= params.dark_share_min)).then(pl.lit("dark"))
        .when(pl.col("dark_share") <= params.covered_share_max).then(pl.lit("ais_covered"))
        .otherwise(pl.lit("partly_dark"))).drop("_leg")


def round_trips(call_table: pl.DataFrame, a: str, b: str, window: tuple[datetime | None, datetime | None]
                = (None, None)) -> pl.DataFrame:
    """Round trips A → B → A: each call at B whose vessel's previous and next calls are at A.

    A is the anchor: for each vessel, whichever of the two places it was first seen at. Rows:
    vessel, anchor, other, trip_no, depart, arrive, leave, back (times at A, B, B, A), and the
    call numbers (from_call_no, call_no, back_call_no); trips outside ``window`` are left out."""
    c = call_table.filter(pl.col("place").is_in([a, b])).sort("vessel", "start")
    first = c.group_by("vessel").agg(pl.col("place").first().alias("anchor"))
    # calls elsewhere break a shuttle: take neighbours in the vessel's full sequence
    full = call_table.sort("vessel", "start").join(first, on="vessel")
    prev = [pl.col(x).shift(1).over("vessel") for x in ("place", "end", "call_no")]
    nxt = [pl.col(x).shift(-1).over("vessel") for x in ("place", "start", "call_no")]
    df = full.with_columns(prev_place=prev[0], depart=prev[1], from_call_no=prev[2],
                           next_place=nxt[0], back=nxt[1], back_call_no=nxt[2])
    other = pl.when(pl.col("anchor") == a).then(pl.lit(b)).otherwise(pl.lit(a))
    df = df.with_columns(other=other).filter(
        (pl.col("place") == pl.col("other")) & (pl.col("prev_place") == pl.col("anchor"))
        & (pl.col("next_place") == pl.col("anchor")))
    if window[0] is not None:
        df = df.filter(pl.col("depart") >= window[0])
    if window[1] is not None:
        df = df.filter(pl.col("back") <= window[1])
    return df.select("vessel", "anchor", "other", "depart", pl.col("start").alias("arrive"),
                     pl.col("end").alias("leave"), "back", "from_call_no", "call_no", "back_call_no").with_columns(
        trip_no=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("vessel"))


def required_speed_kn(distance_m: float | np.ndarray, hours: float | np.ndarray) -> np.ndarray:
    """Knots needed to cover ``distance_m`` in ``hours`` (inf when no time)."""
    h = np.asarray(hours, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(h > 0, np.asarray(distance_m, np.float64) / M_PER_NM / np.where(h > 0, h, 1), np.inf)
