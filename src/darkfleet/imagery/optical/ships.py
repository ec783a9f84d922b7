"""Ships on water and alongside quays in 10 m Sentinel-2 imagery: a high-recall candidate
generator and a learned classifier over candidate features.

1. Water and sea from the NDWI (:mod:`.water`). Non-sea patches enclosed by the sea and no
   larger than a ship (``max_hole_area_m2``) are ship candidates; larger ones are piers, whose
   edges are quays.
2. Candidates (:func:`candidate_mask`), the union of
   - the ship-sized holes in the sea (ships at anchor, in basins);
   - sea pixels brighter than the local water by ``min_sea_log_ratio`` (small hulls whose mixed
     pixels still read as water in the NDWI);
   - pixels just landward of the sea edge (``berth_margin_px``) brighter than their 90 m grey
     opening by ``min_quay_log_ratio`` (a hull alongside a quay is narrower than the quay).
   Brightness is the mean of B02, B03, B04 and B08; "local water" is the mean brightness of
   the sea within ``reference_window_m``. Ratios, not differences, so scenes of different
   radiometric scaling (the sen2ships ports differ by ×5) give the same features.
3. Each connected candidate is described by :data:`FEATURE_NAMES` (:func:`candidate_features`):
   size and shape, how much of it and of rings around it is sea, its brightness against the
   local water and its surroundings, its colour, NDWI and NDVI, texture and sea fraction in
   windows of 50, 150 and 400 m around it, and its long axis against the coastline's normal.
4. A gradient-boosted tree classifier (:mod:`.trees`, trained by :mod:`.ship_model` on the
   sen2ships ports) scores each candidate; candidates at or above the model's threshold are
   kept. Kept candidates with pixels within ``nms_radius_m`` of each other are one vessel
   (:func:`merge_fragments`: a long hull splits into several candidates more than 30 m apart),
   reported at the centre and oriented extent of their union with the best member's score;
   of vessels whose centres are closer than ``nms_radius_m`` only the best-scored survives.

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

DETECTOR_VERSION = "optical-ships-3"  # 3: a vessel's fragments are merged into one detection
S2_SHIP_BANDS = ("B02", "B03", "B04", "B08")


@dataclass(frozen=True)
class ShipParams:
    """Candidate generator and post-processing. Defaults: ``max_hole_area_m2`` 40,000 m² is
    larger than the largest vessel labelled in sen2ships (2,700 px ≈ 15,000 m²);
    ``berth_margin_px`` 2 pixels (a hull alongside is a few pixels wide); ``tophat_size_m``
    90 m, wider than any hull; ``reference_window_m`` 1 km of water around a pixel;
    ``min_sea_log_ratio`` 0.25 (28 % brighter than the water) and ``min_quay_log_ratio`` 0.1
    keep nearly every labelled vessel as a candidate on the five ports (116 of 130, see
    tests/optical/test_real_data.py). ``min_score`` None uses the threshold stored with the
    model (chosen on held-out ports). ``nms_radius_m`` 30 m, the scoring distance: kept
    candidates closer than this are merged into one vessel, and of vessel centres closer than
    this only the best-scored is kept.
    ``block_px``/``halo_px``/``workers``: blocks for large scenes; the halo exceeds half the
    largest window (the 1 km water reference is computed on 8-pixel cells; 128 px covers half of
    it down to 8 m pixels, and 400 m windows everywhere)."""

    water: WaterParams = field(default_factory=WaterParams)
    max_hole_area_m2: float = 40_000.0
    berth_margin_px: int = 2
    tophat_size_m: float = 90.0
    reference_window_m: float = 1000.0
    min_sea_log_ratio: float = 0.25
    min_quay_log_ratio: float = 0.1
    min_score: float | None = None
    nms_radius_m: float = 30.0
    block_px: int = 3072
    halo_px: int = 128
    workers: int = 2

    def __post_init__(self) -> None:
        if self.berth_margin_px < 0 or self.tophat_size_m <= 0 or self.reference_window_m <= 0:
            raise ValueError("berth_margin_px must be ≥ 0, tophat_size_m and reference_window_m > 0")
        if self.min_score is not None and not 0 <= self.min_score <= 1:
            raise ValueError("min_score must be in [0, 1]")
        if self.block_px < 256 or self.halo_px < 0 or self.workers < 1:
            raise ValueError("block_px must be ≥ 256, halo_px ≥ 0 and workers ≥ 1")


FEATURE_NAMES: tuple[str, ...] = (
    "area_m2",
    "length_m",
    "width_m",
    "elongation",
    "hole_fraction",
    "sea_fraction",
    "quay_fraction",
    "ring1_sea",
    "ring1_log_ratio",
    "ring3_sea",
    "ring3_log_ratio",
    "log_ratio_mean",
    "log_ratio_max",
    "tophat_mean",
    "tophat_max",
    "contrast_ring3",
    "b02_share",
    "b02_share_ring3",
    "b03_share",
    "b03_share_ring3",
    "b04_share",
    "b04_share_ring3",
    "b08_share",
    "b08_share_ring3",
    "ndwi_mean",
    "ndwi_min",
    "ndvi_mean",
    "sea_w50",
    "log_ratio_std_w50",
    "log_ratio_mean_w50",
    "sea_w150",
    "log_ratio_std_w150",
    "log_ratio_mean_w150",
    "sea_w400",
    "log_ratio_std_w400",
    "log_ratio_mean_w400",
    "axis_vs_coast_normal",
    "coast_gradient",
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
    """Connected candidates of one image or block: label image (0 = none), moments and the
    feature matrix (rows = labels 1..n, columns = :data:`FEATURE_NAMES`)."""

    labels: NDArray[np.int32]
    moments: dict[str, NDArray[np.float64]]
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
    rr, cc = np.divmod(np.flatnonzero(sel), lab.shape[1])
    return _moments(idx[sel], rr, cc, n)


def _moments(idx: NDArray, rr: NDArray, cc: NDArray, n: int) -> dict[str, NDArray[np.float64]]:
    """:func:`component_moments` of the pixels (rr, cc) labelled ``idx`` in 1..n."""
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


class _LabelStats:
    """Per-label statistics over the (few) labelled pixels only: labels 1..n of ``lab``."""

    def __init__(self, lab: NDArray[np.int32], n: int, mask: NDArray[np.bool_] | None = None) -> None:
        self.sel = np.flatnonzero(lab if mask is None else mask)
        self.lab = lab.ravel()[self.sel]
        self.n = n
        self.count = np.bincount(self.lab, minlength=n + 1)[1:].astype(np.float64)
        self._order: NDArray[np.int64] | None = None

    def take(self, image: NDArray) -> NDArray:
        """The values of ``image`` at the labelled pixels."""
        return image.ravel()[self.sel]

    def mean(self, values: NDArray, taken: bool = False) -> NDArray[np.float64]:
        v = values if taken else values.ravel()[self.sel]
        return np.bincount(self.lab, v, minlength=self.n + 1)[1:] / np.maximum(self.count, 1)

    def _reduce(self, values: NDArray, ufunc: np.ufunc) -> NDArray[np.float64]:
        if self._order is None:
            self._order = np.argsort(self.lab, kind="stable")
        ordered = self.lab[self._order]
        starts = np.searchsorted(ordered, np.arange(1, self.n + 1))
        out = np.zeros(self.n, np.float64)
        present = self.count > 0
        if present.any():
            red = ufunc.reduceat(values.ravel()[self.sel][self._order], starts[present])
            out[present] = red
        return out

    def max(self, values: NDArray) -> NDArray[np.float64]:
        return self._reduce(values, np.maximum)

    def min(self, values: NDArray) -> NDArray[np.float64]:
        return self._reduce(values, np.minimum)


def _coarse_water_reference(
    bright: NDArray[np.float32], sea: NDArray[np.bool_], window_px: float, fallback: float, cell: int = 8
) -> NDArray[np.float32]:
    """Log of the mean brightness of the sea within ``window_px`` of each pixel, computed on
    ``cell``-pixel cells (a 1 km mean varies slowly); ``fallback`` where less than 2 % of the
    window is sea."""
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
    ``candidate``, ``sea``, ``holes``, ``quay``, ``ndwi``, ``log_ratio`` (brightness against
    the local water, natural log), ``tophat`` (log brightness above its 90 m opening) and the
    band shares."""
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
    if params.berth_margin_px:
        near = ndimage.binary_dilation(sea, iterations=params.berth_margin_px) & ~sea
    else:
        near = np.zeros_like(sea)
    quay = near & (tophat >= params.min_quay_log_ratio)
    cand = holes | (sea & (log_ratio >= params.min_sea_log_ratio)) | quay
    return {
        "candidate": cand,
        "sea": sea,
        "holes": holes,
        "quay": quay,
        "ndwi": index,
        "log_ratio": log_ratio,
        "tophat": tophat,
        "total": total,
        **{k: b_[k] for k in S2_SHIP_BANDS},
    }


