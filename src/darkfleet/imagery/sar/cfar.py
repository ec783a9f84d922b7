"""Two-parameter CFAR on sigma0: local background statistics from a ring between a guard box and
a background box, estimated on a stride grid with summed-area tables.

Pure kernels: arrays in, arrays out. The tiled, multi-threaded driver is in ``detect.py``.

How it works (and why it is fast). The image is reduced once into blocks of about
``stats_stride_m`` (per-block sum, sum of squares, maximum and valid-pixel count): that is the
only pass over full-resolution pixels. For every block, the background mean μ and standard
deviation σ are computed over the ring of blocks between the guard box and the background box
(summed-area tables, so the cost does not depend on window size), and turned into a threshold T
for the pixels of that block. Only blocks whose maximum exceeds T are opened again at full
resolution to list the target pixels. Estimating the background every stride rather than at
every pixel is standard practice (the background changes over hundreds of metres); the guard box
is widened by one stride so a target never leaks into its own background.

Censoring: blocks that hold a detection in one pass, and their neighbours, are left out of the
background of the next (up to ``censor_passes`` times, until nothing new is censored), so a ship (or a neighbouring ship) in the ring cannot raise
the threshold and hide a target. Where the image edge or a mask leaves fewer than
``min_background_px`` valid ring pixels (small chips, coasts), the statistics of all uncensored
valid pixels of the image are used instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.special import gammaincinv, gammainccinv, ndtri

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class CfarParams:
    """Detection thresholds. Distances are full window widths on the ground, in metres.

    Defaults: the guard and background windows are those of ESA SNAP's Sentinel-1 ocean
    "Adaptive Thresholding" operator (guard 500 m, background 800 m), whose guard box is sized
    for the largest ships; the false-alarm probability is per pixel. ``model="gamma"`` fits a
    gamma distribution to the ring by moments (shape = equivalent number of looks μ²/σ²), the
    standard model for multi-look speckle; ``"gaussian"`` is the classic μ + kσ test with
    k = Φ⁻¹(1 − pfa). The gamma model keeps the false-alarm rate near nominal in speckle,
    where the Gaussian test under-thresholds the heavy tail.
    """

    guard_window_m: float = 500.0
    background_window_m: float = 800.0
    pfa: float = 1e-6
    model: Literal["gamma", "gaussian"] = "gamma"
    stats_stride_m: float = 40.0
    min_background_px: int = 100
    censor: bool = True
    censor_passes: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.pfa < 0.5:
            raise ValueError(f"pfa must be in (0, 0.5), got {self.pfa}")
        if self.background_window_m <= self.guard_window_m:
            raise ValueError(
                f"background_window_m ({self.background_window_m}) must exceed "
                f"guard_window_m ({self.guard_window_m})"
            )
        if self.stats_stride_m <= 0 or self.guard_window_m <= 0:
            raise ValueError("stats_stride_m and guard_window_m must be positive")
        if self.model not in ("gamma", "gaussian"):
            raise ValueError(f"model must be 'gamma' or 'gaussian', got {self.model!r}")


@dataclass(frozen=True)
class BlockGeometry:
    """The CFAR windows converted to blocks for one pixel spacing."""

    block_rows: int
    block_cols: int
    guard_radius_rows: int  # in blocks, around the centre block
    guard_radius_cols: int
    outer_radius_rows: int
    outer_radius_cols: int


def block_geometry(params: CfarParams, row_spacing_m: float, col_spacing_m: float) -> BlockGeometry:
    """Metres → pixels → blocks, per axis (pixels need not be square: SLC is ~14 m × 4 m)."""
    br = max(1, round(params.stats_stride_m / row_spacing_m))
    bc = max(1, round(params.stats_stride_m / col_spacing_m))
    stride_r, stride_c = br * row_spacing_m, bc * col_spacing_m

    def radius(width_m: float, stride: float, extra: float) -> int:
        return max(1, math.ceil((width_m / 2 + extra) / stride - 0.5))

    gr = radius(params.guard_window_m, stride_r, stride_r)
    gc = radius(params.guard_window_m, stride_c, stride_c)
    orr = max(gr + 1, radius(params.background_window_m, stride_r, stride_r))
    oc = max(gc + 1, radius(params.background_window_m, stride_c, stride_c))
    return BlockGeometry(br, bc, gr, gc, orr, oc)


@dataclass(frozen=True)
class BlockStats:
    """Per-block reductions of a (strip of an) image."""

    total: F64  # sum of valid pixels
    total_sq: F64  # sum of squares
    peak: NDArray[np.float32]  # maximum (-inf for blocks with no valid pixel)
    count: F64  # valid pixels


def block_stats(x: NDArray[np.float32], br: int, bc: int) -> BlockStats:
    """Reduce an image into ``br × bc`` blocks; the last row/column of blocks may be partial.

    NaN pixels are invalid. Blocks without any NaN take the fast path (plain sums); the few
    that have one are recomputed with NaN-aware reductions.
    """
    h, w = x.shape
    nbr, nbc = -(-h // br), -(-w // bc)
    if h % br or w % bc:
        padded = np.full((nbr * br, nbc * bc), np.nan, dtype=np.float32)
        padded[:h, :w] = x
        x = padded
    v = x.reshape(nbr, br, nbc, bc)
    total = v.sum(axis=(1, 3), dtype=np.float64)
    sq = np.square(x).reshape(nbr, br, nbc, bc).sum(axis=(1, 3), dtype=np.float64)
    peak = v.max(axis=(1, 3))
    count = np.full((nbr, nbc), float(br * bc))
    bad = ~np.isfinite(total)
    if bad.any():
        bi, bj = np.nonzero(bad)
        pix = v[bi, :, bj, :]  # (n, br, bc)
        ok = np.isfinite(pix)
        total[bad] = np.where(ok, pix, 0).sum(axis=(1, 2))
        sq[bad] = np.where(ok, pix * pix, 0).sum(axis=(1, 2))
        peak[bad] = np.where(ok, pix, -np.inf).max(axis=(1, 2))
        count[bad] = ok.sum(axis=(1, 2))
    return BlockStats(total, sq, peak, count)


def _box_sums(a: F64, rr: int, rc: int, radii: list[tuple[int, int]]) -> list[F64]:
    """Sums of ``a`` over boxes of half-size (r, c) ≤ (rr, rc) around each cell; cells outside
    the array count as zero (the window is truncated at the edges)."""
    n, m = a.shape
    sat = np.zeros((n + 2 * rr + 1, m + 2 * rc + 1))
    sat[rr + 1 : rr + 1 + n, rc + 1 : rc + 1 + m] = a
    np.cumsum(sat, axis=0, out=sat)
    np.cumsum(sat, axis=1, out=sat)
    out = []
    for r, c in radii:
        r0, r1, c0, c1 = rr - r, rr + r + 1, rc - c, rc + c + 1
        out.append(
            sat[r1 : r1 + n, c1 : c1 + m]
            - sat[r0 : r0 + n, c1 : c1 + m]
            - sat[r1 : r1 + n, c0 : c0 + m]
            + sat[r0 : r0 + n, c0 : c0 + m]
        )
    return out


@lru_cache(maxsize=16)
def _gamma_factor_table(pfa: float) -> tuple[F64, F64]:
    """Threshold / mean for a gamma background of shape L, tabulated on log-spaced L."""
    looks = np.geomspace(0.3, 300.0, 2048)
    return np.log(looks), gammainccinv(looks, pfa) / looks


def threshold(mean: F64, var: F64, params: CfarParams) -> F64:
    """Per-block intensity threshold from the background mean and variance."""
    std = np.sqrt(np.maximum(var, 0.0))
    if params.model == "gaussian":
        return mean + float(ndtri(1.0 - params.pfa)) * std
    looks = np.where(std > 0, (mean / np.where(std > 0, std, 1.0)) ** 2, 300.0)
    log_l, factor = _gamma_factor_table(params.pfa)
    return mean * np.interp(np.log(np.clip(looks, 0.3, 300.0)), log_l, factor)


@lru_cache(maxsize=1)
def _quartile_ratio_table() -> tuple[F64, F64]:
    """For gamma shape L: (lower quartile / median, median / mean); the first is increasing in L."""
    looks = np.geomspace(0.3, 300.0, 2048)
    q25, q50 = gammaincinv(looks, 0.25), gammaincinv(looks, 0.5)
    return looks, np.stack([q25 / q50, q50 / looks])


def robust_gamma_stats(x: NDArray[np.float32], max_samples: int = 1 << 20) -> tuple[float, float]:
    """(mean, variance) of the clutter of an image, robust to bright targets covering up to
    about half of it: a gamma distribution is fitted to the lower quartile and the median of
    the valid pixels (quantile matching), which targets above the median do not move.
    Large images are subsampled on a regular grid."""
    step = max(1, int(math.sqrt(x.size / max_samples)))
    sample = x[::step, ::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return math.inf, 0.0
    q25, q50 = (float(v) for v in np.quantile(sample, [0.25, 0.5]))
    if q50 <= 0:
        mean = float(sample.mean())
        return mean, float(sample.var())
    looks, (ratio, med_over_mean) = _quartile_ratio_table()
    shape = float(np.interp(q25 / q50, ratio, looks))
    mean = q50 / float(np.interp(shape, looks, med_over_mean))
    return mean, mean * mean / shape


@dataclass(frozen=True)
class Background:
    """Per-block background statistics and threshold."""

    mean: F64
    std: F64
    threshold: F64


def ring_background(
    stats: BlockStats,
    geom: BlockGeometry,
    params: CfarParams,
    fallback: tuple[float, float] | None = None,
) -> Background:
    """Background statistics over the guard-to-background ring of every block.

    ``fallback`` is the (mean, variance) used where the ring has fewer than
    ``min_background_px`` valid pixels; by default the statistics of the whole array.
    """

    def once(total: F64, sq: F64, count: F64, fb: tuple[float, float]) -> Background:
        radii = [
            (geom.outer_radius_rows, geom.outer_radius_cols),
            (geom.guard_radius_rows, geom.guard_radius_cols),
        ]
        rr, rc = radii[0]
        s_out, s_in = _box_sums(total, rr, rc, radii)
        q_out, q_in = _box_sums(sq, rr, rc, radii)
        n_out, n_in = _box_sums(count, rr, rc, radii)
        n = n_out - n_in
        few = n < params.min_background_px
        safe_n = np.where(few, 1.0, n)
        mean = np.where(few, fb[0], (s_out - s_in) / safe_n)
        var = np.where(few, fb[1], (q_out - q_in) / safe_n - mean * mean)
        return Background(mean, np.sqrt(np.maximum(var, 0.0)), threshold(mean, var, params))

    def global_stats(total: F64, sq: F64, count: F64) -> tuple[float, float]:
        n = float(count.sum())
        if n == 0:
            return math.inf, 0.0
        mean = float(total.sum()) / n
        return mean, max(float(sq.sum()) / n - mean * mean, 0.0)

    total, sq, count = stats.total, stats.total_sq, stats.count
    result = once(total, sq, count, fallback or global_stats(total, sq, count))
    if not params.censor:
        return result
    hot = np.zeros(total.shape, dtype=bool)
    for _ in range(params.censor_passes):
        new_hot = ndimage.binary_dilation(
            stats.peak > result.threshold, structure=np.ones((3, 3), bool)
        )
        if not (new_hot & ~hot).any():
            break
        hot |= new_hot
        keep = ~hot
        kt, ks, kc = total * keep, sq * keep, count * keep
        result = once(kt, ks, kc, fallback or global_stats(kt, ks, kc))
    return result


def candidate_pixels(
    x: NDArray[np.float32],
    stats: BlockStats,
    background: Background,
    br: int,
    bc: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Pixels above their block's threshold: (rows, cols, flat block index), only opening the
    blocks whose maximum exceeds the threshold."""
    h, w = x.shape
    bi, bj = np.nonzero(stats.peak > background.threshold)
    if bi.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rows = bi[:, None, None] * br + np.arange(br)[None, :, None]
    cols = bj[:, None, None] * bc + np.arange(bc)[None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = (rows < h) & (cols < w)
    vals = np.full(rows.shape, -np.inf, dtype=np.float32)
    vals[inside] = x[rows[inside], cols[inside]]
    t = background.threshold[bi, bj][:, None, None]
    hit = vals > t  # NaN compares False: masked pixels never fire
    block = np.broadcast_to((bi * stats.peak.shape[1] + bj)[:, None, None], rows.shape)
    return rows[hit].astype(np.int64), cols[hit].astype(np.int64), block[hit].astype(np.int64)
