"""Background traffic of the reference case: hundreds of synthetic vessels in the Sea of Japan.

Each vessel is in the area for a window of days, calling at real ports (searoute's UN/LOCODE
positions) and sailing between them on ``searoute`` paths (:mod:`darkfleet.scenario.routes`),
minute by minute with :class:`~darkfleet.scenario.track.TrackBuilder`. What AIS hears follows the
scenario's reception model: a report every ``terrestrial_interval_s`` on average within
``terrestrial_range_km`` of shore, every ``satellite_interval_s`` beyond (a Poisson process
thinned per minute). A few vessels switch their transponder off for half a day or more at sea,
so the gap detector has ordinary gaps to tell apart from the planted shuttle.

Every identity is synthetic and says so: names start with ``SYNTH``, IMO numbers are absent and
MMSIs are ``MID 900 nnn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl
from numpy.typing import NDArray

from darkfleet.geo.shore import ShoreDistance
from darkfleet.scenario.routes import sea_route
from darkfleet.scenario.track import TrackBuilder

# (UN/LOCODE, weight): Sea of Japan ports whose searoute position is at sea within 3 km on the land mask.
BACKGROUND_PORTS: tuple[tuple[str, float], ...] = (
    ("KRPUS", 10), ("KRUSN", 6), ("KRKPO", 3), ("KRSHO", 1), ("RUVVO", 6), ("RUNJK", 4), ("RUVYP", 4),
    ("RUZAR", 2), ("RUPSE", 1), ("KPNJN", 1.5), ("KPCHO", 1), ("JPMOJ", 5), ("JPSMN", 2), ("JPMAI", 2),
    ("JPFKJ", 1), ("JPTOY", 2), ("JPAXT", 1), ("JPOTR", 2),
)
MIDS = (273, 440, 441, 431, 412, 413, 351, 636, 538)
WORDS = ("AMBER", "BOREAL", "CORAL", "DELTA", "EMBER", "FALCON", "GARNET", "HARBOR", "IRIS", "JADE")


@dataclass(frozen=True)
class TrafficParams:
    n_vessels: int = 200
    presence_days: tuple[float, float] = (4.0, 12.0)
    speed_kn: tuple[float, float] = (10.0, 15.0)
    dwell_h: tuple[float, float] = (8.0, 40.0)
    gap_share: float = 0.06  # share of vessels with a transponder-off window at sea
    gap_h: tuple[float, float] = (13.0, 30.0)
    terrestrial_range_km: float = 40.0  # scenario.world default
    terrestrial_interval_s: float = 300.0  # a provider's thinned terrestrial feed: one report in ~5 min
    satellite_interval_s: float = 1800.0  # satellite AIS: one report in ~30 min
    length_m: tuple[float, float] = (90.0, 260.0)

    def __post_init__(self) -> None:
        if self.n_vessels < 1 or not 0 <= self.gap_share <= 1:
            raise ValueError("n_vessels ≥ 1 and 0 ≤ gap_share ≤ 1 required")
        if self.terrestrial_interval_s <= 0 or self.satellite_interval_s <= 0:
            raise ValueError("reception intervals must be positive seconds")


@dataclass(frozen=True, eq=False)
class VesselTrack:
    """One vessel's true motion from ``start_min`` (minutes after the world's start), one row a minute."""

    mmsi: int
    name: str
    imo: int | None
    callsign: str | None
    ship_type: int
    length_m: int
    start_min: int
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    sog: NDArray[np.float64]
    cog: NDArray[np.float64]
    status: NDArray[np.int8]
    ais_on: NDArray[np.bool_]  # the transponder is on (reception decides what is heard)


def port_points(codes: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    from darkfleet.geo.places import searoute_ports

    ports = searoute_ports().filter(pl.col("place_id").is_in([f"searoute:{c}" for c in codes]))
    return {r["place_id"].split(":", 1)[1]: (r["lon"], r["lat"]) for r in ports.iter_rows(named=True)}


def background_tracks(p: TrafficParams, seed: int, end_min: int) -> list[VesselTrack]:
    """The background fleet's true tracks (deterministic in ``seed``)."""
    codes = tuple(c for c, _ in BACKGROUND_PORTS)
    pts = port_points(codes)
    weights = np.array([w for _, w in BACKGROUND_PORTS])
    weights = weights / weights.sum()
    rng = np.random.default_rng([seed, 1])
    mids = rng.choice(MIDS, p.n_vessels)
    out = []
    for i in range(p.n_vessels):
        r = np.random.default_rng([seed, 2, i])
        days = r.uniform(*p.presence_days)
        start = int(r.uniform(0, max(end_min - days * 1440, 1)))
        n_min = min(int(days * 1440), end_min - start)
        tb = TrackBuilder(r)
        here = str(r.choice(codes, p=weights))
        lon, lat = pts[here]
        tb.dwell(lon + r.normal(0, 0.002), lat + r.normal(0, 0.002), int(r.uniform(*p.dwell_h) * 60), here)
        while tb.now < n_min:
            dest = str(r.choice(codes, p=weights))
            if dest == here:
                continue
            route = sea_route(tb.position(), pts[dest])
            tb.sail(route, float(r.uniform(*p.speed_kn)))
            lon, lat = pts[dest]
            tb.dwell(lon + r.normal(0, 0.002), lat + r.normal(0, 0.002), int(r.uniform(*p.dwell_h) * 60), dest)
            here = dest
        a = {k: v[:n_min] for k, v in tb.arrays().items()}
        on = np.ones(n_min, bool)
        if r.random() < p.gap_share:
            sails = [ph for ph in tb.phases if ph.kind == "sail" and ph.end_min <= n_min
                     and ph.end_min - ph.start_min > (p.gap_h[0] + 4) * 60]
            if sails:
                ph = sails[0]
                dur = int(r.uniform(p.gap_h[0], min(p.gap_h[1], (ph.end_min - ph.start_min) / 60 - 3)) * 60)
                g0 = ph.start_min + int(r.uniform(60, ph.end_min - ph.start_min - dur - 60))
                on[g0:g0 + dur] = False
        mmsi = int(mids[i]) * 1_000_000 + 900_000 + i
        out.append(VesselTrack(mmsi, f"SYNTH {WORDS[i % 10]} {i + 1:03d}", None, f"SY{i:04d}", 70,
                               int(r.uniform(*p.length_m)), start, a["lon"], a["lat"], a["sog"], a["cog"],
                               a["status"], on))
    return out


