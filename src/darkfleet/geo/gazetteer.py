"""Assemble a gazetteer from several sources (later sources do not replace earlier ids)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from darkfleet.geo.places import PLACES, geojson_places, searoute_ports, wpi_ports


def gazetteer(*, searoute: bool = True, wpi: str | Path | None = None,
              user: list[str | Path] | None = None,
              bbox: tuple[float, float, float, float] | None = None) -> pl.DataFrame:
    """Places from searoute's ports, a WPI CSV and user GeoJSON files, optionally cut to ``bbox``
    (lon_min, lat_min, lon_max, lat_max)."""
    parts = []
    if searoute:
        parts.append(searoute_ports())
    if wpi:
        parts.append(wpi_ports(wpi))
    for path in user or []:
        parts.append(geojson_places(path))
    df = pl.concat(parts) if parts else pl.DataFrame(schema=PLACES)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        df = df.filter(pl.col("lon").is_between(x0, x1) & pl.col("lat").is_between(y0, y1))
    return df.unique("place_id", keep="first", maintain_order=True)
