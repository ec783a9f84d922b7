"""Generated SAR scenes with ground truth: sea clutter, planted vessels, and real chips pasted
into clutter matched to their own sea. For tests and benchmarks; deterministic for a seed.

Clutter is K-distributed intensity, the usual sea-clutter model: gamma speckle of ``looks``
(the product's equivalent number of looks) modulated by a gamma texture of shape
``texture_shape`` that varies over ``texture_cell_px`` (swell, wind patches).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from darkfleet.imagery.sar.clutter_stats import robust_gamma_stats


@dataclass(frozen=True)
class ClutterParams:
    """Defaults: Sentinel-1 IW GRD VV over open sea — σ⁰ about −17 dB (0.02), 4.4 looks
    (ESA's ENL for IW GRDH), texture shape 10 (moderately heterogeneous sea)."""

    mean_sigma0: float = 0.02
    looks: float = 4.4
    texture_shape: float | None = 10.0
    texture_cell_px: int = 64


def clutter(
    shape: tuple[int, int],
    params: ClutterParams,
    seed: int,
    workers: int = 2,
    strip_rows: int = 1024,
) -> NDArray[np.float32]:
    """K-distributed sea clutter, generated in strips on ``workers`` threads (each strip has
    its own random stream spawned from ``seed``, so the result does not depend on threads)."""
    h, w = shape
    out = np.empty(shape, dtype=np.float32)
    strips = [(s, min(s + strip_rows, h)) for s in range(0, h, strip_rows)]
    seeds = np.random.SeedSequence(seed).spawn(len(strips) + 1)
    tex = None
    if params.texture_shape is not None:
        c = params.texture_cell_px
        rng = np.random.default_rng(seeds[-1])
        tex = rng.gamma(
            params.texture_shape, 1.0 / params.texture_shape, size=(-(-h // c), -(-w // c))
        ).astype(np.float32)
    scale = np.float32(params.mean_sigma0 / params.looks)

    def fill(i: int) -> None:
        a, b = strips[i]
        rng = np.random.default_rng(seeds[i])
        block = out[a:b]
        rng.standard_gamma(params.looks, size=block.shape, dtype=np.float32, out=block)
        block *= scale
        if tex is not None:
            c = params.texture_cell_px
            rows = tex[np.arange(a, b) // c]
            block *= np.repeat(rows, c, axis=1)[:, :w]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(fill, range(len(strips))))
    return out


@dataclass(frozen=True)
class PlantedVessel:
    row: float
    col: float
    length_m: float
    width_m: float
    heading_deg: float  # axis angle from +row toward +col, in the image frame
    snr_db: float  # mean hull backscatter over the clutter mean


def plant_vessels(
    image: NDArray[np.float32],
    vessels: list[PlantedVessel],
    row_spacing_m: float,
    col_spacing_m: float,
    clutter_mean: float,
    seed: int,
) -> None:
    """Add rectangular hulls (speckled, with a bright superstructure) to ``image`` in place."""
    rng = np.random.default_rng(seed)
    for v in vessels:
        half = 0.5 * math.hypot(v.length_m, v.width_m) + 20.0
        r0, r1 = int(v.row - half / row_spacing_m), int(v.row + half / row_spacing_m) + 1
        c0, c1 = int(v.col - half / col_spacing_m), int(v.col + half / col_spacing_m) + 1
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, image.shape[0]), min(c1, image.shape[1])
        rr, cc = np.mgrid[r0:r1, c0:c1]
        dy, dx = (rr - v.row) * row_spacing_m, (cc - v.col) * col_spacing_m
        t = math.radians(v.heading_deg)
        along = dy * math.cos(t) + dx * math.sin(t)
        across = -dy * math.sin(t) + dx * math.cos(t)
        hull = (np.abs(along) <= v.length_m / 2) & (np.abs(across) <= max(v.width_m, 1.0) / 2)
        level = clutter_mean * 10 ** (v.snr_db / 10)
        boost = np.where(np.abs(along) < v.length_m / 6, 1.5, 1.0)  # superstructure
        speckle = rng.gamma(4.0, 0.25, size=hull.shape)
        image[r0:r1, c0:c1] += np.where(hull, level * boost * speckle, 0).astype(np.float32)


def random_vessels(
    n: int, shape: tuple[int, int], seed: int, margin_px: int = 100
) -> list[PlantedVessel]:
    """``n`` vessels on a jittered grid (never overlapping), lengths 30–300 m (log-uniform),
    width = length / 6.5, random axis, hull contrast 6–20 dB."""
    rng = np.random.default_rng(seed)
    h, w = shape
    side = math.ceil(math.sqrt(n * w / h))
    rows_n = math.ceil(n / side)
    cell_r, cell_c = (h - 2 * margin_px) / rows_n, (w - 2 * margin_px) / side
    out = []
    for k in range(n):
        i, j = divmod(k, side)
        length = float(np.exp(rng.uniform(math.log(30), math.log(300))))
        out.append(
            PlantedVessel(
                row=margin_px + (i + rng.uniform(0.3, 0.7)) * cell_r,
                col=margin_px + (j + rng.uniform(0.3, 0.7)) * cell_c,
                length_m=length,
                width_m=length / 6.5,
                heading_deg=float(rng.uniform(0, 180)),
                snr_db=float(rng.uniform(6, 20)),
            )
        )
    return out


def chip_mosaic(
    chips: list[NDArray[np.float32]],
    seed: int,
    margin_px: int = 64,
    looks_cap: float = 30.0,
) -> tuple[NDArray[np.float32], pl.DataFrame]:
    """Paste chips, one per grid cell, into clutter generated cell by cell with the statistics
    of that chip's own sea (quantile-matched gamma fit, robust to the ship in the chip).

    Returns the mosaic and a table of the chips' placements: ``chip`` (index), ``row0``,
    ``col0`` (chip origin), ``height``, ``width``, ``centre_row``, ``centre_col``.
    """
    rng = np.random.default_rng(seed)
    ch = max(c.shape[0] for c in chips) + 2 * margin_px
    cw = max(c.shape[1] for c in chips) + 2 * margin_px
    side = math.ceil(math.sqrt(len(chips)))
    rows_n = math.ceil(len(chips) / side)
    mosaic = np.empty((rows_n * ch, side * cw), dtype=np.float32)
    seeds = rng.integers(0, 2**31, size=rows_n * side)
    placements = []
    for k in range(rows_n * side):
        i, j = divmod(k, side)
        chip = chips[k] if k < len(chips) else chips[k % len(chips)]
        mean, var = robust_gamma_stats(chip)
        looks = min(mean * mean / var, looks_cap) if var > 0 else looks_cap
        cell = clutter((ch, cw), ClutterParams(mean, looks, None), int(seeds[k]), workers=1)
        if k < len(chips):
            r0 = int(rng.integers(margin_px // 2, ch - chip.shape[0] - margin_px // 2 + 1))
            c0 = int(rng.integers(margin_px // 2, cw - chip.shape[1] - margin_px // 2 + 1))
            cell[r0 : r0 + chip.shape[0], c0 : c0 + chip.shape[1]] = np.nan_to_num(chip)
            h, w = chip.shape
            placements.append(
                (k, i * ch + r0, j * cw + c0, h, w, i * ch + r0 + h // 2, j * cw + c0 + w // 2)
            )
        mosaic[i * ch : (i + 1) * ch, j * cw : (j + 1) * cw] = cell
    table = pl.DataFrame(
        placements,
        schema=["chip", "row0", "col0", "height", "width", "centre_row", "centre_col"],
        orient="row",
    )
    return mosaic, table
