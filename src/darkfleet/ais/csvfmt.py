"""Decoded AIS exports in CSV: NOAA MarineCadastre, Danish Maritime Authority, and any other
CSV through a column mapping.

A mapping names, for each darkfleet column, the CSV column that holds it
(``mmsi=vessel,ts=time,lon=x,lat=y``). Known exports are recognised from their header.
Times are parsed with a strftime format when one is given; otherwise ISO 8601 and Unix
seconds are recognised. Naive times are UTC unless a time zone is named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from darkfleet.ais.decode import Batch
from darkfleet.lake import schema

# darkfleet column -> what it holds; the left side of a --map entry.
FIELDS = {
    "mmsi": "MMSI (required)",
    "ts": "time of the report (required)",
    "lon": "longitude, WGS84 degrees (required)",
    "lat": "latitude, WGS84 degrees (required)",
    "sog_kn": "speed over ground, knots",
    "cog_deg": "course over ground, degrees",
    "heading_deg": "true heading, degrees",
    "nav_status": "navigational status code (0-15)",
    "name": "vessel name",
    "imo": "IMO number",
    "callsign": "call sign",
    "ship_type": "ship type code (0-99)",
    "length_m": "length, metres",
    "width_m": "beam, metres",
    "draught_m": "draught, metres",
    "destination": "destination",
    "flag": "flag state, as a name or an ISO code",
}
REQUIRED = ("mmsi", "ts", "lon", "lat")


@dataclass(frozen=True)
class CsvFormat:
    name: str
    columns: dict[str, str]  # darkfleet column -> CSV column
    time_format: str | None = None
    tz: str = "UTC"
    null_values: tuple[str, ...] = field(default=("", "Unknown", "Undefined", "NA", "N/A"))

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED if c not in self.columns]
        if missing:
            raise ValueError(f"CSV mapping {self.name!r} lacks required column(s): {', '.join(missing)}")
        unknown = [c for c in self.columns if c not in FIELDS]
        if unknown:
            raise ValueError(
                f"CSV mapping {self.name!r} names unknown darkfleet column(s) {', '.join(unknown)}; "
                f"known: {', '.join(FIELDS)}"
            )


NOAA = CsvFormat(
    "noaa-marinecadastre",
    {"mmsi": "MMSI", "ts": "BaseDateTime", "lat": "LAT", "lon": "LON", "sog_kn": "SOG",
     "cog_deg": "COG", "heading_deg": "Heading", "name": "VesselName", "imo": "IMO",
     "callsign": "CallSign", "ship_type": "VesselType", "nav_status": "Status",
     "length_m": "Length", "width_m": "Width", "draught_m": "Draft"},
)
DMA = CsvFormat(
    "dma",
    {"mmsi": "MMSI", "ts": "# Timestamp", "lat": "Latitude", "lon": "Longitude", "sog_kn": "SOG",
     "cog_deg": "COG", "heading_deg": "Heading", "name": "Name", "imo": "IMO",
     "callsign": "Callsign", "length_m": "Length", "width_m": "Width", "draught_m": "Draught",
     "destination": "Destination"},
    time_format="%d/%m/%Y %H:%M:%S",
)
# The NARI maritime dataset (Brest, 2015-2016; Ray et al., Zenodo 1167595): Unix-second times.
NARI = CsvFormat(
    "nari",
    {"mmsi": "sourcemmsi", "ts": "t", "lon": "lon", "lat": "lat", "sog_kn": "speedoverground",
     "cog_deg": "courseoverground", "heading_deg": "trueheading", "nav_status": "navigationalstatus"},
)
KNOWN = (NOAA, DMA, NARI)


def parse_mapping(spec: str) -> dict[str, str]:
    """``mmsi=vessel,ts=time,...`` -> {darkfleet column: CSV column}."""
    out: dict[str, str] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ValueError(f"--map entry {item!r} is not of the form darkfleet_column=csv_column")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def load_mapping_file(path: Path) -> CsvFormat:
    """A TOML file with a ``[columns]`` table and optional ``time_format`` and ``tz``."""
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    if "columns" not in doc:
        raise ValueError(f"{path}: a CSV mapping file needs a [columns] table")
    return CsvFormat(path.stem, dict(doc["columns"]), doc.get("time_format"), doc.get("tz", "UTC"))


def detect(header: list[str]) -> CsvFormat | None:
    """The known export whose columns all appear in ``header``."""
    names = set(header)
    for fmt in KNOWN:
        if all(c in names for c in fmt.columns.values()):
            return fmt
    return None


def parse_times(col: pl.Expr, fmt: CsvFormat) -> pl.Expr:
    """Times as timestamp[us, UTC]; null where the text is not a time."""
    text = col.str.strip_chars()
    if fmt.time_format:
        naive = text.str.to_datetime(fmt.time_format, strict=False, time_unit="us")
    else:
        seconds = text.cast(pl.Float64, strict=False)
        from_unix = pl.from_epoch((seconds * 1_000_000).cast(pl.Int64, strict=False), time_unit="us")
        iso = text.str.replace(r"Z$", "").str.to_datetime(strict=False, time_unit="us")
        naive = pl.when(text.str.contains(r"^\d+(\.\d*)?$")).then(from_unix).otherwise(iso)
    return naive.dt.replace_time_zone(fmt.tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _num(col: str | None, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    if col is None:
        return pl.lit(None, dtype=dtype)
    return pl.col(col).str.strip_chars().cast(pl.Float64, strict=False).cast(dtype, strict=False)


def _text(col: str | None) -> pl.Expr:
    if col is None:
        return pl.lit(None, dtype=pl.String)
    t = pl.col(col).str.strip_chars()
    return pl.when(t == "").then(None).otherwise(t)


def decode_frame(df: pl.DataFrame, fmt: CsvFormat, source: str, first_line: int) -> Batch:
    """Rows of a CSV export (all columns as text) -> positions, statics and rejects."""
    c = fmt.columns
    missing = [v for v in c.values() if v not in df.columns]
    if missing:
        raise ValueError(f"CSV has no column(s) {', '.join(map(repr, missing))} named by mapping {fmt.name!r}")
    df = df.with_columns(
        pl.Series("_line", range(first_line, first_line + df.height), dtype=pl.Int64),
        pl.concat_str([pl.col(x).fill_null("") for x in df.columns], separator=",").alias("_text"),
    )
    imo_text = _text(c.get("imo"))
    rows = df.select(
        pl.col("_line").alias("line"),
        pl.col("_text").alias("text"),
        _num(c["mmsi"], pl.Int64).alias("mmsi"),
        parse_times(pl.col(c["ts"]), fmt).alias("ts"),
        _num(c["lon"], pl.Float64).alias("lon"),
        _num(c["lat"], pl.Float64).alias("lat"),
        _num(c.get("sog_kn"), pl.Float32).alias("sog_kn"),
        _num(c.get("cog_deg"), pl.Float32).alias("cog_deg"),
        _num(c.get("heading_deg"), pl.Int16).alias("heading_deg"),
        _num(c.get("nav_status"), pl.Int8).alias("nav_status"),
        _text(c.get("name")).alias("name"),
        imo_text.str.extract(r"(\d{7})$").cast(pl.Int64, strict=False).alias("imo"),
        _text(c.get("callsign")).alias("callsign"),
        _num(c.get("ship_type"), pl.Int16).alias("ship_type"),
        _num(c.get("length_m"), pl.Int16).alias("length_m"),
        _num(c.get("width_m"), pl.Int16).alias("width_m"),
        _num(c.get("draught_m"), pl.Float32).alias("draught_m"),
        _text(c.get("destination")).alias("destination"),
        _text(c.get("flag")).alias("flag"),
    ).with_columns(
        # AIS "not available" values, as in the raw messages.
        pl.when(pl.col("heading_deg") == 511).then(None).otherwise(pl.col("heading_deg")).alias("heading_deg"),
        pl.when(pl.col("cog_deg") >= 360).then(None).otherwise(pl.col("cog_deg")).alias("cog_deg"),
        pl.when(pl.col("sog_kn") >= 102.3).then(None).otherwise(pl.col("sog_kn")).alias("sog_kn"),
        *[pl.when(pl.col(x) > 0).then(pl.col(x)).alias(x) for x in ("length_m", "width_m", "draught_m")],
    )
    reason = (
        pl.when(pl.col("mmsi").is_null()).then(pl.lit(f"bad or missing MMSI (column {c['mmsi']!r})"))
        .when(pl.col("ts").is_null()).then(pl.lit(f"bad or missing time (column {c['ts']!r})"))
        .when(pl.col("lon").is_null() | pl.col("lat").is_null()).then(pl.lit("missing position"))
        .when((pl.col("lon") == 181) | (pl.col("lat") == 91)).then(pl.lit("position not available (lon 181 / lat 91)"))
        .when((pl.col("lon").abs() > 180) | (pl.col("lat").abs() > 90)).then(pl.lit("position out of range"))
        .otherwise(None)
    )
    rows = rows.with_columns(reason.alias("reason"))
    good = rows.filter(pl.col("reason").is_null())
    bad = rows.filter(pl.col("reason").is_not_null())
    batch = Batch(read=df.height)
    prov = [pl.lit(source).alias("source"), pl.col("line"), pl.lit(None, dtype=pl.String).alias("station")]
    positions = good.select(
        "mmsi", "ts", pl.lit(0, dtype=pl.Int8).alias("msg_type"), "lon", "lat", "sog_kn", "cog_deg",
        "heading_deg", "nav_status", pl.lit(None, dtype=pl.Int16).alias("rot_raw"),
        pl.lit(None, dtype=pl.Boolean).alias("accuracy"), pl.lit(None, dtype=pl.Int8).alias("utc_second"),
        *prov,
    )
    batch.tables["positions"] = _to_arrow(positions, schema.POSITIONS)
    static_cols = ["name", "imo", "callsign", "ship_type", "length_m", "width_m", "draught_m", "destination", "flag"]
    # One statics row where a vessel's identity first appears or changes, not one per report.
    statics = (
        good.filter(pl.any_horizontal([pl.col(x).is_not_null() for x in static_cols]))
        .sort("mmsi", "ts")
        .filter(pl.any_horizontal([pl.col(x).ne_missing(pl.col(x).shift(1).over("mmsi")) for x in static_cols])
                | (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True))
    )
    if statics.height:
        batch.tables["statics"] = _to_arrow(
            statics.select("mmsi", "ts", pl.lit(0, dtype=pl.Int8).alias("msg_type"), *static_cols, *prov),
            schema.STATICS,
        )
    batch.accepted["positions"] = good.height
    for line, text, why in bad.select("line", "text", "reason").iter_rows():
        batch.reject(line, text, why)
    return batch


def _to_arrow(df: pl.DataFrame, target: pa.Schema) -> pa.Table:
    t = df.to_arrow()
    cols = [t[f.name].cast(f.type) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
            for f in target]
    return pa.Table.from_arrays(cols, schema=target)
