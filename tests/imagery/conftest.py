"""Shared fixtures: the real OpenSARShip data in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OPENSARSHIP = REPO.parent / "shared" / "data" / "sar" / "opensarship"


@pytest.fixture(scope="session")
def opensarship_dir() -> Path:
    if not (OPENSARSHIP / "ships.csv").exists() or not list(OPENSARSHIP.glob("S1*.zip")):
        pytest.skip(f"OpenSARShip data not found at {OPENSARSHIP} (see ../shared/data/README.md)")
    return OPENSARSHIP
