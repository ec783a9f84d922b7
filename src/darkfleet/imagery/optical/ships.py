"""Ships on water and alongside quays in 10 m Sentinel-2 imagery: point candidates at the local
maxima of a white top-hat, and a learned classifier over features around each point.

1. Water and sea from the NDWI (:mod:`.water`); non-sea patches enclosed by the sea and no
   larger than a ship (``max_hole_area_m2``) are holes (ships at anchor, in basins).
2. Candidates (:func:`candidate_mask`, :func:`candidate_features`): the local maxima, within
   ``peak_window_m``, of the white top-hat of the log brightness (log brightness above its
   ``tophat_size_m`` grey opening, smoothed over 3 × 3 pixels) that are at least
   ``min_peak_tophat`` above the opening and within ``near_sea_px`` pixels of the sea. Points,
   not connected regions: a hull alongside a quay is not merged with the quay, and rafted
   hulls stay apart. Brightness is the mean of B02, B03, B04 and B08; log ratios, so scenes
   of different radiometric scaling (the sen2ships ports differ by ×5) give the same features.
3. Each point is described by :data:`FEATURE_NAMES`: its top-hat and brightness against the
   local water (mean of the sea within ``reference_window_m``) in every band, band shares,
   NDWI, whether it is sea or hole, how much it dominates the maxima within 90 m, sea
   fraction, brightness, texture, top-hat and NDWI in windows of 20, 50, 150 and 400 m, and
   the size, shape and sea fraction of the blob of pixels at least half its top-hat within
   ``patch_m``.
4. A gradient-boosted tree classifier (:mod:`.trees`, trained by :mod:`.ship_model` on the
   sen2ships ports) scores each point; points at or above the model's threshold are kept, and
   of detections closer than ``nms_radius_m`` only the best-scored survives. A detection's
   outline, length and orientation are those of the connected blob (at least half the peak's
   top-hat, within ``max_ship_m``) around it.

Large scenes (a full 10,980² tile) are cut into overlapping blocks processed on ``workers``
threads (SciPy's filters release the GIL); a detection belongs to the block whose core holds
its centre. ``orientation_deg`` is the long axis, clockwise from image up, in [0, 180).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import ndimage

from darkfleet.imagery.optical.water import WaterParams, ndwi, sea_and_holes, water_threshold

if TYPE_CHECKING:
    from darkfleet.imagery.optical.trees import TreeEnsemble

DETECTOR_VERSION = "optical-ships-3"
S2_SHIP_BANDS = ("B02", "B03", "B04", "B08")


@dataclass(frozen=True)
class ShipParams:
    """Candidate generator and post-processing. Defaults: ``max_hole_area_m2`` 40,000 m² is
    larger than the largest vessel labelled in sen2ships (2,700 px ≈ 15,000 m²);
    ``tophat_size_m`` 90 m, wider than any hull; ``min_peak_tophat`` 0.08 (8 % above the
    opening), ``peak_window_m`` 30 m (the scoring distance) and ``near_sea_px`` 3 (a hull
    alongside reads as land for a few pixels) keep nearly every labelled vessel as a candidate
    on the five ports (116 of 130, see tests/optical/test_real_data.py); ``patch_m`` 60 m the
    blob window of the features; ``reference_window_m`` 1 km of water around a pixel.
    ``min_score`` None uses the threshold stored with the model (chosen on held-out ports).
    ``nms_radius_m`` 30 m, the scoring distance; ``max_ship_m`` the reach of a detection's
    outline from its peak (which may lie at one end of a hull). ``block_px``/``halo_px``/
    ``workers``: blocks for large scenes; the halo exceeds half the largest window (the 1 km
    water reference is computed on 8-pixel cells; 128 px covers half of it down to 8 m
    pixels, and 400 m windows everywhere)."""

    water: WaterParams = field(default_factory=WaterParams)
    max_hole_area_m2: float = 40_000.0
    tophat_size_m: float = 90.0
    reference_window_m: float = 1000.0
    min_peak_tophat: float = 0.08
    peak_window_m: float = 30.0
    near_sea_px: int = 3
    patch_m: float = 60.0
    min_score: float | None = None
    nms_radius_m: float = 30.0
    max_ship_m: float = 300.0
    block_px: int = 3072
    halo_px: int = 128
    workers: int = 2

    def __post_init__(self) -> None:
        if self.near_sea_px < 0 or self.tophat_size_m <= 0 or self.reference_window_m <= 0:
            raise ValueError("near_sea_px must be ≥ 0, tophat_size_m and reference_window_m > 0")
        if self.peak_window_m <= 0 or self.patch_m <= 0 or self.max_ship_m <= 0:
            raise ValueError("peak_window_m, patch_m and max_ship_m must be > 0")
        if self.min_score is not None and not 0 <= self.min_score <= 1:
            raise ValueError("min_score must be in [0, 1]")
        if self.block_px < 256 or self.halo_px < 0 or self.workers < 1:
            raise ValueError("block_px must be ≥ 256, halo_px ≥ 0 and workers ≥ 1")


WINDOWS_M = (20, 50, 150, 400)

FEATURE_NAMES: tuple[str, ...] = (
    "smoothed_tophat",
    "tophat",
    "log_ratio",
    "ndwi",
    "sea",
    "hole",
    "peak_dominance",
    *(f"{b}_{k}" for b in S2_SHIP_BANDS for k in ("log_ratio", "tophat", "share")),
    *(f"{k}_w{m}" for m in WINDOWS_M for k in ("sea", "log_ratio_mean", "log_ratio_std", "tophat_mean", "ndwi")),
    "blob_area_m2",
    "blob_length_m",
    "blob_width_m",
    "blob_elongation",
    "blob_sea",
    "blob_offset_m",
    "blob_ring_tophat",
    "patch_sea",
    "ndwi_min3",
    "blob_log_ratio_max",
)

SHIP_COLUMNS = [
    "row",
    "col",
    "length_m",
    "width_m",
    "orientation_deg",
    "area_m2",
    "contrast",
    "ring_water_fraction",
    "in_water",
    "score",
    "outline_px",
]


@dataclass(frozen=True)
class SceneStats:
    """Scene-wide values every block shares: the NDWI water threshold and the sea's median
    brightness (the reference where no water is within the reference window)."""

    water_threshold: float
    sea_brightness: float


@dataclass(frozen=True)
class Candidates:
    """Candidate points of one image or block: peak ``rows``/``cols`` (pixels) and the feature
    matrix (one row per point, columns = :data:`FEATURE_NAMES`)."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    features: NDArray[np.float32]
    ground_px_m: float

    @property
    def n(self) -> int:
        return int(self.features.shape[0])


