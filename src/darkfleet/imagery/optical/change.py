"""Change between two co-registered images of a site: a per-pixel classifier over features of
both dates, trained on the OSCD city pairs (:mod:`.change_model`), with change vector analysis
(no training) beside it as the baseline.

1. Co-registration check: the sub-pixel shift between the two images' brightness by phase
   correlation (``skimage.registration.phase_cross_correlation``); above ``max_shift_px`` the
   pair is flagged (change masks of misregistered pairs are mostly edges).
2. Radiometric normalisation: each band of each image is standardised to zero mean and unit
   standard deviation over the image (different sun, season and sensor gain would otherwise
   read as change).
3. Features (:func:`change_features`, names in :data:`FEATURE_NAMES`): both dates' bands and
   their differences; the change vector magnitude (CVA) and the spectral angle after Gaussian
   smoothing of 0, 1, 2, 4 and 8 px; brightness and greenness (G − R) differences; local
   texture (standard deviation in 5 and 11 px windows) of each date and its change; gradient
   magnitude of each date and its change; the CVA averaged over 15, 31 and 61 px; the rank
   within the image of the CVA at 1, 2 and 4 px and of the brightness change (ranks transfer
   between cities whose overall contrast differs); the local correlation of the two dates'
   brightness over 5 and 9 px (structure change, blind to gain); the after-date bands and the
   band differences averaged over 15 and 41 px (neighbourhood context); the CVA relative to
   its 31 and 91 px surroundings and to the image's own median and 90th percentile; and, at
   the object level, the statistics of the pixel's superpixel (:mod:`.segments`: SLIC over both
   dates' bands, segments of about 50 and 200 px) — its mean and spread of the change vector,
   mean band and brightness changes, after-date colour, texture and gradient change, the
   correlation of the two dates within it, its size, and the rank of its mean change.
4. A gradient-boosted tree model gives each pixel a change probability; the probabilities are
   smoothed by a Gaussian of ``smoothing_px``, thresholded, cleaned by an opening, and regions
   smaller than ``min_region_px`` are dropped. The threshold follows the expected-count rule
   (:func:`count_threshold`): the ``count_factor`` × Σp most probable pixels are marked, Σp
   being the model's expected number of changed pixels in this image and the factor chosen on
   held-out cities. (A fixed probability threshold transferred worse between cities: their
   best thresholds ranged from 0.1 to 0.575.)
5. Changed area (m²) and the changed regions as polygons (pixel coordinates; the CLI maps them
   with the scene's georeference when it has one).

:func:`cva_change` is the training-free method: CVA thresholded at the larger of Otsu's
threshold and the ``1 − max_change_fraction`` quantile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.registration import phase_cross_correlation

from darkfleet.imagery.optical import segments

if TYPE_CHECKING:
    from darkfleet.imagery.optical.trees import TreeEnsemble

CHANGE_VERSION = "optical-change-4"

# Superpixels of about 50 and 200 px (0.5 and 2 ha at 10 m: a building or block, a plot or
# construction site), SLIC compactness 0.5 (segments follow colour more than shape).
SEGMENT_AREAS_PX: tuple[int, ...] = (50, 200)
SEGMENT_COMPACTNESS = 0.5

FEATURE_NAMES: tuple[str, ...] = (
    *(f"{d}{i}" for i in range(3) for d in ("before", "after", "diff")),
    *(
        name
        for s in (0, 1, 2, 4, 8)
        for name in (
            f"cva_s{s}",
            *((f"diff{i}_s{s}" for i in range(3)) if s in (2, 8) else ()),
            f"angle_s{s}",
        )
    ),
    "brightness_diff",
    "greenness_diff",
    *(name for w in (5, 11) for name in (f"std_before_w{w}", f"std_after_w{w}", f"std_diff_w{w}")),
    "gradient_before",
    "gradient_after",
    "gradient_diff",
    "cva_s1_mean_w15",
    "cva_s1_mean_w31",
    "cva_s1_mean_w61",
    "cva_s2_rank",
    "cva_s1_rank",
    "cva_s4_rank",
    "brightness_diff_s1_rank",
    "ncc_w5",
    "ncc_w9",
    *(name for w in (15, 41) for i in range(3) for name in (f"mean_after{i}_w{w}", f"mean_diff{i}_w{w}")),
    "cva_s1_rel_w31",
    "cva_s1_rel_w91",
    "cva_s1_z",
    *(name for a in SEGMENT_AREAS_PX for name in (*(f"seg{a}_{k}" for k in segments.STATISTICS), f"seg{a}_cva_rank")),
)


@dataclass(frozen=True)
class ChangeParams:
    """``smoothing_px`` 2: a Gaussian over the probabilities (OSCD's labelled changes are
    buildings and plots, not single pixels); ``threshold`` None uses the model's rule
    (:func:`threshold_for`: the expected-count threshold, its factor chosen on held-out
    cities); ``opening_px`` 1 and ``min_region_px`` 5 px (500 m² at 10 m) remove
    specks; ``max_shift_px`` 1 pixel is the usual co-registration requirement for pixel-wise
    change detection."""

    smoothing_px: float = 2.0
    threshold: float | None = None
    opening_px: int = 1
    min_region_px: int = 5
    max_shift_px: float = 1.0

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise ValueError("threshold must be in (0, 1)")
        if self.smoothing_px < 0 or self.min_region_px < 0 or self.max_shift_px < 0 or self.opening_px < 0:
            raise ValueError("smoothing_px, opening_px, min_region_px and max_shift_px must be non-negative")


@dataclass(frozen=True)
class CvaParams:
    """The training-free baseline. ``max_change_fraction`` 3 %: OSCD's labelled change covers
    0.3–3.8 % of each city; ``smoothing_px`` 1 and ``min_region_px`` 3."""

    smoothing_px: float = 1.0
    max_change_fraction: float = 0.03
    opening_px: int = 1
    min_region_px: int = 3
    max_shift_px: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.max_change_fraction < 1:
            raise ValueError("max_change_fraction must be in (0, 1)")


@dataclass(frozen=True)
class ChangeResult:
    mask: NDArray[np.bool_]
    probability: NDArray[np.float32]  # change probability (CVA magnitude for the baseline)
    threshold: float
    shift_px: tuple[float, float]  # (row, col) shift of AFTER relative to BEFORE
    coregistered: bool
    changed_area_m2: float
    changed_fraction: float
    polygons_px: list[shapely.Geometry]  # (x=col, y=row) pixel-corner coordinates
    method: str = CHANGE_VERSION


def coregistration_shift(before: NDArray[np.floating], after: NDArray[np.floating]) -> tuple[float, float]:
    """(row, col) shift that registers AFTER onto BEFORE, to a tenth of a pixel."""
    a = before.mean(-1) if before.ndim == 3 else before
    b = after.mean(-1) if after.ndim == 3 else after
    shift, _, _ = phase_cross_correlation(a.astype(np.float32), b.astype(np.float32), upsample_factor=10)
    return float(shift[0]), float(shift[1])


def standardise(image: NDArray[np.floating]) -> NDArray[np.float32]:
    """Each band to zero mean and unit standard deviation over the image."""
    img = image.astype(np.float32).reshape(image.shape[0], image.shape[1], -1)
    m, s = img.mean((0, 1)), img.std((0, 1))
    return ((img - m) / np.where(s > 0, s, 1)).astype(np.float32)


def normalise_to(reference: NDArray[np.floating], image: NDArray[np.floating]) -> NDArray[np.float32]:
    """Each band of ``image`` linearly mapped to the reference band's mean and standard deviation."""
    ref = reference.astype(np.float32).reshape(reference.shape[0], reference.shape[1], -1)
    img = image.astype(np.float32).reshape(ref.shape)
    mi, si = img.mean((0, 1)), img.std((0, 1))
    mr, sr = ref.mean((0, 1)), ref.std((0, 1))
    return ((img - mi) / np.where(si > 0, si, 1) * sr + mr).astype(np.float32)