def hear(tracks: list[VesselTrack], shore: ShoreDistance, p: TrafficParams, seed: int) -> pl.DataFrame:
    """What AIS receivers heard of ``tracks``: one row per report (mmsi, minute, lon, lat, sog, cog, status)."""
    frames = []
    for k, t in enumerate(tracks):
        km = shore.distance_km(t.lon, t.lat)
        interval = np.where(km <= p.terrestrial_range_km, p.terrestrial_interval_s, p.satellite_interval_s)
        r = np.random.default_rng([seed, 3, k])
        heard = t.ais_on & (r.random(len(km)) < 1 - np.exp(-60.0 / interval))
        m = np.flatnonzero(heard)
        frames.append(pl.DataFrame({
            "mmsi": np.full(len(m), t.mmsi, np.int64), "minute": (t.start_min + m).astype(np.int64),
            "second": r.integers(0, 60, len(m)).astype(np.int64),
            "lon": t.lon[m], "lat": t.lat[m], "sog_kn": np.round(t.sog[m], 1), "cog_deg": np.round(t.cog[m], 1),
            "nav_status": t.status[m].astype(np.int64),
        }))
    return pl.concat(frames)


def identities(tracks: list[VesselTrack]) -> pl.DataFrame:
    return pl.DataFrame({
        "mmsi": [t.mmsi for t in tracks], "name": [t.name for t in tracks],
        "imo": pl.Series([t.imo for t in tracks], dtype=pl.Int64), "callsign": [t.callsign for t in tracks],
        "ship_type": [t.ship_type for t in tracks], "length_m": [t.length_m for t in tracks],
    })


def noaa_csv(heard: pl.DataFrame, ids: pl.DataFrame, t0: datetime) -> pl.DataFrame:
    """Reports as a NOAA MarineCadastre-style export (the layout ``darkfleet ingest`` recognises)."""
    base_us = int(t0.timestamp() * 1_000_000)
    df = heard.join(ids, on="mmsi", how="left").sort("mmsi", "minute", "second")
    ts = pl.from_epoch(base_us + (pl.col("minute") * 60 + pl.col("second")) * 1_000_000, time_unit="us")
    return df.select(
        MMSI=pl.col("mmsi"), BaseDateTime=ts.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        LAT=pl.col("lat").round(6), LON=pl.col("lon").round(6), SOG=pl.col("sog_kn"), COG=pl.col("cog_deg"),
        Heading=pl.col("cog_deg").round(0).cast(pl.Int64), VesselName=pl.col("name"),
        IMO=pl.when(pl.col("imo").is_not_null()).then(pl.format("IMO{}", pl.col("imo"))).otherwise(pl.lit("")),
        CallSign=pl.col("callsign").fill_null(""), VesselType=pl.col("ship_type"), Status=pl.col("nav_status"),
        Length=pl.col("length_m"), Width=(pl.col("length_m") / 6.5).round(0).cast(pl.Int64), Draft=pl.lit(7.5),
    )
