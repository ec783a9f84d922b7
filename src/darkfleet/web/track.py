"""A vessel's track as GeoJSON for the map: observed pieces and dark legs, simplified to a vertex budget.

Pure functions (arrays in, a GeoJSON dict out). The observed track is cut where AIS is silent for
more than :data:`BREAK_H` hours (the report's rule), each run is simplified with Douglas–Peucker
(``shapely.simplify``, time carried as Z so every kept vertex keeps its time), and the tolerance is
found by bisection: a small one that keeps the whole answer, dark legs included, within
``max_points`` vertices (and uses at least 95 % of them, when simplification allows). Runs are
then cut into pieces of at most :data:`MAX_PIECE_POINTS` vertices (neighbouring pieces share a
vertex), each with its ``t0`` / ``t1`` in epoch seconds so the UI colours and filters by time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from darkfleet.report.gather import TRACK_BREAK_H
from darkfleet.report.model import iso

BREAK_H = TRACK_BREAK_H
MAX_PIECE_POINTS = 100
BISECTION_STEPS = 30
MIN_TOLERANCE_DEG = 1e-7  # about 1 cm
GOOD_ENOUGH = 0.95  # stop once the answer uses this share of the budget
COORD_DIGITS = 5  # about 1 m


@dataclass(frozen=True, slots=True)
class DarkLeg:
    """An AIS gap event: from the last position before the silence to the first after it."""

    event_id: str
    start: datetime
    end: datetime
    lon: float
    lat: float
    end_lon: float
    end_lat: float
    likely_disabled: bool | None
    reason: str | None


Run = NDArray[np.float64]  # (n, 3): lon, lat, epoch seconds


def split_runs(t_s: NDArray[np.float64], lon: NDArray[np.float64], lat: NDArray[np.float64],
               break_h: float = BREAK_H) -> list[Run]:
    """Time-ordered positions cut wherever consecutive fixes are more than ``break_h`` apart."""
    if len(t_s) == 0:
        return []
    xyz = np.column_stack([lon, lat, t_s]).astype(np.float64)
    cuts = np.flatnonzero(np.diff(t_s) > break_h * 3600) + 1
    return [r for r in np.split(xyz, cuts) if len(r)]


def _simplify(runs: Sequence[Run], tolerance_deg: float) -> list[Run]:
    if tolerance_deg <= 0:
        return list(runs)
    out: list[Run] = []
    long = [i for i, r in enumerate(runs) if len(r) > 2]
    if not long:
        return list(runs)
    coords = np.vstack([runs[i] for i in long])
    which = np.repeat(np.arange(len(long)), [len(runs[i]) for i in long])
    simple = shapely.simplify(shapely.linestrings(coords, indices=which), tolerance_deg, preserve_topology=False)
    by_index = dict(zip(long, simple, strict=True))
    for i, r in enumerate(runs):
        if i in by_index:
            coords = shapely.get_coordinates(by_index[i], include_z=True)
            out.append(coords if len(coords) >= 2 else r[[0, -1]])
        else:
            out.append(r)
    return out


def _pieces(run: Run, max_points: int = MAX_PIECE_POINTS) -> list[Run]:
    if len(run) == 1:
        return [np.vstack([run, run])]  # a lone fix: a zero-length line, still on the map
    step = max_points - 1
    return [run[i:i + max_points] for i in range(0, len(run) - 1, step)]


def vertex_count(runs: Sequence[Run]) -> int:
    """Vertices of the pieces these runs become (shared vertices counted in each piece)."""
    total = 0
    for r in runs:
        n = len(r)
        total += 2 if n == 1 else n + math.ceil((n - 1) / (MAX_PIECE_POINTS - 1)) - 1
    return total


def fit_runs(runs: Sequence[Run], budget: int) -> tuple[list[Run], float]:
    """Simplified runs within ``budget`` vertices, and the tolerance (degrees) that got them there.

    When even endpoints alone do not fit, the longest-lasting runs are kept."""
    if vertex_count(runs) <= budget:
        return list(runs), 0.0
    hi = 1.0
    span = max((float(np.ptp(r[:, 0])) + float(np.ptp(r[:, 1])) for r in runs), default=0.0)
    hi = max(hi, span * 2)
    if vertex_count(_simplify(runs, hi)) > budget:
        ends = _simplify(runs, hi)
        order = sorted(range(len(ends)), key=lambda i: -(ends[i][-1, 2] - ends[i][0, 2]))
        keep, used = [], 0
        for i in order:
            need = vertex_count([ends[i]])
            if used + need <= budget:
                keep.append(i)
                used += need
        return [ends[i] for i in sorted(keep)], hi
    lo = MIN_TOLERANCE_DEG
    best = _simplify(runs, hi)
    for _ in range(BISECTION_STEPS):  # geometric: tolerances span orders of magnitude
        mid = math.sqrt(lo * hi)
        simple = _simplify(runs, mid)
        n = vertex_count(simple)
        if n <= budget:
            hi, best = mid, simple
            if n >= GOOD_ENOUGH * budget:
                break
        else:
            lo = mid
    return best, hi


def _epoch_to_dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _line(coords: Any) -> dict[str, Any]:
    return {"type": "LineString",
            "coordinates": [[round(float(x), COORD_DIGITS), round(float(y), COORD_DIGITS)] for x, y in coords]}


def track_geojson(mmsi: int, t_s: NDArray[np.float64], lon: NDArray[np.float64], lat: NDArray[np.float64],
                  dark: Sequence[DarkLeg], max_points: int) -> dict[str, Any]:
    """The FeatureCollection of the API's track endpoint (see the module docstring)."""
    legs = sorted(dark, key=lambda g: (g.start, g.event_id))
    if 2 * len(legs) > max_points:  # more gaps than the budget holds: the longest ones
        legs = sorted(sorted(legs, key=lambda g: g.start - g.end)[:max_points // 2], key=lambda g: g.start)
    runs, tolerance = fit_runs(split_runs(t_s, lon, lat), max_points - 2 * len(legs))
    features: list[dict[str, Any]] = []
    for run in runs:
        for piece in _pieces(run):
            t0, t1 = float(piece[0, 2]), float(piece[-1, 2])
            features.append({"type": "Feature", "geometry": _line(piece[:, :2]), "properties": {
                "mmsi": mmsi, "kind": "observed", "start": iso(_epoch_to_dt(t0)), "end": iso(_epoch_to_dt(t1)),
                "t0": int(t0), "t1": int(t1), "points": len(piece)}})
    for g in legs:
        hours = (g.end - g.start).total_seconds() / 3600
        features.append({"type": "Feature", "geometry": _line([(g.lon, g.lat), (g.end_lon, g.end_lat)]),
                         "properties": {"mmsi": mmsi, "kind": "dark", "start": iso(g.start), "end": iso(g.end),
                                        "t0": int(g.start.timestamp()), "t1": int(g.end.timestamp()),
                                        "event_id": g.event_id, "hours": round(hours, 2),
                                        "likely_disabled": g.likely_disabled, "reason": g.reason}})
    xs = [c[0] for f in features for c in f["geometry"]["coordinates"]]
    ys = [c[1] for f in features for c in f["geometry"]["coordinates"]]
    bbox = [min(xs), min(ys), max(xs), max(ys)] if xs else None
    return {"type": "FeatureCollection", "bbox": bbox, "features": features,
            "properties": {"mmsi": mmsi, "positions": len(t_s), "vertices": len(xs), "max_points": max_points,
                           "tolerance_deg": tolerance, "dark_legs": len(legs)}}
