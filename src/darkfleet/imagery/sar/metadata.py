"""Scene metadata: parsed from ESA SNAP "abstracted metadata" XML and written as a STAC item.

The STAC item is a plain dict following the STAC 1.0 item specification with the ``sar``,
``sat`` and ``view``-free core fields (https://github.com/stac-extensions/sar): it is what
darkfleet stores and exports, so no STAC library is needed to produce it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from darkfleet.imagery.sar.geocode import CornerGeocoder, Geocoder, GridGeocoder

STAC_VERSION = "1.0.0"
SAR_EXTENSION = "https://stac-extensions.github.io/sar/v1.0.0/schema.json"
SAT_EXTENSION = "https://stac-extensions.github.io/sat/v1.0.0/schema.json"
SPEED_OF_LIGHT_M_S = 299_792_458.0


class MetadataError(ValueError):
    """The metadata document lacks a field darkfleet needs; the message names it."""


@dataclass(frozen=True)
class SceneMetadata:
    """What detection and matching need to know about a scene."""

    product_id: str
    mission: str  # "SENTINEL-1A"
    mode: str  # "IW"
    product_type: str  # "GRD" or "SLC"
    pass_direction: str  # "ASCENDING" / "DESCENDING"
    polarizations: tuple[str, ...]  # band order of the product, e.g. ("VH", "VV")
    first_line_time: datetime
    last_line_time: datetime
    height_px: int
    width_px: int
    range_spacing_m: float  # slant range for SLC, ground range for GRD
    azimuth_spacing_m: float
    ground_range: bool  # True when range_spacing_m is already on the ground (GRD)
    incidence_near_deg: float | None
    incidence_far_deg: float | None
    radar_frequency_hz: float | None
    prf_hz: float | None
    corners: tuple[
        tuple[float, float], ...
    ]  # (lon, lat): first_near, first_far, last_near, last_far
    tie_points: GridGeocoder | None = field(default=None, compare=False, repr=False)

    @property
    def centre_time(self) -> datetime:
        return self.first_line_time + (self.last_line_time - self.first_line_time) / 2

    @property
    def wavelength_m(self) -> float | None:
        if self.radar_frequency_hz is None:
            return None
        return SPEED_OF_LIGHT_M_S / self.radar_frequency_hz

    def geocoder(self) -> Geocoder:
        """The tie-point grid of a GRD product (within 15 m of OpenSARShip's positions), else
        the four-corner model. For the OpenSARShip SLC scenes, whose chip coordinates are not
        in the geometry of the product's tie-point grid, the corner model is 15–19 km off in
        position but still gives the image axes' ground directions for heading."""
        if self.tie_points is not None and self.ground_range:
            return self.tie_points
        return CornerGeocoder(self.height_px, self.width_px, *self.corners)  # type: ignore[arg-type]

    def ground_spacing_m(self, incidence_deg: float | None = None) -> tuple[float, float]:
        """(row, col) pixel spacing on the ground in metres.

        Slant-range spacing (SLC) is projected to the ground with the local incidence angle
        (ground = slant / sin θ); without one, the scene's mid incidence is used.
        """
        if self.ground_range:
            return self.azimuth_spacing_m, self.range_spacing_m
        theta = incidence_deg
        if theta is None and self.incidence_near_deg and self.incidence_far_deg:
            theta = (self.incidence_near_deg + self.incidence_far_deg) / 2
        if theta is None:
            raise MetadataError(
                f"{self.product_id}: slant-range product needs an incidence angle "
                "for its ground spacing"
            )
        return self.azimuth_spacing_m, self.range_spacing_m / math.sin(math.radians(theta))


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}


def parse_snap_time(text: str) -> datetime:
    """SNAP's ``23-AUG-2015 22:12:33.004933`` (UTC) as an aware datetime."""
    try:
        date, clock = text.strip().split(" ")
        day, mon, year = date.split("-")
        hms, _, frac = clock.partition(".")
        hh, mm, ss = (int(p) for p in hms.split(":"))
        micro = int((frac + "000000")[:6]) if frac else 0
        return datetime(int(year), _MONTHS[mon.upper()], int(day), hh, mm, ss, micro, tzinfo=UTC)
    except (ValueError, KeyError) as exc:
        raise MetadataError(
            f"unreadable SNAP time {text!r}: expected DD-MON-YYYY HH:MM:SS.ffffff"
        ) from exc


def _missing(v: float) -> bool:
    return v == 99999.0 or not math.isfinite(v)


