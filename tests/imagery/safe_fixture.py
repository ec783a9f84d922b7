"""A small Sentinel-1 IW GRD SAFE product written in the real layout and annotation schema.

The look-up tables are bilinear functions of (line, pixel), so bilinear interpolation of them is
exact and the expected sigma0 of every pixel is known in closed form; the measurement holds
DN = round(√(σ⁰·A² + η)) of a known sigma0 scene (clutter and planted ships).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning

from darkfleet.imagery.sar.radar import SPEED_OF_LIGHT_M_S, slant_range_m
from darkfleet.imagery.sar.synthetic import ClutterParams, PlantedVessel, clutter, plant_vessels

H, W = 600, 800
NAME = "S1A_IW_GRDH_1SDV_20230820T210000_20230820T210025_049950_060A1B_ABCD"
STEM = "s1a-iw-grd-{pol}-20230820t210000-20230820t210025-049950-060a1b-{num}"
PRF = {"IW1": 1717.128973878037, "IW2": 1451.589958}
SWATH_SPLIT = 400  # IW2 starts at this column


def sigma_lut(line, pixel):
    """sigmaNought amplitude: rises 18 % across range, drifts along azimuth."""
    return 520.0 + 0.12 * pixel - 0.03 * line + 2e-5 * line * pixel


def noise_range(line, pixel):
    return 1500.0 - 0.6 * pixel + 0.1 * line


def noise_azimuth(line, pixel):
    return np.where(pixel < SWATH_SPLIT, 1.0 + 1e-4 * line, 0.9 + 2e-4 * line)


def lonlat(line, pixel):
    return 30.0 + pixel * 1.17e-4 + line * 1e-5, 40.0 - line * 9e-5 + pixel * 1e-6


def incidence(pixel):
    return 30.0 + 15.0 * pixel / (W - 1)


@dataclass(frozen=True)
class SafeFixture:
    root: Path
    sigma0: np.ndarray  # the scene written (before quantisation)
    dn: np.ndarray
    vessels: list[PlantedVessel]


def _vectors(tag: str, lut_tag: str, lines, pixels_for, fn) -> str:
    out = []
    for ln in lines:
        px = pixels_for(ln)
        vals = " ".join(f"{v:.6e}" for v in fn(ln, px))
        out.append(
            f"<{tag}><azimuthTime>2023-08-20T21:00:{ln / 40:09.6f}</azimuthTime><line>{ln}</line>"
            f'<pixel count="{len(px)}">{" ".join(map(str, px))}</pixel>'
            f'<{lut_tag} count="{len(px)}">{vals}</{lut_tag}>{_others(tag, len(px))}</{tag}>'
        )
    return "\n    ".join(out)


def _others(tag: str, n: int) -> str:
    """The calibration vectors' other tables (betaNought, gamma, dn), constant here."""
    if tag != "calibrationVector":
        return ""
    return "".join(f'<{t} count="{n}">{" ".join(["4.736e+02"] * n)}</{t}>' for t in ("betaNought", "gamma", "dn"))


def _header(kind: str, pol: str) -> str:
    return (
        f"<adsHeader><missionId>S1A</missionId><productType>GRD</productType><polarisation>{pol}</polarisation>"
        "<mode>IW</mode><swath>IW</swath><startTime>2023-08-20T21:00:00.000000</startTime>"
        "<stopTime>2023-08-20T21:00:25.000000</stopTime><absoluteOrbitNumber>49950</absoluteOrbitNumber>"
        "<missionDataTakeId>395803</missionDataTakeId><imageNumber>001</imageNumber></adsHeader>"
    )


def calibration_xml(pol: str = "VV") -> str:
    lines = [0, 200, 400, 650]  # the last vector lies beyond the last line, as in real products
    pixels = lambda ln: list(range(0, W, 40)) + [W - 1] if ln != 400 else list(range(0, W, 37)) + [W - 1]  # noqa: E731
    cal = lambda ln, px: sigma_lut(ln, np.array(px, dtype=float))  # noqa: E731
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<calibration>\n  '
        + _header("calibration", pol)
        + "\n  <calibrationInformation><absoluteCalibrationConstant>1.000000e+00</absoluteCalibrationConstant>"
        + f'</calibrationInformation>\n  <calibrationVectorList count="{len(lines)}">\n    '
        + _vectors("calibrationVector", "sigmaNought", lines, pixels, cal)
        + "\n  </calibrationVectorList>\n</calibration>\n"
    )


