"""SAR detections in the lake, and the AIS that matching reads from it.

Layout (next to the lead's AIS tables)::

    LAKE/detections/day=YYYY-MM-DD/part-<source>-<band>-<params>.parquet   one file per scene
    LAKE/sar_scenes/part-<source>-<band>-<params>.parquet                  one row per scene

``source`` is the first 16 hex digits of the scene file's sha256 and ``params`` a hash of the
detector parameters, so re-running a scene with the same parameters replaces its file
(idempotent) and a run with other parameters sits beside it. A scene with no detections still
gets its ``sar_scenes`` row (matching needs its footprint to list the AIS vessels it missed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from darkfleet.imagery.provenance import SceneRecord, detection_ids
from darkfleet.lake.query import connect
from darkfleet.lake.schema import TS
from darkfleet.lake.store import (
    Lake,
    write_parquet,
)

_F64 = pa.float64()

# Which scene a row comes from (shared with the sar_matches table in matchio).
SCENE_IDENTITY_FIELDS = [
    pa.field("scene_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("band", pa.string(), nullable=False),
    pa.field("acquired_at", TS, nullable=False),
]
_SCENE_FIELDS = [
    *SCENE_IDENTITY_FIELDS,
    pa.field("detector_version", pa.string(), nullable=False),
    pa.field("params_json", pa.string(), nullable=False),
]

DETECTIONS = pa.schema(
    [
        pa.field("detection_id", pa.string(), nullable=False),
        *_SCENE_FIELDS,
        pa.field("row", _F64, nullable=False),
        pa.field("col", _F64, nullable=False),
        pa.field("lon", _F64),
        pa.field("lat", _F64),
        pa.field("length_m", _F64),
        pa.field("width_m", _F64),
        pa.field("heading_deg", _F64),  # axis in [0, 180): the vessel heads this or +180
        pa.field("axis_angle_deg", _F64),
        pa.field("peak_sigma0", _F64),
        pa.field("mean_sigma0", _F64),
        pa.field("background_sigma0", _F64),
        pa.field("peak_snr_db", _F64),
        pa.field("n_pixels", pa.int64()),
        pa.field("area_m2", _F64),
        pa.field("score", _F64),
        pa.field("row_bearing_deg", _F64),
        pa.field("col_bearing_deg", _F64),
        pa.field("incidence_deg", _F64),
    ]
)

SAR_SCENES = pa.schema(
    [
        *_SCENE_FIELDS,
        pa.field("footprint_wkt", pa.string()),
        pa.field("stac_item_json", pa.string()),
        pa.field("n_detections", pa.int64(), nullable=False),
    ]
)


class LakeInputError(ValueError):
    """Input for the lake is incomplete; the message says what is missing."""


def _file_stem(scene: SceneRecord) -> str:
    band = "".join(ch for ch in scene.band if ch.isalnum()) or "b"
    return f"part-{scene.source}-{band}-{scene.params_hash}"




def _scene_columns(scene: SceneRecord, n: int) -> dict[str, list[object]]:
    vals = {
        "scene_id": scene.scene_id,
        "source": scene.source,
        "sha256": scene.sha256,
        "source_path": scene.source_path,
        "band": scene.band,
        "acquired_at": scene.acquired_at,
        "detector_version": scene.detector_version,
        "params_json": scene.params_json,
    }
    return {k: [v] * n for k, v in vals.items()}


def detections_table(scene: SceneRecord, detections: pl.DataFrame) -> pa.Table:
    """The scene's detections with their provenance, as a table of :data:`DETECTIONS`."""
    n = detections.height
    cols: dict[str, list[Any]] = {"detection_id": detection_ids(scene, detections["row"], detections["col"])}
    cols |= _scene_columns(scene, n)
    for field in DETECTIONS:
        if field.name not in cols:
            cols[field.name] = detections[field.name].to_list() if field.name in detections.columns else [None] * n
    return pa.Table.from_pydict(cols, schema=DETECTIONS)


def write_detections(lake: Lake, scene: SceneRecord, detections: pl.DataFrame) -> Path:
    """Write a scene's detections (and its ``sar_scenes`` row) into the lake; returns the
    detections file."""
    if scene.acquired_at is None:
        raise LakeInputError(
            f"{scene.source_path}: no acquisition time (the file has no metadata giving it); "
            "pass --acquired to store its detections in the lake"
        )
    stem = _file_stem(scene)
    day = scene.acquired_at.astimezone(UTC).strftime("%Y-%m-%d")
    path = lake.root / "detections" / f"day={day}" / f"{stem}.parquet"
    write_parquet(detections_table(scene, detections), path)
    row = _scene_columns(scene, 1) | {
        "footprint_wkt": [scene.footprint_wkt],
        "stac_item_json": [scene.stac_item_json],
        "n_detections": [detections.height],
    }
    write_parquet(pa.Table.from_pydict(row, schema=SAR_SCENES), lake.root / "sar_scenes" / f"{stem}.parquet")
    return path


def read_detections_parquet(path: str | Path, lake: Lake | None = None) -> list[tuple[SceneRecord, pl.DataFrame]]:
    """Detections from a Parquet file of :data:`DETECTIONS` (e.g. one of the lake's), grouped
    by scene; footprints come from the lake's ``sar_scenes`` rows when a lake is given."""
    df = pl.read_parquet(path, hive_partitioning=False)
    footprints: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    if lake is not None and (lake.root / "sar_scenes").exists():
        sc = pl.read_parquet(lake.root / "sar_scenes" / "*.parquet")
        footprints = {
            (r["sha256"], r["params_json"]): (r["footprint_wkt"], r["stac_item_json"]) for r in sc.iter_rows(named=True)
        }
    out = []
    for _, part in df.group_by("sha256", "band", "params_json", maintain_order=True):
        r = part.row(0, named=True)
        fp, item = footprints.get((r["sha256"], r["params_json"]), (None, None))
        scene = SceneRecord(
            r["scene_id"],
            r["source_path"],
            r["sha256"],
            r["band"],
            r["acquired_at"],
            fp,
            r["detector_version"],
            r["params_json"],
            item,
        )
        out.append((scene, part))
    return out


