"""Superpixel statistics of an image pair, the change model's object-level features.

OSCD's change labels are objects drawn as polygons (new buildings, construction sites, roads),
not pixels. A pixel's own difference is noisy; the statistics of the superpixel it lies in —
a region of similar colour on both dates — say whether a whole object changed. The pair is
segmented by SLIC (``skimage.segmentation.slic``) over the six standardised bands of both dates,
so a segment boundary follows an edge of either date, and each pixel gets its segment's
statistics (:func:`segment_statistics`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from skimage.segmentation import slic

STATISTICS: tuple[str, ...] = (
    "cva_mean",
    "cva_std",
    "brightness_diff",
    *(f"diff{i}" for i in range(3)),
    *(f"after{i}" for i in range(3)),
    "std_diff",
    "gradient_diff",
    "ncc",
    "size_px",
)


def superpixels(
    before: NDArray[np.float32], after: NDArray[np.float32], area_px: int, compactness: float
) -> NDArray[np.int64]:
    """SLIC labels (0, 1, …) of the pair stacked band-wise, about ``area_px`` pixels a segment.
    ``before`` and ``after`` are standardised (rows, cols, 3) images; ``compactness`` is SLIC's
    (low: segments follow colour more than shape)."""
    n_segments = max(1, before.shape[0] * before.shape[1] // area_px)
    stack = np.concatenate([before, after], -1)
    return slic(stack, n_segments=n_segments, compactness=compactness, channel_axis=-1, start_label=0)


def segment_statistics(
    labels: NDArray[np.integer],
    before: NDArray[np.float32],
    after: NDArray[np.float32],
    texture_change: NDArray[np.float32],
    gradient_change: NDArray[np.float32],
) -> dict[str, NDArray[np.float32]]:
    """Per pixel, the statistics of its segment (names in :data:`STATISTICS`): the mean and
    standard deviation of the change vector magnitude; the mean brightness change, band
    changes and after-date bands; the mean of ``texture_change`` and ``gradient_change``; the
    correlation of the two dates' brightness within the segment (low where its structure
    changed); and its size in pixels."""
    lab = labels.ravel()
    count = np.bincount(lab).astype(np.float64)

    def mean(x: NDArray[np.floating]) -> NDArray[np.float64]:
        return np.bincount(lab, x.ravel()) / np.maximum(count, 1)

    d = after - before
    cva = np.sqrt((d**2).sum(-1))
    cva_mean = mean(cva)
    la, lb = before.mean(-1), after.mean(-1)
    ma, mb = mean(la), mean(lb)
    va, vb = np.maximum(mean(la * la) - ma * ma, 0), np.maximum(mean(lb * lb) - mb * mb, 0)
    per_segment = {
        "cva_mean": cva_mean,
        "cva_std": np.sqrt(np.maximum(mean(cva * cva) - cva_mean * cva_mean, 0)),
        "brightness_diff": mean(d.mean(-1)),
        **{f"diff{i}": mean(d[..., i]) for i in range(3)},
        **{f"after{i}": mean(after[..., i]) for i in range(3)},
        "std_diff": mean(texture_change),
        "gradient_diff": mean(gradient_change),
        "ncc": (mean(la * lb) - ma * mb) / (np.sqrt(va * vb) + 0.05),
        "size_px": count,
    }
    return {k: per_segment[k][labels].astype(np.float32) for k in STATISTICS}
