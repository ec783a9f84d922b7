"""Sentinel-1 SAFE products (a ``.SAFE`` directory) read as calibrated sigma0.

Layout (Sentinel-1 Product Specification, S1-RS-MDA-52-7441, Level-1 product format)::

    S1A_IW_GRDH_1SDV_<start>_<stop>_<orbit>_<take>_<crc>.SAFE/
        manifest.safe
        measurement/s1a-iw-grd-vv-<start>-<stop>-<orbit>-<take>-001.tiff   DN (uint16), with GCPs
        annotation/s1a-iw-grd-vv-...-001.xml                              product annotation
        annotation/calibration/calibration-s1a-iw-grd-vv-...-001.xml     calibration LUTs
        annotation/calibration/noise-s1a-iw-grd-vv-...-001.xml           thermal noise LUTs

The measurement's digital numbers become sigma0 with :mod:`calibration`; the product annotation
gives the acquisition times, pixel spacing, the geolocation grid (georeference and footprint),
the incidence angle and the radar geometry (PRF per sub-swath, wavelength, slant range,
platform speed) that the azimuth-ambiguity test uses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from darkfleet.imagery.sar.calibration import calibrate_in_place, parse_calibration, parse_noise
from darkfleet.imagery.sar.geocode import GridGeocoder
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.metadata import SceneMetadata, to_stac_item
from darkfleet.imagery.sar.radar import S1_PLATFORM_SPEED_M_S, SPEED_OF_LIGHT_M_S, RadarGeometry
from darkfleet.imagery.sar.readers import SPAN, ReaderError, read_geotiff


@dataclass(frozen=True)
class SafeBand:
    """The files of one polarisation of a SAFE product."""

    polarization: str  # "VV"
    image_number: str  # "001"
    measurement: Path
    annotation: Path
    calibration: Path
    noise: Path | None


def is_safe(path: str | Path) -> bool:
    p = Path(path)
    return (p.is_dir() and (p / "manifest.safe").exists()) or p.name == "manifest.safe"


def safe_root(path: str | Path) -> Path:
    p = Path(path)
    return p.parent if p.name == "manifest.safe" else p


def list_bands(path: str | Path) -> list[SafeBand]:
    """The product's polarisations in image-number order, each with its annotation files."""
    root = safe_root(path)
    out = []
    for tif in sorted((root / "measurement").glob("*.tif*")):
        stem = tif.name.split(".")[0]  # s1a-iw-grd-vv-...-001
        parts = stem.split("-")
        if len(parts) < 5:
            raise ReaderError(f"{tif}: not a Sentinel-1 measurement file name")
        ann = root / "annotation" / f"{stem}.xml"
        cal = root / "annotation" / "calibration" / f"calibration-{stem}.xml"
        noise = root / "annotation" / "calibration" / f"noise-{stem}.xml"
        for need in (ann, cal):
            if not need.exists():
                raise ReaderError(f"{root}: {need.relative_to(root)} missing for {tif.name}")
        out.append(SafeBand(parts[3].upper(), parts[-1], tif, ann, cal, noise if noise.exists() else None))
    if not out:
        raise ReaderError(f"{root}: no measurement/*.tiff in this SAFE product")
    return sorted(out, key=lambda b: b.image_number)


def _text(root: ET.Element, path: str, source: Path) -> str:
    el = root.find(path)
    if el is None or el.text is None:
        raise ReaderError(f"{source}: <{path}> missing from the product annotation")
    return el.text.strip()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=UTC)


def _grid(root: ET.Element) -> tuple[np.ndarray, ...] | None:
    """Geolocation grid as (lines, pixels, lon, lat, incidence, slant_range_m) on a regular
    lines × pixels grid, or None if it is absent or irregular."""
    pts = root.findall("geolocationGrid/geolocationGridPointList/geolocationGridPoint")
    if not pts:
        return None
    tags = ("line", "pixel", "longitude", "latitude", "incidenceAngle", "slantRangeTime")
    a = np.array([[float(p.findtext(t) or "nan") for t in tags] for p in pts])
    lines, pixels = np.unique(a[:, 0]), np.unique(a[:, 1])
    if len(lines) * len(pixels) != len(a) or len(lines) < 2 or len(pixels) < 2:
        return None
    a = a[np.lexsort((a[:, 1], a[:, 0]))]
    shape = (len(lines), len(pixels))
    return (
        lines,
        pixels,
        *(a[:, k].reshape(shape) for k in (2, 3, 4)),
        a[:, 5].reshape(shape) * SPEED_OF_LIGHT_M_S / 2,
    )


