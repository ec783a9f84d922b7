"""Accuracy against labels: detections matched one-to-one to labelled objects, and pixel F1 of
change masks. Pure functions; the label readers are in :mod:`.labels`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _assign(dist: NDArray[np.float64], max_dist: float) -> int:
    """Number of one-to-one pairs within ``max_dist`` (optimal assignment)."""
    if dist.size == 0:
        return 0
    cost = np.where(dist <= max_dist, dist, 1e9)
    r, c = linear_sum_assignment(cost)
    return int(np.sum(cost[r, c] < 1e9))


def match_points_to_masks(
    rows: NDArray[np.float64], cols: NDArray[np.float64], labels: NDArray[np.int32], max_dist_px: float
) -> Score:
    """A detection counts when its centre lies within ``max_dist_px`` of a labelled object's
    mask (``labels``: 0 background, 1..n objects); each object is matched once."""
    n = int(labels.max()) if labels.size else 0
    rows = np.asarray(rows, np.float64)
    cols = np.asarray(cols, np.float64)
    if n == 0 or rows.size == 0:
        return Score(0, int(rows.size), n)
    h, w = labels.shape
    ri = np.clip(np.round(rows).astype(int), 0, h - 1)
    ci = np.clip(np.round(cols).astype(int), 0, w - 1)
    dist = np.full((rows.size, n), np.inf)
    pad = int(np.ceil(max_dist_px)) + 1
    for j, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        r0, r1 = max(sl[0].start - pad, 0), min(sl[0].stop + pad, h)
        c0, c1 = max(sl[1].start - pad, 0), min(sl[1].stop + pad, w)
        near = (ri >= r0) & (ri < r1) & (ci >= c0) & (ci < c1)
        if not near.any():
            continue
        d = ndimage.distance_transform_edt(labels[r0:r1, c0:c1] != j)
        dist[near, j - 1] = d[ri[near] - r0, ci[near] - c0]
    tp = _assign(dist, max_dist_px)
    return Score(tp, int(rows.size) - tp, n - tp)


def match_points(pred: NDArray[np.float64], truth: NDArray[np.float64], max_dist: float) -> Score:
    """One-to-one matching of predicted to true points ((n, 2) arrays) within ``max_dist``."""
    pred = np.asarray(pred, np.float64).reshape(-1, 2)
    truth = np.asarray(truth, np.float64).reshape(-1, 2)
    if len(pred) == 0 or len(truth) == 0:
        return Score(0, len(pred), len(truth))
    dist = np.sqrt(((pred[:, None, :] - truth[None, :, :]) ** 2).sum(-1))
    tp = _assign(dist, max_dist)
    return Score(tp, len(pred) - tp, len(truth) - tp)


def mask_score(pred: NDArray[np.bool_], truth: NDArray[np.bool_]) -> Score:
    """Pixel counts of a binary mask against the truth (same shape)."""
    if pred.shape != truth.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {truth.shape}")
    tp = int(np.count_nonzero(pred & truth))
    fp = int(np.count_nonzero(pred & ~truth))
    fn = int(np.count_nonzero(~pred & truth))
    return Score(tp, fp, fn)
