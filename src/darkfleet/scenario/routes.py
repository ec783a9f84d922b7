"""Sea routes from the ``searoute`` package, as polylines with cumulative distance."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from darkfleet.geo.units import haversine_m


@dataclass(frozen=True, eq=False)
class Route:
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    cum_m: NDArray[np.float64]  # distance from the start at each vertex

    @property
    def length_m(self) -> float:
        return float(self.cum_m[-1])

    @classmethod
    def from_coords(cls, coords: NDArray[np.float64]) -> Route:
        c = np.asarray(coords, np.float64)
        keep = np.r_[True, np.any(np.diff(c, axis=0) != 0, axis=1)]
        c = c[keep]
        if len(c) == 1:
            c = np.vstack([c, c])
        seg = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
        return cls(c[:, 0], c[:, 1], np.r_[0.0, np.cumsum(seg)])

    def at(self, distance_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positions at the given distances along the route (clipped to its ends)."""
        d = np.clip(distance_m, 0.0, self.length_m)
        return np.interp(d, self.cum_m, self.lon), np.interp(d, self.cum_m, self.lat)

    def reversed(self) -> Route:
        return Route.from_coords(np.column_stack([self.lon[::-1], self.lat[::-1]]))

    def head(self, distance_m: float) -> Route:
        """The first ``distance_m`` of the route."""
        d = np.r_[self.cum_m[self.cum_m < distance_m], distance_m]
        lon, lat = self.at(d)
        return Route.from_coords(np.column_stack([lon, lat]))


@lru_cache(maxsize=4096)
def _searoute(o: tuple[float, float], d: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    import searoute

    feat = searoute.searoute(list(o), list(d), append_orig_dest=True)
    return tuple((float(x), float(y)) for x, y in feat["geometry"]["coordinates"])


def sea_route(origin: tuple[float, float], dest: tuple[float, float]) -> Route:
    """The searoute path (lon, lat) from origin to destination, both ends included."""
    o = (round(origin[0], 6), round(origin[1], 6))
    d = (round(dest[0], 6), round(dest[1], 6))
    return Route.from_coords(np.asarray(_searoute(o, d)))
