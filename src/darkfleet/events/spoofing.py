"""Spoofing and position manipulation: impossible jumps, positions on land, cloned tracks.

* ``impossible_jump``: an excursion — fixes the segmenter (:mod:`darkfleet.tracks.clean`) could
  not link to the vessel's track at ``max_speed_kn`` (50 kn, the jump threshold of the issue and
  of GFW's segmenter) and that form a short segment beside a longer one: the false part, while
  the track around it is kept. One implementation of the jump test, shared with cleaning, so a
  second transmitter on the same MMSI (a long segment of its own) is split off, not reported.
* ``on_land``: fixes on land even with ``land_tolerance_m`` of coastal tolerance (the land
  mask is about 1 km, harbours read as land in it), and more than ``land_port_exemption_km``
  from every known place (river ports — Antwerp, Portland, Port Harcourt — lie inland on it);
  consecutive ones make a run, reported from ``min_land_positions`` fixes on.
* ``shared_track`` (:func:`detect_cloned_tracks`): several MMSIs report the same positions
  (rounded to ``clone_decimals`` decimal degrees) in the same ``clone_bucket_s`` time bucket at
  least ``clone_min_shared`` times, over at least ``clone_min_extent_m`` — one transmitter
  replaying another's moving track (ships moored side by side can share rounded positions).

Jumps and land runs of one vessel that overlap in time make one event, reasons listed. Both are
additive over any split of the data (:func:`spoofing_partials` per batch, summed by
:func:`spoofing_from_partials`): an excursion is one segment, a land run one run id, each carried
across batches by the cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from darkfleet.events.base import prepare
from darkfleet.events.schema import TS, empty_events, finish, row_ref
from darkfleet.geo.shore import LandMask
from darkfleet.geo.units import haversine_expr
from darkfleet.tracks.clean import CleanParams, CleanResult, clean

DETECTOR = "spoofing/2"
DETECTOR_CLONES = "spoofing-clones/1"


@dataclass(frozen=True)
class SpoofParams:
    """Jumps and land positions are found by cleaning (``CleanParams``: ``max_speed_kn``,
    ``land_tolerance_m``, ``land_port_exemption_km``, ``min_segment_positions``)."""

    min_land_positions: int = 2
    clone_decimals: int = 4  # about 11 m
    clone_bucket_s: int = 60
    clone_min_shared: int = 10
    clone_min_extent_m: float = 1000.0  # a shared *track*: two ships moored side by side are not clones
    clone_max_gap_h: float = 1.0  # shared positions further apart in time are separate episodes

    def __post_init__(self) -> None:
        if self.min_land_positions < 1 or self.clone_min_shared < 2:
            raise ValueError("min_land_positions ≥ 1 and clone_min_shared ≥ 2 required")


PARTIAL_SCHEMA: dict[str, Any] = {
    "mmsi": pl.Int64, "seg": pl.Int64, "reason": pl.String, "start": TS, "end": TS, "lon": pl.Float64,
    "lat": pl.Float64, "end_lon": pl.Float64, "end_lat": pl.Float64, "first_ref": pl.String, "last_ref": pl.String,
    "positions": pl.Int64,
}


def spoofing_partials(cleaned: CleanResult) -> pl.DataFrame:
    """Per excursion segment and land run: first and last fix and count, over this batch's own rows."""
    r = cleaned.removed.filter(pl.col("reason").is_in(["impossible_jump", "on_land"]))
    if "_carried" in r.columns:
        r = r.filter(~pl.col("_carried"))
    if r.height == 0:
        return pl.DataFrame(schema=PARTIAL_SCHEMA)
    return (r.with_columns(_ref=row_ref()).sort("mmsi", "_seg", "ts", "source", "line")
            .group_by("mmsi", pl.col("_seg").alias("seg"), "reason", maintain_order=True)
            .agg(pl.col("ts").first().alias("start"), pl.col("ts").last().alias("end"),
                 pl.col("lon").first(), pl.col("lat").first(), pl.col("lon").last().alias("end_lon"),
                 pl.col("lat").last().alias("end_lat"), pl.col("_ref").first().alias("first_ref"),
                 pl.col("_ref").last().alias("last_ref"), pl.len().cast(pl.Int64).alias("positions"))
            .select(list(PARTIAL_SCHEMA)).cast(PARTIAL_SCHEMA))  # type: ignore[arg-type]


def spoofing_from_partials(partials: pl.DataFrame, params: SpoofParams) -> pl.DataFrame:
    """Sum the partials of all batches, merge a vessel's overlapping jumps and land runs, and keep
    jumps and land runs of at least ``min_land_positions`` fixes."""
    if partials.height == 0:
        return empty_events()
    parts = (partials.sort("start", "first_ref").group_by("mmsi", "seg", "reason")
             .agg(pl.col("start").first(), pl.col("lon").first(), pl.col("lat").first(), pl.col("first_ref").first(),
                  pl.col("end").sort_by("end", "last_ref").last(),
                  pl.col("end_lon").sort_by("end", "last_ref").last(),
                  pl.col("end_lat").sort_by("end", "last_ref").last(),
                  pl.col("last_ref").sort_by("end", "last_ref").last(), pl.col("positions").sum())
             .sort("mmsi", "start", "reason", "seg"))
    reach = pl.col("end").cum_max().over("mmsi")
    brk = ((pl.col("mmsi") != pl.col("mmsi").shift(1)) | (pl.col("start") > reach.shift(1))).fill_null(True)
    jump = pl.col("reason") == "impossible_jump"
    events = (parts.with_columns(_ev=brk.cum_sum())
              .group_by("_ev", maintain_order=True)
              .agg(pl.col("mmsi").first(), pl.col("start").first(), pl.col("lon").first(), pl.col("lat").first(),
                   pl.col("first_ref").first(),
                   pl.col("end").sort_by("end").last(), pl.col("end_lon").sort_by("end").last(),
                   pl.col("end_lat").sort_by("end").last(), pl.col("last_ref").sort_by("end").last(),
                   pl.col("positions").filter(jump).sum().alias("jump_positions"),
                   pl.col("positions").filter(~jump).sum().alias("land_positions"))
              .with_columns(positions=pl.col("jump_positions") + pl.col("land_positions"))
              .filter((pl.col("jump_positions") > 0) | (pl.col("land_positions") >= params.min_land_positions)))
    events = events.with_columns(
        source_rows=pl.concat_list("first_ref", "last_ref"),
        reasons=pl.concat_list(pl.when(pl.col("jump_positions") > 0).then(pl.lit("impossible_jump")),
                               pl.when(pl.col("land_positions") > 0).then(pl.lit("on_land"))).list.drop_nulls())
    return finish(events, "spoofing", DETECTOR, params, ["reasons", "positions", "jump_positions", "land_positions"])


def detect_spoofing(positions: pl.DataFrame, params: SpoofParams, land: LandMask | None = None,
                    places: pl.DataFrame | None = None, clean_params: CleanParams | None = None) -> pl.DataFrame:
    """Impossible-jump and on-land events over whole vessel histories (see
    :func:`detect_cloned_tracks` for clones)."""
    if positions.height == 0:
        return empty_events()
    cleaned = clean(positions, clean_params or CleanParams(), land, places)
    return spoofing_from_partials(spoofing_partials(cleaned), params)


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
