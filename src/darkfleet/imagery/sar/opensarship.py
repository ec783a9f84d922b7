"""The OpenSARShip dataset (Shanghai Jiao Tong University): Sentinel-1 ship chips matched to AIS.

Each scene is a zip holding ``Patch/`` (raw digital numbers) and ``Patch_Cal/`` (calibrated
sigma0, float32) chips named ``<Type>_x<col>_y<row>.tif`` after the ship centre in scene pixels,
plus the scene's SNAP metadata XML. Chips are read straight out of the zip with GDAL's
``/vsizip/``. Chip bands follow the scene's polarisation order (``mds1``, ``mds2``): VH then VV
for the 1SDV products here, VV alone for 1SSV; the calibrated VH band is an order of magnitude
darker over sea than VV, which confirms it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from darkfleet.imagery.sar.geocode import OffsetGeocoder
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.metadata import SceneMetadata, parse_snap_metadata, to_stac_item
from darkfleet.imagery.sar.readers import read_geotiff

CHIP_NAME = re.compile(r"^(?P<category>.+)_x(?P<x>\d+)_y(?P<y>\d+)\.tif$")
_POLS_FROM_PRODUCT = {"1SDV": ("VH", "VV"), "1SSV": ("VV",), "1SDH": ("HV", "HH"), "1SSH": ("HH",)}


@dataclass(frozen=True)
class ChipRef:
    """One chip inside a scene zip."""

    zip_path: Path
    member: str  # path inside the zip
    category: str  # OpenSARShip's ship type ("Cargo", "Tanker", "Other Type", ...)
    centre_col: int  # scene pixel x of the ship centre
    centre_row: int  # scene pixel y
    calibrated: bool

    @property
    def uri(self) -> str:
        return f"/vsizip/{self.zip_path}/{self.member}"


def list_chips(zip_path: str | Path, calibrated: bool = True) -> list[ChipRef]:
    """The chips of a scene zip (``Patch_Cal/`` when ``calibrated`` else ``Patch/``)."""
    folder = "Patch_Cal" if calibrated else "Patch"
    out = []
    with zipfile.ZipFile(zip_path) as z:
        for name in z.namelist():
            parts = name.split("/")
            if len(parts) < 2 or parts[-2] != folder:
                continue
            m = CHIP_NAME.match(parts[-1])
            if m:
                out.append(ChipRef(Path(zip_path), name, m["category"], int(m["x"]), int(m["y"]), calibrated))
    return sorted(out, key=lambda c: (c.centre_row, c.centre_col))


def read_scene_metadata(zip_path: str | Path) -> SceneMetadata:
    """The scene's SNAP metadata from inside its zip (the XML that is not ``Ship.xml``)."""
    with zipfile.ZipFile(zip_path) as z:
        xmls = [n for n in z.namelist() if n.endswith(".xml") and not n.endswith("Ship.xml")]
        if not xmls:
            raise FileNotFoundError(f"{zip_path}: no scene metadata XML inside the archive")
        meta = parse_snap_metadata(z.read(xmls[0]), source=f"{zip_path}!{xmls[0]}")
    if not meta.polarizations:
        # Some SNAP exports leave mds*_tx_rx_polar as "-": the product name says it.
        code = meta.product_id.split("_")[3] if meta.product_id.count("_") >= 3 else ""
        meta = replace(meta, polarizations=_POLS_FROM_PRODUCT.get(code, ()))
    return meta


def read_chip(
    chip: ChipRef,
    meta: SceneMetadata,
    band: str = "VV",
    incidence_deg: float | None = None,
) -> SarImage:
    """A chip as a :class:`SarImage` with the scene's ground pixel spacing and geocoding.

    Chips are centred on ``(centre_row, centre_col)``: the chip's pixel (h // 2, w // 2) is that
    scene pixel. SLC chips are in slant range, so their ground range spacing depends on the
    incidence angle (``incidence_deg``, e.g. ships.csv ``SAR_Incidence``).
    """
    row_m, col_m = meta.ground_spacing_m(incidence_deg)
    if incidence_deg is None and meta.incidence_near_deg and meta.incidence_far_deg:
        frac = chip.centre_col / max(meta.width_px - 1, 1)
        incidence_deg = meta.incidence_near_deg + frac * (meta.incidence_far_deg - meta.incidence_near_deg)
    img = read_geotiff(chip.uri, band=band, polarizations=meta.polarizations, pixel_spacing_m=(row_m, col_m))
    h, w = img.shape
    geocoder = OffsetGeocoder(meta.geocoder(), chip.centre_row - h // 2, chip.centre_col - w // 2)
    item = to_stac_item(meta, assets={"chip": chip.uri})
    return replace(img, geocoder=geocoder, item=item, incidence_deg=incidence_deg)


def iter_scene_zips(root: str | Path) -> Iterator[Path]:
    yield from sorted(Path(root).glob("S1*_*.zip"))


def read_ships_table(csv_path: str | Path) -> pl.DataFrame:
    """``ships.csv`` with typed columns and the fields darkfleet uses, in its units.

    Adds ``ais_ts`` (aware UTC), ``sar_ts`` (aware UTC, parsed from ``2015/8/23.22:12:45``),
    ``ais_cog_deg`` (the file stores tenths of a degree), ``ais_sog_kn`` (tenths of a knot: a
    ship reported at ``AIS_Sog`` 34 moved 293 m in the 171 s between its AIS and SAR times)
    and ``ais_heading_deg`` (null when AIS reports 511, "not available").
    """
    df = pl.read_csv(csv_path, infer_schema_length=0)
    f = pl.col
    return df.with_columns(
        f("SAR_Center_x").cast(pl.Int64),
        f("SAR_Center_y").cast(pl.Int64),
        f("SAR_Manual_Length").cast(pl.Float64),
        f("SAR_Incidence").cast(pl.Float64),
        f("SAR_Center_longitude").cast(pl.Float64),
        f("SAR_Center_latitude").cast(pl.Float64),
        f("AIS_MMSI").cast(pl.Int64),
        f("AIS_Length").cast(pl.Float64),
        f("AIS_Width").cast(pl.Float64),
        f("AIS_Sog").cast(pl.Float64),
        f("AIS_Longitude").cast(pl.Float64),
        f("AIS_Latitude").cast(pl.Float64),
        f("AIS_Time").cast(pl.Int64).mul(1_000_000).cast(pl.Datetime("us", "UTC")).alias("ais_ts"),
        f("SAR_Time_UTC")
        .str.strptime(pl.Datetime("us"), "%Y/%m/%d.%H:%M:%S")
        .dt.replace_time_zone("UTC")
        .alias("sar_ts"),
        (f("AIS_Cog").cast(pl.Float64) / 10.0).alias("ais_cog_deg"),
        (f("AIS_Sog").cast(pl.Float64) / 10.0).alias("ais_sog_kn"),
        pl.when(f("AIS_True_Head").cast(pl.Float64) < 360)
        .then(f("AIS_True_Head").cast(pl.Float64))
        .alias("ais_heading_deg"),
    )
