"""Land and analyst masks: grid evaluation, buffer, and the real global land mask."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from darkfleet.imagery.sar.geocode import GridGeocoder
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.landmask import (
    MaskParams,
    apply_masks,
    mask_grid,
    polygons_from_geojson,
)

# a north-up 10 m grid from (30°E, 40°N): 1e-4° of latitude is 11.1 m, of longitude 8.5 m
GEO = GridGeocoder(
    np.array([0.0, 1000.0]),
    np.array([0.0, 1000.0]),
    np.array([[30.0, 30.1], [30.0, 30.1]]),
    np.array([[40.0, 40.0], [39.9, 39.9]]),
)


def east_of(lon0):
    return lambda lon, lat: lon > lon0


def test_buffer_grows_the_mask_in_metres():
    shape = (200, 1000)
    edge = 30.05  # land east of col ~500
    plain = mask_grid(shape, 10, 10, GEO, east_of(edge), MaskParams(buffer_m=0, grid_spacing_m=50))
    grown = mask_grid(shape, 10, 10, GEO, east_of(edge), MaskParams(buffer_m=1000, grid_spacing_m=50))
    first = lambda m: int(np.argmax(m[100]))  # noqa: E731
    assert abs(first(plain) - 500) <= 5
    # 1 km at 8.5 m per pixel (cos 40° shrinks a degree of longitude) ≈ 118 px
    assert abs((first(plain) - first(grown)) * 10 - 1000) <= 60


def test_analyst_polygon_masks_pixels():
    poly = {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.box(30.01, 39.99, 30.02, 39.995))}
    img = SarImage(np.ones((1000, 1000), np.float32), 10, 10, geocoder=GEO)
    out = apply_masks(img, MaskParams(), analyst=polygons_from_geojson(poly))
    masked_fraction = np.isnan(out.sigma0).mean()
    assert masked_fraction == pytest.approx(0.01 * 0.005 / (0.1 * 0.1), rel=0.2)
    with pytest.raises(ValueError, match="Polygon"):
        polygons_from_geojson({"type": "Point", "coordinates": [0, 0]})


def test_global_land_mask_is_coarse(opensarship_dir):
    """The ~1 km mask against real ship positions: ships at berth read as land."""
    from darkfleet.imagery.sar.landmask import global_land
    from darkfleet.imagery.sar.opensarship import read_ships_table

    assert global_land(np.array([4.0]), np.array([52.0]))[0] == np.False_  # North Sea
    assert global_land(np.array([5.0]), np.array([52.0]))[0]  # Utrecht
    ships = read_ships_table(opensarship_dir / "ships.csv")
    on_land = global_land(ships["AIS_Longitude"].to_numpy(), ships["AIS_Latitude"].to_numpy())
    print(f"{on_land.sum()} of {len(on_land)} OpenSARShip AIS positions read as land")
    assert on_land.mean() < 0.2
