"""Vessel detection on a :class:`SarImage`: tiled CFAR over all cores, clustering of target
pixels into vessels (with fragment merging and speckle rejection), attributes per vessel.

The image is processed in strips of whole blocks; each strip's block reduction runs on its own
thread (NumPy releases the GIL in its reductions, so strips use both cores). Background
statistics are computed on the block grid in overlapping strips (a halo of twice the background
radius, so the censoring of every output block sees everything it depends on).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from darkfleet.imagery.sar.ambiguity import AmbiguityParams, ambiguity_parents
from darkfleet.imagery.sar.attributes import AttributeParams, measure_clusters
from darkfleet.imagery.sar.cfar import (
    Background,
    BlockGeometry,
    BlockStats,
    CfarParams,
    block_geometry,
    block_stats,
    candidate_pixels,
    ring_background,
)
from darkfleet.imagery.sar.clutter_stats import robust_gamma_stats
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.radar import default_geometry

DETECTOR_VERSION = "sar-cfar-v2"  # v2: azimuth-ambiguity rejection
_STRIP_PIXELS = 1 << 18  # ~256 kpx (1 MB of float32) per strip: stays in cache
_COARSE_STRIP_CELLS = 1 << 21


@dataclass(frozen=True)
class ClusterParams:
    """Grouping target pixels into vessels.

    ``merge_distance_m``: target pixels closer than this are one vessel (a ship's hull often
    breaks into bright fragments a pixel or two apart at 10 m; 30 m joins gaps of two GRD
    pixels without joining ships moored side by side at typical 50 m+ spacing).
    ``min_pixels`` / ``min_area_m2``: smaller clusters are speckle (a single bright pixel is
    the commonest false alarm; 2 GRD pixels = 200 m² is below any vessel worth reporting
    from Sentinel-1's ~20 m resolution).
    """

    merge_distance_m: float = 30.0
    min_pixels: int = 2
    min_area_m2: float = 150.0

    def __post_init__(self) -> None:
        if self.merge_distance_m <= 0 or self.min_pixels < 1 or self.min_area_m2 < 0:
            raise ValueError("merge_distance_m > 0, min_pixels ≥ 1 and min_area_m2 ≥ 0 required")


@dataclass(frozen=True)
class DetectorParams:
    cfar: CfarParams = field(default_factory=CfarParams)
    cluster: ClusterParams = field(default_factory=ClusterParams)
    attributes: AttributeParams = field(default_factory=AttributeParams)
    ambiguity: AmbiguityParams = field(default_factory=AmbiguityParams)
    workers: int = 0  # 0: all cores


def _workers(params: DetectorParams) -> int:
    return params.workers or os.cpu_count() or 1


def _strips(n: int, step: int) -> list[tuple[int, int]]:
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def tiled_block_stats(
    x: NDArray[np.float32], br: int, bc: int, pool: ThreadPoolExecutor
) -> BlockStats:
    """:func:`block_stats` over strips of whole block rows, in parallel, written straight into
    the output arrays (no concatenated copies)."""
    h, w = x.shape
    rows_per_strip = max(br, (_STRIP_PIXELS // max(w, 1)) // br * br)
    shape = (-(-h // br), -(-w // bc))
    out = BlockStats(*(np.empty(shape, np.float32) for _ in range(4)))

    def run(s: tuple[int, int]) -> None:
        part = block_stats(x[s[0] : s[1]], br, bc)
        b0, b1 = s[0] // br, -(-s[1] // br)
        for f in ("total", "total_sq", "peak", "count"):
            getattr(out, f)[b0:b1] = getattr(part, f)

    list(pool.map(run, _strips(h, rows_per_strip)))
    return out


def tiled_background(
    stats: BlockStats,
    geom: BlockGeometry,
    params: CfarParams,
    fallback: tuple[float, float],
    pool: ThreadPoolExecutor,
) -> Background:
    """:func:`ring_background` over overlapping strips of block rows, in parallel."""
    n, m = stats.total.shape
    if n * m <= _COARSE_STRIP_CELLS:
        return ring_background(stats, geom, params, fallback)
    halo = 2 * geom.outer_radius_rows + 2
    step = max(halo, _COARSE_STRIP_CELLS // m)
    out = Background(*(np.empty((n, m), np.float32) for _ in range(3)))

    def run(s: tuple[int, int]) -> None:
        a, b = max(0, s[0] - halo), min(n, s[1] + halo)
        sub = BlockStats(stats.total[a:b], stats.total_sq[a:b], stats.peak[a:b], stats.count[a:b])
        bg = ring_background(sub, geom, params, fallback=fallback)
        sl = slice(s[0] - a, s[1] - a)
        out.mean[s[0] : s[1]], out.std[s[0] : s[1]], out.threshold[s[0] : s[1]] = (
            bg.mean[sl],
            bg.std[sl],
            bg.threshold[sl],
        )

    list(pool.map(run, _strips(n, step)))
    return out


def cluster_pixels(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    row_spacing_m: float,
    col_spacing_m: float,
    merge_distance_m: float,
) -> NDArray[np.int64]:
    """Cluster label per target pixel: pixels within ``merge_distance_m`` (on the ground) are
    linked, and so are 8-neighbours whatever the spacing."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    radius = max(merge_distance_m, 1.001 * float(np.hypot(row_spacing_m, col_spacing_m)))
    pts = np.column_stack([rows * row_spacing_m, cols * col_spacing_m])
    pairs = cKDTree(pts).query_pairs(radius, output_type="ndarray")
    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(len(pts),) * 2
    )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


