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
background of the next (up to ``censor_passes`` times, until nothing new is censored), so a
ship (or a neighbouring ship) in the ring cannot raise the threshold and hide a target (a lone
block barely above its threshold is speckle and is not censored, see :func:`_targets`). Where
the image edge or a mask leaves fewer than ``min_background_px`` valid ring pixels (small
chips, coasts), image-wide clutter statistics are used instead (the detector passes a
quantile-matched gamma fit that the targets do not bias, ``clutter_stats.robust_gamma_stats``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.special import gammainccinv, ndtri

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

    total: NDArray[np.float32]  # sum of valid pixels (a block sum of ≤ a few dozen pixels)
    total_sq: NDArray[np.float32]  # sum of squares
    peak: NDArray[np.float32]  # maximum (-inf for blocks with no valid pixel)
    count: NDArray[np.float32]  # valid pixels


def _reduce(x: NDArray[np.float32], br: int, bc: int, op: np.ufunc) -> NDArray[np.float32]:
    """Reduce ``br × bc`` blocks with a binary ufunc over strided views: rows first (whole
    contiguous rows, vectorised), then columns of the ``br``-times smaller result; several
    times faster than a 4-D ``reshape(...).sum(axis=(1, 3))``."""
    acc = op(x[0::br], x[1::br]) if br > 1 else x.copy()
    for k in range(2, br):
        op(acc, x[k::br], out=acc)
    out = op(acc[:, 0::bc], acc[:, 1::bc]) if bc > 1 else acc
    for k in range(2, bc):
        op(out, acc[:, k::bc], out=out)
    return out


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
    total = _reduce(x, br, bc, np.add)
    sq = _reduce(x * x, br, bc, np.add)
    peak = _reduce(x, br, bc, np.maximum)
    count = np.full((nbr, nbc), float(br * bc), dtype=np.float32)
    bad = ~np.isfinite(total)
    if bad.any():
        v = x.reshape(nbr, br, nbc, bc)
        bi, bj = np.nonzero(bad)
        pix = v[bi, :, bj, :]  # (n, br, bc)
        ok = np.isfinite(pix)
        total[bad] = np.where(ok, pix, 0).sum(axis=(1, 2))
        sq[bad] = np.where(ok, pix * pix, 0).sum(axis=(1, 2))
        peak[bad] = np.where(ok, pix, -np.inf).max(axis=(1, 2))
        count[bad] = ok.sum(axis=(1, 2))
    return BlockStats(total, sq, peak, count)


def _box(a: NDArray[np.float32], r: int, c: int) -> NDArray[np.float32]:
    """Sums of ``a`` over the (2r+1) × (2c+1) box around each cell, cells outside the array
    counting as zero (the window is truncated at the edges). Two running-sum passes
    (``uniform_filter1d`` accumulates in double precision), whatever the box size."""
    out = ndimage.uniform_filter1d(a, 2 * r + 1, axis=0, mode="constant")
    out = ndimage.uniform_filter1d(out, 2 * c + 1, axis=1, mode="constant")
    out *= np.float32((2 * r + 1) * (2 * c + 1))
    return out


_LOOKS_MIN, _LOOKS_MAX, _TABLE_SIZE = 0.3, 300.0, 2048


@lru_cache(maxsize=16)
def _gamma_factor_table(pfa: float) -> F64:
    """Threshold / mean for a gamma background of shape L, tabulated on log-spaced L."""
    looks = np.geomspace(_LOOKS_MIN, _LOOKS_MAX, _TABLE_SIZE)
    return gammainccinv(looks, pfa) / looks


def threshold(mean: NDArray, var: NDArray, params: CfarParams) -> NDArray:
    """Per-block intensity threshold from the background mean and variance (same dtype)."""
    std = np.sqrt(np.maximum(var, 0))
    if params.model == "gaussian":
        return mean + mean.dtype.type(ndtri(1.0 - params.pfa)) * std
    looks = np.divide(mean * mean, var, out=np.full_like(mean, _LOOKS_MAX), where=var > 0)
    np.clip(looks, _LOOKS_MIN, _LOOKS_MAX, out=looks)
    # Linear interpolation on the log-spaced table by direct indexing.
    pos = np.log(looks)
    pos -= math.log(_LOOKS_MIN)
    pos *= (_TABLE_SIZE - 1) / math.log(_LOOKS_MAX / _LOOKS_MIN)
    i = np.minimum(pos.astype(np.int32), _TABLE_SIZE - 2)
    pos -= i
    table = _gamma_factor_table(params.pfa).astype(mean.dtype)
    lo = table[i]
    lo += pos * (table[i + 1] - lo)
    return mean * lo


@dataclass(frozen=True)
class Background:
    """Per-block background statistics and threshold."""

    mean: NDArray[np.float32]
    std: NDArray[np.float32]
    threshold: NDArray[np.float32]


def _box_counts(n: int, m: int, r: int, c: int) -> F64:
    """Number of cells of an n × m array inside the (2r+1) × (2c+1) box around each cell."""
    i, j = np.arange(n), np.arange(m)
    rows = np.minimum(i + r, n - 1) - np.maximum(i - r, 0) + 1
    cols = np.minimum(j + c, m - 1) - np.maximum(j - c, 0) + 1
    return np.outer(rows.astype(np.float64), cols.astype(np.float64))


def _ring_stats(
    total: NDArray[np.float32],
    sq: NDArray[np.float32],
    count: NDArray[np.float32],
    geom: BlockGeometry,
    params: CfarParams,
    fallback: tuple[float, float],
    full_block: float | None,
) -> Background:
    """Ring statistics and threshold for every cell. ``full_block``: when every block is fully
    valid, its pixel count (counts then come from geometry rather than box sums)."""
    (ro, co), (rg, cg) = (
        (geom.outer_radius_rows, geom.outer_radius_cols),
        (geom.guard_radius_rows, geom.guard_radius_cols),
    )
    if full_block is not None:
        h, w = total.shape
        n = ((_box_counts(h, w, ro, co) - _box_counts(h, w, rg, cg)) * full_block).astype(np.float32)
    else:
        n = _box(count, ro, co) - _box(count, rg, cg)
    few = n < params.min_background_px
    np.maximum(n, 1.0, out=n)
    mean = _box(total, ro, co)
    mean -= _box(total, rg, cg)
    mean /= n
    var = _box(sq, ro, co)
    var -= _box(sq, rg, cg)
    var /= n
    var -= mean * mean
    np.maximum(var, 0, out=var)
    if few.any():
        mean[few], var[few] = fallback[0], fallback[1]
    return Background(mean, np.sqrt(var), threshold(mean, var, params))


def _dilate3(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """3 × 3 binary dilation of a sparse mask, touching only its set cells."""
    i, j = np.nonzero(mask)
    out = np.zeros_like(mask)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            out[np.clip(i + di, 0, mask.shape[0] - 1), np.clip(j + dj, 0, mask.shape[1] - 1)] = True
    return out


def _targets(peak: NDArray[np.float32], thr: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Blocks to censor: above the threshold with an 8-neighbour above it too, or by more
    than 3 dB. A lone block just above it is speckle (one pixel in ~10⁶, rejected later as a
    single pixel); leaving it in its neighbours' rings of ~300 blocks changes nothing, and
    skipping it spares most of the censoring work on a full scene."""
    above = peak > thr
    i, j = np.nonzero(above)
    if i.size == 0:
        return above
    n, m = above.shape
    lin = i * m + j
    di, dj = np.array([-1, -1, -1, 0, 0, 1, 1, 1]), np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    ni, nj = i[:, None] + di, j[:, None] + dj
    inside = (ni >= 0) & (ni < n) & (nj >= 0) & (nj < m)
    paired = (np.isin(ni * m + nj, lin) & inside).any(axis=1)
    strong = peak[i, j] > 2 * thr[i, j]
    out = np.zeros_like(above)
    out[i[paired | strong], j[paired | strong]] = True
    return out


def _windows(mask: NDArray[np.bool_], rr: int, rc: int) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (r0, r1, c0, c1) of the cells within (rr, rc) of groups of set cells."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    i, j = np.nonzero(mask)
    pts = np.column_stack([i / max(rr, 1), j / max(rc, 1)])
    pairs = cKDTree(pts).query_pairs(2.0, p=np.inf, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(i),) * 2)
    _, lab = connected_components(graph, directed=False)
    n, m = mask.shape
    out = []
    for k in range(lab.max() + 1 if lab.size else 0):
        sel = lab == k
        out.append(
            (
                max(i[sel].min() - rr, 0),
                min(i[sel].max() + rr + 1, n),
                max(j[sel].min() - rc, 0),
                min(j[sel].max() + rc + 1, m),
            )
        )
    return out


def ring_background(
    stats: BlockStats,
    geom: BlockGeometry,
    params: CfarParams,
    fallback: tuple[float, float] | None = None,
) -> Background:
    """Background statistics over the guard-to-background ring of every block.

    ``fallback`` is the (mean, variance) used where the ring has fewer than
    ``min_background_px`` valid pixels; by default the statistics of the whole array
    (prefer :func:`~darkfleet.imagery.sar.clutter_stats.robust_gamma_stats` of the image, which targets do not bias).

    Censoring is local: only the cells within a background radius of newly censored blocks
    are recomputed, so its cost follows the number of targets, not the image size.
    """
    total, sq, count = stats.total, stats.total_sq, stats.count
    if fallback is None:
        n_all = float(count.sum(dtype=np.float64))
        mean_all = float(total.sum(dtype=np.float64)) / n_all if n_all else math.inf
        var_all = float(sq.sum(dtype=np.float64)) / n_all - mean_all**2 if n_all else 0.0
        fallback = (mean_all, max(var_all, 0.0))
    full = float(count.flat[0]) if count.size and (count == count.flat[0]).all() else None
    result = _ring_stats(total, sq, count, geom, params, fallback, full)
    if not params.censor:
        return result
    mean, std, thr = result.mean, result.std, result.threshold  # fresh arrays: updated in place
    hot = np.zeros(total.shape, dtype=bool)
    rr, rc = geom.outer_radius_rows, geom.outer_radius_cols
    for _ in range(params.censor_passes):
        new = _dilate3(_targets(stats.peak, thr)) & ~hot
        if not new.any():
            break
        hot |= new
        for r0, r1, c0, c1 in _windows(new, rr, rc):
            a0, a1 = max(r0 - rr, 0), min(r1 + rr, total.shape[0])
            b0, b1 = max(c0 - rc, 0), min(c1 + rc, total.shape[1])
            keep = ~hot[a0:a1, b0:b1]
            local = _ring_stats(
                total[a0:a1, b0:b1] * keep,
                sq[a0:a1, b0:b1] * keep,
                count[a0:a1, b0:b1] * keep,
                geom,
                params,
                fallback,
                None,
            )
            out = (slice(r0, r1), slice(c0, c1))
            inner = (slice(r0 - a0, r1 - a0), slice(c0 - b0, c1 - b0))
            mean[out], std[out], thr[out] = (
                local.mean[inner],
                local.std[inner],
                local.threshold[inner],
            )
    return Background(mean, std, thr)


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
