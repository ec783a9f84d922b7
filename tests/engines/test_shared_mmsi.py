"""An MMSI shared by two transmitters at once, whose tracks cross midnight, is split into the same
segments whether the data sits in day partitions (local engine, carried over midnight), in one
partition, in memory, or on Spark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from darkfleet.engines.config import DetectConfig
from darkfleet.engines.local import LocalEngine
from darkfleet.engines.memory import detect_memory
from darkfleet.engines.steps import Context, Detection
from darkfleet.geo.places import empty_places
from darkfleet.lake import schema
from darkfleet.lake.store import Lake
from tests.engines.test_engines import same
from tests.events.factories import make_track

SHARED, OTHER = 273000009, 273000010


def _positions() -> pl.DataFrame:
    t0 = datetime(2023, 8, 15, 20, tzinfo=UTC)
    minutes = np.arange(0, 480, 2.0)  # 20:00 to 04:00, a fix every 2 min
    a = make_track(SHARED, minutes, 130.0 + np.arange(len(minutes)) * 0.009, 42.0, 12.0, t0=t0)
    lat = a["lat"].to_numpy().copy()
    lat[119:122] += 1.5  # 23:58, 00:00, 00:02: an excursion 170 km north, across midnight
    a = a.with_columns(lat=pl.Series(lat))
    # a second transmitter on the same MMSI, moored 300 km away from 21:00 to 03:00
    b = make_track(SHARED, np.arange(61, 420, 2.0), 133.0, 40.0, 0.0, t0=t0).with_columns(pl.col("line") + 5000)
    # a ghost for a few minutes around midnight
    c = make_track(SHARED, np.arange(236, 246, 2.0), 128.0, 38.0, 0.0, t0=t0).with_columns(pl.col("line") + 9000)
    d = make_track(OTHER, np.arange(30, 450, 3.0), 131.0 + np.arange(140) * 0.008, 41.0, 11.0, t0=t0)
    twice = a.slice(10, 3).with_columns(source=pl.lit("test2"))  # heard by a second receiver
    return pl.concat([a, b, c, d, twice]).sort("mmsi", "ts", "source", "line")


def _write(lake: Lake, positions: pl.DataFrame, one_partition: bool) -> Lake:
    full = positions.with_columns(msg_type=pl.lit(1, pl.Int8),
                                  _day=pl.lit("2023-08-15") if one_partition else pl.col("ts").dt.strftime("%Y-%m-%d"))
    for (day,), part in full.group_by("_day", maintain_order=True):
        cols = {f.name: (part[f.name] if f.name in part.columns else pl.lit(None)) for f in schema.POSITIONS}
        table = part.select(**cols).to_arrow().cast(schema.POSITIONS)
        lake.write_file("positions", str(day), "part-test.parquet", table)
    return lake


@pytest.fixture(scope="module")
def positions() -> pl.DataFrame:
    return _positions()


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(DetectConfig(), empty_places())


@pytest.fixture(scope="module")
def reference(positions: pl.DataFrame, ctx: Context) -> Detection:
    return detect_memory(positions, None, ctx)


@pytest.fixture(scope="module")
def day_lake(positions: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return _write(Lake.open(tmp_path_factory.mktemp("days")), positions, one_partition=False)


def test_reference_segments(reference: Detection) -> None:
    out = reference.cleaned_out.filter(pl.col("mmsi") == SHARED)
    reasons = dict(out.group_by("reason").len().iter_rows())
    assert reasons == {"reassigned": 180, "impossible_jump": 8, "duplicate": 3}
    assert out.filter(pl.col("reason") == "reassigned")["segment"].unique().to_list() == [1]
    jumps = out.filter(pl.col("reason") == "impossible_jump")
    assert jumps["ts"].dt.date().n_unique() == 2  # the outliers lie on both sides of midnight
    stops = reference.events.filter((pl.col("kind") == "stop") & (pl.col("mmsi") == SHARED))
    assert stops.height == 1 and stops["start"].dt.day()[0] == 15 and stops["end"].dt.day()[0] == 16
    spoof = reference.events.filter(pl.col("kind") == "spoofing")
    assert spoof.height == 1 and '"jump_positions":8' in spoof["attributes"][0]


@pytest.mark.parametrize("workers", [1, 2])
def test_day_partitions_give_the_same_segments(day_lake: Lake, ctx: Context, reference: Detection,
                                               workers: int) -> None:
    assert len(list((day_lake.root / "positions").glob("day=*"))) == 2
    same(LocalEngine(workers=workers).detect(day_lake, ctx), reference)


def test_one_partition_gives_the_same_segments(positions: pl.DataFrame, ctx: Context, reference: Detection,
                                               tmp_path: Path) -> None:
    lake = _write(Lake.open(tmp_path), positions, one_partition=True)
    same(LocalEngine(workers=2).detect(lake, ctx), reference)


@pytest.mark.slow
def test_spark_gives_the_same_segments(day_lake: Lake, ctx: Context, reference: Detection) -> None:
    pytest.importorskip("pyspark")
    from darkfleet.engines.spark import SparkEngine

    same(SparkEngine("local[2]").detect(day_lake, ctx), reference)
