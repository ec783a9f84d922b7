import json
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from typer.testing import CliRunner

from darkfleet.imagery.cli import sar_app
from darkfleet.imagery.sar.opensarship import (
    iter_scene_zips,
    list_chips,
    read_chip,
    read_scene_metadata,
)
from darkfleet.imagery.sar.readers import ReaderError, read_geotiff
from darkfleet.imagery.sar.synthetic import ClutterParams, PlantedVessel, clutter, plant_vessels


def _write_scene(path, gcps=True):
    x = clutter((400, 400), ClutterParams(), seed=1)
    plant_vessels(x, [PlantedVessel(200, 200, 150, 25, 60, 15)], 10, 10, 0.02, seed=2)
    kw = dict(driver="GTiff", width=400, height=400, count=1, dtype="float32")
    warnings.simplefilter("ignore", NotGeoreferencedWarning)
    with rasterio.open(path, "w", **kw) as ds:
        ds.write(x, 1)
        if gcps:  # a north-up grid: 0.0001° per pixel from (30°E, 40°N)
            pts = [
                GroundControlPoint(row=r, col=c, x=30 + c * 1e-4, y=40 - r * 1e-4)
                for r in (0, 200, 400)
                for c in (0, 200, 400)
            ]
            ds.gcps = (pts, CRS.from_epsg(4326))
    return path


def test_geotiff_with_gcps_is_georeferenced(tmp_path):
    img = read_geotiff(_write_scene(tmp_path / "s.tif"), pixel_spacing_m=10.0)
    lon, lat = img.geocoder.lonlat([200.0], [200.0])
    assert lon[0] == pytest.approx(30.02005, abs=1e-6) and lat[0] == pytest.approx(
        39.97995, abs=1e-6
    )


def test_missing_spacing_is_a_clear_error(tmp_path):
    with pytest.raises(ReaderError, match="pixel_spacing_m"):
        read_geotiff(_write_scene(tmp_path / "s.tif", gcps=False))
    with pytest.raises(ReaderError, match="band 3"):
        read_geotiff(tmp_path / "s.tif", band="3", pixel_spacing_m=10)


def test_cli_detect_json_and_geojson(tmp_path):
    scene = str(_write_scene(tmp_path / "s.tif"))
    out = tmp_path / "d.geojson"
    res = CliRunner().invoke(
        sar_app, ["detect", scene, "--json", "--pixel-spacing-m", "10", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    dets = json.loads(res.stdout.splitlines()[0])
    assert len(dets) == 1
    d = dets[0]
    assert set(d) == {
        "file",
        "row",
        "col",
        "lon",
        "lat",
        "length_m",
        "width_m",
        "heading_deg",
        "score",
    }
    assert abs(d["row"] - 200) < 2 and d["length_m"] == pytest.approx(150, rel=0.2)
    assert json.loads(out.read_text())["features"][0]["geometry"]["type"] == "Point"


def test_cli_chip_without_georeference(opensarship_dir):
    z = next(iter_scene_zips(opensarship_dir))
    chip = list_chips(z)[0]
    res = CliRunner().invoke(
        sar_app,
        ["detect", f"zip://{z}!/{chip.member}", "--json", "--pixel-spacing-m", "10", "--band", "2"],
    )
    assert res.exit_code == 0, res.output
    dets = json.loads(res.stdout.splitlines()[0])
    assert dets and "lon" not in dets[0]


def test_chips_are_read_from_the_zip(opensarship_dir):
    for z in iter_scene_zips(opensarship_dir):
        meta = read_scene_metadata(z)
        chips = list_chips(z)
        assert chips and all(c.calibrated for c in chips)
        img = read_chip(chips[0], meta, band="VV", incidence_deg=38.0)
        assert img.sigma0.dtype == np.float32 and img.item["id"] == meta.product_id
        raw = list_chips(z, calibrated=False)
        assert len(raw) >= len(chips)