def _radar(root: ET.Element, grid: tuple[np.ndarray, ...] | None) -> RadarGeometry | None:
    freq = root.findtext("generalAnnotation/productInformation/radarFrequency")
    prfs = {
        (d.findtext("swath") or "").strip(): float(d.findtext("prf") or "nan")
        for d in root.findall("generalAnnotation/downlinkInformationList/downlinkInformation")
    }
    prfs = {k: v for k, v in prfs.items() if np.isfinite(v)}
    if freq is None or not prfs or grid is None:
        return None
    first_cols = {}
    for m in root.findall("swathMerging/swathMergeList/swathMerge"):
        bounds = [float(b.findtext("firstRangeSample") or "nan") for b in m.findall("swathBoundsList/swathBounds")]
        if bounds:
            first_cols[(m.findtext("swath") or "").strip()] = float(np.nanmin(bounds))
    swaths = sorted(prfs)
    if set(swaths) <= set(first_cols) and len(swaths) > 1:
        swaths = sorted(swaths, key=lambda s: first_cols[s])
        prf: tuple[float, ...] = tuple(prfs[s] for s in swaths)
        starts: tuple[float, ...] = tuple(first_cols[s] for s in swaths)
    else:
        prf, starts = (float(np.median(list(prfs.values()))),), (0.0,)
    vel = [
        [float(o.findtext(f"velocity/{c}") or "nan") for c in "xyz"]
        for o in root.findall("generalAnnotation/orbitList/orbit")
    ]
    speed = float(np.nanmean(np.linalg.norm(np.array(vel), axis=1))) if vel else S1_PLATFORM_SPEED_M_S
    lines, pixels, *_, rng = grid
    return RadarGeometry(
        SPEED_OF_LIGHT_M_S / float(freq),
        speed,
        prf,
        starts,
        tuple(pixels.tolist()),
        tuple(rng[len(lines) // 2].tolist()),
    )


def parse_product_annotation(
    xml: str | bytes, source: Path, product_id: str, polarizations: tuple[str, ...]
) -> tuple[SceneMetadata, RadarGeometry | None, float | None]:
    """Scene metadata, radar geometry and mid-swath incidence from a product annotation."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ReaderError(f"{source}: not XML ({exc})") from exc
    info = "imageAnnotation/imageInformation"
    height, width = (
        int(_text(root, f"{info}/numberOfLines", source)),
        int(_text(root, f"{info}/numberOfSamples", source)),
    )
    grid = _grid(root)
    tie = None
    corners: tuple[tuple[float, float], ...] = ((0.0, 0.0),) * 4
    inc_near = inc_far = None
    if grid is not None:
        lines, pixels, lon, lat, inc, _ = grid
        tie = GridGeocoder(lines, pixels, lon, lat)
        cl, ca = tie.lonlat([0, 0, height - 1, height - 1], [0, width - 1, 0, width - 1])
        corners = tuple((float(x), float(y)) for x, y in zip(cl, ca, strict=True))
        inc_near, inc_far = float(inc[:, 0].mean()), float(inc[:, -1].mean())
    mission = _text(root, "adsHeader/missionId", source)
    mid = root.findtext(f"{info}/incidenceAngleMidSwath")
    freq = root.findtext("generalAnnotation/productInformation/radarFrequency")
    radar = _radar(root, grid)
    meta = SceneMetadata(
        product_id=product_id,
        mission=f"SENTINEL-1{mission[-1]}",
        mode=_text(root, "adsHeader/mode", source),
        product_type=_text(root, "adsHeader/productType", source),
        pass_direction=(root.findtext("generalAnnotation/productInformation/pass") or "").upper(),
        polarizations=polarizations,
        first_line_time=_time(_text(root, f"{info}/productFirstLineUtcTime", source)),
        last_line_time=_time(_text(root, f"{info}/productLastLineUtcTime", source)),
        height_px=height,
        width_px=width,
        range_spacing_m=float(_text(root, f"{info}/rangePixelSpacing", source)),
        azimuth_spacing_m=float(_text(root, f"{info}/azimuthPixelSpacing", source)),
        ground_range=_text(root, "adsHeader/productType", source) == "GRD",
        incidence_near_deg=inc_near,
        incidence_far_deg=inc_far,
        radar_frequency_hz=float(freq) if freq else None,
        prf_hz=radar.prf_hz[0] if radar else None,
        corners=corners,  # type: ignore[arg-type]
        tie_points=tie,
    )
    return meta, radar, float(mid) if mid else None


def _read_band(b: SafeBand, spacing: tuple[float, float], remove_noise: bool) -> SarImage:
    img = read_geotiff(b.measurement, band="1", pixel_spacing_m=spacing)
    sigma = parse_calibration(b.calibration.read_bytes(), source=str(b.calibration))
    noise = parse_noise(b.noise.read_bytes(), source=str(b.noise)) if remove_noise and b.noise else None
    calibrate_in_place(img.sigma0, sigma, noise)
    return img


def read_safe(path: str | Path, band: str = "VV", remove_noise: bool = True) -> SarImage:
    """One polarisation (``"VV"``; a 1-based image number ``"1"``; or ``"span"``) of a SAFE
    product as sigma0, with thermal noise removed when the product has a noise annotation and
    ``remove_noise``; georeferenced by the annotation's geolocation grid, with its STAC item."""
    root = safe_root(path)
    bands = list_bands(root)
    pols = tuple(b.polarization for b in bands)
    if band == SPAN:
        chosen = bands
    elif band.isdigit():
        if not 1 <= int(band) <= len(bands):
            raise ReaderError(f"{root}: band {band} requested, product has {len(bands)} ({list(pols)})")
        chosen = [bands[int(band) - 1]]
    else:
        chosen = [b for b in bands if b.polarization == band.upper()]
        if not chosen:
            raise ReaderError(f"{root}: no {band!r} band; it has {list(pols)} (or ask for 'span')")
    meta, radar, mid = parse_product_annotation(
        chosen[0].annotation.read_bytes(), chosen[0].annotation, root.name.removesuffix(".SAFE"), pols
    )
    spacing = (meta.azimuth_spacing_m, meta.range_spacing_m)
    img = _read_band(chosen[0], spacing, remove_noise)
    for b in chosen[1:]:
        img.sigma0[...] += _read_band(b, spacing, remove_noise).sigma0
    if img.shape != (meta.height_px, meta.width_px):
        raise ReaderError(f"{root}: measurement is {img.shape}, annotation says {(meta.height_px, meta.width_px)}")
    item = to_stac_item(meta, assets={b.polarization.lower(): str(b.measurement) for b in bands})
    return replace(
        img,
        source=str(root),
        band=band.upper() if band != SPAN else SPAN,
        geocoder=meta.tie_points or img.geocoder,
        item=item,
        incidence_deg=mid,
        radar=radar,
    )
