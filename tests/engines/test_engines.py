"""Both engines give exactly the events and cleaned-out rows of the in-memory reference run,
midnight or not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from darkfleet.engines.config import DetectConfig
from darkfleet.engines.local import LocalEngine
from darkfleet.engines.memory import detect_memory
from darkfleet.engines.steps import Context, Detection
from darkfleet.lake.store import Lake
from darkfleet.scenario import ScenarioParams, World, generate
from darkfleet.scenario.lake import write_world

ENGINE_WORLD = ScenarioParams(seed=5, days=5.0, n_vessels=16, n_encounter_pairs=2, n_loiterers=2, n_gaps=3,
                              n_jump_spoofs=1, n_land_spoofs=1, n_clones=1, n_renames=1, n_reflags=1,
                              n_false_flags=1, n_shared_mmsis=1)


@pytest.fixture(scope="module")
def world() -> World:
    return generate(ENGINE_WORLD)


@pytest.fixture(scope="module")
def lake(world: World, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake.open(tmp_path_factory.mktemp("lake"))
    write_world(world, lake)
    return lake


@pytest.fixture(scope="module")
def ctx(world: World) -> Context:
    return Context(DetectConfig(), world.places, world.land, world.shore, declared_flags=world.declared_flags)


@pytest.fixture(scope="module")
def reference(world: World, ctx: Context) -> Detection:
    return detect_memory(world.positions, world.statics, ctx)


def same(a: Detection, b: Detection) -> None:
    key = ["kind", "mmsi", "start", "id"]
    ea, eb = a.events.sort(key), b.events.sort(key)
    assert ea["id"].to_list() == eb["id"].to_list()
    assert ea.equals(eb), "same ids but different attributes"
    assert a.cleaned_out.equals(b.cleaned_out), "different rows cleaned out"


def test_reference_splits_the_shared_mmsi(world: World, reference: Detection) -> None:
    shared = world.vessels.filter(pl.col("roles").str.contains("shared_mmsi"))["mmsi"].unique()
    assert shared.len() == 1
    out = reference.cleaned_out.filter(pl.col("mmsi") == shared[0])
    assert out.filter(pl.col("reason") == "reassigned").height > 100  # the second transmitter's track
    counts = reference.cleaning_counts()
    assert counts["duplicate"] > 0 and counts["impossible_jump"] > 0 and counts["on_land"] > 0


def test_local_engine_equals_reference(lake: Lake, ctx: Context, reference: Detection) -> None:
    assert len(list((lake.root / "positions").glob("day=*"))) >= 5
    found = LocalEngine(workers=2).detect(lake, ctx)
    same(found, reference)
    across = found.events.filter(pl.col("start").dt.date() != pl.col("end").dt.date())
    kinds = set(across["kind"])
    assert {"port_visit", "stop"} <= kinds  # events spanning midnight, each found once


def test_local_engine_one_worker(lake: Lake, ctx: Context, reference: Detection) -> None:
    same(LocalEngine(workers=1).detect(lake, ctx), reference)


@pytest.mark.slow
def test_spark_engine_equals_reference(lake: Lake, ctx: Context, reference: Detection) -> None:
    pytest.importorskip("pyspark")
    from darkfleet.engines.spark import SparkEngine

    same(SparkEngine("local[2]").detect(lake, ctx), reference)


def test_engine_needs_positions(tmp_path: Path, ctx: Context) -> None:
    from darkfleet.engines.run import detect_lake

    with pytest.raises(FileNotFoundError, match="no positions"):
        detect_lake(Lake.open(tmp_path))
    assert LocalEngine().run(Lake.open(tmp_path), ctx).height == 0
