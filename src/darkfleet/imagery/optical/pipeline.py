"""Files in, results out: the glue the CLI and the benchmarks call (the kernels do no file
access). Also the image outputs: change masks (8-bit PNG, 255 = change) and count overlays
(positions drawn over the image for the analyst to confirm)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from darkfleet.imagery.optical.change import ChangeParams, ChangeResult, detect_change
from darkfleet.imagery.optical.count import PRESETS, CountParams, count_objects
from darkfleet.imagery.optical.readers import read_rgb, read_scene
from darkfleet.imagery.optical.scene import OpticalScene, ground_pixel_m, pixel_lonlat
from darkfleet.imagery.optical.ships import DETECTOR_VERSION, ShipParams, detect_ships


def params_json(params: Any) -> str:
    return json.dumps(dataclasses.asdict(params), sort_keys=True, separators=(",", ":"))


def scene_sha256(scene: OpticalScene) -> str:
    """One hash for a multi-file scene: sha256 of its files' hashes in name order (a single
    file's own hash otherwise)."""
    if len(scene.sha256) == 1:
        return next(iter(scene.sha256.values()))
    import hashlib

    return hashlib.sha256("|".join(scene.sha256[k] for k in sorted(scene.sha256)).encode()).hexdigest()


def ships_in(path: str | Path, params: ShipParams | None = None) -> tuple[OpticalScene, pl.DataFrame]:
    """Ship detections of one scene with lon/lat and provenance columns."""
    scene = read_scene(path)
    px = ground_pixel_m(scene)
    det = detect_ships(scene.bands, px, params or ShipParams())
    lon, lat = pixel_lonlat(scene, det["row"].to_numpy(), det["col"].to_numpy())
    det = det.with_columns(
        pl.lit(str(path)).alias("file"),
        pl.Series("lon", lon),
        pl.Series("lat", lat),
        pl.lit(scene.scene_id).alias("image_id"),
        pl.lit(scene_sha256(scene)).alias("sha256"),
        pl.lit(DETECTOR_VERSION).alias("detector_version"),
    )
    return scene, det


def count_in(
    path: str | Path, gsd_m: float | None = None, preset: str = "vehicles", params: CountParams | None = None
) -> tuple[OpticalScene, pl.DataFrame]:
    if params is None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}: choose one of {sorted(PRESETS)}")
        params = PRESETS[preset]
    scene = read_rgb(path, gsd_m)
    return scene, count_objects(scene.rgb(), ground_pixel_m(scene), params)


RGB_ORDERS = (("B04", "B03", "B02"), ("R", "G", "B"))


def rgb_stack(scene: OpticalScene) -> NDArray[np.float32]:
    """(rows, cols, 3) red, green, blue: B04/B03/B02 of Sentinel-2 scenes, R/G/B of images, or
    else the first three bands in file order."""
    for names in RGB_ORDERS:
        if all(n in scene.bands for n in names):
            return np.dstack([scene.bands[n] for n in names])
    if len(scene.bands) < 3:
        raise ValueError(f"{scene.scene_id}: change detection needs red, green and blue; has {sorted(scene.bands)}")
    return np.dstack(list(scene.bands.values())[:3])


def change_between(
    before: str | Path, after: str | Path, params: ChangeParams | None = None, gsd_m: float | None = None
) -> tuple[OpticalScene, ChangeResult]:
    """Change of AFTER against BEFORE with the learned model (:func:`.change.detect_change`) on
    their red, green and blue bands. ``gsd_m`` for images with no georeference (default 10 m,
    Sentinel-2)."""
    a = read_scene(before, gsd_m=gsd_m or 10.0)
    b = read_scene(after, gsd_m=gsd_m or 10.0)
    return a, detect_change(rgb_stack(a), rgb_stack(b), ground_pixel_m(a), params or ChangeParams())


def write_mask_png(mask: NDArray[np.bool_], path: str | Path) -> None:
    """8-bit grayscale PNG, 255 = change, 0 = no change, the size of the inputs."""
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(path)


def to_display(rgb: NDArray[np.floating]) -> NDArray[np.uint8]:
    """2–98% stretch of each band to 8 bits (8-bit input is kept as is)."""
    if rgb.max() <= 255 and rgb.min() >= 0 and np.issubdtype(rgb.dtype, np.floating) and rgb.max() > 1:
        return rgb.astype(np.uint8)
    lo, hi = np.percentile(rgb, [2, 98], axis=(0, 1))
    return (np.clip((rgb - lo) / np.maximum(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)


def write_overlay_png(rgb: NDArray[np.floating], objects: pl.DataFrame, path: str | Path, radius_px: int = 6) -> None:
    """The image with each counted object circled and numbered (1-based, in table order), so
    the analyst can confirm or correct the count by number."""
    im = Image.fromarray(to_display(rgb)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for i, (r, c, size) in enumerate(objects.select("row", "col", "size_class").iter_rows(), start=1):
        colour = (255, 40, 40) if size == "large" else (255, 220, 0)
        draw.ellipse((c - radius_px, r - radius_px, c + radius_px, r + radius_px), outline=colour, width=2)
        draw.text((c + radius_px + 1, r - radius_px), str(i), fill=colour)
    im.save(path)
