"""``darkfleet sar ...``: SAR vessel detection from the command line (a thin layer over
:mod:`darkfleet.imagery.sar`). The lead registers it with ``app.add_typer(sar_app, name="sar")``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from darkfleet.imagery.sar.detect import DETECTOR_VERSION, detect
from darkfleet.imagery.sar.readers import ReaderError, read_geotiff

sar_app = typer.Typer(no_args_is_help=True, help="Vessel detection in SAR (Sentinel-1) imagery.")


@sar_app.callback()
def sar() -> None:
    """Vessel detection in SAR (Sentinel-1) imagery."""


_JSON_FIELDS = ("row", "col", "lon", "lat", "length_m", "width_m", "heading_deg", "score")


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def detections_records(scenes: list[str], band: str, pixel_spacing_m: float | None) -> list[dict]:
    records: list[dict] = []
    for scene in scenes:
        image = read_geotiff(scene, band=band, pixel_spacing_m=pixel_spacing_m)
        for row in detect(image).iter_rows(named=True):
            rec = {"file": scene} | {k: _clean(row[k]) for k in _JSON_FIELDS}
            if image.geocoder is None:
                del rec["lon"], rec["lat"]
            records.append(rec)
    return records


def to_geojson(records: list[dict]) -> dict:
    """Detections as a GeoJSON FeatureCollection (those without lon/lat have null geometry)."""
    features = []
    for r in records:
        geom = None
        if r.get("lon") is not None and r.get("lat") is not None:
            geom = {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        features.append(
            {
                "type": "Feature",
                "geometry": geom,
                "properties": props | {"detector_version": DETECTOR_VERSION},
            }
        )
    return {"type": "FeatureCollection", "features": features}


@sar_app.command("detect")
def detect_cmd(
    scenes: Annotated[
        list[str],
        typer.Argument(help="GeoTIFFs of calibrated sigma0 (zip:// and /vsizip/ paths work)."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Write detections as GeoJSON to this file.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of detections.")
    ] = False,
    pixel_spacing_m: Annotated[
        float | None,
        typer.Option(
            help="Ground pixel spacing (m) for images with no map projection, such as chips."
        ),
    ] = None,
    band: Annotated[str, typer.Option(help="Band number, polarisation or 'span'.")] = "1",
) -> None:
    """Detect vessels in SAR scenes with a two-parameter CFAR."""
    try:
        records = detections_records(scenes, band, pixel_spacing_m)
    except ReaderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if out is not None:
        out.write_text(json.dumps(to_geojson(records), indent=1))
    if as_json:
        typer.echo(json.dumps(records))
    elif out is None:
        for r in records:
            typer.echo(
                f"{r['file']}\trow {r['row']:.1f}\tcol {r['col']:.1f}\t"
                f"{r['length_m']:.0f} m\tscore {r['score']:.2f}"
            )
    typer.echo(f"{len(records)} detection(s) in {len(scenes)} scene(s)", err=True)
