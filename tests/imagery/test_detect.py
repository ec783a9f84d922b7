import numpy as np
import pytest

from darkfleet.imagery.sar.detect import ClusterParams, DetectorParams, cluster_pixels, detect
from darkfleet.imagery.sar.geocode import GridGeocoder
from darkfleet.imagery.sar.image import SarImage, masked
from darkfleet.imagery.sar.synthetic import (
    ClutterParams,
    PlantedVessel,
    clutter,
    plant_vessels,
    random_vessels,
)


def _scene(vessels, shape=(600, 600), row_m=10.0, col_m=10.0, seed=0):
    x = clutter(shape, ClutterParams(), seed=seed)
    plant_vessels(x, vessels, row_m, col_m, ClutterParams().mean_sigma0, seed=seed + 1)
    return x


def test_single_vessel_position_size_and_axis():
    v = PlantedVessel(row=300, col=280, length_m=200, width_m=30, heading_deg=30, snr_db=15)
    d = detect(SarImage(_scene([v]), 10.0, 10.0))
    assert d.height == 1
    row = d.row(0, named=True)
    assert abs(row["row"] - 300) < 2 and abs(row["col"] - 280) < 2
    assert row["length_m"] == pytest.approx(200, rel=0.15)
    assert row["width_m"] < 80
    assert abs((row["axis_angle_deg"] - 30 + 90) % 180 - 90) < 5
    assert row["lon"] is None and row["heading_deg"] is None  # no georeference, no heading
    assert 0.5 < row["score"] <= 1


def test_non_square_pixels_measure_in_metres():
    # SLC-like 13.9 m × 3.8 m pixels: a 150 m ship along range spans ~40 columns
    v = PlantedVessel(row=150, col=700, length_m=150, width_m=20, heading_deg=90, snr_db=18)
    x = _scene([v], shape=(300, 1400), row_m=13.9, col_m=3.8)
    d = detect(SarImage(x, 13.9, 3.8))
    row = d.sort("peak_sigma0", descending=True).row(0, named=True)
    assert row["length_m"] == pytest.approx(150, rel=0.15)
    assert abs((row["axis_angle_deg"] - 90 + 90) % 180 - 90) < 5


def test_heading_uses_the_georeference():
    # descending-like geometry: +row bears ~190°, +col ~280° (flipped east-west)
    lat = np.array([[40.0, 40.0], [39.5, 39.5]])
    lon = np.array([[120.0, 119.4], [119.9, 119.3]])
    geo = GridGeocoder(np.array([0.0, 5000.0]), np.array([0.0, 5000.0]), lon, lat)
    v = PlantedVessel(row=300, col=300, length_m=180, width_m=28, heading_deg=0, snr_db=15)
    d = detect(SarImage(_scene([v]), 10.0, 10.0, geocoder=geo))
    row = d.row(0, named=True)
    # along +row: bearing of +row direction mod 180
    expected = np.degrees(np.arctan2(-0.1 * np.cos(np.radians(40)), -0.5)) % 180
    assert abs((row["heading_deg"] - expected + 90) % 180 - 90) < 4
    assert 119 < row["lon"] < 120.1 and 39.4 < row["lat"] < 40.1


def test_masked_pixels_are_neither_background_nor_targets():
    v = PlantedVessel(row=300, col=300, length_m=150, width_m=25, heading_deg=45, snr_db=15)
    x = _scene([v])
    land = np.zeros(x.shape, bool)
    land[:, :200] = True
    x[:, :200] = 5.0  # bright land
    d = detect(masked(SarImage(x, 10.0, 10.0), land))
    assert d.height == 1 and d["col"][0] > 200


def test_speckle_and_fragment_rules():
    rows = np.array([0, 0, 5, 40])
    cols = np.array([0, 1, 3, 40])
    labels = cluster_pixels(rows, cols, 10.0, 10.0, merge_distance_m=60.0)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    x = clutter((300, 300), ClutterParams(0.02, 4.4, None), seed=9)
    x[150, 150] = 10.0  # one very bright pixel: speckle/glint, not a vessel
    assert detect(SarImage(x, 10.0, 10.0)).height == 0
    one_px = DetectorParams(cluster=ClusterParams(min_pixels=1, min_area_m2=0))
    assert detect(SarImage(x, 10.0, 10.0), one_px).height >= 1


def test_generated_scene_recall_and_no_false_alarms():
    shape = (2000, 2000)
    vessels = [v for v in random_vessels(40, shape, seed=11) if v.snr_db >= 10]
    d = detect(SarImage(_scene(vessels, shape, seed=12), 10.0, 10.0))
    truth = np.array([[v.row, v.col] for v in vessels])
    found = np.column_stack([d["row"].to_numpy(), d["col"].to_numpy()])
    dist = np.hypot(*(truth[:, None] - found[None]).transpose(2, 0, 1))
    assert (dist.min(axis=1) < 10).mean() >= 0.95
    assert (dist.min(axis=0) < 10).all()  # every detection is on a vessel


def test_results_do_not_depend_on_threads():
    vessels = random_vessels(10, (800, 800), seed=2)
    img = SarImage(_scene(vessels, (800, 800)), 10.0, 10.0)
    a = detect(img, DetectorParams(workers=1))
    b = detect(img, DetectorParams(workers=2))
    assert a.equals(b)
