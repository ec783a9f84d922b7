"""Azimuth ambiguities ("ghosts"): faint copies of a bright target displaced along track.

A SAR samples the Doppler spectrum at the PRF, so a strong scatterer's energy aliased by ±PRF
is focused Δx = λ·R·PRF / (2·V) along track on either side of it (:mod:`radar`), with a
backscatter lower by the azimuth ambiguity-to-signal ratio (better than −22 dB for Sentinel-1
IW by design; a large ship's ghost still stands out of the sea). A detection is rejected as a
ghost when a detection at least ``min_contrast_db`` brighter sits at ±Δx along track from it
(within the tolerances). Pure kernel over a detections table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class AmbiguityParams:
    """``min_contrast_db``: how much brighter (peak sigma0) the parent must be (15 dB: the
    ambiguity ratio of Sentinel-1 IW is ~−22 dB or better, and speckle changes either peak by a
    few dB; two real ships that happen to sit Δx apart differ by less than that far more often).
    ``along_tolerance_fraction``: the ghost's along-track offset may differ from Δx by this
    share (6 %: slant range and PRF are known from the annotation; the ghost is defocused and its
    centroid wanders by a few hundred metres); ``default_along_tolerance_fraction`` (12 %)
    applies when Δx comes from Sentinel-1 IW defaults rather than the product's annotation.
    ``across_tolerance_m``: across-track slack (200 m: range migration of the ghost and the
    detection centroids). ``enabled``: False keeps every detection (for comparison)."""

    enabled: bool = True
    min_contrast_db: float = 15.0
    along_tolerance_fraction: float = 0.06
    default_along_tolerance_fraction: float = 0.12
    across_tolerance_m: float = 200.0

    def __post_init__(self) -> None:
        if self.min_contrast_db < 0 or self.across_tolerance_m <= 0:
            raise ValueError("min_contrast_db ≥ 0 and across_tolerance_m > 0 required")
        if not 0 < self.along_tolerance_fraction < 0.5 or not 0 < self.default_along_tolerance_fraction < 0.5:
            raise ValueError("along tolerance fractions must be in (0, 0.5)")


def ambiguity_parents(
    detections: pl.DataFrame,
    row_spacing_m: float,
    col_spacing_m: float,
    ambiguity_distance_m: NDArray[np.float64],
    params: AmbiguityParams,
    from_annotation: bool = True,
) -> NDArray[np.int64]:
    """For each detection, the row index of the brighter detection it is an azimuth ambiguity
    of, or −1. ``ambiguity_distance_m``: Δx at each detection (metres along track)."""
    n = detections.height
    out = np.full(n, -1, dtype=np.int64)
    if n < 2 or not params.enabled:
        return out
    frac = params.along_tolerance_fraction if from_annotation else params.default_along_tolerance_fraction
    dx = np.asarray(ambiguity_distance_m, dtype=np.float64)
    along_tol = frac * dx
    # Scaled coordinates: 1 unit = the along-track tolerance (its largest value) / the
    # across-track tolerance, so a unit ball holds every candidate; exact tests follow.
    a_unit, c_unit = float(along_tol.max()), params.across_tolerance_m
    y = detections["row"].to_numpy() * row_spacing_m
    x = detections["col"].to_numpy() * col_spacing_m
    tree = cKDTree(np.column_stack([y / a_unit, x / c_unit]))
    peak = detections["peak_sigma0"].to_numpy()
    ratio = 10 ** (params.min_contrast_db / 10)
    pairs = []
    for sign in (-1.0, 1.0):
        q = np.column_stack([(y + sign * dx) / a_unit, x / c_unit])
        hits = tree.query_ball_point(q, r=1.0)
        i = np.repeat(np.arange(n), [len(h) for h in hits])
        j = np.fromiter((k for h in hits for k in h), dtype=np.int64, count=len(i))
        ok = (
            (i != j)
            & (np.abs(y[j] - (y[i] + sign * dx[i])) <= along_tol[i])
            & (np.abs(x[j] - x[i]) <= c_unit)
            & (peak[j] >= ratio * peak[i])
        )
        pairs.append(np.column_stack([i[ok], j[ok]]))
    ij = np.concatenate(pairs)
    if len(ij):
        ij = ij[np.lexsort((-peak[ij[:, 1]], ij[:, 0]))]  # per ghost, brightest parent first
        first = np.unique(ij[:, 0], return_index=True)[1]
        out[ij[first, 0]] = ij[first, 1]
    return out
