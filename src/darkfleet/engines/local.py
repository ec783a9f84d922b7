"""The local engine: the kernels over the lake's day partitions, in-process, on all cores.

One pass over the days in order reads each day once (only the columns the kernels use, the next
day read while this one is worked on). The day's rows are split by MMSI into ``workers`` shards
worked on in parallel threads (NumPy and Polars release the GIL); each shard prepends the rows
it carried over from earlier days (:func:`darkfleet.engines.steps.carry_since`), so that a gap,
visit or stop that spans midnight (or many days) is found once and whole
(:func:`~darkfleet.engines.steps.settle`). Reception partials are summed per shard and day;
positions shared by two MMSIs (cloned tracks) are found on each whole day; gap reasons,
encounter pairs and identity changes are worked out at the end, once all of it is known.

With cleaning on, a first pass counts the segments' sizes in the same way (carrying the fixes
the next day's fixes may link to), because whether a short segment is an outlier depends on all
of its MMSI's data (:mod:`darkfleet.tracks.clean`). Memory is bounded by a day of data plus the
carried rows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from darkfleet.engines.steps import (
    POSITION_COLUMNS,
    SINCE_SCHEMA,
    Context,
    Detection,
    carry_rows,
    day_of_slot,
    earlier_times,
    finish_events,
    normalise,
    pair_step,
    reception_maps,
    reception_step,
    segment_step,
    settle,
    shared_step,
    statics_frame,
    vessel_batch,
)
from darkfleet.events.encounters import GRID_SCHEMA
from darkfleet.events.gaps import CANDIDATE_SCHEMA
from darkfleet.events.kernels import order_ties
from darkfleet.events.spoofing import PARTIAL_SCHEMA as SPOOF_PARTIAL_SCHEMA
from darkfleet.events.spoofing import SHARED_SCHEMA
from darkfleet.lake.store import Lake
from darkfleet.tracks.clean import SIZE_SCHEMA, segment_table


@dataclass(frozen=True)
class LocalEngine:
    """``workers`` threads; each day is cut by MMSI into shards of about ``shard_rows`` rows (at
    least one per worker). Smaller batches are cheaper per row: on the 50M-position benchmark, a
    5M-row day worked as one batch cost about 15 % more CPU than in shards of 0.5–1M rows, and
    shards of 0.1–0.25M rows cost more again (per-batch overhead)."""

    workers: int = 2
    shard_rows: int = 500_000

    def run(self, lake: Lake, ctx: Context, progress: Callable[[str], None] | None = None) -> pl.DataFrame:
        return self.detect(lake, ctx, progress).events

    def detect(self, lake: Lake, ctx: Context, progress: Callable[[str], None] | None = None) -> Detection:
        days = lake_days(lake, "positions")
        say = progress or (lambda _msg: None)
        n = max(self.workers, 1)
        with ThreadPoolExecutor(n) as pool:
            # A process's first call of a compiled loop loads Numba's target context (about 0.45 s,
            # holding the GIL): done here, it overlaps the first day's read.
            pool.submit(order_ties, np.zeros(1, np.int64), np.zeros(1, np.int64))
            if ctx.segmenting:
                sizes = _walk(lake, days, n, self.shard_rows, pool, ctx, _SizeShard)
                ctx = ctx.with_segments(segment_table(pl.concat([s.sizes for s in sizes]), ctx.config.clean))
                say(f"segments: {ctx.segments.height if ctx.segments is not None else 0:,}")
            shards = _walk(lake, days, n, self.shard_rows, pool, ctx, _DetectShard, say)
            grid = pl.concat([g for s in shards for g in s.grids] or [pl.DataFrame(schema=GRID_SCHEMA)])
            grid = grid.with_columns(_day=day_of_slot(pl.col("slot"), ctx.config.encounters.grid_step_min))
            by_day = [g.drop("_day") for _, g in grid.group_by("_day", maintain_order=True)]
            pairs = pl.concat(list(pool.map(lambda g: pair_step(g, ctx), by_day))  # pairs exist within a slot
                              or [pair_step(pl.DataFrame(schema=GRID_SCHEMA), ctx)])
        partials = pl.concat([p for s in shards for p in s.reception] or [reception_step(_empty_positions(), ctx)])
        ctx = ctx.with_reception(reception_maps(partials, ctx))
        shared = pl.concat([s for sh in shards for s in sh.shared] or [pl.DataFrame(schema=SHARED_SCHEMA)])
        gaps = pl.concat([g for s in shards for g in s.gaps] or [pl.DataFrame(schema=CANDIDATE_SCHEMA)])
        spoofing = pl.concat([p for s in shards for p in s.spoofing] or [pl.DataFrame(schema=SPOOF_PARTIAL_SCHEMA)])
        statics = statics_frame(read_table(lake, "statics")) if ctx.wants("identity_change") else pl.DataFrame()
        events = finish_events([e for s in shards for e in s.events], gaps, spoofing, pairs, shared, statics, ctx)
        return Detection.of(events, [o for s in shards for o in s.cleaned_out])


@dataclass
class _Shard:
    """One shard's state while walking the days: the rows carried over and what it found."""

    ctx: Context
    carry: pl.DataFrame | None = None

    def batch(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
        """The day's rows with the carried ones merged in, and which rows were carried."""
        # which rows were carried matters to the cleaning's counts (each row counted once)
        mark = self.ctx.segmenting
        day = rows.with_columns(_carried=pl.lit(False)) if mark else rows
        if self.carry is None or self.carry.height == 0:
            return day, np.zeros(day.height, bool)
        carry = self.carry.with_columns(_carried=pl.lit(True)) if mark else self.carry
        # one chunk per column: a gather over several chunks costs about twice as much
        both = pl.concat([carry, day], how="diagonal_relaxed", rechunk=True)
        order = merge_order(carry["mmsi"].to_numpy(), day["mmsi"].to_numpy())
        return both.gather(pl.Series(order, dtype=pl.UInt32)), order < carry.height

    def step(self, rows: pl.DataFrame, final: bool) -> None:
        raise NotImplementedError


@dataclass
class _SizeShard(_Shard):
    """First pass (cleaning on): segment sizes."""

    sizes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SIZE_SCHEMA))

    def step(self, rows: pl.DataFrame, final: bool) -> None:
        batch, _ = self.batch(rows)
        sizes, with_seg, since = segment_step(batch, self.ctx)
        self.sizes = pl.concat([self.sizes, sizes]).group_by("mmsi", "seg_id").agg(pl.col("positions").sum())
        self.carry = carry_rows(with_seg.drop("_carried"), since)