def brightness(bands: dict[str, NDArray[np.float32]]) -> NDArray[np.float32]:
    """Mean of the visible and NIR bands present (B02, B03, B04, B08)."""
    names = [b for b in S2_SHIP_BANDS if b in bands]
    out = np.zeros(next(iter(bands.values())).shape, np.float32)
    for b in names:
        out += bands[b]
    out /= max(len(names), 1)
    return out


def component_moments(lab: NDArray[np.int32], n: int) -> dict[str, NDArray[np.float64]]:
    """Pixel count, centroid and oriented extent of labels 1..n (vectorised)."""
    idx = lab.ravel()
    sel = idx > 0
    idx = idx[sel]
    rr, cc = np.divmod(np.flatnonzero(sel), lab.shape[1])
    rr = rr.astype(np.float64)
    cc = cc.astype(np.float64)
    m = n + 1
    cnt = np.bincount(idx, minlength=m).astype(np.float64)[1:]
    s = np.maximum(cnt, 1)
    mr = np.bincount(idx, rr, m)[1:] / s
    mc = np.bincount(idx, cc, m)[1:] / s
    vrr = np.bincount(idx, rr * rr, m)[1:] / s - mr**2 + 1 / 12
    vcc = np.bincount(idx, cc * cc, m)[1:] / s - mc**2 + 1 / 12
    vrc = np.bincount(idx, rr * cc, m)[1:] / s - mr * mc
    tr = vrr + vcc
    disc = np.sqrt(np.maximum((vrr - vcc) ** 2 / 4 + vrc**2, 0))
    lam1 = tr / 2 + disc
    lam2 = np.maximum(tr / 2 - disc, 0)
    # Long axis direction (row, col) and its angle clockwise from image up (−row).
    theta = 0.5 * np.arctan2(2 * vrc, vrr - vcc)  # angle of the long axis from the +row axis
    ang = (180.0 - np.degrees(theta)) % 180.0
    # A uniform rectangle of side L has variance L²/12 along it.
    return {
        "n": cnt,
        "row": mr,
        "col": mc,
        "length_px": np.sqrt(12 * lam1),
        "width_px": np.sqrt(12 * lam2),
        "theta": theta,
        "orientation_deg": ang,
    }


