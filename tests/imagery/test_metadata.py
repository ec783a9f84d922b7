from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from darkfleet.imagery.sar.geocode import (
    CornerGeocoder,
    GridGeocoder,
    axis_bearings_deg,
    image_angle_to_bearing_deg,
    local_metres,
)
from darkfleet.imagery.sar.metadata import (
    MetadataError,
    parse_snap_metadata,
    parse_snap_time,
    to_stac_item,
)
from darkfleet.imagery.sar.opensarship import (
    iter_scene_zips,
    list_chips,
    read_scene_metadata,
    read_ships_table,
)


def test_snap_time_is_aware_utc():
    assert parse_snap_time("23-AUG-2015 22:12:33.004933") == datetime(
        2015, 8, 23, 22, 12, 33, 4933, tzinfo=UTC
    )
    with pytest.raises(MetadataError, match="DD-MON-YYYY"):
        parse_snap_time("2015-08-23T22:12:33")


def test_missing_attribute_is_named():
    xml = (
        "<Metadata><Abstracted_Metadata><attrib name='PRODUCT' value='x'/>"
        "</Abstracted_Metadata></Metadata>"
    )
    with pytest.raises(MetadataError, match="num_output_lines"):
        parse_snap_metadata(xml, source="t.xml")


def test_local_metres_degree_of_latitude():
    east, north = local_metres(np.array([0.0]), np.array([1.0]), 0.0, 0.0)
    assert north[0] == pytest.approx(111_195, rel=1e-3)  # a degree of latitude ≈ 111.2 km
    east, _ = local_metres(np.array([1.0]), np.array([60.0]), 0.0, 60.0)
    assert east[0] == pytest.approx(111_195 * 0.5, rel=1e-3)  # cos 60° = 0.5


def test_axis_bearings_of_a_north_up_grid():
    # rows go south, cols go east: +row bears 180°, +col 90°; a vector along +col bears 90°.
    g = GridGeocoder(
        np.array([0.0, 100.0]),
        np.array([0.0, 100.0]),
        np.array([[10.0, 10.1], [10.0, 10.1]]),
        np.array([[50.0, 50.0], [49.9, 49.9]]),
    )
    rb, cb = axis_bearings_deg(g, [50.0], [50.0])
    assert rb[0] == pytest.approx(180.0, abs=0.1) and cb[0] == pytest.approx(90.0, abs=0.1)
    assert image_angle_to_bearing_deg(np.array([-1.0]), np.array([1.0]), rb, cb)[
        0
    ] == pytest.approx(45.0, abs=0.5)


def test_corner_geocoder_corners():
    g = CornerGeocoder(11, 21, (0.0, 1.0), (2.0, 1.0), (0.0, 0.0), (2.0, 0.0))
    lon, lat = g.lonlat([0, 10, 5], [0, 20, 10])
    np.testing.assert_allclose(lon, [0.0, 2.0, 1.0])
    np.testing.assert_allclose(lat, [1.0, 0.0, 0.5])


def test_real_scene_metadata_and_stac(opensarship_dir):
    zips = list(iter_scene_zips(opensarship_dir))
    assert len(zips) == 6
    grd = read_scene_metadata(next(z for z in zips if "GRDH" in z.name and "20160518" in z.name))
    assert grd.product_type == "GRD" and grd.polarizations == ("VH", "VV")
    assert grd.ground_spacing_m() == (10.0, 10.0)
    item = to_stac_item(grd)
    assert item["stac_version"] == "1.0.0" and item["geometry"]["type"] == "Polygon"
    assert item["properties"]["sar:polarizations"] == ["VH", "VV"]
    assert item["properties"]["datetime"].startswith("2016-05-18T08:41:")
    slc = read_scene_metadata(next(z for z in zips if "SLC__1SSV" in z.name))
    assert slc.polarizations == ("VV",) and not slc.ground_range
    # slant range 2.33 m at 38° incidence is 2.33 / sin 38° = 3.78 m on the ground
    assert slc.ground_spacing_m(38.0)[1] == pytest.approx(3.784, abs=0.01)


def test_grd_tie_point_geocoding_matches_dataset_positions(opensarship_dir):
    ships = read_ships_table(opensarship_dir / "ships.csv")
    errors = []
    for z in iter_scene_zips(opensarship_dir):
        meta = read_scene_metadata(z)
        if meta.product_type != "GRD":
            continue
        keys = pl.DataFrame(
            {
                "SAR_Center_x": [c.centre_col for c in list_chips(z)],
                "SAR_Center_y": [c.centre_row for c in list_chips(z)],
            }
        )
        sub = ships.join(keys, on=["SAR_Center_x", "SAR_Center_y"]).filter(
            pl.col("sar_ts").dt.date() == meta.first_line_time.date()
        )
        lon, lat = meta.geocoder().lonlat(
            sub["SAR_Center_y"].to_numpy(), sub["SAR_Center_x"].to_numpy()
        )
        errors.extend(
            np.hypot(
                (lon - sub["SAR_Center_longitude"].to_numpy()) * 111_195 * np.cos(np.radians(lat)),
                (lat - sub["SAR_Center_latitude"].to_numpy()) * 111_195,
            )
        )
    assert len(errors) == 90
    assert max(errors) < 50.0  # measured: median ~8 m, max 15 m