@dataclass
class _DetectShard(_Shard):
    """Second pass: the per-vessel kernels, settled batch by batch."""

    prev: pl.DataFrame | None = None  # per MMSI: last row time (µs) of the batches so far
    earlier: pl.DataFrame | None = None  # times of fixes before the carried rows (steps.earlier_times)
    events: list[pl.DataFrame] = field(default_factory=list)
    gaps: list[pl.DataFrame] = field(default_factory=list)
    spoofing: list[pl.DataFrame] = field(default_factory=list)
    grids: list[pl.DataFrame] = field(default_factory=list)
    cleaned_out: list[pl.DataFrame] = field(default_factory=list)
    reception: list[pl.DataFrame] = field(default_factory=list)
    shared: list[pl.DataFrame] = field(default_factory=list)

    def step(self, rows: pl.DataFrame, final: bool) -> None:
        batch, carried = self.batch(rows)
        if batch.height == 0:
            return
        res = vessel_batch(batch, self.ctx, earlier=None if self.earlier is None else self.earlier.drop("mmsi"),
                           counted=~carried)
        if res.reception is not None:
            self.reception.append(res.reception)
        since = res.since if res.since is not None else pl.DataFrame(schema=SINCE_SCHEMA)
        if res.times is not None:  # this batch's, and the earlier ones still in the window
            old = None if self.earlier is None else earlier_times(self.earlier, since, self.ctx)
            self.earlier = res.times if old is None else pl.concat([old, res.times])
        last = since.select("mmsi", pl.col("last").alias("t"))
        self.events.append(settle(res.events, last, self.prev, final))
        self.gaps.append(settle(res.gaps, last, self.prev, final))
        self.spoofing.append(res.spoofing)
        self.grids.append(_new_slots(res.grid, self.prev, self.ctx))
        self.cleaned_out.append(res.cleaned_out)
        self.carry = carry_rows(res.rows.drop("_carried", strict=False), since)
        self.prev = last if self.prev is None else (
            pl.concat([self.prev, last]).group_by("mmsi").agg(pl.col("t").max()).sort("mmsi"))


def _new_slots(grid: pl.DataFrame, prev: pl.DataFrame | None, ctx: Context) -> pl.DataFrame:
    """Grid points from before a vessel's last row of the previous batches came from carried rows
    and were found then."""
    if prev is None or grid.height == 0:
        return grid
    step_us = ctx.config.encounters.grid_step_min * 60_000_000
    return (grid.join(prev, on="mmsi", how="left")
            .filter(pl.col("t").is_null() | (pl.col("slot") * step_us >= pl.col("t"))).drop("t"))


