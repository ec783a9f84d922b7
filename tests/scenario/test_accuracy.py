"""Precision and recall of every detector against the generated world's truth (floor: 0.95).

The world (tests/scenario/conftest.py, seed 11): 60 vessels over 14 days on searoute paths in the
Sea of Japan / Yellow Sea / East China Sea with terrestrial reception within 40 km of shore and
satellite reception beyond; planted gaps, port calls, anchorage waits, loitering, encounters,
spoofed excursions (at sea and on land), a cloned track, renames, reflagging and a bad IMO. The
detectors run through the memory engine (the reference the local and Spark engines match).
"""

from __future__ import annotations

import polars as pl
import pytest

from darkfleet.engines.config import DetectConfig
from darkfleet.engines.memory import run_memory
from darkfleet.engines.steps import Context
from darkfleet.events.schema import KINDS
from darkfleet.scenario import World
from darkfleet.scenario.truth import match

FLOOR = 0.95


@pytest.fixture(scope="module")
def detected(world: World) -> pl.DataFrame:
    return run_memory(world.positions, world.statics, Context(DetectConfig(), world.places, world.land, world.shore,
                                                              declared_flags=world.declared_flags))


@pytest.mark.parametrize("kind", KINDS)
def test_precision_and_recall(kind: str, world: World, detected: pl.DataFrame) -> None:
    score, unmatched = match(detected, world.truth, kind)
    print(f"{kind}: truth {score.truth}, detected {score.detected}, matched {score.matched}, "
          f"precision {score.precision:.3f}, recall {score.recall:.3f}")
    assert score.truth >= 9, "the world must plant enough events of every kind to measure"
    assert score.precision >= FLOOR and score.recall >= FLOOR, unmatched


def test_events_are_well_formed(detected: pl.DataFrame) -> None:
    assert detected["id"].n_unique() == detected.height
    assert detected.filter(pl.col("end") < pl.col("start")).height == 0
    assert set(detected["kind"].unique()) <= set(KINDS)
    positional = detected.filter(pl.col("kind") != "identity_change")
    assert positional.filter(pl.col("source_rows").list.len() < 2).height == 0


def test_planted_false_flags_found_with_their_reason(world: World, detected: pl.DataFrame) -> None:
    planted = world.truth.filter(pl.col("detail") == "flag_mid_mismatch")
    assert planted.height == 3
    found = detected.filter(pl.col("attributes").str.json_path_match("$.change") == "flag_mid_mismatch")
    assert sorted(found["mmsi"]) == sorted(planted["mmsi"])
    for attrs in found["attributes"]:
        reason = pl.Series([attrs]).str.json_path_match("$.reason").item()
        assert "scenario-registry (by imo " in reason and "declares flag" in reason
    # reflagged vessels: the registry follows the new MID from the switch on, so no mismatch there
    reflagged = world.vessels.filter(pl.col("mmsi") != pl.col("mmsi_after"))
    assert reflagged.height == 4
    assert not set(found["mmsi"]) & (set(reflagged["mmsi_after"]) | set(reflagged["mmsi"]))
