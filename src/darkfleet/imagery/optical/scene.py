"""Optical scenes in memory, their georeference, and their STAC items.

An :class:`OpticalScene` is what every optical kernel works on: named bands (float32, same
shape), the pixel → map affine transform and CRS when the product has one, and the ground
sampling distance. The readers that build it from files live in :mod:`.readers`; this module
does no file access.

Ground distances: in a conformal projection (UTM, Web Mercator) a map metre is
``1 / scale_factor`` ground metres, and Web Mercator's scale factor is ``1 / cos(latitude)``,
so a 10 m EPSG:3857 pixel of the sen2ships scenes is about ``10·cos(lat)`` m on the ground
(8.2 m at Busan, 5.8 m at Gdynia). :func:`ground_pixel_m` asks pyproj for the factor, so any
CRS works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from darkfleet.imagery.sar.metadata import SAT_EXTENSION, STAC_VERSION

EO_EXTENSION = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
PROJ_EXTENSION = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"

# Sentinel-2 MSI band centres (nm) and common names, from the ESA Sentinel-2 user handbook.
S2_BANDS: dict[str, tuple[str, float]] = {
    "B02": ("blue", 492.4),
    "B03": ("green", 559.8),
    "B04": ("red", 664.6),
    "B08": ("nir", 832.8),
}


@dataclass(frozen=True)
class OpticalScene:
    """Bands of one optical product on one pixel grid.

    ``bands`` maps a band name (``B02``.. for Sentinel-2, ``R``/``G``/``B`` for RGB images) to a
    float32 array; all arrays share ``shape``. ``transform``/``crs`` are None for images with no
    georeference (DOTA PNGs), whose ``gsd_m`` the caller gives. ``sha256`` maps each source
    file to its content hash, so every product the analyst looks at is identified by its bytes.
    """

    scene_id: str
    bands: dict[str, NDArray[np.float32]]
    gsd_m: float  # nominal pixel size in map units (metres) or on the ground without a CRS
    transform: Affine | None = None
    crs: str | None = None  # e.g. "EPSG:3857"
    acquired_at: datetime | None = None
    sha256: dict[str, str] = field(default_factory=dict)
    platform: str | None = None  # "sentinel-2" for the S2 readers

    def __post_init__(self) -> None:
        if not self.bands:
            raise ValueError(f"{self.scene_id}: a scene needs at least one band")
        shapes = {a.shape for a in self.bands.values()}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"{self.scene_id}: bands must be 2-D and of one shape, got {sorted(shapes)}")
        if not self.gsd_m > 0:
            raise ValueError(f"{self.scene_id}: gsd_m must be positive, got {self.gsd_m}")
        if self.acquired_at is not None and self.acquired_at.tzinfo is None:
            raise ValueError(f"{self.scene_id}: acquisition time must be timezone-aware (UTC)")

    @property
    def shape(self) -> tuple[int, int]:
        return next(iter(self.bands.values())).shape  # type: ignore[return-value]

    def band(self, *names: str) -> NDArray[np.float32]:
        """The first band present among ``names`` (``band("B03", "G")``)."""
        for n in names:
            if n in self.bands:
                return self.bands[n]
        raise KeyError(f"{self.scene_id}: none of the bands {names} (has {sorted(self.bands)})")

    def rgb(self) -> NDArray[np.float32]:
        """(rows, cols, 3) red, green, blue."""
        return np.dstack([self.band("B04", "R"), self.band("B03", "G"), self.band("B02", "B")])


def pixel_lonlat(
    scene: OpticalScene, rows: NDArray[np.float64], cols: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 lon/lat of pixel centres given as (row, col), (0, 0) the first pixel's centre.
    NaN without a georeference."""
    rows = np.atleast_1d(np.asarray(rows, np.float64))
    cols = np.atleast_1d(np.asarray(cols, np.float64))
    if scene.transform is None or scene.crs is None:
        nan = np.full(rows.shape, np.nan)
        return nan, nan.copy()
    from pyproj import Transformer

    t = scene.transform
    x = t.c + t.a * (cols + 0.5) + t.b * (rows + 0.5)
    y = t.f + t.d * (cols + 0.5) + t.e * (rows + 0.5)
    to_wgs = Transformer.from_crs(scene.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(x, y)
    return np.asarray(lon, np.float64), np.asarray(lat, np.float64)


def ground_pixel_m(scene: OpticalScene) -> float:
    """Ground size of a pixel at the scene centre (metres): map size divided by the projection's
    scale factor there. Equals ``gsd_m`` without a CRS."""
    if scene.transform is None or scene.crs is None:
        return scene.gsd_m
    from pyproj import CRS, Proj

    crs = CRS.from_user_input(scene.crs)
    map_px = math.sqrt(abs(scene.transform.a * scene.transform.e - scene.transform.b * scene.transform.d))
    if crs.is_geographic:  # degrees: a degree of latitude is about 111.2 km
        h, w = scene.shape
        _, lat = pixel_lonlat(scene, np.array([h / 2]), np.array([w / 2]))
        return map_px * 111_195.0 * math.sqrt(math.cos(math.radians(float(lat[0]))))
    h, w = scene.shape
    lon, lat = pixel_lonlat(scene, np.array([h / 2]), np.array([w / 2]))
    factors = Proj(crs).get_factors(float(lon[0]), float(lat[0]))
    return map_px / math.sqrt(factors.areal_scale)


def footprint_lonlat(scene: OpticalScene) -> list[list[float]] | None:
    """The scene outline as a closed lon/lat ring (corners), or None without a georeference."""
    if scene.transform is None:
        return None
    h, w = scene.shape
    r = np.array([-0.5, -0.5, h - 0.5, h - 0.5, -0.5])
    c = np.array([-0.5, w - 0.5, w - 0.5, -0.5, -0.5])
    lon, lat = pixel_lonlat(scene, r, c)
    return [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]


def to_stac_item(scene: OpticalScene, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """The scene as a STAC 1.0 item (a plain dict, as for SAR) with the ``eo`` and
    ``projection`` extensions; the content hashes go into each asset as ``file:checksum``-style
    ``darkfleet:sha256``."""
    ring = footprint_lonlat(scene)
    props: dict[str, Any] = {
        "datetime": scene.acquired_at.astimezone(UTC).isoformat().replace("+00:00", "Z") if scene.acquired_at else None,
        "gsd": scene.gsd_m,
        "darkfleet:shape_px": list(scene.shape),
    }
    if scene.platform:
        props["constellation"] = scene.platform
        props["instruments"] = ["msi"] if scene.platform == "sentinel-2" else []
    if scene.crs:
        props["proj:code"] = scene.crs
        props["proj:shape"] = list(scene.shape)
        if scene.transform is not None:
            props["proj:transform"] = list(scene.transform)[:6]
    eo = [
        {"name": b, "common_name": S2_BANDS[b][0], "center_wavelength": S2_BANDS[b][1] / 1000}
        for b in scene.bands
        if b in S2_BANDS
    ]
    assets_doc: dict[str, Any] = {}
    for key, href in (assets or {}).items():
        a: dict[str, Any] = {"href": href}
        if href in scene.sha256:
            a["darkfleet:sha256"] = scene.sha256[href]
        if key in S2_BANDS:
            a["eo:bands"] = [e for e in eo if e["name"] == key]
        assets_doc[key] = a
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [EO_EXTENSION, PROJ_EXTENSION, SAT_EXTENSION],
        "id": scene.scene_id,
        "geometry": None,
        "bbox": None,
        "properties": props,
        "links": [],
        "assets": assets_doc,
    }
    if ring is not None:
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        item["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    return item
