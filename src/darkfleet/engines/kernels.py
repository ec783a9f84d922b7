"""Compiled per-row loops for the engines' bookkeeping (Numba; see ``darkfleet.ais.kernels``)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def rows_in_windows(m: np.ndarray, t: np.ndarray, who: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Which rows (vessel ``m``, time ``t``; in runs of one vessel, in any order of vessels) lie in
    their vessel's window ``lo[j] <= t < hi[j]``, ``j`` the vessel's index in ``who`` (ascending,
    unique); rows of vessels not in ``who`` do not. One binary search per run of rows."""
    n = len(m)
    out = np.zeros(n, np.bool_)
    j = -1
    for i in range(n):
        if i == 0 or m[i] != m[i - 1]:
            j = np.searchsorted(who, m[i])
            if j >= len(who) or who[j] != m[i]:
                j = -1
        if j >= 0:
            out[i] = lo[j] <= t[i] < hi[j]
    return out
