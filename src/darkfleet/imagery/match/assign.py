"""Matching SAR detections to AIS vessels at the acquisition time.

Pure kernel. Candidate pairs come from a k-d tree (gating), pairs linked through shared
candidates form independent groups, and each group is solved by an assignment
(:func:`scipy.optimize.linear_sum_assignment`) in which every detection and every vessel may also
stay unmatched at a fixed cost. A pair's cost is a weighted sum of named features, each a
negative log-likelihood ½z² of a normalised disagreement, and the match carries them all as its
explanation:

``distance``  detection to the vessel's AIS position at the acquisition time, after moving that
              position by the azimuth displacement SAR gives a moving target (below);
``length``    SAR length against AIS length (capped: a bad SAR length never vetoes on its own);
``heading``   SAR axis against AIS heading (or course when under way), modulo 180° since SAR
              cannot tell bow from stern (capped likewise).

Moving targets are displaced in azimuth: a target with a velocity component v_r along the line
of sight is imaged Δaz = −(R / V)·v_r along track from where it is (the "train off the track"
effect). With v_r = v_ground_range·sin θ and R ≈ H / cos θ, Δaz = −(H·tan θ / V)·v_ground_range.
On the OpenSARShip GRD ships the residual along track against AIS follows this: about −70 m per
m/s of ground-range speed at 40° incidence, up to 1 km for a ship at 17 kn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import shapely
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from darkfleet.imagery.match.ais_at import EARTH_RADIUS_M

MATCHER_VERSION = "sar-ais-match-v1"
_BIG = 1e9

EXPLANATION = pl.List(
    pl.Struct(
        {
            "feature": pl.String,
            "value": pl.Float64,
            "sigma": pl.Float64,
            "weight": pl.Float64,
            "cost": pl.Float64,
        }
    )
)


@dataclass(frozen=True)
class MatchParams:
    """Gating and cost of detection–vessel pairs.

    ``position_sigma_m``: expected SAR-to-AIS position disagreement for a stationary ship
    (Sentinel-1 GRD geolocation, AIS antenna offset, detection centroid): on the OpenSARShip
    GRD chips the median is ~50 m but whole scenes are offset by up to 250 m, so 150 m.
    ``max_distance_m``: hard gate (2 km). ``gate_sigmas``: pairs farther than this many
    combined standard deviations are not considered (4σ).
    ``length_sigma_fraction`` / ``min_length_sigma_m``: the SAR length error scale, a
    fraction of the AIS length but at least 25 m (the detector's MAE against AIS is 14.2 m on
    OpenSARShip, larger for small ships). ``heading_sigma_deg``: SAR axis error scale (20°:
    88 % of OpenSARShip ships are within it). ``feature_cap``: the most a length or heading
    disagreement can cost. ``unknown_feature_cost``: cost of a feature that cannot be computed
    (no AIS length, ship not under way and no heading), ½ — the mean of ½z² for a good match, so
    missing data neither helps nor hurts. ``unmatched_cost``: the cost of leaving a detection or
    a vessel unmatched (a pair is matched when it costs less than both left alone, 2 × 6 = 12:
    e.g. 3.5σ apart with a fitting length and heading).
    Doppler: ``orbit_height_m`` and ``platform_speed_m_s`` are Sentinel-1's (693 km,
    7.59 km/s); ``default_incidence_deg`` is IW mid-swath (29°–46°) for detections with no
    incidence; ``doppler_sigma_fraction`` the share of a predicted displacement that may be
    wrong (incidence, AIS speed: 25 %). ``min_course_sog_kn``: below this speed COG is noise
    and is not used as a heading. ``timing_sigma_s``: error of AIS time stamps (receiver time,
    not the transponder's; 30 s), which moves a ship by its speed times that.
    Co-registration: a scene's geolocation can be off by a few hundred metres as a whole (one
    OpenSARShip GRD scene by 250 m in range), so with ``coregister`` a first assignment's
    pairs give the scene's median offset (when at least ``coregister_min_pairs`` agree and it is
    below ``coregister_max_offset_m``), which is removed before the final assignment.
    """

    position_sigma_m: float = 150.0
    max_distance_m: float = 2000.0
    gate_sigmas: float = 4.0
    length_sigma_fraction: float = 0.2
    min_length_sigma_m: float = 25.0
    heading_sigma_deg: float = 20.0
    distance_weight: float = 1.0
    length_weight: float = 1.0
    heading_weight: float = 0.5
    feature_cap: float = 4.0
    unknown_feature_cost: float = 0.5
    unmatched_cost: float = 6.0
    doppler_correction: bool = True
    orbit_height_m: float = 693_000.0
    platform_speed_m_s: float = 7_590.0
    default_incidence_deg: float = 37.0
    doppler_sigma_fraction: float = 0.25
    min_course_sog_kn: float = 2.0
    timing_sigma_s: float = 30.0
    coregister: bool = True
    coregister_min_pairs: int = 5
    coregister_max_offset_m: float = 1000.0

    def __post_init__(self) -> None:
        positive = (
            "position_sigma_m",
            "max_distance_m",
            "gate_sigmas",
            "min_length_sigma_m",
            "heading_sigma_deg",
            "unmatched_cost",
            "orbit_height_m",
            "platform_speed_m_s",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"MatchParams.{name} must be positive")
        if not 0 < self.default_incidence_deg < 90:
            raise ValueError("default_incidence_deg must be in (0, 90)")


@dataclass(frozen=True)
class MatchResult:
    """``matches``: one row per pair with its features; ``dark``: detections matched to no
    AIS vessel; ``undetected``: AIS vessels inside the footprint that no detection matched.
    ``offset_east_m`` / ``offset_north_m``: the scene offset removed (co-registration) and
    ``offset_pairs`` the number of pairs it rests on (0: none removed)."""

    matches: pl.DataFrame
    dark: pl.DataFrame
    undetected: pl.DataFrame
    params: MatchParams = field(repr=False)
    offset_east_m: float = 0.0
    offset_north_m: float = 0.0
    offset_pairs: int = 0


def doppler_shift_m(
    ve_m_s: NDArray[np.float64],
    vn_m_s: NDArray[np.float64],
    row_bearing_deg: NDArray[np.float64],
    col_bearing_deg: NDArray[np.float64],
    incidence_deg: NDArray[np.float64],
    params: MatchParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Apparent (east, north) displacement in metres of a moving target, and its signed size
    along track (+row)."""
    cb, rb = np.radians(col_bearing_deg), np.radians(row_bearing_deg)
    v_ground_range = ve_m_s * np.sin(cb) + vn_m_s * np.cos(cb)
    k_s = params.orbit_height_m * np.tan(np.radians(incidence_deg)) / params.platform_speed_m_s
    along = -k_s * v_ground_range
    ok = np.isfinite(along) & np.isfinite(rb)  # no image geometry: no correction
    along = np.where(ok, along, 0.0)
    return np.where(ok, along * np.sin(rb), 0.0), np.where(ok, along * np.cos(rb), 0.0), along


