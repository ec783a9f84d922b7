"""Run detection over a lake: build the context (places, land, shore) and pick an engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import polars as pl

from darkfleet.engines.config import DetectConfig
from darkfleet.engines.local import LocalEngine
from darkfleet.engines.steps import Context, Detection
from darkfleet.events.store import write_cleaned_out
from darkfleet.geo.gazetteer import gazetteer
from darkfleet.geo.places import geojson_places, wpi_ports
from darkfleet.geo.shore import ShoreDistance, load_land_mask
from darkfleet.lake.store import Lake
from darkfleet.tracks.flags import from_csv, from_sanctions

ENGINES = ("local", "spark")
MAX_MASK_CELLS = 20_000_000  # about 20 MB of mask and 80 MB of distances


def lake_bbox(lake: Lake) -> tuple[float, float, float, float] | None:
    from darkfleet.lake.query import connect

    row = connect(lake).sql("SELECT min(lon), min(lat), max(lon), max(lat) FROM positions "
                            "WHERE lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90").fetchall()[0]
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def load_places(path: str | Path | None, bbox: tuple[float, float, float, float] | None) -> pl.DataFrame:
    """searoute's ports in the data's area, plus the user's places (GeoJSON, or a WPI-style CSV)."""
    pad = None if bbox is None else (bbox[0] - 1, bbox[1] - 1, bbox[2] + 1, bbox[3] + 1)
    places = gazetteer(searoute=True, bbox=pad)
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"places file {p} does not exist")
        user = wpi_ports(p) if p.suffix.lower() == ".csv" else geojson_places(p)
        places = pl.concat([places, user]).unique("place_id", keep="last", maintain_order=True)
    return places


def load_declared_flags(lake: Lake, flags_file: str | Path | None = None) -> pl.DataFrame:
    """Flags declared for vessels: the lake's sanctions lists, plus the analyst's registry file."""
    parts = [from_sanctions(lake.root)]
    if flags_file is not None:
        parts.append(from_csv(flags_file))
    return pl.concat(parts)


def build_context(lake: Lake, config: DetectConfig, places_file: str | Path | None = None,
                  land: bool = True, flags_file: str | Path | None = None) -> Context:
    bbox = lake_bbox(lake)
    places = load_places(places_file, bbox)
    declared = load_declared_flags(lake, flags_file)
    if bbox is None or not land:
        return Context(config, places, declared_flags=declared)
    area = max((bbox[2] - bbox[0] + 2) * (bbox[3] - bbox[1] + 2), 1e-6)
    step = max(1 / 120, math.sqrt(area / MAX_MASK_CELLS))
    mask = load_land_mask(*bbox, step_deg=step)
    return Context(config, places, mask, ShoreDistance.from_mask(mask), declared_flags=declared)


def run_detection(lake: Lake, engine: str = "local", config: DetectConfig | None = None,
                  places_file: str | Path | None = None, progress: Callable[[str], None] | None = None,
                  spark_master: str = "local[2]", flags_file: str | Path | None = None) -> Detection:
    """The events and the rows cleaning removed or re-assigned (nothing written)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    if lake.table_glob("positions") is None:
        raise FileNotFoundError(f"{lake.root}: the lake has no positions (run `darkfleet ingest` first)")
    ctx = build_context(lake, config or DetectConfig(), places_file, flags_file=flags_file)
    if engine == "spark":
        from darkfleet.engines.spark import SparkEngine

        return SparkEngine(spark_master).detect(lake, ctx, progress)
    return LocalEngine().detect(lake, ctx, progress)


def detect_lake(lake: Lake, engine: str = "local", config: DetectConfig | None = None,
                places_file: str | Path | None = None, progress: Callable[[str], None] | None = None,
                spark_master: str = "local[2]", flags_file: str | Path | None = None) -> pl.DataFrame:
    """Run detection; store the rows cleaning removed or re-assigned in the lake (``cleaned_out``,
    replaced on every run) and return the events (the caller stores them: ``write_events``)."""
    found = run_detection(lake, engine, config, places_file, progress, spark_master, flags_file)
    write_cleaned_out(lake, found.cleaned_out)
    return found.events
