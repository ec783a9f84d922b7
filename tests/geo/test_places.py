import json
from pathlib import Path

import numpy as np
import pytest

from darkfleet.geo.gazetteer import gazetteer
from darkfleet.geo.places import geojson_places, nearest_place, searoute_ports, within, wpi_ports


def test_searoute_ports() -> None:
    ports = searoute_ports()
    assert ports.height == 3924  # 3,962 features in searoute 1.6, 38 codes listed twice
    najin = ports.filter(ports["place_id"] == "searoute:KPNJN").row(0, named=True)
    assert najin["name"] == "Najin" and najin["lat"] == pytest.approx(42.233, abs=0.01)
    assert ports["place_id"].n_unique() == ports.height


def test_wpi_ports(shared_data: Path) -> None:
    ports = wpi_ports(shared_data / "geo" / "wpi_ports.csv")
    assert ports.height > 3000
    najin = ports.filter(ports["name"] == "NAJIN").row(0, named=True)
    assert (najin["lon"], najin["lat"]) == pytest.approx((130.3, 42.2333), abs=0.01)


def test_wpi_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "ports.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="ports.csv.*lacks"):
        wpi_ports(bad)


def test_geojson_points_and_polygons(tmp_path: Path) -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Dunai", "kind": "port", "radius_m": 1500},
         "geometry": {"type": "Point", "coordinates": [132.35, 42.89]}},
        {"type": "Feature", "properties": {"name": "Depot", "kind": "depot"},
         "geometry": {"type": "Polygon", "coordinates": [[[40.0, 45.8], [40.02, 45.8], [40.02, 45.82],
                                                          [40.0, 45.82], [40.0, 45.8]]]}},
    ]}
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(doc))
    sites = geojson_places(path)
    assert sites["kind"].to_list() == ["port", "depot"]
    assert sites["radius_m"][0] == 1500
    assert 1000 < sites["radius_m"][1] < 1600  # half-diagonal of a ~1.6 x 2.2 km box
    g = gazetteer(searoute=True, user=[path], bbox=(129, 41, 134, 44))
    assert "user:Dunai" in g["place_id"].to_list() and "searoute:KPNJN" in g["place_id"].to_list()


def test_geojson_unnamed_feature(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {},
                                "geometry": {"type": "Point", "coordinates": [0, 0]}}))
    with pytest.raises(ValueError, match="feature 0 has no 'name'"):
        geojson_places(path)


def test_nearest_and_within() -> None:
    ports = searoute_ports()
    idx, d = nearest_place(ports, [130.301, 0.0], [42.233, 0.0])
    assert ports["place_id"][int(idx[0])] == "searoute:KPNJN" and d[0] < 200
    pi, pj = within(ports, [130.301], [42.233], 5000)
    assert "searoute:KPNJN" in ports["place_id"].gather(pj).to_list() and np.all(pi == 0)


def test_near_places_agrees_with_nearest_within_reach() -> None:
    from darkfleet.geo.places import near_places

    ports = searoute_ports()
    rng = np.random.default_rng(0)
    i = rng.integers(0, ports.height, 3000)
    lon = ports["lon"].to_numpy()[i] + rng.normal(0, 0.05, 3000)
    lat = np.clip(ports["lat"].to_numpy()[i] + rng.normal(0, 0.05, 3000), -89, 89)
    idx, d = nearest_place(ports, lon, lat)
    jdx, e = near_places(ports, lon, lat, 4000.0)
    close = d <= 4000
    assert close.any() and (~close).any()
    assert np.allclose(e[close], d[close])
    # the same place, or another at the very same position (searoute lists Seville as ESSEV and ESSVQ)
    other = close & (jdx != idx)
    assert other.sum() <= 2
    assert np.array_equal(ports["lon"].to_numpy()[jdx[other]], ports["lon"].to_numpy()[idx[other]])
    assert np.array_equal(ports["lat"].to_numpy()[jdx[other]], ports["lat"].to_numpy()[idx[other]])
    assert np.all((jdx[~close] == -1) | (e[~close] == d[~close]))  # screened out, or exact when not