def read_detections_geojson(path: str | Path) -> list[tuple[SceneRecord, pl.DataFrame]]:
    """Detections from ``sar detect --out`` GeoJSON (scenes under ``darkfleet:scenes``)."""
    doc = json.loads(Path(path).read_text())
    scenes = {s["sha256"] + s["band"]: s for s in doc.get("darkfleet:scenes", [])}
    if not scenes:
        raise LakeInputError(f"{path}: no 'darkfleet:scenes' member: write it with `sar detect --out`")
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in scenes}
    for k, feat in enumerate(doc.get("features", [])):
        props = dict(feat.get("properties") or {})
        key = str(props.get("sha256", "")) + str(props.get("band", ""))
        if key not in scenes:
            raise LakeInputError(f"{path}: feature {k} names no scene of 'darkfleet:scenes'")
        geom = feat.get("geometry") or {}
        lon, lat = (geom.get("coordinates") or [None, None])[:2]
        rows[key].append(props | {"lon": lon, "lat": lat})
    out = []
    for key, s in scenes.items():
        when = datetime.fromisoformat(s["acquired_at"]) if s.get("acquired_at") else None
        scene = SceneRecord(
            s["scene_id"],
            s["source_path"],
            s["sha256"],
            s["band"],
            when,
            s.get("footprint_wkt"),
            s["detector_version"],
            s["params_json"],
            s.get("stac_item_json"),
        )
        schema = {f.name: pl.Float64 for f in DETECTIONS if f.type == _F64}
        df = pl.DataFrame(rows[key], infer_schema_length=None)
        df = (
            df.with_columns([pl.col(c).cast(t) for c, t in schema.items() if c in df.columns])
            if df.height
            else pl.DataFrame(schema=schema | {"detection_id": pl.String})
        )
        out.append((scene, df))
    return out


def read_ais(
    lake: Lake, when: datetime, window: timedelta, bbox: tuple[float, float, float, float]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Positions within ``window`` of ``when`` inside ``bbox`` (lon0, lat0, lon1, lat1), with each
    vessel's latest reported length (``length_m``, null when unknown)."""
    con = connect(lake)
    try:
        pos = con.execute(
            "SELECT mmsi, ts, lon, lat, sog_kn, cog_deg, heading_deg FROM positions "
            "WHERE ts BETWEEN ? AND ? AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
            "ORDER BY mmsi, ts",
            [when - window, when + window, bbox[0], bbox[2], bbox[1], bbox[3]],
        ).pl()
        lengths = con.execute(
            "SELECT mmsi, arg_max(length_m, ts) AS length_m FROM statics WHERE length_m > 0 GROUP BY mmsi"
        ).pl()
    finally:
        con.close()
    pos = pos.with_columns(pl.col("ts").dt.convert_time_zone("UTC"))
    return pos, lengths.with_columns(pl.col("length_m").cast(pl.Float64))


def read_watchlist_fixes(lake: Lake, watchlist: pl.DataFrame, when: datetime, lookback: timedelta) -> pl.DataFrame:
    """The watchlist (``mmsi`` [, ``name``, ``length_m``, ``max_speed_kn``]) with each vessel's
    last AIS fix before ``when`` and first after it (within ``lookback`` either way), and its
    length from the lake's statics where the watchlist gives none."""
    con = connect(lake)
    try:
        con.register("_watch", watchlist.select(pl.col("mmsi").cast(pl.Int64)).to_arrow())
        fixes = con.execute(
            "SELECT p.mmsi, "
            "max(ts) FILTER (WHERE ts <= ?) AS last_ts, "
            "arg_max(lon, ts) FILTER (WHERE ts <= ?) AS last_lon, "
            "arg_max(lat, ts) FILTER (WHERE ts <= ?) AS last_lat, "
            "min(ts) FILTER (WHERE ts > ?) AS next_ts, "
            "arg_min(lon, ts) FILTER (WHERE ts > ?) AS next_lon, "
            "arg_min(lat, ts) FILTER (WHERE ts > ?) AS next_lat "
            "FROM positions p JOIN _watch w USING (mmsi) WHERE ts BETWEEN ? AND ? GROUP BY p.mmsi",
            [when] * 6 + [when - lookback, when + lookback],
        ).pl()
        lengths = con.execute(
            "SELECT s.mmsi, arg_max(length_m, ts) AS lake_length_m FROM statics s "
            "JOIN _watch w USING (mmsi) WHERE length_m > 0 GROUP BY s.mmsi"
        ).pl()
    finally:
        con.close()
    out = watchlist.with_columns(pl.col("mmsi").cast(pl.Int64))
    for c in ("name", "length_m", "max_speed_kn"):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None).alias(c))
    out = out.with_columns(pl.col("length_m").cast(pl.Float64), pl.col("max_speed_kn").cast(pl.Float64))
    out = out.join(fixes, on="mmsi", how="left").join(lengths, on="mmsi", how="left")
    return out.with_columns(
        pl.coalesce("length_m", pl.col("lake_length_m").cast(pl.Float64)).alias("length_m"),
        pl.col("last_ts", "next_ts").dt.convert_time_zone("UTC"),
    ).drop("lake_length_m")