def candidate_features(
    bands: dict[str, NDArray[np.float32]], ground_px_m: float, stats: SceneStats, params: ShipParams = ShipParams()
) -> Candidates:
    """Candidates of one image (or block) and their :data:`FEATURE_NAMES` features."""
    px = ground_px_m
    layers = candidate_mask(bands, px, stats, params)
    lab, n = ndimage.label(layers["candidate"])
    lab = lab.astype(np.int32, copy=False)
    mom = component_moments(lab, n)
    if n == 0:
        return Candidates(lab, mom, np.zeros((0, len(FEATURE_NAMES)), np.float32), px)
    sea = layers["sea"]
    log_ratio = layers["log_ratio"]
    inside = _LabelStats(lab, n)
    f: dict[str, NDArray[np.float64]] = {}
    f["area_m2"] = mom["n"] * px * px
    f["length_m"] = mom["length_px"] * px
    f["width_m"] = mom["width_px"] * px
    f["elongation"] = mom["length_px"] / np.maximum(mom["width_px"], 0.5)
    f["hole_fraction"] = inside.mean(layers["holes"])
    f["sea_fraction"] = inside.mean(sea)
    f["quay_fraction"] = inside.mean(layers["quay"])
    rings: dict[int, _LabelStats] = {}
    for r in (1, 3):
        grown = ndimage.grey_dilation(lab, size=(2 * r + 1, 2 * r + 1))
        ring_lab = np.where(lab == 0, grown, 0)
        rings[r] = ring = _LabelStats(ring_lab, n)
        f[f"ring{r}_sea"] = ring.mean(sea)
        f[f"ring{r}_log_ratio"] = ring.mean(log_ratio)
    f["log_ratio_mean"] = inside.mean(log_ratio)
    f["log_ratio_max"] = inside.max(log_ratio)
    f["tophat_mean"] = inside.mean(layers["tophat"])
    f["tophat_max"] = inside.max(layers["tophat"])
    f["contrast_ring3"] = f["log_ratio_mean"] - f["ring3_log_ratio"]
    for k in S2_SHIP_BANDS:
        for name, st in ((f"{k.lower()}_share", inside), (f"{k.lower()}_share_ring3", rings[3])):
            f[name] = st.mean(st.take(layers[k]) / st.take(layers["total"]), taken=True)
    index = layers["ndwi"]
    f["ndwi_mean"] = inside.mean(index) - stats.water_threshold
    f["ndwi_min"] = inside.min(index) - stats.water_threshold
    b04, b08 = inside.take(layers["B04"]), inside.take(layers["B08"])
    f["ndvi_mean"] = inside.mean((b08 - b04) / (b08 + b04), taken=True)
    h, w = lab.shape
    ri = np.clip(np.round(mom["row"]).astype(np.int64), 0, h - 1)
    ci = np.clip(np.round(mom["col"]).astype(np.int64), 0, w - 1)
    sea_box = _BoxMeans(sea.astype(np.float32))
    lr_box = _BoxMeans(log_ratio)
    lr2_box = _BoxMeans(log_ratio * log_ratio)
    for size_m in (50, 150, 400):
        ww = _odd(size_m / px)
        mu = lr_box.at(ri, ci, ww)
        f[f"sea_w{size_m}"] = sea_box.at(ri, ci, ww)
        f[f"log_ratio_std_w{size_m}"] = np.sqrt(np.maximum(lr2_box.at(ri, ci, ww) - mu * mu, 0))
        f[f"log_ratio_mean_w{size_m}"] = mu
    # Coast normal: gradient of the 150 m sea fraction (pointing into the sea).
    w150 = _odd(150 / px)
    d = max(1, _odd(50 / px) // 2)
    gr = sea_box.at(ri + d, ci, w150) - sea_box.at(ri - d, ci, w150)
    gc = sea_box.at(ri, ci + d, w150) - sea_box.at(ri, ci - d, w150)
    f["axis_vs_coast_normal"] = np.abs(np.cos(mom["theta"] - np.arctan2(gc, gr)))
    f["coast_gradient"] = np.hypot(gr, gc)
    x = np.column_stack([f[k] for k in FEATURE_NAMES]).astype(np.float32)
    return Candidates(lab, mom, np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), px)


