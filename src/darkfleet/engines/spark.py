"""The Spark engine: the same kernels, moved by PySpark.

Every stage is ``groupBy(key).applyInArrow(kernel)`` over the lake's Parquet (no pandas):

* per-vessel kernels (cleaning, detectors, reception partials, encounter grid points): grouped
  by ``mmsi % vessel_groups`` (a group holds whole vessel histories, so nothing spans a
  partition boundary, and the kernels work on many vessels per call, as they are meant to);
* positions shared by two MMSIs: grouped by UTC day (a time bucket never spans days);
* encounter pairing: grid points grouped by the day of their slot.

Small final stages (combining reception partials, gap reasons, encounter runs, clone pairs,
identity changes from statics) run on the driver with the same functions the local engine uses. ``master`` is
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
    RECEPTION_SCHEMA,
    SORT,
    Context,
    Detection,
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
from darkfleet.events.gaps import CANDIDATE_SCHEMA
from darkfleet.events.schema import EVENT_SCHEMA
from darkfleet.events.spoofing import PARTIAL_SCHEMA as SPOOF_PARTIAL_SCHEMA
from darkfleet.events.spoofing import SHARED_SCHEMA
from darkfleet.lake.store import Lake
from darkfleet.tracks.clean import OUT_SCHEMA


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
    vessel_groups: int = 16  # vessels are grouped by mmsi % vessel_groups for the per-vessel kernels

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
        return self.detect(lake, ctx, progress).events

    def detect(self, lake: Lake, ctx: Context, progress: Callable[[str], None] | None = None) -> Detection:
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
        shared_s = arrow_schema(SHARED_SCHEMA)
        shared = collect(pos.withColumn("_day", F.to_date("ts")).groupBy("_day").applyInArrow(
            _kernel(lambda d: shared_step(normalise(d.drop("_day")), shared_ctx.value), shared_s),
            spark_ddl(shared_s)))
        # per vessel: groups of whole vessel histories (many vessels per group: the kernels are columnar)
        out_s = arrow_schema(VESSEL_SCHEMA)
        groups = pos.groupBy((F.col("mmsi") % self.vessel_groups).alias("_g"))
        out = groups.applyInArrow(_kernel(lambda d: _vessel_parts(d.drop("_g", strict=False), shared_ctx.value),
                                          out_s), spark_ddl(out_s)).cache()
        part = {k: collect(out.filter(F.col("_part") == k).select(*[F.col(f"{k}__{c}").alias(c) for c in schema]))
                .cast(schema) for k, schema in PARTS.items() if k != "grid"}  # type: ignore[arg-type]
        say("per-vessel detectors")
        ctx = ctx.with_reception(reception_maps(part["rec"], ctx))
        grid = out.filter(F.col("_part") == "grid").select(*[F.col(f"grid__{k}").alias(k) for k in GRID_SCHEMA])
        step_s = ctx.config.encounters.grid_step_min * 60
        pair_s = arrow_schema(PAIR_SCHEMA)
        pairs = collect(grid.withColumn("_day", F.floor(F.col("slot") * step_s / 86400)).groupBy("_day").applyInArrow(
            _kernel(lambda d: pair_step(d.drop("_day"), shared_ctx.value), pair_s), spark_ddl(pair_s)))
        out.unpersist()
        statics = (collect(spark.read.parquet(str(lake.root / "statics")).drop("day"))
                   if lake.table_glob("statics") else None)
        events = finish_events([part["event"]], part["gap"], part["spoof"], pairs.cast(PAIR_SCHEMA),  # type: ignore[arg-type]
                               shared.cast(SHARED_SCHEMA), statics_frame(_utc(statics)), ctx)  # type: ignore[arg-type]
        return Detection.of(events, [part["out"]])


# per-vessel output: every kind of result in one table, told apart by ``_part``, columns ``<part>__<name>``
PARTS: dict[str, dict[str, Any]] = {"event": EVENT_SCHEMA, "gap": CANDIDATE_SCHEMA, "spoof": SPOOF_PARTIAL_SCHEMA,
                                    "grid": GRID_SCHEMA, "out": OUT_SCHEMA, "rec": RECEPTION_SCHEMA}
VESSEL_SCHEMA = {"_part": pl.String, **{f"{k}__{c}": t for k, schema in PARTS.items() for c, t in schema.items()}}


def _vessel_parts(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    rows = normalise(d).sort(SORT)
    res = vessel_step(rows, ctx)
    found = {"event": res.events, "gap": res.gaps, "spoof": res.spoofing, "grid": res.grid, "out": res.cleaned_out,
             "rec": reception_step(rows, ctx)}
    return pl.concat([found[k].select(list(schema)).rename({c: f"{k}__{c}" for c in schema})
                      .with_columns(_part=pl.lit(k)) for k, schema in PARTS.items()],
                     how="diagonal_relaxed").select(list(VESSEL_SCHEMA)).cast(VESSEL_SCHEMA)  # type: ignore[arg-type]


def _utc(df: pl.DataFrame | None) -> pl.DataFrame | None:
    if df is None:
        return None
    return df.with_columns(pl.col("ts").dt.convert_time_zone("UTC"))
