"""Sentinel-1 SAFE products: calibration annotation → sigma0, noise removal, metadata, detection."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from darkfleet.imagery.cli import sar_app
from darkfleet.imagery.sar.calibration import CalibrationError, calibrate_in_place, parse_calibration, parse_noise
from darkfleet.imagery.sar.detect import detect
from darkfleet.imagery.sar.readers import ReaderError, read_image
from darkfleet.imagery.sar.safe import read_safe

from . import safe_fixture as sf


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    return sf.write_safe(tmp_path_factory.mktemp("safe"))


def test_known_numbers():
    # one vector, A = 500: DN 100 → (100² − 0) / 500² = 0.04; with η = 2000: 8000 / 250000 = 0.032
    cal = parse_calibration(
        '<calibration><calibrationVectorList count="1"><calibrationVector><line>0</line>'
        '<pixel count="2">0 9</pixel><sigmaNought count="2">500 500</sigmaNought></calibrationVector>'
        "</calibrationVectorList></calibration>"
    )
    noise = parse_noise(
        '<noise><noiseVectorList count="1"><noiseVector><line>0</line><pixel count="2">0 9</pixel>'
        '<noiseLut count="2">2000 2000</noiseLut></noiseVector></noiseVectorList></noise>'
    )
    x = np.full((2, 10), 100.0, np.float32)
    assert calibrate_in_place(x.copy(), cal)[0, 0] == pytest.approx(0.04)
    assert calibrate_in_place(x.copy(), cal, noise)[1, 5] == pytest.approx(0.032)


def test_calibration_matches_the_closed_form_everywhere(product):
    img = read_safe(product.root, "VV")
    want = sf.expected_sigma0(product.dn)
    got = img.sigma0.astype(np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want)) and np.isnan(got[:, :3]).all()
    ok = np.isfinite(want) & (want > 0)
    rel = np.abs(got[ok] - want[ok]) / want[ok]
    print(f"SAFE calibration: max relative error {rel.max():.2e} over {ok.sum()} pixels")
    assert rel.max() < 1e-5
    # the scene written is recovered, though the LUT rises 18 % across range and the noise falls
    truth = product.sigma0[:, 3:]
    near = np.nanmedian(got[:, 3:200]) / np.median(truth[:, :197])
    far = np.nanmedian(got[:, -200:]) / np.median(truth[:, -200:])
    raw = product.dn.astype(float) ** 2
    dn_ratio = np.median(raw[:, -200:]) / np.median(raw[:, 3:200])
    print(f"median sigma0 / truth near {near:.3f}, far {far:.3f}; DN² far/near {dn_ratio:.2f}")
    assert abs(near - 1) < 0.03 and abs(far - 1) < 0.03


def test_noise_is_optional_and_removed_when_present(product):
    noisy = read_safe(product.root, "VV", remove_noise=False).sigma0
    clean = read_safe(product.root, "VV").sigma0
    want = sf.expected_sigma0(product.dn, denoise=False)
    ok = np.isfinite(want)
    assert np.allclose(noisy[ok], want[ok], rtol=1e-5)
    assert np.nanmean(noisy) > np.nanmean(clean) > 0


def test_metadata_radar_geometry_and_georeference(product):
    img = read_image(product.root)  # default band of a SAFE product: VV
    assert img.band == "VV" and img.row_spacing_m == 10.0 and img.col_spacing_m == 10.0
    props = img.item["properties"]
    assert img.item["id"] == sf.NAME and props["sar:polarizations"] == ["VV", "VH"]
    assert props["datetime"].startswith("2023-08-20T21:00:12") and props["sat:orbit_state"] == "descending"
    lon, lat = img.geocoder.lonlat([300.0], [400.0])
    assert (lon[0], lat[0]) == pytest.approx(sf.lonlat(300, 400), abs=1e-9)
    r = img.radar
    assert r.prf_hz == (sf.PRF["IW1"], sf.PRF["IW2"]) and r.swath_first_cols == (0.0, 400.0)
    assert r.wavelength_m == pytest.approx(0.05547, abs=1e-5) and 7500 < r.platform_speed_m_s < 7800
    dx = r.ambiguity_distance_m([100.0, 700.0])
    print(f"azimuth ambiguity distance IW1 {dx[0]:.0f} m, IW2 {dx[1]:.0f} m")
    assert 4000 < dx[1] < dx[0] < 6500
    span = read_safe(product.root, "span").sigma0
    assert np.nanmean(span) > np.nanmean(img.sigma0)


def test_bad_products_are_named(product, tmp_path):
    with pytest.raises(ReaderError, match="no 'HH' band"):
        read_safe(product.root, "HH")
    with pytest.raises(CalibrationError, match="sigmaNought"):
        parse_calibration(
            "<calibration><calibrationVectorList><calibrationVector><line>0</line>"
            "<pixel>0 1</pixel></calibrationVector></calibrationVectorList></calibration>"
        )
    (tmp_path / "x.SAFE" / "measurement").mkdir(parents=True)
    (tmp_path / "x.SAFE" / "manifest.safe").write_text("<x/>")
    with pytest.raises(ReaderError, match="no measurement"):
        read_safe(tmp_path / "x.SAFE")


def test_detection_end_to_end(product):
    img = read_safe(product.root)
    d = detect(img)
    assert d.height == len(product.vessels)
    for v in product.vessels:
        k = int(np.argmin(np.hypot(d["row"] - v.row, d["col"] - v.col)))
        assert abs(d["row"][k] - v.row) < 3 and abs(d["col"][k] - v.col) < 3
        assert d["length_m"][k] == pytest.approx(v.length_m, rel=0.2)
    res = CliRunner().invoke(sar_app, ["detect", str(product.root), "--json"])
    assert res.exit_code == 0, res.output
    dets = json.loads(res.stdout.splitlines()[0])
    assert len(dets) == 2 and all(r["lon"] is not None for r in dets)
    lon, lat = sf.lonlat(product.vessels[0].row, product.vessels[0].col)
    assert min(np.hypot(r["lon"] - lon, r["lat"] - lat) for r in dets) < 5e-4
