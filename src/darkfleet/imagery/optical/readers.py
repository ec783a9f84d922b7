"""Reading optical products into :class:`OpticalScene`: Sentinel-2 band directories, multi-band
GeoTIFFs and high-resolution RGB images (PNG / GeoTIFF) with a ground sampling distance.

Every file read is hashed (sha256 of its bytes, :func:`darkfleet.imagery.provenance.content_sha256`)
so the product an analyst looked at is identified by content, not by name.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from darkfleet.imagery.optical.scene import OpticalScene
from darkfleet.imagery.provenance import content_sha256

S2_BAND_NAMES = ("B02", "B03", "B04", "B08")
_BAND_RE = re.compile(r"(?<![A-Za-z0-9])(B0[2348])(?![0-9])")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class ReadError(ValueError):
    """An optical product could not be read; the message names the file and what was expected."""


def _date_from_name(name: str) -> datetime | None:
    """Sentinel Hub exports start with the day (``2022-05-14-00_00_...``): that day at 00:00 UTC."""
    m = _DATE_RE.search(name)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        return None


def s2_band_files(directory: Path) -> dict[str, Path]:
    """The B02/B03/B04/B08 files of a scene directory (``*_B03_*.tif[f]`` or ``B03.tif``)."""
    found: dict[str, Path] = {}
    for f in sorted(directory.iterdir()):
        if f.suffix.lower() not in (".tif", ".tiff", ".jp2"):
            continue
        m = _BAND_RE.search(f.name)
        if m and m[1] not in found:
            found[m[1]] = f
    return found


def read_s2_directory(directory: str | Path, scene_id: str | None = None) -> OpticalScene:
    """A Sentinel-2 scene from a directory of single-band files; needs B03 and B08 (water and
    ships), uses B02/B04 when present."""
    d = Path(directory)
    files = s2_band_files(d)
    missing = [b for b in ("B03", "B08") if b not in files]
    if missing:
        raise ReadError(
            f"{d}: no {', '.join(missing)} band file (expected names like *_B03_*.tiff); found {sorted(files)}"
        )
    bands: dict[str, np.ndarray] = {}
    transform = crs = None
    shape = None
    for name, f in files.items():
        with rasterio.open(f) as ds:
            a = ds.read(1).astype(np.float32)
            if shape is None:
                shape, transform, crs = a.shape, ds.transform, ds.crs
            elif a.shape != shape or ds.transform != transform:
                raise ReadError(f"{f}: band grid {a.shape} differs from the scene's {shape}; resample first")
        bands[name] = a
    assert transform is not None
    hashes = {str(f): content_sha256(f) for f in files.values()}
    when = _date_from_name(files["B03"].name)
    return OpticalScene(
        scene_id=scene_id or d.name,
        bands=bands,
        gsd_m=float(abs(transform.a)),
        transform=transform,
        crs=crs.to_string() if crs else None,
        acquired_at=when,
        sha256=hashes,
        platform="sentinel-2",
    )


def read_geotiff(
    path: str | Path, band_names: tuple[str, ...] | None = None, gsd_m: float | None = None
) -> OpticalScene:
    """A multi-band GeoTIFF (or any raster GDAL reads, PNG included). Band names come from the
    file's band descriptions, else ``band_names``, else B02,B03,B04,B08 for four bands and R,G,B
    for three. ``gsd_m`` is needed when the file has no georeference."""
    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(p) as ds:
                data = ds.read().astype(np.float32)
                desc = tuple(d or "" for d in ds.descriptions)
                georef = ds.crs is not None and not ds.transform.is_identity
                transform = ds.transform if georef else None
                crs = ds.crs.to_string() if georef else None
    except rasterio.RasterioIOError as exc:
        raise ReadError(f"{p}: not a readable image ({exc})") from exc
    n = data.shape[0]
    names: tuple[str, ...]
    if band_names is not None:
        names = band_names
    elif all(desc) and len(set(desc)) == n:
        names = desc
    elif n == 4:
        names = S2_BAND_NAMES
    elif n in (3, 4):
        names = ("R", "G", "B")
    elif n == 1:
        names = ("L",)
    else:
        names = tuple(f"band{i + 1}" for i in range(n))
    if len(names) > n:
        raise ReadError(f"{p}: {n} bands, but {len(names)} band names were given ({names})")
    if transform is None and gsd_m is None:
        raise ReadError(f"{p}: no georeference in the file; give the ground sampling distance (--gsd-m)")
    return OpticalScene(
        scene_id=p.stem,
        bands={name: data[i] for i, name in enumerate(names)},
        gsd_m=float(gsd_m if gsd_m is not None else abs(transform.a)),  # type: ignore[union-attr]
        transform=transform,
        crs=crs,
        acquired_at=_date_from_name(p.name),
        sha256={str(p): content_sha256(p)},
        platform="sentinel-2" if names == S2_BAND_NAMES else None,
    )


def read_rgb(path: str | Path, gsd_m: float | None = None) -> OpticalScene:
    """A high-resolution RGB image (PNG or GeoTIFF; an alpha band is dropped). A DOTA label file
    beside it (same stem, ``.txt``) supplies the gsd when none is given."""
    p = Path(path)
    if gsd_m is None:
        gsd_m = dota_gsd_m(p.with_suffix(".txt"))
    scene = read_geotiff(p, band_names=("R", "G", "B"), gsd_m=gsd_m)
    return scene


def dota_gsd_m(label_file: Path) -> float | None:
    """The ``gsd:`` header of a DOTA v1.0 label file, or None."""
    if not label_file.is_file():
        return None
    for line in label_file.read_text(errors="replace").splitlines()[:3]:
        if line.lower().startswith("gsd:"):
            try:
                return float(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def read_scene(path: str | Path, gsd_m: float | None = None) -> OpticalScene:
    """A directory of Sentinel-2 band files, or one image file."""
    p = Path(path)
    if p.is_dir():
        return read_s2_directory(p)
    if not p.is_file():
        raise ReadError(f"{p}: no such file or directory")
    return read_geotiff(p, gsd_m=gsd_m)
