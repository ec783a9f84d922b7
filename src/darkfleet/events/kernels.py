"""Compiled per-row loops for the detectors (Numba; see ``darkfleet.ais.kernels``)."""

from __future__ import annotations

import numba
import numpy as np

US_PER_DAY = 86_400_000_000
NO_CELL = np.int32(-2147483648)  # the cell of a NaN coordinate (what NumPy's float -> int32 cast gives)


@numba.njit(cache=True, nogil=True)
def _cell(v: float, cell_deg: float) -> np.int32:
    if np.isnan(v):
        return NO_CELL
    return np.int32(np.floor(v / cell_deg))


@numba.njit(cache=True, nogil=True)
def cell_runs(key: np.ndarray, vessel: np.ndarray, t_us: np.ndarray, lon: np.ndarray, lat: np.ndarray,
              counted: np.ndarray, cell_deg: float, max_step_s: float) -> tuple[np.ndarray, ...]:
    """Runs of consecutive counted rows of one track in one grid cell and UTC day (rows sorted by
    (key, time)), as ``darkfleet.events.reception`` defines them: per run its cell (cx, cy), day
    (days since the epoch), vessel, positions, seconds observed (the steps inside the run of at
    most ``max_step_s``) and the step from the previous row to its first (NaN unless that row is
    the same track's, on the same day, and counted). Rows not ``counted`` belong to no run."""
    n = len(key)
    cx = np.empty(n, np.int32)
    cy = np.empty(n, np.int32)
    day = np.empty(n, np.int64)
    who = np.empty(n, vessel.dtype)
    positions = np.empty(n, np.int64)
    observed = np.empty(n, np.float64)
    start_dt = np.empty(n, np.float64)
    r = -1
    prev_ok = False
    prev_key = key[0] if n else 0
    prev_day = np.int64(0)
    prev_t = np.int64(0)
    px = py = NO_CELL
    for i in range(n):
        if not counted[i]:
            prev_ok = False
            continue
        d = t_us[i] // US_PER_DAY
        x, y = _cell(lon[i], cell_deg), _cell(lat[i], cell_deg)
        same_day = prev_ok and key[i] == prev_key and d == prev_day
        dt = (t_us[i] - prev_t) / 1e6
        if not same_day or x != px or y != py:
            r += 1
            cx[r], cy[r], day[r], who[r] = x, y, d, vessel[i]
            positions[r] = 1
            observed[r] = 0.0
            start_dt[r] = dt if same_day else np.nan
        else:
            positions[r] += 1
            observed[r] += dt if 0.0 <= dt <= max_step_s else 0.0
        prev_ok, prev_key, prev_day, prev_t, px, py = True, key[i], d, t_us[i], x, y
    k = r + 1
    return cx[:k], cy[:k], day[:k], who[:k], positions[:k], observed[:k], start_dt[:k]


@numba.njit(cache=True, nogil=True)
def port_machine(rows: np.ndarray, place: np.ndarray, d_km: np.ndarray, same: np.ndarray, dt_s: np.ndarray,
                 sog: np.ndarray, entry_km: float, exit_km: float, begin_kn: float, end_kn: float,
                 max_silence_s: float) -> tuple[np.ndarray, ...]:
    """The port-visit machine (``darkfleet.events.port_visits``) over the rows near a place
    (``rows`` ascending, with the nearest ``place`` and ``d_km``, the distance beyond its radius;
    ``same``, ``dt_s``, ``sog``: per row of the whole table).

    Rows beyond ``exit_km`` are OUTSIDE and restart both latches. A row restarts them too where
    the previous row was not near, at a track's first row, and after more than ``max_silence_s``
    unheard (a new call). In port is latched from ``d_km <= entry_km`` until a restart; stopped
    from ``sog <= begin_kn`` to ``sog >= end_kn`` while in port, and cleared at a restart or where
    the previous row was not in port (before this row's own set or reset).

    Returns per near row its state (0 OUTSIDE, 1 IN_PORT, 2 STOPPED), and per stretch of
    consecutive in-port rows of one call: its first and last row, the place at its first row,
    the seconds between consecutive stopped rows, the stopped rows and the least ``d_km``."""
    n = len(rows)
    state = np.zeros(n, np.int8)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    at = np.empty(n, place.dtype)
    stopped_s = np.empty(n, np.float64)
    stopped_n = np.empty(n, np.int64)
    min_d = np.empty(n, np.float64)
    s = -1
    inside = stop = prev_inside = prev_stop = False
    prev_row = prev_in = np.int64(-2)
    for k in range(n):
        r = rows[k]
        d = d_km[k]
        if d > exit_km:  # OUTSIDE: the next near row restarts (it does not follow a near row)
            continue
        dt = dt_s[r]
        step = 0.0 if np.isnan(dt) else dt
        restart = r != prev_row + 1 or not same[r] or step > max_silence_s
        if restart:
            inside = False
        if d <= entry_km:
            inside = True
        if restart or not prev_inside:
            stop = False
        if not inside or sog[r] >= end_kn:
            stop = False
        elif sog[r] <= begin_kn:
            stop = True
        prev_inside, prev_row = inside, r
        if not inside:
            continue
        state[k] = 2 if stop else 1
        if restart or r != prev_in + 1:
            s += 1
            first[s], at[s], stopped_s[s], stopped_n[s], min_d[s] = r, place[k], 0.0, 0, d
        elif stop and prev_stop:
            stopped_s[s] += step
        last[s] = r
        stopped_n[s] += 1 if stop else 0
        min_d[s] = min(min_d[s], d)
        prev_stop, prev_in = stop, r
    k = s + 1
    return state, first[:k], last[:k], at[:k], stopped_s[:k], stopped_n[:k], min_d[:k]


@numba.njit(cache=True, nogil=True)
def order_ties(m: np.ndarray, t: np.ndarray) -> tuple[bool, np.ndarray]:
    """Whether rows are sorted by (``m``, ``t``), and if so the rows tied with the next on both
    (their order is for the other sort columns to decide)."""
    n = len(m)
    ties = np.empty(max(n - 1, 0), np.int64)
    k = 0
    for i in range(n - 1):
        if m[i + 1] < m[i] or (m[i + 1] == m[i] and t[i + 1] < t[i]):
            return False, ties[:0]
        if m[i + 1] == m[i] and t[i + 1] == t[i]:
            ties[k] = i
            k += 1
    return True, ties[:k]


@numba.njit(cache=True, nogil=True)
def track_steps(key: np.ndarray, t_us: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
    """Whether rows are sorted by (``key``, ``t_us``), and if so per row whether the previous
    row is the same track's and the seconds since it (NaN at a track's first row)."""
    n = len(key)
    same = np.zeros(n, np.bool_)
    dt_s = np.full(n, np.nan)
    for i in range(1, n):
        if key[i] < key[i - 1] or (key[i] == key[i - 1] and t_us[i] < t_us[i - 1]):
            return False, same, dt_s
        if key[i] == key[i - 1]:
            same[i] = True
            dt_s[i] = (t_us[i] - t_us[i - 1]) / 1e6
    return True, same, dt_s
