"""Clutter statistics of a whole image that bright targets do not bias."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaincinv

F64 = NDArray[np.float64]


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
