"""The port-visit machine and the run helpers agree with a plain sequential reference."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfleet.events.base import open_since, run_ids
from darkfleet.events.port_visits import PortVisitParams, State, detect_port_visits, port_states
from tests.events.factories import make_track, north_of, places


def machine_reference(dist_km: list[float], sog: list[float], p: PortVisitParams) -> list[int]:
    state, out = State.OUTSIDE, []
    for d, v in zip(dist_km, sog, strict=True):
        if d > p.exit_radius_km:
            state = State.OUTSIDE
        elif state == State.OUTSIDE and d <= p.entry_radius_km:
            state = State.IN_PORT
        if state == State.IN_PORT and v <= p.stopped_begin_kn:
            state = State.STOPPED
        elif state == State.STOPPED and v >= p.stopped_end_kn:
            state = State.IN_PORT
        out.append(int(state))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.5, 2.0, 2.9, 3.3, 3.7, 4.4, 8.0]),
                          st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.8, 9.0])), min_size=1, max_size=40))
def test_port_machine_matches_sequential(steps: list[tuple[float, float]]) -> None:
    p = PortVisitParams()
    dist, sog = (list(x) for x in zip(*steps, strict=True))
    track = make_track(1, np.arange(len(steps)) * 10.0, 130.0, [north_of(42.0, d) for d in dist], sog)
    got = port_states(track, p, places(("p", 130.0, 42.0)))["state"].to_list()
    assert got == machine_reference(dist, sog, p)


def visits_reference(state: list[int], minutes: list[float], p: PortVisitParams) -> list[tuple[int, int, int, float]]:
    """Visits from the per-row states: runs of rows in port, with their first and last row, stopped
    rows and hours between consecutive stopped rows; too short or never stopped ones dropped."""
    out, k = [], 0
    while k < len(state):
        if state[k] == State.OUTSIDE:
            k += 1
            continue
        j = k
        while j + 1 < len(state) and state[j + 1] != State.OUTSIDE:
            j += 1
        stopped = [i for i in range(k, j + 1) if state[i] == State.STOPPED]
        hours = sum((minutes[i] - minutes[i - 1]) / 60 for i in stopped if i > k and state[i - 1] == State.STOPPED)
        if j - k + 1 >= p.min_positions and (stopped or not p.require_stop):
            out.append((k, j, len(stopped), hours))
        k = j + 1
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.5, 2.0, 2.9, 3.3, 3.7, 4.4, 8.0]),
                          st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.8, 9.0]),
                          st.sampled_from([1.0, 10.0, 45.0])), min_size=1, max_size=40))
def test_port_visits_match_the_states(steps: list[tuple[float, float, float]]) -> None:
    """The visits the compiled pass sums up are the runs of in-port rows of the per-row states."""
    p = PortVisitParams()
    dist, sog, gaps = (list(x) for x in zip(*steps, strict=True))
    minutes = np.cumsum(gaps).tolist()
    track = make_track(1, minutes, 130.0, [north_of(42.0, d) for d in dist], sog)
    port = places(("p", 130.0, 42.0))
    state = port_states(track, p, port)["state"].to_list()
    visits = detect_port_visits(track, p, port).sort("start")
    t = track["ts"].to_list()
    got = [(t.index(v["start"]), t.index(v["end"]), json.loads(v["attributes"])) for v in visits.iter_rows(named=True)]
    want = visits_reference(state, minutes, p)
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _, _ in want]
    for (_, _, attrs), (a, b, _, hours) in zip(got, want, strict=True):
        assert attrs["positions"] == b - a + 1
        assert attrs["stopped_h"] == pytest.approx(hours)


def test_open_since_is_start_of_trailing_run() -> None:
    key = np.array([1, 1, 1, 1, 2, 2])
    t = np.array([0.0, 10, 20, 30, 0, 10])
    active = np.array([False, True, True, True, True, False])
    since = dict(open_since(key, t, active).iter_rows())
    assert since == {1: 10.0, 2: 10.0}
    assert run_ids(key, active).tolist() == [0, 1, 1, 1, 2, 3]
