"""Coastlines for the report's map, from the packaged land mask (no network, no tile server).

Natural Earth 1:110m loses the Sea of Japan's bays and the Tumen estuary; the ``global-land-mask``
grid (GLOBE, 30 arc-seconds, about 1 km) keeps them. The grid is sampled over the map's box,
contoured at the land/sea boundary with scikit-image ``find_contours`` and simplified to half a
cell. Loading the mask costs seconds, so rings are cached as JSON per box (rounded to 1e-4°,
about 10 m): a cached and a fresh run draw the same rings, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from darkfleet.report.model import LonLat

CELL_DEG = 1 / 120  # the mask's own resolution
MAX_CELLS = 900  # cells across the longer side of the box; coarser sampling above that
COAST_VERSION = "coast/1"

Ring = tuple[LonLat, ...]
BBox = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


def grid_step_deg(bbox: BBox) -> float:
    """A multiple of the mask's cell that keeps the grid under ``MAX_CELLS`` across."""
    span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    return CELL_DEG * max(1, math.ceil(span / CELL_DEG / MAX_CELLS))


def rings_from_grid(land: np.ndarray, lon0_deg: float, lat0_deg: float, step_deg: float) -> tuple[Ring, ...]:
    """Closed land/sea boundary rings of a boolean grid (row 0 is the southern edge).

    The grid is padded with sea so every ring closes; rings around lakes come out as well and
    are drawn with the even-odd fill rule.
    """
    from skimage.measure import approximate_polygon, find_contours

    padded = np.pad(np.asarray(land, dtype=np.float32), 1, constant_values=0.0)
    out: list[Ring] = []
    for contour in find_contours(padded, 0.5, fully_connected="high"):
        simple = approximate_polygon(contour, tolerance=0.5)
        if len(simple) < 4:
            continue
        # contour (row, col) of the padded grid -> cell centres of the original grid
        lats = lat0_deg + (simple[:, 0] - 1 + 0.5) * step_deg
        lons = lon0_deg + (simple[:, 1] - 1 + 0.5) * step_deg
        out.append(tuple((round(float(x), 4), round(float(y), 4)) for x, y in zip(lons, lats, strict=True)))
    return tuple(sorted(out, key=lambda r: (-len(r), r[0])))


def _key(bbox: BBox, step_deg: float) -> str:
    text = json.dumps([COAST_VERSION, [round(v, 4) for v in bbox], round(step_deg, 8)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def coastline_rings(bbox: BBox, cache_dir: Path | None = None) -> tuple[Ring, ...]:
    """Land rings over ``bbox`` (lon/lat degrees), from the cache when it holds them."""
    step = grid_step_deg(bbox)
    path = cache_dir / f"coast-{_key(bbox, step)}.json" if cache_dir else None
    if path is not None and path.exists():
        return tuple(tuple((x, y) for x, y in ring) for ring in json.loads(path.read_text()))
    from darkfleet.geo.shore import load_land_mask

    mask = load_land_mask(*bbox, step_deg=step, pad_deg=step)
    rings = rings_from_grid(mask.land, mask.lon0_deg, mask.lat0_deg, mask.step_deg)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps([list(map(list, r)) for r in rings], separators=(",", ":")))
        os.replace(tmp, path)
    return rings
