"""Reading SAR rasters into :class:`SarImage`: GeoTIFFs (georeferenced by GCPs or an affine
transform), the bands of multi-polarisation chips, and (through :func:`read_image`) Sentinel-1
SAFE products calibrated with their annotation (:mod:`~darkfleet.imagery.sar.safe`).

Paths may be anything rasterio opens, including ``zip://archive.zip!/member.tif`` and
``/vsizip/archive.zip/member.tif``, so archives are read in place.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.errors import NotGeoreferencedWarning

from darkfleet.imagery.sar.geocode import AffineGeocoder, Geocoder, ScatteredGeocoder
from darkfleet.imagery.sar.image import SarImage

# Polarisation combinations a detector may ask for; "span" is the sum of all co- and cross-pol
# power bands (total backscatter), which keeps the target contrast of both.
SPAN = "span"


class ReaderError(ValueError):
    """The raster cannot be read as asked; the message names the file and what was expected."""


def file_sha256(path: str | Path) -> str:
    """First 16 hex digits of a file's sha256 (the project's source id convention)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def select_band(
    bands: NDArray[np.float32], polarizations: Sequence[str], band: str, source: str
) -> NDArray[np.float32]:
    """One polarisation (e.g. ``"VV"``) or the ``"span"`` of a (bands, rows, cols) stack."""
    if len(polarizations) != bands.shape[0]:
        raise ReaderError(
            f"{source}: {bands.shape[0]} band(s) but polarisations {list(polarizations)}"
        )
    if band == SPAN:
        return bands.sum(axis=0, dtype=np.float32)
    try:
        return bands[list(polarizations).index(band.upper())]
    except ValueError:
        raise ReaderError(
            f"{source}: no {band!r} band; it has {list(polarizations)} (or ask for 'span')"
        ) from None


def _gcp_geocoder(ds: rasterio.DatasetReader) -> Geocoder | None:
    gcps, crs = ds.gcps
    if not gcps:
        return None
    if crs is not None and crs.to_epsg() not in (4326, None):
        raise ReaderError(f"{ds.name}: GCPs in {crs}; only WGS84 (EPSG:4326) GCPs are supported")
    # GDAL GCP pixel/line refer to pixel corners; darkfleet's pixel coordinates are centres.
    rows = np.array([g.row - 0.5 for g in gcps])
    cols = np.array([g.col - 0.5 for g in gcps])
    return ScatteredGeocoder(
        rows, cols, np.array([g.x for g in gcps]), np.array([g.y for g in gcps])
    )


def _affine_geocoder(ds: rasterio.DatasetReader) -> Geocoder | None:
    if ds.crs is None or ds.transform.is_identity:
        return None
    t = ds.transform
    return AffineGeocoder((t.a, t.b, t.c, t.d, t.e, t.f), ds.crs.to_wkt())


def _spacing_from_transform(ds: rasterio.DatasetReader) -> tuple[float, float] | None:
    """Ground (row, col) spacing in metres of a projected raster; None for geographic CRSs."""
    if ds.crs is None or ds.transform.is_identity or not ds.crs.is_projected:
        return None
    t = ds.transform
    factor = ds.crs.linear_units_factor[1]
    return float(np.hypot(t.b, t.e)) * factor, float(np.hypot(t.a, t.d)) * factor


def read_geotiff(
    path: str | Path,
    band: str = "1",
    polarizations: Sequence[str] | None = None,
    pixel_spacing_m: tuple[float, float] | float | None = None,
) -> SarImage:
    """Read a band of a GeoTIFF of calibrated sigma0 (linear power).

    ``band`` is a 1-based band number (``"1"``), a polarisation name (``"VV"``, resolved with
    ``polarizations`` or the bands' descriptions) or ``"span"``. Georeferencing comes from the
    file's GCPs (Sentinel-1 GRD) or its affine transform. The ground pixel spacing comes from
    ``pixel_spacing_m`` (one value, or (row, col)), else from a projected transform; a file
    with neither is an error, since detection parameters are in metres.
    """
    source = str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            ds = rasterio.open(source)
        except rasterio.errors.RasterioIOError as exc:
            raise ReaderError(f"{source}: cannot open as a raster ({exc})") from exc
        with ds:
            pols = list(polarizations or [d or f"{i + 1}" for i, d in enumerate(ds.descriptions)])
            if band.isdigit():
                idx = int(band)
                if not 1 <= idx <= ds.count:
                    raise ReaderError(f"{source}: band {idx} requested, file has {ds.count}")
                data = ds.read(idx).astype(np.float32, copy=False)
                band_name = pols[idx - 1]
            else:
                data = select_band(ds.read().astype(np.float32, copy=False), pols, band, source)
                band_name = band
            nodata = ds.nodata
            geocoder = _gcp_geocoder(ds) or _affine_geocoder(ds)
            spacing = _spacing_from_transform(ds)
    if nodata is not None:
        data = np.where(data == nodata, np.float32(np.nan), data)
    if pixel_spacing_m is not None:
        spacing = (
            (float(pixel_spacing_m), float(pixel_spacing_m))
            if isinstance(pixel_spacing_m, int | float)
            else (float(pixel_spacing_m[0]), float(pixel_spacing_m[1]))
        )
    if spacing is None:
        raise ReaderError(
            f"{source}: no ground pixel spacing (not map-projected); pass pixel_spacing_m "
            "(--pixel-spacing-m) or read it from the product metadata"
        )
    return SarImage(data, spacing[0], spacing[1], source=source, band=band_name, geocoder=geocoder)


def read_image(
    path: str | Path,
    band: str = "1",
    pixel_spacing_m: tuple[float, float] | float | None = None,
) -> SarImage:
    """Read any supported scene: a Sentinel-1 SAFE product (directory or its ``manifest.safe``),
    calibrated to sigma0 with its annotation, or a GeoTIFF of sigma0 (:func:`read_geotiff`)."""
    from darkfleet.imagery.sar.safe import is_safe, list_bands, read_safe

    if is_safe(path):
        # The default band of a SAFE product is its co-polarisation (VV or HH), the one with
        # the ship-to-sea contrast CFAR is tuned for; digits count image numbers otherwise.
        co = [b.polarization for b in list_bands(path) if b.polarization in ("VV", "HH")]
        return read_safe(path, band=co[0] if band == "1" and co else band)
    return read_geotiff(path, band=band, pixel_spacing_m=pixel_spacing_m)