def _unit_xyz(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _axis_diff_deg(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    d = np.abs(a - b) % 180.0
    return np.minimum(d, 180.0 - d)


def _col(df: pl.DataFrame, name: str) -> NDArray[np.float64]:
    if name not in df.columns:
        return np.full(df.height, np.nan)
    return df[name].cast(pl.Float64).fill_null(np.nan).to_numpy()


def pair_costs(
    det: pl.DataFrame,
    ves: pl.DataFrame,
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    params: MatchParams,
    offset_m: tuple[float, float] = (0.0, 0.0),
) -> dict[str, NDArray[np.float64]]:
    """Features and cost of the pairs (detection ``i``, vessel ``j``), vectorised."""
    p = params
    dlon, dlat = _col(det, "lon")[i], _col(det, "lat")[i]
    vlon, vlat = _col(ves, "lon")[j], _col(ves, "lat")[j]
    ve, vn = np.nan_to_num(_col(ves, "ve_m_s")[j]), np.nan_to_num(_col(ves, "vn_m_s")[j])
    inc = _col(det, "incidence_deg")[i]
    inc = np.where(np.isfinite(inc), inc, p.default_incidence_deg)
    if p.doppler_correction:
        se, sn, along = doppler_shift_m(
            ve, vn, _col(det, "row_bearing_deg")[i], _col(det, "col_bearing_deg")[i], inc, p
        )
    else:
        se = sn = along = np.zeros(len(i))
    cos_lat = np.cos(np.radians(dlat))
    east = np.radians(((dlon - vlon + 180.0) % 360.0) - 180.0) * EARTH_RADIUS_M * cos_lat - se
    north = np.radians(dlat - vlat) * EARTH_RADIUS_M - sn
    east, north = east - offset_m[0], north - offset_m[1]
    dist = np.hypot(east, north)
    unc = np.nan_to_num(_col(ves, "uncertainty_m")[j])
    timing = p.timing_sigma_s * np.hypot(ve, vn)
    sigma = np.sqrt(p.position_sigma_m**2 + unc**2 + timing**2 + (p.doppler_sigma_fraction * along) ** 2)
    c_dist = 0.5 * (dist / sigma) ** 2

    l_sar, l_ais = _col(det, "length_m")[i], _col(ves, "length_m")[j]
    l_ais = np.where(l_ais > 0, l_ais, np.nan)
    l_sigma = np.maximum(p.min_length_sigma_m, p.length_sigma_fraction * l_ais)
    c_len = np.minimum(p.feature_cap, 0.5 * ((l_sar - l_ais) / l_sigma) ** 2)
    c_len = np.where(np.isfinite(c_len), c_len, p.unknown_feature_cost)

    hdg = _col(ves, "heading_deg")[j]
    hdg = np.where((hdg >= 0) & (hdg < 360), hdg, np.nan)
    cog, sog = _col(ves, "cog_deg")[j], _col(ves, "sog_kn")[j]
    ais_axis = np.where(np.isfinite(hdg), hdg, np.where(sog >= p.min_course_sog_kn, cog, np.nan))
    h_diff = _axis_diff_deg(_col(det, "heading_deg")[i], ais_axis)
    c_hdg = np.minimum(p.feature_cap, 0.5 * (h_diff / p.heading_sigma_deg) ** 2)
    c_hdg = np.where(np.isfinite(c_hdg), c_hdg, p.unknown_feature_cost)

    cost = p.distance_weight * c_dist + p.length_weight * c_len + p.heading_weight * c_hdg
    gated = (dist <= p.max_distance_m) & (dist <= p.gate_sigmas * sigma)
    return {
        "east_m": east,
        "north_m": north,
        "distance_m": dist,
        "sigma_m": sigma,
        "doppler_shift_m": along,
        "c_dist": c_dist,
        "length_sar_m": l_sar,
        "length_ais_m": l_ais,
        "length_sigma_m": l_sigma,
        "c_len": c_len,
        "heading_sar_deg": _col(det, "heading_deg")[i],
        "heading_ais_deg": ais_axis,
        "heading_diff_deg": h_diff,
        "c_hdg": c_hdg,
        "cost": cost,
        "gated": gated,
    }


def _candidates(
    det: pl.DataFrame, ves: pl.DataFrame, params: MatchParams
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs within reach: the hard gate plus the largest Doppler displacement possible."""
    if det.height == 0 or ves.height == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    speed = np.hypot(np.nan_to_num(_col(ves, "ve_m_s")), np.nan_to_num(_col(ves, "vn_m_s")))
    k_max = params.orbit_height_m * math.tan(math.radians(60.0)) / params.platform_speed_m_s
    reach_m = params.max_distance_m + (k_max * speed if params.doppler_correction else 0.0)
    tree = cKDTree(_unit_xyz(_col(det, "lon"), _col(det, "lat")))
    hits = tree.query_ball_point(
        _unit_xyz(_col(ves, "lon"), _col(ves, "lat")), r=np.broadcast_to(reach_m / EARTH_RADIUS_M, (ves.height,))
    )
    j = np.repeat(np.arange(ves.height), [len(h) for h in hits])
    i = np.fromiter((d for h in hits for d in h), dtype=np.int64, count=len(j))
    return i.astype(np.int64), j.astype(np.int64)


def _assign(cost: NDArray[np.float64], unmatched: float) -> list[tuple[int, int]]:
    """Minimum-cost assignment where either side may stay unmatched at ``unmatched`` each."""
    n, m = cost.shape
    big = np.full((n + m, m + n), _BIG)
    big[:n, :m] = cost
    big[np.arange(n), m + np.arange(n)] = unmatched
    big[n + np.arange(m), np.arange(m)] = unmatched
    big[n:, m:] = 0.0
    rows, cols = linear_sum_assignment(big)
    return [(r, c) for r, c in zip(rows, cols, strict=True) if r < n and c < m and cost[r, c] < _BIG]


def match(
    detections: pl.DataFrame,
    vessels: pl.DataFrame,
    params: MatchParams | None = None,
    footprint: shapely.Geometry | None = None,
) -> MatchResult:
    """Match detections (``lon``, ``lat``, ``length_m``, ``heading_deg``, and for the Doppler
    correction ``row_bearing_deg``, ``col_bearing_deg``, ``incidence_deg``) to vessels at the
    acquisition time (:func:`~darkfleet.imagery.match.ais_at.positions_at` output with
    ``length_m``). Detections are identified by their row number (``det_index``)."""
    params = params or MatchParams()
    det = detections.with_row_index("det_index").filter(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
    ves = vessels.filter(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
    i, j = _candidates(det, ves, params)
    offset, n_offset = (0.0, 0.0), 0
    f, chosen = _solve(det, ves, i, j, params, offset)
    if params.coregister and len(chosen) >= params.coregister_min_pairs:
        e, n = float(np.median(f["east_m"][chosen])), float(np.median(f["north_m"][chosen]))
        if math.hypot(e, n) <= params.coregister_max_offset_m:
            offset, n_offset = (e, n), len(chosen)
            f, chosen = _solve(det, ves, i, j, params, offset)
    sel = chosen
    matches = _matches_frame(
        det, ves, f["i"][sel].astype(np.int64), f["j"][sel].astype(np.int64), {k: v[sel] for k, v in f.items()}, params
    )
    dark = det.filter(~pl.col("det_index").is_in(matches["det_index"].implode()))
    undetected = ves.filter(~pl.col("mmsi").is_in(matches["mmsi"].implode()))
    if footprint is not None:
        inside = shapely.contains_xy(footprint, _col(undetected, "lon"), _col(undetected, "lat"))
        undetected = undetected.filter(pl.Series(inside))
    return MatchResult(matches, dark, undetected, params, offset[0], offset[1], n_offset)


def _solve(
    det: pl.DataFrame,
    ves: pl.DataFrame,
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    params: MatchParams,
    offset: tuple[float, float],
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.int64]]:
    """Pair features (for the gated candidate pairs) and the indices of the chosen pairs."""
    f = pair_costs(det, ves, i, j, params, offset)
    keep = f["gated"]
    i, j = i[keep], j[keep]
    f = {k: v[keep] for k, v in f.items()} | {"i": i, "j": j}
    chosen: list[int] = []
    if len(i):
        n, m = det.height, ves.height
        graph = coo_matrix((np.ones(len(i)), (i, n + j)), shape=(n + m, n + m))
        _, comp = connected_components(graph, directed=False)
        pair_comp = comp[i]
        order = np.argsort(pair_comp, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(pair_comp[order]) != 0, True])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            idx = order[a:b]
            ui, inv_i = np.unique(i[idx], return_inverse=True)
            uj, inv_j = np.unique(j[idx], return_inverse=True)
            cost = np.full((len(ui), len(uj)), _BIG)
            cost[inv_i, inv_j] = f["cost"][idx]
            lookup = {(r, c): k for k, r, c in zip(idx, inv_i, inv_j, strict=True)}
            chosen += [lookup[rc] for rc in _assign(cost, params.unmatched_cost)]
    return f, np.array(sorted(chosen), dtype=np.int64)


def _matches_frame(
    det: pl.DataFrame,
    ves: pl.DataFrame,
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    f: dict[str, NDArray[np.float64]],
    p: MatchParams,
) -> pl.DataFrame:
    def nn(a: NDArray[np.float64]) -> list[float | None]:
        return [float(x) if np.isfinite(x) else None for x in a]

    features = [
        [
            {
                "feature": "distance",
                "value": f["distance_m"][k],
                "sigma": f["sigma_m"][k],
                "weight": p.distance_weight,
                "cost": f["c_dist"][k],
            },
            {
                "feature": "length",
                "value": _nan_none(f["length_sar_m"][k] - f["length_ais_m"][k]),
                "sigma": _nan_none(f["length_sigma_m"][k]),
                "weight": p.length_weight,
                "cost": f["c_len"][k],
            },
            {
                "feature": "heading",
                "value": _nan_none(f["heading_diff_deg"][k]),
                "sigma": p.heading_sigma_deg,
                "weight": p.heading_weight,
                "cost": f["c_hdg"][k],
            },
        ]
        for k in range(len(i))
    ]
    return pl.DataFrame(
        {
            "det_index": det["det_index"].to_numpy()[i].astype(np.int64),
            "mmsi": ves["mmsi"].to_numpy()[j].astype(np.int64),
            "cost": f["cost"],
            "distance_m": f["distance_m"],
            "doppler_shift_m": f["doppler_shift_m"],
            "length_sar_m": nn(f["length_sar_m"]),
            "length_ais_m": nn(f["length_ais_m"]),
            "heading_sar_deg": nn(f["heading_sar_deg"]),
            "heading_ais_deg": nn(f["heading_ais_deg"]),
            "heading_diff_deg": nn(f["heading_diff_deg"]),
            "ais_method": (ves["method"].to_numpy()[j] if "method" in ves.columns else [None] * len(i)),
            "explanation": features,
        },
        schema_overrides={"det_index": pl.UInt32, "ais_method": pl.String, "explanation": EXPLANATION},
    ).sort("det_index")


def _nan_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
