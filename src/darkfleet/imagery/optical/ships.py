"""Ships on water and alongside quays in 10 m Sentinel-2 imagery (no training).

1. Water and sea from the NDWI (:mod:`.water`).
2. Candidates: the non-water holes inside the sea (ships at anchor, in basins), and pixels just
   landward of the sea edge (``berth_margin_px``) that stand out of their surroundings in a
   white top-hat of the visible+NIR brightness (a hull alongside a quay is brighter than the
   water and narrower than the quay behind it).
3. Each connected candidate is measured from its second moments (oriented length, width,
   orientation, outline rectangle) and kept when its size is a ship's and enough of its ring is
   water (a quay strip has land behind it on one side at least; a ship alongside has water on
   three).
4. Score: a logistic of the top-hat contrast (in robust standard deviations of the sea) and of
   the ring's water fraction.

Everything is vectorised over candidates (moments via ``np.bincount``), so a 10,980² tile runs
in seconds. ``orientation_deg`` is the long axis, clockwise from image up, in [0, 180): a
bearing on north-up grids, with bow and stern not told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import ndimage

from darkfleet.imagery.optical.water import WaterMask, WaterParams, water_mask

DETECTOR_VERSION = "optical-ships-1"


@dataclass(frozen=True)
class ShipParams:
    """Defaults: sizes from the vessels labelled in sen2ships (mask area 21–2,700 px, i.e.
    ~40 to ~400 m long); ``berth_margin_px`` 2 pixels (a hull is at most a few pixels wide);
    ``tophat_size_m`` 90 m, wider than any hull; contrast in robust σ of the sea brightness.
    Compared on the five sen2ships ports (tests/optical/test_ships_sen2ships.py)."""

    water: WaterParams = field(default_factory=WaterParams)
    berth_margin_px: int = 2
    tophat_size_m: float = 90.0
    min_contrast_sigma: float = 2.0
    min_area_m2: float = 600.0
    min_length_m: float = 30.0
    max_length_m: float = 450.0
    max_width_m: float = 80.0
    min_ring_water_fraction: float = 0.3
    score_contrast_sigma: float = 6.0  # contrast at which the score is one half

    def __post_init__(self) -> None:
        if self.berth_margin_px < 0 or self.tophat_size_m <= 0:
            raise ValueError("berth_margin_px must be ≥ 0 and tophat_size_m > 0")
        if not 0 <= self.min_ring_water_fraction <= 1:
            raise ValueError("min_ring_water_fraction must be in [0, 1]")
        if self.min_length_m > self.max_length_m:
            raise ValueError("min_length_m must not exceed max_length_m")


SHIP_COLUMNS = [
    "row",
    "col",
    "length_m",
    "width_m",
    "orientation_deg",
    "area_m2",
    "contrast_sigma",
    "ring_water_fraction",
    "in_water",
    "score",
    "outline_px",
]


def brightness(bands: dict[str, NDArray[np.float32]]) -> NDArray[np.float32]:
    """Mean of the visible and NIR bands present (B02, B03, B04, B08)."""
    names = [b for b in ("B02", "B03", "B04", "B08") if b in bands]
    out = np.zeros(next(iter(bands.values())).shape, np.float32)
    for b in names:
        out += bands[b]
    out /= max(len(names), 1)
    return out


def white_tophat(image: NDArray[np.float32], size_px: int, workers: int = 2) -> NDArray[np.float32]:
    """``image`` minus its grey opening by a size_px square, in row strips on ``workers``
    threads (SciPy's filters release the GIL; the strips overlap by the window)."""
    h = image.shape[0]
    if workers <= 1 or h < 4 * size_px * workers:
        return image - ndimage.grey_opening(image, size=(size_px, size_px))
    from concurrent.futures import ThreadPoolExecutor

    out = np.empty_like(image)
    edges = np.linspace(0, h, workers + 1).astype(int)

    def run(i: int) -> None:
        a, b = edges[i], edges[i + 1]
        lo, hi = max(a - size_px, 0), min(b + size_px, h)
        part = image[lo:hi]
        out[a:b] = (part - ndimage.grey_opening(part, size=(size_px, size_px)))[a - lo : a - lo + (b - a)]

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(workers)))
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


