"""The common event table every detector returns, and helpers to build it.

Columns (``EVENT_SCHEMA``): ``id`` (16 hex digits of the SHA-256 of kind, detector, mmsi,
other_mmsi, start, end, place and any defining attribute: a re-run gives the same ids),
``kind``, ``mmsi``, ``other_mmsi``
(encounters, cloned positions), ``start``, ``end`` (UTC), ``lon``/``lat`` (where it starts),
``end_lon``/``end_lat``, ``place_id``, ``attributes`` (JSON object, units in the key names),
``detector`` (``name/version``), ``params`` (JSON of the frozen parameter dataclass) and
``source_rows`` (``<source>:<line>`` of the lake rows it rests on).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import polars as pl

KINDS = ("gap", "port_visit", "stop", "encounter", "loitering", "spoofing", "identity_change")
TS = pl.Datetime("us", "UTC")

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(), "kind": pl.String(), "mmsi": pl.Int64(), "other_mmsi": pl.Int64(),
    "start": TS, "end": TS, "lon": pl.Float64(), "lat": pl.Float64(),
    "end_lon": pl.Float64(), "end_lat": pl.Float64(), "place_id": pl.String(),
    "attributes": pl.String(), "detector": pl.String(), "params": pl.String(),
    "source_rows": pl.List(pl.String()),
}


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def params_json(params: Any) -> str:
    return json.dumps(dataclasses.asdict(params), sort_keys=True)


def row_ref() -> pl.Expr:
    """``<source>:<line>`` of a lake row (the provenance of an event)."""
    return pl.concat_str([pl.col("source"), pl.col("line").cast(pl.String)], separator=":")


def event_ids(df: pl.DataFrame, extra: pl.Series | None = None) -> pl.Series:
    keys = df.with_columns(_extra=extra if extra is not None else pl.lit("")).select(
        pl.concat_str(
            [pl.col("kind"), pl.col("detector"), pl.col("mmsi").cast(pl.String),
             pl.col("other_mmsi").cast(pl.String).fill_null(""),
             pl.col("start").dt.epoch("us").cast(pl.String), pl.col("end").dt.epoch("us").cast(pl.String),
             pl.col("place_id").fill_null(""), pl.col("_extra").fill_null("")],
            separator="|",
        )
    ).to_series()
    # One hash per event (events are few next to positions): stable across Polars versions.
    return pl.Series("id", [hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys], dtype=pl.String)


def finish(df: pl.DataFrame, kind: str, detector: str, params: Any, attributes: list[str],
           id_fields: tuple[str, ...] = ()) -> pl.DataFrame:
    """Shape a detector's output into the common schema.

    ``df`` must hold mmsi, start, end, lon, lat, end_lon, end_lat, source_rows and the
    ``attributes`` columns; optional other_mmsi and place_id. ``id_fields``: attribute columns
    that also define the event (e.g. which identity field changed), hashed into its id.
    """
    if df.height == 0:
        return empty_events()
    cols = set(df.columns)
    out = df.select(
        pl.lit(kind).alias("kind"),
        pl.col("mmsi").cast(pl.Int64),
        (pl.col("other_mmsi") if "other_mmsi" in cols else pl.lit(None)).cast(pl.Int64).alias("other_mmsi"),
        pl.col("start").cast(TS), pl.col("end").cast(TS),
        pl.col("lon").cast(pl.Float64), pl.col("lat").cast(pl.Float64),
        pl.col("end_lon").cast(pl.Float64), pl.col("end_lat").cast(pl.Float64),
        (pl.col("place_id") if "place_id" in cols else pl.lit(None)).cast(pl.String).alias("place_id"),
        (pl.struct(attributes).struct.json_encode() if attributes else pl.lit("{}")).alias("attributes"),
        pl.lit(detector).alias("detector"),
        pl.lit(params_json(params)).alias("params"),
        pl.col("source_rows").cast(pl.List(pl.String)),
    )
    extra = (df.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in id_fields], separator="|"))
             .to_series() if id_fields else None)
    out = out.with_columns(event_ids(out, extra))
    return out.select(list(EVENT_SCHEMA)).sort(["mmsi", "start", "id"])
