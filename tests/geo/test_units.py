import math

import numpy as np
import pytest

from darkfleet.geo.units import (
    M_PER_DEG_LAT,
    M_PER_NM,
    chord_to_m,
    haversine_m,
    knots_to_m_per_s,
    m_per_s_to_knots,
    m_to_chord,
)


def test_nautical_mile_and_degree() -> None:
    assert M_PER_NM == 1852.0
    assert pytest.approx(111_195, rel=1e-4) == M_PER_DEG_LAT  # about 111.2 km
    # one minute of latitude is about one nautical mile
    assert haversine_m(0, 0, 0, 1 / 60) == pytest.approx(M_PER_NM, rel=0.005)


def test_knots() -> None:
    assert knots_to_m_per_s(1.0) == pytest.approx(1852 / 3600)
    assert m_per_s_to_knots(knots_to_m_per_s(12.5)) == pytest.approx(12.5)


def test_haversine_known_distance() -> None:
    # Najin (130.30 E, 42.233 N) to Vladivostok (131.883 E, 43.117 N): about 160 km
    d = haversine_m(130.30, 42.233, 131.883, 43.117)
    assert 150_000 < d < 170_000
    # a degree of longitude shrinks with cos(latitude)
    assert haversine_m(0, 60, 1, 60) == pytest.approx(M_PER_DEG_LAT * math.cos(math.radians(60)), rel=1e-3)


def test_chord_round_trip() -> None:
    for d in (1.0, 500.0, 10_000.0, 1_000_000.0):
        assert chord_to_m(m_to_chord(d)) == pytest.approx(d, rel=1e-9)
    assert np.all(haversine_m([0, 10], [0, 0], [0, 10], [0, 0]) == 0)
