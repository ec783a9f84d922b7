"""The local engine: the kernels over the lake's day partitions, in-process, on all cores.

Pass 1 reads each day once (days in parallel) for what needs every vessel: the reception map
(gap rules) and positions shared by two MMSIs (cloned tracks). Pass 2 splits vessels into
``workers`` shards by MMSI; each shard walks the days in order, prepending to each day the rows
it carried over (:func:`darkfleet.engines.steps.carry_since`), so that a gap, visit or stop that
spans midnight (or many days) is found once and whole (:func:`~darkfleet.engines.steps.settle`).
Memory is bounded by one day of one shard plus the carried rows. Encounter grid points are
collected per shard and paired per day at the end (pairs only exist within one time slot).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from darkfleet.engines.steps import (
    POSITION_COLUMNS,
    Context,
    day_of_slot,
    finish_events,
    normalise,
    pair_step,
    reception_maps,
    reception_step,
    settle,
    shared_step,
    statics_frame,
    vessel_batch,
)
from darkfleet.events.encounters import GRID_SCHEMA
from darkfleet.events.schema import empty_events
from darkfleet.lake.store import Lake


@dataclass(frozen=True)
class LocalEngine:
    workers: int = 2

    def run(self, lake: Lake, ctx: Context, progress: Callable[[str], None] | None = None) -> pl.DataFrame:
        days = lake_days(lake, "positions")
        say = progress or (lambda _msg: None)
        with ThreadPoolExecutor(self.workers) as pool:
            first = list(pool.map(lambda d: _pass1(lake, d, ctx), days))
            partials = [p for p, _ in first]
            ctx = ctx.with_reception(reception_maps(pl.concat(partials) if partials else reception_step(
                _empty_positions(), ctx)))
            shared = pl.concat([s for _, s in first]) if first else shared_step(_empty_positions(), ctx)
            say(f"pass 1: {len(days)} days")
            shards = list(pool.map(lambda k: _shard(lake, days, k, self.workers, ctx), range(self.workers)))
        events = [e for e, _ in shards]
        grid = pl.concat([g for _, g in shards]) if shards else pl.DataFrame(schema=GRID_SCHEMA)
        step = ctx.config.encounters.grid_step_min
        grid = grid.with_columns(_day=day_of_slot(pl.col("slot"), step))
        pairs = pl.concat([pair_step(g.drop("_day"), ctx) for _, g in grid.group_by("_day", maintain_order=True)]
                          or [pair_step(pl.DataFrame(schema=GRID_SCHEMA), ctx)])
        statics = read_table(lake, "statics")
        return finish_events(events, pairs, shared, statics_frame(statics), ctx)


def lake_days(lake: Lake, table: str) -> list[str]:
    base = lake.root / table
    return sorted(p.name.removeprefix("day=") for p in base.glob("day=*") if any(p.glob("*.parquet")))


def read_day(lake: Lake, table: str, day: str, columns: list[str] | None = None,
             shard: tuple[int, int] | None = None) -> pl.DataFrame:
    files = sorted((lake.root / table / f"day={day}").glob("*.parquet"))
    lf = pl.scan_parquet(files, hive_partitioning=False)
    if columns:
        lf = lf.select(columns)
    if shard is not None:
        k, n = shard
        lf = lf.filter(pl.col("mmsi") % n == k)
    return lf.collect()


def read_table(lake: Lake, table: str) -> pl.DataFrame | None:
    files = sorted(Path(lake.root / table).glob("day=*/*.parquet"))
    return pl.scan_parquet(files, hive_partitioning=False).collect() if files else None


def _empty_positions() -> pl.DataFrame:
    from darkfleet.lake import schema

    return normalise(pl.from_arrow(schema.POSITIONS.empty_table()))  # type: ignore[arg-type]


def _pass1(lake: Lake, day: str, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = normalise(read_day(lake, "positions", day, POSITION_COLUMNS))
    return reception_step(rows, ctx), shared_step(rows, ctx)


def _shard(lake: Lake, days: list[str], k: int, n: int, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    carry = _empty_positions()
    prev: pl.DataFrame | None = None  # per MMSI: last row time (µs) of the batches so far
    events, grids = [], []
    for i, day in enumerate(days):
        rows = normalise(read_day(lake, "positions", day, POSITION_COLUMNS, (k, n)))
        batch = pl.concat([carry, rows]).sort("mmsi", "ts", "source", "line")
        if batch.height == 0:
            continue
        ev, grid, since = vessel_batch(batch, ctx)
        assert since is not None  # a non-empty batch always has a carry
        last = since.select("mmsi", pl.col("last").alias("t"))
        events.append(settle(ev, last, prev, final=i == len(days) - 1))
        grids.append(grid)
        carry = (batch.join(since.select("mmsi", "since"), on="mmsi")
                 .filter(pl.col("ts").dt.epoch("us") >= pl.col("since")).drop("since"))
        prev = last if prev is None else pl.concat([prev, last]).group_by("mmsi").agg(pl.col("t").max())
    grid = pl.concat(grids) if grids else pl.DataFrame(schema=GRID_SCHEMA)
    return (pl.concat(events) if events else empty_events()), grid