def outline_rectangles(row: NDArray, col: NDArray, theta: NDArray, length_px: NDArray, width_px: NDArray) -> NDArray:
    """(n, 5, 2) closed rectangles (row, col) of the given centre, size and long-axis angle."""
    ur = np.stack([np.cos(theta), np.sin(theta)], -1)  # long axis in (row, col)
    vr = np.stack([-np.sin(theta), np.cos(theta)], -1)
    hl = (length_px / 2)[:, None]
    hw = (width_px / 2)[:, None]
    c = np.stack([row, col], -1)
    corners = [c + hl * ur + hw * vr, c + hl * ur - hw * vr, c - hl * ur - hw * vr, c - hl * ur + hw * vr]
    corners.append(corners[0])
    return np.stack(corners, 1)


def _odd(n_px: float) -> int:
    return max(3, int(round(n_px)) | 1)


def _check_bands(bands: dict[str, NDArray[np.float32]]) -> None:
    missing = [b for b in S2_SHIP_BANDS if b not in bands]
    if missing:
        raise KeyError(f"ship detection needs bands {', '.join(S2_SHIP_BANDS)}; missing {', '.join(missing)}")


def scene_stats(bands: dict[str, NDArray[np.float32]], params: ShipParams = ShipParams()) -> SceneStats:
    """Water threshold and sea brightness from a regular subsample of the whole scene."""
    _check_bands(bands)
    h, w = bands["B03"].shape
    step = max(1, int(np.sqrt(h * w / max(params.water.otsu_sample_px, 1))))
    sl = (slice(None, None, step), slice(None, None, step))
    index = ndwi(bands["B03"][sl], bands["B08"][sl])
    t = water_threshold(index, params.water)
    b = brightness({k: np.maximum(bands[k][sl], 1) for k in S2_SHIP_BANDS})
    water = index > t
    ref = float(np.median(b[water])) if water.any() else float(np.median(b))
    return SceneStats(water_threshold=t, sea_brightness=max(ref, 1.0))