def non_max_suppression(
    rows: NDArray[np.float64], cols: NDArray[np.float64], score: NDArray[np.float64], radius_px: float
) -> NDArray[np.int64]:
    """Indices kept when, best score first, every point within ``radius_px`` of a kept one is dropped."""
    from scipy.spatial import cKDTree

    order = np.argsort(-score, kind="stable")
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


@dataclass(frozen=True)
class Merged:
    """Kept candidates merged into vessels (:func:`merge_fragments`): ``moments`` of the
    vessels (:func:`component_moments` of their pixels), ``group`` the vessel (0-based) of
    each kept candidate and ``score`` the best score of each vessel's candidates."""

    moments: dict[str, NDArray[np.float64]]
    group: NDArray[np.int64]
    score: NDArray[np.float64]


def merge_fragments(
    labels: NDArray[np.int32], kept: NDArray[np.int64], score: NDArray[np.float64], gap_px: float
) -> Merged:
    """One vessel, one detection: of the kept candidates ``kept`` (0-based indices into the
    labels 1..n of ``labels``, ``score`` their scores), those with pixels within ``gap_px`` of
    each other, directly or through other kept candidates, are one vessel (a long hull splits
    into several candidates along its dark deck structures). A vessel's moments are those of
    the union of its candidates' pixels. Only the kept candidates' pixels are visited."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = int(labels.max()) if labels.size else 0
    lut = np.zeros(n + 1, np.int64)
    lut[kept + 1] = np.arange(1, kept.size + 1)
    flat = lut[labels.ravel()]
    pix = np.flatnonzero(flat)
    member = flat[pix] - 1  # position in ``kept`` of each pixel's candidate
    rr, cc = np.divmod(pix, labels.shape[1])
    pairs = cKDTree(np.column_stack([rr, cc])).query_pairs(gap_px, output_type="ndarray") if pix.size else None
    if pairs is None or pairs.size == 0:
        pairs = np.zeros((0, 2), np.int64)
    a, b = member[pairs[:, 0]], member[pairs[:, 1]]
    cross = a != b
    graph = coo_matrix((np.ones(int(cross.sum())), (a[cross], b[cross])), shape=(kept.size, kept.size))
    ng, group = connected_components(graph, directed=False)
    best = np.full(ng, -np.inf)
    np.maximum.at(best, group, score)
    return Merged(_moments(group[member] + 1, rr, cc, ng), group.astype(np.int64), best)


def _detect_block(
    bands: dict[str, NDArray[np.float32]],
    ground_px_m: float,
    stats: SceneStats,
    params: ShipParams,
    model: TreeEnsemble,
    threshold: float,
) -> dict[str, NDArray]:
    c = candidate_features(bands, ground_px_m, stats, params)
    score = model.predict_proba(c.features) if c.n else np.zeros(0)
    k = np.flatnonzero(score >= threshold)
    v = merge_fragments(c.labels, k, score[k], params.nms_radius_m / ground_px_m)
    m = v.moments
    # Per-vessel values: pixel-weighted means of the members' features.
    w = c.moments["n"][k]
    total = np.maximum(np.bincount(v.group, w, minlength=v.score.size), 1)
    f = {
        name: np.bincount(v.group, w * c.features[k, i], minlength=v.score.size) / total
        for i, name in enumerate(FEATURE_NAMES)
        if name in ("contrast_ring3", "ring1_sea", "hole_fraction", "sea_fraction")
    }
    return {
        "row": m["row"],
        "col": m["col"],
        "length_m": m["length_px"] * ground_px_m,
        "width_m": m["width_px"] * ground_px_m,
        "orientation_deg": m["orientation_deg"],
        "theta": m["theta"],
        "length_px": m["length_px"],
        "width_px": m["width_px"],
        "area_m2": m["n"] * ground_px_m * ground_px_m,
        "contrast": f["contrast_ring3"],
        "ring_water_fraction": f["ring1_sea"],
        "in_water": f["hole_fraction"] + f["sea_fraction"] > 0.5,
        "score": v.score,
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
            out["row"] = out["row"] + a0
            out["col"] = out["col"] + b0
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
    rect = outline_rectangles(d["row"], d["col"], d["theta"], d["length_px"], d["width_px"])
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
