"""Generated AIS around known ship positions, with ground truth, for testing SAR–AIS matching.

Each real ship (an AIS fix: position, time, SOG, COG) gets a deterministic track through that fix
consistent with its speed and course, reported at the Class A intervals with realistic reception
(dropped messages, a reception hole over the acquisition for some ships, tracks that end before
it for others) and GNSS noise; distractor vessels sail nearby. Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from darkfleet.imagery.match.ais_at import EARTH_RADIUS_M, KN_TO_M_S

DISTRACTOR_MMSI_BASE = 990_000_000


@dataclass(frozen=True)
class TrackParams:
    """``span_s``: track length either side of the acquisition (20 min). Report intervals are
    ITU-R M.1371's Class A ones (3 min at anchor, 10 s at 0–14 kn, 6 s above), each received
    with probability ``reception``. ``hole_fraction`` of ships have a reception hole of up to
    ``max_hole_s`` over the acquisition; ``ended_fraction`` stop reporting up to
    ``max_hole_s`` before it (dead reckoning then carries them). ``gnss_sigma_m``: position
    noise. ``distractors`` per ship at ``distractor_range_m`` from it."""

    span_s: float = 1200.0
    reception: float = 0.5
    hole_fraction: float = 0.5
    ended_fraction: float = 0.15
    max_hole_s: float = 480.0
    gnss_sigma_m: float = 8.0
    distractors: int = 2
    distractor_range_m: tuple[float, float] = (300.0, 3000.0)


def _interval_s(sog_kn: float) -> float:
    return 180.0 if sog_kn < 0.5 else (10.0 if sog_kn < 14 else 6.0)


def generate_tracks(
    ships: pl.DataFrame, acquired: datetime, params: TrackParams | None = None, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(positions, statics) for ``ships`` (columns ``mmsi``, ``lon``, ``lat``, ``ts`` — the time
    of that fix —, ``sog_kn``, ``cog_deg``, ``heading_deg``, ``length_m``, ``width_m``) around
    ``acquired``. Positions have the lake's ``mmsi, ts, lon, lat, sog_kn, cog_deg,
    heading_deg`` columns; statics ``mmsi, ts, length_m, width_m``."""
    params = params or TrackParams()
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    statics: list[tuple] = []
    t0 = acquired - timedelta(seconds=params.span_s)
    specs = []
    for s in ships.iter_rows(named=True):
        specs.append(dict(s, distractor=False))
        for k in range(params.distractors):
            rng_m = rng.uniform(*params.distractor_range_m)
            b = rng.uniform(0, 2 * math.pi)
            moving = rng.random() < 0.5
            specs.append(
                {
                    "mmsi": DISTRACTOR_MMSI_BASE + s["mmsi"] % 100_000 * 10 + k,
                    "lon": s["lon"]
                    + math.degrees(rng_m * math.sin(b) / (EARTH_RADIUS_M * math.cos(math.radians(s["lat"])))),
                    "lat": s["lat"] + math.degrees(rng_m * math.cos(b) / EARTH_RADIUS_M),
                    "ts": s["ts"],
                    "sog_kn": float(rng.uniform(4, 15)) if moving else float(rng.uniform(0, 0.3)),
                    "cog_deg": float(rng.uniform(0, 360)),
                    "heading_deg": None,
                    "length_m": float(rng.uniform(30, 300)),
                    "width_m": None,
                    "distractor": True,
                }
            )
    for s in specs:
        sog = float(s["sog_kn"] or 0.0)
        cog = s["cog_deg"]
        v = sog * KN_TO_M_S
        ve, vn = (0.0, 0.0)
        if cog is not None:
            ve, vn = v * math.sin(math.radians(cog)), v * math.cos(math.radians(cog))
        step = _interval_s(sog)
        n = int(2 * params.span_s / step) + 1
        first = t0 + timedelta(seconds=float(rng.uniform(0, step)))
        times = [first + timedelta(seconds=k * step) for k in range(n)]
        keep = rng.random(n) < params.reception
        rel = np.array([(t - acquired).total_seconds() for t in times])
        u = rng.random()
        if u < params.hole_fraction:
            hole = rng.uniform(0, params.max_hole_s)
            start = -rng.uniform(0, hole)
            keep &= ~((rel >= start) & (rel <= start + hole))
        elif u < params.hole_fraction + params.ended_fraction:
            keep &= rel <= -rng.uniform(0, params.max_hole_s)
        dt = np.array([(t - s["ts"]).total_seconds() for t in times])
        east = ve * dt + rng.normal(0, params.gnss_sigma_m, n)
        north = vn * dt + rng.normal(0, params.gnss_sigma_m, n)
        lat = s["lat"] + np.degrees(north / EARTH_RADIUS_M)
        lon = s["lon"] + np.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(s["lat"]))))
        sog_r = np.maximum(0.0, sog + rng.normal(0, 0.1, n))
        cog_r = (cog + rng.normal(0, 1.0, n)) % 360 if cog is not None else np.full(n, np.nan)
        for q in np.flatnonzero(keep):
            rows.append(
                (s["mmsi"], times[q], float(lon[q]), float(lat[q]), float(sog_r[q]), float(cog_r[q]), s["heading_deg"])
            )
        statics.append((s["mmsi"], t0, _int(s["length_m"]), _int(s["width_m"])))
    positions = (
        pl.DataFrame(
            rows,
            schema={
                "mmsi": pl.Int64,
                "ts": pl.Datetime("us", "UTC"),
                "lon": pl.Float64,
                "lat": pl.Float64,
                "sog_kn": pl.Float32,
                "cog_deg": pl.Float32,
                "heading_deg": pl.Int16,
            },
            orient="row",
        )
        .with_columns(pl.col("cog_deg").fill_nan(None))
        .sort("mmsi", "ts")
    )
    static = pl.DataFrame(
        statics,
        schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "length_m": pl.Int16, "width_m": pl.Int16},
        orient="row",
    )
    return positions, static


def _int(x: float | None) -> int | None:
    return None if x is None or not math.isfinite(x) or x <= 0 else round(x)
