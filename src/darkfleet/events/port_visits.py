"""Port visits: an explicit state machine with hysteresis, vectorised over all vessels.

Global Fishing Watch's port-visit definition (anchorages_pipeline, ``port_visits`` config;
GFW "Port visits" event documentation) and its thresholds:

* **entry** when the vessel comes within ``entry_radius_km`` = 3 km of a place,
* **exit** when it goes beyond ``exit_radius_km`` = 4 km (the 1 km band is hysteresis: a vessel
  jittering around 3 km does not make a string of visits),
* inside, **stopped** begins when speed ≤ ``stopped_begin_kn`` = 0.2 kn and ends when speed
  ≥ ``stopped_end_kn`` = 0.5 kn.

States and transitions (``State``)::

    OUTSIDE --d ≤ entry--> IN_PORT --sog ≤ begin--> STOPPED --sog ≥ end--> IN_PORT
    IN_PORT/STOPPED --d > exit--> OUTSIDE

Each guard is a latch per vessel, run as one compiled pass over the rows near a place that also
sums up the visits (:func:`darkfleet.events.kernels.port_machine`). Rows beyond the exit radius
of every place are OUTSIDE whatever came before, so the latches run only over the rows near a
place (found with a grid look-up, :func:`darkfleet.geo.places.near_place_rows`), each stretch of
consecutive near rows restarting them. A visit is a run of IN_PORT/STOPPED rows; with
``require_stop`` (default, GFW's higher-confidence visits) only visits with a stop count. A place
with its own ``radius_m`` (user polygons) widens both radii by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import polars as pl

from darkfleet.events import kernels
from darkfleet.events.base import Tracks, open_run_since, run_table, tracks_of
from darkfleet.events.schema import empty_events, finish
from darkfleet.geo.places import near_place_rows

DETECTOR = "port_visits/1"


class State(IntEnum):
    OUTSIDE = 0
    IN_PORT = 1
    STOPPED = 2


@dataclass(frozen=True)
class PortVisitParams:
    entry_radius_km: float = 3.0  # GFW anchorage_entry_distance_km
    exit_radius_km: float = 4.0  # GFW anchorage_exit_distance_km
    stopped_begin_kn: float = 0.2  # GFW stopped_begin_speed_knots
    stopped_end_kn: float = 0.5  # GFW stopped_end_speed_knots
    require_stop: bool = True
    min_positions: int = 2  # darkfleet: one fix shows presence, not an arrival and a departure
    max_silence_h: float = 168.0  # darkfleet: after a week unheard, a vessel seen in port again is on a new call

    def __post_init__(self) -> None:
        if not 0 < self.entry_radius_km <= self.exit_radius_km:
            raise ValueError("0 < entry_radius_km ≤ exit_radius_km required (exit is the outer ring)")
        if not 0 <= self.stopped_begin_kn <= self.stopped_end_kn:
            raise ValueError("0 ≤ stopped_begin_kn ≤ stopped_end_kn required")


def speed_kn(positions: pl.DataFrame | Tracks, _s: object = None) -> np.ndarray:
    """The speed the detectors use (see :attr:`darkfleet.events.base.Tracks.sog_kn`)."""
    return tracks_of(positions).sog_kn


@dataclass(frozen=True, eq=False)
class _Machine:
    """The machine's result (:func:`darkfleet.events.kernels.port_machine`): per row within reach
    of a place (``rows``, ascending; beyond the exit ring where ``dist_km`` exceeds it) its place,
    distance and state, and per stretch of consecutive in-port rows of one call its first and
    last row and what the visit needs."""

    rows: np.ndarray
    place_idx: np.ndarray
    dist_km: np.ndarray
    state: np.ndarray  # State per near row
    first: np.ndarray
    last: np.ndarray
    place: np.ndarray  # place index at the stretch's first row
    stopped_s: np.ndarray  # seconds between consecutive stopped rows
    stopped_positions: np.ndarray
    min_dist_km: np.ndarray


def _machine(tr: Tracks, params: PortVisitParams, places: pl.DataFrame) -> _Machine:
    rows, pidx, dist_m = near_place_rows(places, tr.lon, tr.lat, params.exit_radius_km * 1000)
    extra_m = places["radius_m"].fill_null(0.0).to_numpy()[pidx] if places.height else np.zeros(len(rows))
    d_km = (dist_m - extra_m) / 1000
    state, *stretches = kernels.port_machine(
        rows, pidx, d_km, tr.same, tr.dt_s, tr.sog_kn, params.entry_radius_km, params.exit_radius_km,
        params.stopped_begin_kn, params.stopped_end_kn, params.max_silence_h * 3600)
    return _Machine(rows, pidx, d_km, state, *stretches)


def port_states(positions: pl.DataFrame | Tracks, params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    """The positions (sorted) with ``state`` (a :class:`State`), ``place_idx`` and ``place_distance_km``
    (+inf beyond the exit radius of every place)."""
    tr = tracks_of(positions)
    m = _machine(tr, params, places)
    near = m.dist_km <= params.exit_radius_km  # beyond the exit ring: OUTSIDE, no place
    rows = m.rows[near]
    state = np.zeros(tr.n, np.int8)
    state[rows] = m.state[near]
    place = np.full(tr.n, -1, np.int64)
    place[rows] = m.place_idx[near]
    dist = np.full(tr.n, np.inf)
    dist[rows] = m.dist_km[near]
    return tr.df.with_columns(state=pl.Series(state), place_idx=pl.Series(place), place_distance_km=pl.Series(dist))


def detect_port_visits(positions: pl.DataFrame | Tracks, params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    return port_visits_and_since(positions, params, places)[0]


def port_visits_and_since(positions: pl.DataFrame | Tracks, params: PortVisitParams,
                          places: pl.DataFrame) -> tuple[pl.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """The visits, and per track (vessel, time in µs) the time a later batch must replay from."""
    tr = tracks_of(positions)
    if tr.n == 0 or places.height == 0:
        last = tr.last_rows()
        return empty_events(), (tr.vessel[last], tr.t_us[last])
    m = _machine(tr, params, places)
    # a stretch's rows are consecutive rows of the table: its count and mean position are over them too
    keep = m.last - m.first + 1 >= params.min_positions
    if params.require_stop:
        keep &= m.stopped_positions > 0
    visits = run_table(tr, m.first[keep], m.last[keep], {
        "place_idx": m.place[keep], "stopped_h": m.stopped_s[keep] / 3600,
        "stopped_positions": m.stopped_positions[keep], "min_distance_km": m.min_dist_km[keep]})
    pidx = visits["place_idx"].cast(pl.UInt32)
    visits = visits.with_columns(place_id=places["place_id"].cast(pl.String).gather(pidx),
                                 place_name=places["name"].cast(pl.String).gather(pidx))
    attrs = ["place_name", "duration_h", "stopped_h", "positions", "min_distance_km"]
    return finish(visits, "port_visit", DETECTOR, params, attrs), _since(tr, m.first, m.last)


def _since(tr: Tracks, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per track: the time of the first row of the inside stretch holding the track's last row,
    else of its last row. ``first``/``last``: the first and last rows of every stretch of
    consecutive inside rows of one call (a stretch never spans two calls, so the one ending at a
    track's last row lies in its last call)."""
    return open_run_since(tr, first, last)


def port_visits_open_since(positions: pl.DataFrame | Tracks, params: PortVisitParams,
                           places: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return port_visits_and_since(positions, params, places)[1]