def _rgb3(image: NDArray[np.floating], name: str) -> NDArray[np.float32]:
    img = image.reshape(image.shape[0], image.shape[1], -1)
    if img.shape[2] < 3:
        raise ValueError(f"{name}: the change model needs three bands (red, green, blue), got {img.shape[2]}")
    return standardise(img[..., :3])


def _rank(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each value's rank within the image, in [0, 1)."""
    r = np.empty(x.size, np.float32)
    r[np.argsort(x.ravel(), kind="stable")] = np.arange(x.size, dtype=np.float32) / max(x.size, 1)
    return r.reshape(x.shape)


def _local_std(x: NDArray[np.float32], w: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(standard deviation, mean) over a ``w`` × ``w`` window."""
    mu = ndimage.uniform_filter(x, w)
    return np.sqrt(np.maximum(ndimage.uniform_filter(x * x, w) - mu * mu, 0)), mu


def change_features(before: NDArray[np.floating], after: NDArray[np.floating]) -> NDArray[np.float32]:
    """(rows, cols, len(FEATURE_NAMES)) features of two images of one grid whose first three
    bands are red, green and blue."""
    a = _rgb3(before, "BEFORE")
    b = _rgb3(after, "AFTER")
    out: dict[str, NDArray[np.float32]] = {}
    d = b - a
    for i in range(3):
        out[f"before{i}"], out[f"after{i}"], out[f"diff{i}"] = a[..., i], b[..., i], d[..., i]
    for s in (0, 1, 2, 4, 8):
        sa = ndimage.gaussian_filter(a, (s, s, 0)) if s else a
        sb = ndimage.gaussian_filter(b, (s, s, 0)) if s else b
        dd = sb - sa
        out[f"cva_s{s}"] = np.sqrt((dd**2).sum(-1))
        if s in (2, 8):
            for i in range(3):
                out[f"diff{i}_s{s}"] = dd[..., i]
        num = (sa * sb).sum(-1)
        den = np.sqrt((sa**2).sum(-1) * (sb**2).sum(-1)) + 1e-6
        out[f"angle_s{s}"] = np.arccos(np.clip(num / den, -1, 1))
    la, lb = a.mean(-1), b.mean(-1)
    out["brightness_diff"] = lb - la
    out["greenness_diff"] = (b[..., 1] - b[..., 0]) - (a[..., 1] - a[..., 0])
    for w in (5, 11):
        out[f"std_before_w{w}"], _ = _local_std(la, w)
        out[f"std_after_w{w}"], _ = _local_std(lb, w)
        out[f"std_diff_w{w}"] = out[f"std_after_w{w}"] - out[f"std_before_w{w}"]
    out["gradient_before"] = ndimage.gaussian_gradient_magnitude(la, 1.0)
    out["gradient_after"] = ndimage.gaussian_gradient_magnitude(lb, 1.0)
    out["gradient_diff"] = out["gradient_after"] - out["gradient_before"]
    for w in (15, 31, 61):
        out[f"cva_s1_mean_w{w}"] = ndimage.uniform_filter(out["cva_s1"], w)
    out["cva_s2_rank"] = _rank(out["cva_s2"])
    out["cva_s1_rank"] = _rank(out["cva_s1"])
    out["cva_s4_rank"] = _rank(out["cva_s4"])
    out["brightness_diff_s1_rank"] = _rank(ndimage.gaussian_filter(lb - la, 1))
    for w in (5, 9):  # local correlation of the two dates' brightness: structure change, blind to gain
        sa, ma = _local_std(la, w)
        sb, mb = _local_std(lb, w)
        out[f"ncc_w{w}"] = (ndimage.uniform_filter(la * lb, w) - ma * mb) / (sa * sb + 0.05)
    for w in (15, 41):  # neighbourhood context: what the place looks like now, and its mean change
        for i in range(3):
            out[f"mean_after{i}_w{w}"] = ndimage.uniform_filter(b[..., i], w)
            out[f"mean_diff{i}_w{w}"] = ndimage.uniform_filter(d[..., i], w)
    for w in (31, 91):  # change relative to its surroundings
        out[f"cva_s1_rel_w{w}"] = out["cva_s1"] / (ndimage.uniform_filter(out["cva_s1"], w) + 0.05)
    c1 = out["cva_s1"]
    med = float(np.median(c1))
    out["cva_s1_z"] = (c1 - med) / (float(np.percentile(c1, 90)) - med + 1e-3)
    for area in SEGMENT_AREAS_PX:  # object level: the statistics of the pixel's superpixel
        labels = segments.superpixels(a, b, area, SEGMENT_COMPACTNESS)
        stats = segments.segment_statistics(labels, a, b, out["std_diff_w5"], out["gradient_diff"])
        for k, v in stats.items():
            out[f"seg{area}_{k}"] = v
        out[f"seg{area}_cva_rank"] = _rank(stats["cva_mean"])
    return np.stack([out[k].astype(np.float32, copy=False) for k in FEATURE_NAMES], -1)


def change_probability(
    before: NDArray[np.floating], after: NDArray[np.floating], model: TreeEnsemble
) -> NDArray[np.float32]:
    """The model's change probability of each pixel (before smoothing)."""
    f = change_features(before, after)
    return model.predict_proba(f.reshape(-1, f.shape[-1])).reshape(f.shape[:2]).astype(np.float32)


def clean_mask(mask: NDArray[np.bool_], opening_px: int, min_region_px: int) -> NDArray[np.bool_]:
    """An opening of ``opening_px`` iterations, then regions of fewer than ``min_region_px`` dropped."""
    if opening_px:
        mask = ndimage.binary_opening(mask, iterations=opening_px)
    lab, n = ndimage.label(mask)
    if n and min_region_px > 1:
        size = np.bincount(lab.ravel(), minlength=n + 1)
        keep = size >= min_region_px
        keep[0] = False
        mask = keep[lab]
    return mask


def smooth_probability(probability: NDArray[np.float32], params: ChangeParams) -> NDArray[np.float32]:
    if params.smoothing_px <= 0:
        return probability
    return ndimage.gaussian_filter(probability, params.smoothing_px)


def count_threshold(smoothed: NDArray[np.float32], factor: float) -> float:
    """The probability above which the ``factor`` × Σp most probable pixels lie: the model's
    expected number of changed pixels (Σp), scaled by a factor chosen on held-out cities. A
    fixed probability threshold transfers badly between cities (the best one ranged from 0.1
    to 0.575 on OSCD); the expected count follows each image's own amount of change."""
    flat = smoothed.ravel()
    k = int(round(factor * float(flat.sum(dtype=np.float64))))
    if k <= 0:
        return float(np.nextafter(np.float32(flat.max()), np.float32(np.inf)))
    k = min(k, flat.size)
    return float(np.partition(flat, flat.size - k)[flat.size - k])


def threshold_for(probability: NDArray[np.float32], model_meta: dict, params: ChangeParams) -> float:
    """``params.threshold`` if set, else the model's rule: its ``count_factor``
    (:func:`count_threshold` of the smoothed probabilities) or its fixed ``threshold``."""
    if params.threshold is not None:
        return params.threshold
    if "count_factor" in model_meta:
        return count_threshold(smooth_probability(probability, params), float(model_meta["count_factor"]))
    return float(model_meta.get("threshold", 0.5))


def mask_from_probability(
    probability: NDArray[np.float32], threshold: float, params: ChangeParams
) -> NDArray[np.bool_]:
    """Smoothed probabilities at or above ``threshold``, cleaned (:func:`clean_mask`)."""
    return clean_mask(smooth_probability(probability, params) >= threshold, params.opening_px, params.min_region_px)


def polygons(mask: NDArray[np.bool_]) -> list[shapely.Geometry]:
    """Changed regions as polygons in pixel coordinates (x = col, y = row of pixel corners)."""
    return [shapely.geometry.shape(g) for g, v in features.shapes(mask.astype(np.uint8), mask=mask) if v == 1]


def _result(
    mask: NDArray[np.bool_],
    prob: NDArray[np.float32],
    threshold: float,
    shift: tuple[float, float],
    max_shift_px: float,
    pixel_m: float,
    method: str,
) -> ChangeResult:
    changed = int(mask.sum())
    return ChangeResult(
        mask=mask,
        probability=prob,
        threshold=threshold,
        shift_px=shift,
        coregistered=bool(np.hypot(*shift) <= max_shift_px),
        changed_area_m2=changed * pixel_m**2,
        changed_fraction=changed / mask.size,
        polygons_px=polygons(mask),
        method=method,
    )


def _check_shapes(before: NDArray, after: NDArray) -> None:
    if before.shape != after.shape:
        raise ValueError(f"images differ in shape: {before.shape} vs {after.shape}; resample AFTER onto BEFORE first")


def detect_change(
    before: NDArray[np.floating],
    after: NDArray[np.floating],
    pixel_m: float,
    params: ChangeParams = ChangeParams(),
    model: TreeEnsemble | None = None,
) -> ChangeResult:
    """Change mask and its summary for two images of one grid ((rows, cols, bands), red, green,
    blue first). ``model`` defaults to the packaged OSCD model (:func:`.change_model.default_model`)."""
    _check_shapes(before, after)
    if model is None:
        from darkfleet.imagery.optical.change_model import default_model

        model = default_model()
    shift = coregistration_shift(before, after)
    prob = change_probability(before, after, model)
    threshold = threshold_for(prob, model.meta, params)
    mask = mask_from_probability(prob, threshold, params)
    return _result(mask, prob, threshold, shift, params.max_shift_px, pixel_m, CHANGE_VERSION)


def change_magnitude(
    before: NDArray[np.floating], after: NDArray[np.floating], smoothing_px: float
) -> NDArray[np.float32]:
    """Change vector magnitude after mapping AFTER onto BEFORE's band statistics."""
    a = before.astype(np.float32).reshape(before.shape[0], before.shape[1], -1)
    b = normalise_to(a, after)
    if smoothing_px > 0:
        a = ndimage.gaussian_filter(a, (smoothing_px, smoothing_px, 0))
        b = ndimage.gaussian_filter(b, (smoothing_px, smoothing_px, 0))
    return np.sqrt(((a - b) ** 2).sum(-1)).astype(np.float32)


def cva_change(
    before: NDArray[np.floating], after: NDArray[np.floating], pixel_m: float, params: CvaParams = CvaParams()
) -> ChangeResult:
    """The training-free baseline: change vector analysis with an Otsu / quantile threshold."""
    _check_shapes(before, after)
    shift = coregistration_shift(before, after)
    mag = change_magnitude(before, after, params.smoothing_px)
    if np.ptp(mag) == 0:
        t = float(mag.max())
    else:
        t = max(float(threshold_otsu(mag)), float(np.quantile(mag, 1 - params.max_change_fraction)))
    mask = clean_mask(mag > t, params.opening_px, params.min_region_px)
    return _result(mask, mag, t, shift, params.max_shift_px, pixel_m, "optical-change-cva-1")