@dataclass(frozen=True)
class Targets:
    """CFAR output before measurement: target pixels, their block and cluster, the background."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    blocks: NDArray[np.int64]
    labels: NDArray[np.int64]
    background: Background


def find_targets(image: SarImage, params: DetectorParams) -> Targets:
    """CFAR over the whole image (tiled, all cores) and clustering of the target pixels."""
    x = np.ascontiguousarray(image.sigma0, dtype=np.float32)
    geom = block_geometry(params.cfar, image.row_spacing_m, image.col_spacing_m)
    br, bc = geom.block_rows, geom.block_cols
    with ThreadPoolExecutor(max_workers=_workers(params)) as pool:
        stats = tiled_block_stats(x, br, bc, pool)
        fallback = robust_gamma_stats(x)
        background = tiled_background(stats, geom, params.cfar, fallback, pool)
    rows, cols, blocks = candidate_pixels(x, stats, background, br, bc)
    labels = cluster_pixels(
        rows, cols, image.row_spacing_m, image.col_spacing_m, params.cluster.merge_distance_m
    )
    return Targets(rows, cols, blocks, labels, background)


def measure(image: SarImage, targets: Targets, params: DetectorParams) -> pl.DataFrame:
    """Attributes of the clusters, ambiguity rejection and provenance columns. Separate from
    :func:`find_targets` so attribute parameters can be compared without re-running CFAR."""
    t = targets
    table = measure_clusters(
        image, t.rows, t.cols, t.blocks, t.labels, t.background, params.attributes, params.cluster
    )
    table = reject_ambiguities(image, table, params.ambiguity)
    return table.with_columns(
        pl.lit(image.source).alias("source"),
        pl.lit(image.band).alias("band"),
        pl.lit(DETECTOR_VERSION).alias("detector_version"),
    )


def detect(image: SarImage, params: DetectorParams | None = None) -> pl.DataFrame:
    """Detect vessels: one row per detection (see :data:`attributes.DETECTION_COLUMNS`)."""
    params = params or DetectorParams()
    return measure(image, find_targets(image, params), params)


def reject_ambiguities(image: SarImage, table: pl.DataFrame, params: AmbiguityParams) -> pl.DataFrame:
    """Drop detections that are azimuth ambiguities of brighter ones (:mod:`ambiguity`), with
    the ambiguity distance from the image's radar geometry, else Sentinel-1 IW defaults (per
    column for an image as wide as a whole IW scene)."""
    if table.height < 2 or not params.enabled:
        return table
    radar = image.radar or default_geometry(image.shape[1], image.col_spacing_m, image.incidence_deg)
    dx = radar.ambiguity_distance_m(table["col"].to_numpy())
    if dx.min() > image.shape[0] * image.row_spacing_m:
        return table  # the image is shorter than the ambiguity distance (a chip)
    parents = ambiguity_parents(
        table, image.row_spacing_m, image.col_spacing_m, dx, params, from_annotation=image.radar is not None
    )
    return table.filter(pl.Series(parents < 0))