def noise_xml(pol: str = "VV") -> str:
    lines = [0, 300, 599]
    pixels = lambda ln: list(range(0, W, 50)) + [W - 1]  # noqa: E731
    rng = lambda ln, px: noise_range(ln, np.array(px, dtype=float))  # noqa: E731
    az_lines = list(range(0, H, 60)) + [H - 1]
    blocks = []
    for sw, c0, c1 in (("IW1", 0, SWATH_SPLIT - 1), ("IW2", SWATH_SPLIT, W - 1)):
        vals = " ".join(f"{v:.6e}" for v in noise_azimuth(np.array(az_lines, float), c0))
        blocks.append(
            f"<noiseAzimuthVector><swath>{sw}</swath><firstAzimuthLine>0</firstAzimuthLine>"
            f"<firstRangeSample>{c0}</firstRangeSample><lastAzimuthLine>{H - 1}</lastAzimuthLine>"
            f"<lastRangeSample>{c1}</lastRangeSample>"
            f'<line count="{len(az_lines)}">{" ".join(map(str, az_lines))}</line>'
            f'<noiseAzimuthLut count="{len(az_lines)}">{vals}</noiseAzimuthLut></noiseAzimuthVector>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<noise>\n  '
        + _header("noise", pol)
        + f'\n  <noiseRangeVectorList count="{len(lines)}">\n    '
        + _vectors("noiseRangeVector", "noiseRangeLut", lines, pixels, rng)
        + f'\n  </noiseRangeVectorList>\n  <noiseAzimuthVectorList count="2">\n    {"".join(blocks)}'
        + "\n  </noiseAzimuthVectorList>\n</noise>\n"
    )


def grid_points() -> list[tuple[int, int]]:
    return [(ln, px) for ln in (0, 150, 300, 450, H - 1) for px in (0, 200, 400, 600, W - 1)]


def annotation_xml(pol: str = "VV") -> str:
    pts = []
    for ln, px in grid_points():
        lon, lat = lonlat(ln, px)
        srt = 2 * float(slant_range_m(incidence(px))) / SPEED_OF_LIGHT_M_S
        pts.append(
            f"<geolocationGridPoint><azimuthTime>2023-08-20T21:00:{ln / 24:09.6f}</azimuthTime>"
            f"<slantRangeTime>{srt:.15e}</slantRangeTime><line>{ln}</line><pixel>{px}</pixel>"
            f"<latitude>{lat:.15e}</latitude><longitude>{lon:.15e}</longitude><height>0</height>"
            f"<incidenceAngle>{incidence(px):.15e}</incidenceAngle><elevationAngle>0</elevationAngle></geolocationGridPoint>"
        )
    downlink = "".join(
        f"<downlinkInformation><swath>{s}</swath><azimuthTime>2023-08-20T20:59:58.000000</azimuthTime>"
        f"<prf>{p}</prf></downlinkInformation>"
        for s, p in PRF.items()
    )
    orbit = "".join(
        f"<orbit><time>2023-08-20T21:00:{t:02d}.000000</time><frame>Earth Fixed</frame>"
        f"<position><x>{x}</x><y>1.0e6</y><z>6.9e6</z></position>"
        f"<velocity><x>{vx}</x><y>-1.2e3</y><z>1.0e3</z></velocity></orbit>"
        for t, x, vx in ((0, -1.8e6, -7.4e3), (10, -1.87e6, -7.41e3))
    )
    merge = "".join(
        f'<swathMerge><swath>{s}</swath><swathBoundsList count="1"><swathBounds><firstAzimuthLine>0</firstAzimuthLine>'
        f"<firstRangeSample>{c0}</firstRangeSample><lastAzimuthLine>{H - 1}</lastAzimuthLine>"
        f"<lastRangeSample>{c1}</lastRangeSample></swathBounds></swathBoundsList></swathMerge>"
        for s, c0, c1 in (("IW1", 0, SWATH_SPLIT - 1), ("IW2", SWATH_SPLIT, W - 1))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<product>\n  '
        + _header("product", pol)
        + "\n  <generalAnnotation><productInformation><pass>Descending</pass><timelinessCategory>NRT-3h"
        + "</timelinessCategory><platformHeading>-1.6e+02</platformHeading><projection>Ground Range</projection>"
        + "<rangeSamplingRate>6.4345e+07</rangeSamplingRate><radarFrequency>5.405000454334350e+09</radarFrequency>"
        + f'</productInformation><downlinkInformationList count="{len(PRF)}">{downlink}</downlinkInformationList>'
        + f'<orbitList count="2">{orbit}</orbitList></generalAnnotation>'
        + "\n  <imageAnnotation><imageInformation><productFirstLineUtcTime>2023-08-20T21:00:00.000000"
        + "</productFirstLineUtcTime><productLastLineUtcTime>2023-08-20T21:00:25.000000</productLastLineUtcTime>"
        + "<slantRangeTime>5.3e-03</slantRangeTime><pixelValue>Detected</pixelValue>"
        + "<outputPixels>16 bit Unsigned Integer</outputPixels><rangePixelSpacing>1.000000e+01</rangePixelSpacing>"
        + f"<azimuthPixelSpacing>1.000000e+01</azimuthPixelSpacing><numberOfSamples>{W}</numberOfSamples>"
        + f"<numberOfLines>{H}</numberOfLines><incidenceAngleMidSwath>3.75e+01</incidenceAngleMidSwath>"
        + "</imageInformation></imageAnnotation>"
        + f'\n  <swathMerging><swathMergeList count="2">{merge}</swathMergeList></swathMerging>'
        + f'\n  <geolocationGrid><geolocationGridPointList count="{len(pts)}">\n    '
        + "\n    ".join(pts)
        + "\n  </geolocationGridPointList></geolocationGrid>\n</product>\n"
    )


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel-1.0"'
    ' version="esa/safe/sentinel-1.0/sentinel-1/sar/level-1/standard/iwdp">\n'
    '  <informationPackageMap><xfdu:contentUnit unitType="SAFE Archive Information Package"'
    ' textInfo="Sentinel-1 IW Level-1 GRD Product"/></informationPackageMap>\n'
    '  <metadataSection><metadataObject ID="platform"><metadataWrap><xmlData><safe:platform>'
    "<safe:familyName>SENTINEL-1</safe:familyName><safe:number>A</safe:number></safe:platform>"
    "</xmlData></metadataWrap></metadataObject></metadataSection>\n"
    "</xfdu:XFDU>\n"
)


