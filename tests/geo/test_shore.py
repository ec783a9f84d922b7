import numpy as np
import pytest

from darkfleet.geo.shore import ShoreDistance, synthetic_mask
from darkfleet.geo.units import M_PER_DEG_LAT


def _half_land() -> object:
    # 0.01° cells over 1° x 1° at the equator; land where lon ≥ 0.5
    land = np.zeros((100, 100), bool)
    land[:, 50:] = True
    return synthetic_mask(land, 0.0, 0.0, 0.01)


def test_is_land_with_coastal_tolerance() -> None:
    m = _half_land()
    km = M_PER_DEG_LAT / 1000 * 0.01  # one cell, about 1.1 km
    lons = np.array([0.45, 0.505, 0.525, 0.6])  # sea; 1, 3 and 10 cells inland (cell-centre distances)
    assert m.land_at(lons, np.full(4, 0.5)).tolist() == [False, True, True, True]
    # with 2 km of tolerance the first land cell (1.1 km from the sea) still counts as sea
    assert m.is_land(lons, np.full(4, 0.5), 2000).tolist() == [False, False, True, True]
    assert m.is_land(lons, np.full(4, 0.5), 5000).tolist() == [False, False, False, True]
    assert m.is_land([0.6], [0.5], 0).tolist() == [True]
    assert km == pytest.approx(1.112, abs=0.01)


def test_distance_to_shore() -> None:
    m = _half_land()
    s = ShoreDistance.from_mask(m)
    d = s.distance_km([0.095, 0.295, 0.6, 5.0], [0.5, 0.5, 0.5, 5.0])
    assert d[0] == pytest.approx(0.405 * 111.2, rel=0.03)  # 0.405° west of the coast
    assert d[1] == pytest.approx(0.205 * 111.2, rel=0.06)
    assert d[2] == 0.0 and np.isinf(d[3])  # on land; outside the window
