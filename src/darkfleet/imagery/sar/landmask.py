"""Masking land (and analyst-drawn areas) out of a SAR image before detection.

The land mask is the ``global-land-mask`` package's (GLOBE, about 1 km cells): coarse, so it is
evaluated on a grid of ``grid_spacing_m`` and grown by ``buffer_m``; harbours read as land in
it, so masking is the analyst's choice (``sar detect --land-mask``). An analyst mask is any
GeoJSON (Multi)Polygon(s) — areas to leave out (anchorages full of moored ships, wind farms,
oil rigs). Masked pixels become NaN: the detector neither uses them as background nor reports
targets on them.

The masking function is pure (predicates in, boolean array out); :func:`global_land` loads
the 0.9 GB land grid lazily, once per process.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from darkfleet.imagery.sar.geocode import Geocoder
from darkfleet.imagery.sar.image import SarImage, masked

# (lon, lat) arrays → True where masked
Predicate = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.bool_]]


@dataclass(frozen=True)
class MaskParams:
    """``buffer_m``: sea within this distance of land is masked too (1 km: one cell of the
    ~1 km land grid, so its own position error does not let coastline, quays and breakwaters
    through as targets). ``grid_spacing_m``: the masks are evaluated on a grid this fine and
    expanded to full resolution (250 m: a quarter of a land cell; analyst polygons are drawn at
    about that precision on a scene overview)."""

    buffer_m: float = 1000.0
    grid_spacing_m: float = 250.0

    def __post_init__(self) -> None:
        if self.buffer_m < 0 or self.grid_spacing_m <= 0:
            raise ValueError("buffer_m ≥ 0 and grid_spacing_m > 0 required")


@lru_cache(maxsize=1)
def _globe() -> Any:
    from global_land_mask import globe  # ~4 s and ~0.9 GB on first import

    return globe


def global_land(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True on land per ``global-land-mask`` (loaded on first use)."""
    lat = np.clip(lat, -90.0, 90.0)
    lon = ((lon + 180.0) % 360.0) - 180.0
    return np.asarray(_globe().is_land(lat, lon), dtype=bool)


def polygons_from_geojson(doc: dict[str, Any] | str | Path) -> shapely.Geometry:
    """The union of the (Multi)Polygons of a GeoJSON Feature, FeatureCollection or geometry."""
    if isinstance(doc, str | Path):
        path = Path(doc)
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable GeoJSON file ({exc})") from exc
    assert isinstance(doc, dict)
    feats = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    geoms = []
    for k, feat in enumerate(feats or []):
        geom = feat.get("geometry", feat) if feat.get("type") == "Feature" else feat
        shape = shapely.geometry.shape(geom)
        if shape.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"mask feature {k}: expected a Polygon or MultiPolygon, got {shape.geom_type}")
        geoms.append(shape)
    if not geoms:
        raise ValueError("mask GeoJSON holds no polygon")
    union = shapely.union_all(geoms)
    shapely.prepare(union)
    return union


def polygon_predicate(geometry: shapely.Geometry) -> Predicate:
    def inside(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.asarray(shapely.contains_xy(geometry, lon, lat), dtype=bool)

    return inside


def mask_grid(
    shape: tuple[int, int],
    row_spacing_m: float,
    col_spacing_m: float,
    geocoder: Geocoder,
    predicate: Predicate,
    params: MaskParams,
    buffer_m: float | None = None,
) -> NDArray[np.bool_]:
    """Full-resolution mask: ``predicate`` evaluated on a grid of ``grid_spacing_m``, extended
    ``buffer_m`` beyond the image (land just outside it still buffers the sea inside), grown by
    ``buffer_m`` (a disk) and expanded to ``shape``."""
    h, w = shape
    buffer = params.buffer_m if buffer_m is None else buffer_m
    sr = max(1, round(params.grid_spacing_m / row_spacing_m))  # pixels per grid cell
    sc = max(1, round(params.grid_spacing_m / col_spacing_m))
    cell_r, cell_c = sr * row_spacing_m, sc * col_spacing_m
    pad_r, pad_c = math.ceil(buffer / cell_r), math.ceil(buffer / cell_c)
    gr = (np.arange(-pad_r, math.ceil(h / sr) + pad_r) + 0.5) * sr - 0.5
    gc = (np.arange(-pad_c, math.ceil(w / sc) + pad_c) + 0.5) * sc - 0.5
    rr, cc = np.meshgrid(gr, gc, indexing="ij")
    lon, lat = geocoder.lonlat(rr.ravel(), cc.ravel())
    grid = predicate(lon, lat).reshape(rr.shape)
    if buffer > 0 and grid.any():
        yy, xx = np.mgrid[-pad_r : pad_r + 1, -pad_c : pad_c + 1]
        disk = (yy * cell_r) ** 2 + (xx * cell_c) ** 2 <= buffer**2
        grid = ndimage.binary_dilation(grid, structure=disk)
    grid = grid[pad_r : grid.shape[0] - pad_r, pad_c : grid.shape[1] - pad_c]
    return grid[np.arange(h) // sr][:, np.arange(w) // sc]


def apply_masks(
    image: SarImage,
    params: MaskParams | None = None,
    land: Predicate | None = None,
    analyst: shapely.Geometry | None = None,
) -> SarImage:
    """The image with land (grown by the buffer) and the analyst's polygons set to NaN."""
    params = params or MaskParams()
    if land is None and analyst is None:
        return image
    if image.geocoder is None:
        raise ValueError(f"{image.source}: masks need a georeferenced image")
    invalid = np.zeros(image.shape, dtype=bool)
    args = (image.shape, image.row_spacing_m, image.col_spacing_m, image.geocoder)
    if land is not None:
        invalid |= mask_grid(*args, land, params)
    if analyst is not None:
        invalid |= mask_grid(*args, polygon_predicate(analyst), params, buffer_m=0.0)
    return masked(image, invalid) if invalid.any() else image
