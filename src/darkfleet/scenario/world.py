"""A deterministic generated world: vessels on real sea routes, with planted events and truth.

:func:`generate` builds, for a seed, each vessel's true motion minute by minute (port calls,
anchorage waits, voyages along ``searoute`` paths, loitering, ship-to-ship encounters), then
what AIS would have heard (:mod:`darkfleet.scenario.ais`) with planted gaps, spoofed
positions, cloned tracks and identity changes. The result carries lake-schema ``positions``
and ``statics`` tables, the ``places`` the world uses, and the ``truth`` table of every planted
event (:mod:`darkfleet.scenario.truth`). Everything comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
import polars as pl

from darkfleet.geo.places import PLACES, searoute_ports
from darkfleet.geo.shore import LandMask, ShoreDistance, load_land_mask
from darkfleet.geo.units import M_PER_NM, haversine_m
from darkfleet.scenario.routes import Route, sea_route
from darkfleet.scenario.track import TrackBuilder
from darkfleet.tracks.flags import empty_declared

# Ports of the Sea of Japan, Yellow Sea and East China Sea whose searoute position is at sea
# within the land mask's 3 km coastal tolerance.
EAST_ASIA_PORTS = ("KRPUS", "KRUSN", "RUVVO", "CNSHA", "CNTAO", "CNDLC", "JPMOJ",
                   "KPNJN", "RUZAR", "KRINC", "CNRZH", "CNLYG")
MIDS = (273, 440, 441, 412, 413, 431, 351, 636, 538)


@dataclass(frozen=True)
class Shuttle:
    """A vessel shuttling between two places ``round_trips`` times, its AIS off from ``dark_from_day``
    (days after the world's start) on. Identity fields left at 0/"" are generated."""

    name: str
    origin: str  # place_id
    dest: str  # place_id
    round_trips: int
    dark_from_day: float = 0.0
    imo: int = 0
    mmsi: int = 0
    callsign: str = ""
    dwell_h: tuple[float, float] = (18.0, 48.0)


@dataclass(frozen=True)
class ScenarioParams:
    seed: int = 7
    start: datetime = datetime(2023, 8, 1, tzinfo=UTC)
    days: float = 12.0
    port_codes: tuple[str, ...] = EAST_ASIA_PORTS
    # more ports: (place_id, name, lon, lat, radius_m — the place's own extent, 0 for a point)
    extra_places: tuple[tuple[str, str, float, float, float], ...] = ()
    n_vessels: int = 30
    n_encounter_pairs: int = 4
    n_loiterers: int = 5
    n_gaps: int = 8
    n_jump_spoofs: int = 4
    n_land_spoofs: int = 2
    n_clones: int = 2
    n_renames: int = 3
    n_reflags: int = 2
    n_bad_imo: int = 1
    # vessels whose MMSI's MID is not the flag the world's registry declares for them (false flags)
    n_false_flags: int = 0
    # pairs of vessels transmitting one MMSI at the same time (the segmenter must split them)
    n_shared_mmsis: int = 0
    shuttles: tuple[Shuttle, ...] = ()
    speed_kn: tuple[float, float] = (10.0, 14.0)
    dwell_h: tuple[float, float] = (6.0, 30.0)
    anchor_wait_prob: float = 0.3
    anchor_wait_h: tuple[float, float] = (3.0, 9.0)
    anchorage_offset_km: float = 8.0
    loiter_h: tuple[float, float] = (6.0, 12.0)
    encounter_h: tuple[float, float] = (3.0, 3.8)
    gap_h: tuple[float, float] = (13.0, 36.0)
    terrestrial_range_km: float = 40.0
    terrestrial_interval_s: float = 120.0
    # coastal receivers down: (lon_min, lat_min, lon_max, lat_max, from_day, to_day) — satellite only there
    terrestrial_outages: tuple[tuple[float, float, float, float, float, float], ...] = ()
    satellite_interval_s: float = 900.0
    statics_interval_h: float = 3.0
    # reception noise: short outages (never near a 12 h gap), missing SOG, reports heard twice
    outages_per_day: float = 0.5
    outage_h: tuple[float, float] = (0.5, 3.0)
    sog_missing_fraction: float = 0.01
    duplicate_fraction: float = 0.02

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        if self.days <= 0 or self.n_vessels < 2 * self.n_encounter_pairs + self.n_loiterers:
            raise ValueError("days > 0 and enough vessels for the encounter pairs and loiterers required")


@dataclass
class World:
    """What :func:`generate` returns."""

    params: ScenarioParams
    positions: pl.DataFrame
    statics: pl.DataFrame
    places: pl.DataFrame
    truth: pl.DataFrame
    vessels: pl.DataFrame  # vessel index, mmsi(s), imo, name, role
    tracks: pl.DataFrame  # the true motion, minute by minute: vessel, mmsi, ts, lon, lat, sog_kn
    land: LandMask = field(repr=False)
    shore: ShoreDistance = field(repr=False)
    # the world's ship registry: the flag declared for each IMO (and when), see darkfleet.tracks.flags
    declared_flags: pl.DataFrame = field(default_factory=empty_declared, repr=False)


def berth(shore: ShoreDistance, lon: float, lat: float, max_move_km: float = 4.0) -> tuple[float, float]:
    """Where ships lie at a place: the place itself, or the nearest sea cell of the land mask when
    the reference point is on land (a town's position, say)."""
    mask = shore.mask
    if not mask.land_at([lon], [lat])[0]:
        return lon, lat
    sea_i, sea_j = np.nonzero(~mask.land)
    cl = mask.lon0_deg + (sea_j + 0.5) * mask.step_deg
    ct = mask.lat0_deg + (sea_i + 0.5) * mask.step_deg
    d = haversine_m(lon, lat, cl, ct)
    k = int(np.argmin(d))
    if d[k] > max_move_km * 1000:
        raise ValueError(f"place at {lon:.4f}, {lat:.4f} is {d[k] / 1000:.1f} km from the sea on the land mask")
    return float(cl[k]), float(ct[k])


@lru_cache(maxsize=4)
def region_rasters(bbox: tuple[float, float, float, float]) -> tuple[LandMask, ShoreDistance]:
    mask = load_land_mask(*bbox)
    return mask, ShoreDistance.from_mask(mask)


def scenario_places(params: ScenarioParams) -> pl.DataFrame:
    ports = searoute_ports().filter(pl.col("place_id").is_in([f"searoute:{c}" for c in params.port_codes]))
    extra = pl.DataFrame([{"place_id": pid, "name": name, "kind": "port", "lon": lon, "lat": lat,
                           "radius_m": radius or None, "source": "scenario"}
                          for pid, name, lon, lat, radius in params.extra_places],
                         schema=PLACES)
    return pl.concat([ports, extra]).sort("place_id")


class _Planner:
    """Itineraries for all vessels, sharing the places, anchorages and rasters."""

    def __init__(self, params: ScenarioParams, places: pl.DataFrame, shore: ShoreDistance,
                 rng: np.random.Generator) -> None:
        self.p, self.places, self.shore, self.rng = params, places, shore, rng
        self.end_min = int(params.days * 1440)
        self.pts = {r["place_id"]: berth(shore, r["lon"], r["lat"]) for r in places.iter_rows(named=True)}
        hub = (float(places["lon"].to_numpy().mean()), float(places["lat"].to_numpy().mean()))
        self.anchorage: dict[str, tuple[Route, tuple[float, float]]] = {}
        for pid, pt in self.pts.items():
            out = sea_route(pt, hub)
            km = params.anchorage_offset_km
            head = out.head(km * 1000)
            while haversine_m(pt[0], pt[1], head.lon[-1], head.lat[-1]) < 6000 and km < 20:
                km += 2
                head = out.head(km * 1000)
            self.anchorage[pid] = (head.reversed(), (float(head.lon[-1]), float(head.lat[-1])))

    def speed(self) -> float:
        return float(self.rng.uniform(*self.p.speed_kn))

    def dwell_min(self) -> int:
        return int(self.rng.uniform(*self.p.dwell_h) * 60)

    def call(self, tb: TrackBuilder, pid: str, minutes: int | None = None) -> None:
        lon, lat = self.pts[pid]
        off = self.rng.normal(0, 200, 2) / 111_200
        tb.dwell(lon + off[0], lat + off[1], min(minutes or self.dwell_min(), self.end_min - tb.now), pid)

    def voyage(self, tb: TrackBuilder, dest: str, loiter: bool = False) -> bool:
        """Sail from the current position to ``dest`` (maybe waiting at its anchorage first) and call there.
        False when the voyage would not end with a 4 h call before the end of the world."""
        speed = self.speed()
        wait = self.rng.random() < self.p.anchor_wait_prob
        approach, anch = self.anchorage[dest]
        route = sea_route(tb.position(), anch if wait else self.pts[dest])
        need = route.length_m / (speed * M_PER_NM / 60) + (approach.length_m / 300 if wait else 0)
        wait_min = int(self.rng.uniform(*self.p.anchor_wait_h) * 60) if wait else 0
        loiter_min = int(self.rng.uniform(*self.p.loiter_h) * 60) if loiter else 0
        if tb.now + need + wait_min + loiter_min + 8 * 60 > self.end_min:
            return False
        if loiter and not self._sail_with_loiter(tb, route, speed, loiter_min):
            return False
        if not loiter:
            tb.sail(route, speed)
        if wait:
            tb.dwell(anch[0], anch[1], wait_min, f"anchorage:{dest}", kind="anchor_wait")
            tb.sail(approach, min(speed, 8.0))
        self.call(tb, dest)
        return True

    def _sail_with_loiter(self, tb: TrackBuilder, route: Route, speed: float, minutes: int) -> bool:
        d = np.linspace(0, route.length_m, 400)
        lon, lat = route.at(d)
        far = self.shore.distance_km(lon, lat) >= 35 * M_PER_NM / 1000
        far &= (d > 0.2 * route.length_m) & (d < 0.8 * route.length_m)
        if not far.any():
            return False
        cut = float(d[self.rng.choice(np.flatnonzero(far))])
        first, rest = route.head(cut), route.reversed().head(route.length_m - cut).reversed()
        tb.sail(first, speed)
        tb.drift(minutes, float(self.rng.uniform(0.8, 1.7)), float(self.rng.uniform(0, 360)), "loiter")
        tail = Route.from_coords(np.vstack([[tb.position()], np.column_stack([rest.lon[1:], rest.lat[1:]])]))
        tb.sail(tail, speed)
        return True

    def wander(self, tb: TrackBuilder, here: str | None, loiter: bool = False) -> None:
        """Random voyages until the world ends, then stay in the last port."""
        ids = sorted(self.pts)
        while tb.now < self.end_min:
            dest = str(self.rng.choice([i for i in ids if i != here]))
            if not self.voyage(tb, dest, loiter=loiter):
                if tb.now < self.end_min and loiter:
                    loiter = False  # try a plain voyage instead
                    continue
                if tb.now < self.end_min:
                    lon, lat = tb.position()
                    tb.dwell(lon, lat, self.end_min - tb.now, here if tb.phases[-1].kind == "dwell" else None,
                             kind="dwell" if tb.phases[-1].kind == "dwell" else "idle")
                break
            loiter = False
            here = dest

    def shuttle(self, tb: TrackBuilder, sh: Shuttle) -> None:
        """Round trips between two places, then staying at the last one."""
        here = sh.origin
        self.call(tb, here, int(self.rng.uniform(*sh.dwell_h) * 60))
        for _ in range(2 * sh.round_trips):
            dest = sh.dest if here == sh.origin else sh.origin
            speed = self.speed()
            route = sea_route(tb.position(), self.pts[dest])
            if tb.now + route.length_m / (speed * M_PER_NM / 60) + 240 > self.end_min:
                break
            tb.sail(route, speed)
            self.call(tb, dest, int(self.rng.uniform(*sh.dwell_h) * 60))
            here = dest
        if tb.now < self.end_min:
            self.call(tb, here, self.end_min - tb.now)

    def rendezvous(self) -> tuple[float, float]:
        """An offshore point (≥ 35 nm from shore, ≥ 30 km from every port) on a route between two ports."""
        ids = sorted(self.pts)
        while True:
            a, b = self.rng.choice(ids, 2, replace=False)
            r = sea_route(self.pts[str(a)], self.pts[str(b)])
            d = np.linspace(0, r.length_m, 200)
            lon, lat = r.at(d)
            ok = self.shore.distance_km(lon, lat) >= 35 * M_PER_NM / 1000
            if ok.any():
                i = int(self.rng.choice(np.flatnonzero(ok)))
                return float(lon[i]), float(lat[i])

    def encounter_pair(self, a: TrackBuilder, b: TrackBuilder, ia: int, ib: int) -> None:
        meet = self.rendezvous()
        ids = sorted(self.pts)
        pa, pb = (str(x) for x in self.rng.choice(ids, 2, replace=False))
        va, vb = self.speed(), self.speed()
        ra, rb = sea_route(self.pts[pa], meet), sea_route(self.pts[pb], meet)
        na = int(np.ceil(ra.length_m / (va * M_PER_NM / 60)))
        nb = int(np.ceil(rb.length_m / (vb * M_PER_NM / 60)))
        t_meet = max(na, nb) + int(self.rng.uniform(6, 48) * 60)
        self.call(a, pa, t_meet - na)
        a.sail(ra, va)
        self.call(b, pb, t_meet - nb)
        b.sail(rb, vb)
        minutes = int(self.rng.uniform(*self.p.encounter_h) * 60)
        v, h = float(self.rng.uniform(0.8, 1.6)), float(self.rng.uniform(0, 360))
        noise = self.rng.normal(0, 0.1, minutes)
        a.drift(minutes, v, h, "encounter", other=ib, noise=noise)
        side = float(self.rng.uniform(150, 300))
        b.drift(minutes, v, h, "encounter", other=ia, noise=noise,
                offset_m=(side * np.cos(np.radians(h)), -side * np.sin(np.radians(h))))