def _walk(lake: Lake, days: list[str], workers: int, shard_rows: int, pool: ThreadPoolExecutor, ctx: Context,
          kind: type[_Shard], say: Callable[[str], None] | None = None) -> list:  # type: ignore[type-arg]
    """Walk the days in order, the shards in parallel. The shards' MMSI ranges are cut on the
    first day. A shard's step on a day follows its step on the day before, and nothing else:
    a day's shards start while the last ones of the day before still run. At most three days
    are held: the one whose steps finish, the one whose steps start, and the next, being read."""
    shards = [kind(ctx) for _ in range(workers)]
    cuts: np.ndarray | None = None
    running: list[Future[None]] = []
    done = ""  # what to say once the running steps are done
    with ThreadPoolExecutor(1) as reader:
        ahead: Future[pl.DataFrame] | None = reader.submit(read_positions, lake, days[0]) if days else None
        for i, day in enumerate(days):
            assert ahead is not None
            rows = ahead.result()
            m = rows["mmsi"].to_numpy()
            if cuts is None:
                cuts = shard_cuts(m, max(workers, -(-len(m) // max(shard_rows, 1))))
                shards = [kind(ctx) for _ in range(len(cuts) + 1)]
                running = []
            bounds = [0, *np.searchsorted(m, cuts).tolist(), rows.height]
            final = i == len(days) - 1
            before: list[Future[None] | None] = list(running) or [None] * len(shards)
            running = [pool.submit(_after, prev, shard.step, rows.slice(bounds[k], bounds[k + 1] - bounds[k]), final)
                       for k, (shard, prev) in enumerate(zip(shards, before, strict=True))]
            if isinstance(shards[0], _DetectShard) and ctx.wants("spoofing"):
                shards[0].shared.append(shared_step(rows, ctx))  # every MMSI of the day at once
            for job in before:
                if job is not None:
                    job.result()
            ahead = reader.submit(read_positions, lake, days[i + 1]) if i + 1 < len(days) else None
            if say is not None and done:
                say(done)
            done = f"{day}: {rows.height:,} positions"
        for job in running:
            job.result()
        if say is not None and done:
            say(done)
    return shards


def _after(prev: Future[None] | None, step: Callable[[pl.DataFrame, bool], None], rows: pl.DataFrame,
           final: bool) -> None:
    """``step(rows, final)`` once ``prev`` is done. ``prev`` was submitted to the same pool earlier,
    so a worker has taken it already: waiting on it cannot deadlock."""
    if prev is not None:
        prev.result()
    step(rows, final)


def merge_order(carried: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Row order interleaving carried rows and a day's (each sorted by MMSI; carried rows are
    earlier than the day's): each vessel's carried rows, then its rows of the day. Indices into
    the carried rows followed by the day's.

    Built from runs of one vessel (a few thousand) rather than rows: the runs are ordered by
    (vessel, carried first) and the output is each run's range of indices in turn."""
    c_start, c_len = _runs(carried)
    d_start, d_len = _runs(day)
    vessel = np.r_[carried[c_start], day[d_start]]
    src = np.r_[c_start, len(carried) + d_start]
    length = np.r_[c_len, d_len]
    order = np.lexsort((np.r_[np.zeros(len(c_start), np.int8), np.ones(len(d_start), np.int8)], vessel))
    src, length = src[order], length[order]
    out_start = np.cumsum(length) - length
    return np.repeat(src - out_start, length) + np.arange(len(carried) + len(day))


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values."""
    if len(values) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    start = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return start, np.diff(np.r_[start, len(values)])


def shard_cuts(mmsi: np.ndarray, n: int) -> np.ndarray:
    """MMSI values splitting vessels into ``n`` shards of about equal rows (from one day's rows)."""
    if n <= 1 or len(mmsi) == 0:
        return np.zeros(0, np.int64)
    return np.unique(mmsi[(np.arange(1, n) * len(mmsi)) // n])


def lake_days(lake: Lake, table: str) -> list[str]:
    base = lake.root / table
    return sorted(p.name.removeprefix("day=") for p in base.glob("day=*") if any(p.glob("*.parquet")))


def read_positions(lake: Lake, day: str) -> pl.DataFrame:
    """One day's positions, the kernels' columns only, sorted by (mmsi, ts, source, line)."""
    df = read_day(lake, "positions", day, POSITION_COLUMNS).rechunk()  # a day's files: one chunk per column
    schema = df.schema
    if schema["ts"] != pl.Datetime("us", "UTC") or schema["sog_kn"] != pl.Float32:
        df = normalise(df)
    return df if _is_sorted(df) else df.sort("mmsi", "ts", "source", "line")


def _is_sorted(df: pl.DataFrame) -> bool:
    ordered, ties = order_ties(df["mmsi"].to_numpy(), df["ts"].dt.epoch("us").to_numpy())
    if not ordered or len(ties) == 0:
        return bool(ordered)
    a = df.select("source", "line").gather(pl.Series(ties, dtype=pl.UInt32))
    b = df.select("source", "line").gather(pl.Series(ties + 1, dtype=pl.UInt32))
    in_order = (a["source"] < b["source"]) | ((a["source"] == b["source"]) & (a["line"] <= b["line"]))
    return bool(in_order.all())


def read_day(lake: Lake, table: str, day: str, columns: list[str] | None = None) -> pl.DataFrame:
    files = sorted((lake.root / table / f"day={day}").glob("*.parquet"))
    lf = pl.scan_parquet(files, hive_partitioning=False)
    if columns:
        lf = lf.select(columns)
    return lf.collect()


def read_table(lake: Lake, table: str) -> pl.DataFrame | None:
    files = sorted(Path(lake.root / table).glob("day=*/*.parquet"))
    return pl.scan_parquet(files, hive_partitioning=False).collect() if files else None


def _empty_positions() -> pl.DataFrame:
    from darkfleet.lake import schema

    return normalise(pl.from_arrow(schema.POSITIONS.empty_table()))  # type: ignore[arg-type]

