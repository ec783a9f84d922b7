"""Events in the lake: ``<lake>/events/<kind>.parquet``, one file per event kind.

DuckDB reads them all with ``read_parquet('<lake>/events/*.parquet')`` (:func:`events_view_sql`
gives the view definition for :func:`darkfleet.lake.query.connect`'s ``extra_views``). A
``detect`` run replaces every kind's file (written to a temporary name, then renamed), and the
anchorages inferred from the stops go to ``<lake>/events/places/inferred_anchorages.parquet``
(a places table: name them and pass them back with ``--places``).

The rows cleaning removed or re-assigned (:mod:`darkfleet.tracks.clean`) go to
``<lake>/cleaned/cleaned_out.parquet`` (mmsi, ts, lon, lat, reason, segment, and the source row:
source, line), also replaced by every run, and are the DuckDB view ``cleaned_out``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from darkfleet.events.schema import EVENT_SCHEMA, KINDS, empty_events
from darkfleet.lake.store import Lake, write_parquet
from darkfleet.tracks.clean import OUT_SCHEMA


def events_dir(lake: Lake) -> Path:
    return lake.root / "events"


def events_glob(lake: Lake) -> str:
    return str(events_dir(lake) / "*.parquet")


def events_view_sql(lake: Lake) -> str:
    """``SELECT`` for a DuckDB ``events`` view (empty, with the columns, before any detect run)."""
    if not any(events_dir(lake).glob("*.parquet")):
        return _empty_select(EVENT_SCHEMA)
    return f"SELECT * FROM read_parquet('{events_glob(lake).replace(chr(39), chr(39) * 2)}')"


def _empty_select(schema: dict[str, pl.DataType]) -> str:
    cols = ", ".join(f"NULL::{_duck(t)} AS \"{c}\"" for c, t in schema.items())
    return f"SELECT {cols} WHERE false"


def cleaned_out_path(lake: Lake) -> Path:
    return lake.root / "cleaned" / "cleaned_out.parquet"


def write_cleaned_out(lake: Lake, rows: pl.DataFrame) -> Path:
    """Replace the lake's removed / re-assigned rows (an empty table too: a re-run that removes
    nothing leaves nothing behind)."""
    out = rows.select(list(OUT_SCHEMA)).cast(OUT_SCHEMA)  # type: ignore[arg-type]
    return write_parquet(out.sort("mmsi", "ts", "source", "line"), cleaned_out_path(lake))


def cleaned_out_counts(lake: Lake) -> dict[str, int]:
    """Rows per reason in the lake's ``cleaned_out``."""
    path = cleaned_out_path(lake)
    if not path.exists():
        return {}
    return dict(sorted(pl.scan_parquet(path).group_by("reason").len().collect().iter_rows()))


def cleaned_out_view_sql(lake: Lake) -> str:
    """``SELECT`` for the DuckDB ``cleaned_out`` view (empty before any detect run)."""
    path = cleaned_out_path(lake)
    if not path.exists():
        return _empty_select(OUT_SCHEMA)
    return f"SELECT * FROM read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"


def _duck(t: pl.DataType) -> str:
    if isinstance(t, pl.Datetime) or t is pl.Datetime:
        return "TIMESTAMPTZ"
    if isinstance(t, pl.List):
        return "VARCHAR[]"
    key: object = t if isinstance(t, type) else type(t)
    names: dict[object, str] = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE"}
    return names[key]


def write_events(lake: Lake, events: pl.DataFrame) -> dict[str, int]:
    """Replace the lake's events; returns the count per kind written."""
    d = events_dir(lake)
    d.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind in KINDS:
        part = events.filter(pl.col("kind") == kind).select(list(EVENT_SCHEMA)).sort("mmsi", "start", "id")
        path = d / f"{kind}.parquet"
        if part.height == 0:
            path.unlink(missing_ok=True)
            continue
        write_parquet(part, path)
        counts[kind] = part.height
    return counts


def anchorages_path(lake: Lake) -> Path:
    """Inferred anchorages (a places table) beside the events, outside the events glob."""
    return events_dir(lake) / "places" / "inferred_anchorages.parquet"


def write_anchorages(lake: Lake, anchorages: pl.DataFrame) -> Path:
    return write_parquet(anchorages, anchorages_path(lake))


def read_events(lake: Lake, kinds: list[str] | None = None, mmsi: list[int] | None = None) -> pl.DataFrame:
    files = sorted(events_dir(lake).glob("*.parquet"))
    if not files:
        return empty_events()
    lf = pl.scan_parquet(files)
    if kinds:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown event kind(s) {unknown}; expected some of {list(KINDS)}")
        lf = lf.filter(pl.col("kind").is_in(kinds))
    if mmsi:
        lf = lf.filter(pl.col("mmsi").is_in(mmsi) | pl.col("other_mmsi").is_in(mmsi))
    return lf.collect().sort("start", "kind", "mmsi", "id")
