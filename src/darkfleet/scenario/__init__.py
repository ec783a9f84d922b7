"""Deterministic generated worlds with ground truth (see :mod:`darkfleet.scenario.world`)."""

from darkfleet.scenario.generate import generate
from darkfleet.scenario.world import ScenarioParams, Shuttle, World

__all__ = ["ScenarioParams", "Shuttle", "World", "generate"]
