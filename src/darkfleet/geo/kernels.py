"""Compiled per-point loops for place look-ups (Numba; see ``darkfleet.ais.kernels``)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def near_rows(lon: np.ndarray, lat: np.ndarray, grid: np.ndarray, cand_start: np.ndarray, cand_count: np.ndarray,
              cand: np.ndarray, plon: np.ndarray, plat: np.ndarray, radius_m: np.ndarray, reach_m: float,
              inv_cell: float, nx: int, ny: int, m_per_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points within ``reach_m`` (+ the place's radius) of a place, as
    ``places.near_place_rows`` defines them: (point index, place index, distance in metres).

    ``grid`` screens points by their cell (−1: no place reaches; ≥ 0: the one place that does;
    −2 − j: several, ``cand[cand_start[j]:][:cand_count[j]]``, of which the nearest on the local
    flat earth wins, the first on ties). The distance is measured on the plane tangent at the
    mid-latitude.
    """
    n = len(lon)
    rows = np.empty(n, np.int64)
    best_place = np.empty(n, np.int64)
    dist = np.empty(n, np.float64)
    k = 0
    deg = np.pi / 180.0
    for i in range(n):
        x, y = lon[i], lat[i]
        fy = (y + 90.0) * inv_cell
        fx = (x + 180.0) * inv_cell
        if not (fy >= 0.0 and fy < ny and fx >= 0.0 and fx < nx):
            continue
        owner = grid[np.int64(fy) * nx + np.int64(fx)]
        if owner == -1:
            continue
        if owner >= 0:
            best = np.int64(owner)
        else:
            j = -np.int64(owner) - 2
            coslat = np.cos(y * deg)
            best = cand[cand_start[j]]
            best_d2 = np.inf
            for c in cand[cand_start[j] : cand_start[j] + cand_count[j]]:
                d2 = ((x - plon[c]) * coslat) ** 2 + (y - plat[c]) ** 2
                if d2 < best_d2:
                    best_d2, best = d2, c
        blon, blat = plon[best], plat[best]
        cos_mid = np.cos(((y + blat) * 0.5) * deg)
        d = np.sqrt(((x - blon) * cos_mid) ** 2 + (y - blat) ** 2) * m_per_deg
        if d <= reach_m + radius_m[best]:
            rows[k], best_place[k], dist[k] = i, best, d
            k += 1
    return rows[:k], best_place[:k], dist[:k]
