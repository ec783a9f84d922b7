"""The Spark engine: the same kernels, moved by PySpark.

Every stage is ``groupBy(key).applyInArrow(kernel)`` over the lake's Parquet (no pandas):

* reception partials and per-vessel detectors: grouped by MMSI (a group is one vessel's whole
  history, so nothing spans a partition boundary);
* positions shared by two MMSIs: grouped by UTC day (a time bucket never spans days);
* encounter pairing: grid points grouped by the day of their slot.

Small final stages (combining reception partials, encounter runs, clone pairs, identity changes
from statics) run on the driver with the same functions the local engine uses. ``master`` is
``local[2]`` in tests; give a cluster URL (``spark://host:7077``) for real data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from darkfleet.engines.steps import (
    POSITION_COLUMNS,
    Context,
    finish_events,
    normalise,
    pair_step,
    reception_maps,
    reception_step,
    shared_step,
    statics_frame,
    vessel_step,
)
from darkfleet.events.encounters import GRID_SCHEMA, PAIR_SCHEMA
from darkfleet.events.schema import EVENT_SCHEMA
from darkfleet.events.spoofing import SHARED_SCHEMA
from darkfleet.lake.store import Lake

PARTIAL_SCHEMA = {"cx": pl.Int32, "cy": pl.Int32, "day": pl.Date, "mmsi": pl.Int64, "positions": pl.Int64,
                  "observed_s": pl.Float64, "grid": pl.String}


def arrow_schema(polars_schema: dict[str, Any]) -> pa.Schema:
    """The Arrow schema Spark expects back (plain strings, UTC microsecond times)."""
    empty = pl.DataFrame(schema=polars_schema).to_arrow()
    fields = []
    for f in empty.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_large_list(t) or pa.types.is_list_view(t):
            t = pa.list_(pa.string())
        fields.append(pa.field(f.name, t))
    return pa.schema(fields)


def spark_ddl(schema: pa.Schema) -> str:
    names = {pa.string(): "string", pa.int64(): "bigint", pa.int32(): "int", pa.float64(): "double",
             pa.float32(): "float", pa.date32(): "date", pa.list_(pa.string()): "array<string>"}
    cols = []
    for f in schema:
        ddl = "timestamp" if pa.types.is_timestamp(f.type) else names[f.type]
        cols.append(f"`{f.name}` {ddl}")
    return ", ".join(cols)


def _kernel(fn: Callable[[pl.DataFrame], pl.DataFrame], out: pa.Schema) -> Callable[[pa.Table], pa.Table]:
    def run(table: pa.Table) -> pa.Table:
        df = fn(pl.from_arrow(table))  # type: ignore[arg-type]
        return df.to_arrow().cast(out)

    return run


@dataclass(frozen=True)
class SparkEngine:
    master: str = "local[2]"
    shuffle_partitions: int = 4

    def session(self) -> Any:
        from pyspark.sql import SparkSession

        # workers run this interpreter (the one with darkfleet, Polars and PyArrow installed)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        return (SparkSession.builder.master(self.master).appName("darkfleet")
                .config("spark.pyspark.python", sys.executable)
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", str(self.shuffle_partitions))
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .getOrCreate())

    def run(self, lake: Lake, ctx: Context, progress: Callable[[str], None] | None = None) -> pl.DataFrame:
        from pyspark.sql import functions as F  # noqa: N812

        say = progress or (lambda _msg: None)
        spark = self.session()
        spark.sparkContext.setLogLevel("ERROR")
        if lake.table_glob("positions") is None:
            raise FileNotFoundError(f"{lake.root}: the lake has no positions")
        pos = spark.read.parquet(str(lake.root / "positions")).select(*POSITION_COLUMNS)

        def collect(df: Any) -> pl.DataFrame:
            return pl.from_arrow(df.toArrow())  # type: ignore[return-value]

        # the rasters and places go to each worker once, not with every task
        shared_ctx = spark.sparkContext.broadcast(ctx)
        part_s = arrow_schema(PARTIAL_SCHEMA)
        partials = collect(pos.groupBy("mmsi").applyInArrow(
            _kernel(lambda d: reception_step(normalise(d), shared_ctx.value), part_s), spark_ddl(part_s)))
        ctx = ctx.with_reception(reception_maps(partials.cast(PARTIAL_SCHEMA)))  # type: ignore[arg-type]
        shared_ctx = spark.sparkContext.broadcast(ctx)
        say("reception map")
        shared_s = arrow_schema(SHARED_SCHEMA)
        shared = collect(pos.withColumn("_day", F.to_date("ts")).groupBy("_day").applyInArrow(
            _kernel(lambda d: shared_step(normalise(d.drop("_day")), shared_ctx.value), shared_s),
            spark_ddl(shared_s)))
        both_s = arrow_schema(BOTH_SCHEMA)
        both = pos.groupBy("mmsi").applyInArrow(
            _kernel(lambda d: _vessel_both(d, shared_ctx.value), both_s), spark_ddl(both_s)).cache()
        events = collect(both.filter(F.col("_part") == "event"))
        say("per-vessel detectors")
        grid = both.filter(F.col("_part") == "grid").select(*[F.col(f"g_{k}").alias(k) for k in GRID_SCHEMA])
        step_s = ctx.config.encounters.grid_step_min * 60
        pair_s = arrow_schema(PAIR_SCHEMA)
        pairs = collect(grid.withColumn("_day", F.floor(F.col("slot") * step_s / 86400)).groupBy("_day").applyInArrow(
            _kernel(lambda d: pair_step(d.drop("_day"), shared_ctx.value), pair_s), spark_ddl(pair_s)))
        both.unpersist()
        statics = (collect(spark.read.parquet(str(lake.root / "statics")).drop("day"))
                   if lake.table_glob("statics") else None)
        return finish_events([_as_events(events)], pairs.cast(PAIR_SCHEMA),  # type: ignore[arg-type]
                             shared.cast(SHARED_SCHEMA), statics_frame(_utc(statics)), ctx)  # type: ignore[arg-type]


# per-vessel output: events and encounter grid points in one table, told apart by ``_part``
BOTH_SCHEMA = {"_part": pl.String, **EVENT_SCHEMA, **{f"g_{k}": v for k, v in GRID_SCHEMA.items()}}


def _vessel_both(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    events, grid = vessel_step(normalise(d).sort("mmsi", "ts", "source", "line"), ctx)
    return pl.concat([events.with_columns(_part=pl.lit("event")),
                      grid.rename({k: f"g_{k}" for k in GRID_SCHEMA}).with_columns(_part=pl.lit("grid"))],
                     how="diagonal_relaxed").select(list(BOTH_SCHEMA)).cast(BOTH_SCHEMA)  # type: ignore[arg-type]


def _as_events(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)  # type: ignore[arg-type]


def _utc(df: pl.DataFrame | None) -> pl.DataFrame | None:
    if df is None:
        return None
    return df.with_columns(pl.col("ts").dt.convert_time_zone("UTC"))
