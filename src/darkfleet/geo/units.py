"""Units and great-circle distance, vectorised over NumPy arrays.

Speeds are knots, distances metres, angles degrees at the API; radians only inside.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

M_PER_NM = 1852.0  # one international nautical mile
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
M_PER_DEG_LAT = np.pi * EARTH_RADIUS_M / 180.0  # ≈ 111.2 km
S_PER_H = 3600.0


def knots_to_m_per_s(kn: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(kn, dtype=np.float64) * M_PER_NM / S_PER_H


def m_per_s_to_knots(m_per_s: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(m_per_s, dtype=np.float64) * S_PER_H / M_PER_NM


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance in metres between (lon1, lat1) and (lon2, lat2), degrees in."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_expr(lon1: pl.Expr, lat1: pl.Expr, lon2: pl.Expr, lat2: pl.Expr) -> pl.Expr:
    """The same distance as a Polars expression (metres), for lazy / streaming plans."""
    p1 = lat1.radians()
    p2 = lat2.radians()
    a = ((p2 - p1) / 2).sin() ** 2 + p1.cos() * p2.cos() * ((lon2 - lon1).radians() / 2).sin() ** 2
    return 2 * EARTH_RADIUS_M * a.clip(0.0, 1.0).sqrt().arcsin()


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """(n, 3) unit vectors on the sphere, for k-d tree nearest-neighbour search by chord length."""
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    la = np.radians(np.asarray(lat, dtype=np.float64))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_to_m(chord: ArrayLike) -> NDArray[np.float64]:
    """Great-circle metres from the chord length between two unit vectors."""
    return 2 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord, dtype=np.float64) / 2, 0.0, 1.0))


def m_to_chord(distance_m: float) -> float:
    return float(2 * np.sin(distance_m / (2 * EARTH_RADIUS_M)))
