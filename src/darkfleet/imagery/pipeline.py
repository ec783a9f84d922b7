"""Scene in, detections with provenance out; detections and lake AIS in, matches out.

The glue between readers, kernels and the lake that the CLI (and the web service) call.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from darkfleet.imagery.lakeio import read_ais, read_watchlist_fixes
from darkfleet.imagery.match.ais_at import AisAtParams, positions_at
from darkfleet.imagery.match.assign import MATCHER_VERSION, MatchParams, match
from darkfleet.imagery.match.dark import DARK_VERSION, DarkParams, RouteDistance, dark_candidates, searoute_distance_m
from darkfleet.imagery.provenance import (
    SceneRecord,
    content_sha256,
    detection_ids,
    scene_record,
)
from darkfleet.imagery.sar.detect import DetectorParams, detect
from darkfleet.imagery.sar.landmask import MaskParams, apply_masks, global_land
from darkfleet.imagery.sar.readers import read_image
from darkfleet.lake.store import Lake

_MAX_SPEED_KN_FOR_BBOX = 40.0


@dataclasses.dataclass(frozen=True)
class MaskChoice:
    """Which masks to apply before detection: land (with ``params.buffer_m``) and an analyst
    polygon (its GeoJSON text, hashed into the provenance)."""

    land: bool = False
    analyst_geojson: str | None = None
    params: MaskParams = dataclasses.field(default_factory=MaskParams)

    def provenance(self) -> dict[str, Any]:
        import hashlib

        out: dict[str, Any] = {}
        if self.land:
            out["land"] = {"source": "global-land-mask"} | dataclasses.asdict(self.params)
        if self.analyst_geojson is not None:
            out["analyst_sha256"] = hashlib.sha256(self.analyst_geojson.encode()).hexdigest()
        return out


def process_scene(
    path: str,
    band: str = "1",
    pixel_spacing_m: float | None = None,
    acquired_at: datetime | None = None,
    params: DetectorParams | None = None,
    masks: MaskChoice | None = None,
) -> tuple[SceneRecord, pl.DataFrame]:
    """Read, mask, detect: the scene's record and its detections (with ``detection_id``)."""
    from darkfleet.imagery.sar.landmask import polygons_from_geojson

    params = params or DetectorParams()
    masks = masks or MaskChoice()
    image = read_image(path, band=band, pixel_spacing_m=pixel_spacing_m)
    analyst = polygons_from_geojson(json.loads(masks.analyst_geojson)) if masks.analyst_geojson is not None else None
    image = apply_masks(image, masks.params, global_land if masks.land else None, analyst)
    det = detect(image, params)
    scene = scene_record(image, content_sha256(path), params, acquired_at, masks.provenance())
    ids = detection_ids(scene, det["row"], det["col"])
    return scene, det.with_columns(pl.Series("detection_id", ids, dtype=pl.String))


def _bbox(scene: SceneRecord, det: pl.DataFrame, margin_deg: float) -> tuple[float, ...]:
    fp = scene.footprint
    if fp is not None:
        x0, y0, x1, y1 = fp.bounds
    elif det.height and det["lon"].null_count() < det.height:
        x0, x1 = det["lon"].min(), det["lon"].max()  # type: ignore[assignment]
        y0, y1 = det["lat"].min(), det["lat"].max()  # type: ignore[assignment]
    else:
        raise ValueError(f"{scene.source_path}: no footprint and no georeferenced detection")
    return (x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg)


def _records(df: pl.DataFrame) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return v

    return [{k: clean(v) for k, v in r.items()} for r in df.iter_rows(named=True)]


