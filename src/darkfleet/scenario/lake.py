"""Write a generated world into a lake (day partitions, rows sorted by vessel then time)."""

from __future__ import annotations

import polars as pl

from darkfleet.lake import schema
from darkfleet.lake.store import Lake
from darkfleet.scenario.world import World


def write_world(world: World, lake: Lake) -> dict[str, int]:
    """Positions and statics of ``world`` into ``lake`` (one file per day and table); returns rows written."""
    written = {}
    for table, df, arrow_schema in (("positions", world.positions, schema.POSITIONS),
                                    ("statics", world.statics, schema.STATICS)):
        days = df.with_columns(_day=pl.col("ts").dt.strftime("%Y-%m-%d"))
        for (day,), part in days.group_by("_day", maintain_order=True):
            rows = part.drop("_day").sort("mmsi", "ts").to_arrow().cast(arrow_schema)
            lake.write_file(table, str(day), f"part-scenario-{world.params.seed}.parquet", rows)
        written[table] = df.height
    return written
