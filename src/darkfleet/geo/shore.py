"""Land mask and distance to shore as immutable rasters with pure look-ups.

The source is the ``global-land-mask`` package (GLOBE, 30 arc-seconds, about 1 km): coarse, so
harbours, straits and berths often read as land. :meth:`LandMask.is_land` therefore takes a
coastal tolerance: a point counts as land only if it lies more than ``tolerance_m`` from every
sea cell (an erosion of the land by the tolerance, from a distance transform).

Importing ``global_land_mask`` costs about 4 s and 0.9 GB, so :func:`load_land_mask` imports it
lazily, once per process, and keeps only the window asked for. Kernels receive the raster
objects as arguments; they never load anything themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from darkfleet.geo.units import M_PER_DEG_LAT


@dataclass(frozen=True, eq=False)
class LandMask:
    """``land[i, j]`` is the cell whose south-west corner is (lon0 + j·step, lat0 + i·step)."""

    land: NDArray[np.bool_]
    lon0_deg: float
    lat0_deg: float
    step_deg: float

    def _index(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.intp], ...]:
        i = np.floor((lat - self.lat0_deg) / self.step_deg).astype(np.intp)
        j = np.floor((lon - self.lon0_deg) / self.step_deg).astype(np.intp)
        return np.clip(i, 0, self.land.shape[0] - 1), np.clip(j, 0, self.land.shape[1] - 1)

    def covers(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
        lo, la = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        n, m = self.land.shape
        return ((la >= self.lat0_deg) & (la < self.lat0_deg + n * self.step_deg)
                & (lo >= self.lon0_deg) & (lo < self.lon0_deg + m * self.step_deg))

    def land_at(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
        """The raw mask value (False outside the window: unknown counts as sea)."""
        lo, la = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        return self.land[self._index(lo, la)] & self.covers(lo, la)

    @cached_property
    def inland_km(self) -> NDArray[np.float32]:
        """Distance from each land cell to the nearest sea cell in km (0 at sea)."""
        return _edt_km(self.land, self)

    def is_land(self, lon: ArrayLike, lat: ArrayLike, tolerance_m: float = 3000.0) -> NDArray[np.bool_]:
        """On land by more than ``tolerance_m`` (and by more than 1.5 cells of this raster, whose
        own coarseness is error too): farther than that from every sea cell."""
        lo, la = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        inland = self.inland_km[self._index(lo, la)]
        tol_m = max(tolerance_m, 1.5 * self.step_deg * M_PER_DEG_LAT)
        return self.covers(lo, la) & self.land_at(lo, la) & (inland * 1000 > tol_m)


@dataclass(frozen=True, eq=False)
class ShoreDistance:
    """Distance to the nearest land cell in km (0 on land), on the land mask's grid."""

    km: NDArray[np.float32]
    mask: LandMask

    @classmethod
    def from_mask(cls, mask: LandMask) -> ShoreDistance:
        # Euclidean distance transform with the cell size in km at the window's mid-latitude.
        return cls(_edt_km(~mask.land, mask), mask)

    def distance_km(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Distance to shore in km; +inf outside the window (unknown: far from any known land)."""
        lo, la = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        out = self.km[self.mask._index(lo, la)].astype(np.float64)
        return np.where(self.mask.covers(lo, la), out, np.inf)


def _edt_km(inside: NDArray[np.bool_], mask: LandMask) -> NDArray[np.float32]:
    """Euclidean distance (km) from each ``inside`` cell to the nearest other cell, with the cell
    size at the window's mid-latitude."""
    mid_lat = mask.lat0_deg + mask.land.shape[0] * mask.step_deg / 2
    dy_km = mask.step_deg * M_PER_DEG_LAT / 1000
    dx_km = dy_km * max(np.cos(np.radians(mid_lat)), 0.01)
    return ndimage.distance_transform_edt(inside, sampling=(dy_km, dx_km)).astype(np.float32)


@lru_cache(maxsize=1)
def _globe() -> Any:
    from global_land_mask import globe  # about 4 s and 0.9 GB: once per process

    return globe


def load_land_mask(lon_min: float, lat_min: float, lon_max: float, lat_max: float,
                   step_deg: float = 1 / 120, pad_deg: float = 1.0) -> LandMask:
    """Sample ``global-land-mask`` on a grid of ``step_deg`` over the padded window."""
    lon0 = max(-180.0, np.floor((lon_min - pad_deg) / step_deg) * step_deg)
    lat0 = max(-90.0, np.floor((lat_min - pad_deg) / step_deg) * step_deg)
    lon1 = min(180.0, lon_max + pad_deg)
    lat1 = min(90.0, lat_max + pad_deg)
    lons = lon0 + (np.arange(int(np.ceil((lon1 - lon0) / step_deg))) + 0.5) * step_deg
    lats = lat0 + (np.arange(int(np.ceil((lat1 - lat0) / step_deg))) + 0.5) * step_deg
    glon, glat = np.meshgrid(np.clip(lons, -180, 179.999), np.clip(lats, -90, 90))
    land = np.asarray(_globe().is_land(glat, glon), dtype=bool)
    return LandMask(land, float(lon0), float(lat0), float(step_deg))


def synthetic_mask(land: NDArray[np.bool_], lon0_deg: float, lat0_deg: float, step_deg: float) -> LandMask:
    """A mask from an explicit grid (tests, generated worlds)."""
    return LandMask(np.asarray(land, dtype=bool), lon0_deg, lat0_deg, step_deg)
