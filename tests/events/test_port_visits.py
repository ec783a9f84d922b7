"""The port-visit state machine: every transition, table-driven, plus whole visits."""

import dataclasses

import numpy as np
import polars as pl
import pytest

from darkfleet.events.port_visits import PortVisitParams, State, detect_port_visits, port_states
from tests.events.factories import make_track, north_of, places

PORT = places(("p", 130.0, 42.0))
OUT, IN, ST = State.OUTSIDE, State.IN_PORT, State.STOPPED

# (name, distances from the port in km, speeds in knots, expected states)
TRANSITIONS = [
    ("stays outside", [10, 5, 3.5], [10, 10, 0.0], [OUT, OUT, OUT]),
    ("enters within 3 km", [5, 2.95, 2.5], [10, 8, 8], [OUT, IN, IN]),
    ("ring 3-4 km is not entry", [5, 3.5, 3.9], [10, 8, 8], [OUT, OUT, OUT]),
    ("ring 3-4 km keeps inside (hysteresis)", [2, 3.5, 3.9], [8, 8, 8], [IN, IN, IN]),
    ("exits beyond 4 km", [2, 3.9, 4.1], [8, 8, 8], [IN, IN, OUT]),
    ("stops at 0.2 kn", [1, 1, 1], [5, 0.2, 0.1], [IN, ST, ST]),
    ("0.3 kn does not begin a stop", [1, 1, 1], [5, 0.3, 0.3], [IN, IN, IN]),
    ("0.4 kn keeps a stop (hysteresis)", [1, 1, 1], [0.1, 0.4, 0.45], [ST, ST, ST]),
    ("0.5 kn ends a stop", [1, 1, 1], [0.1, 0.5, 0.1], [ST, IN, ST]),
    ("leaving while stopped goes outside", [1, 4.5, 1], [0.1, 0.1, 0.1], [ST, OUT, ST]),
    ("stopped outside is not in port", [6, 6, 6], [0.0, 0.0, 0.0], [OUT, OUT, OUT]),
]


@pytest.mark.parametrize(("name", "dist_km", "sog", "expected"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_transition(name: str, dist_km: list[float], sog: list[float], expected: list[State]) -> None:
    track = make_track(1, [0, 10, 20], 130.0, [north_of(42.0, d) for d in dist_km], sog)
    assert port_states(track, PortVisitParams(), PORT)["state"].to_list() == [int(s) for s in expected]


def test_states_restart_per_vessel() -> None:
    a = make_track(1, [0, 10], 130.0, [north_of(42.0, 1), north_of(42.0, 3.5)], [0.1, 0.1])
    b = make_track(2, [0, 10], 130.0, [north_of(42.0, 3.5), north_of(42.0, 3.5)], [0.1, 0.1])
    states = port_states(pl.concat([a, b]), PortVisitParams(), PORT)["state"].to_list()
    assert states == [ST, ST, OUT, OUT]  # vessel 2 starts in the ring: outside, not carried over from vessel 1


def _call(mmsi: int = 7, dwell_min: int = 300) -> pl.DataFrame:
    approach = np.linspace(10, 0.2, 20)
    dist = np.r_[approach, np.full(dwell_min // 10, 0.2), approach[::-1]]
    sog = np.r_[np.full(20, 10.0), np.full(dwell_min // 10, 0.05), np.full(20, 10.0)]
    return make_track(mmsi, np.arange(len(dist)) * 10.0, 130.0, [north_of(42.0, d) for d in dist], sog)


def test_visit_fields() -> None:
    ev = detect_port_visits(_call(), PortVisitParams(), PORT)
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["place_id"] == "p" and row["kind"] == "port_visit"
    attrs = pl.Series([row["attributes"]]).str.json_decode().item()
    assert attrs["place_name"] == "P"
    assert attrs["stopped_h"] == pytest.approx(300 / 60 - 1 / 6, abs=0.2)
    assert attrs["duration_h"] > attrs["stopped_h"]
    assert len(row["source_rows"]) == 2
    assert '"entry_radius_km": 3.0' in row["params"]


def test_passing_by_without_stopping_is_no_visit_unless_asked() -> None:
    dist = np.r_[np.linspace(10, 1, 10), np.linspace(1, 10, 10)]
    track = make_track(3, np.arange(20) * 5.0, 130.0, [north_of(42.0, d) for d in dist], 9.0)
    assert detect_port_visits(track, PortVisitParams(), PORT).height == 0
    loose = dataclasses.replace(PortVisitParams(), require_stop=False)
    assert detect_port_visits(track, loose, PORT).height == 1


def test_params_validated() -> None:
    with pytest.raises(ValueError, match="exit is the outer ring"):
        PortVisitParams(entry_radius_km=5, exit_radius_km=4)


def test_ids_are_deterministic() -> None:
    a = detect_port_visits(_call(), PortVisitParams(), PORT)["id"].to_list()
    b = detect_port_visits(_call(), PortVisitParams(), PORT)["id"].to_list()
    assert a == b and len(a[0]) == 16
