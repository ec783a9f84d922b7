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

Each guard is a latch per vessel (:func:`darkfleet.events.base.hysteresis`), so the machine runs
as two forward fills over the whole table instead of a loop over rows. A visit is a run of
IN_PORT/STOPPED rows; with ``require_stop`` (default, GFW's higher-confidence visits) only visits
with a stop count. A place with its own ``radius_m`` (user polygons) widens both radii by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import polars as pl

from darkfleet.events.base import hysteresis, open_since, prepare, run_ids, run_table, step_arrays
from darkfleet.events.schema import empty_events, finish
from darkfleet.geo.places import near_places

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


def speed_kn(df: pl.DataFrame, s: dict[str, np.ndarray]) -> np.ndarray:
    """Reported SOG where present; where it is missing, the vessel's previous reported SOG if at
    most 30 min old, else the speed implied by the previous fix (noisy over short steps: 20 m of
    GPS scatter in a minute reads as 0.6 kn, so it is only the last resort).

    SOG is stored as float32 (0.2 reads back as 0.2000000030): rounded to 0.001 kn here so that
    thresholds compare as written (AIS reports SOG in 0.1 kn steps)."""
    sog = np.round(df["sog_kn"].cast(pl.Float64).fill_null(np.nan).to_numpy(), 3)
    missing = np.isnan(sog)
    if not missing.any():  # no implied speeds needed: skip the great-circle work
        return sog
    n = len(sog)
    last = np.where(~missing | ~s["same"], np.arange(n), 0)
    np.maximum.accumulate(last, out=last)  # the latest row with a SOG (or the track's first row)
    recent = ~missing[last] & (s["t_s"] - s["t_s"][last] <= 1800)
    implied = np.nan_to_num(s["speed_kn"], nan=0.0, posinf=1e3)
    return np.where(missing, np.where(recent, sog[last], implied), sog)


def port_states(positions: pl.DataFrame, params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    """The positions (sorted) with ``state`` (a :class:`State`), ``place_idx`` and ``place_distance_km``
    (+inf beyond the exit radius of every place)."""
    df = prepare(positions)
    return _states(df, step_arrays(df), params, places)


def _states(df: pl.DataFrame, s: dict[str, np.ndarray], params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    idx, dist_m = near_places(places, s["lon"], s["lat"], params.exit_radius_km * 1000)
    extra_m = np.where(idx >= 0, places["radius_m"].fill_null(0.0).to_numpy()[np.maximum(idx, 0)], 0.0) \
        if places.height else 0.0
    d_km = (dist_m - extra_m) / 1000
    key = _call_key(s, params)
    in_port = hysteresis(key, d_km <= params.entry_radius_km, d_km > params.exit_radius_km)
    sog = speed_kn(df, s)
    stopped = hysteresis(key, in_port & (sog <= params.stopped_begin_kn),
                         ~in_port | (sog >= params.stopped_end_kn))
    state = np.where(stopped, State.STOPPED, np.where(in_port, State.IN_PORT, State.OUTSIDE)).astype(np.int8)
    return df.with_columns(state=pl.Series(state), place_idx=pl.Series(idx), place_distance_km=pl.Series(d_km))


def _call_key(s: dict[str, np.ndarray], params: PortVisitParams) -> np.ndarray:
    """Track key that also changes after a silence of ``max_silence_h``: the machine restarts there."""
    brk = ~s["same"] | (np.nan_to_num(s["dt_s"]) > params.max_silence_h * 3600)
    return np.cumsum(brk)


def detect_port_visits(positions: pl.DataFrame, params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    return port_visits_and_since(positions, params, places)[0]


def port_visits_and_since(positions: pl.DataFrame, params: PortVisitParams,
                          places: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The visits, and per vessel the time a later batch must replay from (one pass of the machine)."""
    if positions.height == 0 or places.height == 0:
        return empty_events(), pl.DataFrame(schema={"mmsi": pl.Int64, "since_s": pl.Float64})
    df = prepare(positions)
    s = step_arrays(df)
    df = _states(df, s, params, places)
    state = df["state"].to_numpy()
    inside = state != State.OUTSIDE
    key = _call_key(s, params)
    since = open_since(key, s["t_s"], inside, s["vessel"])
    runs = run_ids(key, inside)
    stopped_dt = np.where(np.r_[False, (state[1:] == State.STOPPED) & (state[:-1] == State.STOPPED)],
                          np.nan_to_num(s["dt_s"]), 0.0)
    df = df.with_columns(_stopped_dt=pl.Series(stopped_dt))
    visits = run_table(df, runs, inside, s, {
        "place_idx": pl.col("place_idx").first(),
        "stopped_h": pl.col("_stopped_dt").sum() / 3600,
        "stopped_positions": (pl.col("state") == State.STOPPED).sum(),
        "min_distance_km": pl.col("place_distance_km").min(),
    })
    if params.require_stop:
        visits = visits.filter(pl.col("stopped_positions") > 0)
    visits = visits.filter(pl.col("positions") >= params.min_positions)
    ids = places["place_id"].to_numpy()
    names = places["name"].to_numpy()
    pidx = visits["place_idx"].to_numpy()
    visits = visits.with_columns(place_id=pl.Series(ids[pidx], dtype=pl.String),
                                 place_name=pl.Series(names[pidx], dtype=pl.String))
    attrs = ["place_name", "duration_h", "stopped_h", "positions", "min_distance_km"]
    return finish(visits, "port_visit", DETECTOR, params, attrs), since


def port_visits_open_since(positions: pl.DataFrame, params: PortVisitParams, places: pl.DataFrame) -> pl.DataFrame:
    return port_visits_and_since(positions, params, places)[1]