def expected_sigma0(dn: np.ndarray, denoise: bool = True) -> np.ndarray:
    """sigma0 of every pixel from the closed-form tables (independent of the reader)."""
    line, pixel = np.mgrid[0:H, 0:W].astype(np.float64)
    eta = noise_range(line, pixel) * noise_azimuth(line, pixel) if denoise else 0.0
    out = np.maximum(dn.astype(np.float64) ** 2 - eta, 0.0) / sigma_lut(line, pixel) ** 2
    return np.where(dn == 0, np.nan, out)


def write_safe(tmp: Path, vessels: list[PlantedVessel] | None = None, seed: int = 3) -> SafeFixture:
    root = tmp / f"{NAME}.SAFE"
    for d in ("measurement", "annotation/calibration"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "manifest.safe").write_text(MANIFEST)
    vessels = (
        vessels
        if vessels is not None
        else [PlantedVessel(300, 250, 160, 25, 35, 15), PlantedVessel(200, 600, 90, 15, 120, 14)]
    )
    sigma0 = clutter((H, W), ClutterParams(), seed=seed)
    plant_vessels(sigma0, vessels, 10.0, 10.0, ClutterParams().mean_sigma0, seed=seed + 1)
    line, pixel = np.mgrid[0:H, 0:W].astype(np.float64)
    power = sigma0 * sigma_lut(line, pixel) ** 2 + noise_range(line, pixel) * noise_azimuth(line, pixel)
    dn = np.clip(np.rint(np.sqrt(power)), 1, 65535).astype(np.uint16)
    dn[:, :3] = 0  # GRD border fill
    for pol, num in (("vv", "001"), ("vh", "002")):
        stem = STEM.format(pol=pol, num=num)
        (root / "annotation" / f"{stem}.xml").write_text(annotation_xml(pol.upper()))
        (root / "annotation/calibration" / f"calibration-{stem}.xml").write_text(calibration_xml(pol.upper()))
        (root / "annotation/calibration" / f"noise-{stem}.xml").write_text(noise_xml(pol.upper()))
        band = dn if pol == "vv" else np.maximum(dn // 5, 1).astype(np.uint16)
        gcps = [
            GroundControlPoint(row=ln, col=px, x=lonlat(ln, px)[0], y=lonlat(ln, px)[1], z=0.0)
            for ln, px in grid_points()
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(
                root / "measurement" / f"{stem}.tiff", "w", driver="GTiff", width=W, height=H, count=1, dtype="uint16"
            ) as ds:
                ds.write(band, 1)
                ds.gcps = (gcps, CRS.from_epsg(4326))
    return SafeFixture(root, sigma0, dn, vessels)
