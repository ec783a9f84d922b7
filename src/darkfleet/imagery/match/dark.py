"""Dark-vessel candidates: which watchlisted vessels could an unmatched SAR detection be?

For each (detection, watchlisted vessel) pair: could the vessel have been there — from its last
known AIS fix before the acquisition (and, when known, to its next fix after it) at no more
than its maximum plausible speed, over the sea-route distance — and does its length fit the SAR
length? Candidates are ranked by a score with the reasons spelled out.

Pure kernel: the sea-route distance is a function passed in (:func:`searoute_distance_m` is the
default, from the ``searoute`` package's marine network), so tests can supply their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import polars as pl

from darkfleet.imagery.match.ais_at import KN_TO_M_S, M_PER_NM, haversine_m

DARK_VERSION = "dark-candidates-v1"
RouteDistance = Callable[[float, float, float, float], float]  # (lon1, lat1, lon2, lat2) → m


@dataclass(frozen=True)
class DarkParams:
    """``default_max_speed_kn``: top speed of a vessel with none of its own in the watchlist
    (16 kn: above the service speed of the general cargo ships and small tankers watchlists
    are mostly made of). ``route_min_distance_m``: below this great-circle distance the sea
    route is taken as the great circle (searoute's network is a few tens of km coarse and routes
    a 7 km harbour crossing over 230 km). ``length_sigma_fraction`` / ``min_length_sigma_m``:
    SAR length error scale, as in matching. ``speed_slack``: a vessel needing more than this
    share of its top speed is "tight" and scored down linearly to zero at its top speed.
    ``max_elapsed_h``: fixes older than this say nothing (30 days). ``min_score``: candidates
    scoring less are dropped."""

    default_max_speed_kn: float = 16.0
    route_min_distance_m: float = 50_000.0
    length_sigma_fraction: float = 0.2
    min_length_sigma_m: float = 25.0
    speed_slack: float = 0.8
    max_elapsed_h: float = 720.0
    min_score: float = 0.01

    def __post_init__(self) -> None:
        if self.default_max_speed_kn <= 0 or not 0 < self.speed_slack <= 1:
            raise ValueError("default_max_speed_kn > 0 and speed_slack in (0, 1] required")


CANDIDATE_COLUMNS = pl.Schema(
    {
        "det_index": pl.UInt32(),
        "mmsi": pl.Int64(),
        "name": pl.String(),
        "rank": pl.Int32(),
        "score": pl.Float64(),
        "reachable": pl.Boolean(),
        "required_speed_kn": pl.Float64(),
        "max_speed_kn": pl.Float64(),
        "route_distance_nm": pl.Float64(),
        "great_circle_nm": pl.Float64(),
        "elapsed_h": pl.Float64(),
        "length_diff_m": pl.Float64(),
        "length_score": pl.Float64(),
        "reasons": pl.List(pl.String()),
    }
)


@lru_cache(maxsize=1)
def _searoute():  # type: ignore[no-untyped-def]
    import searoute

    return searoute


def searoute_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Shortest sea-route distance in metres over searoute's marine network, including the
    legs from the end points to the network."""
    sr = _searoute()
    route = sr.searoute([lon1, lat1], [lon2, lat2], units="m", append_orig_dest=True)
    return float(route["properties"]["length"])


def _leg(
    lon1: float, lat1: float, lon2: float, lat2: float, route: RouteDistance, p: DarkParams
) -> tuple[float, float]:
    """(great-circle m, sea-route m) between two points."""
    gc = float(haversine_m(lon1, lat1, lon2, lat2))
    if gc < p.route_min_distance_m:
        return gc, gc
    return gc, max(gc, float(route(lon1, lat1, lon2, lat2)))


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def dark_candidates(
    dark: pl.DataFrame,
    watchlist: pl.DataFrame,
    acquired: datetime,
    params: DarkParams | None = None,
    route: RouteDistance = searoute_distance_m,
) -> pl.DataFrame:
    """Ranked candidates per unmatched detection.

    ``dark``: detections with ``det_index``, ``lon``, ``lat``, ``length_m``. ``watchlist``: one
    row per vessel with ``mmsi``, ``name``, ``length_m`` (nullable), ``max_speed_kn``
    (nullable), ``last_ts``, ``last_lon``, ``last_lat`` (the last fix before ``acquired``) and
    optionally ``next_ts``, ``next_lon``, ``next_lat`` (the first fix after it).
    """
    p = params or DarkParams()
    t = acquired.astimezone(UTC)
    rows: list[dict[str, object]] = []
    vessels = watchlist.to_dicts()
    for d in dark.iter_rows(named=True):
        if d["lon"] is None or d["lat"] is None:
            continue
        found: list[dict[str, object]] = []
        for v in vessels:
            cand = _candidate(d, v, t, p, route)
            if cand is not None and cand["score"] >= p.min_score:  # type: ignore[operator]
                found.append(cand)
        found.sort(key=lambda c: (-c["score"], c["mmsi"]))  # type: ignore[operator]
        for rank, c in enumerate(found, start=1):
            rows.append(c | {"rank": rank})
    if not rows:
        return pl.DataFrame(schema=CANDIDATE_COLUMNS)
    return pl.DataFrame(rows, schema=CANDIDATE_COLUMNS)


