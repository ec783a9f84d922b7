"""Building one vessel's true motion, minute by minute, phase after phase."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from darkfleet.geo.units import M_PER_DEG_LAT, M_PER_NM
from darkfleet.scenario.routes import Route

# navigational status codes (ITU-R M.1371)
UNDER_WAY, AT_ANCHOR, MOORED = 0, 1, 5


@dataclass
class Phase:
    kind: str  # sail, dwell, anchor_wait, loiter, encounter
    start_min: int
    end_min: int  # exclusive
    place_id: str | None = None
    other: int | None = None  # the other vessel's index (encounters)


@dataclass
class TrackBuilder:
    """Appends phases at one-minute resolution; ``now`` is the next minute to fill."""

    rng: np.random.Generator
    now: int = 0
    lon: list[NDArray[np.float64]] = field(default_factory=list)
    lat: list[NDArray[np.float64]] = field(default_factory=list)
    sog: list[NDArray[np.float64]] = field(default_factory=list)
    cog: list[NDArray[np.float64]] = field(default_factory=list)
    status: list[NDArray[np.int8]] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)

    def position(self) -> tuple[float, float]:
        return float(self.lon[-1][-1]), float(self.lat[-1][-1])

    def _append(self, kind: str, lon: NDArray, lat: NDArray, sog: NDArray, cog: NDArray, status: int,
                place_id: str | None = None, other: int | None = None) -> Phase:
        n = len(lon)
        self.lon.append(lon)
        self.lat.append(lat)
        self.sog.append(np.maximum(sog, 0.0))
        self.cog.append(np.mod(cog, 360.0))
        self.status.append(np.full(n, status, np.int8))
        phase = Phase(kind, self.now, self.now + n, place_id, other)
        self.phases.append(phase)
        self.now += n
        return phase

    def dwell(self, lon: float, lat: float, minutes: int, place_id: str | None, kind: str = "dwell") -> Phase:
        """Stationary, with ~10 m of GPS noise and SOG readings of a few hundredths of a knot."""
        n = max(int(minutes), 1)
        jitter = self.rng.normal(0.0, 10.0 / M_PER_DEG_LAT, (2, n))
        last = self.phases[-1] if self.phases else None
        phase = self._append(kind, lon + jitter[0] / np.cos(np.radians(lat)), lat + jitter[1],
                             np.abs(self.rng.normal(0.0, 0.03, n)), self.rng.uniform(0, 360, n),
                             AT_ANCHOR if kind == "anchor_wait" else MOORED, place_id)
        if last is not None and last.kind == kind and last.place_id == place_id:
            self.phases.pop()  # staying on at the same place is one stay
            last.end_min = phase.end_min
            return last
        return phase

    def sail(self, route: Route, speed_kn: float) -> Phase | None:
        m_per_min = speed_kn * M_PER_NM / 60
        n = int(np.ceil(route.length_m / m_per_min))
        if n == 0:
            return None
        d = np.arange(1, n + 1) * m_per_min
        lon, lat = route.at(d)
        plon, plat = route.at(d - m_per_min)
        cog = np.degrees(np.arctan2((lon - plon) * np.cos(np.radians(lat)), lat - plat))
        return self._append("sail", lon, lat, speed_kn + self.rng.normal(0, 0.2, n), cog, UNDER_WAY)

    def drift(self, minutes: int, speed_kn: float, heading_deg: float, kind: str, other: int | None = None,
              offset_m: tuple[float, float] = (0.0, 0.0), noise: NDArray | None = None) -> Phase:
        """Slow drift on a straight heading, from the current position plus ``offset_m`` (east, north)."""
        lon0, lat0 = self.position()
        lat0 += offset_m[1] / M_PER_DEG_LAT
        lon0 += offset_m[0] / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
        n = max(int(minutes), 1)
        step_m = speed_kn * M_PER_NM / 60 * np.arange(1, n + 1)
        h = np.radians(heading_deg)
        lat = lat0 + step_m * np.cos(h) / M_PER_DEG_LAT
        lon = lon0 + step_m * np.sin(h) / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
        sog = speed_kn + (noise if noise is not None else self.rng.normal(0, 0.1, n))
        return self._append(kind, lon, lat, sog, np.full(n, heading_deg), UNDER_WAY, other=other)

    def arrays(self) -> dict[str, NDArray]:
        return {"lon": np.concatenate(self.lon), "lat": np.concatenate(self.lat),
                "sog": np.concatenate(self.sog), "cog": np.concatenate(self.cog),
                "status": np.concatenate(self.status)}