def _tie_grid(root: ET.Element, height: int, width: int) -> GridGeocoder | None:
    grids = root.find("tie-point-grids")
    if grids is None or grids.find("latitude") is None or grids.find("longitude") is None:
        return None

    def read(tag: str) -> np.ndarray:
        rows = [r.get("value", "") for r in grids.find(tag).findall("row")]  # type: ignore[union-attr]
        return np.array([[float(v) for v in r.split(",")] for r in rows])

    lat, lon = read("latitude"), read("longitude")
    grid_rows = np.linspace(0.0, height - 1.0, lat.shape[0])
    grid_cols = np.linspace(0.0, width - 1.0, lat.shape[1])
    return GridGeocoder(grid_rows, grid_cols, lon, lat)


def parse_snap_metadata(xml_text: str | bytes, source: str = "<metadata>") -> SceneMetadata:
    """Parse a SNAP ``Abstracted_Metadata`` document (as shipped with OpenSARShip scenes)."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise MetadataError(f"{source}: not XML ({exc})") from exc
    abstracted = root.find("Abstracted_Metadata")
    if abstracted is None:
        raise MetadataError(f"{source}: no <Abstracted_Metadata> element")
    attrs = {a.get("name"): a.get("value", "") for a in abstracted.findall("attrib")}

    def get(name: str) -> str:
        if name not in attrs:
            raise MetadataError(f"{source}: attribute {name!r} missing from Abstracted_Metadata")
        return attrs[name]

    def num(name: str) -> float | None:
        v = float(get(name)) if name in attrs else math.nan
        return None if _missing(v) else v

    pols = tuple(
        p for p in (attrs.get(f"mds{i}_tx_rx_polar", "-") for i in range(1, 5)) if p != "-"
    )
    # SLC products list one band per swath; the distinct polarisations in order are the bands.
    pols = tuple(dict.fromkeys(pols))
    height, width = int(get("num_output_lines")), int(get("num_samples_per_line"))
    corners = tuple(
        (float(get(f"{c}_long")), float(get(f"{c}_lat")))
        for c in ("first_near", "first_far", "last_near", "last_far")
    )
    freq_mhz = num("radar_frequency")
    return SceneMetadata(
        product_id=get("PRODUCT"),
        mission=get("MISSION"),
        mode=get("ACQUISITION_MODE"),
        product_type=get("PRODUCT_TYPE"),
        pass_direction=get("PASS"),
        polarizations=pols,
        first_line_time=parse_snap_time(get("first_line_time")),
        last_line_time=parse_snap_time(get("last_line_time")),
        height_px=height,
        width_px=width,
        range_spacing_m=float(get("range_spacing")),
        azimuth_spacing_m=float(get("azimuth_spacing")),
        ground_range=get("srgr_flag") == "1",
        incidence_near_deg=num("incidence_near"),
        incidence_far_deg=num("incidence_far"),
        radar_frequency_hz=None if freq_mhz is None else freq_mhz * 1e6,
        prf_hz=num("pulse_repetition_frequency"),
        corners=corners,
        tie_points=_tie_grid(root, height, width),
    )


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_stac_item(meta: SceneMetadata, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """The scene as a STAC 1.0 item (dict) with the SAR and satellite extensions."""
    fn, ff, ln, lf = meta.corners
    ring = [list(fn), list(ff), list(lf), list(ln), list(fn)]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    props: dict[str, Any] = {
        "datetime": _iso(meta.centre_time),
        "start_datetime": _iso(meta.first_line_time),
        "end_datetime": _iso(meta.last_line_time),
        "platform": meta.mission.lower(),
        "constellation": "sentinel-1",
        "instruments": ["c-sar"],
        "sar:instrument_mode": meta.mode,
        "sar:frequency_band": "C",
        "sar:polarizations": list(meta.polarizations),
        "sar:product_type": meta.product_type,
        "sar:pixel_spacing_range": meta.range_spacing_m,
        "sar:pixel_spacing_azimuth": meta.azimuth_spacing_m,
        "sat:orbit_state": meta.pass_direction.lower(),
        "darkfleet:ground_range": meta.ground_range,
        "darkfleet:shape_px": [meta.height_px, meta.width_px],
    }
    if meta.radar_frequency_hz is not None:
        props["sar:center_frequency"] = meta.radar_frequency_hz / 1e9
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [SAR_EXTENSION, SAT_EXTENSION],
        "id": meta.product_id,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "properties": props,
        "links": [],
        "assets": {k: {"href": v} for k, v in (assets or {}).items()},
    }
