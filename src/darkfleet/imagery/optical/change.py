"""Change between two co-registered images of a site (no training).

1. Co-registration check: the sub-pixel shift between the two images' brightness by phase
   correlation (``skimage.registration.phase_cross_correlation``); above ``max_shift_px`` the
   pair is flagged (change masks of misregistered pairs are mostly edges).
2. Radiometric normalisation: each band of AFTER is mapped linearly onto BEFORE's mean and
   standard deviation (different sun, season and sensor gain would otherwise read as change).
3. Change vector analysis: the Euclidean norm of the per-band difference of the images
   smoothed by a Gaussian of ``smoothing_px`` (suppresses residual misregistration and noise).
4. Threshold: the larger of Otsu's threshold and the ``1 − max_change_fraction`` quantile of the
   magnitude (most of a site does not change between two dates), then an opening and removal of
   regions smaller than ``min_region_px``.
5. Changed area (m²) and the changed regions as polygons (pixel coordinates; the CLI maps them
   with the scene's georeference when it has one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.registration import phase_cross_correlation

CHANGE_VERSION = "optical-change-1"


@dataclass(frozen=True)
class ChangeParams:
    """``max_change_fraction`` 3%: OSCD's labelled change covers 0.3–3.8% of each city;
    ``smoothing_px`` 1 and ``min_region_px`` 3 were compared on the OSCD pairs
    (tests/optical/test_change_benchmarks.py); ``max_shift_px`` 1 pixel is the usual
    co-registration requirement for pixel-wise change detection."""

    smoothing_px: float = 1.0
    max_change_fraction: float = 0.03
    opening_px: int = 1
    min_region_px: int = 3
    max_shift_px: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.max_change_fraction < 1:
            raise ValueError("max_change_fraction must be in (0, 1)")
        if self.smoothing_px < 0 or self.min_region_px < 0 or self.max_shift_px < 0:
            raise ValueError("smoothing_px, min_region_px and max_shift_px must be non-negative")


@dataclass(frozen=True)
class ChangeResult:
    mask: NDArray[np.bool_]
    magnitude: NDArray[np.float32]
    threshold: float
    shift_px: tuple[float, float]  # (row, col) shift of AFTER relative to BEFORE
    coregistered: bool
    changed_area_m2: float
    changed_fraction: float
    polygons_px: list[shapely.Geometry]  # (x=col, y=row) pixel-corner coordinates


def coregistration_shift(before: NDArray[np.floating], after: NDArray[np.floating]) -> tuple[float, float]:
    """(row, col) shift that registers AFTER onto BEFORE, to a tenth of a pixel."""
    a = before.mean(-1) if before.ndim == 3 else before
    b = after.mean(-1) if after.ndim == 3 else after
    shift, _, _ = phase_cross_correlation(a.astype(np.float32), b.astype(np.float32), upsample_factor=10)
    return float(shift[0]), float(shift[1])


def normalise_to(reference: NDArray[np.floating], image: NDArray[np.floating]) -> NDArray[np.float32]:
    """Each band of ``image`` linearly mapped to the reference band's mean and standard deviation."""
    ref = reference.astype(np.float32).reshape(reference.shape[0], reference.shape[1], -1)
    img = image.astype(np.float32).reshape(ref.shape)
    mi, si = img.mean((0, 1)), img.std((0, 1))
    mr, sr = ref.mean((0, 1)), ref.std((0, 1))
    return ((img - mi) / np.where(si > 0, si, 1) * sr + mr).astype(np.float32)


def change_magnitude(
    before: NDArray[np.floating], after: NDArray[np.floating], smoothing_px: float
) -> NDArray[np.float32]:
    a = before.astype(np.float32).reshape(before.shape[0], before.shape[1], -1)
    b = normalise_to(a, after)
    if smoothing_px > 0:
        a = ndimage.gaussian_filter(a, (smoothing_px, smoothing_px, 0))
        b = ndimage.gaussian_filter(b, (smoothing_px, smoothing_px, 0))
    return np.sqrt(((a - b) ** 2).sum(-1)).astype(np.float32)


def polygons(mask: NDArray[np.bool_]) -> list[shapely.Geometry]:
    """Changed regions as polygons in pixel coordinates (x = col, y = row of pixel corners)."""
    return [shapely.geometry.shape(g) for g, v in features.shapes(mask.astype(np.uint8), mask=mask) if v == 1]


def detect_change(
    before: NDArray[np.floating], after: NDArray[np.floating], pixel_m: float, params: ChangeParams = ChangeParams()
) -> ChangeResult:
    """Change mask and its summary for two images of the same grid ((rows, cols[, bands]))."""
    if before.shape != after.shape:
        raise ValueError(f"images differ in shape: {before.shape} vs {after.shape}; resample AFTER onto BEFORE first")
    shift = coregistration_shift(before, after)
    mag = change_magnitude(before, after, params.smoothing_px)
    if np.ptp(mag) == 0:
        t = float(mag.max())
    else:
        t = max(float(threshold_otsu(mag)), float(np.quantile(mag, 1 - params.max_change_fraction)))
    mask = mag > t
    if params.opening_px:
        mask = ndimage.binary_opening(mask, iterations=params.opening_px)
    lab, n = ndimage.label(mask)
    if n:
        size = np.bincount(lab.ravel(), minlength=n + 1)
        keep = size >= params.min_region_px
        keep[0] = False
        mask = keep[lab]
    changed = int(mask.sum())
    return ChangeResult(
        mask=mask,
        magnitude=mag,
        threshold=t,
        shift_px=shift,
        coregistered=bool(np.hypot(*shift) <= params.max_shift_px),
        changed_area_m2=changed * pixel_m**2,
        changed_fraction=changed / mask.size,
        polygons_px=polygons(mask),
    )
