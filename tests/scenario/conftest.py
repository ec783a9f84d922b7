"""A shared generated world for the scenario, accuracy and engine tests (built once per session)."""

from __future__ import annotations

import pytest

from darkfleet.scenario import ScenarioParams, World, generate

ACCURACY_WORLD = ScenarioParams(seed=11, days=14.0, n_vessels=60, n_encounter_pairs=10, n_loiterers=14, n_gaps=16,
                                n_jump_spoofs=8, n_land_spoofs=4, n_clones=3, n_renames=6, n_reflags=4, n_bad_imo=2,
                                n_false_flags=3)


@pytest.fixture(scope="session")
def world() -> World:
    return generate(ACCURACY_WORLD)
