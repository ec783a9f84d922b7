"""Water / land separation in Sentinel-2 imagery from the NDWI.

NDWI (McFeeters 1996) = (green − NIR) / (green + NIR): water absorbs near infrared, so open
water is positive and land, vegetation and ships are negative. The water threshold is Otsu's on
the scene's NDWI histogram, clamped to a band around zero: turbid or glinting harbour water can
read slightly negative, and a scene that is nearly all sea or all land has no bimodal histogram.
The sea is the union of water bodies larger than ``min_water_area_m2`` (pools, rivers and
shadowed roofs are not sea); ``sea_filled`` adds the enclosed holes no larger than
``max_hole_area_m2`` — ships and buoys lie in such holes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.filters import threshold_otsu


@dataclass(frozen=True)
class WaterParams:
    """``ndwi_threshold``: fixed water threshold, or None for Otsu within
    [``otsu_min_ndwi``, ``otsu_max_ndwi``] (McFeeters' fixed 0 lies inside). ``otsu_sample_px``
    pixels (a regular subsample) set the Otsu threshold, which keeps a full tile fast.
    ``min_water_area_m2`` 0.25 km² keeps harbour basins and drops ponds; ``max_hole_area_m2``
    0.3 km² is larger than the largest vessel (a 400 × 60 m container ship is 0.024 km²)."""

    ndwi_threshold: float | None = None
    otsu_min_ndwi: float = -0.05
    otsu_max_ndwi: float = 0.3
    otsu_sample_px: int = 1_000_000
    min_water_area_m2: float = 250_000.0
    max_hole_area_m2: float = 300_000.0

    def __post_init__(self) -> None:
        if self.otsu_min_ndwi > self.otsu_max_ndwi:
            raise ValueError("otsu_min_ndwi must not exceed otsu_max_ndwi")
        if self.min_water_area_m2 < 0 or self.max_hole_area_m2 < 0:
            raise ValueError("areas must be non-negative")


@dataclass(frozen=True)
class WaterMask:
    ndwi: NDArray[np.float32]
    threshold: float
    water: NDArray[np.bool_]  # NDWI above the threshold
    sea: NDArray[np.bool_]  # large water bodies
    holes: NDArray[np.bool_]  # enclosed non-water patches inside the sea (ships, buoys, pontoons)


def ndwi(green: NDArray[np.floating], nir: NDArray[np.floating]) -> NDArray[np.float32]:
    """(green − NIR) / (green + NIR), 0 where both are 0."""
    g = green.astype(np.float32, copy=False)
    n = nir.astype(np.float32, copy=False)
    s = g + n
    out = np.zeros(g.shape, np.float32)
    np.divide(g - n, s, out=out, where=s != 0)
    return out


def water_threshold(index: NDArray[np.float32], params: WaterParams) -> float:
    if params.ndwi_threshold is not None:
        return params.ndwi_threshold
    step = max(1, int(np.sqrt(index.size / max(params.otsu_sample_px, 1))))
    sample = index[::step, ::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0 or np.ptp(sample) == 0:
        return 0.0
    t = float(threshold_otsu(np.clip(sample, -0.6, 0.9)))
    return float(np.clip(t, params.otsu_min_ndwi, params.otsu_max_ndwi))


def _small_components(mask: NDArray[np.bool_], max_px: float) -> NDArray[np.bool_]:
    lab, n = ndimage.label(mask)
    if n == 0:
        return np.zeros_like(mask)
    size = np.bincount(lab.ravel(), minlength=n + 1)
    keep = size <= max_px
    keep[0] = False
    return keep[lab]


def sea_and_holes(water: NDArray[np.bool_], pixel_area_m2: float, min_water_area_m2: float,
                  max_hole_area_m2: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Sea (water bodies of at least ``min_water_area_m2``) and the holes in it: non-sea components
    that do not touch the border and are at most ``max_hole_area_m2``. Labelling the complement once
    is cheaper than binary_fill_holes on a full tile."""
    lab, n = ndimage.label(water)
    if n:
        size = np.bincount(lab.ravel(), minlength=n + 1)
        big = size * pixel_area_m2 >= min_water_area_m2
        big[0] = False
        sea = big[lab]
    else:
        sea = np.zeros_like(water)
    del lab
    lab, n = ndimage.label(~sea)
    holes = np.zeros_like(sea)
    if n:
        size = np.bincount(lab.ravel(), minlength=n + 1)
        edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
        ok = size * pixel_area_m2 <= max_hole_area_m2
        ok[edge] = False
        ok[0] = False
        holes = ok[lab]
    return sea, holes


def water_mask(
    green: NDArray[np.floating], nir: NDArray[np.floating], pixel_area_m2: float, params: WaterParams = WaterParams()
) -> WaterMask:
    """NDWI, its water threshold, the sea and the holes in it."""
    index = ndwi(green, nir)
    t = water_threshold(index, params)
    water = index > t
    sea, holes = sea_and_holes(water, pixel_area_m2, params.min_water_area_m2, params.max_hole_area_m2)
    return WaterMask(ndwi=index, threshold=t, water=water, sea=sea, holes=holes)