def _candidate(
    d: dict[str, object], v: dict[str, object], t: datetime, p: DarkParams, route: RouteDistance
) -> dict[str, object] | None:
    max_kn = float(v.get("max_speed_kn") or p.default_max_speed_kn)  # type: ignore[arg-type]
    legs = []  # (hours available, great-circle m, route m, description)
    for end, sign in (("last", 1), ("next", -1)):
        ts = v.get(f"{end}_ts")
        lon, lat = v.get(f"{end}_lon"), v.get(f"{end}_lat")
        if ts is None or lon is None or lat is None:
            continue
        hours = _hours(ts, t) * sign  # type: ignore[arg-type]
        if hours < 0 or hours > p.max_elapsed_h:
            continue
        gc, sea = _leg(float(lon), float(lat), float(d["lon"]), float(d["lat"]), route, p)  # type: ignore[arg-type]
        legs.append((hours, gc, sea, end, ts))
    if not legs:
        return None
    reasons = []
    worst_ratio, req_kn, gc_nm, sea_nm, elapsed = 0.0, 0.0, 0.0, 0.0, 0.0
    for hours, gc, sea, end, ts in legs:
        need_kn = sea / M_PER_NM / hours if hours > 0 else (0.0 if sea < 1000 else math.inf)
        ratio = need_kn / max_kn
        word = "since its last" if end == "last" else "until its next"
        reasons.append(
            f"{hours:.1f} h {word} AIS fix ({ts:%Y-%m-%d %H:%M}Z): {sea / M_PER_NM:.1f} nm by sea "
            f"({gc / M_PER_NM:.1f} nm great circle) needs {need_kn:.1f} kn, "
            f"{'within' if ratio <= 1 else 'above'} its {max_kn:.0f} kn"
        )
        if ratio >= worst_ratio:
            worst_ratio, req_kn, gc_nm, sea_nm, elapsed = (ratio, need_kn, gc / M_PER_NM, sea / M_PER_NM, hours)
    reachable = worst_ratio <= 1.0
    reach_score = (
        1.0
        if worst_ratio <= p.speed_slack
        else max(0.0, (1.0 - worst_ratio) / (1.0 - p.speed_slack) if p.speed_slack < 1 else 0.0)
    )
    l_ais = v.get("length_m")
    l_sar = d.get("length_m")
    length_diff = length_score = None
    if l_ais and l_sar is not None and float(l_ais) > 0:  # type: ignore[arg-type]
        sigma = max(p.min_length_sigma_m, p.length_sigma_fraction * float(l_ais))  # type: ignore[arg-type]
        length_diff = float(l_sar) - float(l_ais)  # type: ignore[arg-type]
        length_score = math.exp(-0.5 * (length_diff / sigma) ** 2)
        reasons.append(
            f"SAR length {float(l_sar):.0f} m vs {float(l_ais):.0f} m: "  # type: ignore[arg-type]
            f"{abs(length_diff) / sigma:.1f} σ (σ = {sigma:.0f} m)"
        )
    else:
        reasons.append("no length to compare")
    score = reach_score * (length_score if length_score is not None else 0.5)
    return {
        "det_index": d["det_index"],
        "mmsi": v["mmsi"],
        "name": v.get("name"),
        "score": score,
        "reachable": reachable,
        "required_speed_kn": req_kn if math.isfinite(req_kn) else None,
        "max_speed_kn": max_kn,
        "route_distance_nm": sea_nm,
        "great_circle_nm": gc_nm,
        "elapsed_h": elapsed,
        "length_diff_m": length_diff,
        "length_score": length_score,
        "reasons": reasons,
    }


__all__ = ["DarkParams", "dark_candidates", "searoute_distance_m", "KN_TO_M_S"]
