"""Image pixel ↔ WGS84 for radar-geometry images, and the ground direction of the image axes.

Sentinel-1 GRD and SLC products are not map-projected: they carry a grid of tie points (ground
control points) that give lon/lat at regularly or irregularly spaced pixels. A geocoder
interpolates between them. Pixel coordinates are (row, col) with (0, 0) the centre of the first
pixel, as in the products' tie-point grids; ``row`` is azimuth (along track), ``col`` is range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import LinearNDInterpolator, RegularGridInterpolator

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


class Geocoder(Protocol):
    """Maps pixel (row, col) to (lon, lat) in WGS84 degrees; vectorised."""

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...


def _as_f64(a: ArrayLike) -> NDArray[np.float64]:
    return np.atleast_1d(np.asarray(a, dtype=np.float64))


@dataclass(frozen=True)
class GridGeocoder:
    """Tie points on a regular grid of rows × cols (the SNAP / Sentinel-1 tie-point grid layout).

    ``grid_rows`` and ``grid_cols`` are the pixel coordinates of the grid lines; ``lon`` and
    ``lat`` have shape (len(grid_rows), len(grid_cols)). Outside the grid, values are
    extrapolated linearly from the edge cells.
    """

    grid_rows: NDArray[np.float64]
    grid_cols: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        pts = np.column_stack([_as_f64(rows), _as_f64(cols)])
        grid = (self.grid_rows, self.grid_cols)
        lon = RegularGridInterpolator(grid, self.lon, bounds_error=False, fill_value=None)(pts)
        lat = RegularGridInterpolator(grid, self.lat, bounds_error=False, fill_value=None)(pts)
        return lon, lat


@dataclass(frozen=True)
class CornerGeocoder:
    """Bilinear model through the four scene corners (first/last line × near/far range).

    Coarse (errors of a few hundred metres to ~1 km across a 250 km scene), but it gives the
    ground direction of the image axes to within about a degree, which is what heading needs.
    """

    height_px: int
    width_px: int
    first_near: tuple[float, float]  # (lon, lat) of row 0, col 0
    first_far: tuple[float, float]  # row 0, last col
    last_near: tuple[float, float]  # last row, col 0
    last_far: tuple[float, float]

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        u = _as_f64(rows) / max(self.height_px - 1, 1)
        v = _as_f64(cols) / max(self.width_px - 1, 1)
        c = np.array([self.first_near, self.first_far, self.last_near, self.last_far])
        w = np.stack([(1 - u) * (1 - v), (1 - u) * v, u * (1 - v), u * v], axis=-1)
        out = w @ c
        return out[:, 0], out[:, 1]


@dataclass(frozen=True)
class ScatteredGeocoder:
    """Irregular ground control points (e.g. a GeoTIFF's GCPs): piecewise-linear inside their
    convex hull, a least-squares affine fit outside it."""

    rows: NDArray[np.float64]
    cols: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        r, c = _as_f64(rows), _as_f64(cols)
        src = np.column_stack([self.rows, self.cols])
        vals = np.column_stack([self.lon, self.lat])
        design = np.column_stack([np.ones_like(self.rows), self.rows, self.cols])
        coef, *_ = np.linalg.lstsq(design, vals, rcond=None)
        affine = np.column_stack([np.ones_like(r), r, c]) @ coef
        if len(self.rows) >= 3:
            inside = LinearNDInterpolator(src, vals)(np.column_stack([r, c]))
            inside = np.atleast_2d(inside)
            ok = np.isfinite(inside).all(axis=1)
            affine[ok] = inside[ok]
        return affine[:, 0], affine[:, 1]


@dataclass(frozen=True)
class OffsetGeocoder:
    """A window of a larger image: adds the window's origin before geocoding (image chips)."""

    parent: Geocoder
    row_offset: float
    col_offset: float

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.parent.lonlat(_as_f64(rows) + self.row_offset, _as_f64(cols) + self.col_offset)


@dataclass(frozen=True)
class AffineGeocoder:
    """A map-projected raster: GDAL affine (a, b, c, d, e, f) to the CRS, then to WGS84."""

    coefficients: tuple[float, float, float, float, float, float]
    crs_wkt: str

    def lonlat(
        self, rows: ArrayLike, cols: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        from pyproj import CRS, Transformer

        a, b, c, d, e, f = self.coefficients
        r, col = _as_f64(rows) + 0.5, _as_f64(cols) + 0.5  # centres, in GDAL's corner convention
        x, y = a * col + b * r + c, d * col + e * r + f
        crs = CRS.from_wkt(self.crs_wkt)
        if crs.is_geographic:
            return x, y
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def local_metres(
    lon: NDArray[np.float64], lat: NDArray[np.float64], lon0: float, lat0: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """East and north offsets in metres from (lon0, lat0) on a local spherical tangent plane
    (accurate to well under 0.1 % over the few kilometres it is used for)."""
    east = np.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    north = np.radians(lat - lat0) * EARTH_RADIUS_M
    return east, north


def axis_bearings_deg(
    geocoder: Geocoder, rows: ArrayLike, cols: ArrayLike, step_px: float = 50.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ground bearing (degrees clockwise from true north) of the +row and +col image directions
    at each pixel, by central differences of the geocoder."""
    r, c = _as_f64(rows), _as_f64(cols)
    lon0, lat0 = geocoder.lonlat(r, c)
    out = []
    for dr, dc in ((step_px, 0.0), (0.0, step_px)):
        lon1, lat1 = geocoder.lonlat(r + dr, c + dc)
        lon2, lat2 = geocoder.lonlat(r - dr, c - dc)
        east = np.radians(lon1 - lon2) * np.cos(np.radians(lat0))
        north = np.radians(lat1 - lat2)
        out.append(np.degrees(np.arctan2(east, north)) % 360.0)
    return out[0], out[1]


def image_angle_to_bearing_deg(
    drow_m: NDArray[np.float64],
    dcol_m: NDArray[np.float64],
    row_bearing_deg: NDArray[np.float64],
    col_bearing_deg: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Ground bearing of a vector given in metres along the image axes.

    The +row and +col directions need not be perpendicular on the ground (they are, to within
    a degree, for Sentinel-1); each axis contributes along its own bearing.
    """
    rb, cb = np.radians(row_bearing_deg), np.radians(col_bearing_deg)
    east = drow_m * np.sin(rb) + dcol_m * np.sin(cb)
    north = drow_m * np.cos(rb) + dcol_m * np.cos(cb)
    return np.degrees(np.arctan2(east, north)) % 360.0
