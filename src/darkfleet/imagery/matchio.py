"""SAR–AIS matching results in the lake, for DuckDB.

Layout::

    LAKE/sar_matches/day=YYYY-MM-DD/part-<source>-<band>-<detector params>-<matcher params>.parquet

One row per result: ``kind`` is ``matched`` (a detection paired with an AIS vessel, with the
cost features that explain it), ``dark`` (a detection no AIS vessel matched, with its ranked
watchlist candidates) or ``undetected`` (an AIS vessel inside the footprint that no detection
matched). Every row carries the scene's provenance, the detector and matcher versions and
parameters. The file name is keyed by the scene content, band and both parameter sets, so
re-running a match replaces its file (idempotent) and a run with other parameters sits beside it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from darkfleet.imagery.lakeio import SCENE_IDENTITY_FIELDS
from darkfleet.lake.schema import TS
from darkfleet.lake.store import (
    Lake,
    write_parquet,
)

_F = pa.float64()
TABLE = "sar_matches"

SAR_MATCHES = pa.schema(
    [
        pa.field("match_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # matched | dark | undetected
        *SCENE_IDENTITY_FIELDS,
        pa.field("detector_version", pa.string(), nullable=False),
        pa.field("detector_params_json", pa.string(), nullable=False),
        pa.field("matcher_version", pa.string(), nullable=False),
        pa.field("match_params_json", pa.string(), nullable=False),  # matcher + AIS-at-time params
        pa.field("dark_version", pa.string(), nullable=False),
        pa.field("dark_params_json", pa.string(), nullable=False),
        pa.field("detection_id", pa.string()),  # null for undetected
        pa.field("mmsi", pa.int64()),  # null for dark
        pa.field("det_lon", _F),
        pa.field("det_lat", _F),
        pa.field("ais_lon", _F),  # AIS position carried to the acquisition time
        pa.field("ais_lat", _F),
        pa.field("length_sar_m", _F),
        pa.field("length_ais_m", _F),
        pa.field("heading_sar_deg", _F),  # axis in [0, 180)
        pa.field("heading_ais_deg", _F),
        pa.field("sog_kn", _F),
        pa.field("ais_method", pa.string()),  # interpolated | dead_reckoned | ...
        pa.field("fix_age_s", _F),
        pa.field("score", _F),  # detection confidence
        pa.field("cost", _F),  # matched: total assignment cost
        pa.field("distance_m", _F),
        pa.field("doppler_shift_m", _F),
        pa.field("heading_diff_deg", _F),
        pa.field("offset_east_m", _F),  # scene co-registration removed before matching
        pa.field("offset_north_m", _F),
        pa.field("explanation_json", pa.string()),  # matched: the cost features
        pa.field("candidates_json", pa.string()),  # dark: ranked watchlist candidates
    ]
)


def _canon(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _hash8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten one :func:`darkfleet.imagery.pipeline.match_scene` result into table rows."""
    sc = result["scene"]
    base = {
        "scene_id": sc["scene_id"],
        "source": sc["source"],
        "sha256": sc["sha256"],
        "source_path": sc["source_path"],
        "band": sc["band"],
        "acquired_at": datetime.fromisoformat(sc["acquired_at"]),
        "detector_version": sc["detector_version"],
        "detector_params_json": _canon(sc["detector_params"]),
        "matcher_version": result["matcher_version"],
        "match_params_json": _canon({"match": result["match_params"], "ais": result["ais_params"]}),
        "dark_version": result["dark_version"],
        "dark_params_json": _canon(result["dark_params"]),
        "offset_east_m": result["coregistration"]["offset_east_m"],
        "offset_north_m": result["coregistration"]["offset_north_m"],
    }
    rows = []
    for m in result["matches"]:
        rows.append(
            base
            | {
                k: m.get(k)
                for k in (
                    "detection_id",
                    "mmsi",
                    "det_lon",
                    "det_lat",
                    "ais_lon",
                    "ais_lat",
                    "length_sar_m",
                    "length_ais_m",
                    "heading_sar_deg",
                    "heading_ais_deg",
                    "sog_kn",
                    "ais_method",
                    "fix_age_s",
                    "cost",
                    "distance_m",
                    "doppler_shift_m",
                    "heading_diff_deg",
                )
            }
            | {"kind": "matched", "explanation_json": _canon(m.get("explanation"))}
        )
    for d in result["dark"]:
        rows.append(
            base
            | {
                "kind": "dark",
                "detection_id": d.get("detection_id"),
                "det_lon": d.get("lon"),
                "det_lat": d.get("lat"),
                "length_sar_m": d.get("length_m"),
                "heading_sar_deg": d.get("heading_deg"),
                "score": d.get("score"),
                "candidates_json": _canon(d["candidates"]) if "candidates" in d else None,
            }
        )
    for u in result["undetected"]:
        rows.append(
            base
            | {
                "kind": "undetected",
                "mmsi": u.get("mmsi"),
                "ais_lon": u.get("lon"),
                "ais_lat": u.get("lat"),
                "length_ais_m": u.get("length_m"),
                "sog_kn": u.get("sog_kn"),
                "ais_method": u.get("method"),
                "fix_age_s": u.get("fix_age_s"),
            }
        )
    for r in rows:
        key = "|".join(
            str(r.get(k))
            for k in ("sha256", "band", "detector_params_json", "match_params_json", "kind", "detection_id", "mmsi")
        )
        r["match_id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return rows


def sar_matches_table(result: dict[str, Any]) -> pa.Table:
    """One scene's matching result as a table of :data:`SAR_MATCHES`."""
    rows = _rows(result)
    return pa.Table.from_pydict({f.name: [r.get(f.name) for r in rows] for f in SAR_MATCHES}, schema=SAR_MATCHES)


def write_sar_matches(lake: Lake, result: dict[str, Any]) -> Path:
    """Write (or replace) one scene's matching result in ``LAKE/sar_matches/``."""
    sc = result["scene"]
    table = sar_matches_table(result)
    day = datetime.fromisoformat(sc["acquired_at"]).strftime("%Y-%m-%d")
    band = "".join(ch for ch in sc["band"] if ch.isalnum()) or "b"
    det_hash = _hash8(_canon(sc["detector_params"]))
    match_hash = _hash8(
        _canon(
            {
                "m": result["match_params"],
                "a": result["ais_params"],
                "d": result["dark_params"],
                "v": [result["matcher_version"], result["dark_version"]],
            }
        )
    )
    path = lake.root / TABLE / f"day={day}" / f"part-{sc['source']}-{band}-{det_hash}-{match_hash}.parquet"
    return write_parquet(table, path)


def sar_matches_view(lake: Lake) -> dict[str, str]:
    """``extra_views`` for :func:`darkfleet.lake.query.connect`: a ``sar_matches`` view (empty,
    with the table's columns, while no result has been written)."""
    files = list((lake.root / TABLE).rglob("*.parquet")) if (lake.root / TABLE).is_dir() else []
    if files:
        glob = str(lake.root / TABLE / "**" / "*.parquet").replace("'", "''")
        return {TABLE: f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true, union_by_name=true)"}
    cols = ", ".join(f"CAST(NULL AS {_duck(f.type)}) AS {f.name}" for f in SAR_MATCHES)
    return {TABLE: f"SELECT {cols} WHERE false"}


def _duck(t: pa.DataType) -> str:
    if t == pa.int64():
        return "BIGINT"
    if t == _F:
        return "DOUBLE"
    if t == TS:
        return "TIMESTAMPTZ"
    return "VARCHAR"