def detect_ships(
    bands: dict[str, NDArray[np.float32]], ground_px_m: float, params: ShipParams = ShipParams()
) -> tuple[pl.DataFrame, WaterMask]:
    """Ships in one scene (bands B03 and B08 required). Returns one row per detection
    (:data:`SHIP_COLUMNS`; ``outline_px`` the oriented rectangle's closed ring, flattened
    r0, c0, r1, c1, …, r4, c4) and the water mask used."""
    if "B03" not in bands or "B08" not in bands:
        raise KeyError(f"ship detection needs bands B03 and B08, got {sorted(bands)}")
    area_px_m2 = ground_px_m**2
    wm = water_mask(bands["B03"], bands["B08"], area_px_m2, params.water)
    bright = brightness(bands)
    if wm.sea.any():
        sea_vals = bright[wm.sea][:: max(1, int(wm.sea.sum() // 1_000_000))]
        med = float(np.median(sea_vals))
        sigma = float(1.4826 * np.median(np.abs(sea_vals - med))) or 1.0
    else:
        return pl.DataFrame(schema=_schema()), wm
    size_px = max(3, int(round(params.tophat_size_m / ground_px_m)) | 1)
    tophat = white_tophat(bright, size_px)
    contrast = tophat / sigma
    near = ndimage.binary_dilation(wm.sea, iterations=params.berth_margin_px) & ~wm.sea
    cand = wm.holes | (near & (contrast >= params.min_contrast_sigma))
    lab, n = ndimage.label(cand)
    if n == 0:
        return pl.DataFrame(schema=_schema()), wm
    mom = component_moments(lab, n)
    # Water fraction of each candidate's one-pixel ring: grow labels into the ring.
    grown = ndimage.grey_dilation(lab, size=(3, 3))
    ring = (grown > 0) & ~cand
    ring_lab = np.where(ring, grown, 0).ravel()
    ring_n = np.bincount(ring_lab, minlength=n + 1)[1:]
    ring_w = np.bincount(ring_lab, wm.sea.ravel(), minlength=n + 1)[1:]
    ring_frac = ring_w / np.maximum(ring_n, 1)
    mean_contrast = np.bincount(lab.ravel(), contrast.ravel(), minlength=n + 1)[1:] / np.maximum(mom["n"], 1)
    in_water = np.bincount(lab.ravel(), wm.holes.ravel(), minlength=n + 1)[1:] > 0
    length_m = mom["length_px"] * ground_px_m
    width_m = mom["width_px"] * ground_px_m
    area_m2 = mom["n"] * area_px_m2
    keep = (
        (area_m2 >= params.min_area_m2)
        & (length_m >= params.min_length_m)
        & (length_m <= params.max_length_m)
        & (width_m <= params.max_width_m)
        & (ring_frac >= params.min_ring_water_fraction)
    )
    z = (mean_contrast - params.score_contrast_sigma) / 2.0 + 4.0 * (ring_frac - 0.75)
    score = 1.0 / (1.0 + np.exp(-z))
    k = np.flatnonzero(keep)
    rect = outline_rectangles(mom["row"][k], mom["col"][k], mom["theta"][k], mom["length_px"][k], mom["width_px"][k])
    df = pl.DataFrame(
        {
            "row": mom["row"][k],
            "col": mom["col"][k],
            "length_m": length_m[k],
            "width_m": width_m[k],
            "orientation_deg": mom["orientation_deg"][k],
            "area_m2": area_m2[k],
            "contrast_sigma": mean_contrast[k],
            "ring_water_fraction": ring_frac[k],
            "in_water": in_water[k],
            "score": score[k],
            "outline_px": rect.reshape(len(k), 10).round(2),
        },
        schema=_schema(),
    )
    return df.sort("score", descending=True), wm


def _schema() -> dict[str, pl.DataType]:
    f = pl.Float64()
    return {
        "row": f,
        "col": f,
        "length_m": f,
        "width_m": f,
        "orientation_deg": f,
        "area_m2": f,
        "contrast_sigma": f,
        "ring_water_fraction": f,
        "in_water": pl.Boolean(),
        "score": f,
        "outline_px": pl.Array(pl.Float64(), 10),
    }