def _coarse_water_reference(
    bright: NDArray[np.float32], sea: NDArray[np.bool_], window_px: float, fallback: float, cell: int = 8,
    at: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> NDArray[np.float32]:
    """Log of the mean brightness of the sea within ``window_px`` of each pixel, computed on
    ``cell``-pixel cells (a 1 km mean varies slowly); ``fallback`` where less than 2 % of the
    window is sea. With ``at`` (rows, cols), only at those pixels."""
    h, w = bright.shape
    hh, ww = -(-h // cell), -(-w // cell)
    s = np.zeros((hh * cell, ww * cell), np.float32)
    k = np.zeros((hh * cell, ww * cell), np.float32)
    s[:h, :w] = np.where(sea, bright, 0)
    k[:h, :w] = sea
    s_c = s.reshape(hh, cell, ww, cell).sum((1, 3))
    k_c = k.reshape(hh, cell, ww, cell).sum((1, 3))
    size = max(1, int(round(window_px / cell)))
    s_c = ndimage.uniform_filter(s_c, size, mode="nearest")
    k_c = ndimage.uniform_filter(k_c, size, mode="nearest")
    ref_c = np.where(k_c > 0.02 * cell * cell, s_c / np.maximum(k_c, 1e-6), fallback)
    log_ref = np.log(np.maximum(ref_c, 1.0)).astype(np.float32)
    if at is not None:
        return log_ref[at[0] // cell, at[1] // cell]
    return np.repeat(np.repeat(log_ref, cell, 0), cell, 1)[:h, :w]


class _BoxMeans:
    """Means of an image over square windows centred on given pixels: prefix sums along rows,
    then the window's rows gathered per point (cheap for a few thousand points; windows are
    clipped at the image edge)."""

    def __init__(self, image: NDArray) -> None:
        self.h, self.w = image.shape
        self.prefix = np.zeros((self.h, self.w + 1), np.float32)  # row sums of ≤ ~10⁴: float32 is enough
        np.cumsum(image, 1, dtype=np.float32, out=self.prefix[:, 1:])

    def at(self, rows: NDArray[np.int64], cols: NDArray[np.int64], size_px: int) -> NDArray[np.float64]:
        half = size_px // 2
        c0 = np.clip(cols - half, 0, self.w)
        c1 = np.clip(cols + half + 1, 0, self.w)
        rr = rows[:, None] + np.arange(-half, half + 1)[None, :]
        valid = (rr >= 0) & (rr < self.h)
        rr = np.clip(rr, 0, self.h - 1)
        sums = (self.prefix[rr, c1[:, None]].astype(np.float64) - self.prefix[rr, c0[:, None]]) * valid
        return sums.sum(1) / np.maximum(valid.sum(1) * (c1 - c0), 1)


def candidate_mask(
    bands: dict[str, NDArray[np.float32]], ground_px_m: float, stats: SceneStats, params: ShipParams = ShipParams()
) -> dict[str, NDArray]:
    """The per-pixel layers of the candidate generator (step 2 of the module docstring):
    ``candidate`` (the peaks), ``sea``, ``holes``, ``ndwi``, ``log_ratio`` (brightness against
    the local water, natural log), ``tophat`` (log brightness above its grey opening),
    ``smoothed`` (its 3 × 3 mean), ``total`` and the bands (at least 1)."""
    _check_bands(bands)
    px = ground_px_m
    b_ = {k: np.maximum(bands[k].astype(np.float32, copy=False), 1.0) for k in S2_SHIP_BANDS}
    total = b_["B02"] + b_["B03"] + b_["B04"] + b_["B08"]
    mean_b = total * np.float32(0.25)
    log_b = np.log(mean_b)
    index = ndwi(b_["B03"], b_["B08"])
    sea, holes = sea_and_holes(index > stats.water_threshold, px * px, params.water.min_water_area_m2,
                               params.max_hole_area_m2)
    log_ratio = log_b - _coarse_water_reference(mean_b, sea, params.reference_window_m / px, stats.sea_brightness)
    ws = _odd(params.tophat_size_m / px)
    tophat = log_b - ndimage.grey_opening(log_b, size=(ws, ws))
    smoothed = ndimage.uniform_filter(tophat, 3)
    near = ndimage.binary_dilation(sea, iterations=params.near_sea_px) if params.near_sea_px else sea
    peaks = (smoothed >= ndimage.maximum_filter(smoothed, _odd(params.peak_window_m / px)))
    peaks &= (smoothed >= params.min_peak_tophat) & near
    return {
        "candidate": peaks,
        "sea": sea,
        "holes": holes,
        "ndwi": index,
        "log_ratio": log_ratio,
        "tophat": tophat,
        "smoothed": smoothed,
        "total": total,
        **{k: b_[k] for k in S2_SHIP_BANDS},
    }


def _patch_index(shape: tuple[int, ...], rows: NDArray[np.int64], cols: NDArray[np.int64], radius: int,
                 reflect: bool = False) -> NDArray[np.int64]:
    """Flat indices of the (n, 2r+1, 2r+1) windows centred on the points; beyond the edge the
    edge pixels repeated, or with ``reflect`` the image mirrored as SciPy's filters do
    (``mode="reflect"``, for radii smaller than the image)."""
    h, w = shape
    off = np.arange(-radius, radius + 1)
    rr = rows[:, None, None] + off[None, :, None]
    cc = cols[:, None, None] + off[None, None, :]
    if reflect:
        rr = np.where(rr < 0, -rr - 1, np.where(rr >= h, 2 * h - rr - 1, rr))
        cc = np.where(cc < 0, -cc - 1, np.where(cc >= w, 2 * w - cc - 1, cc))
    return np.clip(rr, 0, h - 1) * w + np.clip(cc, 0, w - 1)


def _patches(image: NDArray, rows: NDArray[np.int64], cols: NDArray[np.int64], radius: int) -> NDArray:
    """(n, 2r+1, 2r+1) windows of ``image`` centred on the points (edge pixels repeated)."""
    return image.ravel()[_patch_index(image.shape, rows, cols, radius)]


def _openings_at(images: list[NDArray], rows: NDArray[np.int64], cols: NDArray[np.int64], size: int,
                 chunk: int) -> list[NDArray[np.float64]]:
    """The grey openings of ``images`` by a ``size`` square, only at the given pixels: the
    maximum over the window of the minima over the windows (a (2·size − 1)² patch per point,
    edges mirrored as in ``ndimage.grey_opening``), cheaper than opening the whole images for
    a few candidates per thousand pixels."""
    half = size // 2
    n = 2 * half + 1  # the erosion is needed on the central n × n of each patch
    out = [np.empty(rows.size, np.float64) for _ in images]
    for i in range(0, rows.size, chunk):
        idx = _patch_index(images[0].shape, rows[i:i + chunk], cols[i:i + chunk], 2 * half, reflect=True)
        for image, o in zip(images, out, strict=True):
            p = image.ravel()[idx]
            e = p[:, :n, :].copy()
            for d in range(1, size):
                np.minimum(e, p[:, d:d + n, :], out=e)
            e2 = e[:, :, :n].copy()
            for d in range(1, size):
                np.minimum(e2, e[:, :, d:d + n], out=e2)
            o[i:i + chunk] = e2.max((1, 2))
    return out


def _blob_features(layers: dict[str, NDArray], rows: NDArray[np.int64], cols: NDArray[np.int64], px: float,
                   radius: int) -> dict[str, NDArray[np.float64]]:
    """Size, shape and surroundings of the pixels within ``radius`` of each point whose top-hat
    is at least half the point's."""
    idx = _patch_index(layers["tophat"].shape, rows, cols, radius)
    tp = layers["tophat"].ravel()[idx]
    sp = layers["sea"].ravel()[idx]
    peak = np.maximum(layers["tophat"][rows, cols], 1e-3)[:, None, None]
    m = (tp >= 0.5 * peak).astype(np.float64)
    cnt = m.sum((1, 2))
    s = np.maximum(cnt, 1)
    off = np.arange(-radius, radius + 1, dtype=np.float64)
    dr, dc = off[None, :, None], off[None, None, :]
    mr, mc = (m * dr).sum((1, 2)) / s, (m * dc).sum((1, 2)) / s
    vrr = (m * dr * dr).sum((1, 2)) / s - mr**2 + 1 / 12
    vcc = (m * dc * dc).sum((1, 2)) / s - mc**2 + 1 / 12
    vrc = (m * dr * dc).sum((1, 2)) / s - mr * mc
    tr = vrr + vcc
    disc = np.sqrt(np.maximum((vrr - vcc) ** 2 / 4 + vrc**2, 0))
    lam1, lam2 = tr / 2 + disc, np.maximum(tr / 2 - disc, 0)
    lr = layers["log_ratio"].ravel()[idx]
    return {
        "blob_area_m2": cnt * px * px,
        "blob_length_m": np.sqrt(12 * lam1) * px,
        "blob_width_m": np.sqrt(12 * lam2) * px,
        "blob_elongation": np.sqrt(lam1 / np.maximum(lam2, 1e-3)),
        "blob_sea": (m * sp).sum((1, 2)) / s,
        "blob_offset_m": np.hypot(mr, mc) * px,
        "blob_ring_tophat": (tp * (1 - m)).sum((1, 2)) / np.maximum((1 - m).sum((1, 2)), 1),
        "patch_sea": sp.mean((1, 2)),
        "blob_log_ratio_max": np.where(m > 0, lr, -9.0).max((1, 2)),
    }


def candidate_features(
    bands: dict[str, NDArray[np.float32]], ground_px_m: float, stats: SceneStats, params: ShipParams = ShipParams(),
    layers: dict[str, NDArray] | None = None, chunk: int = 20_000,
) -> Candidates:
    """Candidate points of one image (or block) and their :data:`FEATURE_NAMES` features
    (``layers`` from :func:`candidate_mask` if already computed)."""
    px = ground_px_m
    if layers is None:
        layers = candidate_mask(bands, px, stats, params)
    r, c = np.nonzero(layers["candidate"])
    r, c = r.astype(np.int64), c.astype(np.int64)
    if r.size == 0:
        return Candidates(r, c, np.zeros((0, len(FEATURE_NAMES)), np.float32), px)
    sea, index, log_ratio, tophat = layers["sea"], layers["ndwi"], layers["log_ratio"], layers["tophat"]
    f: dict[str, NDArray] = {}
    f["smoothed_tophat"] = layers["smoothed"][r, c]
    f["tophat"] = tophat[r, c]
    f["log_ratio"] = log_ratio[r, c]
    f["ndwi"] = index[r, c] - stats.water_threshold
    f["sea"] = sea[r, c]
    f["hole"] = layers["holes"][r, c]
    local_max = _patches(layers["smoothed"], r, c, _odd(90 / px) // 2).max((1, 2))
    f["peak_dominance"] = f["smoothed_tophat"] / np.maximum(local_max, 1e-3)
    ws = _odd(params.tophat_size_m / px)
    window = params.reference_window_m / px
    openings = _openings_at([layers[k] for k in S2_SHIP_BANDS], r, c, ws, chunk)
    for k, opening in zip(S2_SHIP_BANDS, openings, strict=True):
        band = layers[k]
        log_at = np.log(band[r, c])
        ref = _coarse_water_reference(band, sea, window, stats.sea_brightness, at=(r, c))
        f[f"{k}_log_ratio"] = log_at - ref
        f[f"{k}_tophat"] = log_at - np.log(opening)  # the log is increasing: log of the opening
        f[f"{k}_share"] = band[r, c] / layers["total"][r, c]
    sea_box = _BoxMeans(sea.astype(np.float32))
    lr_box = _BoxMeans(log_ratio)
    lr2_box = _BoxMeans(log_ratio * log_ratio)
    th_box = _BoxMeans(tophat)
    nd_box = _BoxMeans(index)
    for size_m in WINDOWS_M:
        ww = _odd(size_m / px)
        mu = lr_box.at(r, c, ww)
        f[f"sea_w{size_m}"] = sea_box.at(r, c, ww)
        f[f"log_ratio_mean_w{size_m}"] = mu
        f[f"log_ratio_std_w{size_m}"] = np.sqrt(np.maximum(lr2_box.at(r, c, ww) - mu * mu, 0))
        f[f"tophat_mean_w{size_m}"] = th_box.at(r, c, ww)
        f[f"ndwi_w{size_m}"] = nd_box.at(r, c, ww) - stats.water_threshold
    f["ndwi_min3"] = _patches(index, r, c, 1).min((1, 2)) - stats.water_threshold
    radius = max(2, int(round(params.patch_m / px)))
    parts = [_blob_features(layers, r[i:i + chunk], c[i:i + chunk], px, radius) for i in range(0, r.size, chunk)]
    for k in parts[0]:
        f[k] = np.concatenate([p[k] for p in parts])
    x = np.column_stack([np.asarray(f[k], np.float64) for k in FEATURE_NAMES]).astype(np.float32)
    return Candidates(r, c, np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), px)


def blob_geometry(tophat: NDArray[np.float32], rows: NDArray[np.int64], cols: NDArray[np.int64],
                  radius: int) -> dict[str, NDArray[np.float64]]:
    """Pixel count, centroid, length, width and long-axis angle (:func:`component_moments`) of
    the connected pixels around each point whose top-hat is at least half the point's, within
    ``radius`` pixels (one small labelling per point: meant for the detections, not every
    candidate)."""
    n = rows.size
    lab = np.zeros((n, 2 * radius + 1, 2 * radius + 1), np.int32)
    if n:
        tp = _patches(tophat, rows, cols, radius)
        for i in range(n):
            comp, _ = ndimage.label(tp[i] >= 0.5 * max(float(tp[i, radius, radius]), 1e-3))
            lab[i] = np.where(comp == comp[radius, radius], i + 1, 0)
    big = lab.reshape(n * (2 * radius + 1), 2 * radius + 1)  # the patches stacked: labels stay apart
    mom = component_moments(big, n)
    mom["row"] = mom["row"] - (np.arange(n) * (2 * radius + 1) + radius) + rows
    mom["col"] = mom["col"] - radius + cols
    return mom


def non_max_suppression(
    rows: NDArray[np.float64], cols: NDArray[np.float64], score: NDArray[np.float64], radius_px: float
) -> NDArray[np.int64]:
    """Indices kept when, best score first (ties: the upper, then the left point), every point
    within ``radius_px`` of a kept one is dropped."""
    from scipy.spatial import cKDTree

    order = np.lexsort((cols, rows, -score))
    if order.size == 0:
        return order.astype(np.int64)
    pts = np.column_stack([rows, cols])
    tree = cKDTree(pts)
    dropped = np.zeros(score.size, bool)
    keep: list[int] = []
    for i in order:
        if dropped[i]:
            continue
        keep.append(int(i))
        dropped[tree.query_ball_point(pts[i], radius_px)] = True
    return np.asarray(keep, np.int64)


def _detect_block(
    bands: dict[str, NDArray[np.float32]],
    ground_px_m: float,
    stats: SceneStats,
    params: ShipParams,
    model: TreeEnsemble,
    threshold: float,
) -> dict[str, NDArray]:
    layers = candidate_mask(bands, ground_px_m, stats, params)
    c = candidate_features(bands, ground_px_m, stats, params, layers)
    score = model.predict_proba(c.features) if c.n else np.zeros(0)
    k = np.flatnonzero(score >= threshold)
    rows, cols = c.rows[k], c.cols[k]
    m = blob_geometry(layers["tophat"], rows, cols, max(2, int(round(params.max_ship_m / ground_px_m))))
    f = {name: c.features[k, i].astype(np.float64) for i, name in enumerate(FEATURE_NAMES)}
    return {
        "row": rows.astype(np.float64),
        "col": cols.astype(np.float64),
        "blob_row": m["row"],
        "blob_col": m["col"],
        "length_m": m["length_px"] * ground_px_m,
        "width_m": m["width_px"] * ground_px_m,
        "orientation_deg": m["orientation_deg"],
        "theta": m["theta"],
        "length_px": m["length_px"],
        "width_px": m["width_px"],
        "area_m2": m["n"] * ground_px_m**2,
        "contrast": f["log_ratio"],
        "ring_water_fraction": f["patch_sea"],
        "in_water": (f["sea"] + f["hole"]) > 0,
        "score": score[k],
    }


def _blocks(h: int, w: int, block: int, halo: int) -> list[tuple[int, int, int, int]]:
    """Core windows (r0, r1, c0, c1) tiling an h × w image."""
    rs = list(range(0, h, block))
    cs = list(range(0, w, block))
    return [(r, min(r + block, h), c, min(c + block, w)) for r in rs for c in cs]


def detect_ships(
    bands: dict[str, NDArray[np.float32]],
    ground_px_m: float,
    params: ShipParams = ShipParams(),
    model: TreeEnsemble | None = None,
    threshold: float | None = None,
) -> pl.DataFrame:
    """Ships in one scene (bands B02, B03, B04 and B08). One row per detection
    (:data:`SHIP_COLUMNS`; ``outline_px`` the oriented rectangle's closed ring, flattened
    r0, c0, r1, c1, …, r4, c4; ``score`` the classifier's probability). ``model`` defaults to
    the packaged classifier (:func:`.ship_model.default_model`); ``threshold`` to
    ``params.min_score`` or else the model's stored threshold."""
    _check_bands(bands)
    if model is None:
        from darkfleet.imagery.optical.ship_model import default_model

        model = default_model()
    if threshold is None:
        threshold = params.min_score if params.min_score is not None else float(model.meta.get("threshold", 0.5))
    stats = scene_stats(bands, params)
    h, w = bands["B03"].shape
    if h <= params.block_px + params.halo_px and w <= params.block_px + params.halo_px:
        parts = [_detect_block(bands, ground_px_m, stats, params, model, threshold)]
    else:
        halo = params.halo_px

        def run(win: tuple[int, int, int, int]) -> dict[str, NDArray]:
            r0, r1, c0, c1 = win
            a0, a1, b0, b1 = max(r0 - halo, 0), min(r1 + halo, h), max(c0 - halo, 0), min(c1 + halo, w)
            sub = {k: bands[k][a0:a1, b0:b1] for k in S2_SHIP_BANDS}
            out = _detect_block(sub, ground_px_m, stats, params, model, threshold)
            for k in ("row", "blob_row"):
                out[k] = out[k] + a0
            for k in ("col", "blob_col"):
                out[k] = out[k] + b0
            r, c = out["row"] + 0.5, out["col"] + 0.5
            inside = (r >= r0) & (r < r1) & (c >= c0) & (c < c1)
            return {k: v[inside] for k, v in out.items()}

        windows = _blocks(h, w, params.block_px, halo)
        if params.workers > 1:
            with ThreadPoolExecutor(params.workers) as pool:
                parts = list(pool.map(run, windows))
        else:
            parts = [run(win) for win in windows]
    d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = non_max_suppression(d["row"], d["col"], d["score"], params.nms_radius_m / ground_px_m)
    d = {k: v[keep] for k, v in d.items()}
    rect = outline_rectangles(d["blob_row"], d["blob_col"], d["theta"], d["length_px"], d["width_px"])
    df = pl.DataFrame(
        {
            **{c: d[c] for c in SHIP_COLUMNS if c != "outline_px"},
            "outline_px": rect.reshape(len(keep), 10).round(2),
        },
        schema=_schema(),
    )
    return df.sort("score", descending=True)


def _schema() -> dict[str, pl.DataType]:
    f = pl.Float64()
    return {
        "row": f,
        "col": f,
        "length_m": f,
        "width_m": f,
        "orientation_deg": f,
        "area_m2": f,
        "contrast": f,
        "ring_water_fraction": f,
        "in_water": pl.Boolean(),
        "score": f,
        "outline_px": pl.Array(pl.Float64(), 10),
    }