def match_scene(
    lake: Lake,
    scene: SceneRecord,
    detections: pl.DataFrame,
    match_params: MatchParams | None = None,
    at_params: AisAtParams | None = None,
    watchlist: pl.DataFrame | None = None,
    dark_params: DarkParams | None = None,
    lookback: timedelta = timedelta(days=30),
    route: RouteDistance = searoute_distance_m,
) -> dict[str, Any]:
    """Match one scene's detections to the lake's AIS; rank watchlisted candidates for the
    unmatched ones. Returns a JSON-ready dict with provenance and parameters."""
    match_params = match_params or MatchParams()
    at_params = at_params or AisAtParams()
    dark_params = dark_params or DarkParams()
    when = scene.acquired_at
    if when is None:
        raise ValueError(f"{scene.source_path}: no acquisition time; pass --acquired")
    reach_m = at_params.window.total_seconds() * _MAX_SPEED_KN_FOR_BBOX * 1852 / 3600
    margin_deg = reach_m / 111_000 / max(0.2, math.cos(math.radians(_mid_lat(scene, detections))))
    pos, lengths = read_ais(lake, when, at_params.window, _bbox(scene, detections, margin_deg))  # type: ignore[arg-type]
    at = positions_at(pos, when, at_params).join(lengths, on="mmsi", how="left")
    result = match(detections, at, match_params, scene.footprint)
    det_ids = detections["detection_id"].to_list() if "detection_id" in detections.columns else None

    def with_id(df: pl.DataFrame) -> pl.DataFrame:
        if det_ids is None:
            return df
        return df.with_columns(
            pl.col("det_index").map_elements(lambda i: det_ids[i], return_dtype=pl.String).alias("detection_id")
        )

    candidates = None
    if watchlist is not None and result.dark.height:
        fixes = read_watchlist_fixes(lake, watchlist, when, lookback)
        candidates = with_id(dark_candidates(result.dark, fixes, when, dark_params, route))
    dark_cols = ["det_index", "detection_id", "lon", "lat", "length_m", "width_m", "heading_deg", "score"]
    dark = with_id(result.dark.drop("detection_id", strict=True))
    dark = dark.select([c for c in dark_cols if c in dark.columns])
    dark_records = _records(dark)
    if candidates is not None:
        by_det: dict[int, list[dict[str, Any]]] = {}
        for c in _records(candidates):
            by_det.setdefault(c["det_index"], []).append(c)
        for d in dark_records:
            d["candidates"] = by_det.get(d["det_index"], [])
    return {
        "scene": {
            "scene_id": scene.scene_id,
            "source": scene.source,
            "sha256": scene.sha256,
            "source_path": scene.source_path,
            "band": scene.band,
            "acquired_at": when.isoformat(),
            "detector_version": scene.detector_version,
            "detector_params": json.loads(scene.params_json),
        },
        "matcher_version": MATCHER_VERSION,
        "match_params": dataclasses.asdict(match_params),
        "ais_params": dataclasses.asdict(at_params),
        "dark_version": DARK_VERSION,
        "dark_params": dataclasses.asdict(dark_params),
        "coregistration": {
            "offset_east_m": result.offset_east_m,
            "offset_north_m": result.offset_north_m,
            "pairs": result.offset_pairs,
        },
        "ais_vessels": at.height,
        "matches": _records(_with_positions(with_id(result.matches), detections, at)),
        "dark": dark_records,
        "undetected": _records(
            result.undetected.select("mmsi", "lon", "lat", "sog_kn", "cog_deg", "method", "fix_age_s", "length_m")
        ),
    }


def _with_positions(matches: pl.DataFrame, detections: pl.DataFrame, at: pl.DataFrame) -> pl.DataFrame:
    """Matched pairs with the detection's and the AIS vessel's positions at the acquisition."""
    det = detections.with_row_index("det_index").select(
        "det_index", pl.col("lon").alias("det_lon"), pl.col("lat").alias("det_lat")
    )
    ais = at.select(
        "mmsi", pl.col("lon").alias("ais_lon"), pl.col("lat").alias("ais_lat"), "sog_kn", "cog_deg", "fix_age_s"
    )
    return matches.join(det, on="det_index", how="left").join(ais, on="mmsi", how="left")


def _mid_lat(scene: SceneRecord, det: pl.DataFrame) -> float:
    fp = scene.footprint
    if fp is not None:
        return float(fp.centroid.y)
    lat = det["lat"].drop_nulls() if "lat" in det.columns else pl.Series([0.0])
    return float(lat.mean()) if lat.len() else 0.0  # type: ignore[arg-type]
