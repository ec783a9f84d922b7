"""``darkfleet sar ...``: SAR vessel detection and AIS matching from the command line (a thin
layer over :mod:`darkfleet.imagery.pipeline`). The lead registers it with
``app.add_typer(sar_app, name="sar")``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer


def _detector_version() -> str:
    from darkfleet.imagery.sar.detect import DETECTOR_VERSION

    return DETECTOR_VERSION


sar_app = typer.Typer(no_args_is_help=True, help="Vessel detection in SAR (Sentinel-1) imagery.")


@sar_app.callback()
def sar() -> None:
    """Vessel detection in SAR (Sentinel-1) imagery."""


_JSON_FIELDS = ("row", "col", "lon", "lat", "length_m", "width_m", "heading_deg", "score")
_GEOJSON_FIELDS = (
    "detection_id",
    "row",
    "col",
    "length_m",
    "width_m",
    "heading_deg",
    "peak_snr_db",
    "score",
    "row_bearing_deg",
    "col_bearing_deg",
    "incidence_deg",
)


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _utc(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"{what}: {text!r} is not an ISO 8601 time (e.g. 2023-08-15T21:12:45Z)")
        raise
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def detections_records(scenes: list[str], band: str, pixel_spacing_m: float | None) -> list[dict]:
    """The ``--json`` records (kept for callers of the first version)."""
    from darkfleet.imagery.pipeline import process_scene

    records: list[dict] = []
    for path in scenes:
        scene, det = process_scene(path, band, pixel_spacing_m)
        records += _json_records(path, scene.footprint_wkt is not None, det)
    return records


def _json_records(path: str, georeferenced: bool, det: pl.DataFrame) -> list[dict]:
    out = []
    for row in det.iter_rows(named=True):
        rec = {"file": path} | {k: _clean(row[k]) for k in _JSON_FIELDS}
        if not georeferenced:
            del rec["lon"], rec["lat"]
        out.append(rec)
    return out


def to_geojson(results: list[tuple[Any, pl.DataFrame]]) -> dict:
    """Detections as a GeoJSON FeatureCollection; each scene's provenance (id, sha256,
    acquisition time, footprint, detector version and parameters) under ``darkfleet:scenes``.
    Detections without lon/lat have null geometry."""
    features, scenes = [], []
    for scene, det in results:
        scenes.append(
            {
                "scene_id": scene.scene_id,
                "source_path": scene.source_path,
                "sha256": scene.sha256,
                "band": scene.band,
                "acquired_at": scene.acquired_at.isoformat() if scene.acquired_at else None,
                "footprint_wkt": scene.footprint_wkt,
                "detector_version": scene.detector_version,
                "params_json": scene.params_json,
                "stac_item_json": scene.stac_item_json,
            }
        )
        for r in det.iter_rows(named=True):
            geom = None
            if r.get("lon") is not None and r.get("lat") is not None:
                geom = {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
            props = {k: _clean(r.get(k)) for k in _GEOJSON_FIELDS}
            props |= {
                "file": scene.source_path,
                "scene_id": scene.scene_id,
                "sha256": scene.sha256,
                "band": scene.band,
                "detector_version": _detector_version(),
            }
            features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features, "darkfleet:scenes": scenes}


@sar_app.command("detect")
def detect_cmd(
    scenes: Annotated[
        list[str],
        typer.Argument(
            help="Sentinel-1 SAFE products (calibrated with their annotation) or GeoTIFFs of "
            "calibrated sigma0 (zip:// and /vsizip/ paths work)."
        ),
    ],
    out: Annotated[Path | None, typer.Option(help="Write detections as GeoJSON to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of detections.")] = False,
    pixel_spacing_m: Annotated[
        float | None,
        typer.Option(help="Ground pixel spacing (m) for images with no map projection, such as chips."),
    ] = None,
    band: Annotated[
        str, typer.Option(help="Band number, polarisation or 'span' (a SAFE product's default: VV or HH).")
    ] = "1",
    lake: Annotated[Path | None, typer.Option(help="Also store the detections in this lake (detections/).")] = None,
    acquired: Annotated[
        str | None,
        typer.Option(help="Acquisition time (ISO 8601, UTC) for files whose metadata lacks it."),
    ] = None,
    land_mask: Annotated[bool, typer.Option(help="Mask land (global-land-mask, ~1 km) plus --land-buffer-m.")] = False,
    land_buffer_m: Annotated[float, typer.Option(help="Sea masked next to land (m).")] = 1000.0,
    mask: Annotated[Path | None, typer.Option(help="GeoJSON polygon(s) to leave out of detection.")] = None,
) -> None:
    """Detect vessels in SAR scenes with a two-parameter CFAR."""
    from darkfleet.imagery.lakeio import LakeInputError, write_detections
    from darkfleet.imagery.pipeline import MaskChoice, process_scene
    from darkfleet.imagery.sar.landmask import MaskParams
    from darkfleet.imagery.sar.readers import ReaderError
    from darkfleet.lake.store import Lake

    when = _utc(acquired, "--acquired")
    try:
        masks = MaskChoice(
            land=land_mask,
            analyst_geojson=mask.read_text() if mask is not None else None,
            params=MaskParams(buffer_m=land_buffer_m),
        )
        store = Lake.open(lake) if lake is not None else None
        results, records = [], []
        for path in scenes:
            scene, det = process_scene(path, band, pixel_spacing_m, when, masks=masks)
            if store is not None:
                write_detections(store, scene, det)
            results.append((scene, det))
            records += _json_records(path, scene.footprint_wkt is not None, det)
    except (ReaderError, LakeInputError, ValueError, OSError) as exc:
        _fail(str(exc))
        return
    if out is not None:
        out.write_text(json.dumps(to_geojson(results), indent=1))
    if as_json:
        typer.echo(json.dumps(records))
    elif out is None:
        for r in records:
            typer.echo(
                f"{r['file']}\trow {r['row']:.1f}\tcol {r['col']:.1f}\t{r['length_m']:.0f} m\tscore {r['score']:.2f}"
            )
    typer.echo(f"{len(records)} detection(s) in {len(scenes)} scene(s)", err=True)


@sar_app.command("match")
def match_cmd(
    lake: Annotated[Path, typer.Option(help="Lake with the AIS (positions, statics).")],
    detections: Annotated[Path, typer.Option(help="Detections: `sar detect --out` GeoJSON or a detections Parquet.")],
    out: Annotated[Path | None, typer.Option(help="Write the results as JSON here.")] = None,
    watchlist: Annotated[
        Path | None,
        typer.Option(help="CSV of watchlisted vessels: mmsi[,name,length_m,max_speed_kn]."),
    ] = None,
    acquired: Annotated[str | None, typer.Option(help="Acquisition time (ISO 8601) if the detections lack it.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    store: Annotated[bool, typer.Option(help="Store the results in the lake (sar_matches/).")] = True,
) -> None:
    """Match SAR detections to AIS at the acquisition time; list dark detections (with
    watchlist candidates) and AIS vessels in the footprint that were not detected. The results
    land in the lake's ``sar_matches`` table (re-running replaces them)."""
    from dataclasses import replace

    from darkfleet.imagery.lakeio import (
        LakeInputError,
        read_detections_geojson,
        read_detections_parquet,
    )
    from darkfleet.imagery.matchio import write_sar_matches
    from darkfleet.imagery.pipeline import match_scene
    from darkfleet.lake.store import Lake

    when = _utc(acquired, "--acquired")
    try:
        lake_store = Lake.open(lake, create=False)
        if detections.suffix == ".parquet":
            scenes = read_detections_parquet(detections, lake_store)
        else:
            scenes = read_detections_geojson(detections)
        watch = pl.read_csv(watchlist) if watchlist is not None else None
        if watch is not None and "mmsi" not in watch.columns:
            _fail(f"{watchlist}: needs an 'mmsi' column (has {watch.columns})")
        results = []
        for scene, det in scenes:
            if when is not None:
                scene = replace(scene, acquired_at=when)
            results.append(match_scene(lake_store, scene, det, watchlist=watch))
            if store:
                write_sar_matches(lake_store, results[-1])
    except (LakeInputError, ValueError, OSError, json.JSONDecodeError) as exc:
        _fail(f"{detections}: {exc}" if str(detections) not in str(exc) else str(exc))
        return
    doc = json.dumps({"scenes": results}, indent=1)
    if out is not None:
        out.write_text(doc)
    if as_json:
        typer.echo(doc)
    for r in results:
        typer.echo(
            f"{r['scene']['scene_id']}: {len(r['matches'])} matched, {len(r['dark'])} dark, "
            f"{len(r['undetected'])} AIS vessel(s) in the footprint not detected",
            err=True,
        )
