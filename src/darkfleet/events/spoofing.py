"""Spoofing and position manipulation: impossible jumps, positions on land, cloned tracks.

* ``impossible_jump``: an excursion — a run of at most ``max_excursion_positions`` fixes entered
  and left at an implied speed above ``max_speed_kn``, while going straight from the fix before
  it to the fix after it is plausible. The run is the false part; the track around it is kept.
  50 kn is the jump threshold of the issue and of GFW's segmenter (``max_speed`` 30 kn for
  fishing vessels; darkfleet's fleet includes fast ferries).
* ``on_land``: fixes on land even with ``land_tolerance_m`` of coastal tolerance (the land
  mask is about 1 km, harbours read as land in it), and more than ``land_port_exemption_km``
  from every known place (river ports — Antwerp, Portland, Port Harcourt — lie inland on it).
* ``shared_track`` (:func:`detect_cloned_tracks`): several MMSIs report the same positions
  (rounded to ``clone_decimals`` decimal degrees) in the same ``clone_bucket_s`` time bucket at
  least ``clone_min_shared`` times, over at least ``clone_min_extent_m`` — one transmitter
  replaying another's moving track (ships moored side by side can share rounded positions).

Consecutive manipulated fixes of a vessel (jump or land) make one event, reasons listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from darkfleet.events.base import last_of_vessel, prepare, run_ids, run_table, step_arrays
from darkfleet.events.schema import empty_events, finish, row_ref
from darkfleet.geo.places import nearest_place
from darkfleet.geo.shore import LandMask
from darkfleet.geo.units import haversine_expr, haversine_m, m_per_s_to_knots

DETECTOR = "spoofing/1"
DETECTOR_CLONES = "spoofing-clones/1"


@dataclass(frozen=True)
class SpoofParams:
    max_speed_kn: float = 50.0
    max_excursion_positions: int = 16
    land_tolerance_m: float = 3000.0
    # rivers and narrow harbours are land on a 1 km mask: near a known port, "on land" is not evidence
    land_port_exemption_km: float = 30.0
    min_land_positions: int = 2
    clone_decimals: int = 4  # about 11 m
    clone_bucket_s: int = 60
    clone_min_shared: int = 10
    clone_min_extent_m: float = 1000.0  # a shared *track*: two ships moored side by side are not clones
    clone_max_gap_h: float = 1.0  # shared positions further apart in time are separate episodes

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.max_excursion_positions < 1 or self.clone_min_shared < 2:
            raise ValueError("max_speed_kn > 0, max_excursion_positions ≥ 1, clone_min_shared ≥ 2 required")


def _implied_kn(t: np.ndarray, lon: np.ndarray, lat: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    dt = np.abs(t[j] - t[i])
    d = haversine_m(lon[i], lat[i], lon[j], lat[j])
    with np.errstate(divide="ignore", invalid="ignore"):
        return m_per_s_to_knots(np.where(dt > 0, d / dt, np.where(d > 0, np.inf, 0.0)))


def excursion_mask(mmsi: np.ndarray, t: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                   same: np.ndarray, speed: np.ndarray, params: SpoofParams) -> np.ndarray:
    """True on fixes of an impossible excursion (see module docstring). Loops over the
    excursion length 1..K, each step vectorised over every candidate at once."""
    n = len(mmsi)
    out = np.zeros(n, bool)
    jump = same & (speed > params.max_speed_kn)
    starts = np.flatnonzero(jump)
    starts = starts[starts >= 1]
    open_ = np.ones(len(starts), bool)
    for k in range(1, params.max_excursion_positions + 1):
        end = starts + k  # the first fix back on the track
        ok = open_ & (end < n)
        endc = np.minimum(end, n - 1)
        ok &= (mmsi[endc] == mmsi[starts]) & jump[endc]
        ok &= _implied_kn(t, lon, lat, starts - 1, endc) <= params.max_speed_kn
        for off in range(k):  # mark the k excursion fixes
            out[starts[ok] + off] = True
        open_ &= ~ok
    return out


def on_land(lon: np.ndarray, lat: np.ndarray, land: LandMask | None, tolerance_m: float,
            places: pl.DataFrame | None, exemption_km: float) -> np.ndarray:
    """Fixes on land beyond the tolerance and away from every known place."""
    if land is None or len(lon) == 0:
        return np.zeros(len(lon), bool)
    out = land.is_land(lon, lat, tolerance_m)
    if places is not None and places.height and out.any():
        idx = np.flatnonzero(out)
        _, d = nearest_place(places, lon[idx], lat[idx])
        out[idx[d <= exemption_km * 1000]] = False
    return out


def spoof_flags(positions: pl.DataFrame, params: SpoofParams, land: LandMask | None = None,
                places: pl.DataFrame | None = None) -> pl.DataFrame:
    df = prepare(positions)
    s = step_arrays(df)
    jumped = excursion_mask(s["mmsi"], s["t_s"], s["lon"], s["lat"], s["same"], s["speed_kn"], params)
    landed = on_land(s["lon"], s["lat"], land, params.land_tolerance_m, places, params.land_port_exemption_km)
    return df.with_columns(_jump=pl.Series(jumped), _land=pl.Series(landed))


def detect_spoofing(positions: pl.DataFrame, params: SpoofParams, land: LandMask | None = None,
                    places: pl.DataFrame | None = None) -> pl.DataFrame:
    """Impossible-jump and on-land events, per vessel (see :func:`detect_cloned_tracks` for clones)."""
    if positions.height == 0:
        return empty_events()
    df = spoof_flags(positions, params, land, places)
    s = step_arrays(df)
    flag = (df["_jump"] | df["_land"]).to_numpy()
    runs = run_table(df, run_ids(s["mmsi"], flag), flag, s, {
        "jump_positions": pl.col("_jump").sum(), "land_positions": pl.col("_land").sum(),
    })
    runs = runs.filter((pl.col("jump_positions") > 0) | (pl.col("land_positions") >= params.min_land_positions))
    runs = runs.with_columns(reasons=pl.concat_list(
        pl.when(pl.col("jump_positions") > 0).then(pl.lit("impossible_jump")),
        pl.when(pl.col("land_positions") > 0).then(pl.lit("on_land")),
    ).list.drop_nulls())
    return finish(runs, "spoofing", DETECTOR, params, ["reasons", "positions", "jump_positions", "land_positions"])


def spoofing_open_since(positions: pl.DataFrame, params: SpoofParams) -> pl.DataFrame:
    """Replay the last K+1 fixes of every vessel (an excursion may still be open)."""
    df = prepare(positions)
    m = df["mmsi"].to_numpy()
    t = df["ts"].dt.epoch("us").to_numpy() / 1e6
    last = np.flatnonzero(last_of_vessel(m))
    first = np.r_[0, last[:-1] + 1] if len(last) else last
    back = np.maximum(last - params.max_excursion_positions - 1, first)
    return pl.DataFrame({"mmsi": m[last], "since_s": t[back]})


SHARED_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "other_mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"),
                                 "lon": pl.Float64, "lat": pl.Float64, "ref": pl.String, "other_ref": pl.String}


def shared_positions(positions: pl.DataFrame, params: SpoofParams) -> pl.DataFrame:
    """Stage 1 of clone detection (partition by time bucket): every position reported by two MMSIs
    in one time bucket (``mmsi < other_mmsi``)."""
    if positions.height == 0:
        return pl.DataFrame(schema=SHARED_SCHEMA)
    df = prepare(positions).with_columns(_ref=row_ref())
    keyed = df.select(
        "mmsi", "ts", "lon", "lat", "_ref",
        (pl.col("ts").dt.epoch("s") // params.clone_bucket_s).alias("_b"),
        pl.col("lon").round(params.clone_decimals).alias("_x"), pl.col("lat").round(params.clone_decimals).alias("_y"),
    ).unique(["mmsi", "_b", "_x", "_y"], keep="first", maintain_order=True)
    shared = keyed.join(keyed.select("_b", "_x", "_y", pl.col("mmsi").alias("other_mmsi"),
                                     pl.col("_ref").alias("other_ref")), on=["_b", "_x", "_y"])
    return (shared.filter(pl.col("mmsi") < pl.col("other_mmsi")).rename({"_ref": "ref"})
            .select(list(SHARED_SCHEMA)).sort("mmsi", "other_mmsi", "ts", "ref"))


def clones_from_shared(shared: pl.DataFrame, params: SpoofParams) -> pl.DataFrame:
    """Stage 2 (per pair): episodes of at least ``clone_min_shared`` shared positions, each within
    ``clone_max_gap_h`` of the previous (sporadic coincidences over weeks do not add up)."""
    if shared.height == 0:
        return empty_events()
    gap_s = (pl.col("ts") - pl.col("ts").shift(1)).dt.total_seconds()
    brk = ((pl.col("mmsi") != pl.col("mmsi").shift(1)) | (pl.col("other_mmsi") != pl.col("other_mmsi").shift(1))
           | (gap_s > params.clone_max_gap_h * 3600)).fill_null(True)
    pairs = (shared.sort("mmsi", "other_mmsi", "ts", "ref").with_columns(_ep=brk.cum_sum())
             .group_by("_ep", maintain_order=True)
             .agg(pl.col("mmsi").first(), pl.col("other_mmsi").first(),
                  pl.len().alias("shared_positions"), pl.col("ts").first().alias("start"),
                  pl.col("ts").last().alias("end"),
                  pl.col("lon").first(), pl.col("lat").first(), pl.col("lon").last().alias("end_lon"),
                  pl.col("lat").last().alias("end_lat"),
                  pl.col("lon").min().alias("lon_min"), pl.col("lat").min().alias("lat_min"),
                  pl.col("lon").max().alias("lon_max"), pl.col("lat").max().alias("lat_max"),
                  pl.concat_list(pl.col("ref").first(), pl.col("other_ref").first()).alias("source_rows"))
             .with_columns(extent_m=haversine_expr(pl.col("lon_min"), pl.col("lat_min"), pl.col("lon_max"),
                                                   pl.col("lat_max")))
             .filter((pl.col("shared_positions") >= params.clone_min_shared)
                     & (pl.col("extent_m") >= params.clone_min_extent_m))
             .with_columns(reasons=pl.concat_list(pl.lit("shared_track"))))
    return finish(pairs, "spoofing", DETECTOR_CLONES, params, ["reasons", "shared_positions", "extent_m"])


def detect_cloned_tracks(positions: pl.DataFrame, params: SpoofParams) -> pl.DataFrame:
    """Pairs of MMSIs reporting the same position in the same time bucket ``clone_min_shared`` times."""
    return clones_from_shared(shared_positions(positions, params), params)
